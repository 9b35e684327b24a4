//! Secret hygiene for values stance sees (Lambda environment variables): the plaintext stays in memory for
//! analysis and is never serialized or printed. The inventory keeps the kind of secret, if any, and a short
//! keyed hash so that a changed value shows up in a comparison without being recoverable.

use std::fmt;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Keys the value hashes. With a key the snapshot reader does not have, a hash cannot be brute-forced back
/// into a short password; with the same key, two scans hash an unchanged value identically.
#[derive(Clone)]
pub struct Redactor {
    key: [u8; 32],
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Redactor(<key>)")
    }
}

impl Redactor {
    /// A redactor keyed by any secret material (it is hashed to the key size).
    pub fn from_key_material(material: &[u8]) -> Self {
        Self { key: Sha256::digest(material).into() }
    }

    pub fn redact(&self, name: &str, value: String) -> SecretValue {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC accepts any key length");
        mac.update(name.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        let digest = mac.finalize().into_bytes();
        SecretValue {
            kind: classify(name, &value),
            hash: hex::encode(&digest[..8]),
            length: value.chars().count(),
            plaintext: Some(value),
        }
    }
}

/// What a value looks like, judged from its name and shape (never stored: only this verdict is).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum ValueKind {
    /// Looks like a credential by its format (a known token shape or a private key).
    KnownSecretFormat,
    /// The variable's name says secret (PASSWORD, SECRET, TOKEN, API_KEY …) and the value is not a reference.
    SecretByName,
    /// Points at a secret store instead of holding the secret: an ARN, an SSM parameter path, a dynamic
    /// reference.
    Reference,
    /// Nothing secret-looking.
    Plain,
    /// An empty value.
    Empty,
}

/// A value whose plaintext never leaves the process.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretValue {
    pub kind: ValueKind,
    /// First 64 bits of HMAC-SHA256(key, name ‖ 0 ‖ value), hex.
    pub hash: String,
    pub length: usize,
    #[serde(skip)]
    plaintext: Option<String>,
}

impl SecretValue {
    /// The value, for in-process analysis only; `None` when read back from a file.
    pub fn expose(&self) -> Option<&str> {
        self.plaintext.as_deref()
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretValue({:?}, hash {}, <redacted>)", self.kind, self.hash)
    }
}

const SECRET_NAME_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "PWD",
    "SECRET",
    "TOKEN",
    "API_KEY",
    "APIKEY",
    "PRIVATE_KEY",
    "CREDENTIAL",
    "AUTH_KEY",
    "ACCESS_KEY",
];
/// Name endings that mean the variable configures something about a secret rather than holding one.
const CONFIG_NAME_SUFFIXES: &[&str] = &[
    "_ARN",
    "_NAME",
    "_ID",
    "_PATH",
    "_PARAM",
    "_PARAMETER",
    "_LENGTH",
    "_TTL",
    "_URL",
    "_HEADER",
    "_ENABLED",
    "_EXPIRY",
    "_FILE",
];

fn classify(name: &str, value: &str) -> ValueKind {
    let value = value.trim();
    if value.is_empty() {
        return ValueKind::Empty;
    }
    if is_reference(value) {
        return ValueKind::Reference;
    }
    if has_known_secret_format(value) {
        return ValueKind::KnownSecretFormat;
    }
    let trivial = value.parse::<f64>().is_ok()
        || matches!(value.to_ascii_lowercase().as_str(), "true" | "false" | "none" | "null");
    if names_a_secret(name) && !trivial { ValueKind::SecretByName } else { ValueKind::Plain }
}

/// Whether a name says it holds a secret (`DB_PASSWORD`, `stripe-api-key`, `/prod/db/password`) rather than
/// configure one (`PASSWORD_MIN_LENGTH`, `DB_SECRET_ARN`, `token-ttl`). Of a path, the last segment counts.
pub fn names_a_secret(name: &str) -> bool {
    let last = name.rsplit('/').next().unwrap_or(name);
    let upper: String =
        last.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect();
    SECRET_NAME_WORDS.iter().any(|w| upper.contains(w)) && !CONFIG_NAME_SUFFIXES.iter().any(|s| upper.ends_with(s))
}

fn is_reference(value: &str) -> bool {
    value.starts_with("arn:aws")
        || value.starts_with("{{resolve:")
        || value.starts_with("ssm:")
        || (value.starts_with('/')
            && value.len() > 1
            && !value.contains(char::is_whitespace)
            && value[1..].contains('/'))
}

fn has_known_secret_format(value: &str) -> bool {
    let prefixes = [
        "AKIA",
        "ASIA", // AWS access key ids
        "sk_live_",
        "rk_live_", // Stripe
        "xoxb-",
        "xoxp-",
        "xoxa-",
        "xoxs-", // Slack
        "ghp_",
        "gho_",
        "ghu_",
        "ghs_",
        "github_pat_", // GitHub
        "glpat-",      // GitLab
        "-----BEGIN",  // PEM private keys
        "AIza",        // Google API keys
        "SG.",         // SendGrid
    ];
    if prefixes.iter().any(|p| value.starts_with(p) && value.len() >= p.len() + 10) {
        return true;
    }
    // A JWT: three base64url segments, the first decoding to a JSON header.
    let segments: Vec<&str> = value.split('.').collect();
    segments.len() == 3 && value.starts_with("eyJ") && segments.iter().all(|s| s.len() > 4)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redactor() -> Redactor {
        Redactor::from_key_material(b"test key")
    }

    #[test]
    fn names_that_hold_secrets() {
        for name in
            ["DB_PASSWORD", "/prod/db/password", "stripe-api-key", "github.token", "/svc/private-key", "Credentials"]
        {
            assert!(names_a_secret(name), "{name}");
        }
        for name in ["/app/password-min-length", "DB_SECRET_ARN", "token-ttl", "/password/feature-flag", "region"] {
            assert!(!names_a_secret(name), "{name}");
        }
    }

    #[test]
    fn kinds() {
        let cases = [
            ("DB_PASSWORD", "hunter2-Pr0d", ValueKind::SecretByName),
            ("STRIPE_KEY", "sk_live_51HdemoNotARealKey0000", ValueKind::KnownSecretFormat),
            ("X", "AKIAIOSFODNN7EXAMPLE", ValueKind::KnownSecretFormat),
            ("DB_SECRET_ARN", "arn:aws:secretsmanager:us-east-1:123456789012:secret:db", ValueKind::Reference),
            ("API_TOKEN_PARAM", "/prod/api/token", ValueKind::Reference),
            ("PASSWORD_MIN_LENGTH", "12", ValueKind::Plain),
            ("TOKEN_HEADER", "Authorization", ValueKind::Plain),
            ("TABLE_NAME", "orders", ValueKind::Plain),
            ("SECRET", "", ValueKind::Empty),
            ("SESSION", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", ValueKind::KnownSecretFormat),
        ];
        for (name, value, kind) in cases {
            assert_eq!(redactor().redact(name, value.into()).kind, kind, "{name}={value}");
        }
    }

    #[test]
    fn never_serialized_never_printed() {
        let value = redactor().redact("DB_PASSWORD", "hunter2-Pr0d".into());
        let json = serde_json::to_string(&value).unwrap();
        let debug = format!("{value:?}");
        assert!(!json.contains("hunter2") && !debug.contains("hunter2"), "{json} {debug}");
        assert_eq!(value.expose(), Some("hunter2-Pr0d"));
        let back: SecretValue = serde_json::from_str(&json).unwrap();
        assert_eq!(back.expose(), None);
        assert_eq!(back.hash, value.hash);
    }

    #[test]
    fn hash_is_keyed_and_detects_change() {
        let a = redactor().redact("K", "v1".into());
        assert_eq!(a.hash, redactor().redact("K", "v1".into()).hash);
        assert_ne!(a.hash, redactor().redact("K", "v2".into()).hash);
        assert_ne!(a.hash, Redactor::from_key_material(b"other").redact("K", "v1".into()).hash);
        assert_eq!(a.hash.len(), 16);
    }
}
