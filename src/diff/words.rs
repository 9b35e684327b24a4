//! What changed, in words: a drift attribute or a finding's evidence as a reviewer reads it ("auth type
//! NONE → AWS_IAM", "resource policy removed", "DB_PASSWORD's value changed"), never a raw document or a hash.

use serde_json::Value;

use super::AttributeChange;
use crate::finding::Finding;

/// Facts that move with the clock alone: a finding whose only change is one of them did not change.
pub const TIME_DERIVED_FACTS: &[&str] = &["age_days", "days_since_deprecation"];

/// A drift change in words.
pub fn drift(change: &AttributeChange) -> String {
    value_change(&change.attribute.replace('_', " "), &change.old, &change.new)
}

/// What changed between two readings of one finding, in words; empty when only the clock moved.
pub fn finding(old: &Finding, new: &Finding) -> Vec<String> {
    let mut changes = Vec::new();
    if old.severity != new.severity {
        changes.push(format!("severity {} → {}", old.severity, new.severity));
    }
    if old.score != new.score {
        changes.push(format!("score {} → {}", old.score, new.score));
    }
    // A title that differs only in its numbers ("is 230 days old") moved with the clock or with a count the
    // facts below report.
    let numbers_masked = |t: &str| t.chars().map(|c| if c.is_ascii_digit() { '#' } else { c }).collect::<String>();
    if numbers_masked(&old.title) != numbers_masked(&new.title) {
        changes.push("title changed".to_owned());
    }
    let (a, b) = (&old.evidence, &new.evidence);
    if a.statement != b.statement {
        changes.push(match (&a.statement, &b.statement) {
            (None, Some(_)) => "a policy statement is now cited".to_owned(),
            (Some(_), None) => "no policy statement is cited any more".to_owned(),
            _ => "the policy statement changed".to_owned(),
        });
    }
    if a.location != b.location {
        changes.push("found at another place in the policy".to_owned());
    }
    let keys: std::collections::BTreeSet<&String> = a.details.iter().chain(b.details.iter()).map(|(k, _)| k).collect();
    for key in keys.into_iter().filter(|k| !TIME_DERIVED_FACTS.contains(&k.as_str())) {
        let (before, after) = (a.details.get(key), b.details.get(key));
        if before != after {
            let null = Value::Null;
            changes.push(value_change(&key.replace('_', " "), before.unwrap_or(&null), after.unwrap_or(&null)));
        }
    }
    if old.muted.is_some() != new.muted.is_some() {
        changes.push(if new.muted.is_some() { "muted".to_owned() } else { "unmuted".to_owned() });
    }
    changes
}

/// Whether text looks like a digest (a value's keyed hash): it is never printed.
fn digest_like(text: &str) -> bool {
    text.len() >= 16 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A short reading of a value, when it has one worth printing.
fn short(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if digest_like(s) => None,
        Value::String(s) if s.chars().count() <= 100 => Some(s.clone()),
        Value::Bool(b) => Some(if *b { "on".into() } else { "off".into() }),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(items) if items.is_empty() => Some("none".into()),
        Value::Array(items) if items.len() <= 4 => {
            let parts: Option<Vec<String>> = items.iter().map(short).collect();
            parts.map(|p| p.join(", "))
        }
        _ => None,
    }
}

fn statements(value: &Value) -> Option<usize> {
    match value.get("Statement").or_else(|| value.get("statements"))? {
        Value::Array(s) => Some(s.len()),
        Value::Null => None,
        _ => Some(1),
    }
}

fn plural(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// The value as a reader thinks of it: an observation (`{"state": "present", "value": …}`) is its value or
/// nothing, a policy document (`{"json": …}`) its JSON.
fn plain(value: &Value) -> Value {
    let Some(object) = value.as_object() else { return value.clone() };
    match (object.get("state").and_then(Value::as_str), object.get("value"), object.get("json")) {
        (Some("present"), Some(inner), _) => plain(inner),
        (Some("absent"), None, _) => Value::Null,
        (Some(state), None, _) if object.len() == 1 => Value::String(format!("not known ({state})")),
        (None, None, Some(json)) => json.clone(),
        _ => value.clone(),
    }
}

/// Items of a list in words: a few named, the rest counted; digests and long documents only counted.
fn items(values: &[&Value], sign: &str) -> Option<String> {
    if values.is_empty() {
        return None;
    }
    let named: Option<Vec<String>> = values.iter().map(|v| short(v)).collect();
    Some(match named {
        Some(names) if names.len() <= 3 => names.iter().map(|n| format!("{sign}{n}")).collect::<Vec<_>>().join(", "),
        _ => format!("{} {}", values.len(), if sign == "+" { "added" } else { "removed" }),
    })
}

/// `name` went from `old` to `new`, in words.
fn value_change(name: &str, old: &Value, new: &Value) -> String {
    let (old, new) = (&plain(old), &plain(new));
    let empty = |v: &Value| v.is_null() || v.as_object().is_some_and(|o| o.is_empty());
    match (old, new) {
        (old, new) if empty(old) && !empty(new) => match statements(new) {
            Some(n) => format!("{name} added ({})", plural(n, "statement")),
            None => match short(new) {
                Some(text) => format!("{name} set to {text}"),
                None => format!("{name} added"),
            },
        },
        (old, new) if !empty(old) && empty(new) => format!("{name} removed"),
        (Value::Object(a), Value::Object(b)) => match (statements(old), statements(new)) {
            (Some(m), Some(n)) if m != n => format!("{name} changed ({m} → {n} statements)"),
            (Some(_), Some(_)) => format!("{name} changed"),
            _ => {
                let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
                let parts: Vec<String> = keys
                    .into_iter()
                    .filter(|k| a.get(*k) != b.get(*k))
                    .map(|k| match (a.get(k), b.get(k)) {
                        (None, _) => format!("{k} added"),
                        (_, None) => format!("{k} removed"),
                        (Some(Value::Object(x)), Some(Value::Object(y))) => {
                            let fields: Vec<String> = x
                                .keys()
                                .chain(y.keys().filter(|f| !x.contains_key(*f)))
                                .filter(|f| x.get(*f) != y.get(*f))
                                .map(|f| if f == "hash" { "value".to_owned() } else { f.replace('_', " ") })
                                .collect();
                            format!("{k}'s {} changed", fields.join(" and "))
                        }
                        (Some(x), Some(y)) => value_change(k, x, y),
                    })
                    .collect();
                format!("{name}: {}", parts.join(", "))
            }
        },
        (Value::Array(a), Value::Array(b)) => {
            let added: Vec<&Value> = b.iter().filter(|v| !a.contains(v)).collect();
            let removed: Vec<&Value> = a.iter().filter(|v| !b.contains(v)).collect();
            let parts: Vec<String> = [items(&added, "+"), items(&removed, "−")].into_iter().flatten().collect();
            if parts.is_empty() { format!("{name} reordered") } else { format!("{name}: {}", parts.join(", ")) }
        }
        (old, new) => match (short(old), short(new)) {
            (Some(a), Some(b)) => format!("{name} {a} → {b}"),
            _ => format!("{name} changed"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn change(attribute: &str, old: Value, new: Value) -> String {
        drift(&AttributeChange { kind: "k".into(), arn: "a".into(), attribute: attribute.into(), old, new })
    }

    #[test]
    fn drift_reads_as_words() {
        assert_eq!(change("authorization_type", json!("NONE"), json!("AWS_IAM")), "authorization type NONE → AWS_IAM");
        let policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow"}]});
        assert_eq!(change("resource_policy", policy.clone(), Value::Null), "resource policy removed");
        assert_eq!(change("resource_policy", Value::Null, policy), "resource policy added (1 statement)");
        assert_eq!(
            change(
                "environment",
                json!({"DB_PASSWORD": {"kind": "plain", "hash": "0123456789abcdef0123"}, "OLD": {"kind": "plain", "hash": "ab"}}),
                json!({"DB_PASSWORD": {"kind": "plain", "hash": "fedcba98765432100123"}, "NEW": {"kind": "reference", "hash": "cd"}})
            ),
            "environment: DB_PASSWORD's value changed, NEW added, OLD removed"
        );
        assert_eq!(change("rotation_enabled", json!(true), json!(false)), "rotation enabled on → off");
        assert_eq!(change("layers", json!(["a", "b"]), json!(["b", "c"])), "layers: +c, −a");
        let digests = json!(["0123456789abcdef0123", "fedcba98765432100123"]);
        assert_eq!(change("chained_findings", digests, json!([])), "chained findings: 2 removed");
        // An observed policy: present, then absent.
        let observed = json!({"state": "present", "value": {"json": {"Statement": [{}, {}]}}});
        assert_eq!(change("resource_policy", observed.clone(), json!({"state": "absent"})), "resource policy removed");
        let one = json!({"state": "present", "value": {"json": {"Statement": [{}]}}});
        assert_eq!(change("resource_policy", observed, one), "resource policy changed (2 → 1 statements)");
        // A digest is never printed.
        let text = change("value_hash", json!("0123456789abcdef0123"), json!("fedcba98765432100123"));
        assert_eq!(text, "value hash changed");
    }
}
