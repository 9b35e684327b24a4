//! Every resource of the inventory, by risk: the highest score on it, how many findings, what it is, its
//! ARN; the selected one's ARN in full below.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Row, StatefulWidget, Table, TableState, Widget};

use crate::tui::app::{App, ellipsized};
use crate::tui::theme::Theme;

pub fn render(app: &App, theme: Theme, area: Rect, buf: &mut Buffer) {
    let [table_area, preview] = Layout::vertical([Constraint::Min(4), Constraint::Length(2)]).areas(area);
    let inner_width = usize::from(table_area.width.saturating_sub(2));
    // Score, findings, then the name and the ARN share what is left (one space between columns).
    let name_width = (inner_width.saturating_sub(5 + 8 + 3) * 2 / 5).max(12);
    let arn_width = inner_width.saturating_sub(5 + 8 + 3 + name_width).max(10);
    let (offset, window) = super::table_window(table_area, app.selected);
    let rows: Vec<Row> = app
        .shown_resources()
        .skip(offset)
        .take(window)
        .map(|r| {
            let score = if r.findings == 0 { String::from("    -") } else { format!("{:>5}", r.top_score) };
            let name = r.name.clone().unwrap_or_else(|| r.kind.replace('_', " "));
            Row::new(vec![
                score,
                format!("{:>8}", r.findings),
                ellipsized(&name, name_width),
                ellipsized(&r.arn, arn_width),
            ])
        })
        .collect();
    let shown = app.visible.len();
    let widths = [
        Constraint::Length(5),
        Constraint::Length(8),
        Constraint::Length(u16::try_from(name_width).unwrap_or(u16::MAX)),
        Constraint::Min(10),
    ];
    let title = format!(" {shown} of {} resources by risk{} ", app.resources.len(), super::lists::filter_words(app));
    let table = Table::new(rows, widths)
        .header(Row::new(["score", "findings", "resource", "ARN"]).style(theme.dim()))
        .block(Block::bordered().title(title))
        .row_highlight_style(theme.selected());
    let mut state = TableState::default().with_selected((shown > 0).then_some(app.selected - offset));
    StatefulWidget::render(table, table_area, buf, &mut state);
    if shown == 0 {
        super::lists::no_rows(app, theme, table_area, buf);
    }
    if let Some(row) = app.shown_resources().nth(app.selected) {
        Paragraph::new(Line::from(Span::styled(row.arn.clone(), theme.dim())))
            .block(
                Block::new().borders(Borders::TOP).title(" Selected (Enter: its findings · score: the highest on it) "),
            )
            .render(preview, buf);
    }
}
