//! The accounts of an organization, worst first: posture, critical and high counts, coverage gaps, the
//! cross-account paths found on its entry points, and where it sits in the OU tree.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Block, Cell, Row, StatefulWidget, Table, TableState};

use crate::finding::Severity;
use crate::tui::app::{App, ellipsized};
use crate::tui::theme::Theme;

pub fn render(app: &App, theme: Theme, area: Rect, buf: &mut Buffer) {
    let Some(org) = &app.org else { return };
    let (offset, height) = super::table_window(area, app.selected);
    let rows: Vec<Row> = app
        .shown_accounts()
        .skip(offset)
        .take(height)
        .map(|e| {
            let count = |severity: Severity| {
                let n = e.count(severity);
                let style = if n > 0 { theme.severity(severity) } else { theme.dim() };
                Cell::from(Span::styled(format!("{n:>4}"), style))
            };
            match (&e.error, e.posture) {
                (None, Some(posture)) => Row::new(vec![
                    Cell::from(e.account.clone()),
                    Cell::from(ellipsized(&e.name, 18)),
                    Cell::from(Span::styled(format!("{posture:>3}/100"), theme.posture(posture))),
                    count(Severity::Critical),
                    count(Severity::High),
                    Cell::from(format!("{:>4}", e.coverage_gaps)),
                    Cell::from(Span::styled(
                        format!("{:>5}", e.cross_account_paths),
                        if e.cross_account_paths > 0 { theme.severity(Severity::Critical) } else { theme.dim() },
                    )),
                    Cell::from(e.ou_path.clone()),
                ]),
                _ => Row::new(vec![
                    Cell::from(e.account.clone()),
                    Cell::from(ellipsized(&e.name, 18)),
                    Cell::from(Span::styled("not scanned", theme.severity(Severity::High))),
                    Cell::from(""),
                    Cell::from(""),
                    Cell::from(""),
                    Cell::from(""),
                    Cell::from(Span::styled(
                        format!("{}  {}", e.ou_path, ellipsized(e.error.as_deref().unwrap_or_default(), 60)),
                        theme.dim(),
                    )),
                ]),
            }
        })
        .collect();
    let widths = [
        Constraint::Length(12),
        Constraint::Length(18),
        Constraint::Length(11),
        Constraint::Length(4),
        Constraint::Length(4),
        Constraint::Length(4),
        Constraint::Length(5),
        Constraint::Min(10),
    ];
    let title = format!(
        " organization {} · {} account(s), worst first · Enter: the account{} ",
        org.index.organization,
        app.visible.len(),
        super::lists::filter_words(app)
    );
    let table = Table::new(rows, widths)
        .header(Row::new(["account", "name", "posture", "crit", "high", "gaps", "xacct", "OU"]).style(theme.dim()))
        .block(Block::bordered().title(title))
        .row_highlight_style(theme.selected());
    let selected = (!app.visible.is_empty()).then(|| app.selected - offset);
    let mut state = TableState::default().with_selected(selected);
    StatefulWidget::render(table, area, buf, &mut state);
    if app.visible.is_empty() {
        super::lists::no_rows(app, theme, area, buf);
    }
}
