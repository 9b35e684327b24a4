//! stance under the faults production AWS hands a scanner, injected by `tests/support/fault_proxy.py` in front
//! of the emulator: throttling in each protocol's shape, 5xx, dropped connections, denials, slow and hung
//! responses. It must see exactly what an undisturbed scan sees when retries can recover, record a gap when
//! they cannot, never exceed `--concurrency` requests in flight, and never hang.

mod support;

use std::path::Path;

use serde_json::Value;
use support::{Emulator, FaultProxy, scan_demo, scan_endpoint};

const AS_OF: &str = "2026-11-29T12:00:00Z";

fn read(dir: &Path, name: &str) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join(name)).expect("snapshot written")).expect("snapshot JSON")
}

/// Everything a scan saw (inventory, findings, posture, and which calls failed): the snapshot without its
/// scan metadata (times, request counters) and trails' last delivery times. A call that fails however often it is retried (moto's
/// unimplemented GetAuthorizers) may end on a throttling answer rather than its HTTP 500: its gap counts,
/// not the last error's wording.
fn seen(snapshot: &Value) -> Value {
    let mut seen = snapshot.clone();
    support::forget_moving_times(&mut seen);
    let object = seen.as_object_mut().expect("an object");
    object.remove("scan");
    if let Some(Value::Array(gaps)) = object.get_mut("coverage") {
        for gap in gaps.iter_mut().filter_map(Value::as_object_mut) {
            for detail in ["error_kind", "code", "message"] {
                gap.remove(detail);
            }
        }
    }
    seen
}

/// Where two JSON values differ, as paths with both sides (the first 20).
fn differences(a: &Value, b: &Value) -> Vec<String> {
    fn walk(path: String, a: &Value, b: &Value, out: &mut Vec<String>) {
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => {
                for key in x.keys().chain(y.keys().filter(|k| !x.contains_key(*k))) {
                    let (l, r) = (x.get(key).unwrap_or(&Value::Null), y.get(key).unwrap_or(&Value::Null));
                    walk(format!("{path}/{key}"), l, r, out);
                }
            }
            (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
                for (i, (l, r)) in x.iter().zip(y).enumerate() {
                    walk(format!("{path}/{i}"), l, r, out);
                }
            }
            _ if a != b => out.push(format!("{path}: {} ≠ {}", short(a), short(b))),
            _ => {}
        }
    }
    fn short(v: &Value) -> String {
        let text = v.to_string();
        if text.len() > 300 { format!("{}…", &text[..300]) } else { text }
    }
    let mut out = Vec::new();
    walk(String::new(), a, b, &mut out);
    out.truncate(20);
    out
}

/// Fails with the differing paths (and the disturbed scan's gaps) unless both scans [`seen`] the same.
fn assert_saw_the_same(disturbance: &str, snapshot: &Value, baseline: &Value) {
    let changed = differences(&seen(snapshot), &seen(baseline));
    assert!(
        changed.is_empty(),
        "{disturbance} changed what the scan saw:\n{}\ncoverage: {:#}",
        changed.join("\n"),
        snapshot["coverage"]
    );
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn throttling_latency_5xx_and_dropped_connections_change_nothing_that_is_seen() {
    let emulator = Emulator::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let undisturbed = scan_demo(&emulator, dir.path(), "undisturbed.json", &["--as-of", AS_OF]);
    assert!(matches!(undisturbed.status.code(), Some(0 | 3)), "{}", stderr(&undisturbed));
    let baseline = read(dir.path(), "undisturbed.json");

    // 30% throttled, 40 ms each (the bar); and server errors plus connections dropped mid-request.
    // Both scans run at once against the one emulator.
    // CloudTrail, CloudWatch Logs, CloudWatch, SNS, SQS and EventBridge send a handful of requests: their first
    // is throttled whatever the draw, so that each protocol shape (and SNS's own `Throttled`, 429) is exercised
    // on every run.
    let proxy = FaultProxy::start(
        &emulator,
        &[
            "--throttle",
            "0.3",
            "--latency-ms",
            "40",
            "--throttle-first",
            "cloudtrail",
            "--throttle-first",
            "logs",
            "--throttle-first",
            "monitoring",
            "--throttle-first",
            "sns",
            "--throttle-first",
            "sqs",
            "--throttle-first",
            "events",
        ],
    );
    let flaky = FaultProxy::start(&emulator, &["--error-5xx", "0.1", "--drop", "0.1", "--seed", "11"]);
    // Ten attempts: a call fails only if all ten are throttled (0.3^10: one call in 170,000, so this test
    // does not flake). moto's own unimplemented calls (HTTP 500) are retried too and still fail, as in the
    // undisturbed scan.
    let args = ["--as-of", AS_OF, "--max-attempts", "10"];
    let (throttled, output) = std::thread::scope(|scope| {
        let throttled = scope.spawn(|| scan_endpoint(&proxy.endpoint, dir.path(), "throttled.json", &args));
        let flaky = scan_endpoint(&flaky.endpoint, dir.path(), "flaky.json", &args);
        (throttled.join().expect("the throttled scan"), flaky)
    });
    assert_eq!(undisturbed.status.code(), throttled.status.code(), "{}", stderr(&throttled));
    let snapshot = read(dir.path(), "throttled.json");
    assert_saw_the_same("throttling", &snapshot, &baseline);
    let stats = proxy.stats();
    let injected = stats["throttled"].as_u64().unwrap();
    assert!(injected > 10, "the proxy throttled {injected} of {} requests", stats["requests"]);
    // Every protocol's throttling shape was answered and retried to the same snapshot: the JSON protocols of
    // Secrets Manager, SSM, KMS, CloudTrail, CloudWatch Logs, SQS and EventBridge, query XML (IAM, SNS),
    // REST-JSON (Lambda, API Gateway) and CloudWatch's CBOR.
    let shapes = &stats["throttled_by_protocol"];
    for shape in ["query", "rest-json", "json", "cbor"] {
        assert!(shapes[shape].as_u64().unwrap_or(0) > 0, "no {shape} request was throttled: {shapes}");
    }
    let services = &stats["throttled_by_service"];
    for service in ["cloudtrail", "logs", "monitoring", "sns", "sqs", "events"] {
        assert!(services[service].as_u64().unwrap_or(0) > 0, "no {service} request was throttled: {services}");
    }
    let requests = &snapshot["scan"]["requests"];
    assert_eq!(requests["throttled"].as_u64(), Some(injected), "every throttling answer is counted");
    assert!(requests["retries"].as_u64().unwrap() >= injected, "{requests}");
    assert!(requests["backoff_ms"].as_u64().unwrap() > 0, "{requests}");
    let summary = stderr(&throttled);
    assert!(summary.contains(&format!("{injected} throttled")) && summary.contains("s backoff"), "{summary}");

    // Server errors and dropped connections: retried to the same result.
    assert_eq!(undisturbed.status.code(), output.status.code(), "{}", stderr(&output));
    assert_saw_the_same("5xx and drops", &read(dir.path(), "flaky.json"), &baseline);
    let stats = flaky.stats();
    assert!(stats["errors_5xx"].as_u64().unwrap() > 0 && stats["dropped"].as_u64().unwrap() > 0, "{stats}");
}

#[test]
fn never_more_requests_in_flight_than_the_concurrency() {
    let emulator = Emulator::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    for concurrency in ["2", "6"] {
        let proxy = FaultProxy::start(&emulator, &["--latency-ms", "40"]);
        let output = scan_endpoint(&proxy.endpoint, dir.path(), "scan.json", &["--concurrency", concurrency]);
        assert!(matches!(output.status.code(), Some(0 | 3)), "{}", stderr(&output));
        let stats = proxy.stats();
        let max = stats["max_in_flight"].as_u64().unwrap();
        let bound: u64 = concurrency.parse().unwrap();
        assert!(max <= bound, "{max} requests in flight with --concurrency {bound}");
        assert!(max >= bound.min(2), "the bound is reached, so the measurement means something: {max}");
    }
}

#[test]
fn a_denied_service_is_a_recorded_gap_and_a_partial_exit() {
    let emulator = Emulator::start(&[]);
    let proxy = FaultProxy::start(&emulator, &["--deny", "apigateway"]);
    let dir = tempfile::tempdir().unwrap();
    let output = scan_endpoint(&proxy.endpoint, dir.path(), "denied.json", &[]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let snapshot = read(dir.path(), "denied.json");
    let gaps: Vec<&Value> = snapshot["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|gap| gap["service"].as_str().unwrap().starts_with("apigateway"))
        .collect();
    assert!(gaps.len() >= 4, "each region's REST and HTTP listings: {gaps:?}");
    assert!(gaps.iter().all(|gap| gap["error_kind"] == "access_denied"), "{gaps:?}");
    assert!(!snapshot["lambda"]["functions"].as_object().unwrap().is_empty(), "lambda is still inventoried");
    assert!(stderr(&output).contains("AccessDenied"), "{}", stderr(&output));
}

#[test]
fn without_get_account_authorization_details_iam_is_read_entity_by_entity() {
    let emulator = Emulator::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let undisturbed = scan_demo(&emulator, dir.path(), "undisturbed.json", &["--as-of", AS_OF]);
    assert!(matches!(undisturbed.status.code(), Some(0 | 3)), "{}", stderr(&undisturbed));
    let proxy = FaultProxy::start(&emulator, &["--deny-action", "GetAccountAuthorizationDetails"]);
    let output = scan_endpoint(&proxy.endpoint, dir.path(), "narrow.json", &["--as-of", AS_OF]);
    assert_eq!(output.status.code(), Some(3), "the denial is a gap: {}", stderr(&output));
    assert!(proxy.stats()["denied"].as_u64().unwrap() >= 1);

    let (baseline, narrow) = (read(dir.path(), "undisturbed.json"), read(dir.path(), "narrow.json"));
    let gap = narrow["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["operation"] == "GetAccountAuthorizationDetails")
        .expect("the denied call is recorded");
    assert_eq!(gap["error_kind"], "access_denied");
    assert!(gap["message"].as_str().unwrap().contains("fell back to per-entity"), "{gap}");
    // The same principals, policies and findings as with the one big call.
    for part in ["iam", "findings", "posture"] {
        let changed = differences(&narrow[part], &baseline[part]);
        assert!(changed.is_empty(), "{part} differs without GetAccountAuthorizationDetails:\n{}", changed.join("\n"));
    }
}

#[test]
fn a_refused_tagging_api_is_made_up_for_by_each_services_own_tag_calls() {
    let emulator = Emulator::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let undisturbed = scan_demo(&emulator, dir.path(), "undisturbed.json", &["--as-of", AS_OF]);
    assert!(matches!(undisturbed.status.code(), Some(0 | 3)), "{}", stderr(&undisturbed));
    let proxy = FaultProxy::start(&emulator, &["--deny", "tagging"]);
    let output = scan_endpoint(&proxy.endpoint, dir.path(), "no-tagging.json", &["--as-of", AS_OF]);
    assert_eq!(output.status.code(), Some(3), "the refusal is a gap: {}", stderr(&output));

    let (baseline, refused) = (read(dir.path(), "undisturbed.json"), read(dir.path(), "no-tagging.json"));
    let gaps: Vec<&serde_json::Value> =
        refused["coverage"].as_array().unwrap().iter().filter(|g| g["service"] == "tagging").collect();
    assert_eq!(gaps.len(), 2, "one per region: {gaps:?}");
    assert!(gaps.iter().all(|g| g["message"].as_str().unwrap().contains("fell back to each service's own tag calls")));
    // The same tags, read resource by resource, and every region counts as listed.
    assert_eq!(refused["tagging"]["resources"], baseline["tagging"]["resources"]);
    assert_eq!(refused["tagging"]["listed_regions"], serde_json::json!(["eu-west-1", "us-east-1"]));
    assert!(baseline["tagging"]["resources"].as_object().unwrap().len() >= 4, "{}", baseline["tagging"]);
}

#[test]
fn a_service_that_never_answers_is_timed_out_not_waited_for() {
    let emulator = Emulator::start(&[]);
    let dir = tempfile::tempdir().unwrap();

    // Per attempt and per call: each hung call gives up after its attempts, and the scan goes on.
    let hung = FaultProxy::start(&emulator, &["--hang", "apigateway"]);
    let args = ["--attempt-timeout", "1", "--call-timeout", "3", "--max-attempts", "2"];
    let output = scan_endpoint(&hung.endpoint, dir.path(), "hung.json", &args);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let snapshot = read(dir.path(), "hung.json");
    let timeouts = snapshot["coverage"].as_array().unwrap().iter().filter(|g| g["error_kind"] == "timeout").count();
    assert!(timeouts >= 2, "{}", snapshot["coverage"]);
    assert!(!snapshot["iam"]["roles"].as_object().unwrap().is_empty(), "IAM is still inventoried");

    // The whole scan's limit: generous per-call timeouts, a short overall one.
    let hung = FaultProxy::start(&emulator, &["--hang", "lambda"]);
    let args = ["--attempt-timeout", "600", "--call-timeout", "600", "--scan-timeout", "4"];
    let output = scan_endpoint(&hung.endpoint, dir.path(), "limited.json", &args);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let snapshot = read(dir.path(), "limited.json");
    let cut: Vec<&Value> = snapshot["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["message"].as_str().unwrap().contains("scan's time limit"))
        .collect();
    assert!(!cut.is_empty() && cut.iter().all(|g| g["service"] == "lambda"), "{}", snapshot["coverage"]);
    assert!(!snapshot["iam"]["roles"].as_object().unwrap().is_empty(), "what finished in time is kept");
}
