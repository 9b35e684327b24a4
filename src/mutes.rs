//! Mutes: accepted risks, recorded in a TOML file (`stance.toml` or `--mutes FILE`) with a reason and an
//! optional expiry. A muted finding stays in the snapshot, marked with its reason; it no longer counts in
//! the posture score or the CI gates. An expired mute stops applying and is reported.
//!
//! ```toml
//! [[mute]]
//! rule = "apigw-unauthenticated-route"             # or: category = "apigw_unauthenticated_route"
//! resource = "arn:aws:apigateway:us-east-1::/apis/a1b2c3/routes/*"   # glob: * and ?; default *
//! reason = "public status endpoint, rate-limited by WAF"
//! expires = 2027-03-31                              # optional
//! ```

use std::path::Path;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub use crate::finding::Muted;
use crate::finding::{Category, Finding};
use crate::glob::glob_match;
use crate::rules::find_rule;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mute {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<Category>,
    /// Glob over the finding's resource ARN.
    pub resource: String,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<NaiveDate>,
    /// Where it is written: `stance.toml:7`.
    pub source: String,
}

impl Mute {
    pub fn matches(&self, finding: &Finding) -> bool {
        self.rule.as_deref().is_none_or(|r| r == finding.rule_id)
            && self.category.is_none_or(|c| c == finding.category)
            && glob_match(&self.resource, &finding.resource_arn)
    }

    pub fn expired(&self, today: NaiveDate) -> bool {
        self.expires.is_some_and(|e| e < today)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedMute {
    #[serde(flatten)]
    pub mute: Option<Mute>,
    /// How many findings it muted.
    pub findings: usize,
}

/// The mutes of a scan, as recorded in its snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MuteReport {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(default)]
    pub applied: Vec<AppliedMute>,
    /// Mutes past their expiry: they no longer apply.
    #[serde(default)]
    pub expired: Vec<Mute>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{path}:{line}: {message}")]
pub struct MuteError {
    pub path: String,
    pub line: usize,
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    mute: Vec<toml::Spanned<RawMute>>,
    /// The policy and the custom rules (`crate::config` reads them): only their being there is checked here.
    #[serde(default)]
    #[allow(dead_code)]
    policy: Option<toml::Value>,
    #[serde(default)]
    #[allow(dead_code)]
    rule: Option<toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMute {
    rule: Option<String>,
    category: Option<String>,
    resource: Option<String>,
    reason: Option<String>,
    expires: Option<toml::Value>,
}

pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].bytes().filter(|b| *b == b'\n').count() + 1
}

/// Reads and checks a mutes file. Every problem names the file and line.
pub fn parse(text: &str, path: &str) -> Result<Vec<Mute>, MuteError> {
    let error = |line: usize, message: String| MuteError { path: path.to_owned(), line, message };
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(1);
        error(line, e.message().replace('\n', " "))
    })?;
    let mut mutes = Vec::new();
    for entry in raw.mute {
        let line = line_of(text, entry.span().start);
        let raw = entry.into_inner();
        let reason = raw
            .reason
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty())
            .ok_or_else(|| error(line, "a mute needs a `reason`".into()))?;
        if raw.rule.is_none() && raw.category.is_none() {
            return Err(error(line, "a mute needs a `rule` or a `category`".into()));
        }
        // A custom rule's id (`custom-…`) is the policy file's to check: it may come from `--rules DIR`.
        if let Some(rule) =
            raw.rule.as_ref().filter(|r| find_rule(r).is_none() && !r.starts_with(crate::config::CUSTOM_PREFIX))
        {
            return Err(error(line, format!("unknown rule `{rule}` (`stance rules` lists them)")));
        }
        let category = match &raw.category {
            Some(name) => Some(
                Category::ALL
                    .iter()
                    .copied()
                    .find(|c| c.as_str() == name)
                    .ok_or_else(|| error(line, format!("unknown category `{name}`")))?,
            ),
            None => None,
        };
        let expires =
            match &raw.expires {
                None => None,
                Some(value) => {
                    let text = match value {
                        toml::Value::String(s) => s.clone(),
                        toml::Value::Datetime(d) => d.to_string(),
                        other => format!("{other:?}"),
                    };
                    Some(NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(|_| {
                        error(line, format!("`expires` must be a date such as 2027-03-31, found {text}"))
                    })?)
                }
            };
        mutes.push(Mute {
            rule: raw.rule,
            category,
            resource: raw.resource.unwrap_or_else(|| "*".into()),
            reason,
            expires,
            source: format!("{path}:{line}"),
        });
    }
    Ok(mutes)
}

/// A TOML basic string.
fn quoted(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Appends a mute of one finding (its rule, exactly its resource) to the mutes file, creating it if needed,
/// and checks the whole file still reads. Returns the new mute.
pub fn append(path: &Path, finding: &Finding, reason: &str, expires: Option<NaiveDate>) -> Result<Mute, MuteError> {
    let display = path.display().to_string();
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(MuteError { path: display, line: 0, message: format!("cannot read: {e}") }),
    };
    let mut entry = format!(
        "{}[[mute]]\nrule = {}\nresource = {}\nreason = {}\n",
        if existing.is_empty() || existing.ends_with("\n\n") {
            ""
        } else if existing.ends_with('\n') {
            "\n"
        } else {
            "\n\n"
        },
        quoted(&finding.rule_id),
        quoted(&finding.resource_arn.replace('*', "?")),
        quoted(reason.trim()),
    );
    if let Some(date) = expires {
        entry.push_str(&format!("expires = {date}\n"));
    }
    let text = existing + &entry;
    let mutes = parse(&text, &display)?;
    std::fs::write(path, &text).map_err(|e| MuteError {
        path: display,
        line: 0,
        message: format!("cannot write: {e}"),
    })?;
    mutes.last().cloned().ok_or_else(|| MuteError {
        path: path.display().to_string(),
        line: 0,
        message: "the mute was not written".into(),
    })
}

/// Removes the `[[mute]]` entry that `line` of the mutes file belongs to (a mute's `source` line), checks
/// that the rest still reads, and returns the mutes that remain.
pub fn remove(path: &Path, line: usize) -> Result<Vec<Mute>, MuteError> {
    let display = path.display().to_string();
    let error = |line: usize, message: String| MuteError { path: display.clone(), line, message };
    let text = std::fs::read_to_string(path).map_err(|e| error(0, format!("cannot read: {e}")))?;
    let before = parse(&text, &display)?;
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let at = line.saturating_sub(1).min(lines.len().saturating_sub(1));
    let header = (0..=at)
        .rev()
        .find(|&i| lines.get(i).is_some_and(|l| l.trim() == "[[mute]]"))
        .ok_or_else(|| error(line, "no [[mute]] entry here: was the file edited?".into()))?;
    let end = (header + 1..lines.len()).find(|&i| lines[i].trim_start().starts_with('[')).unwrap_or(lines.len());
    // The blank line that separated the entry goes with it.
    let start = if header > 0 && lines[header - 1].trim().is_empty() { header - 1 } else { header };
    let remaining: String = lines[..start].iter().chain(&lines[end..]).copied().collect();
    let after = parse(&remaining, &display)?;
    if after.len() + 1 != before.len() {
        return Err(error(line, "the entry could not be removed on its own: edit the file".into()));
    }
    std::fs::write(path, &remaining).map_err(|e| error(0, format!("cannot write: {e}")))?;
    Ok(after)
}

pub fn load(path: &Path) -> Result<Vec<Mute>, MuteError> {
    let (text, display) = read(path)?;
    parse(&text, &display)
}

/// The text of a policy file and the name its errors give it.
pub(crate) fn read(path: &Path) -> Result<(String, String), MuteError> {
    let display = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(text) => Ok((text, display)),
        Err(e) => Err(MuteError { path: display, line: 0, message: format!("cannot read: {e}") }),
    }
}

/// Marks the findings the mutes match (the first matching mute wins) and reports what applied and what
/// had expired at `today`.
pub fn apply(mutes: &[Mute], findings: &mut [Finding], today: NaiveDate, file: Option<String>) -> MuteReport {
    let mut report = MuteReport { file, ..MuteReport::default() };
    let (expired, active): (Vec<&Mute>, Vec<&Mute>) = mutes.iter().partition(|m| m.expired(today));
    report.expired = expired.into_iter().cloned().collect();
    let mut counts = vec![0usize; active.len()];
    for finding in findings.iter_mut() {
        if let Some((i, mute)) = active.iter().enumerate().find(|(_, m)| m.matches(finding)) {
            counts[i] += 1;
            finding.muted =
                Some(Muted { reason: mute.reason.clone(), expires: mute.expires, source: mute.source.clone() });
        }
    }
    report.applied =
        active.into_iter().zip(counts).map(|(m, n)| AppliedMute { mute: Some(m.clone()), findings: n }).collect();
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
# accepted risks
[[mute]]
rule = "lambda-tracing-disabled"
resource = "arn:aws:lambda:*:123456789012:function:legacy-*"
reason = "legacy functions are being retired"
expires = 2027-01-31

[[mute]]
category = "apigw_stage_no_logging"
reason = "dev stages are not logged"
expires = "2026-01-01"
"#;

    #[test]
    fn parses_with_sources() {
        let mutes = parse(FILE, "stance.toml").unwrap();
        assert_eq!(mutes.len(), 2);
        assert_eq!(mutes[0].source, "stance.toml:3");
        assert_eq!(mutes[0].expires, NaiveDate::from_ymd_opt(2027, 1, 31));
        assert_eq!(mutes[1].category, Some(Category::ApigwStageNoLogging));
        assert_eq!(mutes[1].resource, "*");
        assert!(mutes[1].expired(NaiveDate::from_ymd_opt(2026, 11, 29).unwrap()));
    }

    #[test]
    fn malformed_files_are_refused_with_the_line() {
        let cases = [
            ("[[mute]]\nrule = \"lambda-tracing-disabled\"\n", "stance.toml:1: a mute needs a `reason`"),
            ("[[mute]]\nreason = \"x\"\n", "stance.toml:1: a mute needs a `rule` or a `category`"),
            ("\n[[mute]]\nrule = \"no-such-rule\"\nreason = \"x\"\n", "stance.toml:2: unknown rule `no-such-rule`"),
            ("[[mute]]\ncategory = \"nope\"\nreason = \"x\"\n", "stance.toml:1: unknown category `nope`"),
            (
                "[[mute]]\nrule = \"lambda-tracing-disabled\"\nreason = \"x\"\nexpires = \"soon\"\n",
                "stance.toml:1: `expires` must be a date",
            ),
            (
                "[[mute]]\nrule = \"lambda-tracing-disabled\"\nreason = \"x\"\ncolour = \"red\"\n",
                "stance.toml:4: unknown field `colour`",
            ),
            ("[[mute]\nrule = 1\n", "stance.toml:1:"),
        ];
        for (text, expected) in cases {
            let message = parse(text, "stance.toml").unwrap_err().to_string();
            assert!(message.starts_with(expected), "{text:?}: {message}");
            assert_eq!(message.lines().count(), 1, "{message}");
        }
    }

    #[test]
    fn appending_keeps_the_file_valid() {
        use crate::rules::fixture::*;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stance.toml");
        std::fs::write(&path, FILE).unwrap();
        let fixture = Fixture::new().role("r", lambda_trust(), &[], &[]).function("f", "r", |f| f.tracing_mode = None);
        let finding = crate::assess::analyze(&fixture.inventory, now()).findings.remove(0);
        let mute =
            append(&path, &finding, "a \"quoted\" reason\\ with a backslash", NaiveDate::from_ymd_opt(2027, 6, 30))
                .unwrap();
        assert_eq!(mute.reason, "a \"quoted\" reason\\ with a backslash");
        assert!(mute.matches(&finding));
        let all = load(&path).unwrap();
        assert_eq!(all.len(), 3);
        assert_eq!(all[2].expires, NaiveDate::from_ymd_opt(2027, 6, 30));
        let fresh = dir.path().join("new.toml");
        append(&fresh, &finding, "first", None).unwrap();
        assert_eq!(load(&fresh).unwrap().len(), 1);
    }

    #[test]
    fn removing_a_mute_takes_only_its_entry() {
        use crate::rules::fixture::*;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stance.toml");
        std::fs::write(&path, FILE).unwrap();
        let fixture = Fixture::new().role("r", lambda_trust(), &[], &[]).function("f", "r", |f| f.tracing_mode = None);
        let finding = crate::assess::analyze(&fixture.inventory, now()).findings.remove(0);
        let added = append(&path, &finding, "accepted", None).unwrap();
        let first = load(&path).unwrap().remove(0);
        let line = |m: &Mute| m.source.rsplit(':').next().unwrap().parse::<usize>().unwrap();
        // The first entry goes; the second and the appended one stay, and the comments above them too.
        let remaining = remove(&path, line(&first)).unwrap();
        assert_eq!(remaining.len(), 2);
        assert!(remaining.iter().all(|m| m.reason != first.reason));
        assert!(remaining.iter().any(|m| m.reason == added.reason));
        assert_eq!(load(&path).unwrap().len(), 2, "the file reads");
        let last = remaining.last().unwrap().clone();
        assert_eq!(remove(&path, line(&last)).unwrap().len(), 1);
        let error = remove(&path, 1).unwrap_err().to_string();
        assert!(error.contains("stance.toml") && error.contains("no [[mute]] entry"), "{error}");
    }

    #[test]
    fn applies_and_reports_expired() {
        use crate::rules::fixture::*;
        let fixture = Fixture::new()
            .role("r", lambda_trust(), &[], &[])
            .function("legacy-1", "r", |f| f.tracing_mode = None)
            .function("new-1", "r", |f| f.tracing_mode = None);
        let mut findings = crate::assess::analyze(&fixture.inventory, now()).findings;
        let mutes = parse(FILE, "stance.toml").unwrap();
        let report = apply(&mutes, &mut findings, now().date_naive(), Some("stance.toml".into()));
        let muted: Vec<&str> = findings.iter().filter(|f| f.muted.is_some()).map(|f| f.resource_arn.as_str()).collect();
        assert_eq!(muted, ["arn:aws:lambda:us-east-1:123456789012:function:legacy-1"]);
        assert_eq!(report.applied.len(), 1);
        assert_eq!(report.applied[0].findings, 1);
        assert_eq!(report.expired.len(), 1, "the stage mute expired on 2026-01-01");
    }
}
