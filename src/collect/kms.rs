//! KMS (per region): keys from ListKeys, each described by its ARN (never by an alias: describing an AWS alias
//! can create its key), the rotation status of keys that can rotate automatically, the `default` key policy of
//! customer managed keys, and the aliases. Never Decrypt or a data key: those are on the guard's never-call list.

use std::collections::BTreeMap;

use aws_sdk_kms::Client;
use aws_sdk_kms::types::KeyMetadata;
use futures::StreamExt;

use super::call::timestamp;
use super::{Call, Ctx, Location};
use crate::inventory::kms::*;
use crate::inventory::{Observed, PolicyDocument};

fn call(region: &str, operation: &'static str) -> Call {
    Call::new("kms", region, operation)
}

/// ListKeys' and ListAliases' largest pages.
const KEYS_PAGE: i32 = 1000;
const ALIASES_PAGE: i32 = 100;

pub(crate) async fn collect(ctx: &Ctx, client: &Client, at: &Location<'_>) -> KmsInventory {
    let region = at.region;
    let keys = client.list_keys().limit(KEYS_PAGE).into_paginator().send();
    let aliases = client.list_aliases().limit(ALIASES_PAGE).into_paginator().send();
    let (keys, aliases) =
        tokio::join!(ctx.pages(call(region, "ListKeys"), keys), ctx.pages(call(region, "ListAliases"), aliases));
    let aliases: Vec<Alias> = aliases
        .unwrap_or_default()
        .iter()
        .flat_map(|page| page.aliases())
        .filter_map(|entry| {
            Some(Alias {
                arn: entry.alias_arn()?.to_owned(),
                name: entry.alias_name()?.to_owned(),
                region: region.to_owned(),
                target_key_id: entry.target_key_id().map(str::to_owned),
            })
        })
        .collect();
    let mut names_by_key: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for alias in &aliases {
        if let Some(target) = &alias.target_key_id {
            names_by_key.entry(target).or_default().push(alias.name.clone());
        }
    }
    let listed: Vec<(String, String)> = keys
        .unwrap_or_default()
        .iter()
        .flat_map(|page| page.keys())
        .filter_map(|k| Some((k.key_arn()?.to_owned(), k.key_id()?.to_owned())))
        .collect();
    let names_by_key = &names_by_key;
    let keys = futures::stream::iter(listed)
        .map(|(arn, id)| async move {
            let mut key = describe(ctx, client, region, arn, id).await;
            key.aliases = names_by_key.get(key.id.as_str()).cloned().unwrap_or_default();
            key.aliases.sort();
            key
        })
        .buffer_unordered(ctx.fanout())
        .collect::<Vec<_>>()
        .await;
    KmsInventory {
        keys: keys.into_iter().map(|k| (k.arn.clone(), k)).collect(),
        aliases: aliases.into_iter().map(|a| (a.arn.clone(), a)).collect(),
    }
}

/// The fewest requests that give this inventory: the key and alias listings of each region, a description per
/// key, and the rotation status and policy of the customer managed keys that have them.
pub(crate) fn minimum_requests(kms: &KmsInventory, regions: usize) -> usize {
    let listings = super::pages_needed(kms.keys.values().map(|k| k.region.as_str()), regions, KEYS_PAGE as usize)
        + super::pages_needed(kms.aliases.values().map(|a| a.region.as_str()), regions, ALIASES_PAGE as usize);
    let per_key: usize = kms
        .keys
        .values()
        .map(|k| 1 + usize::from(k.can_rotate_automatically()) + usize::from(k.is_customer_managed()))
        .sum();
    listings + per_key
}

async fn describe(ctx: &Ctx, client: &Client, region: &str, arn: String, id: String) -> Key {
    let request = client.describe_key().key_id(&arn).send();
    let metadata = ctx.fetch(call(region, "DescribeKey").on(&arn), request).await;
    let Some(metadata) = metadata.as_ref().and_then(|out| out.key_metadata()) else {
        return Key {
            arn,
            id,
            region: region.to_owned(),
            described: false,
            manager: None,
            state: None,
            enabled: false,
            deletion_date: None,
            spec: None,
            usage: None,
            origin: None,
            description: None,
            created: None,
            multi_region: None,
            rotation_enabled: Observed::Unknown,
            policy: Observed::Unknown,
            aliases: Vec::new(),
        };
    };
    let mut key = key_from(metadata, arn, region);
    let (rotation, policy) = tokio::join!(
        async {
            if key.can_rotate_automatically() {
                rotation_enabled(ctx, client, region, &key.arn).await
            } else {
                Observed::Absent
            }
        },
        async {
            if key.is_customer_managed() { key_policy(ctx, client, region, &key.arn).await } else { Observed::Absent }
        }
    );
    key.rotation_enabled = rotation;
    key.policy = policy;
    key
}

fn key_from(metadata: &KeyMetadata, arn: String, region: &str) -> Key {
    Key {
        id: metadata.key_id().to_owned(),
        arn: metadata.arn().map(str::to_owned).unwrap_or(arn),
        region: region.to_owned(),
        described: true,
        manager: metadata.key_manager().map(|m| m.as_str().to_owned()),
        state: metadata.key_state().map(|s| s.as_str().to_owned()),
        enabled: metadata.enabled(),
        deletion_date: metadata.deletion_date().and_then(timestamp),
        spec: metadata.key_spec().map(|s| s.as_str().to_owned()),
        usage: metadata.key_usage().map(|u| u.as_str().to_owned()),
        origin: metadata.origin().map(|o| o.as_str().to_owned()),
        description: metadata.description().filter(|d| !d.is_empty()).map(str::to_owned),
        created: metadata.creation_date().and_then(timestamp),
        multi_region: metadata.multi_region(),
        rotation_enabled: Observed::Unknown,
        policy: Observed::Unknown,
        aliases: Vec::new(),
    }
}

async fn rotation_enabled(ctx: &Ctx, client: &Client, region: &str, arn: &str) -> Observed<bool> {
    let request = client.get_key_rotation_status().key_id(arn).send();
    match ctx.fetch(call(region, "GetKeyRotationStatus").on(arn), request).await {
        Some(output) => Observed::Present(output.key_rotation_enabled()),
        None => Observed::Unknown,
    }
}

async fn key_policy(ctx: &Ctx, client: &Client, region: &str, arn: &str) -> Observed<PolicyDocument> {
    let request = client.get_key_policy().key_id(arn).policy_name("default").send();
    ctx.fetch_policy(call(region, "GetKeyPolicy").on(arn), request, |out| out.policy()).await
}

#[cfg(test)]
mod tests {
    use aws_sdk_kms::operation::describe_key::DescribeKeyOutput;
    use aws_sdk_kms::operation::get_key_policy::GetKeyPolicyOutput;
    use aws_sdk_kms::operation::get_key_rotation_status::GetKeyRotationStatusOutput;
    use aws_sdk_kms::operation::list_aliases::ListAliasesOutput;
    use aws_sdk_kms::operation::list_keys::ListKeysOutput;
    use aws_sdk_kms::types::{
        AliasListEntry, KeyListEntry, KeyManagerType, KeySpec, KeyState, KeyUsageType, OriginType,
    };
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    use super::*;
    use crate::collect::call::test_support::{ctx, json_error};

    const CUSTOMER: &str = "arn:aws:kms:us-east-1:123456789012:key/c-1";
    const AWS_MANAGED: &str = "arn:aws:kms:us-east-1:123456789012:key/a-1";
    const HMAC: &str = "arn:aws:kms:us-east-1:123456789012:key/h-1";

    fn metadata(id: &str, manager: KeyManagerType, spec: KeySpec, usage: KeyUsageType) -> KeyMetadata {
        KeyMetadata::builder()
            .key_id(id)
            .arn(format!("arn:aws:kms:us-east-1:123456789012:key/{id}"))
            .key_manager(manager)
            .key_state(KeyState::Enabled)
            .enabled(true)
            .key_spec(spec)
            .key_usage(usage)
            .origin(OriginType::AwsKms)
            .build()
            .expect("complete")
    }

    #[tokio::test]
    async fn keys_pages_rotation_only_where_it_applies_and_policies_of_customer_keys() {
        let page1 = mock!(Client::list_keys).match_requests(|r| r.marker().is_none()).then_output(|| {
            ListKeysOutput::builder()
                .keys(KeyListEntry::builder().key_id("c-1").key_arn(CUSTOMER).build())
                .keys(KeyListEntry::builder().key_id("a-1").key_arn(AWS_MANAGED).build())
                .truncated(true)
                .next_marker("more")
                .build()
        });
        let page2 = mock!(Client::list_keys).match_requests(|r| r.marker() == Some("more")).then_output(|| {
            ListKeysOutput::builder().keys(KeyListEntry::builder().key_id("h-1").key_arn(HMAC).build()).build()
        });
        let aliases = mock!(Client::list_aliases).then_output(|| {
            ListAliasesOutput::builder()
                .aliases(
                    AliasListEntry::builder()
                        .alias_name("alias/app")
                        .alias_arn("arn:aws:kms:us-east-1:123456789012:alias/app")
                        .target_key_id("c-1")
                        .build(),
                )
                .aliases(
                    AliasListEntry::builder()
                        .alias_name("alias/aws/ssm")
                        .alias_arn("arn:aws:kms:us-east-1:123456789012:alias/aws/ssm")
                        .build(),
                )
                .build()
        });
        let describe = mock!(Client::describe_key).then_output(|| DescribeKeyOutput::builder().build());
        let describe_customer =
            mock!(Client::describe_key).match_requests(|r| r.key_id() == Some(CUSTOMER)).then_output(|| {
                DescribeKeyOutput::builder()
                    .key_metadata(metadata(
                        "c-1",
                        KeyManagerType::Customer,
                        KeySpec::SymmetricDefault,
                        KeyUsageType::EncryptDecrypt,
                    ))
                    .build()
            });
        let describe_aws =
            mock!(Client::describe_key).match_requests(|r| r.key_id() == Some(AWS_MANAGED)).then_output(|| {
                DescribeKeyOutput::builder()
                    .key_metadata(metadata(
                        "a-1",
                        KeyManagerType::Aws,
                        KeySpec::SymmetricDefault,
                        KeyUsageType::EncryptDecrypt,
                    ))
                    .build()
            });
        let describe_hmac =
            mock!(Client::describe_key).match_requests(|r| r.key_id() == Some(HMAC)).then_output(|| {
                DescribeKeyOutput::builder()
                    .key_metadata(metadata(
                        "h-1",
                        KeyManagerType::Customer,
                        KeySpec::Hmac256,
                        KeyUsageType::GenerateVerifyMac,
                    ))
                    .build()
            });
        let rotation = mock!(Client::get_key_rotation_status)
            .match_requests(|r| r.key_id() == Some(CUSTOMER))
            .then_output(|| GetKeyRotationStatusOutput::builder().key_rotation_enabled(false).build());
        let policy_customer = mock!(Client::get_key_policy)
            .match_requests(|r| r.key_id() == Some(CUSTOMER) && r.policy_name() == Some("default"))
            .then_output(|| GetKeyPolicyOutput::builder().policy(r#"{"Statement":[]}"#).build());
        let policy_denied = mock!(Client::get_key_policy)
            .match_requests(|r| r.key_id() == Some(HMAC))
            .then_http_response(|| json_error(400, "AccessDeniedException", "not allowed"));
        let client = mock_client!(
            aws_sdk_kms,
            RuleMode::MatchAny,
            [
                &page1,
                &page2,
                &aliases,
                &describe_customer,
                &describe_aws,
                &describe_hmac,
                &describe,
                &rotation,
                &policy_customer,
                &policy_denied
            ]
        );
        let ctx = ctx();
        let at = Location { region: "us-east-1", partition: "aws", account: "123456789012", scanned: &[] };
        let kms = collect(&ctx, &client, &at).await;

        assert_eq!(kms.keys.len(), 3, "both pages");
        let customer = &kms.keys[CUSTOMER];
        assert_eq!(customer.rotation_enabled, Observed::Present(false));
        assert!(customer.policy.present().is_some());
        assert_eq!(customer.aliases, ["alias/app"]);
        let aws = &kms.keys[AWS_MANAGED];
        assert_eq!(aws.rotation_enabled, Observed::Absent, "AWS rotates its own keys: not asked");
        assert_eq!(aws.policy, Observed::Absent, "an AWS managed key's policy is not asked");
        let hmac = &kms.keys[HMAC];
        assert_eq!(hmac.rotation_enabled, Observed::Absent, "an HMAC key cannot rotate automatically");
        assert!(hmac.policy.is_unknown(), "a denied policy is unknown, not absent");
        assert_eq!(kms.aliases.len(), 2);
        assert_eq!(kms.resolve("alias/app", "us-east-1").map(|k| k.arn.as_str()), Some(CUSTOMER));
        assert!(kms.resolve("alias/aws/ssm", "us-east-1").is_none());
        let coverage = ctx.into_coverage();
        assert_eq!(coverage.len(), 1, "{coverage:?}");
        assert_eq!((coverage[0].operation.as_str(), coverage[0].resource.as_deref()), ("GetKeyPolicy", Some(HMAC)));
        assert_eq!(minimum_requests(&kms, 1), 2 + 3 + 1 + 2);
    }
}
