//! SARIF 2.1.0 for GitHub code scanning: one rule per stance rule, one result per finding, the
//! fingerprint as a partial fingerprint so alerts follow a finding across scans, mutes as suppressions.

use serde_json::{Value, json};

use crate::finding::Severity;
use crate::rules::RULES;
use crate::snapshot::Snapshot;

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub orders alerts by `security-severity` (0–10).
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "1.0",
    }
}

pub fn log(snapshot: &Snapshot) -> Value {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|rule| {
            let m = &rule.meta;
            let help_uri = m.references.iter().find(|r| r.starts_with("https://"));
            let mut descriptor = json!({
                "id": m.id,
                "name": m.id.split('-').map(|w| { let mut c = w.chars(); c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default() }).collect::<String>(),
                "shortDescription": {"text": m.title},
                "fullDescription": {"text": m.rationale},
                "help": {"text": m.remediation, "markdown": format!("{}\n\n**Remediation.** {}", m.rationale, m.remediation)},
                "defaultConfiguration": {"level": level(rule.severity())},
                "properties": {"tags": ["security", rule.category.as_str()], "security-severity": security_severity(rule.severity()), "precision": "high"},
            });
            if let Some(uri) = help_uri {
                descriptor["helpUri"] = json!(uri);
            }
            descriptor
        })
        .collect();
    let results: Vec<Value> = snapshot
        .analysis
        .findings
        .iter()
        .map(|f| {
            let rule_index = RULES.iter().position(|r| r.meta.id == f.rule_id).unwrap_or(0);
            let mut result = json!({
                "ruleId": f.rule_id,
                "ruleIndex": rule_index,
                "level": level(f.severity),
                "message": {"text": format!("{}: {}", f.title, f.evidence.summary)},
                "locations": [{
                    "physicalLocation": {"artifactLocation": {"uri": f.resource_arn}},
                    "logicalLocations": [{"fullyQualifiedName": f.resource_arn, "kind": "resource"}],
                }],
                "partialFingerprints": {"stanceFingerprint/v1": f.fingerprint},
                "properties": {"score": f.score, "category": f.category.as_str(), "region": f.region, "path": f.path},
            });
            if let Some(muted) = &f.muted {
                result["suppressions"] = json!([{"kind": "external", "justification": muted.reason}]);
            }
            result
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "stance", "semanticVersion": snapshot.inventory.scan.tool_version, "rules": rules}},
            "automationDetails": {"id": format!("stance/{}/", snapshot.inventory.account.account_id)},
            "results": results,
        }],
    })
}
