//! The TUI as a user sees it: the built binary in tmux on a snapshot of the demo account.

mod support;

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use support::{Emulator, scan_demo};

struct Tmux {
    session: String,
}

impl Tmux {
    fn start(command: &str, width: u16, height: u16) -> Tmux {
        static SESSIONS: AtomicUsize = AtomicUsize::new(0);
        let session = format!("stance-test-{}-{}", std::process::id(), SESSIONS.fetch_add(1, Ordering::Relaxed));
        let status = Command::new("tmux")
            .args(["new-session", "-d", "-s", &session, "-x", &width.to_string(), "-y", &height.to_string(), command])
            .env("NO_COLOR", "1")
            .status()
            .expect("tmux is needed for this test (apt-get install tmux; .ci/run installs it)");
        assert!(status.success());
        Tmux { session }
    }

    fn keys(&self, keys: &[&str]) {
        for key in keys {
            Command::new("tmux").args(["send-keys", "-t", &self.session, key]).status().expect("send-keys");
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    fn text(&self, text: &str) {
        Command::new("tmux").args(["send-keys", "-t", &self.session, "-l", text]).status().expect("send-keys");
        std::thread::sleep(Duration::from_millis(300));
    }

    fn screen(&self) -> String {
        let output =
            Command::new("tmux").args(["capture-pane", "-p", "-t", &self.session]).output().expect("capture-pane");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Waits until the screen contains `text` (the binary draws asynchronously).
    fn wait_for(&self, text: &str) -> String {
        let started = Instant::now();
        loop {
            let screen = self.screen();
            if screen.contains(text) || started.elapsed() > Duration::from_secs(10) {
                return screen;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux").args(["kill-session", "-t", &self.session]).status();
    }
}

#[test]
fn browse_a_snapshot_in_tmux() {
    let emulator = Emulator::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let scan = scan_demo(&emulator, dir.path(), "demo.json", &[]);
    assert!(matches!(scan.status.code(), Some(0 | 3)), "{}", String::from_utf8_lossy(&scan.stderr));
    let snapshot = dir.path().join("demo.json");
    let command = format!(
        "{} open {}; echo \"exit=$?\"; stty -a | tr ' ' '\\n' | grep -x -- '-*icanon'; sleep 30",
        env!("CARGO_BIN_EXE_stance"),
        snapshot.display()
    );
    let tmux = Tmux::start(&command, 80, 24);

    let overview = tmux.wait_for("Posture");
    assert!(overview.contains("account 123456789012"), "{overview}");
    let posture = stance::snapshot::Snapshot::read(&snapshot).expect("the scan's snapshot").analysis.posture;
    let count = |s: stance::rules::Severity| posture.findings_by_severity.get(&s).copied().unwrap_or(0);
    let (critical, high) = (count(stance::rules::Severity::Critical), count(stance::rules::Severity::High));
    assert!(critical > 0 && high > 0, "the demo account has critical and high findings");
    assert!(
        overview.contains(&format!("critical {critical}")) && overview.contains(&format!("high {high}")),
        "severity counts {critical} critical, {high} high:\n{overview}"
    );

    tmux.keys(&["/"]);
    tmux.text("reports-generator");
    let filtered = tmux.wait_for("/reports-generator");
    let rows: Vec<&str> = filtered
        .lines()
        .filter(|l| l.starts_with('│') && l.contains(" high ") || l.contains(" critical ") || l.contains(" medium "))
        .collect();
    assert!(!rows.is_empty(), "{filtered}");
    assert!(filtered.contains("reports-generator"), "{filtered}");

    tmux.keys(&["Enter", "Down", "Enter"]);
    let detail = tmux.wait_for("Evidence");
    assert!(detail.contains("· detail"), "{detail}");
    tmux.keys(&["G"]);
    for _ in 0..40 {
        tmux.keys(&["j"]);
    }
    let bottom = tmux.wait_for("Remediation");
    assert!(bottom.contains("Remediation"), "the remediation is reachable by scrolling:\n{bottom}");

    tmux.keys(&["q"]);
    let after = tmux.wait_for("exit=");
    assert!(after.contains("exit=0"), "{after}");
    assert!(after.lines().any(|l| l.trim() == "icanon"), "the terminal is back in canonical mode:\n{after}");
    assert!(!after.contains("Posture"), "the alternate screen is gone:\n{after}");
}

#[test]
fn the_demo_in_tmux() {
    let started = Instant::now();
    let tmux = Tmux::start(&format!("{} demo; sleep 30", env!("CARGO_BIN_EXE_stance")), 100, 30);
    let overview = tmux.wait_for("Top risks");
    let shown_after = started.elapsed();
    assert!(overview.contains("account 123456789012"), "{overview}");
    // What the scan could not see is on the first screen (moto does not implement every call).
    assert!(overview.contains("coverage gap(s)") && overview.contains("GetAuthorizers"), "{overview}");
    assert!(shown_after < Duration::from_secs(2), "the overview took {shown_after:?}:\n{overview}");

    // The findings list is sorted by score: the top finding is an attack path; its detail shows the chain.
    tmux.keys(&["Enter", "Enter"]);
    let detail = tmux.wait_for("Attack path");
    assert!(detail.contains("· detail") && detail.contains("Attack path"), "{detail}");
    assert!(detail.contains("Internet"), "the path starts at the internet:\n{detail}");
    tmux.keys(&["q"]);

    let compare = Tmux::start(&format!("{} demo --compare; sleep 30", env!("CARGO_BIN_EXE_stance")), 100, 30);
    let screen = compare.wait_for("Resolved");
    assert!(screen.contains("Function URL of orders-api"), "the new finding a month later:\n{screen}");
}
