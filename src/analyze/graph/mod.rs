//! The resource graph: internet → REST method / HTTP or WebSocket route / function URL → Lambda function
//! (from the integration URI) → execution role → what that role can do; the event sources (topics, queues,
//! buses others can write to) and their chains to functions (`events`); and who can reach each function.

pub mod events;

use std::collections::HashMap;

use serde::Serialize;

use super::policy::{Admits, Policy, Who, admissions, openings, principals::PUBLIC_RESTRICTING_KEYS};
use crate::inventory::Inventory;
use crate::score::Exposure;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    RestMethod,
    HttpRoute,
    WebSocketRoute,
    FunctionUrl,
}

/// A way in from outside the account.
#[derive(Debug, Clone, Serialize)]
pub struct EntryPoint {
    pub arn: String,
    pub kind: EntryKind,
    /// "GET /orders on REST API orders-api (us-east-1)".
    pub label: String,
    pub region: String,
    pub exposure: Exposure,
    /// The authorization as configured: NONE, AWS_IAM, CUSTOM, JWT, COGNITO_USER_POOLS (+ API key).
    pub authorization: String,
    pub api_key_required: bool,
    /// The Lambda function it invokes (unqualified ARN), if it invokes one.
    pub function_arn: Option<String>,
    /// The integration type (MOCK, AWS_PROXY, HTTP…); `None` when nothing is integrated.
    pub integration_type: Option<String>,
    /// The API (or the function, for URLs) the entry belongs to.
    pub parent_arn: String,
    /// Controls that narrow who gets in without being authentication (a restricting resource policy).
    pub compensating: Vec<String>,
}

impl EntryPoint {
    /// A backend that does something: not a MOCK integration, not nothing.
    pub fn has_real_backend(&self) -> bool {
        match &self.integration_type {
            Some(kind) => kind != "MOCK",
            None => self.kind == EntryKind::FunctionUrl,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Graph {
    pub entry_points: Vec<EntryPoint>,
    /// Unqualified function ARN → how exposed it is at most, and why.
    pub function_exposure: HashMap<String, (Exposure, String)>,
    /// Role ARN → the functions that run with it.
    pub functions_by_role: HashMap<String, Vec<String>>,
    /// Topics, queues and buses principals outside the account can write to.
    pub event_sources: Vec<events::EventSource>,
    /// Every chain from one of them to a function.
    pub event_routes: Vec<events::EventRoute>,
}

/// `arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]` → without the qualifier.
pub fn unqualified(function_arn: &str) -> String {
    function_arn.split(':').take(7).collect::<Vec<_>>().join(":")
}

fn rest_exposure(authorization: &str, api_key: bool, deployed: bool) -> (Exposure, String) {
    if !deployed {
        return (Exposure::Unreachable, "the API has no deployed stage".into());
    }
    match (authorization, api_key) {
        ("NONE", false) => (Exposure::UnauthenticatedInternet, "no authorization and no API key".into()),
        ("NONE", true) => (
            Exposure::AuthenticatedInternet,
            "an API key is required (API keys identify, they do not authenticate)".into(),
        ),
        (other, _) => (Exposure::AuthenticatedInternet, format!("{other} authorization")),
    }
}

/// A REST API resource policy that limits callers (by network, organization or account) even though the
/// methods themselves are open.
pub fn rest_policy_restriction(policy: &Policy) -> Option<String> {
    let open = admissions(policy, &["execute-api:Invoke"], PUBLIC_RESTRICTING_KEYS)
        .iter()
        .any(|a| a.who.contains(&Who::Anyone) && a.restricted_by.is_empty());
    let denies = policy
        .statements
        .iter()
        .any(|s| s.effect == super::policy::Effect::Deny && !s.has_condition_on(PUBLIC_RESTRICTING_KEYS).is_empty());
    (!open || denies).then(|| "the API's resource policy restricts callers".to_owned())
}

/// Who a function's own resource policy lets invoke it directly, at most: any AWS principal (Principal `*`
/// with no restricting condition, or a service grant with no source condition, which any account's
/// resources can use), or a foreign account.
fn invoke_exposure(policy: &Policy, owner: &str) -> Option<(Exposure, String)> {
    let mut best: Option<(Exposure, String)> = None;
    for opening in openings(policy, &["lambda:InvokeFunction"], PUBLIC_RESTRICTING_KEYS, owner) {
        let label = opening.statement.label();
        let candidate = match &opening.admits {
            Admits::Anyone => {
                (Exposure::AnyAwsPrincipal, format!("its resource policy lets any AWS principal invoke it ({label})"))
            }
            Admits::AnyAccountThrough(service) => (
                Exposure::AnyAwsPrincipal,
                format!("its resource policy lets {service} invoke it for any account's resources ({label})"),
            ),
            Admits::ForeignAccount(account) => {
                (Exposure::CrossAccount, format!("its resource policy lets account {account} invoke it ({label})"))
            }
        };
        if best.as_ref().is_none_or(|b| candidate.0 < b.0) {
            best = Some(candidate);
        }
    }
    best
}

impl Graph {
    /// `resource_policies`: the parsed resource policies of functions and REST APIs, by ARN (parsed once, in
    /// the analysis [`Context`](super::Context)).
    pub fn build(inventory: &Inventory, resource_policies: &HashMap<String, Policy>) -> Graph {
        let mut graph = Graph::default();
        for function in inventory.lambda.functions.values() {
            if let Some(role) = &function.role {
                graph.functions_by_role.entry(role.clone()).or_default().push(function.arn.clone());
            }
        }

        for api in inventory.apigateway.apis.values() {
            if api.endpoint_types.iter().any(|t| t == "PRIVATE") {
                continue; // reachable only from VPC endpoints the resource policy names
            }
            let deployed = api.stages.as_ref().is_none_or(|stages| !stages.is_empty());
            let restriction = resource_policies.get(&api.arn).and_then(rest_policy_restriction);
            for resource in api.resources.iter().flatten() {
                for method in &resource.methods {
                    let (exposure, _) = rest_exposure(&method.authorization_type, method.api_key_required, deployed);
                    graph.entry_points.push(EntryPoint {
                        arn: method.arn.clone(),
                        kind: EntryKind::RestMethod,
                        label: format!(
                            "{} {} on REST API {} ({})",
                            method.http_method, resource.path, api.name, api.region
                        ),
                        region: api.region.clone(),
                        exposure,
                        authorization: method.authorization_type.clone(),
                        api_key_required: method.api_key_required,
                        function_arn: method
                            .integration
                            .as_ref()
                            .and_then(|i| i.lambda_arn.as_deref())
                            .map(unqualified),
                        integration_type: method.integration.as_ref().and_then(|i| i.integration_type.clone()),
                        parent_arn: api.arn.clone(),
                        compensating: restriction.iter().cloned().collect(),
                    });
                }
            }
        }

        for api in inventory.apigatewayv2.apis.values() {
            let integrations = api.integrations.as_deref().unwrap_or_default();
            let routes = api.routes.as_deref().unwrap_or_default();
            let deployed = api.stages.as_ref().is_none_or(|stages| !stages.is_empty());
            let websocket = api.protocol_type == "WEBSOCKET";
            // On a WebSocket API only $connect is authorized: every other route is open to whoever connected.
            let connect = routes.iter().find(|r| r.route_key == "$connect");
            for route in routes {
                let gate = if websocket { connect.unwrap_or(route) } else { route };
                let (exposure, _) = rest_exposure(&gate.authorization_type, gate.api_key_required, deployed);
                let integration =
                    route.integration_id.as_ref().and_then(|id| integrations.iter().find(|i| &i.id == id));
                graph.entry_points.push(EntryPoint {
                    arn: route.arn.clone(),
                    kind: if websocket { EntryKind::WebSocketRoute } else { EntryKind::HttpRoute },
                    label: format!("{} on {} API {} ({})", route.route_key, api.protocol_type, api.name, api.region),
                    region: api.region.clone(),
                    exposure,
                    authorization: gate.authorization_type.clone(),
                    api_key_required: gate.api_key_required,
                    function_arn: route.lambda_arn.as_deref().map(unqualified),
                    integration_type: integration
                        .and_then(|i| i.integration.integration_type.clone())
                        .or_else(|| route.target.as_ref().map(|_| "UNKNOWN".to_owned())),
                    parent_arn: api.arn.clone(),
                    compensating: Vec::new(),
                });
            }
        }

        for function in inventory.lambda.functions.values() {
            // AuthType NONE still needs a resource-policy statement letting anyone call InvokeFunctionUrl;
            // without one the URL answers 403 to everybody. Unknown policies are assumed open.
            let url_public = match &function.resource_policy {
                crate::inventory::Observed::Present(_) => resource_policies.get(&function.arn).is_some_and(|policy| {
                    admissions(policy, &["lambda:InvokeFunctionUrl"], &[]).iter().any(|a| a.who.contains(&Who::Anyone))
                }),
                crate::inventory::Observed::Absent => false,
                crate::inventory::Observed::Unknown => true,
            };
            for url in function.function_urls.iter().flatten() {
                let exposure = match (url.auth_type.as_str(), url_public) {
                    ("NONE", true) => Exposure::UnauthenticatedInternet,
                    ("NONE", false) => Exposure::Unreachable,
                    _ => Exposure::AuthenticatedInternet,
                };
                graph.entry_points.push(EntryPoint {
                    arn: url.function_arn.clone(),
                    kind: EntryKind::FunctionUrl,
                    label: format!("function URL {} ({})", url.url, url.auth_type),
                    region: function.region.clone(),
                    exposure,
                    authorization: url.auth_type.clone(),
                    api_key_required: false,
                    function_arn: Some(function.arn.clone()),
                    integration_type: None,
                    parent_arn: function.arn.clone(),
                    compensating: Vec::new(),
                });
            }
        }

        let (sources, routes) = events::build(inventory, resource_policies);
        graph.event_sources = sources;
        graph.event_routes = routes;

        let mut candidates: Vec<(String, (Exposure, String))> = Vec::new();
        for entry in &graph.entry_points {
            let Some(function) = &entry.function_arn else { continue };
            candidates.push((function.clone(), (entry.exposure, format!("reachable through {}", entry.label))));
        }
        for route in &graph.event_routes {
            let source = &graph.event_sources[route.source];
            let reason = format!("triggered by {}: {}; {}", source.hop.label, source.reason, route.describe());
            candidates.push((route.function_arn().to_owned(), (source.exposure, reason)));
        }
        for function in inventory.lambda.functions.values() {
            if let Some(policy) = resource_policies.get(&function.arn) {
                candidates
                    .extend(invoke_exposure(policy, &inventory.account.account_id).map(|c| (function.arn.clone(), c)));
            }
        }
        for (function, candidate) in candidates {
            graph
                .function_exposure
                .entry(function)
                .and_modify(|current| {
                    if candidate.0 < current.0 {
                        *current = candidate.clone();
                    }
                })
                .or_insert(candidate);
        }
        graph.entry_points.sort_by(|a, b| a.arn.cmp(&b.arn));
        graph
    }

    /// The shortest chain from each source any AWS principal can write to, to each function it reaches, with
    /// its source: what the public-event finding and the event attack path both report.
    pub fn public_event_routes(&self) -> Vec<(&events::EventSource, &events::EventRoute)> {
        let mut seen = std::collections::HashSet::new();
        // Routes are shortest first per source: the first chain to a function stands for the others.
        self.event_routes
            .iter()
            .map(|route| (&self.event_sources[route.source], route))
            .filter(|(source, _)| source.exposure == Exposure::AnyAwsPrincipal)
            .filter(|(_, route)| seen.insert((route.source, route.function_arn())))
            .collect()
    }

    /// How exposed a function is: through its entry points, its event chains, or a resource policy that lets
    /// others invoke it directly, whichever is most.
    pub fn exposure_of_function(&self, arn: &str) -> Option<&(Exposure, String)> {
        self.function_exposure.get(arn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualifiers_are_dropped() {
        assert_eq!(unqualified("arn:aws:lambda:us-east-1:1:function:f:live"), "arn:aws:lambda:us-east-1:1:function:f");
        assert_eq!(unqualified("arn:aws:lambda:us-east-1:1:function:f"), "arn:aws:lambda:us-east-1:1:function:f");
    }

    #[test]
    fn rest_policies_that_restrict() {
        let open = Policy::from_json(
            &serde_json::json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}]}),
        );
        assert!(rest_policy_restriction(&open).is_none());
        let vpce = Policy::from_json(
            &serde_json::json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "*", "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1"}}}]}),
        );
        assert!(rest_policy_restriction(&vpce).is_some());
        let deny_ip = Policy::from_json(&serde_json::json!({"Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "*"},
            {"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "*", "Condition": {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}]}));
        assert!(rest_policy_restriction(&deny_ip).is_some());
    }
}
