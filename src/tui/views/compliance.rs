//! The compliance views: each framework with its score and how many controls have each status; then one
//! framework's controls, the selected one in full below (its status, why, and how stance evaluates it).

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, StatefulWidget, Table, TableState, Widget, Wrap};

use crate::compliance::Status;
use crate::finding::Severity;
use crate::tui::app::{App, ellipsized};
use crate::tui::theme::Theme;

/// How a status looks: a failure reads like a high finding, what is not evaluated is dimmed.
pub fn status_style(theme: Theme, status: Status) -> Style {
    match status {
        Status::Fail => theme.severity(Severity::High),
        Status::Pass | Status::PassWithExceptions => theme.posture(100),
        Status::NotEvaluated | Status::Manual => theme.dim(),
    }
}

pub fn score_text(score: Option<f64>) -> String {
    score.map(|s| format!("{s}%")).unwrap_or_else(|| "–".into())
}

/// `preview` below `area`'s table, as tall as it wraps to (within a third of the screen); the two areas.
fn split(area: Rect, preview: &[Line<'_>]) -> (Rect, Rect) {
    let rows = Paragraph::new(preview.to_vec()).wrap(Wrap { trim: true }).line_count(area.width.max(1));
    let height = u16::try_from(rows + 1).unwrap_or(u16::MAX).min(area.height / 3);
    let [table, below] =
        Layout::vertical([Constraint::Min(4), Constraint::Length(if preview.is_empty() { 0 } else { height })])
            .areas(area);
    (table, below)
}

fn render_preview(lines: Vec<Line<'static>>, title: &str, area: Rect, buf: &mut Buffer) {
    if !lines.is_empty() {
        Paragraph::new(lines)
            .wrap(Wrap { trim: true })
            .block(Block::new().borders(Borders::TOP).title(title.to_owned()))
            .render(area, buf);
    }
}

pub fn frameworks(app: &App, theme: Theme, area: Rect, buf: &mut Buffer) {
    let selected = app.shown_frameworks().nth(app.selected);
    let preview: Vec<Line<'static>> = selected
        .map(|f| {
            vec![
                Line::from(format!("{} {}", f.title, f.version)),
                Line::from(Span::styled(f.description.clone(), theme.dim())),
            ]
        })
        .unwrap_or_default();
    let (table_area, preview_area) = split(area, &preview);
    let rows: Vec<Row> = app
        .shown_frameworks()
        .map(|f| {
            let passing = f.count(Status::Pass) + f.count(Status::PassWithExceptions);
            Row::new(vec![
                Cell::from(format!("{} {}", f.title, f.version)),
                Cell::from(format!("{:>6}", score_text(f.score))),
                Cell::from(Span::styled(format!("{passing:>4}"), status_style(theme, Status::Pass))),
                Cell::from(Span::styled(format!("{:>4}", f.count(Status::Fail)), status_style(theme, Status::Fail))),
                Cell::from(format!("{:>13}", f.count(Status::NotEvaluated))),
                Cell::from(format!("{:>6}", f.count(Status::Manual))),
            ])
        })
        .collect();
    let widths = [
        Constraint::Min(20),
        Constraint::Length(6),
        Constraint::Length(4),
        Constraint::Length(4),
        Constraint::Length(13),
        Constraint::Length(6),
    ];
    let title = format!(
        " {} framework(s) · score: evaluated controls passing{} ",
        app.visible.len(),
        super::lists::filter_words(app)
    );
    let table = Table::new(rows, widths)
        .header(Row::new(["framework", " score", "pass", "fail", "not evaluated", "manual"]).style(theme.dim()))
        .block(Block::bordered().title(title))
        .row_highlight_style(theme.selected());
    let mut state = TableState::default().with_selected(selected.is_some().then_some(app.selected));
    StatefulWidget::render(table, table_area, buf, &mut state);
    if app.visible.is_empty() {
        super::lists::no_rows(app, theme, table_area, buf);
    }
    render_preview(preview, " Selected (Enter: its controls) ", preview_area, buf);
}

pub fn controls(app: &App, theme: Theme, area: Rect, buf: &mut Buffer) {
    let Some(framework) = app.compliance.get(app.framework) else { return };
    let selected = app.shown_controls().nth(app.selected).map(|(_, c)| c);
    let preview: Vec<Line<'static>> = selected
        .map(|c| {
            let mut lines = vec![
                Line::from(vec![
                    Span::styled(format!("{} {} ", c.id, c.status.label()), status_style(theme, c.status)),
                    Span::raw(c.title.clone()),
                ]),
                Line::from(Span::styled(c.section.clone(), theme.dim())),
            ];
            if !c.why.is_empty() {
                lines.push(Line::from(c.why.clone()));
            }
            let rules = if c.rules.is_empty() { String::new() } else { format!(" (rules: {})", c.rules.join(", ")) };
            lines.push(Line::from(Span::styled(format!("{}{rules}", c.note), theme.dim())));
            lines
        })
        .unwrap_or_default();
    let (table_area, preview_area) = split(area, &preview);
    let inner_width = usize::from(table_area.width.saturating_sub(2));
    let id_width = framework.controls.iter().map(|c| c.id.chars().count()).max().unwrap_or(4).max(7);
    let title_width = inner_width.saturating_sub(id_width + 17 + 8 + 3);
    let (offset, window) = super::table_window(table_area, app.selected);
    let rows: Vec<Row> = app
        .shown_controls()
        .skip(offset)
        .take(window)
        .map(|(_, c)| {
            let findings = if c.findings == 0 { String::new() } else { format!("{:>8}", c.findings) };
            Row::new(vec![
                Cell::from(c.id.clone()),
                Cell::from(Span::styled(c.status.label(), status_style(theme, c.status))),
                Cell::from(findings),
                Cell::from(ellipsized(&c.title, title_width)),
            ])
        })
        .collect();
    let widths = [
        Constraint::Length(u16::try_from(id_width).unwrap_or(u16::MAX)),
        Constraint::Length(17),
        Constraint::Length(8),
        Constraint::Min(10),
    ];
    let title = format!(
        " {} {} · {} · {} of {} controls{} ",
        framework.title,
        framework.version,
        score_text(framework.score),
        app.visible.len(),
        framework.controls.len(),
        super::lists::filter_words(app)
    );
    let table = Table::new(rows, widths)
        .header(Row::new(["control", "status", "findings", "title"]).style(theme.dim()))
        .block(Block::bordered().title(title))
        .row_highlight_style(theme.selected());
    let mut state = TableState::default().with_selected(selected.is_some().then_some(app.selected - offset));
    StatefulWidget::render(table, table_area, buf, &mut state);
    if app.visible.is_empty() {
        super::lists::no_rows(app, theme, table_area, buf);
    }
    render_preview(preview, " Selected (Enter: its findings) ", preview_area, buf);
}
