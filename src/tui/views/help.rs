use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget};

use crate::tui::app::App;
use crate::tui::keys;
use crate::tui::theme::Theme;

pub fn render(app: &App, theme: Theme, area: Rect, buf: &mut Buffer) {
    let keys = keys::help(app.view);
    let height = (keys.len() as u16 + 2).min(area.height);
    let [row] = Layout::vertical([Constraint::Length(height)]).flex(Flex::Center).areas(area);
    // As wide as its longest line, within the screen.
    let longest = keys.iter().map(|(_, what)| what.chars().count() + 14).max().unwrap_or(40);
    let width = u16::try_from(longest).unwrap_or(u16::MAX).min(area.width);
    let [popup] = Layout::horizontal([Constraint::Length(width)]).flex(Flex::Center).areas(row);
    Clear.render(popup, buf);
    let lines: Vec<Line> = keys
        .into_iter()
        .map(|(k, what)| Line::from(vec![Span::styled(format!(" {k:<11}"), theme.title()), Span::raw(what)]))
        .collect();
    Paragraph::new(lines).block(Block::bordered().title(" Keys (? or Esc to close) ")).render(popup, buf);
}
