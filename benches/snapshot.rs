//! Snapshot files at scale: write, read and diff two snapshots of 100,000 findings each (goal: diff < 1 s),
//! then the process's peak memory.
//!
//!     cargo bench --bench snapshot

#[path = "common/synthetic.rs"]
mod synthetic;

use std::collections::BTreeMap;

use criterion::Criterion;
use serde_json::json;
use stance::ScanReport;
use stance::analyze::Analysis;
use stance::mutes::MuteReport;
use stance::rules::{Category, Evidence, Finding, RULES, fingerprint};
use stance::score::Factor;
use stance::snapshot::Snapshot;

const FINDINGS: usize = 100_000;

fn finding(i: usize, generation: u8) -> Finding {
    let rule = RULES[i % RULES.len()];
    let resource = format!("arn:aws:lambda:us-east-1:{}:function:f{:06}", synthetic::ACCOUNT, i / RULES.len());
    let discriminator = format!("d{i}");
    let mut details = BTreeMap::new();
    details.insert("age_days".to_owned(), json!(i % 400));
    Finding {
        rule_id: rule.meta.id.to_owned(),
        category: rule.meta.category,
        severity: rule.meta.severity,
        // 5% of the findings changed score in the second snapshot.
        score: ((i * 7) % 95) as u8 + u8::from(generation == 1 && i.is_multiple_of(20)),
        factors: vec![Factor {
            name: "severity".into(),
            value: rule.meta.severity.as_str().into(),
            multiplier: 50.0,
            reason: "base points of the severity".into(),
        }],
        fingerprint: fingerprint(rule.meta.id, &resource, &discriminator),
        resource_arn: resource,
        region: "us-east-1".into(),
        title: format!("{} on f{i}", rule.meta.title),
        evidence: Evidence {
            summary: format!("statement #{} allows something it should not", i % 5),
            location: Some(format!("inline policy `p{i}` of role r{i}, statement #0")),
            statement: Some(
                json!({"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": format!("arn:aws:s3:::bucket-{i}/*")}),
            ),
            details,
        },
        remediation: rule.meta.remediation.to_owned(),
        references: rule.meta.references.iter().map(|r| (*r).to_owned()).collect(),
        path: if rule.meta.category == Category::AttackPathPublicApiToPrivilegedLambda {
            vec!["a".into(), "b".into()]
        } else {
            Vec::new()
        },
        muted: None,
    }
}

/// Two snapshots of the same account a week apart: 2% of the findings resolved, 2% new, 5% rescored.
fn snapshots() -> (Snapshot, Snapshot) {
    let inventory = synthetic::inventory(2_000, 1_000);
    let make = |generation: u8| {
        let range = if generation == 0 { 0..FINDINGS } else { FINDINGS / 50..FINDINGS + FINDINGS / 50 };
        let findings: Vec<Finding> = range.map(|i| finding(i, generation)).collect();
        let posture = stance::score::posture(&findings);
        let analysis = Analysis { findings, posture, policy_problems: Vec::new(), catalogue_source: "bench".into() };
        Snapshot::new(ScanReport { inventory: inventory.clone(), analysis }, MuteReport::default())
    };
    (make(0), make(1))
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

fn main() {
    let (old, new) = snapshots();
    let dir = tempfile::tempdir().expect("temp dir");
    let (plain, compressed) = (dir.path().join("old.json"), dir.path().join("old.json.zst"));
    old.write(&plain).expect("write");
    old.write(&compressed).expect("write");
    new.write(&dir.path().join("new.json.zst")).expect("write");
    let size = |p: &std::path::Path| std::fs::metadata(p).map(|m| m.len() as f64 / 1_048_576.0).unwrap_or(0.0);
    eprintln!(
        "snapshot of {FINDINGS} findings: {:.1} MiB as .json, {:.1} MiB as .json.zst",
        size(&plain),
        size(&compressed)
    );
    let d = stance::diff::diff(&old, &new);
    eprintln!(
        "diff: {} new, {} resolved, {} changed, {} unchanged",
        d.new_findings.len(),
        d.resolved_findings.len(),
        d.changed_findings.len(),
        d.unchanged
    );

    let mut c = Criterion::default().sample_size(10).configure_from_args();
    let mut group = c.benchmark_group("snapshot_100k_findings");
    group.bench_function("write_json", |b| b.iter(|| old.write(&plain).expect("write")));
    group.bench_function("write_json_zst", |b| b.iter(|| old.write(&compressed).expect("write")));
    group.bench_function("read_json", |b| b.iter(|| Snapshot::read(&plain).expect("read")));
    group.bench_function("read_json_zst", |b| b.iter(|| Snapshot::read(&compressed).expect("read")));
    group.bench_function("diff", |b| b.iter(|| stance::diff::diff(&old, &new)));
    group.finish();
    c.final_summary();
    eprintln!("peak RSS: {:.0} MiB", peak_rss_mib());
}
