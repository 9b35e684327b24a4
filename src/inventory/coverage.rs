use serde::{Deserialize, Serialize};

/// Why a call failed, in the terms a user acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The credentials lack a permission (or an SCP / boundary denies it).
    AccessDenied,
    /// The credentials are not accepted here: a region the account has not enabled, or expired credentials.
    AuthFailure,
    /// Throttled past every retry.
    Throttled,
    /// An attempt or the whole call ran out of time.
    Timeout,
    /// The endpoint does not implement the operation (an emulator, a partition without the service).
    Unsupported,
    /// The service answered with an error of its own (5xx, validation, …).
    ServiceError,
    /// The answer could not be read.
    MalformedResponse,
    /// The request never got an answer (connection refused or dropped, DNS).
    Network,
}

impl ErrorKind {
    /// As a snapshot writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::AccessDenied => "access_denied",
            ErrorKind::AuthFailure => "auth_failure",
            ErrorKind::Throttled => "throttled",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::ServiceError => "service_error",
            ErrorKind::MalformedResponse => "malformed_response",
            ErrorKind::Network => "network",
        }
    }
}

/// One thing a scan could not see.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CoverageRecord {
    pub service: String,
    /// An AWS region, or `global` for IAM.
    pub region: String,
    pub operation: String,
    /// The resource the call was about, when it was about one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    pub error_kind: ErrorKind,
    /// The service's error code, when it sent one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    pub message: String,
}

/// What a collector appends to a gap's message when another call read the same data: the gap is kept (the
/// first call did fail), but what it would have given was still seen.
pub const FELL_BACK: &str = "fell back to";

impl CoverageRecord {
    /// Whether another call read what this one could not (see [`FELL_BACK`]).
    pub fn recovered(&self) -> bool {
        self.message.contains(FELL_BACK)
    }
}

impl std::fmt::Display for CoverageRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} {}", self.service, self.region, self.operation)?;
        if let Some(resource) = &self.resource {
            write!(f, " ({resource})")?;
        }
        write!(f, ": {:?}", self.error_kind)?;
        if let Some(code) = &self.code {
            write!(f, " [{code}]")?;
        }
        write!(f, " {}", self.message)
    }
}
