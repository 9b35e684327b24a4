//! Where secrets live: Secrets Manager secrets (rotation, use, who their resource policy admits) and SSM
//! parameters that hold a secret in plain text.

use crate::finding::Details;

use serde_json::json;

use super::resource_policy::{Admits, openings};
use super::{Draft, Evidence, Rule, RuleMeta};
use crate::analyze::Context;
use crate::analyze::policy::principals::PUBLIC_RESTRICTING_KEYS;
use crate::inventory::names_a_secret;
use crate::inventory::secretsmanager::Secret;
use crate::score::{Exposure, RiskInputs};

/// Secrets a finding can be about: not those scheduled for deletion, which are on their way out.
fn live_secrets<'c>(cx: &'c Context<'_>) -> impl Iterator<Item = &'c Secret> {
    cx.inventory.secretsmanager.secrets.values().filter(|s| s.deletion_date.is_none())
}

fn secret_evidence(summary: String, secret: &Secret, details: Details) -> Evidence {
    Evidence { summary, location: Some(secret.arn.clone()), statement: None, details }
}

pub static ROTATION_DISABLED: Rule = Rule {
    meta: RuleMeta {
        id: "secretsmanager-rotation-disabled",
        title: "Secret without automatic rotation",
        rationale: "A secret that never rotates stays valid for as long as anyone who once read it (a leaked log, a departed engineer, a compromised function) keeps it. Secrets managed by another AWS service (RDS, Redshift… named by OwningService) rotate themselves and do not trigger it, nor do secrets scheduled for deletion.",
        remediation: "Turn on rotation with a rotation function: `aws secretsmanager rotate-secret --secret-id NAME --rotation-lambda-arn FUNCTION_ARN --rotation-rules AutomaticallyAfterDays=30` (or let RDS manage the master password).",
        references: &[
            "AWS FSBP SecretsManager.1",
            "https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotating-secrets.html",
        ],
    },
    check: |cx, _, out| {
        for secret in live_secrets(cx).filter(|s| !s.rotation_enabled && s.owning_service.is_none()) {
            let changed = secret.last_changed.or(secret.created);
            let mut details = Details::new();
            details.insert("created".into(), json!(secret.created));
            if let Some(changed) = changed {
                details.insert("age_days".into(), json!(cx.age_days(changed)));
            }
            let evidence = secret_evidence(
                format!("secret {} has no automatic rotation configured", secret.name),
                secret,
                details,
            );
            let risk = RiskInputs { credential_age_days: changed.map(|c| cx.age_days(c)), ..RiskInputs::default() };
            out.emit(
                Draft::new(&secret.arn, &secret.region, "", format!("Secret {} does not rotate", secret.name))
                    .evidence(evidence)
                    .risk(risk),
            );
        }
    },
};

pub static ROTATION_OVERDUE: Rule = Rule {
    meta: RuleMeta {
        id: "secretsmanager-rotation-overdue",
        title: "Secret rotation is overdue",
        rationale: "Rotation is configured but has not happened on schedule: the last rotation (or the creation, if it never rotated) is older than the schedule's interval plus a day of grace, or older than 90 days when the schedule (a cron expression) gives no interval; the policy file's `secret_rotation_max_days` caps both. A failing rotation function usually causes it. Secrets rotated on schedule do not trigger it.",
        remediation: "Look at the rotation function's logs for the failure, fix it, and rotate now: `aws secretsmanager rotate-secret --secret-id NAME`.",
        references: &[
            "AWS FSBP SecretsManager.2",
            "AWS FSBP SecretsManager.4",
            "https://docs.aws.amazon.com/secretsmanager/latest/userguide/troubleshoot_rotation.html",
        ],
    },
    check: |cx, _, out| {
        for secret in live_secrets(cx).filter(|s| s.rotation_enabled) {
            let Some(last) = secret.last_rotated.or(secret.created) else { continue };
            let interval = secret.rotation.as_ref().and_then(|r| r.interval_days());
            let allowed = cx.settings.thresholds.secret_rotation_allowance(interval);
            let age = cx.age_days(last);
            if age <= allowed {
                continue;
            }
            let mut details = Details::new();
            details.insert("last_rotated".into(), json!(secret.last_rotated));
            details.insert("rotation_interval_days".into(), json!(interval));
            details.insert("age_days".into(), json!(age));
            let since = if secret.last_rotated.is_some() { "last rotated" } else { "created, never rotated," };
            let evidence = secret_evidence(
                format!("secret {} was {since} {age} days ago; its schedule allows {allowed}", secret.name),
                secret,
                details,
            );
            let risk = RiskInputs { credential_age_days: Some(age), ..RiskInputs::default() };
            out.emit(
                Draft::new(&secret.arn, &secret.region, "", format!("Rotation of secret {} is overdue", secret.name))
                    .evidence(evidence)
                    .risk(risk),
            );
        }
    },
};

pub static SECRET_UNUSED: Rule = Rule {
    meta: RuleMeta {
        id: "secretsmanager-secret-unused",
        title: "Secret not accessed in 90 days",
        rationale: "A secret older than 90 days that nothing has read in 90 days (or ever; the policy file's `secret_unused_days`) is probably a credential nobody needs, still valid, still readable by whoever may read it. Secrets read recently, secrets younger than 90 days and secrets scheduled for deletion do not trigger it.",
        remediation: "Confirm nothing uses it (CloudTrail GetSecretValue events), revoke the credential it holds, and delete it: `aws secretsmanager delete-secret --secret-id NAME --recovery-window-in-days 30`.",
        references: &[
            "AWS FSBP SecretsManager.3",
            "https://docs.aws.amazon.com/secretsmanager/latest/userguide/manage_delete-secret.html",
        ],
    },
    check: |cx, _, out| {
        for secret in live_secrets(cx) {
            let Some(created) = secret.created else { continue };
            let unused_days = cx.settings.thresholds.secret_unused_days;
            if cx.age_days(created) <= unused_days
                || secret.last_accessed.is_some_and(|a| cx.age_days(a) <= unused_days)
            {
                continue;
            }
            let mut details = Details::new();
            details.insert("created".into(), json!(created));
            details.insert("last_accessed".into(), json!(secret.last_accessed));
            details.insert("age_days".into(), json!(cx.age_days(created)));
            let when = match secret.last_accessed {
                Some(accessed) => format!("last accessed {} days ago", cx.age_days(accessed)),
                None => "never accessed".to_owned(),
            };
            let evidence = secret_evidence(
                format!("secret {} is {} days old and was {when}", secret.name, cx.age_days(created)),
                secret,
                details,
            );
            out.emit(
                Draft::new(&secret.arn, &secret.region, "", format!("Secret {} is unused", secret.name))
                    .evidence(evidence),
            );
        }
    },
};

pub static PUBLIC_RESOURCE_POLICY: Rule = Rule {
    meta: RuleMeta {
        id: "secretsmanager-public-resource-policy",
        title: "Secret resource policy admits anyone",
        rationale: "A resource policy statement that allows secretsmanager:GetSecretValue to Principal `*` (or `{\"AWS\": \"*\"}`) with no condition restricting the caller's organization, account or source lets a principal of any AWS account read the secret. Statements restricted by aws:PrincipalOrgID, aws:PrincipalAccount, aws:SourceArn and similar keys, and statements naming specific principals, do not trigger it.",
        remediation: "Remove the statement or name the principals that need the secret: `aws secretsmanager delete-resource-policy --secret-id NAME`, or `put-resource-policy` with `--block-public-policy`.",
        references: &[
            "https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_resource-policies.html",
        ],
    },
    check: |cx, _, out| {
        for secret in live_secrets(cx) {
            let Some(policy) = cx.resource_policies.get(&secret.arn) else { continue };
            let openings = openings(cx, policy, &["secretsmanager:GetSecretValue"], PUBLIC_RESTRICTING_KEYS);
            for opening in openings.iter().filter(|o| o.admits == Admits::Anyone) {
                let statement = opening.statement;
                let evidence = opening.evidence(
                    format!(
                        "statement {} of the resource policy of {} lets any principal read its value, with no condition",
                        statement.label(),
                        secret.name
                    ),
                    "resource policy",
                    &secret.arn,
                );
                let risk = RiskInputs {
                    exposure: Some((Exposure::AnyAwsPrincipal, "any AWS account can call GetSecretValue".into())),
                    ..RiskInputs::default()
                };
                out.emit(
                    Draft::new(
                        &secret.arn,
                        &secret.region,
                        statement.label(),
                        format!("Anyone can read secret {}", secret.name),
                    )
                    .evidence(evidence)
                    .risk(risk),
                );
            }
        }
    },
};

pub static PARAMETER_PLAINTEXT_SECRET: Rule = Rule {
    meta: RuleMeta {
        id: "ssm-parameter-plaintext-secret",
        title: "SSM parameter holds a secret in plain text",
        rationale: "A String or StringList parameter whose name says it holds a secret (password, secret, token, api key, private key, credentials…) is stored unencrypted and readable by anyone with ssm:GetParameter, without kms:Decrypt, and shows in plain text in the console and in parameter history. The same name as a SecureString, and configuration about a secret (`password-min-length`, `token-ttl`, `db-secret-arn`), do not trigger it. stance reads the name only, never the value.",
        remediation: "Re-create it as a SecureString and rotate the value (it was readable in clear): `aws ssm put-parameter --name NAME --type SecureString --overwrite --value NEW_VALUE`, or move it to Secrets Manager.",
        references: &[
            "https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-securestring.html",
        ],
    },
    check: |cx, _, out| {
        let parameters = cx.inventory.ssm.parameters.values();
        for parameter in parameters.filter(|p| !p.is_secure() && names_a_secret(&p.name)) {
            let mut details = Details::new();
            details.insert("type".into(), json!(parameter.parameter_type));
            details.insert("tier".into(), json!(parameter.tier));
            let evidence = Evidence {
                summary: format!(
                    "parameter {} is a {} (not a SecureString) and its name says it holds a secret",
                    parameter.name, parameter.parameter_type
                ),
                location: Some(parameter.arn.clone()),
                statement: None,
                details,
            };
            out.emit(
                Draft::new(
                    &parameter.arn,
                    &parameter.region,
                    "",
                    format!("Parameter {} stores a secret unencrypted", parameter.name),
                )
                .evidence(evidence),
            );
        }
    },
};

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::inventory::Observed;
    use crate::inventory::secretsmanager::RotationRules;
    use crate::rules::fixture::*;

    fn rotating(days: Option<i64>, expression: Option<&str>) -> Option<RotationRules> {
        Some(RotationRules {
            automatically_after_days: days,
            schedule_expression: expression.map(str::to_owned),
            duration: None,
        })
    }

    #[test]
    fn rotation_disabled() {
        let fixture = Fixture::new()
            .secret("payments/db", 200, |_| {})
            .secret("rds!cluster-1", 200, |s| s.owning_service = Some("rds".into()))
            .secret("rotated", 200, |s| s.rotation_enabled = true)
            .secret("leaving", 200, |s| s.deletion_date = days_ago(-7));
        let found = fixture.findings("secretsmanager-rotation-disabled");
        insta::assert_yaml_snapshot!(summary(&found));
        assert_eq!(found.len(), 1, "the service-owned, rotating and leaving secrets are fine");
        assert_eq!(found[0].resource_arn, secret_arn("payments/db"));
    }

    #[test]
    fn rotation_overdue() {
        let fixture = Fixture::new()
            .secret("stuck", 200, |s| {
                s.rotation_enabled = true;
                s.rotation = rotating(Some(30), None);
                s.last_rotated = days_ago(45);
            })
            .secret("cron-never-rotated", 200, |s| {
                s.rotation_enabled = true;
                s.rotation = rotating(None, Some("cron(0 16 1 * ? *)"));
            })
            .secret("on-time", 200, |s| {
                s.rotation_enabled = true;
                s.rotation = rotating(None, Some("rate(30 days)"));
                s.last_rotated = days_ago(31);
            })
            .secret("young", 20, |s| {
                s.rotation_enabled = true;
                s.rotation = rotating(Some(30), None);
            });
        let found = fixture.findings("secretsmanager-rotation-overdue");
        insta::assert_yaml_snapshot!(summary(&found));
        let resources: Vec<&str> = found.iter().map(|f| f.resource_arn.as_str()).collect();
        assert_eq!(found.len(), 2, "{resources:?}");
        assert!(resources.contains(&secret_arn("stuck").as_str()));
        assert!(resources.contains(&secret_arn("cron-never-rotated").as_str()), "no interval: 90 days");
    }

    #[test]
    fn secret_unused() {
        let fixture = Fixture::new()
            .secret("forgotten", 200, |s| s.last_accessed = days_ago(120))
            .secret("never-read", 100, |s| s.last_accessed = None)
            .secret("read-last-week", 200, |s| s.last_accessed = days_ago(7))
            .secret("new", 30, |s| s.last_accessed = None);
        let found = fixture.findings("secretsmanager-secret-unused");
        insta::assert_yaml_snapshot!(summary(&found));
        assert_eq!(found.len(), 2);
    }

    #[test]
    fn public_resource_policy() {
        let policy = |statement: serde_json::Value| {
            Observed::Present(doc(json!({"Version": "2012-10-17", "Statement": [statement]})))
        };
        let fixture = Fixture::new()
            .secret("shared", 10, |s| {
                s.resource_policy = policy(json!({"Sid": "Everyone", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "secretsmanager:GetSecretValue", "Resource": "*"}))
            })
            .secret("org-only", 10, |s| {
                s.resource_policy = policy(json!({"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}}))
            })
            .secret("one-role", 10, |s| {
                s.resource_policy = policy(json!({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:role/reader"}, "Action": "secretsmanager:GetSecretValue", "Resource": "*"}))
            });
        let found = fixture.findings("secretsmanager-public-resource-policy");
        insta::assert_yaml_snapshot!(summary(&found));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].evidence.statement.as_ref().unwrap()["Sid"], "Everyone");
    }

    #[test]
    fn parameter_plaintext_secret() {
        let fixture = Fixture::new()
            .parameter("/prod/db/password", "String")
            .parameter("/prod/stripe/api-key", "StringList")
            .parameter("/prod/db/master-password", "SecureString")
            .parameter("/prod/auth/password-min-length", "String")
            .parameter("/prod/db/host", "String");
        let found = fixture.findings("ssm-parameter-plaintext-secret");
        insta::assert_yaml_snapshot!(summary(&found));
        let names: Vec<&str> = found.iter().map(|f| f.title.as_str()).collect();
        assert_eq!(found.len(), 2, "{names:?}");
    }
}
