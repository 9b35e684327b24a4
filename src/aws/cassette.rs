//! Recorded AWS conversations ("cassettes") and the two HTTP clients that make and play them, plugged into
//! the SDK's HTTP seam: everything above it — signing, retries, the read-only guard, the collectors — runs
//! exactly as in a live scan.
//!
//! Collectors run concurrently, so a replayed response is found by what was asked (service, region,
//! method, path, query, `X-Amz-Target`, body), never by arrival order. Repeated identical requests (a
//! retry, a poll) get their recorded responses in turn; the last one repeats.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_smithy_runtime_api::client::connection::{CaptureSmithyConnection, ConnectionMetadata};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;
use serde::{Deserialize, Serialize};

use crate::inventory::Timestamp;

pub const CASSETTE_FORMAT: &str = "stance-cassette";
pub const CASSETTE_VERSION: u32 = 1;

/// Response headers not worth keeping: per-request noise that would churn every re-recording.
const VOLATILE_HEADERS: &[&str] =
    &["date", "server", "connection", "keep-alive", "content-length", "x-amzn-requestid", "x-amz-request-id"];

/// What identifies a request, whatever the endpoint it was sent to (the emulator's address when
/// recording, AWS's when replaying).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RequestKey {
    /// The signing service and region of the request (from its SigV4 credential scope).
    pub service: String,
    pub region: String,
    pub method: String,
    pub path: String,
    /// Query parameters sorted, `&`-joined.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub query: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub body: String,
    /// A body that is not UTF-8 (CloudWatch's CBOR), hex-encoded; `body` is then empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_hex: Option<String>,
}

/// A body as a cassette keeps it: text when it is UTF-8, else hex (CBOR is binary, and JSON strings are not).
fn text_or_hex(bytes: &[u8]) -> (String, Option<String>) {
    match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_owned(), None),
        Err(_) => (String::new(), Some(hex::encode(bytes))),
    }
}

impl RequestKey {
    pub fn of(request: &HttpRequest) -> Self {
        let header = |name: &str| request.headers().get(name).map(str::to_owned);
        let (service, region) = header("authorization")
            .and_then(|auth| credential_scope(&auth))
            .unwrap_or_else(|| (String::new(), String::new()));
        // The host is left out: an emulator's address when recording, AWS's when replaying.
        let uri = request.uri();
        let without_host = match uri.find("://") {
            Some(scheme_end) => uri[scheme_end + 3..].find('/').map_or("/", |p| &uri[scheme_end + 3 + p..]),
            None => uri,
        };
        let (path, query) = without_host.split_once('?').unwrap_or((without_host, ""));
        let mut query: Vec<&str> = query.split('&').filter(|p| !p.is_empty()).collect();
        query.sort_unstable();
        let (body, body_hex) = text_or_hex(request.body().bytes().unwrap_or_default());
        Self {
            service,
            region,
            method: request.method().to_owned(),
            path: path.to_owned(),
            query: query.join("&"),
            target: header("x-amz-target"),
            body,
            body_hex,
        }
    }
}

impl std::fmt::Display for RequestKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} {} {}", self.service, self.region, self.method, self.path)?;
        if !self.query.is_empty() {
            write!(f, "?{}", self.query)?;
        }
        if let Some(target) = &self.target {
            write!(f, " ({target})")?;
        }
        if !self.body.is_empty() {
            write!(f, " {}", self.body)?;
        }
        if let Some(hex) = &self.body_hex {
            write!(f, " (binary body {hex})")?;
        }
        Ok(())
    }
}

/// `(service, region)` from `AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request, …`.
fn credential_scope(authorization: &str) -> Option<(String, String)> {
    let scope = authorization.split("Credential=").nth(1)?.split(',').next()?;
    let mut parts = scope.split('/').skip(2);
    let region = parts.next()?;
    let service = parts.next()?;
    Some((service.to_owned(), region.to_owned()))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedResponse {
    pub status: u16,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub body: String,
    /// A body that is not UTF-8, hex-encoded (`body` is then empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_hex: Option<String>,
}

impl RecordedResponse {
    /// The body's bytes.
    fn bytes(&self) -> Result<Vec<u8>, ConnectorError> {
        match &self.body_hex {
            None => Ok(self.body.clone().into_bytes()),
            Some(hex) => hex::decode(hex)
                .map_err(|e| ConnectorError::other(format!("a recorded binary body is not hex: {e}").into(), None)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interaction {
    pub request: RequestKey,
    /// In the order they were received.
    pub responses: Vec<RecordedResponse>,
}

/// A recorded scan: the regions it covered, when, and every request → response pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cassette {
    pub format: String,
    pub version: u32,
    pub recorded_at: Timestamp,
    /// The evaluation time of the recorded scan's time-based checks.
    pub as_of: Timestamp,
    pub regions: Vec<String>,
    pub interactions: Vec<Interaction>,
}

#[derive(Debug, thiserror::Error)]
pub enum CassetteError {
    #[error("{path}: cannot read the cassette: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{path}: not a stance cassette ({detail})")]
    Invalid { path: String, detail: String },
}

/// Pretty JSON with a final newline, so a re-recording diffs readably.
fn pretty_json(value: &impl Serialize) -> Vec<u8> {
    let mut json = serde_json::to_vec_pretty(value).unwrap_or_default();
    json.push(b'\n');
    json
}

/// A cassette file's JSON: as it is, or unpacked when it is a zstd frame.
fn decompressed(name: &str, bytes: &[u8]) -> Result<Vec<u8>, CassetteError> {
    if bytes.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        zstd::decode_all(bytes)
            .map_err(|e| CassetteError::Invalid { path: name.to_owned(), detail: format!("bad zstd stream: {e}") })
    } else {
        Ok(bytes.to_vec())
    }
}

impl Cassette {
    /// Parses a cassette (plain JSON, or zstd-compressed JSON); `name` labels errors.
    pub fn from_bytes(name: &str, bytes: &[u8]) -> Result<Self, CassetteError> {
        let invalid = |detail: String| CassetteError::Invalid { path: name.to_owned(), detail };
        let cassette: Cassette =
            serde_json::from_slice(&decompressed(name, bytes)?).map_err(|e| invalid(e.to_string()))?;
        if cassette.format != CASSETTE_FORMAT || cassette.version != CASSETTE_VERSION {
            return Err(invalid(format!(
                "format {:?} version {}, expected {CASSETTE_FORMAT:?} version {CASSETTE_VERSION}",
                cassette.format, cassette.version
            )));
        }
        Ok(cassette)
    }

    pub fn read(path: &Path) -> Result<Self, CassetteError> {
        let bytes =
            std::fs::read(path).map_err(|source| CassetteError::Io { path: path.display().to_string(), source })?;
        Self::from_bytes(&path.display().to_string(), &bytes)
    }

    /// Pretty JSON, one interaction after another in request order, so a re-recording diffs readably.
    pub fn to_json(&self) -> Vec<u8> {
        pretty_json(self)
    }
}

/// A recorded organization scan: the management account's conversation with Organizations and STS (the
/// member roles assumed), and each account's own scan, replayed by a client of its own so that the same
/// request in two accounts gets each account's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrgCassette {
    pub organization: Cassette,
    pub accounts: BTreeMap<String, Cassette>,
}

impl OrgCassette {
    pub fn from_bytes(name: &str, bytes: &[u8]) -> Result<Self, CassetteError> {
        let invalid = |detail: String| CassetteError::Invalid { path: name.to_owned(), detail };
        let cassette: OrgCassette =
            serde_json::from_slice(&decompressed(name, bytes)?).map_err(|e| invalid(e.to_string()))?;
        let all = std::iter::once(&cassette.organization).chain(cassette.accounts.values());
        if let Some(bad) = all.into_iter().find(|c| c.format != CASSETTE_FORMAT || c.version != CASSETTE_VERSION) {
            return Err(invalid(format!(
                "format {:?} version {}, expected {CASSETTE_FORMAT:?} version {CASSETTE_VERSION}",
                bad.format, bad.version
            )));
        }
        Ok(cassette)
    }

    pub fn to_json(&self) -> Vec<u8> {
        pretty_json(self)
    }
}

/// Collects what a [`recording_client`] saw.
#[derive(Debug, Default)]
pub struct Recorder {
    interactions: Mutex<BTreeMap<RequestKey, Vec<RecordedResponse>>>,
}

impl Recorder {
    fn record(&self, key: RequestKey, response: RecordedResponse) {
        if let Ok(mut interactions) = self.interactions.lock() {
            interactions.entry(key).or_default().push(response);
        }
    }

    pub fn cassette(&self, recorded_at: Timestamp, as_of: Timestamp, regions: Vec<String>) -> Cassette {
        let interactions = self
            .interactions
            .lock()
            .map(|map| {
                map.iter()
                    .map(|(request, responses)| Interaction { request: request.clone(), responses: responses.clone() })
                    .collect()
            })
            .unwrap_or_default();
        Cassette {
            format: CASSETTE_FORMAT.into(),
            version: CASSETTE_VERSION,
            recorded_at,
            as_of,
            regions,
            interactions,
        }
    }
}

/// An HTTP client that sends through `inner` and records every response it gets.
pub fn recording_client(inner: SharedHttpClient, recorder: Arc<Recorder>) -> SharedHttpClient {
    SharedHttpClient::new(RecordingClient { inner, recorder })
}

#[derive(Debug)]
struct RecordingClient {
    inner: SharedHttpClient,
    recorder: Arc<Recorder>,
}

impl HttpClient for RecordingClient {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(RecordingConnector {
            inner: self.inner.http_connector(settings, components),
            recorder: self.recorder.clone(),
        })
    }
}

#[derive(Debug)]
struct RecordingConnector {
    inner: SharedHttpConnector,
    recorder: Arc<Recorder>,
}

impl HttpConnector for RecordingConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let key = RequestKey::of(&request);
        let sent = self.inner.call(request);
        let recorder = self.recorder.clone();
        HttpConnectorFuture::new(async move {
            let mut response = sent.await?;
            let status = response.status().as_u16();
            let headers: BTreeMap<String, String> = response
                .headers()
                .iter()
                .filter(|(name, _)| !VOLATILE_HEADERS.contains(&name.to_ascii_lowercase().as_str()))
                .map(|(name, value)| (name.to_ascii_lowercase(), value.to_owned()))
                .collect();
            let body = ByteStream::new(response.take_body())
                .collect()
                .await
                .map_err(|e| ConnectorError::io(Box::new(e)))?
                .into_bytes();
            let (text, body_hex) = text_or_hex(&body);
            recorder.record(key, RecordedResponse { status, headers, body: text, body_hex });
            *response.body_mut() = SdkBody::from(body);
            Ok(response)
        })
    }
}

/// What a replay served and what it could not.
#[derive(Debug, Default)]
pub struct ReplayLog {
    misses: Mutex<Vec<RequestKey>>,
}

impl ReplayLog {
    /// Requests the cassette has no response for, in the order they came.
    pub fn misses(&self) -> Vec<RequestKey> {
        self.misses.lock().map(|m| m.clone()).unwrap_or_default()
    }
}

/// A client that answers from a cassette and never touches the network.
#[derive(Debug, Clone)]
pub struct ReplayClient {
    replay: Arc<Replay>,
}

#[derive(Debug)]
struct Replay {
    interactions: HashMap<RequestKey, (Vec<RecordedResponse>, AtomicUsize)>,
    log: ReplayLog,
}

impl ReplayClient {
    pub fn new(cassette: &Cassette) -> Self {
        let interactions = cassette
            .interactions
            .iter()
            .map(|i| (i.request.clone(), (i.responses.clone(), AtomicUsize::new(0))))
            .collect();
        Self { replay: Arc::new(Replay { interactions, log: ReplayLog::default() }) }
    }

    pub fn http_client(&self) -> SharedHttpClient {
        SharedHttpClient::new(self.clone())
    }

    pub fn misses(&self) -> Vec<RequestKey> {
        self.replay.log.misses()
    }

    /// Recorded requests nobody asked for.
    pub fn unused(&self) -> Vec<RequestKey> {
        let mut unused: Vec<RequestKey> = self
            .replay
            .interactions
            .iter()
            .filter(|(_, (_, served))| served.load(Ordering::Relaxed) == 0)
            .map(|(key, _)| key.clone())
            .collect();
        unused.sort();
        unused
    }
}

impl HttpClient for ReplayClient {
    fn http_connector(&self, _: &HttpConnectorSettings, _: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

impl HttpConnector for ReplayClient {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        // A replayed response comes over no connection; saying so keeps the SDK's connection-poisoning
        // interceptor (which closes connections after some errors) from logging an error for each one.
        if let Some(capture) = request.extension::<CaptureSmithyConnection>() {
            capture.set_connection_retriever(|| {
                Some(ConnectionMetadata::builder().proxied(false).poison_fn(|| {}).build())
            });
        }
        let key = RequestKey::of(&request);
        let Some((responses, served)) = self.replay.interactions.get(&key) else {
            let message = format!("the cassette has no response for {key}");
            if let Ok(mut misses) = self.replay.log.misses.lock() {
                misses.push(key);
            }
            return HttpConnectorFuture::ready(Err(ConnectorError::other(message.into(), None)));
        };
        let turn = served.fetch_add(1, Ordering::Relaxed).min(responses.len().saturating_sub(1));
        let Some(recorded) = responses.get(turn) else {
            return HttpConnectorFuture::ready(Err(ConnectorError::other("empty cassette entry".into(), None)));
        };
        HttpConnectorFuture::ready(to_response(recorded))
    }
}

fn to_response(recorded: &RecordedResponse) -> Result<HttpResponse, ConnectorError> {
    let status = recorded
        .status
        .try_into()
        .map_err(|_| ConnectorError::other(format!("bad recorded status {}", recorded.status).into(), None))?;
    let body = recorded.bytes()?;
    let length = body.len();
    let mut response = HttpResponse::new(status, SdkBody::from(body));
    for (name, value) in &recorded.headers {
        response.headers_mut().insert(name.clone(), value.clone());
    }
    response.headers_mut().insert("content-length", length.to_string());
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed(method: &str, uri: &str, body: &str, scope: &str) -> HttpRequest {
        let mut request = HttpRequest::new(SdkBody::from(body.to_owned()));
        request.set_method(method).unwrap();
        request.set_uri(uri).unwrap();
        request.headers_mut().insert(
            "authorization",
            format!("AWS4-HMAC-SHA256 Credential=AKID/20261129/{scope}/aws4_request, SignedHeaders=host, Signature=ab"),
        );
        request
    }

    #[test]
    fn the_key_ignores_host_headers_and_query_order() {
        let a = RequestKey::of(&signed(
            "GET",
            "http://127.0.0.1:5000/2015-03-31/functions/?b=2&a=1",
            "",
            "eu-west-1/lambda",
        ));
        let b = RequestKey::of(&signed(
            "GET",
            "https://lambda.eu-west-1.amazonaws.com/2015-03-31/functions/?a=1&b=2",
            "",
            "eu-west-1/lambda",
        ));
        assert_eq!(a, b);
        assert_eq!((a.service.as_str(), a.region.as_str(), a.query.as_str()), ("lambda", "eu-west-1", "a=1&b=2"));
        let other_region =
            RequestKey::of(&signed("GET", "http://x/2015-03-31/functions/?a=1&b=2", "", "us-east-1/lambda"));
        assert_ne!(a, other_region);
        let other_body = RequestKey::of(&signed("POST", "http://x/", "Action=ListRoles", "us-east-1/iam"));
        assert_eq!(other_body.body, "Action=ListRoles");
    }

    #[test]
    fn binary_bodies_are_kept_byte_for_byte() {
        // A CBOR map {"__type": "x"} with a byte that is not UTF-8 on its own.
        let cbor: &[u8] = &[0xa1, 0x66, b'_', b'_', b't', b'y', b'p', b'e', 0x61, 0xff];
        let mut request = HttpRequest::new(SdkBody::from(cbor.to_vec()));
        request.set_method("POST").unwrap();
        request.set_uri("http://x/service/GraniteServiceVersion20100801/operation/DescribeAlarms").unwrap();
        let key = RequestKey::of(&request);
        assert_eq!((key.body.as_str(), key.body_hex.as_deref()), ("", Some(hex::encode(cbor).as_str())));
        let (body, body_hex) = text_or_hex(cbor);
        let recorded = RecordedResponse { status: 200, headers: BTreeMap::new(), body, body_hex };
        let json = serde_json::to_string(&recorded).unwrap();
        let back: RecordedResponse = serde_json::from_str(&json).unwrap();
        assert_eq!(back.bytes().unwrap(), cbor);
        let text = RecordedResponse { status: 200, headers: BTreeMap::new(), body: "{}".into(), body_hex: None };
        assert!(!serde_json::to_string(&text).unwrap().contains("body_hex"), "text bodies stay as they were");
    }

    #[tokio::test]
    async fn replay_answers_by_request_in_turn_and_logs_misses() {
        let key = RequestKey::of(&signed("POST", "http://x/", "Action=GetCredentialReport", "us-east-1/iam"));
        let response = |status: u16, body: &str| RecordedResponse {
            status,
            headers: BTreeMap::from([("content-type".into(), "text/xml".into())]),
            body: body.into(),
            body_hex: None,
        };
        let cassette = Cassette {
            format: CASSETTE_FORMAT.into(),
            version: CASSETTE_VERSION,
            recorded_at: Timestamp::default(),
            as_of: Timestamp::default(),
            regions: vec!["us-east-1".into()],
            interactions: vec![Interaction {
                request: key,
                responses: vec![response(410, "first"), response(200, "second")],
            }],
        };
        let client = ReplayClient::new(&cassette);
        let request = || signed("POST", "https://iam.amazonaws.com/", "Action=GetCredentialReport", "us-east-1/iam");
        let statuses: Vec<u16> = [
            client.call(request()).await.unwrap(),
            client.call(request()).await.unwrap(),
            client.call(request()).await.unwrap(),
        ]
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
        assert_eq!(statuses, [410, 200, 200], "responses in turn, the last repeats");
        assert!(client.unused().is_empty());
        assert!(
            client
                .call(signed("POST", "https://iam.amazonaws.com/", "Action=ListRoles", "us-east-1/iam"))
                .await
                .is_err()
        );
        assert_eq!(client.misses().len(), 1);
        assert_eq!(client.misses()[0].body, "Action=ListRoles");

        let round_trip = Cassette::from_bytes("t", &cassette.to_json()).unwrap();
        assert_eq!(round_trip, cassette);
        let compressed = zstd::encode_all(&cassette.to_json()[..], 3).unwrap();
        assert_eq!(Cassette::from_bytes("t", &compressed).unwrap(), cassette);
        let error = Cassette::from_bytes("x.json", br#"{"format":"stance-snapshot"}"#).unwrap_err().to_string();
        assert!(error.starts_with("x.json: not a stance cassette"), "{error}");
    }
}
