//! IAM principals and policies one entity at a time: the fallback when GetAccountAuthorizationDetails is
//! denied (auditors are often granted `List*`/`Get*` by name rather than that one action). It reads what that
//! call would have returned — users, groups, roles, their inline and attached policies, boundaries, trust
//! policies and the account's own managed policies — with many more, smaller calls, each recorded as a gap
//! when it fails.

use std::collections::BTreeMap;

use aws_sdk_iam::Client;
use aws_sdk_iam::types::PolicyScopeType;
use futures::StreamExt;

use super::convert::{attached, boundary, managed_policy, role_last_used, tags};
use crate::collect::call::timestamp;
use crate::collect::{Call, Ctx, GLOBAL};
use crate::inventory::iam::*;
use crate::inventory::{Observed, PolicyDocument};

fn call(operation: &'static str) -> Call {
    Call::new("iam", GLOBAL, operation)
}

pub(crate) async fn collect(ctx: &Ctx, iam: &Client) -> IamInventory {
    let (users, groups, roles, managed_policies) =
        tokio::join!(users(ctx, iam), groups(ctx, iam), roles(ctx, iam), local_policies(ctx, iam));
    IamInventory { users, groups, roles, managed_policies, ..IamInventory::default() }
}

/// The inline policies named by `names`, each read with `get` (which returns the document's text).
async fn inline_policies<F, Fut>(ctx: &Ctx, names: impl IntoIterator<Item = String>, get: F) -> Vec<InlinePolicy>
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = Option<String>>,
{
    let get = &get;
    let mut policies: Vec<InlinePolicy> = futures::stream::iter(names)
        .map(|name| async move {
            let document = get(name.clone()).await?;
            Some(InlinePolicy { name, document: PolicyDocument::parse(&document) })
        })
        .buffer_unordered(ctx.fanout())
        .filter_map(|policy| async move { policy })
        .collect()
        .await;
    policies.sort_by(|a, b| a.name.cmp(&b.name));
    policies
}

async fn users(ctx: &Ctx, iam: &Client) -> BTreeMap<String, IamUser> {
    let pages = ctx.pages(call("ListUsers"), iam.list_users().into_paginator().send()).await;
    futures::stream::iter(pages.unwrap_or_default().into_iter().flat_map(|p| p.users))
        .map(|user| async move {
            let (name, arn) = (user.user_name().to_owned(), user.arn().to_owned());
            let (detail, groups, names, attached_pages) = tokio::join!(
                ctx.fetch(call("GetUser").on(&arn), iam.get_user().user_name(&name).send()),
                ctx.pages(
                    call("ListGroupsForUser").on(&arn),
                    iam.list_groups_for_user().user_name(&name).into_paginator().send()
                ),
                ctx.pages(
                    call("ListUserPolicies").on(&arn),
                    iam.list_user_policies().user_name(&name).into_paginator().send()
                ),
                ctx.pages(
                    call("ListAttachedUserPolicies").on(&arn),
                    iam.list_attached_user_policies().user_name(&name).into_paginator().send()
                ),
            );
            let names = names.unwrap_or_default().into_iter().flat_map(|p| p.policy_names);
            let inline_policies = inline_policies(ctx, names, |policy| {
                let request = iam.get_user_policy().user_name(&name).policy_name(&policy).send();
                let call = call("GetUserPolicy").on(format!("{arn}#{policy}"));
                async move { ctx.fetch(call, request).await.map(|o| o.policy_document().to_owned()) }
            })
            .await;
            let detail = detail.as_ref().and_then(|o| o.user());
            let user = IamUser {
                arn: arn.clone(),
                id: user.user_id().to_owned(),
                path: user.path().to_owned(),
                create_date: timestamp(user.create_date()),
                groups: groups.iter().flatten().flat_map(|p| p.groups()).map(|g| g.group_name().to_owned()).collect(),
                inline_policies,
                attached_policies: attached(attached_pages.iter().flatten().flat_map(|p| p.attached_policies())),
                permissions_boundary: boundary(detail.and_then(|u| u.permissions_boundary())),
                access_keys: None,
                mfa_devices: None,
                console_access: Observed::Unknown,
                tags: detail.map(|u| tags(u.tags())).unwrap_or_default(),
                name,
            };
            (arn, user)
        })
        .buffer_unordered(ctx.fanout())
        .collect()
        .await
}

async fn groups(ctx: &Ctx, iam: &Client) -> BTreeMap<String, IamGroup> {
    let pages = ctx.pages(call("ListGroups"), iam.list_groups().into_paginator().send()).await;
    futures::stream::iter(pages.unwrap_or_default().into_iter().flat_map(|p| p.groups))
        .map(|group| async move {
            let (name, arn) = (group.group_name().to_owned(), group.arn().to_owned());
            let (names, attached_pages) = tokio::join!(
                ctx.pages(
                    call("ListGroupPolicies").on(&arn),
                    iam.list_group_policies().group_name(&name).into_paginator().send()
                ),
                ctx.pages(
                    call("ListAttachedGroupPolicies").on(&arn),
                    iam.list_attached_group_policies().group_name(&name).into_paginator().send()
                ),
            );
            let names = names.unwrap_or_default().into_iter().flat_map(|p| p.policy_names);
            let inline_policies = inline_policies(ctx, names, |policy| {
                let request = iam.get_group_policy().group_name(&name).policy_name(&policy).send();
                let call = call("GetGroupPolicy").on(format!("{arn}#{policy}"));
                async move { ctx.fetch(call, request).await.map(|o| o.policy_document().to_owned()) }
            })
            .await;
            let group = IamGroup {
                arn: arn.clone(),
                path: group.path().to_owned(),
                create_date: timestamp(group.create_date()),
                inline_policies,
                attached_policies: attached(attached_pages.iter().flatten().flat_map(|p| p.attached_policies())),
                name,
            };
            (arn, group)
        })
        .buffer_unordered(ctx.fanout())
        .collect()
        .await
}

async fn roles(ctx: &Ctx, iam: &Client) -> BTreeMap<String, IamRole> {
    let pages = ctx.pages(call("ListRoles"), iam.list_roles().into_paginator().send()).await;
    futures::stream::iter(pages.unwrap_or_default().into_iter().flat_map(|p| p.roles))
        .map(|role| async move {
            let (name, arn) = (role.role_name().to_owned(), role.arn().to_owned());
            // GetRole adds what ListRoles leaves out: the boundary, the last use and the tags.
            let (detail, names, attached_pages) = tokio::join!(
                ctx.fetch(call("GetRole").on(&arn), iam.get_role().role_name(&name).send()),
                ctx.pages(
                    call("ListRolePolicies").on(&arn),
                    iam.list_role_policies().role_name(&name).into_paginator().send()
                ),
                ctx.pages(
                    call("ListAttachedRolePolicies").on(&arn),
                    iam.list_attached_role_policies().role_name(&name).into_paginator().send()
                ),
            );
            let names = names.unwrap_or_default().into_iter().flat_map(|p| p.policy_names);
            let inline_policies = inline_policies(ctx, names, |policy| {
                let request = iam.get_role_policy().role_name(&name).policy_name(&policy).send();
                let call = call("GetRolePolicy").on(format!("{arn}#{policy}"));
                async move { ctx.fetch(call, request).await.map(|o| o.policy_document().to_owned()) }
            })
            .await;
            let full = detail.as_ref().and_then(|o| o.role()).unwrap_or(&role);
            let role = IamRole {
                arn: arn.clone(),
                id: full.role_id().to_owned(),
                path: full.path().to_owned(),
                create_date: timestamp(full.create_date()),
                trust_policy: PolicyDocument::parse(full.assume_role_policy_document().unwrap_or_default()),
                inline_policies,
                attached_policies: attached(attached_pages.iter().flatten().flat_map(|p| p.attached_policies())),
                permissions_boundary: boundary(full.permissions_boundary()),
                max_session_duration: None,
                last_used: role_last_used(full.role_last_used()),
                tags: tags(full.tags()),
                name,
            };
            (arn, role)
        })
        .buffer_unordered(ctx.fanout())
        .collect()
        .await
}

/// The account's own managed policies and their default version's document.
async fn local_policies(ctx: &Ctx, iam: &Client) -> BTreeMap<String, ManagedPolicy> {
    let listing = iam.list_policies().scope(PolicyScopeType::Local).into_paginator().send();
    let pages = ctx.pages(call("ListPolicies"), listing).await;
    futures::stream::iter(pages.unwrap_or_default().into_iter().flat_map(|p| p.policies.unwrap_or_default()))
        .filter_map(|policy| async move { policy.arn().map(str::to_owned).map(|arn| (arn, policy)) })
        .map(|(arn, policy)| async move {
            let document = match policy.default_version_id() {
                Some(version) => {
                    let request = iam.get_policy_version().policy_arn(&arn).version_id(version).send();
                    ctx.fetch(call("GetPolicyVersion").on(&arn), request)
                        .await
                        .and_then(|o| o.policy_version().and_then(|v| v.document()).map(PolicyDocument::parse))
                }
                None => None,
            };
            let managed = ManagedPolicy { document, ..managed_policy(&arn, Some(&policy), false) };
            (arn, managed)
        })
        .buffer_unordered(ctx.fanout())
        .collect()
        .await
}
