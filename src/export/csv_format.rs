//! One CSV row per finding, for spreadsheets.

use crate::finding::Finding;
use crate::snapshot::Snapshot;

pub fn table(snapshot: &Snapshot) -> Result<Vec<u8>, String> {
    findings(&snapshot.analysis.findings)
}

/// The CSV of `findings`, in their order (a snapshot's, or a filtered list of the TUI).
pub fn findings<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Result<Vec<u8>, String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record([
            "fingerprint",
            "rule_id",
            "category",
            "severity",
            "score",
            "region",
            "resource_arn",
            "title",
            "evidence",
            "remediation",
            "muted_reason",
        ])
        .map_err(|e| e.to_string())?;
    for f in findings {
        writer
            .write_record([
                f.fingerprint.as_str(),
                &f.rule_id,
                f.category.as_str(),
                f.severity.as_str(),
                &f.score.to_string(),
                &f.region,
                &f.resource_arn,
                &f.title,
                &f.evidence.summary,
                &f.remediation,
                f.muted.as_ref().map(|m| m.reason.as_str()).unwrap_or(""),
            ])
            .map_err(|e| e.to_string())?;
    }
    writer.into_inner().map_err(|e| e.to_string())
}
