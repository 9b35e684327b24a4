use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

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
