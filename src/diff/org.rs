//! Two organization scans compared account by account: each account in both is an ordinary [`Diff`];
//! accounts that joined or left the organization (or the scan) are listed with their posture.

use serde::{Deserialize, Serialize};

use super::{Diff, diff};
use crate::finding::{Finding, Severity};
use crate::snapshot::Snapshot;

/// An account on one side only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountSide {
    pub account: String,
    pub name: String,
    pub posture: u8,
    pub findings: usize,
}

impl AccountSide {
    fn of(snapshot: &Snapshot) -> AccountSide {
        AccountSide {
            account: snapshot.inventory.account.account_id.clone(),
            name: snapshot.inventory.organization.as_ref().map(|m| m.account_name.clone()).unwrap_or_default(),
            posture: snapshot.analysis.posture.score,
            findings: snapshot.analysis.findings.iter().filter(|f| f.muted.is_none()).count(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountDiff {
    pub account: String,
    pub name: String,
    pub diff: Diff,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrgDiff {
    pub accounts: Vec<AccountDiff>,
    /// In the later scan only: joined the organization, or scanned for the first time.
    pub added: Vec<AccountSide>,
    /// In the earlier scan only: left the organization, or not scanned this time.
    pub removed: Vec<AccountSide>,
}

impl OrgDiff {
    /// The new unmuted findings at or above `threshold` in any account, with their account.
    pub fn new_at_or_above(&self, threshold: Severity) -> Vec<(&str, &Finding)> {
        self.accounts
            .iter()
            .flat_map(|a| a.diff.new_at_or_above(threshold).into_iter().map(move |f| (a.account.as_str(), f)))
            .collect()
    }
}

/// Compares the accounts of two organization scans (their snapshots, in any order).
pub fn org_diff(old: &[Snapshot], new: &[Snapshot]) -> OrgDiff {
    let id = |s: &Snapshot| s.inventory.account.account_id.clone();
    let mut accounts = Vec::new();
    let mut added = Vec::new();
    for later in new {
        match old.iter().find(|o| id(o) == id(later)) {
            Some(earlier) => {
                let side = AccountSide::of(later);
                accounts.push(AccountDiff { account: side.account, name: side.name, diff: diff(earlier, later) });
            }
            None => added.push(AccountSide::of(later)),
        }
    }
    let removed: Vec<AccountSide> =
        old.iter().filter(|o| !new.iter().any(|n| id(n) == id(o))).map(AccountSide::of).collect();
    accounts.sort_by(|a, b| a.account.cmp(&b.account));
    let mut out = OrgDiff { accounts, added, removed };
    out.added.sort_by(|a, b| a.account.cmp(&b.account));
    out.removed.sort_by(|a, b| a.account.cmp(&b.account));
    out
}

fn side_line(side: &AccountSide) -> String {
    format!("{} {} (posture {}/100, {} finding(s))", side.account, side.name, side.posture, side.findings)
}

pub fn text(diff: &OrgDiff) -> String {
    let mut out = String::new();
    for side in &diff.added {
        out.push_str(&format!("+ account {}\n", side_line(side)));
    }
    for side in &diff.removed {
        out.push_str(&format!("- account {}\n", side_line(side)));
    }
    for account in &diff.accounts {
        // Each account's comparison opens with "Account ID: …".
        out.push('\n');
        out.push_str(&super::text(&account.diff));
    }
    out
}

pub fn markdown(diff: &OrgDiff) -> String {
    let mut out = String::from("## stance: organization comparison\n\n");
    if !diff.added.is_empty() || !diff.removed.is_empty() {
        out.push_str("| | account | posture | findings |\n| --- | --- | --- | --- |\n");
        for (sign, side) in diff.added.iter().map(|s| ("added", s)).chain(diff.removed.iter().map(|s| ("removed", s))) {
            out.push_str(&format!(
                "| {sign} | {} {} | {}/100 | {} |\n",
                side.account,
                crate::export::markdown_cell(&side.name),
                side.posture,
                side.findings
            ));
        }
        out.push('\n');
    }
    for account in &diff.accounts {
        out.push_str(&format!("### Account {} {}\n\n", account.account, crate::export::markdown_cell(&account.name)));
        out.push_str(&super::markdown(&account.diff));
        out.push('\n');
    }
    out
}
