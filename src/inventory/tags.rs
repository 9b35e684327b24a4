//! Resource tags the Resource Groups Tagging API lists: functions, topics, queues, keys and log groups (one
//! paginated listing per region; where it is denied, each service's own tag call per resource). IAM users
//! and roles, secrets and APIs carry their tags in their own listings; [`super::Inventory::tags_of`] reads
//! them all alike.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::service::{DriftIndex, ServiceFacts, ServiceModel, merge_regions};

/// A resource's tags, key → value.
pub type Tags = BTreeMap<String, String>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TagInventory {
    /// Resource ARN → its tags. Only tagged resources are listed: a listed region's resource missing here
    /// has none.
    #[serde(default)]
    pub resources: BTreeMap<String, Tags>,
    /// Regions whose tags were read in full.
    #[serde(default)]
    pub listed_regions: Vec<String>,
    /// Regions where the Tagging API was refused: the scan reads those tags per service instead.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refused_regions: Vec<String>,
}

/// The resource kinds whose tags come from this listing (the Tagging API's resource type filters).
pub const RESOURCE_TYPES: &[&str] = &["lambda:function", "sns", "sqs", "kms:key", "logs:log-group"];

/// A resource a policy can require tags of, or read a classification from.
#[derive(Debug, Clone, PartialEq)]
pub struct Taggable<'a> {
    /// Its kind, as the drift index and `[[policy.required_tags]]` name it.
    pub kind: &'static str,
    pub arn: &'a str,
    /// Its region (`global` for IAM).
    pub region: &'a str,
    /// `None`: its tags could not be read (the listing that gives them failed).
    pub tags: Option<&'a Tags>,
}

/// The kinds [`super::Inventory::taggable`] lists.
pub const TAGGABLE_KINDS: &[&str] = &[
    "iam_user",
    "iam_role",
    "lambda_function",
    "rest_api",
    "http_api",
    "secret",
    "kms_key",
    "sns_topic",
    "sqs_queue",
    "log_group",
];

static NO_TAGS: Tags = Tags::new();

/// The service (its service-table name) that inventories resources of `kind`.
pub fn service_of_kind(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "iam_user" | "iam_role" => "iam",
        "lambda_function" => "lambda",
        "rest_api" => "apigateway",
        "http_api" => "apigatewayv2",
        "secret" => "secretsmanager",
        "kms_key" => "kms",
        "sns_topic" => "sns",
        "sqs_queue" => "sqs",
        "log_group" => "logs",
        _ => return None,
    })
}

impl TagInventory {
    /// The tags this listing knows of `arn` in `region`: none when the region was listed and it is not there.
    pub fn of(&self, arn: &str, region: &str) -> Option<&Tags> {
        match self.resources.get(arn) {
            Some(tags) => Some(tags),
            None if self.listed_regions.iter().any(|r| r == region) => Some(&NO_TAGS),
            None => None,
        }
    }
}

impl ServiceFacts for TagInventory {
    fn resource_count(&self) -> usize {
        self.resources.len()
    }

    fn counts(&self, counts: &mut BTreeMap<&'static str, usize>) {
        counts.insert("tagged_resources", self.resources.len());
    }

    /// A resource's tags are drift of that resource, not a resource of their own: a tag change (a
    /// classification moved) shows as `tags` on the resource's ARN.
    fn drift(&self, index: &mut DriftIndex) {
        for (arn, tags) in &self.resources {
            if let Some((_, attributes)) = index.get_mut(arn) {
                attributes.insert("tags".into(), serde_json::json!(tags));
            }
        }
    }
}

impl ServiceModel for TagInventory {
    fn merge(&mut self, other: Self) {
        self.resources.extend(other.resources);
        merge_regions(&mut self.listed_regions, other.listed_regions);
        merge_regions(&mut self.refused_regions, other.refused_regions);
    }
}
