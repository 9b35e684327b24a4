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
    assert_eq!(lines.len(), 1 + stance::rules::RULES.len(), "{text}");
    assert!(text.contains("iam-role-trust-any-principal") && text.contains("critical"));

    let json = stance(&["rules", "--format", "json"]);
    let rules: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(rules.as_array().unwrap().len(), stance::rules::RULES.len());
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

fn stance_in(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_stance")).args(args).current_dir(dir).env_clear().output().expect("run stance")
}

#[test]
fn unreadable_snapshots_give_one_line_and_exit_5_writing_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let future = r#"{"format": "stance-snapshot", "schema_version": 7}"#;
    let files: [(&str, &[u8], &str); 5] = [
        ("corrupt.json", b"{\"format\": \"stance-snapshot\", oops}", "corrupt JSON at line 1"),
        ("truncated.json", b"{\"format\": \"stance-snapshot\", \"schema_version\": 1, \"account\": {", "truncated"),
        ("empty.json", b"", "the file is empty"),
        ("future.json", future.as_bytes(), "schema version 7 is newer than this stance reads"),
        ("package.json", br#"{"name": "left-pad"}"#, "not a stance snapshot"),
    ];
    for (name, bytes, _) in &files {
        std::fs::write(d.join(name), bytes).unwrap();
    }
    for (name, _, expected) in files {
        for args in [
            vec!["diff", name, name],
            vec!["export", name, "--format", "sarif", "--out", "out.sarif"],
            vec!["compliance", name],
        ] {
            let output = stance_in(d, &args);
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(5), "{args:?}: {stderr}");
            assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
            assert!(stderr.contains(name) && stderr.contains(expected), "{args:?}: {stderr}");
            assert!(output.stdout.is_empty(), "nothing printed");
            assert!(!d.join("out.sarif").exists(), "nothing written");
        }
    }
    let missing_dir = stance_in(d, &["history", "no-such-dir"]);
    assert_eq!(missing_dir.status.code(), Some(5));
    // A directory with nothing to list says so, in one line, with what it skipped.
    std::fs::create_dir(d.join("empty")).unwrap();
    let empty = stance_in(d, &["history", "empty"]);
    let stderr = String::from_utf8_lossy(&empty.stderr);
    assert_eq!(empty.status.code(), Some(5), "{stderr}");
    assert!(stderr.contains("empty: no snapshot to list") && stderr.lines().count() == 1, "{stderr}");
    let only_broken = stance_in(d, &["history", "."]);
    let stderr = String::from_utf8_lossy(&only_broken.stderr);
    assert_eq!(only_broken.status.code(), Some(5), "{stderr}");
    assert!(stderr.contains("file(s) skipped"), "{stderr}");
}

#[test]
fn a_malformed_mutes_file_is_refused_with_its_line_before_any_aws_call() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("stance.toml"), "[[mute]]\nrule = \"iam-admin-privileges\"\n").unwrap();
    // No credentials and no endpoint: the mutes file must be refused before anything else is tried.
    let output = stance_in(dir.path(), &["scan", "--out", "s.json"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(5), "{stderr}");
    assert!(stderr.contains("stance.toml:1: a mute needs a `reason`"), "{stderr}");
    assert!(!dir.path().join("s.json").exists());
    // The policy the same file holds, likewise: scan, demo and the TUI all refuse it first.
    let policy =
        "[policy]\ndisabled_rules = [\"iam-role-unused\"]\n\n[policy.thresholds]\nrole_unused_days = \"ninety\"\n";
    std::fs::write(dir.path().join("stance.toml"), policy).unwrap();
    for args in [vec!["scan", "--out", "s.json"], vec!["demo", "--out", "s.json"]] {
        let output = stance_in(dir.path(), &args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(5), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains("stance.toml:5: invalid type: string \"ninety\", expected i64"), "{stderr}");
        assert!(!dir.path().join("s.json").exists());
    }
    // A custom rule in a --rules directory whose condition does not parse: its file, line and CEL error.
    std::fs::remove_file(dir.path().join("stance.toml")).unwrap();
    std::fs::create_dir(dir.path().join("rules")).unwrap();
    let broken = "# mine\n[[rule]]\nid = \"custom-big\"\ntitle = \"t\"\nseverity = \"low\"\nkind = \"lambda_function\"\ncondition = 'resource.memory_mb >'\nremediation = \"r\"\n";
    std::fs::write(dir.path().join("rules/limits.toml"), broken).unwrap();
    let output = stance_in(dir.path(), &["scan", "--rules", "rules", "--out", "s.json"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(5), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("rules/limits.toml:2: rule `custom-big`: the condition does not parse"), "{stderr}");
    assert!(!dir.path().join("s.json").exists());
}

#[test]
fn policy_prints_a_read_only_iam_policy() {
    let output = stance(&["policy"]);
    assert!(output.status.success());
    let policy: serde_json::Value = serde_json::from_slice(&output.stdout).expect("a JSON policy");
    let actions: Vec<&str> =
        policy["Statement"][0]["Action"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
    assert!(actions.contains(&"iam:GetAccountAuthorizationDetails") && actions.contains(&"lambda:GetPolicy"));
    assert!(actions.iter().all(|a| {
        a.split(':').nth(1).is_some_and(|op| {
            ["Get", "List", "Describe"].iter().any(|p| op.starts_with(p)) || op == "GenerateCredentialReport"
        })
    }));
    // Metadata only: no action that reads a secret's or a parameter's value, or decrypts.
    assert!(actions.contains(&"secretsmanager:ListSecrets") && actions.contains(&"ssm:DescribeParameters"));
    let value_reads: Vec<&&str> =
        actions.iter().filter(|a| stance::aws::NEVER_CALL.iter().any(|op| a.ends_with(&format!(":{op}")))).collect();
    assert!(value_reads.is_empty(), "{value_reads:?}");
    assert_eq!(policy["Statement"][1]["Action"], "apigateway:GET");
}

/// A profile or region typo is one line that says what exists, before any AWS call (no endpoint is
/// reachable here, so a call would end in a network error instead).
#[test]
fn an_unknown_profile_or_region_is_one_line_before_any_call() {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir(home.path().join(".aws")).unwrap();
    std::fs::write(
        home.path().join(".aws/config"),
        "[profile prod]\nregion = eu-west-1\n[default]\nregion = us-east-1\n",
    )
    .unwrap();
    let run = |args: &[&str], envs: &[(&str, &str)]| {
        let output = Command::new(env!("CARGO_BIN_EXE_stance"))
            .args(args)
            .env_clear()
            .env("HOME", home.path())
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .envs(envs.iter().copied())
            .current_dir(home.path())
            .output()
            .expect("run stance");
        (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
    };
    let (code, stderr) =
        run(&["scan", "--profile", "doesnotexist", "--endpoint-url", "http://127.0.0.1:9", "--out", "x.json"], &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("profile `doesnotexist` is not defined") && stderr.contains("(defined: default, prod)"),
        "{stderr}"
    );
    // The bare TUI fails the same way before it opens (it would need a terminal after that).
    let (code, stderr) = run(&["--profile", "doesnotexist"], &[]);
    assert_eq!((code, stderr.lines().count()), (Some(1), 1), "{stderr}");
    assert!(stderr.contains("profile `doesnotexist` is not defined"), "{stderr}");
    let (code, stderr) = run(&["--endpoint-url", "http://127.0.0.1:9", "--max-attempts", "1"], &[]);
    assert_eq!((code, stderr.lines().count()), (Some(1), 1), "{stderr}");
    assert!(stderr.contains("no usable AWS credentials") && stderr.contains("aws sso login"), "{stderr}");

    let (code, stderr) = run(&["scan", "--region", "nowhere-1"], &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("not an AWS region name"), "{stderr}");
    let (code, stderr) =
        run(&["scan", "--endpoint-url", "http://127.0.0.1:9", "--out", "x.json"], &[("AWS_REGION", "moon")]);
    assert_eq!((code, stderr.lines().count()), (Some(1), 1), "{stderr}");
    assert!(stderr.contains("region `moon`"), "{stderr}");
    assert!(!home.path().join("x.json").exists());
}

#[test]
fn explain_lists_the_escalation_methods_and_explains_each() {
    let output = stance(&["explain", "iam-privilege-escalation"]);
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    let methods = stance::rules::escalation_methods();
    assert!(text.contains(&format!("Escalation methods ({}):", methods.len())), "{text}");
    for (id, actions, _) in &methods {
        assert!(text.contains(&format!("- {id}: {actions}: ")), "{id} is listed:\n{text}");
    }
    let one = stance(&["explain", "passrole-lambda-create-invoke"]);
    assert!(one.status.success());
    let text = String::from_utf8_lossy(&one.stdout);
    assert!(text.contains("iam:PassRole + lambda:CreateFunction + lambda:InvokeFunction"), "{text}");
    assert!(text.contains("create a function with a privileged role and invoke it"), "{text}");
}

#[test]
fn compliance_reports_every_format_and_gates_on_score_and_controls() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let demo = stance_in(d, &["demo", "--out", "demo.json"]);
    assert!(d.join("demo.json").exists(), "{}", String::from_utf8_lossy(&demo.stderr));

    let text = stance_in(d, &["compliance", "demo.json", "--framework", "cis-aws-3.0"]);
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert_eq!(text.status.code(), Some(0), "{}", String::from_utf8_lossy(&text.stderr));
    assert!(stdout.starts_with("CIS AWS Foundations Benchmark 3.0.0 (cis-aws-3.0): "), "{stdout}");
    assert!(stdout.contains("1.10") && stdout.contains("arn:aws:iam::123456789012:user/bob"), "{stdout}");
    assert!(!stdout.contains("GDPR"), "only the framework asked for: {stdout}");

    let json = stance_in(d, &["compliance", "demo.json", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    let ids: Vec<&str> = report["frameworks"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["cis-aws-3.0", "aws-fsbp", "gdpr"]);
    let cis = &report["frameworks"][0];
    let score = cis["score"].as_f64().unwrap();
    assert!(score > 0.0 && score < 100.0, "the demo passes some controls and fails others: {score}");
    // The stored score is the one the report computes.
    let snapshot: serde_json::Value = serde_json::from_slice(&std::fs::read(d.join("demo.json")).unwrap()).unwrap();
    assert_eq!(snapshot["compliance"][0]["framework"], "cis-aws-3.0");
    assert_eq!(snapshot["compliance"][0]["score"].as_f64(), Some(score));
    assert_eq!(snapshot["compliance"][0]["controls"]["1.10"], "fail");

    let markdown = stance_in(d, &["compliance", "demo.json", "--format", "markdown", "--framework", "gdpr"]);
    let markdown = String::from_utf8_lossy(&markdown.stdout);
    assert!(
        markdown.starts_with("## General Data Protection Regulation 2016/679")
            && markdown.contains("| 5(1)(e) | fail |"),
        "{markdown}"
    );
    let csv = stance_in(d, &["compliance", "demo.json", "--format", "csv"]);
    let csv = String::from_utf8_lossy(&csv.stdout);
    assert!(csv.starts_with("framework,version,control,section,title,status,why,findings,resources\n"), "{csv}");
    assert!(csv.lines().any(|l| l.starts_with("cis-aws-3.0,3.0.0,1.10,") && l.contains(",fail,")), "{csv}");

    // The gates: a score floor above the score, a failing control, a passing one, and ids that do not exist.
    let gate = |args: &[&str]| {
        let mut all = vec!["compliance", "demo.json", "--framework", "cis-aws-3.0", "--format", "json"];
        all.extend_from_slice(args);
        let output = stance_in(d, &all);
        (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
    };
    let (code, stderr) = gate(&["--fail-under", &format!("{}", score + 1.0)]);
    assert_eq!(code, Some(4), "{stderr}");
    assert!(stderr.contains("(--fail-under)"), "{stderr}");
    assert_eq!(gate(&["--fail-under", &format!("{score}")]).0, Some(0), "a floor the score meets");
    let (code, stderr) = gate(&["--fail-on-control", "4.1,1.10"]);
    assert_eq!(code, Some(4), "{stderr}");
    assert!(stderr.contains("cis-aws-3.0 1.10: fails") && !stderr.contains("4.1:"), "{stderr}");
    assert_eq!(gate(&["--fail-on-control", "cis-aws-3.0:4.1"]).0, Some(0), "4.1 passes in the demo");
    let (code, stderr) = gate(&["--fail-on-control", "9.99"]);
    assert_eq!(code, Some(2), "a typo must not make the gate pass for ever: {stderr}");
    assert!(stderr.contains("9.99"), "{stderr}");
    let (code, stderr) = gate(&["--framework", "pci"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("unknown framework `pci`"), "{stderr}");
    assert_eq!(gate(&["--fail-under", "120"]).0, Some(2));
}

/// The demo organization written as an organization scan writes it (offline).
fn demo_org(dir: &std::path::Path, out: &str) {
    let output = stance_in(dir, &["demo", "--org", "--out", out]);
    assert_eq!(
        output.status.code(),
        Some(3),
        "partial: a member role is refused\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn organization_directories_diff_export_history_and_merge() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    demo_org(d, "runs/week1");
    demo_org(d, "runs/week2");
    // Week 1 did not have the management account's snapshot; week 2 lost prod's.
    std::fs::remove_file(d.join("runs/week1/123456789012.json.zst")).unwrap();
    std::fs::remove_file(d.join("runs/week2/210000000001.json.zst")).unwrap();

    let diff = stance_in(d, &["diff", "runs/week1", "runs/week2"]);
    assert!(diff.status.success(), "{}", String::from_utf8_lossy(&diff.stderr));
    let text = String::from_utf8_lossy(&diff.stdout);
    assert!(text.contains("+ account 123456789012 master"), "{text}");
    assert!(text.contains("- account 210000000001 prod"), "{text}");
    assert!(text.contains("Account 210000000002:"), "the account in both is compared: {text}");
    let json = stance_in(d, &["diff", "runs/week1", "runs/week2", "--format", "json"]);
    let parsed: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(parsed["accounts"].as_array().unwrap().len(), 1);
    let mixed = stance_in(d, &["diff", "runs/week1", "runs/week2/210000000002.json.zst"]);
    assert_eq!(mixed.status.code(), Some(5), "a directory compares with a directory");

    let csv = stance_in(d, &["export", "runs/week2", "--format", "csv"]);
    assert!(csv.status.success(), "{}", String::from_utf8_lossy(&csv.stderr));
    let table = String::from_utf8_lossy(&csv.stdout);
    assert!(table.starts_with("account,fingerprint,"), "{table}");
    let accounts: std::collections::BTreeSet<&str> =
        table.lines().skip(1).filter_map(|l| l.split(',').next()).collect();
    assert_eq!(accounts.into_iter().collect::<Vec<_>>(), ["123456789012", "210000000002"]);
    let sarif = stance_in(d, &["export", "runs/week2", "--format", "sarif"]);
    let log: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap();
    assert_eq!(log["runs"].as_array().unwrap().len(), 2, "one run per account");

    // History reads the runs' directories: each account once per run it was scanned in.
    let history = stance_in(d, &["history", "runs", "--format", "json"]);
    assert!(history.status.success(), "{}", String::from_utf8_lossy(&history.stderr));
    let parsed: serde_json::Value = serde_json::from_slice(&history.stdout).unwrap();
    let per_account =
        |account: &str| parsed["entries"].as_array().unwrap().iter().filter(|e| e["account_id"] == account).count();
    assert_eq!((per_account("210000000002"), per_account("123456789012"), per_account("210000000001")), (2, 1, 1));
    assert!(parsed["skipped"].as_array().unwrap().is_empty(), "the index files are not snapshots: {parsed}");

    // The index rebuilt from the files: the removed account is gone, the refused one stays recorded.
    let merged = stance_in(d, &["merge-index", "runs/week2"]);
    assert_eq!(merged.status.code(), Some(3), "{}", String::from_utf8_lossy(&merged.stderr));
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("runs/week2/org.json")).unwrap()).unwrap();
    let listed: Vec<&str> =
        index["accounts"].as_array().unwrap().iter().map(|a| a["account"].as_str().unwrap()).collect();
    assert_eq!(listed, ["210000000002", "123456789012", "210000000003"]);
    // A damaged file of the directory is one line naming it, exit 5, and nothing is rewritten.
    std::fs::write(d.join("runs/week1/organization.json"), "{\"id\": 7").unwrap();
    let corrupt = stance_in(d, &["merge-index", "runs/week1"]);
    assert_eq!(corrupt.status.code(), Some(5));
    let message = String::from_utf8_lossy(&corrupt.stderr);
    assert!(message.contains("organization.json") && message.lines().count() == 1, "{message}");
    std::fs::write(d.join("runs/week2/org.json"), "[]").unwrap();
    let open = stance_in(d, &["open", "runs/week2"]);
    assert_eq!(open.status.code(), Some(5));
    assert!(String::from_utf8_lossy(&open.stderr).contains("org.json: not an organization index"));
    let not_org = stance_in(d, &["merge-index", "runs"]);
    assert_eq!(not_org.status.code(), Some(5));
    assert!(String::from_utf8_lossy(&not_org.stderr).contains("not an organization scan directory"));
}

#[test]
fn policy_org_prints_the_management_and_member_policies() {
    let output = stance(&["policy", "--org", "--member-role", "StanceAudit"]);
    assert!(output.status.success());
    let policies: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let management = policies["management_account_policy"].to_string();
    assert!(
        management.contains("organizations:ListAccounts") && management.contains("role/StanceAudit"),
        "{management}"
    );
    assert!(policies["member_role_policy"].to_string().contains("lambda:ListFunctions"));
}
