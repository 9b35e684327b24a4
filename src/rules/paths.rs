//! Attack paths: an unauthenticated way in from the internet that reaches a Lambda function whose role is
//! an administrator, can escalate, or reads secrets. Each chain is a finding of its own and outranks its parts.

use std::collections::BTreeMap;

use serde_json::json;

use super::{Draft, Evidence, Finding, Link, Rule, RuleMeta};
use crate::analyze::graph::EntryKind;
use crate::score::{Exposure, RiskInputs};

pub static PUBLIC_API_TO_PRIVILEGED_LAMBDA: Rule = Rule {
    meta: RuleMeta {
        id: "attack-path-public-api-to-privileged-lambda",
        title: "Unauthenticated internet entry point reaches a privileged Lambda function",
        rationale: "An open REST method, HTTP route, WebSocket $connect or function URL invokes a function whose execution role is an administrator, nearly one, can escalate privileges, or can read secrets: one bug in that function (an injection, a deserialization flaw, a vulnerable dependency) hands an anonymous attacker the account or the credentials stored in it. When the secrets are the prize, the path ends with them. Open routes to functions with least-privilege roles, and privileged functions reachable only with authentication, do not form this path (their parts are still reported).",
        remediation: "Break the chain at its cheapest link: put an authorizer on the entry point, or replace the function's role with a least-privilege one that reads only the secrets the function needs (usually both).",
        references: &[
            "https://docs.aws.amazon.com/wellarchitected/latest/serverless-applications-lens/identity-and-access-management.html",
        ],
    },
    check: |cx, earlier, out| {
        for entry in &cx.graph.entry_points {
            if entry.exposure != Exposure::UnauthenticatedInternet || !entry.has_real_backend() {
                continue;
            }
            let Some(function_arn) = &entry.function_arn else { continue };
            // Every WebSocket route opens with $connect: a route to the same function is the same path.
            if entry.kind == EntryKind::WebSocketRoute && !entry.label.starts_with("$connect ") {
                let connect_function = cx
                    .graph
                    .entry_points
                    .iter()
                    .find(|e| e.parent_arn == entry.parent_arn && e.label.starts_with("$connect "))
                    .and_then(|e| e.function_arn.as_ref());
                if connect_function == Some(function_arn) {
                    continue;
                }
            }
            let Some(function) = cx.inventory.lambda.functions.get(function_arn) else { continue };
            let Some(role_arn) = &function.role else { continue };
            let Some(role) = cx.principals.get(role_arn) else { continue };
            if !role.capability.is_privileged() && role.readable_secrets.is_empty() {
                continue;
            }
            // What the attacker gains last: the secrets the role reads, when that is the prize.
            let secrets: Vec<&str> = if role.capability.is_privileged() {
                Vec::new()
            } else {
                role.readable_secrets.iter().map(|s| s.secret_arn.as_str()).collect()
            };
            let mut path = vec![entry.arn.clone(), function.arn.clone(), role_arn.clone()];
            path.extend(secrets.iter().map(|s| (*s).to_owned()));
            let parts: Vec<&Finding> =
                earlier.iter().filter(|f| path.contains(&f.resource_arn) && f.category.link() == Link::Link).collect();
            let (blast, what) = role.blast_radius();
            let mut details = BTreeMap::new();
            details.insert("entry_point".into(), json!(entry.label));
            details.insert("function".into(), json!(function.name));
            details.insert("role".into(), json!(role.name));
            details.insert("chained_findings".into(), json!(parts.iter().map(|f| &f.fingerprint).collect::<Vec<_>>()));
            if !secrets.is_empty() {
                let names: Vec<&str> = role.readable_secrets.iter().map(|s| s.secret_name.as_str()).collect();
                details.insert("readable_secrets".into(), json!(names));
            }
            let evidence = Evidence {
                summary: format!("internet → {} → Lambda {} → role {} ({what})", entry.label, function.name, role.name),
                location: Some(entry.arn.clone()),
                statement: super::iam_permissions::privilege_evidence(cx, role)
                    .map(|(grant, _)| grant.statement.raw.clone())
                    .or_else(|| secret_grant(cx, role)),
                details,
            };
            let risk = RiskInputs {
                exposure: Some((Exposure::UnauthenticatedInternet, format!("{} needs no credentials", entry.label))),
                blast: Some((blast, what)),
                credential_age_days: None,
                compensating: entry.compensating.clone(),
                unaudited: None,
            };
            let prize = if secrets.is_empty() { String::new() } else { format!(" → {} secret(s)", secrets.len()) };
            let mut draft = Draft::new(
                &entry.arn,
                &entry.region,
                "path",
                format!("Internet → {} → {} → {}{prize}", entry.label, function.name, role.name),
            )
            .evidence(evidence)
            .risk(risk);
            draft.path = path;
            draft.chain_of = Some(parts.iter().map(|f| f.score).collect());
            out.emit(draft);
        }
    },
};

/// The statement that lets a role read secrets, for a path whose prize is its secrets.
fn secret_grant(cx: &crate::analyze::Context<'_>, role: &crate::analyze::PrincipalView) -> Option<serde_json::Value> {
    let first = role.readable_secrets.first()?;
    let grant = role.permissions.allows_on(cx.catalogue, "secretsmanager:GetSecretValue", &first.secret_arn)?;
    Some(grant.statement.raw.clone())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::rules::fixture::*;

    const ADMIN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

    fn account() -> Fixture {
        Fixture::new()
            .managed_policy(ADMIN, allow(json!("*"), json!("*")))
            .role("admin", lambda_trust(), &[], &[ADMIN])
            .role("small", lambda_trust(), &[("t", allow(json!("dynamodb:GetItem"), json!("*")))], &[])
            .function("payments", "admin", |_| {})
            .function("orders", "small", |_| {})
    }

    #[test]
    fn open_route_to_admin_function_is_a_path_that_outranks_its_parts() {
        let fixture = account().http_api(
            "pay",
            "HTTP",
            &[
                ("GET /status", "NONE", false, Some("payments")),
                ("POST /pay", "JWT", false, Some("payments")),
                ("GET /orders", "NONE", false, Some("orders")),
            ],
            true,
        );
        let found = fixture.findings("attack-path-public-api-to-privileged-lambda");
        insta::assert_yaml_snapshot!(summary(&found));
        assert_eq!(found.len(), 1, "only the open route to the admin function");
        assert_eq!(found[0].path.len(), 3);
        let everything = crate::assess::analyze(&fixture.inventory, now()).findings;
        let parts: Vec<_> = everything
            .iter()
            .filter(|f| found[0].path.contains(&f.resource_arn) && f.rule_id != found[0].rule_id)
            .collect();
        assert!(parts.len() >= 2, "the open route and the privileged role are findings too");
        assert!(parts.iter().all(|p| p.score < found[0].score));
        assert_eq!(everything[0].rule_id, "attack-path-public-api-to-privileged-lambda", "ranked first");
    }
}
