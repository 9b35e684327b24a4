//! A Markdown report of one snapshot.

use std::fmt::Write;

use crate::finding::Finding;
use crate::snapshot::Snapshot;

pub fn report(snapshot: &Snapshot) -> String {
    let inv = &snapshot.inventory;
    let analysis = &snapshot.analysis;
    let escape = crate::export::markdown_cell;
    let mut out = String::new();
    let _ = writeln!(out, "# stance posture report: account {}\n", inv.account.account_id);
    let _ = writeln!(
        out,
        "Scanned {} ({}), evaluated at {}.\n",
        inv.scan.started_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        inv.scan.regions.iter().map(|r| r.region()).collect::<Vec<_>>().join(", "),
        inv.scan.as_of.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    let _ = writeln!(out, "**Posture {}/100**", analysis.posture.score);
    let counts: Vec<String> =
        analysis.posture.findings_by_severity.iter().rev().map(|(s, n)| format!("{n} {s}")).collect();
    let _ = writeln!(out, "· {} finding(s): {}\n", analysis.findings.len(), counts.join(", "));
    if !analysis.posture.by_service.is_empty() {
        let _ = writeln!(out, "| service | posture |\n| --- | ---: |");
        for (service, score) in &analysis.posture.by_service {
            let _ = writeln!(out, "| {service} | {score} |");
        }
        out.push('\n');
    }
    if !inv.coverage.is_empty() {
        let _ = writeln!(out, "**Coverage gaps ({})**: what the scan could not see.\n", inv.coverage.len());
        for record in &inv.coverage {
            let _ = writeln!(out, "- {}", escape(&record.to_string()));
        }
        out.push('\n');
    }
    out.push_str("## Findings\n\n");
    out.push_str(&findings_table(&analysis.findings));
    let _ = writeln!(out, "\n## Details");
    for f in &analysis.findings {
        out.push('\n');
        out.push_str(&finding(f));
    }
    out
}

/// A Markdown table of `findings`, one row each, in their order.
pub fn findings_table<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> String {
    let escape = crate::export::markdown_cell;
    let mut out = String::from("| score | severity | finding | resource | rule |\n| ---: | --- | --- | --- | --- |\n");
    for f in findings {
        let muted = f.muted.as_ref().map(|m| format!(" (muted: {})", escape(&m.reason))).unwrap_or_default();
        let _ = writeln!(
            out,
            "| {} | {} | {}{} | `{}` | `{}` |",
            f.score,
            f.severity,
            escape(&f.title),
            muted,
            escape(&f.resource_arn),
            f.rule_id
        );
    }
    out
}

/// One finding as a Markdown section: what, where, the statement, the path and the remediation (a report's
/// detail, or what the TUI copies for a ticket).
pub fn finding(f: &Finding) -> String {
    let escape = crate::export::markdown_cell;
    let mut out = String::new();
    let _ = writeln!(out, "### {} ({}, {})\n\n{}\n", escape(&f.title), f.severity, f.score, f.evidence.summary);
    let _ = writeln!(out, "Resource: `{}` ({})\n", f.resource_arn, f.region);
    if let Some(location) = &f.evidence.location {
        let _ = writeln!(out, "Where: {location}\n");
    }
    if let Some(statement) = &f.evidence.statement {
        let _ = writeln!(out, "```json\n{}\n```\n", serde_json::to_string_pretty(statement).unwrap_or_default());
    }
    if !f.path.is_empty() {
        let _ = writeln!(out, "Path: {}\n", f.path.join(" → "));
    }
    let _ = writeln!(out, "Remediation: {}\n", f.remediation);
    let _ = writeln!(out, "Rule: `{}`", f.rule_id);
    out
}
