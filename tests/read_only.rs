//! stance never changes an account. Three layers prove it: the ReadOnlyGuard interceptor refuses any
//! non-read operation at run time (unit-tested in src/aws/guard.rs), the emulator test checks every request
//! that reached the wire, and this test checks that no code outside tests even names a mutating operation.

use std::path::Path;

/// Operations that only read. `GenerateCredentialReport` only asks IAM to build a report of what exists.
fn is_read_only(operation: &str) -> bool {
    ["list_", "get_", "describe_"].iter().any(|p| operation.starts_with(p)) || operation == "generate_credential_report"
}

/// Every operation of the AWS SDK crates stance depends on, as the client method names
/// (`src/operation/<name>/` in each crate), found through `cargo metadata`.
fn sdk_operations() -> std::collections::BTreeSet<String> {
    let rustc = std::process::Command::new("rustc").arg("-vV").output().expect("rustc -vV");
    let host = String::from_utf8_lossy(&rustc.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
        .expect("host triple");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // Filtered to this platform so that the crates of other platforms need not be downloaded.
    let output = std::process::Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--offline", "--filter-platform", &host, "--manifest-path"])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
        .output()
        .expect("cargo metadata");
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).expect("metadata JSON");
    let mut operations = std::collections::BTreeSet::new();
    for package in metadata["packages"].as_array().expect("packages") {
        if !package["name"].as_str().unwrap_or_default().starts_with("aws-sdk-") {
            continue;
        }
        let manifest = Path::new(package["manifest_path"].as_str().expect("manifest path"));
        let Ok(entries) = std::fs::read_dir(manifest.with_file_name("src").join("operation")) else { continue };
        for entry in entries.flatten() {
            if entry.path().is_dir() {
                operations.insert(entry.file_name().to_string_lossy().into_owned());
            }
        }
    }
    operations
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every `.name(` method call in `code`.
fn method_calls(code: &str) -> Vec<&str> {
    let bytes = code.as_bytes();
    let mut calls = Vec::new();
    for (i, _) in code.match_indices('.') {
        let rest = &code[i + 1..];
        let len = rest.bytes().take_while(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_').count();
        if len > 0 && bytes.get(i + 1 + len) == Some(&b'(') {
            calls.push(&rest[..len]);
        }
    }
    calls
}

#[test]
fn every_aws_operation_named_outside_tests_is_a_read() {
    let operations = sdk_operations();
    assert!(operations.contains("list_functions") && operations.contains("create_role"), "found the SDK operations");
    let mut files = Vec::new();
    rust_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut files);
    assert!(files.len() > 10, "found the sources");
    let mut called = std::collections::BTreeSet::new();
    let mut offenders = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("utf-8 source");
        // Test modules sit at the end of a file, or are files of their own (`#![cfg(test)]`); the guard's
        // tests call CreateRole and GetSecretValue to see them refused.
        if text.contains("#![cfg(test)]") {
            continue;
        }
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for call in method_calls(code).into_iter().filter(|c| operations.contains(*c)) {
            called.insert(call.to_owned());
            if !is_read_only(call) {
                offenders.push(format!("{}: .{call}(", file.display()));
            }
        }
    }
    assert!(offenders.is_empty(), "mutating operations named in src/:\n{}", offenders.join("\n"));
    // Nor a read of a value: the guard refuses them at run time, and the source never asks.
    let values: Vec<&String> =
        called.iter().filter(|c| stance::aws::NEVER_CALL.iter().any(|op| snake_case(op) == **c)).collect();
    assert!(values.is_empty(), "secret-value or data reads named in src/: {values:?}");
    // `stance policy` lists exactly the operations the source calls.
    let declared: std::collections::BTreeSet<String> =
        (stance::collect::operations::OPERATIONS.iter().chain(stance::collect::operations::ORG_OPERATIONS))
            .map(|(_, operation)| snake_case(operation))
            .collect();
    assert_eq!(declared, called, "collect/operations.rs must list every operation the collectors call, and only those");
    assert!(
        called.len() >= 25 && called.contains("get_account_authorization_details"),
        "the scanner's operations were recognized: {called:?}"
    );
}

/// `GetAccountAuthorizationDetails` → `get_account_authorization_details`, `ListMFADevices` → `list_mfa_devices`.
fn snake_case(operation: &str) -> String {
    let chars: Vec<char> = operation.chars().collect();
    let mut out = String::new();
    for (i, c) in chars.iter().enumerate() {
        let boundary = i > 0
            && c.is_ascii_uppercase()
            && (chars[i - 1].is_ascii_lowercase() || chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase()));
        if boundary {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

#[test]
fn the_checker_sees_calls() {
    assert_eq!(snake_case("ListMFADevices"), "list_mfa_devices");
    assert_eq!(snake_case("GetAccountAuthorizationDetails"), "get_account_authorization_details");
    let calls = method_calls("client.list_roles().send(); iam.create_role().role_name(x); self.put_item (y)");
    assert_eq!(calls, ["list_roles", "send", "create_role", "role_name"]);
    assert!(!is_read_only("create_role") && !is_read_only("update_function_code") && is_read_only("get_policy"));
}
