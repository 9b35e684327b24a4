//! One finding: score factors, evidence with the offending statement, the attack path, remediation.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget, Wrap};

use crate::tui::app::App;
use crate::tui::theme::Theme;

/// How far the detail can scroll in `area` (the body of the screen) before its last line leaves the top.
pub fn max_scroll(app: &App, area: Rect) -> u16 {
    let inner_width = usize::from(area.width.saturating_sub(2)).max(1);
    let inner_height = usize::from(area.height.saturating_sub(2));
    let rows: usize = lines(app, Theme { color: false }).iter().map(|l| l.width().max(1).div_ceil(inner_width)).sum();
    u16::try_from(rows.saturating_sub(inner_height)).unwrap_or(u16::MAX)
}

pub fn render(app: &App, theme: Theme, area: Rect, buf: &mut Buffer) {
    let scroll = app.detail_scroll.min(max_scroll(app, area));
    Paragraph::new(lines(app, theme))
        .wrap(Wrap { trim: false })
        .scroll((scroll, 0))
        .block(Block::bordered().title(" Finding (Esc: back) "))
        .render(area, buf);
}

fn lines(app: &App, theme: Theme) -> Vec<Line<'static>> {
    let Some(f) = &app.detail else { return Vec::new() };
    let mut lines = vec![
        Line::from(Span::styled(f.title.clone(), theme.severity(f.severity))),
        Line::from(format!("{} · {} · score {} · {}", f.rule_id, f.severity, f.score, f.region)),
        Line::from(Span::styled(f.resource_arn.clone(), theme.dim())),
    ];
    if let Some(muted) = &f.muted {
        lines.push(Line::from(Span::styled(format!("muted: {} ({})", muted.reason, muted.source), theme.dim())));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled("Why this score", theme.title())));
    for factor in &f.factors {
        lines.push(Line::from(format!(
            "  {} = {} (×{}) — {}",
            factor.name, factor.value, factor.multiplier, factor.reason
        )));
    }
    if !f.path.is_empty() {
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled("Attack path", theme.title())));
        // Who walks it first: the exposure the path was scored with.
        let any_principal = f.factors.iter().any(|x| x.name == "exposure" && x.value == "any_aws_principal");
        lines.push(Line::from(if any_principal { "  any AWS principal" } else { "  internet" }));
        for arn in &f.path {
            // Each hop by what it is, its ARN beneath.
            match app.snapshot.inventory.describe(arn) {
                Some(name) => {
                    lines.push(Line::from(format!("  └→ {name}")));
                    lines.push(Line::from(Span::styled(format!("       {arn}"), theme.dim())));
                }
                None => lines.push(Line::from(format!("  └→ {arn}"))),
            }
        }
    }
    if let Some(audit) = crate::analyze::monitoring::function_audit(&app.snapshot.inventory, &f.resource_arn) {
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled("Logs and audit", theme.title())));
        let retention = match audit.retention_days {
            Some(Some(days)) => format!("kept {days} days"),
            Some(None) => "never expires".to_owned(),
            None => "not found (never invoked, or not listed)".to_owned(),
        };
        lines.push(Line::from(format!("  log group {} · {retention}", audit.log_group)));
        let audited = match audit.invocations_recorded_by {
            Some(Some(trail)) => format!("invocations recorded by trail {trail}"),
            Some(None) => "invocations recorded by no trail".to_owned(),
            None => "whether invocations are recorded is unknown (trails not read)".to_owned(),
        };
        lines.push(Line::from(format!("  {audited}")));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled("Evidence", theme.title())));
    lines.push(Line::from(format!("  {}", f.evidence.summary)));
    if let Some(location) = &f.evidence.location {
        lines.push(Line::from(Span::styled(format!("  {location}"), theme.dim())));
    }
    if let Some(statement) = &f.evidence.statement {
        // The statement, pretty-printed; the lines that grant the risk are highlighted.
        let text = serde_json::to_string_pretty(statement).unwrap_or_default();
        for line in text.lines() {
            let hot = ["\"Principal\"", "\"NotAction\"", "\"Action\"", "\"Resource\"", "\"NotPrincipal\""]
                .iter()
                .any(|k| line.contains(k))
                || line.trim() == "\"*\""
                || line.trim() == "\"*\",";
            lines.push(Line::from(Span::styled(
                format!("    {line}"),
                if hot { theme.highlight() } else { ratatui::style::Style::new() },
            )));
        }
    }
    for (key, value) in &f.evidence.details {
        lines.push(Line::from(format!("  {key}: {value}")));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled("Remediation", theme.title())));
    lines.push(Line::from(format!("  {}", f.remediation)));
    if !f.references.is_empty() {
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled("References", theme.title())));
        for reference in &f.references {
            lines.push(Line::from(format!("  {reference}")));
        }
    }
    lines
}
