//! The input prompts: `/` search (incremental), `:` view switch, a mute's reason and expiry, what `y`
//! copies, the file `e` exports to, and `u`'s confirmation.

use super::{Action, App, Mode, View, tools};

/// At most `max` characters of `text`, with an ellipsis when cut.
pub fn ellipsized(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

impl App {
    /// The prompt of the current input mode.
    pub fn prompt(&self) -> String {
        let muting = || self.muting.as_ref().map(|(f, _)| ellipsized(&f.title, 48)).unwrap_or_default();
        match self.mode {
            Mode::Normal => String::new(),
            Mode::Search => "/".into(),
            Mode::Command => ":".into(),
            Mode::MuteReason => format!("mute “{}” · reason (required): ", muting()),
            Mode::MuteExpiry => format!("mute “{}” · expires (YYYY-MM-DD, empty for never): ", muting()),
            Mode::Copy => "copy: a ARN · m finding as Markdown · r remediation · u console URL ".into(),
            Mode::Export => "export the list to (.md or .csv): ".into(),
            Mode::ConfirmUnmute => format!("{} (y/n) ", tools::unmute_question(self)),
        }
    }

    /// What the footer offers while the prompt is open: the views `:` accepts, for instance.
    pub fn prompt_hint(&self) -> Option<String> {
        match self.mode {
            Mode::Command => {
                let typed = self.input.trim();
                let views: Vec<&str> = View::commands().filter(|c| c.starts_with(typed)).collect();
                Some(if views.is_empty() {
                    format!("no view starts with `{typed}`")
                } else {
                    format!("views: {}", views.join(" "))
                })
            }
            Mode::Search if !self.input.is_empty() && self.visible.is_empty() => Some("no matches".into()),
            _ => None,
        }
    }
}

fn finish_mute(app: &mut App, expiry: &str) {
    let expires = match expiry.trim() {
        "" => None,
        text => match chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Ok(date) => Some(date),
            Err(_) => {
                // The reason stays typed: only the date is asked again.
                app.status = format!("`{text}` is not a date such as 2027-03-31");
                app.mode = Mode::MuteExpiry;
                app.input = text.to_owned();
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
            tools::mutes_changed(app);
            app.status = format!("muted: {} (u unmutes)", mute.source);
        }
        Err(error) => app.status = error.to_string(),
    }
}

pub(super) fn handle(app: &mut App, action: Action) {
    match (app.mode, action) {
        (Mode::Copy, Action::Input(c)) => {
            app.mode = Mode::Normal;
            return tools::copy(app, c);
        }
        (Mode::ConfirmUnmute, Action::Input(c)) => {
            app.mode = Mode::Normal;
            if c == 'y' {
                tools::unmute(app);
            } else {
                app.status = "kept the mute".into();
            }
            return;
        }
        (Mode::Copy | Mode::ConfirmUnmute, _) => {
            app.mode = Mode::Normal;
            return;
        }
        (_, Action::Input(c)) => app.input.push(c),
        (_, Action::DeleteChar) => {
            app.input.pop();
        }
        (mode, Action::Cancel) => {
            if mode == Mode::Search {
                let before = std::mem::take(&mut app.search_before);
                app.filter_mut().search = before;
                app.refresh();
            }
            app.muting = None;
            app.mode = Mode::Normal;
            return;
        }
        (Mode::MuteReason, Action::Submit) => {
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
        (Mode::MuteExpiry, Action::Submit) => {
            let expiry = std::mem::take(&mut app.input);
            app.mode = Mode::Normal;
            finish_mute(app, &expiry);
            return;
        }
        (Mode::Export, Action::Submit) => {
            let path = std::mem::take(&mut app.input);
            app.mode = Mode::Normal;
            return tools::export(app, path.trim());
        }
        (Mode::Command, Action::Submit) => {
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
            app.mode = Mode::Normal;
            return;
        }
        (_, Action::Submit) => {
            app.mode = Mode::Normal;
            return;
        }
        _ => {}
    }
    if app.mode == Mode::Search {
        // Incremental: every keystroke filters.
        let typed = app.input.clone();
        app.filter_mut().search = typed;
        app.selected = 0;
        app.refresh();
    }
}
