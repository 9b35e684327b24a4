//! Who a trust policy or resource policy admits, and which conditions restrict it.

use serde::Serialize;

use super::model::{ActionClause, Effect, Policy, PrincipalClause, Statement};
use crate::glob::glob_match;

/// A principal a policy admits.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Who {
    /// `"*"`, `{"AWS": "*"}`, or an Allow with `NotPrincipal`.
    Anyone,
    /// Principals of an AWS account (its root, or a user or role in it).
    Account(String),
    Service(String),
    Federated(String),
    /// An identifier stance cannot place (e.g. a principal id or canonical user).
    Other(String),
}

/// One Allow statement admitting someone to the actions asked about.
#[derive(Debug, Clone)]
pub struct Admission<'p> {
    pub who: Vec<Who>,
    pub statement: &'p Statement,
    /// The restricting conditions, `key (operator)`.
    pub restricted_by: Vec<String>,
}

/// Condition keys that limit "anyone" to a known set of principals or sources.
pub const PUBLIC_RESTRICTING_KEYS: &[&str] = &[
    "aws:PrincipalOrgID",
    "aws:PrincipalOrgPaths",
    "aws:PrincipalAccount",
    "aws:PrincipalArn",
    "aws:SourceAccount",
    "aws:SourceArn",
    "aws:SourceOrgID",
    "aws:SourceOrgPaths",
    "aws:SourceVpc",
    "aws:SourceVpce",
    "aws:SourceIp",
    "aws:VpcSourceIp",
    "aws:PrincipalServiceName",
    // SNS's own key for the publishing account, the one the console's default topic policy uses.
    "aws:SourceOwner",
];

/// Condition keys that tie a service principal's grant to the resource or account acting through it: without
/// one, any account's bucket, topic or rule can use the grant (the confused deputy).
pub const SERVICE_SOURCE_KEYS: &[&str] =
    &["aws:SourceArn", "aws:SourceAccount", "aws:SourceOrgID", "aws:SourceOrgPaths", "aws:SourceOwner"];

/// Condition keys that limit who in a trusted foreign account can assume a role.
pub const CROSS_ACCOUNT_RESTRICTING_KEYS: &[&str] = &[
    "sts:ExternalId",
    "aws:PrincipalOrgID",
    "aws:PrincipalOrgPaths",
    "aws:PrincipalArn",
    "aws:MultiFactorAuthPresent",
    "aws:SourceIdentity",
    "sts:SourceIdentity",
];

/// The account an AWS principal identifier belongs to: `123456789012`, `arn:aws:iam::123456789012:root`,
/// `arn:aws:iam::123456789012:role/x`, `arn:aws:sts::123456789012:assumed-role/…`.
pub fn account_of(id: &str) -> Option<String> {
    let candidate = if id.starts_with("arn:") { id.split(':').nth(4)? } else { id };
    (candidate.len() == 12 && candidate.bytes().all(|b| b.is_ascii_digit())).then(|| candidate.to_owned())
}

/// Whether the statement's Action (or NotAction) covers any of `wanted`.
pub fn action_matches(statement: &Statement, wanted: &[&str]) -> bool {
    let matches = |patterns: &Vec<String>| {
        patterns.iter().any(|p| {
            let p = p.to_ascii_lowercase();
            wanted.iter().any(|w| glob_match(&p, &w.to_ascii_lowercase()))
        })
    };
    match &statement.actions {
        ActionClause::Action(patterns) => matches(patterns),
        // NotAction admits every action it does not list.
        ActionClause::NotAction(patterns) => !wanted.iter().all(|w| {
            let w = w.to_ascii_lowercase();
            patterns.iter().any(|p| glob_match(&p.to_ascii_lowercase(), &w))
        }),
    }
}

/// The Allow statements admitting someone to any of `actions`, with who they admit and what restricts them.
/// `restricting_keys`: the condition keys that count as a restriction for this kind of policy.
pub fn admissions<'p>(policy: &'p Policy, actions: &[&str], restricting_keys: &[&str]) -> Vec<Admission<'p>> {
    let mut out = Vec::new();
    for statement in policy.statements.iter().filter(|s| s.effect == Effect::Allow) {
        if !action_matches(statement, actions) {
            continue;
        }
        let who = match &statement.principals {
            None => continue,
            Some(PrincipalClause::NotPrincipal(_)) => vec![Who::Anyone],
            Some(PrincipalClause::Principal(p)) => {
                let mut who = Vec::new();
                if p.any {
                    who.push(Who::Anyone);
                }
                for (principal_type, ids) in &p.by_type {
                    for id in ids.iter().filter(|id| id.as_str() != "*") {
                        who.push(match principal_type.as_str() {
                            // `arn:aws:iam::*:root`: how some endpoints render `*` (AWS itself refuses
                            // wildcards in principal ARNs), so it can only mean everyone.
                            "AWS" if id.split(':').nth(4) == Some("*") => Who::Anyone,
                            "AWS" => account_of(id).map_or_else(|| Who::Other(id.clone()), Who::Account),
                            "Service" => Who::Service(id.clone()),
                            "Federated" => Who::Federated(id.clone()),
                            _ => Who::Other(id.clone()),
                        });
                    }
                }
                who.sort();
                who.dedup();
                who
            }
        };
        let restricted_by = statement
            .has_condition_on(restricting_keys)
            .into_iter()
            .map(|c| format!("{} ({})", c.key, c.operator))
            .collect();
        out.push(Admission { who, statement, restricted_by });
    }
    out
}

/// How a trust policy lets one principal of another account (`caller`, in `account`) assume the role.
#[derive(Debug)]
pub struct TrustHop<'p> {
    pub statement: &'p Statement,
    /// Conditions the caller must meet but can (an external id is not a secret), for the score factors.
    pub conditions: Vec<String>,
}

/// Whether `policy` (a role's trust) lets the principal `caller` of `account` call `sts:AssumeRole`: it names
/// the account, its root, the caller (by ARN or pattern) or anyone, and no condition rules the caller out. A
/// condition on MFA does (a workload's session has none), as does an `aws:PrincipalArn` the caller does not
/// match; any other condition (an external id, the organization's id) is one the caller can meet.
pub fn admits_caller<'p>(policy: &'p Policy, caller: &str, account: &str) -> Option<TrustHop<'p>> {
    let root = format!(":iam::{account}:root");
    policy.statements.iter().filter(|s| s.effect == Effect::Allow && action_matches(s, &["sts:AssumeRole"])).find_map(
        |statement| {
            let named = match statement.principals.as_ref()? {
                PrincipalClause::NotPrincipal(_) => true,
                PrincipalClause::Principal(p) => {
                    p.any
                        || p.by_type.get("AWS").into_iter().flatten().any(|id| {
                            id == "*"
                                || id == account
                                || id.ends_with(&root)
                                || glob_match(&id.to_ascii_lowercase(), &caller.to_ascii_lowercase())
                        })
                }
            };
            if !named {
                return None;
            }
            let mut conditions = Vec::new();
            for condition in statement.restricting_conditions() {
                let key = condition.key.to_ascii_lowercase();
                if key == "aws:multifactorauthpresent" || key == "aws:multifactorauthage" {
                    return None;
                }
                if key == "aws:principalarn"
                    && !condition
                        .values
                        .iter()
                        .any(|v| glob_match(&v.to_ascii_lowercase(), &caller.to_ascii_lowercase()))
                {
                    return None;
                }
                conditions.push(format!("{} ({})", condition.key, condition.operator));
            }
            Some(TrustHop { statement, conditions })
        },
    )
}

/// The keys that tie a grant to an account: what an S3 grant needs, since a bucket ARN names no account.
const SOURCE_ACCOUNT_KEYS: &[&str] = &["aws:SourceAccount", "aws:SourceOrgID", "aws:SourceOrgPaths", "aws:SourceOwner"];

/// Whether a grant to `service` names the source acting through it. For S3, an `aws:SourceArn` alone does not:
/// bucket ARNs carry no account, and once the bucket is deleted any account can create one of that name.
pub fn service_grant_is_scoped(statement: &Statement, service: &str) -> bool {
    let keys = if service.eq_ignore_ascii_case("s3.amazonaws.com") { SOURCE_ACCOUNT_KEYS } else { SERVICE_SOURCE_KEYS };
    !statement.has_condition_on(keys).is_empty()
}

/// Whom an unrestricted statement admits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admits {
    /// Principal `*` (or an Allow with NotPrincipal): any principal of any account.
    Anyone,
    /// An account other than the owning one, named as principal.
    ForeignAccount(String),
    /// A service principal with no condition on the source resource or account: any account's resources
    /// of that service can act through the grant.
    AnyAccountThrough(String),
}

/// One statement that lets someone in with nothing restricting it.
#[derive(Debug)]
pub struct Opening<'p> {
    pub admits: Admits,
    pub statement: &'p Statement,
}

impl Opening<'_> {
    /// The foreign account admitted, if that is whom it admits.
    pub fn foreign_account(&self) -> Option<&str> {
        match &self.admits {
            Admits::ForeignAccount(account) => Some(account),
            _ => None,
        }
    }
}

/// The shared resource-policy check: every way `policy` admits anyone, a foreign account (other than
/// `owner`), or any account through a service principal, to any of `actions` without a condition on one of
/// `restricting_keys` (for services: on the source, [`SERVICE_SOURCE_KEYS`]), in statement order.
pub fn openings<'p>(policy: &'p Policy, actions: &[&str], restricting_keys: &[&str], owner: &str) -> Vec<Opening<'p>> {
    let mut out = Vec::new();
    for admission in admissions(policy, actions, restricting_keys) {
        let statement = admission.statement;
        if admission.restricted_by.is_empty() {
            if admission.who.contains(&Who::Anyone) {
                out.push(Opening { admits: Admits::Anyone, statement });
            }
            for who in &admission.who {
                if let Who::Account(account) = who
                    && account != owner
                {
                    out.push(Opening { admits: Admits::ForeignAccount(account.clone()), statement });
                }
            }
        }
        for who in &admission.who {
            if let Who::Service(service) = who
                && !service_grant_is_scoped(statement, service)
            {
                out.push(Opening { admits: Admits::AnyAccountThrough(service.clone()), statement });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn policy(statements: serde_json::Value) -> Policy {
        Policy::from_json(&json!({ "Statement": statements }))
    }

    #[test]
    fn accounts() {
        assert_eq!(account_of("123456789012").as_deref(), Some("123456789012"));
        assert_eq!(account_of("arn:aws:iam::444455556666:root").as_deref(), Some("444455556666"));
        assert_eq!(account_of("arn:aws-cn:iam::444455556666:role/x").as_deref(), Some("444455556666"));
        assert_eq!(account_of("AROAEXAMPLEID"), None);
    }

    #[test]
    fn who_and_what_restricts() {
        let p = policy(json!([
            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-1"}}},
            {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::444455556666:root"], "Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"},
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"},
            {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole"},
            {"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/x"}, "Action": "sts:AssumeRoleWithWebIdentity"}
        ]));
        let admitted = admissions(&p, &["sts:AssumeRole", "sts:AssumeRoleWithWebIdentity"], PUBLIC_RESTRICTING_KEYS);
        assert_eq!(admitted.len(), 3);
        assert_eq!(admitted[0].who, [Who::Anyone]);
        assert_eq!(admitted[0].restricted_by, ["aws:PrincipalOrgID (StringEquals)"]);
        assert_eq!(admitted[1].who, [Who::Account("444455556666".into()), Who::Service("lambda.amazonaws.com".into())]);
        assert!(admitted[1].restricted_by.is_empty());
        assert!(matches!(admitted[2].who[0], Who::Federated(_)));
    }

    #[test]
    fn wildcard_and_not_action_statements_admit_too() {
        let p = policy(json!([
            {"Effect": "Allow", "Principal": "*", "Action": "lambda:*"},
            {"Effect": "Allow", "Principal": "*", "NotAction": "lambda:GetPolicy"},
            {"Effect": "Allow", "Principal": "*", "NotAction": "lambda:Invoke*"},
            {"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::1:root"}, "Action": "lambda:InvokeFunction"}
        ]));
        let admitted = admissions(&p, &["lambda:InvokeFunction"], PUBLIC_RESTRICTING_KEYS);
        assert_eq!(admitted.len(), 3);
        assert!(admitted.iter().all(|a| a.who == [Who::Anyone]));
    }

    #[test]
    fn if_exists_and_star_conditions_do_not_restrict() {
        let p = policy(json!([
            {"Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction", "Condition": {"ArnLikeIfExists": {"aws:SourceArn": "arn:aws:s3:::b"}}},
            {"Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction", "Condition": {"StringLike": {"aws:SourceAccount": "*"}}}
        ]));
        assert!(
            admissions(&p, &["lambda:InvokeFunction"], PUBLIC_RESTRICTING_KEYS)
                .iter()
                .all(|a| a.restricted_by.is_empty())
        );
    }
}
