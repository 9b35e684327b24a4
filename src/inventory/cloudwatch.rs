//! CloudWatch alarms: which metric each watches and whether it notifies anyone.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::logs::MetricName;
use super::service::{DriftIndex, ServiceFacts, ServiceModel, attributes, merge_regions};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AlarmInventory {
    /// Metric alarms by ARN, across regions.
    pub alarms: BTreeMap<String, Alarm>,
    /// The regions whose DescribeAlarms answered in full.
    #[serde(default)]
    pub listed_regions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alarm {
    pub arn: String,
    pub name: String,
    pub region: String,
    /// The metrics it watches: its own metric, or every metric of its metric-math expression.
    pub metrics: Vec<MetricName>,
    pub actions_enabled: bool,
    /// What happens when it fires: SNS topics, Auto Scaling or Systems Manager actions, …
    pub alarm_actions: Vec<String>,
    /// `OK`, `ALARM` or `INSUFFICIENT_DATA`.
    pub state: Option<String>,
}

impl Alarm {
    /// Whether it would tell someone when it fires.
    pub fn notifies(&self) -> bool {
        self.actions_enabled && !self.alarm_actions.is_empty()
    }
}

impl AlarmInventory {
    pub fn listed(&self, region: &str) -> bool {
        self.listed_regions.iter().any(|r| r == region)
    }

    /// The alarms in `region` that watch `metric`.
    pub fn watching<'a>(&'a self, metric: &'a MetricName, region: &'a str) -> impl Iterator<Item = &'a Alarm> + 'a {
        self.alarms.values().filter(move |a| a.region == region && a.metrics.contains(metric))
    }
}

impl ServiceFacts for AlarmInventory {
    fn resource_count(&self) -> usize {
        self.alarms.len()
    }

    fn counts(&self, counts: &mut BTreeMap<&'static str, usize>) {
        counts.insert("alarms", self.alarms.len());
    }

    fn drift(&self, index: &mut DriftIndex) {
        for alarm in self.alarms.values() {
            let alarm_attributes = attributes([
                ("metrics", json!(alarm.metrics)),
                ("actions_enabled", json!(alarm.actions_enabled)),
                ("alarm_actions", json!(alarm.alarm_actions)),
            ]);
            index.insert(alarm.arn.clone(), ("alarm", alarm_attributes));
        }
    }
}

impl ServiceModel for AlarmInventory {
    fn merge(&mut self, other: Self) {
        self.alarms.extend(other.alarms);
        merge_regions(&mut self.listed_regions, other.listed_regions);
    }
}
