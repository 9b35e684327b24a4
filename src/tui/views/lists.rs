//! The finding tables: all findings, attack paths, and the comparison's tabs.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, StatefulWidget, Table, TableState, Widget};

use crate::tui::app::{App, CompareTab, SortKey, View};
use crate::tui::theme::Theme;

pub fn render(app: &App, theme: Theme, area: Rect, buf: &mut Buffer) {
    let mut area = area;
    if app.view == View::Compare {
        let [tabs, rest] = Layout::vertical([Constraint::Length(2), Constraint::Min(3)]).areas(area);
        area = rest;
        if let Some(diff) = &app.diff {
            let tab = |label: String, this: CompareTab| {
                if app.compare_tab == this {
                    Span::styled(format!("[{label}]"), theme.title())
                } else {
                    Span::raw(format!(" {label} "))
                }
            };
            Paragraph::new(vec![
                Line::from(vec![
                    tab(format!("new {}", diff.new_findings.len()), CompareTab::New),
                    Span::raw(" "),
                    tab(format!("resolved {}", diff.resolved_findings.len()), CompareTab::Resolved),
                    Span::raw(" "),
                    tab(format!("changed {}", diff.changed_findings.len()), CompareTab::Changed),
                    Span::raw(" "),
                    tab(
                        format!(
                            "drift {}",
                            diff.drift.added.len() + diff.drift.removed.len() + diff.drift.changed.len()
                        ),
                        CompareTab::Drift,
                    ),
                    Span::raw(format!("  unchanged {}", diff.unchanged)),
                ]),
                Line::from(format!(
                    "posture {} → {} ({:+}) · drift: +{} −{} ~{}",
                    diff.old.posture,
                    diff.new.posture,
                    diff.posture_delta,
                    diff.drift.added.len(),
                    diff.drift.removed.len(),
                    diff.drift.changed.len()
                )),
            ])
            .render(tabs, buf);
        }
    }
    if app.view == View::Compare && app.compare_tab == CompareTab::Drift {
        return drift(app, theme, area, buf);
    }
    let shown = app.shown();
    let sort = match app.sort {
        SortKey::Score => "score",
        SortKey::Severity => "severity",
        SortKey::Service => "service",
        SortKey::Age => "age",
    };
    let mut title = format!(" {} of {} · sort {sort}", shown.len(), app.source().len());
    if let Some(service) = app.service {
        title.push_str(&format!(" · {service}"));
    }
    if let Some(min) = app.min_severity {
        title.push_str(&format!(" · ≥ {min}"));
    }
    if !app.search.is_empty() {
        title.push_str(&format!(" · /{}", app.search));
    }
    title.push(' ');
    let by_age = app.sort == SortKey::Age;
    // Only the rows that fit are built: the list may hold 100,000 findings.
    let window = usize::from(area.height.saturating_sub(3)).max(1);
    let offset = (app.selected + 1).saturating_sub(window);
    let rows: Vec<Row> = shown
        .iter()
        .skip(offset)
        .take(window)
        .map(|f| {
            let muted = if f.muted.is_some() { " (muted)" } else { "" };
            let mut cells = vec![
                Cell::from(format!("{:>3}", f.score)),
                Cell::from(Span::styled(f.severity.as_str(), theme.severity(f.severity))),
            ];
            // Sorted by age, the list shows the age it is sorted by.
            if by_age {
                let age = f.evidence.details.get("age_days").and_then(|v| v.as_i64());
                cells.push(Cell::from(age.map_or_else(|| "—".to_owned(), |d| format!("{d:>4}d"))));
            }
            cells.push(Cell::from(f.category.service()));
            cells.push(Cell::from(format!("{}{muted}", f.title)));
            Row::new(cells)
        })
        .collect();
    let mut widths = vec![Constraint::Length(3), Constraint::Length(8)];
    let mut header = vec!["   ", "severity"];
    if by_age {
        widths.push(Constraint::Length(5));
        header.push("  age");
    }
    widths.extend([Constraint::Length(12), Constraint::Min(20)]);
    header.extend(["service", "finding"]);
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(theme.dim()))
        .block(Block::bordered().title(title))
        .row_highlight_style(theme.selected());
    let mut state = TableState::default().with_selected((!shown.is_empty()).then_some(app.selected - offset));
    StatefulWidget::render(table, area, buf, &mut state);
}

/// The comparison's inventory drift, one resource (or attribute) per row.
fn drift(app: &App, theme: Theme, area: Rect, buf: &mut Buffer) {
    let Some(diff) = &app.diff else { return };
    let d = &diff.drift;
    let mut rows: Vec<Row> = Vec::new();
    rows.extend(d.added.iter().map(|r| Row::new(vec!["+".to_owned(), r.kind.clone(), r.arn.clone(), String::new()])));
    rows.extend(d.removed.iter().map(|r| Row::new(vec!["−".to_owned(), r.kind.clone(), r.arn.clone(), String::new()])));
    rows.extend(d.changed.iter().map(|c| {
        Row::new(vec!["~".to_owned(), c.kind.clone(), c.arn.clone(), format!("{}: {} → {}", c.attribute, c.old, c.new)])
    }));
    let window = usize::from(area.height.saturating_sub(3)).max(1);
    let offset = (app.selected + 1).saturating_sub(window);
    let total = rows.len();
    let rows: Vec<Row> = rows.into_iter().skip(offset).take(window).collect();
    let table = Table::new(
        rows,
        [Constraint::Length(1), Constraint::Length(18), Constraint::Percentage(50), Constraint::Min(10)],
    )
    .header(Row::new(["", "kind", "resource", "change"]).style(theme.dim()))
    .block(Block::bordered().title(format!(" {total} change(s) to the inventory ")))
    .row_highlight_style(theme.selected());
    let mut state = TableState::default().with_selected((total > 0).then_some(app.selected - offset));
    StatefulWidget::render(table, area, buf, &mut state);
}
