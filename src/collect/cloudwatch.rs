//! CloudWatch alarms (per region): every metric alarm, the metrics it watches and its actions. The SDK speaks
//! the Smithy RPC v2 CBOR protocol to this service.

use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::types::{AlarmType, MetricAlarm};

use super::{Call, Ctx, Location};
use crate::inventory::cloudwatch::*;
use crate::inventory::logs::MetricName;

fn call(region: &str, operation: &'static str) -> Call {
    Call::new("cloudwatch", region, operation)
}

/// DescribeAlarms' largest page.
const ALARMS_PAGE: i32 = 100;

pub(crate) async fn collect(ctx: &Ctx, client: &Client, at: &Location<'_>) -> AlarmInventory {
    let region = at.region;
    let request =
        client.describe_alarms().alarm_types(AlarmType::MetricAlarm).max_records(ALARMS_PAGE).into_paginator().send();
    let (pages, listed) = ctx.listing(call(region, "DescribeAlarms"), request).await;
    let alarms = pages
        .unwrap_or_default()
        .iter()
        .flat_map(|page| page.metric_alarms())
        .filter_map(|a| alarm_from(a, region))
        .map(|a| (a.arn.clone(), a))
        .collect();
    AlarmInventory { alarms, listed_regions: if listed { vec![region.to_owned()] } else { Vec::new() } }
}

fn alarm_from(alarm: &MetricAlarm, region: &str) -> Option<Alarm> {
    let own = alarm
        .metric_name()
        .zip(alarm.namespace())
        .map(|(name, namespace)| MetricName { namespace: namespace.to_owned(), name: name.to_owned() });
    let queried = alarm.metrics().iter().filter_map(|q| {
        let metric = q.metric_stat()?.metric()?;
        Some(MetricName { namespace: metric.namespace()?.to_owned(), name: metric.metric_name()?.to_owned() })
    });
    let mut metrics: Vec<MetricName> = own.into_iter().chain(queried).collect();
    metrics.sort();
    metrics.dedup();
    Some(Alarm {
        arn: alarm.alarm_arn()?.to_owned(),
        name: alarm.alarm_name()?.to_owned(),
        region: region.to_owned(),
        metrics,
        // AWS's default when a caller omits it.
        actions_enabled: alarm.actions_enabled().unwrap_or(true),
        alarm_actions: alarm.alarm_actions().to_vec(),
        state: alarm.state_value().map(|s| s.as_str().to_owned()),
    })
}

/// The fewest requests: the alarm listing's pages in every region.
pub(crate) fn minimum_requests(cloudwatch: &AlarmInventory, regions: usize) -> usize {
    super::pages_needed(cloudwatch.alarms.values().map(|a| a.region.as_str()), regions, ALARMS_PAGE as usize)
}

#[cfg(test)]
mod tests {
    use aws_sdk_cloudwatch::operation::describe_alarms::DescribeAlarmsOutput;
    use aws_sdk_cloudwatch::types::{Metric, MetricDataQuery, MetricStat, StateValue};
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    use super::*;
    use crate::collect::call::test_support::{cbor_error, ctx};

    #[tokio::test]
    async fn alarms_page_with_their_metrics_and_a_denied_page_is_recorded() {
        let page1 = mock!(Client::describe_alarms).match_requests(|r| r.next_token().is_none()).then_output(|| {
            DescribeAlarmsOutput::builder()
                .metric_alarms(
                    MetricAlarm::builder()
                        .alarm_name("root-usage")
                        .alarm_arn("arn:aws:cloudwatch:us-east-1:123456789012:alarm:root-usage")
                        .metric_name("RootUsage")
                        .namespace("CIS")
                        .actions_enabled(true)
                        .alarm_actions("arn:aws:sns:us-east-1:123456789012:security")
                        .state_value(StateValue::Ok)
                        .build(),
                )
                .metric_alarms(
                    MetricAlarm::builder()
                        .alarm_name("math")
                        .alarm_arn("arn:aws:cloudwatch:us-east-1:123456789012:alarm:math")
                        .actions_enabled(false)
                        .metrics(
                            MetricDataQuery::builder()
                                .id("m1")
                                .metric_stat(
                                    MetricStat::builder()
                                        .metric(Metric::builder().namespace("CIS").metric_name("Logins").build())
                                        .period(300)
                                        .stat("Sum")
                                        .build(),
                                )
                                .build(),
                        )
                        .build(),
                )
                .next_token("more")
                .build()
        });
        let page2 = mock!(Client::describe_alarms)
            .match_requests(|r| r.next_token() == Some("more"))
            .then_http_response(|| cbor_error(403, "AccessDenied", "not allowed"));
        let client = mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, [&page1, &page2]);
        let ctx = ctx();
        let at = Location { region: "us-east-1", partition: "aws", account: "123456789012", scanned: &[] };
        let alarms = collect(&ctx, &client, &at).await;
        assert_eq!(alarms.alarms.len(), 2, "the first page is kept");
        let root = &alarms.alarms["arn:aws:cloudwatch:us-east-1:123456789012:alarm:root-usage"];
        assert!(root.notifies());
        assert_eq!(root.metrics, [MetricName { namespace: "CIS".into(), name: "RootUsage".into() }]);
        let math = &alarms.alarms["arn:aws:cloudwatch:us-east-1:123456789012:alarm:math"];
        assert!(!math.notifies(), "actions disabled");
        assert_eq!(math.metrics[0].name, "Logins");
        assert!(alarms.listed_regions.is_empty(), "incomplete");
        let coverage = ctx.into_coverage();
        assert_eq!(coverage.len(), 1, "{coverage:?}");
        assert_eq!(coverage[0].operation, "DescribeAlarms");
        assert!(coverage[0].message.contains("listing incomplete after 1 page"), "{}", coverage[0].message);
    }
}
