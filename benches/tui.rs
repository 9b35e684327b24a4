//! The TUI on a snapshot of 100,000 findings: opening it to the first frame (goal < 300 ms) and one
//! filter keystroke's update + render (goal < 16 ms), at 120×40, then peak memory.
//!
//!     cargo bench --bench tui

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
    samples[samples.len() / 2]
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let (snapshot, _) = synthetic::snapshots();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("big.json.zst");
    snapshot.write(&path).expect("write");
    drop(snapshot);
    let theme = Theme { color: true };
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");

    let mut opens = Vec::new();
    let mut app = None;
    for _ in 0..5 {
        let started = Instant::now();
        let loaded = App::new(Snapshot::read(&path).expect("read"), None);
        terminal.draw(|frame| frame.render_widget(&Screen { app: &loaded, theme }, frame.area())).expect("draw");
        opens.push(started.elapsed());
        app = Some(loaded);
    }
    let mut app = app.expect("opened");
    app.handle(Action::Open);
    app.handle(Action::StartSearch);

    let mut keystrokes = Vec::new();
    for c in "f0001".chars().cycle().take(40) {
        let started = Instant::now();
        if app.search().len() >= 5 {
            app.handle(Action::DeleteChar);
            app.handle(Action::DeleteChar);
        }
        app.handle(Action::Input(c));
        terminal.draw(|frame| frame.render_widget(&Screen { app: &app, theme }, frame.area())).expect("draw");
        keystrokes.push(started.elapsed());
    }
    println!(
        "tui/100k findings: open to first frame median {:.0} ms (of 5), filter keystroke + render median {:.1} ms, max {:.1} ms (of 40), peak RSS {:.0} MiB",
        median(opens).as_secs_f64() * 1000.0,
        median(keystrokes.clone()).as_secs_f64() * 1000.0,
        keystrokes.iter().max().copied().unwrap_or_default().as_secs_f64() * 1000.0,
        synthetic::peak_rss_mib()
    );
}
