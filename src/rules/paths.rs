//! Attack paths: an unauthenticated way in from the internet, or a topic, queue or bus any AWS principal can
//! write to, that reaches a Lambda function whose role is an administrator, can escalate, or reads secrets.
//! Each chain is a finding of its own and outranks its parts.

use crate::finding::Details;

use serde_json::json;

use super::{Draft, Evidence, Finding, Link, Rule, RuleMeta};
use crate::analyze::graph::EntryKind;
use crate::analyze::policy::{Grant, Policy, TrustHop, admits_caller};
use crate::analyze::{Context, PrincipalView};
use crate::inventory::lambda::LambdaFunction;
use crate::inventory::org::PeerRole;
use crate::score::{BlastRadius, Exposure, RiskInputs};

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
        for (chain, function) in internet_chains(cx) {
            if let Some(draft) = privileged_chain(cx, earlier, chain, function) {
                out.emit(draft);
            }
        }
    },
};

pub static PUBLIC_EVENT_TO_PRIVILEGED_LAMBDA: Rule = Rule {
    meta: RuleMeta {
        id: "attack-path-public-event-to-privileged-lambda",
        title: "Topic, queue or event bus anyone can write to triggers a privileged Lambda function",
        rationale: "Any AWS account can publish to the topic, send to the queue or put events on the bus at the start of the chain, and the chain (a subscription, an event source mapping or a rule, possibly through a queue or another topic) delivers that input to a function whose execution role is an administrator, nearly one, can escalate privileges, or can read secrets. One parsing bug in the function hands the account to a stranger who never needed credentials here. Chains from restricted sources, and public sources that reach only least-privilege functions, do not form this path (their parts are still reported).",
        remediation: "Break the chain at its cheapest link: restrict the source's policy to the accounts and services that publish (aws:SourceAccount, aws:SourceArn, aws:PrincipalOrgID), or give the function a least-privilege role (usually both).",
        references: &[
            "AWS FSBP SNS.4",
            "AWS FSBP SQS.3",
            "https://docs.aws.amazon.com/wellarchitected/latest/serverless-applications-lens/identity-and-access-management.html",
        ],
    },
    check: |cx, earlier, out| {
        for (chain, function) in event_chains(cx) {
            if let Some(draft) = privileged_chain(cx, earlier, chain, function) {
                out.emit(draft);
            }
        }
    },
};

pub static CROSS_ACCOUNT: Rule = Rule {
    meta: RuleMeta {
        id: "attack-path-cross-account",
        title: "Unauthenticated entry point reaches a privileged role in another account of the organization",
        rationale: "An open route or function URL, or a topic, queue or bus anyone can write to, invokes a function whose execution role may call sts:AssumeRole on a role in another account of the organization, and that role's trust admits it (the account's root, or the role itself) while the role is an administrator or can escalate privileges there. One bug in the function hands an anonymous attacker the other account: a sandbox's public function becomes production's administrator. Reported on the entry point, with every hop, the AssumeRole hop included. Found only in an organization scan (`stance scan --org`), which knows the other accounts' roles. A trust between two accounts of the organization is expected and not reported on its own, nor is one whose trusted side has no exposed entry point.",
        remediation: "Break the chain at its cheapest link: authenticate the entry point; drop sts:AssumeRole from the function's role (or scope it to the roles it needs); narrow the far role's trust to the one principal that must assume it, with a condition it alone meets, and give that role least privilege.",
        references: &[
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_aws-accounts.html",
            "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html",
        ],
    },
    check: |cx, earlier, out| {
        let Some(membership) = &cx.inventory.organization else { return };
        if membership.peers.is_empty() {
            return;
        }
        let chains: Vec<(Chain<'_>, &LambdaFunction)> =
            internet_chains(cx).into_iter().chain(event_chains(cx)).collect();
        for (chain, function) in &chains {
            let Some(role) = function.role.as_ref().and_then(|arn| cx.principals.get(arn)) else { continue };
            for peer in &membership.peers {
                let Some(grant) = role.permissions.allows_on(cx.catalogue, "sts:AssumeRole", &peer.arn) else {
                    continue;
                };
                let trust = Policy::from_document(&peer.trust_policy);
                let Some(hop) = admits_caller(&trust, &role.arn, cx.account_id()) else { continue };
                out.emit(cross_account_chain(earlier, chain, function, Hop { role, grant, peer, trust: &hop }));
            }
        }
    },
};

/// The AssumeRole hop of a cross-account path: the function's role, the grant that lets it assume, the far
/// role and how its trust admits the caller.
struct Hop<'a> {
    role: &'a PrincipalView,
    grant: &'a Grant,
    peer: &'a PeerRole,
    trust: &'a TrustHop<'a>,
}

fn cross_account_chain(earlier: &[Finding], chain: &Chain<'_>, function: &LambdaFunction, hop: Hop<'_>) -> Draft {
    let Hop { role, grant, peer, trust } = hop;
    let mut path = chain.before_function.clone();
    path.extend([function.arn.clone(), role.arn.clone(), peer.arn.clone()]);
    let (parts, mut details) = chain_details(earlier, chain, &path, function, &role.name);
    let target = format!("{} in account {}", peer.name, peer.account);
    details.insert("assumes".into(), json!(peer.arn));
    details.insert("target_account".into(), json!(peer.account));
    details.insert("target_trust_statement".into(), trust.statement.raw.clone());
    let origin = chain.origin;
    let evidence = Evidence {
        summary: format!(
            "{origin} → {} → Lambda {} → role {} → sts:AssumeRole → role {target} ({})",
            chain.entry_label, function.name, role.name, peer.reason
        ),
        location: Some(chain.entry_arn.to_owned()),
        statement: Some(grant.statement.raw.clone()),
        details,
    };
    let blast = if peer.admin { BlastRadius::Admin } else { BlastRadius::PrivilegeEscalation };
    let mut compensating = chain.compensating.clone();
    compensating.extend(trust.conditions.iter().map(|c| format!("the trust of {} requires {c}", peer.name)));
    let risk = RiskInputs {
        exposure: Some(chain.exposure.clone()),
        blast: Some((blast, format!("{} (account {})", peer.reason, peer.account))),
        compensating,
        ..RiskInputs::default()
    };
    let title =
        format!("{} → {} → {} → {} → {target}", capitalized(origin), chain.entry_label, function.name, role.name);
    let discriminator = format!("{}>{}", chain.discriminator, peer.arn);
    let mut draft = Draft::new(chain.entry_arn, chain.region, discriminator, title).evidence(evidence).risk(risk);
    draft.path = path;
    draft.chain_of = Some(parts.iter().map(|f| f.score).collect());
    draft
}

/// The findings on `path` an attack path chains (the links), and the details every path's evidence shares:
/// the entry point, the hops, the function, its role and the chained findings.
fn chain_details<'e>(
    earlier: &'e [Finding],
    chain: &Chain<'_>,
    path: &[String],
    function: &LambdaFunction,
    role: &str,
) -> (Vec<&'e Finding>, Details) {
    let parts: Vec<&Finding> =
        earlier.iter().filter(|f| path.contains(&f.resource_arn) && f.category.link() == Link::Link).collect();
    let mut details = Details::new();
    details.insert("entry_point".into(), json!(chain.entry_label));
    if !chain.hop_labels.is_empty() {
        details.insert("hops".into(), json!(chain.hop_labels));
    }
    details.insert("function".into(), json!(function.name));
    details.insert("role".into(), json!(role));
    details.insert("chained_findings".into(), json!(parts.iter().map(|f| &f.fingerprint).collect::<Vec<_>>()));
    (parts, details)
}

fn capitalized(text: &str) -> String {
    let mut letters = text.chars();
    letters.next().map(|c| c.to_ascii_uppercase()).into_iter().chain(letters).collect()
}

/// Every unauthenticated way from the internet to a function: open REST methods, HTTP and WebSocket routes
/// (a WebSocket route to the function its `$connect` already reaches is that path), function URLs.
fn internet_chains<'c>(cx: &'c Context<'_>) -> Vec<(Chain<'c>, &'c LambdaFunction)> {
    let mut chains = Vec::new();
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
        let chain = Chain {
            entry_arn: &entry.arn,
            region: &entry.region,
            origin: "internet",
            entry_label: entry.label.clone(),
            exposure: (Exposure::UnauthenticatedInternet, format!("{} needs no credentials", entry.label)),
            compensating: entry.compensating.clone(),
            // A function URL's entry is the function itself (an alias's URL is a hop of its own).
            before_function: if entry.arn == *function_arn { Vec::new() } else { vec![entry.arn.clone()] },
            hop_labels: Vec::new(),
            discriminator: "path".into(),
        };
        chains.push((chain, function));
    }
    chains
}

/// Every chain from a topic, queue or bus any AWS principal can write to, to a function.
fn event_chains<'c>(cx: &'c Context<'_>) -> Vec<(Chain<'c>, &'c LambdaFunction)> {
    let mut chains = Vec::new();
    for (source, route) in cx.graph.public_event_routes() {
        let Some(function) = cx.inventory.lambda.functions.get(route.function_arn()) else { continue };
        let upstream = &route.hops[..route.hops.len() - 1];
        let chain = Chain {
            entry_arn: &source.hop.arn,
            region: &source.region,
            origin: "any AWS principal",
            entry_label: source.hop.label.clone(),
            exposure: (Exposure::AnyAwsPrincipal, format!("{}: {}", source.hop.label, source.reason)),
            compensating: Vec::new(),
            before_function: upstream.iter().map(|h| h.arn.clone()).collect(),
            hop_labels: route.hops.iter().map(|h| h.label.clone()).collect(),
            discriminator: function.arn.clone(),
        };
        chains.push((chain, function));
    }
    chains
}

/// Where a chain starts and how it reaches its function.
struct Chain<'a> {
    entry_arn: &'a str,
    region: &'a str,
    /// Who walks it: "internet", "any AWS principal".
    origin: &'static str,
    /// "GET /orders on REST API shop (us-east-1)", "topic orders-events".
    entry_label: String,
    exposure: (Exposure, String),
    compensating: Vec<String>,
    /// Every hop's ARN before the function, in order (the entry first).
    before_function: Vec<String>,
    /// Every hop by name, the function included; empty when the entry leads to the function directly.
    hop_labels: Vec<String>,
    discriminator: String,
}

/// The attack path through `chain` to `function`, when the function's role is privileged or reads secrets.
fn privileged_chain(
    cx: &crate::analyze::Context<'_>,
    earlier: &[Finding],
    chain: Chain<'_>,
    function: &crate::inventory::lambda::LambdaFunction,
) -> Option<Draft> {
    let role_arn = function.role.as_ref()?;
    let role = cx.principals.get(role_arn)?;
    if !role.capability.is_privileged() && role.readable_secrets.is_empty() {
        return None;
    }
    // What the attacker gains last: the secrets the role reads, when that is the prize.
    let secrets: Vec<&str> = if role.capability.is_privileged() {
        Vec::new()
    } else {
        role.readable_secrets.iter().map(|s| s.secret_arn.as_str()).collect()
    };
    let mut path = chain.before_function.clone();
    path.extend([function.arn.clone(), role_arn.clone()]);
    path.extend(secrets.iter().map(|s| (*s).to_owned()));
    let (parts, mut details) = chain_details(earlier, &chain, &path, function, &role.name);
    let (blast, what) = role.blast_radius();
    if !secrets.is_empty() {
        let names: Vec<&str> = role.readable_secrets.iter().map(|s| s.secret_name.as_str()).collect();
        details.insert("readable_secrets".into(), json!(names));
    }
    // The resources between the entry and the function, by name (a queue a topic fans out to).
    let between: String = chain
        .hop_labels
        .iter()
        .skip(1)
        .filter(|l| l.starts_with("queue ") || l.starts_with("topic ") || l.starts_with("event bus "))
        .map(|l| format!(" → {l}"))
        .collect();
    let origin = chain.origin;
    let evidence = Evidence {
        summary: format!(
            "{origin} → {}{between} → Lambda {} → role {} ({what})",
            chain.entry_label, function.name, role.name
        ),
        location: Some(chain.entry_arn.to_owned()),
        statement: super::iam_permissions::privilege_evidence(cx, role)
            .map(|(grant, _)| grant.statement.raw.clone())
            .or_else(|| secret_grant(cx, role)),
        details,
    };
    let risk = RiskInputs {
        exposure: Some(chain.exposure),
        blast: Some((blast, what)),
        credential_age_days: None,
        compensating: chain.compensating,
        unaudited: None,
    };
    let prize = if secrets.is_empty() { String::new() } else { format!(" → {} secret(s)", secrets.len()) };
    let title =
        format!("{} → {}{between} → {} → {}{prize}", capitalized(origin), chain.entry_label, function.name, role.name);
    let mut draft = Draft::new(chain.entry_arn, chain.region, chain.discriminator, title).evidence(evidence).risk(risk);
    draft.path = path;
    draft.chain_of = Some(parts.iter().map(|f| f.score).collect());
    Some(draft)
}

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

    #[test]
    fn public_topic_through_a_queue_to_an_admin_function_is_one_path_with_every_hop() {
        let fixture = event_account();
        let found = fixture.findings("attack-path-public-event-to-privileged-lambda");
        insta::assert_yaml_snapshot!(summary(&found));
        assert_eq!(
            found.len(),
            1,
            "the default-policy topic, the organization's bus, the scheduled rule and the least-privilege sink form none"
        );
        let path = &found[0].path;
        assert_eq!(path[0], topic_arn("orders-events"));
        assert!(path[1].starts_with(&topic_arn("orders-events")), "the subscription");
        assert_eq!(path[2], queue_arn("orders-intake"));
        assert!(path[3].contains(":event-source-mapping:"));
        assert_eq!(path[4], function_arn("order-processor"));
        assert!(path[5].ends_with(":role/admin"));
        assert_eq!(path.len(), 6);
        let everything = crate::assess::analyze(&fixture.inventory, now()).findings;
        let parts: Vec<_> = everything
            .iter()
            .filter(|f| {
                path.contains(&f.resource_arn)
                    && f.rule_id != found[0].rule_id
                    && f.category.link() == crate::finding::Link::Link
            })
            .collect();
        assert!(parts.len() >= 2, "the public topic and the admin role are findings too");
        assert!(parts.iter().all(|p| p.score < found[0].score), "the chain outranks its parts");
    }

    fn peer(trust_principal: &str) -> crate::inventory::org::PeerRole {
        crate::inventory::org::PeerRole {
            arn: "arn:aws:iam::222222222222:role/ops-admin".into(),
            account: "222222222222".into(),
            name: "ops-admin".into(),
            admin: true,
            reason: "ops-admin is an administrator".into(),
            trust_policy: doc(
                json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": trust_principal}, "Action": "sts:AssumeRole"}]}),
            ),
        }
    }

    /// An open route to `hop`, whose role may assume ops-admin in 222222222222; a private function `quiet`
    /// with the same permission.
    fn cross_account(trust_principal: &str) -> Fixture {
        let assume = allow(json!("sts:AssumeRole"), json!("arn:aws:iam::222222222222:role/ops-admin"));
        Fixture::new()
            .role("hopper", lambda_trust(), &[("assume", assume.clone())], &[])
            .role("quiet-role", lambda_trust(), &[("assume", assume)], &[])
            .function("hop", "hopper", |_| {})
            .function("quiet", "quiet-role", |_| {})
            .http_api("edge", "HTTP", &[("GET /hop", "NONE", false, Some("hop"))], true)
            .in_organization(|m| m.peers.push(peer(trust_principal)))
    }

    #[test]
    fn an_open_route_to_a_role_that_assumes_an_admin_role_in_another_account_is_one_cross_account_path() {
        let fixture = cross_account("arn:aws:iam::123456789012:root");
        let found = fixture.findings("attack-path-cross-account");
        insta::assert_yaml_snapshot!(summary(&found));
        assert_eq!(found.len(), 1, "the private function's role can assume too, but nothing reaches it");
        let path = &found[0].path;
        assert!(path[0].contains("/routes/"), "the entry point first: {path:?}");
        assert_eq!(
            &path[1..],
            [
                function_arn("hop"),
                "arn:aws:iam::123456789012:role/hopper".into(),
                "arn:aws:iam::222222222222:role/ops-admin".into()
            ]
        );
        assert!(found[0].resource_arn.contains("/routes/"), "reported on the entry point");
        assert_eq!(found[0].severity, crate::finding::Severity::Critical);
    }

    #[test]
    fn a_trust_that_names_another_principal_or_needs_mfa_is_no_hop() {
        assert!(
            cross_account("arn:aws:iam::123456789012:role/someone-else")
                .findings("attack-path-cross-account")
                .is_empty()
        );
        assert!(
            cross_account("arn:aws:iam::123456789012:role/hopper").findings("attack-path-cross-account").len() == 1
        );
        let mfa = cross_account("arn:aws:iam::123456789012:root").in_organization(|m| {
            let mut p = peer("arn:aws:iam::123456789012:root");
            p.trust_policy = doc(json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]}));
            m.peers.push(p);
        });
        assert!(mfa.findings("attack-path-cross-account").is_empty(), "a function's session has no MFA");
        // Outside an organization scan there are no peers, and so no such path.
        let mut alone = cross_account("arn:aws:iam::123456789012:root");
        alone.inventory.organization = None;
        assert!(alone.findings("attack-path-cross-account").is_empty());
    }

    #[test]
    fn a_trust_of_an_account_in_the_organization_is_not_a_foreign_trust() {
        let trusting = |account: &str| {
            Fixture::new()
                .role("ops", json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{account}:root")}, "Action": "sts:AssumeRole"}]}), &[], &[])
                .in_organization(|_| {})
                .findings("iam-role-cross-account-no-external-id")
        };
        assert!(trusting("222222222222").is_empty(), "a member of the same organization");
        assert_eq!(trusting("999999999999").len(), 1, "an account outside it");
    }
}
