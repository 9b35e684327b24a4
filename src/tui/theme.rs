//! Colors, or none: `NO_COLOR` (any value) turns every color off, leaving bold and reverse.

use ratatui::style::{Color, Modifier, Style};

use crate::finding::Severity;

#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    pub fn from_env() -> Theme {
        Theme { color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) }
    }

    fn fg(self, color: Color) -> Style {
        if self.color { Style::new().fg(color) } else { Style::new() }
    }

    pub fn severity(self, severity: Severity) -> Style {
        match severity {
            Severity::Critical => self.fg(Color::Red).add_modifier(Modifier::BOLD),
            Severity::High => self.fg(Color::LightRed),
            Severity::Medium => self.fg(Color::Yellow),
            Severity::Low => self.fg(Color::Cyan),
            Severity::Info => self.fg(Color::Gray),
        }
    }

    pub fn title(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn dim(self) -> Style {
        if self.color { Style::new().fg(Color::DarkGray) } else { Style::new() }
    }

    pub fn selected(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    pub fn highlight(self) -> Style {
        self.fg(Color::LightRed).add_modifier(Modifier::BOLD)
    }

    pub fn posture(self, score: u8) -> Style {
        let color = match score {
            0..=39 => Color::Red,
            40..=69 => Color::Yellow,
            _ => Color::Green,
        };
        self.fg(color).add_modifier(Modifier::BOLD)
    }
}
