//! The comparison as text for a terminal and as Markdown for a pull-request comment (JSON is the serde form).

use std::fmt::Write;

use super::{Diff, FindingChange};
use crate::finding::Finding;

fn signed(n: i32) -> String {
    if n > 0 { format!("+{n}") } else { n.to_string() }
}

fn muted(f: &Finding) -> &'static str {
    if f.muted.is_some() { " (muted)" } else { "" }
}

pub fn text(diff: &Diff) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Account {}: {} → {}\nPosture {} → {} ({})",
        diff.new.account_id,
        diff.old.when(),
        diff.new.when(),
        diff.old.posture,
        diff.new.posture,
        signed(diff.posture_delta)
    );
    if diff.is_empty() {
        let _ = writeln!(out, "No change: {} finding(s) unchanged, no drift.", diff.unchanged);
        return out;
    }
    if let Some(policy) = &diff.policy {
        let _ = writeln!(
            out,
            "\nThe snapshots were judged under different policies (findings may have moved with it): {}",
            policy.changes.join("; ")
        );
    }
    let section = |out: &mut String, title: &str, list: &[Finding]| {
        if !list.is_empty() {
            let _ = writeln!(out, "\n{title} ({}):", list.len());
            for f in list {
                let _ = writeln!(out, "  {:>3} {:<8} {}{}", f.score, f.severity.as_str(), f.title, muted(f));
            }
        }
    };
    section(&mut out, "New findings", &diff.new_findings);
    section(&mut out, "Resolved findings", &diff.resolved_findings);
    if !diff.changed_findings.is_empty() {
        let _ = writeln!(out, "\nChanged findings ({}):", diff.changed_findings.len());
        for FindingChange { new, changes, .. } in &diff.changed_findings {
            let _ =
                writeln!(out, "  {:>3} {:<8} {} [{}]", new.score, new.severity.as_str(), new.title, changes.join("; "));
        }
    }
    let _ = writeln!(out, "\nUnchanged findings: {}", diff.unchanged);
    let drift = &diff.drift;
    if !(drift.added.is_empty() && drift.removed.is_empty() && drift.changed.is_empty()) {
        let _ = writeln!(out, "\nInventory drift:");
        for r in &drift.added {
            let _ = writeln!(out, "  + {} {}", r.kind, r.arn);
        }
        for r in &drift.removed {
            let _ = writeln!(out, "  - {} {}", r.kind, r.arn);
        }
        for c in &drift.changed {
            let _ = writeln!(out, "  ~ {} {}: {}", c.kind, c.arn, super::words::drift(c));
        }
    }
    let deltas: Vec<String> =
        diff.service_deltas.iter().filter(|(_, d)| **d != 0).map(|(s, d)| format!("{s} {}", signed(*d))).collect();
    if !deltas.is_empty() {
        let _ = writeln!(out, "\nPosture by service: {}", deltas.join(", "));
    }
    if !diff.compliance.controls.is_empty() {
        let _ = writeln!(out, "\nCompliance: {}", scores(diff).join(", "));
        for c in &diff.compliance.controls {
            let _ = writeln!(out, "  {} {}: {} → {}", c.framework, c.control, status(c.old), status(c.new));
        }
    }
    out
}

fn status(status: Option<crate::compliance::Status>) -> &'static str {
    status.map(|s| s.label()).unwrap_or("absent")
}

fn percent(score: Option<f64>) -> String {
    score.map(|s| format!("{s}%")).unwrap_or_else(|| "–".into())
}

/// "cis-aws-3.0 17.4% → 21.7%" for each framework whose score moved.
fn scores(diff: &Diff) -> Vec<String> {
    let moved = diff.compliance.scores.iter().filter(|s| s.old != s.new);
    moved.map(|s| format!("{} {} → {}", s.framework, percent(s.old), percent(s.new))).collect()
}

/// Markdown for a pull-request comment: a verdict line, then tables, each capped so the comment stays short.
pub fn markdown(diff: &Diff) -> String {
    const ROWS: usize = 25;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "### stance posture: {} → {} ({})\n",
        diff.old.posture,
        diff.new.posture,
        signed(diff.posture_delta)
    );
    let _ = writeln!(
        out,
        "**{}** new · **{}** resolved · **{}** changed · {} unchanged finding(s) in account `{}`\n",
        diff.new_findings.len(),
        diff.resolved_findings.len(),
        diff.changed_findings.len(),
        diff.unchanged,
        diff.new.account_id
    );
    let escape = crate::export::markdown_cell;
    if let Some(policy) = &diff.policy {
        let _ = writeln!(
            out,
            "> **Judged under different policies** (findings may have moved with it): {}\n",
            escape(&policy.changes.join("; "))
        );
    }
    let table = |out: &mut String, title: &str, list: &[Finding]| {
        if list.is_empty() {
            return;
        }
        let _ = writeln!(out, "#### {title}\n\n| score | severity | finding | resource |\n| ---: | --- | --- | --- |");
        for f in list.iter().take(ROWS) {
            let _ = writeln!(
                out,
                "| {} | {} | {}{} | `{}` |",
                f.score,
                f.severity,
                escape(&f.title),
                muted(f),
                escape(&f.resource_arn)
            );
        }
        if list.len() > ROWS {
            let _ = writeln!(out, "\n…and {} more.", list.len() - ROWS);
        }
        out.push('\n');
    };
    table(&mut out, "New findings", &diff.new_findings);
    table(&mut out, "Resolved findings", &diff.resolved_findings);
    if !diff.changed_findings.is_empty() {
        let _ = writeln!(out, "#### Changed findings\n\n| score | finding | what changed |\n| ---: | --- | --- |");
        for c in diff.changed_findings.iter().take(ROWS) {
            let _ = writeln!(
                out,
                "| {} → {} | {} | {} |",
                c.old.score,
                c.new.score,
                escape(&c.new.title),
                escape(&c.changes.join("; "))
            );
        }
        out.push('\n');
    }
    let drift = &diff.drift;
    let drift_rows = drift.added.len() + drift.removed.len() + drift.changed.len();
    if drift_rows > 0 {
        let _ = writeln!(
            out,
            "<details><summary>Inventory drift ({drift_rows})</summary>\n\n| change | kind | resource | what |\n| --- | --- | --- | --- |"
        );
        for r in drift.added.iter().take(ROWS) {
            let _ = writeln!(out, "| added | {} | `{}` | |", r.kind, escape(&r.arn));
        }
        for r in drift.removed.iter().take(ROWS) {
            let _ = writeln!(out, "| removed | {} | `{}` | |", r.kind, escape(&r.arn));
        }
        for c in drift.changed.iter().take(ROWS) {
            let _ =
                writeln!(out, "| changed | {} | `{}` | {} |", c.kind, escape(&c.arn), escape(&super::words::drift(c)));
        }
        let _ = writeln!(out, "\n</details>");
    }
    if !diff.compliance.controls.is_empty() {
        let _ = writeln!(
            out,
            "\n#### Compliance: {}\n\n| framework | control | was | is |\n| --- | --- | --- | --- |",
            scores(diff).join(", ")
        );
        for c in diff.compliance.controls.iter().take(ROWS) {
            let _ =
                writeln!(out, "| {} | {} | {} | {} |", c.framework, escape(&c.control), status(c.old), status(c.new));
        }
    }
    out
}
