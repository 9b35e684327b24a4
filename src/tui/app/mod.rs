//! The TUI's state and how actions change it. Rendering reads this state and nothing else.

mod compliance;
mod detail;
mod input;
mod lists;
mod org;
mod overview;
mod resources;
mod search;
mod tools;

pub use input::ellipsized;
pub use org::{AccountSource, OrgBrowser};

use crate::compliance::Status;
use crate::diff::Diff;
use crate::finding::{Finding, Severity};
use crate::snapshot::Snapshot;

/// What a live scan tells the TUI while it runs.
#[derive(Debug)]
pub enum Feed {
    /// A line for the progress log ("Scanning account …", "lambda eu-west-1: 7 done", a skipped region).
    Line(String),
    /// The number of (service, region) tasks, once known.
    Planned(usize),
    TaskStarted {
        service: String,
        region: String,
    },
    TaskFinished {
        service: String,
        region: String,
        resources: usize,
    },
    Gap,
    /// The scan's end: its snapshot (and where it was saved), or why it failed.
    Done(Result<Box<Snapshot>, String>),
    /// More of a snapshot being opened progressively ([`crate::snapshot::open_progressive`]).
    Snapshot(crate::snapshot::Part),
}

/// A live scan's progress.
#[derive(Debug, Default)]
pub struct Progress {
    pub total: usize,
    pub done: usize,
    pub gaps: usize,
    pub lines: Vec<String>,
    pub error: Option<String>,
    /// (service, region) → resources found, `None` while running.
    pub tasks: std::collections::BTreeMap<(String, String), Option<usize>>,
}

macro_rules! views {
    ($($variant:ident => $title:literal, $command:expr;)+) => {
        /// The views. Their titles (the header) and `:` names (the prompt and its help) come from this list.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum View { $($variant),+ }

        impl View {
            pub const ALL: &'static [View] = &[$(View::$variant),+];
            /// The view's name in the header.
            pub fn title(self) -> &'static str {
                match self { $(View::$variant => $title),+ }
            }
            /// The name `:` switches to it by; `None` for a view reached otherwise (the detail from a list).
            pub fn command(self) -> Option<&'static str> {
                match self { $(View::$variant => $command),+ }
            }
        }
    };
}

views! {
    Progress => "scanning", None;
    Overview => "overview", Some("overview");
    Findings => "findings", Some("findings");
    Detail => "detail", None;
    Paths => "attack paths", Some("paths");
    Resources => "resources", Some("resources");
    Coverage => "coverage gaps", Some("coverage");
    Compare => "compare", Some("compare");
    Compliance => "compliance", Some("compliance");
    Controls => "controls", None;
    // An organization's accounts (the first view of an organization scan).
    Accounts => "accounts", Some("accounts");
}

impl View {
    /// The `:` names, in order.
    pub fn commands() -> impl Iterator<Item = &'static str> {
        View::ALL.iter().filter_map(|v| v.command())
    }

    /// The first view whose `:` name starts with `prefix`.
    pub fn named(prefix: &str) -> Option<View> {
        let prefix = prefix.trim();
        if prefix.is_empty() {
            return None;
        }
        View::ALL.iter().copied().find(|v| v.command().is_some_and(|c| c.starts_with(prefix)))
    }
}

/// What a list is narrowed to. Each list view keeps its own (a search in resources leaves the findings
/// alone), its title shows it, and `x` clears it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListFilter {
    pub search: String,
    pub min_severity: Option<Severity>,
    /// Only findings counted against this service (`iam`, `lambda`, `apigateway`, `attack_paths`).
    pub service: Option<&'static str>,
    /// Only the findings on this resource or on an attack path through it: what Enter on a resource lists.
    pub resource: Option<String>,
    /// Only the findings a framework's control counts (`compliance::frameworks()` indices): what Enter on a
    /// control lists.
    pub control: Option<(usize, usize)>,
}

impl ListFilter {
    pub fn is_empty(&self) -> bool {
        *self == ListFilter::default()
    }

    /// Whether `next` can only remove rows from what this filter showed: the same filters, and a search
    /// that extends this one.
    fn narrows_to(&self, next: &ListFilter) -> bool {
        self.min_severity == next.min_severity
            && self.service == next.service
            && self.resource == next.resource
            && self.control == next.control
            && next.search.starts_with(&self.search)
    }

    /// Whether `finding` passes every filter but the search.
    fn admits(&self, finding: &Finding) -> bool {
        self.min_severity.is_none_or(|s| finding.severity >= s)
            && self.service.is_none_or(|s| finding.category.service() == s)
            && self.resource.as_deref().is_none_or(|arn| finding.touches(arn))
            && self.control.is_none_or(|(framework, control)| {
                crate::compliance::frameworks()
                    .get(framework)
                    .and_then(|f| f.controls.get(control))
                    .is_some_and(|c| c.covers(finding))
            })
    }
}

/// What the visible rows were computed from: the list, its sort and its filter.
#[derive(Debug, Clone, PartialEq)]
struct Filtered {
    list: (ListKind, SortKey),
    filter: ListFilter,
}

/// Which list of findings a view shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    All,
    Paths,
    Compare(CompareTab),
    /// Not findings: the resources and coverage views list their own rows.
    Other,
}

/// A resource of the inventory with what was found on it.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceRow {
    pub kind: &'static str,
    pub arn: String,
    /// What the resource is, in words ("function orders"), when its service inventoried it.
    pub name: Option<String>,
    pub findings: usize,
    pub top_score: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Normal,
    /// Typing a `/` search.
    Search,
    /// Typing a `:` view name.
    Command,
    /// Typing the reason of a mute.
    MuteReason,
    /// Typing a mute's expiry date (or nothing).
    MuteExpiry,
    /// `y`: one more key says what to copy.
    Copy,
    /// Typing the file the current list is exported to.
    Export,
    /// `u`: y removes the mute from the mutes file.
    ConfirmUnmute,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Score,
    Severity,
    Service,
    /// The age of the credential or resource the finding is about, oldest first.
    Age,
}

/// A framework evaluated over the snapshot, as the compliance views list it.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameworkRow {
    pub id: String,
    pub title: String,
    pub version: String,
    pub description: String,
    pub score: Option<f64>,
    pub controls: Vec<ControlRow>,
}

impl FrameworkRow {
    pub fn count(&self, status: Status) -> usize {
        self.controls.iter().filter(|c| c.status == status).count()
    }
}

/// One control of a framework, evaluated.
#[derive(Debug, Clone, PartialEq)]
pub struct ControlRow {
    pub id: String,
    pub section: String,
    pub title: String,
    pub status: Status,
    /// The findings Enter lists: failing ones for a failing control, muted ones for a pass with exceptions.
    pub findings: usize,
    /// Why it has its status (`export::compliance::explanation`).
    pub why: String,
    pub note: String,
    pub rules: Vec<String>,
}

fn compliance_rows(snapshot: &Snapshot) -> Vec<FrameworkRow> {
    let results = crate::compliance::evaluate(
        &snapshot.analysis.findings,
        &snapshot.analysis.policy.settings,
        &snapshot.inventory,
    );
    results
        .iter()
        .map(|result| FrameworkRow {
            id: result.framework.id.clone(),
            title: result.framework.title.clone(),
            version: result.framework.version.clone(),
            description: result.framework.description.clone(),
            score: result.score(),
            controls: result
                .controls
                .iter()
                .map(|c| ControlRow {
                    id: c.control.id.clone(),
                    section: c.control.section.clone(),
                    title: c.control.title.clone(),
                    status: c.status,
                    findings: if c.status == Status::Fail { c.failing.len() } else { c.excepted.len() },
                    why: crate::export::compliance::explanation(c),
                    note: c.control.note.clone(),
                    rules: c.control.rules.clone(),
                })
                .collect(),
        })
        .collect()
}

/// Which list of the comparison is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareTab {
    New,
    Resolved,
    Changed,
    /// Findings in both snapshots, alike.
    Unchanged,
    /// Inventory drift: resources added, removed, changed.
    Drift,
    /// Compliance controls whose status changed.
    Controls,
}

impl CompareTab {
    pub const ALL: [CompareTab; 6] = [
        CompareTab::New,
        CompareTab::Resolved,
        CompareTab::Changed,
        CompareTab::Unchanged,
        CompareTab::Drift,
        CompareTab::Controls,
    ];

    /// The tab `step` places along (Tab: +1, Shift-Tab: −1), round the end.
    fn cycled(self, step: isize) -> CompareTab {
        let at = CompareTab::ALL.iter().position(|t| *t == self).unwrap_or(0) as isize;
        CompareTab::ALL[(at + step).rem_euclid(CompareTab::ALL.len() as isize) as usize]
    }
}

/// Everything the user can do, independent of which key does it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Open,
    Back,
    NextTab,
    PrevTab,
    StartSearch,
    StartCommand,
    Input(char),
    DeleteChar,
    Submit,
    Cancel,
    CycleSort,
    CycleSeverityFilter,
    CycleServiceFilter,
    /// Clears the current list's filters.
    ClearFilter,
    ToggleHelp,
    /// Mute the selected finding: asks for a reason and an optional expiry, then writes the mutes file.
    Mute,
    /// Remove the mute of the selected finding from the mutes file, once confirmed.
    Unmute,
    /// Copy the ARN, the finding as Markdown, the remediation or the console URL (OSC 52).
    Copy,
    /// Show the AWS console URL of the selected resource, and copy it.
    ConsoleUrl,
    /// Write the current list, filtered as shown, to a Markdown or CSV file.
    Export,
    Quit,
}

pub struct App {
    pub snapshot: Snapshot,
    /// The comparison, when two snapshots were opened (the second is `snapshot`).
    pub diff: Option<Diff>,
    pub view: View,
    /// The levels above the current view with their selection, the nearest last: where `Back` goes up to.
    /// A drill-down (Enter) adds a level; switching views with `:` starts again from the overview.
    pub previous: Vec<(View, usize)>,
    pub mode: Mode,
    pub input: String,
    pub sort: SortKey,
    /// Each list view's own filters.
    filters: std::collections::HashMap<View, ListFilter>,
    /// The search as it was before `/` started a new one: Esc puts it back.
    search_before: String,
    /// Indices into the current view's rows (findings, paths, a comparison tab, resources or gaps), filtered
    /// and sorted.
    pub visible: Vec<usize>,
    pub selected: usize,
    pub detail: Option<Finding>,
    pub detail_scroll: u16,
    /// The findings an attack path in the detail chains, resolved from their fingerprints when it opened.
    pub detail_parts: Vec<Finding>,
    /// Which of them Tab selected (Enter opens it).
    pub detail_part: Option<usize>,
    /// The details a chained finding was opened from, with their scroll and selection: Esc returns to them.
    pub detail_stack: Vec<(Finding, u16, Option<usize>)>,
    pub compare_tab: CompareTab,
    /// The comparison's findings in both snapshots alike, as indices into `snapshot`'s findings.
    unchanged: Vec<usize>,
    pub help: bool,
    pub status: String,
    pub quit: bool,
    /// Rows of the list area at the last render, for PageUp/PageDown.
    pub page: usize,
    /// How far the detail can scroll at the current terminal size.
    pub detail_max_scroll: u16,
    /// While a live scan runs.
    pub progress: Option<Progress>,
    /// Lower-case title, ARN and rule of each finding, for search.
    haystacks: search::SearchIndex,
    /// Every resource, most at risk first: built when the resources view is first shown after the
    /// findings changed (naming every resource is too slow for the first frame of a large snapshot).
    pub resources: Vec<ResourceRow>,
    resources_stale: bool,
    /// Every framework evaluated over the findings as muted now: built when a compliance view is shown.
    pub compliance: Vec<FrameworkRow>,
    compliance_stale: bool,
    /// The framework whose controls the controls view lists (an index into `compliance`).
    pub framework: usize,
    /// Where `m` writes mutes and `u` removes them.
    pub mutes_path: std::path::PathBuf,
    /// The finding being muted and the reason typed so far.
    muting: Option<(Finding, String)>,
    /// Text for the terminal's clipboard: the event loop sends it as OSC 52 and clears it.
    pub clipboard: Option<String>,
    /// What the visible rows were filtered with.
    filtered: Option<Filtered>,
    /// The sorted order of the current list, and which list and sort it is for.
    order: Option<((ListKind, SortKey), Vec<usize>)>,
    /// Posture of earlier scans of the account (oldest first), when a history directory was given.
    pub trend: Vec<crate::history::HistoryEntry>,
    /// While the findings of the snapshot are still being read (a progressive open).
    pub loading: bool,
    /// Why the rest of the snapshot could not be read: the TUI closes and says so.
    pub load_error: Option<String>,
    /// An organization's accounts, when an organization scan was opened: the accounts view lists them and
    /// Enter opens one's snapshot here.
    pub org: Option<OrgBrowser>,
}

/// No filter: what views without a list of their own read.
static NO_FILTER: ListFilter =
    ListFilter { search: String::new(), min_severity: None, service: None, resource: None, control: None };

fn resource_rows(snapshot: &Snapshot) -> Vec<ResourceRow> {
    let mut by_arn: std::collections::HashMap<&str, (usize, u8)> = std::collections::HashMap::new();
    for f in snapshot.analysis.findings.iter().filter(|f| f.muted.is_none()) {
        // A finding counts on its resource and on every other resource its attack path passes through.
        let mut on: Vec<&str> =
            std::iter::once(f.resource_arn.as_str()).chain(f.path.iter().map(String::as_str)).collect();
        on.sort_unstable();
        on.dedup();
        for arn in on {
            let entry = by_arn.entry(arn).or_default();
            entry.0 += 1;
            entry.1 = entry.1.max(f.score);
        }
    }
    let index = snapshot.inventory.drift_index();
    // Account-level findings (on the account's root ARN) name no inventoried resource: the account is a row.
    let unindexed: Vec<ResourceRow> = by_arn
        .iter()
        .filter(|(arn, _)| !index.contains_key(**arn))
        .map(|(arn, (findings, top_score))| {
            let account = arn.ends_with(":root");
            ResourceRow {
                kind: if account { "account" } else { "resource" },
                arn: (*arn).to_owned(),
                name: account.then(|| format!("account {}", arn.split(':').nth(4).unwrap_or_default())),
                findings: *findings,
                top_score: *top_score,
            }
        })
        .collect();
    let mut rows: Vec<ResourceRow> = index
        .into_iter()
        .map(|(arn, (kind, _))| {
            let (findings, top_score) = by_arn.get(arn.as_str()).copied().unwrap_or_default();
            ResourceRow { kind, name: snapshot.inventory.describe(&arn), arn, findings, top_score }
        })
        .chain(unindexed)
        .collect();
    rows.sort_by(|a, b| b.top_score.cmp(&a.top_score).then(b.findings.cmp(&a.findings)).then(a.arn.cmp(&b.arn)));
    rows
}

use search::haystack;

/// The comparison's unchanged findings: in the new snapshot, neither new nor changed.
fn unchanged(snapshot: &Snapshot, diff: Option<&Diff>) -> Vec<usize> {
    let Some(diff) = diff else { return Vec::new() };
    let moved: std::collections::HashSet<&str> = diff
        .new_findings
        .iter()
        .map(|f| f.fingerprint.as_str())
        .chain(diff.changed_findings.iter().map(|c| c.new.fingerprint.as_str()))
        .collect();
    (0..snapshot.analysis.findings.len())
        .filter(|&i| !moved.contains(snapshot.analysis.findings[i].fingerprint.as_str()))
        .collect()
}

impl App {
    pub fn new(snapshot: Snapshot, diff: Option<Diff>) -> App {
        let view = if diff.is_some() { View::Compare } else { View::Overview };
        let mut app = App {
            unchanged: unchanged(&snapshot, diff.as_ref()),
            snapshot,
            diff,
            view,
            previous: Vec::new(),
            mode: Mode::Normal,
            input: String::new(),
            sort: SortKey::Score,
            filters: Default::default(),
            search_before: String::new(),
            visible: Vec::new(),
            selected: 0,
            detail: None,
            detail_scroll: 0,
            detail_parts: Vec::new(),
            detail_part: None,
            detail_stack: Vec::new(),
            compare_tab: CompareTab::New,
            help: false,
            status: String::new(),
            quit: false,
            page: 10,
            detail_max_scroll: u16::MAX,
            progress: None,
            haystacks: Default::default(),
            resources: Vec::new(),
            resources_stale: true,
            compliance: Vec::new(),
            compliance_stale: true,
            framework: 0,
            mutes_path: std::path::PathBuf::from("stance.toml"),
            muting: None,
            clipboard: None,
            trend: Vec::new(),
            order: None,
            filtered: None,
            loading: false,
            load_error: None,
            org: None,
        };
        app.refresh();
        app
    }

    /// A TUI waiting for a live scan: the progress view until the snapshot arrives.
    pub fn scanning() -> App {
        let mut app = App::new(
            Snapshot::new(
                crate::ScanReport { inventory: Default::default(), analysis: Default::default() },
                Default::default(),
            ),
            None,
        );
        app.view = View::Progress;
        app.progress = Some(Progress::default());
        app
    }

    pub fn feed(&mut self, feed: Feed) {
        if let Feed::Snapshot(part) = feed {
            return self.load(part);
        }
        let Some(progress) = self.progress.as_mut() else { return };
        match feed {
            Feed::Line(line) => progress.lines.push(line),
            Feed::Planned(total) => progress.total = total,
            Feed::TaskStarted { service, region } => {
                progress.tasks.insert((service, region), None);
            }
            Feed::TaskFinished { service, region, resources } => {
                progress.done += 1;
                progress.tasks.insert((service, region), Some(resources));
            }
            Feed::Gap => progress.gaps += 1,
            Feed::Done(Ok(snapshot)) => {
                self.snapshot = *snapshot;
                self.findings_replaced();
                self.progress = None;
                self.view = View::Overview;
                self.previous.clear();
                self.refresh();
            }
            Feed::Done(Err(error)) => progress.error = Some(error),
            Feed::Snapshot(_) => {}
        }
    }

    /// A snapshot opened from its first part (see [`crate::snapshot::open_progressive`]): still reading.
    pub fn loading(snapshot: Snapshot) -> App {
        let mut app = App::new(snapshot, None);
        app.loading = true;
        // The header says how many findings follow (those the posture counts and those mutes covered):
        // room for exactly them, instead of a list that doubles as it grows.
        let unmuted: usize = app.snapshot.analysis.posture.findings_by_severity.values().sum();
        let muted: usize = app.snapshot.mutes.applied.iter().map(|m| m.findings).sum();
        let findings = &mut app.snapshot.analysis.findings;
        findings.reserve_exact((unmuted + muted).saturating_sub(findings.len()));
        app
    }

    /// The next part of a snapshot being read: more findings (appended, in rank order), the end, or why
    /// the rest of the file is unreadable (the TUI then closes with that error).
    fn load(&mut self, part: crate::snapshot::Part) {
        use crate::snapshot::Part;
        match part {
            Part::Findings(more) => {
                self.snapshot.analysis.findings.extend(more);
                // Searchable text is appended as it comes (`refresh`); the sort of the list is redone.
                self.order = None;
                self.filtered = None;
                self.refresh();
            }
            Part::Done => {
                self.loading = false;
                self.findings_changed();
                self.refresh();
            }
            Part::Failed(error) => {
                self.loading = false;
                self.load_error = Some(error.to_string());
                self.quit = true;
            }
        }
    }

    /// After the findings changed (more of them, a mute): the caches built from them are rebuilt. The
    /// search index only grows with them (`refresh`): what it holds of a finding does not change.
    fn findings_changed(&mut self) {
        self.resources_stale = true;
        self.compliance_stale = true;
        // A snapshot written before compliance was recorded: its scores are evaluated once it is whole.
        if self.snapshot.analysis.compliance.is_empty() && !self.loading {
            self.snapshot.analysis.compliance = self.snapshot.compliance().into_owned();
        }
        self.unchanged = unchanged(&self.snapshot, self.diff.as_ref());
        self.order = None;
        self.filtered = None;
    }

    /// After the findings were replaced (a live scan's snapshot arrived): the search index too.
    fn findings_replaced(&mut self) {
        self.haystacks.clear();
        self.findings_changed();
    }

    /// The current view's filters (none for a view without a list).
    pub fn filter(&self) -> &ListFilter {
        self.filters.get(&self.view).unwrap_or(&NO_FILTER)
    }

    fn filter_mut(&mut self) -> &mut ListFilter {
        self.filters.entry(self.view).or_default()
    }

    /// The current view's search.
    pub fn search(&self) -> &str {
        &self.filter().search
    }

    /// Searches the current list for `text`, as typing it after `/` does.
    pub fn set_search(&mut self, text: &str) {
        self.filter_mut().search = text.to_owned();
        self.refresh();
    }

    /// The findings of the current list (all findings, attack paths, or a comparison tab).
    pub fn source(&self) -> Vec<&Finding> {
        let findings = &self.snapshot.analysis.findings;
        match self.view {
            View::Paths => findings.iter().filter(|f| f.category.is_path()).collect(),
            View::Compare => match (&self.diff, self.compare_tab) {
                (Some(d), CompareTab::New) => d.new_findings.iter().collect(),
                (Some(d), CompareTab::Resolved) => d.resolved_findings.iter().collect(),
                (Some(d), CompareTab::Changed) => d.changed_findings.iter().map(|c| &c.new).collect(),
                (Some(_), CompareTab::Unchanged) => self.unchanged.iter().filter_map(|&i| findings.get(i)).collect(),
                (Some(_), CompareTab::Drift | CompareTab::Controls) => Vec::new(),
                (None, _) => Vec::new(),
            },
            _ => findings.iter().collect(),
        }
    }

    /// The findings shown, in order.
    pub fn shown(&self) -> Vec<&Finding> {
        let source = self.source();
        self.visible.iter().filter_map(|&i| source.get(i).copied()).collect()
    }

    /// The resources shown, in order.
    pub fn shown_resources(&self) -> impl Iterator<Item = &ResourceRow> {
        self.visible.iter().filter_map(|&i| self.resources.get(i))
    }

    /// The coverage gaps shown, in order.
    /// The framework rows of the compliance view, filtered.
    pub fn shown_frameworks(&self) -> impl Iterator<Item = &FrameworkRow> {
        self.visible.iter().filter_map(|&i| self.compliance.get(i))
    }

    /// The controls of the selected framework, filtered.
    pub fn shown_controls(&self) -> impl Iterator<Item = (usize, &ControlRow)> {
        let controls = self.compliance.get(self.framework).map(|f| f.controls.as_slice()).unwrap_or_default();
        self.visible.iter().filter_map(|&i| controls.get(i).map(|c| (i, c)))
    }

    pub fn shown_gaps(&self) -> impl Iterator<Item = &crate::inventory::CoverageRecord> {
        self.visible.iter().filter_map(|&i| self.snapshot.inventory.coverage.get(i))
    }

    /// Recomputes the visible rows after a filter, sort or list change, keeping the selection in range.
    pub fn refresh(&mut self) {
        let findings = &self.snapshot.analysis.findings;
        if self.haystacks.len() < findings.len() {
            // Findings are only ever appended (a progressive open) or replaced (which clears this).
            let known = self.haystacks.len();
            self.haystacks.extend(&findings[known..]);
            self.order = None;
            self.filtered = None;
        } else if self.haystacks.len() > findings.len() {
            self.haystacks.clear();
            self.haystacks.extend(findings);
        }
        if self.view == View::Resources && self.resources_stale {
            self.resources = resource_rows(&self.snapshot);
            self.resources_stale = false;
        }
        if matches!(self.view, View::Compliance | View::Controls) && self.compliance_stale {
            self.compliance = compliance_rows(&self.snapshot);
            self.compliance_stale = false;
        }
        let filter = self.filter().clone();
        let query = filter.search.to_lowercase();
        let list = (self.view_list(), self.sort);
        if list.0 == ListKind::Other {
            self.visible = self.other_rows(&query);
            self.filtered = None;
            self.selected = self.selected.min(self.visible.len().saturating_sub(1));
            return;
        }
        // The sorted order of the current list is kept until the list or the sort changes, so a search
        // keystroke only filters it.
        if self.order.as_ref().is_none_or(|(key, _)| *key != list) {
            let order = self.sorted();
            self.order = Some((list, order));
        }
        let source = self.source();
        // The full list searches its index at once: a keystroke over 100,000 findings stays fast.
        let indexed = (list.0 == ListKind::All && !query.is_empty()).then(|| self.haystacks.matches(&query));
        let matches = |i: usize, f: &Finding| {
            let text_matches = match &indexed {
                Some(found) => found.get(i).copied().unwrap_or(false),
                None => query.is_empty() || haystack(f).contains(&query),
            };
            text_matches && filter.admits(f)
        };
        // Typing more of the same search narrows the rows already shown instead of searching everything.
        let next = Filtered { list, filter: ListFilter { search: query.clone(), ..filter.clone() } };
        let narrowing =
            self.filtered.as_ref().is_some_and(|last| last.list == list && last.filter.narrows_to(&next.filter));
        let candidates: &[usize] = if narrowing {
            &self.visible
        } else {
            self.order.as_ref().map(|(_, order)| order.as_slice()).unwrap_or_default()
        };
        let visible: Vec<usize> = candidates.iter().copied().filter(|&i| matches(i, source[i])).collect();
        self.visible = visible;
        self.filtered = Some(next);
        self.selected = self.selected.min(self.visible.len().saturating_sub(1));
    }

    /// The rows of the resources or coverage view that match `query` (lower-case).
    fn other_rows(&self, query: &str) -> Vec<usize> {
        let contains = |text: &str| query.is_empty() || text.to_lowercase().contains(query);
        match self.view {
            View::Resources => (0..self.resources.len())
                .filter(|&i| {
                    let r = &self.resources[i];
                    contains(&r.arn) || contains(r.kind) || r.name.as_deref().is_some_and(contains)
                })
                .collect(),
            View::Coverage => (0..self.snapshot.inventory.coverage.len())
                .filter(|&i| contains(&self.snapshot.inventory.coverage[i].to_string()))
                .collect(),
            View::Accounts => self.org.as_ref().map(|org| org.rows(query)).unwrap_or_default(),
            View::Compliance => (0..self.compliance.len())
                .filter(|&i| contains(&self.compliance[i].id) || contains(&self.compliance[i].title))
                .collect(),
            View::Controls => {
                let controls = self.compliance.get(self.framework).map(|f| f.controls.as_slice()).unwrap_or_default();
                (0..controls.len())
                    .filter(|&i| {
                        let c = &controls[i];
                        contains(&c.id) || contains(&c.title) || contains(c.status.label()) || contains(&c.why)
                    })
                    .collect()
            }
            View::Compare => {
                let rows = match (&self.diff, self.compare_tab) {
                    (Some(d), CompareTab::Drift) => d.drift.added.len() + d.drift.removed.len() + d.drift.changed.len(),
                    (Some(d), CompareTab::Controls) => d.compliance.controls.len(),
                    _ => 0,
                };
                (0..rows).collect()
            }
            _ => Vec::new(),
        }
    }

    fn view_list(&self) -> ListKind {
        match self.view {
            View::Paths => ListKind::Paths,
            View::Compare if matches!(self.compare_tab, CompareTab::Drift | CompareTab::Controls) => ListKind::Other,
            View::Compare => ListKind::Compare(self.compare_tab),
            View::Resources | View::Coverage | View::Compliance | View::Controls | View::Accounts => ListKind::Other,
            _ => ListKind::All,
        }
    }

    /// The current list's indices in the current sort order.
    fn sorted(&self) -> Vec<usize> {
        let source = self.source();
        let mut order: Vec<usize> = (0..source.len()).collect();
        let key = |f: &Finding| (f.category.service(), std::cmp::Reverse(f.score));
        match self.sort {
            SortKey::Score => order.sort_by(|&a, &b| source[b].score.cmp(&source[a].score).then(a.cmp(&b))),
            SortKey::Severity => order.sort_by(|&a, &b| {
                source[b].severity.cmp(&source[a].severity).then(source[b].score.cmp(&source[a].score)).then(a.cmp(&b))
            }),
            SortKey::Service => order.sort_by(|&a, &b| key(source[a]).cmp(&key(source[b])).then(a.cmp(&b))),
            SortKey::Age => {
                let age = |f: &Finding| f.evidence.details.get("age_days").and_then(|v| v.as_i64());
                order.sort_by(|&a, &b| {
                    age(source[b]).cmp(&age(source[a])).then(source[b].score.cmp(&source[a].score)).then(a.cmp(&b))
                })
            }
        }
        order
    }

    /// Drills down to `view`, one level below the current one.
    pub(super) fn go(&mut self, view: View) {
        if view != self.view {
            self.previous.push((self.view, self.selected));
            self.view = view;
            self.selected = 0;
            self.refresh();
        }
    }

    /// Switches to `view` sideways (the `:` prompt): one level below the overview, whatever came before.
    pub(super) fn switch(&mut self, view: View) {
        if view == self.view {
            return;
        }
        if view == View::Accounts && self.org.is_none() {
            self.status = ":accounts lists an organization's accounts: open an organization scan's directory".into();
            return;
        }
        self.leave_level();
        self.previous = if view == View::Overview { Vec::new() } else { vec![(View::Overview, 0)] };
        // In an organization, every account's views sit below the accounts list.
        if let Some(org) = &self.org
            && view != View::Accounts
        {
            self.previous.insert(0, (View::Accounts, org.selected));
        }
        if view == View::Accounts {
            self.previous.clear();
        }
        self.view = view;
        self.selected = 0;
        self.refresh();
    }

    /// Up one level, to the selection it was left at.
    fn back(&mut self) {
        if let Some((view, selected)) = self.previous.pop() {
            self.leave_level();
            self.view = view;
            self.selected = selected;
            self.refresh();
        }
    }

    /// Leaving the current level: a resource's findings were a drill-down, so the list they narrowed is
    /// whole again the next time it is visited.
    fn leave_level(&mut self) {
        if let Some(filter) = self.filters.get_mut(&self.view) {
            filter.resource = None;
            filter.control = None;
        }
    }

    /// Shows `finding` in the detail, with the findings it chains when it is an attack path.
    fn show_detail(&mut self, finding: Finding) {
        let chained: Vec<&str> = finding
            .evidence
            .details
            .get("chained_findings")
            .and_then(|v| v.as_array())
            .map(|a| a.iter().filter_map(|f| f.as_str()).collect())
            .unwrap_or_default();
        self.detail_parts = chained
            .iter()
            .filter_map(|fp| self.snapshot.analysis.findings.iter().find(|f| f.fingerprint == *fp).cloned())
            .collect();
        self.detail_parts.sort_by(crate::finding::by_rank);
        self.detail_part = None;
        self.detail_scroll = 0;
        self.detail = Some(finding);
    }

    /// Opens `finding` in the detail, one level below the current view.
    pub(super) fn open_detail(&mut self, finding: Finding) {
        self.detail_stack.clear();
        self.show_detail(finding);
        self.go(View::Detail);
    }

    /// From an attack path's detail, opens the chained finding Tab selected; Esc comes back to the path.
    pub(super) fn open_selected_part(&mut self) {
        let Some(part) = self.detail_part.and_then(|i| self.detail_parts.get(i)).cloned() else { return };
        if let Some(current) = self.detail.take() {
            self.detail_stack.push((current, self.detail_scroll, self.detail_part));
        }
        self.show_detail(part);
    }

    /// The unmuted findings, most at risk first: the overview's top risks (as many as fit).
    pub fn top_risks(&self) -> impl Iterator<Item = &Finding> {
        self.snapshot.analysis.findings.iter().filter(|f| f.muted.is_none())
    }

    /// The finding the keys act on: the detail's, the selected row's, or the overview's selected risk.
    pub fn current_finding(&self) -> Option<&Finding> {
        match self.view {
            View::Detail => self.detail.as_ref(),
            View::Overview => self.top_risks().nth(self.selected),
            View::Findings | View::Paths | View::Compare => self.shown().get(self.selected).copied(),
            _ => None,
        }
    }

    /// The resource the keys act on: the current finding's, or the selected resource.
    pub fn current_arn(&self) -> Option<&str> {
        match self.view {
            View::Resources => self.shown_resources().nth(self.selected).map(|r| r.arn.as_str()),
            View::Coverage => self.shown_gaps().nth(self.selected).and_then(|g| g.resource.as_deref()),
            _ => self.current_finding().map(|f| f.resource_arn.as_str()),
        }
    }

    fn lists(&self) -> bool {
        matches!(
            self.view,
            View::Findings
                | View::Paths
                | View::Compare
                | View::Resources
                | View::Coverage
                | View::Compliance
                | View::Controls
                | View::Accounts
        )
    }

    /// Applies an action: an input prompt takes it first, then what every view shares (quit, help, back),
    /// then the current view's own keys (`app/<view>.rs`), then list navigation, search and filters.
    pub fn handle(&mut self, action: Action) {
        if self.mode != Mode::Normal {
            return input::handle(self, action);
        }
        match action {
            Action::Quit => return self.quit = true,
            Action::ToggleHelp => return self.help = !self.help,
            Action::Cancel | Action::Back if self.help => return self.help = false,
            Action::Back if self.view == View::Detail && !self.detail_stack.is_empty() => {
                if let Some((finding, scroll, part)) = self.detail_stack.pop() {
                    self.show_detail(finding);
                    self.detail_scroll = scroll;
                    self.detail_part = part;
                }
                return;
            }
            Action::Back => return self.back(),
            Action::Copy => return tools::start_copy(self),
            Action::ConsoleUrl => return tools::console_url(self),
            Action::Export => return tools::start_export(self),
            Action::Unmute => return tools::start_unmute(self),
            _ => {}
        }
        let handled = match self.view {
            View::Progress => false,
            View::Overview => overview::handle(self, &action),
            View::Findings | View::Paths | View::Compare => lists::handle(self, &action),
            View::Detail => detail::handle(self, &action),
            View::Resources => resources::handle(self, &action),
            View::Compliance | View::Controls => compliance::handle(self, &action),
            View::Accounts => org::handle(self, &action),
            View::Coverage => false,
        };
        if !handled {
            self.handle_shared(action);
        }
    }

    /// What every view but the detail's scrolling does alike: move the selection, search, switch views, sort
    /// and filter.
    fn handle_shared(&mut self, action: Action) {
        let last = self.visible.len().saturating_sub(1);
        let finding_list = matches!(self.view, View::Findings | View::Paths | View::Compare);
        match action {
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Down => self.selected = (self.selected + 1).min(last),
            Action::PageUp => self.selected = self.selected.saturating_sub(self.page),
            Action::PageDown => self.selected = (self.selected + self.page).min(last),
            Action::Top => self.selected = 0,
            Action::Bottom => self.selected = last,
            Action::StartSearch => {
                if self.view == View::Detail {
                    self.status = "/ searches a list: Esc goes back to it".into();
                    return;
                }
                if !self.lists() {
                    self.go(View::Findings);
                }
                // A new search starts from nothing; Esc puts the old one back.
                self.search_before = self.search().to_owned();
                self.filter_mut().search.clear();
                self.selected = 0;
                self.refresh();
                self.mode = Mode::Search;
                self.input.clear();
            }
            Action::StartCommand => {
                self.mode = Mode::Command;
                self.input.clear();
            }
            Action::ClearFilter if self.lists() => {
                if self.filter().is_empty() {
                    self.status = "no filter to clear".into();
                } else {
                    self.filters.remove(&self.view);
                    self.refresh();
                }
            }
            Action::CycleSort if finding_list => {
                self.sort = match self.sort {
                    SortKey::Score => SortKey::Severity,
                    SortKey::Severity => SortKey::Service,
                    SortKey::Service => SortKey::Age,
                    SortKey::Age => SortKey::Score,
                };
                self.refresh();
            }
            Action::CycleServiceFilter if finding_list => {
                let services = crate::score::posture_services();
                let filter = self.filter_mut();
                filter.service = match filter.service.and_then(|s| services.iter().position(|x| *x == s)) {
                    None => services.first().copied(),
                    Some(i) => services.get(i + 1).copied(),
                };
                self.refresh();
            }
            Action::CycleSeverityFilter if finding_list => {
                let filter = self.filter_mut();
                filter.min_severity = match filter.min_severity {
                    None => Some(Severity::Critical),
                    Some(Severity::Critical) => Some(Severity::High),
                    Some(Severity::High) => Some(Severity::Medium),
                    Some(Severity::Medium) => Some(Severity::Low),
                    Some(_) => None,
                };
                self.refresh();
            }
            Action::Open | Action::Mute => {
                self.status = format!("{} does nothing here (? lists this view's keys)", key_of(&action))
            }
            Action::CycleSort | Action::CycleServiceFilter | Action::CycleSeverityFilter | Action::ClearFilter => {
                self.status = format!("{} filters a list of findings (? lists this view's keys)", key_of(&action))
            }
            Action::Back
            | Action::NextTab
            | Action::PrevTab
            | Action::Unmute
            | Action::Copy
            | Action::ConsoleUrl
            | Action::Export
            | Action::Quit
            | Action::ToggleHelp
            | Action::Input(_)
            | Action::DeleteChar
            | Action::Submit
            | Action::Cancel => {}
        }
    }

    /// Starts muting `finding`: asks for a reason, then an expiry (`input.rs`).
    fn start_mute(&mut self, finding: Option<Finding>) {
        match finding {
            Some(finding) if finding.muted.is_some() => {
                self.status =
                    format!("already muted: {} (u unmutes)", finding.muted.map(|m| m.reason).unwrap_or_default())
            }
            Some(finding) => {
                self.muting = Some((finding, String::new()));
                self.mode = Mode::MuteReason;
                self.input.clear();
            }
            None => self.status = "no finding selected to mute".into(),
        }
    }
}

/// The key an action is bound to, for a status line.
fn key_of(action: &Action) -> &'static str {
    match action {
        Action::Open => "Enter",
        Action::Mute => "m",
        Action::CycleSort => "s",
        Action::CycleSeverityFilter => "f",
        Action::CycleServiceFilter => "v",
        Action::ClearFilter => "x",
        _ => "that key",
    }
}
