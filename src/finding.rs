//! The finding contract (DESIGN.md §3): what every rule emits, what scores, mutes, snapshots, diffs, exports
//! and the TUI read. A leaf of the pipeline: `Category` is generated from the taxonomy's table
//! (`src/taxonomy.rs`), the one place a rule's category, service and severity are declared.

use std::collections::BTreeMap;

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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement: Option<serde_json::Value>,
    /// Further facts (key id and age, route key, runtime and its deprecation date …).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub details: BTreeMap<String, serde_json::Value>,
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
    pub remediation: String,
    pub references: Vec<String>,
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
