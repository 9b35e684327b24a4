//! Event-driven ways in: the topics, queues and event buses that principals outside the account can write to,
//! and the chains through which they invoke functions. A topic delivers through its subscriptions (to a
//! function, or to a queue), a queue through the event source mappings that poll it, a bus through its rules'
//! targets (a function, a queue, a topic, another bus), for the rules an event put on the bus can match (not
//! schedules, not patterns only AWS's own `aws.*` sources satisfy).
//!
//! Deliveries that need the receiver's consent are cross-checked with its policy: SNS and EventBridge may
//! invoke a function only if its resource policy admits `sns.amazonaws.com` / `events.amazonaws.com` for that
//! source, SNS and EventBridge may send to a queue only if the queue's policy admits them, and EventBridge may
//! publish to a topic only if the topic's policy does. An unreadable receiver policy
//! is assumed to consent (the chain is not ruled out on missing data). A function policy grant to SNS or
//! EventBridge whose `aws:SourceArn` names a listed topic or rule is an edge too when that topic's
//! subscriptions or that rule's targets could not be listed.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::unqualified;
use crate::analyze::policy::principals::PUBLIC_RESTRICTING_KEYS;
use crate::analyze::policy::{Admits, Condition, Policy, Who, admissions, openings};
use crate::glob::glob_match;
use crate::inventory::{Inventory, Observed};
use crate::score::Exposure;

/// What a hop of an event chain is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HopKind {
    Topic,
    Subscription,
    Queue,
    EventSourceMapping,
    EventBus,
    Rule,
    Function,
}

/// One resource on a chain, named by what it is ("topic orders-events", "rule nightly-export on bus
/// default").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hop {
    pub arn: String,
    pub kind: HopKind,
    pub label: String,
}

/// The actions that put something into each kind of source.
pub const PUBLISH: &[&str] = &["sns:Publish"];
pub const SEND: &[&str] = &["sqs:SendMessage"];
pub const PUT_EVENTS: &[&str] = &["events:PutEvents"];

/// A topic, queue or bus that principals outside the account can write to.
#[derive(Debug, Clone, Serialize)]
pub struct EventSource {
    pub hop: Hop,
    pub region: String,
    /// `AnyAwsPrincipal` or `CrossAccount`.
    pub exposure: Exposure,
    /// Who may write, and by which statement: "any AWS principal may publish (statement Open)".
    pub reason: String,
    /// That statement as written.
    pub statement: serde_json::Value,
}

/// A chain from an event source to the function it ends up invoking.
#[derive(Debug, Clone, Serialize)]
pub struct EventRoute {
    /// Index into [`super::Graph::event_sources`].
    pub source: usize,
    /// Every hop in order: the source first, the function last.
    pub hops: Vec<Hop>,
}

impl EventRoute {
    pub fn function_arn(&self) -> &str {
        self.hops.last().map_or("", |h| h.arn.as_str())
    }

    /// "topic orders-events → sqs subscription → queue orders-intake → event source mapping → function f".
    pub fn describe(&self) -> String {
        self.hops.iter().map(|h| h.label.as_str()).collect::<Vec<_>>().join(" → ")
    }
}

/// Whether `policy` lets `service` perform `action` on behalf of `source_arn`: a statement admitting the
/// service (or anyone) whose source conditions, where it has any, match the source. (Allows only: a Deny
/// of a service delivery is rare enough that a chain is not ruled out for it.)
pub fn admits_delivery(policy: &Policy, action: &str, service: &str, source_arn: &str) -> bool {
    let service = Who::Service(service.to_owned());
    admissions(policy, &[action], &[]).iter().any(|a| {
        (a.who.contains(&Who::Anyone) || a.who.contains(&service))
            && a.statement.restricting_conditions().all(|c| condition_admits_source(c, source_arn))
    })
}

/// Whether a condition lets a delivery from `source_arn` through. Only source keys are evaluated; any other
/// key (a time, an IP) is assumed to be met, so a chain is not ruled out on what stance cannot judge.
fn condition_admits_source(condition: &Condition, source_arn: &str) -> bool {
    let key = condition.key.to_ascii_lowercase();
    let negated = condition.operator.to_ascii_lowercase().contains("not");
    let subject = match key.as_str() {
        "aws:sourcearn" => source_arn.to_owned(),
        "aws:sourceaccount" | "aws:sourceowner" => source_arn.split(':').nth(4).unwrap_or_default().to_owned(),
        _ => return true,
    };
    let matched = condition.values.iter().any(|v| glob_match(&v.to_ascii_lowercase(), &subject.to_ascii_lowercase()));
    matched != negated
}

/// Whether a receiver with this policy consents to `service` delivering from `source_arn`.
fn consents(
    policy: &Observed<crate::inventory::PolicyDocument>,
    parsed: Option<&Policy>,
    action: &str,
    service: &str,
    source_arn: &str,
) -> bool {
    match (policy, parsed) {
        (Observed::Present(_), Some(parsed)) => admits_delivery(parsed, action, service, source_arn),
        (Observed::Absent, _) => false,
        // Unknown (or present but not parsed): not ruled out.
        _ => true,
    }
}

/// Who outside `owner` can write to a resource with this policy: the most exposed opening and its reason.
fn exposure_of(policy: Option<&Policy>, actions: &[&str], verb: &str, owner: &str) -> Option<Opened> {
    let mut best: Option<Opened> = None;
    for opening in openings(policy?, actions, PUBLIC_RESTRICTING_KEYS, owner) {
        let candidate = match &opening.admits {
            Admits::Anyone => (
                Exposure::AnyAwsPrincipal,
                format!("any AWS principal may {verb} (statement {})", opening.statement.label()),
            ),
            Admits::ForeignAccount(account) => (
                Exposure::CrossAccount,
                format!("account {account} may {verb} (statement {})", opening.statement.label()),
            ),
            Admits::AnyAccountThrough(_) => continue,
        };
        if best.as_ref().is_none_or(|b| candidate.0 < b.exposure) {
            best =
                Some(Opened { exposure: candidate.0, reason: candidate.1, statement: opening.statement.raw.clone() });
        }
    }
    best
}

/// The most exposed opening of a source's policy.
struct Opened {
    exposure: Exposure,
    reason: String,
    statement: serde_json::Value,
}

impl Opened {
    fn source(self, hop: Hop, region: &str) -> EventSource {
        EventSource {
            hop,
            region: region.to_owned(),
            exposure: self.exposure,
            reason: self.reason,
            statement: self.statement,
        }
    }
}

type Edges = HashMap<String, Vec<(Hop, Hop)>>;

fn function_hop(inventory: &Inventory, arn: &str) -> Option<Hop> {
    let function = inventory.lambda.functions.get(&unqualified(arn))?;
    Some(Hop { arn: function.arn.clone(), kind: HopKind::Function, label: format!("function {}", function.name) })
}

fn queue_hop(inventory: &Inventory, arn: &str) -> Option<Hop> {
    let queue = inventory.sqs.queues.get(arn)?;
    Some(Hop { arn: queue.arn.clone(), kind: HopKind::Queue, label: format!("queue {}", queue.name) })
}

fn topic_hop(inventory: &Inventory, arn: &str) -> Option<Hop> {
    let topic = inventory.sns.topics.get(arn)?;
    Some(Hop { arn: topic.arn.clone(), kind: HopKind::Topic, label: format!("topic {}", topic.name) })
}

fn bus_hop(inventory: &Inventory, arn: &str) -> Option<Hop> {
    let bus = inventory.eventbridge.buses.get(arn)?;
    Some(Hop { arn: bus.arn.clone(), kind: HopKind::EventBus, label: format!("event bus {}", bus.name) })
}

/// Every delivery the inventory shows: node ARN → (the connecting hop, the next node).
fn edges(inventory: &Inventory, policies: &HashMap<String, Policy>) -> Edges {
    let mut edges: Edges = HashMap::new();
    let function_consents = |function_arn: &str, service: &str, source: &str| {
        inventory.lambda.functions.get(&unqualified(function_arn)).is_some_and(|f| {
            consents(&f.resource_policy, policies.get(&f.arn), "lambda:InvokeFunction", service, source)
        })
    };

    for topic in inventory.sns.topics.values() {
        for subscription in topic.subscriptions.iter().flatten().filter(|s| s.is_confirmed()) {
            let Some(endpoint) = &subscription.endpoint else { continue };
            let next = match subscription.protocol.as_str() {
                "lambda" if function_consents(endpoint, "sns.amazonaws.com", &topic.arn) => {
                    function_hop(inventory, endpoint)
                }
                "sqs" => queue_hop(inventory, endpoint).filter(|_| {
                    inventory.sqs.queues.get(endpoint).is_some_and(|q| {
                        consents(&q.policy, policies.get(&q.arn), "sqs:SendMessage", "sns.amazonaws.com", &topic.arn)
                    })
                }),
                _ => None,
            };
            let Some(next) = next else { continue };
            let connector = Hop {
                arn: subscription.arn.clone(),
                kind: HopKind::Subscription,
                label: format!("{} subscription", subscription.protocol),
            };
            edges.entry(topic.arn.clone()).or_default().push((connector, next));
        }
    }

    for mapping in inventory.lambda.event_source_mappings.values().filter(|m| m.is_enabled()) {
        let Some(source) = &mapping.source_arn else { continue };
        let Some(next) = function_hop(inventory, &mapping.function_arn) else { continue };
        let connector =
            Hop { arn: mapping.arn.clone(), kind: HopKind::EventSourceMapping, label: "event source mapping".into() };
        edges.entry(source.clone()).or_default().push((connector, next));
    }

    for (bus, rule) in inventory.eventbridge.rules().filter(|(_, r)| r.is_enabled() && r.matches_put_events()) {
        for target in rule.targets.iter().flatten() {
            let arn = target.arn.as_str();
            let next = match arn.split(':').nth(2) {
                Some("lambda") if function_consents(arn, "events.amazonaws.com", &rule.arn) => {
                    function_hop(inventory, arn)
                }
                Some("sqs") => queue_hop(inventory, arn).filter(|_| {
                    inventory.sqs.queues.get(arn).is_some_and(|q| {
                        consents(&q.policy, policies.get(&q.arn), "sqs:SendMessage", "events.amazonaws.com", &rule.arn)
                    })
                }),
                Some("sns") => topic_hop(inventory, arn).filter(|_| {
                    inventory.sns.topics.get(arn).is_some_and(|t| {
                        consents(&t.policy, policies.get(&t.arn), "sns:Publish", "events.amazonaws.com", &rule.arn)
                    })
                }),
                Some("events") => bus_hop(inventory, arn),
                _ => None,
            };
            let Some(next) = next else { continue };
            let connector = Hop {
                arn: rule.arn.clone(),
                kind: HopKind::Rule,
                label: format!("rule {} on bus {}", rule.name, bus.name),
            };
            edges.entry(bus.arn.clone()).or_default().push((connector, next));
        }
    }

    // Grants whose source could not be followed from its side: a topic whose subscriptions, or a rule whose
    // targets, could not be listed.
    for function in inventory.lambda.functions.values() {
        let Some(policy) = policies.get(&function.arn) else { continue };
        for admission in admissions(policy, &["lambda:InvokeFunction"], &[]) {
            for who in &admission.who {
                let Who::Service(service) = who else { continue };
                let source_patterns: Vec<&str> = admission
                    .statement
                    .restricting_conditions()
                    .filter(|c| c.key.eq_ignore_ascii_case("aws:SourceArn"))
                    .flat_map(|c| c.values.iter().map(String::as_str))
                    .collect();
                for pattern in source_patterns {
                    let pattern = pattern.to_ascii_lowercase();
                    let matches = |arn: &str| glob_match(&pattern, &arn.to_ascii_lowercase());
                    let hop = Hop {
                        arn: function.arn.clone(),
                        kind: HopKind::Function,
                        label: format!("function {}", function.name),
                    };
                    if service == "sns.amazonaws.com" {
                        for topic in
                            inventory.sns.topics.values().filter(|t| t.subscriptions.is_none() && matches(&t.arn))
                        {
                            let connector = Hop {
                                arn: topic.arn.clone(),
                                kind: HopKind::Subscription,
                                label: "lambda subscription (not listed; granted by the function's policy)".into(),
                            };
                            edges.entry(topic.arn.clone()).or_default().push((connector, hop.clone()));
                        }
                    } else if service == "events.amazonaws.com" {
                        for (bus, rule) in
                            inventory.eventbridge.rules().filter(|(_, r)| r.targets.is_none() && matches(&r.arn))
                        {
                            let connector = Hop {
                                arn: rule.arn.clone(),
                                kind: HopKind::Rule,
                                label: format!("rule {} on bus {} (targets not listed)", rule.name, bus.name),
                            };
                            edges.entry(bus.arn.clone()).or_default().push((connector, hop.clone()));
                        }
                    }
                }
            }
        }
    }
    for list in edges.values_mut() {
        list.sort_by(|a, b| (&a.0.arn, &a.1.arn).cmp(&(&b.0.arn, &b.1.arn)));
        list.dedup();
    }
    edges
}

/// The event sources of the inventory, and every chain from one of them to a function.
pub fn build(inventory: &Inventory, policies: &HashMap<String, Policy>) -> (Vec<EventSource>, Vec<EventRoute>) {
    let owner = inventory.account.account_id.as_str();
    let mut sources = Vec::new();
    for topic in inventory.sns.topics.values() {
        if let Some(opened) = exposure_of(policies.get(&topic.arn), PUBLISH, "publish", owner) {
            let hop = topic_hop(inventory, &topic.arn);
            sources.extend(hop.map(|hop| opened.source(hop, &topic.region)));
        }
    }
    for queue in inventory.sqs.queues.values() {
        if let Some(opened) = exposure_of(policies.get(&queue.arn), SEND, "send messages", owner) {
            let hop = queue_hop(inventory, &queue.arn);
            sources.extend(hop.map(|hop| opened.source(hop, &queue.region)));
        }
    }
    for bus in inventory.eventbridge.buses.values() {
        if let Some(opened) = exposure_of(policies.get(&bus.arn), PUT_EVENTS, "put events", owner) {
            let hop = bus_hop(inventory, &bus.arn);
            sources.extend(hop.map(|hop| opened.source(hop, &bus.region)));
        }
    }

    let edges = edges(inventory, policies);
    let mut routes = Vec::new();
    for (index, source) in sources.iter().enumerate() {
        let mut visited = HashSet::from([source.hop.arn.clone()]);
        walk(&edges, vec![source.hop.clone()], &mut visited, &mut |hops| {
            routes.push(EventRoute { source: index, hops });
        });
    }
    // Shortest chains first, per source: the one a finding names when several reach the same function.
    routes.sort_by_key(|r| (r.source, r.hops.len()));
    (sources, routes)
}

/// Depth-first from the chain's last hop, reporting every chain that ends at a function.
fn walk(edges: &Edges, chain: Vec<Hop>, visited: &mut HashSet<String>, found: &mut impl FnMut(Vec<Hop>)) {
    let Some(last) = chain.last() else { return };
    for (connector, next) in edges.get(&last.arn).into_iter().flatten() {
        if !visited.insert(next.arn.clone()) {
            continue; // a cycle (a bus targeting itself, a topic fanning back), or a node this chain passed
        }
        let mut longer = chain.clone();
        longer.push(connector.clone());
        longer.push(next.clone());
        if next.kind == HopKind::Function {
            found(longer);
        } else {
            walk(edges, longer, visited, found);
        }
        visited.remove(&next.arn);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::rules::fixture::*;

    fn policy(statements: serde_json::Value) -> Policy {
        Policy::from_json(&json!({ "Statement": statements }))
    }

    #[test]
    fn a_delivery_needs_the_receivers_consent_for_that_source() {
        let topic = topic_arn("orders");
        let grant = |condition: serde_json::Value| {
            policy(
                json!([{"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "lambda:InvokeFunction", "Resource": "*", "Condition": condition}]),
            )
        };
        let invoke = "lambda:InvokeFunction";
        assert!(admits_delivery(
            &grant(json!({"ArnLike": {"aws:SourceArn": "arn:aws:sns:us-east-1:*:orders"}})),
            invoke,
            "sns.amazonaws.com",
            &topic
        ));
        assert!(!admits_delivery(
            &grant(json!({"ArnEquals": {"aws:SourceArn": topic_arn("other")}})),
            invoke,
            "sns.amazonaws.com",
            &topic
        ));
        assert!(admits_delivery(
            &grant(json!({"StringEquals": {"aws:SourceAccount": ACCOUNT}})),
            invoke,
            "sns.amazonaws.com",
            &topic
        ));
        assert!(!admits_delivery(
            &grant(json!({"StringEquals": {"aws:SourceAccount": "444455556666"}})),
            invoke,
            "sns.amazonaws.com",
            &topic
        ));
        assert!(!admits_delivery(
            &grant(json!({"ArnNotLike": {"aws:SourceArn": "arn:aws:sns:*:*:orders"}})),
            invoke,
            "sns.amazonaws.com",
            &topic
        ));
        assert!(!admits_delivery(&grant(json!({})), invoke, "events.amazonaws.com", &topic), "another service");
        assert!(
            admits_delivery(
                &grant(json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})),
                invoke,
                "sns.amazonaws.com",
                &topic
            ),
            "a key stance cannot judge does not rule it out"
        );
    }

    #[test]
    fn chains_follow_fan_out_and_stop_at_cycles() {
        let public = json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "events:PutEvents", "Resource": "*"}]});
        let hub = format!("arn:aws:events:us-east-1:{ACCOUNT}:event-bus/hub");
        let fixture = event_account()
            // A bus that forwards to itself and to the public topic: the walk ends, and the topic's chain is
            // reached through it too.
            .bus("hub", Some(public), &[("loop", &[hub.as_str()]), ("fan", &[topic_arn("orders-events").as_str()])]);
        let cx = crate::analyze::Context::new(&fixture.inventory, now());
        let from_hub: Vec<String> = cx
            .graph
            .event_routes
            .iter()
            .filter(|r| cx.graph.event_sources[r.source].hop.arn == hub)
            .map(EventRoute::describe)
            .collect();
        assert_eq!(
            from_hub,
            [
                "event bus hub → rule fan on bus hub → topic orders-events → sqs subscription → queue orders-intake → event source mapping → function order-processor"
            ],
            "no chain through the loop, and not to billing (its policy does not admit the topic)"
        );
        let (exposure, why) = cx.graph.exposure_of_function(&function_arn("order-processor")).expect("exposed");
        assert_eq!(*exposure, Exposure::AnyAwsPrincipal);
        assert!(why.contains("any AWS principal may"), "{why}");
        assert!(
            cx.graph.exposure_of_function(&function_arn("billing")).is_none(),
            "restricted sources do not expose it"
        );
    }

    #[test]
    fn unlisted_subscriptions_fall_back_to_the_functions_grant() {
        let fixture = event_account()
            .topic("unlisted", Some(json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sns:Publish", "Resource": "*"}]})), |t| t.subscriptions = None)
            .function("listener", "small", |f| {
                let grants = json!({"Statement": [service_grant("from-unlisted", "sns.amazonaws.com", Some(&topic_arn("unlisted")))]});
                f.resource_policy = crate::inventory::Observed::Present(doc(grants));
            });
        let cx = crate::analyze::Context::new(&fixture.inventory, now());
        let route =
            cx.graph.event_routes.iter().find(|r| r.function_arn() == function_arn("listener")).expect("an edge");
        assert_eq!(route.hops[0].arn, topic_arn("unlisted"));
        assert!(route.hops[1].label.contains("not listed"), "{:?}", route.hops[1]);
    }
}
