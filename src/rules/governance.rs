//! The organization's own policy over its resources, read from tags: data that must stay in certain
//! regions (`[policy.residency]`), and tags every resource of a kind must carry (`[[policy.required_tags]]`).
//! Both need the policy file: without one they report nothing. A resource whose tags could not be read is
//! not judged.

use serde_json::json;

use super::{Draft, Evidence, Rule, RuleMeta};
use crate::finding::Details;

pub static DATA_RESIDENCY_VIOLATION: Rule = Rule {
    meta: RuleMeta {
        id: "data-residency-violation",
        title: "Resource holds data of a classification outside the regions the policy allows for it",
        rationale: "A resource tagged with a data classification (the policy file's `[policy.residency]`, tag `data-classification` unless `tag_key` names another) must live in one of the regions allowed for that classification: personal data kept in the EU, for example. A function, secret, key, topic, queue, log group or API in another region moves that data where contracts and law may forbid it. Resources without the tag, classifications the policy does not list, global resources (IAM) and resources whose tags could not be read do not trigger it.",
        remediation: "Move the resource (and its data) to an allowed region and delete it where it is, or correct its classification tag if the data is not what it says; `aws resourcegroupstaggingapi get-resources --tag-filters Key=data-classification,Values=personal` lists what carries a classification.",
        references: &[
            "GDPR Art. 44",
            "https://docs.aws.amazon.com/whitepapers/latest/navigating-gdpr-compliance/data-residency.html",
        ],
    },
    check: |cx, _, out| {
        let residency = &cx.settings.residency;
        if residency.allowed.is_empty() {
            return;
        }
        for resource in cx.inventory.taggable().into_iter().filter(|r| r.region != "global") {
            let Some(classification) = resource.tags.and_then(|t| t.get(&residency.tag_key)) else { continue };
            let Some(allowed) = residency.allowed.get(classification) else { continue };
            if allowed.iter().any(|r| r == resource.region) {
                continue;
            }
            let name = cx.inventory.describe(resource.arn).unwrap_or_else(|| resource.arn.to_owned());
            let mut details = Details::new();
            details.insert("tag_key".into(), json!(residency.tag_key));
            details.insert("classification".into(), json!(classification));
            details.insert("allowed_regions".into(), json!(allowed));
            let evidence = Evidence {
                summary: format!(
                    "{name} is tagged {}={classification} and is in {}; the policy allows {} for {classification} data",
                    residency.tag_key,
                    resource.region,
                    allowed.join(", ")
                ),
                location: Some(resource.arn.to_owned()),
                statement: None,
                details,
            };
            let title =
                format!("{name} holds {classification} data in {}, outside {}", resource.region, allowed.join(", "));
            out.emit(Draft::new(resource.arn, resource.region, classification, title).evidence(evidence));
        }
    },
};

pub static RESOURCE_MISSING_REQUIRED_TAG: Rule = Rule {
    meta: RuleMeta {
        id: "resource-missing-required-tag",
        title: "Resource lacks a tag the policy requires of its kind",
        rationale: "Tags are how an organization knows who owns a resource, what data it holds and what it costs; the policy file's `[[policy.required_tags]]` names the keys each kind of resource must carry. One finding per resource, listing every required key it lacks (a key with an empty value counts as missing). Kinds the policy does not name, and resources whose tags could not be read, do not trigger it.",
        remediation: "Tag the resource (`aws resourcegroupstaggingapi tag-resources --resource-arn-list ARN --tags owner=TEAM`; IAM roles and users with `aws iam tag-role` / `tag-user`), and enforce the tags at creation with an SCP or tag policy.",
        references: &[
            "https://docs.aws.amazon.com/whitepapers/latest/tagging-best-practices/tagging-best-practices.html",
        ],
    },
    check: |cx, _, out| {
        let required = &cx.settings.required_tags;
        if required.is_empty() {
            return;
        }
        for resource in cx.inventory.taggable() {
            let Some(tags) = resource.tags else { continue };
            let mut missing: Vec<&str> = required
                .iter()
                .filter(|r| r.kind == resource.kind)
                .flat_map(|r| r.keys.iter())
                .filter(|key| tags.get(*key).is_none_or(|v| v.trim().is_empty()))
                .map(String::as_str)
                .collect();
            missing.sort_unstable();
            missing.dedup();
            if missing.is_empty() {
                continue;
            }
            let name = cx.inventory.describe(resource.arn).unwrap_or_else(|| resource.arn.to_owned());
            let mut details = Details::new();
            details.insert("missing_tags".into(), json!(missing));
            details.insert("kind".into(), json!(resource.kind));
            let evidence = Evidence {
                summary: format!("{name} ({}) has no {} tag", resource.kind, missing.join(", ")),
                location: Some(resource.arn.to_owned()),
                statement: None,
                details,
            };
            let title = format!("{name} lacks the required tag {}", missing.join(", "));
            out.emit(Draft::new(resource.arn, resource.region, "", title).evidence(evidence));
        }
    },
};

#[cfg(test)]
mod tests {
    use crate::analyze::settings::{RequiredTags, Settings};
    use crate::rules::fixture::*;

    fn residency() -> Settings {
        let mut settings = Settings::default();
        settings.residency.allowed.insert("personal".into(), vec!["eu-west-1".into(), "eu-central-1".into()]);
        settings
    }

    fn account() -> Fixture {
        Fixture::new()
            .role("app", lambda_trust(), &[], &[])
            .function("signup", "app", |_| {})
            .function("eu-signup", "app", |f| f.region = "eu-west-1".into())
            .function("metrics", "app", |_| {})
            .function("untagged", "app", |_| {})
            .tag(&function_arn("signup"), &[("data-classification", "personal"), ("owner", "growth")])
            .tag(&function_arn("eu-signup"), &[("data-classification", "personal"), ("owner", "growth")])
            .tag(&function_arn("metrics"), &[("data-classification", "internal"), ("owner", "")])
            .tags_listed(&["us-east-1", "eu-west-1"])
    }

    #[test]
    fn data_residency_violation() {
        let fixture = account();
        let found = fixture.findings_under("data-residency-violation", &residency());
        insta::assert_yaml_snapshot!(summary(&found));
        let arns: Vec<&str> = found.iter().map(|f| f.resource_arn.as_str()).collect();
        assert_eq!(arns, [function_arn("signup")], "the EU copy, other classifications and untagged ones pass");
        assert!(fixture.findings("data-residency-violation").is_empty(), "no residency policy, nothing to judge");
        // A region whose tags could not be read is not judged.
        let mut unread = account();
        unread.inventory.tagging.listed_regions.clear();
        unread.inventory.tagging.resources.clear();
        assert!(unread.findings_under("data-residency-violation", &residency()).is_empty());
    }

    #[test]
    fn resource_missing_required_tag() {
        let mut settings = Settings::default();
        settings.required_tags.push(RequiredTags { kind: "lambda_function".into(), keys: vec!["owner".into()] });
        settings
            .required_tags
            .push(RequiredTags { kind: "iam_role".into(), keys: vec!["owner".into(), "team".into()] });
        let found = account().findings_under("resource-missing-required-tag", &settings);
        insta::assert_yaml_snapshot!(summary(&found));
        let mut titles: Vec<&str> = found.iter().map(|f| f.title.as_str()).collect();
        titles.sort_unstable();
        assert_eq!(
            titles,
            [
                "function metrics lacks the required tag owner",
                "function untagged lacks the required tag owner",
                "role app lacks the required tag owner, team",
            ],
            "an empty value is missing; tagged functions pass"
        );
    }
}
