//! Every resource of the inventory, by risk: kind, ARN, how many findings, the highest score.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Block, Row, StatefulWidget, Table, TableState};

use crate::tui::app::App;
use crate::tui::theme::Theme;

pub fn render(app: &App, theme: Theme, area: Rect, buf: &mut Buffer) {
    let window = usize::from(area.height.saturating_sub(3)).max(1);
    let offset = (app.selected + 1).saturating_sub(window);
    let rows: Vec<Row> = app
        .resources
        .iter()
        .skip(offset)
        .take(window)
        .map(|r| {
            let score = if r.findings == 0 { String::from("  -") } else { format!("{:>3}", r.top_score) };
            Row::new(vec![score, r.findings.to_string(), r.kind.to_owned(), r.arn.clone()])
        })
        .collect();
    let table =
        Table::new(rows, [Constraint::Length(3), Constraint::Length(3), Constraint::Length(20), Constraint::Min(20)])
            .header(Row::new(["top", "n", "kind", "resource"]).style(theme.dim()))
            .block(Block::bordered().title(format!(" {} resources · Enter: their findings ", app.resources.len())))
            .row_highlight_style(theme.selected());
    let mut state = TableState::default().with_selected((!app.resources.is_empty()).then_some(app.selected - offset));
    StatefulWidget::render(table, area, buf, &mut state);
}
