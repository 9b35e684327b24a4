//! Scan benchmark: the "large" emulated account (the demo account plus 500 functions, 800 roles, 100 REST
//! APIs, 50 secrets, 50 parameters and 25 keys) behind 40 ms of simulated latency per request. Reports wall time, requests sent against the
//! minimum the inventory needs, and stance's own CPU time and peak memory.
//!
//!     cargo bench --bench scan                     # needs the test venv: scripts/test.sh makes it
//!     STANCE_BENCH_LATENCY_MS=40 STANCE_BENCH_CONCURRENCY=16,32,64 cargo bench --bench scan
//!     STANCE_BENCH_ACCOUNT=huge STANCE_BENCH_LATENCY_MS=0 STANCE_BENCH_CONCURRENCY=16 cargo bench --bench scan
//!
//! `huge` is 10,000 functions and 10,000 roles (seeding it takes minutes): the bounded-memory check.
//!
//! Not a timed test: it prints figures (and a JSON line) for a person or a tracking job to read.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use stance::aws::{AwsOptions, load_config};
use stance::collect::{RegionSelection, ScanOptions, Scanner, minimum_requests};
use stance::inventory::Redactor;

fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields 14 and 15 (utime, stime) in clock ticks, after the parenthesised command name.
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or_default();
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0)
        + fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    ticks / 100.0
}

fn main() {
    // `cargo test` runs bench targets with --bench absent only when asked; stay quiet then.
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let latency: u64 = std::env::var("STANCE_BENCH_LATENCY_MS").ok().and_then(|v| v.parse().ok()).unwrap_or(40);
    let concurrencies: Vec<usize> = std::env::var("STANCE_BENCH_CONCURRENCY")
        .unwrap_or_else(|_| "16,32,64".into())
        .split(',')
        .filter_map(|v| v.trim().parse().ok())
        .collect();

    let account = std::env::var("STANCE_BENCH_ACCOUNT").unwrap_or_else(|_| "large".into());
    let seeding = Instant::now();
    let emulator = support::Emulator::start(&["--account", &account, "--latency-ms", &latency.to_string()]);
    eprintln!("seeded the {account} account in {:.0}s", seeding.elapsed().as_secs_f64());

    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    for concurrency in concurrencies {
        emulator.reset_stats();
        let emulator_cpu = emulator.stats()["cpu_s"].as_f64().unwrap_or_default();
        let options = AwsOptions {
            region: Some("us-east-1".into()),
            endpoint_url: Some(emulator.endpoint.clone()),
            max_attempts: 1,
            attempt_timeout: Duration::from_secs(60),
            call_timeout: Duration::from_secs(120),
            ..AwsOptions::default()
        };
        let inventory = runtime.block_on(async {
            let config = load_config(&options)
                .await
                .into_builder()
                .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                    "AKIABENCHMARK0000001",
                    "bench-secret",
                    None,
                    None,
                    "bench",
                )))
                .build();
            let scan_options = ScanOptions {
                regions: RegionSelection::Listed(vec!["us-east-1".into(), "eu-west-1".into()]),
                concurrency,
                as_of: None,
                time_limit: None,
            };
            let cpu = cpu_seconds();
            let started = Instant::now();
            let inventory = Scanner::new(config, scan_options, Redactor::from_key_material(b"bench"))
                .run()
                .await
                .expect("scan of the emulator");
            (inventory, started.elapsed(), cpu_seconds() - cpu)
        });
        let (inventory, wall, cpu) = inventory;
        let scan_rss = support::peak_rss_mib();
        let stats = emulator.stats();
        let emulator_cpu = stats["cpu_s"].as_f64().unwrap_or_default() - emulator_cpu;
        let sent = inventory.scan.requests.attempts;
        let minimum = minimum_requests(&inventory, 2);
        let resources = inventory.lambda.functions.len()
            + inventory.iam.roles.len()
            + inventory.apigateway.apis.len()
            + inventory.secretsmanager.secrets.len()
            + inventory.ssm.parameters.len()
            + inventory.kms.keys.len();
        let floor = Duration::from_millis(latency) * (sent as u32) / (concurrency as u32);
        println!(
            "concurrency {concurrency:>3}: wall {:.2}s (latency floor sent×{latency}ms÷concurrency = {:.2}s), stance CPU {cpu:.2}s, emulator CPU {emulator_cpu:.2}s, \
             requests {sent} (minimum {minimum}, ratio {:.2}), {:.2} requests per function, role, API, secret, parameter and key, peak RSS {:.0} MiB, gaps {}",
            wall.as_secs_f64(),
            floor.as_secs_f64(),
            sent as f64 / minimum as f64,
            sent as f64 / resources as f64,
            scan_rss,
            inventory.coverage.len(),
        );
        // The rest of `stance scan --out`: analysis, scoring, the snapshot's bytes.
        let analysed = Instant::now();
        let snapshot = stance::snapshot::Snapshot::assemble(inventory.clone(), &Default::default());
        let bytes = snapshot.to_bytes(true).map(|b| b.len()).unwrap_or_default();
        println!(
            "  then analysis + snapshot: {:.2}s, {} findings, {:.1} MiB .json.zst, peak RSS {:.0} MiB",
            analysed.elapsed().as_secs_f64(),
            snapshot.analysis.findings.len(),
            bytes as f64 / 1_048_576.0,
            support::peak_rss_mib()
        );
        println!(
            "{}",
            serde_json::json!({
                "bench": "scan", "latency_ms": latency, "concurrency": concurrency, "wall_s": wall.as_secs_f64(),
                "cpu_s": cpu, "requests": sent, "minimum_requests": minimum, "functions": inventory.lambda.functions.len(),
                "roles": inventory.iam.roles.len(), "rest_apis": inventory.apigateway.apis.len(),
                "secrets": inventory.secretsmanager.secrets.len(), "parameters": inventory.ssm.parameters.len(),
                "keys": inventory.kms.keys.len(),
                "emulator_cpu_s": emulator_cpu, "emulator_max_in_flight": stats["max_in_flight"],
                "peak_rss_mib_scan": scan_rss, "peak_rss_mib_snapshot": support::peak_rss_mib(),
            })
        );
    }
}
