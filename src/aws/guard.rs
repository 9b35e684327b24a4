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
            return Err(format!(
                "stance is read-only and refuses to call {}:{}",
                metadata.service(),
                operation
            )
            .into());
        }
        self.counters.calls.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut map) = self.counters.per_operation.lock() {
            *map.entry(format!("{}:{}", metadata.service(), operation)).or_default() += 1;
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
        for op in ["CreateRole", "PutRolePolicy", "UpdateFunctionCode", "DeleteUser", "Invoke", "TagResource", "AttachRolePolicy"] {
            assert!(!is_read_only_operation(op), "{op}");
        }
    }
}
