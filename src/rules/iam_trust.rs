//! Role trust policies: who can assume a role.

use serde_json::json;

use super::resource_policy::openings;
use super::{Draft, Rule, RuleMeta, statement_evidence};
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
                    exposure: Some((
                        if anyone { Exposure::AnyAwsPrincipal } else { Exposure::AuthenticatedInternet },
                        format!("{who} can assume it"),
                    )),
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
            let openings = openings(cx, trust, &["sts:AssumeRole"], CROSS_ACCOUNT_RESTRICTING_KEYS);
            // An account of the same organization is expected to be trusted; its paths are
            // attack-path-cross-account's.
            let foreign = openings.iter().filter_map(|o| Some((o, o.foreign_account()?)));
            for (opening, account) in foreign.filter(|(_, account)| !cx.in_organization(account)) {
                let statement = opening.statement;
                let mut evidence = opening.evidence(
                    format!(
                        "statement {} of the trust policy of {} trusts account {account} with no sts:ExternalId or equivalent condition",
                        statement.label(),
                        role.name
                    ),
                    "trust policy",
                    &role.arn,
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
    },
};

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::rules::fixture::*;

    fn trusting(statement: Value) -> Fixture {
        Fixture::new().role(
            "r",
            json!({"Version": "2012-10-17", "Statement": [statement]}),
            &[("read", allow(json!("s3:GetObject"), json!("*")))],
            &[],
        )
    }

    #[test]
    fn trust_any_principal() {
        let found = trusting(json!({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}))
            .findings("iam-role-trust-any-principal");
        insta::assert_yaml_snapshot!(summary(&found));
        assert_eq!(found.len(), 1);
        // External ids are not secrets: `*` with only sts:ExternalId is still open.
        let external_id_only = trusting(
            json!({"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "x"}}}),
        );
        assert_eq!(external_id_only.findings("iam-role-trust-any-principal").len(), 1);
        let org = trusting(
            json!({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-1"}}}),
        );
        assert!(org.findings("iam-role-trust-any-principal").is_empty());
        let oidc = |condition: Value| {
            trusting(
                json!({"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},
                "Action": "sts:AssumeRoleWithWebIdentity", "Condition": condition}),
            )
        };
        assert_eq!(
            oidc(json!({"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}))
                .findings("iam-role-trust-any-principal")
                .len(),
            1,
            "audience alone admits every repository"
        );
        assert!(
            oidc(json!({"StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/app:*"}}))
                .findings("iam-role-trust-any-principal")
                .is_empty()
        );
        assert!(
            trusting(
                json!({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"})
            )
            .findings("iam-role-trust-any-principal")
            .is_empty()
        );
    }

    #[test]
    fn cross_account_without_external_id() {
        let found = trusting(json!({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "sts:AssumeRole"}))
            .findings("iam-role-cross-account-no-external-id");
        insta::assert_yaml_snapshot!(summary(&found));
        assert_eq!(found.len(), 1);
        let with_external_id = trusting(
            json!({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": "acme-7f3a"}}}),
        );
        assert!(with_external_id.findings("iam-role-cross-account-no-external-id").is_empty());
        let same_account = trusting(
            json!({"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:role/ci")}, "Action": "sts:AssumeRole"}),
        );
        assert!(same_account.findings("iam-role-cross-account-no-external-id").is_empty());
    }
}
