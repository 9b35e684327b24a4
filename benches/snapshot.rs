//! Snapshot files at scale: write, read and diff two snapshots of 100,000 findings each (goal: diff < 1 s),
//! then the process's peak memory.
//!
//!     cargo bench --bench snapshot

#[path = "common/synthetic.rs"]
mod synthetic;

use criterion::Criterion;
use stance::snapshot::Snapshot;

const FINDINGS: usize = synthetic::FINDINGS;

fn main() {
    let (old, new) = synthetic::snapshots();
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
    eprintln!("peak RSS: {:.0} MiB", synthetic::peak_rss_mib());
}
