//! Custom rules: the policy file's `[[rule]]` entries (and `--rules DIR`), each a CEL condition over the
//! resource view of one kind (`rules::view`). They run in the registry like any rule, as this one entry:
//! each finding carries its custom rule's id, severity, remediation and references, so fingerprints,
//! scores, mutes, exports, diff and the TUI treat it like any other. Conditions are checked when the file is
//! read ([`check_condition`]); one that still fails on a resource (a null compared with a number) does not
//! fire there.

use std::collections::BTreeSet;

use cel::common::ast::Expr;
use serde_json::json;

use super::{Draft, Evidence, Rule, RuleMeta, view};
use crate::finding::Details;

pub static CUSTOM_RULES: Rule = Rule {
    meta: RuleMeta {
        id: "custom-rule",
        title: "A rule of the policy file's own",
        rationale: "The organization's rules, written as CEL conditions over a documented view of each resource kind (docs/custom-rules.md): an owner tag, memory and timeout limits, a naming convention. Each `[[rule]]` of the policy file (or of a file in `--rules DIR`) reports one finding per resource of its kind where its condition is true, under its own `custom-…` id, severity, remediation and references, and counts for the framework controls it names.",
        remediation: "What the custom rule's own remediation says.",
        references: &["docs/custom-rules.md"],
    },
    check: |cx, _, out| {
        let rules: Vec<_> = cx.settings.custom_rules.iter().filter(|r| cx.settings.runs(&r.id)).collect();
        if rules.is_empty() {
            return;
        }
        let resources = cx.inventory.taggable();
        for rule in rules {
            let Ok(program) = cel::Program::compile(&rule.condition) else { continue };
            for resource in resources.iter().filter(|r| r.kind == rule.kind) {
                let view = view::view(cx.inventory, resource);
                let mut context = cel::Context::default();
                let Ok(value) = cel::to_value(&view) else { continue };
                context.add_variable_from_value("resource", value);
                if !matches!(program.execute(&context), Ok(cel::Value::Bool(true))) {
                    continue;
                }
                let mut details = Details::new();
                details.insert("custom_rule".into(), json!(rule.id));
                details.insert("condition".into(), json!(rule.condition));
                details.insert("defined_at".into(), json!(rule.source));
                details.insert("view_version".into(), json!(view::VERSION));
                let evidence = Evidence {
                    summary: format!("{} matches `{}` ({})", resource.arn, rule.condition, rule.source),
                    location: Some(resource.arn.to_owned()),
                    statement: None,
                    details,
                };
                let mut draft =
                    Draft::new(resource.arn, resource.region, "", fill(&rule.title, &view)).evidence(evidence);
                draft.custom = Some(rule.clone());
                out.emit(draft);
            }
        }
    },
};

/// `title` with each `{field}` replaced by the view's value (a string as it is, anything else as JSON).
pub fn fill(title: &str, view: &serde_json::Value) -> String {
    let mut out = String::new();
    let mut rest = title;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else { break };
        out.push_str(&rest[..open]);
        let name = &rest[open + 1..open + close];
        match &view[name] {
            serde_json::Value::String(text) => out.push_str(text),
            serde_json::Value::Null => out.push('—'),
            other => out.push_str(&other.to_string()),
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

/// The `{field}` placeholders of a title that the kind's view lacks.
pub fn check_title(kind: &str, title: &str) -> Result<(), String> {
    let known: BTreeSet<&str> = view::fields_of(kind).map(|f| f.name).collect();
    let mut rest = title;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else { return Err("an unclosed `{` in the title".into()) };
        let name = &rest[open + 1..open + close];
        if !known.contains(name) {
            return Err(format!("the title names `{{{name}}}`, which the {kind} view does not have"));
        }
        rest = &rest[open + close + 1..];
    }
    Ok(())
}

/// Parses a condition and checks every `resource.FIELD` it reads against the kind's view, and that it names
/// no variable but `resource` (and the ones its own macros bind).
pub fn check_condition(kind: &str, condition: &str) -> Result<(), String> {
    let program = cel::Program::compile(condition).map_err(|e| {
        let message = e.to_string().replace('\n', " ");
        format!("the condition does not parse: {}", message.split_whitespace().collect::<Vec<_>>().join(" "))
    })?;
    let known: BTreeSet<&str> = view::fields_of(kind).map(|f| f.name).collect();
    let mut problems = Vec::new();
    walk(&program.expression().expr, &mut Vec::new(), &known, kind, &mut problems);
    match problems.into_iter().next() {
        Some(problem) => Err(problem),
        None => Ok(()),
    }
}

fn walk(expr: &Expr, bound: &mut Vec<String>, known: &BTreeSet<&str>, kind: &str, problems: &mut Vec<String>) {
    match expr {
        Expr::Select(select) => {
            if let Expr::Ident(name) = &select.operand.expr
                && name == "resource"
                && !known.contains(select.field.as_str())
            {
                problems.push(format!(
                    "the condition reads `resource.{}`, which the {kind} view does not have (docs/custom-rules.md lists its fields)",
                    select.field
                ));
            }
            walk(&select.operand.expr, bound, known, kind, problems);
        }
        Expr::Ident(name) => {
            if name != "resource" && !bound.iter().any(|b| b == name) {
                problems.push(format!("the condition names `{name}`; the only variable is `resource`"));
            }
        }
        Expr::Call(call) => {
            if let Some(target) = &call.target {
                walk(&target.expr, bound, known, kind, problems);
            }
            for arg in &call.args {
                walk(&arg.expr, bound, known, kind, problems);
            }
        }
        Expr::Comprehension(comprehension) => {
            walk(&comprehension.iter_range.expr, bound, known, kind, problems);
            walk(&comprehension.accu_init.expr, bound, known, kind, problems);
            let before = bound.len();
            bound.push(comprehension.iter_var.clone());
            bound.extend(comprehension.iter_var2.clone());
            bound.push(comprehension.accu_var.clone());
            walk(&comprehension.loop_cond.expr, bound, known, kind, problems);
            walk(&comprehension.loop_step.expr, bound, known, kind, problems);
            walk(&comprehension.result.expr, bound, known, kind, problems);
            bound.truncate(before);
        }
        Expr::List(list) => {
            for element in &list.elements {
                walk(&element.expr, bound, known, kind, problems);
            }
        }
        Expr::Map(map) => {
            for entry in &map.entries {
                if let cel::common::ast::EntryExpr::MapEntry(entry) = &entry.expr {
                    walk(&entry.key.expr, bound, known, kind, problems);
                    walk(&entry.value.expr, bound, known, kind, problems);
                }
            }
        }
        Expr::Struct(_) | Expr::Literal(_) | Expr::Unspecified => {}
    }
}
