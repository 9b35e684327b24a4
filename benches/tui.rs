//! The TUI on a snapshot of 100,000 findings: opening it to the first frame (goal < 200 ms, peak RSS
//! < 300 MB) and one filter keystroke's update + render (goal < 16 ms), at 120×40.
//!
//!     cargo bench --bench tui
//!
//! Each open runs in a process of its own (this bench, re-run with `STANCE_TUI_BENCH_OPEN=FILE`), so its
//! peak RSS is the open's, not that of building the synthetic snapshot.

#[path = "common/synthetic.rs"]
mod synthetic;

use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use stance::snapshot::Snapshot;
use stance::tui::App;
use stance::tui::app::Action;
use stance::tui::theme::Theme;
use stance::tui::views::Screen;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples.get(samples.len() / 2).copied().unwrap_or_default()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The child: opens `path` to the first frame as `stance open` does (the first part of the file), then reads
/// the rest into the state; prints the phases (ms) and its peak RSS (MiB).
fn open_once(path: &str) {
    let theme = Theme { color: true };
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    let started = Instant::now();
    let (snapshot, rest) = stance::snapshot::open_progressive(std::path::Path::new(path)).expect("read");
    let read = started.elapsed();
    let mut app = App::loading(snapshot);
    let built = started.elapsed();
    terminal.draw(|frame| frame.render_widget(&Screen { app: &app, theme }, frame.area())).expect("draw");
    let drawn = started.elapsed();
    if std::env::var_os("STANCE_TUI_BENCH_RSS").is_some() {
        eprintln!("rss after the first frame {:.0} MiB", synthetic::rss_mib());
    }
    for part in rest.into_iter().flatten() {
        app.feed(stance::tui::Feed::Snapshot(part));
    }
    assert!(!app.loading && app.load_error.is_none(), "the whole snapshot was read");
    let all = started.elapsed();
    if std::env::var_os("STANCE_TUI_BENCH_RSS").is_some() {
        eprintln!("rss with every finding {:.0} MiB, peak {:.0}", synthetic::rss_mib(), synthetic::peak_rss_mib());
    }
    println!("{} {} {} {} {}", ms(read), ms(built - read), ms(drawn - built), ms(all), synthetic::peak_rss_mib());
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    if let Ok(path) = std::env::var("STANCE_TUI_BENCH_OPEN") {
        return open_once(&path);
    }
    let (snapshot, _) = synthetic::snapshots();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("big.json.zst");
    snapshot.write(&path).expect("write");
    drop(snapshot);

    let mut opens = Vec::new();
    let mut phases = Vec::new();
    let mut rss: f64 = 0.0;
    let mut whole = Vec::new();
    let processes = if std::env::var_os("STANCE_TUI_BENCH_KEYS_ONLY").is_some() { 0 } else { 5 };
    for _ in 0..processes {
        let output = std::process::Command::new(std::env::current_exe().expect("bench binary"))
            .env("STANCE_TUI_BENCH_OPEN", &path)
            .output()
            .expect("run the open");
        let text = String::from_utf8_lossy(&output.stdout);
        eprint!("{}", String::from_utf8_lossy(&output.stderr));
        let figures: Vec<f64> = text.split_whitespace().filter_map(|f| f.parse().ok()).collect();
        let [read, build, draw, all, peak] = figures[..] else { panic!("the open printed {text:?}") };
        opens.push(Duration::from_secs_f64((read + build + draw) / 1000.0));
        phases.push((read, build, draw));
        whole.push(Duration::from_secs_f64(all / 1000.0));
        rss = rss.max(peak);
    }
    phases.sort_by(|a, b| (a.0 + a.1 + a.2).total_cmp(&(b.0 + b.1 + b.2)));
    let (read, build, draw) = phases.get(phases.len() / 2).copied().unwrap_or_default();

    let theme = Theme { color: true };
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    let mut app = App::new(Snapshot::read(&path).expect("read"), None);
    app.handle(Action::StartCommand);
    for c in "findings".chars() {
        app.handle(Action::Input(c));
    }
    app.handle(Action::Submit);
    app.handle(Action::StartSearch);
    let mut keystrokes = Vec::new();
    let mut handled = Vec::new();
    let keystrokes_wanted =
        std::env::var("STANCE_TUI_BENCH_KEYSTROKES").ok().and_then(|n| n.parse().ok()).unwrap_or(40);
    for c in "f0001".chars().cycle().take(keystrokes_wanted) {
        let started = Instant::now();
        if app.search().len() >= 5 {
            app.handle(Action::DeleteChar);
            app.handle(Action::DeleteChar);
        }
        app.handle(Action::Input(c));
        handled.push(started.elapsed());
        terminal.draw(|frame| frame.render_widget(&Screen { app: &app, theme }, frame.area())).expect("draw");
        keystrokes.push(started.elapsed());
    }
    println!(
        "tui/100k findings: (state update median {:.1} ms) open to first frame median {:.0} ms (of 5 processes: first part read {read:.0} + state {build:.0} + draw {draw:.0}), every finding read {:.0} ms, peak RSS of an open {rss:.0} MiB; filter keystroke + render median {:.1} ms, max {:.1} ms (of 40)",
        ms(median(handled)),
        ms(median(opens)),
        ms(median(whole)),
        ms(median(keystrokes.clone())),
        ms(keystrokes.iter().max().copied().unwrap_or_default()),
    );
}
