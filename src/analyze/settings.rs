//! What the policy file's `[policy]` table tells the analysis: thresholds the rules read instead of
//! constants, severity overrides, disabled rules, data residency and required tags. Defaults are stance's
//! built-in values, so an account scanned without a policy file is judged as before. Parsing and checking
//! the file is `crate::config`'s; this is only what the rules read.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::finding::Severity;

/// Ages and periods, in days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Thresholds {
    /// An active access key older than this is not rotated (`iam-access-key-not-rotated`); also the age at
    /// which an inactive key is stale (`iam-access-key-stale-inactive`).
    pub access_key_max_age_days: i64,
    /// A role older than this and not used for as long is unused (`iam-role-unused`).
    pub role_unused_days: i64,
    /// An enabled API key older than this is not rotated (`apigw-api-key-not-rotated`).
    pub api_key_max_age_days: i64,
    /// The most days a secret may go without rotating, whatever its schedule allows
    /// (`secretsmanager-rotation-overdue`). By default a secret may take its schedule's interval (plus a day),
    /// or 90 days when the schedule is a cron expression.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_rotation_max_days: Option<i64>,
    /// A secret older than this that nothing read for as long is unused (`secretsmanager-secret-unused`).
    pub secret_unused_days: i64,
    /// A log group that keeps events for fewer days is reported (`logs-retention-unset`); none by default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_retention_min_days: Option<i64>,
    /// A log group that keeps events for more days, or for ever, is reported; by default only for ever.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_retention_max_days: Option<i64>,
}

impl Thresholds {
    /// How many days since its last rotation a secret whose schedule rotates every `interval` days (`None`:
    /// a cron expression) may go before it is overdue.
    pub fn secret_rotation_allowance(&self, interval: Option<i64>) -> i64 {
        let scheduled = interval.map_or(90, |days| days + 1);
        self.secret_rotation_max_days.map_or(scheduled, |max| scheduled.min(max))
    }
}

impl Default for Thresholds {
    fn default() -> Thresholds {
        Thresholds {
            access_key_max_age_days: 90,
            role_unused_days: 90,
            api_key_max_age_days: 90,
            secret_rotation_max_days: None,
            secret_unused_days: 90,
            log_retention_min_days: None,
            log_retention_max_days: None,
        }
    }
}

/// Which regions data of each classification may live in, read from a tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Residency {
    /// The tag whose value is the resource's classification.
    pub tag_key: String,
    /// Classification (the tag's value) → the regions allowed for it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub allowed: BTreeMap<String, Vec<String>>,
}

impl Default for Residency {
    fn default() -> Residency {
        Residency { tag_key: "data-classification".into(), allowed: BTreeMap::new() }
    }
}

/// Tag keys every resource of a kind must carry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequiredTags {
    /// A resource kind (`crate::inventory::tags::TAGGABLE_KINDS`: `lambda_function`, `iam_role` …).
    pub kind: String,
    pub keys: Vec<String>,
}

/// A rule of the policy file's own (`[[rule]]`, or a file of `--rules DIR`): a CEL condition over the
/// resource view of one kind (`rules::view`). Checked when the file is read (`crate::config`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomRule {
    /// `custom-…`, kebab-case: a mute or `[policy.severity]` names it like any rule.
    pub id: String,
    /// The finding's title; `{field}` is replaced by the resource view's field.
    pub title: String,
    pub severity: Severity,
    /// The resource kind it judges (`lambda_function`, `iam_role` …).
    pub kind: String,
    /// A CEL expression over `resource`; a finding where it is true.
    pub condition: String,
    pub remediation: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    /// The framework controls it evaluates (`gdpr:25(1)`, `aws-fsbp:Lambda.3`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub controls: Vec<String>,
    /// Where it is written: `stance.toml:12`.
    pub source: String,
}

/// The `[policy]` table, as the analysis applies it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub thresholds: Thresholds,
    /// Rule id → the severity its findings get instead of the taxonomy's.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub severity: BTreeMap<String, Severity>,
    /// Rule ids that do not run.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub disabled_rules: BTreeSet<String>,
    #[serde(default)]
    pub residency: Residency,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required_tags: Vec<RequiredTags>,
    /// The policy file's own rules, run with the built-in ones.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custom_rules: Vec<CustomRule>,
}

impl Settings {
    /// stance's built-in values, for an analysis without a policy file.
    pub fn builtin() -> &'static Settings {
        static BUILTIN: OnceLock<Settings> = OnceLock::new();
        BUILTIN.get_or_init(Settings::default)
    }

    pub fn severity_of(&self, rule_id: &str, default: Severity) -> Severity {
        self.severity.get(rule_id).copied().unwrap_or(default)
    }

    pub fn runs(&self, rule_id: &str) -> bool {
        !self.disabled_rules.contains(rule_id)
    }
}
