//! SSM Parameter Store: each parameter's metadata (never its value).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::Timestamp;
use super::service::{DriftIndex, KeyReference, ServiceFacts, ServiceModel, attributes};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ParameterInventory {
    /// By parameter ARN (`arn:aws:ssm:REGION:ACCOUNT:parameter/NAME`, without the name's leading slash).
    pub parameters: BTreeMap<String, Parameter>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Parameter {
    pub arn: String,
    /// As AWS gives it, with its leading slash if it has one.
    pub name: String,
    pub region: String,
    /// `String`, `StringList` or `SecureString`.
    pub parameter_type: String,
    /// The KMS key of a `SecureString` (key id, ARN or alias; `alias/aws/ssm` by default).
    pub key_id: Option<String>,
    /// `Standard`, `Advanced`, `Intelligent-Tiering`.
    pub tier: Option<String>,
    pub last_modified: Option<Timestamp>,
    pub version: i64,
    pub data_type: Option<String>,
    /// Parameter policies (expiration, notifications) as their JSON text.
    pub policies: Vec<String>,
}

impl Parameter {
    pub fn is_secure(&self) -> bool {
        self.parameter_type == "SecureString"
    }
}

impl ServiceFacts for ParameterInventory {
    fn resource_count(&self) -> usize {
        self.parameters.len()
    }

    fn counts(&self, counts: &mut BTreeMap<&'static str, usize>) {
        counts.insert("ssm_parameters", self.parameters.len());
    }

    fn drift(&self, index: &mut DriftIndex) {
        for parameter in self.parameters.values() {
            let parameter_attributes = attributes([
                ("type", json!(parameter.parameter_type)),
                ("key_id", json!(parameter.key_id)),
                ("tier", json!(parameter.tier)),
            ]);
            index.insert(parameter.arn.clone(), ("ssm_parameter", parameter_attributes));
        }
    }

    fn key_references(&self) -> Vec<KeyReference<'_>> {
        let secure = self.parameters.values().filter(|p| p.is_secure());
        secure
            .filter_map(|p| {
                let key = p.key_id.as_deref()?;
                Some(KeyReference { kind: "parameter", resource_arn: &p.arn, region: &p.region, key })
            })
            .collect()
    }
}

impl ServiceModel for ParameterInventory {
    fn merge(&mut self, other: Self) {
        self.parameters.extend(other.parameters);
    }
}
