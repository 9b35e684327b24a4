//! Any text, as a mutes file (`stance.toml`): parsed to mutes or refused with a line, never a panic; the
//! mutes it accepts apply to real findings (an attack path, an IAM and a Lambda finding) without one either.
//!
//!     cargo +nightly fuzz run mutes_file -- -max_total_time=600
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use stance::rules::Finding;

fn findings() -> &'static [Finding] {
    static FINDINGS: OnceLock<Vec<Finding>> = OnceLock::new();
    FINDINGS.get_or_init(|| serde_json::from_str(include_str!("../fixtures/findings.json")).unwrap_or_default())
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(mutes) = stance::mutes::parse(text, "stance.toml") else { return };
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 29).unwrap_or_default();
    let mut findings = findings().to_vec();
    let _ = stance::mutes::apply(&mutes, &mut findings, today, None);
});
