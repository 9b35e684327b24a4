//! API Gateway: REST APIs (`apigateway`) and HTTP / WebSocket APIs (`apigatewayv2`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::service::{DriftIndex, ServiceFacts, ServiceModel, attributes};
use super::{PolicyDocument, Timestamp, lambda::Cors};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RestInventory {
    pub apis: BTreeMap<String, RestApi>,
    /// API keys: metadata only, never their values.
    pub api_keys: BTreeMap<String, ApiKey>,
    pub usage_plans: BTreeMap<String, UsagePlan>,
    pub domain_names: BTreeMap<String, DomainName>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestApi {
    pub arn: String,
    pub id: String,
    pub name: String,
    pub region: String,
    /// `EDGE`, `REGIONAL`, `PRIVATE`.
    pub endpoint_types: Vec<String>,
    pub created_date: Option<Timestamp>,
    pub resource_policy: Option<PolicyDocument>,
    /// `HEADER` or `AUTHORIZER`.
    pub api_key_source: Option<String>,
    pub disable_execute_api_endpoint: bool,
    /// Its tags, as the listing gives them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// `None` when they could not be listed (likewise below).
    pub resources: Option<Vec<RestResource>>,
    pub authorizers: Option<Vec<Authorizer>>,
    pub stages: Option<Vec<RestStage>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestResource {
    pub id: String,
    pub path: String,
    pub methods: Vec<RestMethod>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestMethod {
    pub arn: String,
    pub http_method: String,
    /// `NONE`, `AWS_IAM`, `CUSTOM`, `COGNITO_USER_POOLS`.
    pub authorization_type: String,
    pub authorizer_id: Option<String>,
    pub api_key_required: bool,
    pub integration: Option<Integration>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Integration {
    /// REST: `AWS`, `AWS_PROXY`, `HTTP`, `HTTP_PROXY`, `MOCK`; HTTP APIs likewise without `MOCK`.
    pub integration_type: Option<String>,
    pub uri: Option<String>,
    /// The Lambda function the integration invokes, resolved from the URI.
    pub lambda_arn: Option<String>,
    pub connection_type: Option<String>,
}

/// A REST or HTTP/WebSocket API authorizer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Authorizer {
    pub arn: String,
    pub id: String,
    pub name: Option<String>,
    /// REST: `TOKEN`, `REQUEST`, `COGNITO_USER_POOLS`; v2: `REQUEST`, `JWT`.
    pub authorizer_type: Option<String>,
    pub authorizer_uri: Option<String>,
    pub lambda_arn: Option<String>,
    pub identity_source: Vec<String>,
    /// Cognito user pool ARNs (REST).
    pub provider_arns: Vec<String>,
    /// JWT issuer and audiences (v2).
    pub jwt_issuer: Option<String>,
    pub jwt_audience: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestStage {
    pub arn: String,
    pub name: String,
    pub deployment_id: Option<String>,
    /// Keyed `*/*` (all methods) or `RESOURCE_PATH/METHOD`.
    pub method_settings: BTreeMap<String, MethodSetting>,
    pub access_log: Option<AccessLog>,
    pub tracing_enabled: bool,
    pub web_acl_arn: Option<String>,
    pub client_certificate_id: Option<String>,
    pub cache_cluster_enabled: bool,
    pub created_date: Option<Timestamp>,
    pub last_updated_date: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MethodSetting {
    /// `OFF`, `ERROR`, `INFO`.
    pub logging_level: Option<String>,
    pub data_trace_enabled: bool,
    pub metrics_enabled: bool,
    pub caching_enabled: bool,
    pub cache_data_encrypted: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessLog {
    pub destination_arn: Option<String>,
    pub format: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiKey {
    pub arn: String,
    pub id: String,
    pub name: Option<String>,
    pub region: String,
    pub enabled: bool,
    pub created_date: Option<Timestamp>,
    pub last_updated_date: Option<Timestamp>,
    /// `API_ID/STAGE` pairs the key is bound to.
    pub stage_keys: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsagePlan {
    pub arn: String,
    pub id: String,
    pub name: Option<String>,
    pub region: String,
    /// `API_ID/STAGE`.
    pub api_stages: Vec<String>,
    pub throttle_rate_limit: Option<f64>,
    pub throttle_burst_limit: Option<i32>,
    pub quota_limit: Option<i32>,
    pub quota_period: Option<String>,
    /// Key ids in the plan; `None` when they could not be listed.
    pub key_ids: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainName {
    pub arn: String,
    pub name: String,
    pub region: String,
    /// `TLS_1_0`, `TLS_1_2`, or a newer enhanced policy name.
    pub security_policies: Vec<String>,
    pub endpoint_types: Vec<String>,
    pub certificate_arns: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HttpInventory {
    pub apis: BTreeMap<String, HttpApi>,
    pub domain_names: BTreeMap<String, DomainName>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HttpApi {
    pub arn: String,
    pub id: String,
    pub name: String,
    pub region: String,
    /// `HTTP` or `WEBSOCKET`.
    pub protocol_type: String,
    pub endpoint: Option<String>,
    pub disable_execute_api_endpoint: bool,
    pub api_key_selection_expression: Option<String>,
    pub cors: Option<Cors>,
    pub created_date: Option<Timestamp>,
    /// Its tags, as the listing gives them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    pub routes: Option<Vec<Route>>,
    pub integrations: Option<Vec<HttpIntegration>>,
    pub authorizers: Option<Vec<Authorizer>>,
    pub stages: Option<Vec<HttpStage>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Route {
    pub arn: String,
    pub id: String,
    /// `GET /orders`, `$default`, `$connect`, …
    pub route_key: String,
    /// `NONE`, `AWS_IAM`, `CUSTOM`, `JWT`.
    pub authorization_type: String,
    pub authorizer_id: Option<String>,
    pub api_key_required: bool,
    pub target: Option<String>,
    pub integration_id: Option<String>,
    /// The Lambda function the route's integration invokes.
    pub lambda_arn: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HttpIntegration {
    pub arn: String,
    pub id: String,
    #[serde(flatten)]
    pub integration: Integration,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HttpStage {
    pub arn: String,
    pub name: String,
    pub auto_deploy: bool,
    pub access_log: Option<AccessLog>,
    pub default_logging_level: Option<String>,
    pub default_data_trace_enabled: bool,
    pub created_date: Option<Timestamp>,
}

fn access_log_destination(access_log: &Option<AccessLog>) -> Value {
    json!(access_log.as_ref().and_then(|a| a.destination_arn.clone()))
}

impl ServiceFacts for RestInventory {
    fn resource_count(&self) -> usize {
        self.apis.len()
    }

    fn counts(&self, counts: &mut BTreeMap<&'static str, usize>) {
        let methods = self.apis.values().filter_map(|api| api.resources.as_ref()).flatten().map(|r| r.methods.len());
        counts.extend([
            ("rest_apis", self.apis.len()),
            ("rest_methods", methods.sum()),
            ("rest_api_keys", self.api_keys.len()),
            ("rest_usage_plans", self.usage_plans.len()),
        ]);
    }

    fn drift(&self, index: &mut DriftIndex) {
        for api in self.apis.values() {
            let api_attributes = attributes([
                ("resource_policy", json!(api.resource_policy.as_ref().and_then(|d| d.json.clone()))),
                ("endpoint_types", json!(api.endpoint_types)),
            ]);
            index.insert(api.arn.clone(), ("rest_api", api_attributes));
            for method in api.resources.iter().flatten().flat_map(|r| &r.methods) {
                let integration =
                    method.integration.as_ref().map(|i| json!({"type": i.integration_type, "lambda": i.lambda_arn}));
                let method_attributes = attributes([
                    ("authorization_type", json!(method.authorization_type)),
                    ("authorizer_id", json!(method.authorizer_id)),
                    ("api_key_required", json!(method.api_key_required)),
                    ("integration", json!(integration)),
                ]);
                index.insert(method.arn.clone(), ("rest_method", method_attributes));
            }
            for stage in api.stages.iter().flatten() {
                let stage_attributes = attributes([
                    ("access_log", access_log_destination(&stage.access_log)),
                    ("logging_level", json!(stage.method_settings.get("*/*").and_then(|s| s.logging_level.clone()))),
                    ("web_acl_arn", json!(stage.web_acl_arn)),
                ]);
                index.insert(stage.arn.clone(), ("rest_stage", stage_attributes));
            }
        }
        for key in self.api_keys.values() {
            index.insert(key.arn.clone(), ("api_key", attributes([("enabled", json!(key.enabled))])));
        }
    }

    fn resource_policies(&self) -> Vec<(&str, &PolicyDocument)> {
        self.apis.values().filter_map(|api| Some((api.arn.as_str(), api.resource_policy.as_ref()?))).collect()
    }

    fn name_of(&self, arn: &str) -> Option<String> {
        self.apis.values().find_map(|api| {
            let resource = api.resources.iter().flatten().find(|r| r.methods.iter().any(|m| m.arn == arn))?;
            let method = resource.methods.iter().find(|m| m.arn == arn)?;
            Some(format!("route {} {} on REST API {}", method.http_method, resource.path, api.name))
        })
    }
}

impl ServiceModel for RestInventory {
    fn merge(&mut self, other: Self) {
        self.apis.extend(other.apis);
        self.api_keys.extend(other.api_keys);
        self.usage_plans.extend(other.usage_plans);
        self.domain_names.extend(other.domain_names);
    }
}

impl ServiceFacts for HttpInventory {
    fn resource_count(&self) -> usize {
        self.apis.len()
    }

    fn counts(&self, counts: &mut BTreeMap<&'static str, usize>) {
        let routes = self.apis.values().filter_map(|api| api.routes.as_ref()).map(Vec::len).sum();
        counts.extend([("http_websocket_apis", self.apis.len()), ("http_websocket_routes", routes)]);
    }

    fn drift(&self, index: &mut DriftIndex) {
        for api in self.apis.values() {
            let api_attributes = attributes([("protocol_type", json!(api.protocol_type)), ("cors", json!(api.cors))]);
            index.insert(api.arn.clone(), ("http_api", api_attributes));
            for route in api.routes.iter().flatten() {
                let route_attributes = attributes([
                    ("authorization_type", json!(route.authorization_type)),
                    ("authorizer_id", json!(route.authorizer_id)),
                    ("api_key_required", json!(route.api_key_required)),
                    ("lambda", json!(route.lambda_arn)),
                ]);
                index.insert(route.arn.clone(), ("http_route", route_attributes));
            }
            for stage in api.stages.iter().flatten() {
                let stage_attributes = attributes([("access_log", access_log_destination(&stage.access_log))]);
                index.insert(stage.arn.clone(), ("http_stage", stage_attributes));
            }
        }
    }

    fn name_of(&self, arn: &str) -> Option<String> {
        self.apis.values().find_map(|api| {
            let route = api.routes.iter().flatten().find(|r| r.arn == arn)?;
            Some(format!("route {} on {} API {}", route.route_key, api.protocol_type, api.name))
        })
    }
}

impl ServiceModel for HttpInventory {
    fn merge(&mut self, other: Self) {
        self.apis.extend(other.apis);
        self.domain_names.extend(other.domain_names);
    }
}
