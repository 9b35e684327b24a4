//! The finding contract (DESIGN.md §3): what every rule emits, what scores, mutes, snapshots, diffs, exports
//! and the TUI read. A leaf of the pipeline: `Category` is generated from the taxonomy's table
//! (`src/taxonomy.rs`), the one place a rule's category, service and severity are declared.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::OnceLock;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "info" => Severity::Info,
            "low" => Severity::Low,
            "medium" => Severity::Medium,
            "high" => Severity::High,
            "critical" => Severity::Critical,
            other => return Err(format!("unknown severity `{other}` (expected critical, high, medium, low or info)")),
        })
    }
}

/// How attack paths treat a rule's findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// A weakness an attacker can use: an attack path through its resource chains it (and outranks it).
    Link,
    /// Reported, but not a step an attacker takes (missing tracing): never chained into a path.
    NotALink,
    /// An attack path: runs after every other rule and chains their findings.
    Path,
}

macro_rules! categories {
    ($($variant:ident => $name:literal, $service:literal, $severity:ident, $link:ident, $family:ident::$rule:ident;)+) => {
        /// The product's finding taxonomy (DESIGN.md §3); every rule maps to exactly one.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Category { $($variant),+ }

        impl Category {
            pub const ALL: &'static [Category] = &[$(Category::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $(Category::$variant => $name),+ }
            }
            /// The service whose posture the category counts against.
            pub fn service(self) -> &'static str {
                match self { $(Category::$variant => $service),+ }
            }
            pub fn default_severity(self) -> Severity {
                match self { $(Category::$variant => Severity::$severity),+ }
            }
            pub fn link(self) -> Link {
                match self { $(Category::$variant => Link::$link),+ }
            }
            /// Whether the category's findings are attack paths.
            pub fn is_path(self) -> bool {
                self.link() == Link::Path
            }
        }
    };
}

crate::taxonomy::taxonomy!(categories);

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a finding rests on: the offending statement and where it is, the method or route, the key and its age.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// One sentence: what was seen.
    pub summary: String,
    /// Where: e.g. "inline policy `reports` of role reports-generator-role, statement #0".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The exact policy statement, as written.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "compact_statement")]
    pub statement: Option<serde_json::Value>,
    /// Further facts (key id and age, route key, runtime and its deprecation date …).
    #[serde(default, skip_serializing_if = "Details::is_empty")]
    pub details: Details,
}

/// A finding's further facts, by name, kept in name order (as written and compared). A sorted vector of
/// exactly its size: a snapshot holds one per finding, and a tree's node (room for eleven) per finding
/// was a quarter of the memory of an open 100,000-finding snapshot.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Details(Vec<(String, serde_json::Value)>);

impl Details {
    pub fn new() -> Details {
        Details(Vec::new())
    }

    /// Sets `key` to `value`, returning the value it replaced.
    pub fn insert(&mut self, key: String, value: serde_json::Value) -> Option<serde_json::Value> {
        match self.0.binary_search_by(|(k, _)| k.as_str().cmp(&key)) {
            Ok(at) => Some(std::mem::replace(&mut self.0[at].1, value)),
            Err(at) => {
                self.0.insert(at, (key, value));
                None
            }
        }
    }

    pub fn get(&self, key: &str) -> Option<&serde_json::Value> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(key)).ok().map(|at| &self.0[at].1)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The facts in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &serde_json::Value)> {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl std::ops::Index<&str> for Details {
    type Output = serde_json::Value;

    fn index(&self, key: &str) -> &serde_json::Value {
        static NULL: serde_json::Value = serde_json::Value::Null;
        self.get(key).unwrap_or(&NULL)
    }
}

impl<const N: usize> From<[(String, serde_json::Value); N]> for Details {
    fn from(entries: [(String, serde_json::Value); N]) -> Details {
        entries.into_iter().collect()
    }
}

impl FromIterator<(String, serde_json::Value)> for Details {
    fn from_iter<I: IntoIterator<Item = (String, serde_json::Value)>>(entries: I) -> Details {
        let mut details = Details::new();
        details.extend(entries);
        details
    }
}

impl Extend<(String, serde_json::Value)> for Details {
    fn extend<I: IntoIterator<Item = (String, serde_json::Value)>>(&mut self, entries: I) {
        for (key, value) in entries {
            self.insert(key, value);
        }
    }
}

impl Serialize for Details {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

impl<'de> Deserialize<'de> for Details {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Details, D::Error> {
        struct Entries;
        impl<'de> serde::de::Visitor<'de> for Entries {
            type Value = Details;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of facts")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Details, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some(entry) = map.next_entry::<String, serde_json::Value>()? {
                    entries.push(entry);
                }
                // Written in name order, so this is a sort of sorted input; a hand-edited file is sorted here,
                // the last of a repeated name winning as in a map.
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                entries.dedup_by(|later, earlier| {
                    let same = later.0 == earlier.0;
                    if same {
                        std::mem::swap(later, earlier);
                    }
                    same
                });
                entries.shrink_to_fit();
                Ok(Details(entries))
            }
        }
        deserializer.deserialize_map(Entries)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub rule_id: String,
    pub category: Category,
    pub severity: Severity,
    /// 0–100, see docs/scoring.md.
    pub score: u8,
    pub factors: Vec<Factor>,
    pub resource_arn: String,
    /// An AWS region, or `global` for IAM.
    pub region: String,
    pub title: String,
    pub evidence: Evidence,
    /// The rule's remediation: read from a snapshot, the catalogue's own copy (see [`catalogue_text`]).
    #[serde(deserialize_with = "catalogue_text")]
    pub remediation: Cow<'static, str>,
    #[serde(deserialize_with = "catalogue_texts")]
    pub references: Vec<Cow<'static, str>>,
    /// Stable across scans: rule id, resource ARN and a discriminator, never a time or a score.
    pub fingerprint: String,
    /// For attack paths: the ARNs from the entry point to what the attacker gains, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub path: Vec<String>,
    /// Set when a mute (an accepted risk) covers the finding: it stays, but no longer counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub muted: Option<Muted>,
}

impl Finding {
    /// Whether the finding is about `arn` or its attack path passes through it.
    pub fn touches(&self, arn: &str) -> bool {
        self.resource_arn == arn || self.path.iter().any(|hop| hop == arn)
    }
}

/// A statement read from a snapshot, its objects and arrays rebuilt at exactly their size: a reader grows
/// them as it goes, to twice what they hold, and a snapshot holds one statement per finding.
fn compact_statement<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<serde_json::Value>, D::Error> {
    fn compact(value: serde_json::Value) -> serde_json::Value {
        match value {
            serde_json::Value::Array(items) => serde_json::Value::Array(
                items.into_iter().map(compact).collect::<Vec<_>>().into_boxed_slice().into_vec(),
            ),
            serde_json::Value::Object(map) => {
                let mut exact = serde_json::Map::with_capacity(map.len());
                exact.extend(map.into_iter().map(|(k, v)| (k, compact(v))));
                serde_json::Value::Object(exact)
            }
            other => other,
        }
    }
    Option::<serde_json::Value>::deserialize(deserializer).map(|statement| statement.map(compact))
}

/// A remediation or reference read from a snapshot: when it is one of the rule catalogue's texts (as it is
/// unless the catalogue changed since), the catalogue's static copy, so that 100,000 findings do not hold
/// 100,000 copies of a few dozen paragraphs.
fn catalogue_text<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Cow<'static, str>, D::Error> {
    String::deserialize(deserializer).map(interned)
}

fn catalogue_texts<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<Cow<'static, str>>, D::Error> {
    Vec::<String>::deserialize(deserializer).map(|texts| texts.into_iter().map(interned).collect())
}

fn interned(text: String) -> Cow<'static, str> {
    static CATALOGUE: OnceLock<HashSet<&'static str>> = OnceLock::new();
    let catalogue = CATALOGUE.get_or_init(|| {
        crate::rules::RULES
            .iter()
            .flat_map(|rule| std::iter::once(rule.meta.remediation).chain(rule.meta.references.iter().copied()))
            .collect()
    });
    match catalogue.get(text.as_str()) {
        Some(&known) => Cow::Borrowed(known),
        None => Cow::Owned(text),
    }
}

/// Rank order, as every list of findings is kept: highest score first, then by fingerprint (stable).
pub fn rank(findings: &mut [Finding]) {
    findings.sort_by(by_rank);
}

/// The comparison behind [`rank`]: score, then (among findings the cap made equal, such as attack paths at
/// 100) the uncapped product of their factors, then the fingerprint, so the order is total and stable.
pub fn by_rank(a: &Finding, b: &Finding) -> std::cmp::Ordering {
    let uncapped = |f: &Finding| f.factors.iter().map(|factor| factor.multiplier).product::<f64>();
    b.score
        .cmp(&a.score)
        .then_with(|| uncapped(b).total_cmp(&uncapped(a)))
        .then_with(|| a.fingerprint.cmp(&b.fingerprint))
}

/// `sha256(rule_id ‖ resource_arn ‖ discriminator)`, first 128 bits in hex.
pub fn fingerprint(rule_id: &str, resource_arn: &str, discriminator: &str) -> String {
    let mut hasher = Sha256::new();
    for part in [rule_id, resource_arn, discriminator] {
        hasher.update(part.as_bytes());
        hasher.update([0x1f]);
    }
    hex::encode(&hasher.finalize()[..16])
}

/// One factor of a score, shown to the user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Factor {
    /// `severity`, `exposure`, `blast_radius`, `credential_age`, `compensating_control`, `attack_path`.
    pub name: String,
    pub value: String,
    pub multiplier: f64,
    pub reason: String,
}

/// What a muted finding carries: the accepted risk's reason, expiry and where the mute is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Muted {
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<NaiveDate>,
    pub source: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_stable_and_distinct() {
        let a = fingerprint("iam-admin-privileges", "arn:aws:iam::1:role/x", "policy/AdministratorAccess#0");
        assert_eq!(a, fingerprint("iam-admin-privileges", "arn:aws:iam::1:role/x", "policy/AdministratorAccess#0"));
        assert_eq!(a.len(), 32);
        assert_ne!(a, fingerprint("iam-admin-privileges", "arn:aws:iam::1:role/x", "policy/AdministratorAccess#1"));
        // The separator keeps "ab"+"c" apart from "a"+"bc".
        assert_ne!(fingerprint("r", "ab", "c"), fingerprint("r", "a", "bc"));
    }

    #[test]
    fn the_taxonomy_is_complete() {
        let names: std::collections::BTreeSet<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(names.len(), Category::ALL.len(), "category names are unique");
        assert_eq!(Category::IamRoleTrustAnyPrincipal.default_severity(), Severity::Critical);
        assert_eq!(serde_json::to_value(Category::ApigwStageNoLogging).unwrap(), "apigw_stage_no_logging");
        assert_eq!("HIGH".parse::<Severity>(), Ok(Severity::High));
        assert!("severe".parse::<Severity>().is_err());
        assert!(Severity::Critical > Severity::High && Severity::Low > Severity::Info);
    }
}
