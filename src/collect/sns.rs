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

#[cfg(test)]
mod tests {
    use aws_sdk_sns::operation::get_topic_attributes::GetTopicAttributesOutput;
    use aws_sdk_sns::operation::list_subscriptions_by_topic::ListSubscriptionsByTopicOutput;
    use aws_sdk_sns::operation::list_topics::ListTopicsOutput;
    use aws_sdk_sns::types::{Subscription as SdkSubscription, Topic as SdkTopic};
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    use super::*;
    use crate::collect::call::test_support::{ctx, query_error};

    const ORDERS: &str = "arn:aws:sns:us-east-1:123456789012:orders";
    const ALERTS: &str = "arn:aws:sns:us-east-1:123456789012:alerts";

    fn subscription(protocol: &str, endpoint: &str) -> SdkSubscription {
        SdkSubscription::builder()
            .subscription_arn(format!("{ORDERS}:{protocol}-1"))
            .protocol(protocol)
            .endpoint(endpoint)
            .topic_arn(ORDERS)
            .build()
    }

    #[tokio::test]
    async fn topics_attributes_and_only_resource_endpoints() {
        let page1 = mock!(Client::list_topics).match_requests(|r| r.next_token().is_none()).then_output(|| {
            ListTopicsOutput::builder().topics(SdkTopic::builder().topic_arn(ORDERS).build()).next_token("p2").build()
        });
        let page2 = mock!(Client::list_topics)
            .match_requests(|r| r.next_token() == Some("p2"))
            .then_output(|| ListTopicsOutput::builder().topics(SdkTopic::builder().topic_arn(ALERTS).build()).build());
        let orders =
            mock!(Client::get_topic_attributes).match_requests(|r| r.topic_arn() == Some(ORDERS)).then_output(|| {
                GetTopicAttributesOutput::builder()
                    .attributes(
                        "Policy",
                        r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sns:Publish"}]}"#,
                    )
                    .attributes("KmsMasterKeyId", "alias/aws/sns")
                    .build()
            });
        let alerts_denied = mock!(Client::get_topic_attributes)
            .match_requests(|r| r.topic_arn() == Some(ALERTS))
            .then_http_response(|| query_error(403, "AuthorizationError", "not authorized to GetTopicAttributes"));
        let orders_subscriptions = mock!(Client::list_subscriptions_by_topic)
            .match_requests(|r| r.topic_arn() == Some(ORDERS))
            .then_output(|| {
                ListSubscriptionsByTopicOutput::builder()
                    .subscriptions(subscription("sqs", "arn:aws:sqs:us-east-1:123456789012:intake"))
                    .subscriptions(subscription("https", "https://hooks.example.com/T0/B0/secret-token"))
                    .build()
            });
        let alerts_subscriptions = mock!(Client::list_subscriptions_by_topic)
            .match_requests(|r| r.topic_arn() == Some(ALERTS))
            .then_output(|| ListSubscriptionsByTopicOutput::builder().build());
        let client = mock_client!(
            aws_sdk_sns,
            RuleMode::MatchAny,
            [&page1, &page2, &orders, &alerts_denied, &orders_subscriptions, &alerts_subscriptions]
        );
        let ctx = ctx();
        let at = Location { region: "us-east-1", partition: "aws", account: "123456789012", scanned: &[] };
        let sns = collect(&ctx, &client, &at).await;

        assert_eq!(sns.topics.len(), 2, "both pages");
        assert_eq!(sns.listed_regions, ["us-east-1"]);
        let orders = &sns.topics[ORDERS];
        assert_eq!(orders.name, "orders");
        assert!(orders.policy.present().is_some());
        assert_eq!(orders.kms_key, Observed::Present("alias/aws/sns".to_owned()));
        let subscriptions = orders.subscriptions.as_ref().expect("listed");
        let https = subscriptions.iter().find(|s| s.protocol == "https").expect("kept, without its endpoint");
        assert_eq!(https.endpoint, None, "a webhook URL can carry a token: it is not stored");
        let sqs = subscriptions.iter().find(|s| s.protocol == "sqs").expect("sqs");
        assert_eq!(sqs.endpoint.as_deref(), Some("arn:aws:sqs:us-east-1:123456789012:intake"));
        let alerts = &sns.topics[ALERTS];
        assert!(
            alerts.policy.is_unknown() && alerts.kms_key.is_unknown(),
            "unreadable attributes are unknown, not absent"
        );
        assert_eq!(alerts.subscriptions, Some(Vec::new()));
        let coverage = ctx.into_coverage();
        assert_eq!(coverage.len(), 1, "{coverage:?}");
        assert_eq!(
            (coverage[0].operation.as_str(), coverage[0].resource.as_deref()),
            ("GetTopicAttributes", Some(ALERTS))
        );
    }
}
