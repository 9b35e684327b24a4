//! Topics, queues and event buses: who may write to (or read from) them, and whether they are encrypted.
//! Their policies go through the shared resource-policy check; what a public one sets off downstream comes
//! from the graph's event chains.

use crate::finding::Details;

use serde_json::json;

use super::resource_policy::{Admits, openings};
use super::{Draft, Evidence, Rule, RuleMeta};
use crate::analyze::Context;
use crate::analyze::policy::principals::{PUBLIC_RESTRICTING_KEYS, action_matches};
use crate::analyze::policy::{Policy, Statement};
use crate::inventory::Observed;
use crate::inventory::sqs::QueueEncryption;
use crate::score::{BlastRadius, Exposure, RiskInputs};

/// What a public topic policy must not allow: publishing, subscribing (reading every message), and taking
/// over the topic.
const TOPIC_ACTIONS: &[&str] = &[
    "sns:Publish",
    "sns:Subscribe",
    "sns:SetTopicAttributes",
    "sns:AddPermission",
    "sns:RemovePermission",
    "sns:DeleteTopic",
];
/// Sending, receiving or deleting messages, and changing the queue's attributes or permissions.
const QUEUE_ACTIONS: &[&str] = &[
    "sqs:SendMessage",
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:PurgeQueue",
    "sqs:SetQueueAttributes",
    "sqs:AddPermission",
];
/// Putting events, and adding rules or targets that copy the bus's events elsewhere.
const BUS_ACTIONS: &[&str] =
    &["events:PutEvents", "events:PutRule", "events:PutTargets", "events:DeleteRule", "events:RemoveTargets"];

/// The most an attacker sets off by writing to `source_arn`: the worst blast radius among the functions its
/// event chains reach.
fn downstream_blast(cx: &Context<'_>, source_arn: &str) -> Option<(BlastRadius, String)> {
    let graph = &cx.graph;
    graph
        .event_routes
        .iter()
        .filter(|r| graph.event_sources[r.source].hop.arn == source_arn)
        .filter_map(|r| {
            let (blast, what) = cx.function_blast(r.function_arn())?;
            Some((blast, format!("it triggers {}: {what}", r.describe())))
        })
        .min_by(|a, b| a.0.cmp(&b.0))
}

/// The statements that let anyone at any of `actions`, each with the actions it allows.
fn public_statements<'p>(
    cx: &Context<'_>,
    policy: &'p Policy,
    actions: &'static [&'static str],
) -> Vec<(&'p Statement, Vec<&'static str>)> {
    openings(cx, policy, actions, PUBLIC_RESTRICTING_KEYS)
        .into_iter()
        .filter(|o| o.admits == Admits::Anyone)
        .map(|o| (o.statement, actions.iter().copied().filter(|a| action_matches(o.statement, &[a])).collect()))
        .collect()
}

/// A public-policy finding on a topic, queue or bus.
struct PublicResource<'a> {
    arn: &'a str,
    region: &'a str,
    /// "topic orders-events".
    what: String,
    actions: &'static [&'static str],
}

fn emit_public(cx: &Context<'_>, resource: PublicResource<'_>, out: &mut super::Emitter) {
    let Some(policy) = cx.resource_policies.get(resource.arn) else { return };
    for (statement, allowed) in public_statements(cx, policy, resource.actions) {
        let mut evidence = super::statement_evidence(
            format!(
                "statement {} of the policy of {} lets any AWS principal {} with no restricting condition",
                statement.label(),
                resource.what,
                allowed.join(", ")
            ),
            format!("access policy of {}, statement {}", resource.arn, statement.label()),
            statement,
        );
        evidence.details.insert("allowed_actions".into(), json!(allowed));
        // Subscribing to a topic or receiving from a queue reads every message, not only injects one.
        let reads = allowed.iter().any(|a| matches!(*a, "sns:Subscribe" | "sqs:ReceiveMessage"));
        let verb = if reads { "write to and read from" } else { "write to" };
        let risk = RiskInputs {
            exposure: Some((Exposure::AnyAwsPrincipal, format!("any AWS principal can call {}", allowed.join(", ")))),
            blast: downstream_blast(cx, resource.arn),
            ..RiskInputs::default()
        };
        out.emit(
            Draft::new(
                resource.arn,
                resource.region,
                statement.label(),
                format!("Anyone can {verb} {}", resource.what),
            )
            .evidence(evidence)
            .risk(risk),
        );
    }
}

pub static TOPIC_PUBLIC_POLICY: Rule = Rule {
    meta: RuleMeta {
        id: "sns-topic-public-policy",
        title: "SNS topic policy lets any principal publish or subscribe",
        rationale: "A topic policy statement with Principal `*` and no condition restricting the caller (aws:SourceOwner or aws:SourceAccount, aws:SourceArn, aws:PrincipalOrgID, aws:PrincipalAccount …) lets any AWS account publish messages that the topic's subscribers act on, or subscribe and receive every message. The default policy the console writes, scoped by AWS:SourceOwner to the topic's own account, does not trigger it.",
        remediation: "Replace Principal `*` with the publishing accounts or services, or add an aws:SourceAccount / aws:SourceArn / aws:PrincipalOrgID condition: `aws sns set-topic-attributes --attribute-name Policy`.",
        references: &["AWS FSBP SNS.4", "https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html"],
    },
    check: |cx, _, out| {
        for topic in cx.inventory.sns.topics.values() {
            let what = format!("topic {}", topic.name);
            emit_public(
                cx,
                PublicResource { arn: &topic.arn, region: &topic.region, what, actions: TOPIC_ACTIONS },
                out,
            );
        }
    },
};

pub static QUEUE_PUBLIC_POLICY: Rule = Rule {
    meta: RuleMeta {
        id: "sqs-queue-public-policy",
        title: "SQS queue policy lets any principal send or receive messages",
        rationale: "A queue policy statement with Principal `*` and no restricting condition lets any AWS account send messages that the queue's consumers process, or receive and delete the queue's messages. Grants scoped by aws:SourceArn (a topic or rule of the account sending to the queue), aws:SourceAccount or aws:PrincipalOrgID do not trigger it.",
        remediation: "Name the sending principal or service and add an aws:SourceArn or aws:SourceAccount condition: `aws sqs set-queue-attributes --attributes Policy=…`.",
        references: &[
            "AWS FSBP SQS.3",
            "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-basic-examples-of-sqs-policies.html",
        ],
    },
    check: |cx, _, out| {
        for queue in cx.inventory.sqs.queues.values() {
            let what = format!("queue {}", queue.name);
            emit_public(
                cx,
                PublicResource { arn: &queue.arn, region: &queue.region, what, actions: QUEUE_ACTIONS },
                out,
            );
        }
    },
};

pub static BUS_PUBLIC_POLICY: Rule = Rule {
    meta: RuleMeta {
        id: "eventbridge-bus-public-policy",
        title: "EventBridge event bus policy lets any account put events",
        rationale: "An event bus policy statement with Principal `*` and no restricting condition lets any AWS account put events on the bus (which its rules route to functions, queues and topics) or add rules to it. A bus shared with the organization through aws:PrincipalOrgID, or with named accounts, does not trigger it.",
        remediation: "Restrict the statement to the organization (`aws:PrincipalOrgID`) or to named accounts: `aws events put-permission` / `remove-permission`.",
        references: &["https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-perms.html"],
    },
    check: |cx, _, out| {
        for bus in cx.inventory.eventbridge.buses.values() {
            let what = format!("event bus {}", bus.name);
            emit_public(cx, PublicResource { arn: &bus.arn, region: &bus.region, what, actions: BUS_ACTIONS }, out);
        }
    },
};

/// An encryption finding on a topic or queue: the resource is its own evidence.
fn unencrypted(arn: &str, region: &str, summary: String, title: String) -> Draft {
    let evidence = Evidence { summary, location: Some(arn.to_owned()), statement: None, details: Details::new() };
    Draft::new(arn, region, "", title).evidence(evidence)
}

pub static TOPIC_UNENCRYPTED: Rule = Rule {
    meta: RuleMeta {
        id: "sns-topic-unencrypted",
        title: "SNS topic not encrypted at rest with a KMS key",
        rationale: "Without a KMS key, messages waiting for delivery are stored under keys only AWS controls: no key policy limits who can read them and no CloudTrail event records their decryption. Topics with an AWS managed (alias/aws/sns) or customer managed key do not trigger it; a topic whose attributes could not be read is not judged.",
        remediation: "Set a key: `aws sns set-topic-attributes --attribute-name KmsMasterKeyId --attribute-value alias/aws/sns` (or a customer managed key, whose policy must let the publishing services use it).",
        references: &["AWS FSBP SNS.1", "https://docs.aws.amazon.com/sns/latest/dg/sns-server-side-encryption.html"],
    },
    check: |cx, _, out| {
        for topic in cx.inventory.sns.topics.values().filter(|t| t.kms_key == Observed::Absent) {
            let summary = format!("topic {} has no KmsMasterKeyId", topic.name);
            let title = format!("SNS topic {} is not encrypted with a KMS key", topic.name);
            out.emit(unencrypted(&topic.arn, &topic.region, summary, title));
        }
    },
};

pub static QUEUE_UNENCRYPTED: Rule = Rule {
    meta: RuleMeta {
        id: "sqs-queue-unencrypted",
        title: "SQS queue without server-side encryption",
        rationale: "A queue with neither SSE-SQS nor a KMS key stores its messages unencrypted at rest. Queues with SSE-SQS (the default for new queues) or a KMS key do not trigger it; a queue whose attributes could not be read is not judged.",
        remediation: "Turn on SSE-SQS (`aws sqs set-queue-attributes --attributes SqsManagedSseEnabled=true`) or set a KmsMasterKeyId.",
        references: &[
            "AWS FSBP SQS.1",
            "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-server-side-encryption.html",
        ],
    },
    check: |cx, _, out| {
        for queue in cx.inventory.sqs.queues.values().filter(|q| q.encryption == Observed::<QueueEncryption>::Absent) {
            let summary = format!("queue {} has neither SqsManagedSseEnabled nor a KmsMasterKeyId", queue.name);
            let title = format!("SQS queue {} is not encrypted at rest", queue.name);
            out.emit(unencrypted(&queue.arn, &queue.region, summary, title));
        }
    },
};

#[cfg(test)]
mod tests {
    use crate::rules::fixture::*;

    #[test]
    fn public_topic_queue_and_bus_policies() {
        let fixture = event_account();
        let topics = fixture.findings("sns-topic-public-policy");
        let queues = fixture.findings("sqs-queue-public-policy");
        let buses = fixture.findings("eventbridge-bus-public-policy");
        insta::assert_yaml_snapshot!(summary(&[topics.clone(), queues.clone(), buses.clone()].concat()));
        let on = |found: &[crate::rules::Finding]| found.iter().map(|f| f.resource_arn.clone()).collect::<Vec<_>>();
        assert_eq!(on(&topics), [topic_arn("orders-events")], "the default SourceOwner policy is restricted");
        assert_eq!(on(&queues), [queue_arn("open-queue")], "a grant to SNS scoped by SourceArn is not public");
        assert_eq!(buses.len(), 1, "the organization's bus is not public; `arn:aws:iam::*:root` is everyone");
        assert!(buses[0].resource_arn.ends_with(":event-bus/default"));
        let blast = topics[0].factors.iter().find(|f| f.name == "blast_radius").expect("what publishing sets off");
        assert_eq!(blast.value, "admin", "the topic reaches order-processor through the queue: {}", blast.reason);
        assert_eq!(
            queues[0].evidence.details["allowed_actions"],
            serde_json::json!(["sqs:SendMessage", "sqs:ReceiveMessage"])
        );
    }

    #[test]
    fn unencrypted_topics_and_queues() {
        let fixture = event_account()
            .topic("unknown", None, |t| t.kms_key = crate::inventory::Observed::Unknown)
            .queue("kms-queue", None, |q| {
                q.encryption =
                    crate::inventory::Observed::Present(crate::inventory::sqs::QueueEncryption::Kms("alias/app".into()))
            });
        let topics = fixture.findings("sns-topic-unencrypted");
        let queues = fixture.findings("sqs-queue-unencrypted");
        insta::assert_yaml_snapshot!(summary(&[topics.clone(), queues.clone()].concat()));
        assert_eq!(topics.len(), 1, "a keyed topic, and one whose attributes are unknown, are not reported");
        assert_eq!(topics[0].resource_arn, topic_arn("orders-events"));
        assert_eq!(queues.len(), 1, "SSE-SQS and a KMS key both encrypt");
        assert_eq!(queues[0].resource_arn, queue_arn("open-queue"));
    }
}
