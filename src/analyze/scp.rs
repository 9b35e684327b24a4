//! Service control policies as a bound on an account's principals, as AWS evaluates them: an action is
//! allowed only when an SCP at every level (the root, each OU above the account, the account) allows it,
//! and no SCP at any level denies it. The management account and service-linked roles are never bound.

use super::policy::{ActionClause, ActionSet, Effect, Expander, Policy, Statement};
use crate::inventory::org::{AppliedScp, Level, Membership};

/// What the SCPs leave a principal of the account at most, and which of them take what away.
#[derive(Debug, Clone)]
pub struct Guardrail {
    pub ceiling: ActionSet,
    pub limits: Vec<ScpLimit>,
}

/// One SCP (or the allow-list of one level) that removes actions.
#[derive(Debug, Clone)]
pub struct ScpLimit {
    /// "DenyIAM (p-1234) on OU sandbox: denies iam:*".
    pub description: String,
    pub removes: ActionSet,
}

fn describe(scps: &[&AppliedScp], level: &Level, what: &str) -> String {
    let names: Vec<String> = scps.iter().map(|s| format!("{} ({})", s.name, s.id)).collect();
    format!("SCP {} on {level}: {what}", names.join(", "))
}

fn actions_text(statement: &Statement) -> String {
    match &statement.actions {
        ActionClause::Action(patterns) => patterns.join(", "),
        ActionClause::NotAction(patterns) => format!("everything but {}", patterns.join(", ")),
    }
}

/// The account's guardrail; `None` when no SCP binds it (the management account, an account outside an
/// organization) or when its SCPs could not be read, so nothing is assumed.
pub fn guardrail(membership: &Membership, account: &str, expander: &mut Expander<'_>) -> Option<Guardrail> {
    if membership.is_management(account) {
        return None;
    }
    let scps = membership.scps.as_ref()?;
    let catalogue = expander.catalogue;
    let mut ceiling = catalogue.full_set();
    let mut limits = Vec::new();
    let mut levels: Vec<&Level> = scps.iter().map(|s| &s.level).collect();
    levels.dedup();
    for level in levels {
        let at_level: Vec<&AppliedScp> = scps.iter().filter(|s| &s.level == level).collect();
        let mut allowed = catalogue.empty_set();
        let mut unreadable = false;
        for scp in &at_level {
            let Some(document) = &scp.document else {
                unreadable = true;
                continue;
            };
            let policy = Policy::from_document(document);
            for statement in &policy.statements {
                let actions = expander.statement(statement);
                match statement.effect {
                    Effect::Allow => allowed.union_with(&actions),
                    // A deny with a condition (an exempted break-glass role, a region) is not counted.
                    Effect::Deny
                        if statement.resources.is_all() && statement.restricting_conditions().next().is_none() =>
                    {
                        ceiling.subtract(&actions);
                        limits.push(ScpLimit {
                            description: describe(&[scp], level, &format!("denies {}", actions_text(statement))),
                            removes: actions,
                        });
                    }
                    Effect::Deny => {}
                }
            }
        }
        // A level whose SCP could not be read may allow anything: its allow-list bounds nothing we know of.
        if unreadable || allowed.len() == catalogue.len() {
            continue;
        }
        ceiling.intersect_with(&allowed);
        let removes = allowed.complement(catalogue);
        let listed: Vec<&AppliedScp> = at_level.iter().copied().filter(|s| !s.id.ends_with("FullAWSAccess")).collect();
        let shown = if listed.is_empty() { at_level.as_slice() } else { listed.as_slice() };
        limits.push(ScpLimit { description: describe(shown, level, "allows only what it lists"), removes });
    }
    Some(Guardrail { ceiling, limits })
}

impl Guardrail {
    /// The limits that take away something of `held` (a principal's actions on paper).
    pub fn limiting<'g>(&'g self, held: &ActionSet) -> Vec<&'g str> {
        self.limits.iter().filter(|l| l.removes.intersects(held)).map(|l| l.description.as_str()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::policy::catalogue;
    use crate::inventory::PolicyDocument;

    fn applied(level: Level, id: &str, document: &str) -> AppliedScp {
        AppliedScp {
            level,
            id: id.into(),
            name: id.trim_start_matches("p-").into(),
            document: Some(PolicyDocument::parse(document)),
        }
    }

    const FULL: &str = r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

    fn member(scps: Vec<AppliedScp>) -> Membership {
        Membership { management_account: "111111111111".into(), scps: Some(scps), ..Membership::default() }
    }

    #[test]
    fn a_deny_anywhere_and_an_allow_list_at_any_level_bound_the_account() {
        let catalogue = catalogue();
        let mut expander = Expander::new(catalogue);
        let membership = member(vec![
            applied(Level::Root, "p-FullAWSAccess", FULL),
            applied(
                Level::Unit("sandbox".into()),
                "p-noiam",
                r#"{"Statement":[{"Effect":"Deny","Action":"iam:*","Resource":"*"}]}"#,
            ),
            applied(Level::Unit("sandbox".into()), "p-FullAWSAccess", FULL),
            applied(
                Level::Account,
                "p-onlylambda",
                r#"{"Statement":[{"Effect":"Allow","Action":["lambda:*","iam:*","s3:Get*"],"Resource":"*"}]}"#,
            ),
        ]);
        let guard = guardrail(&membership, "222222222222", &mut expander).expect("bound");
        let has = |action: &str| guard.ceiling.contains(catalogue.lookup(action).expect(action));
        assert!(has("lambda:InvokeFunction"));
        assert!(has("s3:GetObject"));
        assert!(!has("iam:PassRole"), "denied at the OU, though the account's SCP allows it");
        assert!(!has("s3:PutObject"), "outside the account's allow-list");
        let reasons = guard.limiting(&catalogue.expand("iam:CreatePolicyVersion"));
        assert_eq!(reasons, ["SCP noiam (p-noiam) on OU sandbox: denies iam:*"]);
        assert!(guardrail(&membership, "111111111111", &mut expander).is_none(), "never the management account");
    }

    #[test]
    fn conditional_denies_and_unreadable_scps_bound_nothing() {
        let mut expander = Expander::new(catalogue());
        let mut unreadable = applied(Level::Account, "p-x", FULL);
        unreadable.document = None;
        let membership = member(vec![
            applied(Level::Root, "p-FullAWSAccess", FULL),
            applied(
                Level::Root,
                "p-regions",
                r#"{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["eu-west-1"]}}}]}"#,
            ),
            unreadable,
        ]);
        let guard = guardrail(&membership, "222222222222", &mut expander).expect("bound");
        assert_eq!(guard.ceiling.len(), catalogue().len());
        assert!(guard.limits.is_empty());
        assert!(guardrail(&Membership { scps: None, ..member(Vec::new()) }, "2", &mut expander).is_none());
    }
}
