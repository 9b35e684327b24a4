//! The normalized, serializable picture of an account: what the collectors produce and analysis reads.
//! Resources are keyed by their canonical ARN so that ordering (and so the file) is deterministic.

pub mod apigateway;
pub mod arn;
mod coverage;
pub mod credential_report;
pub mod iam;
pub mod lambda;
mod policy;
mod redact;

pub use coverage::{CoverageRecord, ErrorKind};
pub use policy::PolicyDocument;
pub use redact::{Redactor, SecretValue, ValueKind};

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub type Timestamp = DateTime<Utc>;

/// Something that is either known to exist, known not to exist, or could not be observed (the coverage
/// records say why). Partial access is normal, so "absent" and "unknown" must not be confused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(tag = "state", content = "value", rename_all = "snake_case")]
pub enum Observed<T> {
    Present(T),
    Absent,
    #[default]
    Unknown,
}

impl<T> Observed<T> {
    pub fn present(&self) -> Option<&T> {
        match self {
            Observed::Present(value) => Some(value),
            _ => None,
        }
    }
    pub fn is_unknown(&self) -> bool {
        matches!(self, Observed::Unknown)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountIdentity {
    pub account_id: String,
    pub partition: String,
    /// Who ran the scan (an IAM ARN; not a secret).
    pub caller_arn: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum RegionStatus {
    Scanned { region: String },
    Skipped { region: String, reason: String },
}

impl RegionStatus {
    pub fn region(&self) -> &str {
        match self {
            RegionStatus::Scanned { region } | RegionStatus::Skipped { region, .. } => region,
        }
    }
}

/// Requests the scan sent, as counted by the read-only guard on every client.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RequestStats {
    pub calls: u64,
    /// Every attempt of every call: the requests that went over the wire.
    pub attempts: u64,
    pub retries: u64,
    /// Attempts the service answered with a throttling error (each retried after a backoff).
    #[serde(default)]
    pub throttled: u64,
    /// Time spent waiting between attempts (retry backoff), summed over all calls.
    #[serde(default)]
    pub backoff_ms: u64,
    pub per_operation: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScanMetadata {
    pub tool_version: String,
    pub started_at: Timestamp,
    pub finished_at: Timestamp,
    /// The time that time-based rules evaluate at (`--as-of`, default: the scan's start).
    pub as_of: Timestamp,
    pub regions: Vec<RegionStatus>,
    pub requests: RequestStats,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Inventory {
    pub account: AccountIdentity,
    pub scan: ScanMetadata,
    pub iam: iam::IamInventory,
    pub lambda: lambda::LambdaInventory,
    pub apigateway: apigateway::RestInventory,
    pub apigatewayv2: apigateway::HttpInventory,
    /// Everything the scan could not see, sorted.
    pub coverage: Vec<CoverageRecord>,
}

impl Inventory {
    /// A scan with no coverage gaps saw everything it looked for.
    pub fn is_complete(&self) -> bool {
        self.coverage.is_empty()
    }

    /// Resource counts per kind, for summaries and tests.
    pub fn counts(&self) -> BTreeMap<&'static str, usize> {
        let rest_methods = self
            .apigateway
            .apis
            .values()
            .filter_map(|api| api.resources.as_ref())
            .flatten()
            .map(|r| r.methods.len())
            .sum();
        let routes = self.apigatewayv2.apis.values().filter_map(|api| api.routes.as_ref()).map(Vec::len).sum();
        let access_keys = self.iam.users.values().filter_map(|u| u.access_keys.as_ref()).map(Vec::len).sum();
        BTreeMap::from([
            ("iam_users", self.iam.users.len()),
            ("iam_groups", self.iam.groups.len()),
            ("iam_roles", self.iam.roles.len()),
            ("iam_managed_policies", self.iam.managed_policies.len()),
            ("iam_access_keys", access_keys),
            ("lambda_functions", self.lambda.functions.len()),
            ("rest_apis", self.apigateway.apis.len()),
            ("rest_methods", rest_methods),
            ("rest_api_keys", self.apigateway.api_keys.len()),
            ("rest_usage_plans", self.apigateway.usage_plans.len()),
            ("http_websocket_apis", self.apigatewayv2.apis.len()),
            ("http_websocket_routes", routes),
        ])
    }
}
