//! AWS configuration: credentials, region, endpoint, retries, timeouts, and the read-only guard that every
//! client stance builds carries.

pub mod cassette;
mod guard;

pub use crate::inventory::regions::{STANDARD_REGIONS, check_region_name};
pub use guard::{
    CallCounters, NEVER_CALL, ReadOnlyGuard, THROTTLING_CODES, ThrottlingClassifier, is_permitted_operation,
    is_read_only_operation,
};

use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig, retry::RetryConfig, timeout::TimeoutConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::client::http::SharedHttpClient;

/// How to reach AWS: what the CLI's connection flags say.
#[derive(Debug, Clone)]
pub struct AwsOptions {
    pub profile: Option<String>,
    /// The region used for global services and as the default scan region; `None` means the profile's.
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    pub role_arn: Option<String>,
    pub external_id: Option<String>,
    /// Attempts per call, the first one included (standard retry: exponential backoff with jitter).
    pub max_attempts: u32,
    /// Deadline for one attempt of one call.
    pub attempt_timeout: Duration,
    /// Deadline for one call, all its retries included.
    pub call_timeout: Duration,
    /// The HTTP client under the SDK; `None` means [`https_client`] (a recording client wraps it).
    pub http_client: Option<SharedHttpClient>,
}

impl Default for AwsOptions {
    fn default() -> Self {
        Self {
            profile: None,
            region: None,
            endpoint_url: None,
            role_arn: None,
            external_id: None,
            max_attempts: 8,
            attempt_timeout: Duration::from_secs(20),
            call_timeout: Duration::from_secs(90),
            http_client: None,
        }
    }
}

/// Fallback when neither `--region` nor the profile/environment names one.
pub const DEFAULT_REGION: &str = "us-east-1";

/// The HTTPS client every SDK client uses: one rustls + ring stack (the SDK's default features would build
/// aws-lc's C code and a second TLS stack).
pub fn https_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new().tls_provider(tls::Provider::Rustls(CryptoMode::Ring)).build_https()
}

/// Loads the shared SDK configuration: the standard credential chain (environment, profiles, SSO, web
/// identity, container and instance metadata), then, with `role_arn`, an assumed role on top of it.
/// Checks that `profile` is defined in the AWS config or credentials file, so that a typo fails as one line
/// naming the profiles that exist instead of ending in the instance-metadata provider's error.
pub async fn check_profile(profile: &str) -> Result<(), String> {
    use aws_types::os_shim_internal::{Env, Fs};
    // The default files honour AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE, as the SDK does.
    let set = aws_config::profile::load(&Fs::real(), &Env::real(), &Default::default(), None)
        .await
        .map_err(|e| format!("the AWS config files cannot be read: {e}"))?;
    if set.get_profile(profile).is_some() {
        return Ok(());
    }
    let mut defined: Vec<&str> = set.profiles().collect();
    defined.sort_unstable();
    Err(if defined.is_empty() {
        format!(
            "profile `{profile}` is not defined: no profile is in ~/.aws/config or ~/.aws/credentials (run `aws configure sso` or `aws configure`)"
        )
    } else {
        format!(
            "profile `{profile}` is not defined in ~/.aws/config or ~/.aws/credentials (defined: {})",
            defined.join(", ")
        )
    })
}

pub async fn load_config(options: &AwsOptions) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(options.http_client.clone().unwrap_or_else(https_client))
        // Standard, not adaptive, retry: the SDK's adaptive rate limiter reacted to 30% throttling of a
        // 100-call scan with 18 s waits per retry until calls hit their 90 s timeout (tests/faults.rs);
        // exponential backoff with jitter plus the request semaphore recovers in seconds.
        .retry_config(RetryConfig::standard().with_max_attempts(options.max_attempts.max(1)))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_attempt_timeout(options.attempt_timeout)
                .operation_timeout(options.call_timeout)
                .build(),
        );
    if let Some(profile) = &options.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &options.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(endpoint) = &options.endpoint_url {
        loader = loader.endpoint_url(endpoint);
    }
    let mut config = loader.load().await;
    if config.region().is_none() {
        config = config.into_builder().region(Region::new(DEFAULT_REGION)).build();
    }

    if let Some(role_arn) = &options.role_arn {
        let mut builder =
            aws_config::sts::AssumeRoleProvider::builder(role_arn).session_name("stance-audit").configure(&config);
        if let Some(external_id) = &options.external_id {
            builder = builder.external_id(external_id);
        }
        let provider = builder.build().await;
        config = config.into_builder().credentials_provider(SharedCredentialsProvider::new(provider)).build();
    }
    config
}

/// A configuration that reads nothing from the environment (no profiles, no `AWS_*` variables, no
/// instance metadata) and sends every request to `http_client`: for replaying a recorded account.
/// Retries are off: a recorded failure is answered at once, as it was recorded.
pub fn offline_config(http_client: SharedHttpClient, region: &str) -> SdkConfig {
    offline_config_at(http_client, region, None)
}

/// [`offline_config`] with the clock stopped at `time`: a replayed organization scan's assumed-role
/// credentials expire an hour after they were recorded, and a stopped clock keeps them valid.
pub fn offline_config_at(
    http_client: SharedHttpClient,
    region: &str,
    time: Option<std::time::SystemTime>,
) -> SdkConfig {
    let credentials = aws_credential_types::Credentials::new("STANCEREPLAY", "replay", None, None, "stance-replay");
    let mut builder = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .http_client(http_client)
        .time_source(match time {
            Some(at) => {
                aws_smithy_async::time::SharedTimeSource::new(aws_smithy_async::time::StaticTimeSource::new(at))
            }
            None => aws_smithy_async::time::SharedTimeSource::default(),
        })
        .retry_config(RetryConfig::disabled())
        .timeout_config(TimeoutConfig::disabled());
    if let Some(sleep) = aws_smithy_async::rt::sleep::default_async_sleep() {
        builder = builder.sleep_impl(sleep);
    }
    builder.build()
}

/// The retry partition of one service in one region. Its retry quota (the SDK's token bucket, which stops
/// retries when too many fail) does not charge for throttling: a throttled call waits out its backoff and
/// tries again. Server errors and timeouts still draw on the quota, so an outage does not become a storm.
/// The default bucket (500 tokens, 5 per retry, 1 back per success) would run dry after roughly 450 calls
/// at 30% throttling, and every throttled call after that would fail at once.
/// `scope` sets one scan's partitions apart from another's in the same process (an organization scan's
/// accounts); empty for a single account.
pub fn retry_partition(scope: &str, service: &str, region: &str) -> aws_sdk_sts::config::retry::RetryPartition {
    use aws_sdk_sts::config::retry::{RetryPartition, TokenBucket};
    let name = if scope.is_empty() {
        format!("stance-{service}-{region}")
    } else {
        format!("stance-{scope}-{service}-{region}")
    };
    RetryPartition::custom(name).token_bucket(TokenBucket::builder().throttling_retry_cost(0).build()).build()
}

/// The same configuration pointed at another region.
pub fn for_region(config: &SdkConfig, region: &str) -> SdkConfig {
    config.clone().into_builder().region(Region::new(region.to_owned())).build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn https_client_builds_with_the_trimmed_tls_stack() {
        // Constructing the client loads the rustls + ring provider and the native roots; a missing
        // feature would panic here rather than on a user's first real call.
        let client = https_client();
        assert!(format!("{client:?}").contains("SharedHttpClient"));
    }

    #[tokio::test]
    async fn options_reach_the_sdk_config() {
        let options = AwsOptions {
            region: Some("eu-west-1".into()),
            endpoint_url: Some("http://127.0.0.1:1".into()),
            max_attempts: 2,
            ..AwsOptions::default()
        };
        let config = load_config(&options).await;
        assert_eq!(config.region().map(|r| r.as_ref()), Some("eu-west-1"));
        assert_eq!(config.endpoint_url(), Some("http://127.0.0.1:1"));
        assert_eq!(config.retry_config().map(|r| r.max_attempts()), Some(2));
        assert_eq!(config.timeout_config().and_then(|t| t.operation_attempt_timeout()), Some(Duration::from_secs(20)));
        let moved = for_region(&config, "ap-south-1");
        assert_eq!(moved.region().map(|r| r.as_ref()), Some("ap-south-1"));
    }
}
