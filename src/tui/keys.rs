//! Keys → actions (k9s conventions). The help overlay is generated from [`HELP`], so it cannot drift.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::app::{Action, Mode, View};

pub fn action(key: KeyEvent, mode: Mode) -> Option<Action> {
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
        return Some(Action::Quit);
    }
    if mode != Mode::Normal {
        return match key.code {
            KeyCode::Esc => Some(Action::Cancel),
            KeyCode::Enter => Some(Action::Submit),
            KeyCode::Backspace => Some(Action::DeleteChar),
            KeyCode::Char(c) => Some(Action::Input(c)),
            _ => None,
        };
    }
    Some(match key.code {
        KeyCode::Char('q') => Action::Quit,
        KeyCode::Char('j') | KeyCode::Down => Action::Down,
        KeyCode::Char('k') | KeyCode::Up => Action::Up,
        KeyCode::Char('g') | KeyCode::Home => Action::Top,
        KeyCode::Char('G') | KeyCode::End => Action::Bottom,
        KeyCode::PageDown | KeyCode::Char(' ') => Action::PageDown,
        KeyCode::PageUp => Action::PageUp,
        KeyCode::Enter | KeyCode::Char('l') | KeyCode::Right => Action::Open,
        KeyCode::Esc | KeyCode::Char('h') | KeyCode::Left | KeyCode::Backspace => Action::Back,
        KeyCode::Tab => Action::NextTab,
        KeyCode::Char('/') => Action::StartSearch,
        KeyCode::Char(':') => Action::StartCommand,
        KeyCode::Char('s') => Action::CycleSort,
        KeyCode::Char('f') => Action::CycleSeverityFilter,
        KeyCode::Char('v') => Action::CycleServiceFilter,
        KeyCode::Char('?') => Action::ToggleHelp,
        KeyCode::Char('m') => Action::Mute,
        _ => return None,
    })
}

/// The service filter's cycle, as far as the overlay's width allows.
fn service_filter_help() -> String {
    let services = crate::score::posture_services();
    let first: Vec<&str> = services.iter().take(2).copied().collect();
    format!("service: {} → … ({} in all)", first.join(" → "), services.len())
}

/// The keys of a view, for the help overlay: (keys, what they do).
pub fn help(view: View) -> Vec<(&'static str, String)> {
    let mut keys: Vec<(&'static str, String)> =
        [("j/k ↑/↓", "move"), ("g/G", "first / last"), ("PgUp/PgDn", "page")].map(|(k, w)| (k, w.to_owned())).into();
    match view {
        View::Overview => keys.extend([
            ("Enter", "open the selected top risk (:findings lists all)".into()),
            ("posture", "100 ÷ (1 + Σ (score ÷ 100)² ÷ 5), higher is better:".into()),
            ("", "five findings at 100 halve it; severe ones weigh most, so".into()),
            ("", "fixing low findings barely moves it, fixing a path does".into()),
        ]),
        View::Progress => keys.truncate(0),
        View::Resources => keys.push(("Enter", "the resource's findings".into())),
        View::Coverage => {}
        View::Findings | View::Paths => keys.extend([
            ("Enter", "finding detail".into()),
            ("/", "search title, ARN, rule".into()),
            ("s", "sort: score → severity → service → age".into()),
            ("f", "minimum severity".into()),
            ("v", service_filter_help()),
        ]),
        View::Compare => keys.extend([
            ("Tab", "new → resolved → changed".into()),
            ("Enter", "finding detail".into()),
            ("/", "search".into()),
        ]),
        View::Detail => {
            keys[0] = ("j/k ↑/↓", "scroll".into());
            keys.push(("Tab", "an attack path: select a chained finding".into()));
            keys.push(("Enter", "open the selected chained finding".into()));
            keys.push(("m", "mute: reason, expiry → stance.toml".into()));
        }
    }
    keys.push((":", format!("view: {}", View::commands().collect::<Vec<_>>().join(" "))));
    keys.extend([("Esc", "up one level"), ("?", "this help"), ("q", "quit")].map(|(k, w)| (k, w.to_owned())));
    keys
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::crossterm::event::KeyEventKind;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent {
            code,
            modifiers: KeyModifiers::NONE,
            kind: KeyEventKind::Press,
            state: ratatui::crossterm::event::KeyEventState::NONE,
        }
    }

    #[test]
    fn modes_change_what_keys_mean() {
        assert_eq!(action(key(KeyCode::Char('q')), Mode::Normal), Some(Action::Quit));
        assert_eq!(action(key(KeyCode::Char('q')), Mode::Search), Some(Action::Input('q')));
        assert_eq!(action(key(KeyCode::Esc), Mode::Search), Some(Action::Cancel));
        let ctrl_c = KeyEvent { modifiers: KeyModifiers::CONTROL, ..key(KeyCode::Char('c')) };
        assert_eq!(action(ctrl_c, Mode::Search), Some(Action::Quit));
        assert!(help(View::Findings).iter().any(|(k, _)| *k == "/"));
    }
}
