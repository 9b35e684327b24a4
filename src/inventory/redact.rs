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
        let (kind, format) = classify(name, &value);
        SecretValue {
            kind,
            format: format.map(str::to_owned),
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
    /// For a known secret format, which one ("Stripe live secret key", "credentials in a URL").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
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

/// Of those, the endings that promise a reference of some shape: a value without that shape under a secret
/// name (`DB_PASSWORD_PARAM=hunter2`) is the secret itself, whatever the name promised.
fn promised_reference(suffix: &str, value: &str) -> bool {
    match suffix {
        "_ARN" => value.starts_with("arn:"),
        "_URL" => value.contains("://"),
        "_PATH" | "_PARAM" | "_PARAMETER" | "_FILE" => is_reference(value) || value.contains('/'),
        _ => true,
    }
}

fn classify(name: &str, value: &str) -> (ValueKind, Option<&'static str>) {
    let value = value.trim();
    if value.is_empty() {
        return (ValueKind::Empty, None);
    }
    // The value's format first: credentials in a `*_URL` are credentials.
    if let Some(format) = secret_format(value) {
        return (ValueKind::KnownSecretFormat, Some(format));
    }
    if is_reference(value) {
        return (ValueKind::Reference, None);
    }
    let trivial = value.parse::<f64>().is_ok()
        || matches!(value.to_ascii_lowercase().as_str(), "true" | "false" | "none" | "null");
    let upper = upper_last_segment(name);
    let secret_word = SECRET_NAME_WORDS.iter().any(|w| upper.contains(w));
    let configures =
        CONFIG_NAME_SUFFIXES.iter().find(|s| upper.ends_with(**s)).is_some_and(|s| promised_reference(s, value));
    if secret_word && !configures && !trivial { (ValueKind::SecretByName, None) } else { (ValueKind::Plain, None) }
}

fn upper_last_segment(name: &str) -> String {
    let last = name.rsplit('/').next().unwrap_or(name);
    last.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect()
}

/// Whether a name says it holds a secret (`DB_PASSWORD`, `stripe-api-key`, `/prod/db/password`) rather than
/// configure one (`PASSWORD_MIN_LENGTH`, `DB_SECRET_ARN`, `token-ttl`). Of a path, the last segment counts.
pub fn names_a_secret(name: &str) -> bool {
    let upper = upper_last_segment(name);
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

/// Token prefixes of the credential formats the well-known secret scanners recognize: (prefix, what it is,
/// the fewest characters that follow it in a real token).
const TOKEN_PREFIXES: &[(&str, &str, usize)] = &[
    ("AKIA", "AWS access key id", 16),
    ("ASIA", "AWS temporary access key id", 16),
    ("sk_live_", "Stripe live secret key", 16),
    ("rk_live_", "Stripe live restricted key", 16),
    ("xoxb-", "Slack bot token", 20),
    ("xoxp-", "Slack user token", 20),
    ("xoxa-", "Slack app token", 20),
    ("xoxs-", "Slack session token", 20),
    ("xapp-", "Slack app-level token", 20),
    ("https://hooks.slack.com/services/", "Slack webhook URL", 20),
    ("https://discord.com/api/webhooks/", "Discord webhook URL", 20),
    ("ghp_", "GitHub personal access token", 20),
    ("gho_", "GitHub OAuth token", 20),
    ("ghu_", "GitHub user-to-server token", 20),
    ("ghs_", "GitHub server-to-server token", 20),
    ("ghr_", "GitHub refresh token", 20),
    ("github_pat_", "GitHub fine-grained personal access token", 30),
    ("glpat-", "GitLab personal access token", 20),
    ("AIza", "Google API key", 30),
    ("SG.", "SendGrid API key", 30),
    ("sk-ant-", "Anthropic API key", 30),
    ("sk-proj-", "OpenAI project API key", 30),
    ("npm_", "npm access token", 30),
    ("pypi-AgE", "PyPI API token", 30),
    ("dckr_pat_", "Docker Hub personal access token", 20),
    ("dop_v1_", "DigitalOcean personal access token", 40),
    ("shpat_", "Shopify access token", 20),
    ("shpss_", "Shopify shared secret", 20),
    ("hf_", "Hugging Face token", 30),
    ("sq0atp-", "Square access token", 20),
    ("EAAA", "Square access token", 40),
    ("dapi", "Databricks token", 32),
    ("-----BEGIN", "private key (PEM)", 10),
];

/// Which credential format `value` has, if any: a known token prefix, a private key, a JSON web token, or a
/// URL or connection string with a password in it. Look-alikes stay quiet: a commit SHA, a header name, a
/// TTL, a URL whose password is empty or a placeholder.
fn secret_format(value: &str) -> Option<&'static str> {
    for (prefix, what, rest) in TOKEN_PREFIXES {
        let Some(tail) = value.strip_prefix(prefix) else { continue };
        // A token is one word of token characters (a PEM key spans lines).
        let tokenlike =
            *prefix == "-----BEGIN" || tail.chars().all(|c| c.is_ascii_alphanumeric() || "_-./+=".contains(c));
        if tail.len() >= *rest && tokenlike {
            return Some(what);
        }
    }
    // A JWT: three base64url segments, the first a JSON header (`{"` encodes as `eyJ`).
    let segments: Vec<&str> = value.split('.').collect();
    if segments.len() == 3 && value.starts_with("eyJ") && segments.iter().all(|s| s.len() > 4) {
        return Some("JSON web token");
    }
    if url_password(value).is_some() {
        return Some("credentials in a URL");
    }
    if connection_string_password(value) {
        return Some("password in a connection string");
    }
    None
}

/// `scheme://user:password@host…` → the password, when it is one (not empty, not a placeholder).
fn url_password(value: &str) -> Option<&str> {
    let (_, rest) = value.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let (userinfo, _host) = authority.rsplit_once('@')?;
    let (_, password) = userinfo.split_once(':')?;
    (!is_placeholder(password)).then_some(password)
}

/// `Server=db;User Id=app;Password=…;` (ADO.NET, JDBC-style key=value lists).
fn connection_string_password(value: &str) -> bool {
    value.split(';').any(|part| {
        let Some((key, secret)) = part.split_once('=') else { return false };
        matches!(key.trim().to_ascii_lowercase().as_str(), "password" | "pwd") && !is_placeholder(secret.trim())
    }) && value.contains(';')
}

/// Empty, masked or templated: `""`, `***`, `<password>`, `${DB_PASSWORD}`, `{{password}}`, `%s`.
fn is_placeholder(secret: &str) -> bool {
    let s = secret.trim();
    s.is_empty()
        || s.chars().all(|c| c == '*' || c == 'x' || c == 'X')
        || (s.starts_with('<') && s.ends_with('>'))
        || s.starts_with("${")
        || s.starts_with("{{")
        || s.starts_with('%')
        || s.starts_with('$')
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
    fn credential_formats_are_named_and_look_alikes_stay_quiet() {
        let format = |name: &str, value: &str| redactor().redact(name, value.into()).format;
        let named = [
            ("STRIPE", "sk_live_51HdemoNotARealKey0000", "Stripe live secret key"),
            ("GH", "ghp_16C7e42F292c6912E7710c838347Ae178B4a", "GitHub personal access token"),
            ("SLACK", "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOp", "Slack bot token"),
            ("HOOK", "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXX", "Slack webhook URL"),
            ("KEY", "-----BEGIN RSA PRIVATE KEY-----\nMIIE...", "private key (PEM)"),
            ("DATABASE_URL", "postgres://app:s3cr3t-Pr0d@db.internal:5432/orders", "credentials in a URL"),
            ("REDIS_URL", "rediss://:hunter2hunter2@cache:6379", "credentials in a URL"),
            ("CONN", "Server=db;User Id=app;Password=Pr0d-pass;", "password in a connection string"),
            ("ANTHROPIC", "sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789", "Anthropic API key"),
            ("AWS_KEY", "AKIAIOSFODNN7EXAMPLE", "AWS access key id"),
        ];
        for (name, value, what) in named {
            assert_eq!(format(name, value).as_deref(), Some(what), "{name}");
        }
        let quiet = [
            ("GIT_SHA", "3f786850e387550fdab836ed7e6dc881de23001b"),
            ("TOKEN_HEADER", "Authorization"),
            ("TOKEN_TTL", "3600"),
            ("DATABASE_URL", "postgres://app@db.internal:5432/orders"),
            ("DATABASE_URL", "postgres://app:${DB_PASSWORD}@db/orders"),
            ("API_URL", "https://api.example.com/v1"),
            ("ASIAN_MARKETS", "ASIA"),
            ("DESCRIPTION", "AKIA is how access key ids start"),
        ];
        for (name, value) in quiet {
            let redacted = redactor().redact(name, value.into());
            assert_eq!((redacted.kind, redacted.format), (ValueKind::Plain, None), "{name}={value}");
        }
        // A name that promises a reference, on a value that is none, does not hide the secret.
        assert_eq!(redactor().redact("DB_PASSWORD_PARAM", "hunter2-Pr0d".into()).kind, ValueKind::SecretByName);
        assert_eq!(redactor().redact("DB_SECRET_ARN", "hunter2-Pr0d".into()).kind, ValueKind::SecretByName);
        assert_eq!(redactor().redact("TOKEN_URL", "https://auth.example.com/token".into()).kind, ValueKind::Plain);
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
