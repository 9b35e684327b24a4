mod cli;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use stance::aws::cassette::{Recorder, recording_client};
use stance::aws::{AwsOptions, load_config};
use stance::collect::{RegionSelection, ScanEvent, ScanOptions, Scanner};
use stance::inventory::{Inventory, Redactor, RegionStatus};

use cli::{Cli, Command, ComplianceFormat, DiffFormat, ExportFormat, ListFormat, ScanArgs};
use stance::rules::{RULES, find_rule};
use stance::snapshot::Snapshot;

/// Exit statuses (documented in `stance scan --help` and the README).
const EXIT_FAILED: u8 = 1;
const EXIT_PARTIAL: u8 = 3;
const EXIT_FINDINGS: u8 = 4;
const EXIT_BAD_INPUT: u8 = 5;

/// An input file that cannot be read: one line, its own exit status.
#[derive(Debug)]
struct BadInput(String);

impl std::fmt::Display for BadInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadInput {}

fn read_snapshot(path: &std::path::Path) -> Result<Snapshot> {
    Snapshot::read(path).map_err(|e| BadInput(e.to_string()).into())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::from(EXIT_FAILED);
        }
    };
    let result = match cli.command {
        None => tui(cli.scan, &runtime),
        Some(Command::Tui(args)) => tui(args, &runtime),
        Some(Command::Scan(args)) => runtime.block_on(scan(args)),
        Some(Command::Diff { old, new, format, fail_on_new }) => diff(&old, &new, format, fail_on_new),
        Some(Command::Export { snapshot, format, out }) => export(&snapshot, format, out.as_deref()),
        Some(Command::Compliance { snapshot, framework, format, fail_under, fail_on_control }) => {
            compliance(&snapshot, &framework, format, fail_under, &fail_on_control)
        }
        Some(Command::History { dir, account, format }) => history(&dir, account.as_deref(), format),
        Some(Command::Open { snapshot, new, history }) => open(&snapshot, new.as_deref(), history.as_deref()),
        Some(Command::Demo { org: true, out, mutes, .. }) => demo_org(out, mutes, &runtime),
        Some(Command::Demo { compare, month_later, out, mutes, .. }) => {
            demo(compare, month_later, out, mutes, &runtime)
        }
        Some(Command::Policy { org, member_role }) => {
            let policy = if org {
                stance::collect::operations::org_policies(&member_role)
            } else {
                stance::collect::operations::least_privilege_policy()
            };
            println!("{}", serde_json::to_string_pretty(&policy).unwrap_or_default());
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::MergeIndex { dir, mutes }) => merge_index(&dir, mutes.as_deref()),
        Some(Command::Rules { views: true, .. }) => {
            print!("{}", stance::rules::view::markdown());
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Rules { format, .. }) => list_rules(format),
        Some(Command::Explain { rule_id }) => explain(&rule_id),
    };
    match result {
        Ok(code) => code,
        Err(error) if error.downcast_ref::<BadInput>().is_some() => {
            eprintln!("error: {error}");
            ExitCode::from(EXIT_BAD_INPUT)
        }
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(EXIT_FAILED)
        }
    }
}

fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn,aws_config=error"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(stance::log_redaction::RedactingStderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

/// The key of the redaction hashes: `STANCE_REDACTION_KEY`, else a random key kept in the user's config
/// directory (created on first use, mode 0600), so that scans on one machine hash alike and nobody
/// without the key can test guesses against a snapshot's hashes.
fn redactor() -> Result<Redactor> {
    if let Ok(material) = std::env::var("STANCE_REDACTION_KEY") {
        return Ok(Redactor::from_key_material(material.as_bytes()));
    }
    let dir = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))
        .map(|config| config.join("stance"));
    let Some(dir) = dir else {
        tracing::warn!("no HOME or XDG_CONFIG_HOME: value hashes use a one-off key and will differ between scans");
        return Ok(Redactor::from_key_material(&random_key()?));
    };
    let path = dir.join("redaction.key");
    match std::fs::read(&path) {
        Ok(key) if key.len() >= 32 => Ok(Redactor::from_key_material(&key)),
        Ok(_) => {
            anyhow::bail!("{}: redaction key is shorter than 32 bytes; delete it to make a new one", path.display())
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let key = random_key()?;
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            stance::fsutil::write_private_atomic(&path, &key).with_context(|| format!("writing {}", path.display()))?;
            Ok(Redactor::from_key_material(&key))
        }
        Err(error) => Err(error).with_context(|| format!("reading redaction key {}", path.display())),
    }
}

fn random_key() -> Result<[u8; 32]> {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|e| anyhow::anyhow!("no randomness for a redaction key: {e}"))?;
    Ok(key)
}

/// Where the TUI writes mutes: the file they were read from, else `stance.toml` here.
fn mutes_path(file: Option<&str>) -> PathBuf {
    PathBuf::from(file.unwrap_or("stance.toml"))
}

/// The policy file (mutes and policy) to apply: `--mutes FILE`, else `stance.toml` here if it exists.
/// ... and the custom rules of `--rules DIR`.
fn load_policy_file(
    explicit: Option<&std::path::Path>,
    rules: Option<&std::path::Path>,
) -> Result<stance::config::Config> {
    let path = match explicit {
        Some(path) => Some(path.to_owned()),
        None if std::path::Path::new("stance.toml").is_file() => Some(PathBuf::from("stance.toml")),
        None => None,
    };
    let mut config = match path {
        Some(path) => stance::config::load(&path).map_err(|e| BadInput(e.to_string()))?,
        None => stance::config::Config::default(),
    };
    if let Some(dir) = rules {
        stance::config::load_rules_dir(dir, &mut config).map_err(|e| BadInput(e.to_string()))?;
    }
    Ok(config)
}

/// The SDK configuration and scan options of `stance scan` and the TUI: credentials, regions, concurrency;
/// with `--record`, the recorder of the AWS conversation.
async fn scan_setup(args: &ScanArgs) -> Result<(aws_config::SdkConfig, ScanOptions, Option<Arc<Recorder>>)> {
    let recorder = args.record.as_ref().map(|_| Arc::new(Recorder::default()));
    let options = AwsOptions {
        profile: args.aws.profile.clone(),
        region: args.regions.first().cloned(),
        endpoint_url: args.aws.endpoint_url.clone(),
        role_arn: args.aws.role_arn.clone(),
        external_id: args.aws.external_id.clone(),
        max_attempts: args.aws.max_attempts,
        attempt_timeout: Duration::from_secs(args.aws.attempt_timeout.max(1)),
        call_timeout: Duration::from_secs(args.aws.call_timeout.max(1)),
        http_client: recorder.as_ref().map(|r| recording_client(stance::aws::https_client(), r.clone())),
    };
    // A typo in the profile or the region is one line before any call, not the credential chain's last error.
    if let Some(profile) = &args.aws.profile {
        stance::aws::check_profile(profile).await.map_err(anyhow::Error::msg)?;
    }
    let config = load_config(&options).await;
    if let Some(region) = config.region() {
        stance::aws::check_region_name(region.as_ref())
            .map_err(|e| anyhow::anyhow!("region `{region}` (from AWS_REGION or the profile): {e}"))?;
    }
    let regions = if args.all_regions {
        RegionSelection::AllStandard
    } else if args.regions.is_empty() {
        RegionSelection::Listed(vec![
            config.region().map(|r| r.to_string()).unwrap_or_else(|| stance::aws::DEFAULT_REGION.into()),
        ])
    } else {
        RegionSelection::Listed(args.regions.clone())
    };
    let scan = ScanOptions {
        regions,
        concurrency: usize::from(args.concurrency),
        as_of: args.as_of,
        time_limit: args.aws.scan_timeout.map(Duration::from_secs),
    };
    Ok((config, scan, recorder))
}

/// The scanner `stance scan` and the TUI run, and with `--record` the recorder of its AWS conversation.
async fn build_scanner(args: &ScanArgs) -> Result<(Scanner, Option<Arc<Recorder>>)> {
    let (config, options, recorder) = scan_setup(args).await?;
    Ok((Scanner::new(config, options, redactor()?), recorder))
}

/// `stance scan --org --out-dir DIR`: every selected account of the organization, one snapshot each, the
/// cross-account analysis over all of them, and the index.
async fn org_scan(args: ScanArgs, config: stance::config::Config) -> Result<ExitCode> {
    use stance::collect::org::{OrgEvent, OrgScanOptions, OrgScanner};
    let Some(out_dir) = args.out_dir.clone() else { anyhow::bail!("--org needs --out-dir DIR") };
    let shard = args
        .shard
        .as_deref()
        .map(|text| stance::org::Shard::parse(text, |name| std::env::var(name).ok()))
        .transpose()
        .map_err(|e| anyhow::anyhow!("--shard {e}"))?;
    let (base, scan_options, recorder) = scan_setup(&args).await?;
    let options = OrgScanOptions {
        member_role: args.member_role.clone(),
        external_id: args.member_external_id.clone(),
        accounts: args.accounts.clone(),
        exclude: args.exclude_accounts.clone(),
        account_concurrency: usize::from(args.account_concurrency),
        shard,
        scan: scan_options,
    };
    let (events, mut receiver) = tokio::sync::mpsc::unbounded_channel();
    let mut scanner = OrgScanner::new(base, options, redactor()?).with_events(events);
    // With --record: a cassette of each account's conversation beside the organization's.
    let account_recorders: Arc<std::sync::Mutex<std::collections::BTreeMap<String, Arc<Recorder>>>> = Arc::default();
    if recorder.is_some() {
        let recorders = account_recorders.clone();
        scanner = scanner.with_http_for(Arc::new(move |account: &str| {
            let recorder = Arc::new(Recorder::default());
            if let Ok(mut all) = recorders.lock() {
                all.insert(account.to_owned(), recorder.clone());
            }
            Some(recording_client(stance::aws::https_client(), recorder))
        }));
    }
    let progress = tokio::spawn(async move {
        while let Some(event) = receiver.recv().await {
            match event {
                OrgEvent::Organization { id, accounts, selected } => {
                    eprintln!("Organization {id}: {accounts} active account(s), scanning {selected}")
                }
                OrgEvent::AccountStarted { account, name } => eprintln!("  {account} {name}: scanning"),
                OrgEvent::AccountScanned { account, resources, gaps, seconds } => {
                    eprintln!("  {account}: {resources} resource(s), {gaps} gap(s) in {seconds:.1}s")
                }
                OrgEvent::AccountUnassumable { account, error } => eprintln!("  {account}: not scanned: {error}"),
            }
        }
    });
    let result = scanner.run().await;
    drop(scanner);
    let _ = progress.await;
    let scan = result.context("organization scan failed")?;
    if let (Some(recorder), Some(path)) = (recorder, &args.record) {
        let when = scan.inventories.first().map(|i| (i.scan.started_at, i.scan.as_of));
        let (started_at, as_of) = when.unwrap_or_else(|| (chrono::Utc::now(), chrono::Utc::now()));
        let regions: Vec<String> = match scan.inventories.first() {
            Some(inventory) => inventory
                .scan
                .regions
                .iter()
                .filter(|r| matches!(r, RegionStatus::Scanned { .. }))
                .map(|r| r.region().to_owned())
                .collect(),
            None => Vec::new(),
        };
        let accounts = account_recorders.lock().map(|all| all.clone()).unwrap_or_default();
        let org_cassette = stance::aws::cassette::OrgCassette {
            organization: recorder.cassette(started_at, as_of, regions.clone()),
            accounts: accounts
                .into_iter()
                .map(|(account, recorder)| (account, recorder.cassette(started_at, as_of, regions.clone())))
                .collect(),
        };
        let json = org_cassette.to_json();
        let bytes =
            if path.extension().is_some_and(|e| e == "zst") { zstd::encode_all(json.as_slice(), 19)? } else { json };
        stance::fsutil::write_private_atomic(path, &bytes).with_context(|| format!("writing {}", path.display()))?;
        eprintln!("Recorded the organization and {} account(s) to {}", org_cassette.accounts.len(), path.display());
    }
    finish_org_scan(&out_dir, scan, &config, args.fail_on)
}

/// Analyzes an organization scan, writes its directory and says how it went.
fn finish_org_scan(
    out_dir: &std::path::Path,
    scan: stance::collect::org::OrgScan,
    config: &stance::config::Config,
    fail_on: Option<stance::rules::Severity>,
) -> Result<ExitCode> {
    let snapshots = stance::org::assess_all(scan.inventories, config);
    let index = stance::org::write_dir(out_dir, &scan.organization, &snapshots, &scan.unassumable)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    print_org_index(&index);
    eprintln!("Wrote {} snapshot(s) and {} to {}", snapshots.len(), stance::snapshot::ORG_INDEX, out_dir.display());
    if let Some(threshold) = fail_on {
        let failing: usize = snapshots
            .iter()
            .map(|s| s.analysis.findings.iter().filter(|f| f.severity >= threshold && f.muted.is_none()).count())
            .sum();
        if failing > 0 {
            eprintln!(
                "{failing} finding(s) at or above {threshold} across the organization: failing (--fail-on {threshold})"
            );
            return Ok(ExitCode::from(EXIT_FINDINGS));
        }
    }
    Ok(if index.is_complete() { ExitCode::SUCCESS } else { ExitCode::from(EXIT_PARTIAL) })
}

fn print_org_index(index: &stance::org::OrgIndex) {
    use stance::rules::Severity;
    eprintln!("Organization {} (management account {}):", index.organization, index.management_account);
    eprintln!(
        "  {:<12} {:<20} {:>7} {:>4} {:>4} {:>5} {:>5}  OU",
        "ACCOUNT", "NAME", "POSTURE", "CRIT", "HIGH", "GAPS", "XACCT"
    );
    for entry in &index.accounts {
        match &entry.error {
            Some(error) => eprintln!("  {:<12} {:<20} not scanned: {error}", entry.account, entry.name),
            None => eprintln!(
                "  {:<12} {:<20} {:>7} {:>4} {:>4} {:>5} {:>5}  {}",
                entry.account,
                entry.name,
                entry.posture.map(|p| format!("{p}/100")).unwrap_or_default(),
                entry.count(Severity::Critical),
                entry.count(Severity::High),
                entry.coverage_gaps,
                entry.cross_account_paths,
                entry.ou_path
            ),
        }
    }
    for record in &index.coverage {
        eprintln!("  organization gap: {record}");
    }
}

fn merge_index(dir: &std::path::Path, policy: Option<&std::path::Path>) -> Result<ExitCode> {
    let config = load_policy_file(policy, None)?;
    let index = stance::org::merge_index(dir, &config).map_err(|e| BadInput(e.to_string()))?;
    print_org_index(&index);
    eprintln!("Wrote {}", dir.join(stance::snapshot::ORG_INDEX).display());
    Ok(if index.is_complete() { ExitCode::SUCCESS } else { ExitCode::from(EXIT_PARTIAL) })
}

async fn scan(args: ScanArgs) -> Result<ExitCode> {
    // A bad policy file is refused before any AWS call.
    let config = load_policy_file(args.mutes.as_deref(), args.rules.as_deref())?;
    if args.org {
        return org_scan(args, config).await;
    }
    let (scanner, recorder) = build_scanner(&args).await?;

    let (events, mut receiver) = tokio::sync::mpsc::unbounded_channel();
    let scanner = scanner.with_events(events);
    let progress = tokio::spawn(async move {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        // Without a terminal the bar is hidden, and so would be its println: lines go straight to stderr then.
        let say = |line: String| if bar.is_hidden() { eprintln!("{line}") } else { bar.println(line) };
        let mut gaps = 0usize;
        while let Some(event) = receiver.recv().await {
            match event {
                ScanEvent::Identity(identity) => say(format!(
                    "Scanning account {} ({}) as {}",
                    identity.account_id, identity.partition, identity.caller_arn
                )),
                ScanEvent::Planned { tasks } => bar.set_length(tasks as u64),
                ScanEvent::RegionSkipped { region, reason } => say(format!("skipped {region}: {reason}")),
                ScanEvent::TaskStarted { service, region } => bar.set_message(format!("{service} {region}")),
                ScanEvent::TaskFinished { service, region, resources } => {
                    bar.inc(1);
                    bar.set_message(format!("{service} {region}: {resources} done"));
                }
                ScanEvent::Gap(_) => {
                    gaps += 1;
                    bar.set_message(format!("{gaps} coverage gap(s)"));
                }
            }
        }
        bar.finish_and_clear();
    });

    let result = scanner.run().await;
    drop(scanner); // closes the event channel, so the progress task ends
    let _ = progress.await;
    let inventory = result.context("scan failed")?;
    if let (Some(recorder), Some(path)) = (recorder, &args.record) {
        let scanned = inventory.scan.regions.iter().filter(|r| matches!(r, RegionStatus::Scanned { .. }));
        let cassette = recorder.cassette(
            inventory.scan.started_at,
            inventory.scan.as_of,
            scanned.map(|r| r.region().to_owned()).collect(),
        );
        stance::fsutil::write_private_atomic(path, &cassette.to_json())
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("Recorded {} request(s) to {}", cassette.interactions.len(), path.display());
    }
    let snapshot = Snapshot::assemble(inventory, &config);

    if let Some(path) = &args.out {
        snapshot.write(path)?;
    }
    print_summary(&snapshot.inventory, args.out.as_deref());
    print_findings(&snapshot.analysis);
    for expired in &snapshot.mutes.expired {
        eprintln!(
            "warning: mute {} expired on {} and no longer applies ({})",
            expired.source,
            expired.expires.map(|d| d.to_string()).unwrap_or_default(),
            expired.reason
        );
    }
    let muted: usize = snapshot.mutes.applied.iter().map(|m| m.findings).sum();
    if muted > 0 {
        eprintln!(
            "Muted: {muted} finding(s) by {} mute(s)",
            snapshot.mutes.applied.iter().filter(|m| m.findings > 0).count()
        );
    }
    if let Some(threshold) = args.fail_on {
        let failing =
            snapshot.analysis.findings.iter().filter(|f| f.severity >= threshold && f.muted.is_none()).count();
        if failing > 0 {
            eprintln!("{failing} finding(s) at or above {threshold}: failing (--fail-on {threshold})");
            return Ok(ExitCode::from(EXIT_FINDINGS));
        }
    }
    Ok(if snapshot.inventory.is_complete() { ExitCode::SUCCESS } else { ExitCode::from(EXIT_PARTIAL) })
}

fn print_findings(analysis: &stance::assess::Analysis) {
    let posture = &analysis.posture;
    let counts: Vec<String> =
        posture.findings_by_severity.iter().rev().map(|(severity, n)| format!("{n} {severity}")).collect();
    eprintln!(
        "Posture {}/100: {} finding(s){}",
        posture.score,
        analysis.findings.len(),
        if counts.is_empty() { String::new() } else { format!(" ({})", counts.join(", ")) }
    );
    const TOP: usize = 10;
    for finding in analysis.findings.iter().take(TOP) {
        eprintln!("  {:>3} {:<8} {}", finding.score, finding.severity.as_str(), finding.title);
    }
    if analysis.findings.len() > TOP {
        eprintln!("  … and {} more", analysis.findings.len() - TOP);
    }
    if !analysis.policy_problems.is_empty() {
        eprintln!("Policy documents that could not be fully read: {}", analysis.policy_problems.len());
        for problem in analysis.policy_problems.iter().take(5) {
            eprintln!("  {} ({}): {}", problem.resource_arn, problem.policy, problem.problem);
        }
    }
}

fn diff(
    old: &std::path::Path,
    new: &std::path::Path,
    format: DiffFormat,
    fail_on_new: Option<stance::rules::Severity>,
) -> Result<ExitCode> {
    if old.is_dir() || new.is_dir() {
        return org_diff(old, new, format, fail_on_new);
    }
    let (old, new) = (read_snapshot(old)?, read_snapshot(new)?);
    if old.inventory.account.account_id != new.inventory.account.account_id {
        eprintln!(
            "warning: comparing different accounts ({} and {})",
            old.inventory.account.account_id, new.inventory.account.account_id
        );
    }
    let diff = stance::diff::diff(&old, &new);
    print_diff(&diff, format, stance::diff::text, stance::diff::markdown)?;
    Ok(gate_new(fail_on_new, |threshold| diff.new_at_or_above(threshold).len()))
}

/// A comparison (of two snapshots or two organization scans) in the format asked for.
fn print_diff<D: serde::Serialize>(
    diff: &D,
    format: DiffFormat,
    text: fn(&D) -> String,
    markdown: fn(&D) -> String,
) -> Result<()> {
    match format {
        DiffFormat::Text => print!("{}", text(diff)),
        DiffFormat::Markdown => print!("{}", markdown(diff)),
        DiffFormat::Json => println!("{}", serde_json::to_string_pretty(diff)?),
    }
    Ok(())
}

/// `--fail-on-new`: exit 4 when `failing(threshold)` new findings are at or above it.
fn gate_new(
    fail_on_new: Option<stance::rules::Severity>,
    failing: impl Fn(stance::rules::Severity) -> usize,
) -> ExitCode {
    if let Some(threshold) = fail_on_new {
        let failing = failing(threshold);
        if failing > 0 {
            eprintln!("{failing} new finding(s) at or above {threshold}: failing (--fail-on-new {threshold})");
            return ExitCode::from(EXIT_FINDINGS);
        }
    }
    ExitCode::SUCCESS
}

/// The snapshots of an organization directory (`stance scan --org --out-dir`), by account.
fn read_org_snapshots(dir: &std::path::Path) -> Result<Vec<Snapshot>> {
    let org = stance::org::read_dir(dir).map_err(|e| BadInput(e.to_string()))?;
    Ok(org.snapshots.into_iter().map(|(_, s)| s).collect())
}

/// `stance diff OLD_DIR NEW_DIR`: account by account, and the accounts added and removed.
fn org_diff(
    old: &std::path::Path,
    new: &std::path::Path,
    format: DiffFormat,
    fail_on_new: Option<stance::rules::Severity>,
) -> Result<ExitCode> {
    for path in [old, new] {
        if !path.is_dir() {
            return Err(BadInput(format!(
                "{}: an organization scan compares with another directory, not with one snapshot",
                path.display()
            ))
            .into());
        }
    }
    let diff = stance::diff::org::org_diff(&read_org_snapshots(old)?, &read_org_snapshots(new)?);
    print_diff(&diff, format, stance::diff::org::text, stance::diff::org::markdown)?;
    Ok(gate_new(fail_on_new, |threshold| diff.new_at_or_above(threshold).len()))
}

fn export(path: &std::path::Path, format: ExportFormat, out: Option<&std::path::Path>) -> Result<ExitCode> {
    let format = match format {
        ExportFormat::Ocsf => stance::export::Format::Ocsf,
        ExportFormat::Sarif => stance::export::Format::Sarif,
        ExportFormat::Markdown => stance::export::Format::Markdown,
        ExportFormat::Csv => stance::export::Format::Csv,
    };
    let bytes = if path.is_dir() {
        stance::export::export_all(&read_org_snapshots(path)?, format).map_err(anyhow::Error::msg)?
    } else {
        stance::export::export(&read_snapshot(path)?, format).map_err(anyhow::Error::msg)?
    };
    match out {
        Some(out) => {
            stance::fsutil::write_private_atomic(out, &bytes).with_context(|| format!("writing {}", out.display()))?
        }
        None => {
            use std::io::Write;
            std::io::stdout().write_all(&bytes)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn compliance(
    path: &std::path::Path,
    only: &[String],
    format: ComplianceFormat,
    fail_under: Option<f64>,
    fail_on_control: &[String],
) -> Result<ExitCode> {
    use stance::compliance::Status;
    use stance::export::compliance as report;
    let snapshot = read_snapshot(path)?;
    let mut results = stance::compliance::evaluate(
        &snapshot.analysis.findings,
        &snapshot.analysis.policy.settings,
        &snapshot.inventory,
    );
    if !only.is_empty() {
        results.retain(|r| only.contains(&r.framework.id));
    }
    // Every gated control must exist: a typo would otherwise make the gate pass for ever.
    let mut gated = Vec::new();
    for wanted in fail_on_control {
        let (framework, id) = match wanted.split_once(':') {
            Some((framework, id)) => (Some(framework), id),
            None => (None, wanted.as_str()),
        };
        let matching: Vec<_> = results
            .iter()
            .filter(|r| framework.is_none_or(|f| f == r.framework.id))
            .filter_map(|r| r.control(id).map(|c| (r.framework.id.as_str(), c)))
            .collect();
        if matching.is_empty() {
            eprintln!("error: --fail-on-control {wanted}: no such control in the frameworks reported");
            return Ok(ExitCode::from(2));
        }
        gated.extend(matching);
    }
    match format {
        ComplianceFormat::Text => print!("{}", report::text(&results)),
        ComplianceFormat::Json => println!("{}", serde_json::to_string_pretty(&report::json(&results))?),
        ComplianceFormat::Markdown => print!("{}", report::markdown(&results)),
        ComplianceFormat::Csv => {
            use std::io::Write;
            std::io::stdout().write_all(&report::csv(&results).map_err(anyhow::Error::msg)?)?;
        }
    }
    let mut failed = false;
    if let Some(threshold) = fail_under {
        for result in &results {
            match result.score() {
                Some(score) if score < threshold => {
                    eprintln!("{}: {score}% is under {threshold}% (--fail-under)", result.framework.id);
                    failed = true;
                }
                Some(_) => {}
                None => {
                    eprintln!("warning: {}: no control could be evaluated, so no score to gate", result.framework.id)
                }
            }
        }
    }
    for (framework, control) in gated {
        match control.status {
            Status::Fail => {
                eprintln!("{framework} {}: fails (--fail-on-control)", control.control.id);
                failed = true;
            }
            Status::NotEvaluated => {
                eprintln!(
                    "warning: {framework} {}: not evaluated ({}), so not gated",
                    control.control.id, control.reason
                )
            }
            _ => {}
        }
    }
    Ok(if failed { ExitCode::from(EXIT_FINDINGS) } else { ExitCode::SUCCESS })
}

fn history(dir: &std::path::Path, account: Option<&str>, format: ListFormat) -> Result<ExitCode> {
    let history = stance::history::history(dir, account)
        .map_err(|e| BadInput(format!("{}: cannot list the directory: {e}", dir.display())))?;
    if history.entries.is_empty() {
        let whose = account.map(|a| format!(" of account {a}")).unwrap_or_default();
        let skipped = match history.skipped.len() {
            0 => String::new(),
            n => format!(" ({n} file(s) skipped: {})", history.skipped.join("; ")),
        };
        return Err(BadInput(format!("{}: no snapshot{whose} to list{skipped}", dir.display())).into());
    }
    match format {
        ListFormat::Json => println!("{}", serde_json::to_string_pretty(&history)?),
        ListFormat::Markdown => print!("{}", stance::history::markdown(&history)),
        ListFormat::Text => print!("{}", stance::history::text(&history)),
    }
    Ok(ExitCode::SUCCESS)
}

/// The organization directory `path` names: the directory itself, or the one its `org.json` is in.
fn org_dir_of(path: &std::path::Path) -> Option<PathBuf> {
    let dir = if path.is_dir() {
        path.to_owned()
    } else if path.file_name().is_some_and(|n| n == stance::snapshot::ORG_INDEX) {
        path.parent().map(|p| if p.as_os_str().is_empty() { PathBuf::from(".") } else { p.to_owned() })?
    } else {
        return None;
    };
    Some(dir)
}

/// `stance open DIR`: the accounts view of an organization scan.
fn open_org(dir: &std::path::Path) -> Result<ExitCode> {
    use stance::tui::AccountSource;
    let index_path = dir.join(stance::snapshot::ORG_INDEX);
    if !index_path.is_file() {
        return Err(BadInput(format!(
            "{}: no {} here: not an organization scan directory (`stance scan --org --out-dir`), or its workers'              index was never merged (`stance merge-index`)",
            dir.display(),
            stance::snapshot::ORG_INDEX
        ))
        .into());
    }
    let index = stance::org::OrgIndex::read(&index_path).map_err(|e| BadInput(e.to_string()))?;
    let sources = index
        .accounts
        .iter()
        .filter_map(|e| Some((e.account.clone(), AccountSource::File(dir.join(e.file.as_ref()?)))))
        .collect();
    if !std::io::stdout().is_terminal() {
        anyhow::bail!(
            "`stance open` needs a terminal (for a report without one, use `stance export` or `stance diff`)"
        );
    }
    stance::tui::run(stance::tui::App::organization(index, sources), None).context("the terminal UI failed")?;
    Ok(ExitCode::SUCCESS)
}

fn open(
    path: &std::path::Path,
    newer: Option<&std::path::Path>,
    history: Option<&std::path::Path>,
) -> Result<ExitCode> {
    if newer.is_none()
        && let Some(dir) = org_dir_of(path)
    {
        return open_org(&dir);
    }
    // One snapshot opens from its first part while the rest is read; a comparison needs both whole.
    let (mut app, rest) = match newer {
        None => {
            let (snapshot, rest) = stance::snapshot::open_progressive(path).map_err(|e| BadInput(e.to_string()))?;
            match rest {
                Some(rest) => (stance::tui::App::loading(snapshot), Some(rest)),
                None => (stance::tui::App::new(snapshot, None), None),
            }
        }
        Some(newer) => {
            let snapshot = read_snapshot(path)?;
            let newer = read_snapshot(newer)?;
            let diff = stance::diff::diff(&snapshot, &newer);
            (stance::tui::App::new(newer, Some(diff)), None)
        }
    };
    let account = app.snapshot.inventory.account.account_id.clone();
    if let Some(dir) = history {
        let history = stance::history::history(dir, Some(&account))
            .map_err(|e| BadInput(format!("{}: cannot list the directory: {e}", dir.display())))?;
        app.trend = history.entries;
    }
    if !std::io::stdout().is_terminal() {
        anyhow::bail!(
            "`stance open` needs a terminal (for a report without one, use `stance export` or `stance diff`)"
        );
    }
    let feed = rest.map(|rest| {
        let (feed, feed_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for part in rest {
                if feed.send(stance::tui::Feed::Snapshot(part)).is_err() {
                    break;
                }
            }
        });
        feed_rx
    });
    let app = stance::tui::run(app, feed).context("the terminal UI failed")?;
    if let Some(error) = app.load_error {
        return Err(BadInput(error).into());
    }
    Ok(ExitCode::SUCCESS)
}

/// `stance` / `stance tui`: scan with the TUI showing progress, then the result; `--out` saves the snapshot.
fn tui(args: ScanArgs, runtime: &tokio::runtime::Runtime) -> Result<ExitCode> {
    let config = load_policy_file(args.mutes.as_deref(), args.rules.as_deref())?;
    if args.record.is_some() {
        anyhow::bail!("--record works with `stance scan`");
    }
    if args.org {
        anyhow::bail!(
            "an organization is scanned with `stance scan --org --out-dir DIR`, then browsed with `stance open DIR`"
        );
    }
    let (mut scanner, _) = runtime.block_on(build_scanner(&args))?;
    // Without credentials the TUI would open on a scan that cannot start: fail first, as `scan` does.
    runtime.block_on(scanner.identify()).context("scan failed")?;
    if !std::io::stdout().is_terminal() {
        anyhow::bail!("the TUI needs a terminal (without one, use `stance scan --out FILE`)");
    }
    scan_in_tui(runtime, scanner, config, args.out, |_| {})
}

/// Runs `scanner` with the TUI showing its progress, then browses the result; `out` saves the snapshot.
fn scan_in_tui(
    runtime: &tokio::runtime::Runtime,
    scanner: Scanner,
    config: stance::config::Config,
    out: Option<PathBuf>,
    annotate: fn(&mut Inventory),
) -> Result<ExitCode> {
    use stance::tui::Feed;
    let mutes_path_of_scan = config.file.clone();
    let (feed, feed_rx) = std::sync::mpsc::channel();
    let (events, mut receiver) = tokio::sync::mpsc::unbounded_channel();
    let scanner = scanner.with_events(events);
    let lines = feed.clone();
    runtime.spawn(async move {
        while let Some(event) = receiver.recv().await {
            let message = match event {
                ScanEvent::Identity(id) => {
                    Feed::Line(format!("Scanning account {} ({}) as {}", id.account_id, id.partition, id.caller_arn))
                }
                ScanEvent::Planned { tasks } => Feed::Planned(tasks),
                ScanEvent::RegionSkipped { region, reason } => Feed::Line(format!("skipped {region}: {reason}")),
                ScanEvent::TaskStarted { service, region } => Feed::TaskStarted { service: service.into(), region },
                ScanEvent::TaskFinished { service, region, resources } => {
                    let _ = lines.send(Feed::Line(format!("{service} {region}: {resources} done")));
                    Feed::TaskFinished { service: service.into(), region, resources }
                }
                ScanEvent::Gap(record) => {
                    let _ = lines.send(Feed::Line(format!("gap: {record}")));
                    Feed::Gap
                }
            };
            let _ = lines.send(message);
        }
    });
    // The scan future is not `Send` (its streams borrow the scanner), so it runs on a thread of its own,
    // driven by the runtime's handle, while this thread runs the UI.
    let handle = runtime.handle().clone();
    let scan_thread = std::thread::Builder::new().name("scan".into()).stack_size(8 << 20);
    scan_thread.spawn(move || {
        handle.block_on(async move {
            let result = scanner.run().await;
            drop(scanner);
            let done = match result {
                Ok(mut inventory) => {
                    annotate(&mut inventory);
                    let snapshot = Snapshot::assemble(inventory, &config);
                    match out.as_deref().map(|path| snapshot.write(path)) {
                        Some(Err(error)) => Err(error.to_string()),
                        _ => Ok(Box::new(snapshot)),
                    }
                }
                Err(error) => Err(error.to_string()),
            };
            let _ = feed.send(Feed::Done(done));
        })
    })?;
    let mut app = stance::tui::App::scanning();
    app.mutes_path = mutes_path(mutes_path_of_scan.as_deref());
    let app = stance::tui::run(app, Some(feed_rx)).context("the terminal UI failed")?;
    Ok(match app.progress.and_then(|p| p.error) {
        Some(error) => {
            eprintln!("error: {error}");
            ExitCode::from(EXIT_FAILED)
        }
        None => ExitCode::SUCCESS,
    })
}

/// `stance demo`: the bundled account replayed offline — the TUI, its comparison a month later, or
/// (`--out`) the snapshot and summary without a terminal.
fn demo(
    compare: bool,
    month_later: bool,
    out: Option<PathBuf>,
    mutes: Option<PathBuf>,
    runtime: &tokio::runtime::Runtime,
) -> Result<ExitCode> {
    use stance::demo::{DemoState, snapshot};
    // The demo reads the policy file as a scan does, so a mute made in its TUI shows the next time too; the
    // demo account's own policy applies unless the file sets one.
    let config = stance::demo::with_demo_policy(load_policy_file(mutes.as_deref(), None)?);
    let state = if month_later { DemoState::MonthLater } else { DemoState::Now };
    let warn_stale = |misses: &[stance::aws::cassette::RequestKey]| {
        if let Some(first) = misses.first() {
            eprintln!(
                "warning: the demo cassettes are stale: {} request(s) were not recorded (first: {first}); \
                 re-record with scripts/record-demo.sh",
                misses.len()
            );
        }
    };
    if let Some(path) = out {
        let (snapshot, replay) = runtime.block_on(snapshot(state, &config))?;
        warn_stale(&replay.misses());
        snapshot.write(&path)?;
        print_summary(&snapshot.inventory, Some(&path));
        print_findings(&snapshot.analysis);
        // As `scan` exits: the recording's coverage gaps (calls the emulator does not implement) are gaps.
        return Ok(if snapshot.inventory.is_complete() { ExitCode::SUCCESS } else { ExitCode::from(EXIT_PARTIAL) });
    }
    if !std::io::stdout().is_terminal() {
        anyhow::bail!("the demo's TUI needs a terminal (without one, use `stance demo --out FILE`)");
    }
    if compare {
        let (old, old_replay) = runtime.block_on(snapshot(DemoState::Now, &config))?;
        let (new, new_replay) = runtime.block_on(snapshot(DemoState::MonthLater, &config))?;
        warn_stale(&[old_replay.misses(), new_replay.misses()].concat());
        let diff = stance::diff::diff(&old, &new);
        let mut app = stance::tui::App::new(new, Some(diff));
        app.mutes_path = mutes_path(config.file.as_deref());
        stance::tui::run(app, None).context("the terminal UI failed")?;
        return Ok(ExitCode::SUCCESS);
    }
    let cassette = state.cassette()?;
    let replay = stance::aws::cassette::ReplayClient::new(&cassette);
    let scanner = stance::demo::scanner(&cassette, &replay);
    let code = scan_in_tui(runtime, scanner, config, None, stance::demo::explain_emulator_gaps)?;
    warn_stale(&replay.misses());
    Ok(code)
}

/// `stance demo --org`: the recorded demo organization, offline — the accounts view, or (`--out DIR`) the
/// directory an organization scan writes.
fn demo_org(out: Option<PathBuf>, mutes: Option<PathBuf>, runtime: &tokio::runtime::Runtime) -> Result<ExitCode> {
    let config = stance::demo::with_demo_policy(load_policy_file(mutes.as_deref(), None)?);
    let demo = runtime.block_on(stance::demo::org_scan())?;
    let misses: usize = demo.replays.iter().map(|r| r.misses().len()).sum();
    if misses > 0 {
        eprintln!(
            "warning: the demo cassettes are stale: {misses} request(s) of the organization were not recorded; re-record with scripts/record-demo.sh"
        );
    }
    let scan = demo.scan;
    if let Some(dir) = out {
        return finish_org_scan(&dir, scan, &config, None);
    }
    if !std::io::stdout().is_terminal() {
        anyhow::bail!("the demo's TUI needs a terminal (without one, use `stance demo --org --out DIR`)");
    }
    let snapshots = stance::org::assess_all(scan.inventories, &config);
    let files: Vec<(String, &Snapshot)> =
        snapshots.iter().map(|s| (stance::org::snapshot_file(&s.inventory.account.account_id), s)).collect();
    let index = stance::org::OrgIndex::build(&scan.organization, &files, &scan.unassumable);
    let sources = snapshots
        .into_iter()
        .map(|s| (s.inventory.account.account_id.clone(), stance::tui::AccountSource::Loaded(Box::new(s))))
        .collect();
    let mut app = stance::tui::App::organization(index, sources);
    app.mutes_path = mutes_path(config.file.as_deref());
    stance::tui::run(app, None).context("the terminal UI failed")?;
    Ok(ExitCode::SUCCESS)
}

fn list_rules(format: ListFormat) -> Result<ExitCode> {
    match format {
        ListFormat::Text => {
            println!("{:<46} {:<44} {:<8} TITLE", "ID", "CATEGORY", "SEVERITY");
            for rule in RULES {
                let m = &rule.meta;
                println!("{:<46} {:<44} {:<8} {}", m.id, rule.category.as_str(), rule.severity().as_str(), m.title);
            }
        }
        ListFormat::Json => {
            let rules: Vec<serde_json::Value> = RULES
                .iter()
                .map(|rule| {
                    let m = &rule.meta;
                    serde_json::json!({"id": m.id, "category": rule.category, "severity": rule.severity(), "title": m.title,
                        "rationale": m.rationale, "remediation": m.remediation, "references": m.references})
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&rules)?);
        }
        ListFormat::Markdown => print!("{}", stance::rules::markdown_reference()),
    }
    Ok(ExitCode::SUCCESS)
}

fn explain(rule_id: &str) -> Result<ExitCode> {
    // An escalation method's id (findings name them) explains that method.
    if let Some((id, actions, how)) = stance::rules::escalation_methods().into_iter().find(|(id, ..)| *id == rule_id) {
        println!("{id} — a privilege-escalation method (rule iam-privilege-escalation)\n");
        println!("Needs, on all resources: {actions}\n\nAbuse: {how}");
        return Ok(ExitCode::SUCCESS);
    }
    let Some(rule) = find_rule(rule_id) else {
        eprintln!("error: no rule `{rule_id}`; `stance rules` lists them");
        return Ok(ExitCode::from(2));
    };
    let m = &rule.meta;
    println!("{} — {}\n", m.id, m.title);
    println!("category: {}    severity: {}\n", rule.category, rule.severity());
    println!("{}\n", m.rationale);
    println!("Remediation: {}\n", m.remediation);
    println!("References:");
    for reference in m.references {
        println!("  - {reference}");
    }
    for line in stance::rules::explain_more(m.id) {
        println!("{line}");
    }
    Ok(ExitCode::SUCCESS)
}

fn print_summary(inventory: &Inventory, out: Option<&std::path::Path>) {
    let scanned: Vec<&str> = inventory
        .scan
        .regions
        .iter()
        .filter(|r| matches!(r, RegionStatus::Scanned { .. }))
        .map(RegionStatus::region)
        .collect();
    let skipped = inventory.scan.regions.len() - scanned.len();
    let seconds = (inventory.scan.finished_at - inventory.scan.started_at).num_milliseconds() as f64 / 1000.0;
    eprintln!(
        "Account {}: regions {}{}",
        inventory.account.account_id,
        scanned.join(", "),
        if skipped > 0 { format!(" ({skipped} skipped)") } else { String::new() }
    );
    let counts: Vec<String> = inventory.counts().iter().map(|(kind, n)| format!("{kind} {n}")).collect();
    eprintln!("Inventory: {}", counts.join(", "));
    let requests = &inventory.scan.requests;
    eprintln!(
        "Requests: {} calls, {} sent ({} retries; {} throttled; {:.1}s backoff) in {seconds:.1}s",
        requests.calls,
        requests.attempts,
        requests.retries,
        requests.throttled,
        requests.backoff_ms as f64 / 1000.0
    );
    if inventory.coverage.is_empty() {
        eprintln!("Coverage: complete");
    } else {
        eprintln!("Coverage: {} gap(s) — what the scan could not see:", inventory.coverage.len());
        const SHOWN: usize = 20;
        for record in inventory.coverage.iter().take(SHOWN) {
            eprintln!("  {record}");
        }
        if inventory.coverage.len() > SHOWN {
            eprintln!("  … and {} more (all in the output file)", inventory.coverage.len() - SHOWN);
        }
    }
    if let Some(path) = out {
        eprintln!("Wrote {}", path.display());
    }
}
