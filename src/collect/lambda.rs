//! Lambda (per region): functions with their configuration, resource policy and function URLs.

use std::sync::atomic::{AtomicBool, Ordering};

use aws_sdk_lambda::Client;
use aws_sdk_lambda::types::FunctionConfiguration;
use futures::StreamExt;

use super::{Call, CallFailure, Ctx};
use crate::inventory::lambda::*;
use crate::inventory::{ErrorKind, Observed, PolicyDocument, Redactor};

fn call(region: &str, operation: &'static str) -> Call {
    Call::new("lambda", region, operation)
}

pub(crate) async fn collect(ctx: &Ctx, lambda: &Client, region: &str) -> LambdaInventory {
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
    LambdaInventory { functions: functions.into_iter().map(|f| (f.arn.clone(), f)).collect() }
}

fn function_from(config: &FunctionConfiguration, region: &str, redactor: &Redactor) -> Option<LambdaFunction> {
    let arn = config.function_arn()?.to_owned();
    let environment = config
        .environment()
        .and_then(|e| e.variables())
        .map(|vars| vars.iter().map(|(name, value)| (name.clone(), redactor.redact(name, value.clone()))).collect())
        .unwrap_or_default();
    Some(LambdaFunction {
        name: config.function_name().map(str::to_owned).unwrap_or_else(|| arn.rsplit(':').next().unwrap_or_default().to_owned()),
        arn,
        region: region.to_owned(),
        runtime: config.runtime().map(|r| r.as_str().to_owned()),
        package_type: config.package_type().map(|p| p.as_str().to_owned()),
        handler: config.handler().map(str::to_owned),
        role: config.role().map(str::to_owned),
        environment,
        kms_key_arn: config.kms_key_arn().map(str::to_owned),
        tracing_mode: config.tracing_config().and_then(|t| t.mode()).map(|m| m.as_str().to_owned()),
        vpc: config.vpc_config().filter(|v| !v.subnet_ids().is_empty() || v.vpc_id().is_some_and(|id| !id.is_empty())).map(|v| VpcConfig {
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
    })
}

async fn resource_policy(ctx: &Ctx, lambda: &Client, region: &str, arn: &str) -> Observed<PolicyDocument> {
    let request = lambda.get_policy().function_name(arn).send();
    match ctx.fetch_observed(call(region, "GetPolicy").on(arn), request).await {
        Observed::Present(output) => match output.policy() {
            Some(policy) => Observed::Present(PolicyDocument::parse(policy)),
            None => Observed::Absent,
        },
        Observed::Absent => Observed::Absent,
        Observed::Unknown => Observed::Unknown,
    }
}

fn cors_from(cors: Option<&aws_sdk_lambda::types::Cors>) -> Option<Cors> {
    cors.map(|c| Cors {
        allow_origins: c.allow_origins().to_vec(),
        allow_methods: c.allow_methods().to_vec(),
        allow_headers: c.allow_headers().to_vec(),
        allow_credentials: c.allow_credentials(),
    })
}

async fn function_urls(ctx: &Ctx, lambda: &Client, region: &str, arn: &str, list_unsupported: &AtomicBool) -> Option<Vec<FunctionUrl>> {
    if !list_unsupported.load(Ordering::Relaxed) {
        let request = lambda.list_function_url_configs().function_name(arn).into_paginator().send();
        let (pages, failure) = ctx.try_pages(request).await;
        match failure.map_or(Ok(pages), Err) {
            Ok(pages) => {
                let mut urls: Vec<FunctionUrl> = pages
                    .iter()
                    .flat_map(|page| page.function_url_configs())
                    .map(|c| FunctionUrl {
                        url: c.function_url().to_owned(),
                        function_arn: c.function_arn().to_owned(),
                        auth_type: c.auth_type().as_str().to_owned(),
                        invoke_mode: c.invoke_mode().map(|m| m.as_str().to_owned()),
                        cors: cors_from(c.cors()),
                    })
                    .collect();
                urls.sort_by(|a, b| a.function_arn.cmp(&b.function_arn));
                return Some(urls);
            }
            Err(failure) if failure.kind == ErrorKind::Unsupported => {
                if !list_unsupported.swap(true, Ordering::Relaxed) {
                    let failure = CallFailure {
                        message: format!("{}; fell back to GetFunctionUrlConfig (unqualified functions only)", failure.message),
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
        Observed::Present(c) => Some(vec![FunctionUrl {
            url: c.function_url().to_owned(),
            function_arn: c.function_arn().to_owned(),
            auth_type: c.auth_type().as_str().to_owned(),
            invoke_mode: c.invoke_mode().map(|m| m.as_str().to_owned()),
            cors: cors_from(c.cors()),
        }]),
        Observed::Absent => Some(Vec::new()),
        Observed::Unknown => None,
    }
}
