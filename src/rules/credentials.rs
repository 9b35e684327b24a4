//! Credentials over time: unused roles, old and duplicate access keys, console users without MFA.
//! Every age is measured at the scan's `--as-of` time, so results are reproducible.

use crate::finding::Details;

use serde_json::json;

use super::{Draft, Evidence, Rule, RuleMeta};
use crate::analyze::Context;
use crate::inventory::iam::{AccessKey, IamUser};
use crate::score::{Exposure, RiskInputs};

/// A second key younger than this is a rotation in progress, not a forgotten key.
pub const ROTATION_GRACE_DAYS: i64 = 14;

fn key_details(cx: &Context<'_>, key: &AccessKey) -> Details {
    let mut details = Details::new();
    details.insert("access_key_id".into(), json!(key.id));
    details.insert("status".into(), json!(key.status));
    if let Some(created) = key.create_date {
        details.insert("created".into(), json!(created.to_rfc3339()));
        details.insert("age_days".into(), json!(cx.age_days(created)));
    }
    if let Some(used) = key.last_used.present() {
        details.insert("last_used".into(), json!(used.date.map(|d| d.to_rfc3339())));
    }
    details
}

fn user_risk(cx: &Context<'_>, user: &IamUser, age: Option<i64>) -> RiskInputs {
    RiskInputs {
        exposure: Some((Exposure::AuthenticatedInternet, "IAM user credentials work from anywhere".into())),
        blast: cx.principals.get(&user.arn).map(|v| v.blast_radius()),
        credential_age_days: age,
        compensating: Vec::new(),
        unaudited: None,
    }
}

fn active(key: &AccessKey) -> bool {
    key.status == "Active"
}

pub static ROLE_UNUSED: Rule = Rule {
    meta: RuleMeta {
        id: "iam-role-unused",
        title: "Role not used for more than 90 days",
        rationale: "A role older than 90 days that was never assumed, or not in the last 90 days (IAM's RoleLastUsed), is standing access nobody needs (90 days unless the policy file's `role_unused_days` says otherwise). Roles younger than 90 days, recently used roles, service-linked roles, and roles whose last use could not be read do not trigger it.",
        remediation: "Confirm with its owner and delete the role (or remove its policies and trust first); IAM Access Analyzer's unused-access findings track this continuously.",
        references: &[
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_manage_delete.html#roles-managingrole-deleting-find-unused",
        ],
    },
    check: |cx, _, out| {
        for role in cx.inventory.iam.roles.values().filter(|r| !r.path.starts_with("/aws-service-role/")) {
            let (Some(created), Some(last_used)) = (role.create_date, &role.last_used) else { continue };
            let age = cx.age_days(created);
            let unused_days = cx.settings.thresholds.role_unused_days;
            if age <= unused_days {
                continue;
            }
            let idle = last_used.date.map(|d| cx.age_days(d));
            if idle.is_some_and(|days| days <= unused_days) {
                continue;
            }
            let mut details = Details::new();
            details.insert("created".into(), json!(created.to_rfc3339()));
            details.insert("age_days".into(), json!(age));
            details.insert("last_used".into(), json!(last_used.date.map(|d| d.to_rfc3339())));
            let summary = match idle {
                Some(days) => format!("role {} ({age} days old) was last used {days} days ago", role.name),
                None => format!("role {} ({age} days old) has never been used", role.name),
            };
            let evidence = Evidence { summary, location: Some(role.arn.clone()), statement: None, details };
            let risk = RiskInputs {
                exposure: cx.role_exposure(&role.arn),
                blast: cx.principals.get(&role.arn).map(|v| v.blast_radius()),
                credential_age_days: Some(age),
                compensating: Vec::new(),
                unaudited: None,
            };
            out.emit(
                Draft::new(&role.arn, "global", "unused", format!("Role {} is unused", role.name))
                    .evidence(evidence)
                    .risk(risk),
            );
        }
    },
};

pub static ACCESS_KEY_NOT_ROTATED: Rule = Rule {
    meta: RuleMeta {
        id: "iam-access-key-not-rotated",
        title: "Active access key older than 90 days",
        rationale: "Long-lived access keys leak (laptops, CI logs, repositories); the longer a key lives the more likely it has. An active key created more than 90 days (the policy file's `access_key_max_age_days`) before the evaluation time triggers it; younger keys and inactive keys do not.",
        remediation: "Rotate: create a second key, move every consumer to it, deactivate and then delete the old one. Better, replace the user's keys with a role (IAM Roles Anywhere, OIDC federation for CI).",
        references: &["AWS FSBP IAM.3", "CIS AWS Foundations 1.14"],
    },
    check: |cx, _, out| {
        for user in cx.inventory.iam.users.values() {
            for key in user.access_keys.iter().flatten().filter(|k| active(k)) {
                let Some(created) = key.create_date else { continue };
                let age = cx.age_days(created);
                if age <= cx.settings.thresholds.access_key_max_age_days {
                    continue;
                }
                let evidence = Evidence {
                    summary: format!("access key {} of {} is active and {age} days old", key.id, user.name),
                    location: Some(user.arn.clone()),
                    statement: None,
                    details: key_details(cx, key),
                };
                out.emit(
                    Draft::new(
                        &user.arn,
                        "global",
                        &key.id,
                        format!("Access key {} of {} is {age} days old", key.id, user.name),
                    )
                    .evidence(evidence)
                    .risk(user_risk(cx, user, Some(age))),
                );
            }
        }
    },
};

pub static USER_MULTIPLE_ACTIVE_KEYS: Rule = Rule {
    meta: RuleMeta {
        id: "iam-user-multiple-active-keys",
        title: "User with two active access keys",
        rationale: "Two active keys double what can leak, and usually mean a rotation left half done. A user whose newer key is younger than 14 days is mid-rotation and does not trigger it.",
        remediation: "Find which key is still in use (GetAccessKeyLastUsed), move its consumers to the other, then deactivate and delete it.",
        references: &["CIS AWS Foundations 1.13"],
    },
    check: |cx, _, out| {
        for user in cx.inventory.iam.users.values() {
            let keys: Vec<&AccessKey> = user.access_keys.iter().flatten().filter(|k| active(k)).collect();
            if keys.len() < 2 {
                continue;
            }
            let newest = keys.iter().filter_map(|k| k.create_date).max();
            if newest.is_some_and(|d| cx.age_days(d) < ROTATION_GRACE_DAYS) {
                continue;
            }
            let details = Details::from([(
                "keys".to_owned(),
                json!(keys.iter().map(|k| key_details(cx, k)).collect::<Vec<_>>()),
            )]);
            let evidence = Evidence {
                summary: format!(
                    "{} has {} active access keys: {}",
                    user.name,
                    keys.len(),
                    keys.iter().map(|k| k.id.as_str()).collect::<Vec<_>>().join(", ")
                ),
                location: Some(user.arn.clone()),
                statement: None,
                details,
            };
            let oldest = keys.iter().filter_map(|k| k.create_date).min().map(|d| cx.age_days(d));
            out.emit(
                Draft::new(
                    &user.arn,
                    "global",
                    "active-keys",
                    format!("{} has {} active access keys", user.name, keys.len()),
                )
                .evidence(evidence)
                .risk(user_risk(cx, user, oldest)),
            );
        }
    },
};

pub static USER_CONSOLE_NO_MFA: Rule = Rule {
    meta: RuleMeta {
        id: "iam-user-console-no-mfa",
        title: "Console user without MFA",
        rationale: "A console password without a second factor falls to phishing and password reuse. A user with a login profile and no MFA device triggers it (the credential report answers when the MFA devices could not be listed), as does a root user without MFA; users without a console password and users with MFA do not.",
        remediation: "Require MFA: assign a virtual or hardware MFA device (or a passkey) to the user, and enforce it with a policy that denies actions when aws:MultiFactorAuthPresent is false; better, move people to IAM Identity Center.",
        references: &["AWS FSBP IAM.5", "CIS AWS Foundations 1.10", "AWS FSBP IAM.9 (root)"],
    },
    check: |cx, _, out| {
        let report = cx.inventory.iam.credential_report.present();
        for user in cx.inventory.iam.users.values() {
            if user.console_access.present().is_none() {
                continue;
            }
            let mfa = match &user.mfa_devices {
                Some(devices) => Some(!devices.is_empty()),
                None => {
                    report.and_then(|r| r.rows.iter().find(|row| row.arn == user.arn)).and_then(|row| row.mfa_active)
                }
            };
            if mfa != Some(false) {
                continue;
            }
            let evidence = Evidence {
                summary: format!("{} has a console password and no MFA device", user.name),
                location: Some(user.arn.clone()),
                statement: None,
                details: Details::from([(
                    "password_created".to_owned(),
                    json!(user.console_access.present().and_then(|p| p.create_date).map(|d| d.to_rfc3339())),
                )]),
            };
            out.emit(
                Draft::new(
                    &user.arn,
                    "global",
                    "console",
                    format!("{} signs in to the console without MFA", user.name),
                )
                .evidence(evidence)
                .risk(user_risk(cx, user, None)),
            );
        }
        if let Some(root) = report.and_then(|r| r.rows.iter().find(|row| row.user == "<root_account>"))
            && root.mfa_active == Some(false)
        {
            let evidence = Evidence {
                summary: "the root user has no MFA device".into(),
                location: Some(root.arn.clone()),
                ..Evidence::default()
            };
            let risk = RiskInputs {
                exposure: Some((Exposure::AuthenticatedInternet, "the root password works from anywhere".into())),
                blast: Some((crate::score::BlastRadius::Admin, "root can do anything".into())),
                ..RiskInputs::default()
            };
            out.emit(
                Draft::new(&root.arn, "global", "root", "The root user signs in without MFA")
                    .evidence(evidence)
                    .risk(risk),
            );
        }
    },
};

pub static ACCESS_KEY_STALE_INACTIVE: Rule = Rule {
    meta: RuleMeta {
        id: "iam-access-key-stale-inactive",
        title: "Inactive access key older than 90 days not deleted",
        rationale: "An inactive key can be reactivated by anyone with iam:UpdateAccessKey; one created more than 90 days ago (`access_key_max_age_days`) and left inactive is clutter that hides real keys. Recently created inactive keys (a rotation in progress) and active keys do not trigger it.",
        remediation: "Delete the key (`aws iam delete-access-key`).",
        references: &["AWS FSBP IAM.8", "CIS AWS Foundations 1.12"],
    },
    check: |cx, _, out| {
        for user in cx.inventory.iam.users.values() {
            for key in user.access_keys.iter().flatten().filter(|k| !active(k)) {
                let Some(created) = key.create_date else { continue };
                let age = cx.age_days(created);
                if age <= cx.settings.thresholds.access_key_max_age_days {
                    continue;
                }
                let evidence = Evidence {
                    summary: format!("access key {} of {} is inactive and {age} days old", key.id, user.name),
                    location: Some(user.arn.clone()),
                    statement: None,
                    details: key_details(cx, key),
                };
                let risk = RiskInputs { credential_age_days: Some(age), ..RiskInputs::default() };
                out.emit(
                    Draft::new(
                        &user.arn,
                        "global",
                        &key.id,
                        format!("Inactive access key {} of {} was never deleted", key.id, user.name),
                    )
                    .evidence(evidence)
                    .risk(risk),
                );
            }
        }
    },
};

#[cfg(test)]
mod tests {
    use crate::inventory::Observed;
    use crate::inventory::iam::{LoginProfile, MfaDevice, RoleLastUsed};
    use crate::rules::fixture::*;

    #[test]
    fn role_unused() {
        let fixture = |age: i64, last_used: Option<i64>| {
            Fixture::new().role("r", lambda_trust(), &[], &[]).edit_role("r", |r| {
                r.create_date = days_ago(age);
                r.last_used = Some(RoleLastUsed { date: last_used.and_then(days_ago), region: None });
            })
        };
        let found = fixture(400, None).findings("iam-role-unused");
        insta::assert_yaml_snapshot!(summary(&found));
        assert_eq!(found.len(), 1);
        assert_eq!(fixture(200, Some(120)).findings("iam-role-unused").len(), 1, "not used for 120 days");
        assert!(fixture(200, Some(3)).findings("iam-role-unused").is_empty(), "used recently");
        assert!(fixture(30, None).findings("iam-role-unused").is_empty(), "young");
        let unknown = Fixture::new().role("r", lambda_trust(), &[], &[]).edit_role("r", |r| {
            r.create_date = days_ago(400);
            r.last_used = None;
        });
        assert!(unknown.findings("iam-role-unused").is_empty(), "last use unknown: no verdict");
    }

    #[test]
    fn access_key_not_rotated() {
        let found = Fixture::new()
            .user("ci", |u| u.access_keys = Some(vec![key("AKIAOLD", "Active", 200)]))
            .findings("iam-access-key-not-rotated");
        insta::assert_yaml_snapshot!(summary(&found));
        assert_eq!(found.len(), 1);
        let fine = Fixture::new()
            .user("ci", |u| u.access_keys = Some(vec![key("AKIANEW", "Active", 30), key("AKIAOFF", "Inactive", 300)]));
        assert!(fine.findings("iam-access-key-not-rotated").is_empty());
    }

    #[test]
    fn multiple_active_keys() {
        let found = Fixture::new()
            .user("svc", |u| u.access_keys = Some(vec![key("AKIA1", "Active", 120), key("AKIA2", "Active", 60)]))
            .findings("iam-user-multiple-active-keys");
        insta::assert_yaml_snapshot!(summary(&found));
        assert_eq!(found.len(), 1);
        let mid_rotation = Fixture::new()
            .user("svc", |u| u.access_keys = Some(vec![key("AKIA1", "Active", 120), key("AKIA2", "Active", 2)]));
        assert!(mid_rotation.findings("iam-user-multiple-active-keys").is_empty());
        let one_active = Fixture::new()
            .user("svc", |u| u.access_keys = Some(vec![key("AKIA1", "Active", 120), key("AKIA2", "Inactive", 60)]));
        assert!(one_active.findings("iam-user-multiple-active-keys").is_empty());
    }

    #[test]
    fn console_without_mfa() {
        let console = || Observed::Present(LoginProfile { create_date: days_ago(100), password_reset_required: false });
        let found = Fixture::new().user("bob", |u| u.console_access = console()).findings("iam-user-console-no-mfa");
        insta::assert_yaml_snapshot!(summary(&found));
        assert_eq!(found.len(), 1);
        let with_mfa = Fixture::new().user("alice", |u| {
            u.console_access = console();
            u.mfa_devices = Some(vec![MfaDevice {
                serial_number: "arn:aws:iam::123456789012:mfa/alice".into(),
                enable_date: days_ago(10),
            }]);
        });
        assert!(with_mfa.findings("iam-user-console-no-mfa").is_empty());
        assert!(
            Fixture::new().user("svc", |_| {}).findings("iam-user-console-no-mfa").is_empty(),
            "no console password"
        );
    }

    #[test]
    fn stale_inactive_key() {
        let found = Fixture::new()
            .user("gone", |u| u.access_keys = Some(vec![key("AKIAOFF", "Inactive", 150)]))
            .findings("iam-access-key-stale-inactive");
        insta::assert_yaml_snapshot!(summary(&found));
        assert_eq!(found.len(), 1);
        let recent = Fixture::new().user("rotating", |u| u.access_keys = Some(vec![key("AKIAOFF", "Inactive", 10)]));
        assert!(recent.findings("iam-access-key-stale-inactive").is_empty());
    }
}
