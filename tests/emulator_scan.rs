//! `stance scan` against the demo account seeded into moto: the real SDK, the real binary.

mod support;

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde_json::Value;
use support::{Emulator, planted_secrets, stance};

fn scan(emulator: &Emulator, extra: &[&str]) -> (std::process::Output, Value, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut args = vec!["scan", "--endpoint-url", &emulator.endpoint, "--max-attempts", "1", "--out", "inv.json"];
    args.extend_from_slice(extra);
    let output = stance(&args, dir.path());
    let text = std::fs::read_to_string(dir.path().join("inv.json"))
        .unwrap_or_else(|_| panic!("no inventory written; stderr: {}", String::from_utf8_lossy(&output.stderr)));
    let inventory: Value = serde_json::from_str(&text).expect("inventory is JSON");
    (output, inventory, dir)
}

fn by_name<'a>(map: &'a Value, name: &str) -> &'a Value {
    map.as_object()
        .and_then(|m| m.values().find(|v| v["name"] == name))
        .unwrap_or_else(|| panic!("no resource named {name}"))
}

fn age_days(value: &Value) -> i64 {
    let created: DateTime<Utc> = value.as_str().and_then(|s| s.parse().ok()).expect("a timestamp");
    (Utc::now() - created).num_days()
}

#[test]
fn scan_of_the_seeded_demo_account_inventories_every_resource() {
    let emulator = Emulator::start(&[]);
    let (output, inv, dir) = scan(&emulator, &["--region", "us-east-1", "--region", "eu-west-1"]);
    let stderr = String::from_utf8_lossy(&output.stderr);

    // moto does not implement everything: the scan is partial, says so, and records each gap.
    assert_eq!(output.status.code(), Some(3), "partial scan exit status; stderr:\n{stderr}");
    assert!(stderr.contains("Account 123456789012"), "{stderr}");
    assert!(stderr.contains("Coverage: ") && stderr.contains("GetAuthorizers"), "{stderr}");

    assert_eq!(inv["account"]["account_id"], "123456789012");
    assert_eq!(inv["account"]["partition"], "aws");
    let regions: Vec<&str> =
        inv["scan"]["regions"].as_array().unwrap().iter().map(|r| r["region"].as_str().unwrap()).collect();
    assert_eq!(regions, ["us-east-1", "eu-west-1"]);

    // Every seeded resource, by kind.
    let iam = &inv["iam"];
    let names = |map: &Value| -> BTreeSet<String> {
        map.as_object().unwrap().values().map(|v| v["name"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(
        names(&iam["users"]),
        BTreeSet::from(["alice", "bob", "ci-deployer", "old-contractor", "svc-reporting"].map(String::from))
    );
    assert_eq!(names(&iam["groups"]), BTreeSet::from(["admins", "developers"].map(String::from)));
    assert_eq!(iam["roles"].as_object().unwrap().len(), 15);
    assert_eq!(names(&inv["lambda"]["functions"]).len(), 10);
    assert_eq!(
        names(&inv["apigateway"]["apis"]),
        BTreeSet::from(["orders-api", "partner-api", "internal-admin-api", "eu-orders-api"].map(String::from))
    );
    assert_eq!(inv["apigateway"]["api_keys"].as_object().unwrap().len(), 3);
    assert_eq!(inv["apigateway"]["usage_plans"].as_object().unwrap().len(), 1);
    assert_eq!(
        names(&inv["apigatewayv2"]["apis"]),
        BTreeSet::from(["payments-http", "notifications-ws", "thumbnails-http"].map(String::from))
    );

    // IAM: trust policies decoded and parsed, with their conditions.
    let vendor = by_name(&iam["roles"], "vendor-audit");
    assert_eq!(
        vendor["trust_policy"]["json"]["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"],
        "acme-7f3a"
    );
    assert_eq!(
        by_name(&iam["roles"], "legacy-break-glass")["trust_policy"]["json"]["Statement"][0]["Principal"]["AWS"],
        "*"
    );
    // Managed policies: the customer policy's *default* version, and the AWS managed policies attached.
    let deploy = &iam["managed_policies"]["arn:aws:iam::123456789012:policy/teams/team-deploy"];
    assert_eq!(deploy["default_version_id"], "v2");
    assert_eq!(deploy["document"]["json"]["Statement"][0]["Sid"], "DeployFunctions");
    assert_eq!(
        iam["managed_policies"]["arn:aws:iam::aws:policy/AdministratorAccess"]["document"]["json"]["Statement"][0]["Action"],
        "*"
    );
    // Users: groups, console access, MFA, keys with realistic ages.
    let bob = by_name(&iam["users"], "bob");
    assert_eq!(bob["groups"], serde_json::json!(["developers"]));
    assert_eq!(bob["console_access"]["state"], "present");
    assert_eq!(bob["mfa_devices"], serde_json::json!([]));
    let mut bob_key_ages: Vec<i64> =
        bob["access_keys"].as_array().unwrap().iter().map(|k| age_days(&k["create_date"])).collect();
    bob_key_ages.sort();
    assert!(
        bob_key_ages.len() == 2 && (4..=6).contains(&bob_key_ages[0]) && (199..=201).contains(&bob_key_ages[1]),
        "{bob_key_ages:?}"
    );
    let alice = by_name(&iam["users"], "alice");
    assert_eq!(alice["mfa_devices"].as_array().unwrap().len(), 1);
    let contractor_key = &by_name(&iam["users"], "old-contractor")["access_keys"][0];
    assert_eq!(contractor_key["status"], "Inactive");
    assert!((149..=151).contains(&age_days(&contractor_key["create_date"])));
    assert!((399..=401).contains(&age_days(&by_name(&iam["roles"], "legacy-etl-role")["create_date"])));
    assert_eq!(by_name(&iam["users"], "svc-reporting")["console_access"]["state"], "absent");
    assert_eq!(iam["password_policy"]["value"]["minimum_length"], 14);
    assert_eq!(iam["credential_report"]["state"], "present");
    assert!(
        iam["credential_report"]["value"]["rows"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["user"] == "bob" && r["password_enabled"] == true)
    );

    // Lambda: configuration, resource policies, function URLs; environment values never in clear.
    let functions = &inv["lambda"]["functions"];
    let payments = by_name(functions, "payments-processor");
    assert_eq!(payments["runtime"], "nodejs16.x");
    assert_eq!(payments["role"], "arn:aws:iam::123456789012:role/payments-processor-role");
    assert_eq!(payments["environment"]["DB_PASSWORD"]["kind"], "secret_by_name");
    assert_eq!(payments["environment"]["STRIPE_SECRET_KEY"]["kind"], "known_secret_format");
    assert_eq!(payments["resource_policy"]["value"]["json"]["Statement"][0]["Principal"], "*");
    let orders = by_name(functions, "orders-api");
    assert_eq!(orders["tracing_mode"], "Active");
    assert_eq!(orders["environment"]["DB_SECRET_ARN"]["kind"], "reference");
    assert_eq!(orders["environment"]["PASSWORD_MIN_LENGTH"]["kind"], "plain");
    assert_eq!(
        orders["resource_policy"]["value"]["json"]["Statement"][0]["Condition"]["StringEquals"]["aws:PrincipalOrgID"],
        "o-a1b2c3d4e5"
    );
    assert_eq!(
        by_name(functions, "order-fulfilment")["resource_policy"]["state"],
        "absent",
        "no policy is absent, not unknown"
    );
    let reports = by_name(functions, "reports-generator");
    assert_eq!(reports["layers"].as_array().unwrap().len(), 1);
    // (moto returns neither KMSKeyArn nor DeadLetterConfig: those are covered by the unit tests' recorded responses.)
    assert_eq!(by_name(functions, "internal-worker")["vpc"]["subnet_ids"], serde_json::json!(["subnet-0a1b2c3d"]));
    let webhook = by_name(functions, "public-webhook");
    assert_eq!(webhook["function_urls"][0]["auth_type"], "NONE");
    assert_eq!(webhook["architectures"], serde_json::json!(["arm64"]));
    assert_eq!(by_name(functions, "thumbnailer")["function_urls"][0]["auth_type"], "AWS_IAM");
    assert_eq!(by_name(functions, "thumbnailer")["region"], "eu-west-1");

    // Events: topics (query XML) with their policies, keys and subscriptions; queues; buses, rules, targets;
    // the event source mapping from the orders queue.
    let topics = &inv["sns"]["topics"];
    assert_eq!(names(topics), BTreeSet::from(["orders-events", "billing-alerts", "security-alerts"].map(String::from)));
    let orders_topic = by_name(topics, "orders-events");
    assert_eq!(orders_topic["policy"]["value"]["json"]["Statement"][0]["Sid"], "PartnersPublish");
    assert_eq!(orders_topic["kms_key"]["state"], "absent");
    assert_eq!(orders_topic["subscriptions"][0]["protocol"], "sqs");
    assert_eq!(orders_topic["subscriptions"][0]["endpoint"], "arn:aws:sqs:us-east-1:123456789012:orders-intake");
    assert_eq!(by_name(topics, "billing-alerts")["kms_key"]["value"], "alias/aws/sns");
    let queues = &inv["sqs"]["queues"];
    assert_eq!(names(queues), BTreeSet::from(["orders-intake", "audit-drop"].map(String::from)));
    assert_eq!(by_name(queues, "orders-intake")["encryption"]["value"]["kind"], "sqs_managed");
    assert_eq!(by_name(queues, "audit-drop")["encryption"]["state"], "absent");
    assert_eq!(inv["sqs"]["listed_regions"], serde_json::json!(["eu-west-1", "us-east-1"]));
    let buses = &inv["eventbridge"]["buses"];
    let default_bus = &buses["arn:aws:events:us-east-1:123456789012:event-bus/default"];
    assert_eq!(default_bus["policy"]["value"]["json"]["Statement"][0]["Sid"], "AnyoneMayPut");
    let rules: BTreeSet<&str> =
        default_bus["rules"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(rules, BTreeSet::from(["export-requests", "nightly-export"]));
    assert_eq!(
        default_bus["rules"][0]["targets"][0]["arn"],
        "arn:aws:lambda:us-east-1:123456789012:function:export-worker"
    );
    let partner_bus = &buses["arn:aws:events:us-east-1:123456789012:event-bus/partner-events"];
    assert_eq!(partner_bus["policy"]["value"]["json"]["Statement"][0]["Sid"], "Organization");
    let mappings = inv["lambda"]["event_source_mappings"].as_object().unwrap();
    assert_eq!(mappings.len(), 1);
    let mapping = mappings.values().next().unwrap();
    assert_eq!(mapping["source_arn"], "arn:aws:sqs:us-east-1:123456789012:orders-intake");
    assert_eq!(mapping["function_arn"], "arn:aws:lambda:us-east-1:123456789012:function:order-fulfilment");

    // Secrets Manager, Parameter Store, KMS: every seeded secret, parameter and key, metadata only.
    let secrets = &inv["secretsmanager"]["secrets"];
    assert_eq!(
        names(secrets),
        BTreeSet::from(
            [
                "orders-db",
                "payments/stripe",
                "reports/slack-webhook",
                "legacy/ftp-password",
                "shared/partner-token",
                "shared/org-config",
                "old/api-key",
                "eu-orders-db"
            ]
            .map(String::from)
        ),
        "planned deletions included"
    );
    let stripe = by_name(secrets, "payments/stripe");
    assert_eq!(stripe["rotation_enabled"], true);
    assert_eq!(stripe["rotation"]["automatically_after_days"], 30);
    assert!((44..=46).contains(&age_days(&stripe["last_rotated"])), "{stripe:#}");
    assert!((79..=81).contains(&age_days(&stripe["created"])));
    assert_eq!(by_name(secrets, "legacy/ftp-password")["rotation_enabled"], false, "absent means off");
    assert!(by_name(secrets, "old/api-key")["deletion_date"].is_string());
    assert_eq!(by_name(secrets, "orders-db")["kms_key_id"], "alias/orders-data");
    assert_eq!(
        by_name(secrets, "shared/partner-token")["resource_policy"]["value"]["json"]["Statement"][0]["Sid"],
        "AnyPartner"
    );
    assert_eq!(by_name(secrets, "legacy/ftp-password")["resource_policy"]["state"], "absent");
    assert_eq!(by_name(secrets, "eu-orders-db")["region"], "eu-west-1");
    let parameters = &inv["ssm"]["parameters"];
    assert_eq!(parameters.as_object().unwrap().len(), 5);
    let plaintext = &parameters["arn:aws:ssm:us-east-1:123456789012:parameter/orders/db/password"];
    assert_eq!(plaintext["name"], "/orders/db/password", "the ARN drops the leading slash, the name keeps it");
    assert_eq!(plaintext["parameter_type"], "String");
    let secure = &parameters["arn:aws:ssm:us-east-1:123456789012:parameter/payments/stripe/api-key"];
    assert_eq!(
        (secure["parameter_type"].as_str(), secure["key_id"].as_str()),
        (Some("SecureString"), Some("alias/app-params"))
    );
    let keys = inv["kms"]["keys"].as_object().unwrap();
    assert_eq!(keys.len(), 9, "the account's keys; AWS aliases without keys are not keys");
    let key = |alias: &str| {
        keys.values()
            .find(|k| k["aliases"].as_array().unwrap().iter().any(|a| a == alias))
            .unwrap_or_else(|| panic!("{alias}"))
    };
    assert_eq!(key("alias/orders-data")["rotation_enabled"], serde_json::json!({"state": "present", "value": true}));
    assert_eq!(
        key("alias/billing-exports")["rotation_enabled"],
        serde_json::json!({"state": "present", "value": false})
    );
    assert_eq!(
        key("alias/webhook-signing")["rotation_enabled"]["state"],
        "absent",
        "RSA keys cannot rotate: not asked"
    );
    assert_eq!(key("alias/reports-data")["state"], "PendingDeletion");
    assert!(key("alias/reports-data")["deletion_date"].is_string());
    assert_eq!(key("alias/partner-share")["policy"]["value"]["json"]["Statement"][1]["Sid"], "PartnersDecrypt");
    assert_eq!(key("alias/eu-orders-data")["region"], "eu-west-1");
    assert!(
        inv["kms"]["aliases"].as_object().unwrap().values().any(|a| a["name"] == "alias/aws/ssm"),
        "AWS aliases are kept"
    );

    // CloudTrail: the audit trail listed from both regions as one trail, read once (in its home region) with
    // its advanced selectors; the stopped legacy trail; log groups, de-duplicated filters and alarms (CBOR).
    let trails = inv["cloudtrail"]["trails"].as_object().unwrap();
    assert_eq!(trails.len(), 2);
    let audit = &trails["arn:aws:cloudtrail:us-east-1:123456789012:trail/audit"];
    assert_eq!(audit["listed_in"], serde_json::json!(["eu-west-1", "us-east-1"]));
    assert_eq!((audit["multi_region"].as_bool(), audit["log_file_validation"].as_bool()), (Some(true), Some(true)));
    assert_eq!(audit["log_group_arn"], "arn:aws:logs:us-east-1:123456789012:log-group:/aws/cloudtrail/audit");
    assert_eq!(audit["status"]["value"]["is_logging"], true);
    let advanced = audit["selectors"]["value"]["advanced"].as_array().unwrap();
    assert_eq!(advanced.len(), 2);
    assert_eq!(advanced[1]["fields"][2]["starts_with"][0], "arn:aws:lambda:eu-west-1:123456789012:function:");
    let legacy = &trails["arn:aws:cloudtrail:eu-west-1:123456789012:trail/eu-legacy"];
    assert_eq!(
        (legacy["multi_region"].as_bool(), legacy["status"]["value"]["is_logging"].as_bool()),
        (Some(false), Some(false))
    );
    assert_eq!(inv["cloudtrail"]["listed_regions"], serde_json::json!(["eu-west-1", "us-east-1"]));
    let groups = inv["logs"]["groups"].as_object().unwrap();
    assert_eq!(groups.len(), 9);
    assert_eq!(groups["arn:aws:logs:us-east-1:123456789012:log-group:/aws/cloudtrail/audit"]["retention_days"], 365);
    assert!(groups["arn:aws:logs:us-east-1:123456789012:log-group:payments-http"]["retention_days"].is_null());
    assert_eq!(inv["logs"]["metric_filters"].as_object().unwrap().len(), 6);
    let alarms = inv["cloudwatch"]["alarms"].as_object().unwrap();
    assert_eq!(alarms.len(), 6, "read through the CBOR protocol");
    let kms_alarm = &alarms["arn:aws:cloudwatch:us-east-1:123456789012:alarm:kms-key-changes"];
    assert_eq!(
        (kms_alarm["actions_enabled"].as_bool(), kms_alarm["metrics"][0]["name"].as_str()),
        (Some(false), Some("KMSKeyChanges"))
    );

    // REST APIs: methods with their auth type, authorizer and the Lambda each invokes; stages; keys.
    let rest = by_name(&inv["apigateway"]["apis"], "orders-api");
    let method = |path: &str, verb: &str| -> Value {
        rest["resources"].as_array().unwrap().iter().find(|r| r["path"] == path).unwrap()["methods"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["http_method"] == verb)
            .cloned()
            .unwrap_or_else(|| panic!("{verb} {path}"))
    };
    let get_orders = method("/orders", "GET");
    assert_eq!(get_orders["authorization_type"], "NONE");
    assert_eq!(get_orders["integration"]["lambda_arn"], "arn:aws:lambda:us-east-1:123456789012:function:orders-api");
    assert!(
        get_orders["arn"].as_str().unwrap().starts_with(&format!(
            "arn:aws:apigateway:us-east-1::/restapis/{}/resources/",
            rest["id"].as_str().unwrap()
        ))
    );
    assert!(get_orders["arn"].as_str().unwrap().ends_with("/methods/GET"));
    let post_orders = method("/orders", "POST");
    assert_eq!(post_orders["authorization_type"], "CUSTOM");
    assert_eq!(post_orders["authorizer_id"], rest["authorizers"][0]["id"]);
    assert_eq!(rest["authorizers"][0]["lambda_arn"], "arn:aws:lambda:us-east-1:123456789012:function:internal-worker");
    assert_eq!(method("/admin", "POST")["authorization_type"], "AWS_IAM");
    assert_eq!(method("/admin", "GET")["api_key_required"], true);
    assert_eq!(method("/health", "GET")["integration"]["integration_type"], "MOCK");
    let prod = rest["stages"].as_array().unwrap().iter().find(|s| s["name"] == "prod").unwrap();
    assert!(prod["access_log"]["destination_arn"].as_str().unwrap().contains("orders-api-access"));
    assert_eq!(prod["method_settings"]["*/*"]["logging_level"], "INFO");
    assert_eq!(prod["tracing_enabled"], true);
    let dev = rest["stages"].as_array().unwrap().iter().find(|s| s["name"] == "dev").unwrap();
    assert!(dev["access_log"].is_null());
    assert_eq!(
        by_name(&inv["apigateway"]["apis"], "partner-api")["resource_policy"]["json"]["Statement"][0]["Principal"],
        "*"
    );
    assert_eq!(
        by_name(&inv["apigateway"]["apis"], "internal-admin-api")["endpoint_types"],
        serde_json::json!(["PRIVATE"])
    );
    let old_key = by_name(&inv["apigateway"]["api_keys"], "partner-acme");
    assert!((179..=181).contains(&age_days(&old_key["created_date"])));
    assert!(old_key["arn"].as_str().unwrap().starts_with("arn:aws:apigateway:us-east-1::/apikeys/"));
    assert_eq!(by_name(&inv["apigateway"]["api_keys"], "retired-integration")["enabled"], false);
    let plan = inv["apigateway"]["usage_plans"].as_object().unwrap().values().next().unwrap();
    assert_eq!(plan["key_ids"].as_array().unwrap().len(), 2);
    assert_eq!(
        inv["apigateway"]["domain_names"].as_object().unwrap().values().next().unwrap()["security_policies"],
        serde_json::json!(["TLS_1_0"])
    );

    // HTTP / WebSocket APIs: routes with auth type and target Lambda; the JWT authorizer read one by one.
    let http = by_name(&inv["apigatewayv2"]["apis"], "payments-http");
    let route = |key: &str| http["routes"].as_array().unwrap().iter().find(|r| r["route_key"] == key).cloned().unwrap();
    assert_eq!(route("GET /status")["authorization_type"], "NONE");
    assert_eq!(route("GET /status")["lambda_arn"], "arn:aws:lambda:us-east-1:123456789012:function:payments-processor");
    assert_eq!(route("POST /pay")["authorization_type"], "JWT");
    assert_eq!(route("GET /orders")["lambda_arn"], "arn:aws:lambda:us-east-1:123456789012:function:orders-api");
    let jwt = &http["authorizers"][0];
    assert_eq!(jwt["authorizer_type"], "JWT");
    assert_eq!(jwt["jwt_audience"], serde_json::json!(["payments"]));
    assert_eq!(
        http["stages"].as_array().unwrap().iter().find(|s| s["name"] == "prod").unwrap()["access_log"]["format"],
        "$context.requestId"
    );
    let ws = by_name(&inv["apigatewayv2"]["apis"], "notifications-ws");
    assert_eq!(ws["protocol_type"], "WEBSOCKET");
    assert!(
        ws["routes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["route_key"] == "$connect" && r["authorization_type"] == "NONE")
    );
    assert!(
        ws["routes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["route_key"] == "sendmessage" && r["api_key_required"] == true)
    );

    // Coverage: what moto does not implement, recorded per call, never fatal.
    let coverage = inv["coverage"].as_array().unwrap();
    let authorizer_gaps =
        coverage.iter().filter(|r| r["service"] == "apigatewayv2" && r["operation"] == "GetAuthorizers").count();
    assert_eq!(authorizer_gaps, 3, "one per HTTP/WebSocket API: {coverage:#?}");
    assert!(coverage.iter().any(|r| r["operation"] == "ListFunctionUrlConfigs" && r["error_kind"] == "unsupported"));

    // Secrets: neither the planted values nor the scanner's own credentials appear anywhere.
    let file = std::fs::read_to_string(dir.path().join("inv.json")).unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    for secret in planted_secrets().iter().map(String::as_str).chain(["stance-test-secret-access-key-do-not-log"]) {
        assert!(!file.contains(secret) && !stderr.contains(secret) && !stdout.contains(secret), "{secret} leaked");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(dir.path().join("inv.json")).unwrap().permissions().mode() & 0o777, 0o600);
    }

    // Read-only, proven on the wire: every request the emulator received during the scan was a read.
    let stats = emulator.stats();
    let operations = stats["by_operation"].as_object().unwrap();
    for operation in operations.keys() {
        let (service, what) = operation.split_once(' ').unwrap();
        let read = match service {
            "iam" | "sts" => ["List", "Get", "Generate"].iter().any(|p| what.starts_with(p)),
            // The JSON protocols name the operation in X-Amz-Target: `secretsmanager.ListSecrets`,
            // `AmazonSSM.DescribeParameters`, `TrentService.ListKeys`; CBOR requests are counted the same way
            // (`GraniteServiceVersion20100801.DescribeAlarms`).
            _ if !what.contains(' ') => stance::aws::is_permitted_operation(what.rsplit('.').next().unwrap_or(what)),
            _ => what.starts_with("GET "),
        };
        assert!(read, "a non-read request reached AWS: {operation}");
        let value_read = stance::aws::NEVER_CALL.iter().find(|op| what.rsplit(['.', '/']).next() == Some(**op));
        assert!(value_read.is_none(), "a secret-value read reached AWS: {operation}");
    }
    assert_eq!(
        stats["requests"].as_u64(),
        inv["scan"]["requests"]["attempts"].as_u64(),
        "every request sent is counted"
    );
    // Few requests: within 1.3 times the pages and per-resource reads this inventory strictly needs (moto
    // answers a listing in pages of its own size, and retries its unimplemented calls once).
    let snapshot = stance::snapshot::Snapshot::read(&dir.path().join("inv.json")).expect("the scan's snapshot");
    let minimum = stance::collect::minimum_requests(&snapshot.inventory, 2);
    let sent = snapshot.inventory.scan.requests.attempts;
    eprintln!("requests: {sent} sent for a minimum of {minimum} ({:.2}x)", sent as f64 / minimum as f64);
    assert!(sent as f64 <= 1.3 * minimum as f64, "{sent} requests sent for a minimum of {minimum}");
}

#[test]
fn a_denied_service_leaves_a_recorded_gap_and_the_others_are_still_inventoried() {
    let emulator = Emulator::start(&["--deny", "lambda", "--deny", "iam"]);
    let (output, inv, _dir) = scan(&emulator, &["--region", "us-east-1", "--region", "eu-west-1"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("lambda us-east-1 ListFunctions: AccessDenied"), "{stderr}");

    assert_eq!(inv["lambda"]["functions"].as_object().unwrap().len(), 0);
    assert_eq!(inv["iam"]["roles"].as_object().unwrap().len(), 0);
    assert_eq!(inv["iam"]["password_policy"]["state"], "unknown", "denied is unknown, not absent");
    assert_eq!(inv["apigateway"]["apis"].as_object().unwrap().len(), 4);
    assert_eq!(inv["apigatewayv2"]["apis"].as_object().unwrap().len(), 3);
    let denied: BTreeSet<(String, String)> = inv["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["error_kind"] == "access_denied")
        .map(|r| {
            (
                r["service"].as_str().unwrap().to_owned(),
                format!("{} {}", r["region"].as_str().unwrap(), r["operation"].as_str().unwrap()),
            )
        })
        .collect();
    for expected in [
        ("lambda", "us-east-1 ListFunctions"),
        ("lambda", "eu-west-1 ListFunctions"),
        ("iam", "global GetAccountAuthorizationDetails"),
        ("iam", "global GenerateCredentialReport"),
        ("iam", "global GetAccountPasswordPolicy"),
        ("iam", "global GetAccountSummary"),
    ] {
        assert!(
            denied.contains(&(expected.0.to_owned(), expected.1.to_owned())),
            "missing {expected:?} in {denied:#?}"
        );
    }
}

#[test]
fn all_regions_skips_a_region_the_account_has_not_enabled() {
    let emulator = Emulator::start(&["--account", "empty", "--disable-region", "ap-east-1"]);
    let (output, inv, _dir) = scan(&emulator, &["--all-regions", "--concurrency", "32"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "an empty account with one disabled region is complete: {stderr}");
    let regions = inv["scan"]["regions"].as_array().unwrap();
    let skipped: Vec<&Value> = regions.iter().filter(|r| r["status"] == "skipped").collect();
    assert_eq!(skipped.len(), 1, "{regions:#?}");
    assert_eq!(skipped[0]["region"], "ap-east-1");
    assert!(skipped[0]["reason"].as_str().unwrap().contains("not enabled"));
    assert!(regions.len() > 25 && regions.iter().any(|r| r["region"] == "eu-west-1" && r["status"] == "scanned"));
    assert!(stderr.contains("skipped ap-east-1"), "{stderr}");
}

#[test]
fn no_reachable_endpoint_is_a_clean_failure() {
    let dir = tempfile::tempdir().unwrap();
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let output = stance(&["scan", "--endpoint-url", &endpoint, "--max-attempts", "1", "--out", "inv.json"], dir.path());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains("sts:GetCallerIdentity"), "{stderr}");
    assert!(!dir.path().join("inv.json").exists(), "nothing written on failure");
}

#[test]
fn no_credentials_is_a_clean_failure_that_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_stance"))
        .args(["scan", "--endpoint-url", "http://127.0.0.1:9", "--max-attempts", "1", "--out", "inv.json"])
        .current_dir(dir.path())
        .env_clear()
        .env("HOME", dir.path())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains("no usable AWS credentials") && stderr.contains("aws sso login"), "{stderr}");
    assert!(!dir.path().join("inv.json").exists());
}
