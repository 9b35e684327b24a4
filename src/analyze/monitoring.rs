//! The audit trail and what watches it: which trails a CIS monitoring control can rely on, whether a metric
//! filter and a notifying alarm implement each control (assets/cis-monitoring.tsv), and which log groups the
//! account's functions, stages and trails write to.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Serialize;

use super::filter_pattern::Pattern;
use crate::inventory::Inventory;
use crate::inventory::arn;
use crate::inventory::cloudtrail::Trail;
use crate::inventory::lambda::LambdaFunction;
use crate::inventory::logs::{MetricFilter, log_group_arn, normalize_log_group_arn};

const ASSET: &str = include_str!("../../assets/cis-monitoring.tsv");

/// One CIS v3.0 section 4 control: a metric filter pattern that must exist, with an alarm on its metric.
#[derive(Debug)]
pub struct MonitoringControl {
    /// `4.1` … `4.15`.
    pub id: &'static str,
    /// What it watches, in words: `unauthorized API calls`.
    pub watches: &'static str,
    /// The pattern as the benchmark writes it.
    pub text: &'static str,
    pub pattern: Pattern,
}

/// The controls of assets/cis-monitoring.tsv, parsed once. The asset is part of the binary and a test parses
/// it, so a line that does not parse is a build defect: it is skipped rather than taking the scan down.
pub fn cis_controls() -> &'static [MonitoringControl] {
    static CONTROLS: OnceLock<Vec<MonitoringControl>> = OnceLock::new();
    CONTROLS.get_or_init(|| parse_asset(ASSET).into_iter().filter_map(Result::ok).collect())
}

fn parse_asset(text: &'static str) -> Vec<Result<MonitoringControl, String>> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let mut columns = line.splitn(3, '\t');
            let (Some(id), Some(watches), Some(pattern)) = (columns.next(), columns.next(), columns.next()) else {
                return Err(format!("cis-monitoring.tsv: expected control, title and pattern in `{line}`"));
            };
            let parsed = Pattern::parse(pattern).map_err(|e| format!("cis-monitoring.tsv control {id}: {e}"))?;
            Ok(MonitoringControl { id, watches, text: pattern, pattern: parsed })
        })
        .collect()
}

/// Why a monitoring control is not met, or what is met (for look-alikes in evidence).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ControlGap {
    /// What is missing, in a sentence.
    pub reason: String,
    /// The trails' log groups looked at.
    pub log_groups: Vec<String>,
    /// Filters that watch the log groups but whose pattern does not cover the control's.
    pub near_misses: Vec<String>,
    /// Filters that match, whose metric no alarm with an enabled action watches.
    pub unalarmed_filters: Vec<String>,
}

/// A control's verdict. `Unknown` when what it needs could not be read (coverage records say why).
#[derive(Debug, Clone, PartialEq)]
pub enum ControlVerdict {
    Met { filter: String, alarm: String },
    Missing(ControlGap),
    Unknown,
}

/// The trails whose CloudWatch Logs group a CIS monitoring control can watch: multi-region, logging,
/// recording every management event, delivering to a log group. `None` when that cannot be told: no
/// region's trails were listed, or a multi-region trail's status or selectors could not be read.
pub fn monitored_trails(inventory: &Inventory) -> Option<Vec<&Trail>> {
    if inventory.cloudtrail.listed_regions.is_empty() {
        return None;
    }
    let mut monitored = Vec::new();
    for trail in inventory.cloudtrail.trails.values().filter(|t| t.multi_region) {
        if trail.audit_shortfall()?.is_none() && trail.log_group_arn.is_some() {
            monitored.push(trail);
        }
    }
    Some(monitored)
}

/// Every CIS monitoring control with its verdict, in the asset's order. The monitored trails' log groups
/// and their filters are gathered, and the filters parsed, once for all fifteen.
pub fn cis_verdicts(inventory: &Inventory) -> Vec<(&'static MonitoringControl, ControlVerdict)> {
    let watched = watched_filters(inventory);
    cis_controls().iter().map(|control| (control, verdict(inventory, watched.as_ref(), control))).collect()
}

/// The log groups (of this account) that monitored trails deliver to, and their filters with their parsed
/// patterns (a pattern that does not parse matches nothing). `None` when no verdict can be given: the trails
/// could not be read, a group's region's filters or alarms were not listed, or every group is another
/// account's (an organization trail is watched in the management account).
type Watched<'a> = (Vec<&'a str>, Vec<(&'a MetricFilter, Pattern)>);

fn watched_filters(inventory: &Inventory) -> Option<Watched<'_>> {
    let trails = monitored_trails(inventory)?;
    let all_groups: Vec<&str> = trails.iter().filter_map(|t| t.log_group_arn.as_deref()).collect();
    let account = inventory.account.account_id.as_str();
    let log_groups: Vec<&str> =
        all_groups.iter().copied().filter(|g| arn::account_of(g).is_none_or(|a| a == account)).collect();
    if log_groups.is_empty() && !all_groups.is_empty() {
        return None;
    }
    let mut filters = Vec::new();
    for group in &log_groups {
        let region = arn::region_of(group).unwrap_or_default().to_owned();
        if !inventory.logs.filters_listed_regions.contains(&region) || !inventory.cloudwatch.listed(&region) {
            return None;
        }
        filters.extend(inventory.logs.filters_of(group).filter_map(|f| Some((f, Pattern::parse(&f.pattern).ok()?))));
    }
    Some((log_groups, filters))
}

/// Whether a metric filter and an alarm implement `control` on a monitored trail's log group.
fn verdict(inventory: &Inventory, watched: Option<&Watched<'_>>, control: &MonitoringControl) -> ControlVerdict {
    let Some((log_groups, filters)) = watched else { return ControlVerdict::Unknown };
    let mut gap = ControlGap {
        reason: String::new(),
        log_groups: log_groups.iter().map(|g| (*g).to_owned()).collect(),
        near_misses: Vec::new(),
        unalarmed_filters: Vec::new(),
    };
    if log_groups.is_empty() {
        gap.reason =
            "no multi-region trail that logs every management event delivers to CloudWatch Logs, so no metric filter can watch the audit trail".into();
        return ControlVerdict::Missing(gap);
    }
    let mut matching: Vec<&MetricFilter> = Vec::new();
    for (filter, pattern) in filters {
        if pattern.covers(&control.pattern) {
            matching.push(filter);
        } else if shares_a_condition(&filter.pattern, control) {
            gap.near_misses.push(filter.name.clone());
        }
    }
    for filter in &matching {
        for metric in &filter.metrics {
            if let Some(alarm) = inventory.cloudwatch.watching(metric, &filter.region).find(|a| a.notifies()) {
                return ControlVerdict::Met { filter: filter.name.clone(), alarm: alarm.name.clone() };
            }
        }
        gap.unalarmed_filters.push(filter.name.clone());
    }
    gap.reason = if matching.is_empty() {
        format!("no metric filter on the trail's log group matches the pattern for {}", control.watches)
    } else {
        format!("a metric filter matches {}, but no alarm with an enabled action watches its metric", control.watches)
    };
    ControlVerdict::Missing(gap)
}

/// A filter that is about the same events (one of the control's event names or error codes appears in it):
/// named in the evidence as the likely intended filter.
fn shares_a_condition(pattern: &str, control: &MonitoringControl) -> bool {
    fn values(pattern: &Pattern, out: &mut Vec<String>) {
        match pattern {
            Pattern::Or(parts) | Pattern::And(parts) => parts.iter().for_each(|p| values(p, out)),
            Pattern::Test { value, .. } if !value.is_empty() => out.push(value.clone()),
            Pattern::Test { .. } => {}
        }
    }
    let mut wanted = Vec::new();
    values(&control.pattern, &mut wanted);
    wanted.iter().any(|value| pattern.contains(value.as_str()))
}

/// What writes to a log group: `Lambda function NAME`, `REST API stage …`, `trail NAME`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct LogWriter {
    pub kind: &'static str,
    pub arn: String,
}

/// Every log group (by ARN) that a function, an API stage's access logs or a trail writes to, with its writers.
pub fn log_writers(inventory: &Inventory) -> BTreeMap<String, Vec<LogWriter>> {
    let mut writers: BTreeMap<String, Vec<LogWriter>> = BTreeMap::new();
    let mut add = |group: String, kind: &'static str, arn: &str| {
        writers.entry(group).or_default().push(LogWriter { kind, arn: arn.to_owned() });
    };
    for function in inventory.lambda.functions.values() {
        add(function_log_group_arn(inventory, function), "Lambda function", &function.arn);
    }
    let rest = inventory.apigateway.apis.values().flat_map(|api| api.stages.iter().flatten());
    let rest = rest.map(|stage| ("REST API stage", &stage.arn, &stage.access_log));
    let http = inventory.apigatewayv2.apis.values().flat_map(|api| api.stages.iter().flatten());
    let http = http.map(|stage| ("HTTP API stage", &stage.arn, &stage.access_log));
    for (kind, stage, access_log) in rest.chain(http) {
        if let Some(destination) = access_log.as_ref().and_then(|a| a.destination_arn.as_deref()) {
            add(normalize_log_group_arn(destination).to_owned(), kind, stage);
        }
    }
    for trail in inventory.cloudtrail.trails.values() {
        if let Some(group) = &trail.log_group_arn {
            add(group.clone(), "trail", &trail.arn);
        }
    }
    for list in writers.values_mut() {
        list.sort();
        list.dedup();
    }
    writers
}

/// The ARN of the log group a function writes to (its LoggingConfig's, else `/aws/lambda/NAME`).
fn function_log_group_arn(inventory: &Inventory, function: &LambdaFunction) -> String {
    let account = &inventory.account;
    log_group_arn(&account.partition, &function.region, &account.account_id, &function.log_group_name())
}

/// What a function's detail shows about its logs and its audit trail.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FunctionAudit {
    pub log_group: String,
    /// `Some(None)`: the group never expires; `None`: the group was not found (never invoked, or not listed).
    pub retention_days: Option<Option<i32>>,
    /// The logging trail that records its invocations: `Some(Some(name))`; `Some(None)`: none does; `None`:
    /// the trails could not be read.
    pub invocations_recorded_by: Option<Option<String>>,
}

/// The log group, its retention and the auditing of a Lambda function (`None`: not an inventoried function).
pub fn function_audit(inventory: &Inventory, function_arn: &str) -> Option<FunctionAudit> {
    let function = inventory.lambda.functions.get(function_arn)?;
    let retention_days = inventory.logs.group(&function_log_group_arn(inventory, function)).map(|g| g.retention_days);
    let recorded_by = inventory
        .cloudtrail
        .invocation_recorder(&function.arn, &function.region)
        .map(|trail| trail.map(|t| t.name.clone()));
    Some(FunctionAudit { log_group: function.log_group_name(), retention_days, invocations_recorded_by: recorded_by })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cis_pattern_parses_and_the_fifteen_controls_are_there() {
        let parsed = parse_asset(ASSET);
        let errors: Vec<&String> = parsed.iter().filter_map(|r| r.as_ref().err()).collect();
        assert!(errors.is_empty(), "{errors:?}");
        let ids: Vec<&str> = cis_controls().iter().map(|c| c.id).collect();
        let expected: Vec<String> = (1..=15).map(|n| format!("4.{n}")).collect();
        assert_eq!(ids, expected);
    }

    #[test]
    fn a_functions_log_group_retention_and_audit() {
        use crate::rules::fixture::{Fixture, function_arn, lambda_data_selector};
        let fixture = Fixture::new()
            .function("orders", "orders-role", |_| {})
            .log_group("/aws/lambda/orders", "us-east-1", Some(14))
            .trail("audit", "us-east-1", |t| t.multi_region = true);
        let audit = function_audit(&fixture.inventory, &function_arn("orders")).expect("a function");
        assert_eq!(audit.log_group, "/aws/lambda/orders");
        assert_eq!(audit.retention_days, Some(Some(14)));
        assert_eq!(audit.invocations_recorded_by, Some(None));
        let recorded = fixture.edit_trail("audit", |t| {
            t.selectors = crate::inventory::Observed::Present(crate::inventory::cloudtrail::EventSelectors {
                basic: vec![],
                advanced: vec![lambda_data_selector()],
            })
        });
        let audit = function_audit(&recorded.inventory, &function_arn("orders")).expect("a function");
        assert_eq!(audit.invocations_recorded_by, Some(Some("audit".into())));
        assert!(function_audit(&Fixture::new().inventory, &function_arn("orders")).is_none());
        let untraced = Fixture::new().function("orders", "r", |f| f.log_group = Some("/shared".into()));
        let audit = function_audit(&untraced.inventory, &function_arn("orders")).expect("a function");
        assert_eq!(
            (audit.log_group.as_str(), audit.retention_days, audit.invocations_recorded_by),
            ("/shared", None, None)
        );
    }
}
