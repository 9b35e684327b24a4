//! SQS: queues with their access policy, their encryption and their dead-letter queue. Never messages:
//! receiving them is not a read stance makes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::service::{DriftIndex, KeyReference, ServiceFacts, ServiceModel, attributes, merge_regions};
use super::{Observed, PolicyDocument};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SqsInventory {
    /// By queue ARN, across regions.
    pub queues: BTreeMap<String, Queue>,
    /// The regions whose queue listing came in full.
    #[serde(default)]
    pub listed_regions: Vec<String>,
}

/// A queue. Its URL is not kept: the ARN identifies it, and some endpoints build the URL from the request's host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Queue {
    pub arn: String,
    pub name: String,
    pub region: String,
    /// The access policy; `Absent`: none (only the owning account's principals, by their IAM policies).
    pub policy: Observed<PolicyDocument>,
    /// Server-side encryption; `Absent`: neither SSE-SQS nor a KMS key.
    pub encryption: Observed<QueueEncryption>,
    /// The dead-letter queue's ARN (`RedrivePolicy` → `deadLetterTargetArn`).
    pub dead_letter_target: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "key", rename_all = "snake_case")]
pub enum QueueEncryption {
    /// A KMS key, as the queue names it (key id, ARN or alias).
    Kms(String),
    /// SSE-SQS: keys SQS owns and manages.
    SqsManaged,
}

impl Queue {
    /// The queue's URL as AWS writes it, from its ARN (`arn:PARTITION:sqs:REGION:ACCOUNT:NAME`): the calls
    /// that take a URL accept it from any endpoint.
    pub fn url(&self) -> String {
        let mut parts = self.arn.split(':').skip(1);
        let (partition, _, region, account) = (parts.next(), parts.next(), parts.next(), parts.next());
        let suffix = if partition == Some("aws-cn") { "amazonaws.com.cn" } else { "amazonaws.com" };
        format!("https://sqs.{}.{suffix}/{}/{}", region.unwrap_or(&self.region), account.unwrap_or_default(), self.name)
    }
}

impl ServiceFacts for SqsInventory {
    fn resource_count(&self) -> usize {
        self.queues.len()
    }

    fn counts(&self, counts: &mut BTreeMap<&'static str, usize>) {
        counts.insert("sqs_queues", self.queues.len());
    }

    fn drift(&self, index: &mut DriftIndex) {
        for queue in self.queues.values() {
            let queue_attributes = attributes([
                ("policy", json!(queue.policy)),
                ("encryption", json!(queue.encryption)),
                ("dead_letter_target", json!(queue.dead_letter_target)),
            ]);
            index.insert(queue.arn.clone(), ("sqs_queue", queue_attributes));
        }
    }

    fn resource_policies(&self) -> Vec<(&str, &PolicyDocument)> {
        self.queues.values().filter_map(|q| Some((q.arn.as_str(), q.policy.present()?))).collect()
    }

    fn key_references(&self) -> Vec<KeyReference<'_>> {
        let queues = self.queues.values();
        queues
            .filter_map(|q| match q.encryption.present()? {
                QueueEncryption::Kms(key) => {
                    Some(KeyReference { kind: "SQS queue", resource_arn: &q.arn, region: &q.region, key })
                }
                QueueEncryption::SqsManaged => None,
            })
            .collect()
    }

    fn name_of(&self, arn: &str) -> Option<String> {
        self.queues.get(arn).map(|q| format!("queue {}", q.name))
    }
}

impl ServiceModel for SqsInventory {
    fn merge(&mut self, other: Self) {
        self.queues.extend(other.queues);
        merge_regions(&mut self.listed_regions, other.listed_regions);
    }
}
