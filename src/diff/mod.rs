//! Comparing two snapshots: new, resolved and changed findings (matched by fingerprint), inventory drift
//! (resources added and removed, security-relevant attributes changed), and the posture delta.

mod render;

pub use render::{markdown, text};

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::inventory::Inventory;
use crate::rules::{Finding, Severity};
use crate::snapshot::Snapshot;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Side {
    pub account_id: String,
    pub started_at: String,
    pub posture: u8,
    pub findings: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingChange {
    pub old: Finding,
    pub new: Finding,
    /// What changed: `severity`, `score`, `title`, `evidence`, `muted`.
    pub changes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ResourceRef {
    pub kind: String,
    pub arn: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttributeChange {
    pub kind: String,
    pub arn: String,
    pub attribute: String,
    pub old: Value,
    pub new: Value,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Drift {
    pub added: Vec<ResourceRef>,
    pub removed: Vec<ResourceRef>,
    pub changed: Vec<AttributeChange>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diff {
    pub old: Side,
    pub new: Side,
    pub new_findings: Vec<Finding>,
    pub resolved_findings: Vec<Finding>,
    pub changed_findings: Vec<FindingChange>,
    pub unchanged: usize,
    pub drift: Drift,
    pub posture_delta: i32,
    /// Service → change of its posture score (services present on either side).
    pub service_deltas: BTreeMap<String, i32>,
}

impl Diff {
    /// Nothing changed but timestamps.
    pub fn is_empty(&self) -> bool {
        self.new_findings.is_empty()
            && self.resolved_findings.is_empty()
            && self.changed_findings.is_empty()
            && self.drift.added.is_empty()
            && self.drift.removed.is_empty()
            && self.drift.changed.is_empty()
    }

    /// New findings at or above `threshold` that are not muted: what a CI gate fails on.
    pub fn new_at_or_above(&self, threshold: Severity) -> Vec<&Finding> {
        self.new_findings.iter().filter(|f| f.severity >= threshold && f.muted.is_none()).collect()
    }
}

fn side(snapshot: &Snapshot) -> Side {
    Side {
        account_id: snapshot.inventory.account.account_id.clone(),
        started_at: snapshot.inventory.scan.started_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        posture: snapshot.analysis.posture.score,
        findings: snapshot.analysis.findings.iter().filter(|f| f.muted.is_none()).count(),
    }
}

fn finding_changes(old: &Finding, new: &Finding) -> Vec<String> {
    let mut changes = Vec::new();
    if old.severity != new.severity {
        changes.push("severity".to_owned());
    }
    if old.score != new.score {
        changes.push("score".to_owned());
    }
    if old.title != new.title {
        changes.push("title".to_owned());
    }
    if old.evidence != new.evidence {
        changes.push("evidence".to_owned());
    }
    if old.muted.is_some() != new.muted.is_some() {
        changes.push("muted".to_owned());
    }
    changes
}

pub fn diff(old: &Snapshot, new: &Snapshot) -> Diff {
    // Borrowed indexes: only what ends up in the result is cloned (snapshots may hold 100,000 findings).
    let mut before: std::collections::HashMap<&str, &Finding> =
        old.analysis.findings.iter().map(|f| (f.fingerprint.as_str(), f)).collect();
    let mut new_findings = Vec::new();
    let mut changed_findings = Vec::new();
    let mut unchanged = 0;
    for finding in &new.analysis.findings {
        match before.remove(finding.fingerprint.as_str()) {
            None => new_findings.push(finding.clone()),
            Some(previous) => {
                let changes = finding_changes(previous, finding);
                if changes.is_empty() {
                    unchanged += 1;
                } else {
                    changed_findings.push(FindingChange { old: previous.clone(), new: finding.clone(), changes });
                }
            }
        }
    }
    let resolved_findings: Vec<Finding> = before.into_values().cloned().collect();
    let by_rank = |a: &Finding, b: &Finding| b.score.cmp(&a.score).then_with(|| a.fingerprint.cmp(&b.fingerprint));
    new_findings.sort_by(by_rank);
    let mut resolved_findings = resolved_findings;
    resolved_findings.sort_by(by_rank);
    changed_findings.sort_by(|a, b| by_rank(&a.new, &b.new));

    let services: std::collections::BTreeSet<&String> =
        old.analysis.posture.by_service.keys().chain(new.analysis.posture.by_service.keys()).collect();
    let score =
        |s: &Snapshot, service: &str| i32::from(s.analysis.posture.by_service.get(service).copied().unwrap_or(100));
    Diff {
        old: side(old),
        new: side(new),
        new_findings,
        resolved_findings,
        changed_findings,
        unchanged,
        drift: drift(&old.inventory, &new.inventory),
        posture_delta: i32::from(new.analysis.posture.score) - i32::from(old.analysis.posture.score),
        service_deltas: services.into_iter().map(|s| (s.clone(), score(new, s) - score(old, s))).collect(),
    }
}

type Attributes = BTreeMap<String, Value>;

fn attributes(pairs: Vec<(&str, Value)>) -> Attributes {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// Every resource with the attributes a security review cares about, keyed by ARN.
pub fn resources(inventory: &Inventory) -> BTreeMap<String, (&'static str, Attributes)> {
    let mut out = BTreeMap::new();
    let docs = |policies: &[crate::inventory::iam::InlinePolicy]| -> Value {
        json!(policies.iter().map(|p| (p.name.clone(), json!(p.document.json))).collect::<BTreeMap<_, _>>())
    };
    let arns = |policies: &[crate::inventory::iam::AttachedPolicy]| -> Value {
        json!(policies.iter().map(|p| &p.arn).collect::<Vec<_>>())
    };
    for user in inventory.iam.users.values() {
        out.insert(
            user.arn.clone(),
            (
                "iam_user",
                attributes(vec![
                    ("console_access", json!(user.console_access.present().is_some())),
                    ("mfa_devices", json!(user.mfa_devices.as_ref().map(Vec::len))),
                    ("groups", json!(user.groups)),
                    ("attached_policies", arns(&user.attached_policies)),
                    ("inline_policies", docs(&user.inline_policies)),
                    ("permissions_boundary", json!(user.permissions_boundary)),
                ]),
            ),
        );
        for key in user.access_keys.iter().flatten() {
            out.insert(
                format!("{}/access-key/{}", user.arn, key.id),
                ("iam_access_key", attributes(vec![("status", json!(key.status))])),
            );
        }
    }
    for group in inventory.iam.groups.values() {
        out.insert(
            group.arn.clone(),
            (
                "iam_group",
                attributes(vec![
                    ("attached_policies", arns(&group.attached_policies)),
                    ("inline_policies", docs(&group.inline_policies)),
                ]),
            ),
        );
    }
    for role in inventory.iam.roles.values() {
        out.insert(
            role.arn.clone(),
            (
                "iam_role",
                attributes(vec![
                    ("trust_policy", json!(role.trust_policy.json)),
                    ("attached_policies", arns(&role.attached_policies)),
                    ("inline_policies", docs(&role.inline_policies)),
                    ("permissions_boundary", json!(role.permissions_boundary)),
                ]),
            ),
        );
    }
    for policy in inventory.iam.managed_policies.values() {
        out.insert(
            policy.arn.clone(),
            (
                "iam_managed_policy",
                attributes(vec![
                    ("default_version", json!(policy.default_version_id)),
                    ("document", json!(policy.document.as_ref().and_then(|d| d.json.clone()))),
                ]),
            ),
        );
    }
    for function in inventory.lambda.functions.values() {
        out.insert(
            function.arn.clone(),
            (
                "lambda_function",
                attributes(vec![
                    ("runtime", json!(function.runtime)),
                    ("role", json!(function.role)),
                    ("resource_policy", json!(function.resource_policy)),
                    (
                        "environment",
                        json!(
                            function
                                .environment
                                .iter()
                                .map(|(k, v)| (k.clone(), json!({"kind": v.kind, "hash": v.hash})))
                                .collect::<BTreeMap<_, _>>()
                        ),
                    ),
                    ("tracing_mode", json!(function.tracing_mode)),
                    ("kms_key_arn", json!(function.kms_key_arn)),
                    ("layers", json!(function.layers)),
                ]),
            ),
        );
        for url in function.function_urls.iter().flatten() {
            out.insert(
                format!("{}/function-url", url.function_arn),
                (
                    "lambda_function_url",
                    attributes(vec![("auth_type", json!(url.auth_type)), ("cors", json!(url.cors))]),
                ),
            );
        }
    }
    for api in inventory.apigateway.apis.values() {
        out.insert(
            api.arn.clone(),
            (
                "rest_api",
                attributes(vec![
                    ("resource_policy", json!(api.resource_policy.as_ref().and_then(|d| d.json.clone()))),
                    ("endpoint_types", json!(api.endpoint_types)),
                ]),
            ),
        );
        for method in api.resources.iter().flatten().flat_map(|r| &r.methods) {
            out.insert(
                method.arn.clone(),
                (
                    "rest_method",
                    attributes(vec![
                        ("authorization_type", json!(method.authorization_type)),
                        ("authorizer_id", json!(method.authorizer_id)),
                        ("api_key_required", json!(method.api_key_required)),
                        (
                            "integration",
                            json!(
                                method
                                    .integration
                                    .as_ref()
                                    .map(|i| json!({"type": i.integration_type, "lambda": i.lambda_arn}))
                            ),
                        ),
                    ]),
                ),
            );
        }
        for stage in api.stages.iter().flatten() {
            out.insert(
                stage.arn.clone(),
                (
                    "rest_stage",
                    attributes(vec![
                        ("access_log", json!(stage.access_log.as_ref().and_then(|a| a.destination_arn.clone()))),
                        (
                            "logging_level",
                            json!(stage.method_settings.get("*/*").and_then(|s| s.logging_level.clone())),
                        ),
                        ("web_acl_arn", json!(stage.web_acl_arn)),
                    ]),
                ),
            );
        }
    }
    for key in inventory.apigateway.api_keys.values() {
        out.insert(key.arn.clone(), ("api_key", attributes(vec![("enabled", json!(key.enabled))])));
    }
    for api in inventory.apigatewayv2.apis.values() {
        out.insert(
            api.arn.clone(),
            ("http_api", attributes(vec![("protocol_type", json!(api.protocol_type)), ("cors", json!(api.cors))])),
        );
        for route in api.routes.iter().flatten() {
            out.insert(
                route.arn.clone(),
                (
                    "http_route",
                    attributes(vec![
                        ("authorization_type", json!(route.authorization_type)),
                        ("authorizer_id", json!(route.authorizer_id)),
                        ("api_key_required", json!(route.api_key_required)),
                        ("lambda", json!(route.lambda_arn)),
                    ]),
                ),
            );
        }
        for stage in api.stages.iter().flatten() {
            out.insert(
                stage.arn.clone(),
                (
                    "http_stage",
                    attributes(vec![(
                        "access_log",
                        json!(stage.access_log.as_ref().and_then(|a| a.destination_arn.clone())),
                    )]),
                ),
            );
        }
    }
    out
}

pub fn drift(old: &Inventory, new: &Inventory) -> Drift {
    let (mut before, after) = (resources(old), resources(new));
    let mut drift = Drift::default();
    for (arn, (kind, attributes)) in after {
        match before.remove(&arn) {
            None => drift.added.push(ResourceRef { kind: kind.into(), arn }),
            Some((_, previous)) => {
                for (attribute, value) in &attributes {
                    let old_value = previous.get(attribute).cloned().unwrap_or(Value::Null);
                    if &old_value != value {
                        drift.changed.push(AttributeChange {
                            kind: kind.into(),
                            arn: arn.clone(),
                            attribute: attribute.clone(),
                            old: old_value,
                            new: value.clone(),
                        });
                    }
                }
            }
        }
    }
    drift.removed = before.into_iter().map(|(arn, (kind, _))| ResourceRef { kind: kind.into(), arn }).collect();
    drift
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ScanReport;
    use crate::inventory::Observed;
    use crate::inventory::iam::LoginProfile;
    use crate::mutes::MuteReport;
    use crate::rules::fixture::*;

    fn snapshot(fixture: Fixture) -> Snapshot {
        let analysis = crate::analyze::analyze(&fixture.inventory, now());
        Snapshot::new(ScanReport { inventory: fixture.inventory, analysis }, MuteReport::default())
    }

    fn account(bob_has_mfa: bool, open_route: bool) -> Fixture {
        Fixture::new()
            .role("app", lambda_trust(), &[], &[])
            .function("orders", "app", |_| {})
            .user("bob", |u| {
                u.console_access =
                    Observed::Present(LoginProfile { create_date: days_ago(100), password_reset_required: false });
                if bob_has_mfa {
                    u.mfa_devices = Some(vec![crate::inventory::iam::MfaDevice {
                        serial_number: "mfa/bob".into(),
                        enable_date: days_ago(1),
                    }]);
                }
            })
            .http_api(
                "shop",
                "HTTP",
                &[("GET /orders", if open_route { "NONE" } else { "AWS_IAM" }, false, Some("orders"))],
                true,
            )
    }

    #[test]
    fn a_snapshot_against_itself_is_empty() {
        let s = snapshot(account(false, false));
        let d = diff(&s, &s);
        assert!(d.is_empty(), "{d:#?}");
        assert_eq!(d.unchanged, s.analysis.findings.len());
        assert_eq!(d.posture_delta, 0);
    }

    #[test]
    fn one_fixed_one_opened() {
        let old = snapshot(account(false, false));
        let new = snapshot(account(true, true));
        let d = diff(&old, &new);
        let rules = |list: &[Finding]| list.iter().map(|f| f.rule_id.clone()).collect::<Vec<_>>();
        assert_eq!(rules(&d.resolved_findings), ["iam-user-console-no-mfa"]);
        assert_eq!(rules(&d.new_findings), ["apigw-unauthenticated-route"]);
        let changed: Vec<(&str, &str)> =
            d.drift.changed.iter().map(|c| (c.arn.as_str(), c.attribute.as_str())).collect();
        assert!(changed.contains(&("arn:aws:iam::123456789012:user/bob", "mfa_devices")), "{changed:?}");
        assert!(
            changed.contains(&("arn:aws:apigateway:us-east-1::/apis/shop-id/routes/r0", "authorization_type")),
            "{changed:?}"
        );
        assert_eq!(d.new_at_or_above(Severity::High).len(), 1);
        assert!(d.new_at_or_above(Severity::Critical).is_empty());
        // Antisymmetric: swapping sides swaps new and resolved.
        let back = diff(&new, &old);
        assert_eq!(rules(&back.new_findings), rules(&d.resolved_findings));
        assert_eq!(rules(&back.resolved_findings), rules(&d.new_findings));
        assert_eq!(back.posture_delta, -d.posture_delta);
    }

    #[test]
    fn added_and_removed_resources() {
        let old = snapshot(account(false, false));
        let new = snapshot(account(false, false).function("extra", "app", |_| {}));
        let d = diff(&old, &new);
        assert_eq!(d.drift.added, [ResourceRef { kind: "lambda_function".into(), arn: function_arn("extra") }]);
        assert_eq!(diff(&new, &old).drift.removed, d.drift.added);
    }
}
