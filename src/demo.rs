//! `stance demo`: the bundled demo account, scanned offline. Two recorded conversations with the seeded
//! emulator (`demo/*.cassette.json`, made by `scripts/record-demo.sh`) are compiled into the binary and
//! replayed under the real collectors, so the demo runs the same scan, analysis, scoring and TUI as a live
//! account — with no credentials, no network and no Python.

use crate::aws::cassette::{Cassette, CassetteError, ReplayClient};
use crate::aws::offline_config;
use crate::collect::{RegionSelection, ScanError, ScanOptions, Scanner};
use crate::inventory::Redactor;
use crate::snapshot::Snapshot;

/// The demo account as seeded.
const ACCOUNT: &[u8] = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/demo/account.cassette.json"));
/// The same account a month later: some risks fixed, a new one opened (`mocks/demo_account.py change`).
const MONTH_LATER: &[u8] = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/demo/month-later.cassette.json"));

/// A fixed redaction key: the demo's value hashes are the same on every machine.
const REDACTION_KEY: &[u8] = b"stance-demo-account";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DemoState {
    Now,
    MonthLater,
}

impl DemoState {
    pub fn file_name(self) -> &'static str {
        match self {
            DemoState::Now => "demo/account.cassette.json",
            DemoState::MonthLater => "demo/month-later.cassette.json",
        }
    }

    pub fn cassette(self) -> Result<Cassette, CassetteError> {
        let bytes = match self {
            DemoState::Now => ACCOUNT,
            DemoState::MonthLater => MONTH_LATER,
        };
        Cassette::from_bytes(self.file_name(), bytes)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Cassette(#[from] CassetteError),
    #[error("the demo scan failed: {0}")]
    Scan(#[from] ScanError),
}

/// A scanner whose every AWS call is answered by `replay`, configured as the recording was (regions,
/// evaluation time).
pub fn scanner(cassette: &Cassette, replay: &ReplayClient) -> Scanner {
    let home = cassette.regions.first().map(String::as_str).unwrap_or(crate::aws::DEFAULT_REGION);
    Scanner::new(
        offline_config(replay.http_client(), home),
        ScanOptions {
            regions: RegionSelection::Listed(cassette.regions.clone()),
            concurrency: 16,
            as_of: Some(cassette.as_of),
            time_limit: None,
        },
        Redactor::from_key_material(REDACTION_KEY),
    )
}

/// The snapshot of one demo state under the policy file `config` (mutes and policy), and the replay that made it: its
/// misses (requests the cassette could not answer) and unused recordings are empty unless the cassettes are
/// stale.
pub async fn snapshot(state: DemoState, config: &crate::config::Config) -> Result<(Snapshot, ReplayClient), DemoError> {
    let cassette = state.cassette()?;
    let replay = ReplayClient::new(&cassette);
    let mut inventory = scanner(&cassette, &replay).run().await?;
    explain_emulator_gaps(&mut inventory);
    Ok((Snapshot::assemble(inventory, config), replay))
}

/// The demo organization (`mocks/demo_org.py`): the management account's conversation and each account's.
const ORGANIZATION: &[u8] = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/demo/org.cassette.json.zst"));
pub const ORG_CASSETTE: &str = "demo/org.cassette.json.zst";

pub fn org_cassette() -> Result<crate::aws::cassette::OrgCassette, CassetteError> {
    crate::aws::cassette::OrgCassette::from_bytes(ORG_CASSETTE, ORGANIZATION)
}

/// The demo organization scanned offline: each account's calls answered by its own recording.
pub struct OrgDemo {
    pub scan: crate::collect::org::OrgScan,
    /// The replays, to tell whether the recordings are stale (organization first).
    pub replays: Vec<ReplayClient>,
}

#[derive(Debug, thiserror::Error)]
pub enum OrgDemoError {
    #[error(transparent)]
    Cassette(#[from] CassetteError),
    #[error("the demo organization's scan failed: {0}")]
    Scan(#[from] crate::collect::org::OrgScanError),
}

pub async fn org_scan() -> Result<OrgDemo, OrgDemoError> {
    use crate::collect::org::{OrgScanOptions, OrgScanner};
    let cassette = org_cassette()?;
    let organization = ReplayClient::new(&cassette.organization);
    let accounts: std::collections::BTreeMap<String, ReplayClient> =
        cassette.accounts.iter().map(|(id, c)| (id.clone(), ReplayClient::new(c))).collect();
    let recorded = &cassette.organization;
    let home = recorded.regions.first().map(String::as_str).unwrap_or(crate::aws::DEFAULT_REGION);
    let clock = std::time::SystemTime::from(recorded.recorded_at);
    let base = crate::aws::offline_config_at(organization.http_client(), home, Some(clock));
    let options = OrgScanOptions {
        member_role: crate::collect::org::DEFAULT_MEMBER_ROLE.into(),
        external_id: None,
        accounts: Vec::new(),
        exclude: Vec::new(),
        account_concurrency: 4,
        shard: None,
        scan: ScanOptions {
            regions: RegionSelection::Listed(recorded.regions.clone()),
            concurrency: 16,
            as_of: Some(recorded.as_of),
            time_limit: None,
        },
    };
    let clients: std::collections::BTreeMap<String, _> =
        accounts.iter().map(|(id, replay)| (id.clone(), replay.http_client())).collect();
    let scanner = OrgScanner::new(base, options, Redactor::from_key_material(REDACTION_KEY))
        .with_http_for(std::sync::Arc::new(move |account: &str| clients.get(account).cloned()));
    let mut scan = scanner.run().await?;
    for inventory in &mut scan.inventories {
        explain_emulator_gaps(inventory);
    }
    let mut replays = vec![organization];
    replays.extend(accounts.into_values());
    Ok(OrgDemo { scan, replays })
}

/// The demo account's own policy (demo/policy.toml): personal data stays in the EU, functions carry an
/// owner tag.
const POLICY: &str = include_str!("../demo/policy.toml");

/// `config` with the demo account's policy when it sets none of its own (mutes are kept either way).
pub fn with_demo_policy(mut config: crate::config::Config) -> crate::config::Config {
    if config.settings == crate::analyze::settings::Settings::default() {
        match crate::config::parse(POLICY, "demo/policy.toml") {
            Ok(demo) => config.settings = demo.settings,
            Err(error) => tracing::warn!("the demo's own policy does not read: {error}"),
        }
    }
    config
}

/// Calls the emulator the demo was recorded from (moto) does not implement: the recording's gaps, which a
/// scan of AWS does not have.
const EMULATOR_GAPS: &[(&str, &str, &str)] = &[
    ("apigatewayv2", "GetAuthorizers", "moto does not implement HTTP API authorizers"),
    ("lambda", "ListFunctionUrlConfigs", "moto does not implement listing function URLs"),
];

/// Says so on each of the demo's coverage gaps that come from the emulator it was recorded from; they stay
/// gaps (the demo saw no more than that recording), but nobody should chase them.
pub fn explain_emulator_gaps(inventory: &mut crate::inventory::Inventory) {
    for record in &mut inventory.coverage {
        let known = EMULATOR_GAPS
            .iter()
            .find(|(service, operation, _)| record.service == *service && record.operation == *operation);
        if let Some((_, _, why)) = known {
            record.message =
                format!("{} — a gap of the demo's recording: {why}; against AWS the call succeeds", record.message);
        }
    }
}
