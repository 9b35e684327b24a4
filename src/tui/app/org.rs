//! An organization in the TUI: the accounts view lists the index (`org.json`) worst first; Enter opens the
//! selected account's snapshot in the usual views, below the accounts level, so Esc from its overview (or
//! `:accounts`) comes back to the list.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::{Action, App, View};
use crate::org::{IndexEntry, OrgIndex};
use crate::snapshot::Snapshot;

/// Where an account's snapshot comes from: a file of the directory (read when opened), or already in
/// memory (the demo).
#[derive(Debug)]
pub enum AccountSource {
    File(PathBuf),
    Loaded(Box<Snapshot>),
}

#[derive(Debug)]
pub struct OrgBrowser {
    pub index: OrgIndex,
    pub sources: BTreeMap<String, AccountSource>,
    /// The row of the accounts view the current account was opened from.
    pub selected: usize,
    /// The account open in the other views.
    pub open: Option<String>,
}

impl OrgBrowser {
    /// The rows (indices into the index's accounts) matching `query` (lower-case).
    pub fn rows(&self, query: &str) -> Vec<usize> {
        let contains = |text: &str| query.is_empty() || text.to_lowercase().contains(query);
        (0..self.index.accounts.len())
            .filter(|&i| {
                let e = &self.index.accounts[i];
                contains(&e.account) || contains(&e.name) || contains(&e.ou_path)
            })
            .collect()
    }
}

impl App {
    /// A TUI on an organization: the accounts view first.
    pub fn organization(index: OrgIndex, sources: BTreeMap<String, AccountSource>) -> App {
        let mut app = App::scanning();
        app.progress = None;
        app.org = Some(OrgBrowser { index, sources, selected: 0, open: None });
        app.view = View::Accounts;
        app.refresh();
        app
    }

    /// The accounts shown, in order.
    pub fn shown_accounts(&self) -> impl Iterator<Item = &IndexEntry> {
        let accounts = self.org.as_ref().map(|o| o.index.accounts.as_slice()).unwrap_or_default();
        self.visible.iter().filter_map(|&i| accounts.get(i))
    }

    /// Opens the selected account's snapshot in the overview, one level below the accounts.
    fn open_account(&mut self) {
        let Some(entry) = self.shown_accounts().nth(self.selected).cloned() else { return };
        let Some(org) = self.org.as_mut() else { return };
        if let Some(error) = &entry.error {
            self.status = format!("{} was not scanned: {error}", entry.account);
            return;
        }
        let snapshot = match org.sources.get(&entry.account) {
            Some(AccountSource::Loaded(snapshot)) => (**snapshot).clone(),
            Some(AccountSource::File(path)) => match Snapshot::read(path) {
                Ok(snapshot) => snapshot,
                Err(error) => return self.status = error.to_string(),
            },
            None => return self.status = format!("no snapshot of {} in the index's directory", entry.account),
        };
        org.selected = self.selected;
        org.open = Some(entry.account.clone());
        self.snapshot = snapshot;
        self.diff = None;
        self.filters.clear();
        self.findings_replaced();
        self.previous = vec![(View::Accounts, self.selected)];
        self.view = View::Overview;
        self.selected = 0;
        self.refresh();
    }
}

pub(super) fn handle(app: &mut App, action: &Action) -> bool {
    match action {
        Action::Open => {
            app.open_account();
            true
        }
        Action::Mute => {
            app.status = "m mutes a finding: Enter opens the account".into();
            true
        }
        _ => false,
    }
}
