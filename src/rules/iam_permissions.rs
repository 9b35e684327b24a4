//! What identity policies grant: administrators, privilege escalation, service wildcards, NotAction.

use std::collections::BTreeMap;

use serde_json::json;

use super::{Draft, Evidence, Rule, RuleMeta, grant_discriminator, grant_location, statement_evidence};
use crate::analyze::policy::{ActionClause, Grant};
use crate::analyze::{Context, PrincipalKind, PrincipalView};
use crate::score::{Exposure, RiskInputs};

/// Principals a finding can be about: not AWS's service-linked roles, which the account cannot change.
fn principals<'c>(cx: &'c Context<'_>) -> impl Iterator<Item = &'c PrincipalView> {
    cx.principals.values().filter(|p| {
        p.kind != PrincipalKind::Role
            || cx.inventory.iam.roles.get(&p.arn).is_none_or(|r| !r.path.starts_with("/aws-service-role/"))
    })
}

/// The grants a principal holds itself (a user's group policies are reported on the group).
fn own_grants(view: &PrincipalView) -> impl Iterator<Item = &Grant> {
    view.permissions.grants.iter().filter(move |g| g.source.attached_to == view.arn)
}

/// Who can use the principal's permissions, as the graph sees it.
pub fn principal_exposure(cx: &Context<'_>, view: &PrincipalView) -> Option<(Exposure, String)> {
    let has_credentials = |arn: &str| {
        cx.inventory.iam.users.get(arn).is_some_and(|u| {
            u.console_access.present().is_some() || u.access_keys.iter().flatten().any(|k| k.status == "Active")
        })
    };
    match view.kind {
        PrincipalKind::Role => cx.role_exposure(&view.arn),
        PrincipalKind::User => has_credentials(&view.arn).then(|| {
            (Exposure::AuthenticatedInternet, format!("{} has a password or an active access key", view.name))
        }),
        PrincipalKind::Group => {
            let members: Vec<&str> = cx
                .inventory
                .iam
                .users
                .values()
                .filter(|u| u.groups.contains(&view.name))
                .map(|u| u.arn.as_str())
                .collect();
            members.iter().any(|m| has_credentials(m)).then(|| {
                (Exposure::AuthenticatedInternet, "a member has a password or an active access key".to_owned())
            })
        }
    }
}

/// An SCP that takes away part of what the policies grant reduces the risk of what is left: a compensating
/// control, shown among the score factors.
fn risk(cx: &Context<'_>, view: &PrincipalView) -> RiskInputs {
    RiskInputs {
        exposure: principal_exposure(cx, view),
        blast: Some(view.blast_radius()),
        compensating: view.bounded_by.clone(),
        ..RiskInputs::default()
    }
}

fn group_members(cx: &Context<'_>, view: &PrincipalView) -> Option<serde_json::Value> {
    (view.kind == PrincipalKind::Group).then(|| {
        json!(
            cx.inventory
                .iam
                .users
                .values()
                .filter(|u| u.groups.contains(&view.name))
                .map(|u| u.name.as_str())
                .collect::<Vec<_>>()
        )
    })
}

/// The statement that makes a principal privileged, and what it amounts to.
pub fn privilege_evidence<'v>(cx: &Context<'_>, view: &'v PrincipalView) -> Option<(&'v Grant, String)> {
    // An administrator on paper is shown as one (an SCP that bounds it is a factor); the rest as it stands.
    let full = cx.catalogue.len();
    if view.on_paper().admin {
        let grant = view.permissions.grants.iter().filter(|g| g.unconstrained).max_by_key(|g| g.actions.len())?;
        let what = if grant.actions.len() == full {
            "allows every action on every resource"
        } else {
            "its policies together allow every action on every resource"
        };
        return Some((grant, what.to_owned()));
    }
    let c = &view.capability;
    if let Some(escalation) = c.escalations.first() {
        let first = cx.catalogue.lookup(escalation.actions[0])?;
        let grant = view.permissions.grants.iter().find(|g| g.unconstrained && g.actions.contains(first))?;
        return Some((
            grant,
            format!("can escalate privileges with {} ({})", escalation.actions.join(" + "), escalation.how),
        ));
    }
    if c.near_admin {
        let grant = view.permissions.grants.iter().filter(|g| g.unconstrained).max_by_key(|g| g.actions.len())?;
        return Some((grant, "allows nearly every action on every resource".to_owned()));
    }
    None
}

pub static ADMIN_PRIVILEGES: Rule = Rule {
    meta: RuleMeta {
        id: "iam-admin-privileges",
        title: "Principal has full administrative privileges",
        rationale: "A user, group or role whose own policies allow every action on every resource (`\"Action\": \"*\"` on `\"Resource\": \"*\"`, directly or through a managed policy such as AdministratorAccess) without a condition. Reported on the principal the policy is attached to: a user who is an administrator through a group is reported once, on the group. Grants scoped by resource or condition, or cut back by an explicit Deny or a permissions boundary, do not trigger it.",
        remediation: "Replace the administrator policy with the permissions the principal needs; keep administrator access for a few human roles that require MFA and are assumed, not held by long-lived users or workloads.",
        references: &["AWS FSBP IAM.1", "CIS AWS Foundations 1.16"],
    },
    check: |cx, _, out| {
        for view in principals(cx) {
            // On paper: an SCP that bounds an administrator is a compensating control, not a fix.
            if !view.on_paper().admin {
                continue;
            }
            // Users in an administrator group: the group carries the finding.
            let own_full = {
                let mut set = cx.catalogue.empty_set();
                for g in own_grants(view).filter(|g| g.unconstrained) {
                    set.union_with(&g.actions);
                }
                set.len() == cx.catalogue.len()
            };
            if !own_full {
                continue;
            }
            let Some((grant, what)) = privilege_evidence(cx, view) else { continue };
            let mut evidence = statement_evidence(
                format!("{} {what}: {}", view.name, grant_location(grant)),
                grant_location(grant),
                &grant.statement,
            );
            if let Some(members) = group_members(cx, view) {
                evidence.details.insert("members".into(), members);
            }
            out.emit(
                Draft::new(
                    &view.arn,
                    "global",
                    grant_discriminator(grant),
                    format!("{} {} is an administrator", view.kind.label(), view.name),
                )
                .evidence(evidence)
                .risk(risk(cx, view)),
            );
        }
    },
};

pub static PRIVILEGE_ESCALATION: Rule = Rule {
    meta: RuleMeta {
        id: "iam-privilege-escalation",
        title: "Principal can escalate its own privileges",
        rationale: "Known privilege-escalation combinations (Rhino Security Labs, Cloudsplaining, PMapper): iam:CreatePolicyVersion, iam:Attach*/Put*Policy, iam:CreateAccessKey, iam:PassRole with lambda:CreateFunction + lambda:InvokeFunction, lambda:UpdateFunctionCode, iam:PassRole with ec2:RunInstances, cloudformation, glue, codebuild, sagemaker, datapipeline and more, held on all resources without a condition. Administrators are reported by iam-admin-privileges instead; combinations scoped to specific resources do not trigger it.",
        remediation: "Remove the escalating actions, or scope them to the exact resources needed (e.g. iam:PassRole on one role ARN with an iam:PassedToService condition; lambda:UpdateFunctionCode on the functions the pipeline deploys).",
        references: &[
            "https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/",
            "https://github.com/salesforce/cloudsplaining",
            "https://github.com/nccgroup/PMapper",
        ],
    },
    check: |cx, _, out| {
        for view in principals(cx) {
            // The escalations that remain under the SCPs; an administrator on paper is iam-admin-privileges'.
            let c = &view.capability;
            if view.on_paper().admin || c.escalations.is_empty() {
                continue;
            }
            // A user whose groups already escalate is reported on the group.
            if view.kind == PrincipalKind::User {
                let via_group = cx.inventory.iam.users.get(&view.arn).is_some_and(|u| {
                    // Groups are few; principals include every role.
                    cx.inventory
                        .iam
                        .groups
                        .values()
                        .filter(|g| u.groups.contains(&g.name))
                        .any(|g| cx.principals.get(&g.arn).is_some_and(|p| !p.capability.escalations.is_empty()))
                });
                if via_group {
                    continue;
                }
            }
            let Some((grant, what)) = privilege_evidence(cx, view) else { continue };
            let mut evidence =
                statement_evidence(format!("{} {what}", view.name), grant_location(grant), &grant.statement);
            let methods: BTreeMap<&str, String> =
                c.escalations.iter().map(|e| (e.id, format!("{}: {}", e.actions.join(" + "), e.how))).collect();
            evidence.details.insert("escalation_methods".into(), json!(methods));
            if let Some(members) = group_members(cx, view) {
                evidence.details.insert("members".into(), members);
            }
            let ids: Vec<&str> = c.escalations.iter().map(|e| e.id).collect();
            out.emit(
                Draft::new(&view.arn, "global", ids.join(","), escalation_title(&view.name, &c.escalations))
                    .evidence(evidence)
                    .risk(risk(cx, view)),
            );
        }
    },
};

pub static SERVICE_WILDCARD: Rule = Rule {
    meta: RuleMeta {
        id: "iam-service-wildcard",
        title: "Policy allows every action of a service on all resources",
        rationale: "`service:*` on `*` grants every present and future action of the service, including its destructive and permission-changing ones. Scoped grants such as `s3:*` on one bucket, wildcards within an access level (`s3:Get*`), and administrators (reported by iam-admin-privileges) do not trigger it.",
        remediation: "List the actions the principal calls (IAM Access Analyzer policy generation or last-accessed data shows them) and scope them to the resources it uses.",
        references: &["AWS FSBP IAM.21"],
    },
    check: |cx, _, out| {
        for view in principals(cx).filter(|v| !v.capability.admin) {
            for grant in own_grants(view).filter(|g| g.unconstrained) {
                let ActionClause::Action(patterns) = &grant.statement.actions else { continue };
                for pattern in patterns {
                    let Some((service, "*")) = pattern.split_once(':') else { continue };
                    if service.contains('*') || service.contains('?') {
                        continue;
                    }
                    let mut evidence = statement_evidence(
                        format!("{} allows {pattern} on all resources", grant_location(grant)),
                        grant_location(grant),
                        &grant.statement,
                    );
                    evidence.details.insert("service".into(), json!(service));
                    out.emit(
                        Draft::new(
                            &view.arn,
                            "global",
                            format!("{}:{service}", grant_discriminator(grant)),
                            format!("{} is allowed {pattern} on all resources", view.name),
                        )
                        .evidence(evidence)
                        .risk(risk(cx, view)),
                    );
                }
            }
        }
    },
};

pub static NOTACTION_ALLOW: Rule = Rule {
    meta: RuleMeta {
        id: "iam-notaction-allow",
        title: "Allow statement with NotAction on all resources",
        rationale: "An Allow with NotAction grants everything except the listed actions, including every action of services AWS launches later; on all resources it is almost always far broader than intended. NotAction inside a Deny (a common guard rail) and Allow+NotAction scoped to specific resources or conditions do not trigger it.",
        remediation: "Rewrite the statement as an Allow of the actions needed; keep NotAction for Deny statements.",
        references: &["https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html"],
    },
    check: |cx, _, out| {
        for view in principals(cx) {
            for grant in own_grants(view).filter(|g| g.unconstrained) {
                let ActionClause::NotAction(excluded) = &grant.statement.actions else { continue };
                let mut evidence: Evidence = statement_evidence(
                    format!(
                        "{} allows every action except {} on all resources",
                        grant_location(grant),
                        excluded.join(", ")
                    ),
                    grant_location(grant),
                    &grant.statement,
                );
                evidence.details.insert("actions_allowed".into(), json!(grant.actions.len()));
                out.emit(
                    Draft::new(
                        &view.arn,
                        "global",
                        grant_discriminator(grant),
                        format!("{} is allowed everything but {}", view.name, excluded.join(", ")),
                    )
                    .evidence(evidence)
                    .risk(risk(cx, view)),
                );
            }
        }
    },
};

pub static SECRET_READ_ALL: Rule = Rule {
    meta: RuleMeta {
        id: "iam-secret-read-all",
        title: "Principal can read every secret",
        rationale: "secretsmanager:GetSecretValue on all resources reads every secret of the account, and kms:Decrypt on all keys decrypts everything any customer managed key protects (parameters, environments, data); whoever controls the principal holds every credential stored there. Grants scoped to the secrets or keys the principal uses, grants restricted by a condition (kms:ViaService, aws:ResourceTag…), and administrators (reported by iam-admin-privileges) do not trigger it.",
        remediation: "Scope the statement to the secrets and keys the principal needs (`arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-*`, key ARNs), or add a condition such as kms:ViaService.",
        references: &[
            "AWS FSBP KMS.1",
            "AWS FSBP KMS.2",
            "https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_examples.html",
        ],
    },
    check: |cx, _, out| {
        const READS: [(&str, &str); 2] =
            [("secretsmanager:GetSecretValue", "read every secret"), ("kms:Decrypt", "decrypt with every KMS key")];
        for view in principals(cx).filter(|v| !v.capability.admin) {
            let effective = view.permissions.unconstrained(cx.catalogue);
            for (action, what) in READS {
                let Some(index) = cx.catalogue.lookup(action).filter(|i| effective.contains(*i)) else { continue };
                let Some(grant) = own_grants(view).find(|g| g.unconstrained && g.actions.contains(index)) else {
                    continue;
                };
                let mut evidence = statement_evidence(
                    format!("{} allows {action} on all resources, with no condition", grant_location(grant)),
                    grant_location(grant),
                    &grant.statement,
                );
                evidence.details.insert("action".into(), json!(action));
                if let Some(members) = group_members(cx, view) {
                    evidence.details.insert("members".into(), members);
                }
                out.emit(
                    Draft::new(
                        &view.arn,
                        "global",
                        format!("{}:{action}", grant_discriminator(grant)),
                        format!("{} can {what}", view.name),
                    )
                    .evidence(evidence)
                    .risk(risk(cx, view)),
                );
            }
        }
    },
};

/// "builder can escalate privileges: create a function with a privileged role and invoke it (and 2 other
/// ways)": the first method in words, not its id.
fn escalation_title(name: &str, methods: &[&crate::analyze::policy::escalation::Escalation]) -> String {
    let Some(first) = methods.first() else { return format!("{name} can escalate privileges") };
    let more = match methods.len() - 1 {
        0 => String::new(),
        1 => " (and 1 other way)".to_owned(),
        n => format!(" (and {n} other ways)"),
    };
    format!("{name} can escalate privileges: {}{more}", first.how)
}

/// Every escalation method the rule knows, for `stance explain`: id, the actions it needs, how it is abused.
pub fn escalation_methods() -> Vec<(&'static str, String, &'static str)> {
    crate::analyze::policy::escalation::ESCALATIONS.iter().map(|e| (e.id, e.actions.join(" + "), e.how)).collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::inventory::Observed;
    use crate::inventory::iam::LoginProfile;
    use crate::rules::fixture::*;

    const ADMIN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

    fn admin_policy(f: Fixture) -> Fixture {
        f.managed_policy(ADMIN, allow(json!("*"), json!("*")))
    }

    #[test]
    fn admin_privileges() {
        let fixture = admin_policy(Fixture::new())
            .role("ops", lambda_trust(), &[], &[ADMIN])
            .group("admins", &[], &[ADMIN])
            .user("alice", |u| {
                u.groups = vec!["admins".into()];
                u.console_access =
                    Observed::Present(LoginProfile { create_date: days_ago(30), password_reset_required: false });
            });
        let found = fixture.findings("iam-admin-privileges");
        insta::assert_yaml_snapshot!(summary(&found));
        assert_eq!(found.len(), 2, "the role and the group; alice is an administrator through the group");
        let conditioned = Fixture::new().role(
            "mfa-admin",
            lambda_trust(),
            &[(
                "all",
                json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]}),
            )],
            &[],
        );
        assert!(conditioned.findings("iam-admin-privileges").is_empty());
        let denied = admin_policy(Fixture::new()).role(
            "almost",
            lambda_trust(),
            &[("deny", json!({"Statement": [{"Effect": "Deny", "Action": "iam:*", "Resource": "*"}]}))],
            &[ADMIN],
        );
        assert!(denied.findings("iam-admin-privileges").is_empty());
        let read_only = Fixture::new()
            .managed_policy(
                "arn:aws:iam::aws:policy/ReadOnlyAccess",
                allow(json!(["s3:Get*", "lambda:List*"]), json!("*")),
            )
            .role("reader", lambda_trust(), &[], &["arn:aws:iam::aws:policy/ReadOnlyAccess"]);
        assert!(read_only.findings("iam-admin-privileges").is_empty());
    }

    #[test]
    fn privilege_escalation() {
        let found = Fixture::new()
            .role(
                "builder",
                lambda_trust(),
                &[(
                    "build",
                    allow(json!(["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"]), json!("*")),
                )],
                &[],
            )
            .findings("iam-privilege-escalation");
        insta::assert_yaml_snapshot!(summary(&found));
        assert_eq!(found.len(), 1);
        let scoped = Fixture::new().role("deploy", lambda_trust(), &[("deploy", json!({"Statement": [
            {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::123456789012:role/app"},
            {"Effect": "Allow", "Action": ["lambda:UpdateFunctionCode", "lambda:CreateFunction"], "Resource": "arn:aws:lambda:*:123456789012:function:app-*"}]}))], &[]);
        assert!(scoped.findings("iam-privilege-escalation").is_empty());
        let admin = admin_policy(Fixture::new()).role("ops", lambda_trust(), &[], &[ADMIN]);
        assert!(admin.findings("iam-privilege-escalation").is_empty(), "administrators are reported as such");
    }

    #[test]
    fn service_wildcard() {
        let found = Fixture::new()
            .role("files", lambda_trust(), &[("s3", allow(json!("s3:*"), json!("*")))], &[])
            .findings("iam-service-wildcard");
        insta::assert_yaml_snapshot!(summary(&found));
        assert_eq!(found.len(), 1);
        let one_bucket = Fixture::new().role(
            "files",
            lambda_trust(),
            &[("s3", allow(json!("s3:*"), json!(["arn:aws:s3:::b", "arn:aws:s3:::b/*"])))],
            &[],
        );
        assert!(one_bucket.findings("iam-service-wildcard").is_empty());
        let reads = Fixture::new().role("files", lambda_trust(), &[("s3", allow(json!("s3:Get*"), json!("*")))], &[]);
        assert!(reads.findings("iam-service-wildcard").is_empty());
    }

    #[test]
    fn notaction_allow() {
        let found = Fixture::new()
            .role("broad", lambda_trust(), &[("all-but-iam", json!({"Statement": [{"Sid": "AllButIam", "Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]}))], &[])
            .findings("iam-notaction-allow");
        insta::assert_yaml_snapshot!(summary(&found));
        assert_eq!(found.len(), 1);
        let guard_rail = Fixture::new().role(
            "guarded",
            lambda_trust(),
            &[(
                "guard",
                json!({"Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
            {"Effect": "Deny", "NotAction": ["s3:GetObject"], "Resource": "*"}]}),
            )],
            &[],
        );
        assert!(guard_rail.findings("iam-notaction-allow").is_empty());
        let scoped = Fixture::new().role("scoped", lambda_trust(), &[("scoped", json!({"Statement": [{"Effect": "Allow", "NotAction": "s3:DeleteObject", "Resource": "arn:aws:s3:::b/*"}]}))], &[]);
        assert!(scoped.findings("iam-notaction-allow").is_empty());
    }

    #[test]
    fn secret_read_all() {
        let fixture = Fixture::new()
            .role("reader", lambda_trust(), &[("r", allow(json!("secretsmanager:GetSecretValue"), json!("*")))], &[])
            .role("decrypter", lambda_trust(), &[("d", allow(json!(["kms:Decrypt", "kms:Encrypt"]), json!("*")))], &[])
            .role(
                "scoped",
                lambda_trust(),
                &[(
                    "s",
                    allow(
                        json!("secretsmanager:GetSecretValue"),
                        json!("arn:aws:secretsmanager:us-east-1:123456789012:secret:payments/*"),
                    ),
                )],
                &[],
            )
            .role(
                "via-service",
                lambda_trust(),
                &[(
                    "v",
                    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*", "Condition": {"StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}}}]}),
                )],
                &[],
            )
            .managed_policy("arn:aws:iam::aws:policy/AdministratorAccess", allow(json!("*"), json!("*")))
            .role("admin", lambda_trust(), &[], &["arn:aws:iam::aws:policy/AdministratorAccess"]);
        let found = fixture.findings("iam-secret-read-all");
        insta::assert_yaml_snapshot!(summary(&found));
        let roles: Vec<&str> = found.iter().map(|f| f.resource_arn.rsplit('/').next().unwrap()).collect();
        assert_eq!(found.len(), 2, "{roles:?}");
        assert!(roles.contains(&"reader") && roles.contains(&"decrypter"));
    }

    #[test]
    fn an_scp_that_denies_iam_removes_escalation_and_is_the_admins_compensating_control() {
        let deny_iam = |m: &mut crate::inventory::org::Membership| {
            m.scps = Some(vec![crate::inventory::org::AppliedScp {
                level: crate::inventory::org::Level::Unit("sandbox".into()),
                id: "p-noiam".into(),
                name: "DenyIAM".into(),
                document: Some(doc(json!({"Statement": [{"Effect": "Deny", "Action": "iam:*", "Resource": "*"}]}))),
            }]);
        };
        let account = || {
            Fixture::new()
                .managed_policy("arn:aws:iam::aws:policy/AdministratorAccess", allow(json!("*"), json!("*")))
                .role("boss", lambda_trust(), &[], &["arn:aws:iam::aws:policy/AdministratorAccess"])
                .role("builder", lambda_trust(), &[("p", allow(json!("iam:CreatePolicyVersion"), json!("*")))], &[])
        };
        let free = account().in_organization(|_| {});
        let bound = account().in_organization(deny_iam);
        assert_eq!(free.findings("iam-privilege-escalation").len(), 1);
        assert!(bound.findings("iam-privilege-escalation").is_empty(), "the SCP takes the escalation away");
        let factor = |fixture: &Fixture| {
            fixture.findings("iam-admin-privileges")[0]
                .factors
                .iter()
                .find(|f| f.name == "compensating_control")
                .map(|f| f.value.clone())
        };
        assert_eq!(factor(&free), None);
        assert_eq!(factor(&bound).as_deref(), Some("SCP DenyIAM (p-noiam) on OU sandbox: denies iam:*"));
        assert!(
            free.findings("iam-admin-privileges")[0].score > bound.findings("iam-admin-privileges")[0].score,
            "the bound administrator still shows, ranked lower"
        );
        // The management account is never bound by its organization's SCPs.
        let management = account().in_organization(|m| {
            deny_iam(m);
            m.management_account = "123456789012".into();
        });
        assert_eq!(management.findings("iam-privilege-escalation").len(), 1);
    }
}
