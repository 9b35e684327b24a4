//! AWS's canonical ARN forms for resources whose ARNs the APIs do not return.

pub fn rest_api(region: &str, api_id: &str) -> String {
    format!("arn:aws:apigateway:{region}::/restapis/{api_id}")
}
pub fn rest_method(region: &str, api_id: &str, resource_id: &str, verb: &str) -> String {
    format!("{}/resources/{resource_id}/methods/{verb}", rest_api(region, api_id))
}
pub fn rest_stage(region: &str, api_id: &str, stage: &str) -> String {
    format!("{}/stages/{stage}", rest_api(region, api_id))
}
pub fn rest_authorizer(region: &str, api_id: &str, authorizer_id: &str) -> String {
    format!("{}/authorizers/{authorizer_id}", rest_api(region, api_id))
}
pub fn api_key(region: &str, key_id: &str) -> String {
    format!("arn:aws:apigateway:{region}::/apikeys/{key_id}")
}
pub fn usage_plan(region: &str, plan_id: &str) -> String {
    format!("arn:aws:apigateway:{region}::/usageplans/{plan_id}")
}
pub fn domain_name(region: &str, name: &str) -> String {
    format!("arn:aws:apigateway:{region}::/domainnames/{name}")
}
pub fn http_api(region: &str, api_id: &str) -> String {
    format!("arn:aws:apigateway:{region}::/apis/{api_id}")
}
pub fn http_route(region: &str, api_id: &str, route_id: &str) -> String {
    format!("{}/routes/{route_id}", http_api(region, api_id))
}
pub fn http_stage(region: &str, api_id: &str, stage: &str) -> String {
    format!("{}/stages/{stage}", http_api(region, api_id))
}
pub fn http_integration(region: &str, api_id: &str, integration_id: &str) -> String {
    format!("{}/integrations/{integration_id}", http_api(region, api_id))
}
pub fn http_authorizer(region: &str, api_id: &str, authorizer_id: &str) -> String {
    format!("{}/authorizers/{authorizer_id}", http_api(region, api_id))
}

/// An SSM parameter: `arn:PARTITION:ssm:REGION:ACCOUNT:parameter/NAME`, the name without its leading slash.
pub fn ssm_parameter(partition: &str, region: &str, account: &str, name: &str) -> String {
    format!("arn:{partition}:ssm:{region}:{account}:parameter/{}", name.strip_prefix('/').unwrap_or(name))
}

/// The partition of an ARN (`aws`, `aws-cn`, `aws-us-gov`, …).
pub fn partition_of(arn: &str) -> Option<&str> {
    arn.strip_prefix("arn:")?.split(':').next().filter(|p| !p.is_empty())
}

/// The Lambda function an API Gateway integration (or authorizer) URI invokes, when it invokes one:
/// `arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/FUNCTION_ARN/invocations`, or, for HTTP
/// APIs, the function ARN itself. A URI built from stage variables cannot be resolved and gives `None`.
pub fn lambda_from_integration_uri(uri: &str) -> Option<String> {
    let function = if let Some((_, rest)) = uri.split_once(":lambda:path/") {
        let rest = rest.split_once("/functions/")?.1;
        rest.strip_suffix("/invocations").unwrap_or(rest)
    } else {
        uri
    };
    let is_function_arn =
        function.starts_with("arn:") && function.split(':').nth(2) == Some("lambda") && function.contains(":function:");
    (is_function_arn && !function.contains("${")).then(|| function.to_owned())
}

/// The account itself, as account-level findings name it: `arn:PARTITION:iam::ACCOUNT:root`.
pub fn account_root(partition: &str, account: &str) -> String {
    format!("arn:{partition}:iam::{account}:root")
}

/// An ARN's region field (`arn:partition:service:REGION:account:…`); `None` for a string that is not an ARN.
pub fn region_of(arn: &str) -> Option<&str> {
    arn.strip_prefix("arn:").and_then(|rest| rest.split(':').nth(2))
}

/// An ARN's account field.
pub fn account_of(arn: &str) -> Option<&str> {
    arn.strip_prefix("arn:").and_then(|rest| rest.split(':').nth(3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_forms() {
        assert_eq!(
            rest_method("us-east-1", "a1", "r1", "GET"),
            "arn:aws:apigateway:us-east-1::/restapis/a1/resources/r1/methods/GET"
        );
        assert_eq!(rest_stage("eu-west-1", "a1", "prod"), "arn:aws:apigateway:eu-west-1::/restapis/a1/stages/prod");
        assert_eq!(http_route("us-east-1", "h1", "r9"), "arn:aws:apigateway:us-east-1::/apis/h1/routes/r9");
        assert_eq!(api_key("us-east-1", "k1"), "arn:aws:apigateway:us-east-1::/apikeys/k1");
        assert_eq!(partition_of("arn:aws-cn:iam::123456789012:root"), Some("aws-cn"));
        assert_eq!(partition_of("nope"), None);
    }

    #[test]
    fn lambda_from_uris() {
        let f = "arn:aws:lambda:us-east-1:123456789012:function:orders-api";
        assert_eq!(
            lambda_from_integration_uri(&format!(
                "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{f}/invocations"
            ))
            .as_deref(),
            Some(f)
        );
        assert_eq!(lambda_from_integration_uri(f).as_deref(), Some(f));
        let alias = format!("{f}:live");
        assert_eq!(lambda_from_integration_uri(&alias).as_deref(), Some(alias.as_str()));
        assert_eq!(lambda_from_integration_uri("https://example.com/orders"), None);
        assert_eq!(
            lambda_from_integration_uri(
                "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:${stageVariables.fn}/invocations"
            ),
            None
        );
        assert_eq!(lambda_from_integration_uri("arn:aws:apigateway:us-east-1:dynamodb:action/PutItem"), None);
    }
}
