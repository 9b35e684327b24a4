//! Test harness: the demo account served by moto (mocks/demo_account.py), and the stance binary.
#![allow(dead_code)] // each test file uses part of it

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::time::{Duration, Instant};

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

impl Emulator {
    /// `args` go to `demo_account.py serve` (e.g. `["--deny", "lambda"]`).
    pub fn start(args: &[&str]) -> Emulator {
        let script = repo().join("mocks/demo_account.py");
        let mut child = Command::new(python())
            .arg(&script)
            .arg("serve")
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
        let started = Instant::now();
        BufReader::new(stdout).read_line(&mut line).expect("reading the emulator's READY line");
        let endpoint = line
            .trim()
            .strip_prefix("READY ")
            .unwrap_or_else(|| {
                panic!("the emulator did not start (is moto installed for {}?), said: {line:?}", python().display())
            })
            .to_owned();
        assert!(started.elapsed() < Duration::from_secs(120), "emulator start took too long");
        Emulator { child, _stdin: stdin, endpoint }
    }

    /// Requests counted by the emulator layer since seeding (or the last reset).
    pub fn stats(&self) -> serde_json::Value {
        self.layer("stats")
    }

    pub fn reset_stats(&self) {
        self.layer("reset-stats");
    }

    fn layer(&self, path: &str) -> serde_json::Value {
        let url = format!("{}/_stance/{path}", self.endpoint);
        let output = Command::new(python())
            .args([
                "-c",
                "import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1]).read().decode())",
                &url,
            ])
            .output()
            .expect("stats request");
        serde_json::from_slice(&output.stdout).expect("stats JSON")
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the stance binary with a clean AWS environment: emulator credentials, no profile files, no IMDS.
pub fn stance(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stance"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("AWS_ACCESS_KEY_ID", "AKIASTANCETESTKEY0001")
        .env("AWS_SECRET_ACCESS_KEY", "stance-test-secret-access-key-do-not-log")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("STANCE_REDACTION_KEY", "integration tests")
        .output()
        .expect("running stance")
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
    let mut args = vec![
        "scan",
        "--endpoint-url",
        &emulator.endpoint,
        "--region",
        "us-east-1",
        "--region",
        "eu-west-1",
        "--max-attempts",
        "1",
        "--out",
        out,
    ];
    args.extend_from_slice(extra);
    stance(&args, dir)
}
