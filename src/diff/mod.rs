//! Comparing two snapshots: new, resolved and changed findings (matched by fingerprint), inventory drift
//! (resources added and removed, security-relevant attributes changed), and the posture delta.

pub mod org;
mod render;
pub mod words;

pub use render::{markdown, text};

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::compliance::{ComplianceSummary, Status};
use crate::finding::{Finding, Severity, by_rank, rank};
use crate::inventory::Inventory;
use crate::snapshot::Snapshot;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Side {
    pub account_id: String,
    pub started_at: String,
    /// The time the time-based rules were evaluated at (`--as-of`); the scan's start unless given.
    #[serde(default)]
    pub as_of: String,
    pub posture: u8,
    pub findings: usize,
}

impl Side {
    /// When the snapshot describes: its scan time, and its evaluation date when that is another day (a
    /// replay judged a month later reads "2026-12-01T18:00:00Z (as of 2026-12-31)").
    pub fn when(&self) -> String {
        match (self.started_at.get(..10), self.as_of.get(..10)) {
            (Some(scanned), Some(as_of)) if scanned != as_of => format!("{} (as of {as_of})", self.started_at),
            _ => self.started_at.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingChange {
    pub old: Finding,
    pub new: Finding,
    /// What changed, in words ("score 78 → 85", "runtime nodejs16.x → nodejs20.x"); a fact that moves with
    /// the clock alone (an age) is not a change.
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

/// A framework's score on both sides (absent on a side that had none).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreChange {
    pub framework: String,
    pub old: Option<f64>,
    pub new: Option<f64>,
}

/// A control whose status differs; `None` on the side whose mapping did not have it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ControlChange {
    pub framework: String,
    pub control: String,
    pub old: Option<Status>,
    pub new: Option<Status>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ComplianceDiff {
    /// Every framework of the newer snapshot.
    pub scores: Vec<ScoreChange>,
    pub controls: Vec<ControlChange>,
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
    #[serde(default)]
    pub compliance: ComplianceDiff,
    /// Set when the two snapshots were judged under different policies (thresholds, severities, disabled
    /// rules): findings may have moved because the policy did, not the account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<PolicyChange>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyChange {
    pub old_sha256: String,
    pub new_sha256: String,
    /// Each setting that differs, in words: "thresholds.access_key_max_age_days 90 → 60".
    pub changes: Vec<String>,
}

/// What differs between two recorded policies, setting by setting.
fn policy_change(old: &crate::config::PolicyRecord, new: &crate::config::PolicyRecord) -> Option<PolicyChange> {
    if old.sha256 == new.sha256 {
        return None;
    }
    fn flatten(prefix: &str, value: &Value, out: &mut BTreeMap<String, Value>) {
        match value {
            Value::Object(map) => {
                for (key, value) in map {
                    let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
                    flatten(&path, value, out);
                }
            }
            other => {
                out.insert(prefix.to_owned(), other.clone());
            }
        }
    }
    let (mut before, mut after) = (BTreeMap::new(), BTreeMap::new());
    flatten("", &serde_json::to_value(&old.settings).unwrap_or_default(), &mut before);
    flatten("", &serde_json::to_value(&new.settings).unwrap_or_default(), &mut after);
    let keys: std::collections::BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    let shown = |v: Option<&Value>| v.map_or_else(|| "(default)".to_owned(), |v| v.to_string());
    let changes = keys
        .into_iter()
        .filter(|k| before.get(*k) != after.get(*k))
        .map(|k| format!("{k} {} → {}", shown(before.get(k)), shown(after.get(k))))
        .collect();
    Some(PolicyChange { old_sha256: old.sha256.clone(), new_sha256: new.sha256.clone(), changes })
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
            && self.compliance.controls.is_empty()
            && self.policy.is_none()
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
        as_of: snapshot.inventory.scan.as_of.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        posture: snapshot.analysis.posture.score,
        findings: snapshot.analysis.findings.iter().filter(|f| f.muted.is_none()).count(),
    }
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
                let changes = words::finding(previous, finding);
                if changes.is_empty() {
                    unchanged += 1;
                } else {
                    changed_findings.push(FindingChange { old: previous.clone(), new: finding.clone(), changes });
                }
            }
        }
    }
    let mut resolved_findings: Vec<Finding> = before.into_values().cloned().collect();
    rank(&mut new_findings);
    rank(&mut resolved_findings);
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
        compliance: compliance(&old.compliance(), &new.compliance()),
        policy: policy_change(&old.analysis.policy, &new.analysis.policy),
    }
}

fn compliance(old: &[ComplianceSummary], new: &[ComplianceSummary]) -> ComplianceDiff {
    let scores = new
        .iter()
        .map(|n| ScoreChange {
            framework: n.framework.clone(),
            old: old.iter().find(|o| o.framework == n.framework).and_then(|o| o.score),
            new: n.score,
        })
        .collect();
    let controls = crate::compliance::changes(old, new)
        .into_iter()
        .map(|(framework, control, old, new)| ControlChange {
            framework: framework.to_owned(),
            control: control.to_owned(),
            old,
            new,
        })
        .collect();
    ComplianceDiff { scores, controls }
}

pub fn drift(old: &Inventory, new: &Inventory) -> Drift {
    let (mut before, after) = (old.drift_index(), new.drift_index());
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
        let analysis = crate::assess::analyze(&fixture.inventory, now());
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
    fn the_header_says_when_a_side_was_judged_at_another_day() {
        let old = snapshot(account(false, false));
        let mut new = old.clone();
        new.inventory.scan.as_of = new.inventory.scan.started_at + chrono::Duration::days(30);
        let header = render::text(&diff(&old, &new));
        let first = header.lines().next().unwrap_or_default().to_owned();
        let as_of = new.inventory.scan.as_of.format("%Y-%m-%d").to_string();
        assert!(first.ends_with(&format!("(as of {as_of})")), "{first}");
        assert!(
            !first.split(" → ").next().unwrap_or_default().contains("as of"),
            "the old side is as scanned: {first}"
        );
    }

    #[test]
    fn added_and_removed_resources() {
        let old = snapshot(account(false, false));
        let new = snapshot(account(false, false).function("extra", "app", |_| {}));
        let d = diff(&old, &new);
        assert_eq!(d.drift.added, [ResourceRef { kind: "lambda_function".into(), arn: function_arn("extra") }]);
        assert_eq!(diff(&new, &old).drift.removed, d.drift.added);
    }

    #[test]
    fn secrets_and_keys_drift() {
        let before = snapshot(
            account(false, false)
                .secret("payments/db", 10, |s| s.rotation_enabled = true)
                .key("app", |k| k.rotation_enabled = Observed::Present(true)),
        );
        let after = snapshot(account(false, false).secret("payments/db", 10, |_| {}).key("app", |k| {
            k.rotation_enabled = Observed::Present(true);
            k.state = Some("PendingDeletion".into());
        }));
        let d = diff(&before, &after);
        let changed: Vec<(&str, &str)> =
            d.drift.changed.iter().map(|c| (c.kind.as_str(), c.attribute.as_str())).collect();
        assert!(changed.contains(&("secret", "rotation_enabled")), "rotation turned off: {changed:?}");
        assert!(changed.contains(&("kms_key", "state")), "key scheduled for deletion: {changed:?}");
    }

    #[test]
    fn snapshots_judged_under_different_policies_say_what_differs() {
        let fixture = account(false, false);
        let strict =
            crate::config::parse("[policy.thresholds]\naccess_key_max_age_days = 60\n", "stance.toml").unwrap();
        let judged = |config: &crate::config::Config| Snapshot::assemble(fixture.inventory.clone(), config);
        let (builtin, strict) = (judged(&Default::default()), judged(&strict));
        assert!(diff(&builtin, &judged(&Default::default())).policy.is_none(), "the same policy is no change");
        let change = diff(&builtin, &strict).policy.expect("a policy change");
        assert_eq!(change.changes, ["thresholds.access_key_max_age_days 90 → 60"]);
        assert!(text(&diff(&builtin, &strict)).contains("judged under different policies"));
    }
}
