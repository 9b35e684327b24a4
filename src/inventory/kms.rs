//! KMS: keys (their state, spec, rotation and key policy) and aliases, and which key a reference names.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::service::{DriftIndex, ServiceFacts, ServiceModel, attributes};
use super::{Observed, PolicyDocument, Timestamp};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KmsInventory {
    /// By key ARN, across regions.
    pub keys: BTreeMap<String, Key>,
    /// By alias ARN, across regions.
    pub aliases: BTreeMap<String, Alias>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Key {
    pub arn: String,
    pub id: String,
    pub region: String,
    /// `false` when DescribeKey failed (a coverage record says why): the fields below are then unknown.
    pub described: bool,
    /// `AWS` or `CUSTOMER`.
    pub manager: Option<String>,
    /// `Enabled`, `Disabled`, `PendingDeletion`, `PendingImport`, `Unavailable`, …
    pub state: Option<String>,
    pub enabled: bool,
    pub deletion_date: Option<Timestamp>,
    /// `SYMMETRIC_DEFAULT`, `RSA_2048`, `HMAC_256`, …
    pub spec: Option<String>,
    /// `ENCRYPT_DECRYPT`, `SIGN_VERIFY`, `GENERATE_VERIFY_MAC`, `KEY_AGREEMENT`.
    pub usage: Option<String>,
    /// `AWS_KMS`, `EXTERNAL`, `AWS_CLOUDHSM`, `EXTERNAL_KEY_STORE`.
    pub origin: Option<String>,
    pub description: Option<String>,
    pub created: Option<Timestamp>,
    pub multi_region: Option<bool>,
    /// Automatic rotation of the key material; `Absent` for keys that cannot rotate automatically (AWS
    /// managed, asymmetric, HMAC, imported or custom-store keys), for which it is not asked.
    pub rotation_enabled: Observed<bool>,
    /// The `default` key policy; asked of customer managed keys only (AWS managed keys' policies are AWS's).
    pub policy: Observed<PolicyDocument>,
    /// Alias names (`alias/…`) that point at the key.
    pub aliases: Vec<String>,
}

impl Key {
    pub fn is_customer_managed(&self) -> bool {
        self.manager.as_deref() == Some("CUSTOMER")
    }

    /// A key whose material AWS KMS can rotate itself: customer managed, symmetric encryption, AWS_KMS origin.
    pub fn can_rotate_automatically(&self) -> bool {
        self.is_customer_managed()
            && self.spec.as_deref() == Some("SYMMETRIC_DEFAULT")
            && self.usage.as_deref().is_none_or(|u| u == "ENCRYPT_DECRYPT")
            && self.origin.as_deref() == Some("AWS_KMS")
    }

    /// Whether data encrypted under it can no longer be decrypted (or soon cannot).
    pub fn is_unusable(&self) -> bool {
        matches!(self.state.as_deref(), Some("PendingDeletion" | "Disabled" | "PendingReplicaDeletion"))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alias {
    pub arn: String,
    /// `alias/…`
    pub name: String,
    pub region: String,
    /// The key id it points at; `None` for an AWS alias not yet backing any key.
    pub target_key_id: Option<String>,
}

impl KmsInventory {
    /// The key that `reference` names in `region`: a key ARN, an alias ARN, an alias name (`alias/…`) or a
    /// bare key id all resolve to the same key. `None` when the key was not inventoried, as for the AWS
    /// managed keys behind `alias/aws/…` that nothing has used yet.
    pub fn resolve(&self, reference: &str, region: &str) -> Option<&Key> {
        let reference = reference.trim();
        if reference.starts_with("arn:") {
            if reference.contains(":key/") {
                return self.keys.get(reference);
            }
            let alias = self.aliases.get(reference)?;
            return self.key_by_id(alias.target_key_id.as_deref()?, &alias.region);
        }
        if reference.starts_with("alias/") {
            let alias = self.aliases.values().find(|a| a.name == reference && a.region == region)?;
            return self.key_by_id(alias.target_key_id.as_deref()?, region);
        }
        self.key_by_id(reference, region)
    }

    fn key_by_id(&self, id: &str, region: &str) -> Option<&Key> {
        self.keys.values().find(|k| k.id == id && k.region == region)
    }
}

impl ServiceFacts for KmsInventory {
    fn resource_count(&self) -> usize {
        self.keys.len()
    }

    fn counts(&self, counts: &mut BTreeMap<&'static str, usize>) {
        counts.extend([("kms_keys", self.keys.len()), ("kms_aliases", self.aliases.len())]);
    }

    fn drift(&self, index: &mut DriftIndex) {
        for key in self.keys.values() {
            let key_attributes = attributes([
                ("state", json!(key.state)),
                ("rotation_enabled", json!(key.rotation_enabled)),
                ("policy", json!(key.policy.present().and_then(|p| p.json.clone()))),
                ("deletion_date", json!(key.deletion_date)),
            ]);
            index.insert(key.arn.clone(), ("kms_key", key_attributes));
        }
    }

    fn resource_policies(&self) -> Vec<(&str, &PolicyDocument)> {
        self.keys.values().filter_map(|k| Some((k.arn.as_str(), k.policy.present()?))).collect()
    }
}

impl ServiceModel for KmsInventory {
    fn merge(&mut self, other: Self) {
        self.keys.extend(other.keys);
        self.aliases.extend(other.aliases);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: &str, region: &str) -> Key {
        let fixture = crate::rules::fixture::Fixture::new().key(id, |_| {});
        let mut key = fixture.inventory.kms.keys.into_values().next().expect("the fixture's key");
        key.region = region.into();
        key.arn = format!("arn:aws:kms:{region}:123456789012:key/{id}");
        key
    }

    #[test]
    fn every_form_of_reference_names_the_same_key() {
        let mut kms = KmsInventory::default();
        for (id, region) in [("k-1", "us-east-1"), ("k-1b", "eu-west-1")] {
            let k = key(id, region);
            kms.keys.insert(k.arn.clone(), k);
        }
        for (region, target) in [("us-east-1", "k-1"), ("eu-west-1", "k-1b")] {
            let arn = format!("arn:aws:kms:{region}:123456789012:alias/app");
            kms.aliases.insert(
                arn.clone(),
                Alias { arn, name: "alias/app".into(), region: region.into(), target_key_id: Some(target.into()) },
            );
        }
        let expected = "arn:aws:kms:us-east-1:123456789012:key/k-1";
        for reference in [expected, "k-1", "alias/app", "arn:aws:kms:us-east-1:123456789012:alias/app", " alias/app "] {
            assert_eq!(kms.resolve(reference, "us-east-1").map(|k| k.arn.as_str()), Some(expected), "{reference}");
        }
        assert_eq!(kms.resolve("alias/app", "eu-west-1").map(|k| k.id.as_str()), Some("k-1b"), "aliases are regional");
        assert!(kms.resolve("alias/aws/ssm", "us-east-1").is_none(), "an AWS alias nothing described");
        assert!(kms.resolve("k-1", "eu-west-1").is_none(), "a key id names a key of its region");
    }
}
