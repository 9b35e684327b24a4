//! Nothing stance writes carries a secret: not the account's (the planted Lambda environment values), not the
//! caller's (access key, secret key, session token), not a request signature — in snapshots, exports, diff
//! output, or logs at `RUST_LOG=trace`.

mod support;

use std::path::Path;
use std::process::Output;

use support::{Emulator, planted_secrets};

const ACCESS_KEY_ID: &str = "AKIASTANCEHYGIENE042"; // 20 characters, as AWS makes them
const SECRET_ACCESS_KEY: &str = "hygiene/Secret+Access+Key+0123456789abcdefXYZ";
const SESSION_TOKEN: &str = "IQoJb3JpZ2luX2VjEHygieneSessionTokenValue0123456789";

/// stance with the test credentials, a session token and every log target at trace.
fn stance(args: &[&str], dir: &Path) -> Output {
    support::stance_command(dir)
        .args(args)
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
        .env("AWS_SESSION_TOKEN", SESSION_TOKEN)
        .env("RUST_LOG", "trace")
        .output()
        .expect("running stance")
}

/// Every file under `dir`, decompressed when it is zstd.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files(&path));
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let bytes =
            if bytes.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) { zstd::decode_all(&bytes[..]).unwrap() } else { bytes };
        out.push((path.display().to_string(), bytes));
    }
    out
}

#[test]
fn no_secret_in_any_byte_stance_writes() {
    let emulator = Emulator::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path();
    let scan = |out: &str| {
        let output = stance(
            &[
                "scan",
                "--endpoint-url",
                &emulator.endpoint,
                "--region",
                "us-east-1",
                "--region",
                "eu-west-1",
                "--max-attempts",
                "1",
                "--out",
                out,
            ],
            work,
        );
        assert!(matches!(output.status.code(), Some(0 | 3)), "{}", String::from_utf8_lossy(&output.stderr));
        output
    };
    let mut written: Vec<(String, Vec<u8>)> = Vec::new();
    let mut keep = |name: String, output: Output| {
        written.push((format!("{name} stdout"), output.stdout));
        written.push((format!("{name} stderr"), output.stderr));
    };
    keep("scan before".into(), scan("before.json"));
    support::change(&emulator, &["fix-bob-mfa", "lock-down-payments", "open-orders-url"]);
    keep("scan after".into(), scan("after.json.zst"));
    for format in ["text", "json", "markdown"] {
        keep(format!("diff {format}"), stance(&["diff", "before.json", "after.json.zst", "--format", format], work));
    }
    for format in ["ocsf", "sarif", "markdown", "csv"] {
        keep(format!("export {format}"), stance(&["export", "before.json", "--format", format], work));
        let out = format!("export.{format}");
        keep(
            format!("export {format} file"),
            stance(&["export", "after.json.zst", "--format", format, "--out", &out], work),
        );
    }
    keep("history".into(), stance(&["history", "."], work));
    written.extend(files(work));

    let logs: usize = written.iter().filter(|(name, _)| name.ends_with("stderr")).map(|(_, b)| b.len()).sum();
    assert!(logs > 100_000, "trace logging is on ({logs} bytes of logs)");
    assert!(written.iter().any(|(name, _)| name.ends_with("after.json.zst")), "the compressed snapshot is checked");

    let secrets = planted_secrets();
    assert!(secrets.len() >= 3, "{secrets:?}");
    let mut forbidden: Vec<(String, String)> =
        secrets.into_iter().map(|s| ("a planted secret".to_owned(), s)).collect();
    for (what, value) in [
        ("the access key id", ACCESS_KEY_ID),
        ("the secret key", SECRET_ACCESS_KEY),
        ("the session token", SESSION_TOKEN),
    ] {
        forbidden.push((what.into(), value.into()));
    }
    // Signature values and the signed Authorization header, in any case (the SDK masks the token header's
    // value itself: the token is checked for above).
    let markers = [
        "signature=0",
        "signature=1",
        "signature=2",
        "signature=3",
        "signature=4",
        "signature=5",
        "signature=6",
        "signature=7",
        "signature=8",
        "signature=9",
        "signature=a",
        "signature=b",
        "signature=c",
        "signature=d",
        "signature=e",
        "signature=f",
        "authorization: aws4",
        "authorization=aws4",
    ];
    let mut leaks = Vec::new();
    for (name, bytes) in &written {
        let text = String::from_utf8_lossy(bytes);
        for (what, value) in &forbidden {
            if text.contains(value.as_str()) {
                leaks.push(format!("{name}: {what}"));
            }
        }
        let lower = text.to_ascii_lowercase();
        for marker in markers {
            if let Some(at) = lower.find(marker) {
                let line = text[..at].rfind('\n').map_or(0, |n| n + 1);
                let end = text[at..].find('\n').map_or(text.len(), |n| at + n);
                leaks.push(format!("{name}: `{marker}` in {:?}", &text[line..end.min(line + 300)]));
            }
        }
    }
    assert!(leaks.is_empty(), "{} leak(s):\n{}", leaks.len(), leaks.join("\n"));
}
