//! The shared resource-policy check as rules use it: whom a resource-based policy admits to some actions with
//! no restricting condition (anyone, an account other than the scanned one, any account through a service
//! principal) and the evidence for it. The check itself is `analyze::policy::openings`, which the graph's
//! event sources read too. Function, REST API, secret, key, topic, queue and bus policies and role trust
//! policies go through it; a rule asks [`openings`] and words its own finding.

use super::statement_evidence;
use crate::analyze::Context;
use crate::analyze::policy::Policy;
use crate::finding::Evidence;

pub use crate::analyze::policy::{Admits, Opening};

impl Opening<'_> {
    /// The finding's evidence: `summary`, and the statement as written, located at "`policy` of
    /// `resource_arn`, statement S" (`policy`: "resource-based policy", "trust policy", …).
    pub fn evidence(&self, summary: String, policy: &str, resource_arn: &str) -> Evidence {
        let location = format!("{policy} of {resource_arn}, statement {}", self.statement.label());
        statement_evidence(summary, location, self.statement)
    }
}

/// [`crate::analyze::policy::openings`] of a resource in the scanned account.
pub fn openings<'p>(
    cx: &Context<'_>,
    policy: &'p Policy,
    actions: &[&str],
    restricting_keys: &[&str],
) -> Vec<Opening<'p>> {
    crate::analyze::policy::openings(policy, actions, restricting_keys, cx.account_id())
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
            {"Sid": "Topic", "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "lambda:InvokeFunction", "Resource": "*", "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:orders"}}},
            {"Sid": "Bucket", "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "lambda:InvokeFunction", "Resource": "*", "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::uploads"}, "StringEquals": {"aws:SourceAccount": "123456789012"}}},
            {"Sid": "BucketByName", "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "lambda:InvokeFunction", "Resource": "*", "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::uploads"}}},
            {"Sid": "Rendered", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::*:root"}, "Action": "lambda:InvokeFunction", "Resource": "*"},
            {"Sid": "Other", "Effect": "Allow", "Principal": "*", "Action": "lambda:GetPolicy", "Resource": "*"},
            {"Sid": "Denied", "Effect": "Deny", "Principal": "*", "Action": "lambda:InvokeFunction", "Resource": "*"}
        ]}));
        assert_eq!(
            found,
            [
                (Admits::Anyone, "Open".to_owned()),
                (Admits::ForeignAccount("444455556666".into()), "Partner".to_owned()),
                (Admits::AnyAccountThrough("s3.amazonaws.com".into()), "Service".to_owned()),
                (Admits::AnyAccountThrough("s3.amazonaws.com".into()), "BucketByName".to_owned()),
                (Admits::Anyone, "Rendered".to_owned())
            ],
            "the org-restricted, source-scoped service (a bucket by its account too), other-action and Deny statements, and the account itself, admit no one"
        );
    }
}
