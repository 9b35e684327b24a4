//! OCSF Detection Finding (class 2004, schema 1.3.0), one event per finding.

use serde_json::{Value, json};

use crate::finding::{Finding, Severity};
use crate::rules::RULES;
use crate::snapshot::Snapshot;

const OCSF_VERSION: &str = "1.3.0";

fn severity_id(severity: Severity) -> (u8, &'static str) {
    match severity {
        Severity::Info => (1, "Informational"),
        Severity::Low => (2, "Low"),
        Severity::Medium => (3, "Medium"),
        Severity::High => (4, "High"),
        Severity::Critical => (5, "Critical"),
    }
}

fn risk_level(score: u8) -> (u8, &'static str) {
    match score {
        0..=19 => (0, "Info"),
        20..=39 => (1, "Low"),
        40..=69 => (2, "Medium"),
        70..=89 => (3, "High"),
        _ => (4, "Critical"),
    }
}

fn event(snapshot: &Snapshot, finding: &Finding) -> Value {
    let time = snapshot.inventory.scan.started_at.timestamp_millis();
    let (severity_id, severity) = severity_id(finding.severity);
    let (risk_level_id, risk_level) = risk_level(finding.score);
    let (status_id, status) = if finding.muted.is_some() { (3, "Suppressed") } else { (1, "New") };
    let rule_title = RULES.iter().find(|r| r.meta.id == finding.rule_id).map(|r| r.meta.title).unwrap_or_default();
    json!({
        "activity_id": 1,
        "activity_name": "Create",
        "category_uid": 2,
        "category_name": "Findings",
        "class_uid": 2004,
        "class_name": "Detection Finding",
        "type_uid": 200401,
        "type_name": "Detection Finding: Create",
        "severity_id": severity_id,
        "severity": severity,
        "status_id": status_id,
        "status": status,
        "status_detail": finding.muted.as_ref().map(|m| m.reason.clone()),
        "time": time,
        "message": finding.title,
        "finding_info": {
            "uid": finding.fingerprint,
            "title": finding.title,
            "desc": finding.evidence.summary,
            "types": [finding.category.as_str()],
            "created_time": time,
            "analytic": {"uid": finding.rule_id, "name": rule_title, "type_id": 1, "type": "Rule"},
        },
        "metadata": {
            "version": OCSF_VERSION,
            "product": {"name": "stance", "vendor_name": "stance", "uid": "stance", "version": snapshot.inventory.scan.tool_version},
            "event_code": finding.rule_id,
        },
        "cloud": {
            "provider": "AWS",
            "region": finding.region,
            "account": {"uid": snapshot.inventory.account.account_id, "type_id": 10, "type": "AWS Account"},
        },
        "resources": [{
            "uid": finding.resource_arn,
            "type": super::resource_kind(&finding.resource_arn),
            "region": finding.region,
            "cloud_partition": snapshot.inventory.account.partition,
            "data": {"evidence": finding.evidence, "path": finding.path},
        }],
        "remediation": {"desc": finding.remediation, "references": finding.references},
        "risk_score": finding.score,
        "risk_level_id": risk_level_id,
        "risk_level": risk_level,
        "risk_details": finding.factors.iter().map(|f| format!("{}={} (×{})", f.name, f.value, f.multiplier)).collect::<Vec<_>>().join(", "),
    })
}

pub fn findings(snapshot: &Snapshot) -> Vec<Value> {
    snapshot.analysis.findings.iter().map(|f| event(snapshot, f)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection_finding_shape() {
        let snapshot = crate::export::tests::sample();
        let events = findings(&snapshot);
        for (event, finding) in events.iter().zip(&snapshot.analysis.findings) {
            assert_eq!(event["class_uid"], 2004);
            assert_eq!(event["type_uid"], 200401, "class_uid × 100 + activity_id");
            assert_eq!(event["finding_info"]["uid"], finding.fingerprint.as_str());
            assert_eq!(event["resources"][0]["uid"], finding.resource_arn.as_str());
            assert_eq!(event["cloud"]["account"]["uid"], "123456789012");
            assert!(event["time"].as_i64().unwrap() > 1_700_000_000_000, "milliseconds");
        }
        assert!(events.iter().any(|e| e["status"] == "Suppressed"), "muted findings are suppressed");
    }
}
