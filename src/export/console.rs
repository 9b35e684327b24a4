//! The AWS console page of a resource, from its ARN: what the TUI's `o` shows and copies.

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

/// The console page of the resource `arn` names, or of its service when the resource has no page of its
/// own; `None` for text that is not an ARN.
pub fn url(arn: &str) -> Option<String> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some(service), Some(region), Some(account), Some(resource)) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let encode = |text: &str| utf8_percent_encode(text, NON_ALPHANUMERIC).to_string();
    // Regional pages live on the region's host in the commercial partition; the others have one host.
    let host = match (partition, region) {
        ("aws-cn", _) => "console.amazonaws.cn".to_owned(),
        ("aws-us-gov", _) => "console.amazonaws-us-gov.com".to_owned(),
        (_, "") => "console.aws.amazon.com".to_owned(),
        (_, region) => format!("{region}.console.aws.amazon.com"),
    };
    let base = format!("https://{host}");
    let (kind, name) = resource.split_once(['/', ':']).unwrap_or((resource, ""));
    let last = |path: &str| path.rsplit('/').next().unwrap_or(path).to_owned();
    let page = match (service, kind) {
        ("lambda", "function") => {
            format!("/lambda/home?region={region}#/functions/{}", encode(name.split(':').next().unwrap_or(name)))
        }
        ("iam", "root") => "/iam/home#/home".to_owned(),
        ("iam", "role") => format!("/iam/home#/roles/details/{}", encode(&last(name))),
        ("iam", "user") => format!("/iam/home#/users/details/{}", encode(&last(name))),
        ("iam", "policy") => format!("/iam/home#/policies/details/{}", encode(arn)),
        ("apigateway", _) => {
            let mut segments = resource.trim_start_matches('/').split('/');
            match (segments.next(), segments.next()) {
                (Some("restapis"), Some(id)) => {
                    format!("/apigateway/main/apis/{id}/resources?api={id}&region={region}")
                }
                (Some("apis"), Some(id)) => format!("/apigateway/main/api-detail?api={id}&region={region}"),
                _ => format!("/apigateway/main/apis?region={region}"),
            }
        }
        ("secretsmanager", "secret") => {
            // The ARN ends with a six-character suffix that is not part of the secret's name.
            let secret = match name.rsplit_once('-') {
                Some((stem, suffix)) if suffix.len() == 6 => stem,
                _ => name,
            };
            format!("/secretsmanager/secret?name={}&region={region}", encode(secret))
        }
        ("ssm", "parameter") => {
            format!("/systems-manager/parameters/{}/description?region={region}", encode(&format!("/{name}")))
        }
        ("kms", "key") => format!("/kms/home?region={region}#/kms/keys/{name}"),
        ("kms", "alias") => format!("/kms/home?region={region}#/kms/keys"),
        ("cloudtrail", "trail") => format!("/cloudtrailv2/home?region={region}#/trails/{}", encode(arn)),
        ("logs", "log-group") => {
            let group = name.strip_suffix(":*").unwrap_or(name);
            // The logs console escapes its fragment twice: `/` is `$252F`.
            format!(
                "/cloudwatch/home?region={region}#logsV2:log-groups/log-group/{}",
                encode(group).replace('%', "$25")
            )
        }
        ("cloudwatch", "alarm") => format!("/cloudwatch/home?region={region}#alarmsV2:alarm/{}", encode(name)),
        ("sns", _) if resource.contains(':') => format!("/sns/v3/home?region={region}#/subscription/{arn}"),
        ("sns", _) => format!("/sns/v3/home?region={region}#/topic/{arn}"),
        ("sqs", _) => {
            let queue = format!("https://sqs.{region}.amazonaws.com/{account}/{resource}");
            format!("/sqs/v3/home?region={region}#/queues/{}", encode(&queue))
        }
        ("events", "event-bus") => format!("/events/home?region={region}#/eventbus/{}", encode(name)),
        ("events", "rule") => {
            let (bus, rule) = name.split_once('/').unwrap_or(("default", name));
            format!("/events/home?region={region}#/eventbus/{}/rules/{}", encode(bus), encode(rule))
        }
        (service, _) if region.is_empty() => format!("/{service}/home"),
        (service, _) => format!("/{service}/home?region={region}"),
    };
    Some(base + &page)
}

#[cfg(test)]
mod tests {
    use super::url;

    #[test]
    fn each_resource_kind_has_its_page() {
        for (arn, expected) in [
            (
                "arn:aws:lambda:eu-west-1:123456789012:function:orders",
                "https://eu-west-1.console.aws.amazon.com/lambda/home?region=eu-west-1#/functions/orders",
            ),
            (
                "arn:aws:iam::123456789012:role/service-role/orders-role",
                "https://console.aws.amazon.com/iam/home#/roles/details/orders%2Drole",
            ),
            ("arn:aws:iam::123456789012:root", "https://console.aws.amazon.com/iam/home#/home"),
            (
                "arn:aws:apigateway:us-east-1::/restapis/a1b2c3/stages/prod",
                "https://us-east-1.console.aws.amazon.com/apigateway/main/apis/a1b2c3/resources?api=a1b2c3&region=us-east-1",
            ),
            (
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbC123",
                "https://us-east-1.console.aws.amazon.com/secretsmanager/secret?name=prod%2Fdb&region=us-east-1",
            ),
            (
                "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/orders:*",
                "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#logsV2:log-groups/log-group/$252Faws$252Flambda$252Forders",
            ),
            (
                "arn:aws:sqs:us-east-1:123456789012:orders-intake",
                "https://us-east-1.console.aws.amazon.com/sqs/v3/home?region=us-east-1#/queues/https%3A%2F%2Fsqs%2Eus%2Deast%2D1%2Eamazonaws%2Ecom%2F123456789012%2Forders%2Dintake",
            ),
            (
                "arn:aws:events:us-east-1:123456789012:rule/nightly-export",
                "https://us-east-1.console.aws.amazon.com/events/home?region=us-east-1#/eventbus/default/rules/nightly%2Dexport",
            ),
            (
                "arn:aws-cn:lambda:cn-north-1:123456789012:function:orders",
                "https://console.amazonaws.cn/lambda/home?region=cn-north-1#/functions/orders",
            ),
            (
                "arn:aws:dynamodb:us-east-1:123456789012:table/t",
                "https://us-east-1.console.aws.amazon.com/dynamodb/home?region=us-east-1",
            ),
        ] {
            assert_eq!(url(arn).as_deref(), Some(expected), "{arn}");
        }
        assert_eq!(url("not an arn"), None);
    }
}
