//! SDK types → the IAM inventory model: the converters both IAM paths share (GetAccountAuthorizationDetails
//! in `mod.rs`, the per-entity fallback in `entities.rs`).

use std::collections::BTreeMap;

use crate::collect::call::timestamp;
use crate::inventory::iam::*;

pub(super) fn name_from_arn(arn: &str) -> String {
    arn.rsplit('/').next().unwrap_or(arn).to_owned()
}

pub(super) fn attached<'a>(
    list: impl IntoIterator<Item = &'a aws_sdk_iam::types::AttachedPolicy>,
) -> Vec<AttachedPolicy> {
    let mut policies: Vec<AttachedPolicy> = list
        .into_iter()
        .filter_map(|p| {
            let arn = p.policy_arn()?.to_owned();
            let name = p.policy_name().map(str::to_owned).unwrap_or_else(|| name_from_arn(&arn));
            Some(AttachedPolicy { name, arn })
        })
        .collect();
    policies.sort();
    policies
}

/// The ARN of a user's or role's permissions boundary.
pub(super) fn boundary(boundary: Option<&aws_sdk_iam::types::AttachedPermissionsBoundary>) -> Option<String> {
    boundary.and_then(|b| b.permissions_boundary_arn()).map(str::to_owned)
}

pub(super) fn role_last_used(used: Option<&aws_sdk_iam::types::RoleLastUsed>) -> Option<RoleLastUsed> {
    used.map(|used| RoleLastUsed {
        date: used.last_used_date().and_then(timestamp),
        region: used.region().map(str::to_owned),
    })
}

pub(super) fn tags(list: &[aws_sdk_iam::types::Tag]) -> BTreeMap<String, String> {
    list.iter().map(|t| (t.key().to_owned(), t.value().to_owned())).collect()
}

/// A managed policy from its ListPolicies / GetPolicy entry (`None` when that could not be read), without
/// its document.
pub(super) fn managed_policy(
    arn: &str,
    policy: Option<&aws_sdk_iam::types::Policy>,
    aws_managed: bool,
) -> ManagedPolicy {
    ManagedPolicy {
        arn: arn.to_owned(),
        name: policy.and_then(|p| p.policy_name()).map(str::to_owned).unwrap_or_else(|| name_from_arn(arn)),
        path: policy.and_then(|p| p.path()).unwrap_or("/").to_owned(),
        aws_managed,
        default_version_id: policy.and_then(|p| p.default_version_id()).map(str::to_owned),
        document: None,
        attachment_count: policy.and_then(|p| p.attachment_count()),
        create_date: policy.and_then(|p| p.create_date()).and_then(timestamp),
        update_date: policy.and_then(|p| p.update_date()).and_then(timestamp),
    }
}
