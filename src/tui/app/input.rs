//! The input prompts: `/` search (incremental), `:` view switch, and a mute's reason and expiry.

use super::{Action, App, Mode, View};

impl App {
    /// The prompt of the current input mode.
    pub fn prompt(&self) -> &'static str {
        match self.mode {
            Mode::Normal => "",
            Mode::Search => "/",
            Mode::Command => ":",
            Mode::MuteReason => "mute, reason (required): ",
            Mode::MuteExpiry => "expires (YYYY-MM-DD, empty for never): ",
        }
    }
}

fn finish_mute(app: &mut App, expiry: &str) {
    let expires = match expiry.trim() {
        "" => None,
        text => match chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Ok(date) => Some(date),
            Err(_) => {
                app.status = format!("`{text}` is not a date such as 2027-03-31");
                return;
            }
        },
    };
    let Some((finding, reason)) = app.muting.take() else { return };
    match crate::mutes::append(&app.mutes_path, &finding, &reason, expires) {
        Ok(mute) => {
            let muted =
                crate::mutes::Muted { reason: mute.reason.clone(), expires: mute.expires, source: mute.source.clone() };
            for f in app.snapshot.analysis.findings.iter_mut().filter(|f| f.fingerprint == finding.fingerprint) {
                f.muted = Some(muted.clone());
            }
            if let Some(detail) = app.detail.as_mut().filter(|d| d.fingerprint == finding.fingerprint) {
                detail.muted = Some(muted);
            }
            app.snapshot.analysis.posture = crate::score::posture(&app.snapshot.analysis.findings);
            app.order = None;
            app.filtered = None;
            app.status = format!("muted ({}); it applies from the next scan on", mute.source);
            app.refresh();
        }
        Err(error) => app.status = error.to_string(),
    }
}

pub(super) fn handle(app: &mut App, action: Action) {
    match action {
        Action::Input(c) => app.input.push(c),
        Action::DeleteChar => {
            app.input.pop();
        }
        Action::Cancel => {
            if app.mode == Mode::Search {
                app.search.clear();
                app.refresh();
            }
            app.muting = None;
            app.mode = Mode::Normal;
            return;
        }
        Action::Submit if app.mode == Mode::MuteReason => {
            let reason = app.input.trim().to_owned();
            if reason.is_empty() {
                app.status = "a mute needs a reason".into();
                return;
            }
            if let Some((_, typed)) = app.muting.as_mut() {
                *typed = reason;
            }
            app.input.clear();
            app.mode = Mode::MuteExpiry;
            return;
        }
        Action::Submit if app.mode == Mode::MuteExpiry => {
            let expiry = std::mem::take(&mut app.input);
            app.mode = Mode::Normal;
            finish_mute(app, &expiry);
            return;
        }
        Action::Submit => {
            if app.mode == Mode::Command {
                let name = app.input.trim().to_owned();
                match View::named(&name) {
                    Some(View::Compare) if app.diff.is_none() => {
                        app.status = "no comparison: open two snapshots (stance open OLD NEW)".into()
                    }
                    Some(view) => {
                        app.status.clear();
                        app.switch(view);
                    }
                    None => {
                        let views: Vec<&str> = View::commands().collect();
                        app.status = format!("no view `{name}` ({})", views.join(", "))
                    }
                }
            }
            app.mode = Mode::Normal;
            return;
        }
        _ => {}
    }
    if app.mode == Mode::Search {
        // Incremental: every keystroke filters.
        app.search = app.input.clone();
        app.selected = 0;
        app.refresh();
    }
}
