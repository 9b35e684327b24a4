//! IAM (global): principals and their policies from GetAccountAuthorizationDetails (a few pages for the
//! whole account instead of a dozen calls per principal), the AWS managed policies they attach, each user's
//! credentials, the credential report, the password policy and the account summary.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_sdk_iam::Client;
use aws_sdk_iam::types::{EntityType, PolicyScopeType, ReportStateType};
use futures::StreamExt;

mod convert;
mod entities;

use super::call::timestamp;
use super::{Call, CallFailure, Ctx, GLOBAL, Location};
use crate::inventory::credential_report;
use crate::inventory::iam::*;
use crate::inventory::{ErrorKind, FELL_BACK, Observed, PolicyDocument};
use convert::{attached, boundary, managed_policy, name_from_arn, role_last_used, tags};

fn call(operation: &'static str) -> Call {
    Call::new("iam", GLOBAL, operation)
}

pub(crate) async fn collect(ctx: &Ctx, iam: &Client, at: &Location<'_>) -> IamInventory {
    let partition = at.partition;
    let (details, credential_report, password_policy, account_summary) = tokio::join!(
        authorization_details(ctx, iam),
        credential_report(ctx, iam),
        password_policy(ctx, iam),
        account_summary(ctx, iam),
    );
    let mut inventory = IamInventory { credential_report, password_policy, account_summary, ..details };

    let aws_prefix = format!("arn:{partition}:iam::aws:policy/");
    let referenced: BTreeSet<String> = inventory
        .users
        .values()
        .flat_map(|u| &u.attached_policies)
        .chain(inventory.groups.values().flat_map(|g| &g.attached_policies))
        .chain(inventory.roles.values().flat_map(|r| &r.attached_policies))
        .map(|p| p.arn.clone())
        .filter(|arn| arn.starts_with(&aws_prefix) && !inventory.managed_policies.contains_key(arn))
        .collect();

    let users: Vec<IamUser> = std::mem::take(&mut inventory.users).into_values().collect();
    let (aws_policies, users) = tokio::join!(
        aws_managed_policies(ctx, iam, referenced),
        futures::stream::iter(users)
            .map(|user| user_credentials(ctx, iam, user))
            .buffer_unordered(ctx.fanout())
            .collect::<Vec<_>>(),
    );
    inventory.users = users.into_iter().map(|u| (u.arn.clone(), u)).collect();
    inventory.managed_policies.extend(aws_policies.into_iter().map(|p| (p.arn.clone(), p)));
    inventory
}

/// The fewest requests that give this inventory (the scan benchmark's yardstick): the authorization details,
/// one AWS managed policy listing plus a version per policy, three reads per user plus one per key, the
/// credential report (generate + get), the password policy and the summary.
pub(crate) fn minimum_requests(iam: &IamInventory, _regions: usize) -> usize {
    let per_user: usize = iam.users.values().map(|u| 3 + u.access_keys.as_ref().map_or(0, Vec::len)).sum();
    let aws_policies = iam.managed_policies.values().filter(|p| p.aws_managed).count();
    1 + 1 + aws_policies + per_user + 2 + 1 + 1
}

fn inline(list: &[aws_sdk_iam::types::PolicyDetail]) -> Vec<InlinePolicy> {
    let mut policies: Vec<InlinePolicy> = list
        .iter()
        .map(|p| InlinePolicy {
            name: p.policy_name().unwrap_or_default().to_owned(),
            document: PolicyDocument::parse(p.policy_document().unwrap_or_default()),
        })
        .collect();
    policies.sort_by(|a, b| a.name.cmp(&b.name));
    policies
}

async fn authorization_details(ctx: &Ctx, iam: &Client) -> IamInventory {
    // AWS managed policies are left out of the filter: unfiltered, the API returns all ~1,300 of them.
    let request = iam
        .get_account_authorization_details()
        .filter(EntityType::User)
        .filter(EntityType::Group)
        .filter(EntityType::Role)
        .filter(EntityType::LocalManagedPolicy)
        .into_paginator()
        .send();
    let mut inventory = IamInventory::default();
    let details = call("GetAccountAuthorizationDetails");
    let pages = match ctx.try_pages(request).await {
        (pages, Some(mut failure)) if pages.is_empty() && failure.kind == ErrorKind::AccessDenied => {
            failure.message = format!("{}; {} per-entity List*/Get* calls", failure.message, FELL_BACK);
            ctx.record(&details, failure);
            // Boxed: the fallback's future is large, and the scan may run on a thread with a small stack.
            return Box::pin(entities::collect(ctx, iam)).await;
        }
        (pages, failure) => match ctx.settle_pages(&details, pages, failure) {
            Some(pages) => pages,
            None => return inventory,
        },
    };
    for page in pages {
        for user in page.user_detail_list() {
            let Some(arn) = user.arn() else { continue };
            inventory.users.insert(
                arn.to_owned(),
                IamUser {
                    arn: arn.to_owned(),
                    name: user.user_name().unwrap_or_default().to_owned(),
                    id: user.user_id().unwrap_or_default().to_owned(),
                    path: user.path().unwrap_or("/").to_owned(),
                    create_date: user.create_date().and_then(timestamp),
                    groups: user.group_list().to_vec(),
                    inline_policies: inline(user.user_policy_list()),
                    attached_policies: attached(user.attached_managed_policies()),
                    permissions_boundary: boundary(user.permissions_boundary()),
                    access_keys: None,
                    mfa_devices: None,
                    console_access: Observed::Unknown,
                    tags: tags(user.tags()),
                },
            );
        }
        for group in page.group_detail_list() {
            let Some(arn) = group.arn() else { continue };
            inventory.groups.insert(
                arn.to_owned(),
                IamGroup {
                    arn: arn.to_owned(),
                    name: group.group_name().unwrap_or_default().to_owned(),
                    path: group.path().unwrap_or("/").to_owned(),
                    create_date: group.create_date().and_then(timestamp),
                    inline_policies: inline(group.group_policy_list()),
                    attached_policies: attached(group.attached_managed_policies()),
                },
            );
        }
        for role in page.role_detail_list() {
            let Some(arn) = role.arn() else { continue };
            inventory.roles.insert(
                arn.to_owned(),
                IamRole {
                    arn: arn.to_owned(),
                    name: role.role_name().unwrap_or_default().to_owned(),
                    id: role.role_id().unwrap_or_default().to_owned(),
                    path: role.path().unwrap_or("/").to_owned(),
                    create_date: role.create_date().and_then(timestamp),
                    trust_policy: PolicyDocument::parse(role.assume_role_policy_document().unwrap_or_default()),
                    inline_policies: inline(role.role_policy_list()),
                    attached_policies: attached(role.attached_managed_policies()),
                    permissions_boundary: boundary(role.permissions_boundary()),
                    max_session_duration: None,
                    last_used: role_last_used(role.role_last_used()),
                    tags: tags(role.tags()),
                },
            );
        }
        for policy in page.policies() {
            let Some(arn) = policy.arn() else { continue };
            let default_version = policy.policy_version_list().iter().find(|v| v.is_default_version());
            inventory.managed_policies.insert(
                arn.to_owned(),
                ManagedPolicy {
                    arn: arn.to_owned(),
                    name: policy.policy_name().map(str::to_owned).unwrap_or_else(|| name_from_arn(arn)),
                    path: policy.path().unwrap_or("/").to_owned(),
                    aws_managed: false,
                    default_version_id: policy
                        .default_version_id()
                        .or_else(|| default_version.and_then(|v| v.version_id()))
                        .map(str::to_owned),
                    document: default_version.and_then(|v| v.document()).map(PolicyDocument::parse),
                    attachment_count: policy.attachment_count(),
                    create_date: policy.create_date().and_then(timestamp),
                    update_date: policy.update_date().and_then(timestamp),
                },
            );
        }
    }
    inventory
}

/// The AWS managed policies the account attaches, with their default version's document. One ListPolicies
/// listing gives their default versions; GetPolicy is only asked for one the listing did not show.
async fn aws_managed_policies(ctx: &Ctx, iam: &Client, referenced: BTreeSet<String>) -> Vec<ManagedPolicy> {
    if referenced.is_empty() {
        return Vec::new();
    }
    let listing = iam.list_policies().scope(PolicyScopeType::Aws).only_attached(true).into_paginator().send();
    let mut known: BTreeMap<String, ManagedPolicy> = BTreeMap::new();
    for page in ctx.pages(call("ListPolicies"), listing).await.unwrap_or_default() {
        for policy in page.policies() {
            let Some(arn) = policy.arn().filter(|arn| referenced.contains(*arn)) else { continue };
            known.insert(arn.to_owned(), managed_policy(arn, Some(policy), true));
        }
    }
    futures::stream::iter(referenced)
        .map(|arn| {
            let listed = known.remove(&arn);
            async move {
                let mut policy = match listed {
                    Some(policy) => policy,
                    None => {
                        let output =
                            ctx.fetch(call("GetPolicy").on(&arn), iam.get_policy().policy_arn(&arn).send()).await;
                        managed_policy(&arn, output.as_ref().and_then(|o| o.policy()), true)
                    }
                };
                if let Some(version) = policy.default_version_id.clone() {
                    let request = iam.get_policy_version().policy_arn(&arn).version_id(version).send();
                    policy.document = ctx
                        .fetch(call("GetPolicyVersion").on(&arn), request)
                        .await
                        .and_then(|o| o.policy_version().and_then(|v| v.document()).map(PolicyDocument::parse));
                }
                policy
            }
        })
        .buffer_unordered(ctx.fanout())
        .collect()
        .await
}

/// Access keys (with last use), MFA devices and console access of one user.
async fn user_credentials(ctx: &Ctx, iam: &Client, mut user: IamUser) -> IamUser {
    let name = user.name.clone();
    let keys = async {
        let request = iam.list_access_keys().user_name(&name).into_paginator().send();
        let pages = ctx.pages(call("ListAccessKeys").on(&user.arn), request).await?;
        let metadata: Vec<_> = pages.iter().flat_map(|p| p.access_key_metadata()).cloned().collect();
        let keys = futures::stream::iter(metadata)
            .map(|key| async move {
                let id = key.access_key_id().unwrap_or_default().to_owned();
                let request = iam.get_access_key_last_used().access_key_id(&id).send();
                let last_used = match ctx.fetch(call("GetAccessKeyLastUsed").on(&id), request).await {
                    Some(output) => match output.access_key_last_used() {
                        Some(used) => Observed::Present(AccessKeyLastUsed {
                            date: used.last_used_date().and_then(timestamp),
                            service: Some(used.service_name()).filter(|s| *s != "N/A").map(str::to_owned),
                            region: Some(used.region()).filter(|s| *s != "N/A").map(str::to_owned),
                        }),
                        None => Observed::Absent,
                    },
                    None => Observed::Unknown,
                };
                AccessKey {
                    id,
                    status: key.status().map(|s| s.as_str().to_owned()).unwrap_or_default(),
                    create_date: key.create_date().and_then(timestamp),
                    last_used,
                }
            })
            .buffered(4)
            .collect::<Vec<_>>()
            .await;
        Some(keys)
    };
    let mfa = async {
        let request = iam.list_mfa_devices().user_name(&name).into_paginator().send();
        let pages = ctx.pages(call("ListMFADevices").on(&user.arn), request).await?;
        Some(
            pages
                .iter()
                .flat_map(|p| p.mfa_devices())
                .map(|d| MfaDevice {
                    serial_number: d.serial_number().to_owned(),
                    enable_date: timestamp(d.enable_date()),
                })
                .collect::<Vec<_>>(),
        )
    };
    let console = async {
        let request = iam.get_login_profile().user_name(&name).send();
        match ctx.fetch_observed(call("GetLoginProfile").on(&user.arn), request).await {
            Observed::Present(output) => match output.login_profile() {
                Some(profile) => Observed::Present(LoginProfile {
                    create_date: timestamp(profile.create_date()),
                    password_reset_required: profile.password_reset_required(),
                }),
                None => Observed::Absent,
            },
            Observed::Absent => Observed::Absent,
            Observed::Unknown => Observed::Unknown,
        }
    };
    let (keys, mfa, console) = tokio::join!(keys, mfa, console);
    user.access_keys = keys;
    user.mfa_devices = mfa;
    user.console_access = console;
    user
}

/// Asks IAM to generate the report, polls until it is ready (at most about a minute), reads and parses it.
async fn credential_report(ctx: &Ctx, iam: &Client) -> Observed<CredentialReport> {
    let generate = call("GenerateCredentialReport");
    let mut delay = Duration::from_millis(250);
    let mut ready = false;
    for _ in 0..20 {
        match ctx.send(iam.generate_credential_report().send()).await {
            Ok(output) if output.state() == Some(&ReportStateType::Complete) => {
                ready = true;
                break;
            }
            Ok(_) => {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
            Err(failure) => {
                ctx.record(&generate, failure);
                return Observed::Unknown;
            }
        }
    }
    let get = call("GetCredentialReport");
    if !ready {
        ctx.record(
            &generate,
            CallFailure {
                kind: ErrorKind::Timeout,
                code: None,
                message: "the report was not ready after polling for about a minute".into(),
                not_found: false,
            },
        );
        return Observed::Unknown;
    }
    let Some(output) = ctx.fetch(get.clone(), iam.get_credential_report().send()).await else {
        return Observed::Unknown;
    };
    let content = output.content().map(|blob| blob.as_ref()).unwrap_or_default();
    match credential_report::parse(content) {
        Ok(rows) => {
            Observed::Present(CredentialReport { generated_at: output.generated_time().and_then(timestamp), rows })
        }
        Err(error) => {
            ctx.record(
                &get,
                CallFailure {
                    kind: ErrorKind::MalformedResponse,
                    code: None,
                    message: error.to_string(),
                    not_found: false,
                },
            );
            Observed::Unknown
        }
    }
}

async fn password_policy(ctx: &Ctx, iam: &Client) -> Observed<PasswordPolicy> {
    let output = ctx.fetch_observed(call("GetAccountPasswordPolicy"), iam.get_account_password_policy().send()).await;
    match output {
        Observed::Present(output) => match output.password_policy() {
            Some(p) => Observed::Present(PasswordPolicy {
                minimum_length: p.minimum_password_length(),
                require_symbols: p.require_symbols(),
                require_numbers: p.require_numbers(),
                require_uppercase: p.require_uppercase_characters(),
                require_lowercase: p.require_lowercase_characters(),
                allow_users_to_change: p.allow_users_to_change_password(),
                expire_passwords: p.expire_passwords(),
                max_age_days: p.max_password_age(),
                reuse_prevention: p.password_reuse_prevention(),
                hard_expiry: p.hard_expiry(),
            }),
            None => Observed::Absent,
        },
        Observed::Absent => Observed::Absent,
        Observed::Unknown => Observed::Unknown,
    }
}

async fn account_summary(ctx: &Ctx, iam: &Client) -> Observed<BTreeMap<String, i64>> {
    match ctx.fetch(call("GetAccountSummary"), iam.get_account_summary().send()).await {
        Some(output) => Observed::Present(
            output
                .summary_map()
                .map(|m| m.iter().map(|(k, v)| (k.as_str().to_owned(), i64::from(*v))).collect())
                .unwrap_or_default(),
        ),
        None => Observed::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_iam::operation::generate_credential_report::GenerateCredentialReportOutput;
    use aws_sdk_iam::operation::get_account_authorization_details::GetAccountAuthorizationDetailsOutput;
    use aws_sdk_iam::operation::get_credential_report::GetCredentialReportOutput;
    use aws_sdk_iam::operation::list_access_keys::ListAccessKeysOutput;
    use aws_sdk_iam::operation::list_mfa_devices::ListMfaDevicesOutput;
    use aws_sdk_iam::types::{AccessKeyMetadata, RoleDetail, StatusType, UserDetail};
    use aws_smithy_mocks::{RuleMode, mock, mock_client};
    use aws_smithy_types::Blob;

    use super::*;
    use crate::collect::call::test_support::{ctx, query_error};

    const TRUST: &str = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22AWS%22%3A%22arn%3Aaws%3Aiam%3A%3A444455556666%3Aroot%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D";

    #[tokio::test]
    async fn authorization_details_pages_merge_and_user_credentials_are_read() {
        let page1 = mock!(Client::get_account_authorization_details)
            .match_requests(|r| r.marker().is_none())
            .then_output(|| {
                GetAccountAuthorizationDetailsOutput::builder()
                    .user_detail_list(
                        UserDetail::builder()
                            .user_name("bob")
                            .arn("arn:aws:iam::123456789012:user/bob")
                            .user_id("U1")
                            .build(),
                    )
                    .is_truncated(true)
                    .marker("next")
                    .build()
            });
        let page2 = mock!(Client::get_account_authorization_details)
            .match_requests(|r| r.marker() == Some("next"))
            .then_output(|| {
                GetAccountAuthorizationDetailsOutput::builder()
                    .role_detail_list(
                        RoleDetail::builder()
                            .role_name("partner")
                            .arn("arn:aws:iam::123456789012:role/partner")
                            .assume_role_policy_document(TRUST)
                            .build(),
                    )
                    .is_truncated(false)
                    .build()
            });
        let keys = mock!(Client::list_access_keys).then_output(|| {
            ListAccessKeysOutput::builder()
                .access_key_metadata(
                    AccessKeyMetadata::builder().access_key_id("AKIAEXAMPLE1").status(StatusType::Active).build(),
                )
                .is_truncated(false)
                .build()
                .expect("complete")
        });
        let last_used = mock!(Client::get_access_key_last_used).then_http_response(|| {
            query_error(403, "AccessDenied", "not authorized to perform iam:GetAccessKeyLastUsed")
        });
        let mfa = mock!(Client::list_mfa_devices)
            .then_output(|| ListMfaDevicesOutput::builder().set_mfa_devices(Some(vec![])).build().expect("complete"));
        let login = mock!(Client::get_login_profile)
            .then_http_response(|| query_error(404, "NoSuchEntity", "Login Profile for User bob cannot be found."));
        let generate = mock!(Client::generate_credential_report)
            .sequence()
            .output(|| GenerateCredentialReportOutput::builder().state(ReportStateType::Started).build())
            .output(|| GenerateCredentialReportOutput::builder().state(ReportStateType::Complete).build())
            .build();
        let report = mock!(Client::get_credential_report).then_output(|| {
            GetCredentialReportOutput::builder()
                .content(Blob::new("user,arn,mfa_active\nbob,arn:aws:iam::123456789012:user/bob,false\n"))
                .build()
        });
        let password = mock!(Client::get_account_password_policy).then_http_response(|| {
            query_error(404, "NoSuchEntity", "The Password Policy with domain name 123456789012 cannot be found.")
        });
        let summary =
            mock!(Client::get_account_summary).then_http_response(|| query_error(400, "Throttling", "Rate exceeded"));
        let client = mock_client!(
            aws_sdk_iam,
            RuleMode::MatchAny,
            [&page1, &page2, &keys, &last_used, &mfa, &login, &generate, &report, &password, &summary]
        );
        let ctx = ctx();
        let inventory = collect(
            &ctx,
            &client,
            &crate::collect::Location {
                region: crate::collect::GLOBAL,
                partition: "aws",
                account: "123456789012",
                scanned: &[],
            },
        )
        .await;

        assert_eq!(generate.num_calls(), 2, "polled until complete");
        let bob = &inventory.users["arn:aws:iam::123456789012:user/bob"];
        assert_eq!(bob.console_access, Observed::Absent);
        let keys = bob.access_keys.as_ref().expect("keys listed");
        assert_eq!(keys[0].id, "AKIAEXAMPLE1");
        assert!(keys[0].last_used.is_unknown(), "denied GetAccessKeyLastUsed is unknown, not never-used");
        let role = &inventory.roles["arn:aws:iam::123456789012:role/partner"];
        assert_eq!(
            role.trust_policy.statements()[0]["Principal"]["AWS"],
            "arn:aws:iam::444455556666:root",
            "URL-decoded"
        );
        assert_eq!(inventory.password_policy, Observed::Absent);
        assert_eq!(inventory.credential_report.present().map(|r| r.rows[0].mfa_active), Some(Some(false)));
        assert!(inventory.account_summary.is_unknown());

        let coverage = ctx.into_coverage();
        let kinds: Vec<(&str, ErrorKind)> = coverage.iter().map(|r| (r.operation.as_str(), r.error_kind)).collect();
        assert_eq!(kinds.len(), 2, "{coverage:#?}");
        assert!(kinds.contains(&("GetAccessKeyLastUsed", ErrorKind::AccessDenied)));
        assert!(kinds.contains(&("GetAccountSummary", ErrorKind::Throttled)));
    }

    #[tokio::test]
    async fn denied_authorization_details_falls_back_per_entity_and_the_rest_goes_on() {
        use aws_sdk_iam::operation::{
            get_role::GetRoleOutput, get_role_policy::GetRolePolicyOutput,
            list_attached_role_policies::ListAttachedRolePoliciesOutput, list_groups::ListGroupsOutput,
            list_policies::ListPoliciesOutput, list_role_policies::ListRolePoliciesOutput, list_roles::ListRolesOutput,
        };
        use aws_sdk_iam::types::Role;
        let denied = mock!(Client::get_account_authorization_details).then_http_response(|| {
            query_error(403, "AccessDenied", "not authorized to perform iam:GetAccountAuthorizationDetails")
        });
        let generate = mock!(Client::generate_credential_report)
            .then_output(|| GenerateCredentialReportOutput::builder().state(ReportStateType::Complete).build());
        let report = mock!(Client::get_credential_report)
            .then_output(|| GetCredentialReportOutput::builder().content(Blob::new("not,a,report\n")).build());
        let password = mock!(Client::get_account_password_policy)
            .then_http_response(|| query_error(403, "AccessDenied", "denied"));
        let summary = mock!(Client::get_account_summary).then_output(|| {
            aws_sdk_iam::operation::get_account_summary::GetAccountSummaryOutput::builder()
                .summary_map(aws_sdk_iam::types::SummaryKeyType::AccountMfaEnabled, 1)
                .build()
        });
        // The fallback: users denied too, no groups or local policies, one role with an inline policy.
        let role = || {
            Role::builder()
                .role_name("app")
                .arn("arn:aws:iam::123456789012:role/app")
                .role_id("AROAEXAMPLE")
                .path("/")
                .create_date(aws_smithy_types::DateTime::from_secs(1_700_000_000))
                .assume_role_policy_document("%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D")
                .build()
                .expect("complete")
        };
        let users = mock!(Client::list_users).then_http_response(|| query_error(403, "AccessDenied", "denied"));
        let groups = mock!(Client::list_groups)
            .then_output(|| ListGroupsOutput::builder().set_groups(Some(vec![])).build().expect("complete"));
        let policies = mock!(Client::list_policies).then_output(|| ListPoliciesOutput::builder().build());
        let roles = mock!(Client::list_roles)
            .then_output(move || ListRolesOutput::builder().roles(role()).build().expect("complete"));
        let get_role = mock!(Client::get_role).then_output(move || GetRoleOutput::builder().role(role()).build());
        let role_policies = mock!(Client::list_role_policies)
            .then_output(|| ListRolePoliciesOutput::builder().policy_names("inline").build().expect("complete"));
        let role_policy = mock!(Client::get_role_policy).then_output(|| {
            GetRolePolicyOutput::builder()
                .role_name("app")
                .policy_name("inline")
                .policy_document(r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#)
                .build()
                .expect("complete")
        });
        let attached = mock!(Client::list_attached_role_policies)
            .then_output(|| ListAttachedRolePoliciesOutput::builder().build());
        let client = mock_client!(
            aws_sdk_iam,
            RuleMode::MatchAny,
            [
                &denied,
                &generate,
                &report,
                &password,
                &summary,
                &users,
                &groups,
                &policies,
                &roles,
                &get_role,
                &role_policies,
                &role_policy,
                &attached
            ]
        );
        let ctx = ctx();
        let inventory = collect(
            &ctx,
            &client,
            &crate::collect::Location {
                region: crate::collect::GLOBAL,
                partition: "aws",
                account: "123456789012",
                scanned: &[],
            },
        )
        .await;
        assert!(inventory.users.is_empty() && inventory.groups.is_empty(), "users could not be listed");
        let app = &inventory.roles["arn:aws:iam::123456789012:role/app"];
        assert_eq!(app.inline_policies.len(), 1, "read role by role: {app:#?}");
        assert!(app.inline_policies[0].document.json.is_some() && app.trust_policy.json.is_some(), "{app:#?}");
        assert_eq!(inventory.account_summary.present().and_then(|m| m.get("AccountMFAEnabled")), Some(&1));
        let coverage = ctx.into_coverage();
        let operations: Vec<&str> = coverage.iter().map(|r| r.operation.as_str()).collect();
        assert_eq!(operations.len(), 4, "{coverage:#?}");
        assert!(operations.contains(&"GetAccountAuthorizationDetails") && operations.contains(&"ListUsers"));
        let details = coverage.iter().find(|r| r.operation == "GetAccountAuthorizationDetails").expect("recorded");
        assert!(details.message.contains("fell back to per-entity"), "{}", details.message);
        assert!(operations.contains(&"GetAccountPasswordPolicy"));
        let report_gap =
            coverage.iter().find(|r| r.operation == "GetCredentialReport").expect("malformed report recorded");
        assert_eq!(report_gap.error_kind, ErrorKind::MalformedResponse);
        assert!(report_gap.message.contains("missing column `user`"), "{}", report_gap.message);
    }
}
