//! `stance scan --org`: the organization read from the management account (or a delegated administrator),
//! then every selected account scanned with the full collector set — the caller's own account with its own
//! credentials, each other one through its member role — `--account-concurrency` accounts at a time, each
//! with its own request bound and retry partitions. An account whose role cannot be assumed is recorded
//! ([`Unassumable`]) and the others go on.

use std::sync::Arc;
use std::time::Instant;

use aws_config::SdkConfig;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use futures::StreamExt;
use tokio::sync::mpsc::UnboundedSender;

use super::organizations::{self, OrgError};
use super::{Ctx, ScanError, ScanOptions, Scanner};
use crate::aws::for_region;
use crate::inventory::org::{OrgAccount, Organization};
use crate::inventory::{AccountIdentity, Inventory, Redactor};
use crate::org::{Shard, Unassumable};

/// The role every member account has when the organization created it.
pub const DEFAULT_MEMBER_ROLE: &str = "OrganizationAccountAccessRole";

#[derive(Debug, Clone)]
pub struct OrgScanOptions {
    /// The role assumed in each member account (a name; `arn:…:iam::ACCOUNT:role/NAME` is built per account).
    pub member_role: String,
    pub external_id: Option<String>,
    /// Only these accounts (empty: all).
    pub accounts: Vec<String>,
    pub exclude: Vec<String>,
    /// Accounts scanned at once.
    pub account_concurrency: usize,
    pub shard: Option<Shard>,
    /// Each account's scan: regions, request concurrency, evaluation time, time limit.
    pub scan: ScanOptions,
}

/// What an organization scan reports while it runs.
#[derive(Debug, Clone)]
pub enum OrgEvent {
    Organization { id: String, accounts: usize, selected: usize },
    AccountStarted { account: String, name: String },
    AccountScanned { account: String, resources: usize, gaps: usize, seconds: f64 },
    AccountUnassumable { account: String, error: String },
}

#[derive(Debug, thiserror::Error)]
pub enum OrgScanError {
    #[error(transparent)]
    Identity(#[from] ScanError),
    #[error(transparent)]
    Organization(#[from] OrgError),
    #[error("no account to scan: the organization lists {listed}, and --accounts and --exclude-accounts leave none")]
    NoAccount { listed: usize },
}

/// A per-account HTTP client (a recording or a replay of that account's conversation); `None`: the base's.
pub type HttpFor = Arc<dyn Fn(&str) -> Option<SharedHttpClient> + Send + Sync>;

pub struct OrgScan {
    pub caller: AccountIdentity,
    pub organization: Organization,
    /// The accounts scanned, in account order, each with its membership.
    pub inventories: Vec<Inventory>,
    pub unassumable: Vec<Unassumable>,
}

pub struct OrgScanner {
    base: SdkConfig,
    options: OrgScanOptions,
    redactor: Redactor,
    http_for: Option<HttpFor>,
    events: Option<UnboundedSender<OrgEvent>>,
}

/// The region Organizations answers in, by partition.
fn organizations_region(partition: &str) -> &'static str {
    match partition {
        "aws-us-gov" => "us-gov-west-1",
        "aws-cn" => "cn-northwest-1",
        _ => "us-east-1",
    }
}

impl OrgScanner {
    pub fn new(base: SdkConfig, options: OrgScanOptions, redactor: Redactor) -> Self {
        Self { base, options, redactor, http_for: None, events: None }
    }

    pub fn with_http_for(mut self, http_for: HttpFor) -> Self {
        self.http_for = Some(http_for);
        self
    }

    pub fn with_events(mut self, events: UnboundedSender<OrgEvent>) -> Self {
        self.events = Some(events);
        self
    }

    fn emit(&self, event: OrgEvent) {
        if let Some(events) = &self.events {
            let _ = events.send(event);
        }
    }

    pub async fn run(&self) -> Result<OrgScan, OrgScanError> {
        let mut base_scanner = Scanner::new(self.base.clone(), self.options.scan.clone(), self.redactor.clone());
        let caller = base_scanner.identify().await?;
        let client =
            base_scanner.organizations_client(&for_region(&self.base, organizations_region(&caller.partition)));
        let ctx = Ctx::new(self.options.scan.concurrency, self.redactor.clone(), None);
        let mut organization = organizations::collect(&ctx, &client, &self.options.accounts).await?;
        organization.coverage = ctx.into_coverage();
        organization.coverage.sort();

        let selected: Vec<OrgAccount> =
            crate::org::select(&organization, &self.options.accounts, &self.options.exclude, self.options.shard)
                .into_iter()
                .cloned()
                .collect();
        self.emit(OrgEvent::Organization {
            id: organization.id.clone(),
            accounts: organization.accounts.len(),
            selected: selected.len(),
        });
        // An empty shard is normal (a small organization, many workers): it has nothing to do.
        if selected.is_empty() && self.options.shard.is_none() {
            return Err(OrgScanError::NoAccount { listed: organization.accounts.len() });
        }
        let organization_ref = &organization;
        let caller_ref = &caller;
        let outcomes: Vec<Result<Inventory, Unassumable>> = futures::stream::iter(selected)
            .map(|account| async move {
                let outcome = self.scan_account(caller_ref, &account).await;
                outcome.map(|mut inventory| {
                    inventory.organization = Some(organization_ref.membership(&account.id));
                    inventory
                })
            })
            .buffered(self.options.account_concurrency.max(1))
            .collect()
            .await;
        let mut scan = OrgScan { caller, organization, inventories: Vec::new(), unassumable: Vec::new() };
        for outcome in outcomes {
            match outcome {
                Ok(inventory) => scan.inventories.push(inventory),
                Err(failed) => scan.unassumable.push(failed),
            }
        }
        Ok(scan)
    }

    /// The configuration that acts in `account`: the caller's own, or its member role assumed.
    async fn config_for(&self, caller: &AccountIdentity, account: &str) -> (SdkConfig, String) {
        let role_arn = format!("arn:{}:iam::{account}:role/{}", caller.partition, self.options.member_role);
        let mut config = if account == caller.account_id {
            self.base.clone()
        } else {
            let mut builder = aws_config::sts::AssumeRoleProvider::builder(&role_arn)
                .session_name("stance-audit")
                .configure(&self.base);
            if let Some(external_id) = &self.options.external_id {
                builder = builder.external_id(external_id);
            }
            let provider = builder.build().await;
            self.base.clone().into_builder().credentials_provider(SharedCredentialsProvider::new(provider)).build()
        };
        if let Some(http) = self.http_for.as_ref().and_then(|f| f(account)) {
            config = config.into_builder().http_client(http).build();
        }
        (config, role_arn)
    }

    async fn scan_account(&self, caller: &AccountIdentity, account: &OrgAccount) -> Result<Inventory, Unassumable> {
        self.emit(OrgEvent::AccountStarted { account: account.id.clone(), name: account.name.clone() });
        let started = Instant::now();
        let (config, role_arn) = self.config_for(caller, &account.id).await;
        let unassumable = |error: String| {
            self.emit(OrgEvent::AccountUnassumable { account: account.id.clone(), error: error.clone() });
            Unassumable {
                account: account.id.clone(),
                name: account.name.clone(),
                role_arn: role_arn.clone(),
                error,
                at: chrono::Utc::now(),
            }
        };
        let mut scanner =
            Scanner::new(config, self.options.scan.clone(), self.redactor.clone()).with_retry_scope(&account.id);
        match scanner.identify().await {
            Err(error) if account.id == caller.account_id => return Err(unassumable(error.to_string())),
            Err(error) => return Err(unassumable(format!("cannot assume {role_arn}: {error}"))),
            Ok(identity) if identity.account_id != account.id => {
                return Err(unassumable(format!(
                    "the credentials of {role_arn} act in account {}, not {}",
                    identity.account_id, account.id
                )));
            }
            Ok(_) => {}
        }
        let inventory = scanner.run().await.map_err(|e| unassumable(e.to_string()))?;
        let resources = inventory.models().iter().map(|(_, m)| m.resource_count()).sum();
        self.emit(OrgEvent::AccountScanned {
            account: account.id.clone(),
            resources,
            gaps: inventory.coverage.len(),
            seconds: started.elapsed().as_secs_f64(),
        });
        Ok(inventory)
    }
}
