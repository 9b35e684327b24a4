//! Properties of the policy engine, over generated documents.

use proptest::prelude::*;
use serde_json::{Value, json};
use stance::analyze::policy::{Capability, Expander, LevelSets, Permissions, Policy, PolicySource, catalogue};
use stance::glob::glob_match;
use stance::inventory::PolicyDocument;

/// Arbitrary JSON, a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "[a-zA-Z*:?/ -]{0,12}".prop_map(Value::String),
        prop_oneof![
            Just("Allow"),
            Just("Deny"),
            Just("*"),
            Just("s3:*"),
            Just("iam:PassRole"),
            Just("Action"),
            Just("Effect")
        ]
        .prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("Effect".to_owned()),
                    Just("Action".to_owned()),
                    Just("NotAction".to_owned()),
                    Just("Resource".to_owned()),
                    Just("Principal".to_owned()),
                    Just("Condition".to_owned()),
                    Just("Statement".to_owned()),
                    Just("Sid".to_owned()),
                    "[a-zA-Z:]{1,8}"
                ],
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Action patterns drawn from real catalogue names, with wildcards.
fn action_pattern() -> impl Strategy<Value = String> {
    let names: Vec<String> = catalogue().actions.iter().step_by(97).map(|a| a.name.clone()).collect();
    (prop::sample::select(names), 0usize..4).prop_map(|(name, cut)| match cut {
        0 => name,
        1 => format!("{}*", &name[..name.len().saturating_sub(3).max(name.find(':').unwrap_or(0) + 1)]),
        2 => format!("{}:*", name.split(':').next().unwrap_or("s3")),
        _ => "*".to_owned(),
    })
}

fn statement(effect: &str, patterns: &[String], all_resources: bool) -> Value {
    json!({"Effect": effect, "Action": patterns, "Resource": if all_resources { json!("*") } else { json!("arn:aws:s3:::bucket") }})
}

fn permissions(statements: &[Value]) -> Permissions {
    let c = catalogue();
    let mut expander = Expander::new(c);
    let mut p = Permissions::new(c);
    let source =
        PolicySource { kind: "inline", name: "p".into(), arn: None, attached_to: "arn:aws:iam::1:role/r".into() };
    p.add_policy(&mut expander, source, &Policy::from_json(&json!({"Statement": statements})));
    p
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn parsing_any_document_never_panics_and_accounts_for_every_statement(document in json_value()) {
        let policy = Policy::from_json(&document);
        if let Some(Value::Array(list)) = document.get("Statement") {
            prop_assert_eq!(policy.statements.len() + policy.problems.len(), list.len());
        }
        let text = document.to_string();
        let decoded = PolicyDocument::parse(&text);
        prop_assert!(decoded.json.is_some() || decoded.problem.is_some());
    }

    #[test]
    fn arbitrary_text_is_a_document_or_a_problem(text in ".{0,200}") {
        let decoded = PolicyDocument::parse(&text);
        prop_assert!(decoded.json.is_some() != decoded.problem.is_some());
        let _ = Policy::from_document(&decoded);
    }

    #[test]
    fn url_encoding_does_not_change_a_document(document in json_value()) {
        let wrapped = json!({"Version": "2012-10-17", "Statement": document});
        let plain = PolicyDocument::parse(&wrapped.to_string());
        let encoded: String = percent_encoding::utf8_percent_encode(&wrapped.to_string(), percent_encoding::NON_ALPHANUMERIC).to_string();
        prop_assert_eq!(PolicyDocument::parse(&encoded).json, plain.json);
    }

    #[test]
    fn a_pattern_matches_the_text_it_was_made_from(text in "[a-z0-9:]{0,20}", holes in prop::collection::vec(any::<prop::sample::Index>(), 0..4)) {
        prop_assert!(glob_match(&text, &text));
        prop_assert!(glob_match("*", &text));
        let mut pattern: Vec<u8> = text.clone().into_bytes();
        for hole in holes {
            if !pattern.is_empty() {
                let i = hole.index(pattern.len());
                pattern[i] = b'?';
            }
        }
        prop_assert!(glob_match(std::str::from_utf8(&pattern).unwrap(), &text));
        let prefix = format!("{}*", &text[..text.len() / 2]);
        prop_assert!(glob_match(&prefix, &text));
    }

    #[test]
    fn action_and_not_action_partition_the_catalogue(pattern in action_pattern()) {
        let c = catalogue();
        let mut expander = Expander::new(c);
        let allowed = expander.statement(&Policy::from_json(&json!({"Statement": [{"Effect": "Allow", "Action": pattern.clone(), "Resource": "*"}]})).statements[0]);
        let negated = expander.statement(&Policy::from_json(&json!({"Statement": [{"Effect": "Allow", "NotAction": pattern.clone(), "Resource": "*"}]})).statements[0]);
        prop_assert!(!allowed.intersects(&negated));
        prop_assert_eq!(allowed.len() + negated.len(), c.len());
        let service = pattern.split(':').next().unwrap_or("*").to_owned();
        let whole_service = if pattern == "*" { c.full_set() } else { c.expand(&format!("{service}:*")) };
        prop_assert!(whole_service.is_superset(&allowed));
    }

    #[test]
    fn denies_never_add_and_allows_never_remove(allows in prop::collection::vec(action_pattern(), 1..5), denies in prop::collection::vec(action_pattern(), 0..3), extra in action_pattern()) {
        let c = catalogue();
        let base = vec![statement("Allow", &allows, true)];
        let before = permissions(&base).unconstrained(c);
        let mut with_deny = base.clone();
        with_deny.push(statement("Deny", &denies, true));
        prop_assert!(before.is_superset(&permissions(&with_deny).unconstrained(c)));
        let mut with_allow = base.clone();
        with_allow.push(statement("Allow", std::slice::from_ref(&extra), true));
        prop_assert!(permissions(&with_allow).unconstrained(c).is_superset(&before));
        // A grant on one bucket never counts as unconstrained.
        let scoped = vec![statement("Allow", &allows, false)];
        prop_assert!(permissions(&scoped).unconstrained(c).is_empty());
        let levels = LevelSets::new(c);
        let cap = Capability::of(&permissions(&scoped), c, &levels);
        prop_assert!(!cap.admin && cap.escalations.is_empty());
    }
}
