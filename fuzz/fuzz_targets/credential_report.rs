//! Any bytes, as the IAM credential report (the CSV GetCredentialReport returns, base64-decoded): rows or
//! an error, never a panic.
//! The body is `stance::hostile_input::credential_report`, which `tests/hostile_input.rs` replays over the seeds and
//! every crash kept in `fuzz/regressions/credential_report/`.
//!
//!     cargo +nightly fuzz run credential_report -- -max_total_time=600
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| stance::hostile_input::credential_report(data));
