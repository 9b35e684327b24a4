//! The read-only guard on the clients the scanner builds: a client made with `client!`, as every collector's
//! is, refuses reads of secret values and parameters before anything is sent (`aws::NEVER_CALL`).
#![cfg(test)]

use std::io::{Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;

/// A local endpoint that answers every request with 200 and a body that holds a secret's and a
/// parameter's value, as AWS would for a caller whose IAM policy allows the read. It counts requests.
fn permissive_endpoint() -> (String, Arc<AtomicUsize>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a local port");
    let endpoint = format!("http://{}", listener.local_addr().expect("bound"));
    let requests = Arc::new(AtomicUsize::new(0));
    let counted = requests.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            counted.fetch_add(1, Ordering::SeqCst);
            let mut buffer = [0u8; 16384];
            let _ = stream.read(&mut buffer);
            let body = r#"{"SecretString":"planted-secret-value","Parameters":[{"Name":"p","Value":"planted-parameter-value"}],"SecretList":[]}"#;
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.1\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes());
        }
    });
    (endpoint, requests)
}

#[tokio::test]
async fn a_client_stance_builds_never_sends_a_secret_value_read() {
    let (endpoint, requests) = permissive_endpoint();
    let config = crate::aws::offline_config(crate::aws::https_client(), "us-east-1")
        .into_builder()
        .endpoint_url(&endpoint)
        .build();
    let options = ScanOptions {
        regions: RegionSelection::Listed(vec!["us-east-1".into()]),
        concurrency: 1,
        as_of: None,
        time_limit: None,
    };
    let scanner = Scanner::new(config.clone(), options, Redactor::from_key_material(b"test"));
    let secrets = client!(scanner, aws_sdk_secretsmanager, &config, "secretsmanager", "us-east-1");
    let ssm = client!(scanner, aws_sdk_ssm, &config, "ssm", "us-east-1");

    let refused = [
        format!("{:?}", secrets.get_secret_value().secret_id("db-password").send().await.expect_err("refused")),
        format!(
            "{:?}",
            secrets.batch_get_secret_value().secret_id_list("db-password").send().await.expect_err("refused")
        ),
        format!(
            "{:?}",
            ssm.get_parameters().names("/app/db-password").with_decryption(true).send().await.expect_err("refused")
        ),
        format!("{:?}", ssm.get_parameter().name("/app/db-password").send().await.expect_err("refused")),
    ];
    for message in &refused {
        assert!(message.contains("never reads secret values"), "{message}");
        assert!(!message.contains("planted"), "no value came back: {message}");
    }
    assert_eq!(requests.load(Ordering::SeqCst), 0, "nothing was sent");
    assert_eq!(scanner.counters.calls(), 0, "a refused call is not counted as made");

    // The endpoint was live and would have answered: metadata reads go through.
    secrets.list_secrets().send().await.expect("ListSecrets is metadata");
    ssm.describe_parameters().send().await.expect("DescribeParameters is metadata");
    assert_eq!(requests.load(Ordering::SeqCst), 2);
}
