//! Any bytes, as the IAM credential report (the CSV GetCredentialReport returns, base64-decoded): rows or
//! an error, never a panic.
//!
//!     cargo +nightly fuzz run credential_report -- -max_total_time=600
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = stance::inventory::credential_report::parse(data);
});
