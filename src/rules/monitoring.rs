//! Monitoring: log groups that keep what functions write forever, and the CIS section 4 metric filters and
//! alarms that tell someone when the audit trail shows an attack.

use crate::finding::Details;

use serde_json::json;

use super::{Draft, Evidence, Rule, RuleMeta};
use crate::analyze::monitoring::{ControlVerdict, cis_verdicts, log_writers};

pub static LOGS_RETENTION_UNSET: Rule = Rule {
    meta: RuleMeta {
        id: "logs-retention-unset",
        title: "Log group that a function, stage or trail writes to never expires (or keeps events outside the policy's retention)",
        rationale: "Lambda functions log what they handle: request bodies, user identifiers, sometimes personal data or tokens. A log group without a retention period keeps all of it for ever, which storage limitation (GDPR Art. 5(1)(e)) forbids and which makes every old log line part of a breach. With `log_retention_max_days` in the policy file, a longer retention triggers it too; with `log_retention_min_days`, a shorter one (too short for an investigation). Only log groups that a Lambda function, an API stage's access logs or a trail writes to are checked; groups nothing in the scanned estate writes to do not trigger it.",
        remediation: "`aws logs put-retention-policy --log-group-name NAME --retention-in-days DAYS` (what your records policy allows; CIS asks for at least 365 days on the audit trail's group).",
        references: &[
            "AWS FSBP CloudWatch.16",
            "GDPR Art. 5(1)(e)",
            "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/Working-with-log-groups-and-streams.html#SettingLogRetention",
        ],
    },
    check: |cx, _, out| {
        let thresholds = &cx.settings.thresholds;
        let (min, max) = (thresholds.log_retention_min_days, thresholds.log_retention_max_days);
        // What is wrong with a group's retention, if anything: for ever, past the maximum, under the minimum.
        let problem = |retention: Option<i64>| match (retention, min, max) {
            (None, _, _) => Some("keeps its events for ever".to_owned()),
            (Some(days), _, Some(max)) if days > max => {
                Some(format!("keeps its events {days} days, more than the policy's {max} days"))
            }
            (Some(days), Some(min), _) if days < min => {
                Some(format!("keeps its events {days} days, fewer than the policy's {min} days"))
            }
            _ => None,
        };
        let flagged: Vec<_> = cx
            .inventory
            .logs
            .groups
            .values()
            .filter_map(|g| problem(g.retention_days.map(i64::from)).map(|p| (g, p)))
            .collect();
        if flagged.is_empty() {
            return;
        }
        let writers = log_writers(cx.inventory);
        for (group, problem) in flagged {
            let Some(writers) = writers.get(&group.arn) else { continue };
            let names: Vec<String> = writers.iter().map(|w| format!("{} {}", w.kind, short_name(&w.arn))).collect();
            let mut details = Details::new();
            details.insert("written_by".into(), json!(writers));
            details.insert("created".into(), json!(group.created));
            if let Some(days) = group.retention_days {
                details.insert("retention_days".into(), json!(days));
            }
            let summary = match group.retention_days {
                None => format!("log group {} never expires; written by {}", group.name, names.join(", ")),
                Some(_) => format!("log group {} {problem}; written by {}", group.name, names.join(", ")),
            };
            let evidence = Evidence { summary, location: Some(group.arn.clone()), statement: None, details };
            out.emit(
                Draft::new(&group.arn, &group.region, "", format!("Log group {} {problem}", group.name))
                    .evidence(evidence),
            );
        }
    },
};

/// The last segment of an ARN, for lists in a sentence.
fn short_name(arn: &str) -> &str {
    arn.rsplit([':', '/']).next().unwrap_or(arn)
}

pub static MISSING_SECURITY_ALARM: Rule = Rule {
    meta: RuleMeta {
        id: "monitoring-missing-security-alarm",
        title: "No metric filter and alarm for a CIS monitoring control",
        rationale: "CIS section 4 asks for a metric filter on the log group of a multi-region trail, one per kind of security event (unauthorized calls, root use, console sign-in without MFA, IAM, CloudTrail, KMS, network and Organizations changes), and an alarm with an enabled action on each filter's metric: otherwise the trail records an attack that nobody is told about. One finding per missing control (4.1–4.15). Patterns are compared in normal form: clause order, spacing, quoting and extra alternatives do not matter, but a missing event name or condition does. Not reported when the trails, filters or alarms of the trail's log group region could not be read, or when the trail delivers to another account's log group (an organization trail, watched in the management account).",
        remediation: "`aws logs put-metric-filter --log-group-name TRAIL_GROUP --filter-name NAME --filter-pattern 'PATTERN' --metric-transformations metricName=NAME,metricNamespace=CISBenchmark,metricValue=1` then `aws cloudwatch put-metric-alarm --alarm-name NAME --metric-name NAME --namespace CISBenchmark --statistic Sum --period 300 --evaluation-periods 1 --threshold 1 --comparison-operator GreaterThanOrEqualToThreshold --alarm-actions SNS_TOPIC_ARN` (the pattern is in the evidence).",
        references: &[
            "CIS AWS Foundations 4.1–4.15",
            "AWS FSBP CloudWatch.1–CloudWatch.14",
            "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html",
        ],
    },
    check: |cx, _, out| {
        for (control, verdict) in cis_verdicts(cx.inventory) {
            let ControlVerdict::Missing(gap) = verdict else { continue };
            let mut details = Details::new();
            details.insert("control".into(), json!(format!("CIS {}", control.id)));
            details.insert("required_pattern".into(), json!(control.text));
            details.insert("trail_log_groups".into(), json!(gap.log_groups));
            if !gap.near_misses.is_empty() {
                details.insert("filters_missing_part_of_the_pattern".into(), json!(gap.near_misses));
            }
            if !gap.unalarmed_filters.is_empty() {
                details.insert("filters_without_a_notifying_alarm".into(), json!(gap.unalarmed_filters));
            }
            let evidence = Evidence { summary: gap.reason, location: None, statement: None, details };
            out.emit(
                Draft::on_account(
                    cx,
                    format!("CIS {}", control.id),
                    format!("CIS {}: no alarm on {}", control.id, control.watches),
                )
                .evidence(evidence),
            );
        }
    },
};

#[cfg(test)]
mod tests {
    use crate::rules::fixture::{Fixture, summary};

    const TRAIL_GROUP: &str = "trail-audit";
    /// CIS 4.3, clauses reordered and re-quoted as a real account writes them.
    const ROOT_REORDERED: &str =
        r#"{$.eventType!="AwsServiceEvent" && $.userIdentity.invokedBy NOT EXISTS && $.userIdentity.type="Root"}"#;

    fn monitored() -> Fixture {
        Fixture::new()
            .trail("audit", "us-east-1", |t| t.multi_region = true)
            .log_group(TRAIL_GROUP, "us-east-1", Some(365))
            .metric_filter("us-east-1", TRAIL_GROUP, "root-usage", ROOT_REORDERED, "RootUsage")
            .alarm("us-east-1", "root-usage", "RootUsage", true)
    }

    #[test]
    fn missing_security_alarm() {
        let found = monitored()
            .metric_filter(
                "us-east-1",
                TRAIL_GROUP,
                "trail-changes",
                "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) }",
                "TrailChanges",
            )
            .metric_filter(
                "us-east-1",
                TRAIL_GROUP,
                "kms",
                "{ ($.eventName=DisableKey) || ($.eventName=ScheduleKeyDeletion) }",
                "Kms",
            )
            .alarm("us-east-1", "kms-muted", "Kms", false)
            .findings("monitoring-missing-security-alarm");
        let ids: Vec<&str> = found.iter().map(|f| f.fingerprint.as_str()).collect();
        assert_eq!(found.len(), 14, "every control but 4.3 (the reordered look-alike passes): {ids:?}");
        assert!(!found.iter().any(|f| f.title.starts_with("CIS 4.3:")));
        let kms = found.iter().find(|f| f.title.starts_with("CIS 4.7:")).expect("4.7");
        assert!(kms.evidence.summary.contains("no alarm with an enabled action"), "{}", kms.evidence.summary);
        let trail = found.iter().find(|f| f.title.starts_with("CIS 4.5:")).expect("4.5");
        assert!(trail.evidence.details.contains_key("filters_missing_part_of_the_pattern"), "two of five events");
        insta::assert_yaml_snapshot!(summary(
            &found
                .into_iter()
                .filter(|f| ["CIS 4.5:", "CIS 4.7:"].iter().any(|c| f.title.starts_with(c)))
                .collect::<Vec<_>>()
        ));
    }

    #[test]
    fn without_a_monitored_trail_every_control_is_missing_and_unknown_is_quiet() {
        let unwatched = Fixture::new().trail("audit", "us-east-1", |t| {
            t.multi_region = true;
            t.log_group_arn = None;
        });
        let found = unwatched.findings("monitoring-missing-security-alarm");
        assert_eq!(found.len(), 15);
        assert!(found[0].evidence.summary.contains("delivers to CloudWatch Logs"));
        // The filters of the trail's log group region were not listed: nothing can be said.
        let mut unlisted = monitored();
        unlisted.inventory.logs.filters_listed_regions.clear();
        assert!(unlisted.findings("monitoring-missing-security-alarm").is_empty());
        assert!(Fixture::new().findings("monitoring-missing-security-alarm").is_empty(), "trails not listed");
        // An organization trail seen from a member account: its log group is the management account's.
        let member = Fixture::new().trail("org", "us-east-1", |t| {
            t.arn = "arn:aws:cloudtrail:us-east-1:999999999999:trail/org".into();
            t.multi_region = true;
            t.organization = true;
            t.log_group_arn = Some("arn:aws:logs:us-east-1:999999999999:log-group:org-trail".into());
        });
        assert!(member.findings("monitoring-missing-security-alarm").is_empty(), "watched in the management account");
    }

    #[test]
    fn logs_retention_unset() {
        let fixture = Fixture::new()
            .function("orders", "orders-role", |_| {})
            .function("billing", "billing-role", |f| f.log_group = Some("/shared/billing".into()))
            .log_group("/aws/lambda/orders", "us-east-1", None)
            .log_group("/shared/billing", "us-east-1", None)
            // Look-alikes: a function's group with a retention, and a group nothing writes to.
            .function("reports", "reports-role", |_| {})
            .log_group("/aws/lambda/reports", "us-east-1", Some(30))
            .log_group("/ops/scratch", "us-east-1", None);
        let found = fixture.findings("logs-retention-unset");
        assert_eq!(found.len(), 2);
        insta::assert_yaml_snapshot!(summary(&found));
    }
}
