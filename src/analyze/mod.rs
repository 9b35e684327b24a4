//! Analysis: the policy engine and the resource graph over an [`Inventory`], gathered in the [`Context`]
//! that rules read. Pure functions of the inventory and the evaluation time. It knows nothing of rules:
//! the analysis stage (`assess.rs`) runs them over the context.

pub mod filter_pattern;
pub mod graph;
pub mod monitoring;
pub mod policy;
pub mod runtimes;
pub mod scp;
pub mod secrets;
pub mod settings;

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::inventory::iam::{AttachedPolicy, InlinePolicy};
use crate::inventory::{Inventory, Timestamp};
use crate::score::{BlastRadius, Exposure};
use graph::Graph;
use policy::{Capability, Catalogue, Expander, LevelSets, Permissions, Policy, PolicySource};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    User,
    Group,
    Role,
}

impl PrincipalKind {
    pub fn label(self) -> &'static str {
        match self {
            PrincipalKind::User => "User",
            PrincipalKind::Group => "Group",
            PrincipalKind::Role => "Role",
        }
    }
}

/// A user, group or role with what its policies add up to.
#[derive(Debug, Clone)]
pub struct PrincipalView {
    pub arn: String,
    pub name: String,
    pub kind: PrincipalKind,
    pub permissions: Permissions,
    pub capability: Capability,
    /// The secrets it can read (users and roles; groups are not callers).
    pub readable_secrets: Vec<secrets::SecretAccess>,
    /// What its policies amount to without the organization's SCPs, when those change the verdict (an
    /// administrator on paper whom an SCP denies `iam:*`); the SCPs that do, for the score factors.
    pub paper: Option<Capability>,
    pub bounded_by: Vec<String>,
}

impl PrincipalView {
    /// The verdict of its policies as written, SCPs aside.
    pub fn on_paper(&self) -> &Capability {
        self.paper.as_ref().unwrap_or(&self.capability)
    }

    pub fn blast_radius(&self) -> (BlastRadius, String) {
        let c = &self.capability;
        if c.admin {
            (BlastRadius::Admin, format!("{} is an administrator", self.name))
        } else if !c.escalations.is_empty() {
            (
                BlastRadius::PrivilegeEscalation,
                format!("{} can escalate privileges ({})", self.name, c.escalations[0].id),
            )
        } else if c.near_admin {
            (BlastRadius::PrivilegeEscalation, format!("{} is nearly an administrator", self.name))
        } else if !self.readable_secrets.is_empty() {
            let names: Vec<&str> = self.readable_secrets.iter().map(|s| s.secret_name.as_str()).collect();
            let shown = names.iter().take(3).copied().collect::<Vec<_>>().join(", ");
            let more = if names.len() > 3 { format!(" and {} more", names.len() - 3) } else { String::new() };
            (BlastRadius::ReadsSecrets, format!("{} can read {} secret(s): {shown}{more}", self.name, names.len()))
        } else if c.writes {
            (BlastRadius::Write, format!("{} can change resources", self.name))
        } else if c.reads {
            (BlastRadius::Read, format!("{} can read resources", self.name))
        } else {
            (BlastRadius::Minimal, format!("{} can do little", self.name))
        }
    }
}

/// A principal's capability under the SCPs that bind it (see [`PrincipalView::paper`]).
struct Bound {
    capability: Capability,
    paper: Option<Capability>,
    bounded_by: Vec<String>,
}

impl PrincipalView {
    fn new(arn: &str, name: &str, kind: PrincipalKind, permissions: Permissions, bound: Bound) -> Self {
        PrincipalView {
            arn: arn.to_owned(),
            name: name.to_owned(),
            kind,
            permissions,
            capability: bound.capability,
            readable_secrets: Vec::new(),
            paper: bound.paper,
            bounded_by: bound.bounded_by,
        }
    }
}

/// A policy document that could not be fully read: recorded on its resource, never fatal.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PolicyProblem {
    pub resource_arn: String,
    pub policy: String,
    pub problem: String,
}

fn record_problems(problems: &mut Vec<PolicyProblem>, resource: &str, policy: &str, parsed: &Policy) {
    for problem in &parsed.problems {
        problems.push(PolicyProblem {
            resource_arn: resource.to_owned(),
            policy: policy.to_owned(),
            problem: problem.clone(),
        });
    }
}

/// Adds a principal's own (inline and attached managed) policies to its permissions.
struct Owner<'e, 'c, 'm> {
    expander: &'e mut Expander<'c>,
    managed: &'m HashMap<&'m str, Option<Policy>>,
    problems: &'e mut Vec<PolicyProblem>,
}

impl Owner<'_, '_, '_> {
    fn add(
        &mut self,
        permissions: &mut Permissions,
        owner: &str,
        inline: &[InlinePolicy],
        attached: &[AttachedPolicy],
    ) {
        for policy in inline {
            let parsed = Policy::from_document(&policy.document);
            record_problems(self.problems, owner, &policy.name, &parsed);
            let source =
                PolicySource { kind: "inline", name: policy.name.clone(), arn: None, attached_to: owner.to_owned() };
            permissions.add_policy(self.expander, source, &parsed);
        }
        for policy in attached {
            match self.managed.get(policy.arn.as_str()) {
                Some(Some(parsed)) => {
                    let source = PolicySource {
                        kind: "managed",
                        name: policy.name.clone(),
                        arn: Some(policy.arn.clone()),
                        attached_to: owner.to_owned(),
                    };
                    permissions.add_policy(self.expander, source, parsed);
                }
                _ => self.problems.push(PolicyProblem {
                    resource_arn: owner.to_owned(),
                    policy: policy.name.clone(),
                    problem: "the managed policy's document was not collected: its permissions are not counted".into(),
                }),
            }
        }
    }
}

/// Everything rules read.
pub struct Context<'a> {
    pub inventory: &'a Inventory,
    pub as_of: Timestamp,
    /// The policy file's thresholds, severities, disabled rules, residency and required tags.
    pub settings: &'a settings::Settings,
    pub catalogue: &'static Catalogue,
    /// Users, groups and roles by ARN.
    pub principals: BTreeMap<String, PrincipalView>,
    pub graph: Graph,
    /// Parsed trust policies by role ARN; every service's resource policies by resource ARN.
    pub trust_policies: HashMap<String, Policy>,
    pub resource_policies: HashMap<String, Policy>,
    /// KMS key ARN → the resources encrypted with it (`ServiceFacts::key_references`, resolved).
    pub key_users: HashMap<String, Vec<KeyUser>>,
    pub problems: Vec<PolicyProblem>,
}

/// A resource encrypted with a key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyUser {
    pub kind: &'static str,
    pub arn: String,
}

impl<'a> Context<'a> {
    /// The "not audited" score factor of a finding on `resource_arn` (or on a path through `path`): the first
    /// Lambda function among them that is reachable without authentication while no logging trail records
    /// its invocations. `None` when there is none, or when the trails could not be read.
    pub fn unaudited_public_function(&self, resource_arn: &str, path: &[String]) -> Option<String> {
        if self.inventory.cloudtrail.listed_regions.is_empty() {
            return None; // no trail was read: nothing can be claimed (and most drafts stop here)
        }
        let function = std::iter::once(resource_arn)
            .chain(path.iter().map(String::as_str))
            .find_map(|arn| self.inventory.lambda.functions.get(arn))?;
        let (exposure, _) = self.graph.exposure_of_function(&function.arn)?;
        if *exposure != Exposure::UnauthenticatedInternet {
            return None;
        }
        let recorder = self.inventory.cloudtrail.invocation_recorder(&function.arn, &function.region);
        matches!(recorder, Some(None)).then(|| {
            format!("{} is reachable without authentication and no trail records who invokes it", function.name)
        })
    }

    /// The context of an analysis with stance's built-in settings.
    pub fn new(inventory: &'a Inventory, as_of: Timestamp) -> Context<'a> {
        Context::with_settings(inventory, as_of, settings::Settings::builtin())
    }

    pub fn with_settings(inventory: &'a Inventory, as_of: Timestamp, settings: &'a settings::Settings) -> Context<'a> {
        let catalogue = policy::catalogue();
        let levels = LevelSets::new(catalogue);
        let mut expander = Expander::new(catalogue);
        let mut problems = Vec::new();

        let managed: HashMap<&str, Option<Policy>> = inventory
            .iam
            .managed_policies
            .values()
            .map(|p| (p.arn.as_str(), p.document.as_ref().map(Policy::from_document)))
            .collect();
        for policy in inventory.iam.managed_policies.values() {
            if let Some(Some(parsed)) = managed.get(policy.arn.as_str()) {
                record_problems(&mut problems, &policy.arn, &policy.name, parsed);
            }
        }
        let guardrail = inventory
            .organization
            .as_ref()
            .and_then(|membership| scp::guardrail(membership, &inventory.account.account_id, &mut expander));
        // The SCPs applied to a principal's permissions: its capability, on paper when they change it, and why.
        let bind = |permissions: &mut Permissions, bindable: bool| -> Bound {
            let capability = |p: &Permissions| Capability::of(p, catalogue, &levels);
            let Some(guard) = guardrail.as_ref().filter(|_| bindable) else {
                return Bound { capability: capability(permissions), paper: None, bounded_by: Vec::new() };
            };
            permissions.guardrail = Some(guard.ceiling.clone());
            let (bounded, paper) = (capability(permissions), capability(&permissions.on_paper()));
            if bounded.verdict() == paper.verdict() {
                return Bound { capability: bounded, paper: None, bounded_by: Vec::new() };
            }
            let held = permissions.on_paper().unconstrained(catalogue);
            let bounded_by = guard.limiting(&held).into_iter().map(str::to_owned).collect();
            Bound { capability: bounded, paper: Some(paper), bounded_by }
        };
        let mut own = Owner { expander: &mut expander, managed: &managed, problems: &mut problems };

        let mut principals = BTreeMap::new();
        let mut group_permissions: HashMap<&str, Permissions> = HashMap::new();
        for group in inventory.iam.groups.values() {
            let mut permissions = Permissions::new(catalogue);
            own.add(&mut permissions, &group.arn, &group.inline_policies, &group.attached_policies);
            group_permissions.insert(group.name.as_str(), permissions.clone());
            let bound = bind(&mut permissions, true);
            principals.insert(
                group.arn.clone(),
                PrincipalView::new(&group.arn, &group.name, PrincipalKind::Group, permissions, bound),
            );
        }
        for user in inventory.iam.users.values() {
            let mut permissions = Permissions::new(catalogue);
            own.add(&mut permissions, &user.arn, &user.inline_policies, &user.attached_policies);
            for group in &user.groups {
                if let Some(from_group) = group_permissions.get(group.as_str()) {
                    permissions.grants.extend(from_group.grants.iter().cloned());
                    permissions.denied.union_with(&from_group.denied);
                }
            }
            if let Some(boundary) =
                user.permissions_boundary.as_deref().and_then(|arn| managed.get(arn)).and_then(Option::as_ref)
            {
                permissions.set_boundary(own.expander, boundary);
            }
            let bound = bind(&mut permissions, true);
            principals.insert(
                user.arn.clone(),
                PrincipalView::new(&user.arn, &user.name, PrincipalKind::User, permissions, bound),
            );
        }
        let mut trust_policies = HashMap::new();
        for role in inventory.iam.roles.values() {
            let mut permissions = Permissions::new(catalogue);
            own.add(&mut permissions, &role.arn, &role.inline_policies, &role.attached_policies);
            if let Some(boundary) =
                role.permissions_boundary.as_deref().and_then(|arn| managed.get(arn)).and_then(Option::as_ref)
            {
                permissions.set_boundary(own.expander, boundary);
            }
            // SCPs do not bind service-linked roles.
            let bound = bind(&mut permissions, !role.path.starts_with("/aws-service-role/"));
            principals.insert(
                role.arn.clone(),
                PrincipalView::new(&role.arn, &role.name, PrincipalKind::Role, permissions, bound),
            );
            let trust = Policy::from_document(&role.trust_policy);
            record_problems(own.problems, &role.arn, "trust policy", &trust);
            trust_policies.insert(role.arn.clone(), trust);
        }

        let mut resource_policies = HashMap::new();
        for (arn, document) in inventory.resource_policies() {
            let parsed = Policy::from_document(document);
            record_problems(&mut problems, arn, "resource policy", &parsed);
            resource_policies.insert(arn.to_owned(), parsed);
        }
        problems.sort();
        problems.dedup();
        if !inventory.secretsmanager.secrets.is_empty() {
            for view in principals.values_mut().filter(|v| v.kind != PrincipalKind::Group) {
                view.readable_secrets =
                    secrets::readable_secrets(inventory, catalogue, &view.arn, &view.permissions, &resource_policies);
            }
        }

        let mut key_users: HashMap<String, Vec<KeyUser>> = HashMap::new();
        for reference in inventory.key_references() {
            if let Some(key) = inventory.kms.resolve(reference.key, reference.region) {
                let user = KeyUser { kind: reference.kind, arn: reference.resource_arn.to_owned() };
                key_users.entry(key.arn.clone()).or_default().push(user);
            }
        }

        Context {
            inventory,
            as_of,
            settings,
            catalogue,
            principals,
            key_users,
            graph: Graph::build(inventory, &resource_policies),
            trust_policies,
            resource_policies,
            problems,
        }
    }

    /// The users and roles that can decrypt with a customer managed `key`: named by its key policy, or
    /// allowed `kms:Decrypt` on it by their own policies when the key policy delegates to IAM.
    pub fn key_decrypters(&self, key: &crate::inventory::kms::Key) -> Vec<&str> {
        let Some(decrypt) = self.catalogue.lookup("kms:Decrypt") else { return Vec::new() };
        let policy = self.resource_policies.get(&key.arn);
        self.principals
            .values()
            .filter(|v| v.kind != PrincipalKind::Group)
            .filter(|v| {
                let grants = v.permissions.grants_allowing(decrypt);
                secrets::can_decrypt(&v.arn, &grants, key, policy, self.account_id()).is_some()
            })
            .map(|v| v.name.as_str())
            .collect()
    }

    /// Whether `account` belongs to the scanned account's organization (known only in an organization scan).
    pub fn in_organization(&self, account: &str) -> bool {
        self.inventory.organization.as_ref().is_some_and(|m| m.accounts.iter().any(|a| a == account))
    }

    pub fn account_id(&self) -> &str {
        &self.inventory.account.account_id
    }

    /// Days from `then` to the evaluation time.
    pub fn age_days(&self, then: Timestamp) -> i64 {
        (self.as_of - then).num_days()
    }

    /// The blast radius of a function: what its execution role can do.
    pub fn function_blast(&self, function_arn: &str) -> Option<(BlastRadius, String)> {
        let function = self.inventory.lambda.functions.get(function_arn)?;
        let role = self.principals.get(function.role.as_deref()?)?;
        Some(role.blast_radius())
    }

    /// How exposed a role is: who its trust policy admits, and the exposure of functions that run with it.
    pub fn role_exposure(&self, role_arn: &str) -> Option<(Exposure, String)> {
        let mut best: Option<(Exposure, String)> = None;
        let mut consider = |candidate: (Exposure, String)| {
            if best.as_ref().is_none_or(|b| candidate.0 < b.0) {
                best = Some(candidate);
            }
        };
        if let Some(trust) = self.trust_policies.get(role_arn) {
            let keys = policy::principals::PUBLIC_RESTRICTING_KEYS;
            for admission in policy::admissions(
                trust,
                &["sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML"],
                keys,
            ) {
                for who in &admission.who {
                    let exposure = match who {
                        policy::Who::Anyone if admission.restricted_by.is_empty() => Exposure::AnyAwsPrincipal,
                        policy::Who::Anyone => Exposure::CrossAccount,
                        policy::Who::Account(id) if id != self.account_id() => Exposure::CrossAccount,
                        policy::Who::Federated(_) => Exposure::AuthenticatedInternet,
                        _ => Exposure::Internal,
                    };
                    consider((exposure, format!("its trust policy admits {}", describe_who(who))));
                }
            }
        }
        for function in self.graph.functions_by_role.get(role_arn).into_iter().flatten() {
            if let Some((exposure, reason)) = self.graph.exposure_of_function(function) {
                consider((*exposure, format!("it runs {function}, {reason}")));
            }
        }
        best
    }
}

pub fn describe_who(who: &policy::Who) -> String {
    match who {
        policy::Who::Anyone => "any AWS principal".into(),
        policy::Who::Account(id) => format!("account {id}"),
        policy::Who::Service(s) => format!("the service {s}"),
        policy::Who::Federated(f) => format!("federated identities of {f}"),
        policy::Who::Other(o) => o.clone(),
    }
}
