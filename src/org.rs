//! An organization scan's output and the analysis that needs every account: one normal snapshot per
//! account (`ACCOUNT.json.zst`), the organization as read (`organization.json`), a record per account that
//! could not be scanned (`ACCOUNT.unassumable.json`) and the index (`org.json`).
//!
//! The cross-account analysis runs where all accounts are known: [`assess_all`] works out, for every
//! account, the privileged roles of the others whose trust admits it (`Membership::peers`), then analyzes
//! each account with them. `stance merge-index DIR` runs it again over the files, so workers that each
//! scanned a shard of the organization end with the same snapshots as one unsharded scan.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::analyze::policy::{Who, admissions};
use crate::analyze::{Context, PrincipalKind};
use crate::config::Config;
use crate::finding::{Category, Severity};
use crate::inventory::org::{Organization, PeerRole};
use crate::inventory::{CoverageRecord, Inventory, Timestamp};
use crate::snapshot::{ORG_INDEX, ORGANIZATION_FILE, Snapshot, UNASSUMABLE_SUFFIX};

pub const INDEX_FORMAT: &str = "stance-org-index";
pub const INDEX_SCHEMA_VERSION: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum OrgFileError {
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    #[error(
        "{path}: not an organization scan directory: no {ORGANIZATION_FILE} (written by `stance scan --org --out-dir`)"
    )]
    NotAnOrgDir { path: String },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
    #[error(transparent)]
    Snapshot(#[from] crate::snapshot::SnapshotError),
}

fn io(path: &Path, error: impl std::fmt::Display) -> OrgFileError {
    OrgFileError::Io { path: path.display().to_string(), message: error.to_string() }
}

/// An account that could not be scanned: its role could not be assumed, or its scan failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unassumable {
    pub account: String,
    pub name: String,
    pub role_arn: String,
    pub error: String,
    pub at: Timestamp,
}

/// `--shard K/N`: the accounts whose id hashes to K modulo N. An account's shard depends on its id alone,
/// so adding accounts never moves the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// `K/N` (K from 0), or `auto/N` with K read from `JOB_COMPLETION_INDEX` (a Kubernetes Indexed Job) or
    /// `AWS_BATCH_JOB_ARRAY_INDEX` (an AWS Batch array job).
    pub fn parse(text: &str, env: impl Fn(&str) -> Option<String>) -> Result<Shard, String> {
        let (index, count) =
            text.split_once('/').ok_or_else(|| format!("`{text}`: expected K/N, such as 0/3, or auto/N"))?;
        let count: u32 =
            count.parse().ok().filter(|n| *n > 0).ok_or_else(|| format!("`{text}`: N must be a positive number"))?;
        let index: u32 = if index == "auto" {
            let (name, value) = ["JOB_COMPLETION_INDEX", "AWS_BATCH_JOB_ARRAY_INDEX"]
                .iter()
                .find_map(|name| env(name).map(|v| (*name, v)))
                .ok_or_else(|| {
                    format!("`{text}`: auto needs JOB_COMPLETION_INDEX or AWS_BATCH_JOB_ARRAY_INDEX in the environment")
                })?;
            value.trim().parse().map_err(|_| format!("{name}=`{value}` is not a number"))?
        } else {
            index.parse().map_err(|_| format!("`{text}`: K must be a number from 0 or `auto`"))?
        };
        if index >= count {
            return Err(format!("`{text}`: K must be below N (shards are numbered from 0, as job indexes are)"));
        }
        Ok(Shard { index, count })
    }

    pub fn includes(&self, account: &str) -> bool {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(account.as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        u64::from_be_bytes(first) % u64::from(self.count) == u64::from(self.index)
    }
}

/// The accounts to scan: the organization's, narrowed by `--accounts`, `--exclude-accounts` and the shard.
pub fn select<'o>(
    org: &'o Organization,
    only: &[String],
    exclude: &[String],
    shard: Option<Shard>,
) -> Vec<&'o crate::inventory::org::OrgAccount> {
    org.accounts
        .iter()
        .filter(|a| only.is_empty() || only.contains(&a.id))
        .filter(|a| !exclude.contains(&a.id))
        .filter(|a| shard.is_none_or(|s| s.includes(&a.id)))
        .collect()
}

/// For every account, the privileged roles of the other accounts whose trust admits it: named by account
/// (its root or any of its principals), or anyone in the organization (`aws:PrincipalOrgID`).
pub fn peers(
    inventories: &[Inventory],
    settings: &crate::analyze::settings::Settings,
) -> BTreeMap<String, Vec<PeerRole>> {
    let mut out: BTreeMap<String, Vec<PeerRole>> = BTreeMap::new();
    for inventory in inventories {
        let Some(membership) = &inventory.organization else { continue };
        let owner = &inventory.account.account_id;
        let cx = Context::with_settings(inventory, inventory.scan.as_of, settings);
        for view in cx.principals.values().filter(|v| v.kind == PrincipalKind::Role && v.capability.is_privileged()) {
            let Some(role) = inventory.iam.roles.get(&view.arn) else { continue };
            let Some(trust) = cx.trust_policies.get(&view.arn) else { continue };
            let mut admitted: Vec<String> = Vec::new();
            for admission in admissions(trust, &["sts:AssumeRole"], &[]) {
                for who in &admission.who {
                    match who {
                        Who::Account(id) if id != owner && membership.accounts.contains(id) => {
                            admitted.push(id.clone())
                        }
                        Who::Anyone
                            if admission
                                .statement
                                .has_condition_on(&["aws:PrincipalOrgID", "aws:PrincipalOrgPaths"])
                                .len()
                                == admission.statement.restricting_conditions().count() =>
                        {
                            admitted.extend(membership.accounts.iter().filter(|a| *a != owner).cloned());
                        }
                        _ => {}
                    }
                }
            }
            admitted.sort();
            admitted.dedup();
            let (_, reason) = view.blast_radius();
            for account in admitted {
                out.entry(account).or_default().push(PeerRole {
                    arn: view.arn.clone(),
                    account: owner.clone(),
                    name: view.name.clone(),
                    admin: view.capability.admin,
                    reason: reason.clone(),
                    trust_policy: role.trust_policy.clone(),
                });
            }
        }
    }
    out
}

/// Analyzes every account with what the others tell it (see [`peers`]): one snapshot per inventory.
pub fn assess_all(mut inventories: Vec<Inventory>, config: &Config) -> Vec<Snapshot> {
    let mut peers = peers(&inventories, &config.settings);
    for inventory in &mut inventories {
        if let Some(membership) = &mut inventory.organization {
            membership.peers = peers.remove(&inventory.account.account_id).unwrap_or_default();
        }
    }
    inventories.into_iter().map(|inventory| Snapshot::assemble(inventory, config)).collect()
}

/// One account's line of the index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexEntry {
    pub account: String,
    pub name: String,
    pub ou_path: String,
    /// The snapshot's file name in the directory; `None` when the account could not be scanned.
    pub file: Option<String>,
    /// Why it could not be scanned (its own coverage record).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub posture: Option<u8>,
    /// Open (unmuted) findings by severity.
    pub by_severity: BTreeMap<Severity, usize>,
    pub coverage_gaps: usize,
    pub cross_account_paths: usize,
    /// SCP ids that bound the account (root, OUs, the account), `None` when unknown.
    pub scps: Option<Vec<String>>,
    #[serde(default)]
    pub compliance: BTreeMap<String, Option<f64>>,
}

impl IndexEntry {
    pub fn count(&self, severity: Severity) -> usize {
        self.by_severity.get(&severity).copied().unwrap_or(0)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrgIndex {
    pub format: String,
    pub schema_version: u32,
    pub organization: String,
    pub management_account: String,
    /// Worst first: by posture, then critical and high counts; accounts not scanned last.
    pub accounts: Vec<IndexEntry>,
    /// Every SCP: id → name.
    pub scps: BTreeMap<String, String>,
    /// What could not be read of the organization itself.
    pub coverage: Vec<CoverageRecord>,
}

impl OrgIndex {
    pub fn build(org: &Organization, snapshots: &[(String, &Snapshot)], unassumable: &[Unassumable]) -> OrgIndex {
        let mut accounts: Vec<IndexEntry> = Vec::new();
        for (file, snapshot) in snapshots {
            let inventory = &snapshot.inventory;
            let id = &inventory.account.account_id;
            let mut by_severity = BTreeMap::new();
            let open = snapshot.analysis.findings.iter().filter(|f| f.muted.is_none());
            for finding in open.clone() {
                *by_severity.entry(finding.severity).or_default() += 1;
            }
            let membership = inventory.organization.as_ref();
            accounts.push(IndexEntry {
                account: id.clone(),
                name: membership
                    .map(|m| m.account_name.clone())
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| org.account(id).map(|a| a.name.clone()).unwrap_or_default()),
                ou_path: membership.map_or_else(|| org.ou_path(id), |m| m.ou_path.clone()),
                file: Some(file.clone()),
                error: None,
                posture: Some(snapshot.analysis.posture.score),
                by_severity,
                coverage_gaps: inventory.coverage.len(),
                cross_account_paths: open.filter(|f| f.category == Category::AttackPathCrossAccount).count(),
                scps: membership.and_then(|m| m.scps.as_ref()).map(|s| s.iter().map(|a| a.id.clone()).collect()),
                compliance: snapshot.compliance().iter().map(|c| (c.framework.clone(), c.score)).collect(),
            });
        }
        for failed in unassumable {
            accounts.push(IndexEntry {
                account: failed.account.clone(),
                name: failed.name.clone(),
                ou_path: org.ou_path(&failed.account),
                file: None,
                error: Some(failed.error.clone()),
                posture: None,
                by_severity: BTreeMap::new(),
                coverage_gaps: 0,
                cross_account_paths: 0,
                scps: org.scps_for(&failed.account).map(|s| s.iter().map(|a| a.id.clone()).collect()),
                compliance: BTreeMap::new(),
            });
        }
        accounts.sort_by(|a, b| {
            let rank = |e: &IndexEntry| {
                (
                    e.posture.is_none(),
                    e.posture,
                    std::cmp::Reverse(e.count(Severity::Critical)),
                    std::cmp::Reverse(e.count(Severity::High)),
                )
            };
            rank(a).cmp(&rank(b)).then_with(|| a.account.cmp(&b.account))
        });
        OrgIndex {
            format: INDEX_FORMAT.into(),
            schema_version: INDEX_SCHEMA_VERSION,
            organization: org.id.clone(),
            management_account: org.management_account.clone(),
            accounts,
            scps: org.scps.iter().flatten().map(|s| (s.id.clone(), s.name.clone())).collect(),
            coverage: org.coverage.clone(),
        }
    }

    pub fn read(path: &Path) -> Result<OrgIndex, OrgFileError> {
        let bytes = std::fs::read(path).map_err(|e| io(path, e))?;
        let index: OrgIndex = serde_json::from_slice(&bytes).map_err(|e| OrgFileError::Invalid {
            path: path.display().to_string(),
            message: format!("not an organization index ({e})"),
        })?;
        if index.format != INDEX_FORMAT {
            return Err(OrgFileError::Invalid {
                path: path.display().to_string(),
                message: format!("format is `{}`, expected `{INDEX_FORMAT}`", index.format),
            });
        }
        if index.schema_version > INDEX_SCHEMA_VERSION {
            return Err(OrgFileError::Invalid {
                path: path.display().to_string(),
                message: format!(
                    "schema version {} is newer than this stance reads ({INDEX_SCHEMA_VERSION}): upgrade stance",
                    index.schema_version
                ),
            });
        }
        Ok(index)
    }

    /// Whether any account is missing from the scan (unassumable), or any scanned one has gaps.
    pub fn is_complete(&self) -> bool {
        self.coverage.is_empty() && self.accounts.iter().all(|a| a.error.is_none() && a.coverage_gaps == 0)
    }
}

/// The file name of an account's snapshot.
pub fn snapshot_file(account: &str) -> String {
    format!("{account}.json.zst")
}

fn write_json(path: &Path, value: &impl Serialize) -> Result<(), OrgFileError> {
    let mut json = serde_json::to_vec_pretty(value).map_err(|e| io(path, e))?;
    json.push(b'\n');
    crate::fsutil::write_private_atomic(path, &json).map_err(|e| io(path, e))
}

/// Writes an organization scan into `dir`: the organization, each snapshot and each unassumable account,
/// then the index.
pub fn write_dir(
    dir: &Path,
    org: &Organization,
    snapshots: &[Snapshot],
    unassumable: &[Unassumable],
) -> Result<OrgIndex, OrgFileError> {
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    write_json(&dir.join(ORGANIZATION_FILE), org)?;
    let mut files = Vec::new();
    for snapshot in snapshots {
        let file = snapshot_file(&snapshot.inventory.account.account_id);
        snapshot.write(&dir.join(&file))?;
        // A stale failure record of this account (an earlier run) no longer holds.
        let _ =
            std::fs::remove_file(dir.join(format!("{}{UNASSUMABLE_SUFFIX}", snapshot.inventory.account.account_id)));
        files.push((file, snapshot));
    }
    for failed in unassumable {
        write_json(&dir.join(format!("{}{UNASSUMABLE_SUFFIX}", failed.account)), failed)?;
    }
    let index = OrgIndex::build(org, &files, unassumable);
    write_json(&dir.join(ORG_INDEX), &index)?;
    Ok(index)
}

/// Everything an organization directory holds.
pub struct OrgDir {
    pub organization: Organization,
    pub snapshots: Vec<(PathBuf, Snapshot)>,
    pub unassumable: Vec<Unassumable>,
}

pub fn read_dir(dir: &Path) -> Result<OrgDir, OrgFileError> {
    let org_path = dir.join(ORGANIZATION_FILE);
    if !org_path.is_file() {
        return Err(OrgFileError::NotAnOrgDir { path: dir.display().to_string() });
    }
    let bytes = std::fs::read(&org_path).map_err(|e| io(&org_path, e))?;
    let organization: Organization = serde_json::from_slice(&bytes).map_err(|e| OrgFileError::Invalid {
        path: org_path.display().to_string(),
        message: format!("not an organization ({e})"),
    })?;
    let mut snapshots = Vec::new();
    let mut unassumable = Vec::new();
    let mut entries: Vec<PathBuf> =
        std::fs::read_dir(dir).map_err(|e| io(dir, e))?.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
        if name.ends_with(UNASSUMABLE_SUFFIX) {
            let bytes = std::fs::read(&path).map_err(|e| io(&path, e))?;
            unassumable.push(serde_json::from_slice(&bytes).map_err(|e| OrgFileError::Invalid {
                path: path.display().to_string(),
                message: format!("not an unassumable-account record ({e})"),
            })?);
        } else if crate::snapshot::is_snapshot_file(&name) {
            let snapshot = Snapshot::read(&path)?;
            snapshots.push((path, snapshot));
        }
    }
    // An account scanned by a later run is no longer unassumable.
    unassumable.retain(|u: &Unassumable| !snapshots.iter().any(|(_, s)| s.inventory.account.account_id == u.account));
    Ok(OrgDir { organization, snapshots, unassumable })
}

/// `stance merge-index DIR`: the cross-account analysis over every account's snapshot (rewriting those it
/// changes) and the index rebuilt from the files.
pub fn merge_index(dir: &Path, config: &Config) -> Result<OrgIndex, OrgFileError> {
    let OrgDir { organization, snapshots, unassumable } = read_dir(dir)?;
    // What decides whether a file is rewritten: its findings and what it knew of the organization (the
    // inventories themselves move into the analysis, not copied).
    let mut paths = Vec::new();
    let mut before = Vec::new();
    let mut inventories = Vec::new();
    for (path, snapshot) in snapshots {
        paths.push(path);
        before.push((snapshot.analysis.findings, snapshot.inventory.organization.clone()));
        inventories.push(snapshot.inventory);
    }
    let after = assess_all(inventories, config);
    for ((path, (findings, organization)), new) in paths.iter().zip(&before).zip(&after) {
        if *findings != new.analysis.findings || *organization != new.inventory.organization {
            new.write(path)?;
        }
    }
    let files: Vec<(String, &Snapshot)> = paths
        .iter()
        .map(|p| p.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned())
        .zip(after.iter())
        .collect();
    let index = OrgIndex::build(&organization, &files, &unassumable);
    write_json(&dir.join(ORG_INDEX), &index)?;
    Ok(index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_split_the_accounts_once_each_and_do_not_move_when_accounts_are_added() {
        let accounts: Vec<String> = (0..300).map(|i| format!("{:012}", 100_000_000_000u64 + i * 7919)).collect();
        let shard_of = |account: &str, count: u32| {
            (0..count).filter(|i| Shard { index: *i, count }.includes(account)).collect::<Vec<_>>()
        };
        let mut sizes = [0usize; 3];
        for account in &accounts {
            let shards = shard_of(account, 3);
            assert_eq!(shards.len(), 1, "{account} is in exactly one shard: {shards:?}");
            sizes[shards[0] as usize] += 1;
        }
        assert!(sizes.iter().all(|n| *n > 70), "roughly even: {sizes:?}");
        // The shard of an account is a function of its id: the same with or without the other accounts.
        assert_eq!(shard_of(&accounts[5], 3), shard_of(&accounts[5], 3));
    }

    #[test]
    fn shard_arguments() {
        let none = |_: &str| None;
        assert_eq!(Shard::parse("1/3", none), Ok(Shard { index: 1, count: 3 }));
        assert!(Shard::parse("3/3", none).unwrap_err().contains("below N"));
        assert!(Shard::parse("x", none).is_err());
        assert!(Shard::parse("0/0", none).is_err());
        assert!(Shard::parse("auto/4", none).unwrap_err().contains("JOB_COMPLETION_INDEX"));
        let batch = |name: &str| (name == "AWS_BATCH_JOB_ARRAY_INDEX").then(|| "2".to_owned());
        assert_eq!(Shard::parse("auto/4", batch), Ok(Shard { index: 2, count: 4 }));
        let k8s = |name: &str| (name == "JOB_COMPLETION_INDEX").then(|| "nine".to_owned());
        assert!(Shard::parse("auto/4", k8s).unwrap_err().contains("not a number"));
    }
}
