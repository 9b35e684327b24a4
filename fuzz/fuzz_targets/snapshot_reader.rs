//! Any bytes, as a snapshot file: the reader must answer with a snapshot or an error, never panic; what it
//! accepts must survive everything `stance diff`, `export` and `open` do with a snapshot.
//! The body is `stance::hostile_input::snapshot_file`, which `tests/hostile_input.rs` replays over the seeds and
//! every crash kept in `fuzz/regressions/snapshot_reader/`.
//!
//!     cargo +nightly fuzz run snapshot_reader -- -max_total_time=600
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| stance::hostile_input::snapshot_file(data));
