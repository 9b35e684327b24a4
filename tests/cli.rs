//! The CLI's offline commands: the rule catalogue and its documentation.

use std::process::Command;

fn stance(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_stance")).args(args).env_clear().output().expect("run stance")
}

#[test]
fn rules_lists_the_catalogue() {
    let output = stance(&["rules"]);
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("ID") && lines[0].contains("SEVERITY"));
    assert_eq!(lines.len(), 1 + 23, "{text}");
    assert!(text.contains("iam-role-trust-any-principal") && text.contains("critical"));

    let json = stance(&["rules", "--format", "json"]);
    let rules: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(rules.as_array().unwrap().len(), 23);
    assert!(rules.as_array().unwrap().iter().all(|r| r["remediation"].as_str().is_some_and(|s| !s.is_empty())));
}

#[test]
fn explain_prints_one_rule_and_refuses_unknown_ids() {
    let output = stance(&["explain", "lambda-secrets-in-env"]);
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.starts_with("lambda-secrets-in-env — "));
    assert!(text.contains("Remediation: ") && text.contains("References:") && text.contains("PASSWORD_MIN_LENGTH"));

    let unknown = stance(&["explain", "no-such-rule"]);
    assert_eq!(unknown.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert_eq!(stderr.lines().count(), 1);
    assert!(stderr.contains("no rule `no-such-rule`"));
}
