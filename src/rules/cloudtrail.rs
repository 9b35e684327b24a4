//! CloudTrail: whether the account has an audit trail at all, whether each trail logs, can be trusted and
//! is encrypted, whether it feeds CloudWatch Logs, and whether Lambda invocations are recorded.

use crate::finding::Details;

use serde_json::{Value, json};

use super::{Draft, Evidence, Rule, RuleMeta};
use crate::analyze::Context;
use crate::inventory::arn;
use crate::inventory::cloudtrail::Trail;

/// The trails this account configures: an organization trail owned by the management account is listed in
/// every member account, but only its owner can change it, so per-trail findings go to the owner.
fn own_trails<'a>(cx: &'a Context<'_>) -> impl Iterator<Item = &'a Trail> + 'a {
    let account = cx.inventory.account.account_id.as_str();
    cx.inventory.cloudtrail.trails.values().filter(move |t| arn::account_of(&t.arn).is_none_or(|a| a == account))
}

/// A finding on one trail: its evidence carries the trail's home region, scope and `extra` details.
fn trail_finding(trail: &Trail, title: String, summary: String, extra: &[(&str, Value)]) -> Draft {
    let mut details = Details::new();
    details.insert("home_region".into(), json!(trail.home_region));
    details.insert("multi_region".into(), json!(trail.multi_region));
    details.insert("organization_trail".into(), json!(trail.organization));
    for (name, value) in extra {
        details.insert((*name).to_owned(), value.clone());
    }
    let evidence = Evidence { summary, location: Some(trail.arn.clone()), statement: None, details };
    Draft::new(&trail.arn, &trail.home_region, "", title).evidence(evidence)
}

pub static NO_MULTIREGION_TRAIL: Rule = Rule {
    meta: RuleMeta {
        id: "cloudtrail-no-multiregion-trail",
        title: "No multi-region trail logging every management event",
        rationale: "Without a trail that is multi-region, logging, and recording read and write management events, API activity in some region (or some kind of call) leaves no record: an intruder's actions there cannot be investigated. A multi-region trail counts in every region, including those where it is a shadow of its home region's trail, and an organization trail counts for every member account. Not reported when the trails could not be listed or a candidate trail's status could not be read (the coverage records say why).",
        remediation: "`aws cloudtrail create-trail --name audit --s3-bucket-name BUCKET --is-multi-region-trail --enable-log-file-validation --kms-key-id KEY` then `aws cloudtrail start-logging --name audit` (or `update-trail --is-multi-region-trail` on an existing trail).",
        references: &[
            "CIS AWS Foundations 3.1",
            "AWS FSBP CloudTrail.1",
            "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/receive-cloudtrail-log-files-from-multiple-regions.html",
        ],
    },
    check: |cx, _, out| {
        let trails = &cx.inventory.cloudtrail;
        if trails.listed_regions.is_empty() {
            return;
        }
        let mut shortfalls = Vec::new();
        for trail in trails.trails.values() {
            match trail.audit_shortfall() {
                None => return,       // a candidate could not be read: cannot tell
                Some(None) => return, // one trail meets it
                Some(Some(reason)) => shortfalls.push(reason),
            }
        }
        let uncovered: Vec<&String> =
            trails.listed_regions.iter().filter(|r| !trails.trails.values().any(|t| t.covers(r))).collect();
        let summary = if trails.trails.is_empty() {
            "the account has no CloudTrail trail".to_owned()
        } else {
            format!("no trail is multi-region, logging and recording every management event: {}", shortfalls.join("; "))
        };
        let mut details = Details::new();
        details.insert("trails".into(), json!(trails.trails.keys().collect::<Vec<_>>()));
        details.insert("regions_without_any_trail".into(), json!(uncovered));
        let evidence = Evidence { summary, location: None, statement: None, details };
        out.emit(
            Draft::on_account(cx, "CIS 3.1", "No multi-region CloudTrail trail records the account's API activity")
                .evidence(evidence),
        );
    },
};

pub static NOT_LOGGING: Rule = Rule {
    meta: RuleMeta {
        id: "cloudtrail-not-logging",
        title: "CloudTrail trail is stopped",
        rationale: "A stopped trail records nothing, while its existence suggests the account is audited. Stopping a trail is a classic first step of an intruder covering their tracks. Trails whose status could not be read do not trigger it.",
        remediation: "`aws cloudtrail start-logging --name TRAIL_ARN`, and find out who called StopLogging (the last events before the gap).",
        references: &[
            "CIS AWS Foundations 3.1",
            "https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_StartLogging.html",
        ],
    },
    check: |cx, _, out| {
        for trail in own_trails(cx).filter(|t| t.is_logging() == Some(false)) {
            out.emit(trail_finding(
                trail,
                format!("Trail {} is stopped", trail.name),
                format!("trail {} is not logging (IsLogging false)", trail.name),
                &[],
            ));
        }
    },
};

pub static LOG_VALIDATION_DISABLED: Rule = Rule {
    meta: RuleMeta {
        id: "cloudtrail-log-validation-disabled",
        title: "CloudTrail trail without log file validation",
        rationale: "Without log file validation, CloudTrail writes no signed digest files, so nobody can prove that a log file was not altered or deleted after delivery: the audit trail of an incident cannot be trusted.",
        remediation: "`aws cloudtrail update-trail --name TRAIL_ARN --enable-log-file-validation`.",
        references: &[
            "CIS AWS Foundations 3.2",
            "AWS FSBP CloudTrail.4",
            "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-intro.html",
        ],
    },
    check: |cx, _, out| {
        for trail in own_trails(cx).filter(|t| !t.log_file_validation) {
            out.emit(trail_finding(
                trail,
                format!("Trail {} has log file validation off", trail.name),
                format!("trail {} writes no digest files", trail.name),
                &[],
            ));
        }
    },
};

pub static NOT_ENCRYPTED: Rule = Rule {
    meta: RuleMeta {
        id: "cloudtrail-not-encrypted",
        title: "CloudTrail trail not encrypted with a KMS key",
        rationale: "Log files encrypted only with S3-managed keys can be read by anyone who can read the bucket. With a KMS key, reading them also needs kms:Decrypt on that key, a second, separately audited permission. The key's rotation is checked by the KMS rotation rule.",
        remediation: "`aws cloudtrail update-trail --name TRAIL_ARN --kms-key-id KEY_ARN` (the key policy must let cloudtrail.amazonaws.com encrypt with it).",
        references: &[
            "CIS AWS Foundations 3.5",
            "AWS FSBP CloudTrail.2",
            "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/encrypting-cloudtrail-log-files-with-aws-kms.html",
        ],
    },
    check: |cx, _, out| {
        for trail in own_trails(cx).filter(|t| t.kms_key_id.is_none()) {
            let bucket = json!(trail.s3_bucket);
            out.emit(trail_finding(
                trail,
                format!("Trail {} is not encrypted with KMS", trail.name),
                format!("trail {} uses S3-managed encryption only", trail.name),
                &[("s3_bucket", bucket)],
            ));
        }
    },
};

pub static NO_CLOUDWATCH_LOGS: Rule = Rule {
    meta: RuleMeta {
        id: "cloudtrail-no-cloudwatch-logs",
        title: "CloudTrail trail does not deliver to CloudWatch Logs",
        rationale: "Events that reach only S3 can be searched after the fact but never watched: no metric filter or alarm can see a root sign-in or a stopped trail as it happens (CIS section 4 depends on this). A trail configured for CloudWatch Logs whose last delivery failed (its role cannot write) triggers it too.",
        remediation: "`aws cloudtrail update-trail --name TRAIL_ARN --cloud-watch-logs-log-group-arn LOG_GROUP_ARN --cloud-watch-logs-role-arn ROLE_ARN`.",
        references: &[
            "AWS FSBP CloudTrail.5",
            "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/send-cloudtrail-events-to-cloudwatch-logs.html",
        ],
    },
    check: |cx, _, out| {
        for trail in own_trails(cx) {
            let delivery_error = trail.status.present().and_then(|s| s.latest_cloudwatch_logs_delivery_error.clone());
            let summary = match (&trail.log_group_arn, &delivery_error) {
                (None, _) => format!("trail {} has no CloudWatch Logs group", trail.name),
                (Some(group), Some(error)) => {
                    format!("trail {}'s last delivery to {group} failed: {error}", trail.name)
                }
                (Some(_), None) => continue,
            };
            out.emit(trail_finding(
                trail,
                format!("Trail {} is not watched in CloudWatch Logs", trail.name),
                summary,
                &[("log_group", json!(trail.log_group_arn))],
            ));
        }
    },
};

pub static NO_LAMBDA_DATA_EVENTS: Rule = Rule {
    meta: RuleMeta {
        id: "cloudtrail-no-lambda-data-events",
        title: "Lambda invocations are not recorded by any trail",
        rationale: "Management events record who changed a function, not who invoked it. Without Lambda data events (a basic selector on AWS::Lambda::Function, or an advanced selector on resources.type), nobody can tell who called a function during an incident. Reported once for the account, listing the functions no logging trail records; not reported when no function exists or a trail's selectors could not be read.",
        remediation: "`aws cloudtrail put-event-selectors --trail-name TRAIL --advanced-event-selectors '[{\"Name\":\"Lambda invokes\",\"FieldSelectors\":[{\"Field\":\"eventCategory\",\"Equals\":[\"Data\"]},{\"Field\":\"resources.type\",\"Equals\":[\"AWS::Lambda::Function\"]}]}]'` (data events are billed per event).",
        references: &[
            "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-data-events-with-cloudtrail.html",
            "https://docs.aws.amazon.com/lambda/latest/dg/logging-using-cloudtrail.html",
        ],
    },
    check: |cx, _, out| {
        let trails = &cx.inventory.cloudtrail;
        let mut unaudited = Vec::new();
        for function in cx.inventory.lambda.functions.values() {
            match trails.invocation_recorder(&function.arn, &function.region) {
                Some(None) => unaudited.push(function),
                Some(Some(_)) => {}
                None => return,
            }
        }
        if unaudited.is_empty() {
            return;
        }
        let total = cx.inventory.lambda.functions.len();
        let names: Vec<&str> = unaudited.iter().map(|f| f.name.as_str()).collect();
        let mut details = Details::new();
        details.insert("functions_not_recorded".into(), json!(unaudited.iter().map(|f| &f.arn).collect::<Vec<_>>()));
        details.insert("trails".into(), json!(trails.trails.keys().collect::<Vec<_>>()));
        let evidence = Evidence {
            summary: format!(
                "no logging trail records the invocations of {} of {total} function(s): {}",
                unaudited.len(),
                names.join(", ")
            ),
            location: None,
            statement: None,
            details,
        };
        out.emit(
            Draft::on_account(cx, "lambda-data-events", "Nobody records who invokes the account's Lambda functions")
                .evidence(evidence),
        );
    },
};

#[cfg(test)]
mod tests {
    use crate::inventory::Observed;
    use crate::rules::fixture::{Fixture, summary};

    fn trails(fixture: Fixture) -> Fixture {
        fixture.trail("audit", "us-east-1", |t| t.multi_region = true).trail("eu-local", "eu-west-1", |t| {
            t.log_file_validation = false;
            t.kms_key_id = None;
            t.log_group_arn = None;
        })
    }

    #[test]
    fn no_multiregion_trail() {
        // Look-alike: a multi-region trail whose home is us-east-1, listed as a shadow from eu-west-1.
        let shadowed = trails(Fixture::new().listed_trail_regions(&["eu-west-1"]));
        assert!(shadowed.findings("cloudtrail-no-multiregion-trail").is_empty());
        let stopped = trails(Fixture::new()).edit_trail("audit", |t| {
            t.status = Observed::Present(crate::inventory::cloudtrail::TrailStatus {
                is_logging: false,
                latest_delivery: None,
                latest_delivery_error: None,
                latest_cloudwatch_logs_delivery_error: None,
            })
        });
        let found = stopped.findings("cloudtrail-no-multiregion-trail");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].resource_arn, "arn:aws:iam::123456789012:root");
        let unknown = trails(Fixture::new()).edit_trail("audit", |t| t.selectors = Observed::Unknown);
        assert!(unknown.findings("cloudtrail-no-multiregion-trail").is_empty(), "cannot tell");
        let none = Fixture::new().listed_trail_regions(&["us-east-1"]);
        insta::assert_yaml_snapshot!(summary(&[found, none.findings("cloudtrail-no-multiregion-trail")].concat()));
    }

    #[test]
    fn trail_configuration() {
        let fixture = trails(Fixture::new()).edit_trail("audit", |t| {
            t.status = Observed::Present(crate::inventory::cloudtrail::TrailStatus {
                is_logging: false,
                latest_delivery: None,
                latest_delivery_error: None,
                latest_cloudwatch_logs_delivery_error: Some("AccessDenied".into()),
            })
        });
        let mut found = Vec::new();
        for rule in [
            "cloudtrail-not-logging",
            "cloudtrail-log-validation-disabled",
            "cloudtrail-not-encrypted",
            "cloudtrail-no-cloudwatch-logs",
        ] {
            found.extend(fixture.findings(rule));
        }
        // Look-alike: an organization trail of the management account, listed in this member account.
        let org = Fixture::new().trail("org", "us-east-1", |t| {
            t.arn = "arn:aws:cloudtrail:us-east-1:999999999999:trail/org".into();
            t.organization = true;
            t.log_file_validation = false;
        });
        assert!(org.findings("cloudtrail-log-validation-disabled").is_empty(), "the owner's to fix");
        insta::assert_yaml_snapshot!(summary(&found));
    }

    #[test]
    fn no_lambda_data_events() {
        let with_functions = |f: Fixture| f.function("orders", "orders-role", |_| {}).function("billing", "r", |_| {});
        let found = with_functions(trails(Fixture::new())).findings("cloudtrail-no-lambda-data-events");
        assert_eq!(found.len(), 1);
        // Look-alike: advanced selectors recording every function's invokes.
        let recorded = with_functions(trails(Fixture::new())).edit_trail("audit", |t| {
            t.selectors = Observed::Present(crate::inventory::cloudtrail::EventSelectors {
                basic: vec![],
                advanced: vec![crate::rules::fixture::lambda_data_selector()],
            })
        });
        assert!(recorded.findings("cloudtrail-no-lambda-data-events").is_empty());
        assert!(trails(Fixture::new()).findings("cloudtrail-no-lambda-data-events").is_empty(), "no function");
        insta::assert_yaml_snapshot!(summary(&found));
    }
}
