//! The finding tables: all findings, attack paths, and the comparison's tabs.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, StatefulWidget, Table, TableState, Widget, Wrap};

use crate::tui::app::{App, CompareTab, SortKey, View, ellipsized};
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
                    tab(format!("unchanged {}", diff.unchanged), CompareTab::Unchanged),
                    Span::raw(" "),
                    tab(
                        format!(
                            "drift {}",
                            diff.drift.added.len() + diff.drift.removed.len() + diff.drift.changed.len()
                        ),
                        CompareTab::Drift,
                    ),
                    Span::raw(" "),
                    tab(format!("controls {}", diff.compliance.controls.len()), CompareTab::Controls),
                    Span::styled("  Tab/S-Tab", theme.dim()),
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
    if app.view == View::Compare && app.compare_tab == CompareTab::Controls {
        return controls(app, theme, area, buf);
    }
    let shown = app.shown();
    let sort = match app.sort {
        SortKey::Score => "score",
        SortKey::Severity => "severity",
        SortKey::Service => "service",
        SortKey::Age => "age",
    };
    let title = format!(" {} of {} · sort {sort}{} ", shown.len(), app.source().len(), filter_words(app));
    let selected = shown.get(app.selected).copied();
    // The selected finding in full below the table: titles are cut to the column, paths are hops.
    let preview = selected.map(|f| preview_lines(app, f, theme)).unwrap_or_default();
    let inner_width = area.width.saturating_sub(2).max(1);
    let preview_rows = Paragraph::new(preview.clone()).wrap(Wrap { trim: false }).line_count(inner_width);
    let preview_height = u16::try_from(preview_rows + 1).unwrap_or(u16::MAX).min(area.height / 2);
    // A short list takes the rows it needs, not the whole screen.
    let table_height = u16::try_from(shown.len() + 3).unwrap_or(u16::MAX).max(4);
    let [table_area, preview_area, _] = if preview.is_empty() {
        [area, Rect::default(), Rect::default()]
    } else if table_height + preview_height <= area.height {
        Layout::vertical([Constraint::Length(table_height), Constraint::Length(preview_height), Constraint::Min(0)])
            .areas(area)
    } else {
        Layout::vertical([Constraint::Min(4), Constraint::Length(preview_height), Constraint::Length(0)]).areas(area)
    };
    let by_age = app.sort == SortKey::Age;
    let mut widths = vec![Constraint::Length(3), Constraint::Length(8)];
    let mut header = vec!["   ", "severity"];
    if by_age {
        widths.push(Constraint::Length(5));
        header.push("  age");
    }
    // Attack paths read alike from their start ("Internet → …"): their list names where each starts and what
    // it reaches instead of the title, and every row is the same service.
    let paths = app.view == View::Paths;
    let fixed: u16 = 3 + 8 + if by_age { 5 } else { 0 };
    let spare = inner_width.saturating_sub(fixed + 4);
    if paths {
        widths.extend([Constraint::Length(spare * 3 / 5), Constraint::Min(10)]);
        header.extend(["entry point", "reaches"]);
    } else {
        widths.extend([Constraint::Length(12), Constraint::Min(20)]);
        header.extend(["service", "finding"]);
    }
    // What the title column is left with: the fixed columns and one space between each.
    let title_width = usize::from(spare.saturating_sub(12));
    let hop_width = usize::from(spare * 3 / 5);
    let name = |arn: &str| {
        app.snapshot.inventory.describe(arn).unwrap_or_else(|| {
            // A role in another account: the far end of a cross-account path.
            let mut parts = arn.splitn(6, ':').skip(4);
            match (parts.next(), parts.next().and_then(|r| r.strip_prefix("role/"))) {
                (Some(account), Some(role)) if arn.starts_with("arn:") => format!("role {role} in account {account}"),
                _ => arn.to_owned(),
            }
        })
    };
    let (offset, window) = super::table_window(table_area, app.selected);
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
            if let (true, Some(entry), Some(reaches)) = (paths, f.path.first(), f.path.last()) {
                cells.push(Cell::from(ellipsized(&name(entry), hop_width)));
                cells.push(Cell::from(ellipsized(&format!("{}{muted}", name(reaches)), hop_width)));
            } else {
                cells.push(Cell::from(f.category.service()));
                cells.push(Cell::from(ellipsized(&format!("{}{muted}", f.title), title_width)));
            }
            Row::new(cells)
        })
        .collect();
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(theme.dim()))
        .block(Block::bordered().title(title))
        .row_highlight_style(theme.selected());
    let mut state = TableState::default().with_selected((!shown.is_empty()).then_some(app.selected - offset));
    StatefulWidget::render(table, table_area, buf, &mut state);
    if shown.is_empty() {
        no_rows(app, theme, table_area, buf);
    }
    if !preview.is_empty() {
        Paragraph::new(preview)
            .wrap(Wrap { trim: false })
            .block(Block::new().borders(Borders::TOP).title(" Selected (Enter: detail) "))
            .render(preview_area, buf);
    }
}

/// The current list's filters in words, for its title, with the key that clears them.
pub fn filter_words(app: &App) -> String {
    let filter = app.filter();
    let mut words = Vec::new();
    if let Some((framework, control)) = filter.control {
        let framework = crate::compliance::frameworks().get(framework);
        if let Some((framework, control)) = framework.and_then(|f| f.controls.get(control).map(|c| (f, c))) {
            words.push(format!("counted by {} {}", framework.id, control.id));
        }
    }
    if let Some(arn) = &filter.resource {
        words.push(format!("on {}", app.snapshot.inventory.describe(arn).unwrap_or_else(|| arn.clone())));
    }
    if let Some(service) = filter.service {
        words.push(service.to_owned());
    }
    if let Some(min) = filter.min_severity {
        words.push(format!("≥ {min}"));
    }
    if !filter.search.is_empty() {
        words.push(format!("/{}", filter.search));
    }
    if words.is_empty() { String::new() } else { format!(" · {} · x clears", words.join(" · ")) }
}

/// Inside an empty list: why it is empty, and what brings rows back.
pub fn no_rows(app: &App, theme: Theme, area: Rect, buf: &mut Buffer) {
    let message = if app.filter().is_empty() {
        "nothing here".to_owned()
    } else {
        "no matches · x clears the filters".to_owned()
    };
    let inner = Rect { x: area.x + 2, y: area.y + 2, width: area.width.saturating_sub(4), height: 1 };
    if area.height > 3 {
        Paragraph::new(Span::styled(message, theme.dim())).render(inner, buf);
    }
}

/// The selected finding in full: its title, what it is on, and an attack path's hops by name.
fn preview_lines(app: &App, f: &crate::finding::Finding, theme: Theme) -> Vec<Line<'static>> {
    let inventory = &app.snapshot.inventory;
    let name = |arn: &str| inventory.describe(arn).unwrap_or_else(|| arn.to_owned());
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("{:>3} {} ", f.score, f.severity.as_str()), theme.severity(f.severity)),
        Span::raw(f.title.clone()),
    ])];
    if f.path.is_empty() {
        lines.push(Line::from(Span::styled(format!("on {} · {}", name(&f.resource_arn), f.resource_arn), theme.dim())));
    } else {
        let hops: Vec<String> = f.path.iter().map(|arn| name(arn)).collect();
        lines.push(Line::from(format!("path: {}", hops.join(" → "))));
    }
    lines
}

/// The comparison's compliance controls whose status changed, with each framework's score on both sides.
fn controls(app: &App, theme: Theme, area: Rect, buf: &mut Buffer) {
    let Some(diff) = &app.diff else { return };
    let compliance = &diff.compliance;
    let status = |s: Option<crate::compliance::Status>| match s {
        Some(s) => Span::styled(s.label(), super::compliance::status_style(theme, s)),
        None => Span::styled("absent", theme.dim()),
    };
    let title_of = |framework: &str, control: &str| {
        crate::compliance::frameworks()
            .iter()
            .find(|f| f.id == framework)
            .and_then(|f| f.controls.iter().find(|c| c.id == control))
            .map(|c| c.title.clone())
            .unwrap_or_default()
    };
    let (offset, window) = super::table_window(area, app.selected);
    let title_width = usize::from(area.width.saturating_sub(2 + 12 + 9 + 17 + 17 + 4));
    let rows: Vec<Row> = compliance
        .controls
        .iter()
        .skip(offset)
        .take(window)
        .map(|c| {
            Row::new(vec![
                Cell::from(c.framework.clone()),
                Cell::from(c.control.clone()),
                Cell::from(status(c.old)),
                Cell::from(status(c.new)),
                Cell::from(ellipsized(&title_of(&c.framework, &c.control), title_width)),
            ])
        })
        .collect();
    let scores: Vec<String> = compliance
        .scores
        .iter()
        .map(|s| {
            let percent = super::compliance::score_text;
            format!("{} {} → {}", s.framework, percent(s.old), percent(s.new))
        })
        .collect();
    let total = compliance.controls.len();
    let table = Table::new(
        rows,
        [
            Constraint::Length(12),
            Constraint::Length(9),
            Constraint::Length(17),
            Constraint::Length(17),
            Constraint::Min(10),
        ],
    )
    .header(Row::new(["framework", "control", "was", "is", "title"]).style(theme.dim()))
    .block(Block::bordered().title(format!(" {total} control(s) changed · {} ", scores.join(" · "))))
    .row_highlight_style(theme.selected());
    let mut state = TableState::default().with_selected((total > 0).then_some(app.selected - offset));
    StatefulWidget::render(table, area, buf, &mut state);
}

/// The comparison's inventory drift, one resource (or attribute) per row.
fn drift(app: &App, theme: Theme, area: Rect, buf: &mut Buffer) {
    let Some(diff) = &app.diff else { return };
    let d = &diff.drift;
    let mut rows: Vec<Row> = Vec::new();
    rows.extend(d.added.iter().map(|r| Row::new(vec!["+".to_owned(), r.kind.clone(), r.arn.clone(), String::new()])));
    rows.extend(d.removed.iter().map(|r| Row::new(vec!["−".to_owned(), r.kind.clone(), r.arn.clone(), String::new()])));
    rows.extend(
        d.changed
            .iter()
            .map(|c| Row::new(vec!["~".to_owned(), c.kind.clone(), c.arn.clone(), crate::diff::words::drift(c)])),
    );
    let (offset, window) = super::table_window(area, app.selected);
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
