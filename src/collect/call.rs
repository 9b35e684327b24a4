//! Every AWS call goes through [`Ctx`]: a permit from the request semaphore (the `--concurrency` bound), the
//! error classified into an [`ErrorKind`], and a coverage record when the caller cannot do without it.

use std::error::Error as StdError;
use std::future::Future;
use std::sync::Mutex;

use aws_smithy_async::future::pagination_stream::PaginationStream;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use tokio::sync::{Semaphore, SemaphorePermit, mpsc::UnboundedSender};

use super::ScanEvent;
use crate::inventory::{CoverageRecord, ErrorKind, Observed, Redactor};

/// What a call is, for its coverage record.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub service: &'static str,
    pub region: String,
    pub operation: &'static str,
    pub resource: Option<String>,
}

impl Call {
    pub fn new(service: &'static str, region: &str, operation: &'static str) -> Self {
        Self { service, region: region.to_owned(), operation, resource: None }
    }
    pub fn on(mut self, resource: impl Into<String>) -> Self {
        self.resource = Some(resource.into());
        self
    }
}

/// A failed call, classified.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CallFailure {
    pub kind: ErrorKind,
    pub code: Option<String>,
    pub message: String,
    /// The service said the resource does not exist (which often means "none", e.g. no resource policy).
    pub not_found: bool,
}

impl CallFailure {
    /// The call was cut off (or never started) because the scan's time limit passed.
    fn past_deadline() -> Self {
        CallFailure {
            kind: ErrorKind::Timeout,
            code: None,
            message: "not completed before the scan's time limit (--scan-timeout)".into(),
            not_found: false,
        }
    }

    fn record(self, call: &Call) -> CoverageRecord {
        CoverageRecord {
            service: call.service.to_owned(),
            region: call.region.clone(),
            operation: call.operation.to_owned(),
            resource: call.resource.clone(),
            error_kind: self.kind,
            code: self.code,
            message: self.message,
        }
    }
}

const NOT_FOUND_CODES: &[&str] =
    &["NoSuchEntity", "ResourceNotFoundException", "NotFoundException", "NoSuchEntityException"];

fn kind_of_code(code: &str) -> Option<ErrorKind> {
    Some(match code {
        "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" | "AuthorizationError" | "Forbidden" => {
            ErrorKind::AccessDenied
        }
        "InvalidClientTokenId"
        | "UnrecognizedClientException"
        | "AuthFailure"
        | "ExpiredToken"
        | "ExpiredTokenException"
        | "InvalidSignatureException"
        | "SignatureDoesNotMatch"
        | "UnauthorizedException"
        | "RegionDisabledException"
        | "OptInRequired" => ErrorKind::AuthFailure,
        code if crate::aws::THROTTLING_CODES.contains(&code) => ErrorKind::Throttled,
        "NotImplemented" | "NotImplementedException" | "UnknownOperationException" | "InvalidAction" => {
            ErrorKind::Unsupported
        }
        _ => return None,
    })
}

fn kind_of_status(status: u16, message: &str) -> ErrorKind {
    let lower = message.to_ascii_lowercase();
    if status == 501 || lower.contains("not yet implemented") || lower.contains("not implemented") {
        ErrorKind::Unsupported
    } else if status == 404 {
        // A 404 without an error code of the service's own: the endpoint has no such operation.
        ErrorKind::Unsupported
    } else if status == 403 {
        ErrorKind::AccessDenied
    } else if status == 429 {
        ErrorKind::Throttled
    } else {
        ErrorKind::ServiceError
    }
}

/// One line of text: error messages are stored in records and printed in summaries.
fn one_line(text: &str) -> String {
    let collapsed: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() > 400 { collapsed.chars().take(400).collect::<String>() + "…" } else { collapsed }
}

/// The error's own message and its sources', joined: readable in one line (the SDK's `Debug` forms are not).
fn error_chain(error: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = Some(error);
    while let Some(error) = current {
        let text = error.to_string();
        if !parts.last().is_some_and(|last| last.contains(&text)) {
            parts.push(text);
        }
        current = error.source();
    }
    parts.join(": ")
}

/// What to do about credentials that could not be loaded, in one line, from the SDK's error chain (which
/// ends, when nothing was found, in the last provider tried: usually the instance metadata service).
fn credentials_advice(chain: &str) -> String {
    let lower = chain.to_lowercase();
    if lower.contains("sso") && (lower.contains("expired") || lower.contains("token")) {
        return "no usable AWS credentials: the SSO session is missing or has expired; run `aws sso login` \
                (with --profile NAME for a named profile)"
            .into();
    }
    if lower.contains("assume") || lower.contains("credential_process") || lower.contains("credential process") {
        // A profile that names a role or a process: its own error says what failed.
        return format!("no usable AWS credentials: the credential source failed ({})", provider_cause(chain));
    }
    "no usable AWS credentials were found (environment, profile files, SSO, container or instance metadata): \
     pass --profile NAME, run `aws sso login`, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        .into()
}

/// What a credential provider's error chain says went wrong: the service's code and message when the chain
/// ends in the service's error (`Error { code: "AccessDenied", message: "…" }`, as an AssumeRole refusal
/// does), else its last part.
fn provider_cause(chain: &str) -> String {
    let field = |name: &str| {
        let start = chain.rfind(&format!("{name}: \""))? + name.len() + 3;
        let end = chain[start..].find('"')?;
        Some(&chain[start..start + end])
    };
    match (field("code"), field("message")) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        _ => chain.rsplit(": ").next().unwrap_or(chain).to_owned(),
    }
}

/// Whether the request failed because no credentials could be loaded (before anything was sent).
fn is_credentials_error(error: &(dyn StdError + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(error) = current {
        if error.is::<aws_credential_types::provider::error::CredentialsError>() {
            return true;
        }
        current = error.source();
    }
    false
}

pub(crate) fn classify<E>(error: &SdkError<E, HttpResponse>) -> CallFailure
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    let failure = |kind, code: Option<&str>, message: String| CallFailure {
        kind,
        code: code.map(str::to_owned),
        message: one_line(&message),
        not_found: code.is_some_and(|c| NOT_FOUND_CODES.contains(&c)),
    };
    match error {
        SdkError::ServiceError(context) => {
            let err = context.err();
            let status = context.raw().status().as_u16();
            let message = err.message().map(str::to_owned).unwrap_or_else(|| format!("HTTP {status}"));
            let code = err.code();
            let kind = match code.and_then(kind_of_code) {
                Some(kind) => kind,
                None if code.is_some_and(|c| NOT_FOUND_CODES.contains(&c)) => ErrorKind::ServiceError,
                None => kind_of_status(status, &message),
            };
            failure(kind, code, message)
        }
        SdkError::ResponseError(context) => {
            let status = context.raw().status().as_u16();
            let message = format!("unreadable HTTP {status} response: {}", error_chain(error));
            let kind = match status {
                404 | 501 => ErrorKind::Unsupported,
                429 => ErrorKind::Throttled,
                403 => ErrorKind::AccessDenied,
                _ => ErrorKind::MalformedResponse,
            };
            failure(kind, None, message)
        }
        SdkError::TimeoutError(_) => failure(ErrorKind::Timeout, None, error_chain(error)),
        SdkError::DispatchFailure(dispatch) => {
            if is_credentials_error(error) {
                let chain = error_chain(error);
                tracing::debug!("loading credentials failed: {chain}");
                return failure(ErrorKind::AuthFailure, None, credentials_advice(&chain));
            }
            let kind = if dispatch.is_timeout() { ErrorKind::Timeout } else { ErrorKind::Network };
            failure(kind, None, error_chain(error))
        }
        _ => failure(ErrorKind::ServiceError, None, error_chain(error)),
    }
}

/// The shared state of one scan's collectors.
pub(crate) struct Ctx {
    requests: Semaphore,
    concurrency: usize,
    coverage: Mutex<Vec<CoverageRecord>>,
    events: Option<UnboundedSender<ScanEvent>>,
    /// The scan's time limit: calls still queued or in flight then fail as timeouts (coverage gaps).
    deadline: Option<tokio::time::Instant>,
    pub redactor: Redactor,
}

impl Ctx {
    pub fn new(concurrency: usize, redactor: Redactor, events: Option<UnboundedSender<ScanEvent>>) -> Self {
        Self {
            requests: Semaphore::new(concurrency.max(1)),
            concurrency: concurrency.max(1),
            coverage: Mutex::default(),
            events,
            deadline: None,
            redactor,
        }
    }

    pub fn with_deadline(mut self, deadline: Option<tokio::time::Instant>) -> Self {
        self.deadline = deadline;
        self
    }

    /// `work`, unless the scan's time limit passes first.
    async fn before_deadline<T>(&self, work: impl Future<Output = T>) -> Result<T, CallFailure> {
        match self.deadline {
            None => Ok(work.await),
            Some(deadline) => tokio::time::timeout_at(deadline, work).await.map_err(|_| CallFailure::past_deadline()),
        }
    }

    /// How many per-resource calls to keep queued at once: enough to keep every permit busy.
    pub fn fanout(&self) -> usize {
        self.concurrency
    }

    async fn permit(&self) -> Option<SemaphorePermit<'_>> {
        // The semaphore is never closed, so acquiring only fails if it were; then run unbounded.
        self.requests.acquire().await.ok()
    }

    pub fn into_coverage(self) -> Vec<CoverageRecord> {
        self.coverage.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn record(&self, call: &Call, failure: CallFailure) {
        let record = failure.record(call);
        tracing::debug!(%record, "coverage gap");
        if let Some(events) = &self.events {
            let _ = events.send(ScanEvent::Gap(record.clone()));
        }
        match self.coverage.lock() {
            Ok(mut coverage) => coverage.push(record),
            Err(poisoned) => poisoned.into_inner().push(record),
        }
    }

    /// Sends one request; the caller decides what a failure means.
    pub async fn send<T, E>(
        &self,
        request: impl Future<Output = Result<T, SdkError<E, HttpResponse>>>,
    ) -> Result<T, CallFailure>
    where
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    {
        self.before_deadline(async {
            let _permit = self.permit().await;
            request.await.map_err(|error| classify(&error))
        })
        .await?
    }

    /// Sends one request; a failure is recorded and gives `None`.
    pub async fn fetch<T, E>(
        &self,
        call: Call,
        request: impl Future<Output = Result<T, SdkError<E, HttpResponse>>>,
    ) -> Option<T>
    where
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    {
        match self.send(request).await {
            Ok(output) => Some(output),
            Err(failure) => {
                self.record(&call, failure);
                None
            }
        }
    }

    /// Sends a request for something that may not exist: "not found" is `Absent`, not a gap.
    pub async fn fetch_observed<T, E>(
        &self,
        call: Call,
        request: impl Future<Output = Result<T, SdkError<E, HttpResponse>>>,
    ) -> Observed<T>
    where
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    {
        match self.send(request).await {
            Ok(output) => Observed::Present(output),
            Err(failure) if failure.not_found => Observed::Absent,
            Err(failure) => {
                self.record(&call, failure);
                Observed::Unknown
            }
        }
    }

    /// Fetches a policy document that may not exist (a function's, a secret's, a key's): `Absent` when the
    /// service says there is none, by "not found" or by an answer without a document; `text` reads it.
    pub async fn fetch_policy<T, E>(
        &self,
        call: Call,
        request: impl Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        text: impl FnOnce(&T) -> Option<&str>,
    ) -> Observed<crate::inventory::PolicyDocument>
    where
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    {
        match self.fetch_observed(call, request).await {
            Observed::Present(output) => match text(&output) {
                Some(policy) => Observed::Present(crate::inventory::PolicyDocument::parse(policy)),
                None => Observed::Absent,
            },
            Observed::Absent => Observed::Absent,
            Observed::Unknown => Observed::Unknown,
        }
    }

    /// Drains an SDK paginator, holding one request permit (pages are sequential): the pages that came, and
    /// the failure that stopped it, if one did.
    pub async fn try_pages<P, E>(
        &self,
        mut stream: PaginationStream<Result<P, SdkError<E, HttpResponse>>>,
    ) -> (Vec<P>, Option<CallFailure>)
    where
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    {
        let _permit = match self.before_deadline(self.permit()).await {
            Ok(permit) => permit,
            Err(failure) => return (Vec::new(), Some(failure)),
        };
        let mut pages = Vec::new();
        loop {
            match self.before_deadline(stream.next()).await {
                Ok(None) => return (pages, None),
                Ok(Some(Ok(page))) => pages.push(page),
                Ok(Some(Err(error))) => return (pages, Some(classify(&error))),
                Err(failure) => return (pages, Some(failure)),
            }
        }
    }

    /// [`Ctx::try_pages`], recording a failure. A failure after some pages keeps those pages; `None` only
    /// when not even the first page came.
    pub async fn pages<P, E>(
        &self,
        call: Call,
        stream: PaginationStream<Result<P, SdkError<E, HttpResponse>>>,
    ) -> Option<Vec<P>>
    where
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    {
        self.listing(call, stream).await.0
    }

    /// [`Ctx::pages`], and whether the listing came in full: what a model's `listed_regions` records, so that
    /// "none" is only concluded where everything was seen.
    pub async fn listing<P, E>(
        &self,
        call: Call,
        stream: PaginationStream<Result<P, SdkError<E, HttpResponse>>>,
    ) -> (Option<Vec<P>>, bool)
    where
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    {
        let (pages, failure) = self.try_pages(stream).await;
        let complete = failure.is_none();
        (self.settle_pages(&call, pages, failure), complete)
    }

    /// Token pagination for operations the SDK has no paginator for: `request(token)` fetches one page,
    /// `next_token` reads the page's continuation token. Same partial-result rules as [`Ctx::pages`].
    pub async fn token_pages<P, E, F, Fut>(
        &self,
        call: Call,
        request: F,
        next_token: impl Fn(&P) -> Option<String>,
    ) -> Option<Vec<P>>
    where
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
        F: FnMut(Option<String>) -> Fut,
        Fut: Future<Output = Result<P, SdkError<E, HttpResponse>>>,
    {
        self.token_listing(call, request, next_token).await.0
    }

    /// [`Ctx::token_pages`], and whether the listing came in full (as [`Ctx::listing`]).
    pub async fn token_listing<P, E, F, Fut>(
        &self,
        call: Call,
        mut request: F,
        next_token: impl Fn(&P) -> Option<String>,
    ) -> (Option<Vec<P>>, bool)
    where
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
        F: FnMut(Option<String>) -> Fut,
        Fut: Future<Output = Result<P, SdkError<E, HttpResponse>>>,
    {
        let _permit = match self.before_deadline(self.permit()).await {
            Ok(permit) => permit,
            Err(failure) => return (self.settle_pages(&call, Vec::new(), Some(failure)), false),
        };
        let mut pages: Vec<P> = Vec::new();
        let mut token: Option<String> = None;
        let failure = loop {
            let page = match self.before_deadline(request(token.take())).await {
                Ok(page) => page,
                Err(failure) => break Some(failure),
            };
            match page {
                Ok(page) => {
                    token = next_token(&page).filter(|t| !t.is_empty());
                    pages.push(page);
                    if token.is_none() {
                        break None;
                    }
                }
                Err(error) => break Some(classify(&error)),
            }
        };
        let complete = failure.is_none();
        (self.settle_pages(&call, pages, failure), complete)
    }

    pub fn settle_pages<P>(&self, call: &Call, pages: Vec<P>, failure: Option<CallFailure>) -> Option<Vec<P>> {
        let Some(mut failure) = failure else { return Some(pages) };
        if pages.is_empty() {
            self.record(call, failure);
            return None;
        }
        failure.message = format!("listing incomplete after {} page(s): {}", pages.len(), failure.message);
        self.record(call, failure);
        Some(pages)
    }
}

/// `aws_smithy_types::DateTime` → chrono.
pub(crate) fn timestamp(value: &aws_smithy_types::DateTime) -> Option<crate::inventory::Timestamp> {
    chrono::DateTime::from_timestamp(value.secs(), value.subsec_nanos())
}

#[cfg(test)]
#[test]
fn an_assume_role_refusal_is_told_by_its_code_and_message() {
    let chain = r#"dispatch failure: other: an error occurred while loading credentials: service error: unhandled error (AccessDenied): Error { code: "AccessDenied", message: "User is not authorized to perform: sts:AssumeRole" }"#;
    assert_eq!(provider_cause(chain), "AccessDenied: User is not authorized to perform: sts:AssumeRole");
    assert_eq!(provider_cause("a: b: the process exited 1"), "the process exited 1");
}

#[cfg(test)]
pub(crate) mod test_support {
    use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;

    use super::Ctx;
    use crate::inventory::Redactor;

    pub fn ctx() -> Ctx {
        Ctx::new(4, Redactor::from_key_material(b"unit tests"), None)
    }

    /// An error response in the REST-JSON protocols' shape (Lambda, API Gateway).
    pub fn rest_json_error(status: u16, error_type: &str, message: &str) -> HttpResponse {
        let mut response = HttpResponse::new(
            StatusCode::try_from(status).expect("valid status"),
            SdkBody::from(format!(r#"{{"message":"{message}","Message":"{message}"}}"#)),
        );
        response.headers_mut().insert("x-amzn-ErrorType", error_type.to_owned());
        response.headers_mut().insert("content-type", "application/json");
        response
    }

    /// An error response in the awsJson protocols' shape (Secrets Manager, SSM, KMS).
    pub fn json_error(status: u16, error_type: &str, message: &str) -> HttpResponse {
        let mut response = HttpResponse::new(
            StatusCode::try_from(status).expect("valid status"),
            SdkBody::from(format!(r#"{{"__type":"{error_type}","message":"{message}"}}"#)),
        );
        response.headers_mut().insert("content-type", "application/x-amz-json-1.1");
        response
    }

    /// An error response in the Smithy RPC v2 CBOR protocol's shape (CloudWatch): a CBOR map with `__type`
    /// and `message`.
    pub fn cbor_error(status: u16, error_type: &str, message: &str) -> HttpResponse {
        fn text(out: &mut Vec<u8>, value: &str) {
            match value.len() {
                len @ 0..24 => out.push(0x60 | len as u8),
                len @ 24..256 => out.extend([0x78, len as u8]),
                len => {
                    out.push(0x79);
                    out.extend((len as u16).to_be_bytes());
                }
            }
            out.extend(value.as_bytes());
        }
        let mut body = vec![0xa2];
        for value in ["__type", error_type, "message", message] {
            text(&mut body, value);
        }
        let mut response = HttpResponse::new(StatusCode::try_from(status).expect("valid status"), SdkBody::from(body));
        response.headers_mut().insert("content-type", "application/cbor");
        response.headers_mut().insert("smithy-protocol", "rpc-v2-cbor");
        response
    }

    /// An error response in the AWS query protocol's shape (IAM, STS).
    pub fn query_error(status: u16, code: &str, message: &str) -> HttpResponse {
        let mut response = HttpResponse::new(
            StatusCode::try_from(status).expect("valid status"),
            SdkBody::from(format!(
                "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>r-1</RequestId></ErrorResponse>"
            )),
        );
        response.headers_mut().insert("content-type", "text/xml");
        response
    }
}
