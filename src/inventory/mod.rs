//! The normalized, serializable picture of an account: what the collectors produce and analysis reads.
//! Resources are keyed by their canonical ARN so that ordering (and so the file) is deterministic.

pub mod apigateway;
pub mod arn;
pub mod cloudtrail;
pub mod cloudwatch;
mod coverage;
pub mod credential_report;
pub mod eventbridge;
pub mod iam;
pub mod kms;
pub mod lambda;
pub mod logs;
pub mod org;
mod policy;
mod redact;
pub mod regions;
pub mod secretsmanager;
pub mod service;
pub mod sns;
pub mod sqs;
pub mod ssm;
pub mod tags;

pub use coverage::{CoverageRecord, ErrorKind, FELL_BACK};
pub use policy::PolicyDocument;
pub use redact::{Redactor, SecretValue, ValueKind, names_a_secret};
pub use service::{Scope, ServiceFacts, ServiceInfo, ServiceModel};

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

/// The service table: every service stance collects, declared once. A macro that hands the table to
/// `$callback`, so that each place that must list every service (the [`Inventory`] struct below, the
/// scanner's fan-out and clients in `collect`, the snapshot reader) is generated from it.
/// Columns: field (= the service's name and its collector module `collect::FIELD`): inventory model =>
/// scope, posture group, SDK crate (only the scanner reads it).
macro_rules! services {
    ($callback:ident) => {
        $callback! {
            iam: iam::IamInventory => Global, "iam", aws_sdk_iam;
            lambda: lambda::LambdaInventory => Regional, "lambda", aws_sdk_lambda;
            apigateway: apigateway::RestInventory => Regional, "apigateway", aws_sdk_apigateway;
            apigatewayv2: apigateway::HttpInventory => Regional, "apigateway", aws_sdk_apigatewayv2;
            secretsmanager: secretsmanager::SecretsInventory => Regional, "secretsmanager", aws_sdk_secretsmanager;
            ssm: ssm::ParameterInventory => Regional, "ssm", aws_sdk_ssm;
            kms: kms::KmsInventory => Regional, "kms", aws_sdk_kms;
            cloudtrail: cloudtrail::TrailInventory => Regional, "cloudtrail", aws_sdk_cloudtrail;
            logs: logs::LogsInventory => Regional, "logs", aws_sdk_cloudwatchlogs;
            cloudwatch: cloudwatch::AlarmInventory => Regional, "cloudwatch", aws_sdk_cloudwatch;
            sns: sns::SnsInventory => Regional, "sns", aws_sdk_sns;
            sqs: sqs::SqsInventory => Regional, "sqs", aws_sdk_sqs;
            eventbridge: eventbridge::EventsInventory => Regional, "eventbridge", aws_sdk_eventbridge;
            // Last: its drift adds the tags to the resources the services before it indexed.
            tagging: tags::TagInventory => Regional, "governance", aws_sdk_resourcegroupstagging;
        }
    };
}
pub(crate) use services;

macro_rules! inventory {
    ($($field:ident: $module:ident::$model:ident => $scope:ident, $posture:literal, $sdk:ident;)+) => {
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        pub struct Inventory {
            pub account: AccountIdentity,
            pub scan: ScanMetadata,
            /// The account's place in its AWS Organization, when it was scanned as part of one.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub organization: Option<org::Membership>,
            // A service added after a snapshot was written is absent from it: empty, not an error.
            $(#[serde(default)] pub $field: $module::$model,)+
            /// Everything the scan could not see, sorted.
            pub coverage: Vec<CoverageRecord>,
            /// Services the file has no field for: it was written before stance scanned them, so they were not
            /// inventoried (not "had nothing"). Known only when a snapshot is read; never written.
            #[serde(skip)]
            pub unscanned: Vec<&'static str>,
        }

        /// Every service stance collects, in the table's order.
        pub const SERVICES: &[ServiceInfo] =
            &[$(ServiceInfo { name: stringify!($field), scope: Scope::$scope, posture: $posture }),+];

        impl Inventory {
            /// The inventory's top-level fields, in file order.
            pub const FIELDS: &'static [&'static str] = &["account", "scan", "organization", $(stringify!($field),)+ "coverage"];

            /// Each service's model, with its line of the table.
            pub fn models(&self) -> Vec<(&'static ServiceInfo, &dyn ServiceFacts)> {
                SERVICES.iter().zip([$(&self.$field as &dyn ServiceFacts),+]).collect()
            }
        }
    };
}

services!(inventory);

impl Inventory {
    /// Every resource a policy can require tags of, with its tags: IAM principals', secrets' and APIs' from
    /// their own listings, the rest from the Tagging API (or the per-service calls that replaced it).
    pub fn taggable(&self) -> Vec<tags::Taggable<'_>> {
        use tags::Taggable;
        let mut out = Vec::new();
        for user in self.iam.users.values() {
            out.push(Taggable { kind: "iam_user", arn: &user.arn, region: "global", tags: Some(&user.tags) });
        }
        for role in self.iam.roles.values() {
            out.push(Taggable { kind: "iam_role", arn: &role.arn, region: "global", tags: Some(&role.tags) });
        }
        for api in self.apigateway.apis.values() {
            out.push(Taggable { kind: "rest_api", arn: &api.arn, region: &api.region, tags: Some(&api.tags) });
        }
        for api in self.apigatewayv2.apis.values() {
            out.push(Taggable { kind: "http_api", arn: &api.arn, region: &api.region, tags: Some(&api.tags) });
        }
        for secret in self.secretsmanager.secrets.values() {
            out.push(Taggable { kind: "secret", arn: &secret.arn, region: &secret.region, tags: Some(&secret.tags) });
        }
        for f in self.lambda.functions.values() {
            out.push(Taggable {
                kind: "lambda_function",
                arn: &f.arn,
                region: &f.region,
                tags: self.tagging.of(&f.arn, &f.region),
            });
        }
        for k in self.kms.keys.values().filter(|k| k.is_customer_managed()) {
            out.push(Taggable {
                kind: "kms_key",
                arn: &k.arn,
                region: &k.region,
                tags: self.tagging.of(&k.arn, &k.region),
            });
        }
        for t in self.sns.topics.values() {
            out.push(Taggable {
                kind: "sns_topic",
                arn: &t.arn,
                region: &t.region,
                tags: self.tagging.of(&t.arn, &t.region),
            });
        }
        for q in self.sqs.queues.values() {
            out.push(Taggable {
                kind: "sqs_queue",
                arn: &q.arn,
                region: &q.region,
                tags: self.tagging.of(&q.arn, &q.region),
            });
        }
        for g in self.logs.groups.values() {
            out.push(Taggable {
                kind: "log_group",
                arn: &g.arn,
                region: &g.region,
                tags: self.tagging.of(&g.arn, &g.region),
            });
        }
        out
    }

    /// A scan with no coverage gaps saw everything it looked for.
    pub fn is_complete(&self) -> bool {
        self.coverage.is_empty()
    }

    /// Resource counts per kind, for summaries and tests.
    pub fn counts(&self) -> BTreeMap<&'static str, usize> {
        let mut counts = BTreeMap::new();
        for (_, model) in self.models() {
            model.counts(&mut counts);
        }
        counts
    }

    /// Every resource with the attributes a security review cares about, keyed by ARN (the diff's drift).
    pub fn drift_index(&self) -> service::DriftIndex {
        let mut index = service::DriftIndex::new();
        for (_, model) in self.models() {
            model.drift(&mut index);
        }
        index
    }

    /// Every resource of every service that names the KMS key it is encrypted with.
    pub fn key_references(&self) -> Vec<service::KeyReference<'_>> {
        self.models().into_iter().flat_map(|(_, model)| model.key_references()).collect()
    }

    /// A resource named by what it is ("topic orders-events", "route GET /orders on REST API shop"), from
    /// whichever service holds it; `None` for an ARN none of them inventoried.
    pub fn describe(&self, arn: &str) -> Option<String> {
        self.models().into_iter().find_map(|(_, model)| model.name_of(arn))
    }

    /// Every resource-based policy of every service, by resource ARN.
    pub fn resource_policies(&self) -> Vec<(&str, &PolicyDocument)> {
        self.models().into_iter().flat_map(|(_, model)| model.resource_policies()).collect()
    }
}
