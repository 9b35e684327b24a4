//! Rules: one file per family, each rule declared with its metadata and registered on one line in
//! [`registry::RULES`], which drives `stance rules`, `stance explain` and the docs.

mod apigateway;
mod credentials;
mod finding;
#[cfg(test)]
pub(crate) mod fixture;
mod iam_permissions;
mod iam_trust;
mod lambda;
mod paths;
pub mod registry;

pub use finding::{Category, Evidence, Finding, Severity, fingerprint};
pub use registry::{RULES, find_rule, markdown_reference};

use crate::analyze::Context;
use crate::analyze::policy::{Grant, Statement};
use crate::score::{self, RiskInputs};

/// A rule's metadata.
#[derive(Debug)]
pub struct RuleMeta {
    /// Stable kebab-case id.
    pub id: &'static str,
    pub title: &'static str,
    pub category: Category,
    pub severity: Severity,
    /// Why it matters, and what does not trigger it.
    pub rationale: &'static str,
    pub remediation: &'static str,
    /// AWS Foundational Security Best Practices / CIS AWS Foundations controls and AWS documentation.
    pub references: &'static [&'static str],
}

pub struct Rule {
    pub meta: RuleMeta,
    /// Emits the rule's findings. `earlier`: the findings of the rules registered before it (attack paths
    /// chain them).
    pub check: fn(&Context<'_>, &[Finding], &mut Emitter),
}

/// A finding before scoring.
pub struct Draft {
    pub resource_arn: String,
    pub region: String,
    /// What tells this finding apart from others of the same rule on the same resource (statement Sid or
    /// index, key id, variable name …). Part of the fingerprint.
    pub discriminator: String,
    pub title: String,
    pub evidence: Evidence,
    pub risk: RiskInputs,
    pub path: Vec<String>,
    /// For attack paths: the scores of the findings chained.
    pub chain_of: Option<Vec<u8>>,
}

impl Draft {
    pub fn new(
        resource_arn: impl Into<String>,
        region: impl Into<String>,
        discriminator: impl Into<String>,
        title: impl Into<String>,
    ) -> Self {
        Draft {
            resource_arn: resource_arn.into(),
            region: region.into(),
            discriminator: discriminator.into(),
            title: title.into(),
            evidence: Evidence::default(),
            risk: RiskInputs::default(),
            path: Vec::new(),
            chain_of: None,
        }
    }
    pub fn evidence(mut self, evidence: Evidence) -> Self {
        self.evidence = evidence;
        self
    }
    pub fn risk(mut self, risk: RiskInputs) -> Self {
        self.risk = risk;
        self
    }
}

pub struct Emitter {
    drafts: Vec<Draft>,
}

impl Emitter {
    pub fn emit(&mut self, draft: Draft) {
        self.drafts.push(draft);
    }
}

fn finish(meta: &RuleMeta, draft: Draft) -> Finding {
    let (score, factors) = score::score(meta.severity, &draft.risk, draft.chain_of.as_deref());
    Finding {
        rule_id: meta.id.to_owned(),
        category: meta.category,
        severity: meta.severity,
        score,
        factors,
        fingerprint: fingerprint(meta.id, &draft.resource_arn, &draft.discriminator),
        resource_arn: draft.resource_arn,
        region: draft.region,
        title: draft.title,
        evidence: draft.evidence,
        remediation: meta.remediation.to_owned(),
        references: meta.references.iter().map(|r| (*r).to_owned()).collect(),
        path: draft.path,
        muted: None,
    }
}

/// Runs one rule.
pub fn run_rule(rule: &Rule, context: &Context<'_>, earlier: &[Finding]) -> Vec<Finding> {
    let mut emitter = Emitter { drafts: Vec::new() };
    (rule.check)(context, earlier, &mut emitter);
    emitter.drafts.into_iter().map(|d| finish(&rule.meta, d)).collect()
}

/// Runs every registered rule, in registry order.
pub fn run_all(context: &Context<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for rule in RULES {
        let new = run_rule(rule, context, &findings);
        findings.extend(new);
    }
    findings
}

/// Each foreign account (not the scanned one) that an admission without a restricting condition names,
/// with that admission: what the cross-account rules report.
pub fn unrestricted_foreign_accounts<'a>(
    context: &'a Context<'_>,
    admissions: &'a [crate::analyze::policy::Admission<'a>],
) -> impl Iterator<Item = (&'a crate::analyze::policy::Admission<'a>, &'a String)> + 'a {
    admissions.iter().filter(|a| a.restricted_by.is_empty()).flat_map(move |admission| {
        admission.who.iter().filter_map(move |who| match who {
            crate::analyze::policy::Who::Account(account) if account != context.account_id() => {
                Some((admission, account))
            }
            _ => None,
        })
    })
}

/// Evidence pointing at one policy statement.
pub fn statement_evidence(summary: String, location: String, statement: &Statement) -> Evidence {
    Evidence { summary, location: Some(location), statement: Some(statement.raw.clone()), details: Default::default() }
}

/// "inline policy `x` of role y, statement Sid".
pub fn grant_location(grant: &Grant) -> String {
    let owner = grant.source.attached_to.rsplit(['/', ':']).next().unwrap_or(&grant.source.attached_to);
    format!("{} policy `{}` of {owner}, statement {}", grant.source.kind, grant.source.name, grant.statement.label())
}

/// The discriminator of a finding on a grant: the policy and the statement.
pub fn grant_discriminator(grant: &Grant) -> String {
    format!(
        "{}:{}#{}",
        grant.source.kind,
        grant.source.arn.as_deref().unwrap_or(&grant.source.name),
        grant.statement.label()
    )
}
