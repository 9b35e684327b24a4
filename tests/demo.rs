//! `stance demo`: the recorded demo account replayed through the real collectors. These tests fail when the
//! cassettes are stale — the seed changed, the collectors ask for something not recorded (or stopped asking
//! for something that was), or a fresh emulator no longer gives the same inventory and findings.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use sha2::{Digest, Sha256};
use stance::aws::cassette::ReplayClient;
use stance::demo::{DemoState, scanner};
use stance::snapshot::Snapshot;
use support::{Emulator, repo, scan_demo};

const RERECORD: &str = "the demo cassettes are stale: run scripts/record-demo.sh and commit demo/";

fn replay(state: DemoState) -> (Snapshot, ReplayClient) {
    on_scan_stack(move || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime
            .block_on(stance::demo::snapshot(state, &stance::demo::with_demo_policy(Default::default())))
            .expect("the bundled cassette replays")
    })
}

/// Runs a scan the way the binary does: on a thread with the scan's 8 MiB stack (`main.rs`), not on the test
/// harness's 2 MiB one, which a debug build's nested collector futures can outgrow.
fn on_scan_stack<T: Send + 'static>(scan: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(8 << 20)
        .spawn(scan)
        .expect("a scan thread")
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

fn categories(snapshot: &Snapshot) -> BTreeSet<String> {
    snapshot.analysis.findings.iter().map(|f| f.category.as_str().to_owned()).collect()
}

#[test]
fn every_request_is_answered_and_every_recording_is_used() {
    for state in [DemoState::Now, DemoState::MonthLater] {
        let (snapshot, client) = replay(state);
        let misses: Vec<String> = client.misses().iter().map(ToString::to_string).collect();
        assert!(misses.is_empty(), "{RERECORD}\n{}: not recorded:\n{}", state.file_name(), misses.join("\n"));
        let unused: Vec<String> = client.unused().iter().map(ToString::to_string).collect();
        assert!(
            unused.is_empty(),
            "{RERECORD}\n{}: recorded, never asked for:\n{}",
            state.file_name(),
            unused.join("\n")
        );
        assert_eq!(snapshot.inventory.account.account_id, "123456789012");
        // Every gap the demo shows is one of its recording, and says so.
        for gap in &snapshot.inventory.coverage {
            assert!(gap.message.contains("a gap of the demo's recording"), "unexplained gap in the demo: {gap}");
        }
    }
}

#[test]
fn the_cassettes_were_recorded_from_the_current_seed() {
    let recorded = std::fs::read_to_string(repo().join("demo/recorded-from.sha256")).expect(RERECORD);
    let mut checked = 0;
    for line in recorded.lines() {
        let (digest, file) = line.split_once("  ").expect("sha256sum format");
        let now = hex::encode(Sha256::digest(std::fs::read(repo().join(file)).unwrap()));
        assert_eq!(now, digest, "{RERECORD} ({file} changed since the recording)");
        checked += 1;
    }
    assert!(checked >= 2, "the seed script and its pinned requirements are both covered");
}

#[test]
fn the_demo_shows_every_kind_of_risk_and_a_month_of_change() {
    let (now, _) = replay(DemoState::Now);
    let found = categories(&now);
    assert!(found.len() >= 15, "findings in {} categories: {found:?}", found.len());
    let paths = now.analysis.findings.iter().filter(|f| !f.path.is_empty()).count();
    assert!(paths >= 2, "attack paths: {paths}");
    // Where secrets live: at least one secret finding, and an attack path whose prize is secrets.
    assert!(now.analysis.findings.iter().any(|f| f.rule_id.starts_with("secretsmanager-")), "a secret finding");
    let to_secrets = now.analysis.findings.iter().find(|f| {
        f.category.is_path() && f.factors.iter().any(|x| x.name == "blast_radius" && x.value == "reads_secrets")
    });
    let to_secrets = to_secrets.expect("an attack path to secrets");
    assert!(to_secrets.path.last().is_some_and(|arn| arn.contains(":secret:")), "{:?}", to_secrets.path);

    let (later, _) = replay(DemoState::MonthLater);
    assert!(later.inventory.scan.as_of > now.inventory.scan.as_of, "the later state is evaluated later");
    let diff = stance::diff::diff(&now, &later);
    let resolved: Vec<&str> = diff.resolved_findings.iter().map(|f| f.title.as_str()).collect();
    let new: Vec<&str> = diff.new_findings.iter().map(|f| f.title.as_str()).collect();
    assert!(resolved.iter().any(|t| t.contains("bob") && t.contains("MFA")), "{resolved:?}");
    assert!(resolved.iter().any(|t| t.contains("DB_PASSWORD")), "{resolved:?}");
    assert!(new.iter().any(|t| t.contains("Function URL of orders-api")), "{new:?}");
}

#[test]
fn demo_out_works_in_an_empty_environment_without_a_network() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo.json");
    // No PATH, no HOME, no AWS_* variables, no profile files: the demo needs none of them. And no network:
    // where the machine allows it (root, or user namespaces), the demo runs in a network namespace of its own,
    // with no interface but a down loopback.
    let isolated = Command::new("unshare").args(["-n", "true"]).status().is_ok_and(|s| s.success());
    let mut command = if isolated {
        let mut unshare = Command::new("unshare");
        unshare.args(["-n", env!("CARGO_BIN_EXE_stance")]);
        unshare
    } else {
        eprintln!("unshare -n is not permitted here: the demo runs with the network present");
        Command::new(env!("CARGO_BIN_EXE_stance"))
    };
    let output = command.args(["demo", "--out"]).arg(&out).env_clear().output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let snapshot = Snapshot::read(&out).expect("the demo snapshot reads back");
    // As `scan`: 3 when the recording holds coverage gaps (moto does not implement every call stance makes).
    let expected = if snapshot.inventory.is_complete() { 0 } else { 3 };
    assert_eq!(output.status.code(), Some(expected), "{stderr}");
    assert!(!stderr.contains("stale") && !stderr.contains("WARN") && !stderr.contains("ERROR"), "{stderr}");
    assert!(stderr.contains("Posture "), "{stderr}");
    assert!(categories(&snapshot).len() >= 15, "{:?}", categories(&snapshot));
    assert!(snapshot.analysis.findings.iter().any(|f| !f.path.is_empty()), "an attack path");
}

/// What a scan sees, independent of the ids moto makes up: inventory counts and findings per rule.
fn shape(snapshot: &Snapshot) -> (BTreeMap<&'static str, usize>, BTreeMap<String, usize>) {
    let mut rules = BTreeMap::new();
    for finding in &snapshot.analysis.findings {
        *rules.entry(finding.rule_id.clone()).or_insert(0) += 1;
    }
    (snapshot.inventory.counts(), rules)
}

#[test]
fn a_fresh_emulator_scan_matches_the_recording() {
    let emulator = Emulator::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    // Judged under the demo's own policy, as the replay is.
    let policy = repo().join("demo/policy.toml").display().to_string();
    let scan = scan_demo(&emulator, dir.path(), "live.json", &["--policy", &policy]);
    assert!(matches!(scan.status.code(), Some(0 | 3)), "{}", String::from_utf8_lossy(&scan.stderr));
    let live = Snapshot::read(&dir.path().join("live.json")).unwrap();
    let (recorded, _) = replay(DemoState::Now);
    assert_eq!(shape(&live), shape(&recorded), "{RERECORD} (the emulator's account differs from the recording)");
    let gaps = |s: &Snapshot| {
        s.inventory.coverage.iter().map(|c| (c.service.clone(), c.operation.clone())).collect::<Vec<_>>()
    };
    assert_eq!(gaps(&live), gaps(&recorded), "{RERECORD}");
}

#[test]
fn a_recorded_scan_replays_to_the_same_snapshot() {
    let emulator = Emulator::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let cassette_path = dir.path().join("scan.cassette.json");
    let cassette_arg = cassette_path.display().to_string();
    let live = scan_demo(&emulator, dir.path(), "live.json", &["--record", &cassette_arg]);
    assert!(matches!(live.status.code(), Some(0 | 3)), "{}", String::from_utf8_lossy(&live.stderr));
    let live = Snapshot::read(&dir.path().join("live.json")).unwrap();

    let cassette = stance::aws::cassette::Cassette::read(&cassette_path).expect("the recording reads back");
    assert_eq!(cassette.regions, ["us-east-1", "eu-west-1"]);
    let (replayed, client) = on_scan_stack(move || {
        let client = ReplayClient::new(&cassette);
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let replayed = runtime.block_on(scanner(&cassette, &client).run()).expect("the replay runs");
        (replayed, client)
    });
    assert!(client.misses().is_empty() && client.unused().is_empty(), "{:?} {:?}", client.misses(), client.unused());
    // The demo hashes values with its own key; everything else is what the live scan saw.
    let mut inventory = replayed;
    inventory.scan = live.inventory.scan.clone();
    let replayed = Snapshot::assemble(inventory, &Default::default());
    assert_eq!(shape(&replayed), shape(&live));
    assert_eq!(replayed.inventory.iam, live.inventory.iam);
    assert_eq!(replayed.inventory.apigateway, live.inventory.apigateway);
    assert_eq!(replayed.inventory.coverage, live.inventory.coverage);
    let fingerprints =
        |s: &Snapshot| s.analysis.findings.iter().map(|f| f.fingerprint.clone()).collect::<BTreeSet<_>>();
    assert_eq!(fingerprints(&replayed), fingerprints(&live));

    // A cassette holds raw responses: recording needs an emulator endpoint.
    let refused = support::stance(&["scan", "--record", "x.json"], dir.path());
    assert_eq!(refused.status.code(), Some(2), "{}", String::from_utf8_lossy(&refused.stderr));
    assert!(!dir.path().join("x.json").exists());
}

/// The analysis of a demo state as stored in tests/expected/: findings (ids, fingerprints, scores, factors,
/// evidence), posture, policy problems, coverage, mutes and each framework's control statuses.
fn analysis_of(snapshot: &Snapshot) -> serde_json::Value {
    serde_json::json!({
        "findings": snapshot.analysis.findings,
        "posture": snapshot.analysis.posture,
        "policy_problems": snapshot.analysis.policy_problems,
        "coverage": snapshot.inventory.coverage,
        "mutes": snapshot.mutes,
        "compliance": snapshot.analysis.compliance,
    })
}

/// Both demo states give exactly the analysis stored in tests/expected/. A refactor leaves it alone; a change
/// meant to alter findings (a new rule, a new service in the demo account) re-blesses it deliberately with
/// `STANCE_BLESS=1 cargo test --test demo expectation` and commits the diff for review.
#[test]
fn the_demo_analysis_matches_its_stored_expectation() {
    for (state, file) in
        [(DemoState::Now, "demo-now.analysis.json"), (DemoState::MonthLater, "demo-month-later.analysis.json")]
    {
        let path = repo().join("tests/expected").join(file);
        let (snapshot, _) = replay(state);
        let actual = analysis_of(&snapshot);
        if std::env::var_os("STANCE_BLESS").is_some() {
            let text = serde_json::to_string_pretty(&actual).unwrap() + "\n";
            std::fs::write(&path, text).unwrap();
            continue;
        }
        let expected: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).expect("the stored expectation is JSON");
        if actual == expected {
            continue;
        }
        // Name the first finding that differs, by fingerprint, rather than dumping both documents.
        let by_fingerprint = |value: &serde_json::Value| -> BTreeMap<String, serde_json::Value> {
            value["findings"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|f| (f["fingerprint"].as_str().unwrap_or_default().to_owned(), f.clone()))
                .collect()
        };
        let (now, then) = (by_fingerprint(&actual), by_fingerprint(&expected));
        let first = now
            .iter()
            .find(|(fp, f)| then.get(*fp) != Some(*f))
            .map(|(fp, f)| {
                format!("finding {fp} differs: {f:#}\nexpected: {:#}", then.get(fp).cloned().unwrap_or_default())
            })
            .or_else(|| then.keys().find(|fp| !now.contains_key(*fp)).map(|fp| format!("finding {fp} is gone")))
            .unwrap_or_else(|| {
                let parts = ["findings", "posture", "policy_problems", "coverage", "mutes", "compliance"];
                let differs: Vec<&str> = parts.into_iter().filter(|p| actual[p] != expected[p]).collect();
                format!("{differs:?} differ (the findings' order?)")
            });
        panic!("{file}: the demo's analysis changed ({first}); bless a deliberate change with STANCE_BLESS=1");
    }
}

/// The demo organization: every account's requests answered by its own recording and every recording used;
/// a fresh emulator organization gives the same accounts, inventories, findings and refusals.
#[test]
fn the_demo_organization_replays_in_full_and_matches_a_fresh_emulator() {
    let demo = on_scan_stack(|| {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(stance::demo::org_scan()).expect("the bundled organization replays")
    });
    for replay in &demo.replays {
        assert!(replay.misses().is_empty(), "{RERECORD}\nnot recorded: {:?}", replay.misses());
        assert!(replay.unused().is_empty(), "{RERECORD}\nrecorded, never asked for: {:?}", replay.unused());
    }
    let config = stance::demo::with_demo_policy(Default::default());
    let recorded = stance::org::assess_all(demo.scan.inventories.clone(), &config);
    assert_eq!(recorded.len(), 3, "the management account and two members; the third member's role is refused");
    assert_eq!(demo.scan.unassumable.iter().map(|u| u.account.as_str()).collect::<Vec<_>>(), ["210000000003"]);

    let emulator = support::org_emulator();
    let dir = tempfile::tempdir().unwrap();
    let policy = repo().join("demo/policy.toml").display().to_string();
    let scan = support::org_scan(&emulator, dir.path(), "org", &["--policy", &policy]);
    assert_eq!(scan.status.code(), Some(3), "{}", String::from_utf8_lossy(&scan.stderr));
    for snapshot in &recorded {
        let account = &snapshot.inventory.account.account_id;
        let live = Snapshot::read(&dir.path().join(format!("org/{account}.json.zst"))).unwrap();
        assert_eq!(shape(&live), shape(snapshot), "{RERECORD} (account {account} differs from the recording)");
    }
}
