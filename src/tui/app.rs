//! The TUI's state and how actions change it. Rendering reads this state and nothing else.

use crate::diff::Diff;
use crate::rules::{Category, Finding, Severity};
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

/// The views, as `:` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Progress,
    Overview,
    Findings,
    Detail,
    Paths,
    Compare,
    Resources,
}

impl View {
    pub const NAMED: &'static [(&'static str, View)] = &[
        ("overview", View::Overview),
        ("findings", View::Findings),
        ("paths", View::Paths),
        ("resources", View::Resources),
        ("compare", View::Compare),
    ];
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
    /// Where `Back` returns to.
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
        let entry = by_arn.entry(f.resource_arn.as_str()).or_default();
        entry.0 += 1;
        entry.1 = entry.1.max(f.score);
    }
    let mut rows: Vec<ResourceRow> = crate::diff::resources(&snapshot.inventory)
        .into_iter()
        .map(|(arn, (kind, _))| {
            let (findings, top_score) = by_arn.get(arn.as_str()).copied().unwrap_or_default();
            ResourceRow { kind, arn, findings, top_score }
        })
        .collect();
    rows.sort_by(|a, b| b.top_score.cmp(&a.top_score).then(b.findings.cmp(&a.findings)).then(a.arn.cmp(&b.arn)));
    rows
}

/// What `/` searches: title, resource ARN and rule id, lower-cased.
fn haystack(finding: &Finding) -> String {
    format!("{}\n{}\n{}", finding.title, finding.resource_arn, finding.rule_id).to_lowercase()
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
            View::Paths => self
                .snapshot
                .analysis
                .findings
                .iter()
                .filter(|f| f.category == Category::AttackPathPublicApiToPrivilegedLambda)
                .collect(),
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

    fn go(&mut self, view: View) {
        if view != self.view {
            self.previous.push(self.view);
            self.view = view;
            self.selected = 0;
            self.refresh();
        }
    }

    fn lists(&self) -> bool {
        matches!(self.view, View::Findings | View::Paths | View::Compare)
    }

    pub fn handle(&mut self, action: Action) {
        match self.mode {
            Mode::Search | Mode::Command | Mode::MuteReason | Mode::MuteExpiry => return self.handle_input(action),
            Mode::Normal => {}
        }
        let last =
            if self.view == View::Resources { self.resources.len() } else { self.visible.len() }.saturating_sub(1);
        match action {
            Action::Quit => self.quit = true,
            Action::ToggleHelp => self.help = !self.help,
            Action::Cancel | Action::Back if self.help => self.help = false,
            Action::Back => {
                if let Some(view) = self.previous.pop() {
                    self.view = view;
                    self.refresh();
                }
            }
            Action::Up if self.view == View::Detail => self.detail_scroll = self.detail_scroll.saturating_sub(1),
            Action::Down if self.view == View::Detail => {
                self.detail_scroll = self.detail_scroll.saturating_add(1).min(self.detail_max_scroll)
            }
            Action::Bottom if self.view == View::Detail => self.detail_scroll = self.detail_max_scroll,
            Action::PageDown if self.view == View::Detail => {
                self.detail_scroll = self.detail_scroll.saturating_add(self.page as u16).min(self.detail_max_scroll)
            }
            Action::PageUp if self.view == View::Detail => {
                self.detail_scroll = self.detail_scroll.saturating_sub(self.page as u16)
            }
            Action::Top if self.view == View::Detail => self.detail_scroll = 0,
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Down => self.selected = (self.selected + 1).min(last),
            Action::PageUp => self.selected = self.selected.saturating_sub(self.page),
            Action::PageDown => self.selected = (self.selected + self.page).min(last),
            Action::Top => self.selected = 0,
            Action::Bottom => self.selected = last,
            Action::Open => match self.view {
                View::Overview => self.go(View::Findings),
                View::Resources => {
                    if let Some(row) = self.resources.get(self.selected) {
                        self.search = row.arn.to_lowercase();
                        self.go(View::Findings);
                    }
                }
                _ if self.lists() => {
                    if let Some(finding) = self.shown().get(self.selected).map(|f| (*f).clone()) {
                        self.detail = Some(finding);
                        self.detail_scroll = 0;
                        self.go(View::Detail);
                    }
                }
                _ => {}
            },
            Action::NextTab if self.view == View::Compare => {
                self.compare_tab = match self.compare_tab {
                    CompareTab::New => CompareTab::Resolved,
                    CompareTab::Resolved => CompareTab::Changed,
                    CompareTab::Changed => CompareTab::Drift,
                    CompareTab::Drift => CompareTab::New,
                };
                self.selected = 0;
                self.refresh();
            }
            Action::NextTab => {}
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
                const SERVICES: [&str; 4] = ["attack_paths", "iam", "lambda", "apigateway"];
                self.service = match self.service.and_then(|s| SERVICES.iter().position(|x| *x == s)) {
                    None => Some(SERVICES[0]),
                    Some(i) if i + 1 < SERVICES.len() => Some(SERVICES[i + 1]),
                    Some(_) => None,
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
            Action::Mute => {
                let target = if self.view == View::Detail {
                    self.detail.clone()
                } else {
                    self.shown().get(self.selected).map(|f| (*f).clone())
                };
                match target {
                    Some(finding) if finding.muted.is_some() => {
                        self.status = format!("already muted: {}", finding.muted.map(|m| m.reason).unwrap_or_default())
                    }
                    Some(finding) if self.lists() || self.view == View::Detail => {
                        self.muting = Some((finding, String::new()));
                        self.mode = Mode::MuteReason;
                        self.input.clear();
                    }
                    _ => {}
                }
            }
            Action::Input(_) | Action::DeleteChar | Action::Submit | Action::Cancel => {}
        }
    }

    /// The prompt of the current input mode.
    pub fn prompt(&self) -> &'static str {
        match self.mode {
            Mode::Normal => "",
            Mode::Search => "/",
            Mode::Command => ":",
            Mode::MuteReason => "mute, reason (required): ",
            Mode::MuteExpiry => "expires (YYYY-MM-DD, empty for never): ",
        }
    }

    fn finish_mute(&mut self, expiry: &str) {
        let expires = match expiry.trim() {
            "" => None,
            text => match chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
                Ok(date) => Some(date),
                Err(_) => {
                    self.status = format!("`{text}` is not a date such as 2027-03-31");
                    return;
                }
            },
        };
        let Some((finding, reason)) = self.muting.take() else { return };
        match crate::mutes::append(&self.mutes_path, &finding, &reason, expires) {
            Ok(mute) => {
                let muted = crate::mutes::Muted {
                    reason: mute.reason.clone(),
                    expires: mute.expires,
                    source: mute.source.clone(),
                };
                for f in self.snapshot.analysis.findings.iter_mut().filter(|f| f.fingerprint == finding.fingerprint) {
                    f.muted = Some(muted.clone());
                }
                if let Some(detail) = self.detail.as_mut().filter(|d| d.fingerprint == finding.fingerprint) {
                    detail.muted = Some(muted);
                }
                self.snapshot.analysis.posture = crate::score::posture(&self.snapshot.analysis.findings);
                self.order = None;
                self.filtered = None;
                self.status = format!("muted ({}); it applies from the next scan on", mute.source);
                self.refresh();
            }
            Err(error) => self.status = error.to_string(),
        }
    }

    fn handle_input(&mut self, action: Action) {
        match action {
            Action::Input(c) => self.input.push(c),
            Action::DeleteChar => {
                self.input.pop();
            }
            Action::Cancel => {
                if self.mode == Mode::Search {
                    self.search.clear();
                    self.refresh();
                }
                self.muting = None;
                self.mode = Mode::Normal;
                return;
            }
            Action::Submit if self.mode == Mode::MuteReason => {
                let reason = self.input.trim().to_owned();
                if reason.is_empty() {
                    self.status = "a mute needs a reason".into();
                    return;
                }
                if let Some((_, typed)) = self.muting.as_mut() {
                    *typed = reason;
                }
                self.input.clear();
                self.mode = Mode::MuteExpiry;
                return;
            }
            Action::Submit if self.mode == Mode::MuteExpiry => {
                let expiry = std::mem::take(&mut self.input);
                self.mode = Mode::Normal;
                self.finish_mute(&expiry);
                return;
            }
            Action::Submit => {
                if self.mode == Mode::Command {
                    let name = self.input.trim().to_owned();
                    match View::NAMED.iter().find(|(n, _)| n.starts_with(&name) && !name.is_empty()) {
                        Some((_, View::Compare)) if self.diff.is_none() => {
                            self.status = "no comparison: open two snapshots (stance open OLD NEW)".into()
                        }
                        Some((_, view)) => {
                            self.status.clear();
                            self.go(*view);
                        }
                        None => {
                            self.status = format!("no view `{name}` (overview, findings, paths, resources, compare)")
                        }
                    }
                }
                self.mode = Mode::Normal;
                return;
            }
            _ => {}
        }
        if self.mode == Mode::Search {
            // Incremental: every keystroke filters.
            self.search = self.input.clone();
            self.selected = 0;
            self.refresh();
        }
    }
}
