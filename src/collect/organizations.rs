//! AWS Organizations, read from the management account or a delegated administrator: the organization,
//! its active accounts, the OU tree and the service control policies with their targets. Global (its
//! endpoint is in us-east-1 for the commercial partition); everything that fails is a coverage record.

use aws_sdk_organizations::Client;
use aws_sdk_organizations::types::{AccountState, AccountStatus, PolicyType};
use futures::StreamExt;

use super::{Call, Ctx, GLOBAL};
use crate::inventory::PolicyDocument;
use crate::inventory::org::{OrgAccount, Organization, OrganizationalUnit, ServiceControlPolicy};

fn call(operation: &'static str) -> Call {
    Call::new("organizations", GLOBAL, operation)
}

/// Why an organization cannot be scanned at all.
#[derive(Debug, thiserror::Error)]
pub enum OrgError {
    #[error("cannot read the organization (organizations:DescribeOrganization): {0}")]
    Describe(String),
    #[error(
        "cannot list the organization's accounts (organizations:ListAccounts): {0}; run from the management account or a delegated administrator, or name the accounts with --accounts"
    )]
    Accounts(String),
}

/// Whether an account takes part: `State` ACTIVE, or for an endpoint that still sends only the `Status`
/// field (retired on 2026-09-09), ACTIVE there.
fn is_active(account: &aws_sdk_organizations::types::Account) -> bool {
    match account.state() {
        Some(state) => *state == AccountState::Active,
        #[allow(deprecated)]
        None => account.status() == Some(&AccountStatus::Active),
    }
}

/// The organization. `known_accounts`: when ListAccounts is refused, these accounts (from `--accounts`) are
/// scanned without the tree, instead of failing.
pub(crate) async fn collect(ctx: &Ctx, client: &Client, known_accounts: &[String]) -> Result<Organization, OrgError> {
    let described = ctx.send(client.describe_organization().send()).await.map_err(|f| OrgError::Describe(f.message))?;
    let organization = described.organization();
    let mut org = Organization {
        id: organization.and_then(|o| o.id()).unwrap_or_default().to_owned(),
        management_account: organization.and_then(|o| o.master_account_id()).unwrap_or_default().to_owned(),
        ..Organization::default()
    };

    match ctx.try_pages(client.list_accounts().into_paginator().send()).await {
        (pages, None) => {
            org.accounts = pages
                .iter()
                .flat_map(|p| p.accounts())
                .filter(|a| is_active(a))
                .filter_map(|a| {
                    Some(OrgAccount {
                        id: a.id()?.to_owned(),
                        name: a.name().unwrap_or_default().to_owned(),
                        parent: None,
                    })
                })
                .collect();
        }
        (_, Some(failure)) if known_accounts.is_empty() => return Err(OrgError::Accounts(failure.message)),
        (_, Some(failure)) => {
            ctx.record(&call("ListAccounts"), failure);
            org.accounts =
                known_accounts.iter().map(|id| OrgAccount { id: id.clone(), ..OrgAccount::default() }).collect();
        }
    }
    org.accounts.sort_by(|a, b| a.id.cmp(&b.id));
    org.accounts.dedup_by(|a, b| a.id == b.id);

    if let Some(pages) = ctx.pages(call("ListRoots"), client.list_roots().into_paginator().send()).await
        && let Some(root) = pages.iter().flat_map(|p| p.roots()).find_map(|r| r.id())
    {
        org.root = root.to_owned();
        tree(ctx, client, &mut org).await;
    }
    org.scps = scps(ctx, client).await;
    Ok(org)
}

/// The OU tree, breadth first from the root, and each account's parent.
async fn tree(ctx: &Ctx, client: &Client, org: &mut Organization) {
    let mut parents = vec![org.root.clone()];
    while let Some(parent) = parents.pop() {
        let units = client.list_organizational_units_for_parent().parent_id(&parent).into_paginator().send();
        let accounts = client.list_accounts_for_parent().parent_id(&parent).into_paginator().send();
        let (units, accounts) = futures::join!(
            ctx.pages(call("ListOrganizationalUnitsForParent").on(&parent), units),
            ctx.pages(call("ListAccountsForParent").on(&parent), accounts)
        );
        for unit in units.iter().flatten().flat_map(|p| p.organizational_units()) {
            let Some(id) = unit.id() else { continue };
            parents.push(id.to_owned());
            org.units.push(OrganizationalUnit {
                id: id.to_owned(),
                name: unit.name().unwrap_or(id).to_owned(),
                parent: parent.clone(),
            });
        }
        for id in accounts.iter().flatten().flat_map(|p| p.accounts()).filter_map(|a| a.id()) {
            if let Some(account) = org.accounts.iter_mut().find(|a| a.id == id) {
                account.parent = Some(parent.clone());
            }
        }
    }
    org.units.sort_by(|a, b| a.id.cmp(&b.id));
}

/// Every SCP with its document and targets; `None` when they cannot be listed.
async fn scps(ctx: &Ctx, client: &Client) -> Option<Vec<ServiceControlPolicy>> {
    let listing = client.list_policies().filter(PolicyType::ServiceControlPolicy).into_paginator().send();
    let pages = ctx.pages(call("ListPolicies"), listing).await?;
    let summaries: Vec<(String, String, bool)> = pages
        .iter()
        .flat_map(|p| p.policies())
        .filter_map(|p| Some((p.id()?.to_owned(), p.name().unwrap_or_default().to_owned(), p.aws_managed())))
        .collect();
    let mut scps = futures::stream::iter(summaries)
        .map(|(id, name, aws_managed)| async move {
            let described = client.describe_policy().policy_id(&id).send();
            let targets = client.list_targets_for_policy().policy_id(&id).into_paginator().send();
            let (described, targets) = futures::join!(
                ctx.fetch(call("DescribePolicy").on(&id), described),
                ctx.pages(call("ListTargetsForPolicy").on(&id), targets)
            );
            let document =
                described.as_ref().and_then(|d| d.policy()).and_then(|p| p.content()).map(PolicyDocument::parse);
            let targets = targets.map(|pages| {
                let mut ids: Vec<String> =
                    pages.iter().flat_map(|p| p.targets()).filter_map(|t| t.target_id().map(str::to_owned)).collect();
                ids.sort();
                ids
            });
            ServiceControlPolicy { id, name, aws_managed, document, targets }
        })
        .buffer_unordered(ctx.fanout())
        .collect::<Vec<_>>()
        .await;
    scps.sort_by(|a, b| a.id.cmp(&b.id));
    Some(scps)
}

#[cfg(test)]
mod tests {
    use aws_sdk_organizations::operation::describe_organization::DescribeOrganizationOutput;
    use aws_sdk_organizations::operation::list_accounts::ListAccountsOutput;
    use aws_sdk_organizations::types::{Account, Organization as SdkOrganization};
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    use super::*;
    use crate::collect::call::test_support::{ctx, json_error};

    fn describe() -> aws_smithy_mocks::Rule {
        mock!(Client::describe_organization).then_output(|| {
            DescribeOrganizationOutput::builder()
                .organization(SdkOrganization::builder().id("o-1").master_account_id("111111111111").build())
                .build()
        })
    }

    #[tokio::test]
    async fn suspended_accounts_are_left_out() {
        let accounts = mock!(Client::list_accounts).then_output(|| {
            ListAccountsOutput::builder()
                .accounts(Account::builder().id("222222222222").name("prod").state(AccountState::Active).build())
                .accounts(Account::builder().id("333333333333").name("old").state(AccountState::Suspended).build())
                .build()
        });
        let roots = mock!(Client::list_roots).then_http_response(|| json_error(400, "AccessDeniedException", "no"));
        let policies =
            mock!(Client::list_policies).then_http_response(|| json_error(400, "AccessDeniedException", "no"));
        let client =
            mock_client!(aws_sdk_organizations, RuleMode::MatchAny, [&describe(), &accounts, &roots, &policies]);
        let ctx = ctx();
        let org = collect(&ctx, &client, &[]).await.expect("readable");
        assert_eq!(org.accounts.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), ["222222222222"]);
        assert_eq!(org.scps, None, "a refused SCP listing is unknown, not none");
        let gaps: Vec<String> = ctx.into_coverage().iter().map(|r| r.operation.clone()).collect();
        assert_eq!(gaps, ["ListRoots", "ListPolicies"]);
    }

    #[tokio::test]
    async fn a_refused_account_listing_fails_unless_the_accounts_are_named() {
        let refused =
            || mock!(Client::list_accounts).then_http_response(|| json_error(400, "AccessDeniedException", "denied"));
        let client = mock_client!(aws_sdk_organizations, RuleMode::MatchAny, [&describe(), &refused()]);
        let error = collect(&ctx(), &client, &[]).await.expect_err("nothing to scan");
        assert!(error.to_string().contains("--accounts"), "{error}");

        let roots = mock!(Client::list_roots).then_http_response(|| json_error(400, "AccessDeniedException", "no"));
        let policies =
            mock!(Client::list_policies).then_http_response(|| json_error(400, "AccessDeniedException", "no"));
        let client =
            mock_client!(aws_sdk_organizations, RuleMode::MatchAny, [&describe(), &refused(), &roots, &policies]);
        let ctx = ctx();
        let org = collect(&ctx, &client, &["444444444444".into()]).await.expect("named accounts");
        assert_eq!(org.accounts.len(), 1);
        assert!(ctx.into_coverage().iter().any(|r| r.operation == "ListAccounts"));
    }
}
