//! SQS (per region): queues and the attributes that matter for access and encryption. Never messages.

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::QueueAttributeName;
use futures::StreamExt;

use super::{Call, Ctx, Location};
use crate::inventory::sqs::*;
use crate::inventory::{Observed, PolicyDocument};

fn call(region: &str, operation: &'static str) -> Call {
    Call::new("sqs", region, operation)
}

/// ListQueues' largest page (SQS paginates only when a page size is given).
const PAGE: i32 = 1000;

pub(crate) async fn collect(ctx: &Ctx, client: &Client, at: &Location<'_>) -> SqsInventory {
    let region = at.region;
    let listing = client.list_queues().max_results(PAGE).into_paginator().send();
    let (pages, complete) = ctx.listing(call(region, "ListQueues"), listing).await;
    let urls: Vec<String> = pages.unwrap_or_default().iter().flat_map(|page| page.queue_urls().to_vec()).collect();
    let queues = futures::stream::iter(urls)
        .map(|url| queue(ctx, client, at, url))
        .buffer_unordered(ctx.fanout())
        .collect::<Vec<_>>()
        .await;
    SqsInventory {
        queues: queues.into_iter().map(|q| (q.arn.clone(), q)).collect(),
        listed_regions: if complete { vec![region.to_owned()] } else { Vec::new() },
    }
}

async fn queue(ctx: &Ctx, client: &Client, at: &Location<'_>, url: String) -> Queue {
    let region = at.region;
    let name = url.trim_end_matches('/').rsplit('/').next().unwrap_or_default().to_owned();
    let request = client
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .attribute_names(QueueAttributeName::Policy)
        .attribute_names(QueueAttributeName::KmsMasterKeyId)
        .attribute_names(QueueAttributeName::SqsManagedSseEnabled)
        .attribute_names(QueueAttributeName::RedrivePolicy)
        .send();
    // Built the way AWS writes it, for a queue whose attributes cannot be read.
    let built_arn = format!("arn:{}:sqs:{region}:{}:{name}", at.partition, at.account);
    let mut queue = Queue {
        arn: built_arn,
        name,
        region: region.to_owned(),
        policy: Observed::Unknown,
        encryption: Observed::Unknown,
        dead_letter_target: None,
    };
    match ctx.fetch_observed(call(region, "GetQueueAttributes").on(&url), request).await {
        Observed::Present(out) => {
            let attributes = out.attributes();
            let value = |name: QueueAttributeName| attributes.and_then(|a| a.get(&name)).filter(|v| !v.is_empty());
            if let Some(arn) = value(QueueAttributeName::QueueArn) {
                queue.arn = arn.clone();
            }
            queue.policy = value(QueueAttributeName::Policy)
                .map_or(Observed::Absent, |p| Observed::Present(PolicyDocument::parse(p)));
            // A KMS key wins over the SSE-SQS flag: AWS sets one or the other, some endpoints report both.
            queue.encryption =
                match (value(QueueAttributeName::KmsMasterKeyId), value(QueueAttributeName::SqsManagedSseEnabled)) {
                    (Some(key), _) => Observed::Present(QueueEncryption::Kms(key.clone())),
                    (None, Some(flag)) if flag.eq_ignore_ascii_case("true") => {
                        Observed::Present(QueueEncryption::SqsManaged)
                    }
                    (None, _) => Observed::Absent,
                };
            queue.dead_letter_target = value(QueueAttributeName::RedrivePolicy).and_then(|p| dead_letter_target(p));
        }
        Observed::Absent => {
            queue.policy = Observed::Absent;
            queue.encryption = Observed::Absent;
        }
        Observed::Unknown => {}
    }
    queue
}

/// `{"deadLetterTargetArn": "arn:…", "maxReceiveCount": 5}` → the ARN.
fn dead_letter_target(redrive_policy: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(redrive_policy).ok()?;
    value.get("deadLetterTargetArn")?.as_str().map(str::to_owned)
}

/// The fewest requests: the listing's pages and each queue's attributes.
pub(crate) fn minimum_requests(sqs: &SqsInventory, regions: usize) -> usize {
    super::pages_needed(sqs.queues.values().map(|q| q.region.as_str()), regions, PAGE as usize) + sqs.queues.len()
}

#[cfg(test)]
mod tests {
    use aws_sdk_sqs::operation::get_queue_attributes::GetQueueAttributesOutput;
    use aws_sdk_sqs::operation::list_queues::ListQueuesOutput;
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    use super::*;
    use crate::collect::call::test_support::{ctx, json_error};

    const URL: &str = "https://sqs.us-east-1.amazonaws.com/123456789012";

    #[tokio::test]
    async fn queues_encryption_redrive_and_a_denied_read() {
        let list = mock!(Client::list_queues).then_output(|| {
            ListQueuesOutput::builder()
                .queue_urls(format!("{URL}/intake"))
                .queue_urls(format!("{URL}/plain"))
                .queue_urls(format!("{URL}/hidden"))
                .build()
        });
        let intake = mock!(Client::get_queue_attributes)
            .match_requests(|r| r.queue_url().is_some_and(|u| u.ends_with("/intake")))
            .then_output(|| {
                GetQueueAttributesOutput::builder()
                    .attributes(QueueAttributeName::QueueArn, "arn:aws:sqs:us-east-1:123456789012:intake")
                    .attributes(QueueAttributeName::KmsMasterKeyId, "alias/app")
                    // Some endpoints report both: the key is what encrypts.
                    .attributes(QueueAttributeName::SqsManagedSseEnabled, "true")
                    .attributes(
                        QueueAttributeName::RedrivePolicy,
                        r#"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:dlq","maxReceiveCount":5}"#,
                    )
                    .attributes(QueueAttributeName::Policy, r#"{"Statement":[]}"#)
                    .build()
            });
        let plain = mock!(Client::get_queue_attributes)
            .match_requests(|r| r.queue_url().is_some_and(|u| u.ends_with("/plain")))
            .then_output(|| {
                GetQueueAttributesOutput::builder()
                    .attributes(QueueAttributeName::QueueArn, "arn:aws:sqs:us-east-1:123456789012:plain")
                    .attributes(QueueAttributeName::SqsManagedSseEnabled, "false")
                    .build()
            });
        let hidden = mock!(Client::get_queue_attributes)
            .match_requests(|r| r.queue_url().is_some_and(|u| u.ends_with("/hidden")))
            .then_http_response(|| json_error(400, "AccessDenied", "not authorized to perform sqs:GetQueueAttributes"));
        let client = mock_client!(aws_sdk_sqs, RuleMode::MatchAny, [&list, &intake, &plain, &hidden]);
        let ctx = ctx();
        let at = Location { region: "us-east-1", partition: "aws", account: "123456789012", scanned: &[] };
        let sqs = collect(&ctx, &client, &at).await;

        assert_eq!(sqs.queues.len(), 3);
        let intake = &sqs.queues["arn:aws:sqs:us-east-1:123456789012:intake"];
        assert_eq!(intake.encryption, Observed::Present(QueueEncryption::Kms("alias/app".into())));
        assert_eq!(intake.dead_letter_target.as_deref(), Some("arn:aws:sqs:us-east-1:123456789012:dlq"));
        assert!(intake.policy.present().is_some());
        let plain = &sqs.queues["arn:aws:sqs:us-east-1:123456789012:plain"];
        assert_eq!((&plain.encryption, &plain.policy), (&Observed::Absent, &Observed::Absent));
        let hidden = &sqs.queues["arn:aws:sqs:us-east-1:123456789012:hidden"];
        assert!(hidden.encryption.is_unknown() && hidden.policy.is_unknown(), "its ARN is built from the URL");
        assert_eq!(ctx.into_coverage().len(), 1);
    }
}
