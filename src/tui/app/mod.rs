//! The TUI's state and how actions change it. Rendering reads this state and nothing else.

mod detail;
mod input;
mod lists;
mod overview;
mod resources;

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
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// A filter of the visible rows.
#[derive(Debug, Clone, PartialEq)]
struct Filter {
    list: (ListKind, SortKey),
    query: String,
    min_severity: Option<Severity>,
    service: Option<&'static str>,
}

impl Filter {
    /// Whether `next` can only remove rows from what this filter showed: the same list and filters, and a
    /// search that extends this one.
    fn narrows_to(&self, next: &Filter) -> bool {
        self.list == next.list
            && self.min_severity == next.min_severity
            && self.service == next.service
            && next.query.starts_with(&self.query)
    }
}

/// Which list of findings a view shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    All,
    Paths,
    Compare(CompareTab),
}

/// A resource of the inventory with what was found on it.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceRow {
    pub kind: &'static str,
    pub arn: String,
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Score,
    Severity,
    Service,
    /// The age of the credential or resource the finding is about, oldest first.
    Age,
}

/// Which list of the comparison is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareTab {
    New,
    Resolved,
    Changed,
    /// Inventory drift: resources added, removed, changed.
    Drift,
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
    StartSearch,
    StartCommand,
    Input(char),
    DeleteChar,
    Submit,
    Cancel,
    CycleSort,
    CycleSeverityFilter,
    CycleServiceFilter,
    ToggleHelp,
    /// Mute the selected finding: asks for a reason and an optional expiry, then writes the mutes file.
    Mute,
    Quit,
}

pub struct App {
    pub snapshot: Snapshot,
    /// The comparison, when two snapshots were opened (the second is `snapshot`).
    pub diff: Option<Diff>,
    pub view: View,
    /// The levels above the current view, the nearest last: where `Back` goes up to. A drill-down (Enter)
    /// adds a level; switching views with `:` starts again from the overview.
    pub previous: Vec<View>,
    pub mode: Mode,
    pub input: String,
    pub search: String,
    pub sort: SortKey,
    pub min_severity: Option<Severity>,
    /// Only findings counted against this service (`iam`, `lambda`, `apigateway`, `attack_paths`).
    pub service: Option<&'static str>,
    /// Indices into the shown list (findings, paths or the comparison tab), filtered and sorted.
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
    haystacks: Vec<String>,
    /// Every resource, most at risk first.
    pub resources: Vec<ResourceRow>,
    /// Where `m` writes mutes.
    pub mutes_path: std::path::PathBuf,
    /// The finding being muted and the reason typed so far.
    muting: Option<(Finding, String)>,
    /// What the visible rows were filtered with.
    filtered: Option<Filter>,
    /// The sorted order of the current list, and which list and sort it is for.
    order: Option<((ListKind, SortKey), Vec<usize>)>,
    /// Posture of earlier scans of the account (oldest first), when a history directory was given.
    pub trend: Vec<crate::history::HistoryEntry>,
}

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
        .map(|(arn, (findings, top_score))| ResourceRow {
            kind: if arn.ends_with(":root") { "account" } else { "resource" },
            arn: (*arn).to_owned(),
            findings: *findings,
            top_score: *top_score,
        })
        .collect();
    let mut rows: Vec<ResourceRow> = index
        .into_iter()
        .map(|(arn, (kind, _))| {
            let (findings, top_score) = by_arn.get(arn.as_str()).copied().unwrap_or_default();
            ResourceRow { kind, arn, findings, top_score }
        })
        .chain(unindexed)
        .collect();
    rows.sort_by(|a, b| b.top_score.cmp(&a.top_score).then(b.findings.cmp(&a.findings)).then(a.arn.cmp(&b.arn)));
    rows
}

/// What `/` searches: title, resource ARN, rule id and the ARNs an attack path passes through, lower-cased.
fn haystack(finding: &Finding) -> String {
    let path = finding.path.join("\n");
    format!("{}\n{}\n{}\n{path}", finding.title, finding.resource_arn, finding.rule_id).to_lowercase()
}

impl App {
    pub fn new(snapshot: Snapshot, diff: Option<Diff>) -> App {
        let view = if diff.is_some() { View::Compare } else { View::Overview };
        let mut app = App {
            snapshot,
            diff,
            view,
            previous: Vec::new(),
            mode: Mode::Normal,
            input: String::new(),
            search: String::new(),
            sort: SortKey::Score,
            min_severity: None,
            service: None,
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
            haystacks: Vec::new(),
            resources: Vec::new(),
            mutes_path: std::path::PathBuf::from("stance.toml"),
            muting: None,
            trend: Vec::new(),
            order: None,
            filtered: None,
        };
        app.resources = resource_rows(&app.snapshot);
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
                self.resources = resource_rows(&self.snapshot);
                self.order = None;
                self.filtered = None;
                self.haystacks.clear();
                self.progress = None;
                self.view = View::Overview;
                self.previous.clear();
                self.refresh();
            }
            Feed::Done(Err(error)) => progress.error = Some(error),
        }
    }

    /// The findings of the current list (all findings, attack paths, or a comparison tab).
    pub fn source(&self) -> Vec<&Finding> {
        match self.view {
            View::Paths => self.snapshot.analysis.findings.iter().filter(|f| f.category.is_path()).collect(),
            View::Compare => match (&self.diff, self.compare_tab) {
                (Some(d), CompareTab::New) => d.new_findings.iter().collect(),
                (Some(d), CompareTab::Resolved) => d.resolved_findings.iter().collect(),
                (Some(d), CompareTab::Changed) => d.changed_findings.iter().map(|c| &c.new).collect(),
                (Some(_), CompareTab::Drift) => Vec::new(),
                (None, _) => Vec::new(),
            },
            _ => self.snapshot.analysis.findings.iter().collect(),
        }
    }

    /// The findings shown, in order.
    pub fn shown(&self) -> Vec<&Finding> {
        let source = self.source();
        self.visible.iter().filter_map(|&i| source.get(i).copied()).collect()
    }

    /// Recomputes the visible list after a filter, sort or list change, keeping the selection in range.
    pub fn refresh(&mut self) {
        if self.haystacks.len() != self.snapshot.analysis.findings.len() {
            self.haystacks = self.snapshot.analysis.findings.iter().map(haystack).collect();
            self.order = None;
            self.filtered = None;
        }
        // The sorted order of the current list is kept until the list or the sort changes, so a search
        // keystroke only filters it.
        let list = (self.view_list(), self.sort);
        if self.order.as_ref().is_none_or(|(key, _)| *key != list) {
            let order = self.sorted();
            self.order = Some((list, order));
        }
        let source = self.source();
        let query = self.search.to_lowercase();
        // The full list searches precomputed lower-case text: a keystroke over 100,000 findings stays fast.
        let full_list = list.0 == ListKind::All;
        let matches = |i: usize, f: &Finding| {
            let text_matches = query.is_empty()
                || if full_list { self.haystacks[i].contains(&query) } else { haystack(f).contains(&query) };
            text_matches
                && self.min_severity.is_none_or(|s| f.severity >= s)
                && self.service.is_none_or(|s| f.category.service() == s)
        };
        // Typing more of the same search narrows the rows already shown instead of searching everything.
        let filter = Filter { list, query: query.clone(), min_severity: self.min_severity, service: self.service };
        let narrowing = self.filtered.as_ref().is_some_and(|last| last.narrows_to(&filter));
        let candidates: &[usize] = if narrowing {
            &self.visible
        } else {
            self.order.as_ref().map(|(_, order)| order.as_slice()).unwrap_or_default()
        };
        let visible: Vec<usize> = candidates.iter().copied().filter(|&i| matches(i, source[i])).collect();
        self.visible = visible;
        self.filtered = Some(filter);
        self.selected = self.selected.min(self.visible.len().saturating_sub(1));
    }

    fn view_list(&self) -> ListKind {
        match self.view {
            View::Paths => ListKind::Paths,
            View::Compare => ListKind::Compare(self.compare_tab),
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

    pub(super) fn go(&mut self, view: View) {
        if view != self.view {
            self.previous.push(self.view);
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
        self.previous = if view == View::Overview { Vec::new() } else { vec![View::Overview] };
        self.view = view;
        self.selected = 0;
        self.refresh();
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

    fn lists(&self) -> bool {
        matches!(self.view, View::Findings | View::Paths | View::Compare)
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
            Action::Back => {
                if let Some(view) = self.previous.pop() {
                    self.view = view;
                    self.refresh();
                }
                return;
            }
            _ => {}
        }
        let handled = match self.view {
            View::Progress => false,
            View::Overview => overview::handle(self, &action),
            View::Findings | View::Paths | View::Compare => lists::handle(self, &action),
            View::Detail => detail::handle(self, &action),
            View::Resources => resources::handle(self, &action),
            View::Coverage => false,
        };
        if !handled {
            self.handle_shared(action);
        }
    }

    /// Rows of the current view: what moving the selection is bounded by.
    fn rows(&self) -> usize {
        match self.view {
            View::Resources => self.resources.len(),
            View::Coverage => self.snapshot.inventory.coverage.len(),
            _ => self.visible.len(),
        }
    }

    /// What every view but the detail's scrolling does alike: move the selection, search, switch views, sort
    /// and filter.
    fn handle_shared(&mut self, action: Action) {
        let last = self.rows().saturating_sub(1);
        match action {
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Down => self.selected = (self.selected + 1).min(last),
            Action::PageUp => self.selected = self.selected.saturating_sub(self.page),
            Action::PageDown => self.selected = (self.selected + self.page).min(last),
            Action::Top => self.selected = 0,
            Action::Bottom => self.selected = last,
            Action::StartSearch => {
                if !self.lists() {
                    self.go(View::Findings);
                }
                self.mode = Mode::Search;
                self.input = self.search.clone();
            }
            Action::StartCommand => {
                self.mode = Mode::Command;
                self.input.clear();
            }
            Action::CycleSort => {
                self.sort = match self.sort {
                    SortKey::Score => SortKey::Severity,
                    SortKey::Severity => SortKey::Service,
                    SortKey::Service => SortKey::Age,
                    SortKey::Age => SortKey::Score,
                };
                self.refresh();
            }
            Action::CycleServiceFilter => {
                let services = crate::score::posture_services();
                self.service = match self.service.and_then(|s| services.iter().position(|x| *x == s)) {
                    None => services.first().copied(),
                    Some(i) => services.get(i + 1).copied(),
                };
                self.refresh();
            }
            Action::CycleSeverityFilter => {
                self.min_severity = match self.min_severity {
                    None => Some(Severity::Critical),
                    Some(Severity::Critical) => Some(Severity::High),
                    Some(Severity::High) => Some(Severity::Medium),
                    Some(Severity::Medium) => Some(Severity::Low),
                    Some(_) => None,
                };
                self.refresh();
            }
            Action::Open
            | Action::Back
            | Action::NextTab
            | Action::Mute
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
                self.status = format!("already muted: {}", finding.muted.map(|m| m.reason).unwrap_or_default())
            }
            Some(finding) => {
                self.muting = Some((finding, String::new()));
                self.mode = Mode::MuteReason;
                self.input.clear();
            }
            None => {}
        }
    }
}
