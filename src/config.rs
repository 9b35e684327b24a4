//! The policy file: `stance.toml` in the current directory, or `--mutes FILE`. It holds the mutes
//! (`crate::mutes`) and the `[policy]` table the analysis applies (`analyze::settings`):
//!
//! ```toml
//! [policy]
//! disabled_rules = ["apigw-stage-no-waf"]
//!
//! [policy.thresholds]
//! access_key_max_age_days = 60
//! log_retention_max_days = 400
//!
//! [policy.severity]
//! iam-role-unused = "medium"
//! ```
//!
//! Every problem is refused with the file, the line and what was expected, before any AWS call.

use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::analyze::settings::{RequiredTags, Settings, Thresholds};
use crate::finding::Severity;
use crate::mutes::{Mute, MuteError, line_of};
use crate::rules::find_rule;

/// Everything the policy file says.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Config {
    pub mutes: Vec<Mute>,
    pub settings: Settings,
    /// Where it was read from; `None` without a file (built-in settings, no mutes).
    pub file: Option<String>,
}

/// What a snapshot records of the policy it was made under, so that two snapshots made under different
/// policies are told apart: the settings in full and their hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyRecord {
    /// The policy file, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// SHA-256 of the settings' JSON (hex): equal for equal policies, whichever file they came from.
    pub sha256: String,
    pub settings: Settings,
}

impl PolicyRecord {
    pub fn of(settings: &Settings, file: Option<String>) -> PolicyRecord {
        let json = serde_json::to_vec(settings).unwrap_or_default();
        let sha256 = Sha256::digest(&json).iter().map(|b| format!("{b:02x}")).collect();
        PolicyRecord { file, sha256, settings: settings.clone() }
    }
}

impl Default for PolicyRecord {
    fn default() -> PolicyRecord {
        PolicyRecord::of(Settings::builtin(), None)
    }
}

#[derive(Deserialize)]
struct RawFile {
    #[serde(default)]
    policy: Option<toml::Spanned<RawPolicy>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    #[serde(default)]
    thresholds: Option<toml::Spanned<Thresholds>>,
    #[serde(default)]
    severity: std::collections::BTreeMap<toml::Spanned<String>, toml::Spanned<String>>,
    #[serde(default)]
    disabled_rules: Vec<toml::Spanned<String>>,
    /// `tag_key = "…"` and `CLASSIFICATION = ["region", …]`.
    #[serde(default)]
    residency: std::collections::BTreeMap<toml::Spanned<String>, toml::Spanned<toml::Value>>,
    #[serde(default)]
    required_tags: Vec<toml::Spanned<RawRequiredTags>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequiredTags {
    kind: String,
    keys: Vec<String>,
}

/// Reads and checks the policy file's text (`path` names it in errors).
pub fn parse(text: &str, path: &str) -> Result<Config, MuteError> {
    let mutes = crate::mutes::parse(text, path)?;
    let error = |at: usize, message: String| MuteError { path: path.to_owned(), line: line_of(text, at), message };
    let raw: RawFile =
        toml::from_str(text).map_err(|e| error(e.span().map_or(0, |s| s.start), e.message().replace('\n', " ")))?;
    let mut settings = Settings::default();
    if let Some(policy) = raw.policy {
        let policy = policy.into_inner();
        if let Some(thresholds) = policy.thresholds {
            let at = thresholds.span().start;
            settings.thresholds = thresholds.into_inner();
            check_thresholds(&settings.thresholds).map_err(|message| error(at, message))?;
        }
        for (rule, severity) in policy.severity {
            let at = rule.span().start;
            let rule = known_rule(rule.into_inner()).map_err(|m| error(at, format!("[policy.severity]: {m}")))?;
            let parsed: Severity = severity
                .get_ref()
                .parse()
                .map_err(|m| error(severity.span().start, format!("[policy.severity] {rule}: {m}")))?;
            settings.severity.insert(rule, parsed);
        }
        for rule in policy.disabled_rules {
            let at = rule.span().start;
            let rule = known_rule(rule.into_inner()).map_err(|m| error(at, format!("disabled_rules: {m}")))?;
            settings.disabled_rules.insert(rule);
        }
        for (key, value) in policy.residency {
            let at = key.span().start;
            let (key, value) = (key.into_inner(), value.into_inner());
            let in_residency = |m: String| error(at, format!("[policy.residency] {key}: {m}"));
            if key == "tag_key" {
                match value {
                    toml::Value::String(tag) if !tag.trim().is_empty() => settings.residency.tag_key = tag,
                    other => {
                        return Err(in_residency(format!("expected a tag key (a string), found {}", other.type_str())));
                    }
                }
                continue;
            }
            let regions = match value {
                toml::Value::Array(regions) if !regions.is_empty() => regions,
                _ => {
                    return Err(in_residency(
                        "expected the regions allowed, such as [\"eu-west-1\", \"eu-central-1\"]".into(),
                    ));
                }
            };
            let mut allowed = Vec::new();
            for region in regions {
                let region = region.as_str().ok_or_else(|| in_residency("each region must be a string".into()))?;
                crate::inventory::regions::check_region_name(region).map_err(in_residency)?;
                allowed.push(region.to_owned());
            }
            settings.residency.allowed.insert(key, allowed);
        }
        for entry in policy.required_tags {
            let at = entry.span().start;
            let raw = entry.into_inner();
            let kinds = crate::inventory::tags::TAGGABLE_KINDS;
            if !kinds.contains(&raw.kind.as_str()) {
                let message = format!(
                    "[[policy.required_tags]]: unknown kind `{}` (expected one of {})",
                    raw.kind,
                    kinds.join(", ")
                );
                return Err(error(at, message));
            }
            if raw.keys.is_empty() || raw.keys.iter().any(|k| k.trim().is_empty()) {
                return Err(error(
                    at,
                    format!("[[policy.required_tags]] {}: `keys` must name at least one tag key", raw.kind),
                ));
            }
            settings.required_tags.push(RequiredTags { kind: raw.kind, keys: raw.keys });
        }
    }
    Ok(Config { mutes, settings, file: Some(path.to_owned()) })
}

fn known_rule(id: String) -> Result<String, String> {
    match find_rule(&id) {
        Some(_) => Ok(id),
        None => Err(format!("unknown rule `{id}` (`stance rules` lists them)")),
    }
}

fn check_thresholds(t: &Thresholds) -> Result<(), String> {
    let days = [
        ("access_key_max_age_days", Some(t.access_key_max_age_days)),
        ("role_unused_days", Some(t.role_unused_days)),
        ("api_key_max_age_days", Some(t.api_key_max_age_days)),
        ("secret_rotation_max_days", t.secret_rotation_max_days),
        ("secret_unused_days", Some(t.secret_unused_days)),
        ("log_retention_min_days", t.log_retention_min_days),
        ("log_retention_max_days", t.log_retention_max_days),
    ];
    if let Some((name, Some(value))) = days.iter().find(|(_, v)| v.is_some_and(|d| !(1..=36_500).contains(&d))) {
        return Err(format!("[policy.thresholds] {name} = {value}: expected a number of days from 1 to 36500"));
    }
    if let (Some(min), Some(max)) = (t.log_retention_min_days, t.log_retention_max_days)
        && min > max
    {
        return Err(format!(
            "[policy.thresholds] log_retention_min_days = {min} is more than log_retention_max_days = {max}"
        ));
    }
    Ok(())
}

/// Reads the policy file at `path`.
pub fn load(path: &Path) -> Result<Config, MuteError> {
    let display = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| MuteError {
        path: display.clone(),
        line: 0,
        message: format!("cannot read: {e}"),
    })?;
    parse(&text, &display)
}

#[cfg(test)]
mod tests;
