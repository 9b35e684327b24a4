//! CloudTrail: trails (home and shadow), their status and their event selectors, and what they record.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::service::{DriftIndex, KeyReference, ServiceFacts, ServiceModel, attributes, merge_regions};
use super::{Observed, Timestamp};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrailInventory {
    /// By trail ARN. A multi-region or organization trail is listed by every region; it is one entry here.
    pub trails: BTreeMap<String, Trail>,
    /// The regions whose DescribeTrails answered: a region missing here was not seen (a coverage record says
    /// why), so "no trail" cannot be concluded for it.
    #[serde(default)]
    pub listed_regions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trail {
    pub arn: String,
    pub name: String,
    pub home_region: String,
    /// The scanned regions that listed it (its home region, and every region where it is a shadow).
    pub listed_in: Vec<String>,
    pub multi_region: bool,
    pub organization: bool,
    pub log_file_validation: bool,
    /// The KMS key its log files are encrypted with (a key ARN); `None`: SSE-S3 only.
    pub kms_key_id: Option<String>,
    /// The CloudWatch Logs group it delivers to (`arn:aws:logs:R:A:log-group:NAME`, without the `:*`).
    pub log_group_arn: Option<String>,
    pub cloudwatch_role_arn: Option<String>,
    pub include_global_service_events: bool,
    pub s3_bucket: Option<String>,
    /// GetTrailStatus, asked in the trail's home region.
    pub status: Observed<TrailStatus>,
    /// GetEventSelectors, asked in the trail's home region.
    pub selectors: Observed<EventSelectors>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrailStatus {
    pub is_logging: bool,
    pub latest_delivery: Option<Timestamp>,
    pub latest_delivery_error: Option<String>,
    pub latest_cloudwatch_logs_delivery_error: Option<String>,
}

/// A trail's event selectors: basic or advanced (a trail uses one kind or the other).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EventSelectors {
    pub basic: Vec<BasicSelector>,
    pub advanced: Vec<AdvancedSelector>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BasicSelector {
    /// `All`, `ReadOnly` or `WriteOnly`.
    pub read_write_type: String,
    pub include_management_events: bool,
    /// Management event sources left out (`kms.amazonaws.com`, `rdsdata.amazonaws.com`).
    pub exclude_management_event_sources: Vec<String>,
    /// `(type, values)`: `("AWS::Lambda::Function", ["arn:aws:lambda"])` records every function's invokes.
    pub data_resources: Vec<(String, Vec<String>)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdvancedSelector {
    pub name: Option<String>,
    pub fields: Vec<FieldSelector>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FieldSelector {
    /// `eventCategory`, `resources.type`, `resources.ARN`, `readOnly`, `eventSource`, `eventName`, …
    pub field: String,
    pub equals: Vec<String>,
    pub starts_with: Vec<String>,
    pub ends_with: Vec<String>,
    pub not_equals: Vec<String>,
    pub not_starts_with: Vec<String>,
    pub not_ends_with: Vec<String>,
}

impl FieldSelector {
    /// Whether an event whose `field` is `value` passes this field's conditions (all must hold).
    fn admits(&self, value: &str) -> bool {
        (self.equals.is_empty() && self.starts_with.is_empty() && self.ends_with.is_empty()
            || self.equals.iter().any(|v| v == value)
            || self.starts_with.iter().any(|v| value.starts_with(v.as_str()))
            || self.ends_with.iter().any(|v| value.ends_with(v.as_str())))
            && !self.not_equals.iter().any(|v| v == value)
            && !self.not_starts_with.iter().any(|v| value.starts_with(v.as_str()))
            && !self.not_ends_with.iter().any(|v| value.ends_with(v.as_str()))
    }
}

impl AdvancedSelector {
    fn field(&self, name: &str) -> Option<&FieldSelector> {
        self.fields.iter().find(|f| f.field == name)
    }

    /// Whether an event with these field values is recorded: every field the selector constrains must
    /// admit the event's value (a field the event lacks admits nothing it constrains).
    fn records(&self, event: &[(&str, &str)]) -> bool {
        self.fields.iter().all(|f| match event.iter().find(|(name, _)| *name == f.field) {
            Some((_, value)) => f.admits(value),
            None => false,
        })
    }

    /// Every value of `field` passes: no constraint, or only ones that exclude nothing (`readOnly` equal to
    /// both `true` and `false`).
    fn admits_all(&self, field: &str, values: &[&str]) -> bool {
        self.field(field).is_none_or(|f| values.iter().all(|v| f.admits(v)))
    }
}

impl EventSelectors {
    /// Whether read and write management events of every source are recorded.
    ///
    /// A trail that reports no selector at all records AWS's default, every management event: AWS returns
    /// that default selector explicitly, and a trail cannot be configured to an empty list.
    pub fn records_all_management_events(&self) -> bool {
        if self.basic.is_empty() && self.advanced.is_empty() {
            return true;
        }
        let basic = self.basic.iter().any(|s| {
            s.include_management_events && s.read_write_type == "All" && s.exclude_management_event_sources.is_empty()
        });
        // Advanced selectors are ORed: read and write may come from different selectors.
        let advanced = |read_only: &str| {
            self.advanced.iter().any(|s| {
                s.field("eventCategory").is_some_and(|f| f.admits("Management"))
                    && s.admits_all("eventSource", &["iam.amazonaws.com", "kms.amazonaws.com", "lambda.amazonaws.com"])
                    && s.field("readOnly").is_none_or(|f| f.admits(read_only))
            })
        };
        basic || (advanced("true") && advanced("false"))
    }

    /// Whether invocations (`Invoke`, a write data event) of `function_arn` are recorded.
    pub fn records_invocations_of(&self, function_arn: &str) -> bool {
        let basic = self.basic.iter().any(|s| {
            s.read_write_type != "ReadOnly"
                && s.data_resources.iter().any(|(kind, values)| {
                    kind == "AWS::Lambda::Function"
                        && values.iter().any(|v| v == "arn:aws:lambda" || lambda_arn_prefix_matches(v, function_arn))
                })
        });
        let event = [
            ("eventCategory", "Data"),
            ("resources.type", "AWS::Lambda::Function"),
            ("resources.ARN", function_arn),
            ("readOnly", "false"),
            ("eventName", "Invoke"),
            ("eventSource", "lambda.amazonaws.com"),
        ];
        basic || self.advanced.iter().any(|s| s.records(&event))
    }
}

/// A basic selector's Lambda value names a function ARN (an exact function, or a qualified version of it).
fn lambda_arn_prefix_matches(value: &str, function_arn: &str) -> bool {
    value == function_arn || value.strip_prefix(function_arn).is_some_and(|rest| rest.starts_with(':'))
}

impl Trail {
    /// Status known and logging.
    pub fn is_logging(&self) -> Option<bool> {
        self.status.present().map(|s| s.is_logging)
    }

    /// Whether it covers `region`: a multi-region trail covers every region, another only its home region.
    pub fn covers(&self, region: &str) -> bool {
        self.multi_region || self.home_region == region
    }

    /// Why it is not an account-wide audit trail (CIS 3.1: multi-region, logging, recording read and write
    /// management events), in words: `Some(None)` when it is one, `None` when its status or selectors could
    /// not be read.
    pub fn audit_shortfall(&self) -> Option<Option<String>> {
        if !self.multi_region {
            return Some(Some(format!("{} covers {} only", self.name, self.home_region)));
        }
        let (logging, selectors) = (self.is_logging()?, self.selectors.present()?);
        if !logging {
            return Some(Some(format!("{} is stopped", self.name)));
        }
        if !selectors.records_all_management_events() {
            return Some(Some(format!("{} does not record both read and write management events", self.name)));
        }
        Some(None)
    }

    /// Whether it records, while logging, the invocations of `function_arn` (in `region`). `None` when its
    /// status or selectors could not be read.
    pub fn audits_invocations_of(&self, function_arn: &str, region: &str) -> Option<bool> {
        if !self.covers(region) {
            return Some(false);
        }
        let logging = self.is_logging()?;
        let selectors = self.selectors.present()?;
        Some(logging && selectors.records_invocations_of(function_arn))
    }
}

impl TrailInventory {
    /// The logging trail that records the invocations of `function_arn`: `Some(Some(trail))`; `Some(None)`
    /// when every trail that could was read and none does; `None` when it cannot be told (trails not listed
    /// in the region, or a candidate trail's status or selectors unknown).
    pub fn invocation_recorder(&self, function_arn: &str, region: &str) -> Option<Option<&Trail>> {
        let mut unknown = !self.listed_regions.iter().any(|r| r == region);
        for trail in self.trails.values() {
            match trail.audits_invocations_of(function_arn, region) {
                Some(true) => return Some(Some(trail)),
                Some(false) => {}
                None => unknown = true,
            }
        }
        if unknown { None } else { Some(None) }
    }
}

impl ServiceFacts for TrailInventory {
    fn resource_count(&self) -> usize {
        self.trails.len()
    }

    fn counts(&self, counts: &mut BTreeMap<&'static str, usize>) {
        counts.insert("cloudtrail_trails", self.trails.len());
    }

    fn drift(&self, index: &mut DriftIndex) {
        for trail in self.trails.values() {
            let trail_attributes = attributes([
                ("logging", json!(trail.is_logging())),
                ("multi_region", json!(trail.multi_region)),
                ("log_file_validation", json!(trail.log_file_validation)),
                ("kms_key_id", json!(trail.kms_key_id)),
                ("log_group", json!(trail.log_group_arn)),
                ("selectors", json!(trail.selectors.present())),
            ]);
            index.insert(trail.arn.clone(), ("cloudtrail_trail", trail_attributes));
        }
    }

    fn key_references(&self) -> Vec<KeyReference<'_>> {
        self.trails
            .values()
            .filter_map(|t| {
                Some(KeyReference {
                    kind: "CloudTrail trail",
                    resource_arn: &t.arn,
                    region: &t.home_region,
                    key: t.kms_key_id.as_deref()?,
                })
            })
            .collect()
    }
}

impl ServiceModel for TrailInventory {
    /// A trail listed by several regions: one entry, with every listing region, and the status and
    /// selectors from the region that read them.
    fn merge(&mut self, other: Self) {
        for (arn, trail) in other.trails {
            match self.trails.get_mut(&arn) {
                None => {
                    self.trails.insert(arn, trail);
                }
                Some(known) => {
                    merge_regions(&mut known.listed_in, trail.listed_in);
                    if known.status.is_unknown() {
                        known.status = trail.status;
                    }
                    if known.selectors.is_unknown() {
                        known.selectors = trail.selectors;
                    }
                }
            }
        }
        merge_regions(&mut self.listed_regions, other.listed_regions);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FUNCTION: &str = "arn:aws:lambda:us-east-1:123456789012:function:orders";

    fn field(name: &str, equals: &[&str]) -> FieldSelector {
        FieldSelector {
            field: name.into(),
            equals: equals.iter().map(|v| (*v).to_owned()).collect(),
            ..FieldSelector::default()
        }
    }

    fn advanced(fields: Vec<FieldSelector>) -> EventSelectors {
        EventSelectors { basic: vec![], advanced: vec![AdvancedSelector { name: None, fields }] }
    }

    fn basic(read_write: &str, management: bool, data: &[(&str, &[&str])]) -> EventSelectors {
        let data_resources =
            data.iter().map(|(k, v)| ((*k).to_owned(), v.iter().map(|s| (*s).to_owned()).collect())).collect();
        EventSelectors {
            basic: vec![BasicSelector {
                read_write_type: read_write.into(),
                include_management_events: management,
                exclude_management_event_sources: vec![],
                data_resources,
            }],
            advanced: vec![],
        }
    }

    #[test]
    fn management_events_read_and_write() {
        assert!(basic("All", true, &[]).records_all_management_events());
        assert!(!basic("WriteOnly", true, &[]).records_all_management_events(), "reads are not recorded");
        assert!(!basic("All", false, &[]).records_all_management_events());
        assert!(advanced(vec![field("eventCategory", &["Management"])]).records_all_management_events());
        let write_only = advanced(vec![field("eventCategory", &["Management"]), field("readOnly", &["false"])]);
        assert!(!write_only.records_all_management_events());
        let mut excluding = basic("All", true, &[]);
        excluding.basic[0].exclude_management_event_sources = vec!["kms.amazonaws.com".into()];
        assert!(!excluding.records_all_management_events(), "KMS events left out");
    }

    #[test]
    fn lambda_invocations_basic_and_advanced() {
        assert!(basic("All", true, &[("AWS::Lambda::Function", &["arn:aws:lambda"])]).records_invocations_of(FUNCTION));
        assert!(basic("WriteOnly", false, &[("AWS::Lambda::Function", &[FUNCTION])]).records_invocations_of(FUNCTION));
        let other = "arn:aws:lambda:us-east-1:123456789012:function:orders-v2";
        assert!(!basic("All", true, &[("AWS::Lambda::Function", &[FUNCTION])]).records_invocations_of(other));
        assert!(
            !basic("ReadOnly", true, &[("AWS::Lambda::Function", &["arn:aws:lambda"])])
                .records_invocations_of(FUNCTION)
        );
        assert!(!basic("All", true, &[("AWS::S3::Object", &["arn:aws:s3"])]).records_invocations_of(FUNCTION));
        let lambda =
            advanced(vec![field("eventCategory", &["Data"]), field("resources.type", &["AWS::Lambda::Function"])]);
        assert!(lambda.records_invocations_of(FUNCTION));
        let reads = advanced(vec![
            field("eventCategory", &["Data"]),
            field("resources.type", &["AWS::Lambda::Function"]),
            field("readOnly", &["true"]),
        ]);
        assert!(!reads.records_invocations_of(FUNCTION), "Invoke is a write event");
        let mut prefixed =
            advanced(vec![field("eventCategory", &["Data"]), field("resources.type", &["AWS::Lambda::Function"])]);
        prefixed.advanced[0].fields.push(FieldSelector {
            field: "resources.ARN".into(),
            starts_with: vec!["arn:aws:lambda:us-east-1:123456789012:function:pay".into()],
            ..FieldSelector::default()
        });
        assert!(!prefixed.records_invocations_of(FUNCTION));
        assert!(!advanced(vec![field("eventCategory", &["Management"])]).records_invocations_of(FUNCTION));
    }
}
