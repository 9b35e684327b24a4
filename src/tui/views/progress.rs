//! A live scan in progress: tasks done, coverage gaps so far, the latest events.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Gauge, Paragraph, Widget, Wrap};

use crate::tui::app::App;
use crate::tui::theme::Theme;

pub fn render(app: &App, theme: Theme, area: Rect, buf: &mut Buffer) {
    let Some(progress) = &app.progress else { return };
    let task_rows = (progress.tasks.len() as u16 + 2).min(area.height.saturating_sub(6) / 2).max(3);
    let [gauge, tasks, log] =
        Layout::vertical([Constraint::Length(3), Constraint::Length(task_rows), Constraint::Min(3)]).areas(area);
    let ratio = if progress.total == 0 { 0.0 } else { progress.done as f64 / progress.total as f64 };
    Gauge::default()
        .block(Block::bordered().title(format!(
            " Scanning: {}/{} tasks · {} coverage gap(s) ",
            progress.done, progress.total, progress.gaps
        )))
        .gauge_style(theme.title())
        .ratio(ratio.clamp(0.0, 1.0))
        .render(gauge, buf);
    // One cell per (service, region): running or done with its count, in columns.
    let cells: Vec<String> = progress
        .tasks
        .iter()
        .map(|((service, region), state)| match state {
            Some(n) => format!("✓ {service} {region}: {n}"),
            None => format!("… {service} {region}"),
        })
        .collect();
    let columns = usize::from(tasks.width.saturating_sub(2) / 34).max(1);
    let task_lines: Vec<Line> = cells
        .chunks(columns)
        .map(|chunk| Line::from(chunk.iter().map(|c| format!("{c:<34}")).collect::<String>()))
        .collect();
    Paragraph::new(task_lines).block(Block::bordered().title(" Services × regions ")).render(tasks, buf);
    let rows = usize::from(log.height.saturating_sub(2));
    let mut lines: Vec<Line> = progress.lines.iter().rev().take(rows).rev().map(|l| Line::from(l.clone())).collect();
    if let Some(error) = &progress.error {
        lines.push(Line::from(Span::styled(format!("scan failed: {error}"), theme.highlight())));
        lines.push(Line::from("press q to quit"));
    }
    Paragraph::new(lines).wrap(Wrap { trim: true }).block(Block::bordered().title(" Events ")).render(log, buf);
}
