//! Every rule, registered on one line. Order matters only for attack paths, which chain the findings of
//! the rules before them.

use super::{Rule, apigateway, credentials, iam_permissions, iam_trust, lambda, paths};

pub static RULES: &[&Rule] = &[
    &lambda::PUBLIC_RESOURCE_POLICY,
    &lambda::CROSS_ACCOUNT_INVOKE,
    &lambda::FUNCTION_URL_NO_AUTH,
    &lambda::DEPRECATED_RUNTIME,
    &lambda::SECRETS_IN_ENV,
    &lambda::TRACING_DISABLED,
    &lambda::PRIVILEGED_EXECUTION_ROLE,
    &iam_trust::TRUST_ANY_PRINCIPAL,
    &iam_trust::CROSS_ACCOUNT_NO_EXTERNAL_ID,
    &iam_permissions::ADMIN_PRIVILEGES,
    &iam_permissions::PRIVILEGE_ESCALATION,
    &iam_permissions::SERVICE_WILDCARD,
    &iam_permissions::NOTACTION_ALLOW,
    &credentials::ROLE_UNUSED,
    &credentials::ACCESS_KEY_NOT_ROTATED,
    &credentials::USER_MULTIPLE_ACTIVE_KEYS,
    &credentials::USER_CONSOLE_NO_MFA,
    &credentials::ACCESS_KEY_STALE_INACTIVE,
    &apigateway::UNAUTHENTICATED_ROUTE,
    &apigateway::STAGE_NO_LOGGING,
    &apigateway::API_KEY_NOT_ROTATED,
    &apigateway::PUBLIC_RESOURCE_POLICY,
    &paths::PUBLIC_API_TO_PRIVILEGED_LAMBDA,
];

pub fn find_rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().copied().find(|r| r.meta.id == id)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::rules::Category;

    #[test]
    fn every_category_has_a_rule_and_ids_are_unique_kebab_case() {
        let categories: BTreeSet<Category> = RULES.iter().map(|r| r.meta.category).collect();
        assert_eq!(categories.len(), Category::ALL.len(), "a rule for every category");
        let ids: BTreeSet<&str> = RULES.iter().map(|r| r.meta.id).collect();
        assert_eq!(ids.len(), RULES.len());
        for rule in RULES {
            let id = rule.meta.id;
            assert!(id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'), "{id}");
            assert_eq!(rule.meta.severity, rule.meta.category.default_severity(), "{id} keeps its category's severity");
            assert!(
                !rule.meta.remediation.is_empty()
                    && !rule.meta.references.is_empty()
                    && !rule.meta.rationale.is_empty(),
                "{id}"
            );
        }
        assert!(find_rule("iam-admin-privileges").is_some());
        assert!(find_rule("nope").is_none());
    }
}
