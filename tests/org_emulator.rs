//! Organization scans against moto: the demo organization of `mocks/demo_org.py` (a management account and
//! three members in two OUs, an SCP denying iam:* on the sandbox OU, one cross-account path and its
//! look-alike), with one member role refused at the emulator layer.

mod support;

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;
use support::{Emulator, org_emulator, org_scan, stance};

const PROD: &str = "210000000001";
const SANDBOX: &str = "210000000002";
const SHARED: &str = "210000000003";
const MANAGEMENT: &str = "123456789012";

fn read_json(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let bytes =
        if path.extension().is_some_and(|e| e == "zst") { zstd::decode_all(bytes.as_slice()).unwrap() } else { bytes };
    serde_json::from_slice(&bytes).unwrap()
}

/// (rule, resource ARN's last part) of every finding.
fn findings(snapshot: &Value) -> Vec<(String, String)> {
    snapshot["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let arn = f["resource_arn"].as_str().unwrap();
            (f["rule_id"].as_str().unwrap().to_owned(), arn.rsplit([':', '/']).next().unwrap().to_owned())
        })
        .collect()
}

fn has(snapshot: &Value, rule: &str, resource: &str) -> bool {
    findings(snapshot).iter().any(|(r, name)| r == rule && name == resource)
}

#[test]
fn an_org_scan_inventories_every_member_it_can_assume_and_finds_the_path_across_accounts() {
    let emulator = org_emulator();
    let dir = tempfile::tempdir().unwrap();
    let out = org_scan(&emulator, dir.path(), "org", &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "partial: one account was not scanned\n{stderr}");
    let org = dir.path().join("org");

    // Every account it could assume is a normal snapshot; the refused one is recorded, with the reason.
    for account in [MANAGEMENT, PROD, SANDBOX] {
        assert!(org.join(format!("{account}.json.zst")).is_file(), "{account}\n{stderr}");
    }
    assert!(!org.join(format!("{SHARED}.json.zst")).exists());
    let refused = read_json(&org.join(format!("{SHARED}.unassumable.json")));
    assert!(refused["error"].as_str().unwrap().contains("AccessDenied"), "{refused}");
    let index = read_json(&org.join("org.json"));
    assert_eq!(index["organization"], "o-stancedemo");
    let entries: BTreeMap<&str, &Value> =
        index["accounts"].as_array().unwrap().iter().map(|e| (e["account"].as_str().unwrap(), e)).collect();
    assert_eq!(entries.len(), 4);
    assert_eq!(entries[SANDBOX]["ou_path"], "Root/sandbox");
    assert_eq!(entries[PROD]["ou_path"], "Root/workloads");
    assert!(entries[SHARED]["file"].is_null() && entries[SHARED]["error"].is_string());
    assert_eq!(index["accounts"][0]["account"], SANDBOX, "worst first: the sandbox holds the path");
    // A per-account snapshot is a normal snapshot that the other commands read.
    let compliance = stance(&["compliance", &format!("org/{PROD}.json.zst"), "--format", "json"], dir.path());
    assert!(compliance.status.success(), "{}", String::from_utf8_lossy(&compliance.stderr));

    let sandbox = read_json(&org.join(format!("{SANDBOX}.json.zst")));
    let prod = read_json(&org.join(format!("{PROD}.json.zst")));

    // The path: the public function URL in the sandbox → its role → sts:AssumeRole → prod's ops-admin.
    let paths: Vec<&Value> = sandbox["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "attack-path-cross-account")
        .collect();
    assert_eq!(paths.len(), 1, "{:?}", findings(&sandbox));
    let path: Vec<&str> = paths[0]["path"].as_array().unwrap().iter().map(|h| h.as_str().unwrap()).collect();
    assert_eq!(
        path,
        [
            format!("arn:aws:lambda:us-east-1:{SANDBOX}:function:playground-api").as_str(),
            &format!("arn:aws:iam::{SANDBOX}:role/playground-role"),
            &format!("arn:aws:iam::{PROD}:role/ops-admin"),
        ]
    );
    assert_eq!(paths[0]["severity"], "critical");
    assert!(paths[0]["resource_arn"].as_str().unwrap().ends_with(":function:playground-api"), "on the entry point");
    // The look-alike: prod's deploy-admin trusts the sandbox's reporting role, which nothing exposes.
    assert!(!paths.iter().any(|p| p.to_string().contains("deploy-admin")));
    // Trusts inside the organization are expected; the one to an outside account is still flagged.
    assert!(has(&prod, "iam-role-cross-account-no-external-id", "vendor-access"));
    assert!(!has(&prod, "iam-role-cross-account-no-external-id", "ops-admin"));
    assert!(!has(&prod, "iam-role-cross-account-no-external-id", "deploy-admin"));

    // The SCP denying iam:* on the sandbox OU: the same escalating policy is a finding in prod, not in the
    // sandbox; the sandbox's administrator on paper shows the SCP as its compensating control.
    assert!(has(&prod, "iam-privilege-escalation", "ci-builder"));
    assert!(!has(&sandbox, "iam-privilege-escalation", "sandbox-builder"));
    let admin = sandbox["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["rule_id"] == "iam-admin-privileges"
                && f["resource_arn"].as_str().unwrap().ends_with("role/playground-role")
        })
        .expect("the administrator on paper is still reported");
    let factors = admin["factors"].to_string();
    assert!(factors.contains("SCP DenyIAM") && factors.contains("denies iam:*"), "{factors}");
    // The snapshot records the SCPs applied, level by level.
    let scps: Vec<&str> =
        sandbox["organization"]["scps"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert!(scps.contains(&"DenyIAM") && scps.contains(&"FullAWSAccess"), "{scps:?}");
    let management = read_json(&org.join(format!("{MANAGEMENT}.json.zst")));
    assert_eq!(management["organization"]["scps"], serde_json::json!([]), "SCPs never bind the management account");
}

/// What must be equal between two runs: each account's findings and inventory counts, and the index.
fn outcome(dir: &Path) -> (BTreeMap<String, Vec<String>>, Value) {
    let mut accounts = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if let Some(account) = name.strip_suffix(".json.zst") {
            let snapshot = read_json(&path);
            let mut fingerprints: Vec<String> = snapshot["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| format!("{} {}", f["fingerprint"], f["score"]))
                .collect();
            fingerprints.sort();
            accounts.insert(account.to_owned(), fingerprints);
        } else if let Some(account) = name.strip_suffix(".unassumable.json") {
            accounts.insert(account.to_owned(), vec!["unassumable".into()]);
        }
    }
    (accounts, read_json(&dir.join("org.json")))
}

/// The shipped examples' documents, as JSON (read with the emulator's Python, which has PyYAML).
fn documents(path: &Path) -> Vec<Value> {
    let script = "import json, sys, yaml\nprint(json.dumps([d for d in yaml.safe_load_all(open(sys.argv[1]))]))";
    let output = std::process::Command::new(support::python()).args(["-c", script]).arg(path).output().expect("python");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

fn strings(value: &Value) -> Vec<String> {
    value.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect()
}

/// Runs one worker of a job array: its arguments as shipped (the mount point moved into `dir`), the emulator
/// as the endpoint (`AWS_ENDPOINT_URL`, so the arguments stay as they are), and its index in `index_var`.
fn worker(
    emulator: &Emulator,
    dir: &Path,
    args: &[String],
    mount: &str,
    index: Option<(&str, u32)>,
) -> (Option<i32>, String) {
    let args: Vec<String> = args.iter().map(|a| a.replacen(mount, &dir.join("mnt").display().to_string(), 1)).collect();
    let mut command = support::stance_command(dir);
    command.env("AWS_ENDPOINT_URL", &emulator.endpoint).args(&args).args(["--max-attempts", "1"]);
    if args.first().is_some_and(|a| a == "merge-index") {
        command = support::stance_command(dir);
        command.args(&args);
    }
    if let Some((name, value)) = index {
        command.env(name, value.to_string());
    }
    let output = command.output().expect("stance");
    (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
}

/// The shipped Kubernetes Indexed Job and AWS Batch job definition (docs/org/), run worker by worker as
/// their engines would, then merged: the same snapshots and index as one unsharded scan.
#[test]
fn the_shipped_job_arrays_split_the_organization_as_one_run_would() {
    let emulator = org_emulator();
    let dir = tempfile::tempdir().unwrap();
    let whole = org_scan(&emulator, dir.path(), "whole", &[]);
    assert_eq!(whole.status.code(), Some(3), "{}", String::from_utf8_lossy(&whole.stderr));
    let expected = outcome(&dir.path().join("whole"));
    assert_eq!(expected.0.len(), 4);

    // Kubernetes: `completions` pods, each with JOB_COMPLETION_INDEX, then the merge Job.
    let k8s = dir.path().join("k8s");
    std::fs::create_dir_all(&k8s).unwrap();
    let docs = documents(&support::repo().join("docs/org/k8s-indexed-job.yaml"));
    let scan = &docs[0]["spec"];
    assert_eq!(scan["completionMode"], "Indexed");
    let pods = scan["completions"].as_u64().unwrap() as u32;
    let args = strings(&scan["template"]["spec"]["containers"][0]["args"]);
    let mut per_shard = Vec::new();
    for index in 0..pods {
        let (code, stderr) = worker(&emulator, &k8s, &args, "/out", Some(("JOB_COMPLETION_INDEX", index)));
        assert!(matches!(code, Some(0 | 3)), "pod {index}: {stderr}");
        let line = stderr.lines().find(|l| l.contains("active account(s), scanning")).expect("the plan line");
        per_shard.push(line.rsplit(' ').next().unwrap().parse::<usize>().unwrap());
    }
    assert_eq!(per_shard.iter().sum::<usize>(), 4, "every account in exactly one shard: {per_shard:?}");
    assert!(per_shard.iter().filter(|n| **n > 0).count() >= 2, "the work is split: {per_shard:?}");
    let merge = strings(&docs[1]["spec"]["template"]["spec"]["containers"][0]["args"]);
    let (code, stderr) = worker(&emulator, &k8s, &merge, "/out", None);
    assert_eq!(code, Some(3), "{stderr}");
    assert_eq!(outcome(&k8s.join("mnt/org")), expected, "the Indexed Job gives what one run gives");

    // AWS Batch: an array job of `shards` children with AWS_BATCH_JOB_ARRAY_INDEX, `Ref::` parameters
    // substituted as Batch does, then the same definition with the merge command.
    let batch = dir.path().join("batch");
    std::fs::create_dir_all(&batch).unwrap();
    let definition: Value =
        serde_json::from_slice(&std::fs::read(support::repo().join("docs/org/batch-job-definition.json")).unwrap())
            .unwrap();
    let parameters = definition["parameters"].as_object().unwrap();
    let substitute = |arg: &str| {
        parameters
            .iter()
            .fold(arg.to_owned(), |a, (name, value)| a.replace(&format!("Ref::{name}"), value.as_str().unwrap()))
    };
    let command: Vec<String> =
        strings(&definition["containerProperties"]["command"]).iter().map(|a| substitute(a)).collect();
    let children: u32 = parameters["shards"].as_str().unwrap().parse().unwrap();
    for index in 0..children {
        let (code, stderr) =
            worker(&emulator, &batch, &command, "/mnt/stance", Some(("AWS_BATCH_JOB_ARRAY_INDEX", index)));
        assert!(matches!(code, Some(0 | 3)), "child {index}: {stderr}");
    }
    let merge = vec!["merge-index".to_owned(), substitute("Ref::outdir")];
    let (code, stderr) = worker(&emulator, &batch, &merge, "/mnt/stance", None);
    assert_eq!(code, Some(3), "{stderr}");
    assert_eq!(outcome(&batch.join("mnt/org")), expected, "the array job gives what one run gives");
}
