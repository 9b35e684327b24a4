//! The snapshots of a directory in time order: posture and finding counts per scan, for a trend.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::finding::Severity;
use crate::snapshot::{Snapshot, files_in};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub file: String,
    pub account_id: String,
    pub started_at: String,
    pub posture: u8,
    /// Findings that are not muted.
    pub findings: usize,
    pub by_severity: BTreeMap<Severity, usize>,
    pub coverage_gaps: usize,
    /// Framework id → its score in percent (`None`: nothing could be evaluated).
    #[serde(default)]
    pub compliance: BTreeMap<String, Option<f64>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    /// By account, then time.
    pub entries: Vec<HistoryEntry>,
    /// Files that could not be read, one line each: they are reported, never fatal.
    pub skipped: Vec<String>,
}

pub fn entry(path: &Path, snapshot: &Snapshot) -> HistoryEntry {
    let open: Vec<_> = snapshot.analysis.findings.iter().filter(|f| f.muted.is_none()).collect();
    let mut by_severity = BTreeMap::new();
    for f in &open {
        *by_severity.entry(f.severity).or_default() += 1;
    }
    HistoryEntry {
        file: path.display().to_string(),
        account_id: snapshot.inventory.account.account_id.clone(),
        started_at: snapshot.inventory.scan.started_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        posture: snapshot.analysis.posture.score,
        findings: open.len(),
        by_severity,
        coverage_gaps: snapshot.inventory.coverage.len(),
        compliance: snapshot.compliance().iter().map(|c| (c.framework.clone(), c.score)).collect(),
    }
}

pub fn history(dir: &Path, account: Option<&str>) -> std::io::Result<History> {
    let mut out = History::default();
    for path in files_in(dir)? {
        match Snapshot::read(&path) {
            Ok(snapshot) if account.is_none_or(|a| a == snapshot.inventory.account.account_id) => {
                out.entries.push(entry(&path, &snapshot))
            }
            Ok(_) => {}
            Err(error) => out.skipped.push(error.to_string()),
        }
    }
    out.entries.sort_by(|a, b| a.account_id.cmp(&b.account_id).then_with(|| a.started_at.cmp(&b.started_at)));
    Ok(out)
}

impl History {
    /// The frameworks any entry was scored against, one column each.
    fn frameworks(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = Vec::new();
        for id in self.entries.iter().flat_map(|e| e.compliance.keys()) {
            if !ids.contains(&id.as_str()) {
                ids.push(id);
            }
        }
        ids
    }
}

impl HistoryEntry {
    /// The entry's score for each of `frameworks` ("–" when it has none).
    fn scores(&self, frameworks: &[&str]) -> Vec<String> {
        frameworks
            .iter()
            .map(|id| match self.compliance.get(*id) {
                Some(Some(score)) => format!("{score}%"),
                _ => "–".into(),
            })
            .collect()
    }

    /// Open findings per severity, critical to info: the columns both renderings show.
    fn severity_counts(&self) -> [usize; 5] {
        [Severity::Critical, Severity::High, Severity::Medium, Severity::Low, Severity::Info]
            .map(|s| self.by_severity.get(&s).copied().unwrap_or(0))
    }
}

pub fn text(history: &History) -> String {
    let frameworks = history.frameworks();
    let widths: Vec<usize> = frameworks.iter().map(|id| id.len().max(6)).collect();
    let columns = |cells: &[String]| -> String {
        cells.iter().zip(&widths).map(|(cell, width)| format!(" {cell:>width$}")).collect()
    };
    let headers: Vec<String> = frameworks.iter().map(|id| id.to_uppercase()).collect();
    let mut out = format!(
        "{:<14} {:<21} {:>7} {:>8} {:>4} {:>4} {:>4} {:>4} {:>4}{}  FILE\n",
        "ACCOUNT",
        "SCANNED",
        "POSTURE",
        "FINDINGS",
        "CRIT",
        "HIGH",
        "MED",
        "LOW",
        "INFO",
        columns(&headers)
    );
    for e in &history.entries {
        let [critical, high, medium, low, info] = e.severity_counts();
        out.push_str(&format!(
            "{:<14} {:<21} {:>7} {:>8} {critical:>4} {high:>4} {medium:>4} {low:>4} {info:>4}{}  {}\n",
            e.account_id,
            e.started_at,
            e.posture,
            e.findings,
            columns(&e.scores(&frameworks)),
            e.file
        ));
    }
    for skipped in &history.skipped {
        out.push_str(&format!("skipped: {skipped}\n"));
    }
    out
}

/// The history as a Markdown table, for a report or a pull-request comment.
pub fn markdown(history: &History) -> String {
    use crate::export::markdown_cell as cell;
    let frameworks = history.frameworks();
    let headers: String = frameworks.iter().map(|id| format!(" {id} |")).collect();
    let aligns: String = frameworks.iter().map(|_| " ---: |").collect();
    let mut out = format!(
        "| account | scanned | posture | findings | critical | high | medium | low | info |{headers} file |\n\
         | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |{aligns} --- |\n",
    );
    for e in &history.entries {
        let [critical, high, medium, low, info] = e.severity_counts();
        let scores: String = e.scores(&frameworks).iter().map(|s| format!(" {s} |")).collect();
        out.push_str(&format!(
            "| {} | {} | {} | {} | {critical} | {high} | {medium} | {low} | {info} |{scores} `{}` |\n",
            e.account_id,
            e.started_at,
            e.posture,
            e.findings,
            cell(&e.file).replace('`', "'")
        ));
    }
    if !history.skipped.is_empty() {
        out.push('\n');
        for skipped in &history.skipped {
            out.push_str(&format!("- skipped: {}\n", cell(skipped)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ScanReport;
    use crate::mutes::MuteReport;
    use crate::rules::fixture::*;

    #[test]
    fn time_ordered_with_unreadable_files_reported() {
        let dir = tempfile::tempdir().unwrap();
        for (i, days) in [(0, 30), (1, 10), (2, 20)] {
            let mut fixture = Fixture::new().role("r", lambda_trust(), &[], &[]);
            for f in 0..=i {
                fixture = fixture.function(&format!("f{f}"), "r", |f| f.tracing_mode = None);
            }
            fixture.inventory.scan.started_at = now() - chrono::Duration::days(days);
            let analysis = crate::assess::analyze(&fixture.inventory, now());
            Snapshot::new(ScanReport { inventory: fixture.inventory, analysis }, MuteReport::default())
                .write(&dir.path().join(format!("s{i}.json")))
                .unwrap();
        }
        std::fs::write(dir.path().join("broken.json"), "{").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "ignored").unwrap();
        let h = history(dir.path(), None).unwrap();
        let findings: Vec<usize> = h.entries.iter().map(|e| e.findings).collect();
        assert_eq!(findings, [1, 3, 2], "oldest first");
        assert_eq!(h.skipped.len(), 1);
        assert!(h.skipped[0].contains("broken.json") && h.skipped[0].contains("truncated"));
        assert!(text(&h).lines().count() == 5);
        let table = markdown(&h);
        assert!(table.starts_with("| account | scanned | posture |"), "{table}");
        assert_eq!(table.lines().filter(|l| l.starts_with("| 123456789012 |")).count(), 3, "{table}");
        assert!(table.contains("- skipped: ") && table.contains("broken.json"), "{table}");
        assert!(history(dir.path(), Some("999999999999")).unwrap().entries.is_empty());
    }
}
