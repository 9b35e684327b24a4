//! An SDK interceptor on every client stance builds: it refuses any operation that is not read-only before
//! anything is sent, and counts calls and attempts (retries) per operation for the scan summary.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// Operations that only read. `GenerateCredentialReport` only asks IAM to build a report of what exists.
pub fn is_read_only_operation(operation: &str) -> bool {
    ["List", "Get", "Describe"].iter().any(|prefix| operation.starts_with(prefix))
        || operation == "GenerateCredentialReport"
}

/// The IAM-style prefix of an SDK service name ("API Gateway" → "apigateway", "IAM" → "iam").
fn service_prefix(service: &str) -> String {
    service.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase()
}

/// Calls (executions) and attempts, per `service:Operation`.
#[derive(Debug, Default)]
pub struct CallCounters {
    calls: AtomicU64,
    attempts: AtomicU64,
    per_operation: Mutex<BTreeMap<String, u64>>,
}

impl CallCounters {
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }
    /// Requests sent: every attempt of every call.
    pub fn attempts(&self) -> u64 {
        self.attempts.load(Ordering::Relaxed)
    }
    pub fn retries(&self) -> u64 {
        self.attempts().saturating_sub(self.calls())
    }
    /// `service:Operation` → number of calls.
    pub fn per_operation(&self) -> BTreeMap<String, u64> {
        self.per_operation.lock().map(|m| m.clone()).unwrap_or_default()
    }
}

#[derive(Debug, Clone, Default)]
pub struct ReadOnlyGuard {
    counters: Arc<CallCounters>,
}

impl ReadOnlyGuard {
    pub fn new(counters: Arc<CallCounters>) -> Self {
        Self { counters }
    }
}

impl Intercept for ReadOnlyGuard {
    fn name(&self) -> &'static str {
        "stance::ReadOnlyGuard"
    }

    // Not `read_before_execution`: the operation's metadata is only in the bag once its configuration is
    // applied, which happens after that hook and before this one (still before anything is sent).
    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(metadata) = cfg.load::<Metadata>() else {
            return Err("stance refuses an AWS call whose operation it cannot identify".into());
        };
        let operation = metadata.name();
        if !is_read_only_operation(operation) {
            return Err(format!("stance is read-only and refuses to call {}:{}", metadata.service(), operation).into());
        }
        self.counters.calls.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut map) = self.counters.per_operation.lock() {
            *map.entry(format!("{}:{}", service_prefix(metadata.service()), operation)).or_default() += 1;
        }
        Ok(())
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.counters.attempts.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_reads_pass() {
        for op in ["ListRoles", "GetPolicy", "DescribeRegions", "GenerateCredentialReport"] {
            assert!(is_read_only_operation(op), "{op}");
        }
        for op in [
            "CreateRole",
            "PutRolePolicy",
            "UpdateFunctionCode",
            "DeleteUser",
            "Invoke",
            "TagResource",
            "AttachRolePolicy",
        ] {
            assert!(!is_read_only_operation(op), "{op}");
        }
    }
}

#[cfg(test)]
mod client_tests {
    use aws_sdk_iam::Client;
    use aws_sdk_iam::operation::{create_role::CreateRoleOutput, list_roles::ListRolesOutput};
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    use super::*;

    #[tokio::test]
    async fn a_mutating_call_is_refused_before_it_is_sent_and_reads_are_counted() {
        let create = mock!(Client::create_role).then_output(|| CreateRoleOutput::builder().build());
        let list = mock!(Client::list_roles)
            .sequence()
            .http_status(503, None)
            .output(|| ListRolesOutput::builder().set_roles(Some(vec![])).build().expect("complete"))
            .build();
        let counters = Arc::new(CallCounters::default());
        let guard = ReadOnlyGuard::new(counters.clone());
        let client = mock_client!(aws_sdk_iam, RuleMode::MatchAny, [&create, &list], |c| c
            .interceptor(guard.clone())
            .retry_config(aws_smithy_types::retry::RetryConfig::standard().with_max_attempts(3)));

        let refused = client.create_role().role_name("x").assume_role_policy_document("{}").send().await;
        let message = format!("{:?}", refused.expect_err("refused"));
        assert!(message.contains("refuses to call") && message.contains("CreateRole"), "{message}");
        assert_eq!(counters.attempts(), 0, "no attempt was made: nothing was sent");
        assert_eq!(counters.calls(), 0);

        client.list_roles().send().await.expect("retried to success");
        assert_eq!(counters.calls(), 1);
        assert_eq!(counters.attempts(), 2, "the 503 was retried once");
        assert_eq!(counters.retries(), 1);
        assert_eq!(counters.per_operation().into_iter().collect::<Vec<_>>(), [("iam:ListRoles".to_owned(), 1)]);
    }
}
