//! SNS: topics with their access policy, their encryption key and their subscriptions. A subscription's
//! endpoint is kept only when it is a resource ARN (a Lambda function, an SQS queue): other endpoints (HTTPS
//! URLs, e-mail addresses, phone numbers) can carry tokens or personal data and say nothing about the graph.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::service::{DriftIndex, KeyReference, ServiceFacts, ServiceModel, attributes, merge_regions};
use super::{Observed, PolicyDocument};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SnsInventory {
    /// By topic ARN, across regions.
    pub topics: BTreeMap<String, Topic>,
    /// The regions whose topic listing came in full.
    #[serde(default)]
    pub listed_regions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Topic {
    pub arn: String,
    pub name: String,
    pub region: String,
    /// The access policy (`GetTopicAttributes` → `Policy`).
    pub policy: Observed<PolicyDocument>,
    /// The KMS key (`KmsMasterKeyId`, as the topic names it); `Absent`: not encrypted at rest with a key.
    pub kms_key: Observed<String>,
    /// `None` when they could not be listed.
    pub subscriptions: Option<Vec<Subscription>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subscription {
    /// The subscription ARN; `PendingConfirmation` (or similar) until it is confirmed.
    pub arn: String,
    /// `lambda`, `sqs`, `https`, `email`, `firehose`…
    pub protocol: String,
    /// The endpoint when it is a function or queue ARN; `None` otherwise.
    pub endpoint: Option<String>,
}

impl Subscription {
    /// Whether AWS gave it an ARN (a confirmed subscription); pending ones deliver nothing yet.
    pub fn is_confirmed(&self) -> bool {
        self.arn.starts_with("arn:")
    }
}

/// Protocols whose endpoint is an ARN the graph follows.
pub const RESOURCE_PROTOCOLS: &[&str] = &["lambda", "sqs"];

impl SnsInventory {
    /// The topic `name` in `region` of `account`, built as AWS writes topic ARNs.
    pub fn topic_arn(partition: &str, region: &str, account: &str, name: &str) -> String {
        format!("arn:{partition}:sns:{region}:{account}:{name}")
    }
}

impl ServiceFacts for SnsInventory {
    fn resource_count(&self) -> usize {
        self.topics.len()
    }

    fn counts(&self, counts: &mut BTreeMap<&'static str, usize>) {
        counts.insert("sns_topics", self.topics.len());
        let subscriptions = self.topics.values().flat_map(|t| t.subscriptions.iter().flatten()).count();
        counts.insert("sns_subscriptions", subscriptions);
    }

    fn drift(&self, index: &mut DriftIndex) {
        for topic in self.topics.values() {
            let topic_attributes = attributes([("policy", json!(topic.policy)), ("kms_key", json!(topic.kms_key))]);
            index.insert(topic.arn.clone(), ("sns_topic", topic_attributes));
            for (n, subscription) in topic.subscriptions.iter().flatten().enumerate() {
                let key = if subscription.is_confirmed() {
                    subscription.arn.clone()
                } else {
                    format!("{}/pending/{}/{n}", topic.arn, subscription.protocol)
                };
                let subscription_attributes = attributes([
                    ("topic", json!(topic.arn)),
                    ("protocol", json!(subscription.protocol)),
                    ("endpoint", json!(subscription.endpoint)),
                ]);
                index.insert(key, ("sns_subscription", subscription_attributes));
            }
        }
    }

    fn resource_policies(&self) -> Vec<(&str, &PolicyDocument)> {
        self.topics.values().filter_map(|t| Some((t.arn.as_str(), t.policy.present()?))).collect()
    }

    fn key_references(&self) -> Vec<KeyReference<'_>> {
        let topics = self.topics.values();
        topics
            .filter_map(|t| {
                let key = t.kms_key.present()?;
                Some(KeyReference { kind: "SNS topic", resource_arn: &t.arn, region: &t.region, key })
            })
            .collect()
    }

    fn name_of(&self, arn: &str) -> Option<String> {
        if let Some(topic) = self.topics.get(arn) {
            return Some(format!("topic {}", topic.name));
        }
        self.topics.values().find_map(|t| {
            let s = t.subscriptions.iter().flatten().find(|s| s.arn == arn)?;
            Some(format!("{} subscription of topic {}", s.protocol, t.name))
        })
    }
}

impl ServiceModel for SnsInventory {
    fn merge(&mut self, other: Self) {
        self.topics.extend(other.topics);
        merge_regions(&mut self.listed_regions, other.listed_regions);
    }
}
