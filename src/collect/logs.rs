//! CloudWatch Logs (per region): log groups (retention, KMS key, creation) and every metric filter, each
//! listed once per region. Never log events: reading them is on the guard's never-call list.

use std::collections::BTreeMap;

use aws_sdk_cloudwatchlogs::Client;

use super::{Call, Ctx, Location};
use crate::inventory::logs::*;

fn call(region: &str, operation: &'static str) -> Call {
    Call::new("logs", region, operation)
}

/// DescribeLogGroups' and DescribeMetricFilters' largest pages.
const GROUPS_PAGE: i32 = 50;
const FILTERS_PAGE: i32 = 50;

pub(crate) async fn collect(ctx: &Ctx, client: &Client, at: &Location<'_>) -> LogsInventory {
    let region = at.region;
    let groups = client.describe_log_groups().limit(GROUPS_PAGE).into_paginator().send();
    let filters = client.describe_metric_filters().limit(FILTERS_PAGE).into_paginator().send();
    let ((group_pages, groups_listed), (filter_pages, filters_listed)) = tokio::join!(
        ctx.listing(call(region, "DescribeLogGroups"), groups),
        ctx.listing(call(region, "DescribeMetricFilters"), filters)
    );
    let groups: BTreeMap<String, LogGroup> = group_pages
        .unwrap_or_default()
        .iter()
        .flat_map(|page| page.log_groups())
        .filter_map(|g| {
            let name = g.log_group_name()?.to_owned();
            let arn = g
                .log_group_arn()
                .or(g.arn())
                .map(|a| normalize_log_group_arn(a).to_owned())
                .unwrap_or_else(|| log_group_arn(at.partition, region, at.account, &name));
            let group = LogGroup {
                name,
                region: region.to_owned(),
                retention_days: g.retention_in_days(),
                kms_key_id: g.kms_key_id().filter(|k| !k.is_empty()).map(str::to_owned),
                created: g.creation_time().and_then(chrono::DateTime::from_timestamp_millis),
                class: g.log_group_class().map(|c| c.as_str().to_owned()),
                arn: arn.clone(),
            };
            Some((arn, group))
        })
        .collect();
    // Keyed by log group and name, so that a filter listed twice (as the emulator can) is one filter.
    let metric_filters: BTreeMap<String, MetricFilter> = filter_pages
        .unwrap_or_default()
        .iter()
        .flat_map(|page| page.metric_filters())
        .filter_map(|f| {
            let name = f.filter_name()?.to_owned();
            let log_group = f.log_group_name()?.to_owned();
            let mut metrics: Vec<MetricName> = f
                .metric_transformations()
                .iter()
                .map(|t| MetricName { namespace: t.metric_namespace().to_owned(), name: t.metric_name().to_owned() })
                .collect();
            metrics.sort();
            metrics.dedup();
            let key = MetricFilter::key(at.partition, at.account, region, &log_group, &name);
            let filter = MetricFilter {
                name,
                log_group,
                region: region.to_owned(),
                pattern: f.filter_pattern().unwrap_or_default().to_owned(),
                metrics,
            };
            Some((key, filter))
        })
        .collect();
    LogsInventory {
        groups,
        metric_filters,
        listed_regions: if groups_listed { vec![region.to_owned()] } else { Vec::new() },
        filters_listed_regions: if filters_listed { vec![region.to_owned()] } else { Vec::new() },
    }
}

/// The fewest requests: the pages of both listings in every region.
pub(crate) fn minimum_requests(logs: &LogsInventory, regions: usize) -> usize {
    super::pages_needed(logs.groups.values().map(|g| g.region.as_str()), regions, GROUPS_PAGE as usize)
        + super::pages_needed(logs.metric_filters.values().map(|f| f.region.as_str()), regions, FILTERS_PAGE as usize)
}

#[cfg(test)]
mod tests {
    use aws_sdk_cloudwatchlogs::operation::describe_log_groups::DescribeLogGroupsOutput;
    use aws_sdk_cloudwatchlogs::operation::describe_metric_filters::DescribeMetricFiltersOutput;
    use aws_sdk_cloudwatchlogs::types::{LogGroup as SdkGroup, MetricFilter as SdkFilter, MetricTransformation};
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    use super::*;
    use crate::collect::call::test_support::{ctx, json_error};

    fn filter(name: &str) -> SdkFilter {
        SdkFilter::builder()
            .filter_name(name)
            .log_group_name("trail")
            .filter_pattern("{ $.eventName = ConsoleLogin }")
            .metric_transformations(
                MetricTransformation::builder()
                    .metric_name("ConsoleLogins")
                    .metric_namespace("CIS")
                    .metric_value("1")
                    .build()
                    .expect("complete"),
            )
            .build()
    }

    #[tokio::test]
    async fn groups_page_filters_dedupe_and_a_failed_listing_is_not_complete() {
        let page1 = mock!(Client::describe_log_groups).match_requests(|r| r.next_token().is_none()).then_output(|| {
            DescribeLogGroupsOutput::builder()
                .log_groups(
                    SdkGroup::builder()
                        .log_group_name("/aws/lambda/orders")
                        .arn("arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/orders:*")
                        .creation_time(1_700_000_000_000)
                        .build(),
                )
                .next_token("more")
                .build()
        });
        let page2 =
            mock!(Client::describe_log_groups).match_requests(|r| r.next_token() == Some("more")).then_output(|| {
                DescribeLogGroupsOutput::builder()
                    .log_groups(
                        SdkGroup::builder().log_group_name("trail").retention_in_days(365).kms_key_id("k").build(),
                    )
                    .build()
            });
        let filters =
            mock!(Client::describe_metric_filters).match_requests(|r| r.next_token().is_none()).then_output(|| {
                DescribeMetricFiltersOutput::builder()
                    .metric_filters(filter("logins"))
                    .metric_filters(filter("logins"))
                    .next_token("f2")
                    .build()
            });
        let filters_denied = mock!(Client::describe_metric_filters)
            .match_requests(|r| r.next_token() == Some("f2"))
            .then_http_response(|| json_error(400, "ThrottlingException", "slow down"));
        let client =
            mock_client!(aws_sdk_cloudwatchlogs, RuleMode::MatchAny, [&page1, &page2, &filters, &filters_denied]);
        let ctx = ctx();
        let at = Location { region: "us-east-1", partition: "aws", account: "123456789012", scanned: &[] };
        let logs = collect(&ctx, &client, &at).await;

        assert_eq!(logs.groups.len(), 2, "both pages");
        let orders =
            logs.group("arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/orders:*").expect("by ARN with :*");
        assert_eq!(orders.retention_days, None, "never expires");
        assert!(orders.created.is_some());
        let trail = logs.group("arn:aws:logs:us-east-1:123456789012:log-group:trail").expect("ARN built from the name");
        assert_eq!((trail.retention_days, trail.kms_key_id.as_deref()), (Some(365), Some("k")));
        assert_eq!(logs.metric_filters.len(), 1, "the same filter listed twice is one");
        assert_eq!(logs.filters_of(&trail.arn).count(), 1);
        assert_eq!(logs.listed_regions, ["us-east-1"]);
        assert!(logs.filters_listed_regions.is_empty(), "the filters' listing stopped early");
        let coverage = ctx.into_coverage();
        assert_eq!(coverage.len(), 1, "{coverage:?}");
        assert_eq!(coverage[0].operation, "DescribeMetricFilters");
    }
}
