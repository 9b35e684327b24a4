//! The interactive TUI (ratatui + crossterm): one event loop, keys mapped to [`app::Action`]s, state changed
//! only by [`app::App::handle`], and a render that is a pure function of the state. The analysis engine
//! knows nothing of it.

pub mod app;
pub mod keys;
pub mod theme;
pub mod views;

use std::time::Duration;

use ratatui::crossterm::event::{self, Event, KeyEventKind};

pub use app::{AccountSource, App, Feed, OrgBrowser};
use theme::Theme;
use views::Screen;

/// Runs the TUI until the user quits, reading a live scan's `feed` if there is one. The terminal is
/// restored on return, on error and on panic (`ratatui::init` installs the panic hook). Returns the final
/// state (whether a live scan failed, for instance).
pub fn run(mut app: App, feed: Option<std::sync::mpsc::Receiver<Feed>>) -> std::io::Result<App> {
    let mut terminal = ratatui::init();
    let theme = Theme::from_env();
    let result = (|| -> std::io::Result<()> {
        loop {
            while let Some(message) = feed.as_ref().and_then(|f| f.try_recv().ok()) {
                app.feed(message);
            }
            terminal.draw(|frame| {
                // Rows of the list area, for paging: the frame minus header, footer, borders and table header.
                app.page = usize::from(frame.area().height.saturating_sub(5)).max(1);
                app.detail_max_scroll = views::max_scroll(&app, views::body(frame.area()));
                // What is shown is where the next j/k starts from (a selected chained finding moves it).
                app.detail_scroll = views::detail_scroll(&app, views::body(frame.area()));
                frame.render_widget(&Screen { app: &app, theme }, frame.area());
            })?;
            if event::poll(Duration::from_millis(100))?
                && let Event::Key(key) = event::read()?
                && key.kind == KeyEventKind::Press
                && let Some(action) = keys::action(key, app.mode)
            {
                app.status.clear();
                app.handle(action);
            }
            if let Some(text) = app.clipboard.take() {
                use std::io::Write;
                let backend = terminal.backend_mut();
                backend.write_all(osc52(&text).as_bytes())?;
                backend.flush()?;
            }
            if app.quit {
                return Ok(());
            }
        }
    })();
    ratatui::restore();
    result.map(|()| app)
}

/// The OSC 52 sequence that puts `text` on the terminal's clipboard: it works over SSH and inside tmux
/// (with `set-clipboard on`), where no clipboard program of this machine could reach the user's.
pub fn osc52(text: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = text.as_bytes();
    let mut encoded = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                encoded.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                encoded.push('=');
            }
        }
    }
    format!("\x1b]52;c;{encoded}\x07")
}

#[cfg(test)]
mod tests {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::app::{Action, View};
    use super::*;
    use crate::ScanReport;
    use crate::compliance::Status;
    use crate::mutes::MuteReport;
    use crate::rules::fixture::*;
    use crate::snapshot::Snapshot;

    fn snapshot(open_route: bool) -> Snapshot {
        let fixture = Fixture::new()
            .managed_policy(
                "arn:aws:iam::aws:policy/AdministratorAccess",
                allow(serde_json::json!("*"), serde_json::json!("*")),
            )
            .role("payments-role", lambda_trust(), &[], &["arn:aws:iam::aws:policy/AdministratorAccess"])
            .role(
                "orders-role",
                lambda_trust(),
                &[("t", allow(serde_json::json!("dynamodb:GetItem"), serde_json::json!("*")))],
                &[],
            )
            .function("payments", "payments-role", |f| f.runtime = Some("nodejs16.x".into()))
            .function("orders", "orders-role", |f| f.tracing_mode = None)
            .http_api(
                "shop",
                "HTTP",
                &[
                    ("GET /status", if open_route { "NONE" } else { "AWS_IAM" }, false, Some("payments")),
                    ("GET /orders", "NONE", false, Some("orders")),
                ],
                false,
            )
            .user("bob", |u| u.access_keys = Some(vec![key("AKIAOLDKEY", "Active", 200)]));
        let analysis = crate::assess::analyze(&fixture.inventory, now());
        Snapshot::new(ScanReport { inventory: fixture.inventory, analysis }, MuteReport::default())
    }

    /// `:findings`: the full list, one level below the overview.
    fn open_findings(app: &mut App) {
        app.handle(Action::StartCommand);
        app.handle(Action::Input('f'));
        app.handle(Action::Submit);
        assert_eq!(app.view, View::Findings);
    }

    fn render(app: &App, width: u16, height: u16) -> Terminal<TestBackend> {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        terminal
            .draw(|frame| frame.render_widget(&Screen { app, theme: Theme { color: false } }, frame.area()))
            .unwrap();
        terminal
    }

    fn screen_text(app: &App, width: u16, height: u16) -> String {
        let terminal = render(app, width, height);
        let buffer = terminal.backend().buffer();
        (0..height)
            .map(|y| (0..width).map(|x| buffer[(x, y)].symbol()).collect::<String>())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// An organization: the accounts worst first; Enter opens one in the usual views, Esc (or `:accounts`)
    /// comes back; an account that was not scanned says why.
    #[test]
    fn the_accounts_view_opens_an_account_and_comes_back() {
        use crate::inventory::org::{OrgAccount, Organization};
        let shop = snapshot(true);
        let account =
            |id: &str, name: &str| OrgAccount { id: id.into(), name: name.into(), parent: Some("r-1".into()) };
        let org = Organization {
            id: "o-test".into(),
            management_account: "111111111111".into(),
            root: "r-1".into(),
            accounts: vec![account("123456789012", "shop"), account("222222222222", "sandbox")],
            ..Organization::default()
        };
        let refused = crate::org::Unassumable {
            account: "222222222222".into(),
            name: "sandbox".into(),
            role_arn: "arn:aws:iam::222222222222:role/OrganizationAccountAccessRole".into(),
            error: "AccessDenied: not authorized to perform sts:AssumeRole".into(),
            at: now(),
        };
        let index = crate::org::OrgIndex::build(&org, &[("123456789012.json.zst".into(), &shop)], &[refused]);
        let sources = [("123456789012".to_owned(), AccountSource::Loaded(Box::new(shop)))].into_iter().collect();
        let mut app = App::organization(index, sources);
        assert_eq!(app.view, View::Accounts);
        for (w, h) in [(80, 24), (120, 40)] {
            insta::assert_snapshot!(format!("accounts_{w}x{h}"), render(&app, w, h).backend());
        }
        app.handle(Action::Open);
        assert_eq!((app.view, app.snapshot.inventory.account.account_id.as_str()), (View::Overview, "123456789012"));
        assert!(screen_text(&app, 120, 40).contains("account 123456789012"));
        // Sideways to the paths, then back up: the overview, then the accounts.
        for action in [Action::StartCommand, Action::Input('p'), Action::Submit] {
            app.handle(action);
        }
        assert_eq!(app.view, View::Paths);
        app.handle(Action::Back);
        app.handle(Action::Back);
        assert_eq!(app.view, View::Accounts);
        app.handle(Action::Down);
        app.handle(Action::Open);
        assert_eq!(app.view, View::Accounts);
        assert!(app.status.contains("222222222222 was not scanned: AccessDenied"), "{}", app.status);
        // Without an organization there is no accounts view.
        let mut single = App::new(snapshot(true), None);
        for action in [Action::StartCommand, Action::Input('a'), Action::Input('c'), Action::Submit] {
            single.handle(action);
        }
        assert_eq!(single.view, View::Overview);
    }

    /// Each view at both sizes the TUI must work in.
    #[test]
    fn every_view_at_80x24_and_120x40() {
        for (name, setup) in [
            ("overview", vec![]),
            ("overview_selected", vec![Action::Down, Action::Down]),
            ("findings", vec![Action::StartCommand, Action::Input('f'), Action::Submit]),
            ("detail", vec![Action::Open]),
            ("detail_end", vec![Action::Open, Action::Bottom]),
            ("detail_part_selected", vec![Action::Open, Action::NextTab, Action::NextTab]),
            ("paths", vec![Action::StartCommand, Action::Input('p'), Action::Submit]),
            ("help", vec![Action::StartCommand, Action::Input('f'), Action::Submit, Action::ToggleHelp]),
            ("search", vec![Action::StartSearch, Action::Input('o'), Action::Input('r'), Action::Input('d')]),
            ("resources", vec![Action::StartCommand, Action::Input('r'), Action::Input('e'), Action::Submit]),
            (
                "compliance",
                [Action::StartCommand]
                    .into_iter()
                    .chain("compl".chars().map(Action::Input))
                    .chain([Action::Submit])
                    .collect(),
            ),
            (
                "controls",
                [Action::StartCommand]
                    .into_iter()
                    .chain("compl".chars().map(Action::Input))
                    .chain([Action::Submit, Action::Open])
                    .chain(std::iter::repeat_n(Action::Down, 13))
                    .collect(),
            ),
        ] {
            let mut app = App::new(snapshot(true), None);
            for action in setup {
                app.handle(action);
            }
            for (w, h) in [(80, 24), (120, 40)] {
                insta::assert_snapshot!(format!("{name}_{w}x{h}"), render(&app, w, h).backend());
            }
        }
        let mut with_trend = App::new(snapshot(true), None);
        with_trend.trend = [92u8, 80, 67, 50]
            .iter()
            .enumerate()
            .map(|(i, p)| crate::history::HistoryEntry {
                file: format!("week{i}.json"),
                account_id: "123456789012".into(),
                started_at: format!("2026-11-{:02}T12:00:00Z", 8 + i * 7),
                posture: *p,
                findings: 0,
                by_severity: Default::default(),
                coverage_gaps: 0,
                compliance: Default::default(),
            })
            .collect();
        for (w, h) in [(80, 24), (120, 40)] {
            insta::assert_snapshot!(format!("overview_trend_{w}x{h}"), render(&with_trend, w, h).backend());
        }
        let old = snapshot(false);
        let new = snapshot(true);
        let compare = App::new(new.clone(), Some(crate::diff::diff(&old, &new)));
        for (w, h) in [(80, 24), (120, 40)] {
            insta::assert_snapshot!(format!("compare_{w}x{h}"), render(&compare, w, h).backend());
        }
        let mut with_gaps = snapshot(true);
        with_gaps.inventory.coverage = (0..3)
            .map(|i| crate::inventory::CoverageRecord {
                service: ["apigatewayv2", "lambda", "sns"][i].into(),
                region: "us-east-1".into(),
                operation: ["GetAuthorizers", "ListFunctionUrlConfigs", "GetTopicAttributes"][i].into(),
                resource: (i == 2).then(|| "arn:aws:sns:us-east-1:123456789012:orders".into()),
                error_kind: [
                    crate::inventory::ErrorKind::ServiceError,
                    crate::inventory::ErrorKind::Unsupported,
                    crate::inventory::ErrorKind::AccessDenied,
                ][i],
                code: None,
                message: ["HTTP 500", "HTTP 404; fell back to GetFunctionUrlConfig", "not authorized"][i].into(),
            })
            .collect();
        let mut gaps = App::new(with_gaps, None);
        for action in [Action::StartCommand, Action::Input('c'), Action::Input('o'), Action::Input('v'), Action::Submit]
        {
            gaps.handle(action);
        }
        assert_eq!(gaps.view, View::Coverage);
        gaps.handle(Action::Bottom);
        assert_eq!(gaps.selected, 2, "every gap is a row");
        for (w, h) in [(80, 24), (120, 40)] {
            insta::assert_snapshot!(format!("coverage_{w}x{h}"), render(&gaps, w, h).backend());
        }
        let mut drift = compare;
        drift.handle(Action::PrevTab);
        assert_eq!(drift.compare_tab, super::app::CompareTab::Controls, "Shift-Tab from the first tab is the last");
        assert_eq!(drift.visible.len(), drift.diff.as_ref().unwrap().compliance.controls.len(), "a row per control");
        for (w, h) in [(80, 24), (120, 40)] {
            insta::assert_snapshot!(format!("compare_controls_{w}x{h}"), render(&drift, w, h).backend());
        }
        drift.handle(Action::PrevTab);
        assert_eq!(drift.compare_tab, super::app::CompareTab::Drift);
        for (w, h) in [(80, 24), (120, 40)] {
            insta::assert_snapshot!(format!("compare_drift_{w}x{h}"), render(&drift, w, h).backend());
        }
    }

    #[test]
    fn osc52_is_base64_of_the_text() {
        assert_eq!(osc52(""), "\x1b]52;c;\x07");
        assert_eq!(osc52("f"), "\x1b]52;c;Zg==\x07");
        assert_eq!(osc52("fo"), "\x1b]52;c;Zm8=\x07");
        assert_eq!(osc52("foo"), "\x1b]52;c;Zm9v\x07");
        assert_eq!(osc52("arn:aws:iam::1:role/r→"), "\x1b]52;c;YXJuOmF3czppYW06OjE6cm9sZS9y4oaS\x07");
    }

    #[test]
    fn the_header_says_when_findings_are_judged_at_another_day() {
        let mut later = snapshot(true);
        assert!(!screen_text(&App::new(later.clone(), None), 100, 24).contains("as of"), "the same day: no note");
        later.inventory.scan.as_of = later.inventory.scan.started_at + chrono::Duration::days(30);
        let header = screen_text(&App::new(later.clone(), None), 100, 24);
        let expected = format!("(as of {})", later.inventory.scan.as_of.format("%Y-%m-%d"));
        assert!(header.lines().next().is_some_and(|l| l.contains(&expected)), "{header}");
    }

    #[test]
    fn a_live_scan_shows_progress_then_the_snapshot() {
        let mut app = App::scanning();
        app.feed(Feed::Line("Scanning account 123456789012 (aws) as arn:aws:iam::123456789012:user/auditor".into()));
        app.feed(Feed::Planned(4));
        app.feed(Feed::TaskStarted { service: "iam".into(), region: "global".into() });
        app.feed(Feed::TaskStarted { service: "lambda".into(), region: "us-east-1".into() });
        app.feed(Feed::TaskFinished { service: "lambda".into(), region: "us-east-1".into(), resources: 2 });
        app.feed(Feed::Gap);
        app.feed(Feed::Line("lambda us-east-1: 2 done".into()));
        insta::assert_snapshot!("progress_80x24", render(&app, 80, 24).backend());
        app.feed(Feed::Done(Ok(Box::new(snapshot(true)))));
        assert_eq!(app.view, View::Overview);
        assert!(screen_text(&app, 80, 24).contains("Posture"));
        let mut failed = App::scanning();
        failed.feed(Feed::Done(Err("no usable AWS credentials".into())));
        assert!(screen_text(&failed, 80, 24).contains("scan failed: no usable AWS credentials"));
    }

    #[test]
    fn mute_asks_for_a_reason_and_an_expiry_and_writes_the_mutes_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut app = App::new(snapshot(true), None);
        app.mutes_path = dir.path().join("stance.toml");
        open_findings(&mut app);
        app.handle(Action::Down);
        let target = app.shown()[app.selected].fingerprint.clone();
        app.handle(Action::Mute);
        app.handle(Action::Submit);
        assert_eq!(app.status, "a mute needs a reason", "a reason is required");
        for c in "accepted until the migration".chars() {
            app.handle(Action::Input(c));
        }
        app.handle(Action::Submit);
        for c in "soon".chars() {
            app.handle(Action::Input(c));
        }
        app.handle(Action::Submit);
        assert!(app.status.contains("not a date"), "{}", app.status);
        // Only the date is asked again: the reason stays, and the prompt still names the finding.
        assert_eq!((app.mode, app.input.as_str()), (super::app::Mode::MuteExpiry, "soon"));
        let title = app.shown()[app.selected].title.clone();
        assert!(app.prompt().contains(&title[..20]), "{}", app.prompt());
        for _ in 0..4 {
            app.handle(Action::DeleteChar);
        }
        for c in "2027-03-31".chars() {
            app.handle(Action::Input(c));
        }
        app.handle(Action::Submit);
        assert!(app.status.starts_with("muted: "), "{}", app.status);
        let muted = app.snapshot.analysis.findings.iter().find(|f| f.fingerprint == target).unwrap();
        assert_eq!(muted.muted.as_ref().map(|m| m.reason.as_str()), Some("accepted until the migration"));
        let written = crate::mutes::load(&app.mutes_path).unwrap();
        assert_eq!(written.len(), 1);
        assert!(written[0].matches(muted));
        assert_eq!(written[0].expires, chrono::NaiveDate::from_ymd_opt(2027, 3, 31));
        assert!(screen_text(&app, 120, 40).contains("(muted)"));
        let posture_muted = app.snapshot.analysis.posture.score;

        // The detail says why and until when; u (confirmed) takes the entry out of the file again.
        let at = app.shown().iter().position(|f| f.fingerprint == target).unwrap();
        app.selected = at;
        app.handle(Action::Open);
        let detail = screen_text(&app, 120, 40);
        assert!(
            detail.contains("muted: accepted until the migration") && detail.contains("expires 2027-03-31"),
            "{detail}"
        );
        app.handle(Action::Unmute);
        assert!(app.prompt().contains("stance.toml:1"), "{}", app.prompt());
        app.handle(Action::Input('y'));
        assert!(app.status.starts_with("unmuted"), "{}", app.status);
        assert!(crate::mutes::load(&app.mutes_path).unwrap().is_empty());
        assert!(app.detail.as_ref().unwrap().muted.is_none());
        assert!(app.snapshot.analysis.findings.iter().all(|f| f.muted.is_none()));
        assert!(app.snapshot.analysis.posture.score < posture_muted, "the finding counts again");
    }

    #[test]
    fn narrowing_a_search_gives_what_a_fresh_search_gives() {
        let mut typed = App::new(snapshot(true), None);
        open_findings(&mut typed);
        typed.handle(Action::StartSearch);
        for c in "shop".chars() {
            typed.handle(Action::Input(c));
        }
        typed.handle(Action::DeleteChar);
        typed.handle(Action::DeleteChar);
        typed.handle(Action::Input('o'));
        let mut fresh = App::new(snapshot(true), None);
        open_findings(&mut fresh);
        fresh.set_search("sho");
        assert_eq!(typed.search(), "sho");
        assert_eq!(typed.visible, fresh.visible);
        assert!(!typed.visible.is_empty());
    }

    #[test]
    fn long_lists_scroll_with_the_selection() {
        let mut fixture = Fixture::new().role("r", lambda_trust(), &[], &[]);
        for i in 0..60 {
            fixture = fixture.function(&format!("fn-{i:02}"), "r", |f| f.tracing_mode = None);
        }
        let analysis = crate::assess::analyze(&fixture.inventory, now());
        let mut app =
            App::new(Snapshot::new(ScanReport { inventory: fixture.inventory, analysis }, MuteReport::default()), None);
        open_findings(&mut app);
        app.handle(Action::Bottom);
        let last = app.shown()[app.selected].title.clone();
        assert!(screen_text(&app, 80, 24).contains(&last), "the selected last row is on screen");
        app.page = 18;
        app.handle(Action::PageUp);
        let text = screen_text(&app, 80, 24);
        assert!(text.contains(&app.shown()[app.selected].title), "{text}");
    }

    #[test]
    fn navigate_search_drill_in_and_back() {
        let mut app = App::new(snapshot(true), None);
        assert_eq!(app.view, View::Overview);
        open_findings(&mut app);
        let total = app.shown().len();
        assert!(total > 5);
        app.handle(Action::Bottom);
        assert_eq!(app.selected, total - 1);
        app.handle(Action::Down);
        assert_eq!(app.selected, total - 1, "stays on the last row");
        app.handle(Action::Top);
        assert_eq!(
            app.shown()[0].category,
            crate::rules::Category::AttackPathPublicApiToPrivilegedLambda,
            "highest score first"
        );

        // Incremental search over title, ARN and rule.
        app.handle(Action::StartSearch);
        for c in "orders".chars() {
            app.handle(Action::Input(c));
        }
        assert!(
            !app.shown().is_empty()
                && app
                    .shown()
                    .iter()
                    .all(|f| (f.title.clone() + &f.resource_arn + &f.rule_id).to_lowercase().contains("orders"))
        );
        app.handle(Action::Submit);
        app.handle(Action::Open);
        assert_eq!(app.view, View::Detail);
        let detail = app.detail.clone().unwrap();
        assert!(screen_text(&app, 120, 40).contains(&detail.remediation[..30]));
        app.handle(Action::Back);
        assert_eq!(app.view, View::Findings);
        assert_eq!(app.search(), "orders", "the search survives the round trip");
        // `/` starts a new search; Esc puts the last one back; x clears it.
        app.handle(Action::StartSearch);
        assert_eq!((app.search(), app.shown().len()), ("", total), "a fresh search shows everything");
        app.handle(Action::Input('z'));
        app.handle(Action::Input('q'));
        assert!(app.shown().is_empty());
        assert!(screen_text(&app, 80, 24).contains("no matches"), "{}", screen_text(&app, 80, 24));
        app.handle(Action::Cancel);
        assert_eq!(app.search(), "orders");
        app.handle(Action::ClearFilter);
        assert_eq!((app.search(), app.shown().len()), ("", total));

        // Resources: Enter shows the findings of the selected resource.
        app.handle(Action::StartCommand);
        for c in "resources".chars() {
            app.handle(Action::Input(c));
        }
        app.handle(Action::Submit);
        assert_eq!(app.view, View::Resources);
        let top = app.resources[0].clone();
        assert!(top.findings > 0 && top.top_score == 100, "{top:?}");
        app.handle(Action::Open);
        assert_eq!(app.view, View::Findings);
        // Its own findings, and the attack paths that pass through it.
        assert!(app.shown().iter().all(|f| f.resource_arn.eq_ignore_ascii_case(&top.arn)
            || f.path.iter().any(|hop| hop.eq_ignore_ascii_case(&top.arn))
            || f.title.to_lowercase().contains(&top.arn.to_lowercase())));
        assert_eq!(app.shown().len(), top.findings, "the row counts what Enter lists");
        // The resource's findings are a level below resources: Esc goes back, and the list is whole again.
        app.handle(Action::Back);
        assert_eq!(app.view, View::Resources);
        open_findings(&mut app);
        assert_eq!(app.shown().len(), total, "the resource filter stayed with its level");

        app.handle(Action::CycleServiceFilter);
        app.handle(Action::CycleServiceFilter);
        assert_eq!(app.filter().service, Some("iam"));
        assert!(!app.shown().is_empty() && app.shown().iter().all(|f| f.category.service() == "iam"));
        // Past the last posture service the filter is off again.
        for _ in 2..=crate::score::posture_services().len() {
            app.handle(Action::CycleServiceFilter);
        }
        assert_eq!(app.filter().service, None);

        for _ in 0..3 {
            app.handle(Action::CycleSort);
        }
        assert_eq!(app.sort, super::app::SortKey::Age);
        assert!(app.shown()[0].title.contains("AKIAOLDKEY"), "the oldest credential first: {}", app.shown()[0].title);
        let sorted_by_age = screen_text(&app, 120, 40);
        assert!(
            sorted_by_age.contains("  age") && sorted_by_age.contains(" 200d "),
            "the age it is sorted by:\n{sorted_by_age}"
        );
        app.handle(Action::CycleSort);
        assert!(!screen_text(&app, 120, 40).contains(" 200d "), "other sorts have no age column");

        app.handle(Action::CycleSeverityFilter);
        assert!(app.shown().iter().all(|f| f.severity == crate::rules::Severity::Critical));
        app.handle(Action::StartCommand);
        for c in "nope".chars() {
            app.handle(Action::Input(c));
        }
        app.handle(Action::Submit);
        assert!(app.status.contains("no view `nope`"));
        app.handle(Action::Quit);
        assert!(app.quit);
    }

    /// `:` and its view name, submitted.
    fn switch_to(app: &mut App, view: &str) {
        app.handle(Action::StartCommand);
        for c in view.chars() {
            app.handle(Action::Input(c));
        }
        app.handle(Action::Submit);
    }

    #[test]
    fn filters_belong_to_their_view() {
        let mut app = App::new(snapshot(true), None);
        let all = app.snapshot.analysis.findings.len();
        let paths = app.snapshot.analysis.findings.iter().filter(|f| f.category.is_path()).count();
        // A resource's findings (Enter on resources) narrow that drill-down only.
        switch_to(&mut app, "resources");
        app.handle(Action::StartSearch);
        for c in "bob".chars() {
            app.handle(Action::Input(c));
        }
        app.handle(Action::Submit);
        assert_eq!(app.view, View::Resources, "/ searches the resources themselves");
        assert!(app.shown_resources().count() >= 1 && app.shown_resources().all(|r| r.arn.contains("bob")));
        let resources = screen_text(&app, 120, 40);
        assert!(resources.contains("/bob · x clears"), "{resources}");
        app.handle(Action::Open);
        assert_eq!(app.view, View::Findings);
        let on_bob = app.shown().len();
        assert!(on_bob >= 1 && on_bob < all);
        assert!(screen_text(&app, 120, 40).contains(&format!("{on_bob} of {all} · sort score · on user bob")));
        switch_to(&mut app, "paths");
        assert_eq!(app.shown().len(), paths, "paths are not filtered by the resources' search");
        assert!(screen_text(&app, 120, 40).contains(&format!("{paths} of {paths} ")));
        switch_to(&mut app, "findings");
        assert_eq!(app.shown().len(), all, "the resource drill-down stayed with its level");
        switch_to(&mut app, "resources");
        assert!(app.shown_resources().all(|r| r.arn.contains("bob")), "the resources keep their own search");
        app.handle(Action::ClearFilter);
        assert_eq!(app.shown_resources().count(), app.resources.len());
        // `:` lists the views it accepts as the name is typed.
        app.handle(Action::StartCommand);
        app.handle(Action::Input('c'));
        assert_eq!(app.prompt_hint().as_deref(), Some("views: coverage compare compliance"));
        app.handle(Action::Cancel);
        // Keys that do nothing here say so.
        app.handle(Action::CycleSort);
        assert!(app.status.contains("filters a list of findings"), "{}", app.status);
    }

    #[test]
    fn copy_the_console_url_and_export_what_is_shown() {
        let mut app = App::new(snapshot(true), None);
        open_findings(&mut app);
        let arn = app.shown()[0].resource_arn.clone();
        app.handle(Action::Copy);
        app.handle(Action::Input('a'));
        assert_eq!(app.clipboard.take(), Some(arn.clone()), "{}", app.status);
        app.handle(Action::Copy);
        app.handle(Action::Input('m'));
        let markdown = app.clipboard.take().unwrap();
        assert!(markdown.starts_with("### ") && markdown.contains(&arn) && markdown.contains("Remediation:"));
        app.handle(Action::ConsoleUrl);
        let url = app.clipboard.take().unwrap();
        assert!(url.starts_with("https://") && app.status.contains(&url), "{url}");

        let dir = tempfile::tempdir().unwrap();
        app.handle(Action::CycleSeverityFilter);
        app.handle(Action::CycleSeverityFilter);
        let shown = app.shown().len();
        for (name, rows) in [("high.csv", shown + 1), ("high.md", shown + 2)] {
            let path = dir.path().join(name);
            app.handle(Action::Export);
            assert_eq!(app.input, "stance-findings.md", "a name is offered");
            app.input.clear();
            for c in path.display().to_string().chars() {
                app.handle(Action::Input(c));
            }
            app.handle(Action::Submit);
            assert!(app.status.starts_with(&format!("wrote {shown} row(s)")), "{}", app.status);
            let text = std::fs::read_to_string(&path).unwrap();
            assert_eq!(text.lines().count(), rows, "a header and the rows shown:\n{text}");
        }
        app.handle(Action::Export);
        app.input = "list.txt".into();
        app.handle(Action::Submit);
        assert!(app.status.contains("name a .md or .csv file"), "{}", app.status);
    }

    #[test]
    fn compliance_drills_from_frameworks_to_controls_to_the_failing_findings_and_a_mute_passes_the_control() {
        let dir = tempfile::tempdir().unwrap();
        let mut app = App::new(snapshot(true), None);
        app.mutes_path = dir.path().join("stance.toml");
        assert!(screen_text(&app, 120, 40).contains("Compliance  cis-aws-3.0 "), "the overview shows the scores");
        switch_to(&mut app, "compl");
        assert_eq!(app.view, View::Compliance);
        assert_eq!(
            app.shown_frameworks().map(|f| f.id.as_str()).collect::<Vec<_>>(),
            ["cis-aws-3.0", "aws-fsbp", "gdpr"]
        );
        app.handle(Action::Open);
        assert_eq!(app.view, View::Controls);
        // Bob's 200-day key fails 1.14: search the controls for it, then list what fails it.
        app.handle(Action::StartSearch);
        for c in "rotated every".chars() {
            app.handle(Action::Input(c));
        }
        app.handle(Action::Submit);
        let (_, control) = app.shown_controls().next().expect("1.14 matches");
        assert_eq!((control.id.as_str(), control.status, control.findings), ("1.14", Status::Fail, 1));
        app.handle(Action::Open);
        assert_eq!(app.view, View::Findings);
        let listed: Vec<&str> = app.shown().iter().map(|f| f.rule_id.as_str()).collect();
        assert_eq!(listed, ["iam-access-key-not-rotated"]);
        assert!(screen_text(&app, 120, 40).contains("counted by cis-aws-3.0 1.14"), "the title says why");
        // Muting it passes the control with the exception.
        app.handle(Action::Mute);
        for c in "rotated by the vendor".chars() {
            app.handle(Action::Input(c));
        }
        app.handle(Action::Submit);
        app.handle(Action::Submit);
        assert!(app.shown()[0].muted.is_some(), "{}", app.status);
        app.handle(Action::Back);
        assert_eq!(app.view, View::Controls);
        let (_, control) = app.shown_controls().next().unwrap();
        assert_eq!(control.status, Status::PassWithExceptions);
        assert!(control.why.contains("rotated by the vendor"), "{}", control.why);
        let summary = &app.snapshot.analysis.compliance[0];
        assert_eq!(summary.controls["1.14"], Status::PassWithExceptions, "the stored scores follow the mute");
        // A control with nothing to list says why instead.
        app.handle(Action::ClearFilter);
        app.handle(Action::Top);
        app.handle(Action::Open);
        assert_eq!(app.view, View::Controls);
        assert_eq!(app.status, "1.1 manual: cannot be checked through the API");
        app.handle(Action::Mute);
        assert!(app.status.contains("Enter lists this control's findings"), "{}", app.status);
        app.handle(Action::Back);
        assert_eq!(app.view, View::Compliance);
    }

    #[test]
    fn the_comparison_tabs_cycle_both_ways_and_unchanged_is_one() {
        let old = snapshot(false);
        let new = snapshot(true);
        let diff = crate::diff::diff(&old, &new);
        let unchanged = diff.unchanged;
        let mut app = App::new(new, Some(diff));
        app.handle(Action::PrevTab);
        assert_eq!(app.compare_tab, super::app::CompareTab::Controls);
        app.handle(Action::PrevTab);
        assert_eq!(app.compare_tab, super::app::CompareTab::Drift);
        app.handle(Action::PrevTab);
        assert_eq!(app.compare_tab, super::app::CompareTab::Unchanged);
        assert_eq!(app.shown().len(), unchanged);
        assert!(unchanged > 0);
        for _ in 0..3 {
            app.handle(Action::NextTab);
        }
        assert_eq!(app.compare_tab, super::app::CompareTab::New);
    }

    #[test]
    fn esc_goes_up_one_level_and_a_path_opens_its_parts() {
        let mut app = App::new(snapshot(true), None);
        // The overview's selection is a top risk: Enter opens it.
        app.handle(Action::Down);
        let second = app.top_risks().nth(1).unwrap().fingerprint.clone();
        app.handle(Action::Open);
        assert_eq!((app.view, app.detail.as_ref().map(|d| d.fingerprint.clone())), (View::Detail, Some(second)));
        app.handle(Action::Back);
        assert_eq!(app.view, View::Overview);

        // Sideways moves do not pile up: from paths to resources, Esc goes to the overview, not to paths.
        for view in ["paths", "resources"] {
            app.handle(Action::StartCommand);
            for c in view.chars() {
                app.handle(Action::Input(c));
            }
            app.handle(Action::Submit);
        }
        assert_eq!(app.view, View::Resources);
        app.handle(Action::Back);
        assert_eq!(app.view, View::Overview);
        app.handle(Action::Back);
        assert_eq!(app.view, View::Overview, "the top level stays");

        // An attack path lists what it chains by title; Tab selects one, Enter opens it, Esc comes back.
        app.handle(Action::Top);
        app.handle(Action::Open);
        let path = app.detail.clone().unwrap();
        assert!(path.category.is_path());
        assert!(!app.detail_parts.is_empty());
        let text = screen_text(&app, 120, 40);
        assert!(text.contains("Chained findings") && text.contains(&app.detail_parts[0].title), "{text}");
        assert!(!text.contains("chained_findings"), "no fingerprints: {text}");
        app.handle(Action::NextTab);
        app.handle(Action::Open);
        assert_eq!(app.detail_stack.len(), 1, "the path waits to be returned to");
        let opened = app.detail.clone().unwrap();
        assert_ne!(opened.fingerprint, path.fingerprint, "the chained finding is shown");
        assert!(!opened.category.is_path());
        app.handle(Action::Back);
        assert_eq!(app.detail.as_ref().map(|d| &d.fingerprint), Some(&path.fingerprint), "back on the path");
        assert_eq!(app.detail_part, Some(0), "with the part still selected");
        app.handle(Action::Back);
        assert_eq!(app.view, View::Overview);
    }

    #[test]
    fn the_detail_scrolls_to_its_last_line_at_every_size() {
        for (w, h) in [(80, 24), (120, 40), (60, 20)] {
            let mut app = App::new(snapshot(true), None);
            app.handle(Action::Open);
            app.detail_max_scroll = views::max_scroll(&app, views::body(ratatui::layout::Rect::new(0, 0, w, h)));
            app.handle(Action::Bottom);
            let text = screen_text(&app, w, h);
            // The body's lines joined as the wrap split them, so a wrapped URL reads whole.
            let body: String = text.lines().map(|l| l.trim_matches(|c| c == '│' || c == ' ')).collect();
            let last_reference = app.detail.as_ref().and_then(|d| d.references.last()).unwrap().clone();
            assert!(body.contains(last_reference.as_ref()), "{w}×{h}: the last reference is on screen:\n{text}");
        }
    }

    #[test]
    fn detail_shows_the_attack_path_and_highlights_the_statement() {
        let mut app = App::new(snapshot(true), None);
        app.handle(Action::Open);
        app.handle(Action::Open);
        let text = screen_text(&app, 120, 40);
        assert!(
            text.contains("Attack path")
                && text.contains("└→ function payments")
                && text.contains("arn:aws:lambda:us-east-1:123456789012:function:payments"),
            "{text}"
        );
        // With colors, the lines of the statement that grant the risk are highlighted.
        let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
        terminal
            .draw(|frame| frame.render_widget(&Screen { app: &app, theme: Theme { color: true } }, frame.area()))
            .unwrap();
        let buffer = terminal.backend().buffer();
        let row = |y: u16| (0..120).map(|x| buffer[(x, y)].symbol()).collect::<String>();
        let (y, line) =
            (0..40).map(|y| (y, row(y))).find(|(_, l)| l.contains("\"Action\"")).expect("the statement is shown");
        let x = line.find("\"Action\"").unwrap() as u16;
        assert_eq!(buffer[(x, y)].fg, ratatui::style::Color::LightRed);
        let (y, line) =
            (0..40).map(|y| (y, row(y))).find(|(_, l)| l.contains("\"Effect\"")).expect("the statement is shown");
        let x = line.find("\"Effect\"").unwrap() as u16;
        assert_ne!(buffer[(x, y)].fg, ratatui::style::Color::LightRed, "only the granting lines");
    }
}
