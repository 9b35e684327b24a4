//! Lambda (per region): functions with their configuration, resource policy and function URLs.

use std::sync::atomic::{AtomicBool, Ordering};

use aws_sdk_lambda::Client;
use aws_sdk_lambda::types::FunctionConfiguration;
use futures::StreamExt;

use super::{Call, CallFailure, Ctx, Location};
use crate::inventory::lambda::*;
use crate::inventory::{ErrorKind, FELL_BACK, Observed, PolicyDocument, Redactor};

fn call(region: &str, operation: &'static str) -> Call {
    Call::new("lambda", region, operation)
}

pub(crate) async fn collect(ctx: &Ctx, lambda: &Client, at: &Location<'_>) -> LambdaInventory {
    let region = at.region;
    let listing = lambda.list_functions().into_paginator().send();
    let configurations: Vec<FunctionConfiguration> = ctx
        .pages(call(region, "ListFunctions"), listing)
        .await
        .unwrap_or_default()
        .into_iter()
        .flat_map(|page| page.functions.unwrap_or_default())
        .collect();

    // Some endpoints (emulators, older partitions) lack ListFunctionUrlConfigs: after the first such answer,
    // the region falls back to GetFunctionUrlConfig, which sees the unqualified function's URL only.
    let list_urls_unsupported = AtomicBool::new(false);
    let functions = futures::stream::iter(configurations)
        .filter_map(|config| {
            let function = function_from(&config, region, &ctx.redactor);
            if let Some(error) = config.environment().and_then(|e| e.error()) {
                let failure = CallFailure {
                    kind: ErrorKind::AccessDenied,
                    code: error.error_code().map(str::to_owned),
                    message: format!("environment variables unreadable: {}", error.message().unwrap_or_default()),
                    not_found: false,
                };
                ctx.record(&call(region, "ListFunctions").on(config.function_arn().unwrap_or_default()), failure);
            }
            futures::future::ready(function)
        })
        .map(|mut function| {
            let unsupported = &list_urls_unsupported;
            async move {
                let (policy, urls) = tokio::join!(
                    resource_policy(ctx, lambda, region, &function.arn),
                    function_urls(ctx, lambda, region, &function.arn, unsupported)
                );
                function.resource_policy = policy;
                function.function_urls = urls;
                function
            }
        })
        .buffer_unordered(ctx.fanout())
        .collect::<Vec<_>>()
        .await;
    let (event_source_mappings, mappings_listed) = event_source_mappings(ctx, lambda, at).await;
    LambdaInventory {
        functions: functions.into_iter().map(|f| (f.arn.clone(), f)).collect(),
        event_source_mappings,
        mappings_listed_regions: if mappings_listed { vec![region.to_owned()] } else { Vec::new() },
    }
}

/// ListEventSourceMappings' largest page.
const MAPPINGS_PAGE: i32 = 100;

/// Every event source mapping of the region, and whether the listing came in full.
async fn event_source_mappings(
    ctx: &Ctx,
    lambda: &Client,
    at: &Location<'_>,
) -> (std::collections::BTreeMap<String, EventSourceMapping>, bool) {
    let region = at.region;
    let listing = lambda.list_event_source_mappings().max_items(MAPPINGS_PAGE).into_paginator().send();
    let (pages, complete) = ctx.listing(call(region, "ListEventSourceMappings"), listing).await;
    let mappings = pages
        .unwrap_or_default()
        .iter()
        .flat_map(|page| page.event_source_mappings())
        .filter_map(|m| {
            let uuid = m.uuid()?.to_owned();
            let arn = m.event_source_mapping_arn().map(str::to_owned).unwrap_or_else(|| {
                format!("arn:{}:lambda:{region}:{}:event-source-mapping:{uuid}", at.partition, at.account)
            });
            let mut filters: Vec<String> = m
                .filter_criteria()
                .map(|c| c.filters().iter().filter_map(|f| f.pattern().map(str::to_owned)).collect())
                .unwrap_or_default();
            filters.sort();
            let mapping = EventSourceMapping {
                uuid,
                region: region.to_owned(),
                source_arn: m.event_source_arn().map(str::to_owned),
                function_arn: crate::analyze::graph::unqualified(m.function_arn()?),
                state: m.state().map(str::to_owned),
                filters,
                arn: arn.clone(),
            };
            Some((arn, mapping))
        })
        .collect();
    (mappings, complete)
}

/// The fewest requests that give this inventory: the function and mapping listings per region, then each
/// function's policy and URLs.
pub(crate) fn minimum_requests(lambda: &LambdaInventory, regions: usize) -> usize {
    let mapping_regions = lambda.event_source_mappings.values().map(|m| m.region.as_str());
    regions + lambda.functions.len() * 2 + super::pages_needed(mapping_regions, regions, MAPPINGS_PAGE as usize)
}

fn function_from(config: &FunctionConfiguration, region: &str, redactor: &Redactor) -> Option<LambdaFunction> {
    let arn = config.function_arn()?.to_owned();
    let environment = config
        .environment()
        .and_then(|e| e.variables())
        .map(|vars| vars.iter().map(|(name, value)| (name.clone(), redactor.redact(name, value.clone()))).collect())
        .unwrap_or_default();
    Some(LambdaFunction {
        name: config
            .function_name()
            .map(str::to_owned)
            .unwrap_or_else(|| arn.rsplit(':').next().unwrap_or_default().to_owned()),
        arn,
        region: region.to_owned(),
        runtime: config.runtime().map(|r| r.as_str().to_owned()),
        package_type: config.package_type().map(|p| p.as_str().to_owned()),
        handler: config.handler().map(str::to_owned),
        role: config.role().map(str::to_owned),
        environment,
        kms_key_arn: config.kms_key_arn().map(str::to_owned),
        tracing_mode: config.tracing_config().and_then(|t| t.mode()).map(|m| m.as_str().to_owned()),
        vpc: config
            .vpc_config()
            .filter(|v| !v.subnet_ids().is_empty() || v.vpc_id().is_some_and(|id| !id.is_empty()))
            .map(|v| VpcConfig {
                vpc_id: v.vpc_id().filter(|id| !id.is_empty()).map(str::to_owned),
                subnet_ids: v.subnet_ids().to_vec(),
                security_group_ids: v.security_group_ids().to_vec(),
            }),
        layers: config.layers().iter().filter_map(|l| l.arn().map(str::to_owned)).collect(),
        dead_letter_target: config.dead_letter_config().and_then(|d| d.target_arn()).map(str::to_owned),
        architectures: config.architectures().iter().map(|a| a.as_str().to_owned()).collect(),
        memory_mb: config.memory_size(),
        timeout_s: config.timeout(),
        last_modified: config.last_modified().map(str::to_owned),
        resource_policy: Observed::Unknown,
        function_urls: None,
        log_group: config.logging_config().and_then(|l| l.log_group()).filter(|g| !g.is_empty()).map(str::to_owned),
    })
}

async fn resource_policy(ctx: &Ctx, lambda: &Client, region: &str, arn: &str) -> Observed<PolicyDocument> {
    let request = lambda.get_policy().function_name(arn).send();
    ctx.fetch_policy(call(region, "GetPolicy").on(arn), request, |out| out.policy()).await
}

fn cors_from(cors: Option<&aws_sdk_lambda::types::Cors>) -> Option<Cors> {
    cors.map(|c| Cors {
        allow_origins: c.allow_origins().to_vec(),
        allow_methods: c.allow_methods().to_vec(),
        allow_headers: c.allow_headers().to_vec(),
        allow_credentials: c.allow_credentials(),
    })
}

/// A function URL from either the listing's entries or GetFunctionUrlConfig's answer (two SDK types).
fn function_url(
    url: &str,
    function_arn: &str,
    auth_type: &aws_sdk_lambda::types::FunctionUrlAuthType,
    invoke_mode: Option<&aws_sdk_lambda::types::InvokeMode>,
    cors: Option<&aws_sdk_lambda::types::Cors>,
) -> FunctionUrl {
    FunctionUrl {
        url: url.to_owned(),
        function_arn: function_arn.to_owned(),
        auth_type: auth_type.as_str().to_owned(),
        invoke_mode: invoke_mode.map(|m| m.as_str().to_owned()),
        cors: cors_from(cors),
    }
}

async fn function_urls(
    ctx: &Ctx,
    lambda: &Client,
    region: &str,
    arn: &str,
    list_unsupported: &AtomicBool,
) -> Option<Vec<FunctionUrl>> {
    if !list_unsupported.load(Ordering::Relaxed) {
        let request = lambda.list_function_url_configs().function_name(arn).into_paginator().send();
        let (pages, failure) = ctx.try_pages(request).await;
        match failure.map_or(Ok(pages), Err) {
            Ok(pages) => {
                let mut urls: Vec<FunctionUrl> = pages
                    .iter()
                    .flat_map(|page| page.function_url_configs())
                    .map(|c| function_url(c.function_url(), c.function_arn(), c.auth_type(), c.invoke_mode(), c.cors()))
                    .collect();
                urls.sort_by(|a, b| a.function_arn.cmp(&b.function_arn));
                return Some(urls);
            }
            Err(failure) if failure.kind == ErrorKind::Unsupported => {
                if !list_unsupported.swap(true, Ordering::Relaxed) {
                    let failure = CallFailure {
                        message: format!(
                            "{}; {FELL_BACK} GetFunctionUrlConfig (unqualified functions only)",
                            failure.message
                        ),
                        ..failure
                    };
                    ctx.record(&call(region, "ListFunctionUrlConfigs"), failure);
                }
            }
            Err(failure) => {
                ctx.record(&call(region, "ListFunctionUrlConfigs").on(arn), failure);
                return None;
            }
        }
    }
    let request = lambda.get_function_url_config().function_name(arn).send();
    match ctx.fetch_observed(call(region, "GetFunctionUrlConfig").on(arn), request).await {
        Observed::Present(c) => {
            Some(vec![function_url(c.function_url(), c.function_arn(), c.auth_type(), c.invoke_mode(), c.cors())])
        }
        Observed::Absent => Some(Vec::new()),
        Observed::Unknown => None,
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_lambda::operation::{
        get_policy::GetPolicyOutput, list_event_source_mappings::ListEventSourceMappingsOutput,
        list_function_url_configs::ListFunctionUrlConfigsOutput, list_functions::ListFunctionsOutput,
    };
    use aws_sdk_lambda::types::{
        DeadLetterConfig, EnvironmentResponse, EventSourceMappingConfiguration, Filter, FilterCriteria,
        FunctionConfiguration, FunctionUrlAuthType, FunctionUrlConfig, Runtime,
    };
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    use super::*;
    use crate::collect::call::test_support::{ctx, rest_json_error};

    fn function(name: &str) -> FunctionConfiguration {
        FunctionConfiguration::builder()
            .function_name(name)
            .function_arn(format!("arn:aws:lambda:us-east-1:123456789012:function:{name}"))
            .runtime(Runtime::Python312)
            .role("arn:aws:iam::123456789012:role/r")
            .environment(
                EnvironmentResponse::builder()
                    .variables("DB_PASSWORD", "s3cr3t-value")
                    .variables("TABLE", "orders")
                    .build(),
            )
            .kms_key_arn("arn:aws:kms:us-east-1:123456789012:key/k1")
            .dead_letter_config(
                DeadLetterConfig::builder().target_arn("arn:aws:sqs:us-east-1:123456789012:dlq").build(),
            )
            .build()
    }

    #[tokio::test]
    async fn pages_policies_and_urls() {
        let page1 = mock!(Client::list_functions)
            .match_requests(|r| r.marker().is_none())
            .then_output(|| ListFunctionsOutput::builder().functions(function("a")).next_marker("m1").build());
        let page2 = mock!(Client::list_functions)
            .match_requests(|r| r.marker() == Some("m1"))
            .then_output(|| ListFunctionsOutput::builder().functions(function("b")).build());
        let policy_a = mock!(Client::get_policy)
            .match_requests(|r| r.function_name().is_some_and(|f| f.ends_with(":a")))
            .then_output(|| GetPolicyOutput::builder().policy(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction"}]}"#).build());
        let policy_b = mock!(Client::get_policy)
            .match_requests(|r| r.function_name().is_some_and(|f| f.ends_with(":b")))
            .then_http_response(|| {
                rest_json_error(404, "ResourceNotFoundException", "The resource you requested does not exist.")
            });
        let urls = mock!(Client::list_function_url_configs).then_output(|| {
            ListFunctionUrlConfigsOutput::builder()
                .function_url_configs(
                    FunctionUrlConfig::builder()
                        .function_url("https://x.lambda-url.us-east-1.on.aws/")
                        .function_arn("arn:aws:lambda:us-east-1:123456789012:function:a:live")
                        .auth_type(FunctionUrlAuthType::None)
                        .creation_time("t")
                        .last_modified_time("t")
                        .build()
                        .expect("complete url config"),
                )
                .build()
                .expect("complete output")
        });
        let mappings = mock!(Client::list_event_source_mappings).then_output(|| {
            ListEventSourceMappingsOutput::builder()
                .event_source_mappings(
                    EventSourceMappingConfiguration::builder()
                        .uuid("0b8e-uuid")
                        .event_source_arn("arn:aws:sqs:us-east-1:123456789012:orders")
                        .function_arn("arn:aws:lambda:us-east-1:123456789012:function:a:live")
                        .state("Enabled")
                        .filter_criteria(
                            FilterCriteria::builder()
                                .filters(Filter::builder().pattern(r#"{"body":{"kind":["order"]}}"#).build())
                                .build(),
                        )
                        .build(),
                )
                .build()
        });
        let client =
            mock_client!(aws_sdk_lambda, RuleMode::MatchAny, [&page1, &page2, &policy_a, &policy_b, &urls, &mappings]);
        let ctx = ctx();
        let inventory = collect(
            &ctx,
            &client,
            &crate::collect::Location { region: "us-east-1", partition: "aws", account: "123456789012", scanned: &[] },
        )
        .await;

        assert_eq!(page1.num_calls() + page2.num_calls(), 2, "both pages read");
        assert_eq!(inventory.functions.len(), 2);
        let a = &inventory.functions["arn:aws:lambda:us-east-1:123456789012:function:a"];
        assert_eq!(a.resource_policy.present().map(|p| p.statements().len()), Some(1));
        assert_eq!(a.function_urls.as_ref().map(|u| u[0].auth_type.as_str()), Some("NONE"));
        assert_eq!(a.environment["DB_PASSWORD"].kind, crate::inventory::ValueKind::SecretByName);
        assert_eq!(a.kms_key_arn.as_deref(), Some("arn:aws:kms:us-east-1:123456789012:key/k1"));
        assert_eq!(a.dead_letter_target.as_deref(), Some("arn:aws:sqs:us-east-1:123456789012:dlq"));
        let b = &inventory.functions["arn:aws:lambda:us-east-1:123456789012:function:b"];
        assert_eq!(b.resource_policy, Observed::Absent, "no policy is not a gap");
        let mapping =
            &inventory.event_source_mappings["arn:aws:lambda:us-east-1:123456789012:event-source-mapping:0b8e-uuid"];
        assert_eq!(mapping.function_arn, "arn:aws:lambda:us-east-1:123456789012:function:a", "unqualified");
        assert_eq!(mapping.source_arn.as_deref(), Some("arn:aws:sqs:us-east-1:123456789012:orders"));
        assert_eq!(mapping.filters.len(), 1);
        assert!(mapping.is_enabled());
        assert_eq!(inventory.mappings_listed_regions, ["us-east-1"]);
        assert!(ctx.into_coverage().is_empty());
    }

    #[tokio::test]
    async fn denied_and_unsupported_calls_become_coverage() {
        let list = mock!(Client::list_functions)
            .then_output(|| ListFunctionsOutput::builder().functions(function("a")).build());
        let denied = mock!(Client::get_policy).then_http_response(|| {
            rest_json_error(403, "AccessDeniedException", "not authorized to perform lambda:GetPolicy")
        });
        let unsupported = mock!(Client::list_function_url_configs).then_http_response(|| {
            aws_smithy_runtime_api::client::orchestrator::HttpResponse::new(
                aws_smithy_runtime_api::http::StatusCode::try_from(404).expect("status"),
                aws_smithy_types::body::SdkBody::from("<html>404 Not Found</html>"),
            )
        });
        let single = mock!(Client::get_function_url_config)
            .then_http_response(|| rest_json_error(404, "ResourceNotFoundException", "no url"));
        let mappings_denied = mock!(Client::list_event_source_mappings).then_http_response(|| {
            rest_json_error(403, "AccessDeniedException", "not authorized to perform lambda:ListEventSourceMappings")
        });
        let client =
            mock_client!(aws_sdk_lambda, RuleMode::MatchAny, [&list, &denied, &unsupported, &single, &mappings_denied]);
        let ctx = ctx();
        let inventory = collect(
            &ctx,
            &client,
            &crate::collect::Location { region: "us-east-1", partition: "aws", account: "123456789012", scanned: &[] },
        )
        .await;
        let function = inventory.functions.values().next().expect("the function is still inventoried");
        assert!(function.resource_policy.is_unknown());
        assert_eq!(function.function_urls, Some(Vec::new()), "fallback says: no URL");
        let coverage = ctx.into_coverage();
        assert!(inventory.mappings_listed_regions.is_empty(), "the mappings were not seen: none is not concluded");
        assert_eq!(coverage.len(), 3, "{coverage:#?}");
        let policy = coverage.iter().find(|r| r.operation == "GetPolicy").expect("GetPolicy gap");
        assert_eq!(policy.error_kind, ErrorKind::AccessDenied);
        assert_eq!(policy.code.as_deref(), Some("AccessDeniedException"));
        assert_eq!(policy.resource.as_deref(), Some(function.arn.as_str()));
        let urls = coverage.iter().find(|r| r.operation == "ListFunctionUrlConfigs").expect("listing gap");
        assert_eq!(urls.error_kind, ErrorKind::Unsupported);
    }
}
