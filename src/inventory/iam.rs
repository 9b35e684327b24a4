use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::service::{DriftIndex, ServiceFacts, ServiceModel, attributes};
use super::{Observed, PolicyDocument, Timestamp};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IamInventory {
    /// By user ARN.
    pub users: BTreeMap<String, IamUser>,
    pub groups: BTreeMap<String, IamGroup>,
    pub roles: BTreeMap<String, IamRole>,
    /// Customer managed policies, and the AWS managed policies that something in the account attaches.
    pub managed_policies: BTreeMap<String, ManagedPolicy>,
    pub credential_report: Observed<CredentialReport>,
    pub password_policy: Observed<PasswordPolicy>,
    /// GetAccountSummary's counters (Users, Roles, AccountMFAEnabled, …).
    pub account_summary: Observed<BTreeMap<String, i64>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InlinePolicy {
    pub name: String,
    pub document: PolicyDocument,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AttachedPolicy {
    pub name: String,
    pub arn: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IamUser {
    pub arn: String,
    pub name: String,
    pub id: String,
    pub path: String,
    pub create_date: Option<Timestamp>,
    /// Group names.
    pub groups: Vec<String>,
    pub inline_policies: Vec<InlinePolicy>,
    pub attached_policies: Vec<AttachedPolicy>,
    pub permissions_boundary: Option<String>,
    /// `None` when the keys could not be listed.
    pub access_keys: Option<Vec<AccessKey>>,
    pub mfa_devices: Option<Vec<MfaDevice>>,
    /// A console password (login profile).
    pub console_access: Observed<LoginProfile>,
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessKey {
    /// The key id (an identifier, not the secret).
    pub id: String,
    pub status: String,
    pub create_date: Option<Timestamp>,
    pub last_used: Observed<AccessKeyLastUsed>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessKeyLastUsed {
    /// `None` when the key was never used.
    pub date: Option<Timestamp>,
    pub service: Option<String>,
    pub region: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MfaDevice {
    pub serial_number: String,
    pub enable_date: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoginProfile {
    pub create_date: Option<Timestamp>,
    pub password_reset_required: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IamGroup {
    pub arn: String,
    pub name: String,
    pub path: String,
    pub create_date: Option<Timestamp>,
    pub inline_policies: Vec<InlinePolicy>,
    pub attached_policies: Vec<AttachedPolicy>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IamRole {
    pub arn: String,
    pub name: String,
    pub id: String,
    pub path: String,
    pub create_date: Option<Timestamp>,
    pub trust_policy: PolicyDocument,
    pub inline_policies: Vec<InlinePolicy>,
    pub attached_policies: Vec<AttachedPolicy>,
    pub permissions_boundary: Option<String>,
    pub max_session_duration: Option<i32>,
    /// When the role was last assumed and used (AWS tracks about 400 days back).
    pub last_used: Option<RoleLastUsed>,
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleLastUsed {
    pub date: Option<Timestamp>,
    pub region: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManagedPolicy {
    pub arn: String,
    pub name: String,
    pub path: String,
    pub aws_managed: bool,
    pub default_version_id: Option<String>,
    /// The default version's document; `None` when it could not be read (a coverage record says why).
    pub document: Option<PolicyDocument>,
    pub attachment_count: Option<i32>,
    pub create_date: Option<Timestamp>,
    pub update_date: Option<Timestamp>,
}

/// The IAM credential report, parsed. Values AWS writes as `N/A`, `not_supported` or `no_information` are
/// `None`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CredentialReport {
    pub generated_at: Option<Timestamp>,
    pub rows: Vec<CredentialReportRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CredentialReportRow {
    /// `<root_account>` for the root user.
    pub user: String,
    pub arn: String,
    pub user_creation_time: Option<Timestamp>,
    pub password_enabled: Option<bool>,
    pub password_last_used: Option<Timestamp>,
    pub password_last_changed: Option<Timestamp>,
    pub mfa_active: Option<bool>,
    pub access_keys: [CredentialReportKey; 2],
    pub cert_1_active: Option<bool>,
    pub cert_2_active: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CredentialReportKey {
    pub active: Option<bool>,
    pub last_rotated: Option<Timestamp>,
    pub last_used_date: Option<Timestamp>,
    pub last_used_region: Option<String>,
    pub last_used_service: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PasswordPolicy {
    pub minimum_length: Option<i32>,
    pub require_symbols: bool,
    pub require_numbers: bool,
    pub require_uppercase: bool,
    pub require_lowercase: bool,
    pub allow_users_to_change: bool,
    pub expire_passwords: bool,
    pub max_age_days: Option<i32>,
    pub reuse_prevention: Option<i32>,
    pub hard_expiry: Option<bool>,
}

fn policy_documents(policies: &[InlinePolicy]) -> Value {
    json!(policies.iter().map(|p| (p.name.clone(), json!(p.document.json))).collect::<BTreeMap<_, _>>())
}

fn policy_arns(policies: &[AttachedPolicy]) -> Value {
    json!(policies.iter().map(|p| &p.arn).collect::<Vec<_>>())
}

impl ServiceFacts for IamInventory {
    fn resource_count(&self) -> usize {
        self.users.len() + self.roles.len() + self.groups.len() + self.managed_policies.len()
    }

    fn counts(&self, counts: &mut BTreeMap<&'static str, usize>) {
        let access_keys = self.users.values().filter_map(|u| u.access_keys.as_ref()).map(Vec::len).sum();
        counts.extend([
            ("iam_users", self.users.len()),
            ("iam_groups", self.groups.len()),
            ("iam_roles", self.roles.len()),
            ("iam_managed_policies", self.managed_policies.len()),
            ("iam_access_keys", access_keys),
        ]);
    }

    fn drift(&self, index: &mut DriftIndex) {
        for user in self.users.values() {
            let user_attributes = attributes([
                ("console_access", json!(user.console_access.present().is_some())),
                ("mfa_devices", json!(user.mfa_devices.as_ref().map(Vec::len))),
                ("groups", json!(user.groups)),
                ("attached_policies", policy_arns(&user.attached_policies)),
                ("inline_policies", policy_documents(&user.inline_policies)),
                ("permissions_boundary", json!(user.permissions_boundary)),
            ]);
            index.insert(user.arn.clone(), ("iam_user", user_attributes));
            for key in user.access_keys.iter().flatten() {
                index.insert(
                    format!("{}/access-key/{}", user.arn, key.id),
                    ("iam_access_key", attributes([("status", json!(key.status))])),
                );
            }
        }
        for group in self.groups.values() {
            let group_attributes = attributes([
                ("attached_policies", policy_arns(&group.attached_policies)),
                ("inline_policies", policy_documents(&group.inline_policies)),
            ]);
            index.insert(group.arn.clone(), ("iam_group", group_attributes));
        }
        for role in self.roles.values() {
            let role_attributes = attributes([
                ("trust_policy", json!(role.trust_policy.json)),
                ("attached_policies", policy_arns(&role.attached_policies)),
                ("inline_policies", policy_documents(&role.inline_policies)),
                ("permissions_boundary", json!(role.permissions_boundary)),
            ]);
            index.insert(role.arn.clone(), ("iam_role", role_attributes));
        }
        for policy in self.managed_policies.values() {
            let policy_attributes = attributes([
                ("default_version", json!(policy.default_version_id)),
                ("document", json!(policy.document.as_ref().and_then(|d| d.json.clone()))),
            ]);
            index.insert(policy.arn.clone(), ("iam_managed_policy", policy_attributes));
        }
    }

    fn name_of(&self, arn: &str) -> Option<String> {
        let role = self.roles.get(arn).map(|r| format!("role {}", r.name));
        role.or_else(|| self.users.get(arn).map(|u| format!("user {}", u.name)))
    }
}

impl ServiceModel for IamInventory {
    /// IAM is global: one collection per scan, so a merge only happens when it was split.
    fn merge(&mut self, other: Self) {
        self.users.extend(other.users);
        self.groups.extend(other.groups);
        self.roles.extend(other.roles);
        self.managed_policies.extend(other.managed_policies);
        if !other.credential_report.is_unknown() {
            self.credential_report = other.credential_report;
        }
        if !other.password_policy.is_unknown() {
            self.password_policy = other.password_policy;
        }
        if !other.account_summary.is_unknown() {
            self.account_summary = other.account_summary;
        }
    }
}
