//! `stance compliance`: every control of the chosen frameworks with its status, and what fails it, as text,
//! JSON, Markdown or CSV.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::compliance::{ControlResult, FrameworkResult, Status};
use crate::export::markdown_cell;

/// A framework's headline: "CIS AWS Foundations Benchmark 3.0.0: 62.5% (10 of 16 evaluated controls pass)".
pub fn headline(result: &FrameworkResult<'_>) -> String {
    let framework = result.framework;
    let evaluated = result.controls.iter().filter(|c| c.status.evaluated()).count();
    let passed = result.controls.iter().filter(|c| c.status.passes()).count();
    let score = result.score().map(|s| format!("{s}%")).unwrap_or_else(|| "no score".into());
    format!(
        "{} {} ({}): {score}, {passed} of {evaluated} evaluated controls pass; {} not evaluated, {} manual",
        framework.title,
        framework.version,
        framework.id,
        result.count(Status::NotEvaluated),
        result.count(Status::Manual)
    )
}

/// The resources a control's findings are on, each once, in the findings' (rank) order.
pub fn resources<'a>(findings: &[&'a crate::finding::Finding]) -> Vec<&'a str> {
    let mut seen = BTreeSet::new();
    findings.iter().map(|f| f.resource_arn.as_str()).filter(|arn| seen.insert(*arn)).collect()
}

/// Why a control has its status, in one line: the failing findings' count, the exceptions' reasons, or the
/// reason it is not evaluated.
pub fn explanation(control: &ControlResult<'_>) -> String {
    match control.status {
        Status::Fail => {
            let resources = resources(&control.failing).len();
            format!("{} finding(s) on {resources} resource(s)", control.failing.len())
        }
        Status::PassWithExceptions => {
            let reasons: BTreeSet<&str> =
                control.excepted.iter().filter_map(|f| f.muted.as_ref()).map(|m| m.reason.as_str()).collect();
            format!(
                "{} muted finding(s): {}",
                control.excepted.len(),
                reasons.into_iter().collect::<Vec<_>>().join("; ")
            )
        }
        Status::Pass => String::new(),
        Status::NotEvaluated | Status::Manual => control.reason.clone(),
    }
}

pub fn text(results: &[FrameworkResult<'_>]) -> String {
    let mut out = String::new();
    for (i, result) in results.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "{}", headline(result));
        let width = result.controls.iter().map(|c| c.control.id.chars().count()).max().unwrap_or(0);
        let mut section = "";
        for control in &result.controls {
            if control.control.section != section {
                section = &control.control.section;
                let _ = writeln!(out, "  {section}");
            }
            let why = explanation(control);
            let why = if why.is_empty() { String::new() } else { format!(" — {why}") };
            let (id, status, title) = (&control.control.id, control.status.label(), &control.control.title);
            let _ = writeln!(out, "    {id:<width$}  {status:<17}  {title}{why}");
            for finding in &control.failing {
                let _ = writeln!(out, "        {} {}  {}", finding.severity, finding.rule_id, finding.resource_arn);
            }
            for finding in &control.excepted {
                let reason = finding.muted.as_ref().map(|m| m.reason.as_str()).unwrap_or_default();
                let _ = writeln!(out, "        muted {}  {}  ({reason})", finding.rule_id, finding.resource_arn);
            }
        }
    }
    out
}

fn finding_json(finding: &crate::finding::Finding) -> Value {
    let mut value = json!({
        "rule_id": finding.rule_id,
        "fingerprint": finding.fingerprint,
        "severity": finding.severity,
        "score": finding.score,
        "resource_arn": finding.resource_arn,
        "title": finding.title,
    });
    if let Some(muted) = &finding.muted {
        value["muted"] = json!(muted);
    }
    value
}

pub fn json(results: &[FrameworkResult<'_>]) -> Value {
    let frameworks: Vec<Value> = results
        .iter()
        .map(|result| {
            let framework = result.framework;
            let controls: Vec<Value> = result
                .controls
                .iter()
                .map(|c| {
                    json!({
                        "id": c.control.id,
                        "section": c.control.section,
                        "title": c.control.title,
                        "status": c.status,
                        "evaluation": format!("{:?}", c.control.evaluation).to_lowercase(),
                        "rules": c.control.rules,
                        "reason": (!c.reason.is_empty()).then_some(&c.reason),
                        "note": c.control.note,
                        "failing": c.failing.iter().map(|f| finding_json(f)).collect::<Vec<_>>(),
                        "exceptions": c.excepted.iter().map(|f| finding_json(f)).collect::<Vec<_>>(),
                        "gaps": c.gaps,
                    })
                })
                .collect();
            json!({
                "id": framework.id,
                "title": framework.title,
                "version": framework.version,
                "source": framework.source,
                "score": result.score(),
                "counts": {
                    "pass": result.count(Status::Pass),
                    "pass_with_exceptions": result.count(Status::PassWithExceptions),
                    "fail": result.count(Status::Fail),
                    "not_evaluated": result.count(Status::NotEvaluated),
                    "manual": result.count(Status::Manual),
                },
                "controls": controls,
            })
        })
        .collect();
    json!({ "frameworks": frameworks })
}

pub fn markdown(results: &[FrameworkResult<'_>]) -> String {
    let mut out = String::new();
    for result in results {
        let framework = result.framework;
        let _ = writeln!(out, "## {} {}\n", markdown_cell(&framework.title), framework.version);
        let _ = writeln!(out, "{}\n", headline(result));
        let _ = writeln!(out, "| control | status | title | why | resources |\n| --- | --- | --- | --- | --- |");
        for c in &result.controls {
            let listed = if c.status == Status::Fail { &c.failing } else { &c.excepted };
            let arns: Vec<String> = resources(listed).iter().map(|a| format!("`{}`", markdown_cell(a))).collect();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                markdown_cell(&c.control.id),
                c.status.label(),
                markdown_cell(&c.control.title),
                markdown_cell(&explanation(c)),
                arns.join("<br>")
            );
        }
        out.push('\n');
    }
    out
}

pub fn csv(results: &[FrameworkResult<'_>]) -> Result<Vec<u8>, String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record(["framework", "version", "control", "section", "title", "status", "why", "findings", "resources"])
        .map_err(|e| e.to_string())?;
    for result in results {
        for c in &result.controls {
            let listed = if c.status == Status::Fail { &c.failing } else { &c.excepted };
            writer
                .write_record([
                    result.framework.id.as_str(),
                    &result.framework.version,
                    &c.control.id,
                    &c.control.section,
                    &c.control.title,
                    c.status.as_str(),
                    &explanation(c),
                    &listed.len().to_string(),
                    &resources(listed).join(" "),
                ])
                .map_err(|e| e.to_string())?;
        }
    }
    writer.into_inner().map_err(|e| e.to_string())
}
