//! An SDK interceptor on every client stance builds: it refuses any operation that is not read-only, and any
//! read of a value (a secret, a parameter, plaintext: [`NEVER_CALL`]), before anything is sent, and counts calls, attempts (retries), throttling answers and the time spent backing off
//! between attempts, for the scan summary.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::InterceptorContext;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::retries::classifiers::{ClassifyRetry, RetryAction, RetryClassifierPriority};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};

/// Operations that only read. `GenerateCredentialReport` only asks IAM to build a report of what exists.
pub fn is_read_only_operation(operation: &str) -> bool {
    ["List", "Get", "Describe"].iter().any(|prefix| operation.starts_with(prefix))
        || operation == "GenerateCredentialReport"
}

/// Operations that read what a resource holds rather than describe it: a secret's value, a parameter's value,
/// plaintext from a key, a generated data key or password, log events, query results, an object, an item, a
/// stream's records. stance works from metadata alone (`ListSecrets`, `DescribeSecret`,
/// `DescribeParameters`, …), so the guard refuses these by name, whatever the service and whatever IAM would
/// allow, even though most of them begin like reads.
pub const NEVER_CALL: &[&str] = &[
    // Secrets Manager
    "GetSecretValue",
    "BatchGetSecretValue",
    "GetRandomPassword",
    // SSM Parameter Store
    "GetParameter",
    "GetParameters",
    "GetParametersByPath",
    "GetParameterHistory",
    // KMS
    "Decrypt",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
    "GenerateRandom",
    "GetParametersForImport",
    // CloudWatch Logs and CloudTrail Lake: the events themselves
    "GetLogEvents",
    "GetLogRecord",
    "GetLogObject",
    "GetQueryResults",
    "FilterLogEvents",
    // SQS, S3, DynamoDB, Kinesis: messages, objects, items, records
    "ReceiveMessage",
    "GetObject",
    "GetObjectTorrent",
    "GetItem",
    "BatchGetItem",
    "GetRecords",
];

/// Whether the guard lets `operation` through: a read ([`is_read_only_operation`]) that is not on the
/// never-call list.
pub fn is_permitted_operation(operation: &str) -> bool {
    is_read_only_operation(operation) && !NEVER_CALL.contains(&operation)
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
    throttled: AtomicU64,
    backoff_micros: AtomicU64,
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
    /// Attempts answered with a throttling error.
    pub fn throttled(&self) -> u64 {
        self.throttled.load(Ordering::Relaxed)
    }
    /// Time between the end of one attempt and the start of the next, summed: the retry backoff.
    pub fn backoff(&self) -> Duration {
        Duration::from_micros(self.backoff_micros.load(Ordering::Relaxed))
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
        if NEVER_CALL.contains(&operation) {
            return Err(format!(
                "stance never reads secret values or data and refuses to call {}:{}",
                service_prefix(metadata.service()),
                operation
            )
            .into());
        }
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
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.counters.attempts.fetch_add(1, Ordering::Relaxed);
        if let Some(AttemptEnded(ended)) = cfg.load::<AttemptEnded>() {
            let waited = u64::try_from(ended.elapsed().as_micros()).unwrap_or(u64::MAX);
            self.counters.backoff_micros.fetch_add(waited, Ordering::Relaxed);
        }
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state().store_put(AttemptEnded(Instant::now()));
        if let Some(response) = context.response()
            && is_throttling(
                response.status().as_u16(),
                response.headers().get("x-amzn-query-error"),
                response.body().bytes().unwrap_or_default(),
            )
        {
            self.counters.throttled.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }
}

/// When the last attempt of the current call ended (kept in the call's config bag between attempts).
#[derive(Debug, Clone, Copy)]
struct AttemptEnded(Instant);

impl Storable for AttemptEnded {
    type Storer = StoreReplace<Self>;
}

/// The error codes AWS services throttle with (the coverage classifier reads them too). SNS's `Throttled`
/// is missing from the SDK's own list: [`ThrottlingClassifier`] makes it (and any 429) a throttling retry.
pub const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "Throttled",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "SlowDown",
    "RequestThrottled",
    "RequestThrottledException",
    "ProvisionedThroughputExceededException",
];

/// A retry classifier for throttling answers the SDK's classifiers let through: SNS answers `Throttled`
/// (HTTP 429, query XML), which neither the SDK's code list nor its transient status codes (500–504) name,
/// so without it a throttled SNS call would fail on its first attempt. It runs after the SDK's classifiers
/// and only speaks when they did not.
#[derive(Debug, Clone, Copy, Default)]
pub struct ThrottlingClassifier;

impl ClassifyRetry for ThrottlingClassifier {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        match ctx.response() {
            Some(response)
                if is_throttling(
                    response.status().as_u16(),
                    response.headers().get("x-amzn-query-error"),
                    response.body().bytes().unwrap_or_default(),
                ) =>
            {
                RetryAction::throttling_error()
            }
            _ => RetryAction::NoActionIndicated,
        }
    }

    fn classify_retry_v2(&self, ctx: &InterceptorContext, previous: &RetryAction) -> RetryAction {
        if *previous != RetryAction::NoActionIndicated {
            return previous.clone();
        }
        self.classify_retry(ctx)
    }

    fn name(&self) -> &'static str {
        "stance throttling codes"
    }

    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::run_after(RetryClassifierPriority::transient_error_classifier())
    }
}

/// Whether a response is a throttling error in any of the protocols' shapes: HTTP 429, or a throttling code
/// in a query-XML (`<Code>Throttling</Code>`), JSON (`"__type": "ThrottlingException"`) or CBOR (`__type`
/// text) error body, or in the `x-amzn-query-error` header of a query-compatible service (`Throttling;Sender`).
fn is_throttling(status: u16, query_error: Option<&str>, body: &[u8]) -> bool {
    if status == 429 {
        return true;
    }
    if status < 400 {
        return false;
    }
    let is_code = |code: &str| THROTTLING_CODES.contains(&code.rsplit('#').next().unwrap_or(code));
    if query_error.and_then(|h| h.split(';').next()).is_some_and(is_code) {
        return true;
    }
    if cbor_error_type(body).is_some_and(is_code) {
        return true;
    }
    let body = String::from_utf8_lossy(&body[..body.len().min(4096)]);
    THROTTLING_CODES.iter().any(|code| {
        body.contains(&format!("<Code>{code}</Code>"))
            || body.contains(&format!("\"{code}\""))
            || body.contains(&format!("#{code}\""))
    })
}

/// The `__type` text of a Smithy RPC v2 CBOR error body: the CBOR text that follows the `__type` key (a text
/// string header byte, then its bytes). `None` for any other body.
fn cbor_error_type(body: &[u8]) -> Option<&str> {
    const KEY: &[u8] = b"\x66__type";
    let at = body.windows(KEY.len()).position(|w| w == KEY)? + KEY.len();
    let (length, start) = match *body.get(at)? {
        header @ 0x60..=0x77 => (usize::from(header - 0x60), at + 1),
        0x78 => (usize::from(*body.get(at + 1)?), at + 2),
        _ => return None,
    };
    std::str::from_utf8(body.get(start..start + length)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_is_recognised_in_every_protocol_shape() {
        let query = b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>";
        assert!(is_throttling(400, None, query));
        assert!(is_throttling(429, None, b"{\"message\":\"Too Many Requests\"}"));
        assert!(is_throttling(
            400,
            None,
            b"{\"__type\":\"com.amazonaws#ThrottlingException\",\"message\":\"Rate exceeded\"}"
        ));
        assert!(is_throttling(400, None, b"{\"__type\":\"ThrottlingException\"}"));
        assert!(!is_throttling(403, None, b"<Code>AccessDenied</Code>"));
        assert!(
            !is_throttling(200, None, b"<Code>Throttling</Code>"),
            "a successful body mentioning it is not an error"
        );
        // CBOR: {"__type": "com.amazonaws.cloudwatch#Throttling"}, and the query-compatible header alone.
        let mut cbor = vec![0xa1, 0x66];
        cbor.extend(b"__type");
        let code = b"com.amazonaws.cloudwatch#Throttling";
        cbor.extend([0x78, code.len() as u8]);
        cbor.extend(code);
        assert!(is_throttling(400, None, &cbor));
        assert!(is_throttling(400, Some("Throttling;Sender"), b""));
        assert!(!is_throttling(403, Some("AccessDenied;Sender"), &cbor[..8]));
    }

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
        assert!(counters.backoff() > Duration::ZERO, "the wait before the retry is counted");
        assert_eq!(counters.per_operation().into_iter().collect::<Vec<_>>(), [("iam:ListRoles".to_owned(), 1)]);
    }
}
