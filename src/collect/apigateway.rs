//! API Gateway REST APIs (per region): APIs with their resource policy, resources and methods (with the
//! Lambda function each integration invokes), authorizers, stages; API keys (never their values), usage
//! plans and custom domain names.

use std::collections::BTreeMap;

use aws_sdk_apigateway::Client;
use futures::StreamExt;

use super::call::timestamp;
use super::{Call, Ctx, Location};
use crate::inventory::apigateway::*;
use crate::inventory::{PolicyDocument, arn};

fn call(region: &str, operation: &'static str) -> Call {
    Call::new("apigateway", region, operation)
}

pub(crate) async fn collect(ctx: &Ctx, client: &Client, at: &Location<'_>) -> RestInventory {
    let region = at.region;
    let apis = async {
        let listing = client.get_rest_apis().limit(500).into_paginator().send();
        let summaries: Vec<_> = ctx
            .pages(call(region, "GetRestApis"), listing)
            .await
            .unwrap_or_default()
            .into_iter()
            .flat_map(|page| page.items.unwrap_or_default())
            .collect();
        futures::stream::iter(summaries)
            .filter_map(|api| futures::future::ready(rest_api(&api, region)))
            .map(|api| api_details(ctx, client, region, api))
            .buffer_unordered(ctx.fanout())
            .collect::<Vec<_>>()
            .await
    };
    let (apis, api_keys, usage_plans, domain_names) = tokio::join!(
        apis,
        api_keys(ctx, client, region),
        usage_plans(ctx, client, region),
        domain_names(ctx, client, region)
    );
    RestInventory {
        apis: apis.into_iter().map(|a| (a.arn.clone(), a)).collect(),
        api_keys: api_keys.into_iter().map(|k| (k.arn.clone(), k)).collect(),
        usage_plans: usage_plans.into_iter().map(|p| (p.arn.clone(), p)).collect(),
        domain_names: domain_names.into_iter().map(|d| (d.arn.clone(), d)).collect(),
    }
}

/// The fewest requests that give this inventory: four listings per region (APIs, keys, plans, domains), three
/// reads per API (resources, authorizers, stages) and the keys of each usage plan.
pub(crate) fn minimum_requests(rest: &RestInventory, regions: usize) -> usize {
    regions * 4 + rest.apis.len() * 3 + rest.usage_plans.len()
}

fn rest_api(api: &aws_sdk_apigateway::types::RestApi, region: &str) -> Option<RestApi> {
    let id = api.id()?.to_owned();
    Some(RestApi {
        arn: arn::rest_api(region, &id),
        name: api.name().unwrap_or_default().to_owned(),
        region: region.to_owned(),
        endpoint_types: api
            .endpoint_configuration()
            .map(|e| e.types().iter().map(|t| t.as_str().to_owned()).collect())
            .unwrap_or_default(),
        created_date: api.created_date().and_then(timestamp),
        resource_policy: api.policy().filter(|p| !p.trim().is_empty()).map(PolicyDocument::parse),
        api_key_source: api.api_key_source().map(|s| s.as_str().to_owned()),
        disable_execute_api_endpoint: api.disable_execute_api_endpoint(),
        tags: super::tagging::tag_map(api.tags()),
        resources: None,
        authorizers: None,
        stages: None,
        id,
    })
}

async fn api_details(ctx: &Ctx, client: &Client, region: &str, mut api: RestApi) -> RestApi {
    let id = api.id.clone();
    let resources = async {
        // `embed=methods` returns each method with its integration: one listing instead of two calls per method.
        let listing = client.get_resources().rest_api_id(&id).embed("methods").limit(500).into_paginator().send();
        let pages = ctx.pages(call(region, "GetResources").on(&api.arn), listing).await?;
        let mut resources: Vec<RestResource> = pages
            .into_iter()
            .flat_map(|p| p.items.unwrap_or_default())
            .filter_map(|r| rest_resource(&r, region, &id))
            .collect();
        resources.sort_by(|a, b| a.path.cmp(&b.path));
        Some(resources)
    };
    let authorizers = async {
        let pages = ctx
            .token_pages(
                call(region, "GetAuthorizers").on(&api.arn),
                |position| client.get_authorizers().rest_api_id(&id).limit(500).set_position(position).send(),
                |page| page.position().map(str::to_owned),
            )
            .await?;
        let mut authorizers: Vec<Authorizer> = pages
            .iter()
            .flat_map(|p| p.items())
            .filter_map(|a| {
                let authorizer_id = a.id()?.to_owned();
                let uri = a.authorizer_uri().map(str::to_owned);
                Some(Authorizer {
                    arn: arn::rest_authorizer(region, &id, &authorizer_id),
                    id: authorizer_id,
                    name: a.name().map(str::to_owned),
                    authorizer_type: a.r#type().map(|t| t.as_str().to_owned()),
                    lambda_arn: uri.as_deref().and_then(arn::lambda_from_integration_uri),
                    authorizer_uri: uri,
                    identity_source: a
                        .identity_source()
                        .map(|s| s.split(',').map(|p| p.trim().to_owned()).collect())
                        .unwrap_or_default(),
                    provider_arns: a.provider_arns().to_vec(),
                    jwt_issuer: None,
                    jwt_audience: Vec::new(),
                })
            })
            .collect();
        authorizers.sort_by(|a, b| a.id.cmp(&b.id));
        Some(authorizers)
    };
    let stages = async {
        let output =
            ctx.fetch(call(region, "GetStages").on(&api.arn), client.get_stages().rest_api_id(&id).send()).await?;
        let mut stages: Vec<RestStage> = output.item().iter().filter_map(|s| rest_stage(s, region, &id)).collect();
        stages.sort_by(|a, b| a.name.cmp(&b.name));
        Some(stages)
    };
    let (resources, authorizers, stages) = tokio::join!(resources, authorizers, stages);
    api.resources = resources;
    api.authorizers = authorizers;
    api.stages = stages;
    api
}

fn rest_resource(resource: &aws_sdk_apigateway::types::Resource, region: &str, api_id: &str) -> Option<RestResource> {
    let id = resource.id()?.to_owned();
    let mut methods: Vec<RestMethod> = resource
        .resource_methods()
        .map(|methods| {
            methods
                .iter()
                .map(|(verb, method)| {
                    let verb = method.http_method().unwrap_or(verb).to_owned();
                    RestMethod {
                        arn: arn::rest_method(region, api_id, &id, &verb),
                        http_method: verb,
                        authorization_type: method.authorization_type().unwrap_or("NONE").to_owned(),
                        authorizer_id: method.authorizer_id().map(str::to_owned),
                        api_key_required: method.api_key_required().unwrap_or(false),
                        integration: method.method_integration().map(|i| {
                            let uri = i.uri().map(str::to_owned);
                            Integration {
                                integration_type: i.r#type().map(|t| t.as_str().to_owned()),
                                lambda_arn: uri.as_deref().and_then(arn::lambda_from_integration_uri),
                                uri,
                                connection_type: i.connection_type().map(|c| c.as_str().to_owned()),
                            }
                        }),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    methods.sort_by(|a, b| a.http_method.cmp(&b.http_method));
    Some(RestResource { path: resource.path().unwrap_or_default().to_owned(), id, methods })
}

fn rest_stage(stage: &aws_sdk_apigateway::types::Stage, region: &str, api_id: &str) -> Option<RestStage> {
    let name = stage.stage_name()?.to_owned();
    let method_settings: BTreeMap<String, MethodSetting> = stage
        .method_settings()
        .map(|settings| {
            settings
                .iter()
                .map(|(key, s)| {
                    (
                        key.clone(),
                        MethodSetting {
                            logging_level: s.logging_level().map(str::to_owned),
                            data_trace_enabled: s.data_trace_enabled(),
                            metrics_enabled: s.metrics_enabled(),
                            caching_enabled: s.caching_enabled(),
                            cache_data_encrypted: s.cache_data_encrypted(),
                        },
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    Some(RestStage {
        arn: arn::rest_stage(region, api_id, &name),
        name,
        deployment_id: stage.deployment_id().map(str::to_owned),
        method_settings,
        access_log: stage.access_log_settings().filter(|a| a.destination_arn().is_some()).map(|a| AccessLog {
            destination_arn: a.destination_arn().map(str::to_owned),
            format: a.format().map(str::to_owned),
        }),
        tracing_enabled: stage.tracing_enabled(),
        web_acl_arn: stage.web_acl_arn().map(str::to_owned),
        client_certificate_id: stage.client_certificate_id().map(str::to_owned),
        cache_cluster_enabled: stage.cache_cluster_enabled(),
        created_date: stage.created_date().and_then(timestamp),
        last_updated_date: stage.last_updated_date().and_then(timestamp),
    })
}

async fn api_keys(ctx: &Ctx, client: &Client, region: &str) -> Vec<ApiKey> {
    // include_values is never set: the key values are secrets and stance has no use for them.
    let listing = client.get_api_keys().limit(500).into_paginator().send();
    let pages = ctx.pages(call(region, "GetApiKeys"), listing).await.unwrap_or_default();
    pages
        .iter()
        .flat_map(|p| p.items())
        .filter_map(|key| {
            let id = key.id()?.to_owned();
            Some(ApiKey {
                arn: arn::api_key(region, &id),
                id,
                name: key.name().map(str::to_owned),
                region: region.to_owned(),
                enabled: key.enabled(),
                created_date: key.created_date().and_then(timestamp),
                last_updated_date: key.last_updated_date().and_then(timestamp),
                stage_keys: key.stage_keys().to_vec(),
            })
        })
        .collect()
}

async fn usage_plans(ctx: &Ctx, client: &Client, region: &str) -> Vec<UsagePlan> {
    let listing = client.get_usage_plans().limit(500).into_paginator().send();
    let plans: Vec<_> = ctx
        .pages(call(region, "GetUsagePlans"), listing)
        .await
        .unwrap_or_default()
        .into_iter()
        .flat_map(|p| p.items.unwrap_or_default())
        .collect();
    futures::stream::iter(plans)
        .filter_map(|plan| futures::future::ready(plan.id().map(str::to_owned).map(|id| (id, plan))))
        .map(|(id, plan)| async move {
            let plan_arn = arn::usage_plan(region, &id);
            let listing = client.get_usage_plan_keys().usage_plan_id(&id).limit(500).into_paginator().send();
            let key_ids = ctx.pages(call(region, "GetUsagePlanKeys").on(&plan_arn), listing).await.map(|pages| {
                let mut ids: Vec<String> =
                    pages.iter().flat_map(|p| p.items()).filter_map(|k| k.id().map(str::to_owned)).collect();
                ids.sort();
                ids
            });
            UsagePlan {
                arn: plan_arn,
                name: plan.name().map(str::to_owned),
                region: region.to_owned(),
                api_stages: plan
                    .api_stages()
                    .iter()
                    .map(|s| format!("{}/{}", s.api_id().unwrap_or_default(), s.stage().unwrap_or_default()))
                    .collect(),
                throttle_rate_limit: plan.throttle().map(|t| t.rate_limit()),
                throttle_burst_limit: plan.throttle().map(|t| t.burst_limit()),
                quota_limit: plan.quota().map(|q| q.limit()),
                quota_period: plan.quota().and_then(|q| q.period()).map(|p| p.as_str().to_owned()),
                key_ids,
                id,
            }
        })
        .buffer_unordered(ctx.fanout())
        .collect()
        .await
}

async fn domain_names(ctx: &Ctx, client: &Client, region: &str) -> Vec<DomainName> {
    let listing = client.get_domain_names().limit(500).into_paginator().send();
    let pages = ctx.pages(call(region, "GetDomainNames"), listing).await.unwrap_or_default();
    pages
        .iter()
        .flat_map(|p| p.items())
        .filter_map(|d| {
            let name = d.domain_name()?.to_owned();
            Some(DomainName {
                arn: arn::domain_name(region, &name),
                name,
                region: region.to_owned(),
                security_policies: d.security_policy().map(|p| vec![p.as_str().to_owned()]).unwrap_or_default(),
                endpoint_types: d
                    .endpoint_configuration()
                    .map(|e| e.types().iter().map(|t| t.as_str().to_owned()).collect())
                    .unwrap_or_default(),
                certificate_arns: [d.certificate_arn(), d.regional_certificate_arn()]
                    .into_iter()
                    .flatten()
                    .map(str::to_owned)
                    .collect(),
            })
        })
        .collect()
}
