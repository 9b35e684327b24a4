//! The typed model of an IAM policy document, in all the forms AWS accepts: `Statement` as an object or a
//! list, string-or-list fields, `Action`/`NotAction`, `Resource`/`NotResource`, `Principal`/`NotPrincipal`
//! (`"*"`, `{"AWS": …}`, `{"Service": …}`, `{"Federated": …}`) and condition blocks. Parsing never fails:
//! what cannot be read is reported as a problem next to the statements that could.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::inventory::PolicyDocument;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// `Action` or `NotAction`: the patterns as written.
#[derive(Debug, Clone, PartialEq)]
pub enum ActionClause {
    Action(Vec<String>),
    NotAction(Vec<String>),
}

/// `Resource`, `NotResource`, or neither (trust policies and some resource policies have none).
#[derive(Debug, Clone, PartialEq)]
pub enum ResourceClause {
    Resource(Vec<String>),
    NotResource(Vec<String>),
    Absent,
}

impl ResourceClause {
    /// Whether the statement applies to the resource `arn` (IAM matching: `*` and `?`, case-sensitive).
    pub fn covers(&self, arn: &str) -> bool {
        match self {
            ResourceClause::Resource(patterns) => patterns.iter().any(|p| crate::glob::glob_match(p, arn)),
            ResourceClause::NotResource(patterns) => !patterns.iter().any(|p| crate::glob::glob_match(p, arn)),
            ResourceClause::Absent => true,
        }
    }

    /// Whether the statement applies to every resource: `"*"` (or an ARN pattern of wildcards only), or a
    /// `NotResource`, which excludes a few and so covers everything else.
    pub fn is_all(&self) -> bool {
        match self {
            ResourceClause::Resource(patterns) => patterns.iter().any(|p| is_wildcard_resource(p)),
            ResourceClause::NotResource(_) | ResourceClause::Absent => true,
        }
    }
}

fn is_wildcard_resource(pattern: &str) -> bool {
    pattern == "*"
        || (pattern.starts_with("arn:") && pattern.split(':').skip(2).all(|part| part.is_empty() || part == "*"))
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Principals {
    /// `"*"` or `{"AWS": "*"}`: anyone.
    pub any: bool,
    /// Principal type (`AWS`, `Service`, `Federated`, `CanonicalUser`) → identifiers.
    pub by_type: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PrincipalClause {
    Principal(Principals),
    NotPrincipal(Principals),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// As written, e.g. `StringEquals`, `ForAnyValue:StringLike`, `BoolIfExists`.
    pub operator: String,
    pub key: String,
    pub values: Vec<String>,
}

impl Condition {
    /// Whether the condition constrains anything: an `…IfExists` operator or a `Null` test lets requests
    /// without the key through, and a value of `*` matches everything.
    pub fn restricts(&self) -> bool {
        let operator = self.operator.to_ascii_lowercase();
        !(operator.ends_with("ifexists")
            || operator == "null"
            || self.values.is_empty()
            || self.values.iter().all(|v| v == "*"))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// Position in the document (0-based), the discriminator of findings on statements without a Sid.
    pub index: usize,
    pub sid: Option<String>,
    pub effect: Effect,
    pub actions: ActionClause,
    pub resources: ResourceClause,
    pub principals: Option<PrincipalClause>,
    pub conditions: Vec<Condition>,
    /// The statement as written, for evidence.
    pub raw: Value,
}

impl Statement {
    /// `Sid` or `#index`: how evidence names the statement.
    pub fn label(&self) -> String {
        match &self.sid {
            Some(sid) if !sid.is_empty() => sid.clone(),
            _ => format!("#{}", self.index),
        }
    }

    /// Conditions that actually constrain (see [`Condition::restricts`]).
    pub fn restricting_conditions(&self) -> impl Iterator<Item = &Condition> {
        self.conditions.iter().filter(|c| c.restricts())
    }

    pub fn has_condition_on(&self, keys: &[&str]) -> Vec<&Condition> {
        self.restricting_conditions().filter(|c| keys.iter().any(|k| c.key.eq_ignore_ascii_case(k))).collect()
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Policy {
    pub statements: Vec<Statement>,
    /// What could not be read, one line each ("statement 2: …").
    pub problems: Vec<String>,
}

fn strings(value: &Value) -> Result<Vec<String>, String> {
    match value {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) => items.iter().map(scalar).collect(),
        other => scalar(other).map(|s| vec![s]),
    }
}

fn scalar(value: &Value) -> Result<String, String> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(format!("expected a string, found {}", kind(other))),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn principals(value: &Value) -> Result<Principals, String> {
    match value {
        Value::String(s) if s == "*" => Ok(Principals { any: true, by_type: BTreeMap::new() }),
        // Not valid in a document AWS accepts, but some APIs and emulators hand out Lambda resource
        // policies with a bare account id or service name: read it for what it plainly is.
        Value::String(s) => {
            let principal_type = if s.ends_with(".amazonaws.com") { "Service" } else { "AWS" };
            Ok(Principals { any: false, by_type: BTreeMap::from([(principal_type.to_owned(), vec![s.clone()])]) })
        }
        Value::Object(map) => {
            let mut out = Principals::default();
            for (principal_type, ids) in map {
                let ids = strings(ids).map_err(|e| format!("principal {principal_type}: {e}"))?;
                if principal_type == "AWS" && ids.iter().any(|id| id == "*") {
                    out.any = true;
                }
                out.by_type.entry(principal_type.clone()).or_default().extend(ids);
            }
            Ok(out)
        }
        other => Err(format!("principal must be \"*\" or an object, found {}", kind(other))),
    }
}

fn conditions(value: &Value) -> Result<Vec<Condition>, String> {
    let Value::Object(operators) = value else {
        return Err(format!("Condition must be an object, found {}", kind(value)));
    };
    let mut out = Vec::new();
    for (operator, keys) in operators {
        let Value::Object(keys) = keys else { return Err(format!("Condition {operator} must be an object")) };
        for (key, values) in keys {
            out.push(Condition { operator: operator.clone(), key: key.clone(), values: strings(values)? });
        }
    }
    Ok(out)
}

fn statement(index: usize, raw: &Value) -> Result<Statement, String> {
    let Value::Object(map) = raw else { return Err(format!("a statement must be an object, found {}", kind(raw))) };
    let effect = match map.get("Effect").and_then(Value::as_str) {
        Some("Allow") => Effect::Allow,
        Some("Deny") => Effect::Deny,
        Some(other) => return Err(format!("Effect must be Allow or Deny, found `{other}`")),
        None => return Err("Effect is missing".into()),
    };
    let actions = match (map.get("Action"), map.get("NotAction")) {
        (Some(a), None) => ActionClause::Action(strings(a).map_err(|e| format!("Action: {e}"))?),
        (None, Some(a)) => ActionClause::NotAction(strings(a).map_err(|e| format!("NotAction: {e}"))?),
        (Some(_), Some(_)) => return Err("has both Action and NotAction".into()),
        (None, None) => return Err("has neither Action nor NotAction".into()),
    };
    let resources = match (map.get("Resource"), map.get("NotResource")) {
        (Some(r), None) => ResourceClause::Resource(strings(r).map_err(|e| format!("Resource: {e}"))?),
        (None, Some(r)) => ResourceClause::NotResource(strings(r).map_err(|e| format!("NotResource: {e}"))?),
        (Some(_), Some(_)) => return Err("has both Resource and NotResource".into()),
        (None, None) => ResourceClause::Absent,
    };
    let principals = match (map.get("Principal"), map.get("NotPrincipal")) {
        (Some(p), None) => Some(PrincipalClause::Principal(principals(p)?)),
        (None, Some(p)) => Some(PrincipalClause::NotPrincipal(principals(p)?)),
        (Some(_), Some(_)) => return Err("has both Principal and NotPrincipal".into()),
        (None, None) => None,
    };
    let conditions = match map.get("Condition") {
        Some(c) => conditions(c)?,
        None => Vec::new(),
    };
    Ok(Statement {
        index,
        sid: map.get("Sid").and_then(Value::as_str).map(str::to_owned),
        effect,
        actions,
        resources,
        principals,
        conditions,
        raw: raw.clone(),
    })
}

impl Policy {
    /// Reads a decoded document; a statement that cannot be read is left out and reported.
    pub fn from_json(document: &Value) -> Policy {
        let mut policy = Policy::default();
        let list: Vec<&Value> = match document.get("Statement") {
            Some(Value::Array(items)) => items.iter().collect(),
            Some(single @ Value::Object(_)) => vec![single],
            Some(other) => {
                policy.problems.push(format!("Statement must be an object or a list, found {}", kind(other)));
                return policy;
            }
            None => {
                policy.problems.push("the document has no Statement".into());
                return policy;
            }
        };
        for (index, raw) in list.into_iter().enumerate() {
            match statement(index, raw) {
                Ok(statement) => policy.statements.push(statement),
                Err(problem) => policy.problems.push(format!("statement {index}: {problem}")),
            }
        }
        policy
    }

    pub fn from_document(document: &PolicyDocument) -> Policy {
        match &document.json {
            Some(json) => Policy::from_json(json),
            None => Policy {
                statements: Vec::new(),
                problems: vec![document.problem.clone().unwrap_or_else(|| "the document could not be read".into())],
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn all_the_forms() {
        let policy = Policy::from_json(&json!({
            "Statement": [
                {"Sid": "A", "Effect": "Allow", "Action": "s3:GetObject", "Resource": ["arn:aws:s3:::b/*"]},
                {"Effect": "Deny", "NotAction": ["iam:*", "sts:*"], "NotResource": "arn:aws:s3:::b"},
                {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::111122223333:root", "*"], "Service": "lambda.amazonaws.com"},
                 "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "x", "aws:PrincipalOrgID": ["o-1"]}, "Bool": {"aws:MultiFactorAuthPresent": true}}},
                {"Effect": "Allow", "NotPrincipal": "*", "Action": "*"},
            {"Effect": "Allow", "Principal": "444455556666", "Action": "lambda:InvokeFunction"}
            ]
        }));
        assert!(policy.problems.is_empty(), "{:?}", policy.problems);
        assert_eq!(policy.statements.len(), 5);
        let Some(PrincipalClause::Principal(bare)) = &policy.statements[4].principals else { panic!() };
        assert_eq!(bare.by_type["AWS"], ["444455556666"]);
        assert_eq!(policy.statements[0].label(), "A");
        assert_eq!(policy.statements[1].label(), "#1");
        assert_eq!(policy.statements[1].actions, ActionClause::NotAction(vec!["iam:*".into(), "sts:*".into()]));
        assert!(policy.statements[1].resources.is_all());
        assert!(!policy.statements[0].resources.is_all());
        let Some(PrincipalClause::Principal(p)) = &policy.statements[2].principals else { panic!() };
        assert!(p.any);
        assert_eq!(p.by_type["Service"], ["lambda.amazonaws.com"]);
        assert_eq!(policy.statements[2].conditions.len(), 3);
        assert_eq!(policy.statements[2].has_condition_on(&["aws:principalorgid"]).len(), 1);
        assert!(policy.statements[2].conditions.iter().any(|c| c.values == ["true"]));
    }

    #[test]
    fn single_statement_object_and_wildcard_arns() {
        let policy =
            Policy::from_json(&json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "arn:aws:*:*:*:*"}}));
        assert_eq!(policy.statements.len(), 1);
        assert!(policy.statements[0].resources.is_all());
    }

    #[test]
    fn conditions_that_do_not_restrict() {
        let restricts = |operator: &str, values: Vec<&str>| {
            Condition {
                operator: operator.into(),
                key: "aws:SourceArn".into(),
                values: values.into_iter().map(String::from).collect(),
            }
            .restricts()
        };
        assert!(restricts("ArnLike", vec!["arn:aws:s3:::b"]));
        assert!(!restricts("ArnLikeIfExists", vec!["arn:aws:s3:::b"]));
        assert!(!restricts("StringLike", vec!["*"]));
        assert!(!restricts("Null", vec!["false"]));
    }

    #[test]
    fn malformed_statements_are_problems_not_panics() {
        let policy = Policy::from_json(&json!({"Statement": [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
            {"Effect": "Maybe", "Action": "*"},
            {"Effect": "Allow"},
            "not a statement",
            {"Effect": "Allow", "Action": {"x": 1}, "Resource": "*"},
            {"Effect": "Allow", "Action": "*", "Condition": ["x"]}
        ]}));
        assert_eq!(policy.statements.len(), 1);
        assert_eq!(policy.problems.len(), 5, "{:?}", policy.problems);
        assert!(policy.problems[0].starts_with("statement 1: Effect must be Allow or Deny"));
        assert!(Policy::from_json(&json!({"Version": "2012-10-17"})).problems[0].contains("no Statement"));
        assert!(Policy::from_json(&json!({"Statement": 3})).problems[0].contains("object or a list"));
    }
}
