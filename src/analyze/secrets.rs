//! Who can read which secret: the principal's identity policies or the secret's resource policy must allow
//! `secretsmanager:GetSecretValue`, and when the secret is encrypted with a customer managed key, the
//! principal must also be able to decrypt with that key (its key policy names the principal, or delegates to
//! the account's IAM policies and those allow `kms:Decrypt` on the key). Secrets under the AWS managed key
//! `aws/secretsmanager` need nothing more: Secrets Manager decrypts for any principal of the account.

use std::collections::HashMap;

use serde::Serialize;

use super::policy::principals::action_matches;
use super::policy::{Catalogue, Effect, Grant, Permissions, Policy, PrincipalClause, Statement};
use crate::inventory::Inventory;
use crate::inventory::kms::Key;

/// A secret a principal can read, and the permission that lets it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SecretAccess {
    pub secret_arn: String,
    pub secret_name: String,
    /// "inline policy `x`, statement S" or "the secret's resource policy, statement S".
    pub via: String,
}

/// Conditions that reading through Secrets Manager in the account satisfies: a key policy statement limited
/// by them still lets the principal decrypt the secret.
const SATISFIED_BY_SECRETS_MANAGER: &[&str] = &["kms:ViaService", "kms:CallerAccount"];

fn grant_location(grant: &Grant) -> String {
    format!("{} policy `{}`, statement {}", grant.source.kind, grant.source.name, grant.statement.label())
}

/// Whether an Allow statement names `principal_arn` (or anyone) as an AWS principal.
fn names(statement: &Statement, principal_arn: &str) -> bool {
    match &statement.principals {
        Some(PrincipalClause::Principal(p)) => {
            p.any || p.by_type.get("AWS").is_some_and(|ids| ids.iter().any(|id| id == principal_arn))
        }
        _ => false,
    }
}

/// Whether an Allow statement names the account itself (its root), which hands the decision to IAM policies.
fn names_account(statement: &Statement, account: &str) -> bool {
    let root_suffix = format!(":iam::{account}:root");
    match &statement.principals {
        Some(PrincipalClause::Principal(p)) => {
            p.by_type.get("AWS").is_some_and(|ids| ids.iter().any(|id| id == account || id.ends_with(&root_suffix)))
        }
        _ => false,
    }
}

/// Allow statements of `policy` for any of `actions` whose conditions, if any, are all among `satisfied`.
fn applicable<'a>(
    policy: &'a Policy,
    actions: &'a [&'a str],
    satisfied: &'a [&'a str],
) -> impl Iterator<Item = &'a Statement> {
    policy.statements.iter().filter(move |s| {
        s.effect == Effect::Allow
            && action_matches(s, actions)
            && s.restricting_conditions().all(|c| satisfied.iter().any(|k| c.key.eq_ignore_ascii_case(k)))
    })
}

/// How `principal_arn` may decrypt with a customer managed `key`, if it may. `decrypt_grants`: its identity
/// grants of `kms:Decrypt`; `key_policy`: the parsed key policy, `None` when it could not be read, which is
/// taken as AWS's default (decisions delegated to IAM).
pub fn can_decrypt(
    principal_arn: &str,
    decrypt_grants: &[&Grant],
    key: &Key,
    key_policy: Option<&Policy>,
    account: &str,
) -> Option<String> {
    let through_iam =
        || decrypt_grants.iter().find(|g| g.statement.resources.covers(&key.arn)).map(|g| grant_location(g));
    let Some(policy) = key_policy else { return through_iam() };
    let mut delegated = false;
    for statement in applicable(policy, &["kms:Decrypt"], SATISFIED_BY_SECRETS_MANAGER) {
        if names(statement, principal_arn) {
            return Some(format!("the key policy of {}, statement {}", key.arn, statement.label()));
        }
        delegated |= names_account(statement, account);
    }
    if delegated { through_iam() } else { None }
}

/// The secrets of the inventory the principal can read, each with the permission that lets it. `policies`:
/// the parsed resource policies (secrets' and keys' among them) by resource ARN.
pub fn readable_secrets(
    inventory: &Inventory,
    catalogue: &Catalogue,
    principal_arn: &str,
    permissions: &Permissions,
    policies: &HashMap<String, Policy>,
) -> Vec<SecretAccess> {
    const GET: &str = "secretsmanager:GetSecretValue";
    let grants_of = |action: &str| catalogue.lookup(action).map(|i| permissions.grants_allowing(i)).unwrap_or_default();
    let (get_grants, decrypt_grants) = (grants_of(GET), grants_of("kms:Decrypt"));
    let secrets = &inventory.secretsmanager.secrets;
    // Most principals hold no GetSecretValue at all: only secret policies could let them in.
    let candidates = secrets.values().filter(|s| !get_grants.is_empty() || policies.contains_key(&s.arn));
    let mut readable = Vec::new();
    for secret in candidates {
        let identity = get_grants.iter().find(|g| g.statement.resources.covers(&secret.arn)).map(|g| grant_location(g));
        let via = identity.or_else(|| {
            applicable(policies.get(&secret.arn)?, &[GET], &[])
                .find(|s| names(s, principal_arn))
                .map(|s| format!("the secret's resource policy, statement {}", s.label()))
        });
        let Some(via) = via else { continue };
        let key = secret.kms_key_id.as_deref().and_then(|reference| inventory.kms.resolve(reference, &secret.region));
        // The AWS managed key needs nothing more: Secrets Manager decrypts for the account's principals.
        if let Some(key) = key.filter(|k| k.is_customer_managed()) {
            let account = &inventory.account.account_id;
            if can_decrypt(principal_arn, &decrypt_grants, key, policies.get(&key.arn), account).is_none() {
                continue;
            }
        }
        readable.push(SecretAccess { secret_arn: secret.arn.clone(), secret_name: secret.name.clone(), via });
    }
    readable
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::analyze::Context;
    use crate::inventory::Observed;
    use crate::rules::fixture::*;

    fn readers(fixture: &Fixture, secret: &str) -> Vec<String> {
        let cx = Context::new(&fixture.inventory, now());
        let arn = secret_arn(secret);
        let mut names: Vec<String> = cx
            .principals
            .values()
            .filter(|p| p.readable_secrets.iter().any(|s| s.secret_arn == arn))
            .map(|p| p.name.clone())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn identity_resource_and_key_policies_together() {
        let read = |resource: &str| allow(json!("secretsmanager:GetSecretValue"), json!(resource));
        let fixture = Fixture::new()
            // Reads by identity policy; the AWS managed key needs nothing more.
            .role("reader", lambda_trust(), &[("r", read("*"))], &[])
            // Reads the CMK secret: GetSecretValue and Decrypt on its key, which delegates to IAM.
            .role("decrypting", lambda_trust(), &[("r", read("*")), ("d", allow(json!("kms:Decrypt"), json!(key_arn("cmk"))))], &[])
            // Named by the second key's policy itself.
            .role("named", lambda_trust(), &[("r", read("*"))], &[])
            // Only this secret's resource policy names it.
            .role("invited", lambda_trust(), &[], &[])
            // Scoped to another secret.
            .role("elsewhere", lambda_trust(), &[("r", read("arn:aws:secretsmanager:us-east-1:123456789012:secret:other-*"))], &[])
            .key("cmk", |_| {})
            .key("strict", |k| {
                k.policy = Observed::Present(doc(json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:role/named"}, "Action": "kms:Decrypt", "Resource": "*", "Condition": {"StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}}}]})))
            })
            .secret("aws-key", 10, |s| {
                s.resource_policy = Observed::Present(doc(json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:role/invited"}, "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})))
            })
            .secret("under-cmk", 10, |s| s.kms_key_id = Some("alias/cmk".into()))
            .secret("under-strict", 10, |s| s.kms_key_id = Some(key_arn("strict")));
        assert_eq!(readers(&fixture, "aws-key"), ["decrypting", "invited", "named", "reader"]);
        assert_eq!(readers(&fixture, "under-cmk"), ["decrypting"], "the key delegates to IAM: Decrypt is needed");
        assert_eq!(readers(&fixture, "under-strict"), ["named"], "only the principal the key policy names");
    }
}
