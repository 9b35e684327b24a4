//! The entry points of the fuzz targets (`fuzz/`) and of their regression test (`tests/hostile_input.rs`),
//! in one place so both exercise the same code: each takes arbitrary bytes as one of the files or documents
//! stance reads from outside, and must return (with a value or an error), never panic.

use std::sync::OnceLock;

use crate::analyze::policy::{Expander, Permissions, Policy, PolicySource, admissions, catalogue, principals};
use crate::inventory::PolicyDocument;
use crate::rules::Finding;

/// A policy document as AWS hands it over: decoding, parsing, and the permission engine over it.
pub fn policy_document(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let document = PolicyDocument::parse(text);
    let policy = Policy::from_document(&document);
    let c = catalogue();
    let mut expander = Expander::new(c);
    let mut permissions = Permissions::new(c);
    let source = PolicySource {
        kind: "inline",
        name: "fuzz".into(),
        arn: None,
        attached_to: "arn:aws:iam::123456789012:role/fuzz".into(),
    };
    permissions.add_policy(&mut expander, source, &policy);
    let _ = permissions.unconstrained(c);
    let _ = admissions(&policy, &["sts:AssumeRole", "lambda:InvokeFunction"], principals::PUBLIC_RESTRICTING_KEYS);
    for statement in &policy.statements {
        let _ = statement.resources.is_all();
        let _ = statement.label();
    }
}

/// A snapshot file; what the reader accepts goes through everything `diff`, `export` and `open` do.
pub fn snapshot_file(data: &[u8]) {
    use crate::export::{Format, export};
    let Ok(snapshot) = crate::snapshot::Snapshot::from_slice(data, "fuzz.json") else { return };
    let diff = crate::diff::diff(&snapshot, &snapshot);
    let _ = crate::diff::text(&diff);
    let _ = crate::diff::markdown(&diff);
    for format in [Format::Ocsf, Format::Sarif, Format::Markdown, Format::Csv] {
        let _ = export(&snapshot, format);
    }
    let _ = crate::tui::App::new(snapshot, Some(diff));
}

/// A policy file (`stance.toml`: mutes and `[policy]`); the mutes it accepts are applied to real findings
/// (an attack path, an IAM and a Lambda finding of the demo account).
pub fn mutes_file(data: &[u8]) {
    static FINDINGS: OnceLock<Vec<Finding>> = OnceLock::new();
    let findings = FINDINGS
        .get_or_init(|| serde_json::from_str(include_str!("../fuzz/fixtures/findings.json")).unwrap_or_default());
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(config) = crate::config::parse(text, "stance.toml") else { return };
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 29).unwrap_or_default();
    let mut findings = findings.clone();
    let _ = crate::mutes::apply(&config.mutes, &mut findings, today, None);
}

/// The IAM credential report's CSV.
pub fn credential_report(data: &[u8]) {
    let _ = crate::inventory::credential_report::parse(data);
}

/// One entry point: arbitrary bytes in, nothing out.
pub type Entry = fn(&[u8]);

/// The entry points by fuzz target name.
pub const TARGETS: &[(&str, Entry)] = &[
    ("policy_parser", policy_document),
    ("snapshot_reader", snapshot_file),
    ("mutes_file", mutes_file),
    ("credential_report", credential_report),
];
