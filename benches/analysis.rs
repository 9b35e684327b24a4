//! Analysis of a synthetic inventory of 10,000 roles, 5,000 functions and 1,000 secrets (goal: under 1 s on 2
//! cores).
//!
//!     cargo bench --bench analysis

#[path = "common/synthetic.rs"]
mod synthetic;

use criterion::{Criterion, criterion_group, criterion_main};

fn analysis(c: &mut Criterion) {
    let inventory = synthetic::inventory(10_000, 5_000);
    let findings = stance::assess::analyze(&inventory, synthetic::now()).findings.len();
    eprintln!(
        "synthetic inventory: 10000 roles, 5000 functions, {} REST APIs, {} secrets → {findings} findings",
        inventory.apigateway.apis.len(),
        inventory.secretsmanager.secrets.len()
    );
    let mut group = c.benchmark_group("analysis");
    group.sample_size(10);
    group
        .bench_function("10k_roles_5k_functions", |b| b.iter(|| stance::assess::analyze(&inventory, synthetic::now())));
    group.finish();
}

criterion_group!(benches, analysis);
criterion_main!(benches);
