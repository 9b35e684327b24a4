//! Argument parsing only: what the user can ask for, in clap's derive form.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "stance", version, about = "Audit the security posture of an AWS account's serverless estate")]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Without a subcommand: scan and browse the result in the TUI (as `stance tui`).
    #[command(flatten)]
    pub scan: ScanArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan an account (read-only), analyze it, and write the posture snapshot (no TUI; for scripts and CI);
    /// with --org, every account of the AWS Organization (docs/organizations.md).
    ///
    /// Exit status: 0 the scan saw everything; 3 it finished with coverage gaps (denied or failed calls,
    /// listed on stderr and recorded in the output) or, with --org, an account could not be scanned; 4 an unmuted finding at or above --fail-on exists
    /// (checked first); 5 the policy file cannot be read; 1 it failed (no usable credentials, an unwritable
    /// output); 2 bad arguments.
    Scan(ScanArgs),
    /// Scan with the TUI showing progress, then browse the result (the default without a subcommand).
    Tui(ScanArgs),
    /// Compare two snapshots: new, resolved and changed findings, inventory drift, posture change; or two
    /// organization scans' directories, account by account, with the accounts added and removed.
    ///
    /// Exit status: 0; 4 when --fail-on-new finds a new unmuted finding at or above its severity;
    /// 5 when a snapshot cannot be read.
    Diff {
        /// The earlier snapshot (`.json` or `.json.zst`), or organization directory.
        old: PathBuf,
        /// The later snapshot, or organization directory.
        new: PathBuf,
        #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
        format: DiffFormat,
        /// Exit with status 4 when a new (unmuted) finding of this severity or higher exists: the CI gate.
        #[arg(long, value_name = "SEVERITY")]
        fail_on_new: Option<stance::rules::Severity>,
    },
    /// Export a snapshot for other tools.
    Export {
        /// The snapshot to export (`.json` or `.json.zst`), or an organization scan's directory (every account
        /// in one file: one SARIF run each, an `account` column in CSV).
        snapshot: PathBuf,
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// Write to this file (atomically, mode 0600) instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Each compliance framework's controls (CIS AWS Foundations 3.0, AWS FSBP, GDPR) with their status in a
    /// snapshot, and the findings and resources that fail them.
    ///
    /// A control passes when its resources were inventoried and no unmuted finding of its rules exists (with
    /// exceptions when only muted ones do), fails when one exists, is not evaluated when a coverage gap, a
    /// service stance does not scan or a missing rule stops it, and is manual when no API can check it.
    /// Score: evaluated controls passing ÷ evaluated.
    ///
    /// Exit status: 0; 4 when a framework scores under --fail-under or a --fail-on-control control fails;
    /// 5 when the snapshot cannot be read; 2 for an unknown framework or control.
    Compliance {
        /// The snapshot (`.json` or `.json.zst`).
        snapshot: PathBuf,
        /// Only this framework (repeatable): cis-aws-3.0, aws-fsbp, gdpr.
        #[arg(long, value_name = "ID", value_parser = check_framework)]
        framework: Vec<String>,
        #[arg(long, value_enum, default_value_t = ComplianceFormat::Text)]
        format: ComplianceFormat,
        /// Exit with status 4 when a reported framework's score is under this percentage.
        #[arg(long, value_name = "PCT", value_parser = parse_percentage)]
        fail_under: Option<f64>,
        /// Exit with status 4 when one of these controls fails: `1.10`, or `cis-aws-3.0:1.10` where ids repeat
        /// across frameworks (comma-separated or repeated).
        #[arg(long, value_name = "ID", value_delimiter = ',')]
        fail_on_control: Vec<String>,
    },
    /// The snapshots of a directory in time order, with posture and finding counts.
    History {
        /// A directory of snapshots (`.json`, `.json.zst`) or of organization scans' directories; unreadable files
        /// are listed as skipped.
        dir: PathBuf,
        /// Only this account.
        #[arg(long)]
        account: Option<String>,
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Browse a snapshot in the TUI, or the comparison of two (`stance open OLD NEW`), or an organization
    /// scan's accounts (`stance open DIR`, or its `org.json`).
    Open {
        /// The snapshot to browse (or the earlier one of a comparison), or an organization directory.
        snapshot: PathBuf,
        /// A newer snapshot: opens the comparison of the two.
        new: Option<PathBuf>,
        /// A directory of earlier snapshots: the overview draws the posture trend.
        #[arg(long, value_name = "DIR")]
        history: Option<PathBuf>,
    },
    /// Print the least-privilege, read-only IAM policy stance needs to scan an account.
    Policy {
        /// The two policies an organization scan needs: the management account's (Organizations reads and
        /// sts:AssumeRole of the member role) and the member role's (the account scan).
        #[arg(long)]
        org: bool,
        /// With --org: the member role's name, in the AssumeRole resource.
        #[arg(long, value_name = "NAME", default_value = stance::collect::org::DEFAULT_MEMBER_ROLE)]
        member_role: String,
    },
    /// Rebuild an organization directory's index (`org.json`) from its files, after sharded workers each
    /// wrote theirs: runs the cross-account analysis over every account and rewrites the snapshots it changes.
    ///
    /// Exit status: 0; 3 when an account could not be scanned or has coverage gaps; 5 when a file cannot be read.
    MergeIndex {
        /// The directory `stance scan --org --out-dir` wrote.
        dir: PathBuf,
        /// Policy file, as the scan's [default: ./stance.toml if present].
        #[arg(long = "policy", visible_alias = "mutes", value_name = "FILE")]
        mutes: Option<PathBuf>,
    },
    /// The bundled demo account, offline: recorded AWS responses replayed through the real collectors,
    /// analysis and TUI. Needs no credentials and no network.
    Demo {
        /// Open the comparison of the account with itself a month later (some risks fixed, one new).
        #[arg(long, conflicts_with = "month_later")]
        compare: bool,
        /// Show the account a month later instead of as first recorded.
        #[arg(long)]
        month_later: bool,
        /// The demo organization instead: a management account and three members in two OUs, an SCP, a
        /// cross-account attack path and a member role that cannot be assumed. With --out, DIR is written
        /// as `stance scan --org --out-dir` writes it.
        #[arg(long, conflicts_with_all = ["compare", "month_later"])]
        org: bool,
        /// Write the snapshot to this file and print the summary, without the TUI.
        #[arg(long, value_name = "FILE", conflicts_with = "compare")]
        out: Option<PathBuf>,
        /// Policy file: mutes (accepted risks) and `[policy]` [default: ./stance.toml if present]; the TUI's
        /// `m` writes to it. Without a `[policy]` of its own, the demo account's policy applies (data residency
        /// and an owner tag, demo/policy.toml).
        #[arg(long = "policy", visible_alias = "mutes", value_name = "FILE")]
        mutes: Option<PathBuf>,
    },
    /// List the rules: id, category, severity, title.
    Rules {
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
        /// Print how custom rules are written and the resource view their conditions read (Markdown:
        /// docs/custom-rules.md is this output).
        #[arg(long, conflicts_with = "format")]
        views: bool,
    },
    /// Print one rule's documentation: what it checks, what does not trigger it, how to fix it.
    Explain {
        /// A rule id, as `stance rules` lists them (e.g. iam-role-trust-any-principal).
        rule_id: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    Text,
    Json,
    /// For a pull-request comment.
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// OCSF Detection Finding events (JSON array).
    Ocsf,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    Markdown,
    Csv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ComplianceFormat {
    Text,
    Json,
    Markdown,
    Csv,
}

fn check_framework(id: &str) -> Result<String, String> {
    let known: Vec<&str> = stance::compliance::frameworks().iter().map(|f| f.id.as_str()).collect();
    if known.contains(&id) {
        Ok(id.to_owned())
    } else {
        Err(format!("unknown framework `{id}` (expected one of {})", known.join(", ")))
    }
}

fn parse_percentage(text: &str) -> Result<f64, String> {
    match text.trim_end_matches('%').parse::<f64>() {
        Ok(pct) if (0.0..=100.0).contains(&pct) => Ok(pct),
        _ => Err(format!("`{text}` is not a percentage from 0 to 100")),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ListFormat {
    Text,
    Json,
    /// A Markdown table (`history`) or the rule reference (`rules`: docs/rules.md is this output).
    Markdown,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    #[command(flatten)]
    pub aws: AwsArgs,

    /// Region to scan (repeatable). Default: the profile's region.
    #[arg(long = "region", value_name = "REGION", conflicts_with = "all_regions", value_parser = stance::aws::check_region_name)]
    pub regions: Vec<String>,

    /// Scan every standard commercial region; regions the account has not enabled are recorded as skipped.
    #[arg(long)]
    pub all_regions: bool,

    /// Requests in flight at most.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,

    /// Write the posture snapshot to this file (`.json`, or `.json.zst` compressed).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Policy file: mutes (accepted risks), thresholds, severities, disabled rules, residency and required
    /// tags (docs/compliance.md); default `stance.toml` in the current directory, if it exists.
    #[arg(long = "policy", visible_alias = "mutes", value_name = "FILE")]
    pub mutes: Option<PathBuf>,

    /// A directory of custom rules: every `*.toml` file in it holds `[[rule]]` entries (docs/custom-rules.md),
    /// run with the policy file's own. A rule that does not check out stops the scan before any AWS call.
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,

    /// Evaluate time-based checks at this instant (RFC 3339) instead of now, for reproducible results.
    #[arg(long, value_name = "RFC3339", value_parser = parse_rfc3339)]
    pub as_of: Option<DateTime<Utc>>,

    /// Exit with status 4 when a finding of this severity or higher exists (critical, high, medium, low, info).
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<stance::rules::Severity>,

    /// Scan every account of the AWS Organization (run from the management account or a delegated
    /// administrator): the caller's account with its own credentials, the others through --member-role.
    /// Needs --out-dir. An account whose role cannot be assumed is recorded and the scan goes on (exit 3).
    #[arg(long, requires = "out_dir", conflicts_with = "out")]
    pub org: bool,

    /// With --org: the role assumed in each member account.
    #[arg(long, value_name = "NAME", default_value = stance::collect::org::DEFAULT_MEMBER_ROLE, requires = "org")]
    pub member_role: String,

    /// With --org: the external id the member role's trust requires.
    #[arg(long, value_name = "ID", requires = "org")]
    pub member_external_id: Option<String>,

    /// With --org: only these accounts (comma-separated or repeated).
    #[arg(long, value_name = "ID", value_delimiter = ',', requires = "org", value_parser = parse_account_id)]
    pub accounts: Vec<String>,

    /// With --org: leave these accounts out.
    #[arg(long, value_name = "ID", value_delimiter = ',', requires = "org", value_parser = parse_account_id)]
    pub exclude_accounts: Vec<String>,

    /// With --org: accounts scanned at once (each keeps its own --concurrency and retry partitions).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64), requires = "org")]
    pub account_concurrency: u16,

    /// With --org: this worker's share of the accounts, K/N with K from 0 (`auto/N` reads K from
    /// JOB_COMPLETION_INDEX or AWS_BATCH_JOB_ARRAY_INDEX). An account's shard depends on its id only; run
    /// `stance merge-index DIR` when every worker is done.
    #[arg(long, value_name = "K/N", requires = "org")]
    pub shard: Option<String>,

    /// With --org: the directory of the per-account snapshots (`ACCOUNT.json.zst`) and the index `org.json`.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,

    /// Record every AWS response into this cassette (for `stance demo`; see scripts/record-demo.sh).
    /// Only with --endpoint-url: a cassette holds raw responses, environment values included, so it is
    /// made from emulated accounts only.
    #[arg(long, value_name = "FILE", requires = "endpoint_url", hide = true)]
    pub record: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct AwsArgs {
    /// Named profile from the AWS config files (SSO profiles included).
    #[arg(long, env = "AWS_PROFILE")]
    pub profile: Option<String>,

    /// Send every AWS call to this endpoint (an emulator such as moto).
    #[arg(long, value_name = "URL", value_parser = parse_endpoint_url)]
    pub endpoint_url: Option<String>,

    /// Assume this role first (to audit another account).
    #[arg(long, value_name = "ARN")]
    pub role_arn: Option<String>,

    /// External id for --role-arn.
    #[arg(long, value_name = "ID", requires = "role_arn")]
    pub external_id: Option<String>,

    /// Attempts per call, the first included (exponential backoff with jitter between them).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub max_attempts: u32,

    /// Seconds one attempt of a call may take.
    #[arg(long, default_value_t = 20, value_name = "SECONDS")]
    pub attempt_timeout: u64,

    /// Seconds one call may take, retries included.
    #[arg(long, default_value_t = 90, value_name = "SECONDS")]
    pub call_timeout: u64,

    /// Seconds the whole scan may take: what is not collected by then is recorded as a timed-out gap and
    /// the snapshot is written with what was seen (exit status 3). Default: no limit beyond the per-call ones.
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    pub scan_timeout: Option<u64>,
}

/// An endpoint the SDK can use: `http://` or `https://` and a host (the SDK panics on anything else).
fn parse_endpoint_url(text: &str) -> Result<String, String> {
    let rest = text.strip_prefix("http://").or_else(|| text.strip_prefix("https://"));
    match rest {
        Some(host) if !host.is_empty() && !host.starts_with('/') && !host.contains(char::is_whitespace) => {
            Ok(text.to_owned())
        }
        _ => Err(format!("`{text}` is not an endpoint URL: expected http://HOST[:PORT] or https://HOST[:PORT]")),
    }
}

fn parse_account_id(text: &str) -> Result<String, String> {
    if text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit()) {
        Ok(text.to_owned())
    } else {
        Err(format!("`{text}` is not an AWS account id (12 digits)"))
    }
}

fn parse_rfc3339(value: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.to_utc())
        .map_err(|e| format!("expected an RFC 3339 time such as 2026-11-29T12:00:00Z ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn a_malformed_endpoint_url_is_a_usage_error_not_a_panic() {
        for bad in ["", "localhost:5000", "http://", "ftp://x", "http:// spaced"] {
            let error = Cli::try_parse_from(["stance", "scan", "--endpoint-url", bad]).expect_err(bad).to_string();
            assert!(error.contains("is not an endpoint URL"), "{bad}: {error}");
        }
        assert_eq!(parse_endpoint_url("https://emulator.test:4566").as_deref(), Ok("https://emulator.test:4566"));
    }

    #[test]
    fn scan_flags() {
        let cli = Cli::try_parse_from([
            "stance",
            "scan",
            "--region",
            "us-east-1",
            "--region",
            "eu-west-1",
            "--endpoint-url",
            "http://127.0.0.1:5000",
            "--role-arn",
            "arn:aws:iam::1:role/audit",
            "--external-id",
            "x",
            "--concurrency",
            "8",
            "--out",
            "inv.json",
            "--as-of",
            "2026-11-29T12:00:00Z",
            "--fail-on",
            "high",
        ])
        .unwrap();
        let Some(Command::Scan(args)) = cli.command else { panic!("parsed as scan") };
        assert_eq!(args.regions, ["us-east-1", "eu-west-1"]);
        assert_eq!(args.concurrency, 8);
        assert_eq!(args.as_of.map(|t| t.to_rfc3339()), Some("2026-11-29T12:00:00+00:00".into()));
        assert_eq!(args.aws.external_id.as_deref(), Some("x"));
        assert_eq!(args.fail_on, Some(stance::rules::Severity::High));
    }

    #[test]
    fn bad_flags_are_refused() {
        assert!(Cli::try_parse_from(["stance", "scan", "--as-of", "yesterday"]).is_err());
        assert!(Cli::try_parse_from(["stance", "scan", "--external-id", "x"]).is_err());
        assert!(Cli::try_parse_from(["stance", "scan", "--region", "us-east-1", "--all-regions"]).is_err());
        assert!(Cli::try_parse_from(["stance", "scan", "--concurrency", "0"]).is_err());
        assert!(Cli::try_parse_from(["stance", "scan", "--fail-on", "severe"]).is_err());
        for region in ["nowhere-1", "eu-west", "EU-WEST-1", "eu--1", "us-east-1a", ""] {
            let error = Cli::try_parse_from(["stance", "scan", "--region", region]).unwrap_err().to_string();
            assert!(error.contains("not an AWS region name"), "{region}: {error}");
        }
        for region in ["us-gov-west-1", "cn-north-1", "ap-southeast-7", "mx-central-1", "eusc-de-east-1"] {
            assert!(Cli::try_parse_from(["stance", "scan", "--region", region]).is_ok(), "{region}");
        }
    }
}
