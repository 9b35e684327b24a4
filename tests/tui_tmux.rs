//! The TUI as a user sees it: the built binary in tmux on a snapshot of the demo account.

mod support;

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use support::{Emulator, scan_demo};

struct Tmux {
    session: String,
}

/// A tmux command on this test process's own server (`-L`), so that no option set here reaches the
/// user's tmux, and OSC 52 can be accepted into a buffer (`set-clipboard on`).
fn tmux() -> Command {
    let mut command = Command::new("tmux");
    command.args(["-L", &format!("stance-test-{}", std::process::id())]);
    command
}

impl Tmux {
    fn start(command: &str, width: u16, height: u16) -> Tmux {
        Tmux::start_in(command, width, height, None)
    }

    fn start_in(command: &str, width: u16, height: u16, dir: Option<&std::path::Path>) -> Tmux {
        static SESSIONS: AtomicUsize = AtomicUsize::new(0);
        let session = format!("stance-test-{}-{}", std::process::id(), SESSIONS.fetch_add(1, Ordering::Relaxed));
        let mut new_session = tmux();
        new_session.args(["new-session", "-d", "-s", &session, "-x", &width.to_string(), "-y", &height.to_string()]);
        if let Some(dir) = dir {
            new_session.arg("-c").arg(dir);
        }
        let status = new_session
            .arg(command)
            .env("NO_COLOR", "1")
            .status()
            .expect("tmux is needed for this test (apt-get install tmux; .ci/run installs it)");
        assert!(status.success());
        tmux().args(["set-option", "-s", "set-clipboard", "on"]).status().expect("set-option");
        Tmux { session }
    }

    fn keys(&self, keys: &[&str]) {
        for key in keys {
            tmux().args(["send-keys", "-t", &self.session, key]).status().expect("send-keys");
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    fn text(&self, text: &str) {
        tmux().args(["send-keys", "-t", &self.session, "-l", text]).status().expect("send-keys");
        std::thread::sleep(Duration::from_millis(300));
    }

    fn screen(&self) -> String {
        let output = tmux().args(["capture-pane", "-p", "-t", &self.session]).output().expect("capture-pane");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// The newest tmux paste buffer: where an application's OSC 52 copy lands.
    fn clipboard(&self) -> String {
        let output = tmux().args(["show-buffer"]).output().expect("show-buffer");
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
        let _ = tmux().args(["kill-session", "-t", &self.session]).status();
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
    // The compliance view: the frameworks with their scores, then CIS's controls, some passing, some failing.
    tmux.keys(&[":"]);
    tmux.text("compliance");
    tmux.keys(&["Enter"]);
    let frameworks = tmux.wait_for("General Data Protection Regulation");
    assert!(frameworks.contains("CIS AWS Foundations Benchmark 3.0.0"), "{frameworks}");
    tmux.keys(&["Enter", "G"]);
    let controls = tmux.wait_for("4.16");
    assert!(controls.contains(" pass ") && controls.contains(" fail "), "some pass, some fail:\n{controls}");
    tmux.keys(&["q"]);

    let compare = Tmux::start(&format!("{} demo --compare; sleep 30", env!("CARGO_BIN_EXE_stance")), 100, 30);
    let screen = compare.wait_for("Resolved");
    assert!(screen.contains("Function URL of orders-api"), "the new finding a month later:\n{screen}");
}

/// The demo organization, offline: the accounts worst first, one not scanned; Enter opens the sandbox,
/// whose paths include the one into prod; Esc twice comes back to the accounts.
#[test]
fn the_demo_organization_in_tmux() {
    let tmux = Tmux::start(&format!("{} demo --org; sleep 30", env!("CARGO_BIN_EXE_stance")), 120, 40);
    let accounts = tmux.wait_for("worst first");
    assert!(accounts.contains("organization o-stancedemo"), "{accounts}");
    assert!(accounts.contains("210000000003 shared-services    not scanned"), "{accounts}");
    let sandbox_row = accounts.lines().position(|l| l.contains("210000000002 sandbox")).expect("sandbox listed");
    let prod_row = accounts.lines().position(|l| l.contains("210000000001 prod")).expect("prod listed");
    assert!(sandbox_row < prod_row, "worst first:\n{accounts}");
    tmux.keys(&["Enter"]);
    let overview = tmux.wait_for("Top risks");
    assert!(overview.contains("account 210000000002"), "{overview}");
    tmux.keys(&[":"]);
    tmux.text("paths");
    tmux.keys(&["Enter"]);
    let paths = tmux.wait_for("attack paths");
    assert!(paths.contains("role ops-admin in account 210000000001"), "the cross-account path:\n{paths}");
    tmux.keys(&["Escape", "Escape"]);
    let back = tmux.wait_for("worst first");
    assert!(back.contains("210000000001 prod"), "{back}");
    tmux.keys(&["q"]);
}

/// The daily loop on the demo: search from resources and come back with every count right, Esc one level
/// up, copy over OSC 52, and a mute that shows at once and the next time.
#[test]
fn search_copy_and_mute_in_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let exported = dir.path().join("demo.json");
    let out = Command::new(env!("CARGO_BIN_EXE_stance"))
        .args(["demo", "--out"])
        .arg(&exported)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(matches!(out.status.code(), Some(0 | 3)), "{}", String::from_utf8_lossy(&out.stderr));
    let snapshot = stance::snapshot::Snapshot::read(&exported).unwrap();
    let all = snapshot.analysis.findings.len();
    let paths = snapshot.analysis.findings.iter().filter(|f| f.category.is_path()).count();
    let top = snapshot.analysis.findings[0].clone();

    let command = format!("{} demo; echo \"exit=$?\"; sleep 30", env!("CARGO_BIN_EXE_stance"));
    let tmux = Tmux::start_in(&command, 120, 40, Some(dir.path()));
    tmux.wait_for("Top risks");
    tmux.keys(&[":"]);
    tmux.text("resources");
    tmux.keys(&["Enter", "/"]);
    tmux.text("reports-generator-role");
    tmux.keys(&["Enter"]);
    let resources = tmux.wait_for("/reports-generator-role · x clears");
    assert!(resources.contains("· resources") && resources.contains("role reports-generator-role"), "{resources}");
    tmux.keys(&["Enter"]);
    let findings = tmux.wait_for("on role reports-generator-role");
    let on_role = snapshot.analysis.findings.iter().filter(|f| f.touches(&role_arn(&snapshot))).count();
    assert!(findings.contains(&format!("{on_role} of {all} · sort score · on role")), "{findings}");
    tmux.keys(&["Escape"]);
    assert!(tmux.wait_for("· resources").contains("· resources"), "Esc goes up one level: back to resources");
    tmux.keys(&[":"]);
    tmux.text("paths");
    tmux.keys(&["Enter"]);
    let path_list = tmux.wait_for("· attack paths");
    assert!(path_list.contains(&format!("{paths} of {paths} ")), "the resources' search stays there:\n{path_list}");
    tmux.keys(&[":"]);
    tmux.text("findings");
    tmux.keys(&["Enter"]);
    let list = tmux.wait_for(&format!("{all} of {all} "));
    assert!(list.contains(&format!("{all} of {all} ")), "the resource drill-down left no filter:\n{list}");
    tmux.keys(&["Escape"]);
    let overview = tmux.wait_for("Top risks");
    assert!(overview.contains("· overview"), "up one level from a view is the overview:\n{overview}");

    // Copy the top risk's ARN: an OSC 52 sequence that tmux takes into its buffer.
    tmux.keys(&["y", "a"]);
    assert!(tmux.wait_for("copied the ARN").contains("copied the ARN"));
    assert_eq!(tmux.clipboard(), top.resource_arn);

    // Mute it: the prompt names it, the overview counts it muted at once, and stance.toml has it.
    tmux.keys(&["m"]);
    let prompt = tmux.wait_for("reason (required)");
    assert!(prompt.contains(&top.title[..30]), "the prompt names the finding:\n{prompt}");
    tmux.text("accepted for the demo");
    tmux.keys(&["Enter", "Enter"]);
    let muted = tmux.wait_for("muted 1");
    assert!(muted.contains("muted: stance.toml:"), "{muted}");
    assert!(std::fs::read_to_string(dir.path().join("stance.toml")).unwrap().contains(&top.rule_id));
    tmux.keys(&["q"]);
    assert!(tmux.wait_for("exit=").contains("exit=0"));

    // The next demo reads the mutes file.
    let again = Tmux::start_in(&command, 120, 40, Some(dir.path()));
    assert!(again.wait_for("muted 1").contains("muted 1"), "{}", again.screen());
}

fn role_arn(snapshot: &stance::snapshot::Snapshot) -> String {
    snapshot
        .inventory
        .iam
        .roles
        .values()
        .find(|r| r.name == "reports-generator-role")
        .map(|r| r.arn.clone())
        .expect("the demo has reports-generator-role")
}

/// Without credentials, the bare TUI says so in one line before it opens.
#[test]
fn the_bare_tui_without_credentials_fails_before_it_opens() {
    let home = tempfile::tempdir().unwrap();
    let command = format!(
        "env -i HOME={} AWS_EC2_METADATA_DISABLED=true {} --endpoint-url http://127.0.0.1:9; echo \"exit=$?\"; sleep 30",
        home.path().display(),
        env!("CARGO_BIN_EXE_stance")
    );
    let tmux = Tmux::start(&command, 120, 20);
    let screen = tmux.wait_for("exit=");
    assert!(screen.contains("exit=1") && screen.contains("no usable AWS credentials"), "{screen}");
    assert!(!screen.contains("Scanning"), "no TUI was opened:\n{screen}");
}
