//! A framework file (`assets/compliance/*.toml`, schema in docs/compliance.md): read, checked against the rule
//! table and the service table, and embedded in the binary.

use std::sync::OnceLock;

use serde::Deserialize;

use crate::finding::{Category, Finding};
use crate::glob::glob_match;
use crate::inventory::SERVICES;
use crate::rules::find_rule;

/// The shipped frameworks, in the order reports list them.
const EMBEDDED: &[(&str, &str)] = &[
    (
        "assets/compliance/cis-aws-foundations-3.0.toml",
        include_str!("../../assets/compliance/cis-aws-foundations-3.0.toml"),
    ),
    ("assets/compliance/aws-fsbp.toml", include_str!("../../assets/compliance/aws-fsbp.toml")),
    ("assets/compliance/gdpr.toml", include_str!("../../assets/compliance/gdpr.toml")),
];

#[derive(Debug, Clone, PartialEq)]
pub struct Framework {
    /// Stable id (`cis-aws-3.0`), as `--framework` takes it.
    pub id: String,
    pub title: String,
    pub version: String,
    pub source: String,
    pub description: String,
    pub controls: Vec<Control>,
}

/// How a control is evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Evaluation {
    /// From the findings of its rules and the coverage of the services they read.
    Rules,
    /// Cannot be checked through the API.
    Manual,
    /// Needs a service stance does not scan.
    Outside,
    /// Inside the services stance scans, but no rule evaluates it yet.
    Unchecked,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Control {
    pub id: String,
    pub section: String,
    pub title: String,
    pub evaluation: Evaluation,
    /// Rule ids whose findings fail it.
    pub rules: Vec<String>,
    /// Only findings whose evidence details hold these string values (one rule covering several controls,
    /// such as the CIS monitoring controls).
    pub evidence: Vec<(String, String)>,
    /// Only findings on resources matching one of these ARN globs; empty: any.
    pub resources: Vec<String>,
    /// The services whose coverage gaps stop the evaluation (service-table names); for an `outside` control,
    /// the services it would need, in words.
    pub needs: Vec<String>,
    /// How stance evaluates it, in stance's words.
    pub note: String,
    /// Parts of the policy file its rules judge by: without them it is not evaluated.
    pub requires: Vec<PolicyPart>,
}

/// A part of the policy file a control's rules need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyPart {
    Residency,
    RequiredTags,
}

impl PolicyPart {
    pub fn configured_in(self, settings: &crate::analyze::settings::Settings) -> bool {
        match self {
            PolicyPart::Residency => !settings.residency.allowed.is_empty(),
            PolicyPart::RequiredTags => !settings.required_tags.is_empty(),
        }
    }

    /// Its table in the policy file.
    pub fn table(self) -> &'static str {
        match self {
            PolicyPart::Residency => "[policy.residency]",
            PolicyPart::RequiredTags => "[[policy.required_tags]]",
        }
    }
}

impl Control {
    /// Whether one of the control's rules' findings counts for this control.
    pub fn covers(&self, finding: &Finding) -> bool {
        self.rules.contains(&finding.rule_id)
            && self
                .evidence
                .iter()
                .all(|(key, value)| finding.evidence.details.get(key).and_then(|v| v.as_str()) == Some(value.as_str()))
            && (self.resources.is_empty() || self.resources.iter().any(|g| glob_match(g, &finding.resource_arn)))
    }
}

/// A framework file that cannot be used: the file, the line and what is wrong.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{path}:{line}: {message}")]
pub struct FrameworkError {
    pub path: String,
    pub line: usize,
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFramework {
    id: String,
    title: String,
    version: String,
    source: String,
    description: String,
    #[serde(default)]
    control: Vec<toml::Spanned<RawControl>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawControl {
    id: String,
    section: String,
    title: String,
    evaluation: Evaluation,
    #[serde(default)]
    rules: Vec<String>,
    #[serde(default)]
    evidence: toml::Table,
    #[serde(default)]
    resources: Vec<String>,
    #[serde(default)]
    needs: Vec<String>,
    note: String,
    #[serde(default)]
    requires: Vec<PolicyPart>,
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].bytes().filter(|b| *b == b'\n').count() + 1
}

/// Reads and checks one framework file.
pub fn parse_framework(text: &str, path: &str) -> Result<Framework, FrameworkError> {
    let error = |line: usize, message: String| FrameworkError { path: path.to_owned(), line, message };
    let raw: RawFramework = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(1);
        error(line, e.message().replace('\n', " "))
    })?;
    let mut controls: Vec<Control> = Vec::new();
    for entry in raw.control {
        let line = line_of(text, entry.span().start);
        let raw = entry.into_inner();
        if controls.iter().any(|c| c.id == raw.id) {
            return Err(error(line, format!("control `{}` is declared twice", raw.id)));
        }
        let evidence = raw
            .evidence
            .into_iter()
            .map(|(key, value)| match value {
                toml::Value::String(value) => Ok((key, value)),
                other => Err(error(line, format!("evidence `{key}` must be a string, not {}", other.type_str()))),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let rules_allowed = raw.evaluation == Evaluation::Rules;
        if rules_allowed && raw.rules.is_empty() {
            return Err(error(line, format!("control `{}` is evaluated by rules but names none", raw.id)));
        }
        if !rules_allowed && (!raw.rules.is_empty() || !evidence.is_empty() || !raw.resources.is_empty()) {
            return Err(error(
                line,
                format!("control `{}` is not evaluated by rules: drop `rules`, `evidence` and `resources`", raw.id),
            ));
        }
        for rule in &raw.rules {
            if find_rule(rule).is_none() {
                return Err(error(
                    line,
                    format!("control `{}`: unknown rule `{rule}` (`stance rules` lists them)", raw.id),
                ));
            }
        }
        let needs = match raw.evaluation {
            Evaluation::Outside if raw.needs.is_empty() => {
                return Err(error(
                    line,
                    format!("control `{}` is outside the services scanned: `needs` must say which it needs", raw.id),
                ));
            }
            Evaluation::Outside => raw.needs,
            Evaluation::Manual => Vec::new(),
            Evaluation::Rules | Evaluation::Unchecked => {
                if let Some(unknown) = raw.needs.iter().find(|s| !SERVICES.iter().any(|known| known.name == s.as_str()))
                {
                    let known: Vec<&str> = SERVICES.iter().map(|s| s.name).collect();
                    return Err(error(
                        line,
                        format!(
                            "control `{}`: `needs` names `{unknown}`, not a scanned service ({})",
                            raw.id,
                            known.join(", ")
                        ),
                    ));
                }
                if raw.needs.is_empty() { services_read_by(&raw.rules) } else { raw.needs }
            }
        };
        controls.push(Control {
            id: raw.id,
            section: raw.section,
            title: raw.title,
            evaluation: raw.evaluation,
            rules: raw.rules,
            evidence,
            resources: raw.resources,
            needs,
            note: raw.note,
            requires: raw.requires,
        });
    }
    if controls.is_empty() {
        return Err(error(1, "a framework needs at least one `[[control]]`".into()));
    }
    Ok(Framework {
        id: raw.id,
        title: raw.title,
        version: raw.version,
        source: raw.source,
        description: raw.description,
        controls,
    })
}

/// The service-table names whose posture group the rules count against; every service for an attack path,
/// which chains findings of all of them.
fn services_read_by(rules: &[String]) -> Vec<String> {
    let categories: Vec<Category> = rules.iter().filter_map(|r| find_rule(r)).map(|r| r.category).collect();
    SERVICES
        .iter()
        .filter(|s| categories.iter().any(|c| c.is_path() || c.service() == s.posture))
        .map(|s| s.name.to_owned())
        .collect()
}

/// The shipped frameworks. They are part of the binary and `compliance::tests` reads each, so a broken one
/// fails the build's tests rather than a user's run.
pub fn frameworks() -> &'static [Framework] {
    static FRAMEWORKS: OnceLock<Vec<Framework>> = OnceLock::new();
    FRAMEWORKS.get_or_init(|| {
        EMBEDDED
            .iter()
            .map(|(path, text)| parse_framework(text, path).unwrap_or_else(|e| panic!("shipped framework: {e}")))
            .collect()
    })
}

/// Orders control ids the way the frameworks number them: `1.2` before `1.10`, `IAM.3` before `IAM.21`,
/// `5(1)(e)` before `25(1)`.
pub(crate) fn control_order(id: &str) -> Vec<(&str, u64)> {
    // (text, the number after it) pairs: a bare number has empty text, so it sorts before a named service.
    let mut parts = Vec::new();
    let mut rest = id;
    while !rest.is_empty() {
        let text_end = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
        let (text, tail) = rest.split_at(text_end);
        let digits_end = tail.find(|c: char| !c.is_ascii_digit()).unwrap_or(tail.len());
        let (digits, tail) = tail.split_at(digits_end);
        parts.push((text, digits.parse().unwrap_or(0)));
        rest = tail;
    }
    parts
}
