//! What a principal may do: its identity policies (with its groups'), expanded against the catalogue,
//! explicit denies subtracted, a permissions boundary intersected.

use std::collections::HashMap;

use serde::Serialize;

use super::catalogue::{AccessLevel, ActionSet, Catalogue};
use super::escalation::{ESCALATIONS, Escalation};
use super::model::{ActionClause, Effect, Policy, Statement};

/// Where a statement came from, for evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicySource {
    /// `inline` or `managed`.
    pub kind: &'static str,
    pub name: String,
    /// The managed policy's ARN.
    pub arn: Option<String>,
    /// The principal the policy is attached to (a user's group, for instance).
    pub attached_to: String,
}

/// One Allow statement of a principal's policies.
#[derive(Debug, Clone)]
pub struct Grant {
    pub source: PolicySource,
    pub statement: Statement,
    pub actions: ActionSet,
    /// On all resources and without a restricting condition.
    pub unconstrained: bool,
}

/// Expands patterns once per analysis: the same few hundred patterns recur across thousands of roles.
pub struct Expander<'c> {
    pub catalogue: &'c Catalogue,
    cache: HashMap<String, ActionSet>,
}

impl<'c> Expander<'c> {
    pub fn new(catalogue: &'c Catalogue) -> Self {
        Self { catalogue, cache: HashMap::new() }
    }

    pub fn pattern(&mut self, pattern: &str) -> &ActionSet {
        let catalogue = self.catalogue;
        self.cache.entry(pattern.to_ascii_lowercase()).or_insert_with(|| catalogue.expand(pattern))
    }

    /// The actions a statement's Action / NotAction clause covers.
    pub fn statement(&mut self, statement: &Statement) -> ActionSet {
        let (patterns, negated) = match &statement.actions {
            ActionClause::Action(p) => (p, false),
            ActionClause::NotAction(p) => (p, true),
        };
        let mut set = self.catalogue.empty_set();
        for pattern in patterns {
            set.union_with(self.pattern(pattern));
        }
        if negated { set.complement(self.catalogue) } else { set }
    }
}

#[derive(Debug, Clone)]
pub struct Permissions {
    pub grants: Vec<Grant>,
    /// Actions denied on all resources without a condition: nothing can grant them back.
    pub denied: ActionSet,
    /// What the permissions boundary allows at most (`None`: no boundary, or one that could not be read).
    pub boundary: Option<ActionSet>,
    /// What the organization's service control policies allow at most (`None`: no SCP binds the account,
    /// or its SCPs could not be read).
    pub guardrail: Option<ActionSet>,
    /// Problems of the policies read (unreadable documents or statements).
    pub problems: Vec<String>,
}

impl Permissions {
    pub fn new(catalogue: &Catalogue) -> Self {
        Self {
            grants: Vec::new(),
            denied: catalogue.empty_set(),
            boundary: None,
            guardrail: None,
            problems: Vec::new(),
        }
    }

    pub fn add_policy(&mut self, expander: &mut Expander<'_>, source: PolicySource, policy: &Policy) {
        for problem in &policy.problems {
            self.problems.push(format!("{} {}: {problem}", source.kind, source.name));
        }
        for statement in &policy.statements {
            let actions = expander.statement(statement);
            let unconstrained = statement.resources.is_all() && statement.restricting_conditions().next().is_none();
            match statement.effect {
                Effect::Allow => self.grants.push(Grant {
                    source: source.clone(),
                    statement: statement.clone(),
                    actions,
                    unconstrained,
                }),
                Effect::Deny if unconstrained => self.denied.union_with(&actions),
                Effect::Deny => {}
            }
        }
    }

    pub fn set_boundary(&mut self, expander: &mut Expander<'_>, policy: &Policy) {
        let mut allowed = expander.catalogue.empty_set();
        for statement in policy.statements.iter().filter(|s| s.effect == Effect::Allow) {
            allowed.union_with(&expander.statement(statement));
        }
        self.boundary = Some(allowed);
    }

    fn effective(&self, mut set: ActionSet) -> ActionSet {
        set.subtract(&self.denied);
        for ceiling in [&self.boundary, &self.guardrail].into_iter().flatten() {
            set.intersect_with(ceiling);
        }
        set
    }

    /// The same permissions as if no SCP bound them: what the policies say on paper.
    pub fn on_paper(&self) -> Permissions {
        Permissions { guardrail: None, ..self.clone() }
    }

    /// Actions allowed on every resource without a condition.
    pub fn unconstrained(&self, catalogue: &Catalogue) -> ActionSet {
        let mut set = catalogue.empty_set();
        for grant in self.grants.iter().filter(|g| g.unconstrained) {
            set.union_with(&grant.actions);
        }
        self.effective(set)
    }

    /// Actions allowed on some resource or under some condition.
    pub fn any(&self, catalogue: &Catalogue) -> ActionSet {
        let mut set = catalogue.empty_set();
        for grant in &self.grants {
            set.union_with(&grant.actions);
        }
        self.effective(set)
    }

    /// The grants that allow the catalogue action `index` with no restricting condition (on whatever resources
    /// they name); none when an unconstrained Deny or the permissions boundary takes the action away.
    pub fn grants_allowing(&self, index: usize) -> Vec<&Grant> {
        let outside = |ceiling: &Option<ActionSet>| ceiling.as_ref().is_some_and(|c| !c.contains(index));
        if self.denied.contains(index) || outside(&self.boundary) || outside(&self.guardrail) {
            return Vec::new();
        }
        let allowing = self.grants.iter().filter(|g| g.actions.contains(index));
        allowing.filter(|g| g.statement.restricting_conditions().next().is_none()).collect()
    }

    /// The first grant that allows `action` on the resource `arn` with no restricting condition, unless an
    /// unconstrained Deny or the permissions boundary takes the action away.
    pub fn allows_on(&self, catalogue: &Catalogue, action: &str, arn: &str) -> Option<&Grant> {
        let index = catalogue.lookup(action)?;
        self.grants_allowing(index).into_iter().find(|g| g.statement.resources.covers(arn))
    }

    /// The grants (unconstrained) that allow any of `actions`.
    pub fn grants_for<'a>(&'a self, actions: &'a ActionSet) -> impl Iterator<Item = &'a Grant> + 'a {
        self.grants.iter().filter(move |g| g.unconstrained && g.actions.intersects(actions))
    }
}

/// What a principal amounts to, from its unconstrained permissions.
#[derive(Debug, Clone)]
pub struct Capability {
    /// Every action on every resource.
    pub admin: bool,
    /// Not all, but every write and permissions-management action outside at most a few services (e.g.
    /// `NotAction: iam:*`), or all of IAM's permissions management.
    pub near_admin: bool,
    pub escalations: Vec<&'static Escalation>,
    /// Can write data or change configuration somewhere.
    pub writes: bool,
    pub reads: bool,
}

impl Capability {
    pub fn of(permissions: &Permissions, catalogue: &Catalogue, levels: &LevelSets) -> Capability {
        let unconstrained = permissions.unconstrained(catalogue);
        let admin = unconstrained.len() == catalogue.len();
        let escalations = if admin {
            Vec::new()
        } else {
            ESCALATIONS.iter().filter(|e| e.possible(&unconstrained, catalogue)).collect()
        };
        let mut write_and_manage = levels.write.clone();
        write_and_manage.union_with(&levels.permissions_management);
        let mut held = write_and_manage.clone();
        held.intersect_with(&unconstrained);
        let near_admin = !admin
            && (held.len() * 10 >= write_and_manage.len() * 9
                || unconstrained.is_superset(&levels.iam_permissions_management));
        let any = permissions.any(catalogue);
        Capability {
            admin,
            near_admin,
            escalations,
            writes: any.intersects(&write_and_manage),
            reads: any.intersects(&levels.read),
        }
    }

    pub fn is_privileged(&self) -> bool {
        self.admin || self.near_admin || !self.escalations.is_empty()
    }

    /// What the verdicts say (admin, nearly, the escalation methods), to tell whether a bound changed them.
    pub fn verdict(&self) -> (bool, bool, Vec<&'static str>) {
        (self.admin, self.near_admin, self.escalations.iter().map(|e| e.id).collect())
    }
}

/// The catalogue split by access level, computed once.
pub struct LevelSets {
    pub read: ActionSet,
    pub write: ActionSet,
    pub permissions_management: ActionSet,
    pub iam_permissions_management: ActionSet,
}

impl LevelSets {
    pub fn new(catalogue: &Catalogue) -> Self {
        let mut read = catalogue.with_level(AccessLevel::Read);
        read.union_with(&catalogue.with_level(AccessLevel::List));
        let permissions_management = catalogue.with_level(AccessLevel::PermissionsManagement);
        let mut iam_permissions_management = catalogue.expand("iam:*");
        iam_permissions_management.intersect_with(&permissions_management);
        Self {
            read,
            write: catalogue.with_level(AccessLevel::Write),
            permissions_management,
            iam_permissions_management,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::analyze::policy::catalogue::catalogue;

    fn permissions(documents: &[serde_json::Value]) -> Permissions {
        let c = catalogue();
        let mut expander = Expander::new(c);
        let mut p = Permissions::new(c);
        for (i, d) in documents.iter().enumerate() {
            let source =
                PolicySource { kind: "inline", name: format!("p{i}"), arn: None, attached_to: "role/x".into() };
            p.add_policy(&mut expander, source, &Policy::from_json(d));
        }
        p
    }

    fn capability(documents: &[serde_json::Value]) -> Capability {
        let c = catalogue();
        Capability::of(&permissions(documents), c, &LevelSets::new(c))
    }

    #[test]
    fn admin_and_its_look_alikes() {
        assert!(capability(&[json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})]).admin);
        // Restricted by a condition, on one resource, or with a deny: not admin.
        assert!(!capability(&[json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]})]).admin);
        assert!(
            !capability(&[json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b"}]})])
                .admin
        );
        let denied = capability(&[json!({"Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "iam:*", "Resource": "*"}]})]);
        assert!(!denied.admin && denied.near_admin);
    }

    #[test]
    fn not_action_allow_is_near_admin_and_escalates() {
        let cap = capability(&[json!({"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]})]);
        assert!(!cap.admin && cap.near_admin);
        assert!(
            cap.escalations.iter().any(|e| e.id == "lambda-update-function-code"),
            "{:?}",
            cap.escalations.iter().map(|e| e.id).collect::<Vec<_>>()
        );
        // NotAction inside a Deny is a restriction, not a grant.
        let deny = capability(&[json!({"Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
            {"Effect": "Deny", "NotAction": "s3:GetObject", "Resource": "*"}]})]);
        assert!(!deny.near_admin && deny.escalations.is_empty() && !deny.writes);
    }

    #[test]
    fn escalation_combinations_need_every_part() {
        let pass_create_invoke = capability(&[
            json!({"Statement": [{"Effect": "Allow", "Action": ["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"], "Resource": "*"}]}),
        ]);
        assert!(pass_create_invoke.escalations.iter().any(|e| e.id == "passrole-lambda-create-invoke"));
        let create_only = capability(&[
            json!({"Statement": [{"Effect": "Allow", "Action": ["lambda:CreateFunction", "lambda:InvokeFunction"], "Resource": "*"}]}),
        ]);
        assert!(create_only.escalations.is_empty());
        // Spread over two policies still counts.
        let split = capability(&[
            json!({"Statement": [{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}]}),
            json!({"Statement": [{"Effect": "Allow", "Action": ["lambda:CreateFunction", "lambda:InvokeFunction"], "Resource": "*"}]}),
        ]);
        assert!(!split.escalations.is_empty());
        // Constrained to one resource: not counted.
        let scoped = capability(&[
            json!({"Statement": [{"Effect": "Allow", "Action": "iam:CreatePolicyVersion", "Resource": "arn:aws:iam::123456789012:policy/own"}]}),
        ]);
        assert!(scoped.escalations.is_empty());
        let single = capability(&[
            json!({"Statement": [{"Effect": "Allow", "Action": "iam:CreatePolicyVersion", "Resource": "*"}]}),
        ]);
        assert_eq!(single.escalations.iter().map(|e| e.id).collect::<Vec<_>>(), ["iam-create-policy-version"]);
    }

    #[test]
    fn a_boundary_caps_what_policies_grant() {
        let c = catalogue();
        let mut p = permissions(&[json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})]);
        let mut expander = Expander::new(c);
        p.set_boundary(
            &mut expander,
            &Policy::from_json(&json!({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})),
        );
        let cap = Capability::of(&p, c, &LevelSets::new(c));
        assert!(!cap.admin && !cap.near_admin && cap.escalations.is_empty());
        assert_eq!(p.unconstrained(c), c.expand("s3:*"));
    }

    #[test]
    fn read_only_is_neither() {
        let cap = capability(&[
            json!({"Statement": [{"Effect": "Allow", "Action": ["s3:Get*", "s3:List*"], "Resource": "*"}]}),
        ]);
        assert!(cap.reads && !cap.writes && !cap.is_privileged());
    }
}
