//! Role trust policies: who can assume a role.

use serde_json::json;

use super::{Category, Draft, Rule, RuleMeta, Severity, statement_evidence};
use crate::analyze::policy::principals::{CROSS_ACCOUNT_RESTRICTING_KEYS, PUBLIC_RESTRICTING_KEYS};
use crate::analyze::policy::{Statement, Who, admissions};
use crate::score::{Exposure, RiskInputs};

const ASSUME: &[&str] = &["sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML"];

fn is_service_linked(path: &str) -> bool {
    path.starts_with("/aws-service-role/")
}

/// A web-identity trust is only as narrow as its subject condition: without one, any identity the
/// provider issues tokens to (any GitHub repository, any Cognito pool user) can assume the role.
fn federated_unrestricted(statement: &Statement) -> bool {
    !statement.restricting_conditions().any(|c| {
        let key = c.key.to_ascii_lowercase();
        key.ends_with(":sub")
            || key.starts_with("cognito-identity.amazonaws.com:aud")
            || key == "saml:aud"
            || key.ends_with(":oaud")
    })
}

pub static TRUST_ANY_PRINCIPAL: Rule = Rule {
    meta: RuleMeta {
        id: "iam-role-trust-any-principal",
        title: "Role trust policy admits any principal",
        category: Category::IamRoleTrustAnyPrincipal,
        severity: Severity::Critical,
        rationale: "A trust policy with Principal `*` / `{\"AWS\": \"*\"}` (or an Allow with NotPrincipal) lets a principal of any AWS account assume the role, unless a condition restricts it to the organization, an account or a principal ARN (aws:PrincipalOrgID, aws:PrincipalAccount, aws:PrincipalArn, aws:SourceArn …). sts:ExternalId alone does not count: external ids are not secrets. A web-identity trust without a condition on the token's subject (`…:sub`) likewise admits every identity of the provider.",
        remediation: "Name the trusted principals (role ARNs or an account) instead of `*`, or add an aws:PrincipalOrgID condition; for OIDC providers, add a StringEquals/StringLike condition on the token's `sub`.",
        references: &[
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html",
            "https://docs.github.com/actions/deployment/security-hardening-your-deployments/configuring-openid-connect-in-amazon-web-services",
        ],
    },
    check: |cx, _, out| {
        for role in cx.inventory.iam.roles.values().filter(|r| !is_service_linked(&r.path)) {
            let Some(trust) = cx.trust_policies.get(&role.arn) else { continue };
            for admission in admissions(trust, ASSUME, PUBLIC_RESTRICTING_KEYS) {
                let anyone = admission.who.contains(&Who::Anyone) && admission.restricted_by.is_empty();
                let open_federation = admission.who.iter().any(|w| matches!(w, Who::Federated(_)))
                    && federated_unrestricted(admission.statement);
                if !anyone && !open_federation {
                    continue;
                }
                let statement = admission.statement;
                let who = if anyone {
                    "any AWS principal".to_owned()
                } else {
                    "every identity of its web identity provider".to_owned()
                };
                let evidence = statement_evidence(
                    format!(
                        "statement {} of the trust policy of {} lets {who} assume it, with no restricting condition",
                        statement.label(),
                        role.name
                    ),
                    format!("trust policy of {}, statement {}", role.arn, statement.label()),
                    statement,
                );
                let view = cx.principals.get(&role.arn);
                let risk = RiskInputs {
                    exposure: Some((Exposure::AuthenticatedInternet, format!("{who} can assume it"))),
                    blast: view.map(|v| v.blast_radius()),
                    ..RiskInputs::default()
                };
                out.emit(
                    Draft::new(
                        &role.arn,
                        "global",
                        statement.label(),
                        format!("Role {} can be assumed by {who}", role.name),
                    )
                    .evidence(evidence)
                    .risk(risk),
                );
            }
        }
    },
};

pub static CROSS_ACCOUNT_NO_EXTERNAL_ID: Rule = Rule {
    meta: RuleMeta {
        id: "iam-role-cross-account-no-external-id",
        title: "Role trusts another account without an external id",
        category: Category::IamRoleCrossAccountNoExternalId,
        severity: Severity::High,
        rationale: "A role that trusts a foreign account with no sts:ExternalId (or aws:PrincipalOrgID, aws:PrincipalArn, MFA) condition can be assumed by any principal that account allows, and is open to the confused-deputy problem when the account is a vendor's. Trusts of the account itself, of services, and trusts with such a condition do not trigger it.",
        remediation: "Add a `StringEquals sts:ExternalId` condition agreed with the third party, or restrict the principal to the specific role ARN that needs access and add aws:PrincipalOrgID for accounts of your organization.",
        references: &[
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html",
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-user_externalid.html",
        ],
    },
    check: |cx, _, out| {
        for role in cx.inventory.iam.roles.values().filter(|r| !is_service_linked(&r.path)) {
            let Some(trust) = cx.trust_policies.get(&role.arn) else { continue };
            for admission in admissions(trust, &["sts:AssumeRole"], CROSS_ACCOUNT_RESTRICTING_KEYS) {
                if !admission.restricted_by.is_empty() {
                    continue;
                }
                for who in &admission.who {
                    let Who::Account(account) = who else { continue };
                    if account == cx.account_id() {
                        continue;
                    }
                    let statement = admission.statement;
                    let mut evidence = statement_evidence(
                        format!(
                            "statement {} of the trust policy of {} trusts account {account} with no sts:ExternalId or equivalent condition",
                            statement.label(),
                            role.name
                        ),
                        format!("trust policy of {}, statement {}", role.arn, statement.label()),
                        statement,
                    );
                    evidence.details.insert("trusted_account".into(), json!(account));
                    let risk = RiskInputs {
                        exposure: Some((Exposure::CrossAccount, format!("account {account} can assume it"))),
                        blast: cx.principals.get(&role.arn).map(|v| v.blast_radius()),
                        ..RiskInputs::default()
                    };
                    out.emit(
                        Draft::new(
                            &role.arn,
                            "global",
                            format!("{}:{account}", statement.label()),
                            format!("Role {} trusts account {account} without an external id", role.name),
                        )
                        .evidence(evidence)
                        .risk(risk),
                    );
                }
            }
        }
    },
};
