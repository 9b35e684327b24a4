//! EventBridge (per region): event buses and their policies, each bus's rules, and each rule's targets
//! (where events go, never the input they carry).

use aws_sdk_eventbridge::Client;
use futures::StreamExt;

use super::{Call, Ctx, Location};
use crate::inventory::eventbridge::*;
use crate::inventory::{Observed, PolicyDocument};

fn call(region: &str, operation: &'static str) -> Call {
    Call::new("eventbridge", region, operation)
}

/// The largest pages of ListEventBuses, ListRules and ListTargetsByRule.
const BUSES_PAGE: i32 = 100;
const RULES_PAGE: i32 = 100;
const TARGETS_PAGE: i32 = 100;

pub(crate) async fn collect(ctx: &Ctx, client: &Client, at: &Location<'_>) -> EventsInventory {
    let region = at.region;
    let (pages, complete) = ctx
        .token_listing(
            call(region, "ListEventBuses"),
            |token| client.list_event_buses().limit(BUSES_PAGE).set_next_token(token).send(),
            |page| page.next_token().map(str::to_owned),
        )
        .await;
    let listed: Vec<(String, String)> = pages
        .unwrap_or_default()
        .iter()
        .flat_map(|page| page.event_buses())
        .filter_map(|b| Some((b.arn()?.to_owned(), b.name()?.to_owned())))
        .collect();
    let buses = futures::stream::iter(listed)
        .map(|(arn, name)| async move {
            let (policy, rules) = tokio::join!(bus_policy(ctx, client, region, &arn), rules(ctx, client, region, &arn));
            EventBus { arn, name, region: region.to_owned(), policy, rules }
        })
        .buffer_unordered(ctx.fanout())
        .collect::<Vec<_>>()
        .await;
    EventsInventory {
        buses: buses.into_iter().map(|b| (b.arn.clone(), b)).collect(),
        listed_regions: if complete { vec![region.to_owned()] } else { Vec::new() },
    }
}

async fn bus_policy(ctx: &Ctx, client: &Client, region: &str, bus: &str) -> Observed<PolicyDocument> {
    let request = client.describe_event_bus().name(bus).send();
    ctx.fetch_policy(call(region, "DescribeEventBus").on(bus), request, |out| out.policy().filter(|p| !p.is_empty()))
        .await
}

async fn rules(ctx: &Ctx, client: &Client, region: &str, bus: &str) -> Option<Vec<EventRule>> {
    let pages = ctx
        .token_pages(
            call(region, "ListRules").on(bus),
            |token| client.list_rules().event_bus_name(bus).limit(RULES_PAGE).set_next_token(token).send(),
            |page| page.next_token().map(str::to_owned),
        )
        .await?;
    let listed: Vec<EventRule> = pages
        .iter()
        .flat_map(|page| page.rules())
        .filter_map(|r| {
            Some(EventRule {
                arn: r.arn()?.to_owned(),
                name: r.name()?.to_owned(),
                state: r.state().map(|s| s.as_str().to_owned()),
                schedule: r.schedule_expression().map(str::to_owned),
                event_pattern: r.event_pattern().map(str::to_owned),
                managed_by: r.managed_by().map(str::to_owned),
                targets: None,
            })
        })
        .collect();
    let mut rules = futures::stream::iter(listed)
        .map(|mut rule| async move {
            rule.targets = targets(ctx, client, region, bus, &rule).await;
            rule
        })
        .buffer_unordered(ctx.fanout())
        .collect::<Vec<_>>()
        .await;
    rules.sort_by(|a, b| a.arn.cmp(&b.arn));
    Some(rules)
}

async fn targets(ctx: &Ctx, client: &Client, region: &str, bus: &str, rule: &EventRule) -> Option<Vec<RuleTarget>> {
    let pages = ctx
        .token_pages(
            call(region, "ListTargetsByRule").on(&rule.arn),
            |token| {
                let request = client.list_targets_by_rule().rule(&rule.name).event_bus_name(bus);
                request.limit(TARGETS_PAGE).set_next_token(token).send()
            },
            |page| page.next_token().map(str::to_owned),
        )
        .await?;
    let mut targets: Vec<RuleTarget> = pages
        .iter()
        .flat_map(|page| page.targets())
        .map(|t| RuleTarget {
            id: t.id().to_owned(),
            arn: t.arn().to_owned(),
            role_arn: t.role_arn().map(str::to_owned),
        })
        .collect();
    targets.sort_by(|a, b| a.id.cmp(&b.id));
    Some(targets)
}

/// The fewest requests: the bus listing's pages, each bus's policy and rule pages, each rule's targets.
pub(crate) fn minimum_requests(events: &EventsInventory, regions: usize) -> usize {
    let per_bus: usize = events
        .buses
        .values()
        .map(|b| 1 + b.rules.as_ref().map_or(1, |r| 1 + r.len().saturating_sub(1) / RULES_PAGE as usize))
        .sum();
    let per_rule: usize = events
        .rules()
        .map(|(_, r)| r.targets.as_ref().map_or(1, |t| 1 + t.len().saturating_sub(1) / TARGETS_PAGE as usize))
        .sum();
    super::pages_needed(events.buses.values().map(|b| b.region.as_str()), regions, BUSES_PAGE as usize)
        + per_bus
        + per_rule
}

#[cfg(test)]
mod tests {
    use aws_sdk_eventbridge::operation::describe_event_bus::DescribeEventBusOutput;
    use aws_sdk_eventbridge::operation::list_event_buses::ListEventBusesOutput;
    use aws_sdk_eventbridge::operation::list_rules::ListRulesOutput;
    use aws_sdk_eventbridge::operation::list_targets_by_rule::ListTargetsByRuleOutput;
    use aws_sdk_eventbridge::types::{EventBus as SdkBus, Rule, RuleState, Target};
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    use super::*;
    use crate::collect::call::test_support::{ctx, json_error};

    const BUS: &str = "arn:aws:events:us-east-1:123456789012:event-bus/default";

    #[tokio::test]
    async fn buses_rules_pages_and_targets() {
        let buses = mock!(Client::list_event_buses).then_output(|| {
            ListEventBusesOutput::builder().event_buses(SdkBus::builder().name("default").arn(BUS).build()).build()
        });
        let policy = mock!(Client::describe_event_bus).then_output(|| {
            DescribeEventBusOutput::builder()
                .policy(r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"events:PutEvents"}]}"#)
                .build()
        });
        let rule = |name: &str, state: RuleState| {
            Rule::builder()
                .name(name)
                .arn(format!("arn:aws:events:us-east-1:123456789012:rule/{name}"))
                .state(state)
                .build()
        };
        let rules1 = mock!(Client::list_rules).match_requests(|r| r.next_token().is_none()).then_output(move || {
            ListRulesOutput::builder().rules(rule("nightly", RuleState::Enabled)).next_token("r2").build()
        });
        let rules2 = mock!(Client::list_rules)
            .match_requests(|r| r.next_token() == Some("r2"))
            .then_output(move || ListRulesOutput::builder().rules(rule("paused", RuleState::Disabled)).build());
        let nightly =
            mock!(Client::list_targets_by_rule).match_requests(|r| r.rule() == Some("nightly")).then_output(|| {
                ListTargetsByRuleOutput::builder()
                    .targets(
                        Target::builder()
                            .id("export")
                            .arn("arn:aws:lambda:us-east-1:123456789012:function:export")
                            .input(r#"{"token":"do-not-keep"}"#)
                            .build()
                            .expect("complete target"),
                    )
                    .build()
            });
        let paused = mock!(Client::list_targets_by_rule)
            .match_requests(|r| r.rule() == Some("paused"))
            .then_http_response(|| json_error(400, "AccessDeniedException", "not authorized"));
        let client = mock_client!(
            aws_sdk_eventbridge,
            RuleMode::MatchAny,
            [&buses, &policy, &rules1, &rules2, &nightly, &paused]
        );
        let ctx = ctx();
        let at = Location { region: "us-east-1", partition: "aws", account: "123456789012", scanned: &[] };
        let events = collect(&ctx, &client, &at).await;

        let bus = &events.buses[BUS];
        assert!(bus.policy.present().is_some());
        let rules = bus.rules.as_ref().expect("listed");
        assert_eq!(rules.len(), 2, "both pages");
        assert!(rules[0].is_enabled() && !rules[1].is_enabled());
        let targets = rules[0].targets.as_ref().expect("listed");
        assert_eq!(targets[0].arn, "arn:aws:lambda:us-east-1:123456789012:function:export");
        assert!(
            !serde_json::to_string(&events).expect("serializes").contains("do-not-keep"),
            "a target's input is not kept"
        );
        assert_eq!(rules[1].targets, None, "denied: unknown, not none");
        assert_eq!(events.listed_regions, ["us-east-1"]);
        assert_eq!(ctx.into_coverage().len(), 1);
    }
}
