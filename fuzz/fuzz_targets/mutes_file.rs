//! Any text, as a mutes file (`stance.toml`): parsed to mutes or refused with a line, never a panic; the
//! mutes it accepts apply to real findings without one either.
//! The body is `stance::hostile_input::mutes_file`, which `tests/hostile_input.rs` replays over the seeds and
//! every crash kept in `fuzz/regressions/mutes_file/`.
//!
//!     cargo +nightly fuzz run mutes_file -- -max_total_time=600
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| stance::hostile_input::mutes_file(data));
