//! API Gateway HTTP and WebSocket APIs (per region): APIs, routes (with the Lambda function each route's
//! integration invokes), integrations, authorizers, stages and custom domain names.

use std::collections::BTreeSet;

use aws_sdk_apigatewayv2::Client;
use aws_sdk_apigatewayv2::types::{AuthorizerType, JwtConfiguration};
use futures::StreamExt;

use super::call::timestamp;
use super::{Call, Ctx, Location};
use crate::inventory::apigateway::*;
use crate::inventory::arn;
use crate::inventory::lambda::Cors;

fn call(region: &str, operation: &'static str) -> Call {
    Call::new("apigatewayv2", region, operation)
}

const PAGE: &str = "500";

pub(crate) async fn collect(ctx: &Ctx, client: &Client, at: &Location<'_>) -> HttpInventory {
    let region = at.region;
    let apis = async {
        let pages = ctx
            .token_pages(
                call(region, "GetApis"),
                |token| client.get_apis().max_results(PAGE).set_next_token(token).send(),
                |page| page.next_token().map(str::to_owned),
            )
            .await
            .unwrap_or_default();
        futures::stream::iter(
            pages.iter().flat_map(|p| p.items()).filter_map(|api| http_api(api, region)).collect::<Vec<_>>(),
        )
        .map(|api| api_details(ctx, client, region, api))
        .buffer_unordered(ctx.fanout())
        .collect::<Vec<_>>()
        .await
    };
    let (apis, domain_names) = tokio::join!(apis, domain_names(ctx, client, region));
    HttpInventory {
        apis: apis.into_iter().map(|a| (a.arn.clone(), a)).collect(),
        domain_names: domain_names.into_iter().map(|d| (d.arn.clone(), d)).collect(),
    }
}

/// The fewest requests that give this inventory: two listings per region (APIs, domains) and four reads per API
/// (routes, integrations, authorizers, stages).
pub(crate) fn minimum_requests(http: &HttpInventory, regions: usize) -> usize {
    regions * 2 + http.apis.len() * 4
}

fn http_api(api: &aws_sdk_apigatewayv2::types::Api, region: &str) -> Option<HttpApi> {
    let id = api.api_id()?.to_owned();
    Some(HttpApi {
        arn: arn::http_api(region, &id),
        name: api.name().unwrap_or_default().to_owned(),
        region: region.to_owned(),
        protocol_type: api.protocol_type().map(|p| p.as_str().to_owned()).unwrap_or_default(),
        endpoint: api.api_endpoint().map(str::to_owned),
        disable_execute_api_endpoint: api.disable_execute_api_endpoint().unwrap_or(false),
        api_key_selection_expression: api.api_key_selection_expression().map(str::to_owned),
        cors: api.cors_configuration().map(|c| Cors {
            allow_origins: c.allow_origins().to_vec(),
            allow_methods: c.allow_methods().to_vec(),
            allow_headers: c.allow_headers().to_vec(),
            allow_credentials: c.allow_credentials(),
        }),
        created_date: api.created_date().and_then(timestamp),
        tags: super::tagging::tag_map(api.tags()),
        routes: None,
        integrations: None,
        authorizers: None,
        stages: None,
        id,
    })
}

struct AuthorizerFields<'a> {
    id: &'a str,
    name: Option<&'a str>,
    authorizer_type: Option<&'a AuthorizerType>,
    uri: Option<&'a str>,
    identity_source: &'a [String],
    jwt: Option<&'a JwtConfiguration>,
}

fn authorizer(region: &str, api_id: &str, fields: AuthorizerFields<'_>) -> Authorizer {
    Authorizer {
        arn: arn::http_authorizer(region, api_id, fields.id),
        id: fields.id.to_owned(),
        name: fields.name.map(str::to_owned),
        authorizer_type: fields.authorizer_type.map(|t| t.as_str().to_owned()),
        authorizer_uri: fields.uri.map(str::to_owned),
        lambda_arn: fields.uri.and_then(arn::lambda_from_integration_uri),
        identity_source: fields.identity_source.to_vec(),
        provider_arns: Vec::new(),
        jwt_issuer: fields.jwt.and_then(|j| j.issuer()).map(str::to_owned),
        jwt_audience: fields.jwt.map(|j| j.audience().to_vec()).unwrap_or_default(),
    }
}

async fn api_details(ctx: &Ctx, client: &Client, region: &str, mut api: HttpApi) -> HttpApi {
    let id = api.id.clone();
    let api_arn = api.arn.clone();
    let routes = ctx.token_pages(
        call(region, "GetRoutes").on(&api_arn),
        |token| client.get_routes().api_id(&id).max_results(PAGE).set_next_token(token).send(),
        |page| page.next_token().map(str::to_owned),
    );
    let integrations = ctx.token_pages(
        call(region, "GetIntegrations").on(&api_arn),
        |token| client.get_integrations().api_id(&id).max_results(PAGE).set_next_token(token).send(),
        |page| page.next_token().map(str::to_owned),
    );
    let authorizers = ctx.token_pages(
        call(region, "GetAuthorizers").on(&api_arn),
        |token| client.get_authorizers().api_id(&id).max_results(PAGE).set_next_token(token).send(),
        |page| page.next_token().map(str::to_owned),
    );
    let stages = ctx.token_pages(
        call(region, "GetStages").on(&api_arn),
        |token| client.get_stages().api_id(&id).max_results(PAGE).set_next_token(token).send(),
        |page| page.next_token().map(str::to_owned),
    );
    let (routes, integrations, authorizers, stages) = tokio::join!(routes, integrations, authorizers, stages);

    let integrations: Option<Vec<HttpIntegration>> = integrations.map(|pages| {
        let mut list: Vec<HttpIntegration> = pages
            .iter()
            .flat_map(|p| p.items())
            .filter_map(|i| {
                let integration_id = i.integration_id()?.to_owned();
                let uri = i.integration_uri().map(str::to_owned);
                Some(HttpIntegration {
                    arn: arn::http_integration(region, &id, &integration_id),
                    id: integration_id,
                    integration: Integration {
                        integration_type: i.integration_type().map(|t| t.as_str().to_owned()),
                        lambda_arn: uri.as_deref().and_then(arn::lambda_from_integration_uri),
                        uri,
                        connection_type: i.connection_type().map(|c| c.as_str().to_owned()),
                    },
                })
            })
            .collect();
        list.sort_by(|a, b| a.id.cmp(&b.id));
        list
    });

    let routes: Option<Vec<Route>> = routes.map(|pages| {
        let mut list: Vec<Route> = pages
            .iter()
            .flat_map(|p| p.items())
            .filter_map(|r| {
                let route_id = r.route_id()?.to_owned();
                let target = r.target().map(str::to_owned);
                let integration_id = target.as_deref().and_then(|t| t.strip_prefix("integrations/")).map(str::to_owned);
                let lambda_arn = integration_id.as_ref().and_then(|iid| {
                    integrations.as_ref()?.iter().find(|i| &i.id == iid)?.integration.lambda_arn.clone()
                });
                Some(Route {
                    arn: arn::http_route(region, &id, &route_id),
                    id: route_id,
                    route_key: r.route_key().unwrap_or_default().to_owned(),
                    authorization_type: r
                        .authorization_type()
                        .map(|a| a.as_str().to_owned())
                        .unwrap_or_else(|| "NONE".into()),
                    authorizer_id: r.authorizer_id().map(str::to_owned),
                    api_key_required: r.api_key_required().unwrap_or(false),
                    target,
                    integration_id,
                    lambda_arn,
                })
            })
            .collect();
        list.sort_by(|a, b| a.route_key.cmp(&b.route_key).then(a.id.cmp(&b.id)));
        list
    });

    let authorizers = match authorizers {
        Some(pages) => Some(
            pages
                .iter()
                .flat_map(|p| p.items())
                .filter_map(|a| {
                    Some(authorizer(
                        region,
                        &id,
                        AuthorizerFields {
                            id: a.authorizer_id()?,
                            name: a.name(),
                            authorizer_type: a.authorizer_type(),
                            uri: a.authorizer_uri(),
                            identity_source: a.identity_source(),
                            jwt: a.jwt_configuration(),
                        },
                    ))
                })
                .collect::<Vec<_>>(),
        ),
        // The listing failed (and is recorded): the authorizers the routes use can still be read one by one.
        None => referenced_authorizers(ctx, client, region, &id, routes.as_deref().unwrap_or_default()).await,
    }
    .map(|mut list| {
        list.sort_by(|a, b| a.id.cmp(&b.id));
        list
    });

    let stages = stages.map(|pages| {
        let mut list: Vec<HttpStage> = pages
            .iter()
            .flat_map(|p| p.items())
            .filter_map(|s| {
                let name = s.stage_name()?.to_owned();
                Some(HttpStage {
                    arn: arn::http_stage(region, &id, &name),
                    name,
                    auto_deploy: s.auto_deploy().unwrap_or(false),
                    access_log: s.access_log_settings().filter(|a| a.destination_arn().is_some()).map(|a| AccessLog {
                        destination_arn: a.destination_arn().map(str::to_owned),
                        format: a.format().map(str::to_owned),
                    }),
                    default_logging_level: s
                        .default_route_settings()
                        .and_then(|d| d.logging_level())
                        .map(|l| l.as_str().to_owned()),
                    default_data_trace_enabled: s
                        .default_route_settings()
                        .and_then(|d| d.data_trace_enabled())
                        .unwrap_or(false),
                    created_date: s.created_date().and_then(timestamp),
                })
            })
            .collect();
        list.sort_by(|a, b| a.name.cmp(&b.name));
        list
    });

    api.routes = routes;
    api.integrations = integrations;
    api.authorizers = authorizers;
    api.stages = stages;
    api
}

/// Reads each authorizer a route refers to with GetAuthorizer. `None` when a route refers to one that
/// could not be read, so that "unknown" is never mistaken for "complete".
async fn referenced_authorizers(
    ctx: &Ctx,
    client: &Client,
    region: &str,
    api_id: &str,
    routes: &[Route],
) -> Option<Vec<Authorizer>> {
    let ids: BTreeSet<&str> = routes.iter().filter_map(|r| r.authorizer_id.as_deref()).collect();
    let fetched = futures::stream::iter(ids)
        .map(|authorizer_id| async move {
            let request = client.get_authorizer().api_id(api_id).authorizer_id(authorizer_id).send();
            let output = ctx
                .fetch(call(region, "GetAuthorizer").on(arn::http_authorizer(region, api_id, authorizer_id)), request)
                .await?;
            Some(authorizer(
                region,
                api_id,
                AuthorizerFields {
                    id: authorizer_id,
                    name: output.name(),
                    authorizer_type: output.authorizer_type(),
                    uri: output.authorizer_uri(),
                    identity_source: output.identity_source(),
                    jwt: output.jwt_configuration(),
                },
            ))
        })
        .buffer_unordered(4)
        .collect::<Vec<_>>()
        .await;
    fetched.into_iter().collect()
}

async fn domain_names(ctx: &Ctx, client: &Client, region: &str) -> Vec<DomainName> {
    let pages = ctx
        .token_pages(
            call(region, "GetDomainNames"),
            |token| client.get_domain_names().max_results(PAGE).set_next_token(token).send(),
            |page| page.next_token().map(str::to_owned),
        )
        .await
        .unwrap_or_default();
    pages
        .iter()
        .flat_map(|p| p.items())
        .filter_map(|d| {
            let name = d.domain_name()?.to_owned();
            let configs = d.domain_name_configurations();
            Some(DomainName {
                arn: arn::domain_name(region, &name),
                name,
                region: region.to_owned(),
                security_policies: configs
                    .iter()
                    .filter_map(|c| c.security_policy())
                    .map(|p| p.as_str().to_owned())
                    .collect(),
                endpoint_types: configs
                    .iter()
                    .filter_map(|c| c.endpoint_type())
                    .map(|t| t.as_str().to_owned())
                    .collect(),
                certificate_arns: configs.iter().filter_map(|c| c.certificate_arn()).map(str::to_owned).collect(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use aws_sdk_apigatewayv2::operation::{
        get_apis::GetApisOutput, get_authorizer::GetAuthorizerOutput, get_domain_names::GetDomainNamesOutput,
        get_integrations::GetIntegrationsOutput, get_routes::GetRoutesOutput, get_stages::GetStagesOutput,
    };
    use aws_sdk_apigatewayv2::types::{
        Api, AuthorizationType, Integration as SdkIntegration, IntegrationType, ProtocolType, Route as SdkRoute,
    };
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    use super::*;
    use crate::collect::call::test_support::{ctx, rest_json_error};
    use crate::inventory::ErrorKind;

    fn api(id: &str) -> Api {
        Api::builder()
            .api_id(id)
            .name(id)
            .protocol_type(ProtocolType::Http)
            .route_selection_expression("$request.method $request.path")
            .build()
    }

    #[tokio::test]
    async fn token_pages_routes_resolved_and_authorizers_read_one_by_one_when_listing_fails() {
        let page1 = mock!(Client::get_apis)
            .match_requests(|r| r.next_token().is_none())
            .then_output(|| GetApisOutput::builder().items(api("a1")).next_token("t2").build());
        let page2 = mock!(Client::get_apis)
            .match_requests(|r| r.next_token() == Some("t2"))
            .then_output(|| GetApisOutput::builder().items(api("a2")).build());
        let routes = mock!(Client::get_routes).then_output(|| {
            GetRoutesOutput::builder()
                .items(
                    SdkRoute::builder()
                        .route_id("r1")
                        .route_key("GET /open")
                        .authorization_type(AuthorizationType::None)
                        .target("integrations/i1")
                        .build(),
                )
                .items(
                    SdkRoute::builder()
                        .route_id("r2")
                        .route_key("POST /pay")
                        .authorization_type(AuthorizationType::Jwt)
                        .authorizer_id("au1")
                        .target("integrations/i1")
                        .build(),
                )
                .build()
        });
        let integrations = mock!(Client::get_integrations).then_output(|| {
            GetIntegrationsOutput::builder()
                .items(
                    SdkIntegration::builder()
                        .integration_id("i1")
                        .integration_type(IntegrationType::AwsProxy)
                        .integration_uri("arn:aws:lambda:us-east-1:123456789012:function:pay")
                        .build(),
                )
                .build()
        });
        let authorizers =
            mock!(Client::get_authorizers).then_http_response(|| rest_json_error(500, "InternalServerError", "boom"));
        let one = mock!(Client::get_authorizer)
            .then_output(|| GetAuthorizerOutput::builder().authorizer_id("au1").name("cognito").build());
        let stages = mock!(Client::get_stages).then_output(|| GetStagesOutput::builder().build());
        let domains = mock!(Client::get_domain_names).then_output(|| GetDomainNamesOutput::builder().build());
        let client = mock_client!(
            aws_sdk_apigatewayv2,
            RuleMode::MatchAny,
            [&page1, &page2, &routes, &integrations, &authorizers, &one, &stages, &domains]
        );
        let ctx = ctx();
        let inventory = collect(
            &ctx,
            &client,
            &crate::collect::Location { region: "us-east-1", partition: "aws", account: "123456789012", scanned: &[] },
        )
        .await;

        assert_eq!(inventory.apis.len(), 2, "both pages of APIs");
        let a1 = &inventory.apis["arn:aws:apigateway:us-east-1::/apis/a1"];
        let routes = a1.routes.as_ref().expect("routes");
        assert_eq!(routes[0].route_key, "GET /open");
        assert_eq!(routes[0].arn, "arn:aws:apigateway:us-east-1::/apis/a1/routes/r1");
        assert_eq!(routes[0].lambda_arn.as_deref(), Some("arn:aws:lambda:us-east-1:123456789012:function:pay"));
        assert_eq!(routes[1].authorization_type, "JWT");
        assert_eq!(
            a1.authorizers.as_ref().map(|a| a[0].name.as_deref()),
            Some(Some("cognito")),
            "fallback read the referenced authorizer"
        );
        let coverage = ctx.into_coverage();
        assert_eq!(coverage.len(), 2, "one GetAuthorizers gap per API: {coverage:#?}");
        assert!(coverage.iter().all(|r| r.operation == "GetAuthorizers" && r.error_kind == ErrorKind::ServiceError));
    }
}
