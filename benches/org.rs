//! Organization benchmark: an emulated organization of N member accounts (20 by default), each the same
//! small estate (functions, roles, a REST API, a topic, a queue), behind 40 ms of simulated latency per
//! request. It scans each account alone to find the slowest single account, then the whole organization at
//! `--account-concurrency` 4, and checks the organization's wall time against
//! 1.5 × slowest × accounts ÷ account concurrency. Reports the figures and the process's peak RSS.
//!
//!     cargo bench --bench org                      # needs the test venv: scripts/test.sh makes it
//!     STANCE_BENCH_ACCOUNTS=20 STANCE_BENCH_LATENCY_MS=40 STANCE_BENCH_ACCOUNT_CONCURRENCY=4 cargo bench --bench org
//!
//! Not a timed test: it prints figures (and a JSON line), and exits 1 when the bound is not met.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::Instant;

use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use stance::aws::{AwsOptions, load_config};
use stance::collect::org::{DEFAULT_MEMBER_ROLE, OrgScanOptions, OrgScanner};
use stance::collect::{RegionSelection, ScanOptions};
use stance::inventory::Redactor;

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let accounts = env_number("STANCE_BENCH_ACCOUNTS", 20);
    let latency = env_number("STANCE_BENCH_LATENCY_MS", 40);
    let account_concurrency = env_number("STANCE_BENCH_ACCOUNT_CONCURRENCY", 4);
    let seeding = Instant::now();
    let emulator = support::Emulator::start(&[
        "--account",
        "org-bench",
        "--org-accounts",
        &accounts.to_string(),
        "--latency-ms",
        &latency.to_string(),
    ]);
    eprintln!("seeded an organization of {accounts} member account(s) in {:.0}s", seeding.elapsed().as_secs_f64());

    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let config = runtime.block_on(async {
        let mut config = load_config(&AwsOptions {
            region: Some("us-east-1".into()),
            endpoint_url: Some(emulator.endpoint.clone()),
            max_attempts: 3,
            ..AwsOptions::default()
        })
        .await;
        let credentials = Credentials::new("AKIABENCHORG0001", "bench", None, None, "bench");
        config = config.into_builder().credentials_provider(SharedCredentialsProvider::new(credentials)).build();
        config
    });
    let options = |only: Vec<String>, concurrency: usize| OrgScanOptions {
        member_role: DEFAULT_MEMBER_ROLE.into(),
        external_id: None,
        accounts: only,
        exclude: Vec::new(),
        account_concurrency: concurrency,
        shard: None,
        scan: ScanOptions {
            regions: RegionSelection::Listed(vec!["us-east-1".into()]),
            concurrency: 16,
            as_of: None,
            time_limit: None,
        },
    };
    let scan = |only: Vec<String>, concurrency: usize| {
        let scanner =
            OrgScanner::new(config.clone(), options(only, concurrency), Redactor::from_key_material(b"bench"));
        let started = Instant::now();
        let scan = runtime.block_on(scanner.run()).expect("organization scan");
        (started.elapsed().as_secs_f64(), scan)
    };

    // Each member alone (the organization's own reads and one AssumeRole included, as in the full run).
    let members: Vec<String> = (1..=accounts).map(|i| format!("3{i:011}")).collect();
    let mut alone = Vec::new();
    for member in &members {
        let (seconds, scan) = scan(vec![member.clone()], 1);
        assert_eq!(scan.inventories.len(), 1, "{member} scanned");
        alone.push(seconds);
    }
    let slowest = alone.iter().copied().fold(0.0, f64::max);
    let mean = alone.iter().sum::<f64>() / alone.len() as f64;

    emulator.reset_stats();
    let (wall, whole) = scan(Vec::new(), account_concurrency);
    let analysis = Instant::now();
    let snapshots = stance::org::assess_all(whole.inventories, &stance::config::Config::default());
    let analysis_s = analysis.elapsed().as_secs_f64();
    let stats = emulator.stats();
    let scanned = snapshots.len();
    let bound = 1.5 * slowest * scanned as f64 / account_concurrency as f64;
    let met = wall <= bound;
    eprintln!("single accounts: slowest {slowest:.2}s, mean {mean:.2}s ({} accounts alone)", alone.len());
    eprintln!(
        "organization: {scanned} account(s) at account concurrency {account_concurrency}: {wall:.2}s; bound 1.5 × {slowest:.2} × {scanned} ÷ {account_concurrency} = {bound:.2}s: {}",
        if met { "met" } else { "NOT met" }
    );
    eprintln!(
        "emulator: {} requests, max in flight {}, emulator CPU {}s; analysis of every account {analysis_s:.2}s; peak RSS {:.0} MiB",
        stats["requests"],
        stats["max_in_flight"],
        stats["cpu_s"],
        support::peak_rss_mib()
    );
    println!(
        "{}",
        serde_json::json!({
            "accounts": scanned, "latency_ms": latency, "account_concurrency": account_concurrency,
            "slowest_single_s": slowest, "mean_single_s": mean, "org_wall_s": wall, "bound_s": bound, "met": met,
            "requests": stats["requests"], "emulator_cpu_s": stats["cpu_s"], "analysis_s": analysis_s,
            "peak_rss_mib": support::peak_rss_mib(),
        })
    );
    if !met {
        std::process::exit(1);
    }
}
