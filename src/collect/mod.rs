//! Collectors: AWS APIs → [`Inventory`]. One module per service; the [`Scanner`] fans them out over regions.
//! A failed call becomes a [`CoverageRecord`] and the scan goes on. Progress is a stream of [`ScanEvent`]s
//! that any front end (progress bar, TUI) may consume; nothing here knows about one.

mod apigateway;
mod apigatewayv2;
mod call;
mod cloudtrail;
mod cloudwatch;
mod eventbridge;
mod iam;
mod kms;
mod lambda;
mod logs;
pub mod operations;
pub mod org;
mod organizations;
mod secretsmanager;
mod sns;
mod sqs;
mod ssm;
mod sts;
mod tagging;

pub(crate) use call::{Call, CallFailure, Ctx};

use std::sync::Arc;

use aws_config::SdkConfig;
use chrono::Utc;
use futures::StreamExt;
use tokio::sync::mpsc::UnboundedSender;

use crate::aws::{CallCounters, ReadOnlyGuard, STANDARD_REGIONS, for_region, retry_partition};
use crate::inventory::{
    AccountIdentity, CoverageRecord, ErrorKind, Inventory, Redactor, RegionStatus, RequestStats, ScanMetadata, Scope,
    ServiceFacts, ServiceModel, Timestamp,
};

/// The region name of global services' records.
pub const GLOBAL: &str = "global";

#[derive(Debug, Clone, PartialEq)]
pub enum RegionSelection {
    /// These regions, as given.
    Listed(Vec<String>),
    /// Every standard commercial region the account has enabled.
    AllStandard,
}

#[derive(Debug, Clone)]
pub struct ScanOptions {
    pub regions: RegionSelection,
    /// Requests in flight at most, across all services and regions.
    pub concurrency: usize,
    /// The evaluation time of time-based rules; default: the scan's start.
    pub as_of: Option<Timestamp>,
    /// The whole scan's time limit: what is not collected by then is recorded as timed out.
    pub time_limit: Option<std::time::Duration>,
}

/// What a scan reports while it runs.
#[derive(Debug, Clone)]
pub enum ScanEvent {
    Identity(AccountIdentity),
    /// The (service, region) tasks the scan will run, once regions are known.
    Planned {
        tasks: usize,
    },
    RegionSkipped {
        region: String,
        reason: String,
    },
    TaskStarted {
        service: &'static str,
        region: String,
    },
    TaskFinished {
        service: &'static str,
        region: String,
        resources: usize,
    },
    Gap(CoverageRecord),
}

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("cannot identify the caller with sts:GetCallerIdentity: {message}")]
    Identity { kind: ErrorKind, message: String },
    #[error("no region to scan: every requested region was skipped")]
    NoRegion,
}

/// A client of one SDK crate as every collector needs it: the read-only guard, the throttling codes the SDK
/// misses (`aws::ThrottlingClassifier`), and the retry partition of
/// its service and region (`aws::retry_partition`). A macro because each SDK crate has its own builder type.
macro_rules! client {
    ($scanner:expr, $sdk:ident, $config:expr, $service:expr, $region:expr) => {
        $sdk::Client::from_conf(
            $sdk::config::Builder::from($config)
                .interceptor($scanner.guard())
                .retry_classifier(crate::aws::ThrottlingClassifier)
                .retry_partition(retry_partition(&$scanner.retry_scope, $service, $region))
                .build(),
        )
    };
}

/// Where a collector runs: its region (`global` for a global service), the account's partition and id.
pub(crate) struct Location<'a> {
    pub region: &'a str,
    pub partition: &'a str,
    pub account: &'a str,
    /// Every region the scan covers (a regional collector may read a resource for another region's sake).
    pub scanned: &'a [String],
}

/// What a finished task hands back: its result, merged into the inventory.
type Merge<'a> = Box<dyn FnOnce(&mut Inventory) + Send + 'a>;

fn merger<'a, M: ServiceModel + Send + 'a>(out: M, field: fn(&mut Inventory) -> &mut M) -> Merge<'a> {
    Box::new(move |inventory| field(inventory).merge(out))
}

/// The listing pages a regional listing needs at least: one per region, and one more per `page` resources
/// (`regions_of_resources` names each resource's region).
fn pages_needed<'a>(regions_of_resources: impl Iterator<Item = &'a str>, regions: usize, page: usize) -> usize {
    let mut per_region: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for region in regions_of_resources {
        *per_region.entry(region).or_default() += 1;
    }
    let extra: usize = per_region.values().map(|n| n.saturating_sub(1) / page.max(1)).sum();
    regions + extra
}

/// The regions a service of `scope` is collected in.
fn regions_of(scope: Scope, scanned: &[String]) -> Vec<&str> {
    match scope {
        Scope::Global => vec![GLOBAL],
        Scope::Regional => scanned.iter().map(String::as_str).collect(),
    }
}

/// The scanner's side of the service table (`inventory::services!`): every service's collector, called as
/// `collect::SERVICE::collect(ctx, client, location)` with a client of the SDK crate the table names.
macro_rules! scanner_services {
    ($($field:ident: $module:ident::$model:ident => $scope:ident, $posture:literal, $sdk:ident;)+) => {
        impl Scanner {
            /// One task per global service and one per regional service and region: each runs the collector
            /// with its own guarded client (and retry partition), and reports its start and end.
            fn tasks<'a>(
                &'a self,
                ctx: &'a Ctx,
                account: &'a AccountIdentity,
                scanned: &'a [String],
            ) -> Vec<futures::future::LocalBoxFuture<'a, Merge<'a>>> {
                let mut tasks: Vec<futures::future::LocalBoxFuture<'a, Merge<'a>>> = Vec::new();
                $(
                    for region in regions_of(Scope::$scope, scanned) {
                        let config = match Scope::$scope {
                            Scope::Global => self.config.clone(),
                            Scope::Regional => for_region(&self.config, region),
                        };
                        let client = client!(self, $sdk, &config, stringify!($field), region);
                        // Boxed: inline, the scan's future would be hundreds of KiB, too big for the stack of a
                        // thread that drives it (the TUI's scan thread, a test's).
                        tasks.push(Box::pin(async move {
                            let at = Location { region, partition: &account.partition, account: &account.account_id, scanned };
                            let out = self.task(stringify!($field), region, $field::collect(ctx, &client, &at)).await;
                            merger(out, |inventory| &mut inventory.$field)
                        }));
                    }
                )+
                tasks
            }
        }

        /// The fewest requests that can produce this inventory: one per page of each listing and one per
        /// per-resource read, summed over the services' collectors (`minimum_requests` in each), plus the
        /// identity call. The scan benchmark compares what was sent against it.
        pub fn minimum_requests(inventory: &Inventory, regions: usize) -> u64 {
            let services: usize = 0 $(+ $field::minimum_requests(&inventory.$field, regions))+;
            1 + services as u64
        }
    };
}

crate::inventory::services!(scanner_services);

pub struct Scanner {
    config: SdkConfig,
    options: ScanOptions,
    redactor: Redactor,
    events: Option<UnboundedSender<ScanEvent>>,
    counters: Arc<CallCounters>,
    /// The caller, when [`Scanner::identify`] already asked.
    identity: Option<AccountIdentity>,
    /// What sets this scan's retry partitions apart (the account, in an organization scan): a throttled
    /// account drains its own retry quota, not the others'.
    retry_scope: String,
}

impl Scanner {
    pub fn new(config: SdkConfig, options: ScanOptions, redactor: Redactor) -> Self {
        Self {
            config,
            options,
            redactor,
            events: None,
            counters: Arc::default(),
            identity: None,
            retry_scope: String::new(),
        }
    }

    /// Asks who the credentials belong to, before the scan: a front end that must fail before it opens
    /// (the TUI) calls this first. The scan then reuses the answer.
    pub async fn identify(&mut self) -> Result<AccountIdentity, ScanError> {
        let ctx = Ctx::new(1, self.redactor.clone(), None);
        let account = sts::caller_identity(&ctx, &self.sts(&self.config)).await?;
        self.identity = Some(account.clone());
        Ok(account)
    }

    /// Retry partitions of their own (one per service and region of this scan), named by `scope`.
    pub fn with_retry_scope(mut self, scope: &str) -> Self {
        self.retry_scope = scope.to_owned();
        self
    }

    pub fn with_events(mut self, events: UnboundedSender<ScanEvent>) -> Self {
        self.events = Some(events);
        self
    }

    fn guard(&self) -> ReadOnlyGuard {
        ReadOnlyGuard::new(self.counters.clone())
    }

    /// An Organizations client, guarded like every other.
    fn organizations_client(&self, config: &SdkConfig) -> aws_sdk_organizations::Client {
        let region = config.region().map(|r| r.to_string()).unwrap_or_default();
        client!(self, aws_sdk_organizations, config, "organizations", &region)
    }

    fn sts(&self, config: &SdkConfig) -> aws_sdk_sts::Client {
        let region = config.region().map(|r| r.to_string()).unwrap_or_default();
        client!(self, aws_sdk_sts, config, "sts", &region)
    }

    fn emit(&self, event: ScanEvent) {
        if let Some(events) = &self.events {
            // A front end that went away does not stop the scan.
            let _ = events.send(event);
        }
    }

    /// Runs the whole scan. Fails only when the caller cannot be identified (no usable credentials);
    /// everything else that fails is recorded in the inventory's coverage.
    pub async fn run(&self) -> Result<Inventory, ScanError> {
        let started_at = Utc::now();
        let deadline = self.options.time_limit.map(|limit| tokio::time::Instant::now() + limit);
        let ctx =
            Ctx::new(self.options.concurrency, self.redactor.clone(), self.events.clone()).with_deadline(deadline);

        let account = match &self.identity {
            Some(account) => account.clone(),
            None => sts::caller_identity(&ctx, &self.sts(&self.config)).await?,
        };
        self.emit(ScanEvent::Identity(account.clone()));

        let regions = self.resolve_regions(&ctx).await;
        let scanned: Vec<String> = regions
            .iter()
            .filter_map(|status| match status {
                RegionStatus::Scanned { region } => Some(region.clone()),
                RegionStatus::Skipped { .. } => None,
            })
            .collect();
        if scanned.is_empty() {
            return Err(ScanError::NoRegion);
        }
        let tasks = self.tasks(&ctx, &account, &scanned);
        self.emit(ScanEvent::Planned { tasks: tasks.len() });
        // Every task runs at once; the request semaphore in `ctx` is the real bound. The results come back in
        // the tasks' order, so the merge is deterministic.
        let mut inventory = Inventory::default();
        for merge in futures::future::join_all(tasks).await {
            merge(&mut inventory);
        }
        self.tags_per_service(&ctx, &mut inventory).await;

        let mut coverage = ctx.into_coverage();
        coverage.sort();
        coverage.dedup();
        let requests = RequestStats {
            calls: self.counters.calls(),
            attempts: self.counters.attempts(),
            retries: self.counters.retries(),
            throttled: self.counters.throttled(),
            backoff_ms: self.counters.backoff().as_millis().try_into().unwrap_or(u64::MAX),
            per_operation: self.counters.per_operation(),
        };
        inventory.account = account;
        inventory.scan = ScanMetadata {
            tool_version: env!("CARGO_PKG_VERSION").into(),
            started_at,
            finished_at: Utc::now(),
            as_of: self.options.as_of.unwrap_or(started_at),
            regions,
            requests,
        };
        inventory.coverage = coverage;
        Ok(inventory)
    }

    /// Where the Tagging API was refused, the tags of that region's resources read with each service's own
    /// call: it needs the merged inventory (which resources there are), so it runs after every task.
    async fn tags_per_service(&self, ctx: &Ctx, inventory: &mut Inventory) {
        for region in inventory.tagging.refused_regions.clone() {
            let config = for_region(&self.config, &region);
            let clients = tagging::Clients {
                lambda: client!(self, aws_sdk_lambda, &config, "lambda", &region),
                sns: client!(self, aws_sdk_sns, &config, "sns", &region),
                sqs: client!(self, aws_sdk_sqs, &config, "sqs", &region),
                kms: client!(self, aws_sdk_kms, &config, "kms", &region),
                logs: client!(self, aws_sdk_cloudwatchlogs, &config, "logs", &region),
            };
            let (tags, complete) = tagging::per_service(ctx, &clients, &region, inventory).await;
            inventory.tagging.resources.extend(tags);
            if complete {
                crate::inventory::service::merge_regions(&mut inventory.tagging.listed_regions, vec![region]);
            }
        }
    }

    /// Runs one (service, region) collector, reporting its start and end.
    async fn task<T: ServiceFacts>(
        &self,
        service: &'static str,
        region: &str,
        collector: impl std::future::Future<Output = T>,
    ) -> T {
        self.emit(ScanEvent::TaskStarted { service, region: region.to_owned() });
        let out = collector.await;
        self.emit(ScanEvent::TaskFinished { service, region: region.to_owned(), resources: out.resource_count() });
        out
    }

    /// The regions to scan. For `--all-regions`, each standard region is probed with
    /// sts:GetCallerIdentity (needs no permission): a region the account has not enabled refuses the
    /// credentials and is recorded as skipped.
    async fn resolve_regions(&self, ctx: &Ctx) -> Vec<RegionStatus> {
        let requested: Vec<String> = match &self.options.regions {
            RegionSelection::Listed(regions) => {
                return regions.iter().map(|r| RegionStatus::Scanned { region: r.clone() }).collect();
            }
            RegionSelection::AllStandard => STANDARD_REGIONS.iter().map(|r| r.to_string()).collect(),
        };
        futures::stream::iter(requested)
            .map(|region| async move {
                let client = self.sts(&for_region(&self.config, &region));
                match ctx.send(client.get_caller_identity().send()).await {
                    Ok(_) => RegionStatus::Scanned { region },
                    Err(failure) if failure.kind == ErrorKind::AuthFailure => {
                        let reason = format!(
                            "not enabled for this account ({})",
                            failure.code.as_deref().unwrap_or("credentials refused")
                        );
                        self.emit(ScanEvent::RegionSkipped { region: region.clone(), reason: reason.clone() });
                        RegionStatus::Skipped { region, reason }
                    }
                    // Any other failure: scan the region anyway; its own calls will record what fails.
                    Err(_) => RegionStatus::Scanned { region },
                }
            })
            .buffered(self.options.concurrency.max(1))
            .collect::<Vec<_>>()
            .await
    }
}

mod guard_tests;
