//! Every coverage gap of the scan: what it could not see, and why.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Paragraph, Row, StatefulWidget, Table, TableState, Widget, Wrap};

use crate::tui::app::App;
use crate::tui::theme::Theme;

pub fn render(app: &App, theme: Theme, full: Rect, buf: &mut Buffer) {
    // The selected gap in full below the table: what happened is often longer than its column.
    let selected = app.shown_gaps().nth(app.selected).map(|g| g.to_string());
    let preview_rows = selected
        .as_ref()
        .map_or(0, |text| Paragraph::new(text.clone()).wrap(Wrap { trim: true }).line_count(full.width.max(1)));
    let preview_height = u16::try_from(preview_rows + 1).unwrap_or(u16::MAX).min(full.height / 3);
    let [area, preview] =
        Layout::vertical([Constraint::Min(4), Constraint::Length(if selected.is_some() { preview_height } else { 0 })])
            .areas(full);
    let gaps: Vec<&crate::inventory::CoverageRecord> = app.shown_gaps().collect();
    let total = app.snapshot.inventory.coverage.len();
    let (offset, window) = super::table_window(area, app.selected);
    let rows: Vec<Row> = gaps
        .iter()
        .skip(offset)
        .take(window)
        .map(|g| {
            let about = match &g.resource {
                Some(resource) => format!("{} — {resource}", g.message),
                None => g.message.clone(),
            };
            let kind =
                serde_json::to_value(g.error_kind).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
            Row::new(vec![g.service.clone(), g.region.clone(), g.operation.clone(), kind.replace('_', " "), about])
        })
        .collect();
    let title = if total == 0 {
        " Coverage complete: every call succeeded ".to_owned()
    } else {
        format!(
            " {} of {total} coverage gap(s): what the scan could not see{} ",
            gaps.len(),
            super::lists::filter_words(app)
        )
    };
    let widths = [
        Constraint::Length(14),
        Constraint::Length(12),
        Constraint::Length(24),
        Constraint::Length(14),
        Constraint::Min(20),
    ];
    let table = Table::new(rows, widths)
        .header(Row::new(["service", "region", "operation", "error", "what happened"]).style(theme.dim()))
        .block(Block::bordered().title(title))
        .row_highlight_style(theme.selected());
    let mut state = TableState::default().with_selected((!gaps.is_empty()).then_some(app.selected - offset));
    StatefulWidget::render(table, area, buf, &mut state);
    if gaps.is_empty() && total > 0 {
        super::lists::no_rows(app, theme, area, buf);
    }
    if let Some(text) = selected {
        Paragraph::new(Span::styled(text, theme.dim()))
            .wrap(Wrap { trim: true })
            .block(Block::new().borders(Borders::TOP).title(" Selected "))
            .render(preview, buf);
    }
}
