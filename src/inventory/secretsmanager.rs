//! Secrets Manager: each secret's metadata (never its value), its rotation and its resource policy.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::service::{DriftIndex, KeyReference, ServiceFacts, ServiceModel, attributes};
use super::{Observed, PolicyDocument, Timestamp};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SecretsInventory {
    /// By secret ARN, across regions.
    pub secrets: BTreeMap<String, Secret>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Secret {
    pub arn: String,
    pub name: String,
    pub region: String,
    /// The KMS key as the secret names it (key id, key ARN, alias name or alias ARN); `None`: the account's
    /// AWS managed key `aws/secretsmanager`.
    pub kms_key_id: Option<String>,
    /// AWS omits the flag when rotation was never configured: `false` then.
    pub rotation_enabled: bool,
    pub rotation: Option<RotationRules>,
    pub rotation_lambda_arn: Option<String>,
    pub last_rotated: Option<Timestamp>,
    pub next_rotation: Option<Timestamp>,
    /// AWS records access to the day; `None`: never accessed (or the endpoint does not track it).
    pub last_accessed: Option<Timestamp>,
    pub created: Option<Timestamp>,
    pub last_changed: Option<Timestamp>,
    /// Set when the secret is scheduled for deletion.
    pub deletion_date: Option<Timestamp>,
    /// The AWS service that manages the secret (RDS, Redshift…): it rotates the secret itself.
    pub owning_service: Option<String>,
    pub tags: BTreeMap<String, String>,
    /// `GetResourcePolicy`; `Absent` when the secret has none.
    pub resource_policy: Observed<PolicyDocument>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RotationRules {
    pub automatically_after_days: Option<i64>,
    /// `rate(10 days)`, `cron(0 16 1,15 * ? *)`.
    pub schedule_expression: Option<String>,
    /// The rotation window, e.g. `3h`.
    pub duration: Option<String>,
}

impl RotationRules {
    /// The longest time between two rotations the schedule allows, in days, when it can be told:
    /// `AutomaticallyAfterDays`, or a `rate(N days|hours)` expression. A cron schedule gives none.
    pub fn interval_days(&self) -> Option<i64> {
        if let Some(days) = self.automatically_after_days {
            return Some(days);
        }
        let expression = self.schedule_expression.as_deref()?.trim();
        let inner = expression.strip_prefix("rate(")?.strip_suffix(')')?;
        let (amount, unit) = inner.trim().split_once(' ')?;
        let amount: i64 = amount.parse().ok()?;
        match unit.trim() {
            "day" | "days" => Some(amount),
            "hour" | "hours" => Some((amount + 23) / 24),
            _ => None,
        }
    }
}

impl ServiceFacts for SecretsInventory {
    fn resource_count(&self) -> usize {
        self.secrets.len()
    }

    fn counts(&self, counts: &mut BTreeMap<&'static str, usize>) {
        counts.insert("secrets", self.secrets.len());
    }

    fn drift(&self, index: &mut DriftIndex) {
        for secret in self.secrets.values() {
            let secret_attributes = attributes([
                ("rotation_enabled", json!(secret.rotation_enabled)),
                ("rotation", json!(secret.rotation)),
                ("kms_key_id", json!(secret.kms_key_id)),
                ("resource_policy", json!(secret.resource_policy)),
                ("deletion_date", json!(secret.deletion_date)),
            ]);
            index.insert(secret.arn.clone(), ("secret", secret_attributes));
        }
    }

    fn resource_policies(&self) -> Vec<(&str, &PolicyDocument)> {
        self.secrets.values().filter_map(|s| Some((s.arn.as_str(), s.resource_policy.present()?))).collect()
    }

    fn key_references(&self) -> Vec<KeyReference<'_>> {
        let secrets = self.secrets.values();
        secrets
            .filter_map(|s| {
                let key = s.kms_key_id.as_deref()?;
                Some(KeyReference { kind: "secret", resource_arn: &s.arn, region: &s.region, key })
            })
            .collect()
    }

    fn name_of(&self, arn: &str) -> Option<String> {
        self.secrets.get(arn).map(|s| format!("secret {}", s.name))
    }
}

impl ServiceModel for SecretsInventory {
    fn merge(&mut self, other: Self) {
        self.secrets.extend(other.secrets);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_intervals() {
        let rules = |days: Option<i64>, expression: Option<&str>| RotationRules {
            automatically_after_days: days,
            schedule_expression: expression.map(str::to_owned),
            duration: None,
        };
        assert_eq!(rules(Some(30), None).interval_days(), Some(30));
        assert_eq!(rules(None, Some("rate(10 days)")).interval_days(), Some(10));
        assert_eq!(rules(None, Some("rate(1 day)")).interval_days(), Some(1));
        assert_eq!(rules(None, Some("rate(36 hours)")).interval_days(), Some(2));
        assert_eq!(rules(None, Some("cron(0 16 1,15 * ? *)")).interval_days(), None);
        assert_eq!(rules(None, Some("rate(soon)")).interval_days(), None);
        assert_eq!(rules(None, None).interval_days(), None);
    }
}
