//! API Gateway: open routes, stages without logs, old API keys, open resource policies.

use crate::finding::Details;

use serde_json::json;

use super::resource_policy::{Admits, openings};
use super::{Draft, Evidence, Rule, RuleMeta};
use crate::analyze::graph::{EntryKind, rest_policy_restriction};
use crate::analyze::policy::principals::PUBLIC_RESTRICTING_KEYS;
use crate::inventory::apigateway::AccessLog;
use crate::score::{Exposure, RiskInputs};

pub static UNAUTHENTICATED_ROUTE: Rule = Rule {
    meta: RuleMeta {
        id: "apigw-unauthenticated-route",
        title: "API route or method open to the internet without authentication",
        rationale: "A REST method or HTTP route with authorization NONE and no API key, on a deployed API that is not private, lets anyone call its backend. On WebSocket APIs only $connect is authorized, so an open $connect opens every route. Methods with IAM, Cognito, Lambda or JWT authorizers, methods that require an API key (reported with a lower exposure only if open otherwise), MOCK integrations such as CORS preflights and health checks, and private APIs do not trigger it.",
        remediation: "Attach an authorizer (IAM, Cognito/JWT or a Lambda authorizer) to the route, or, for a deliberately public endpoint, record a mute with the reason and protect it with AWS WAF rate limits.",
        references: &[
            "AWS FSBP APIGateway.8",
            "https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-control-access-to-api.html",
        ],
    },
    check: |cx, _, out| {
        for entry in &cx.graph.entry_points {
            if entry.kind == EntryKind::FunctionUrl
                || entry.exposure != Exposure::UnauthenticatedInternet
                || !entry.has_real_backend()
            {
                continue;
            }
            if entry.kind == EntryKind::WebSocketRoute && !entry.label.starts_with("$connect ") {
                continue; // the open $connect is the finding
            }
            let mut details = Details::new();
            details.insert("authorization".into(), json!(entry.authorization));
            details.insert("api_key_required".into(), json!(entry.api_key_required));
            details.insert("integration".into(), json!(entry.integration_type));
            if let Some(function) = &entry.function_arn {
                details.insert("function".into(), json!(function));
            }
            let evidence = Evidence {
                summary: format!(
                    "{} has authorization {} and no API key, and reaches its {} integration",
                    entry.label,
                    entry.authorization,
                    entry.integration_type.as_deref().unwrap_or("backend")
                ),
                location: Some(entry.arn.clone()),
                statement: None,
                details,
            };
            let risk = RiskInputs {
                exposure: Some((Exposure::UnauthenticatedInternet, "no authorization and no API key".into())),
                blast: entry.function_arn.as_deref().and_then(|f| cx.function_blast(f)),
                credential_age_days: None,
                compensating: entry.compensating.clone(),
                unaudited: None,
            };
            out.emit(
                Draft::new(&entry.arn, &entry.region, "", format!("{} needs no authentication", entry.label))
                    .evidence(evidence)
                    .risk(risk),
            );
        }
    },
};

fn logs_to(log: &Option<AccessLog>) -> bool {
    log.as_ref().is_some_and(|l| l.destination_arn.as_deref().is_some_and(|d| !d.is_empty()))
}

/// A finding on a stage: its evidence names the stage and, as a detail, its API.
fn stage_draft(
    stage_arn: &str,
    region: &str,
    api_arn: &str,
    discriminator: &str,
    summary: String,
    title: String,
) -> Draft {
    let evidence = Evidence {
        summary,
        location: Some(stage_arn.to_owned()),
        statement: None,
        details: Details::from([("api".to_owned(), json!(api_arn))]),
    };
    Draft::new(stage_arn, region, discriminator, title).evidence(evidence)
}

pub static STAGE_NO_LOGGING: Rule = Rule {
    meta: RuleMeta {
        id: "apigw-stage-no-logging",
        title: "API stage without access logging",
        rationale: "Without access logs (and, for REST and WebSocket APIs, without execution logs) there is no record of who called the API, which an investigation needs first. A stage with access logging, or a REST/WebSocket stage with execution logging at ERROR or INFO, does not trigger it.",
        remediation: "Enable access logging to a CloudWatch Logs group or Firehose stream with a format that includes $context.requestId, $context.identity.sourceIp and $context.authorizer claims.",
        references: &[
            "AWS FSBP APIGateway.1",
            "AWS FSBP APIGateway.9",
            "https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html",
        ],
    },
    check: |cx, _, out| {
        let logging = |level: Option<&str>| matches!(level, Some("INFO" | "ERROR"));
        let mut unlogged = |stage_arn: &str, region: &str, api_arn: &str, stage: &str, api: &str, summary: String| {
            let title = format!("Stage {stage} of {api} is not logged");
            out.emit(stage_draft(stage_arn, region, api_arn, "logging", summary, title));
        };
        for api in cx.inventory.apigateway.apis.values() {
            for stage in api.stages.iter().flatten() {
                let execution = stage.method_settings.get("*/*").is_some_and(|s| logging(s.logging_level.as_deref()));
                if !logs_to(&stage.access_log) && !execution {
                    let summary = format!(
                        "stage {} of REST API {} has neither access logging nor execution logging",
                        stage.name, api.name
                    );
                    unlogged(&stage.arn, &api.region, &api.arn, &stage.name, &api.name, summary);
                }
            }
        }
        for api in cx.inventory.apigatewayv2.apis.values() {
            let websocket = api.protocol_type == "WEBSOCKET";
            for stage in api.stages.iter().flatten() {
                let execution = websocket && logging(stage.default_logging_level.as_deref());
                if !logs_to(&stage.access_log) && !execution {
                    let summary =
                        format!("stage {} of {} API {} has no access logging", stage.name, api.protocol_type, api.name);
                    unlogged(&stage.arn, &api.region, &api.arn, &stage.name, &api.name, summary);
                }
            }
        }
    },
};

pub static API_KEY_NOT_ROTATED: Rule = Rule {
    meta: RuleMeta {
        id: "apigw-api-key-not-rotated",
        title: "Enabled API key older than 90 days",
        rationale: "API keys are shared secrets handed to clients; the longer one lives, the more places hold it. An enabled key created more than 90 days (the policy file's `api_key_max_age_days`) before the evaluation time triggers it; disabled keys and younger keys do not.",
        remediation: "Issue a new key, add it to the usage plan, move the client, then disable and delete the old key. Do not use API keys as authentication: pair them with an authorizer.",
        references: &["https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-usage-plans.html"],
    },
    check: |cx, _, out| {
        for key in cx.inventory.apigateway.api_keys.values().filter(|k| k.enabled) {
            let Some(created) = key.created_date else { continue };
            let age = cx.age_days(created);
            if age <= cx.settings.thresholds.api_key_max_age_days {
                continue;
            }
            let name = key.name.clone().unwrap_or_else(|| key.id.clone());
            let evidence = Evidence {
                summary: format!("API key {name} is enabled and {age} days old"),
                location: Some(key.arn.clone()),
                statement: None,
                details: Details::from([
                    ("key_id".to_owned(), json!(key.id)),
                    ("created".to_owned(), json!(created.to_rfc3339())),
                    ("age_days".to_owned(), json!(age)),
                ]),
            };
            let risk = RiskInputs { credential_age_days: Some(age), ..RiskInputs::default() };
            out.emit(
                Draft::new(&key.arn, &key.region, "rotation", format!("API key {name} is {age} days old"))
                    .evidence(evidence)
                    .risk(risk),
            );
        }
    },
};

pub static PUBLIC_RESOURCE_POLICY: Rule = Rule {
    meta: RuleMeta {
        id: "apigw-public-resource-policy",
        title: "REST API resource policy admits anyone",
        rationale: "A resource policy that allows execute-api:Invoke to Principal `*` with no condition on the caller's network, organization or account (aws:SourceVpce, aws:SourceIp, aws:PrincipalOrgID …) and no Deny that does so adds nothing: anyone can call the API. On a private API it lets any VPC endpoint, in any account, reach it. Policies restricted that way do not trigger it.",
        remediation: "Restrict the statement with a condition (aws:SourceVpce for private APIs, aws:SourceIp or aws:PrincipalOrgID otherwise) or add a Deny for callers outside it.",
        references: &["https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-resource-policies.html"],
    },
    check: |cx, _, out| {
        for api in cx.inventory.apigateway.apis.values() {
            let Some(policy) = cx.resource_policies.get(&api.arn) else { continue };
            if rest_policy_restriction(policy).is_some() {
                continue;
            }
            let openings = openings(cx, policy, &["execute-api:Invoke"], PUBLIC_RESTRICTING_KEYS);
            for opening in openings.iter().filter(|o| o.admits == Admits::Anyone) {
                let statement = opening.statement;
                let private = api.endpoint_types.iter().any(|t| t == "PRIVATE");
                let open_method = cx
                    .graph
                    .entry_points
                    .iter()
                    .any(|e| e.parent_arn == api.arn && e.exposure == Exposure::UnauthenticatedInternet);
                let exposure = if private {
                    (Exposure::CrossAccount, "any VPC endpoint in any account can reach the private API".to_owned())
                } else if open_method {
                    (Exposure::UnauthenticatedInternet, "some methods need no authorization".to_owned())
                } else {
                    (Exposure::AuthenticatedInternet, "every method has an authorizer or API key".to_owned())
                };
                let evidence = opening.evidence(
                    format!(
                        "statement {} of the resource policy of {} allows execute-api:Invoke to anyone, with no condition",
                        statement.label(),
                        api.name
                    ),
                    "resource policy",
                    &api.arn,
                );
                let risk = RiskInputs { exposure: Some(exposure), ..RiskInputs::default() };
                out.emit(
                    Draft::new(
                        &api.arn,
                        &api.region,
                        statement.label(),
                        format!("Resource policy of REST API {} admits anyone", api.name),
                    )
                    .evidence(evidence)
                    .risk(risk),
                );
            }
        }
    },
};

/// A REST stage with its API, for the stage rules.
fn rest_stages<'c>(
    cx: &'c crate::analyze::Context<'_>,
) -> impl Iterator<Item = (&'c crate::inventory::apigateway::RestApi, &'c crate::inventory::apigateway::RestStage)> {
    cx.inventory.apigateway.apis.values().flat_map(|api| api.stages.iter().flatten().map(move |stage| (api, stage)))
}

pub static DOMAIN_WEAK_TLS: Rule = Rule {
    meta: RuleMeta {
        id: "apigw-domain-weak-tls",
        title: "API custom domain accepts TLS 1.0",
        rationale: "The security policy `TLS_1_0` lets clients connect with TLS 1.0 and 1.1, which have known weaknesses and are refused by current compliance baselines. Domains whose policy is `TLS_1_2` or one of the newer enhanced policies do not trigger it. REST and HTTP APIs share custom domains; each is reported once.",
        remediation: "`aws apigateway update-domain-name --domain-name NAME --patch-operations op=replace,path=/securityPolicy,value=TLS_1_2` (or `aws apigatewayv2 update-domain-name … SecurityPolicy=TLS_1_2`).",
        references: &[
            "https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-custom-domain-tls-version.html",
        ],
    },
    check: |cx, _, out| {
        let domains =
            cx.inventory.apigateway.domain_names.values().chain(cx.inventory.apigatewayv2.domain_names.values());
        let mut seen = std::collections::BTreeSet::new();
        for domain in domains.filter(|d| d.security_policies.iter().any(|p| p == "TLS_1_0")) {
            if !seen.insert(domain.arn.as_str()) {
                continue;
            }
            let evidence = Evidence {
                summary: format!("custom domain {} has the security policy TLS_1_0", domain.name),
                location: Some(domain.arn.clone()),
                statement: None,
                details: Details::from([("security_policies".to_owned(), json!(domain.security_policies))]),
            };
            out.emit(
                Draft::new(&domain.arn, &domain.region, "", format!("Custom domain {} accepts TLS 1.0", domain.name))
                    .evidence(evidence),
            );
        }
    },
};

pub static CACHE_UNENCRYPTED: Rule = Rule {
    meta: RuleMeta {
        id: "apigw-cache-unencrypted",
        title: "REST API stage cache is not encrypted",
        rationale: "A stage with a cache cluster keeps responses (often personal or authorization-bearing data) in the cache; unless the cached data is encrypted, it sits there in clear. Stages without a cache cluster, and stages whose method settings encrypt every cached response, do not trigger it.",
        remediation: "`aws apigateway update-stage --rest-api-id ID --stage-name STAGE --patch-operations op=replace,path=/*/*/caching/dataEncrypted,value=true`.",
        references: &[
            "AWS FSBP APIGateway.5",
            "https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-caching.html",
        ],
    },
    check: |cx, _, out| {
        for (api, stage) in rest_stages(cx).filter(|(_, s)| s.cache_cluster_enabled) {
            let default_encrypted = stage.method_settings.get("*/*").is_some_and(|s| s.cache_data_encrypted);
            let clear: Vec<&String> = stage
                .method_settings
                .iter()
                .filter(|(path, s)| path.as_str() != "*/*" && s.caching_enabled && !s.cache_data_encrypted)
                .map(|(path, _)| path)
                .collect();
            if default_encrypted && clear.is_empty() {
                continue;
            }
            let mut draft = stage_draft(
                &stage.arn,
                &api.region,
                &api.arn,
                "cache",
                format!("stage {} of REST API {} caches responses without encrypting them", stage.name, api.name),
                format!("Cache of stage {} of {} is not encrypted", stage.name, api.name),
            );
            if !clear.is_empty() {
                draft.evidence.details.insert("unencrypted_methods".into(), json!(clear));
            }
            out.emit(draft);
        }
    },
};

pub static STAGE_TRACING_DISABLED: Rule = Rule {
    meta: RuleMeta {
        id: "apigw-stage-tracing-disabled",
        title: "REST API stage without X-Ray tracing",
        rationale: "Without active tracing a request cannot be followed from the API through its functions, which slows both debugging and incident response. Stages with X-Ray tracing on do not trigger it.",
        remediation: "`aws apigateway update-stage --rest-api-id ID --stage-name STAGE --patch-operations op=replace,path=/tracingEnabled,value=true`.",
        references: &[
            "AWS FSBP APIGateway.3",
            "https://docs.aws.amazon.com/xray/latest/devguide/xray-services-apigateway.html",
        ],
    },
    check: |cx, _, out| {
        for (api, stage) in rest_stages(cx).filter(|(_, s)| !s.tracing_enabled) {
            out.emit(stage_draft(
                &stage.arn,
                &api.region,
                &api.arn,
                "tracing",
                format!("stage {} of REST API {} has X-Ray tracing off", stage.name, api.name),
                format!("Stage {} of {} is not traced", stage.name, api.name),
            ));
        }
    },
};

pub static STAGE_NO_WAF: Rule = Rule {
    meta: RuleMeta {
        id: "apigw-stage-no-waf",
        title: "Public REST API stage without a web ACL",
        rationale: "An AWS WAF web ACL on a REGIONAL or EDGE stage filters injection, bad bots and floods before they reach the functions behind it. PRIVATE APIs (reachable only from VPC endpoints) and stages with a web ACL do not trigger it.",
        remediation: "`aws wafv2 associate-web-acl --web-acl-arn ACL_ARN --resource-arn arn:aws:apigateway:REGION::/restapis/ID/stages/STAGE` (a REGIONAL web ACL with the AWS managed core rule set is a start).",
        references: &[
            "AWS FSBP APIGateway.4",
            "https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-control-access-aws-waf.html",
        ],
    },
    check: |cx, _, out| {
        let public = |api: &crate::inventory::apigateway::RestApi| !api.endpoint_types.iter().any(|t| t == "PRIVATE");
        for (api, stage) in rest_stages(cx).filter(|(api, s)| public(api) && s.web_acl_arn.is_none()) {
            let types = api.endpoint_types.join(", ");
            out.emit(stage_draft(
                &stage.arn,
                &api.region,
                &api.arn,
                "waf",
                format!("stage {} of REST API {} ({types}) has no web ACL", stage.name, api.name),
                format!("Stage {} of {} has no web ACL", stage.name, api.name),
            ));
        }
    },
};

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::inventory::apigateway::{MethodSetting, RestApi};
    use crate::rules::fixture::*;

    fn app() -> Fixture {
        Fixture::new()
            .role("app", lambda_trust(), &[("t", allow(json!("dynamodb:GetItem"), json!("*")))], &[])
            .function("orders", "app", |_| {})
    }

    #[test]
    fn unauthenticated_route() {
        let fixture = app()
            .rest_api(
                "shop",
                "/orders",
                &[
                    ("GET", "NONE", false, Some("orders")),
                    ("OPTIONS", "NONE", false, None),
                    ("POST", "CUSTOM", false, Some("orders")),
                    ("PUT", "NONE", true, Some("orders")),
                ],
                |_| {},
            )
            .http_api(
                "pay",
                "HTTP",
                &[("GET /status", "NONE", false, Some("orders")), ("POST /pay", "JWT", false, Some("orders"))],
                true,
            )
            .http_api(
                "ws",
                "WEBSOCKET",
                &[("$connect", "NONE", false, Some("orders")), ("send", "NONE", false, Some("orders"))],
                true,
            );
        let found = fixture.findings("apigw-unauthenticated-route");
        insta::assert_yaml_snapshot!(summary(&found));
        let titles: Vec<&str> = found.iter().map(|f| f.title.as_str()).collect();
        assert_eq!(found.len(), 3, "{titles:?}");
        assert!(titles.iter().any(|t| t.starts_with("GET /orders")));
        assert!(titles.iter().any(|t| t.starts_with("GET /status")));
        assert!(titles.iter().any(|t| t.starts_with("$connect")));

        let private = app().rest_api("internal", "/x", &[("GET", "NONE", false, Some("orders"))], |api| {
            api.endpoint_types = vec!["PRIVATE".into()]
        });
        assert!(private.findings("apigw-unauthenticated-route").is_empty());
        let ws_guarded = app().http_api(
            "ws",
            "WEBSOCKET",
            &[("$connect", "AWS_IAM", false, Some("orders")), ("send", "NONE", false, Some("orders"))],
            true,
        );
        assert!(
            ws_guarded.findings("apigw-unauthenticated-route").is_empty(),
            "WebSocket routes inherit $connect's authorization"
        );
    }

    #[test]
    fn stage_no_logging() {
        let fixture = app()
            .rest_api("quiet", "/x", &[("GET", "AWS_IAM", false, Some("orders"))], |api| {
                for stage in api.stages.iter_mut().flatten() {
                    stage.access_log = None;
                }
            })
            .http_api("quiet-http", "HTTP", &[("GET /x", "AWS_IAM", false, Some("orders"))], false);
        let found = fixture.findings("apigw-stage-no-logging");
        insta::assert_yaml_snapshot!(summary(&found));
        assert_eq!(found.len(), 2);
        let execution_logs = app().rest_api("logged", "/x", &[("GET", "AWS_IAM", false, None)], |api| {
            for stage in api.stages.iter_mut().flatten() {
                stage.access_log = None;
                stage.method_settings.insert(
                    "*/*".into(),
                    crate::inventory::apigateway::MethodSetting {
                        logging_level: Some("ERROR".into()),
                        data_trace_enabled: false,
                        metrics_enabled: false,
                        caching_enabled: false,
                        cache_data_encrypted: false,
                    },
                );
            }
        });
        assert!(execution_logs.findings("apigw-stage-no-logging").is_empty());
        assert!(
            app()
                .http_api("logged", "HTTP", &[("GET /x", "AWS_IAM", false, None)], true)
                .findings("apigw-stage-no-logging")
                .is_empty()
        );
    }

    #[test]
    fn api_key_not_rotated() {
        let found = Fixture::new().api_key("partner", true, 180).findings("apigw-api-key-not-rotated");
        insta::assert_yaml_snapshot!(summary(&found));
        assert_eq!(found.len(), 1);
        assert!(
            Fixture::new()
                .api_key("fresh", true, 10)
                .api_key("retired", false, 400)
                .findings("apigw-api-key-not-rotated")
                .is_empty()
        );
    }

    #[test]
    fn public_resource_policy() {
        let with_policy = |statements: serde_json::Value| {
            app().rest_api("partner", "/x", &[("GET", "NONE", false, Some("orders"))], |api| {
                api.resource_policy = Some(doc(json!({"Version": "2012-10-17", "Statement": statements})))
            })
        };
        let found = with_policy(json!([{"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}])).findings("apigw-public-resource-policy");
        insta::assert_yaml_snapshot!(summary(&found));
        assert_eq!(found.len(), 1);
        let vpce = with_policy(
            json!([{"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "*", "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1"}}}]),
        );
        assert!(vpce.findings("apigw-public-resource-policy").is_empty());
        let ip_deny = with_policy(json!([
            {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "*"},
            {"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "*", "Condition": {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}]));
        assert!(ip_deny.findings("apigw-public-resource-policy").is_empty());
    }
    #[test]
    fn domain_weak_tls() {
        let fixture =
            Fixture::new().rest_domain("legacy.example.com", &["TLS_1_0"]).rest_domain("api.example.com", &["TLS_1_2"]);
        let found = fixture.findings("apigw-domain-weak-tls");
        insta::assert_yaml_snapshot!(summary(&found));
        assert_eq!(found.len(), 1);
    }

    #[test]
    fn cache_unencrypted() {
        let setting = |encrypted: bool| MethodSetting {
            logging_level: None,
            data_trace_enabled: false,
            metrics_enabled: false,
            caching_enabled: true,
            cache_data_encrypted: encrypted,
        };
        let with_stage = |name: &'static str, cache: bool, encrypted: bool| {
            move |api: &mut RestApi| {
                let stage = &mut api.stages.as_mut().unwrap()[0];
                stage.cache_cluster_enabled = cache;
                stage.method_settings.insert("*/*".into(), setting(encrypted));
                api.name = name.into();
            }
        };
        let fixture = Fixture::new()
            .rest_api("clear", "/x", &[("GET", "AWS_IAM", false, None)], with_stage("clear", true, false))
            .rest_api("sealed", "/x", &[("GET", "AWS_IAM", false, None)], with_stage("sealed", true, true))
            .rest_api("uncached", "/x", &[("GET", "AWS_IAM", false, None)], with_stage("uncached", false, false));
        let found = fixture.findings("apigw-cache-unencrypted");
        insta::assert_yaml_snapshot!(summary(&found));
        assert_eq!(found.len(), 1);
        assert!(found[0].title.contains("clear"));
    }

    #[test]
    fn stage_tracing_disabled() {
        let fixture = Fixture::new().rest_api("dark", "/x", &[("GET", "AWS_IAM", false, None)], |_| {}).rest_api(
            "traced",
            "/x",
            &[("GET", "AWS_IAM", false, None)],
            |api| api.stages.as_mut().unwrap()[0].tracing_enabled = true,
        );
        let found = fixture.findings("apigw-stage-tracing-disabled");
        insta::assert_yaml_snapshot!(summary(&found));
        assert_eq!(found.len(), 1);
        assert!(found[0].resource_arn.contains("dark-id"));
    }

    #[test]
    fn stage_no_waf() {
        let fixture = Fixture::new()
            .rest_api("open", "/x", &[("GET", "AWS_IAM", false, None)], |_| {})
            .rest_api("guarded", "/x", &[("GET", "AWS_IAM", false, None)], |api| {
                api.stages.as_mut().unwrap()[0].web_acl_arn =
                    Some("arn:aws:wafv2:us-east-1:123456789012:regional/webacl/core/1".into())
            })
            .rest_api("internal", "/x", &[("GET", "AWS_IAM", false, None)], |api| {
                api.endpoint_types = vec!["PRIVATE".into()]
            });
        let found = fixture.findings("apigw-stage-no-waf");
        insta::assert_yaml_snapshot!(summary(&found));
        assert_eq!(found.len(), 1);
        assert!(found[0].resource_arn.contains("open-id"));
    }
}
