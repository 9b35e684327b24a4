//! The finding taxonomy (DESIGN.md §3), one line per rule: its category, the service whose posture it counts
//! against, its default severity, how attack paths treat it (`finding::Link`) and the rule that reports it
//! (in its family file under `src/rules/`). A leaf that imports nothing: the finding contract and the rule
//! registry are both generated from it, so a new rule is its line here plus its family file.

/// The table. A macro that hands it to `$callback`: `crate::finding` expands it into `Category` (ignoring the
/// rule column) and `rules::registry` into `RULES` (the rule column is `FAMILY::STATIC`, a static of `rules::FAMILY`).
/// Columns: category variant => category name, posture service, default severity, link, rule.
macro_rules! taxonomy {
    ($callback:ident) => {
        $callback! {
            LambdaPublicResourcePolicy => "lambda_public_resource_policy", "lambda", High, Link, lambda::PUBLIC_RESOURCE_POLICY;
            LambdaPublicEventSource => "lambda_public_event_source", "lambda", High, Link, lambda::PUBLIC_EVENT_SOURCE;
            LambdaCrossAccountInvoke => "lambda_cross_account_invoke", "lambda", Medium, Link, lambda::CROSS_ACCOUNT_INVOKE;
            LambdaFunctionUrlNoAuth => "lambda_function_url_no_auth", "lambda", High, Link, lambda::FUNCTION_URL_NO_AUTH;
            LambdaDeprecatedRuntime => "lambda_deprecated_runtime", "lambda", Medium, Link, lambda::DEPRECATED_RUNTIME;
            LambdaSecretsInEnv => "lambda_secrets_in_env", "lambda", High, Link, lambda::SECRETS_IN_ENV;
            LambdaTracingDisabled => "lambda_tracing_disabled", "lambda", Low, NotALink, lambda::TRACING_DISABLED;
            LambdaPrivilegedExecutionRole => "lambda_privileged_execution_role", "lambda", High, Link, lambda::PRIVILEGED_EXECUTION_ROLE;
            IamRoleTrustAnyPrincipal => "iam_role_trust_any_principal", "iam", Critical, Link, iam_trust::TRUST_ANY_PRINCIPAL;
            IamRoleCrossAccountNoExternalId => "iam_role_cross_account_no_external_id", "iam", High, Link, iam_trust::CROSS_ACCOUNT_NO_EXTERNAL_ID;
            IamAdminPrivileges => "iam_admin_privileges", "iam", High, Link, iam_permissions::ADMIN_PRIVILEGES;
            IamPrivilegeEscalation => "iam_privilege_escalation", "iam", High, Link, iam_permissions::PRIVILEGE_ESCALATION;
            IamServiceWildcard => "iam_service_wildcard", "iam", Medium, Link, iam_permissions::SERVICE_WILDCARD;
            IamNotactionAllow => "iam_notaction_allow", "iam", High, Link, iam_permissions::NOTACTION_ALLOW;
            IamRoleUnused => "iam_role_unused", "iam", Low, Link, credentials::ROLE_UNUSED;
            IamAccessKeyNotRotated => "iam_access_key_not_rotated", "iam", Medium, Link, credentials::ACCESS_KEY_NOT_ROTATED;
            IamUserMultipleActiveKeys => "iam_user_multiple_active_keys", "iam", Low, Link, credentials::USER_MULTIPLE_ACTIVE_KEYS;
            IamUserConsoleNoMfa => "iam_user_console_no_mfa", "iam", High, Link, credentials::USER_CONSOLE_NO_MFA;
            IamAccessKeyStaleInactive => "iam_access_key_stale_inactive", "iam", Low, Link, credentials::ACCESS_KEY_STALE_INACTIVE;
            IamSecretReadAll => "iam_secret_read_all", "iam", High, Link, iam_permissions::SECRET_READ_ALL;
            ApigwUnauthenticatedRoute => "apigw_unauthenticated_route", "apigateway", High, Link, apigateway::UNAUTHENTICATED_ROUTE;
            ApigwStageNoLogging => "apigw_stage_no_logging", "apigateway", Medium, Link, apigateway::STAGE_NO_LOGGING;
            ApigwApiKeyNotRotated => "apigw_api_key_not_rotated", "apigateway", Medium, Link, apigateway::API_KEY_NOT_ROTATED;
            ApigwPublicResourcePolicy => "apigw_public_resource_policy", "apigateway", High, Link, apigateway::PUBLIC_RESOURCE_POLICY;
            ApigwDomainWeakTls => "apigw_domain_weak_tls", "apigateway", Medium, Link, apigateway::DOMAIN_WEAK_TLS;
            ApigwCacheUnencrypted => "apigw_cache_unencrypted", "apigateway", Medium, Link, apigateway::CACHE_UNENCRYPTED;
            ApigwStageTracingDisabled => "apigw_stage_tracing_disabled", "apigateway", Low, NotALink, apigateway::STAGE_TRACING_DISABLED;
            ApigwStageNoWaf => "apigw_stage_no_waf", "apigateway", Low, Link, apigateway::STAGE_NO_WAF;
            SecretsmanagerRotationDisabled => "secretsmanager_rotation_disabled", "secretsmanager", Medium, Link, secrets::ROTATION_DISABLED;
            SecretsmanagerRotationOverdue => "secretsmanager_rotation_overdue", "secretsmanager", Medium, Link, secrets::ROTATION_OVERDUE;
            SecretsmanagerSecretUnused => "secretsmanager_secret_unused", "secretsmanager", Low, Link, secrets::SECRET_UNUSED;
            SecretsmanagerPublicResourcePolicy => "secretsmanager_public_resource_policy", "secretsmanager", Critical, Link, secrets::PUBLIC_RESOURCE_POLICY;
            SsmParameterPlaintextSecret => "ssm_parameter_plaintext_secret", "ssm", High, Link, secrets::PARAMETER_PLAINTEXT_SECRET;
            KmsKeyRotationDisabled => "kms_key_rotation_disabled", "kms", Medium, Link, kms::KEY_ROTATION_DISABLED;
            KmsKeyPublicPolicy => "kms_key_public_policy", "kms", Critical, Link, kms::KEY_PUBLIC_POLICY;
            KmsKeyPendingDeletionInUse => "kms_key_pending_deletion_in_use", "kms", High, Link, kms::KEY_PENDING_DELETION_IN_USE;
            CloudtrailNoMultiregionTrail => "cloudtrail_no_multiregion_trail", "cloudtrail", High, NotALink, cloudtrail::NO_MULTIREGION_TRAIL;
            CloudtrailNotLogging => "cloudtrail_not_logging", "cloudtrail", High, NotALink, cloudtrail::NOT_LOGGING;
            CloudtrailLogValidationDisabled => "cloudtrail_log_validation_disabled", "cloudtrail", Medium, NotALink, cloudtrail::LOG_VALIDATION_DISABLED;
            CloudtrailNotEncrypted => "cloudtrail_not_encrypted", "cloudtrail", Medium, NotALink, cloudtrail::NOT_ENCRYPTED;
            CloudtrailNoCloudwatchLogs => "cloudtrail_no_cloudwatch_logs", "cloudtrail", Low, NotALink, cloudtrail::NO_CLOUDWATCH_LOGS;
            CloudtrailNoLambdaDataEvents => "cloudtrail_no_lambda_data_events", "cloudtrail", Low, NotALink, cloudtrail::NO_LAMBDA_DATA_EVENTS;
            LogsRetentionUnset => "logs_retention_unset", "logs", Low, NotALink, monitoring::LOGS_RETENTION_UNSET;
            MonitoringMissingSecurityAlarm => "monitoring_missing_security_alarm", "cloudwatch", Medium, NotALink, monitoring::MISSING_SECURITY_ALARM;
            SnsTopicPublicPolicy => "sns_topic_public_policy", "sns", High, Link, events::TOPIC_PUBLIC_POLICY;
            SnsTopicUnencrypted => "sns_topic_unencrypted", "sns", Low, NotALink, events::TOPIC_UNENCRYPTED;
            SqsQueuePublicPolicy => "sqs_queue_public_policy", "sqs", High, Link, events::QUEUE_PUBLIC_POLICY;
            SqsQueueUnencrypted => "sqs_queue_unencrypted", "sqs", Low, NotALink, events::QUEUE_UNENCRYPTED;
            EventbridgeBusPublicPolicy => "eventbridge_bus_public_policy", "eventbridge", High, Link, events::BUS_PUBLIC_POLICY;
            DataResidencyViolation => "data_residency_violation", "governance", High, NotALink, governance::DATA_RESIDENCY_VIOLATION;
            ResourceMissingRequiredTag => "resource_missing_required_tag", "governance", Low, NotALink, governance::RESOURCE_MISSING_REQUIRED_TAG;
            CustomRule => "custom_rule", "governance", Low, NotALink, custom::CUSTOM_RULES;
            AttackPathPublicApiToPrivilegedLambda => "attack_path_public_api_to_privileged_lambda", "attack_paths", Critical, Path, paths::PUBLIC_API_TO_PRIVILEGED_LAMBDA;
            AttackPathPublicEventToPrivilegedLambda => "attack_path_public_event_to_privileged_lambda", "attack_paths", Critical, Path, paths::PUBLIC_EVENT_TO_PRIVILEGED_LAMBDA;
            AttackPathCrossAccount => "attack_path_cross_account", "attack_paths", Critical, Path, paths::CROSS_ACCOUNT;
        }
    };
}
pub(crate) use taxonomy;
