//! KMS keys: rotation, who their key policy admits, and keys that stop working while data depends on them.

use crate::finding::Details;

use serde_json::json;

use super::resource_policy::{Admits, openings};
use super::{Draft, Evidence, Rule, RuleMeta};
use crate::analyze::policy::principals::PUBLIC_RESTRICTING_KEYS;
use crate::inventory::Observed;
use crate::score::{Exposure, RiskInputs};

/// What limits the `Principal: *` statements of a key policy besides the keys that limit "anyone" everywhere:
/// `kms:CallerAccount` (AWS's own key policies pair it with `kms:ViaService`).
const KEY_POLICY_RESTRICTING_KEY: &str = "kms:CallerAccount";

/// The key actions whose grant to anyone matters: using the key, and taking it over or away.
const KEY_ACTIONS: &[&str] = &[
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:ReEncryptFrom",
    "kms:CreateGrant",
    "kms:PutKeyPolicy",
    "kms:ScheduleKeyDeletion",
    "kms:DisableKey",
];

pub static KEY_ROTATION_DISABLED: Rule = Rule {
    meta: RuleMeta {
        id: "kms-key-rotation-disabled",
        title: "Customer managed KMS key without automatic rotation",
        rationale: "Without rotation, one key material protects everything ever encrypted with the key, for as long as the key lives. Only enabled, customer managed, symmetric encryption keys with AWS_KMS key material can rotate automatically, so only they trigger it: AWS managed keys (rotated by AWS), asymmetric, HMAC and imported keys, and disabled keys do not.",
        remediation: "`aws kms enable-key-rotation --key-id KEY_ID` (optionally `--rotation-period-in-days`).",
        references: &[
            "AWS FSBP KMS.4",
            "CIS AWS Foundations 3.6",
            "https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html",
        ],
    },
    check: |cx, _, out| {
        let keys = cx.inventory.kms.keys.values();
        for key in keys.filter(|k| k.can_rotate_automatically() && k.state.as_deref() == Some("Enabled")) {
            if key.rotation_enabled != Observed::Present(false) {
                continue;
            }
            let mut details = Details::new();
            details.insert("aliases".into(), json!(key.aliases));
            details.insert("created".into(), json!(key.created));
            details.insert("can_decrypt".into(), json!(cx.key_decrypters(key)));
            let evidence = Evidence {
                summary: format!("{} has automatic rotation off", key_label(key)),
                location: Some(key.arn.clone()),
                statement: None,
                details,
            };
            let risk = RiskInputs { credential_age_days: key.created.map(|c| cx.age_days(c)), ..RiskInputs::default() };
            out.emit(
                Draft::new(&key.arn, &key.region, "", format!("KMS key {} does not rotate", key_label(key)))
                    .evidence(evidence)
                    .risk(risk),
            );
        }
    },
};

/// `alias/app (1234abcd-…)`, or the key id alone.
fn key_label(key: &crate::inventory::kms::Key) -> String {
    match key.aliases.first() {
        Some(alias) => format!("{alias} ({})", key.id),
        None => key.id.clone(),
    }
}

pub static KEY_PUBLIC_POLICY: Rule = Rule {
    meta: RuleMeta {
        id: "kms-key-public-policy",
        title: "KMS key policy admits anyone",
        rationale: "A key policy statement that allows a use of the key (Decrypt, Encrypt, GenerateDataKey, CreateGrant) or its administration (PutKeyPolicy, ScheduleKeyDeletion) to Principal `*` with no restricting condition lets any AWS account decrypt what it protects or take the key over. AWS's pattern of `Principal: *` limited by kms:CallerAccount (with kms:ViaService), and statements limited by aws:PrincipalOrgID or aws:SourceArn, are restricted and do not trigger it.",
        remediation: "Replace `*` with the principals that need the key, or add a kms:CallerAccount or aws:PrincipalOrgID condition: `aws kms put-key-policy --key-id KEY_ID --policy file://policy.json`.",
        references: &[
            "AWS FSBP KMS.5",
            "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html",
        ],
    },
    check: |cx, _, out| {
        let restricting = [PUBLIC_RESTRICTING_KEYS, &[KEY_POLICY_RESTRICTING_KEY]].concat();
        for key in cx.inventory.kms.keys.values() {
            let Some(policy) = cx.resource_policies.get(&key.arn) else { continue };
            for opening in openings(cx, policy, KEY_ACTIONS, &restricting) {
                if opening.admits != Admits::Anyone {
                    continue;
                }
                let statement = opening.statement;
                let evidence = opening.evidence(
                    format!(
                        "statement {} of the key policy of {} admits any principal, with no restricting condition",
                        statement.label(),
                        key_label(key)
                    ),
                    "key policy",
                    &key.arn,
                );
                let risk = RiskInputs {
                    exposure: Some((Exposure::AnyAwsPrincipal, "any AWS account can use the key".into())),
                    ..RiskInputs::default()
                };
                out.emit(
                    Draft::new(
                        &key.arn,
                        &key.region,
                        statement.label(),
                        format!("Anyone can use KMS key {}", key_label(key)),
                    )
                    .evidence(evidence)
                    .risk(risk),
                );
            }
        }
    },
};

pub static KEY_PENDING_DELETION_IN_USE: Rule = Rule {
    meta: RuleMeta {
        id: "kms-key-pending-deletion-in-use",
        title: "KMS key pending deletion or disabled while resources still use it",
        rationale: "Once a key is deleted, everything encrypted with it is unreadable for good; while it is disabled, every read fails. A key in that state that a Lambda function's environment, a secret or a SecureString parameter (and later a log group, trail, topic or queue) is still encrypted with is an outage or data loss on a date. Keys pending deletion that nothing uses do not trigger it.",
        remediation: "Cancel the deletion (`aws kms cancel-key-deletion --key-id KEY_ID`, then `aws kms enable-key`) or re-encrypt the users named in the evidence with another key before the deletion date.",
        references: &["AWS FSBP KMS.3", "https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys.html"],
    },
    check: |cx, _, out| {
        for key in cx.inventory.kms.keys.values().filter(|k| k.is_unusable()) {
            let Some(users) = cx.key_users.get(&key.arn).filter(|u| !u.is_empty()) else { continue };
            let state = key.state.as_deref().unwrap_or_default();
            let mut details = Details::new();
            details.insert("state".into(), json!(state));
            details.insert("deletion_date".into(), json!(key.deletion_date));
            details.insert("used_by".into(), json!(users));
            details.insert("can_decrypt".into(), json!(cx.key_decrypters(key)));
            let names: Vec<String> = users.iter().map(|u| format!("{} {}", u.kind, u.arn)).collect();
            let when = match key.deletion_date {
                Some(date) => format!(" (deletion on {})", date.format("%Y-%m-%d")),
                None => String::new(),
            };
            let evidence = Evidence {
                summary: format!("{} is {state}{when} and still encrypts: {}", key_label(key), names.join(", ")),
                location: Some(key.arn.clone()),
                statement: None,
                details,
            };
            out.emit(
                Draft::new(
                    &key.arn,
                    &key.region,
                    "",
                    format!("KMS key {} is {state} but {} resource(s) use it", key_label(key), users.len()),
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
    use crate::rules::fixture::*;

    #[test]
    fn key_rotation_disabled() {
        let fixture = Fixture::new()
            .role("crypto", lambda_trust(), &[("d", allow(json!("kms:Decrypt"), json!(key_arn("app"))))], &[])
            .role("bystander", lambda_trust(), &[("s", allow(json!("s3:GetObject"), json!("*")))], &[])
            .key("app", |_| {})
            .key("rotating", |k| k.rotation_enabled = Observed::Present(true))
            .key("aws-managed", |k| {
                k.manager = Some("AWS".into());
                k.rotation_enabled = Observed::Absent;
            })
            .key("signing", |k| {
                k.spec = Some("RSA_2048".into());
                k.usage = Some("SIGN_VERIFY".into());
                k.rotation_enabled = Observed::Absent;
            })
            .key("imported", |k| k.origin = Some("EXTERNAL".into()))
            .key("off", |k| {
                k.state = Some("Disabled".into());
                k.enabled = false;
            });
        let found = fixture.findings("kms-key-rotation-disabled");
        insta::assert_yaml_snapshot!(summary(&found));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].resource_arn, key_arn("app"));
        assert_eq!(found[0].evidence.details["can_decrypt"], json!(["crypto"]), "who can decrypt with the key");
    }

    #[test]
    fn key_public_policy() {
        let policy = |statement: serde_json::Value| {
            Observed::Present(doc(json!({"Version": "2012-10-17", "Statement": [statement]})))
        };
        let fixture = Fixture::new()
            .key("open", |k| {
                k.policy = policy(json!({"Sid": "Everyone", "Effect": "Allow", "Principal": "*", "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": "*"}))
            })
            .key("via-service", |k| {
                k.policy = policy(json!({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*", "Condition": {"StringEquals": {"kms:CallerAccount": ACCOUNT, "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}}}))
            })
            .key("describe-only", |k| {
                k.policy = policy(json!({"Effect": "Allow", "Principal": "*", "Action": "kms:DescribeKey", "Resource": "*"}))
            })
            .key("default", |_| {});
        let found = fixture.findings("kms-key-public-policy");
        insta::assert_yaml_snapshot!(summary(&found));
        assert_eq!(found.len(), 1, "CallerAccount restricts; DescribeKey alone and the root delegation are fine");
        assert_eq!(found[0].resource_arn, key_arn("open"));
    }

    #[test]
    fn key_pending_deletion_in_use() {
        let fixture = Fixture::new()
            .role("app", lambda_trust(), &[], &[])
            .key("doomed", |k| {
                k.state = Some("PendingDeletion".into());
                k.enabled = false;
                k.deletion_date = days_ago(-7);
            })
            .key("unused-doomed", |k| k.state = Some("PendingDeletion".into()))
            .key("healthy", |_| {})
            .function("payments", "app", |f| f.kms_key_arn = Some(key_arn("doomed")))
            .function("orders", "app", |f| f.kms_key_arn = Some(key_arn("healthy")))
            .secret("payments/db", 10, |s| s.kms_key_id = Some("alias/doomed".into()));
        let found = fixture.findings("kms-key-pending-deletion-in-use");
        insta::assert_yaml_snapshot!(summary(&found));
        assert_eq!(found.len(), 1);
        let used_by = found[0].evidence.details["used_by"].as_array().unwrap();
        assert_eq!(used_by.len(), 2, "the function by key ARN and the secret by alias: {used_by:?}");
        assert_eq!(
            found[0].evidence.details["can_decrypt"],
            json!([]),
            "the default policy delegates; no role has Decrypt"
        );
    }
}
