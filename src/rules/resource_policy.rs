//! The shared resource-policy check: whom a resource-based policy admits to some actions with no restricting
//! condition — anyone, or an account other than the scanned one — and the evidence for it. Function policies,
//! REST API policies and role trust policies go through it today; the policies of secrets, keys, topics,
//! queues and buses are meant to as well. A rule asks [`openings`] and words its own finding.

use super::statement_evidence;
use crate::analyze::Context;
use crate::analyze::policy::{Policy, Statement, Who, admissions};
use crate::finding::Evidence;

/// Whom an unrestricted statement admits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admits {
    /// Principal `*` (or an Allow with NotPrincipal): any principal of any account.
    Anyone,
    /// An account other than the scanned one, named as principal.
    ForeignAccount(String),
}

/// One statement that lets someone in with nothing restricting it.
#[derive(Debug)]
pub struct Opening<'p> {
    pub admits: Admits,
    pub statement: &'p Statement,
}

impl Opening<'_> {
    /// The finding's evidence: `summary`, and the statement as written, located at "`policy` of
    /// `resource_arn`, statement S" (`policy`: "resource-based policy", "trust policy", …).
    pub fn evidence(&self, summary: String, policy: &str, resource_arn: &str) -> Evidence {
        let location = format!("{policy} of {resource_arn}, statement {}", self.statement.label());
        statement_evidence(summary, location, self.statement)
    }

    /// The foreign account admitted, if that is whom it admits.
    pub fn foreign_account(&self) -> Option<&str> {
        match &self.admits {
            Admits::ForeignAccount(account) => Some(account),
            Admits::Anyone => None,
        }
    }
}

/// Every way `policy` admits anyone, or a foreign account, to any of `actions` without a condition on one of
/// `restricting_keys`, in statement order (anyone before the accounts a statement names).
pub fn openings<'p>(
    cx: &Context<'_>,
    policy: &'p Policy,
    actions: &[&str],
    restricting_keys: &[&str],
) -> Vec<Opening<'p>> {
    let mut out = Vec::new();
    for admission in admissions(policy, actions, restricting_keys).into_iter().filter(|a| a.restricted_by.is_empty()) {
        if admission.who.contains(&Who::Anyone) {
            out.push(Opening { admits: Admits::Anyone, statement: admission.statement });
        }
        for who in &admission.who {
            if let Who::Account(account) = who
                && account != cx.account_id()
            {
                out.push(Opening { admits: Admits::ForeignAccount(account.clone()), statement: admission.statement });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::rules::fixture::*;

    fn openings_of(document: serde_json::Value) -> Vec<(Admits, String)> {
        let fixture = Fixture::new();
        let cx = Context::new(&fixture.inventory, now());
        let policy = Policy::from_json(&document);
        let keys = crate::analyze::policy::principals::PUBLIC_RESTRICTING_KEYS;
        openings(&cx, &policy, &["lambda:InvokeFunction"], keys)
            .into_iter()
            .map(|o| (o.admits.clone(), o.statement.label()))
            .collect()
    }

    #[test]
    fn anyone_foreign_accounts_and_what_restricts_them() {
        let found = openings_of(json!({"Statement": [
            {"Sid": "Open", "Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction", "Resource": "*"},
            {"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::444455556666:root", format!("arn:aws:iam::{ACCOUNT}:root")]}, "Action": "lambda:*", "Resource": "*"},
            {"Sid": "Org", "Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-1"}}},
            {"Sid": "Service", "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "lambda:InvokeFunction", "Resource": "*"},
            {"Sid": "Other", "Effect": "Allow", "Principal": "*", "Action": "lambda:GetPolicy", "Resource": "*"},
            {"Sid": "Denied", "Effect": "Deny", "Principal": "*", "Action": "lambda:InvokeFunction", "Resource": "*"}
        ]}));
        assert_eq!(
            found,
            [
                (Admits::Anyone, "Open".to_owned()),
                (Admits::ForeignAccount("444455556666".into()), "Partner".to_owned())
            ],
            "the org-restricted, service, other-action and Deny statements, and the account itself, admit no one"
        );
    }
}
