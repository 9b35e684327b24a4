//! CloudTrail (per region): every trail the region lists, shadow trails included, and, once per trail, its
//! status and event selectors. Those are asked in the trail's home region (a client for it is made from this
//! region's, guard and all): by that region's task when it is scanned, else by the first scanned region's.

use aws_sdk_cloudtrail::Client;
use aws_sdk_cloudtrail::config::Region;
use aws_sdk_cloudtrail::operation::get_event_selectors::GetEventSelectorsOutput;
use futures::StreamExt;

use super::call::timestamp;
use super::{Call, Ctx, Location};
use crate::inventory::Observed;
use crate::inventory::cloudtrail::*;
use crate::inventory::logs::normalize_log_group_arn;

fn call(region: &str, operation: &'static str) -> Call {
    Call::new("cloudtrail", region, operation)
}

pub(crate) async fn collect(ctx: &Ctx, client: &Client, at: &Location<'_>) -> TrailInventory {
    let region = at.region;
    let request = client.describe_trails().include_shadow_trails(true).send();
    let Some(listing) = ctx.fetch(call(region, "DescribeTrails"), request).await else {
        return TrailInventory::default();
    };
    let listed: Vec<Trail> = listing.trail_list().iter().filter_map(|t| trail_from(t, region)).collect();
    let trails = futures::stream::iter(listed)
        .map(|mut trail| async move {
            if reads_details(&trail.home_region, at) {
                let home = home_client(client, &trail.home_region);
                let client = home.as_ref().unwrap_or(client);
                let (status, selectors) = tokio::join!(status(ctx, client, &trail), selectors(ctx, client, &trail));
                trail.status = status;
                trail.selectors = selectors;
            }
            trail
        })
        .buffer_unordered(ctx.fanout())
        .collect::<Vec<_>>()
        .await;
    TrailInventory {
        trails: trails.into_iter().map(|t| (t.arn.clone(), t)).collect(),
        listed_regions: vec![region.to_owned()],
    }
}

/// Whether this region's task reads a trail's status and selectors: the home region does, and when the home
/// region is not scanned, the first scanned region does (so every listed trail is read once).
fn reads_details(home_region: &str, at: &Location<'_>) -> bool {
    let scanned_home = at.scanned.iter().any(|r| r == home_region);
    home_region == at.region || (!scanned_home && at.scanned.first().is_none_or(|first| first == at.region))
}

/// A client for the trail's home region, when that is not this client's.
fn home_client(client: &Client, home_region: &str) -> Option<Client> {
    let config = client.config();
    if config.region().is_some_and(|r| r.as_ref() == home_region) {
        return None;
    }
    Some(Client::from_conf(config.to_builder().region(Region::new(home_region.to_owned())).build()))
}

fn trail_from(trail: &aws_sdk_cloudtrail::types::Trail, region: &str) -> Option<Trail> {
    let arn = trail.trail_arn()?.to_owned();
    Some(Trail {
        name: trail.name().map(str::to_owned).unwrap_or_else(|| arn.rsplit('/').next().unwrap_or(&arn).to_owned()),
        home_region: trail.home_region().unwrap_or(region).to_owned(),
        listed_in: vec![region.to_owned()],
        multi_region: trail.is_multi_region_trail().unwrap_or(false),
        organization: trail.is_organization_trail().unwrap_or(false),
        log_file_validation: trail.log_file_validation_enabled().unwrap_or(false),
        kms_key_id: trail.kms_key_id().filter(|k| !k.is_empty()).map(str::to_owned),
        log_group_arn: trail
            .cloud_watch_logs_log_group_arn()
            .filter(|a| !a.is_empty())
            .map(|a| normalize_log_group_arn(a).to_owned()),
        cloudwatch_role_arn: trail.cloud_watch_logs_role_arn().filter(|a| !a.is_empty()).map(str::to_owned),
        include_global_service_events: trail.include_global_service_events().unwrap_or(false),
        s3_bucket: trail.s3_bucket_name().map(str::to_owned),
        status: Observed::Unknown,
        selectors: Observed::Unknown,
        arn,
    })
}

async fn status(ctx: &Ctx, client: &Client, trail: &Trail) -> Observed<TrailStatus> {
    let request = client.get_trail_status().name(&trail.arn).send();
    match ctx.fetch(call(&trail.home_region, "GetTrailStatus").on(&trail.arn), request).await {
        Some(out) => Observed::Present(TrailStatus {
            is_logging: out.is_logging().unwrap_or(false),
            latest_delivery: out.latest_delivery_time().and_then(timestamp),
            latest_delivery_error: out.latest_delivery_error().filter(|e| !e.is_empty()).map(str::to_owned),
            latest_cloudwatch_logs_delivery_error: out
                .latest_cloud_watch_logs_delivery_error()
                .filter(|e| !e.is_empty())
                .map(str::to_owned),
        }),
        None => Observed::Unknown,
    }
}

async fn selectors(ctx: &Ctx, client: &Client, trail: &Trail) -> Observed<EventSelectors> {
    let request = client.get_event_selectors().trail_name(&trail.arn).send();
    match ctx.fetch(call(&trail.home_region, "GetEventSelectors").on(&trail.arn), request).await {
        Some(out) => Observed::Present(selectors_from(&out)),
        None => Observed::Unknown,
    }
}

fn selectors_from(out: &GetEventSelectorsOutput) -> EventSelectors {
    let basic = out
        .event_selectors()
        .iter()
        .map(|s| BasicSelector {
            // AWS's defaults when a selector omits them.
            read_write_type: s.read_write_type().map_or("All", |t| t.as_str()).to_owned(),
            include_management_events: s.include_management_events().unwrap_or(true),
            exclude_management_event_sources: s.exclude_management_event_sources().to_vec(),
            data_resources: s
                .data_resources()
                .iter()
                .filter_map(|d| Some((d.r#type()?.to_owned(), d.values().to_vec())))
                .collect(),
        })
        .collect();
    let advanced = out
        .advanced_event_selectors()
        .iter()
        .map(|s| AdvancedSelector {
            name: s.name().map(str::to_owned),
            fields: s
                .field_selectors()
                .iter()
                .map(|f| FieldSelector {
                    field: f.field().to_owned(),
                    equals: f.equals().to_vec(),
                    starts_with: f.starts_with().to_vec(),
                    ends_with: f.ends_with().to_vec(),
                    not_equals: f.not_equals().to_vec(),
                    not_starts_with: f.not_starts_with().to_vec(),
                    not_ends_with: f.not_ends_with().to_vec(),
                })
                .collect(),
        })
        .collect();
    EventSelectors { basic, advanced }
}

/// The fewest requests: one listing per region, and a status and a selectors read per trail.
pub(crate) fn minimum_requests(cloudtrail: &TrailInventory, regions: usize) -> usize {
    regions + 2 * cloudtrail.trails.len()
}

#[cfg(test)]
mod tests {
    use aws_sdk_cloudtrail::operation::describe_trails::DescribeTrailsOutput;
    use aws_sdk_cloudtrail::operation::get_trail_status::GetTrailStatusOutput;
    use aws_sdk_cloudtrail::types::{
        AdvancedEventSelector, AdvancedFieldSelector, DataResource, EventSelector, ReadWriteType,
    };
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    use super::*;
    use crate::collect::call::test_support::{ctx, json_error};

    const HOME: &str = "arn:aws:cloudtrail:us-east-1:123456789012:trail/org-audit";
    const LOCAL: &str = "arn:aws:cloudtrail:eu-west-1:123456789012:trail/eu-only";

    fn listing() -> DescribeTrailsOutput {
        DescribeTrailsOutput::builder()
            .trail_list(
                aws_sdk_cloudtrail::types::Trail::builder()
                    .name("org-audit")
                    .trail_arn(HOME)
                    .home_region("us-east-1")
                    .is_multi_region_trail(true)
                    .log_file_validation_enabled(true)
                    .cloud_watch_logs_log_group_arn("arn:aws:logs:us-east-1:123456789012:log-group:trail:*")
                    .build(),
            )
            .trail_list(
                aws_sdk_cloudtrail::types::Trail::builder()
                    .name("eu-only")
                    .trail_arn(LOCAL)
                    .home_region("eu-west-1")
                    .is_multi_region_trail(false)
                    .build(),
            )
            .build()
    }

    #[tokio::test]
    async fn shadow_trails_are_read_once_in_their_home_region() {
        let list = mock!(Client::describe_trails)
            .match_requests(|r| r.include_shadow_trails() == Some(true))
            .then_output(listing);
        let status = mock!(Client::get_trail_status)
            .match_requests(|r| r.name() == Some(LOCAL))
            .then_output(|| GetTrailStatusOutput::builder().is_logging(false).build());
        let selectors = mock!(Client::get_event_selectors)
            .match_requests(|r| r.trail_name() == Some(LOCAL))
            .then_http_response(|| json_error(400, "AccessDeniedException", "no"));
        let client = mock_client!(aws_sdk_cloudtrail, RuleMode::MatchAny, [&list, &status, &selectors]);
        let ctx = ctx();
        let scanned = ["us-east-1".to_owned(), "eu-west-1".to_owned()];
        let at = Location { region: "eu-west-1", partition: "aws", account: "123456789012", scanned: &scanned };
        let trails = collect(&ctx, &client, &at).await;

        let home = &trails.trails[HOME];
        assert!(home.status.is_unknown() && home.selectors.is_unknown(), "us-east-1's task reads the shadow's home");
        assert_eq!(home.log_group_arn.as_deref(), Some("arn:aws:logs:us-east-1:123456789012:log-group:trail"));
        let local = &trails.trails[LOCAL];
        assert_eq!(local.is_logging(), Some(false));
        assert!(local.selectors.is_unknown(), "a denied read is unknown");
        assert_eq!(trails.listed_regions, ["eu-west-1"]);
        let coverage = ctx.into_coverage();
        assert_eq!(coverage.len(), 1, "{coverage:?}");
        assert_eq!(coverage[0].operation, "GetEventSelectors");
        assert_eq!(status.num_calls() + selectors.num_calls(), 2, "only the trail whose home is here");
    }

    #[tokio::test]
    async fn a_trail_whose_home_is_not_scanned_is_read_by_the_first_scanned_region() {
        let list = mock!(Client::describe_trails).then_output(listing);
        let status =
            mock!(Client::get_trail_status).then_output(|| GetTrailStatusOutput::builder().is_logging(true).build());
        let selectors = mock!(Client::get_event_selectors).then_output(|| {
            GetEventSelectorsOutput::builder()
                .event_selectors(
                    EventSelector::builder()
                        .read_write_type(ReadWriteType::All)
                        .include_management_events(true)
                        .data_resources(
                            DataResource::builder().r#type("AWS::Lambda::Function").values("arn:aws:lambda").build(),
                        )
                        .build(),
                )
                .advanced_event_selectors(
                    AdvancedEventSelector::builder()
                        .field_selectors(
                            AdvancedFieldSelector::builder()
                                .field("eventCategory")
                                .equals("Data")
                                .build()
                                .expect("field"),
                        )
                        .build()
                        .expect("selector"),
                )
                .build()
        });
        let client = mock_client!(aws_sdk_cloudtrail, RuleMode::MatchAny, [&list, &status, &selectors]);
        let ctx = ctx();
        let scanned = ["eu-west-1".to_owned()];
        let at = Location { region: "eu-west-1", partition: "aws", account: "123456789012", scanned: &scanned };
        let trails = collect(&ctx, &client, &at).await;
        let home = &trails.trails[HOME];
        assert_eq!(home.is_logging(), Some(true));
        let selectors = home.selectors.present().expect("read");
        assert!(selectors.records_all_management_events());
        assert!(selectors.records_invocations_of("arn:aws:lambda:eu-west-1:123456789012:function:f"));
        assert_eq!(selectors.advanced[0].fields[0].equals, ["Data"]);
        assert!(ctx.into_coverage().is_empty());
        assert_eq!(minimum_requests(&trails, 1), 1 + 4);
    }

    #[tokio::test]
    async fn a_denied_listing_leaves_the_region_unlisted() {
        let list = mock!(Client::describe_trails).then_http_response(|| json_error(400, "AccessDeniedException", "no"));
        let client = mock_client!(aws_sdk_cloudtrail, RuleMode::MatchAny, [&list]);
        let ctx = ctx();
        let at = Location { region: "us-east-1", partition: "aws", account: "123456789012", scanned: &[] };
        let trails = collect(&ctx, &client, &at).await;
        assert!(trails.trails.is_empty() && trails.listed_regions.is_empty());
        assert_eq!(ctx.into_coverage()[0].operation, "DescribeTrails");
    }
}
