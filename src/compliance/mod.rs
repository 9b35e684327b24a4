//! Compliance as data (DESIGN.md §4b): each framework of `assets/compliance/` maps its controls to rules, and
//! a control's status (pass, fail, not evaluated, manual) is derived from a snapshot's findings and coverage
//! records, never recomputed from the raw inventory. A layer on top of the findings: nothing below it knows
//! frameworks exist, so the same findings serve every framework.

mod framework;

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

pub use framework::{Control, Evaluation, Framework, FrameworkError, PolicyPart, frameworks, parse_framework};

use crate::analyze::settings::Settings;
use crate::finding::Finding;
use crate::inventory::{CoverageRecord, Inventory};

/// A control's status in one snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The controlled resources were inventoried and no finding of the mapped rules exists.
    Pass,
    /// Passes only because every finding of the mapped rules is muted (an accepted risk).
    PassWithExceptions,
    /// An unmuted finding of the mapped rules exists.
    Fail,
    /// A coverage gap stops the evaluation, the control needs a service stance does not scan, or no stance rule
    /// evaluates it yet.
    NotEvaluated,
    /// Cannot be checked through the API.
    Manual,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::PassWithExceptions => "pass_with_exceptions",
            Status::Fail => "fail",
            Status::NotEvaluated => "not_evaluated",
            Status::Manual => "manual",
        }
    }

    /// For people: "pass (exceptions)", "not evaluated".
    pub fn label(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::PassWithExceptions => "pass (exceptions)",
            Status::Fail => "fail",
            Status::NotEvaluated => "not evaluated",
            Status::Manual => "manual",
        }
    }

    pub fn passes(self) -> bool {
        matches!(self, Status::Pass | Status::PassWithExceptions)
    }

    /// Counts in the score's denominator.
    pub fn evaluated(self) -> bool {
        matches!(self, Status::Pass | Status::PassWithExceptions | Status::Fail)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// One control, evaluated.
#[derive(Debug, Clone)]
pub struct ControlResult<'a> {
    pub control: &'a Control,
    pub status: Status,
    /// The unmuted findings that make it fail.
    pub failing: Vec<&'a Finding>,
    /// The muted findings it passes in spite of.
    pub excepted: Vec<&'a Finding>,
    /// The coverage gaps that stop its evaluation (only when nothing fails).
    pub gaps: Vec<&'a CoverageRecord>,
    /// Why it is not evaluated or manual; empty otherwise.
    pub reason: String,
}

/// One framework, evaluated.
#[derive(Debug, Clone)]
pub struct FrameworkResult<'a> {
    pub framework: &'a Framework,
    pub controls: Vec<ControlResult<'a>>,
}

impl FrameworkResult<'_> {
    pub fn count(&self, status: Status) -> usize {
        self.controls.iter().filter(|c| c.status == status).count()
    }

    /// Evaluated controls passing ÷ evaluated, in percent; `None` when nothing could be evaluated.
    pub fn score(&self) -> Option<f64> {
        score_of(self.controls.iter().map(|c| c.status))
    }

    pub fn control(&self, id: &str) -> Option<&ControlResult<'_>> {
        self.controls.iter().find(|c| c.control.id == id)
    }

    /// What a snapshot keeps of it.
    pub fn summary(&self) -> ComplianceSummary {
        ComplianceSummary {
            framework: self.framework.id.clone(),
            version: self.framework.version.clone(),
            score: self.score(),
            controls: self.controls.iter().map(|c| (c.control.id.clone(), c.status)).collect(),
        }
    }
}

fn score_of(statuses: impl Iterator<Item = Status>) -> Option<f64> {
    let (mut passed, mut evaluated) = (0usize, 0usize);
    for status in statuses.filter(|s| s.evaluated()) {
        evaluated += 1;
        passed += usize::from(status.passes());
    }
    // One decimal: the stored figure is what history and diff compare, so it must not carry float noise.
    (evaluated > 0).then(|| (passed as f64 * 1000.0 / evaluated as f64).round() / 10.0)
}

/// A framework's result as a snapshot records it: enough for history (the score) and diff (each control's
/// status) without re-reading the mapping the scan was evaluated under.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComplianceSummary {
    pub framework: String,
    pub version: String,
    /// Evaluated controls passing ÷ evaluated, in percent (one decimal); absent when none was evaluated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    pub controls: BTreeMap<String, Status>,
}

impl ComplianceSummary {
    pub fn count(&self, status: Status) -> usize {
        self.controls.values().filter(|s| **s == status).count()
    }
}

/// Evaluates every framework over a snapshot's findings (muted ones included, marked), the policy they were
/// judged under, its coverage gaps and the services it did not scan.
pub fn evaluate<'a>(
    findings: &'a [Finding],
    settings: &Settings,
    inventory: &'a Inventory,
) -> Vec<FrameworkResult<'a>> {
    evaluate_frameworks(frameworks(), findings, settings, inventory)
}

pub fn evaluate_frameworks<'a>(
    frameworks: &'a [Framework],
    findings: &'a [Finding],
    settings: &Settings,
    inventory: &'a Inventory,
) -> Vec<FrameworkResult<'a>> {
    let mut by_rule: HashMap<&str, Vec<&Finding>> = HashMap::new();
    for finding in findings {
        by_rule.entry(finding.rule_id.as_str()).or_default().push(finding);
    }
    frameworks
        .iter()
        .map(|framework| FrameworkResult {
            framework,
            controls: framework
                .controls
                .iter()
                .map(|control| evaluate_control(&framework.id, control, &by_rule, settings, inventory))
                .collect(),
        })
        .collect()
}

fn evaluate_control<'a>(
    framework: &str,
    control: &'a Control,
    by_rule: &HashMap<&str, Vec<&'a Finding>>,
    settings: &Settings,
    inventory: &'a Inventory,
) -> ControlResult<'a> {
    let mut result = ControlResult {
        control,
        status: Status::Pass,
        failing: vec![],
        excepted: vec![],
        gaps: vec![],
        reason: String::new(),
    };
    // The policy file's custom rules that say they evaluate this control: with one, any control is evaluated.
    let claim = format!("{framework}:{}", control.id);
    let claimed: Vec<&crate::analyze::settings::CustomRule> =
        settings.custom_rules.iter().filter(|r| r.controls.contains(&claim)).collect();
    let evaluation = if claimed.is_empty() { control.evaluation } else { Evaluation::Rules };
    match evaluation {
        Evaluation::Manual => {
            result.status = Status::Manual;
            result.reason = "cannot be checked through the API".into();
            return result;
        }
        Evaluation::Outside => {
            result.status = Status::NotEvaluated;
            result.reason = format!("outside the services scanned (needs {})", control.needs.join(", "));
            return result;
        }
        Evaluation::Unchecked => {
            result.status = Status::NotEvaluated;
            result.reason = "no stance rule evaluates it yet".into();
            return result;
        }
        Evaluation::Rules => {}
    }
    let built_in = control
        .rules
        .iter()
        .flat_map(|rule| by_rule.get(rule.as_str()).into_iter().flatten())
        .filter(|f| control.covers(f));
    let custom = claimed.iter().flat_map(|rule| by_rule.get(rule.id.as_str()).into_iter().flatten());
    for finding in built_in.chain(custom) {
        if finding.muted.is_some() {
            result.excepted.push(finding);
        } else {
            result.failing.push(finding);
        }
    }
    // A rule that only judges what the policy file configures passes vacuously without it: not evaluated.
    if let Some(missing) = control.requires.iter().find(|r| !r.configured_in(settings)) {
        result.status = Status::NotEvaluated;
        result.reason = format!("the policy file sets no {}", missing.table());
        return result;
    }
    // A finding is conclusive whatever else could not be read; only a pass needs the whole picture.
    if !result.failing.is_empty() {
        result.status = Status::Fail;
        return result;
    }
    if let Some(service) = control.needs.iter().find(|s| inventory.unscanned.contains(&s.as_str())) {
        result.status = Status::NotEvaluated;
        result.reason = format!("the snapshot was made before stance scanned {service}");
        return result;
    }
    let needs: Vec<&str> = control
        .needs
        .iter()
        .map(String::as_str)
        .chain(claimed.iter().filter_map(|r| crate::inventory::tags::service_of_kind(&r.kind)))
        .collect();
    result.gaps =
        inventory.coverage.iter().filter(|gap| !gap.recovered() && needs.contains(&gap.service.as_str())).collect();
    if let Some(first) = result.gaps.first() {
        result.status = Status::NotEvaluated;
        let more = match result.gaps.len() {
            1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        result.reason = format!(
            "coverage gap: {} {} {}: {}{more}",
            first.service,
            first.region,
            first.operation,
            first.error_kind.as_str()
        );
        return result;
    }
    if !result.excepted.is_empty() {
        result.status = Status::PassWithExceptions;
    }
    result
}

/// The controls whose status differs between two snapshots' summaries: (framework, control, old, new), a
/// control absent from one side (a framework or mapping that changed) as `None`.
pub fn changes<'a>(
    old: &'a [ComplianceSummary],
    new: &'a [ComplianceSummary],
) -> Vec<(&'a str, &'a str, Option<Status>, Option<Status>)> {
    let mut changed = Vec::new();
    for framework in new {
        let before = old.iter().find(|o| o.framework == framework.framework);
        let Some(before) = before else { continue };
        let ids = before.controls.keys().chain(framework.controls.keys());
        let mut seen = std::collections::BTreeSet::new();
        for id in ids.filter(|id| seen.insert(id.as_str())) {
            let (was, is) = (before.controls.get(id).copied(), framework.controls.get(id).copied());
            if was != is {
                changed.push((framework.framework.as_str(), id.as_str(), was, is));
            }
        }
    }
    changed.sort_by(|a, b| (a.0, framework::control_order(a.1)).cmp(&(b.0, framework::control_order(b.1))));
    changed
}

#[cfg(test)]
mod tests;
