//! The analysis end to end: scan the demo account in moto, then check every planted risk is found and no
//! look-alike is flagged (mocks/demo-expected.json lists both).

mod support;

use std::collections::BTreeSet;

use serde_json::Value;
use support::{Emulator, repo, scan_demo};

fn text_of(finding: &Value) -> String {
    format!(
        "{} {} {}",
        finding["resource_arn"].as_str().unwrap_or_default(),
        finding["title"].as_str().unwrap_or_default(),
        finding["evidence"]["location"].as_str().unwrap_or_default()
    )
}

#[test]
fn every_planted_risk_is_found_and_no_look_alike_is_flagged() {
    let emulator = Emulator::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    // Under the demo account's policy (data residency, an owner tag), as `stance demo` judges it.
    let policy = repo().join("demo/policy.toml").display().to_string();
    let output = scan_demo(&emulator, dir.path(), "report.json", &["--fail-on", "critical", "--policy", &policy]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Posture "), "{stderr}");
    assert_eq!(output.status.code(), Some(4), "critical findings fail the --fail-on gate: {stderr}");
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).unwrap()).unwrap();
    let findings = report["findings"].as_array().expect("findings");
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(repo().join("mocks/demo-expected.json")).unwrap()).unwrap();

    let mut missing = Vec::new();
    for entry in expected["findings"].as_array().unwrap() {
        let (rule, place) = (entry["rule"].as_str().unwrap(), entry["where"].as_str().unwrap());
        if !findings.iter().any(|f| f["rule_id"] == rule && text_of(f).contains(place)) {
            missing.push(format!("{rule} on {place}"));
        }
    }
    let mut flagged = Vec::new();
    for entry in expected["look_alikes"].as_array().unwrap() {
        let (rule, place) = (entry["rule"].as_str().unwrap(), entry["where"].as_str().unwrap());
        for f in findings.iter().filter(|f| f["rule_id"] == rule && text_of(f).contains(place)) {
            flagged.push(format!("{rule} on {place} ({}): {}", entry["why"].as_str().unwrap(), f["title"]));
        }
    }
    let all: Vec<String> =
        findings.iter().map(|f| format!("{} | {}", f["rule_id"].as_str().unwrap(), text_of(f))).collect();
    assert!(
        missing.is_empty(),
        "planted risks not found:\n{}\n\nall findings:\n{}",
        missing.join("\n"),
        all.join("\n")
    );
    assert!(flagged.is_empty(), "look-alikes flagged:\n{}", flagged.join("\n"));

    // The audit trail's advanced selectors record the eu-west-1 functions' invocations (a basic-selector-free
    // trail, read from its home region): only the us-east-1 functions are unrecorded.
    let data_events = findings.iter().find(|f| f["rule_id"] == "cloudtrail-no-lambda-data-events").unwrap();
    let unrecorded = data_events["evidence"]["details"]["functions_not_recorded"].as_array().unwrap();
    assert!(
        !unrecorded.is_empty() && unrecorded.iter().all(|f| f.as_str().unwrap().contains(":us-east-1:")),
        "{unrecorded:?}"
    );

    // Every category of the taxonomy appears: as seeded, or once the audit trail is stopped (an account-level
    // rule has one verdict per account, so its risk and its look-alike need two states).
    let mut categories: BTreeSet<String> =
        findings.iter().filter_map(|f| f["category"].as_str().map(str::to_owned)).collect();
    assert!(!categories.contains("cloudtrail_no_multiregion_trail"), "the audit trail counts in every region");
    support::change(&emulator, &["stop-audit-trail"]);
    let stopped = scan_demo(&emulator, dir.path(), "stopped.json", &[]);
    assert!(matches!(stopped.status.code(), Some(0 | 3)), "{}", String::from_utf8_lossy(&stopped.stderr));
    let stopped: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("stopped.json")).unwrap()).unwrap();
    let later = stopped["findings"].as_array().unwrap();
    let multi_region = later.iter().find(|f| f["rule_id"] == "cloudtrail-no-multiregion-trail").expect("3.1 fails");
    assert!(multi_region["evidence"]["summary"].as_str().unwrap().contains("audit is stopped"), "{multi_region}");
    let alarms = later.iter().filter(|f| f["rule_id"] == "monitoring-missing-security-alarm").count();
    assert_eq!(alarms, 15, "a stopped trail is watched by nothing");
    categories.extend(later.iter().filter_map(|f| f["category"].as_str().map(str::to_owned)));
    // A cross-account path needs an organization: the demo organization plants it (tests/org_emulator.rs).
    let taxonomy: BTreeSet<String> = stance::rules::Category::ALL
        .iter()
        .filter(|c| **c != stance::rules::Category::AttackPathCrossAccount)
        .map(|c| c.as_str().to_owned())
        .collect();
    assert_eq!(categories, taxonomy, "the demo account plants a risk of every category an account can show");

    // Attack paths: ordered ARNs from the entry point to the role (and the secrets it reads, when those are the
    // prize), and they outrank every finding they chain.
    let paths: Vec<&Value> =
        findings.iter().filter(|f| f["category"] == "attack_path_public_api_to_privileged_lambda").collect();
    assert!(paths.len() >= 2);
    let to_secrets =
        paths.iter().find(|p| p["path"].as_array().is_some_and(|a| a.len() > 3)).expect("a path to secrets");
    let blast = to_secrets["factors"].as_array().unwrap().iter().find(|f| f["name"] == "blast_radius").unwrap();
    assert_eq!(blast["value"], "reads_secrets", "{to_secrets:#}");
    for path in &paths {
        let arns: Vec<&str> = path["path"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
        // The entry (a function URL's entry is its function: not listed twice), the function, its role, and
        // the secrets it reads when those are the prize.
        let function = arns.iter().position(|a| a.contains(":function:")).expect("a function");
        assert!(function <= 1 && arns[function + 1].contains(":role/"), "{arns:?}");
        assert!(arns[function + 2..].iter().all(|a| a.contains(":secret:")), "{arns:?}");
        assert_eq!(arns.iter().collect::<BTreeSet<_>>().len(), arns.len(), "no hop twice: {arns:?}");
        let chained = path["evidence"]["details"]["chained_findings"].as_array().unwrap();
        assert!(!chained.is_empty());
        for fingerprint in chained {
            let part = findings.iter().find(|f| &f["fingerprint"] == fingerprint).unwrap();
            assert!(
                path["score"].as_u64() > part["score"].as_u64(),
                "{} must outrank {}",
                path["title"],
                part["title"]
            );
        }
    }
    assert_eq!(findings[0]["category"], "attack_path_public_api_to_privileged_lambda", "paths rank first");

    // The event chain: anyone may publish to orders-events, which fans out to orders-intake, which an event
    // source mapping feeds to order-fulfilment, whose role can escalate. One path, every hop in order.
    let event_paths: Vec<&Value> =
        findings.iter().filter(|f| f["category"] == "attack_path_public_event_to_privileged_lambda").collect();
    let topic_path = event_paths
        .iter()
        .find(|p| p["resource_arn"].as_str().unwrap().ends_with(":sns:us-east-1:123456789012:orders-events"))
        .expect("the topic's chain is a path");
    let hops: Vec<&str> = topic_path["path"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
    let topic = "arn:aws:sns:us-east-1:123456789012:orders-events";
    assert_eq!(hops.len(), 6, "{hops:?}");
    assert_eq!(hops[0], topic);
    assert!(hops[1].starts_with(&format!("{topic}:")), "the subscription: {hops:?}");
    assert_eq!(hops[2], "arn:aws:sqs:us-east-1:123456789012:orders-intake");
    assert!(hops[3].contains(":lambda:us-east-1:123456789012:event-source-mapping:"), "{hops:?}");
    assert_eq!(hops[4], "arn:aws:lambda:us-east-1:123456789012:function:order-fulfilment");
    assert_eq!(hops[5], "arn:aws:iam::123456789012:role/order-fulfilment-role");
    let exposure = topic_path["factors"].as_array().unwrap().iter().find(|f| f["name"] == "exposure").unwrap();
    assert_eq!(exposure["value"], "any_aws_principal");
    assert_eq!(
        event_paths.iter().filter(|p| p["title"].as_str().unwrap().contains("billing-notifier")).count(),
        0,
        "the default-policy topic and the organization's bus in front of the same role form no path"
    );
    for fingerprint in topic_path["evidence"]["details"]["chained_findings"].as_array().unwrap() {
        let part = findings.iter().find(|f| &f["fingerprint"] == fingerprint).unwrap();
        assert!(topic_path["score"].as_u64() > part["score"].as_u64(), "outranks {}", part["title"]);
    }
    // The confused deputy: a grant to S3 with no source condition, reported with why.
    let deputy = findings
        .iter()
        .find(|f| {
            f["rule_id"] == "lambda-public-resource-policy"
                && f["resource_arn"].as_str().unwrap().ends_with(":thumbnailer")
        })
        .expect("the s3 grant without a source condition");
    assert!(
        deputy["evidence"]["summary"].as_str().unwrap().contains("no aws:SourceArn or aws:SourceAccount"),
        "{deputy:#}"
    );

    // The contract every finding keeps.
    let mut fingerprints = BTreeSet::new();
    for f in findings {
        assert!(fingerprints.insert(f["fingerprint"].as_str().unwrap().to_owned()), "duplicate fingerprint {f:#}");
        assert_eq!(f["fingerprint"].as_str().unwrap().len(), 32);
        assert!(!f["evidence"]["summary"].as_str().unwrap().is_empty());
        assert!(!f["remediation"].as_str().unwrap().is_empty() && !f["references"].as_array().unwrap().is_empty());
        assert_eq!(f["factors"][0]["name"], "severity");
        let region = f["region"].as_str().unwrap();
        assert!(region == "global" || region == "us-east-1" || region == "eu-west-1");
    }
    // Statement evidence is the exact statement: the NotAction grant of webhook-handler-role.
    let notaction = findings.iter().find(|f| f["rule_id"] == "iam-notaction-allow").unwrap();
    assert_eq!(notaction["evidence"]["statement"]["Sid"], "EverythingButIam");
    assert!(
        notaction["evidence"]["location"]
            .as_str()
            .unwrap()
            .contains("inline policy `notaction` of webhook-handler-role")
    );
    assert_eq!(report["policy_problems"], serde_json::json!([]));
    assert!(report["posture"]["score"].as_u64().unwrap() < 50);

    compliance_matches_the_expectation(dir.path(), &expected["compliance"]);
}

/// `stance compliance` on the scan: each CIS control of the expectation has its status, and a failing one
/// names exactly the expected resources.
fn compliance_matches_the_expectation(dir: &std::path::Path, expected: &Value) {
    let output = support::stance(&["compliance", "report.json", "--framework", "cis-aws-3.0", "--format", "json"], dir);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let framework = &report["frameworks"][0];
    assert_eq!(framework["id"], "cis-aws-3.0");
    let controls = framework["controls"].as_array().unwrap();
    let mut wrong = Vec::new();
    for entry in expected["cis-aws-3.0"].as_array().unwrap() {
        let id = entry["control"].as_str().unwrap();
        let control = controls.iter().find(|c| c["id"] == id).unwrap_or_else(|| panic!("no control {id}"));
        if control["status"] != entry["status"] {
            wrong
                .push(format!("{id}: {} where {} was expected ({})", control["status"], entry["status"], entry["why"]));
        }
        let failing: Vec<&str> =
            control["failing"].as_array().unwrap().iter().map(|f| f["resource_arn"].as_str().unwrap()).collect();
        let places: Vec<&str> = entry["resources"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect();
        for place in &places {
            if !failing.iter().any(|arn| arn.contains(place)) {
                wrong.push(format!("{id}: {place} does not fail it ({failing:?})"));
            }
        }
        for arn in &failing {
            if !places.iter().any(|place| arn.contains(place)) {
                wrong.push(format!("{id}: {arn} fails it unexpectedly"));
            }
        }
    }
    // Every control CIS section 1 lets stance evaluate is in the expectation.
    for control in controls.iter().filter(|c| c["evaluation"] == "rules" && c["id"].as_str().unwrap().starts_with("1."))
    {
        let id = control["id"].as_str().unwrap();
        if !expected["cis-aws-3.0"].as_array().unwrap().iter().any(|e| e["control"] == id) {
            wrong.push(format!("{id} is evaluated by rules but has no expectation"));
        }
    }
    assert!(wrong.is_empty(), "compliance:\n{}", wrong.join("\n"));
}

#[test]
fn a_multi_region_trail_is_read_from_its_home_region_when_only_a_shadow_region_is_scanned() {
    let emulator = Emulator::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let args = ["scan", "--endpoint-url", &emulator.endpoint, "--region", "eu-west-1", "--max-attempts", "1"];
    let output = support::stance(&[&args[..], &["--out", "eu.json"]].concat(), dir.path());
    assert!(matches!(output.status.code(), Some(0 | 3 | 4)), "{}", String::from_utf8_lossy(&output.stderr));
    let snapshot: Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join("eu.json")).unwrap()).unwrap();
    let audit = &snapshot["cloudtrail"]["trails"]["arn:aws:cloudtrail:us-east-1:123456789012:trail/audit"];
    assert_eq!(audit["listed_in"], serde_json::json!(["eu-west-1"]), "seen as a shadow only");
    assert_eq!(audit["status"]["value"]["is_logging"], true, "status read in us-east-1: {audit}");
    assert_eq!(audit["selectors"]["state"], "present", "selectors read in us-east-1: {audit}");
    let findings = snapshot["findings"].as_array().unwrap();
    let rules: BTreeSet<&str> = findings.iter().filter_map(|f| f["rule_id"].as_str()).collect();
    assert!(!rules.contains("cloudtrail-no-multiregion-trail"), "the shadow counts in eu-west-1");
    // Every eu-west-1 function's invocations are recorded by the trail's advanced selectors.
    assert!(!rules.contains("cloudtrail-no-lambda-data-events"), "{rules:?}");
    assert!(rules.contains("cloudtrail-not-logging"), "the eu-legacy trail, home eu-west-1: {rules:?}");
}
