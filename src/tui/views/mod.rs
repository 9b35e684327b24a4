//! Rendering: a pure function of [`App`] state into a buffer.

mod accounts;
mod compliance;
mod coverage;
mod detail;
mod help;
mod lists;
mod overview;
mod progress;
mod resources;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::app::{App, Mode, View};
use super::theme::Theme;

/// The area the body of the screen gets in a frame of `area`.
pub fn body(area: Rect) -> Rect {
    let [_, body, _] = Layout::vertical([Constraint::Length(1), Constraint::Min(3), Constraint::Length(1)]).areas(area);
    body
}

pub use detail::{max_scroll, scroll as detail_scroll};

/// The rows a bordered table with a header shows in `area`, and the first of them, so that the `selected`
/// row stays in sight: `(offset, rows)`. Only those rows are built; a list may hold 100,000.
fn table_window(area: Rect, selected: usize) -> (usize, usize) {
    let rows = usize::from(area.height.saturating_sub(3)).max(1);
    ((selected + 1).saturating_sub(rows), rows)
}

pub struct Screen<'a> {
    pub app: &'a App,
    pub theme: Theme,
}

impl Widget for &Screen<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let [header, _, footer] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(3), Constraint::Length(1)]).areas(area);
        let body = body(area);
        let app = self.app;
        let inv = &app.snapshot.inventory;
        let view = app.view.title();
        Paragraph::new(Line::from(vec![
            Span::styled(" stance ", self.theme.title()),
            Span::raw(if app.view == View::Progress {
                String::new()
            } else if app.view == View::Accounts {
                let org = app.org.as_ref().map(|o| o.index.organization.as_str()).unwrap_or_default();
                format!("organization {org} · ")
            } else {
                // Time-based findings are judged at `as_of` (`--as-of`, a replayed recording): say so when
                // that is another day than the scan's.
                let as_of = if inv.scan.as_of.date_naive() != inv.scan.started_at.date_naive() {
                    format!(" (as of {})", inv.scan.as_of.format("%Y-%m-%d"))
                } else {
                    String::new()
                };
                format!(
                    "account {} · {}{as_of} · ",
                    inv.account.account_id,
                    inv.scan.started_at.format("%Y-%m-%d %H:%M UTC")
                )
            }),
            Span::styled(view, self.theme.title()),
            Span::styled(
                if app.loading {
                    format!(" · reading findings: {} so far", app.snapshot.analysis.findings.len())
                } else {
                    String::new()
                },
                self.theme.dim(),
            ),
        ]))
        .render(header, buf);
        match app.view {
            View::Progress => progress::render(app, self.theme, body, buf),
            View::Accounts => accounts::render(app, self.theme, body, buf),
            View::Overview => overview::render(app, self.theme, body, buf),
            View::Findings | View::Paths | View::Compare => lists::render(app, self.theme, body, buf),
            View::Detail => detail::render(app, self.theme, body, buf),
            View::Resources => resources::render(app, self.theme, body, buf),
            View::Coverage => coverage::render(app, self.theme, body, buf),
            View::Compliance => compliance::frameworks(app, self.theme, body, buf),
            View::Controls => compliance::controls(app, self.theme, body, buf),
        }
        let footer_line = if app.mode != Mode::Normal {
            let mut spans = vec![
                Span::styled(app.prompt(), self.theme.title()),
                Span::raw(app.input.clone()),
                Span::styled("▏", self.theme.dim()),
            ];
            if let Some(hint) = app.prompt_hint() {
                spans.push(Span::styled(format!("  {hint}"), self.theme.dim()));
            }
            if !app.status.is_empty() {
                spans.push(Span::styled(format!("  {}", app.status), self.theme.highlight()));
            }
            Line::from(spans)
        } else if !app.status.is_empty() {
            Line::from(Span::styled(app.status.clone(), self.theme.highlight()))
        } else {
            Line::from(Span::styled(hints_line(app.view, usize::from(footer.width)), self.theme.dim()))
        };
        Paragraph::new(footer_line).render(footer, buf);
        if app.help {
            help::render(app, self.theme, body, buf);
        }
    }
}

/// The current view's key hints, as many as fit in `width`, always ending with `?` for the rest.
fn hints_line(view: View, width: usize) -> String {
    let mut line = String::from(" ? keys");
    let room = width.saturating_sub(1);
    for (key, what) in super::keys::hints(view) {
        let hint = format!(" · {key} {what}");
        if line.chars().count() + hint.chars().count() > room {
            break;
        }
        line.push_str(&hint);
    }
    line
}
