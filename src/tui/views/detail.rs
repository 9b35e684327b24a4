//! One finding: score factors, evidence with the offending statement, the attack path, remediation.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget, Wrap};

use crate::tui::app::App;
use crate::tui::theme::Theme;

/// The rows `lines` really wrap to at `width` (word by word, so more than characters ÷ width).
fn rows(lines: Vec<Line<'static>>, width: u16) -> usize {
    Paragraph::new(lines).wrap(Wrap { trim: false }).line_count(width)
}

/// How far the detail can scroll in `area` (the body of the screen) before its last line leaves the top.
pub fn max_scroll(app: &App, area: Rect) -> u16 {
    scroll_bounds(app, area).0
}

/// The scroll the detail is shown at in `area`: the user's, within bounds, moved just enough to keep the
/// chained finding Tab selected in sight.
pub fn scroll(app: &App, area: Rect) -> u16 {
    let (max, selected_row) = scroll_bounds(app, area);
    let scroll = app.detail_scroll.min(max);
    let height = area.height.saturating_sub(2).max(1);
    selected_row.map_or(scroll, |row| scroll.clamp(row.saturating_sub(height - 1), row))
}

/// The largest scroll in `area`, and the row the selected chained finding wraps to: the lines built once.
fn scroll_bounds(app: &App, area: Rect) -> (u16, Option<u16>) {
    let width = area.width.saturating_sub(2).max(1);
    let inner_height = usize::from(area.height.saturating_sub(2));
    let (mut lines, selected) = lines(app, Theme { color: false });
    let max = u16::try_from(rows(lines.clone(), width).saturating_sub(inner_height)).unwrap_or(u16::MAX);
    let selected_row = selected.map(|index| {
        lines.truncate(index);
        u16::try_from(rows(lines, width)).unwrap_or(u16::MAX)
    });
    (max, selected_row)
}

pub fn render(app: &App, theme: Theme, area: Rect, buf: &mut Buffer) {
    let scroll = scroll(app, area);
    Paragraph::new(lines(app, theme).0)
        .wrap(Wrap { trim: false })
        .scroll((scroll, 0))
        .block(Block::bordered().title(" Finding (Esc: back) "))
        .render(area, buf);
}

/// The detail's lines, and which of them is the chained finding Tab selected.
fn lines(app: &App, theme: Theme) -> (Vec<Line<'static>>, Option<usize>) {
    let mut selected = None;
    let Some(f) = &app.detail else { return (Vec::new(), None) };
    let mut lines = vec![
        Line::from(Span::styled(f.title.clone(), theme.severity(f.severity))),
        Line::from(format!("{} · {} · score {} · {}", f.rule_id, f.severity, f.score, f.region)),
        Line::from(Span::styled(f.resource_arn.clone(), theme.dim())),
    ];
    if let Some(muted) = &f.muted {
        let expires = muted.expires.map_or_else(|| "no expiry".to_owned(), |d| format!("expires {d}"));
        lines.push(Line::from(Span::styled(
            format!("muted: {} ({}, {expires}; u unmutes)", muted.reason, muted.source),
            theme.highlight(),
        )));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled("Why this score", theme.title())));
    for factor in &f.factors {
        let name = factor.name.replace('_', " ");
        let value = factor.value.replace('_', " ");
        lines.push(Line::from(if factor.name == "severity" {
            format!("  {name} = {value}: {} base points", factor.multiplier)
        } else {
            format!("  {name} = {value} (×{}) — {}", factor.multiplier, factor.reason)
        }));
    }
    lines.push(Line::from(Span::styled(score_line(f), theme.dim())));
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
            // The statement that makes the role worth reaching belongs under the role, not under the entry.
            if arn.contains(":role/")
                && let Some(statement) = &f.evidence.statement
            {
                lines.push(Line::from(Span::styled("       granted by:", theme.dim())));
                push_statement(&mut lines, statement, theme, "         ");
            }
        }
        if !app.detail_parts.is_empty() {
            lines.push(Line::from(""));
            lines.push(Line::from(Span::styled(
                "Chained findings (Tab: select · Enter: open · Esc: back)",
                theme.title(),
            )));
            for (i, part) in app.detail_parts.iter().enumerate() {
                let marker = if app.detail_part == Some(i) { "▶" } else { " " };
                let line = Line::from(vec![
                    Span::raw(format!("  {marker} ")),
                    Span::styled(
                        format!("{:>3} {:<8} ", part.score, part.severity.as_str()),
                        theme.severity(part.severity),
                    ),
                    Span::raw(part.title.clone()),
                ]);
                if app.detail_part == Some(i) {
                    selected = Some(lines.len());
                    lines.push(line.style(theme.selected()));
                } else {
                    lines.push(line);
                }
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
    // An attack path's statement is shown under its role, above.
    let on_path = f.path.iter().any(|arn| arn.contains(":role/"));
    if let Some(statement) = f.evidence.statement.as_ref().filter(|_| !on_path) {
        push_statement(&mut lines, statement, theme, "    ");
    }
    // The chained findings are listed by title above, not as fingerprints.
    for (key, value) in
        f.evidence.details.iter().filter(|(k, _)| k.as_str() != "chained_findings" || app.detail_parts.is_empty())
    {
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
    (lines, selected)
}

/// A policy statement, pretty-printed and indented; the lines that grant the risk are highlighted.
fn push_statement(lines: &mut Vec<Line<'static>>, statement: &serde_json::Value, theme: Theme, indent: &str) {
    let text = serde_json::to_string_pretty(statement).unwrap_or_default();
    for line in text.lines() {
        let hot = ["\"Principal\"", "\"NotAction\"", "\"Action\"", "\"Resource\"", "\"NotPrincipal\""]
            .iter()
            .any(|k| line.contains(k))
            || line.trim() == "\"*\""
            || line.trim() == "\"*\",";
        lines.push(Line::from(Span::styled(
            format!("{indent}{line}"),
            if hot { theme.highlight() } else { ratatui::style::Style::new() },
        )));
    }
}

/// The product the factors make, and what the caps and the chain floor did to it: "= 65 × 1.4 × 1.35 = 123
/// → 100 (the cap)".
fn score_line(f: &crate::finding::Finding) -> String {
    let product: f64 = f.factors.iter().map(|x| x.multiplier).product();
    let terms: Vec<String> =
        f.factors.iter().filter(|x| x.multiplier != 1.0).map(|x| x.multiplier.to_string()).collect();
    let raw = product.round().clamp(0.0, f64::from(u16::MAX)) as u16;
    let outcome = match raw.cmp(&u16::from(f.score)) {
        std::cmp::Ordering::Equal => String::new(),
        std::cmp::Ordering::Greater if f.category.is_path() => format!(" → {} (attack paths stop at 100)", f.score),
        std::cmp::Ordering::Greater => {
            format!(
                " → {} (a single finding stops at {}; only attack paths go higher)",
                f.score,
                crate::score::SINGLE_FINDING_CAP
            )
        }
        std::cmp::Ordering::Less => format!(" → {} (one above the strongest finding it chains)", f.score),
    };
    if terms.len() <= 1 && outcome.is_empty() {
        return format!("  = {raw} (no factor moves it)");
    }
    format!("  = {} = {raw}{outcome}", terms.join(" × "))
}

#[cfg(test)]
mod tests {
    use crate::rules::fixture::*;

    #[test]
    fn the_score_line_says_what_the_cap_and_the_chain_floor_did() {
        let fixture = Fixture::new()
            .managed_policy(ADMIN, allow(serde_json::json!("*"), serde_json::json!("*")))
            .role("admin", lambda_trust(), &[], &[ADMIN])
            .role(
                "open",
                serde_json::json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}]}),
                &[],
                &[ADMIN],
            )
            .function("pay", "admin", |f| f.tracing_mode = None)
            .http_api("shop", "HTTP", &[("GET /status", "NONE", false, Some("pay"))], false);
        let findings = crate::assess::analyze(&fixture.inventory, now()).findings;
        let line = |rule: &str| super::score_line(findings.iter().find(|f| f.rule_id == rule).expect(rule));
        assert_eq!(
            line("attack-path-public-api-to-privileged-lambda"),
            "  = 65 × 1.4 × 1.35 = 123 → 100 (attack paths stop at 100)"
        );
        assert_eq!(
            line("iam-role-trust-any-principal"),
            "  = 65 × 1.3 × 1.35 = 114 → 95 (a single finding stops at 95; only attack paths go higher)"
        );
        assert_eq!(line("lambda-tracing-disabled"), "  = 20 (no factor moves it)");
    }

    const ADMIN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";
}
