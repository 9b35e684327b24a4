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
        url: url.clone(),
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
