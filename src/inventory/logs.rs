//! CloudWatch Logs: log groups (retention, encryption) and the metric filters that turn log events into
//! metrics an alarm can watch.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::Timestamp;
use super::service::{DriftIndex, KeyReference, ServiceFacts, ServiceModel, attributes, merge_regions};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LogsInventory {
    /// By log group ARN (`arn:aws:logs:R:A:log-group:NAME`, without DescribeLogGroups' trailing `:*`).
    pub groups: BTreeMap<String, LogGroup>,
    /// By [`MetricFilter::key`]: a filter's name is unique within its log group.
    pub metric_filters: BTreeMap<String, MetricFilter>,
    /// The regions whose DescribeLogGroups answered in full.
    #[serde(default)]
    pub listed_regions: Vec<String>,
    /// The regions whose DescribeMetricFilters answered in full.
    #[serde(default)]
    pub filters_listed_regions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogGroup {
    pub arn: String,
    pub name: String,
    pub region: String,
    /// `None`: events never expire.
    pub retention_days: Option<i32>,
    pub kms_key_id: Option<String>,
    pub created: Option<Timestamp>,
    /// `STANDARD`, `INFREQUENT_ACCESS`, …
    pub class: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricFilter {
    pub name: String,
    pub log_group: String,
    pub region: String,
    /// The filter pattern, as written.
    pub pattern: String,
    pub metrics: Vec<MetricName>,
}

/// A CloudWatch metric: its namespace and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct MetricName {
    pub namespace: String,
    pub name: String,
}

impl MetricFilter {
    /// Its key in [`LogsInventory::metric_filters`] (and the drift's): the log group's ARN and the filter's
    /// name. Not an AWS ARN: metric filters have none.
    pub fn key(partition: &str, account: &str, region: &str, log_group: &str, name: &str) -> String {
        format!("{}:metric-filter:{name}", log_group_arn(partition, region, account, log_group))
    }
}

/// A log group's ARN from its name.
pub fn log_group_arn(partition: &str, region: &str, account: &str, name: &str) -> String {
    format!("arn:{partition}:logs:{region}:{account}:log-group:{name}")
}

/// A log group ARN as services write it (a trail's `CloudWatchLogsLogGroupArn`, a stage's access-log
/// destination, DescribeLogGroups' `arn`), without the trailing `:*` some of them add.
pub fn normalize_log_group_arn(arn: &str) -> &str {
    arn.strip_suffix(":*").unwrap_or(arn)
}

impl LogsInventory {
    /// The log group an ARN (with or without `:*`) names, when it was inventoried.
    pub fn group(&self, arn: &str) -> Option<&LogGroup> {
        self.groups.get(normalize_log_group_arn(arn))
    }

    /// Whether `region`'s log groups were listed in full: otherwise a group missing from the inventory may
    /// exist.
    pub fn listed(&self, region: &str) -> bool {
        self.listed_regions.iter().any(|r| r == region)
    }

    /// The metric filters of a log group (by its ARN).
    pub fn filters_of<'a>(&'a self, group_arn: &'a str) -> impl Iterator<Item = &'a MetricFilter> + 'a {
        let prefix = format!("{}:metric-filter:", normalize_log_group_arn(group_arn));
        self.metric_filters.range(prefix.clone()..).take_while(move |(k, _)| k.starts_with(&prefix)).map(|(_, f)| f)
    }
}

impl ServiceFacts for LogsInventory {
    fn resource_count(&self) -> usize {
        self.groups.len()
    }

    fn counts(&self, counts: &mut BTreeMap<&'static str, usize>) {
        counts.extend([("log_groups", self.groups.len()), ("metric_filters", self.metric_filters.len())]);
    }

    fn drift(&self, index: &mut DriftIndex) {
        for group in self.groups.values() {
            let group_attributes =
                attributes([("retention_days", json!(group.retention_days)), ("kms_key_id", json!(group.kms_key_id))]);
            index.insert(group.arn.clone(), ("log_group", group_attributes));
        }
        for (key, filter) in &self.metric_filters {
            let filter_attributes =
                attributes([("pattern", json!(filter.pattern)), ("metrics", json!(filter.metrics))]);
            index.insert(key.clone(), ("metric_filter", filter_attributes));
        }
    }

    fn key_references(&self) -> Vec<KeyReference<'_>> {
        self.groups
            .values()
            .filter_map(|g| {
                Some(KeyReference {
                    kind: "log group",
                    resource_arn: &g.arn,
                    region: &g.region,
                    key: g.kms_key_id.as_deref()?,
                })
            })
            .collect()
    }
}

impl ServiceModel for LogsInventory {
    fn merge(&mut self, other: Self) {
        self.groups.extend(other.groups);
        self.metric_filters.extend(other.metric_filters);
        merge_regions(&mut self.listed_regions, other.listed_regions);
        merge_regions(&mut self.filters_listed_regions, other.filters_listed_regions);
    }
}
