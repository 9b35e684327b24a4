//! Exports of a snapshot for other tools: OCSF Detection Findings (what Security Hub and Prowler speak),
//! SARIF 2.1.0 (GitHub code scanning), Markdown and CSV.

pub mod compliance;
pub mod console;
pub mod csv_format;
pub mod markdown;
mod ocsf;
mod sarif;

use crate::snapshot::Snapshot;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Ocsf,
    Sarif,
    Markdown,
    Csv,
}

pub fn export(snapshot: &Snapshot, format: Format) -> Result<Vec<u8>, String> {
    match format {
        Format::Ocsf => serde_json::to_vec_pretty(&ocsf::findings(snapshot)).map_err(|e| e.to_string()),
        Format::Sarif => serde_json::to_vec_pretty(&sarif::log(snapshot)).map_err(|e| e.to_string()),
        Format::Markdown => Ok(markdown::report(snapshot).into_bytes()),
        Format::Csv => csv_format::table(snapshot),
    }
}

/// The export of several accounts' snapshots (an organization scan) as one file: OCSF events of every
/// account in one array, one SARIF run per account, the Markdown reports one after another, and one CSV
/// table with the account as its first column.
pub fn export_all(snapshots: &[Snapshot], format: Format) -> Result<Vec<u8>, String> {
    match format {
        Format::Ocsf => {
            let events: Vec<serde_json::Value> = snapshots.iter().flat_map(ocsf::findings).collect();
            serde_json::to_vec_pretty(&events).map_err(|e| e.to_string())
        }
        Format::Sarif => {
            let mut logs = snapshots.iter().map(sarif::log);
            let Some(mut combined) = logs.next() else { return Err("no snapshot to export".into()) };
            for log in logs {
                if let (Some(runs), Some(more)) = (combined["runs"].as_array_mut(), log["runs"].as_array()) {
                    runs.extend(more.iter().cloned());
                }
            }
            serde_json::to_vec_pretty(&combined).map_err(|e| e.to_string())
        }
        Format::Markdown => Ok(snapshots.iter().map(markdown::report).collect::<Vec<_>>().join("\n").into_bytes()),
        Format::Csv => {
            let mut writer = csv::Writer::from_writer(Vec::new());
            let mut header_written = false;
            for snapshot in snapshots {
                let table = csv_format::table(snapshot)?;
                let mut reader = csv::Reader::from_reader(table.as_slice());
                if !header_written {
                    let header = reader.headers().map_err(|e| e.to_string())?.clone();
                    writer.write_record(std::iter::once("account").chain(header.iter())).map_err(|e| e.to_string())?;
                    header_written = true;
                }
                let account = snapshot.inventory.account.account_id.as_str();
                for record in reader.records() {
                    let record = record.map_err(|e| e.to_string())?;
                    writer.write_record(std::iter::once(account).chain(record.iter())).map_err(|e| e.to_string())?;
                }
            }
            writer.into_inner().map_err(|e| e.to_string())
        }
    }
}

/// Text made safe for a Markdown table cell (shared by the export and the `stance diff` comment).
pub fn markdown_cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The kind of resource an ARN names (`lambda:function`, `iam:role`, `apigateway:/restapis`), for exports.
pub fn resource_kind(arn: &str) -> String {
    let mut parts = arn.splitn(6, ':');
    let service = parts.nth(2).unwrap_or_default();
    let resource = arn.splitn(6, ':').nth(5).unwrap_or_default();
    // SNS and SQS ARNs end with the resource's bare name: the kind is implied (a subscription adds an id).
    let kind = match service {
        "sns" if resource.contains(':') => "subscription",
        "sns" => "topic",
        "sqs" => "queue",
        _ => resource.trim_start_matches('/').split(['/', ':']).next().unwrap_or_default(),
    };
    format!("{service}:{kind}")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::ScanReport;
    use crate::mutes::{MuteReport, Muted};
    use crate::rules::fixture::*;

    pub fn sample() -> Snapshot {
        let fixture = Fixture::new()
            .managed_policy(
                "arn:aws:iam::aws:policy/AdministratorAccess",
                allow(serde_json::json!("*"), serde_json::json!("*")),
            )
            .role("admin", lambda_trust(), &[], &["arn:aws:iam::aws:policy/AdministratorAccess"])
            .function("pay", "admin", |f| f.tracing_mode = None)
            .http_api("shop", "HTTP", &[("GET /status", "NONE", false, Some("pay"))], false);
        let mut analysis = crate::assess::analyze(&fixture.inventory, now());
        analysis.findings[1].muted =
            Some(Muted { reason: "accepted | for now".into(), expires: None, source: "stance.toml:2".into() });
        Snapshot::new(ScanReport { inventory: fixture.inventory, analysis }, MuteReport::default())
    }

    #[test]
    fn kinds() {
        assert_eq!(resource_kind("arn:aws:lambda:us-east-1:1:function:f"), "lambda:function");
        assert_eq!(resource_kind("arn:aws:iam::1:role/x"), "iam:role");
        assert_eq!(resource_kind("arn:aws:apigateway:us-east-1::/apis/a/routes/r"), "apigateway:apis");
        assert_eq!(resource_kind("arn:aws:sns:us-east-1:1:orders-events"), "sns:topic", "not the topic's name");
        assert_eq!(resource_kind("arn:aws:sns:us-east-1:1:orders-events:5f1c"), "sns:subscription");
        assert_eq!(resource_kind("arn:aws:sqs:us-east-1:1:audit-drop"), "sqs:queue");
        assert_eq!(resource_kind("arn:aws:events:us-east-1:1:event-bus/default"), "events:event-bus");
    }

    #[test]
    fn every_format_renders_every_finding() {
        let snapshot = sample();
        let n = snapshot.analysis.findings.len();
        let ocsf: serde_json::Value = serde_json::from_slice(&export(&snapshot, Format::Ocsf).unwrap()).unwrap();
        assert_eq!(ocsf.as_array().unwrap().len(), n);
        let sarif: serde_json::Value = serde_json::from_slice(&export(&snapshot, Format::Sarif).unwrap()).unwrap();
        assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), n);
        let csv = String::from_utf8(export(&snapshot, Format::Csv).unwrap()).unwrap();
        assert_eq!(csv.lines().count(), n + 1);
        let md = String::from_utf8(export(&snapshot, Format::Markdown).unwrap()).unwrap();
        assert!(md.contains(&snapshot.analysis.findings[0].title));
        assert!(md.contains("accepted \\| for now"), "pipes are escaped in tables");
        let scanned = snapshot.inventory.scan.started_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        assert!(md.contains(&format!("Scanned {scanned} (")), "whole seconds, not nanoseconds: {md}");
    }
}
