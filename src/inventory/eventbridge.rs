//! EventBridge: event buses with their resource policy, their rules and the rules' targets. A target's
//! input (which can hold anything its author put there) is not kept: only where it sends events.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::service::{DriftIndex, ServiceFacts, ServiceModel, attributes, merge_regions};
use super::{Observed, PolicyDocument};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EventsInventory {
    /// By bus ARN, across regions.
    pub buses: BTreeMap<String, EventBus>,
    /// The regions whose bus listing came in full.
    #[serde(default)]
    pub listed_regions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventBus {
    pub arn: String,
    pub name: String,
    pub region: String,
    /// `DescribeEventBus` → `Policy`; `Absent`: only the owning account may put events.
    pub policy: Observed<PolicyDocument>,
    /// `None` when they could not be listed.
    pub rules: Option<Vec<EventRule>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRule {
    pub arn: String,
    pub name: String,
    /// `ENABLED`, `DISABLED`, `ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS`.
    pub state: Option<String>,
    pub schedule: Option<String>,
    pub event_pattern: Option<String>,
    /// The service that manages the rule, for rules AWS services create.
    pub managed_by: Option<String>,
    /// `None` when they could not be listed.
    pub targets: Option<Vec<RuleTarget>>,
}

impl EventRule {
    /// Whether it delivers events: any state but `DISABLED`.
    pub fn is_enabled(&self) -> bool {
        self.state.as_deref() != Some("DISABLED")
    }

    /// Whether an event someone puts on the bus can match it. A scheduled rule without a pattern fires on its
    /// clock only, and a pattern that requires an `aws.*` source matches only events AWS services emit:
    /// PutEvents refuses custom events with such a source. An unreadable pattern is assumed to match.
    pub fn matches_put_events(&self) -> bool {
        let Some(pattern) = &self.event_pattern else { return self.schedule.is_none() };
        let Ok(pattern) = serde_json::from_str::<serde_json::Value>(pattern) else { return true };
        let sources = pattern.get("source").and_then(|s| s.as_array());
        let aws_only = sources.is_some_and(|sources| {
            !sources.is_empty() && sources.iter().all(|s| s.as_str().is_some_and(|s| s.starts_with("aws.")))
        });
        !aws_only
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleTarget {
    pub id: String,
    pub arn: String,
    /// The role EventBridge assumes to deliver (buses, Kinesis, ECS…); Lambda, SNS and SQS targets use
    /// their own resource policies instead.
    pub role_arn: Option<String>,
}

impl EventsInventory {
    /// Every rule with its bus, across regions.
    pub fn rules(&self) -> impl Iterator<Item = (&EventBus, &EventRule)> {
        self.buses.values().flat_map(|bus| bus.rules.iter().flatten().map(move |rule| (bus, rule)))
    }
}

impl ServiceFacts for EventsInventory {
    fn resource_count(&self) -> usize {
        self.buses.len()
    }

    fn counts(&self, counts: &mut BTreeMap<&'static str, usize>) {
        counts.insert("eventbridge_buses", self.buses.len());
        counts.insert("eventbridge_rules", self.rules().count());
    }

    fn drift(&self, index: &mut DriftIndex) {
        for bus in self.buses.values() {
            index.insert(bus.arn.clone(), ("eventbridge_bus", attributes([("policy", json!(bus.policy))])));
        }
        for (_, rule) in self.rules() {
            let targets: Option<Vec<&str>> = rule.targets.as_ref().map(|t| t.iter().map(|t| t.arn.as_str()).collect());
            let rule_attributes = attributes([
                ("state", json!(rule.state)),
                ("event_pattern", json!(rule.event_pattern)),
                ("schedule", json!(rule.schedule)),
                ("targets", json!(targets)),
            ]);
            index.insert(rule.arn.clone(), ("eventbridge_rule", rule_attributes));
        }
    }

    fn resource_policies(&self) -> Vec<(&str, &PolicyDocument)> {
        self.buses.values().filter_map(|b| Some((b.arn.as_str(), b.policy.present()?))).collect()
    }

    fn name_of(&self, arn: &str) -> Option<String> {
        if let Some(bus) = self.buses.get(arn) {
            return Some(format!("event bus {}", bus.name));
        }
        let (bus, rule) = self.rules().find(|(_, r)| r.arn == arn)?;
        Some(format!("rule {} on bus {}", rule.name, bus.name))
    }
}

impl ServiceModel for EventsInventory {
    fn merge(&mut self, other: Self) {
        self.buses.extend(other.buses);
        merge_regions(&mut self.listed_regions, other.listed_regions);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(pattern: Option<&str>, schedule: Option<&str>) -> EventRule {
        EventRule {
            arn: "arn:aws:events:us-east-1:1:rule/r".into(),
            name: "r".into(),
            state: Some("ENABLED".into()),
            schedule: schedule.map(str::to_owned),
            event_pattern: pattern.map(str::to_owned),
            managed_by: None,
            targets: None,
        }
    }

    #[test]
    fn which_rules_put_events_can_reach() {
        assert!(rule(Some(r#"{"source":["acme.orders"]}"#), None).matches_put_events());
        assert!(rule(Some(r#"{"detail-type":["Order Placed"]}"#), None).matches_put_events(), "any source");
        assert!(rule(Some(r#"{"source":["aws.s3","acme.uploads"]}"#), None).matches_put_events());
        assert!(!rule(Some(r#"{"source":["aws.s3"]}"#), None).matches_put_events(), "only AWS emits aws.* events");
        assert!(!rule(None, Some("rate(1 day)")).matches_put_events(), "a schedule fires on its own");
        assert!(rule(Some("{not json"), None).matches_put_events(), "unreadable: not ruled out");
    }
}
