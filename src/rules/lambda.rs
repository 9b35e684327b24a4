//! Lambda functions: who may invoke them, how they are reached, what they run on, what they hold and
//! what they may do.

use crate::finding::Details;

use serde_json::json;

use super::resource_policy::{Admits, openings};
use super::{Draft, Evidence, Rule, RuleMeta, statement_evidence};
use crate::analyze::policy::principals::PUBLIC_RESTRICTING_KEYS;
use crate::analyze::{Context, runtimes};
use crate::inventory::ValueKind;
use crate::score::{Exposure, RiskInputs};

const INVOKE: &[&str] = &["lambda:InvokeFunction"];

fn function_risk(cx: &Context<'_>, arn: &str) -> RiskInputs {
    RiskInputs {
        exposure: cx.graph.exposure_of_function(arn).cloned(),
        blast: cx.function_blast(arn),
        ..RiskInputs::default()
    }
}

pub static PUBLIC_RESOURCE_POLICY: Rule = Rule {
    meta: RuleMeta {
        id: "lambda-public-resource-policy",
        title: "Lambda function policy lets anyone invoke the function",
        rationale: "A resource-based policy statement with Principal `*` (or `{\"AWS\": \"*\"}`) and no restricting condition lets any AWS principal in any account invoke the function. So does a grant to a service principal (s3.amazonaws.com, sns.amazonaws.com, events.amazonaws.com …) with no aws:SourceArn or aws:SourceAccount condition: the service invokes on behalf of whoever owns the bucket, topic or rule, so any account can point its own at the function (the confused deputy). For S3 an aws:SourceArn alone is not enough: bucket ARNs carry no account, and a deleted bucket's name can be taken by anyone, so the grant also needs aws:SourceAccount. Statements restricted by aws:SourceArn, aws:SourceAccount, aws:PrincipalOrgID and similar keys, and the lambda:InvokeFunctionUrl statement that a function URL needs, do not trigger it.",
        remediation: "Remove the statement, or name the calling principal or service and add a condition (aws:SourceArn, aws:SourceAccount or aws:PrincipalOrgID): `aws lambda remove-permission --function-name F --statement-id SID`, then `aws lambda add-permission … --source-arn ARN --source-account ACCOUNT`.",
        references: &[
            "AWS FSBP Lambda.1",
            "https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html",
        ],
    },
    check: |cx, _, out| {
        for function in cx.inventory.lambda.functions.values() {
            let Some(policy) = cx.resource_policies.get(&function.arn) else { continue };
            for opening in openings(cx, policy, INVOKE, PUBLIC_RESTRICTING_KEYS) {
                let statement = opening.statement;
                let (summary, discriminator, title, reason) = match &opening.admits {
                    Admits::Anyone => (
                        format!(
                            "statement {} of the function policy of {} allows any principal to invoke it, with no condition",
                            statement.label(),
                            function.name
                        ),
                        statement.label(),
                        format!("Anyone can invoke Lambda function {}", function.name),
                        "any AWS account can call Invoke".to_owned(),
                    ),
                    // The confused deputy: the service acts for whichever account owns the bucket, topic or
                    // rule, so without a source condition every account's resources may trigger the function.
                    Admits::AnyAccountThrough(service)
                        if !statement.has_condition_on(&["aws:SourceArn"]).is_empty() =>
                    {
                        (
                            format!(
                                "statement {} lets {service} invoke {} for a bucket ARN with no aws:SourceAccount \
                             condition: bucket ARNs carry no account, so whoever owns a bucket of that name (anyone, \
                             once it is deleted) can trigger it",
                                statement.label(),
                                function.name,
                            ),
                            format!("{}:{service}", statement.label()),
                            format!("Any account's bucket of that name can invoke Lambda function {}", function.name),
                            format!("{service} can invoke it for a bucket name any account could own"),
                        )
                    }
                    Admits::AnyAccountThrough(service) => (
                        format!(
                            "statement {} lets {service} invoke {} with no aws:SourceArn or aws:SourceAccount condition: \
                             any account's {} resources can be set up to trigger it",
                            statement.label(),
                            function.name,
                            service.split('.').next().unwrap_or(service)
                        ),
                        format!("{}:{service}", statement.label()),
                        format!("Any account's {service} can invoke Lambda function {}", function.name),
                        format!("{service} can invoke it on behalf of any account"),
                    ),
                    Admits::ForeignAccount(_) => continue,
                };
                let mut evidence = opening.evidence(summary, "resource-based policy", &function.arn);
                if let Admits::AnyAccountThrough(service) = &opening.admits {
                    evidence.details.insert("service_principal".into(), json!(service));
                    evidence.details.insert("missing_condition".into(), json!(["aws:SourceArn", "aws:SourceAccount"]));
                }
                let mut risk = function_risk(cx, &function.arn);
                risk.exposure = Some((Exposure::AnyAwsPrincipal, reason));
                out.emit(
                    Draft::new(&function.arn, &function.region, discriminator, title).evidence(evidence).risk(risk),
                );
            }
        }
    },
};

pub static PUBLIC_EVENT_SOURCE: Rule = Rule {
    meta: RuleMeta {
        id: "lambda-public-event-source",
        title: "Lambda function triggered by a topic, queue or event bus that anyone can write to",
        rationale: "A function subscribed to a topic, polling a queue or targeted by a rule runs on whatever arrives. When that topic, queue or bus (or one earlier in the chain: a topic fanning out to a queue, a bus rule sending to a topic) lets any AWS principal publish, send or put events, any account can make the function run on input it chose, without credentials in this account. Chains whose source is restricted to the account, its organization or named sources, and deliveries the receiver's policy does not allow, do not trigger it.",
        remediation: "Restrict the source's policy (an aws:SourceAccount, aws:SourceArn or aws:PrincipalOrgID condition, or named principals), and treat every event as untrusted input in the function.",
        references: &[
            "https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventsourcemapping.html",
            "AWS FSBP SNS.4",
            "AWS FSBP SQS.3",
        ],
    },
    check: |cx, _, out| {
        for (source, route) in cx.graph.public_event_routes() {
            let Some(function) = cx.inventory.lambda.functions.get(route.function_arn()) else { continue };
            let mut details = Details::new();
            details.insert("source".into(), json!(source.hop.label));
            details.insert("chain".into(), json!(route.hops.iter().map(|h| &h.label).collect::<Vec<_>>()));
            let evidence = Evidence {
                summary: format!("{}: {}; its chain is {}", source.hop.label, source.reason, route.describe()),
                location: Some(source.hop.arn.clone()),
                statement: Some(source.statement.clone()),
                details,
            };
            let mut risk = function_risk(cx, &function.arn);
            risk.exposure =
                Some((Exposure::AnyAwsPrincipal, format!("any AWS principal can write to {}", source.hop.label)));
            let mut draft = Draft::new(
                &function.arn,
                &function.region,
                &source.hop.arn,
                format!("Lambda function {} runs on events anyone can send to {}", function.name, source.hop.label),
            )
            .evidence(evidence)
            .risk(risk);
            draft.path = route.hops.iter().map(|h| h.arn.clone()).collect();
            out.emit(draft);
        }
    },
};

pub static CROSS_ACCOUNT_INVOKE: Rule = Rule {
    meta: RuleMeta {
        id: "lambda-cross-account-invoke",
        title: "Lambda function policy lets another account invoke the function without a condition",
        rationale: "A statement naming a foreign account as principal, without aws:SourceArn, aws:SourceAccount or aws:PrincipalOrgID, lets every principal that account allows call the function. Grants to the account itself and to AWS services are not cross-account.",
        remediation: "Restrict the statement to the caller that needs it (a role ARN rather than the account root) and add an aws:SourceArn or aws:PrincipalOrgID condition, or remove it.",
        references: &["https://docs.aws.amazon.com/lambda/latest/dg/permissions-function-cross-account.html"],
    },
    check: |cx, _, out| {
        for function in cx.inventory.lambda.functions.values() {
            let Some(policy) = cx.resource_policies.get(&function.arn) else { continue };
            let openings = openings(cx, policy, INVOKE, PUBLIC_RESTRICTING_KEYS);
            for (opening, account) in openings.iter().filter_map(|o| Some((o, o.foreign_account()?))) {
                let statement = opening.statement;
                let mut evidence = opening.evidence(
                    format!(
                        "statement {} lets account {account} invoke {} with no condition",
                        statement.label(),
                        function.name
                    ),
                    "resource-based policy",
                    &function.arn,
                );
                evidence.details.insert("account".into(), json!(account));
                let mut risk = function_risk(cx, &function.arn);
                risk.exposure = Some((Exposure::CrossAccount, format!("account {account} can call Invoke")));
                out.emit(
                    Draft::new(
                        &function.arn,
                        &function.region,
                        format!("{}:{account}", statement.label()),
                        format!("Account {account} can invoke Lambda function {}", function.name),
                    )
                    .evidence(evidence)
                    .risk(risk),
                );
            }
        }
    },
};

pub static FUNCTION_URL_NO_AUTH: Rule = Rule {
    meta: RuleMeta {
        id: "lambda-function-url-no-auth",
        title: "Lambda function URL without authentication",
        rationale: "A function URL with AuthType NONE is a public HTTPS endpoint: anyone on the internet can invoke the function. URLs with AuthType AWS_IAM require signed requests and do not trigger it.",
        remediation: "Set the URL's AuthType to AWS_IAM (`aws lambda update-function-url-config --auth-type AWS_IAM`), or put the function behind API Gateway with an authorizer; delete the URL if nothing uses it.",
        references: &["https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html"],
    },
    check: |cx, _, out| {
        for function in cx.inventory.lambda.functions.values() {
            for url in function.function_urls.iter().flatten().filter(|u| u.auth_type == "NONE") {
                let mut details = Details::new();
                details.insert("url".into(), json!(url.url));
                details.insert("auth_type".into(), json!(url.auth_type));
                if let Some(cors) = &url.cors {
                    details.insert("cors_allow_origins".into(), json!(cors.allow_origins));
                }
                let evidence = Evidence {
                    summary: format!("function URL {} of {} has AuthType NONE", url.url, function.name),
                    location: Some(url.function_arn.clone()),
                    statement: None,
                    details,
                };
                let mut risk = function_risk(cx, &function.arn);
                let reachable = cx
                    .graph
                    .entry_points
                    .iter()
                    .any(|e| e.arn == url.function_arn && e.exposure == Exposure::UnauthenticatedInternet);
                risk.exposure = Some(if reachable {
                    (Exposure::UnauthenticatedInternet, "the URL needs no credentials".into())
                } else {
                    (
                        Exposure::Unreachable,
                        "no resource-policy statement lets anyone call InvokeFunctionUrl yet (one command away)".into(),
                    )
                });
                out.emit(
                    Draft::new(
                        &url.function_arn,
                        &function.region,
                        &url.url,
                        format!("Function URL of {} needs no authentication", function.name),
                    )
                    .evidence(evidence)
                    .risk(risk),
                );
            }
        }
    },
};

pub static DEPRECATED_RUNTIME: Rule = Rule {
    meta: RuleMeta {
        id: "lambda-deprecated-runtime",
        title: "Lambda function runs on a deprecated runtime",
        rationale: "After AWS deprecates a runtime it no longer receives security patches. Evaluated at the scan's --as-of time against AWS's published deprecation dates (assets/lambda-runtimes.tsv); runtimes whose date is still ahead, and container images, do not trigger it.",
        remediation: "Move the function to a supported runtime of the same language (e.g. python3.12 or nodejs22.x) and redeploy.",
        references: &["AWS FSBP Lambda.2", "https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html"],
    },
    check: |cx, _, out| {
        for function in cx.inventory.lambda.functions.values() {
            let Some(runtime) = &function.runtime else { continue };
            let Some(date) = runtimes::deprecation_date(runtime) else { continue };
            let today = cx.as_of.date_naive();
            if date > today {
                continue;
            }
            let days = (today - date).num_days();
            let mut details = Details::new();
            details.insert("runtime".into(), json!(runtime));
            details.insert("deprecated_on".into(), json!(date.to_string()));
            details.insert("days_since_deprecation".into(), json!(days));
            let evidence = Evidence {
                summary: format!(
                    "{} runs {runtime}, deprecated by AWS on {date} ({days} days before {today})",
                    function.name
                ),
                location: Some(function.arn.clone()),
                statement: None,
                details,
            };
            out.emit(
                Draft::new(
                    &function.arn,
                    &function.region,
                    runtime,
                    format!("{} runs deprecated runtime {runtime}", function.name),
                )
                .evidence(evidence)
                .risk(function_risk(cx, &function.arn)),
            );
        }
    },
};

pub static SECRETS_IN_ENV: Rule = Rule {
    meta: RuleMeta {
        id: "lambda-secrets-in-env",
        title: "Lambda environment variable holds a plaintext secret",
        rationale: "Environment variables are readable by anyone with lambda:GetFunctionConfiguration and appear in deployment tooling. A value that looks like a credential (the token formats of the major providers that gitleaks and trufflehog know, a PEM key, a JWT, a password in a URL or connection string, whatever the variable is called) or sits under a secret-like name (PASSWORD, SECRET, TOKEN, API_KEY…) triggers it; a reference such as a Secrets Manager ARN or an SSM parameter name, and configuration like PASSWORD_MIN_LENGTH, do not (a name ending _ARN or _PARAM whose value is no reference does). stance never stores the value: only its kind, the format it matched, and a keyed hash.",
        remediation: "Store the secret in AWS Secrets Manager or SSM Parameter Store (SecureString), put its ARN or name in the variable, read it at run time, and rotate the exposed value.",
        references: &[
            "https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-encryption",
            "https://docs.aws.amazon.com/secretsmanager/latest/userguide/retrieving-secrets_lambda.html",
        ],
    },
    check: |cx, _, out| {
        for function in cx.inventory.lambda.functions.values() {
            for (name, value) in &function.environment {
                if !matches!(value.kind, ValueKind::KnownSecretFormat | ValueKind::SecretByName) {
                    continue;
                }
                let mut details = Details::new();
                details.insert("variable".into(), json!(name));
                details.insert("kind".into(), json!(value.kind));
                if let Some(format) = &value.format {
                    details.insert("format".into(), json!(format));
                }
                details.insert("value_hash".into(), json!(value.hash));
                let why = match (&value.kind, &value.format) {
                    (ValueKind::KnownSecretFormat, Some(format)) => format!("its value has the format of a {format}"),
                    (ValueKind::KnownSecretFormat, None) => "its value has the format of a credential".to_owned(),
                    _ => "its name says it is a secret and its value is not a reference".to_owned(),
                };
                let evidence = Evidence {
                    summary: format!(
                        "environment variable {name} of {} holds a plaintext secret: {why}",
                        function.name
                    ),
                    location: Some(format!("{} environment", function.arn)),
                    statement: None,
                    details,
                };
                let mut risk = function_risk(cx, &function.arn);
                if function.kms_key_arn.is_some() {
                    risk.compensating
                        .push("encrypted with a customer managed KMS key (readers also need kms:Decrypt)".into());
                }
                out.emit(
                    Draft::new(
                        &function.arn,
                        &function.region,
                        name,
                        format!("Plaintext secret in environment variable {name} of {}", function.name),
                    )
                    .evidence(evidence)
                    .risk(risk),
                );
            }
        }
    },
};

pub static TRACING_DISABLED: Rule = Rule {
    meta: RuleMeta {
        id: "lambda-tracing-disabled",
        title: "Lambda function without active X-Ray tracing",
        rationale: "Without active tracing an incident responder cannot follow a request through the function and what it calls. Functions with TracingConfig Mode Active do not trigger it.",
        remediation: "Enable active tracing (`aws lambda update-function-configuration --tracing-config Mode=Active`) and give the role xray:PutTraceSegments.",
        references: &["AWS FSBP Lambda.7", "https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html"],
    },
    check: |cx, _, out| {
        for function in cx.inventory.lambda.functions.values() {
            if function.tracing_mode.as_deref() == Some("Active") {
                continue;
            }
            let mode = function.tracing_mode.clone().unwrap_or_else(|| "unset".into());
            let evidence = Evidence {
                summary: format!("{} has tracing mode {mode}", function.name),
                location: Some(function.arn.clone()),
                statement: None,
                details: Details::from([("tracing_mode".to_owned(), json!(mode))]),
            };
            out.emit(
                Draft::new(&function.arn, &function.region, "tracing", format!("{} is not traced", function.name))
                    .evidence(evidence),
            );
        }
    },
};

pub static PRIVILEGED_EXECUTION_ROLE: Rule = Rule {
    meta: RuleMeta {
        id: "lambda-privileged-execution-role",
        title: "Lambda function runs with an administrator or privilege-escalating role",
        rationale: "Whoever controls the function's code or input (a code-injection bug, a compromised dependency, a deploy pipeline) acts with its role. A role that is an administrator, nearly one (an Allow with NotAction on all resources), or holds a known privilege-escalation combination on all resources triggers it; a role scoped to the resources it uses does not.",
        remediation: "Give the function its own least-privilege role: only the actions it calls, on the resources it uses (IAM Access Analyzer can generate one from CloudTrail activity).",
        references: &[
            "AWS FSBP IAM.1",
            "https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html",
        ],
    },
    check: |cx, _, out| {
        for function in cx.inventory.lambda.functions.values() {
            let Some(role_arn) = &function.role else { continue };
            let Some(role) = cx.principals.get(role_arn) else { continue };
            if !role.capability.is_privileged() {
                continue;
            }
            let (_, reason) = role.blast_radius();
            let evidence_grant = super::iam_permissions::privilege_evidence(cx, role);
            let mut evidence = match evidence_grant {
                Some((grant, what)) => statement_evidence(
                    format!("{} runs as {}: {what}", function.name, role.name),
                    super::grant_location(grant),
                    &grant.statement,
                ),
                None => Evidence {
                    summary: format!("{} runs as {}: {reason}", function.name, role.name),
                    ..Evidence::default()
                },
            };
            evidence.details.insert("role".into(), json!(role_arn));
            out.emit(
                Draft::new(
                    &function.arn,
                    &function.region,
                    role_arn,
                    format!("{} runs with privileged role {}", function.name, role.name),
                )
                .evidence(evidence)
                .risk(function_risk(cx, &function.arn)),
            );
        }
    },
};

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::inventory::lambda::FunctionUrl;
    use crate::inventory::{Observed, Redactor};
    use crate::rules::fixture::*;

    fn base() -> Fixture {
        Fixture::new().role("app", lambda_trust(), &[("table", allow(json!("dynamodb:GetItem"), json!("*")))], &[])
    }

    fn with_policy(statement: Value) -> Fixture {
        base().function("f", "app", |f| {
            f.resource_policy = Observed::Present(doc(json!({"Version": "2012-10-17", "Statement": [statement]})))
        })
    }

    #[test]
    fn public_resource_policy() {
        let found = with_policy(json!({"Sid": "anyone", "Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction", "Resource": function_arn("f")}))
            .findings("lambda-public-resource-policy");
        insta::assert_yaml_snapshot!(summary(&found));
        assert_eq!(found.len(), 1);
        for condition in [
            json!({"ArnLike": {"AWS:SourceArn": "arn:aws:execute-api:us-east-1:123456789012:abc/*"}}),
            json!({"StringEquals": {"AWS:SourceAccount": ACCOUNT}}),
            json!({"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3"}}),
        ] {
            let look_alike = with_policy(
                json!({"Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction", "Resource": "*", "Condition": condition}),
            );
            assert!(look_alike.findings("lambda-public-resource-policy").is_empty(), "{condition}");
        }
        let url_permission = with_policy(
            json!({"Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunctionUrl", "Resource": "*",
            "Condition": {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}}}),
        );
        assert!(url_permission.findings("lambda-public-resource-policy").is_empty());
    }

    #[test]
    fn cross_account_invoke() {
        let found = with_policy(json!({"Sid": "partner", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "lambda:InvokeFunction", "Resource": "*"}))
            .findings("lambda-cross-account-invoke");
        insta::assert_yaml_snapshot!(summary(&found));
        assert_eq!(found.len(), 1);
        let restricted = with_policy(
            json!({"Effect": "Allow", "Principal": {"AWS": "444455556666"}, "Action": "lambda:InvokeFunction", "Resource": "*",
            "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:events:us-east-1:444455556666:rule/x"}}}),
        );
        assert!(restricted.findings("lambda-cross-account-invoke").is_empty());
        let own = with_policy(
            json!({"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}, "Action": "lambda:InvokeFunction", "Resource": "*"}),
        );
        assert!(own.findings("lambda-cross-account-invoke").is_empty());
        let service = with_policy(
            json!({"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "lambda:InvokeFunction", "Resource": "*"}),
        );
        assert!(service.findings("lambda-cross-account-invoke").is_empty());
    }

    fn with_url(auth: &str, public_permission: bool) -> Fixture {
        base().function("f", "app", |f| {
            f.function_urls = Some(vec![FunctionUrl { url: "https://abc.lambda-url.us-east-1.on.aws/".into(), function_arn: f.arn.clone(), auth_type: auth.into(), invoke_mode: None, cors: None }]);
            if public_permission {
                f.resource_policy = Observed::Present(doc(json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunctionUrl", "Resource": "*",
                    "Condition": {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}}}]})));
            }
        })
    }

    #[test]
    fn function_url_no_auth() {
        let found = with_url("NONE", true).findings("lambda-function-url-no-auth");
        insta::assert_yaml_snapshot!(summary(&found));
        assert_eq!(found.len(), 1);
        assert!(with_url("AWS_IAM", false).findings("lambda-function-url-no-auth").is_empty());
        // NONE without the public permission is still a finding, but nobody can reach it yet.
        let unreachable = with_url("NONE", false).findings("lambda-function-url-no-auth");
        assert!(unreachable[0].score < found[0].score);
    }

    #[test]
    fn a_public_function_nobody_audits_scores_higher() {
        let factor = |fixture: Fixture| {
            let found = fixture.findings("lambda-function-url-no-auth");
            (found[0].score, found[0].factors.iter().any(|f| f.name == "not_audited"))
        };
        let (base_score, without_trails) = factor(with_url("NONE", true));
        assert!(!without_trails, "no trail was read: nothing is claimed");
        let unaudited = with_url("NONE", true).trail("audit", "us-east-1", |t| t.multi_region = true);
        let (score, flagged) = factor(unaudited);
        assert!(flagged && score > base_score, "{score} vs {base_score}");
        let audited = with_url("NONE", true).trail("audit", "us-east-1", |t| {
            t.multi_region = true;
            t.selectors = Observed::Present(crate::inventory::cloudtrail::EventSelectors {
                basic: vec![],
                advanced: vec![crate::rules::fixture::lambda_data_selector()],
            });
        });
        assert_eq!(factor(audited), (base_score, false), "a trail records its invocations");
        let (_, private) = factor(with_url("NONE", false).trail("audit", "us-east-1", |_| {}));
        assert!(!private, "only functions reachable without authentication");
    }

    #[test]
    fn deprecated_runtime() {
        let on = |runtime: &str| {
            base().function("f", "app", |f| f.runtime = Some(runtime.into())).findings("lambda-deprecated-runtime")
        };
        let found = on("python3.8");
        insta::assert_yaml_snapshot!(summary(&found));
        assert_eq!(found.len(), 1);
        assert!(on("python3.12").is_empty());
        assert!(on("provided.al2023").is_empty());
        assert!(
            base().function("f", "app", |f| f.runtime = None).findings("lambda-deprecated-runtime").is_empty(),
            "container images have no runtime"
        );
    }

    #[test]
    fn secrets_in_env() {
        let redactor = Redactor::from_key_material(b"fixture");
        let with_env = |vars: &[(&str, &str)]| {
            let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
            base().function("f", "app", |f| {
                for (k, v) in vars {
                    let value = redactor.redact(&k, v);
                    f.environment.insert(k, value);
                }
            })
        };
        let found = with_env(&[("DB_PASSWORD", "hunter2-prod"), ("GITHUB", "ghp_0123456789abcdefghijklmnop")])
            .findings("lambda-secrets-in-env");
        insta::assert_yaml_snapshot!(summary(&found));
        assert_eq!(found.len(), 2);
        let look_alikes = with_env(&[
            ("DB_SECRET_ARN", "arn:aws:secretsmanager:us-east-1:123456789012:secret:db"),
            ("API_TOKEN_PARAMETER", "/prod/api/token"),
            ("PASSWORD_MIN_LENGTH", "12"),
            ("TABLE_NAME", "orders"),
        ]);
        assert!(look_alikes.findings("lambda-secrets-in-env").is_empty());
    }

    #[test]
    fn tracing_disabled() {
        let found = base()
            .function("f", "app", |f| f.tracing_mode = Some("PassThrough".into()))
            .findings("lambda-tracing-disabled");
        insta::assert_yaml_snapshot!(summary(&found));
        assert_eq!(found.len(), 1);
        assert!(base().function("f", "app", |_| {}).findings("lambda-tracing-disabled").is_empty());
    }

    #[test]
    fn privileged_execution_role() {
        let admin = Fixture::new()
            .managed_policy("arn:aws:iam::aws:policy/AdministratorAccess", allow(json!("*"), json!("*")))
            .role("admin", lambda_trust(), &[], &["arn:aws:iam::aws:policy/AdministratorAccess"])
            .function("f", "admin", |_| {});
        let found = admin.findings("lambda-privileged-execution-role");
        insta::assert_yaml_snapshot!(summary(&found));
        assert_eq!(found.len(), 1);
        let escalating = Fixture::new()
            .role(
                "deployer",
                lambda_trust(),
                &[(
                    "deploy",
                    allow(json!(["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"]), json!("*")),
                )],
                &[],
            )
            .function("f", "deployer", |_| {});
        assert_eq!(escalating.findings("lambda-privileged-execution-role").len(), 1);
        let scoped = Fixture::new()
            .role(
                "scoped",
                lambda_trust(),
                &[("s3", allow(json!("s3:*"), json!(["arn:aws:s3:::bucket", "arn:aws:s3:::bucket/*"])))],
                &[],
            )
            .function("f", "scoped", |_| {});
        assert!(scoped.findings("lambda-privileged-execution-role").is_empty());
    }

    #[test]
    fn public_event_source() {
        let found = event_account().findings("lambda-public-event-source");
        insta::assert_yaml_snapshot!(summary(&found));
        let mut on: Vec<&str> = found.iter().map(|f| f.resource_arn.as_str()).collect();
        on.sort();
        assert_eq!(
            on,
            [function_arn("audit-sink"), function_arn("order-processor")],
            "billing is reached only from restricted sources (its grant does not admit the public topic)"
        );
        let orders = found.iter().find(|f| f.resource_arn == function_arn("order-processor")).expect("reported");
        assert_eq!(orders.path.len(), 5, "topic → subscription → queue → mapping → function: {:?}", orders.path);
        assert_eq!(orders.path[0], topic_arn("orders-events"));
        assert_eq!(orders.path[2], queue_arn("orders-intake"));
    }

    #[test]
    fn service_grant_without_a_source_condition_is_a_confused_deputy() {
        let fixture = Fixture::new()
            .role("r", lambda_trust(), &[], &[])
            .function("thumbs", "r", |f| {
                let grants = json!({"Statement": [
                    service_grant("AnyBucket", "s3.amazonaws.com", None),
                    service_grant("BucketByName", "s3.amazonaws.com", Some("arn:aws:s3:::acme-uploads")),
                    {"Sid": "OurBucket", "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "lambda:InvokeFunction", "Resource": "*", "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::acme-uploads"}, "StringEquals": {"aws:SourceAccount": ACCOUNT}}},
                    {"Sid": "OurAccount", "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "lambda:InvokeFunction", "Resource": "*", "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}}
                ]});
                f.resource_policy = Observed::Present(doc(grants));
            });
        let found = fixture.findings("lambda-public-resource-policy");
        insta::assert_yaml_snapshot!(summary(&found));
        let sids: Vec<&str> =
            found.iter().map(|f| f.evidence.statement.as_ref().unwrap()["Sid"].as_str().unwrap()).collect();
        assert_eq!(
            sids.iter().copied().collect::<std::collections::BTreeSet<_>>(),
            ["AnyBucket", "BucketByName"].into(),
            "grants scoped by the source's account are not reported; a bucket ARN alone names no account"
        );
        let sid =
            |f: &&crate::rules::Finding, sid: &str| f.evidence.statement.as_ref().is_some_and(|s| s["Sid"] == sid);
        let any = found.iter().find(|f| sid(f, "AnyBucket")).expect("AnyBucket");
        assert!(any.evidence.summary.contains("any account's s3 resources"), "{}", any.evidence.summary);
        assert_eq!(any.evidence.details["service_principal"], json!("s3.amazonaws.com"));
        let by_name = found.iter().find(|f| sid(f, "BucketByName")).expect("BucketByName");
        assert!(by_name.evidence.summary.contains("bucket ARNs carry no account"), "{}", by_name.evidence.summary);
        let cx = crate::analyze::Context::new(&fixture.inventory, now());
        let (exposure, _) = cx.graph.exposure_of_function(&function_arn("thumbs")).expect("exposed");
        assert_eq!(*exposure, crate::score::Exposure::AnyAwsPrincipal, "the function's own exposure says so too");
    }
}
