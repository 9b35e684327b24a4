//! Risk scores: a finding's 0–100 score is a pure function of its severity and of factors read from the
//! resource graph, and every factor is kept on the finding so a user can see why. docs/scoring.md explains
//! the model with a worked example.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use crate::finding::Factor;
use crate::finding::{Category, Finding, Severity};
use crate::inventory::SERVICES;

/// Who can reach the resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Exposure {
    /// Anyone on the internet, no credentials.
    UnauthenticatedInternet,
    /// Any principal of any AWS account: a resource policy with Principal `*` and no restricting condition
    /// (a topic anyone can publish to, a function anyone can invoke, a role anyone can assume), or a service
    /// grant that any account's resource can use. An AWS account costs an attacker a few minutes.
    AnyAwsPrincipal,
    /// Anyone with some credential: an API key, a token an authorizer accepts.
    AuthenticatedInternet,
    /// Principals of another AWS account.
    CrossAccount,
    /// Only principals and services of this account.
    Internal,
    /// Nothing reaches it (e.g. an API that is not deployed).
    Unreachable,
}

/// What an attacker who controls the resource can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlastRadius {
    Admin,
    PrivilegeEscalation,
    /// Read secrets (Secrets Manager values): credentials to other systems, often to more of the account.
    ReadsSecrets,
    /// Change configuration, permissions or data.
    Write,
    Read,
    Minimal,
}

impl Exposure {
    pub fn multiplier(self) -> f64 {
        match self {
            Exposure::UnauthenticatedInternet => 1.4,
            Exposure::AnyAwsPrincipal => 1.3,
            Exposure::AuthenticatedInternet => 1.2,
            Exposure::CrossAccount => 1.1,
            Exposure::Internal => 1.0,
            Exposure::Unreachable => 0.8,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Exposure::UnauthenticatedInternet => "unauthenticated_internet",
            Exposure::AnyAwsPrincipal => "any_aws_principal",
            Exposure::AuthenticatedInternet => "authenticated_internet",
            Exposure::CrossAccount => "cross_account",
            Exposure::Internal => "internal",
            Exposure::Unreachable => "unreachable",
        }
    }
}

impl BlastRadius {
    pub fn multiplier(self) -> f64 {
        match self {
            BlastRadius::Admin => 1.35,
            BlastRadius::PrivilegeEscalation => 1.3,
            BlastRadius::ReadsSecrets => 1.2,
            BlastRadius::Write => 1.1,
            BlastRadius::Read => 1.0,
            BlastRadius::Minimal => 0.85,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            BlastRadius::Admin => "admin",
            BlastRadius::PrivilegeEscalation => "privilege_escalation",
            BlastRadius::ReadsSecrets => "reads_secrets",
            BlastRadius::Write => "write",
            BlastRadius::Read => "read",
            BlastRadius::Minimal => "minimal",
        }
    }
}

/// Base points per severity, before factors.
pub fn base(severity: Severity) -> f64 {
    match severity {
        Severity::Critical => 65.0,
        Severity::High => 50.0,
        Severity::Medium => 35.0,
        Severity::Low => 20.0,
        Severity::Info => 5.0,
    }
}

/// The highest score a finding that is not an attack path can reach: only chains score above it.
pub const SINGLE_FINDING_CAP: u8 = 95;
const COMPENSATING_MULTIPLIER: f64 = 0.75;
/// An exploitation nobody can reconstruct afterwards is worse, but less than any exposure level.
const NOT_AUDITED_MULTIPLIER: f64 = 1.1;

/// What the graph says about a finding's resource.
#[derive(Debug, Clone, Default)]
pub struct RiskInputs {
    pub exposure: Option<(Exposure, String)>,
    pub blast: Option<(BlastRadius, String)>,
    /// Age in days of the credential the finding is about.
    pub credential_age_days: Option<i64>,
    /// Controls that reduce the risk without removing it (an authorizer on other routes, a condition …).
    pub compensating: Vec<String>,
    /// Why an exploitation would go unrecorded: a function reachable without authentication whose
    /// invocations no trail records.
    pub unaudited: Option<String>,
}

/// Scores one finding. `chain_of`: for an attack path, the scores of the findings it chains.
pub fn score(severity: Severity, inputs: &RiskInputs, chain_of: Option<&[u8]>) -> (u8, Vec<Factor>) {
    let mut factors = vec![Factor {
        name: "severity".into(),
        value: severity.as_str().into(),
        multiplier: base(severity),
        reason: "base points of the severity".into(),
    }];
    let mut raw = base(severity);
    if let Some((exposure, reason)) = &inputs.exposure {
        raw *= exposure.multiplier();
        factors.push(Factor {
            name: "exposure".into(),
            value: exposure.as_str().into(),
            multiplier: exposure.multiplier(),
            reason: reason.clone(),
        });
    }
    if let Some((blast, reason)) = &inputs.blast {
        raw *= blast.multiplier();
        factors.push(Factor {
            name: "blast_radius".into(),
            value: blast.as_str().into(),
            multiplier: blast.multiplier(),
            reason: reason.clone(),
        });
    }
    if let Some(days) = inputs.credential_age_days {
        let multiplier = if days >= 365 {
            1.2
        } else if days >= 180 {
            1.1
        } else {
            1.0
        };
        raw *= multiplier;
        factors.push(Factor {
            name: "credential_age".into(),
            value: format!("{days} days"),
            multiplier,
            reason: "older credentials have had longer to leak".into(),
        });
    }
    if let Some(reason) = &inputs.unaudited {
        raw *= NOT_AUDITED_MULTIPLIER;
        factors.push(Factor {
            name: "not_audited".into(),
            value: "invocations not recorded".into(),
            multiplier: NOT_AUDITED_MULTIPLIER,
            reason: reason.clone(),
        });
    }
    for control in inputs.compensating.iter().take(2) {
        raw *= COMPENSATING_MULTIPLIER;
        factors.push(Factor {
            name: "compensating_control".into(),
            value: control.clone(),
            multiplier: COMPENSATING_MULTIPLIER,
            reason: "reduces, but does not remove, the risk".into(),
        });
    }
    let rounded = raw.round().clamp(0.0, 100.0) as u8;
    let score = match chain_of {
        None => rounded.min(SINGLE_FINDING_CAP),
        Some(parts) => {
            let strongest = parts.iter().copied().max().unwrap_or(0);
            factors.push(Factor {
                name: "attack_path".into(),
                value: format!("chains {} finding(s), the strongest scoring {strongest}", parts.len()),
                multiplier: 1.0,
                reason: "a chain outranks each of its parts".into(),
            });
            rounded.max(strongest.saturating_add(1)).min(100)
        }
    };
    (score, factors)
}

/// The account's posture, 0 (worst) to 100 (no findings), overall and per service.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Posture {
    pub score: u8,
    pub by_service: BTreeMap<String, u8>,
    pub findings_by_severity: BTreeMap<Severity, usize>,
}

/// `100 / (1 + Σ (score/100)² / 5)` over the findings: squaring makes a few severe findings weigh more
/// than many slight ones, and the hyperbola never reaches 0, so a bad account and a worse one still differ.
fn posture_of<'a>(findings: impl Iterator<Item = &'a Finding>) -> u8 {
    let weight: f64 = findings.map(|f| (f64::from(f.score) / 100.0).powi(2)).sum();
    (100.0 / (1.0 + weight / POSTURE_SCALE)).round() as u8
}

/// The weight (Σ (score/100)²) that halves the posture score: five findings scoring 100.
pub const POSTURE_SCALE: f64 = 5.0;

/// The services a posture is summarized by, in the order the TUI's service filter cycles through them: the
/// attack paths' group first, then the service table's posture groups.
pub fn posture_services() -> Vec<&'static str> {
    let paths = Category::ALL.iter().filter(|c| c.is_path()).map(|c| c.service());
    let mut services: Vec<&'static str> = Vec::new();
    for service in paths.chain(SERVICES.iter().map(|s| s.posture)) {
        if !services.contains(&service) {
            services.push(service);
        }
    }
    services
}

/// The posture over the findings that are not muted.
pub fn posture(findings: &[Finding]) -> Posture {
    let mut services: BTreeMap<String, Vec<&Finding>> = BTreeMap::new();
    let mut by_severity: BTreeMap<Severity, usize> = BTreeMap::new();
    let findings: Vec<&Finding> = findings.iter().filter(|f| f.muted.is_none()).collect();
    for &finding in &findings {
        services.entry(finding.category.service().to_owned()).or_default().push(finding);
        *by_severity.entry(finding.severity).or_default() += 1;
    }
    Posture {
        score: posture_of(findings.iter().copied()),
        by_service: services.into_iter().map(|(service, list)| (service, posture_of(list.into_iter()))).collect(),
        findings_by_severity: by_severity,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(exposure: Option<Exposure>, blast: Option<BlastRadius>) -> RiskInputs {
        RiskInputs {
            exposure: exposure.map(|e| (e, "test".to_owned())),
            blast: blast.map(|b| (b, "test".to_owned())),
            ..RiskInputs::default()
        }
    }

    #[test]
    fn factors_move_the_score_the_right_way() {
        let plain = score(Severity::High, &RiskInputs::default(), None).0;
        assert_eq!(plain, 50);
        let public = score(Severity::High, &inputs(Some(Exposure::UnauthenticatedInternet), None), None).0;
        let internal = score(Severity::High, &inputs(Some(Exposure::Internal), None), None).0;
        assert!(public > internal && internal == plain);
        let admin =
            score(Severity::High, &inputs(Some(Exposure::UnauthenticatedInternet), Some(BlastRadius::Admin)), None);
        assert_eq!(admin.0, 95, "50 × 1.4 × 1.35 = 94.5, rounded half away from zero");
        assert_eq!(admin.1.len(), 3, "every factor is recorded");
        let compensated = score(
            Severity::High,
            &RiskInputs {
                compensating: vec!["API key required".into()],
                ..inputs(Some(Exposure::UnauthenticatedInternet), None)
            },
            None,
        )
        .0;
        assert!(compensated < public);
        let old_key =
            score(Severity::Medium, &RiskInputs { credential_age_days: Some(400), ..RiskInputs::default() }, None).0;
        assert_eq!(old_key, 42);
    }

    #[test]
    fn single_findings_are_capped_and_chains_outrank_their_parts() {
        let critical =
            score(Severity::Critical, &inputs(Some(Exposure::UnauthenticatedInternet), Some(BlastRadius::Admin)), None)
                .0;
        assert_eq!(critical, SINGLE_FINDING_CAP);
        let path = score(
            Severity::Critical,
            &inputs(Some(Exposure::UnauthenticatedInternet), Some(BlastRadius::Admin)),
            Some(&[95, 80]),
        )
        .0;
        assert_eq!(path, 100);
        let weak_path =
            score(Severity::Critical, &inputs(Some(Exposure::Internal), Some(BlastRadius::Minimal)), Some(&[90])).0;
        assert_eq!(weak_path, 91, "still above its strongest part");
    }

    #[test]
    fn every_category_counts_against_a_posture_service() {
        let services = posture_services();
        for category in Category::ALL {
            assert!(services.contains(&category.service()), "{category}: `{}` is no service", category.service());
        }
    }

    #[test]
    fn posture_falls_with_findings() {
        assert_eq!(posture(&[]).score, 100);
    }
}
