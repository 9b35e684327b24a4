//! Test harness: the demo account served by moto (mocks/demo_account.py), and the stance binary.
#![allow(dead_code)] // each test file uses part of it

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The Python that has moto: `STANCE_PYTHON`, else the repo's `.venv` (made by scripts/test.sh), else python3.
pub fn python() -> PathBuf {
    if let Some(python) = std::env::var_os("STANCE_PYTHON") {
        return PathBuf::from(python);
    }
    let venv = repo().join(".venv/bin/python");
    if venv.exists() { venv } else { PathBuf::from("python3") }
}

/// A seeded moto server on a free loopback port, stopped when dropped.
pub struct Emulator {
    child: Child,
    // Closing our end of its stdin tells the server to stop.
    _stdin: ChildStdin,
    pub endpoint: String,
}

/// Starts a helper script that prints `READY URL` when it serves and stops when its stdin closes.
fn spawn_ready(script: &Path, args: &[&str]) -> (Child, ChildStdin, String) {
    let mut child = Command::new(python())
        .arg(script)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {} (run scripts/test.sh, or set STANCE_PYTHON to a Python with moto): {e}",
                python().display()
            )
        });
    let stdin = child.stdin.take().expect("piped stdin");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("reading the READY line");
    let endpoint = line
        .trim()
        .strip_prefix("READY ")
        .unwrap_or_else(|| {
            panic!("{} did not start (is moto installed for {}?), said: {line:?}", script.display(), python().display())
        })
        .to_owned();
    (child, stdin, endpoint)
}

/// GET `url` and parse the JSON it returns (with the Python the helpers use: no HTTP client in the tests).
fn get_json(url: &str) -> serde_json::Value {
    let output = Command::new(python())
        .args(["-c", "import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1]).read().decode())", url])
        .output()
        .expect("stats request");
    serde_json::from_slice(&output.stdout).expect("stats JSON")
}

impl Emulator {
    /// `args` go to `demo_account.py serve` (e.g. `["--deny", "lambda"]`).
    pub fn start(args: &[&str]) -> Emulator {
        let mut all = vec!["serve"];
        all.extend_from_slice(args);
        let (child, stdin, endpoint) = spawn_ready(&repo().join("mocks/demo_account.py"), &all);
        Emulator { child, _stdin: stdin, endpoint }
    }

    /// Requests counted by the emulator layer since seeding (or the last reset).
    pub fn stats(&self) -> serde_json::Value {
        get_json(&format!("{}/_stance/stats", self.endpoint))
    }

    pub fn reset_stats(&self) {
        get_json(&format!("{}/_stance/reset-stats", self.endpoint));
    }
}

/// Removes what moves between two scans of an unchanged account besides the scan's own times: each trail's
/// last delivery (every few minutes on AWS, every call on moto).
pub fn forget_moving_times(snapshot: &mut serde_json::Value) {
    if let Some(serde_json::Value::Object(trails)) = snapshot.pointer_mut("/cloudtrail/trails") {
        for trail in trails.values_mut() {
            if let Some(serde_json::Value::Object(status)) = trail.pointer_mut("/status/value") {
                status.remove("latest_delivery");
            }
        }
    }
}

/// Applies named changes of `mocks/demo_account.py change` (a later state of the demo account) to a running
/// emulator.
pub fn change(emulator: &Emulator, changes: &[&str]) {
    let output = Command::new(python())
        .arg(repo().join("mocks/demo_account.py"))
        .args(["change", &emulator.endpoint])
        .args(changes)
        .output()
        .expect("run the change script");
    assert!(output.status.success(), "{changes:?}: {}", String::from_utf8_lossy(&output.stderr));
}

/// `tests/support/fault_proxy.py` in front of an emulator: throttling, denials, latency, 5xx, dropped and
/// hung connections, counted.
pub struct FaultProxy {
    child: Child,
    _stdin: ChildStdin,
    pub endpoint: String,
}

impl FaultProxy {
    /// `args` go to fault_proxy.py (e.g. `["--throttle", "0.3", "--latency-ms", "40"]`).
    pub fn start(upstream: &Emulator, args: &[&str]) -> FaultProxy {
        let mut all = vec![upstream.endpoint.as_str()];
        all.extend_from_slice(args);
        let (child, stdin, endpoint) = spawn_ready(&repo().join("tests/support/fault_proxy.py"), &all);
        FaultProxy { child, _stdin: stdin, endpoint }
    }

    /// requests, max_in_flight, forwarded, throttled, denied, errors_5xx, dropped, hung, by_service.
    pub fn stats(&self) -> serde_json::Value {
        get_json(&format!("{}/_proxy/stats", self.endpoint))
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The stance binary with a clean AWS environment: emulator credentials, no profile files, no IMDS, a
/// fixed redaction key; later `.env` calls override these.
pub fn stance_command(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_stance"));
    command
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("AWS_ACCESS_KEY_ID", "AKIASTANCETESTKEY0001")
        .env("AWS_SECRET_ACCESS_KEY", "stance-test-secret-access-key-do-not-log")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("STANCE_REDACTION_KEY", "integration tests");
    command
}

/// Runs [`stance_command`] with `args`.
pub fn stance(args: &[&str], dir: &Path) -> Output {
    stance_command(dir).args(args).output().expect("running stance")
}

/// The planted secret values of the demo account.
pub fn planted_secrets() -> Vec<String> {
    let output =
        Command::new(python()).arg(repo().join("mocks/demo_account.py")).arg("secrets").output().expect("secrets");
    let map: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&output.stdout).expect("secrets JSON");
    map.values().filter_map(|v| v.as_str().map(str::to_owned)).collect()
}

/// `stance scan` of the demo account's two regions into `out`, in `dir`; extra arguments appended.
pub fn scan_demo(emulator: &Emulator, dir: &Path, out: &str, extra: &[&str]) -> Output {
    scan_endpoint(&emulator.endpoint, dir, out, extra)
}

/// [`scan_demo`] through any endpoint (a [`FaultProxy`]'s).
pub fn scan_endpoint(endpoint: &str, dir: &Path, out: &str, extra: &[&str]) -> Output {
    let mut args =
        vec!["scan", "--endpoint-url", endpoint, "--region", "us-east-1", "--region", "eu-west-1", "--out", out];
    // One attempt per call unless the test says otherwise: moto's unimplemented calls fail fast.
    if !extra.contains(&"--max-attempts") {
        args.extend(["--max-attempts", "1"]);
    }
    args.extend_from_slice(extra);
    stance(&args, dir)
}

/// The demo organization (`mocks/demo_org.py`) with the shared-services member role refused.
pub fn org_emulator() -> Emulator {
    Emulator::start(&["--account", "org", "--deny-assume", "210000000003"])
}

/// `stance scan --org` of an organization emulator's us-east-1 into `out`, in `dir`; extra arguments appended.
pub fn org_scan(emulator: &Emulator, dir: &Path, out: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "scan",
        "--org",
        "--endpoint-url",
        &emulator.endpoint,
        "--region",
        "us-east-1",
        "--max-attempts",
        "1",
        "--out-dir",
        out,
    ];
    args.extend_from_slice(extra);
    stance(&args, dir)
}

/// This process's peak resident memory (the benchmarks report it).
pub fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}
