use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget, Wrap};

use crate::finding::Severity;
use crate::tui::app::App;
use crate::tui::theme::Theme;

pub fn render(app: &App, theme: Theme, area: Rect, buf: &mut Buffer) {
    let inv = &app.snapshot.inventory;
    let trend_height = if app.trend.len() > 1 { 4 } else { 0 };
    // As tall as its lines wrap to at this width, within half the screen: when every service and resource
    // kind do not fit, the box says less, never cuts a line off.
    let inner_width = area.width.saturating_sub(2).max(1);
    let cap = usize::from(area.height / 2).saturating_sub(2);
    let rows =
        |lines: &Vec<Line<'static>>| Paragraph::new(lines.clone()).wrap(Wrap { trim: true }).line_count(inner_width);
    let mut summary_lines = summary_lines(app, theme, Detail::Full);
    for detail in [Detail::Merged, Detail::Brief] {
        if rows(&summary_lines) <= cap {
            break;
        }
        summary_lines = self::summary_lines(app, theme, detail);
    }
    let summary_height = u16::try_from(rows(&summary_lines) + 2).unwrap_or(u16::MAX).min(area.height / 2).max(3);
    let [summary, trend, top, gaps] = Layout::vertical([
        Constraint::Length(summary_height),
        Constraint::Length(trend_height),
        Constraint::Min(3),
        Constraint::Length(3),
    ])
    .areas(area);
    if trend_height > 0 {
        let data: Vec<u64> = app.trend.iter().map(|e| u64::from(e.posture)).collect();
        let first =
            app.trend.first().map(|e| e.started_at.get(..10).unwrap_or_default().to_owned()).unwrap_or_default();
        let last = app
            .trend
            .last()
            .map(|e| format!("{} ({})", e.posture, e.started_at.get(..10).unwrap_or_default()))
            .unwrap_or_default();
        ratatui::widgets::Sparkline::default()
            .block(
                Block::bordered()
                    .title(format!(" Posture trend (bar height 0–100): {} scans, {first} → {last} ", app.trend.len())),
            )
            .data(&data)
            .max(100)
            .style(theme.title())
            .render(trend, buf);
    }

    Paragraph::new(summary_lines)
        .wrap(Wrap { trim: true })
        .block(Block::bordered().title(" Posture "))
        .render(summary, buf);

    let rows = top.height.saturating_sub(2) as usize;
    // The selected risk stays in sight: the list scrolls once the selection passes its last row.
    let offset = (app.selected + 1).saturating_sub(rows);
    let title_width = usize::from(top.width.saturating_sub(2 + 13));
    let lines: Vec<Line> = app
        .top_risks()
        .enumerate()
        .skip(offset)
        .take(rows)
        .map(|(i, f)| {
            let line = Line::from(vec![
                Span::styled(format!("{:>3} {:<8} ", f.score, f.severity.as_str()), theme.severity(f.severity)),
                Span::raw(crate::tui::app::ellipsized(&f.title, title_width)),
            ]);
            if i == app.selected { line.style(theme.selected()) } else { line }
        })
        .collect();
    Paragraph::new(lines)
        .block(Block::bordered().title(" Top risks (j/k: select · Enter: open · :findings: all) "))
        .render(top, buf);

    let gap_line = if inv.coverage.is_empty() {
        Line::from("Coverage complete: every call succeeded")
    } else {
        let first =
            inv.coverage.first().map(|c| format!(" — {} {} {}", c.service, c.region, c.operation)).unwrap_or_default();
        Line::from(Span::styled(format!("{} coverage gap(s){first}", inv.coverage.len()), theme.highlight()))
    };
    Paragraph::new(gap_line).block(Block::bordered().title(" Coverage (:coverage lists every gap) ")).render(gaps, buf);
}

/// How much the posture box says: everything, the per-service posture and counts on one line, or also the
/// inventory as one total.
#[derive(Clone, Copy, PartialEq)]
enum Detail {
    Full,
    Merged,
    Brief,
}

/// The posture box: score and regions, severities, per-service posture, inventory counts.
fn summary_lines(app: &App, theme: Theme, detail: Detail) -> Vec<Line<'static>> {
    let analysis = &app.snapshot.analysis;
    let inv = &app.snapshot.inventory;
    let count = |s: Severity| analysis.posture.findings_by_severity.get(&s).copied().unwrap_or(0);
    let mut severities = vec![Span::raw("Findings  ")];
    for s in [Severity::Critical, Severity::High, Severity::Medium, Severity::Low, Severity::Info] {
        severities.push(Span::styled(format!("{} {}", s.as_str(), count(s)), theme.severity(s)));
        severities.push(Span::raw("  "));
    }
    let muted = analysis.findings.iter().filter(|f| f.muted.is_some()).count();
    if muted > 0 {
        severities.push(Span::styled(format!("muted {muted}"), theme.dim()));
    }
    // How many findings each service's posture is computed from: a posture is not a count.
    let mut counts: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for f in analysis.findings.iter().filter(|f| f.muted.is_none()) {
        *counts.entry(f.category.service()).or_default() += 1;
    }
    let regions: Vec<&str> = inv.scan.regions.iter().map(|r| r.region()).collect();
    let mut lines = vec![
        Line::from(vec![
            Span::raw("Posture "),
            Span::styled(format!("{}/100", analysis.posture.score), theme.posture(analysis.posture.score)),
            Span::raw(format!(" (higher is better; ? explains)   regions {}", regions.join(", "))),
        ]),
        Line::from(severities),
    ];
    if !analysis.compliance.is_empty() {
        let scores: Vec<String> = analysis
            .compliance
            .iter()
            .map(|c| format!("{} {}", c.framework, super::compliance::score_text(c.score)))
            .collect();
        lines.push(Line::from(format!("Compliance  {} (:compliance)", scores.join(" · "))));
    }
    if detail == Detail::Full {
        let services: Vec<String> = analysis.posture.by_service.iter().map(|(s, p)| format!("{s} {p}")).collect();
        let counts: Vec<String> = counts.iter().map(|(s, n)| format!("{s} {n}")).collect();
        lines.push(Line::from(format!("Posture by service (0–100)  {}", services.join(" · "))));
        lines.push(Line::from(format!("Findings by service  {}", counts.join(" · "))));
    } else {
        let services: Vec<String> = analysis
            .posture
            .by_service
            .iter()
            .map(|(s, p)| format!("{s} {p} ({})", counts.get(s.as_str()).copied().unwrap_or(0)))
            .collect();
        lines.push(Line::from(format!("Posture by service, 0–100 (findings)  {}", services.join(" · "))));
    }
    let kinds: Vec<String> =
        inv.counts().iter().filter(|(_, n)| **n > 0).map(|(k, n)| format!("{} {n}", k.replace('_', " "))).collect();
    lines.push(Line::from(if detail == Detail::Brief {
        let total: usize = inv.counts().values().sum();
        format!("Inventory {total} resources of {} kinds (:resources lists them)", kinds.len())
    } else {
        format!("Inventory {}", kinds.join(", "))
    }));
    lines
}
