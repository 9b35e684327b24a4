use serde_json::json;

use super::*;
use crate::analyze::settings::Settings;
use crate::rules::fixture::*;

fn settings(text: &str) -> Settings {
    parse(text, "stance.toml").unwrap_or_else(|e| panic!("{e}")).settings
}

fn refused(text: &str) -> String {
    parse(text, "stance.toml").expect_err("refused").to_string()
}

#[test]
fn a_policy_reads_into_the_settings_and_keeps_the_defaults_it_does_not_set() {
    let s = settings(
        "[[mute]]\nrule = \"iam-role-unused\"\nreason = \"kept for DR\"\n\n[policy]\ndisabled_rules = [\"apigw-stage-no-waf\"]\n\n[policy.thresholds]\naccess_key_max_age_days = 60\nlog_retention_max_days = 400\n\n[policy.severity]\niam-role-unused = \"medium\"\n",
    );
    assert_eq!(s.thresholds.access_key_max_age_days, 60);
    assert_eq!(s.thresholds.log_retention_max_days, Some(400));
    assert_eq!(s.thresholds.role_unused_days, 90, "unset thresholds keep the built-in values");
    assert_eq!(s.severity_of("iam-role-unused", Severity::Low), Severity::Medium);
    let residency = settings(
        "[policy.residency]\ntag_key = \"classification\"\npersonal = [\"eu-west-1\"]\n\n[[policy.required_tags]]\nkind = \"lambda_function\"\nkeys = [\"owner\", \"team\"]\n",
    );
    assert_eq!(residency.residency.tag_key, "classification");
    assert_eq!(residency.residency.allowed["personal"], ["eu-west-1"]);
    assert_eq!(residency.required_tags[0].keys, ["owner", "team"]);
    assert_eq!(Settings::default().residency.tag_key, "data-classification", "the tag read by default");
    assert!(!s.runs("apigw-stage-no-waf") && s.runs("iam-role-unused"));
    // Mutes alone are a policy file too, with the built-in settings.
    let mutes_only = parse("[[mute]]\nrule = \"iam-role-unused\"\nreason = \"r\"\n", "stance.toml").unwrap();
    assert_eq!((mutes_only.mutes.len(), &mutes_only.settings), (1, Settings::builtin()));
}

#[test]
fn every_problem_names_the_line_and_what_was_expected() {
    let cases = [
        ("[policy.thresholds]\naccess_key_max_age = 60\n", "stance.toml:2: unknown field `access_key_max_age`"),
        (
            "[policy.thresholds]\naccess_key_max_age_days = -3\n",
            "stance.toml:1: [policy.thresholds] access_key_max_age_days = -3: expected a number of days from 1 to 36500",
        ),
        (
            "[policy.thresholds]\nlog_retention_min_days = 400\nlog_retention_max_days = 30\n",
            "stance.toml:1: [policy.thresholds] log_retention_min_days = 400 is more than log_retention_max_days = 30",
        ),
        (
            "[policy.severity]\niam-role-unused = \"severe\"\n",
            "stance.toml:2: [policy.severity] iam-role-unused: unknown severity `severe` (expected critical, high, medium, low or info)",
        ),
        (
            "\n[policy.severity]\nno-such-rule = \"low\"\n",
            "stance.toml:3: [policy.severity]: unknown rule `no-such-rule` (`stance rules` lists them)",
        ),
        (
            "[policy]\ndisabled_rules = [\"iam-role-unused\", \"typo\"]\n",
            "stance.toml:2: disabled_rules: unknown rule `typo` (`stance rules` lists them)",
        ),
        ("[policy]\nthreshold = 3\n", "stance.toml:2: unknown field `threshold`"),
        ("[policie]\n", "stance.toml:1: unknown field `policie`"),
        (
            "[policy.residency]\npersonal = [\"eu-west-1\", \"mars-north-1x\"]\n",
            "stance.toml:2: [policy.residency] personal: ",
        ),
        (
            "[policy.residency]\ntag_key = 7\n",
            "stance.toml:2: [policy.residency] tag_key: expected a tag key (a string), found integer",
        ),
        (
            "[policy.residency]\npersonal = []\n",
            "stance.toml:2: [policy.residency] personal: expected the regions allowed",
        ),
        (
            "[[policy.required_tags]]\nkind = \"lambda\"\nkeys = [\"owner\"]\n",
            "stance.toml:1: [[policy.required_tags]]: unknown kind `lambda` (expected one of iam_user",
        ),
        (
            "[[policy.required_tags]]\nkind = \"iam_role\"\nkeys = []\n",
            "stance.toml:1: [[policy.required_tags]] iam_role: `keys` must name at least one tag key",
        ),
    ];
    for (text, expected) in cases {
        let error = refused(text);
        assert!(error.starts_with(expected), "{text:?}:\n  got      {error}\n  expected {expected}");
        assert_eq!(error.lines().count(), 1, "one line: {error}");
    }
}

#[test]
fn the_rules_read_the_thresholds() {
    let fixture = Fixture::new().user("bob", |u| u.access_keys = Some(vec![key("AKIAMIDDLEAGED", "Active", 70)]));
    assert!(fixture.findings("iam-access-key-not-rotated").is_empty(), "70 days is within the built-in 90");
    let strict = settings("[policy.thresholds]\naccess_key_max_age_days = 60\n");
    assert_eq!(fixture.findings_under("iam-access-key-not-rotated", &strict).len(), 1, "and past a policy's 60");
}

#[test]
fn a_severity_override_scores_the_finding_as_that_severity_and_a_disabled_rule_does_not_run() {
    let fixture = Fixture::new().user("bob", |u| u.access_keys = Some(vec![key("AKIAOLDKEY", "Active", 200)]));
    let builtin = fixture.findings("iam-access-key-not-rotated");
    let raised = settings("[policy.severity]\niam-access-key-not-rotated = \"critical\"\n");
    let overridden = fixture.findings_under("iam-access-key-not-rotated", &raised);
    assert_eq!((builtin[0].severity, overridden[0].severity), (Severity::Medium, Severity::Critical));
    assert!(overridden[0].score > builtin[0].score, "{} vs {}", overridden[0].score, builtin[0].score);
    assert_eq!(overridden[0].fingerprint, builtin[0].fingerprint, "the same finding");

    let config = parse("[policy]\ndisabled_rules = [\"iam-access-key-not-rotated\"]\n", "stance.toml").unwrap();
    let (analysis, _) = crate::assess::assess(&fixture.inventory, now(), &config);
    assert!(analysis.findings.iter().all(|f| f.rule_id != "iam-access-key-not-rotated"), "{:?}", analysis.findings);
    assert_eq!(analysis.policy.settings.disabled_rules.len(), 1, "the snapshot records the policy");
}

#[test]
fn log_retention_is_judged_against_the_policy_minimum_and_maximum() {
    let fixture = Fixture::new()
        .role("r", lambda_trust(), &[], &[])
        .function("short", "r", |_| {})
        .function("long", "r", |_| {})
        .function("forever", "r", |_| {})
        .function("fine", "r", |_| {})
        .log_group("/aws/lambda/short", "us-east-1", Some(7))
        .log_group("/aws/lambda/long", "us-east-1", Some(3653))
        .log_group("/aws/lambda/forever", "us-east-1", None)
        .log_group("/aws/lambda/fine", "us-east-1", Some(365));
    let titles = |settings: &Settings| -> Vec<String> {
        fixture.findings_under("logs-retention-unset", settings).into_iter().map(|f| f.title).collect()
    };
    assert_eq!(titles(Settings::builtin()), ["Log group /aws/lambda/forever keeps its events for ever"]);
    let mut bounded =
        titles(&settings("[policy.thresholds]\nlog_retention_min_days = 30\nlog_retention_max_days = 400\n"));
    bounded.sort();
    assert_eq!(
        bounded,
        [
            "Log group /aws/lambda/forever keeps its events for ever",
            "Log group /aws/lambda/long keeps its events 3653 days, more than the policy's 400 days",
            "Log group /aws/lambda/short keeps its events 7 days, fewer than the policy's 30 days",
        ]
    );
}

#[test]
fn the_recorded_policy_tells_policies_apart_by_content_not_by_file() {
    let a = PolicyRecord::of(&settings("[policy.thresholds]\nrole_unused_days = 30\n"), Some("a/stance.toml".into()));
    let b = PolicyRecord::of(
        &settings("# same policy\n[policy.thresholds]\nrole_unused_days = 30\n"),
        Some("b.toml".into()),
    );
    let builtin = PolicyRecord::default();
    assert_eq!(a.sha256, b.sha256);
    assert_ne!(a.sha256, builtin.sha256);
    assert_eq!(builtin.sha256.len(), 64);
    assert_eq!(serde_json::to_value(&a.settings).unwrap()["thresholds"]["role_unused_days"], json!(30));
}

fn examples() -> Config {
    let mut config = Config::default();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/custom-rules");
    load_rules_dir(&dir, &mut config).unwrap_or_else(|e| panic!("{e}"));
    config
}

fn custom_account() -> Fixture {
    Fixture::new()
        .role("app", lambda_trust(), &[], &[])
        .function("orders-api", "app", |f| {
            f.memory_mb = Some(512);
            f.timeout_s = Some(30);
        })
        .function("Legacy_Job", "app", |f| {
            f.memory_mb = Some(4096);
            f.timeout_s = Some(900);
        })
        .function("image-resize", "app", |f| {
            f.memory_mb = None;
            f.timeout_s = None;
        })
        .tag(&function_arn("orders-api"), &[("owner", "orders-team")])
        .tag(&function_arn("image-resize"), &[("owner", "")])
        .tags_listed(&["us-east-1"])
}

#[test]
fn the_three_example_rules_fire_on_their_target_and_not_on_a_look_alike() {
    let config = examples();
    let ids: Vec<&str> = config.settings.custom_rules.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["custom-function-name-convention", "custom-function-limits", "custom-function-owner"]);
    let (analysis, _) = crate::assess::assess(&custom_account().inventory, now(), &config);
    let fired = |rule: &str| -> Vec<String> {
        let mut titles: Vec<String> =
            analysis.findings.iter().filter(|f| f.rule_id == rule).map(|f| f.title.clone()).collect();
        titles.sort();
        titles
    };
    assert_eq!(
        fired("custom-function-owner"),
        ["Function Legacy_Job names no owner", "Function image-resize names no owner"]
    );
    assert_eq!(
        fired("custom-function-limits"),
        ["Function Legacy_Job exceeds the memory or timeout limit (4096 MB, 900 s)"],
        "within the limits, and unknown limits, do not fire"
    );
    assert_eq!(fired("custom-function-name-convention"), ["Function Legacy_Job does not follow the naming convention"]);
    // Like any finding: its own id in the fingerprint, its severity, remediation and evidence.
    let limits = analysis.findings.iter().find(|f| f.rule_id == "custom-function-limits").unwrap();
    assert_eq!(
        limits.fingerprint,
        crate::finding::fingerprint("custom-function-limits", &function_arn("Legacy_Job"), "")
    );
    assert_eq!((limits.severity, limits.category), (Severity::Medium, crate::finding::Category::CustomRule));
    assert!(limits.remediation.contains("update-function-configuration"));
    assert!(limits.evidence.details.get("defined_at").unwrap().as_str().unwrap().ends_with("memory-timeout.toml:3"));
    // The control a rule says it evaluates fails with its finding.
    let gdpr = analysis.compliance.iter().find(|c| c.framework == "gdpr").unwrap();
    assert_eq!(gdpr.controls["30"], crate::compliance::Status::Fail);
}

#[test]
fn a_custom_rule_is_muted_and_reweighted_by_its_id() {
    let rules = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/custom-rules/owner-tag.toml"),
    )
    .unwrap();
    let text = format!(
        "{rules}\n[policy.severity]\ncustom-function-owner = \"high\"\n\n[[mute]]\nrule = \"custom-function-owner\"\nresource = \"*:function:image-resize\"\nreason = \"being retired\"\n"
    );
    let config = parse(&text, "stance.toml").unwrap_or_else(|e| panic!("{e}"));
    let (analysis, report) = crate::assess::assess(&custom_account().inventory, now(), &config);
    let owner: Vec<&crate::finding::Finding> =
        analysis.findings.iter().filter(|f| f.rule_id == "custom-function-owner").collect();
    assert_eq!(owner.len(), 2);
    assert!(owner.iter().all(|f| f.severity == Severity::High));
    assert_eq!(owner.iter().filter(|f| f.muted.is_some()).count(), 1);
    assert_eq!(report.applied[0].findings, 1);
}

#[test]
fn a_rule_that_does_not_check_out_is_refused_with_its_file_line_and_cel_error() {
    let rule = |condition: &str, title: &str, extra: &str| {
        format!(
            "\n[[rule]]\nid = \"custom-x\"\ntitle = \"{title}\"\nseverity = \"low\"\nkind = \"lambda_function\"\ncondition = '{condition}'\nremediation = \"fix\"\n{extra}"
        )
    };
    let cases = [
        (rule("resource.memory_mb >", "t", ""), "stance.toml:2: rule `custom-x`: the condition does not parse: "),
        (
            rule("resource.memory > 1", "t", ""),
            "stance.toml:2: rule `custom-x`: the condition reads `resource.memory`, which the lambda_function view does not have",
        ),
        (
            rule("function.memory_mb > 1", "t", ""),
            "stance.toml:2: rule `custom-x`: the condition names `function`; the only variable is `resource`",
        ),
        (
            rule("resource.tags.exists(k, k == \"owner\")", "{owner}", ""),
            "stance.toml:2: rule `custom-x`: the title names `{owner}`, which the lambda_function view does not have",
        ),
        (
            rule("true", "t", "controls = [\"cis-aws-3.0:9.9\"]\n"),
            "stance.toml:2: rule `custom-x`: `controls` names `cis-aws-3.0:9.9`: expected FRAMEWORK:CONTROL",
        ),
        (
            rule("resource.retention_days == null", "t", ""),
            "stance.toml:2: rule `custom-x`: the condition reads `resource.retention_days`, which the lambda_function view does not have",
        ),
    ];
    for (text, expected) in cases {
        let error = refused(&text);
        assert!(error.starts_with(expected), "{text}\n  got      {error}\n  expected {expected}");
        assert_eq!(error.lines().count(), 1, "{error}");
    }
    let bad_id = refused(
        "[[rule]]\nid = \"owner-tag\"\ntitle = \"t\"\nseverity = \"low\"\nkind = \"lambda_function\"\ncondition = 'true'\nremediation = \"fix\"\n",
    );
    assert!(bad_id.contains("starts with `custom-`"), "{bad_id}");
    // Macros bind their own variables: `k` is allowed inside exists().
    assert!(parse(&rule("resource.tags.exists(k, k == \"owner\")", "{name}", ""), "stance.toml").is_ok());
}
