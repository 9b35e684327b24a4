use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::service::{DriftIndex, KeyReference, ServiceFacts, ServiceModel, attributes};
use super::{Observed, PolicyDocument, SecretValue};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LambdaInventory {
    /// By function ARN (unqualified), across regions.
    pub functions: BTreeMap<String, LambdaFunction>,
    /// Event source mappings (a queue or stream polled on a function's behalf), by mapping ARN. Both are
    /// left out of the file when empty, so a snapshot from before them reads back as written.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub event_source_mappings: BTreeMap<String, EventSourceMapping>,
    /// The regions whose mapping listing came in full.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mappings_listed_regions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventSourceMapping {
    /// `arn:PARTITION:lambda:REGION:ACCOUNT:event-source-mapping:UUID`.
    pub arn: String,
    pub uuid: String,
    pub region: String,
    /// The queue, stream or broker it reads.
    pub source_arn: Option<String>,
    /// The function it invokes (unqualified).
    pub function_arn: String,
    /// `Enabled`, `Disabled`, `Creating`…
    pub state: Option<String>,
    /// The filter patterns events must match.
    pub filters: Vec<String>,
}

impl EventSourceMapping {
    /// Whether it may invoke the function: any state but `Disabled`/`Disabling`.
    pub fn is_enabled(&self) -> bool {
        !matches!(self.state.as_deref(), Some("Disabled" | "Disabling"))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LambdaFunction {
    pub arn: String,
    pub name: String,
    pub region: String,
    /// `None` for container-image functions.
    pub runtime: Option<String>,
    pub package_type: Option<String>,
    pub handler: Option<String>,
    /// The execution role's ARN.
    pub role: Option<String>,
    /// Variable name → its redacted value, sorted by name.
    pub environment: BTreeMap<String, SecretValue>,
    pub kms_key_arn: Option<String>,
    /// `Active` or `PassThrough`.
    pub tracing_mode: Option<String>,
    pub vpc: Option<VpcConfig>,
    pub layers: Vec<String>,
    pub dead_letter_target: Option<String>,
    pub architectures: Vec<String>,
    pub memory_mb: Option<i32>,
    pub timeout_s: Option<i32>,
    pub last_modified: Option<String>,
    /// The function's resource-based policy (`GetPolicy`); `Absent` when it has none.
    pub resource_policy: Observed<PolicyDocument>,
    /// Function URLs, of the function and of its aliases; `None` when they could not be listed.
    pub function_urls: Option<Vec<FunctionUrl>>,
    /// The log group of its LoggingConfig, when the listing named one (`None` in snapshots before it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_group: Option<String>,
}

impl LambdaFunction {
    /// The log group it writes to: its LoggingConfig's, or Lambda's default `/aws/lambda/NAME`.
    pub fn log_group_name(&self) -> String {
        self.log_group.clone().unwrap_or_else(|| format!("/aws/lambda/{}", self.name))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VpcConfig {
    pub vpc_id: Option<String>,
    pub subnet_ids: Vec<String>,
    pub security_group_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionUrl {
    pub url: String,
    /// The function or alias ARN the URL invokes.
    pub function_arn: String,
    /// `NONE` or `AWS_IAM`.
    pub auth_type: String,
    pub invoke_mode: Option<String>,
    pub cors: Option<Cors>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Cors {
    pub allow_origins: Vec<String>,
    pub allow_methods: Vec<String>,
    pub allow_headers: Vec<String>,
    pub allow_credentials: Option<bool>,
}

impl ServiceFacts for LambdaInventory {
    fn resource_count(&self) -> usize {
        self.functions.len()
    }

    fn counts(&self, counts: &mut BTreeMap<&'static str, usize>) {
        counts.insert("lambda_functions", self.functions.len());
        counts.insert("lambda_event_source_mappings", self.event_source_mappings.len());
    }

    fn drift(&self, index: &mut DriftIndex) {
        for function in self.functions.values() {
            let environment: BTreeMap<&String, Value> =
                function.environment.iter().map(|(k, v)| (k, json!({"kind": v.kind, "hash": v.hash}))).collect();
            let function_attributes = attributes([
                ("runtime", json!(function.runtime)),
                ("role", json!(function.role)),
                ("resource_policy", json!(function.resource_policy)),
                ("environment", json!(environment)),
                ("tracing_mode", json!(function.tracing_mode)),
                ("kms_key_arn", json!(function.kms_key_arn)),
                ("layers", json!(function.layers)),
            ]);
            index.insert(function.arn.clone(), ("lambda_function", function_attributes));
            for url in function.function_urls.iter().flatten() {
                index.insert(
                    format!("{}/function-url", url.function_arn),
                    (
                        "lambda_function_url",
                        attributes([("auth_type", json!(url.auth_type)), ("cors", json!(url.cors))]),
                    ),
                );
            }
        }
        for mapping in self.event_source_mappings.values() {
            let mapping_attributes = attributes([
                ("source", json!(mapping.source_arn)),
                ("function", json!(mapping.function_arn)),
                ("state", json!(mapping.state)),
                ("filters", json!(mapping.filters)),
            ]);
            index.insert(mapping.arn.clone(), ("lambda_event_source_mapping", mapping_attributes));
        }
    }

    fn resource_policies(&self) -> Vec<(&str, &PolicyDocument)> {
        self.functions.values().filter_map(|f| Some((f.arn.as_str(), f.resource_policy.present()?))).collect()
    }

    fn key_references(&self) -> Vec<KeyReference<'_>> {
        let functions = self.functions.values();
        functions
            .filter_map(|f| {
                let key = f.kms_key_arn.as_deref()?;
                Some(KeyReference { kind: "Lambda function", resource_arn: &f.arn, region: &f.region, key })
            })
            .collect()
    }

    fn name_of(&self, arn: &str) -> Option<String> {
        if let Some(function) = self.functions.get(arn) {
            return Some(format!("function {}", function.name));
        }
        let mapping = self.event_source_mappings.get(arn)?;
        let source = mapping.source_arn.as_deref().and_then(|s| s.rsplit(':').next()).unwrap_or("?");
        let function = mapping.function_arn.rsplit(':').next().unwrap_or_default();
        Some(format!("event source mapping {source} → {function}"))
    }
}

impl ServiceModel for LambdaInventory {
    fn merge(&mut self, other: Self) {
        self.functions.extend(other.functions);
        self.event_source_mappings.extend(other.event_source_mappings);
        super::service::merge_regions(&mut self.mappings_listed_regions, other.mappings_listed_regions);
    }
}
