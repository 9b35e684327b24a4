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
        KeyCode::BackTab => Action::PrevTab,
        KeyCode::Char('/') => Action::StartSearch,
        KeyCode::Char(':') => Action::StartCommand,
        KeyCode::Char('s') => Action::CycleSort,
        KeyCode::Char('f') => Action::CycleSeverityFilter,
        KeyCode::Char('v') => Action::CycleServiceFilter,
        KeyCode::Char('?') => Action::ToggleHelp,
        KeyCode::Char('m') => Action::Mute,
        KeyCode::Char('u') => Action::Unmute,
        KeyCode::Char('x') => Action::ClearFilter,
        KeyCode::Char('y') => Action::Copy,
        KeyCode::Char('o') => Action::ConsoleUrl,
        KeyCode::Char('e') => Action::Export,
        _ => return None,
    })
}

/// The service filter's cycle, as far as the overlay's width allows.
fn service_filter_help() -> String {
    let services = crate::score::posture_services();
    let first: Vec<&str> = services.iter().take(2).copied().collect();
    format!("service: {} → … ({} in all)", first.join(" → "), services.len())
}

use View::{Accounts, Compare, Compliance, Controls, Coverage, Detail, Findings, Overview, Paths, Resources};

/// The lists of findings.
const FINDING_LISTS: &[View] = &[Findings, Paths, Compare];
/// Every view with a list of rows.
const LISTS: &[View] = &[Accounts, Findings, Paths, Compare, Resources, Coverage, Compliance, Controls];
/// Where a finding or a resource is selected.
const SELECTING: &[View] = &[Overview, Findings, Paths, Compare, Resources, Coverage, Detail];
/// Where a finding is selected.
const FINDING: &[View] = &[Overview, Findings, Paths, Compare, Detail];

/// A key of some views: what the help overlay says, and the status bar's short hint (if it has one).
struct Binding {
    keys: &'static str,
    what: &'static str,
    hint: Option<&'static str>,
    views: &'static [View],
}

const fn bind(keys: &'static str, what: &'static str, hint: Option<&'static str>, views: &'static [View]) -> Binding {
    Binding { keys, what, hint, views }
}

/// Every key but the movement keys, in the order the help and the status bar show them.
const BINDINGS: &[Binding] = &[
    bind("Enter", "open the selected top risk (:findings lists all)", Some("open"), &[Overview]),
    bind("Enter", "finding detail", Some("open"), FINDING_LISTS),
    bind("Enter", "the resource's findings and the paths through it", Some("its findings"), &[Resources]),
    bind("Enter", "the framework's controls", Some("its controls"), &[Compliance]),
    bind("Enter", "the account's overview (Esc comes back here)", Some("open"), &[Accounts]),
    bind(
        "Enter",
        "the findings that fail the control (or the muted ones it passes with)",
        Some("its findings"),
        &[Controls],
    ),
    bind("Tab", "new → resolved → changed → unchanged → drift → controls", Some("tab"), &[Compare]),
    bind("Tab", "an attack path: select a chained finding", Some("select part"), &[Detail]),
    bind("Enter", "open the selected chained finding", None, &[Detail]),
    bind("S-Tab", "the same, backwards", None, &[Compare, Detail]),
    bind("/", "search this list (Esc puts the last search back)", Some("search"), LISTS),
    bind("/", "search the findings", Some("search"), &[Overview]),
    bind("x", "clear this list's filters", Some("clear"), LISTS),
    bind("s", "sort: score → severity → service → age", Some("sort"), FINDING_LISTS),
    bind("f", "minimum severity: critical → high → medium → low", Some("severity"), FINDING_LISTS),
    bind("v", "", Some("service"), FINDING_LISTS),
    bind("m", "mute: a reason and an expiry, written to the mutes file", Some("mute"), FINDING),
    bind("u", "unmute: remove the finding's mute from the mutes file", None, FINDING),
    bind("y", "copy (OSC 52): ARN, finding as Markdown, remediation, console URL", Some("copy"), SELECTING),
    bind("o", "the AWS console URL of the resource (shown and copied)", None, SELECTING),
    bind("e", "export this list as shown to a .md or .csv file", Some("export"), LISTS),
    bind("e", "export the top risks to a .md or .csv file", None, &[Overview]),
];

/// The status bar's hints for `view`: (key, word), most useful first.
pub fn hints(view: View) -> Vec<(&'static str, &'static str)> {
    let mut hints: Vec<(&str, &str)> =
        BINDINGS.iter().filter(|b| b.views.contains(&view)).filter_map(|b| b.hint.map(|h| (b.keys, h))).collect();
    if view == Detail {
        hints.insert(0, ("j/k", "scroll"));
    }
    if view != View::Progress {
        hints.extend([(":", "view"), ("Esc", "back")]);
    }
    hints.push(("q", "quit"));
    hints
}

/// The keys of a view, for the help overlay: (keys, what they do).
pub fn help(view: View) -> Vec<(&'static str, String)> {
    if view == View::Progress {
        return vec![("q", "quit (the scan stops)".into()), ("?", "this help".into())];
    }
    let movement = if view == Detail { "scroll" } else { "move" };
    let mut keys: Vec<(&'static str, String)> =
        [("j/k ↑/↓", movement), ("g/G", "first / last"), ("PgUp/PgDn", "page")].map(|(k, w)| (k, w.to_owned())).into();
    for binding in BINDINGS.iter().filter(|b| b.views.contains(&view)) {
        let what = if binding.keys == "v" { service_filter_help() } else { binding.what.to_owned() };
        keys.push((binding.keys, what));
    }
    if view == Overview {
        keys.extend([
            ("posture", "100 ÷ (1 + Σ (score ÷ 100)² ÷ 5), higher is better:".into()),
            ("", "five findings at 100 halve it; severe ones weigh most, so".into()),
            ("", "fixing low findings barely moves it, fixing a path does".into()),
        ]);
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
        assert_eq!(action(key(KeyCode::BackTab), Mode::Normal), Some(Action::PrevTab));
    }

    /// Every key the status bar hints at is in the view's help, and every key the help lists does something.
    #[test]
    fn hints_and_help_agree_for_every_view() {
        for &view in View::ALL {
            let help: Vec<&str> = help(view).into_iter().map(|(k, _)| k).collect();
            for (key, _) in hints(view) {
                assert!(help.iter().any(|k| k.starts_with(key)), "{view:?}: hint `{key}` is not in the help {help:?}");
            }
        }
        assert!(help(View::Detail).iter().any(|(k, _)| *k == "m"), "the detail mutes");
        assert!(hints(View::Resources).iter().all(|(k, _)| *k != "m"), "resources do not mute");
    }
}
