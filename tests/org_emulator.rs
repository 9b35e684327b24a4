//! Organization scans against moto: the demo organization of `mocks/demo_org.py` (a management account and
//! three members in two OUs, an SCP denying iam:* on the sandbox OU, one cross-account path and its
//! look-alike), with one member role refused at the emulator layer.

mod support;

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;
use support::{Emulator, stance};

const PROD: &str = "210000000001";
const SANDBOX: &str = "210000000002";
const SHARED: &str = "210000000003";
const MANAGEMENT: &str = "123456789012";

fn org_emulator() -> Emulator {
    Emulator::start(&["--account", "org", "--deny-assume", SHARED])
}

fn org_scan(emulator: &Emulator, dir: &Path, out: &str, extra: &[&str]) -> std::process::Output {
    let mut args =
        vec!["scan", "--org", "--endpoint-url", &emulator.endpoint, "--region", "us-east-1", "--max-attempts", "1", "--out-dir", out];
    args.extend_from_slice(extra);
    stance(&args, dir)
}

fn read_json(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let bytes = if path.extension().is_some_and(|e| e == "zst") { zstd::decode_all(bytes.as_slice()).unwrap() } else { bytes };
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
    let paths: Vec<&Value> =
        sandbox["findings"].as_array().unwrap().iter().filter(|f| f["rule_id"] == "attack-path-cross-account").collect();
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
        .find(|f| f["rule_id"] == "iam-admin-privileges" && f["resource_arn"].as_str().unwrap().ends_with("role/playground-role"))
        .expect("the administrator on paper is still reported");
    let factors = admin["factors"].to_string();
    assert!(factors.contains("SCP DenyIAM") && factors.contains("denies iam:*"), "{factors}");
    // The snapshot records the SCPs applied, level by level.
    let scps: Vec<&str> = sandbox["organization"]["scps"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
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
            let mut fingerprints: Vec<String> =
                snapshot["findings"].as_array().unwrap().iter().map(|f| format!("{} {}", f["fingerprint"], f["score"])).collect();
            fingerprints.sort();
            accounts.insert(account.to_owned(), fingerprints);
        } else if let Some(account) = name.strip_suffix(".unassumable.json") {
            accounts.insert(account.to_owned(), vec!["unassumable".into()]);
        }
    }
    (accounts, read_json(&dir.join("org.json")))
}

#[test]
fn three_shards_and_a_merged_index_give_what_one_run_gives() {
    let emulator = org_emulator();
    let dir = tempfile::tempdir().unwrap();
    let whole = org_scan(&emulator, dir.path(), "whole", &[]);
    assert_eq!(whole.status.code(), Some(3), "{}", String::from_utf8_lossy(&whole.stderr));
    let mut scanned = Vec::new();
    for k in 0..3 {
        let shard = format!("{k}/3");
        let out = org_scan(&emulator, dir.path(), "sharded", &["--shard", &shard]);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        // A shard may hold none of the four accounts: it has nothing to do, and says so.
        assert!(matches!(out.status.code(), Some(0 | 3)), "{shard}: {stderr}");
        scanned.push(stderr);
    }
    let per_shard: Vec<usize> = scanned
        .iter()
        .map(|stderr| {
            let line = stderr.lines().find(|l| l.contains("active account(s), scanning")).expect("the plan line");
            line.rsplit(' ').next().unwrap().parse().unwrap()
        })
        .collect();
    assert_eq!(per_shard.iter().sum::<usize>(), 4, "every account in exactly one shard: {per_shard:?}");
    assert!(per_shard.iter().filter(|n| **n > 0).count() >= 2, "the work is split: {per_shard:?}");
    let merged = stance(&["merge-index", "sharded"], dir.path());
    assert_eq!(merged.status.code(), Some(3), "{}", String::from_utf8_lossy(&merged.stderr));
    let (whole_accounts, whole_index) = outcome(&dir.path().join("whole"));
    let (sharded_accounts, sharded_index) = outcome(&dir.path().join("sharded"));
    assert_eq!(whole_accounts.len(), 4);
    assert_eq!(whole_accounts, sharded_accounts, "the same findings, scores included, for every account");
    assert_eq!(whole_index, sharded_index, "the same index");
}
