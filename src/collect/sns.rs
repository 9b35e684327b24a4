//! SNS (per region): topics, each topic's attributes (its access policy and KMS key) and its subscriptions.
//! Only the endpoints that are resource ARNs (functions, queues) are kept.

use aws_sdk_sns::Client;
use futures::StreamExt;

use super::{Call, Ctx, Location};
use crate::inventory::sns::*;
use crate::inventory::{Observed, PolicyDocument};

fn call(region: &str, operation: &'static str) -> Call {
    Call::new("sns", region, operation)
}

/// ListTopics' and ListSubscriptionsByTopic's fixed page sizes.
const TOPICS_PAGE: usize = 100;
const SUBSCRIPTIONS_PAGE: usize = 100;

pub(crate) async fn collect(ctx: &Ctx, client: &Client, at: &Location<'_>) -> SnsInventory {
    let region = at.region;
    let listing = client.list_topics().into_paginator().send();
    let (pages, complete) = ctx.listing(call(region, "ListTopics"), listing).await;
    let arns: Vec<String> = pages
        .unwrap_or_default()
        .iter()
        .flat_map(|page| page.topics())
        .filter_map(|t| t.topic_arn().map(str::to_owned))
        .collect();
    let topics = futures::stream::iter(arns)
        .map(|arn| async move {
            let (attributes, subscriptions) = tokio::join!(
                ctx.fetch_observed(
                    call(region, "GetTopicAttributes").on(&arn),
                    client.get_topic_attributes().topic_arn(&arn).send()
                ),
                subscriptions(ctx, client, region, &arn)
            );
            let (policy, kms_key) = match attributes {
                Observed::Present(out) => {
                    let attributes = out.attributes();
                    let value = |name: &str| attributes.and_then(|a| a.get(name)).filter(|v| !v.is_empty());
                    (
                        value("Policy").map_or(Observed::Absent, |p| Observed::Present(PolicyDocument::parse(p))),
                        value("KmsMasterKeyId").map_or(Observed::Absent, |k| Observed::Present(k.clone())),
                    )
                }
                // The topic went away between the listing and the read: there is nothing to describe.
                Observed::Absent => (Observed::Absent, Observed::Absent),
                Observed::Unknown => (Observed::Unknown, Observed::Unknown),
            };
            Topic {
                name: arn.rsplit(':').next().unwrap_or_default().to_owned(),
                region: region.to_owned(),
                policy,
                kms_key,
                subscriptions,
                arn,
            }
        })
        .buffer_unordered(ctx.fanout())
        .collect::<Vec<_>>()
        .await;
    SnsInventory {
        topics: topics.into_iter().map(|t| (t.arn.clone(), t)).collect(),
        listed_regions: if complete { vec![region.to_owned()] } else { Vec::new() },
    }
}

async fn subscriptions(ctx: &Ctx, client: &Client, region: &str, topic: &str) -> Option<Vec<Subscription>> {
    let listing = client.list_subscriptions_by_topic().topic_arn(topic).into_paginator().send();
    let pages = ctx.pages(call(region, "ListSubscriptionsByTopic").on(topic), listing).await?;
    let mut subscriptions: Vec<Subscription> = pages
        .iter()
        .flat_map(|page| page.subscriptions())
        .map(|s| {
            let protocol = s.protocol().unwrap_or_default().to_owned();
            let endpoint =
                RESOURCE_PROTOCOLS.contains(&protocol.as_str()).then(|| s.endpoint().map(str::to_owned)).flatten();
            Subscription { arn: s.subscription_arn().unwrap_or_default().to_owned(), protocol, endpoint }
        })
        .collect();
    subscriptions.sort_by(|a, b| (&a.protocol, &a.endpoint, &a.arn).cmp(&(&b.protocol, &b.endpoint, &b.arn)));
    Some(subscriptions)
}

/// The fewest requests: the topic listing's pages, then each topic's attributes and subscription pages.
pub(crate) fn minimum_requests(sns: &SnsInventory, regions: usize) -> usize {
    let per_topic: usize = sns
        .topics
        .values()
        .map(|t| 1 + t.subscriptions.as_ref().map_or(1, |s| 1 + s.len().saturating_sub(1) / SUBSCRIPTIONS_PAGE))
        .sum();
    super::pages_needed(sns.topics.values().map(|t| t.region.as_str()), regions, TOPICS_PAGE) + per_topic
}
