//! Synthetic inventories for benchmarks: many principals and functions with a realistic mix of policies
//! (least-privilege, service wildcards, escalation combinations, administrators), trust policies, resource
//! policies, environment variables and API routes. Deterministic: the same sizes give the same inventory.

#![allow(dead_code)] // each bench uses part of it

use std::collections::BTreeMap;

use chrono::{Duration, TimeZone, Utc};
use serde_json::json;
use stance::ScanReport;
use stance::assess::Analysis;
use stance::inventory::apigateway::*;
use stance::inventory::iam::*;
use stance::inventory::lambda::*;
use stance::inventory::*;
use stance::mutes::MuteReport;
use stance::rules::{Evidence, Finding, RULES, fingerprint};
use stance::score::Factor;
use stance::snapshot::Snapshot;

pub const ACCOUNT: &str = "123456789012";

pub fn now() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).single().expect("valid time")
}

fn document(value: serde_json::Value) -> PolicyDocument {
    PolicyDocument::parse(&value.to_string())
}

/// The inline policies roles draw from, round robin.
fn role_policy(i: usize) -> serde_json::Value {
    match i % 10 {
        0 => {
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"], "Resource": format!("arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/t{i}")}]})
        }
        1 => json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}),
        2 => {
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"], "Resource": "*"}]})
        }
        3 => {
            json!({"Version": "2012-10-17", "Statement": [{"Sid": "Broad", "Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"}]})
        }
        4 => {
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage"], "Resource": format!("arn:aws:sqs:us-east-1:{ACCOUNT}:q{i}")}, {"Effect": "Allow", "Action": "logs:*", "Resource": "*"}]})
        }
        5 => {
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["ec2:Describe*", "s3:Get*", "s3:List*"], "Resource": "*"}, {"Effect": "Deny", "NotAction": ["ec2:Describe*", "s3:Get*", "s3:List*"], "Resource": "*"}]})
        }
        6 => {
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:CreatePolicyVersion", "Resource": "*", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]})
        }
        7 => {
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue", "kms:Decrypt"], "Resource": [format!("arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:s{i}"), "arn:aws:kms:us-east-1:123456789012:key/k"]}]})
        }
        8 => {
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["lambda:UpdateFunctionCode", "lambda:GetFunction"], "Resource": format!("arn:aws:lambda:us-east-1:{ACCOUNT}:function:f{i}")}]})
        }
        _ => {
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["cloudwatch:PutMetricData", "xray:PutTraceSegments"], "Resource": "*"}]})
        }
    }
}

fn trust(i: usize) -> serde_json::Value {
    match i % 20 {
        0 => {
            json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "sts:AssumeRole"}]})
        }
        1 => {
            json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-1"}}}]})
        }
        2 => {
            json!({"Statement": [{"Effect": "Allow", "Principal": {"Federated": format!("arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com")}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/*"}}}]})
        }
        _ => {
            json!({"Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
        }
    }
}

/// An inventory of `roles` roles (plus 1 admin managed policy), `functions` functions spread over them,
/// and one REST API per 25 functions with an open and an authorized method.
pub fn inventory(roles: usize, functions: usize) -> Inventory {
    let redactor = Redactor::from_key_material(b"bench");
    let admin_arn = "arn:aws:iam::aws:policy/AdministratorAccess".to_owned();
    let mut iam = IamInventory::default();
    iam.managed_policies.insert(
        admin_arn.clone(),
        ManagedPolicy {
            arn: admin_arn.clone(),
            name: "AdministratorAccess".into(),
            path: "/".into(),
            aws_managed: true,
            default_version_id: Some("v1".into()),
            document: Some(document(json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))),
            attachment_count: None,
            create_date: None,
            update_date: None,
        },
    );
    for i in 0..roles {
        let arn = format!("arn:aws:iam::{ACCOUNT}:role/r{i:05}");
        iam.roles.insert(
            arn.clone(),
            IamRole {
                arn,
                name: format!("r{i:05}"),
                id: format!("AROA{i:016}"),
                path: "/".into(),
                create_date: Some(now() - Duration::days((i % 500) as i64)),
                trust_policy: document(trust(i)),
                inline_policies: vec![InlinePolicy { name: "main".into(), document: document(role_policy(i)) }],
                attached_policies: if i % 97 == 0 {
                    vec![AttachedPolicy { name: "AdministratorAccess".into(), arn: admin_arn.clone() }]
                } else {
                    Vec::new()
                },
                permissions_boundary: None,
                max_session_duration: None,
                last_used: Some(RoleLastUsed {
                    date: (i % 3 == 0).then(|| now() - Duration::days((i % 200) as i64)),
                    region: None,
                }),
                tags: BTreeMap::new(),
            },
        );
    }
    let mut lambda = LambdaInventory::default();
    for i in 0..functions {
        let arn = format!("arn:aws:lambda:us-east-1:{ACCOUNT}:function:f{i:05}");
        let mut environment = BTreeMap::new();
        environment.insert("TABLE_NAME".to_owned(), redactor.redact("TABLE_NAME", format!("t{i}")));
        if i % 11 == 0 {
            environment.insert("DB_PASSWORD".to_owned(), redactor.redact("DB_PASSWORD", format!("pw-{i}-secret")));
        }
        lambda.functions.insert(
            arn.clone(),
            LambdaFunction {
                arn: arn.clone(),
                name: format!("f{i:05}"),
                region: "us-east-1".into(),
                runtime: Some(["python3.12", "nodejs16.x", "python3.8", "nodejs22.x"][i % 4].into()),
                package_type: Some("Zip".into()),
                handler: Some("h.h".into()),
                role: Some(format!("arn:aws:iam::{ACCOUNT}:role/r{:05}", i % roles.max(1))),
                environment,
                kms_key_arn: None,
                tracing_mode: Some(if i % 2 == 0 { "Active" } else { "PassThrough" }.into()),
                vpc: None,
                layers: Vec::new(),
                dead_letter_target: None,
                architectures: vec!["x86_64".into()],
                memory_mb: Some(128),
                timeout_s: Some(3),
                last_modified: None,
                resource_policy: if i % 13 == 0 {
                    Observed::Present(document(json!({"Statement": [{"Sid": "p", "Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction", "Resource": arn}]})))
                } else {
                    Observed::Absent
                },
                function_urls: Some(Vec::new()),
                log_group: None,
            },
        );
    }
    let mut rest = RestInventory::default();
    for a in 0..functions / 25 {
        let id = format!("api{a:04}");
        let methods = ["GET", "POST"]
            .iter()
            .enumerate()
            .map(|(m, verb)| RestMethod {
                arn: arn::rest_method("us-east-1", &id, "r", verb),
                http_method: (*verb).into(),
                authorization_type: if m == 0 { "NONE" } else { "AWS_IAM" }.into(),
                authorizer_id: None,
                api_key_required: false,
                integration: Some(Integration {
                    integration_type: Some("AWS_PROXY".into()),
                    uri: None,
                    lambda_arn: Some(format!(
                        "arn:aws:lambda:us-east-1:{ACCOUNT}:function:f{:05}",
                        (a * 25 + m) % functions.max(1)
                    )),
                    connection_type: None,
                }),
            })
            .collect();
        let api = RestApi {
            arn: arn::rest_api("us-east-1", &id),
            id: id.clone(),
            name: id.clone(),
            region: "us-east-1".into(),
            endpoint_types: vec!["REGIONAL".into()],
            created_date: None,
            resource_policy: None,
            api_key_source: None,
            disable_execute_api_endpoint: false,
            tags: Default::default(),
            resources: Some(vec![RestResource { id: "r".into(), path: "/items".into(), methods }]),
            authorizers: Some(Vec::new()),
            stages: Some(Vec::new()),
        };
        rest.apis.insert(api.arn.clone(), api);
    }
    // One secret per ten roles: the roles of policy 7 read "their" secret, the NotAction roles read them all.
    let mut secretsmanager = stance::inventory::secretsmanager::SecretsInventory::default();
    for i in (7..roles).step_by(10) {
        let arn = format!("arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:s{i}");
        let secret = stance::inventory::secretsmanager::Secret {
            arn: arn.clone(),
            name: format!("s{i}"),
            region: "us-east-1".into(),
            kms_key_id: (i % 20 == 7).then(|| format!("arn:aws:kms:us-east-1:{ACCOUNT}:key/k")),
            rotation_enabled: i % 3 == 0,
            rotation: None,
            rotation_lambda_arn: None,
            last_rotated: None,
            next_rotation: None,
            last_accessed: None,
            created: Some(now()),
            last_changed: None,
            deletion_date: None,
            owning_service: None,
            tags: Default::default(),
            resource_policy: stance::inventory::Observed::Absent,
        };
        secretsmanager.secrets.insert(arn, secret);
    }
    Inventory {
        account: AccountIdentity {
            account_id: ACCOUNT.into(),
            partition: "aws".into(),
            caller_arn: format!("arn:aws:iam::{ACCOUNT}:user/bench"),
        },
        scan: ScanMetadata {
            tool_version: "bench".into(),
            started_at: now(),
            finished_at: now(),
            as_of: now(),
            regions: vec![RegionStatus::Scanned { region: "us-east-1".into() }],
            requests: RequestStats::default(),
        },
        iam,
        lambda,
        apigateway: rest,
        secretsmanager,
        ..Inventory::default()
    }
}

/// Findings per synthetic snapshot.
pub const FINDINGS: usize = 100_000;

pub fn finding(i: usize, generation: u8) -> Finding {
    let rule = RULES[i % RULES.len()];
    let resource = format!("arn:aws:lambda:us-east-1:{}:function:f{:06}", ACCOUNT, i / RULES.len());
    let discriminator = format!("d{i}");
    let mut details = stance::finding::Details::new();
    details.insert("age_days".to_owned(), json!(i % 400));
    Finding {
        rule_id: rule.meta.id.to_owned(),
        category: rule.category,
        severity: rule.severity(),
        // 5% of the findings changed score in the second snapshot.
        score: ((i * 7) % 95) as u8 + u8::from(generation == 1 && i.is_multiple_of(20)),
        factors: vec![Factor {
            name: "severity".into(),
            value: rule.severity().as_str().into(),
            multiplier: 50.0,
            reason: "base points of the severity".into(),
        }],
        fingerprint: fingerprint(rule.meta.id, &resource, &discriminator),
        resource_arn: resource,
        region: "us-east-1".into(),
        title: format!("{} on f{i}", rule.meta.title),
        evidence: Evidence {
            summary: format!("statement #{} allows something it should not", i % 5),
            location: Some(format!("inline policy `p{i}` of role r{i}, statement #0")),
            statement: Some(
                json!({"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": format!("arn:aws:s3:::bucket-{i}/*")}),
            ),
            details,
        },
        remediation: rule.meta.remediation.into(),
        references: rule.meta.references.iter().map(|r| (*r).into()).collect(),
        path: if rule.category.is_path() { vec!["a".into(), "b".into()] } else { Vec::new() },
        muted: None,
    }
}

/// Two snapshots of the same account a week apart: 2% of the findings resolved, 2% new, 5% rescored.
pub fn snapshots() -> (Snapshot, Snapshot) {
    let inventory = inventory(2_000, 1_000);
    let make = |generation: u8| {
        let range = if generation == 0 { 0..FINDINGS } else { FINDINGS / 50..FINDINGS + FINDINGS / 50 };
        let findings: Vec<Finding> = range.map(|i| finding(i, generation)).collect();
        let posture = stance::score::posture(&findings);
        let analysis = Analysis { findings, posture, catalogue_source: "bench".into(), ..Analysis::default() };
        Snapshot::new(ScanReport { inventory: inventory.clone(), analysis }, MuteReport::default())
    };
    (make(0), make(1))
}

pub fn peak_rss_mib() -> f64 {
    status_mib("VmHWM:")
}

/// The resident memory now.
pub fn rss_mib() -> f64 {
    status_mib("VmRSS:")
}

fn status_mib(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}
