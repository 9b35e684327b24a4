//! Tags (per region): one Resource Groups Tagging API listing (`GetResources`) of the functions, topics,
//! queues, keys and log groups that carry tags. Where the listing is refused, the scan reads each of those
//! resources' tags with its own service's call instead ([`per_service`], run once the inventory is merged).
//! IAM principals, secrets and APIs need no call: their listings carry their tags.

use std::collections::BTreeMap;

use aws_sdk_resourcegroupstagging::Client;
use futures::StreamExt;

use super::{Call, Ctx, Location};
use crate::inventory::tags::{RESOURCE_TYPES, TagInventory, Tags};
use crate::inventory::{ErrorKind, Inventory};

/// GetResources' largest page.
const PAGE: usize = 100;

pub(crate) async fn collect(ctx: &Ctx, client: &Client, at: &Location<'_>) -> TagInventory {
    let region = at.region;
    let mut request = client.get_resources().resources_per_page(PAGE as i32);
    for kind in RESOURCE_TYPES {
        request = request.resource_type_filters(*kind);
    }
    let (pages, failure) = ctx.try_pages(request.into_paginator().send()).await;
    let refused = failure.as_ref().is_some_and(|f| matches!(f.kind, ErrorKind::AccessDenied | ErrorKind::Unsupported));
    let complete = failure.is_none();
    let call = Call::new("tagging", region, "GetResources");
    let pages = match failure {
        Some(mut failure) if refused => {
            failure.message =
                format!("{}; {} each service's own tag calls", failure.message, crate::inventory::FELL_BACK);
            ctx.record(&call, failure);
            pages
        }
        failure => ctx.settle_pages(&call, pages, failure).unwrap_or_default(),
    };
    let resources = pages
        .iter()
        .flat_map(|page| page.resource_tag_mapping_list())
        .filter_map(|mapping| {
            let tags: Tags = mapping.tags().iter().map(|t| (t.key().to_owned(), t.value().to_owned())).collect();
            Some((canonical(mapping.resource_arn()?), tags))
        })
        // Some endpoints list untagged resources too: a resource missing from a listed region has no tags.
        .filter(|(_, tags): &(String, Tags)| !tags.is_empty())
        .collect();
    TagInventory {
        resources,
        listed_regions: if complete { vec![region.to_owned()] } else { Vec::new() },
        refused_regions: if refused { vec![region.to_owned()] } else { Vec::new() },
    }
}

/// Tags as the SDK gives them in a map (Lambda, SQS, CloudWatch Logs, API Gateway), as the inventory keeps
/// them.
pub(crate) fn tag_map(tags: Option<&std::collections::HashMap<String, String>>) -> Tags {
    tags.map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default()
}

/// The ARN as the inventory keys the resource: a log group without the `:*` some listings append.
fn canonical(arn: &str) -> String {
    arn.strip_suffix(":*").unwrap_or(arn).to_owned()
}

/// The clients the per-service fallback uses, each the scanner's own (guarded, with its retry partition).
pub(crate) struct Clients {
    pub lambda: aws_sdk_lambda::Client,
    pub sns: aws_sdk_sns::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub kms: aws_sdk_kms::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
}

/// Reads, with each service's own call, the tags of `region`'s functions, topics, queues, customer managed
/// keys and log groups: what GetResources would have listed. Returns them, and whether every call answered.
pub(crate) async fn per_service(
    ctx: &Ctx,
    clients: &Clients,
    region: &str,
    inventory: &Inventory,
) -> (BTreeMap<String, Tags>, bool) {
    let in_region = |r: &str| r == region;
    let functions = inventory.lambda.functions.values().filter(|f| in_region(&f.region)).map(|f| f.arn.clone());
    let topics = inventory.sns.topics.values().filter(|t| in_region(&t.region)).map(|t| t.arn.clone());
    let queues = inventory.sqs.queues.values().filter(|q| in_region(&q.region)).map(|q| (q.arn.clone(), q.url()));
    let keys =
        inventory.kms.keys.values().filter(|k| in_region(&k.region) && k.is_customer_managed()).map(|k| k.arn.clone());
    let groups = inventory.logs.groups.values().filter(|g| in_region(&g.region)).map(|g| g.arn.clone());

    type Read<'a> = futures::future::BoxFuture<'a, (String, Option<Tags>)>;
    let mut reads: Vec<Read<'_>> = Vec::new();
    let call =
        |service: &'static str, operation: &'static str, arn: &str| Call::new(service, region, operation).on(arn);
    for arn in functions {
        reads.push(Box::pin(async move {
            let out =
                ctx.fetch(call("lambda", "ListTags", &arn), clients.lambda.list_tags().resource(&arn).send()).await;
            let tags = out.map(|o| tag_map(o.tags()));
            (arn, tags)
        }));
    }
    for arn in topics {
        reads.push(Box::pin(async move {
            let request = clients.sns.list_tags_for_resource().resource_arn(&arn).send();
            let out = ctx.fetch(call("sns", "ListTagsForResource", &arn), request).await;
            (arn, out.map(|o| o.tags().iter().map(|t| (t.key().to_owned(), t.value().to_owned())).collect()))
        }));
    }
    for (arn, url) in queues {
        reads.push(Box::pin(async move {
            let out = ctx
                .fetch(call("sqs", "ListQueueTags", &arn), clients.sqs.list_queue_tags().queue_url(url).send())
                .await;
            let tags = out.map(|o| tag_map(o.tags()));
            (arn, tags)
        }));
    }
    for arn in keys {
        reads.push(Box::pin(async move {
            let listing = clients.kms.list_resource_tags().key_id(&arn).into_paginator().send();
            let pages = ctx.pages(call("kms", "ListResourceTags", &arn), listing).await;
            let tags = pages.map(|pages| {
                pages
                    .iter()
                    .flat_map(|p| p.tags())
                    .map(|t| (t.tag_key().to_owned(), t.tag_value().to_owned()))
                    .collect()
            });
            (arn, tags)
        }));
    }
    for arn in groups {
        reads.push(Box::pin(async move {
            let request = clients.logs.list_tags_for_resource().resource_arn(&arn).send();
            let out = ctx.fetch(call("logs", "ListTagsForResource", &arn), request).await;
            let tags = out.map(|o| tag_map(o.tags()));
            (arn, tags)
        }));
    }
    let read: Vec<(String, Option<Tags>)> = futures::stream::iter(reads).buffer_unordered(ctx.fanout()).collect().await;
    let complete = read.iter().all(|(_, tags)| tags.is_some());
    let tagged =
        read.into_iter().filter_map(|(arn, tags)| Some((arn, tags?))).filter(|(_, tags)| !tags.is_empty()).collect();
    (tagged, complete)
}

pub(crate) fn minimum_requests(tags: &TagInventory, regions: usize) -> usize {
    let regions_of = tags.resources.keys().map(|arn| arn.split(':').nth(3).unwrap_or_default());
    super::pages_needed(regions_of, regions, PAGE)
}

#[cfg(test)]
mod tests {
    use aws_sdk_resourcegroupstagging::operation::get_resources::GetResourcesOutput;
    use aws_sdk_resourcegroupstagging::types::{ResourceTagMapping, Tag};
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    use super::*;
    use crate::collect::call::test_support::{ctx, json_error};
    use crate::inventory::sqs::Queue;

    const ORDERS: &str = "arn:aws:lambda:eu-west-1:123456789012:function:orders";
    const GROUP: &str = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/orders";

    fn mapping(arn: &str, tags: &[(&str, &str)]) -> ResourceTagMapping {
        let mut mapping = ResourceTagMapping::builder().resource_arn(arn);
        for (k, v) in tags {
            mapping = mapping.tags(Tag::builder().key(*k).value(*v).build().unwrap());
        }
        mapping.build()
    }

    fn at(region: &str) -> Location<'_> {
        Location { region, partition: "aws", account: "123456789012", scanned: &[] }
    }

    #[tokio::test]
    async fn one_listing_of_every_page_with_log_group_arns_made_canonical() {
        let page1 = mock!(Client::get_resources)
            .match_requests(|r| r.pagination_token().is_none_or(str::is_empty) && r.resource_type_filters().len() == 5)
            .then_output(|| {
                GetResourcesOutput::builder()
                    .resource_tag_mapping_list(mapping(ORDERS, &[("owner", "orders-team")]))
                    .pagination_token("p2")
                    .build()
            });
        let page2 =
            mock!(Client::get_resources).match_requests(|r| r.pagination_token() == Some("p2")).then_output(|| {
                GetResourcesOutput::builder()
                    .resource_tag_mapping_list(mapping(&format!("{GROUP}:*"), &[("data-classification", "personal")]))
                    .pagination_token("")
                    .build()
            });
        let client = mock_client!(aws_sdk_resourcegroupstagging, RuleMode::MatchAny, [&page1, &page2]);
        let ctx = ctx();
        let tags = collect(&ctx, &client, &at("eu-west-1")).await;
        assert_eq!(tags.resources[ORDERS]["owner"], "orders-team");
        assert_eq!(tags.resources[GROUP]["data-classification"], "personal", "without the `:*`");
        assert_eq!((tags.listed_regions.as_slice(), tags.refused_regions.len()), (&["eu-west-1".to_owned()][..], 0));
        assert!(ctx.into_coverage().is_empty());
    }

    #[tokio::test]
    async fn a_refused_listing_is_a_gap_the_per_service_reads_make_up_for() {
        let denied = mock!(Client::get_resources).then_http_response(|| {
            json_error(400, "AccessDeniedException", "not authorized to perform tag:GetResources")
        });
        let client = mock_client!(aws_sdk_resourcegroupstagging, RuleMode::MatchAny, [&denied]);
        let ctx = ctx();
        let tags = collect(&ctx, &client, &at("eu-west-1")).await;
        assert!(tags.listed_regions.is_empty() && tags.resources.is_empty());
        assert_eq!(tags.refused_regions, ["eu-west-1"]);
        let gaps = ctx.into_coverage();
        assert_eq!(gaps.len(), 1);
        assert!(gaps[0].recovered(), "{}", gaps[0].message);

        // The per-service reads: the function's and the queue's tags; a log group whose tags are denied leaves
        // the region unlisted.
        use crate::rules::fixture::{Fixture, function_arn, lambda_trust};
        let orders = function_arn("orders");
        let mut inventory =
            Fixture::new().role("r", lambda_trust(), &[], &[]).function("orders", "r", |_| {}).inventory;
        let queue_arn = "arn:aws:sqs:us-east-1:123456789012:intake";
        let queue = Queue {
            arn: queue_arn.into(),
            name: "intake".into(),
            region: "us-east-1".into(),
            policy: Default::default(),
            encryption: Default::default(),
            dead_letter_target: None,
        };
        inventory.sqs.queues.insert(queue_arn.into(), queue);
        let lambda_tags = mock!(aws_sdk_lambda::Client::list_tags)
            .match_requests(move |r| r.resource() == Some(function_arn("orders").as_str()))
            .then_output(|| {
                aws_sdk_lambda::operation::list_tags::ListTagsOutput::builder().tags("owner", "orders-team").build()
            });
        let queue_tags = mock!(aws_sdk_sqs::Client::list_queue_tags)
            .match_requests(|r| r.queue_url() == Some("https://sqs.us-east-1.amazonaws.com/123456789012/intake"))
            .then_output(|| aws_sdk_sqs::operation::list_queue_tags::ListQueueTagsOutput::builder().build());
        let clients = Clients {
            lambda: mock_client!(aws_sdk_lambda, RuleMode::MatchAny, [&lambda_tags]),
            sns: mock_client!(aws_sdk_sns, RuleMode::MatchAny, []),
            sqs: mock_client!(aws_sdk_sqs, RuleMode::MatchAny, [&queue_tags]),
            kms: mock_client!(aws_sdk_kms, RuleMode::MatchAny, []),
            logs: mock_client!(aws_sdk_cloudwatchlogs, RuleMode::MatchAny, []),
        };
        let ctx = crate::collect::call::test_support::ctx();
        let (read, complete) = per_service(&ctx, &clients, "us-east-1", &inventory).await;
        assert!(complete, "every resource of the region answered");
        assert_eq!(read.len(), 1, "the untagged queue is known to have none: {read:?}");
        assert_eq!(read[&orders]["owner"], "orders-team");
        assert_eq!(
            per_service(&ctx, &clients, "eu-west-1", &inventory).await,
            (BTreeMap::new(), true),
            "nothing there"
        );
        // A refused read leaves the region's tags unknown.
        let denied_tags = mock!(aws_sdk_lambda::Client::list_tags).then_http_response(|| {
            crate::collect::call::test_support::rest_json_error(403, "AccessDeniedException", "no")
        });
        let clients = Clients { lambda: mock_client!(aws_sdk_lambda, RuleMode::MatchAny, [&denied_tags]), ..clients };
        let (_, complete) = per_service(&ctx, &clients, "us-east-1", &inventory).await;
        assert!(!complete);
    }
}
