//! Any text, as a policy document: decoding, parsing, and the engine over it must never panic.
//! The body is `stance::hostile_input::policy_document`, which `tests/hostile_input.rs` replays over the seeds and
//! every crash kept in `fuzz/regressions/policy_parser/`.
//!
//!     cargo +nightly fuzz run policy_parser -- -max_total_time=600
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| stance::hostile_input::policy_document(data));
