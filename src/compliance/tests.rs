use serde_json::json;

use super::*;
use crate::analyze::settings::Settings;
use crate::finding::{Details, Evidence, Muted};
use crate::inventory::ErrorKind;
use crate::rules::find_rule;

fn finding(rule: &str, arn: &str, details: &[(&str, &str)]) -> Finding {
    let registered = find_rule(rule).expect("a known rule");
    Finding {
        rule_id: rule.into(),
        category: registered.category,
        severity: registered.severity(),
        score: 50,
        factors: vec![],
        resource_arn: arn.into(),
        region: "global".into(),
        title: format!("{rule} on {arn}"),
        evidence: Evidence {
            summary: "seen".into(),
            details: details.iter().map(|(k, v)| ((*k).to_owned(), json!(v))).collect::<Details>(),
            ..Evidence::default()
        },
        remediation: "fix it".into(),
        references: vec![],
        fingerprint: crate::finding::fingerprint(rule, arn, ""),
        path: vec![],
        muted: None,
    }
}

fn muted(mut finding: Finding, reason: &str) -> Finding {
    finding.muted = Some(Muted { reason: reason.into(), expires: None, source: "stance.toml:1".into() });
    finding
}

fn gap(service: &str, message: &str) -> CoverageRecord {
    CoverageRecord {
        service: service.into(),
        region: "global".into(),
        operation: "GetAccountAuthorizationDetails".into(),
        resource: None,
        error_kind: ErrorKind::AccessDenied,
        code: Some("AccessDenied".into()),
        message: message.into(),
    }
}

fn cis() -> &'static Framework {
    frameworks().iter().find(|f| f.id == "cis-aws-3.0").expect("CIS is shipped")
}

fn seen(coverage: &[CoverageRecord]) -> Inventory {
    Inventory { coverage: coverage.to_vec(), ..Inventory::default() }
}

fn status_of(findings: &[Finding], coverage: &[CoverageRecord], control: &str) -> (Status, String) {
    let inventory = seen(coverage);
    let results = evaluate(findings, Settings::builtin(), &inventory);
    let cis = results.iter().find(|r| r.framework.id == "cis-aws-3.0").unwrap();
    let result = cis.control(control).unwrap();
    (result.status, result.reason.clone())
}

#[test]
fn the_shipped_frameworks_read_and_name_only_known_rules() {
    let ids: Vec<&str> = frameworks().iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["cis-aws-3.0", "aws-fsbp", "gdpr"]);
    for framework in frameworks() {
        assert!(!framework.description.is_empty() && framework.source.starts_with("https://"), "{}", framework.id);
        for control in &framework.controls {
            assert!(!control.note.is_empty(), "{} {} has no note", framework.id, control.id);
            for rule in &control.rules {
                assert!(find_rule(rule).is_some(), "{} {}: {rule}", framework.id, control.id);
            }
            if control.evaluation == Evaluation::Rules {
                assert!(!control.needs.is_empty(), "{} {}: the services it reads", framework.id, control.id);
            }
        }
    }
}

#[test]
fn cis_lists_sections_1_3_and_4_with_nothing_dropped() {
    let cis = cis();
    let count = |prefix: &str| cis.controls.iter().filter(|c| c.id.split('.').next() == Some(prefix)).count();
    assert_eq!((count("1"), count("3"), count("4")), (22, 9, 16));
    let outside: Vec<&str> =
        cis.controls.iter().filter(|c| c.evaluation == Evaluation::Outside).map(|c| c.id.as_str()).collect();
    assert_eq!(outside, ["1.18", "1.20", "3.3", "3.4", "3.7", "4.16"]);
}

#[test]
fn a_finding_fails_its_control_and_a_muted_one_passes_it_with_the_exception() {
    let bob = "arn:aws:iam::123456789012:user/bob";
    assert_eq!(status_of(&[], &[], "1.10").0, Status::Pass);
    let failing = [finding("iam-user-console-no-mfa", bob, &[])];
    assert_eq!(status_of(&failing, &[], "1.10").0, Status::Fail);
    let accepted = [muted(finding("iam-user-console-no-mfa", bob, &[]), "break-glass user, hardware key in the safe")];
    assert_eq!(status_of(&accepted, &[], "1.10").0, Status::PassWithExceptions);
    // Another rule's finding on the same user does not touch the control.
    assert_eq!(status_of(&[finding("iam-access-key-not-rotated", bob, &[])], &[], "1.10").0, Status::Pass);
}

#[test]
fn a_coverage_gap_stops_a_pass_but_not_a_fail_and_a_recovered_gap_stops_nothing() {
    let denied = [gap("iam", "not authorized")];
    let (status, reason) = status_of(&[], &denied, "1.10");
    assert_eq!(status, Status::NotEvaluated);
    assert!(reason.contains("iam global GetAccountAuthorizationDetails: access_denied"), "{reason}");
    let failing = [finding("iam-user-console-no-mfa", "arn:aws:iam::1:user/bob", &[])];
    assert_eq!(status_of(&failing, &denied, "1.10").0, Status::Fail, "a finding is conclusive");
    let recovered = [gap("iam", &format!("not authorized; {} per-entity calls", crate::inventory::FELL_BACK))];
    assert_eq!(status_of(&[], &recovered, "1.10").0, Status::Pass);
    // A gap of another service leaves IAM's controls alone, and stops the controls of its own.
    assert_eq!(status_of(&[], &[gap("kms", "denied")], "1.10").0, Status::Pass);
    assert_eq!(status_of(&[], &[gap("kms", "denied")], "3.6").0, Status::NotEvaluated);
}

#[test]
fn a_service_the_snapshot_predates_is_not_evaluated_rather_than_passed() {
    let inventory = Inventory { unscanned: vec!["sns"], ..Inventory::default() };
    let results = evaluate(&[], Settings::builtin(), &inventory);
    let fsbp = results.iter().find(|r| r.framework.id == "aws-fsbp").unwrap();
    let sns = fsbp.control("SNS.1").unwrap();
    assert_eq!(sns.status, Status::NotEvaluated);
    assert_eq!(sns.reason, "the snapshot was made before stance scanned sns");
    assert_eq!(fsbp.control("SQS.1").unwrap().status, Status::Pass, "SQS was scanned and had nothing to report");
}

#[test]
fn one_rule_split_across_controls_by_its_evidence() {
    let root = "arn:aws:iam::123456789012:root";
    let missing = [finding("monitoring-missing-security-alarm", root, &[("control", "CIS 4.2")])];
    assert_eq!(status_of(&missing, &[], "4.2").0, Status::Fail);
    assert_eq!(status_of(&missing, &[], "4.1").0, Status::Pass);
    assert_eq!(status_of(&missing, &[], "4.12").0, Status::Pass, "CIS 4.2 is not CIS 4.12's prefix match");
    // The monitoring controls read trails, log groups and alarms: a gap in any of them stops them.
    assert_eq!(status_of(&[], &[gap("logs", "denied")], "4.1").0, Status::NotEvaluated);
}

#[test]
fn resource_globs_split_one_rule_between_rest_and_http_stages() {
    let fsbp = |findings: &[Finding], id: &str| {
        let nothing_missed = Inventory::default();
        let results = evaluate(findings, Settings::builtin(), &nothing_missed);
        results.iter().find(|r| r.framework.id == "aws-fsbp").unwrap().control(id).unwrap().status
    };
    let http = [finding("apigw-stage-no-logging", "arn:aws:apigateway:us-east-1::/apis/a1/stages/prod", &[])];
    assert_eq!((fsbp(&http, "APIGateway.1"), fsbp(&http, "APIGateway.9")), (Status::Pass, Status::Fail));
    let rest = [finding("apigw-stage-no-logging", "arn:aws:apigateway:us-east-1::/restapis/r1/stages/prod", &[])];
    assert_eq!((fsbp(&rest, "APIGateway.1"), fsbp(&rest, "APIGateway.9")), (Status::Fail, Status::Pass));
}

#[test]
fn manual_outside_and_unchecked_controls_say_why_and_do_not_count_in_the_score() {
    let (status, reason) = status_of(&[], &[], "1.1");
    assert_eq!((status, reason.as_str()), (Status::Manual, "cannot be checked through the API"));
    let (status, reason) = status_of(&[], &[], "3.4");
    assert_eq!((status, reason.as_str()), (Status::NotEvaluated, "outside the services scanned (needs S3)"));
    let (status, reason) = status_of(&[], &[], "1.8");
    assert_eq!((status, reason.as_str()), (Status::NotEvaluated, "no stance rule evaluates it yet"));

    let findings = [finding("iam-user-console-no-mfa", "arn:aws:iam::1:user/bob", &[])];
    let nothing_missed = Inventory::default();
    let results = evaluate(&findings, Settings::builtin(), &nothing_missed);
    let cis = results.iter().find(|r| r.framework.id == "cis-aws-3.0").unwrap();
    let evaluated = cis.controls.iter().filter(|c| c.status.evaluated()).count();
    let expected = ((evaluated - 1) as f64 * 1000.0 / evaluated as f64).round() / 10.0;
    assert_eq!(cis.score(), Some(expected), "one failing control of {evaluated} evaluated");
    let summary = cis.summary();
    assert_eq!(summary.score, cis.score());
    assert_eq!(summary.controls["1.10"], Status::Fail);
    assert_eq!(summary.count(Status::Fail), 1);
}

#[test]
fn changes_list_each_control_whose_status_moved_in_framework_order() {
    let bob = "arn:aws:iam::1:user/bob";
    let before = [
        finding("iam-user-console-no-mfa", bob, &[]),
        finding("kms-key-rotation-disabled", "arn:aws:kms:us-east-1:1:key/k", &[]),
    ];
    let after = [
        muted(finding("iam-user-console-no-mfa", bob, &[]), "accepted"),
        finding("iam-access-key-not-rotated", bob, &[]),
    ];
    let summarize = |findings: &[Finding]| -> Vec<ComplianceSummary> {
        evaluate(findings, Settings::builtin(), &Inventory::default())
            .iter()
            .filter(|r| r.framework.id == "cis-aws-3.0")
            .map(|r| r.summary())
            .collect()
    };
    let (old, new) = (summarize(&before), summarize(&after));
    let moved: Vec<(&str, Option<Status>, Option<Status>)> =
        changes(&old, &new).into_iter().map(|(_, id, a, b)| (id, a, b)).collect();
    assert_eq!(
        moved,
        [
            ("1.10", Some(Status::Fail), Some(Status::PassWithExceptions)),
            ("1.14", Some(Status::Pass), Some(Status::Fail)),
            ("3.6", Some(Status::Fail), Some(Status::Pass)),
        ]
    );
}

#[test]
fn a_broken_framework_file_names_the_line_and_the_problem() {
    let head = "id = \"x\"\ntitle = \"X\"\nversion = \"1\"\nsource = \"https://example.com\"\ndescription = \"d\"\n";
    let control =
        |body: &str| format!("{head}\n[[control]]\nid = \"1\"\nsection = \"s\"\ntitle = \"t\"\nnote = \"n\"\n{body}\n");
    let error = |text: &str| parse_framework(text, "mine.toml").unwrap_err().to_string();
    assert_eq!(
        error(&control("evaluation = \"rules\"\nrules = [\"no-such-rule\"]")),
        "mine.toml:7: control `1`: unknown rule `no-such-rule` (`stance rules` lists them)"
    );
    assert_eq!(
        error(&control("evaluation = \"rules\"")),
        "mine.toml:7: control `1` is evaluated by rules but names none"
    );
    assert!(error(&control("evaluation = \"sometimes\"")).starts_with("mine.toml:12: unknown variant `sometimes`"));
    assert!(error(&control("evaluation = \"outside\"")).contains("`needs` must say which it needs"));
    assert!(
        error(&control("evaluation = \"unchecked\"\nneeds = [\"s3\"]"))
            .contains("`needs` names `s3`, not a scanned service")
    );
    assert!(error(&control("evaluation = \"manual\"\nrules = [\"iam-admin-privileges\"]")).contains("drop `rules`"));
    let twice = format!(
        "{}\n[[control]]\nid = \"1\"\nsection = \"s\"\ntitle = \"t\"\nnote = \"n\"\nevaluation = \"manual\"\n",
        control("evaluation = \"manual\"")
    );
    assert_eq!(error(&twice), "mine.toml:14: control `1` is declared twice");
    assert!(error("id = 3").starts_with("mine.toml:1: "));
}

#[test]
fn control_ids_order_as_their_frameworks_number_them() {
    let mut ids = vec!["1.10", "IAM.21", "1.2", "IAM.3", "25(1)", "5(1)(e)", "32(1)(a)", "4.16", "4.2"];
    ids.sort_by_key(|id| framework::control_order(id));
    assert_eq!(ids, ["1.2", "1.10", "4.2", "4.16", "5(1)(e)", "25(1)", "32(1)(a)", "IAM.3", "IAM.21"]);
}

#[test]
fn a_control_judged_by_a_policy_the_file_does_not_set_is_not_evaluated() {
    let gdpr = |settings: &Settings| {
        let nothing_missed = Inventory::default();
        let results = evaluate(&[], settings, &nothing_missed);
        let gdpr = results.iter().find(|r| r.framework.id == "gdpr").unwrap();
        let control = gdpr.control("44").unwrap();
        (control.status, control.reason.clone())
    };
    assert_eq!(gdpr(Settings::builtin()), (Status::NotEvaluated, "the policy file sets no [policy.residency]".into()));
    let mut residency = Settings::default();
    residency.residency.allowed.insert("personal".into(), vec!["eu-west-1".into()]);
    assert_eq!(gdpr(&residency).0, Status::Pass);
}
