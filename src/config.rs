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

use crate::analyze::settings::{CustomRule, RequiredTags, Settings, Thresholds};
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

/// What every custom rule's id starts with: it can never collide with a built-in rule.
pub const CUSTOM_PREFIX: &str = "custom-";

#[derive(Deserialize)]
struct RawFile {
    #[serde(default)]
    policy: Option<toml::Spanned<RawPolicy>>,
    #[serde(default)]
    rule: Vec<toml::Spanned<RawRule>>,
}

/// A file of `--rules DIR`: custom rules only.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRulesFile {
    #[serde(default)]
    rule: Vec<toml::Spanned<RawRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    title: String,
    severity: String,
    kind: String,
    condition: String,
    remediation: String,
    #[serde(default)]
    references: Vec<String>,
    #[serde(default)]
    controls: Vec<String>,
}

/// Checks custom rules read from `text` (`path` names it), refusing one that does not parse, reads a field
/// its kind's view lacks, or names an unknown control.
fn custom_rules(
    text: &str,
    path: &str,
    raw: Vec<toml::Spanned<RawRule>>,
    known: &[CustomRule],
) -> Result<Vec<CustomRule>, MuteError> {
    let mut rules: Vec<CustomRule> = Vec::new();
    for entry in raw {
        let line = line_of(text, entry.span().start);
        let raw = entry.into_inner();
        let error = |message: String| MuteError {
            path: path.to_owned(),
            line,
            message: format!("rule `{}`: {message}", raw.id),
        };
        let kebab = raw.id.len() > CUSTOM_PREFIX.len()
            && raw.id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !raw.id.starts_with(CUSTOM_PREFIX) || !kebab {
            return Err(error(format!("a custom rule's id is kebab-case and starts with `{CUSTOM_PREFIX}`")));
        }
        if rules.iter().chain(known).any(|r| r.id == raw.id) {
            return Err(error("declared twice".into()));
        }
        let severity: Severity = raw.severity.parse().map_err(error)?;
        let kinds = crate::inventory::tags::TAGGABLE_KINDS;
        if !kinds.contains(&raw.kind.as_str()) {
            return Err(error(format!("unknown kind `{}` (expected one of {})", raw.kind, kinds.join(", "))));
        }
        crate::rules::check_condition(&raw.kind, &raw.condition).map_err(error)?;
        crate::rules::check_title(&raw.kind, &raw.title).map_err(error)?;
        if raw.remediation.trim().is_empty() {
            return Err(error("a custom rule needs a `remediation`".into()));
        }
        for claim in &raw.controls {
            let known = claim.split_once(':').is_some_and(|(framework, control)| {
                crate::compliance::frameworks()
                    .iter()
                    .any(|f| f.id == framework && f.controls.iter().any(|c| c.id == control))
            });
            if !known {
                return Err(error(format!(
                    "`controls` names `{claim}`: expected FRAMEWORK:CONTROL, such as gdpr:25(1)"
                )));
            }
        }
        rules.push(CustomRule {
            id: raw.id.clone(),
            title: raw.title.clone(),
            severity,
            kind: raw.kind.clone(),
            condition: raw.condition.clone(),
            remediation: raw.remediation.clone(),
            references: raw.references.clone(),
            controls: raw.controls.clone(),
            source: format!("{path}:{line}"),
        });
    }
    Ok(rules)
}

/// Reads every `*.toml` file of `dir` (in name order) as custom rules, and adds them to `config`.
pub fn load_rules_dir(dir: &Path, config: &mut Config) -> Result<(), MuteError> {
    let display = dir.display().to_string();
    let unreadable = |e: std::io::Error| MuteError {
        path: display.clone(),
        line: 0,
        message: format!("cannot read the directory: {e}"),
    };
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .map_err(unreadable)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    for file in files {
        let (text, path) = crate::mutes::read(&file)?;
        let raw: RawRulesFile = toml::from_str(&text).map_err(|e| MuteError {
            path: path.clone(),
            line: e.span().map_or(1, |s| line_of(&text, s.start)),
            message: e.message().replace('\n', " "),
        })?;
        let rules = custom_rules(&text, &path, raw.rule, &config.settings.custom_rules)?;
        config.settings.custom_rules.extend(rules);
    }
    Ok(())
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
    let mut settings = Settings { custom_rules: custom_rules(text, path, raw.rule, &[])?, ..Settings::default() };
    let custom_ids: Vec<String> = settings.custom_rules.iter().map(|r| r.id.clone()).collect();
    let known_rule =
        |id: String| -> Result<String, String> { if custom_ids.contains(&id) { Ok(id) } else { known_rule(id) } };
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
    let (text, display) = crate::mutes::read(path)?;
    parse(&text, &display)
}

#[cfg(test)]
mod tests;
