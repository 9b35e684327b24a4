//! Secrets Manager (per region): every secret's metadata from ListSecrets (planned deletions included) and
//! its resource policy. Never a value: GetSecretValue is on the guard's never-call list.

use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::types::SecretListEntry;
use futures::StreamExt;

use super::call::timestamp;
use super::{Call, Ctx, Location};
use crate::inventory::secretsmanager::*;
use crate::inventory::{Observed, PolicyDocument};

fn call(region: &str, operation: &'static str) -> Call {
    Call::new("secretsmanager", region, operation)
}

/// ListSecrets' largest page.
const PAGE: i32 = 100;

pub(crate) async fn collect(ctx: &Ctx, client: &Client, at: &Location<'_>) -> SecretsInventory {
    let region = at.region;
    let listing = client.list_secrets().include_planned_deletion(true).max_results(PAGE).into_paginator().send();
    let entries: Vec<SecretListEntry> = ctx
        .pages(call(region, "ListSecrets"), listing)
        .await
        .unwrap_or_default()
        .into_iter()
        .flat_map(|page| page.secret_list.unwrap_or_default())
        .collect();
    let secrets = futures::stream::iter(entries.iter().filter_map(|entry| secret_from(entry, region)))
        .map(|mut secret| async move {
            secret.resource_policy = resource_policy(ctx, client, region, &secret.arn).await;
            secret
        })
        .buffer_unordered(ctx.fanout())
        .collect::<Vec<_>>()
        .await;
    SecretsInventory { secrets: secrets.into_iter().map(|s| (s.arn.clone(), s)).collect() }
}

/// The fewest requests that give this inventory: a listing page per region (per 100 secrets) and each
/// secret's resource policy.
pub(crate) fn minimum_requests(secrets: &SecretsInventory, regions: usize) -> usize {
    super::pages_needed(secrets.secrets.values().map(|s| s.region.as_str()), regions, PAGE as usize)
        + secrets.secrets.len()
}

fn secret_from(entry: &SecretListEntry, region: &str) -> Option<Secret> {
    let arn = entry.arn()?.to_owned();
    Some(Secret {
        name: entry.name().map(str::to_owned).unwrap_or_else(|| arn.rsplit(':').next().unwrap_or_default().to_owned()),
        arn,
        region: region.to_owned(),
        kms_key_id: entry.kms_key_id().map(str::to_owned),
        rotation_enabled: entry.rotation_enabled().unwrap_or(false),
        rotation: entry.rotation_rules().map(|rules| RotationRules {
            automatically_after_days: rules.automatically_after_days(),
            schedule_expression: rules.schedule_expression().map(str::to_owned),
            duration: rules.duration().map(str::to_owned),
        }),
        rotation_lambda_arn: entry.rotation_lambda_arn().map(str::to_owned),
        last_rotated: entry.last_rotated_date().and_then(timestamp),
        next_rotation: entry.next_rotation_date().and_then(timestamp),
        last_accessed: entry.last_accessed_date().and_then(timestamp),
        created: entry.created_date().and_then(timestamp),
        last_changed: entry.last_changed_date().and_then(timestamp),
        deletion_date: entry.deleted_date().and_then(timestamp),
        owning_service: entry.owning_service().map(str::to_owned),
        tags: entry
            .tags()
            .iter()
            .filter_map(|t| Some((t.key()?.to_owned(), t.value().unwrap_or_default().to_owned())))
            .collect(),
        resource_policy: Observed::Unknown,
    })
}

async fn resource_policy(ctx: &Ctx, client: &Client, region: &str, arn: &str) -> Observed<PolicyDocument> {
    let request = client.get_resource_policy().secret_id(arn).send();
    ctx.fetch_policy(call(region, "GetResourcePolicy").on(arn), request, |out| out.resource_policy()).await
}

#[cfg(test)]
mod tests {
    use aws_sdk_secretsmanager::operation::get_resource_policy::GetResourcePolicyOutput;
    use aws_sdk_secretsmanager::operation::list_secrets::ListSecretsOutput;
    use aws_sdk_secretsmanager::types::RotationRulesType;
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    use super::*;
    use crate::collect::call::test_support::{ctx, json_error};

    const OPEN: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:open-AbCdEf";
    const PLAIN: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:plain-AbCdEf";
    const HIDDEN: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:hidden-AbCdEf";

    #[tokio::test]
    async fn pages_planned_deletions_and_policies_present_absent_or_unknown() {
        let page1 = mock!(Client::list_secrets)
            .match_requests(|r| r.next_token().is_none() && r.include_planned_deletion() == Some(true))
            .then_output(|| {
                ListSecretsOutput::builder()
                    .secret_list(
                        SecretListEntry::builder()
                            .arn(OPEN)
                            .name("open")
                            .rotation_enabled(true)
                            .rotation_rules(RotationRulesType::builder().schedule_expression("rate(10 days)").build())
                            .build(),
                    )
                    .secret_list(SecretListEntry::builder().arn(PLAIN).name("plain").kms_key_id("alias/app").build())
                    .next_token("more")
                    .build()
            });
        let page2 = mock!(Client::list_secrets).match_requests(|r| r.next_token() == Some("more")).then_output(|| {
            ListSecretsOutput::builder()
                .secret_list(SecretListEntry::builder().arn(HIDDEN).name("hidden").build())
                .build()
        });
        let open_policy = mock!(Client::get_resource_policy)
            .match_requests(|r| r.secret_id() == Some(OPEN))
            .then_output(|| GetResourcePolicyOutput::builder().resource_policy(r#"{"Statement":[]}"#).build());
        let no_policy = mock!(Client::get_resource_policy)
            .match_requests(|r| r.secret_id() == Some(PLAIN))
            .then_output(|| GetResourcePolicyOutput::builder().arn(PLAIN).build());
        let denied = mock!(Client::get_resource_policy)
            .match_requests(|r| r.secret_id() == Some(HIDDEN))
            .then_http_response(|| json_error(400, "AccessDeniedException", "no"));
        let client = mock_client!(
            aws_sdk_secretsmanager,
            RuleMode::MatchAny,
            [&page1, &page2, &open_policy, &no_policy, &denied]
        );
        let ctx = ctx();
        let at = Location { region: "us-east-1", partition: "aws", account: "123456789012", scanned: &[] };
        let inventory = collect(&ctx, &client, &at).await;

        assert_eq!(inventory.secrets.len(), 3, "both pages");
        let open = &inventory.secrets[OPEN];
        assert!(open.rotation_enabled && open.resource_policy.present().is_some());
        assert_eq!(open.rotation.as_ref().and_then(|r| r.interval_days()), Some(10));
        let plain = &inventory.secrets[PLAIN];
        assert!(!plain.rotation_enabled, "no flag is off");
        assert_eq!(plain.resource_policy, Observed::Absent, "no policy is absent");
        assert_eq!(plain.kms_key_id.as_deref(), Some("alias/app"));
        assert!(inventory.secrets[HIDDEN].resource_policy.is_unknown(), "a denied read is unknown");
        let coverage = ctx.into_coverage();
        assert_eq!(coverage.len(), 1, "{coverage:?}");
        assert_eq!(coverage[0].resource.as_deref(), Some(HIDDEN));
        assert_eq!(minimum_requests(&inventory, 1), 1 + 3);
    }
}
