//! Rules: one file per family, each rule declared with its metadata and registered on one line of the
//! registry ([`registry::RULES`]), which drives `stance rules`, `stance explain`, the docs and the taxonomy.

mod apigateway;
mod cloudtrail;
mod credentials;
mod custom;
mod events;
#[cfg(test)]
pub(crate) mod fixture;
mod governance;
mod iam_permissions;
pub use custom::{check_condition, check_title};
pub use iam_permissions::escalation_methods;
mod iam_trust;
mod kms;
mod lambda;
mod monitoring;
mod paths;
pub mod registry;
pub mod resource_policy;
mod secrets;
pub mod view;

pub use crate::finding::{Category, Evidence, Finding, Link, Severity, fingerprint};
pub use registry::{RULES, Registered, find_rule, markdown_reference};

use crate::analyze::Context;
use crate::analyze::policy::{Grant, Statement};
use crate::score::{self, RiskInputs};

/// A rule's texts. Its category, service and severity are on its registry line.
#[derive(Debug)]
pub struct RuleMeta {
    /// Stable kebab-case id.
    pub id: &'static str,
    pub title: &'static str,
    /// Why it matters, and what does not trigger it.
    pub rationale: &'static str,
    pub remediation: &'static str,
    /// AWS Foundational Security Best Practices / CIS AWS Foundations controls and AWS documentation.
    pub references: &'static [&'static str],
}

pub struct Rule {
    pub meta: RuleMeta,
    /// Emits the rule's findings. `earlier`: for an attack path ([`Link::Path`]), the findings of every other
    /// rule (it chains them); empty for the others.
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
    /// A custom rule's finding: its own id, severity, remediation and references, in place of the
    /// registered rule's.
    pub custom: Option<crate::analyze::settings::CustomRule>,
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
            custom: None,
        }
    }
    /// An account-level finding: on the account's root ARN (`arn:PARTITION:iam::ACCOUNT:root`), region
    /// `global`, with the control (`CIS 3.1`) as discriminator.
    pub fn on_account(cx: &Context<'_>, control: impl Into<String>, title: impl Into<String>) -> Self {
        let account = &cx.inventory.account;
        let root = crate::inventory::arn::account_root(&account.partition, &account.account_id);
        Draft::new(root, "global", control, title)
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

fn finish(rule: &Registered, severity: Severity, draft: Draft) -> Finding {
    let meta = &rule.meta;
    let (id, remediation, references): (String, std::borrow::Cow<'static, str>, Vec<std::borrow::Cow<'static, str>>) =
        match &draft.custom {
            Some(custom) => (
                custom.id.clone(),
                custom.remediation.clone().into(),
                custom.references.iter().map(|r| r.clone().into()).collect(),
            ),
            None => {
                (meta.id.to_owned(), meta.remediation.into(), meta.references.iter().map(|r| (*r).into()).collect())
            }
        };
    let (score, factors) = score::score(severity, &draft.risk, draft.chain_of.as_deref());
    Finding {
        fingerprint: fingerprint(&id, &draft.resource_arn, &draft.discriminator),
        rule_id: id,
        category: rule.category,
        severity,
        score,
        factors,
        resource_arn: draft.resource_arn,
        region: draft.region,
        title: draft.title,
        evidence: draft.evidence,
        remediation,
        references,
        path: draft.path,
        muted: None,
    }
}

/// Runs one rule. `earlier`: what an attack path chains (ignored by the other rules).
pub fn run_rule(rule: &Registered, context: &Context<'_>, earlier: &[Finding]) -> Vec<Finding> {
    let mut emitter = Emitter { drafts: Vec::new() };
    (rule.check)(context, earlier, &mut emitter);
    for draft in &mut emitter.drafts {
        if draft.risk.unaudited.is_none() {
            draft.risk.unaudited = context.unaudited_public_function(&draft.resource_arn, &draft.path);
        }
    }
    // A severity the policy file sets scores the finding as if the taxonomy said so; a custom rule's own
    // severity is its default.
    emitter
        .drafts
        .into_iter()
        .map(|d| {
            let (id, default) = match &d.custom {
                Some(custom) => (custom.id.as_str(), custom.severity),
                None => (rule.meta.id, rule.severity()),
            };
            let severity = context.settings.severity_of(id, default);
            finish(rule, severity, d)
        })
        .collect()
}

/// Runs every rule that is not an attack path, in registry order.
pub fn run_checks(context: &Context<'_>) -> Vec<Finding> {
    enabled(context).filter(|r| r.link() != Link::Path).flat_map(|rule| run_rule(rule, context, &[])).collect()
}

/// The rules the policy file does not disable.
fn enabled<'c>(context: &'c Context<'_>) -> impl Iterator<Item = &'static Registered> + 'c {
    RULES.iter().filter(|r| context.settings.runs(r.meta.id))
}

/// Runs every enabled rule: the checks, then the attack paths over their findings (an attack path can only
/// chain the findings of rules that ran).
pub fn run_all(context: &Context<'_>) -> Vec<Finding> {
    let mut findings = run_checks(context);
    let chains: Vec<Finding> = enabled(context)
        .filter(|r| r.link() == Link::Path)
        .flat_map(|rule| run_rule(rule, context, &findings))
        .collect();
    findings.extend(chains);
    findings
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

/// What `stance explain RULE` adds after a rule's own text: for the privilege-escalation rule, every method
/// it knows (id, actions, how it is abused), which its findings name.
pub fn explain_more(rule_id: &str) -> Vec<String> {
    if rule_id != iam_permissions::PRIVILEGE_ESCALATION.meta.id {
        return Vec::new();
    }
    let mut lines = vec![format!("Escalation methods ({}):", escalation_methods().len())];
    lines.extend(escalation_methods().into_iter().map(|(id, actions, how)| format!("  - {id}: {actions}: {how}")));
    lines
}
