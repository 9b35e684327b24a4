//! The AWS operations the collectors call, and the least-privilege IAM policy that allows exactly them
//! (`stance policy`). `tests/read_only.rs` checks this list against the operations named in the source.

use serde_json::{Value, json};

/// (service, operation) for every call the collectors make.
pub const OPERATIONS: &[(&str, &str)] = &[
    ("sts", "GetCallerIdentity"),
    ("iam", "GetAccountAuthorizationDetails"),
    ("iam", "ListPolicies"),
    ("iam", "GetPolicy"),
    ("iam", "GetPolicyVersion"),
    ("iam", "ListAccessKeys"),
    ("iam", "GetAccessKeyLastUsed"),
    ("iam", "ListMFADevices"),
    ("iam", "GetLoginProfile"),
    ("iam", "GenerateCredentialReport"),
    ("iam", "GetCredentialReport"),
    ("iam", "GetAccountPasswordPolicy"),
    ("iam", "GetAccountSummary"),
    // The per-entity fallback when GetAccountAuthorizationDetails is denied (collect/iam/entities.rs).
    ("iam", "ListUsers"),
    ("iam", "GetUser"),
    ("iam", "ListGroupsForUser"),
    ("iam", "ListUserPolicies"),
    ("iam", "GetUserPolicy"),
    ("iam", "ListAttachedUserPolicies"),
    ("iam", "ListGroups"),
    ("iam", "ListGroupPolicies"),
    ("iam", "GetGroupPolicy"),
    ("iam", "ListAttachedGroupPolicies"),
    ("iam", "ListRoles"),
    ("iam", "GetRole"),
    ("iam", "ListRolePolicies"),
    ("iam", "GetRolePolicy"),
    ("iam", "ListAttachedRolePolicies"),
    ("lambda", "ListFunctions"),
    ("lambda", "GetPolicy"),
    ("lambda", "ListFunctionUrlConfigs"),
    ("lambda", "GetFunctionUrlConfig"),
    ("lambda", "ListEventSourceMappings"),
    ("apigateway", "GetRestApis"),
    ("apigateway", "GetResources"),
    ("apigateway", "GetAuthorizers"),
    ("apigateway", "GetStages"),
    ("apigateway", "GetApiKeys"),
    ("apigateway", "GetUsagePlans"),
    ("apigateway", "GetUsagePlanKeys"),
    ("apigateway", "GetDomainNames"),
    ("apigatewayv2", "GetApis"),
    ("apigatewayv2", "GetRoutes"),
    ("apigatewayv2", "GetIntegrations"),
    ("apigatewayv2", "GetAuthorizers"),
    ("apigatewayv2", "GetAuthorizer"),
    ("apigatewayv2", "GetStages"),
    ("apigatewayv2", "GetDomainNames"),
    ("secretsmanager", "ListSecrets"),
    ("secretsmanager", "GetResourcePolicy"),
    ("ssm", "DescribeParameters"),
    ("kms", "ListKeys"),
    ("kms", "ListAliases"),
    ("kms", "DescribeKey"),
    ("kms", "GetKeyRotationStatus"),
    ("kms", "GetKeyPolicy"),
    ("cloudtrail", "DescribeTrails"),
    ("cloudtrail", "GetTrailStatus"),
    ("cloudtrail", "GetEventSelectors"),
    ("logs", "DescribeLogGroups"),
    ("logs", "DescribeMetricFilters"),
    ("cloudwatch", "DescribeAlarms"),
    ("sns", "ListTopics"),
    ("sns", "GetTopicAttributes"),
    ("sns", "ListSubscriptionsByTopic"),
    ("sqs", "ListQueues"),
    ("sqs", "GetQueueAttributes"),
    ("eventbridge", "ListEventBuses"),
    ("eventbridge", "DescribeEventBus"),
    ("eventbridge", "ListRules"),
    ("eventbridge", "ListTargetsByRule"),
    ("tagging", "GetResources"),
    // Only where GetResources is refused: each service's own tag read.
    ("lambda", "ListTags"),
    ("sns", "ListTagsForResource"),
    ("sqs", "ListQueueTags"),
    ("kms", "ListResourceTags"),
    ("logs", "ListTagsForResource"),
];

/// (service, operation) of the calls an organization scan makes from the management account (or a delegated
/// administrator) before it scans each account with [`OPERATIONS`] through the member role.
pub const ORG_OPERATIONS: &[(&str, &str)] = &[
    ("organizations", "DescribeOrganization"),
    ("organizations", "ListAccounts"),
    ("organizations", "ListRoots"),
    ("organizations", "ListOrganizationalUnitsForParent"),
    ("organizations", "ListAccountsForParent"),
    ("organizations", "ListPolicies"),
    ("organizations", "DescribePolicy"),
    ("organizations", "ListTargetsForPolicy"),
];

/// The IAM permission an operation needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Permission {
    /// None at all (sts:GetCallerIdentity).
    Nothing,
    /// The action named after the operation (`iam:ListRoles`): most services.
    Action(String),
    /// `apigateway:GET` on the resource path read: API Gateway's IAM actions are HTTP verbs, for REST and
    /// HTTP/WebSocket APIs alike.
    ApiGatewayGet,
}

/// What `operation` of `service` needs. Every service names its actions after its operations, except the
/// two below.
pub fn permission(service: &str, operation: &str) -> Permission {
    match (service, operation) {
        ("sts", "GetCallerIdentity") => Permission::Nothing,
        ("apigateway" | "apigatewayv2", _) => Permission::ApiGatewayGet,
        // EventBridge kept CloudWatch Events' action prefix.
        ("eventbridge", operation) => Permission::Action(format!("events:{operation}")),
        // The Resource Groups Tagging API's prefix.
        ("tagging", operation) => Permission::Action(format!("tag:{operation}")),
        (service, operation) => Permission::Action(format!("{service}:{operation}")),
    }
}

/// The API Gateway resource paths the collectors read.
const API_GATEWAY_PATHS: &[&str] = &[
    "arn:aws:apigateway:*::/restapis",
    "arn:aws:apigateway:*::/restapis/*",
    "arn:aws:apigateway:*::/apikeys",
    "arn:aws:apigateway:*::/usageplans",
    "arn:aws:apigateway:*::/usageplans/*",
    "arn:aws:apigateway:*::/domainnames",
    "arn:aws:apigateway:*::/apis",
    "arn:aws:apigateway:*::/apis/*",
];

/// The IAM policy stance needs, built from every entry of [`OPERATIONS`]: the actions named after their
/// operations, and for API Gateway `apigateway:GET` on the paths the collectors read.
pub fn least_privilege_policy() -> Value {
    let mut actions = Vec::new();
    let mut api_gateway = false;
    for (service, operation) in OPERATIONS {
        match permission(service, operation) {
            Permission::Nothing => {}
            Permission::Action(action) => actions.push(action),
            Permission::ApiGatewayGet => api_gateway = true,
        }
    }
    actions.sort();
    actions.dedup();
    let mut statements = vec![json!({"Sid": "StanceRead", "Effect": "Allow", "Action": actions, "Resource": "*"})];
    if api_gateway {
        statements.push(json!({
            "Sid": "StanceReadApiGateway",
            "Effect": "Allow",
            "Action": "apigateway:GET",
            "Resource": API_GATEWAY_PATHS,
        }));
    }
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// `stance policy --org`: the management account's policy (the Organizations reads, and assuming the member
/// role in every account) and the member role's (an account scan, as [`least_privilege_policy`]).
pub fn org_policies(member_role: &str) -> Value {
    let mut actions: Vec<String> = ORG_OPERATIONS
        .iter()
        .filter_map(|(service, operation)| match permission(service, operation) {
            Permission::Action(action) => Some(action),
            _ => None,
        })
        .collect();
    actions.sort();
    let management = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "StanceReadOrganization", "Effect": "Allow", "Action": actions, "Resource": "*"},
        {"Sid": "StanceAssumeMemberRole", "Effect": "Allow", "Action": "sts:AssumeRole",
         "Resource": format!("arn:aws:iam::*:role/{member_role}")},
    ]});
    json!({
        "management_account_policy": management,
        "member_role_policy": least_privilege_policy(),
        "member_role_trust": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::MANAGEMENT_ACCOUNT_ID:root"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": "CHOOSE_ONE"}}
        }]},
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::is_permitted_operation;

    #[test]
    fn the_org_policies_read_the_organization_and_assume_only_the_member_role() {
        let policies = org_policies("Auditor");
        let management = &policies["management_account_policy"]["Statement"];
        let reads = management[0]["Action"].as_array().unwrap();
        assert_eq!(reads.len(), ORG_OPERATIONS.len());
        assert!(reads.iter().all(|a| is_permitted_operation(a.as_str().unwrap().split(':').nth(1).unwrap())));
        assert_eq!(management[1]["Resource"], "arn:aws:iam::*:role/Auditor");
        assert_eq!(policies["member_role_policy"], least_privilege_policy());
    }

    #[test]
    fn every_operation_is_a_read_and_the_policy_grants_nothing_else() {
        assert!(OPERATIONS.iter().all(|(_, op)| is_permitted_operation(op)), "reads of metadata only");
        let policy = least_privilege_policy();
        let actions = policy["Statement"][0]["Action"].as_array().unwrap();
        assert!(actions.iter().all(|a| {
            let op = a.as_str().unwrap().split(':').nth(1).unwrap();
            is_permitted_operation(op) && !op.contains('*')
        }));
        assert_eq!(policy["Statement"][1]["Action"], "apigateway:GET");
        // Every operation the collectors call is granted.
        for (service, operation) in OPERATIONS {
            match permission(service, operation) {
                Permission::Nothing => assert_eq!((*service, *operation), ("sts", "GetCallerIdentity")),
                Permission::Action(action) => assert!(actions.contains(&json!(action)), "{action} is missing"),
                Permission::ApiGatewayGet => assert!(policy["Statement"][1].is_object()),
            }
        }
        // The policy parses with stance's own engine and grants no write or permissions management.
        let parsed = crate::analyze::policy::Policy::from_json(&policy);
        assert!(parsed.problems.is_empty());
        let c = crate::analyze::policy::catalogue();
        let mut expander = crate::analyze::policy::Expander::new(c);
        let levels = crate::analyze::policy::LevelSets::new(c);
        let mut permissions = crate::analyze::policy::Permissions::new(c);
        let source = crate::analyze::policy::PolicySource {
            kind: "inline",
            name: "stance".into(),
            arn: None,
            attached_to: "role/auditor".into(),
        };
        permissions.add_policy(&mut expander, source, &parsed);
        let capability = crate::analyze::policy::Capability::of(&permissions, c, &levels);
        assert!(!capability.writes && !capability.is_privileged(), "a read-only policy");
    }

    #[test]
    fn every_service_of_the_table_has_its_operations_listed() {
        for service in crate::inventory::SERVICES {
            assert!(
                OPERATIONS.iter().any(|(name, _)| *name == service.name),
                "{} is collected, but OPERATIONS (and so `stance policy`) lists none of its calls",
                service.name
            );
        }
        let known: Vec<&str> = crate::inventory::SERVICES.iter().map(|s| s.name).chain(["sts"]).collect();
        for (service, operation) in OPERATIONS {
            assert!(known.contains(service), "{service}:{operation} belongs to no service of the table");
        }
    }
}
