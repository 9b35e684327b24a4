//! Collectors: AWS APIs → [`Inventory`]. One module per service; the [`Scanner`] fans them out over regions.
//! A failed call becomes a [`CoverageRecord`] and the scan goes on. Progress is a stream of [`ScanEvent`]s
//! that any front end (progress bar, TUI) may consume; nothing here knows about one.

mod apigateway;
mod apigatewayv2;
mod call;
mod iam;
mod iam_entities;
mod lambda;
pub mod operations;
mod sts;

pub(crate) use call::{Call, CallFailure, Ctx};

use std::sync::Arc;

use aws_config::SdkConfig;
use chrono::Utc;
use futures::StreamExt;
use tokio::sync::mpsc::UnboundedSender;

use crate::aws::{CallCounters, ReadOnlyGuard, STANDARD_REGIONS, for_region, retry_partition};
use crate::inventory::{
    AccountIdentity, CoverageRecord, ErrorKind, Inventory, Redactor, RegionStatus, RequestStats, ScanMetadata,
    Timestamp,
    apigateway::{HttpInventory, RestInventory},
    lambda::LambdaInventory,
};

/// The services stance collects, as named in coverage records and events.
pub const SERVICES: &[&str] = &["iam", "lambda", "apigateway", "apigatewayv2"];
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
    #[error("cannot identify the caller with sts:GetCallerIdentity ({kind:?}): {message}")]
    Identity { kind: ErrorKind, message: String },
    #[error("no region to scan: every requested region was skipped")]
    NoRegion,
}

/// A client of one SDK crate as every collector needs it: the read-only guard, and the retry partition of
/// its service and region (`aws::retry_partition`). A macro because each SDK crate has its own builder type.
macro_rules! client {
    ($scanner:expr, $sdk:ident, $config:expr, $service:expr, $region:expr) => {
        $sdk::Client::from_conf(
            $sdk::config::Builder::from($config)
                .interceptor($scanner.guard())
                .retry_partition(retry_partition($service, $region))
                .build(),
        )
    };
}

pub struct Scanner {
    config: SdkConfig,
    options: ScanOptions,
    redactor: Redactor,
    events: Option<UnboundedSender<ScanEvent>>,
    counters: Arc<CallCounters>,
}

/// The clients of one region, each carrying the read-only guard.
struct RegionClients {
    lambda: aws_sdk_lambda::Client,
    apigateway: aws_sdk_apigateway::Client,
    apigatewayv2: aws_sdk_apigatewayv2::Client,
}

impl Scanner {
    pub fn new(config: SdkConfig, options: ScanOptions, redactor: Redactor) -> Self {
        Self { config, options, redactor, events: None, counters: Arc::default() }
    }

    pub fn with_events(mut self, events: UnboundedSender<ScanEvent>) -> Self {
        self.events = Some(events);
        self
    }

    fn guard(&self) -> ReadOnlyGuard {
        ReadOnlyGuard::new(self.counters.clone())
    }

    fn sts(&self, config: &SdkConfig) -> aws_sdk_sts::Client {
        let region = config.region().map(|r| r.to_string()).unwrap_or_default();
        client!(self, aws_sdk_sts, config, "sts", &region)
    }

    fn region_clients(&self, region: &str) -> RegionClients {
        let config = for_region(&self.config, region);
        RegionClients {
            lambda: client!(self, aws_sdk_lambda, &config, "lambda", region),
            apigateway: client!(self, aws_sdk_apigateway, &config, "apigateway", region),
            apigatewayv2: client!(self, aws_sdk_apigatewayv2, &config, "apigatewayv2", region),
        }
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

        let account = sts::caller_identity(&ctx, &self.sts(&self.config)).await?;
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
        self.emit(ScanEvent::Planned { tasks: 1 + scanned.len() * 3 });

        let iam_client = client!(self, aws_sdk_iam, &self.config, "iam", GLOBAL);
        // The collectors' futures are boxed: inline, the scan's future would be hundreds of KiB, too big for
        // the stack of a thread that drives it (the TUI's scan thread, a test's).
        let iam_task = self.task("iam", GLOBAL, Box::pin(iam::collect(&ctx, &iam_client, &account.partition)), |iam| {
            iam.users.len() + iam.roles.len() + iam.groups.len() + iam.managed_policies.len()
        });

        let regional_tasks = futures::stream::iter(scanned.iter())
            .map(|region| {
                let clients = self.region_clients(region);
                let ctx = &ctx;
                async move {
                    let lambda =
                        self.task("lambda", region, Box::pin(lambda::collect(ctx, &clients.lambda, region)), |out| {
                            out.functions.len()
                        });
                    let rest = self.task(
                        "apigateway",
                        region,
                        Box::pin(apigateway::collect(ctx, &clients.apigateway, region)),
                        |out| out.apis.len(),
                    );
                    let http = self.task(
                        "apigatewayv2",
                        region,
                        Box::pin(apigatewayv2::collect(ctx, &clients.apigatewayv2, region)),
                        |out| out.apis.len(),
                    );
                    tokio::join!(lambda, rest, http)
                }
            })
            // Every region's tasks run at once; the request semaphore in `ctx` is the real bound.
            .buffer_unordered(scanned.len().max(1))
            .collect::<Vec<_>>();

        let (iam, regional) = tokio::join!(iam_task, regional_tasks);

        let mut lambda_inv = LambdaInventory::default();
        let mut rest_inv = RestInventory::default();
        let mut http_inv = HttpInventory::default();
        for (lambda, rest, http) in regional {
            lambda_inv.functions.extend(lambda.functions);
            rest_inv.apis.extend(rest.apis);
            rest_inv.api_keys.extend(rest.api_keys);
            rest_inv.usage_plans.extend(rest.usage_plans);
            rest_inv.domain_names.extend(rest.domain_names);
            http_inv.apis.extend(http.apis);
            http_inv.domain_names.extend(http.domain_names);
        }

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
        Ok(Inventory {
            account,
            scan: ScanMetadata {
                tool_version: env!("CARGO_PKG_VERSION").into(),
                started_at,
                finished_at: Utc::now(),
                as_of: self.options.as_of.unwrap_or(started_at),
                regions,
                requests,
            },
            iam,
            lambda: lambda_inv,
            apigateway: rest_inv,
            apigatewayv2: http_inv,
            coverage,
        })
    }

    /// Runs one (service, region) collector, reporting its start and end.
    async fn task<T>(
        &self,
        service: &'static str,
        region: &str,
        collector: impl std::future::Future<Output = T>,
        resources: impl FnOnce(&T) -> usize,
    ) -> T {
        self.emit(ScanEvent::TaskStarted { service, region: region.to_owned() });
        let out = collector.await;
        self.emit(ScanEvent::TaskFinished { service, region: region.to_owned(), resources: resources(&out) });
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
