//! Small inventories for rule tests: an account, built up resource by resource.

use std::collections::BTreeMap;

use chrono::{Duration, TimeZone, Utc};
use serde_json::{Value, json};

use super::Finding;
use crate::analyze;
use crate::inventory::apigateway::*;
use crate::inventory::cloudtrail::*;
use crate::inventory::eventbridge::*;
use crate::inventory::iam::*;
use crate::inventory::kms::*;
use crate::inventory::lambda::*;
use crate::inventory::secretsmanager::*;
use crate::inventory::sns::*;
use crate::inventory::sqs::*;
use crate::inventory::ssm::*;
use crate::inventory::*;
use crate::inventory::{cloudwatch, logs};

pub const ACCOUNT: &str = "123456789012";

/// The evaluation time of every fixture: ages below are counted back from it.
pub fn now() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).single().expect("valid time")
}

pub fn days_ago(days: i64) -> Option<Timestamp> {
    Some(now() - Duration::days(days))
}

pub fn doc(value: Value) -> PolicyDocument {
    PolicyDocument::parse(&value.to_string())
}

pub fn lambda_trust() -> Value {
    serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
}

pub fn allow(actions: Value, resources: Value) -> Value {
    serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": resources}]})
}

fn inline_policies(inline: &[(&str, Value)]) -> Vec<InlinePolicy> {
    inline.iter().map(|(n, d)| InlinePolicy { name: (*n).into(), document: doc(d.clone()) }).collect()
}

fn attached_policies(managed: &[&str]) -> Vec<AttachedPolicy> {
    managed
        .iter()
        .map(|a| AttachedPolicy { name: a.rsplit('/').next().unwrap_or(a).into(), arn: (*a).into() })
        .collect()
}

pub struct Fixture {
    pub inventory: Inventory,
}

impl Fixture {
    pub fn new() -> Self {
        let inventory = Inventory {
            account: AccountIdentity {
                account_id: ACCOUNT.into(),
                partition: "aws".into(),
                caller_arn: format!("arn:aws:iam::{ACCOUNT}:user/auditor"),
            },
            scan: ScanMetadata {
                tool_version: "test".into(),
                started_at: now(),
                finished_at: now(),
                as_of: now(),
                regions: vec![RegionStatus::Scanned { region: "us-east-1".into() }],
                requests: RequestStats::default(),
            },
            ..Inventory::default()
        };
        Fixture { inventory }
    }

    pub fn role(mut self, name: &str, trust: Value, inline: &[(&str, Value)], managed: &[&str]) -> Self {
        let arn = format!("arn:aws:iam::{ACCOUNT}:role/{name}");
        self.inventory.iam.roles.insert(
            arn.clone(),
            IamRole {
                arn,
                name: name.into(),
                id: format!("AROA{name}"),
                path: "/".into(),
                create_date: days_ago(10),
                trust_policy: doc(trust),
                inline_policies: inline_policies(inline),
                attached_policies: attached_policies(managed),
                permissions_boundary: None,
                max_session_duration: None,
                last_used: Some(RoleLastUsed { date: None, region: None }),
                tags: BTreeMap::new(),
            },
        );
        self
    }

    pub fn edit_role(mut self, name: &str, edit: impl FnOnce(&mut IamRole)) -> Self {
        let arn = format!("arn:aws:iam::{ACCOUNT}:role/{name}");
        if let Some(role) = self.inventory.iam.roles.get_mut(&arn) {
            edit(role);
        }
        self
    }

    pub fn managed_policy(mut self, arn: &str, document: Value) -> Self {
        self.inventory.iam.managed_policies.insert(
            arn.into(),
            ManagedPolicy {
                arn: arn.into(),
                name: arn.rsplit('/').next().unwrap_or(arn).into(),
                path: "/".into(),
                aws_managed: arn.contains(":aws:policy/"),
                default_version_id: Some("v1".into()),
                document: Some(doc(document)),
                attachment_count: Some(1),
                create_date: None,
                update_date: None,
            },
        );
        self
    }

    pub fn user(mut self, name: &str, edit: impl FnOnce(&mut IamUser)) -> Self {
        let arn = format!("arn:aws:iam::{ACCOUNT}:user/{name}");
        let mut user = IamUser {
            arn: arn.clone(),
            name: name.into(),
            id: format!("AIDA{name}"),
            path: "/".into(),
            create_date: days_ago(400),
            groups: Vec::new(),
            inline_policies: Vec::new(),
            attached_policies: Vec::new(),
            permissions_boundary: None,
            access_keys: Some(Vec::new()),
            mfa_devices: Some(Vec::new()),
            console_access: Observed::Absent,
            tags: BTreeMap::new(),
        };
        edit(&mut user);
        self.inventory.iam.users.insert(arn, user);
        self
    }

    pub fn group(mut self, name: &str, inline: &[(&str, Value)], managed: &[&str]) -> Self {
        let arn = format!("arn:aws:iam::{ACCOUNT}:group/{name}");
        self.inventory.iam.groups.insert(
            arn.clone(),
            IamGroup {
                arn,
                name: name.into(),
                path: "/".into(),
                create_date: None,
                inline_policies: inline_policies(inline),
                attached_policies: attached_policies(managed),
            },
        );
        self
    }

    pub fn function(mut self, name: &str, role: &str, edit: impl FnOnce(&mut LambdaFunction)) -> Self {
        let arn = function_arn(name);
        let mut function = LambdaFunction {
            arn: arn.clone(),
            name: name.into(),
            region: "us-east-1".into(),
            runtime: Some("python3.12".into()),
            package_type: Some("Zip".into()),
            handler: Some("handler.handler".into()),
            role: Some(format!("arn:aws:iam::{ACCOUNT}:role/{role}")),
            environment: BTreeMap::new(),
            kms_key_arn: None,
            tracing_mode: Some("Active".into()),
            vpc: None,
            layers: Vec::new(),
            dead_letter_target: None,
            architectures: vec!["x86_64".into()],
            memory_mb: Some(128),
            timeout_s: Some(3),
            last_modified: None,
            resource_policy: Observed::Absent,
            function_urls: Some(Vec::new()),
            log_group: None,
        };
        edit(&mut function);
        self.inventory.lambda.functions.insert(arn, function);
        self
    }

    /// A deployed REST API with one resource whose methods are `(verb, authorization, api key, lambda)`.
    pub fn rest_api(
        mut self,
        name: &str,
        path: &str,
        methods: &[(&str, &str, bool, Option<&str>)],
        edit: impl FnOnce(&mut RestApi),
    ) -> Self {
        let id = format!("{name}-id");
        let region = "us-east-1";
        let mut api = RestApi {
            arn: arn::rest_api(region, &id),
            id: id.clone(),
            name: name.into(),
            region: region.into(),
            endpoint_types: vec!["REGIONAL".into()],
            created_date: days_ago(30),
            resource_policy: None,
            api_key_source: None,
            tags: Default::default(),
            disable_execute_api_endpoint: false,
            resources: Some(vec![RestResource {
                id: "r1".into(),
                path: path.into(),
                methods: methods
                    .iter()
                    .map(|(verb, auth, key, function)| RestMethod {
                        arn: arn::rest_method(region, &id, "r1", verb),
                        http_method: (*verb).into(),
                        authorization_type: (*auth).into(),
                        authorizer_id: None,
                        api_key_required: *key,
                        integration: Some(Integration {
                            integration_type: Some(if function.is_some() { "AWS_PROXY" } else { "MOCK" }.into()),
                            uri: None,
                            lambda_arn: function.map(function_arn),
                            connection_type: None,
                        }),
                    })
                    .collect(),
            }]),
            authorizers: Some(Vec::new()),
            stages: Some(vec![RestStage {
                arn: arn::rest_stage(region, &id, "prod"),
                name: "prod".into(),
                deployment_id: Some("d1".into()),
                method_settings: BTreeMap::new(),
                access_log: Some(AccessLog {
                    destination_arn: Some("arn:aws:logs:us-east-1:123456789012:log-group:x".into()),
                    format: None,
                }),
                tracing_enabled: false,
                web_acl_arn: None,
                client_certificate_id: None,
                cache_cluster_enabled: false,
                created_date: None,
                last_updated_date: None,
            }]),
        };
        edit(&mut api);
        self.inventory.apigateway.apis.insert(api.arn.clone(), api);
        self
    }

    /// An HTTP or WebSocket API whose routes are `(route key, authorization, api key, lambda)`.
    pub fn http_api(
        mut self,
        name: &str,
        protocol: &str,
        routes: &[(&str, &str, bool, Option<&str>)],
        access_logs: bool,
    ) -> Self {
        let id = format!("{name}-id");
        let region = "us-east-1";
        let integrations: Vec<HttpIntegration> = routes
            .iter()
            .enumerate()
            .map(|(i, (_, _, _, function))| HttpIntegration {
                arn: arn::http_integration(region, &id, &format!("i{i}")),
                id: format!("i{i}"),
                integration: Integration {
                    integration_type: Some(if function.is_some() { "AWS_PROXY" } else { "HTTP_PROXY" }.into()),
                    uri: None,
                    lambda_arn: function.map(function_arn),
                    connection_type: None,
                },
            })
            .collect();
        let api = HttpApi {
            arn: arn::http_api(region, &id),
            id: id.clone(),
            name: name.into(),
            region: region.into(),
            protocol_type: protocol.into(),
            endpoint: None,
            disable_execute_api_endpoint: false,
            api_key_selection_expression: None,
            cors: None,
            created_date: None,
            tags: Default::default(),
            routes: Some(
                routes
                    .iter()
                    .enumerate()
                    .map(|(i, (key, auth, api_key, function))| Route {
                        arn: arn::http_route(region, &id, &format!("r{i}")),
                        id: format!("r{i}"),
                        route_key: (*key).into(),
                        authorization_type: (*auth).into(),
                        authorizer_id: None,
                        api_key_required: *api_key,
                        target: Some(format!("integrations/i{i}")),
                        integration_id: Some(format!("i{i}")),
                        lambda_arn: function.map(function_arn),
                    })
                    .collect(),
            ),
            integrations: Some(integrations),
            authorizers: Some(Vec::new()),
            stages: Some(vec![HttpStage {
                arn: arn::http_stage(region, &id, "$default"),
                name: "$default".into(),
                auto_deploy: true,
                access_log: access_logs.then(|| AccessLog {
                    destination_arn: Some("arn:aws:logs:us-east-1:123456789012:log-group:y".into()),
                    format: None,
                }),
                default_logging_level: None,
                default_data_trace_enabled: false,
                created_date: None,
            }]),
        };
        self.inventory.apigatewayv2.apis.insert(api.arn.clone(), api);
        self
    }

    pub fn api_key(mut self, name: &str, enabled: bool, age_days: i64) -> Self {
        let arn = arn::api_key("us-east-1", name);
        self.inventory.apigateway.api_keys.insert(
            arn.clone(),
            ApiKey {
                arn,
                id: name.into(),
                name: Some(name.into()),
                region: "us-east-1".into(),
                enabled,
                created_date: days_ago(age_days),
                last_updated_date: None,
                stage_keys: Vec::new(),
            },
        );
        self
    }

    /// Every finding of the rule with this id.
    /// The findings of one rule, in rank order. Only that rule runs; an attack path gets the findings of
    /// the other rules to chain, as in a full analysis.
    /// A secret in us-east-1 created `age_days` ago, never rotated, under the AWS managed key.
    pub fn secret(mut self, name: &str, age_days: i64, edit: impl FnOnce(&mut Secret)) -> Self {
        let arn = secret_arn(name);
        let mut secret = Secret {
            arn: arn.clone(),
            name: name.into(),
            region: "us-east-1".into(),
            kms_key_id: None,
            rotation_enabled: false,
            rotation: None,
            rotation_lambda_arn: None,
            last_rotated: None,
            next_rotation: None,
            last_accessed: days_ago(1),
            created: days_ago(age_days),
            last_changed: days_ago(age_days),
            deletion_date: None,
            owning_service: None,
            tags: BTreeMap::new(),
            resource_policy: Observed::Absent,
        };
        edit(&mut secret);
        self.inventory.secretsmanager.secrets.insert(arn, secret);
        self
    }

    /// An SSM parameter in us-east-1 of type `parameter_type`.
    pub fn parameter(mut self, name: &str, parameter_type: &str) -> Self {
        let arn = arn::ssm_parameter("aws", "us-east-1", ACCOUNT, name);
        let parameter = Parameter {
            arn: arn.clone(),
            name: name.into(),
            region: "us-east-1".into(),
            parameter_type: parameter_type.into(),
            key_id: (parameter_type == "SecureString").then(|| "alias/aws/ssm".into()),
            tier: Some("Standard".into()),
            last_modified: days_ago(10),
            version: 1,
            data_type: Some("text".into()),
            policies: Vec::new(),
        };
        self.inventory.ssm.parameters.insert(arn, parameter);
        self
    }

    /// An enabled customer managed symmetric key in us-east-1 with AWS_KMS material, rotation off, the
    /// default key policy, and the alias `alias/ID`.
    pub fn key(mut self, id: &str, edit: impl FnOnce(&mut Key)) -> Self {
        let arn = key_arn(id);
        let mut key = Key {
            arn: arn.clone(),
            id: id.into(),
            region: "us-east-1".into(),
            described: true,
            manager: Some("CUSTOMER".into()),
            state: Some("Enabled".into()),
            enabled: true,
            deletion_date: None,
            spec: Some("SYMMETRIC_DEFAULT".into()),
            usage: Some("ENCRYPT_DECRYPT".into()),
            origin: Some("AWS_KMS".into()),
            description: None,
            created: days_ago(400),
            multi_region: Some(false),
            rotation_enabled: Observed::Present(false),
            policy: Observed::Present(doc(
                serde_json::json!({"Version": "2012-10-17", "Statement": [{"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}, "Action": "kms:*", "Resource": "*"}]}),
            )),
            aliases: vec![format!("alias/{id}")],
        };
        edit(&mut key);
        let alias_arn = format!("arn:aws:kms:us-east-1:{ACCOUNT}:alias/{id}");
        let alias = Alias {
            arn: alias_arn.clone(),
            name: format!("alias/{id}"),
            region: "us-east-1".into(),
            target_key_id: Some(id.into()),
        };
        self.inventory.kms.aliases.insert(alias_arn, alias);
        self.inventory.kms.keys.insert(arn, key);
        self
    }

    /// A REST custom domain name in us-east-1 with these TLS security policies.
    pub fn rest_domain(mut self, name: &str, security_policies: &[&str]) -> Self {
        let domain = DomainName {
            arn: arn::domain_name("us-east-1", name),
            name: name.into(),
            region: "us-east-1".into(),
            security_policies: security_policies.iter().map(|p| (*p).to_owned()).collect(),
            endpoint_types: vec!["REGIONAL".into()],
            certificate_arns: Vec::new(),
        };
        self.inventory.apigateway.domain_names.insert(domain.arn.clone(), domain);
        self
    }

    /// A trail with its home in `home`: logging, every management event, log file validation, a KMS key and
    /// a CloudWatch Logs group (`trail-NAME` in its home region). Listed from its home region.
    pub fn trail(mut self, name: &str, home: &str, edit: impl FnOnce(&mut Trail)) -> Self {
        let mut trail = Trail {
            arn: format!("arn:aws:cloudtrail:{home}:{ACCOUNT}:trail/{name}"),
            name: name.into(),
            home_region: home.into(),
            listed_in: vec![home.into()],
            multi_region: false,
            organization: false,
            log_file_validation: true,
            kms_key_id: Some(key_arn("trail-key")),
            log_group_arn: Some(logs::log_group_arn("aws", home, ACCOUNT, &format!("trail-{name}"))),
            cloudwatch_role_arn: Some(format!("arn:aws:iam::{ACCOUNT}:role/trail-delivery")),
            include_global_service_events: true,
            s3_bucket: Some("audit-logs".into()),
            status: Observed::Present(TrailStatus {
                is_logging: true,
                latest_delivery: days_ago(0),
                latest_delivery_error: None,
                latest_cloudwatch_logs_delivery_error: None,
            }),
            selectors: Observed::Present(EventSelectors {
                basic: vec![BasicSelector {
                    read_write_type: "All".into(),
                    include_management_events: true,
                    exclude_management_event_sources: vec![],
                    data_resources: vec![],
                }],
                advanced: vec![],
            }),
        };
        edit(&mut trail);
        let listed = &mut self.inventory.cloudtrail.listed_regions;
        if !listed.contains(&trail.home_region) {
            listed.push(trail.home_region.clone());
            listed.sort();
        }
        self.inventory.cloudtrail.trails.insert(trail.arn.clone(), trail);
        self
    }

    pub fn edit_trail(mut self, name: &str, edit: impl FnOnce(&mut Trail)) -> Self {
        let trail = self.inventory.cloudtrail.trails.values_mut().find(|t| t.name == name).expect("a fixture trail");
        edit(trail);
        self
    }

    /// The regions whose trails were listed (replacing those the trails added).
    pub fn listed_trail_regions(mut self, regions: &[&str]) -> Self {
        self.inventory.cloudtrail.listed_regions = regions.iter().map(|r| (*r).to_owned()).collect();
        self
    }

    /// A log group in `region` (`None`: never expires); its region's groups, filters and alarms count as
    /// listed.
    pub fn log_group(mut self, name: &str, region: &str, retention_days: Option<i32>) -> Self {
        let arn = logs::log_group_arn("aws", region, ACCOUNT, name);
        let group = logs::LogGroup {
            arn: arn.clone(),
            name: name.into(),
            region: region.into(),
            retention_days,
            kms_key_id: None,
            created: days_ago(100),
            class: Some("STANDARD".into()),
        };
        self.inventory.logs.groups.insert(arn, group);
        self.list_monitoring(region)
    }

    /// Marks `region`'s log groups, metric filters and alarms as listed in full.
    pub fn list_monitoring(mut self, region: &str) -> Self {
        for listed in [
            &mut self.inventory.logs.listed_regions,
            &mut self.inventory.logs.filters_listed_regions,
            &mut self.inventory.cloudwatch.listed_regions,
        ] {
            if !listed.iter().any(|r| r == region) {
                listed.push(region.into());
                listed.sort();
            }
        }
        self
    }

    /// A metric filter on `group` (in `region`) that counts into metric `CIS/METRIC`.
    pub fn metric_filter(mut self, region: &str, group: &str, name: &str, pattern: &str, metric: &str) -> Self {
        let filter = logs::MetricFilter {
            name: name.into(),
            log_group: group.into(),
            region: region.into(),
            pattern: pattern.into(),
            metrics: vec![logs::MetricName { namespace: "CIS".into(), name: metric.into() }],
        };
        let key = logs::MetricFilter::key("aws", ACCOUNT, region, group, name);
        self.inventory.logs.metric_filters.insert(key, filter);
        self.list_monitoring(region)
    }

    /// An alarm in `region` on metric `CIS/METRIC`, with an SNS action that is enabled or not.
    pub fn alarm(mut self, region: &str, name: &str, metric: &str, actions_enabled: bool) -> Self {
        let alarm = cloudwatch::Alarm {
            arn: format!("arn:aws:cloudwatch:{region}:{ACCOUNT}:alarm:{name}"),
            name: name.into(),
            region: region.into(),
            metrics: vec![logs::MetricName { namespace: "CIS".into(), name: metric.into() }],
            actions_enabled,
            alarm_actions: vec![format!("arn:aws:sns:{region}:{ACCOUNT}:security-alerts")],
            state: Some("OK".into()),
        };
        self.inventory.cloudwatch.alarms.insert(alarm.arn.clone(), alarm);
        self.list_monitoring(region)
    }

    /// A topic in us-east-1 with `policy` (`None`: the console's default, scoped to the account by
    /// AWS:SourceOwner) and no key.
    pub fn topic(mut self, name: &str, policy: Option<Value>, edit: impl FnOnce(&mut Topic)) -> Self {
        let arn = topic_arn(name);
        let policy = policy.unwrap_or_else(|| {
            json!({"Version": "2008-10-17", "Statement": [{"Sid": "__default_statement_ID", "Effect": "Allow",
                "Principal": {"AWS": "*"}, "Action": ["SNS:GetTopicAttributes", "SNS:Subscribe", "SNS:Publish"],
                "Resource": arn, "Condition": {"StringEquals": {"AWS:SourceOwner": ACCOUNT}}}]})
        });
        let mut topic = Topic {
            arn: arn.clone(),
            name: name.into(),
            region: "us-east-1".into(),
            policy: Observed::Present(doc(policy)),
            kms_key: Observed::Absent,
            subscriptions: Some(Vec::new()),
        };
        edit(&mut topic);
        self.inventory.sns.topics.insert(arn, topic);
        self
    }

    /// Subscribes `endpoint` (a function or queue ARN) to the topic `topic`.
    pub fn subscription(mut self, topic: &str, protocol: &str, endpoint: &str) -> Self {
        let topic = self.inventory.sns.topics.get_mut(&topic_arn(topic)).expect("topic added first");
        let subscriptions = topic.subscriptions.get_or_insert_with(Vec::new);
        let arn = format!("{}:sub-{}", topic.arn, subscriptions.len());
        subscriptions.push(Subscription { arn, protocol: protocol.into(), endpoint: Some(endpoint.into()) });
        self
    }

    /// A queue in us-east-1 with `policy` (`None`: no policy) and SSE-SQS.
    pub fn queue(mut self, name: &str, policy: Option<Value>, edit: impl FnOnce(&mut Queue)) -> Self {
        let arn = queue_arn(name);
        let mut queue = Queue {
            arn: arn.clone(),
            name: name.into(),
            region: "us-east-1".into(),
            policy: policy.map_or(Observed::Absent, |p| Observed::Present(doc(p))),
            encryption: Observed::Present(QueueEncryption::SqsManaged),
            dead_letter_target: None,
        };
        edit(&mut queue);
        self.inventory.sqs.queues.insert(arn, queue);
        self
    }

    /// An enabled event source mapping from `source_arn` to the function `function`.
    pub fn mapping(mut self, id: &str, source_arn: &str, function: &str) -> Self {
        let arn = format!("arn:aws:lambda:us-east-1:{ACCOUNT}:event-source-mapping:{id}");
        let mapping = EventSourceMapping {
            arn: arn.clone(),
            uuid: id.into(),
            region: "us-east-1".into(),
            source_arn: Some(source_arn.into()),
            function_arn: function_arn(function),
            state: Some("Enabled".into()),
            filters: Vec::new(),
        };
        self.inventory.lambda.event_source_mappings.insert(arn, mapping);
        self
    }

    /// An event bus in us-east-1 with `policy` (`None`: none) and enabled rules `(name, target ARNs)`.
    pub fn bus(mut self, name: &str, policy: Option<Value>, rules: &[(&str, &[&str])]) -> Self {
        let arn = format!("arn:aws:events:us-east-1:{ACCOUNT}:event-bus/{name}");
        let rules = rules
            .iter()
            .map(|(rule, targets)| EventRule {
                arn: rule_arn(name, rule),
                name: (*rule).into(),
                state: Some("ENABLED".into()),
                schedule: None,
                event_pattern: Some(r#"{"source":["acme.orders"]}"#.into()),
                managed_by: None,
                targets: Some(
                    targets
                        .iter()
                        .enumerate()
                        .map(|(n, t)| RuleTarget { id: format!("t{n}"), arn: (*t).into(), role_arn: None })
                        .collect(),
                ),
            })
            .collect();
        let bus = EventBus {
            arn: arn.clone(),
            name: name.into(),
            region: "us-east-1".into(),
            policy: policy.map_or(Observed::Absent, |p| Observed::Present(doc(p))),
            rules: Some(rules),
        };
        self.inventory.eventbridge.buses.insert(arn, bus);
        self
    }

    /// Edits the rule `name` on any bus.
    pub fn edit_rule(mut self, name: &str, edit: impl FnOnce(&mut EventRule)) -> Self {
        let rule = self
            .inventory
            .eventbridge
            .buses
            .values_mut()
            .flat_map(|b| b.rules.iter_mut().flatten())
            .find(|r| r.name == name)
            .expect("rule added first");
        edit(rule);
        self
    }

    /// Tags `arn` as the Tagging API would list it.
    pub fn tag(mut self, arn: &str, tags: &[(&str, &str)]) -> Self {
        let tags = tags.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        self.inventory.tagging.resources.insert(arn.to_owned(), tags);
        self
    }

    /// The regions whose tags were listed in full.
    pub fn tags_listed(mut self, regions: &[&str]) -> Self {
        self.inventory.tagging.listed_regions = regions.iter().map(|r| (*r).to_owned()).collect();
        self
    }

    /// The account as a member of an organization (no SCP, no peers until `edit` adds them).
    pub fn in_organization(mut self, edit: impl FnOnce(&mut crate::inventory::org::Membership)) -> Self {
        let mut membership = crate::inventory::org::Membership {
            organization: "o-test".into(),
            management_account: "111111111111".into(),
            account_name: "test".into(),
            ou_path: "Root/workloads".into(),
            accounts: vec!["111111111111".into(), ACCOUNT.into(), "222222222222".into()],
            scps: Some(Vec::new()),
            peers: Vec::new(),
        };
        edit(&mut membership);
        self.inventory.organization = Some(membership);
        self
    }

    pub fn findings(&self, rule_id: &str) -> Vec<Finding> {
        self.findings_under(rule_id, analyze::settings::Settings::builtin())
    }

    /// [`Fixture::findings`] under a policy file's settings.
    pub fn findings_under(&self, rule_id: &str, settings: &analyze::settings::Settings) -> Vec<Finding> {
        let rule = super::find_rule(rule_id).unwrap_or_else(|| panic!("no rule `{rule_id}`"));
        let context = analyze::Context::with_settings(&self.inventory, now(), settings);
        let earlier = if rule.link() == super::Link::Path { super::run_checks(&context) } else { Vec::new() };
        let mut findings = super::run_rule(rule, &context, &earlier);
        crate::finding::rank(&mut findings);
        findings
    }
}

/// An advanced event selector recording every Lambda function's data events.
pub fn lambda_data_selector() -> AdvancedSelector {
    let field = |name: &str, value: &str| FieldSelector {
        field: name.into(),
        equals: vec![value.into()],
        ..FieldSelector::default()
    };
    AdvancedSelector {
        name: Some("Lambda invokes".into()),
        fields: vec![field("eventCategory", "Data"), field("resources.type", "AWS::Lambda::Function")],
    }
}

pub fn secret_arn(name: &str) -> String {
    format!("arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:{name}-AbCdEf")
}

pub fn key_arn(id: &str) -> String {
    format!("arn:aws:kms:us-east-1:{ACCOUNT}:key/{id}")
}

pub fn topic_arn(name: &str) -> String {
    format!("arn:aws:sns:us-east-1:{ACCOUNT}:{name}")
}

pub fn queue_arn(name: &str) -> String {
    format!("arn:aws:sqs:us-east-1:{ACCOUNT}:{name}")
}

/// A rule on a bus: the default bus's rules have no bus segment.
pub fn rule_arn(bus: &str, rule: &str) -> String {
    if bus == "default" {
        format!("arn:aws:events:us-east-1:{ACCOUNT}:rule/{rule}")
    } else {
        format!("arn:aws:events:us-east-1:{ACCOUNT}:rule/{bus}/{rule}")
    }
}

/// A statement letting `service` invoke a function for `source_arn` (what `aws lambda add-permission
/// --source-arn` writes).
pub fn service_grant(sid: &str, service: &str, source_arn: Option<&str>) -> Value {
    let mut statement = json!({"Sid": sid, "Effect": "Allow", "Principal": {"Service": service}, "Action": "lambda:InvokeFunction", "Resource": "*"});
    if let Some(source) = source_arn {
        statement["Condition"] = json!({"ArnLike": {"AWS:SourceArn": source}});
    }
    statement
}

pub fn function_arn(name: &str) -> String {
    format!("arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}")
}

pub fn key(id: &str, status: &str, age_days: i64) -> AccessKey {
    AccessKey { id: id.into(), status: status.into(), create_date: days_ago(age_days), last_used: Observed::Absent }
}

/// What a snapshot of a finding shows: everything but the score's inner arithmetic, which has its own tests.
pub fn summary(findings: &[Finding]) -> Vec<Value> {
    findings
        .iter()
        .map(|f| {
            serde_json::json!({
                "title": f.title,
                "resource": f.resource_arn,
                "severity": f.severity,
                "score": f.score,
                "factors": f.factors.iter().map(|x| format!("{}={}", x.name, x.value)).collect::<Vec<_>>(),
                "evidence": f.evidence,
                "path": f.path,
            })
        })
        .collect()
}

/// An account with event chains and their restricted look-alikes:
/// - topic `orders-events` (anyone may publish, no key) → sqs subscription → queue `orders-intake` (admits
///   SNS for that topic) → mapping → `order-processor` (admin); the topic also subscribes `billing`, whose
///   policy admits SNS only for `billing-alerts` (no delivery);
/// - topic `billing-alerts` (the console's default policy, a key) → lambda subscription → `billing` (admin);
/// - bus `partners` (shared with the organization only) → rule `sync` → `billing`;
/// - bus `default` (anyone may put events, as an endpoint renders `*`) → rule `nightly-export` →
///   `audit-sink` (least privilege); its scheduled rule `cleanup` → `billing` (no event sets it off);
/// - queue `open-queue` (anyone may send, unencrypted), which nothing reads.
pub fn event_account() -> Fixture {
    const ADMIN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";
    let orders = topic_arn("orders-events");
    let alerts = topic_arn("billing-alerts");
    let nightly = rule_arn("default", "nightly-export");
    Fixture::new()
        .managed_policy(ADMIN, allow(json!("*"), json!("*")))
        .role("admin", lambda_trust(), &[], &[ADMIN])
        .role("small", lambda_trust(), &[("t", allow(json!("dynamodb:PutItem"), json!("*")))], &[])
        .function("order-processor", "admin", |_| {})
        .function("billing", "admin", |f| {
            let grants = json!({"Statement": [service_grant("alerts", "sns.amazonaws.com", Some(&alerts)),
                service_grant("partners", "events.amazonaws.com", Some(&rule_arn("partners", "sync"))),
                service_grant("cleanup", "events.amazonaws.com", Some(&rule_arn("default", "cleanup")))]});
            f.resource_policy = Observed::Present(doc(grants));
        })
        .function("audit-sink", "small", |f| {
            let grants = json!({"Statement": [service_grant("nightly", "events.amazonaws.com", Some(&nightly))]});
            f.resource_policy = Observed::Present(doc(grants));
        })
        .topic(
            "orders-events",
            Some(json!({"Statement": [{"Sid": "AnyonePublishes", "Effect": "Allow", "Principal": "*", "Action": "sns:Publish", "Resource": orders}]})),
            |_| {},
        )
        .topic("billing-alerts", None, |t| t.kms_key = Observed::Present("alias/aws/sns".into()))
        .queue(
            "orders-intake",
            Some(json!({"Statement": [{"Sid": "FromTopic", "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage", "Resource": queue_arn("orders-intake"), "Condition": {"ArnEquals": {"aws:SourceArn": orders}}}]})),
            |_| {},
        )
        .queue(
            "open-queue",
            Some(json!({"Statement": [{"Sid": "Open", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["sqs:SendMessage", "sqs:ReceiveMessage"], "Resource": "*"}]})),
            |q| q.encryption = Observed::Absent,
        )
        .subscription("orders-events", "sqs", &queue_arn("orders-intake"))
        .subscription("orders-events", "lambda", &function_arn("billing"))
        .subscription("billing-alerts", "lambda", &function_arn("billing"))
        .mapping("m-orders", &queue_arn("orders-intake"), "order-processor")
        .bus(
            "partners",
            Some(json!({"Statement": [{"Sid": "Org", "Effect": "Allow", "Principal": "*", "Action": "events:PutEvents", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}]})),
            &[("sync", &[function_arn("billing").as_str()])],
        )
        .bus(
            "default",
            Some(json!({"Statement": [{"Sid": "Everyone", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::*:root"}, "Action": "events:PutEvents", "Resource": "*"}]})),
            &[("nightly-export", &[function_arn("audit-sink").as_str()]), ("cleanup", &[function_arn("billing").as_str()])],
        )
        .edit_rule("cleanup", |r| {
            r.event_pattern = None;
            r.schedule = Some("rate(1 day)".into());
        })
}
