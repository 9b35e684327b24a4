//! Doing things from the TUI: copy (OSC 52, through the event loop), the console URL, exporting the list
//! as shown, and removing a mute.

use crate::compliance::Status;

use super::{App, Mode, View};

/// `y`: asks what to copy.
pub(super) fn start_copy(app: &mut App) {
    if app.current_arn().is_none() {
        app.status = "nothing selected to copy".into();
        return;
    }
    app.mode = Mode::Copy;
}

/// The remediation's shell commands (its `aws …` spans), one per line; else the whole remediation.
fn remediation_commands(remediation: &str) -> String {
    let commands: Vec<&str> =
        remediation.split('`').skip(1).step_by(2).filter(|span| span.starts_with("aws ")).collect();
    if commands.is_empty() { remediation.to_owned() } else { commands.join("\n") }
}

/// Copies what `choice` names (`a` ARN, `m` Markdown, `r` remediation, `u` console URL).
pub(super) fn copy(app: &mut App, choice: char) {
    let finding = app.current_finding();
    let arn = app.current_arn().map(str::to_owned);
    let (what, text) = match (choice, finding, arn) {
        ('a', _, Some(arn)) => ("the ARN", arn),
        ('m', Some(f), _) => ("the finding as Markdown", crate::export::markdown::finding(f)),
        ('r', Some(f), _) => ("the remediation", remediation_commands(&f.remediation)),
        ('u', _, Some(arn)) => match crate::export::console::url(&arn) {
            Some(url) => ("the console URL", url),
            None => return app.status = format!("no console page for {arn}"),
        },
        ('m' | 'r', None, _) => return app.status = "select a finding to copy it".into(),
        _ => return app.status = "copy cancelled".into(),
    };
    app.status = format!("copied {what} to the clipboard ({} characters)", text.chars().count());
    app.clipboard = Some(text);
}

/// `o`: the console page of the selected resource, shown and copied.
pub(super) fn console_url(app: &mut App) {
    let Some(arn) = app.current_arn().map(str::to_owned) else {
        return app.status = "nothing selected".into();
    };
    match crate::export::console::url(&arn) {
        Some(url) => {
            app.status = format!("{url} (copied)");
            app.clipboard = Some(url);
        }
        None => app.status = format!("no console page for {arn}"),
    }
}

/// `e`: asks for the file, offering one named after the list.
pub(super) fn start_export(app: &mut App) {
    let name = match app.view {
        View::Findings | View::Overview => "findings",
        View::Paths => "attack-paths",
        View::Compare => "comparison",
        View::Resources => "resources",
        View::Coverage => "coverage-gaps",
        View::Compliance => "compliance",
        View::Controls => "controls",
        View::Accounts => "accounts",
        View::Detail | View::Progress => return app.status = "e exports a list: Esc goes back to it".into(),
    };
    app.mode = Mode::Export;
    app.input = format!("stance-{name}.md");
}

/// A table as Markdown (a `.md` path) or CSV (`.csv`).
fn table(header: &[&str], rows: Vec<Vec<String>>, csv: bool) -> Result<Vec<u8>, String> {
    if csv {
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(header).map_err(|e| e.to_string())?;
        for row in rows {
            writer.write_record(row).map_err(|e| e.to_string())?;
        }
        return writer.into_inner().map_err(|e| e.to_string());
    }
    let escape = crate::export::markdown_cell;
    let mut out = format!("| {} |\n|{}\n", header.join(" | "), " --- |".repeat(header.len()));
    for row in rows {
        let cells: Vec<String> = row.iter().map(|c| escape(c)).collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    Ok(out.into_bytes())
}

/// Writes the current list, filtered and sorted as shown, to `path`.
pub(super) fn export(app: &mut App, path: &str) {
    let csv = match std::path::Path::new(path).extension().and_then(|e| e.to_str()) {
        Some("csv") => true,
        Some("md") => false,
        _ => return app.status = format!("`{path}`: name a .md or .csv file"),
    };
    let (rows, bytes) = match app.view {
        View::Resources => {
            let rows: Vec<Vec<String>> = app
                .shown_resources()
                .map(|r| {
                    vec![
                        r.top_score.to_string(),
                        r.findings.to_string(),
                        r.kind.to_owned(),
                        r.name.clone().unwrap_or_default(),
                        r.arn.clone(),
                    ]
                })
                .collect();
            (rows.len(), table(&["score", "findings", "kind", "name", "arn"], rows, csv))
        }
        View::Coverage => {
            let rows: Vec<Vec<String>> = app
                .shown_gaps()
                .map(|g| {
                    vec![
                        g.service.clone(),
                        g.region.clone(),
                        g.operation.clone(),
                        g.resource.clone().unwrap_or_default(),
                        g.message.clone(),
                    ]
                })
                .collect();
            (rows.len(), table(&["service", "region", "operation", "resource", "what happened"], rows, csv))
        }
        View::Compliance => {
            let rows: Vec<Vec<String>> = app
                .shown_frameworks()
                .map(|f| {
                    let count = |s| f.count(s).to_string();
                    vec![
                        f.id.clone(),
                        f.version.clone(),
                        f.score.map(|s| format!("{s}%")).unwrap_or_default(),
                        (f.count(Status::Pass) + f.count(Status::PassWithExceptions)).to_string(),
                        count(Status::Fail),
                        count(Status::NotEvaluated),
                        count(Status::Manual),
                    ]
                })
                .collect();
            let header = ["framework", "version", "score", "pass", "fail", "not evaluated", "manual"];
            (rows.len(), table(&header, rows, csv))
        }
        View::Controls => {
            let framework = app.compliance.get(app.framework).map(|f| f.id.clone()).unwrap_or_default();
            let rows: Vec<Vec<String>> = app
                .shown_controls()
                .map(|(_, c)| {
                    let status = c.status.label().to_owned();
                    vec![
                        framework.clone(),
                        c.id.clone(),
                        status,
                        c.findings.to_string(),
                        c.title.clone(),
                        c.why.clone(),
                    ]
                })
                .collect();
            (rows.len(), table(&["framework", "control", "status", "findings", "title", "why"], rows, csv))
        }
        View::Accounts => {
            use crate::finding::Severity;
            let rows: Vec<Vec<String>> = app
                .shown_accounts()
                .map(|e| {
                    vec![
                        e.account.clone(),
                        e.name.clone(),
                        e.ou_path.clone(),
                        e.posture.map(|p| p.to_string()).unwrap_or_default(),
                        e.count(Severity::Critical).to_string(),
                        e.count(Severity::High).to_string(),
                        e.coverage_gaps.to_string(),
                        e.cross_account_paths.to_string(),
                        e.error.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            let header =
                ["account", "name", "ou", "posture", "critical", "high", "gaps", "cross-account paths", "not scanned"];
            (rows.len(), table(&header, rows, csv))
        }
        View::Overview => {
            let shown: Vec<&crate::finding::Finding> = app.top_risks().collect();
            (shown.len(), findings_file(shown, csv))
        }
        _ => {
            let shown = app.shown();
            (shown.len(), findings_file(shown, csv))
        }
    };
    app.status = match bytes.and_then(|b| std::fs::write(path, b).map_err(|e| e.to_string())) {
        Ok(()) => format!("wrote {rows} row(s) to {path}"),
        Err(error) => format!("{path}: cannot write: {error}"),
    };
}

fn findings_file(findings: Vec<&crate::finding::Finding>, csv: bool) -> Result<Vec<u8>, String> {
    if csv {
        crate::export::csv_format::findings(findings)
    } else {
        Ok(crate::export::markdown::findings_table(findings).into_bytes())
    }
}

/// `u`: asks before removing the mute of the current finding.
pub(super) fn start_unmute(app: &mut App) {
    match app.current_finding().map(|f| f.muted.as_ref()) {
        Some(Some(_)) => app.mode = Mode::ConfirmUnmute,
        Some(None) => app.status = "not muted".into(),
        None => app.status = "no finding selected to unmute".into(),
    }
}

/// The confirmation `u` asks.
pub(super) fn unmute_question(app: &App) -> String {
    let muted = app.current_finding().and_then(|f| f.muted.as_ref());
    match muted {
        Some(m) => format!("unmute: remove the mute at {} (“{}”)?", m.source, m.reason),
        None => "unmute?".into(),
    }
}

/// Removes the current finding's mute from the mutes file, then re-applies the file to every finding it
/// muted (line numbers after it move up).
pub(super) fn unmute(app: &mut App) {
    let Some(muted) = app.current_finding().and_then(|f| f.muted.clone()) else { return };
    let file = app.mutes_path.display().to_string();
    let Some(line) = muted.source.strip_prefix(&format!("{file}:")).and_then(|l| l.parse::<usize>().ok()) else {
        return app.status = format!("muted by {}, not by {file}: edit that file", muted.source);
    };
    match crate::mutes::remove(&app.mutes_path, line) {
        Ok(remaining) => {
            let today = app.snapshot.inventory.scan.as_of.date_naive();
            let from_file = |f: &crate::finding::Finding| f.muted.as_ref().is_some_and(|m| m.source.starts_with(&file));
            let findings = &mut app.snapshot.analysis.findings;
            for f in findings.iter_mut().filter(|f| from_file(f)) {
                f.muted = None;
            }
            crate::mutes::apply(&remaining, findings, today, Some(file.clone()));
            mutes_changed(app);
            app.status = format!("unmuted: removed the mute at {}", muted.source);
        }
        Err(error) => app.status = error.to_string(),
    }
}

/// After mutes changed: posture, the detail and every list follow at once.
pub(super) fn mutes_changed(app: &mut App) {
    if let Some(detail) = app.detail.as_mut() {
        detail.muted = app
            .snapshot
            .analysis
            .findings
            .iter()
            .find(|f| f.fingerprint == detail.fingerprint)
            .and_then(|f| f.muted.clone());
    }
    let snapshot = &mut app.snapshot;
    snapshot.analysis.rescore(&snapshot.inventory);
    app.findings_changed();
    app.refresh();
}

#[cfg(test)]
mod tests {
    use super::remediation_commands;

    #[test]
    fn the_remediation_copies_its_commands() {
        assert_eq!(
            remediation_commands(
                "Remove it: `aws lambda remove-permission --function-name F`, then `aws lambda add-permission …`."
            ),
            "aws lambda remove-permission --function-name F\naws lambda add-permission …"
        );
        assert_eq!(remediation_commands("Set `AuthType` to AWS_IAM."), "Set `AuthType` to AWS_IAM.");
    }
}
