//! An AWS Organization as the management account (or a delegated administrator) sees it: accounts, the OU
//! tree and the service control policies with their targets; and what one member account's snapshot keeps
//! of it ([`Membership`]): where the account sits, the SCPs that bound it, and the roles of other accounts
//! that trust it.

use serde::{Deserialize, Serialize};

use super::{CoverageRecord, PolicyDocument};

/// The AWS managed SCP that allows everything; attached to every root, OU and account by default.
pub const FULL_AWS_ACCESS: &str = "p-FullAWSAccess";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Organization {
    pub id: String,
    pub management_account: String,
    /// The root's id (`r-…`).
    pub root: String,
    /// Active accounts only, sorted by id.
    pub accounts: Vec<OrgAccount>,
    pub units: Vec<OrganizationalUnit>,
    /// Service control policies, sorted by id; `None` when they could not be listed (SCPs not enabled, or
    /// the call was denied: a coverage record says which).
    pub scps: Option<Vec<ServiceControlPolicy>>,
    /// What could not be read of the organization itself.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub coverage: Vec<CoverageRecord>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgAccount {
    pub id: String,
    pub name: String,
    /// The root or OU the account is directly in; `None` when the tree could not be read.
    pub parent: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganizationalUnit {
    pub id: String,
    pub name: String,
    pub parent: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceControlPolicy {
    pub id: String,
    pub name: String,
    pub aws_managed: bool,
    /// `None` when DescribePolicy failed.
    pub document: Option<PolicyDocument>,
    /// Root, OU and account ids it is attached to; `None` when ListTargetsForPolicy failed.
    pub targets: Option<Vec<String>>,
}

/// Where an SCP binds an account: its root, one of its OUs, or the account itself.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum Level {
    Root,
    Unit(String),
    Account,
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Level::Root => f.write_str("the root"),
            Level::Unit(name) => write!(f, "OU {name}"),
            Level::Account => f.write_str("the account"),
        }
    }
}

/// One SCP as applied to an account, at the level it is attached to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppliedScp {
    pub level: Level,
    pub id: String,
    pub name: String,
    pub document: Option<PolicyDocument>,
}

/// A role in another account of the organization whose trust admits this account, and what it can do
/// there (after that account's SCPs): the far end of a cross-account hop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeerRole {
    pub arn: String,
    pub account: String,
    pub name: String,
    /// An administrator there (else it can escalate privileges or is nearly one).
    pub admin: bool,
    /// "ops-admin is an administrator".
    pub reason: String,
    pub trust_policy: PolicyDocument,
}

/// What a member account's snapshot keeps of its organization: the analysis reads it (SCPs bound the
/// account's principals, peers are the far ends of cross-account paths), and `org.json` is built from it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Membership {
    pub organization: String,
    pub management_account: String,
    pub account_name: String,
    /// OU names from the root down ("Root/workloads/prod").
    pub ou_path: String,
    /// Every active account of the organization (ids): a trust of one of them is expected, not foreign.
    pub accounts: Vec<String>,
    /// The SCPs applied (root, OUs from the top, the account); `None` when they could not be read, so no
    /// guardrail is assumed. SCPs never bind the management account: there it is always empty.
    pub scps: Option<Vec<AppliedScp>>,
    /// Privileged roles of other accounts whose trust admits this account.
    #[serde(default)]
    pub peers: Vec<PeerRole>,
}

impl Membership {
    pub fn is_management(&self, account: &str) -> bool {
        self.management_account == account
    }
}

impl Organization {
    pub fn account(&self, id: &str) -> Option<&OrgAccount> {
        self.accounts.iter().find(|a| a.id == id)
    }

    fn unit(&self, id: &str) -> Option<&OrganizationalUnit> {
        self.units.iter().find(|u| u.id == id)
    }

    /// The OUs above an account, from the top down (the root excluded).
    pub fn units_above(&self, account: &str) -> Vec<&OrganizationalUnit> {
        let mut chain = Vec::new();
        let mut at = self.account(account).and_then(|a| a.parent.as_deref());
        while let Some(unit) = at.and_then(|id| self.unit(id)) {
            if chain.iter().any(|u: &&OrganizationalUnit| u.id == unit.id) {
                break; // a cycle cannot happen in AWS; a corrupt index must not hang us
            }
            chain.push(unit);
            at = Some(unit.parent.as_str());
        }
        chain.reverse();
        chain
    }

    /// "Root/workloads/prod"; "?" for an account whose place in the tree is unknown.
    pub fn ou_path(&self, account: &str) -> String {
        if self.account(account).and_then(|a| a.parent.as_ref()).is_none() {
            return "?".into();
        }
        std::iter::once("Root")
            .chain(self.units_above(account).iter().map(|u| u.name.as_str()))
            .collect::<Vec<_>>()
            .join("/")
    }

    /// The SCPs that bind `account`: those attached to the root, to each OU above it and to the account.
    /// `None` when the SCPs or the tree could not be read; empty for the management account.
    pub fn scps_for(&self, account: &str) -> Option<Vec<AppliedScp>> {
        if account == self.management_account {
            return Some(Vec::new());
        }
        let scps = self.scps.as_ref()?;
        self.account(account)?.parent.as_ref()?;
        let mut levels: Vec<(&str, Level)> = vec![(self.root.as_str(), Level::Root)];
        levels.extend(self.units_above(account).into_iter().map(|u| (u.id.as_str(), Level::Unit(u.name.clone()))));
        levels.push((account, Level::Account));
        let mut applied = Vec::new();
        for (target, level) in levels {
            for scp in scps {
                if scp.targets.as_ref()?.iter().any(|t| t == target) {
                    applied.push(AppliedScp {
                        level: level.clone(),
                        id: scp.id.clone(),
                        name: scp.name.clone(),
                        document: scp.document.clone(),
                    });
                }
            }
        }
        Some(applied)
    }

    /// What `account`'s snapshot keeps of the organization (peers are added once every account is analyzed).
    pub fn membership(&self, account: &str) -> Membership {
        Membership {
            organization: self.id.clone(),
            management_account: self.management_account.clone(),
            account_name: self.account(account).map(|a| a.name.clone()).unwrap_or_default(),
            ou_path: self.ou_path(account),
            accounts: self.accounts.iter().map(|a| a.id.clone()).collect(),
            scps: self.scps_for(account),
            peers: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> Organization {
        let scp = |id: &str, targets: &[&str]| ServiceControlPolicy {
            id: id.into(),
            name: id.trim_start_matches("p-").into(),
            aws_managed: id == FULL_AWS_ACCESS,
            document: Some(PolicyDocument::parse(
                r#"{"Statement":[{"Effect":"Deny","Action":"iam:*","Resource":"*"}]}"#,
            )),
            targets: Some(targets.iter().map(|t| (*t).to_owned()).collect()),
        };
        Organization {
            id: "o-1".into(),
            management_account: "111111111111".into(),
            root: "r-1".into(),
            accounts: vec![
                OrgAccount { id: "111111111111".into(), name: "mgmt".into(), parent: Some("r-1".into()) },
                OrgAccount { id: "222222222222".into(), name: "prod".into(), parent: Some("ou-prod".into()) },
                OrgAccount { id: "333333333333".into(), name: "lost".into(), parent: None },
            ],
            units: vec![
                OrganizationalUnit { id: "ou-work".into(), name: "workloads".into(), parent: "r-1".into() },
                OrganizationalUnit { id: "ou-prod".into(), name: "prod".into(), parent: "ou-work".into() },
            ],
            scps: Some(vec![scp(FULL_AWS_ACCESS, &["r-1", "ou-work"]), scp("p-noiam", &["ou-prod", "222222222222"])]),
            coverage: Vec::new(),
        }
    }

    #[test]
    fn an_account_is_bound_by_its_root_its_units_and_itself_in_that_order() {
        let org = sample();
        assert_eq!(org.ou_path("222222222222"), "Root/workloads/prod");
        let applied = org.scps_for("222222222222").expect("readable");
        let levels: Vec<(String, &str)> = applied.iter().map(|a| (a.level.to_string(), a.id.as_str())).collect();
        assert_eq!(
            levels,
            [
                ("the root".to_owned(), FULL_AWS_ACCESS),
                ("OU workloads".to_owned(), FULL_AWS_ACCESS),
                ("OU prod".to_owned(), "p-noiam"),
                ("the account".to_owned(), "p-noiam")
            ]
        );
        assert_eq!(org.scps_for("111111111111"), Some(Vec::new()), "SCPs never bind the management account");
        assert_eq!(org.scps_for("333333333333"), None, "an account outside the known tree has unknown SCPs");
        assert_eq!(org.ou_path("333333333333"), "?");
    }
}
