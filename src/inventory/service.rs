//! What every service's inventory model tells the rest of the pipeline, so that `Inventory::counts`, the
//! diff's drift, the analysis context and the graph iterate over services instead of naming them.

use std::collections::BTreeMap;

use serde_json::Value;

use super::PolicyDocument;

/// Whether a service is collected once per account or once per region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Global,
    Regional,
}

/// One line of the service table (`inventory::services!`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceInfo {
    /// The service as coverage records, scan events and the inventory's field name it.
    pub name: &'static str,
    pub scope: Scope,
    /// The posture group its findings count against (`Category::service`): API Gateway's REST and HTTP
    /// collectors share `apigateway`.
    pub posture: &'static str,
}

/// A resource's security-relevant attributes, compared across scans.
pub type Attributes = BTreeMap<String, Value>;

/// Every resource of an inventory, keyed by ARN: its kind and its attributes.
pub type DriftIndex = BTreeMap<String, (&'static str, Attributes)>;

/// Builds [`Attributes`] from `(name, value)` pairs.
pub fn attributes<const N: usize>(pairs: [(&str, Value); N]) -> Attributes {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// A resource encrypted with a KMS key it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyReference<'a> {
    /// What the resource is, in words: `Lambda function`, `secret`, `parameter`.
    pub kind: &'static str,
    pub resource_arn: &'a str,
    pub region: &'a str,
    /// The key as the resource names it: a key ARN or id, an alias name or ARN (`KmsInventory::resolve`).
    pub key: &'a str,
}

/// The facts a service's model exposes. Object-safe, so that [`super::Inventory::models`] lists them all.
pub trait ServiceFacts {
    /// How many resources a finished collection found (the progress view's count).
    fn resource_count(&self) -> usize;
    /// Resource counts per kind, for summaries and tests.
    fn counts(&self, counts: &mut BTreeMap<&'static str, usize>);
    /// Adds every resource with the attributes a security review compares across scans.
    fn drift(&self, index: &mut DriftIndex);
    /// The resource-based policies of the service's resources, by resource ARN: what the analysis context
    /// parses and the graph reads.
    fn resource_policies(&self) -> Vec<(&str, &PolicyDocument)> {
        Vec::new()
    }
    /// The resources encrypted with a KMS key they name (the key's users, should it be deleted).
    fn key_references(&self) -> Vec<KeyReference<'_>> {
        Vec::new()
    }
    /// A resource of this service named by what it is ("topic orders-events", "role admin"), for a hop of an
    /// attack path; `None` when the ARN is not one of its resources.
    fn name_of(&self, _arn: &str) -> Option<String> {
        None
    }
}

/// Adds `other`'s regions to a sorted, de-duplicated region list (a model's `listed_regions`, a trail's
/// `listed_in`).
pub fn merge_regions(mine: &mut Vec<String>, other: Vec<String>) {
    mine.extend(other);
    mine.sort();
    mine.dedup();
}

/// A service's model as the scanner builds it: one collection per region (or one for a global service),
/// merged.
pub trait ServiceModel: ServiceFacts + Default {
    /// Adds another region's collection to this one.
    fn merge(&mut self, other: Self);
}
