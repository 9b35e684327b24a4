//! A live scan in progress: tasks done, coverage gaps so far, the latest events.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Gauge, Paragraph, Widget, Wrap};

use crate::tui::app::App;
use crate::tui::theme::Theme;

pub fn render(app: &App, theme: Theme, area: Rect, buf: &mut Buffer) {
    let Some(progress) = &app.progress else { return };
    let [gauge, log] = Layout::vertical([Constraint::Length(3), Constraint::Min(3)]).areas(area);
    let ratio = if progress.total == 0 { 0.0 } else { progress.done as f64 / progress.total as f64 };
    Gauge::default()
        .block(Block::bordered().title(format!(
            " Scanning: {}/{} tasks · {} coverage gap(s) ",
            progress.done, progress.total, progress.gaps
        )))
        .gauge_style(theme.title())
        .ratio(ratio.clamp(0.0, 1.0))
        .render(gauge, buf);
    let rows = usize::from(log.height.saturating_sub(2));
    let mut lines: Vec<Line> = progress.lines.iter().rev().take(rows).rev().map(|l| Line::from(l.clone())).collect();
    if let Some(error) = &progress.error {
        lines.push(Line::from(Span::styled(format!("scan failed: {error}"), theme.highlight())));
        lines.push(Line::from("press q to quit"));
    }
    Paragraph::new(lines).wrap(Wrap { trim: true }).block(Block::bordered().title(" Events ")).render(log, buf);
}
