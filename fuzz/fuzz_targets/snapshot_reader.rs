//! Any bytes, as a snapshot file: the reader must answer with a snapshot or an error, never panic; what it
//! accepts must survive everything `stance diff`, `export` and `open` do with a snapshot.
//!
//!     cargo +nightly fuzz run snapshot_reader -- -max_total_time=600
#![no_main]

use libfuzzer_sys::fuzz_target;
use stance::export::{Format, export};
use stance::snapshot::Snapshot;

fuzz_target!(|data: &[u8]| {
    let Ok(snapshot) = Snapshot::from_slice(data, "fuzz.json") else { return };
    let diff = stance::diff::diff(&snapshot, &snapshot);
    let _ = stance::diff::text(&diff);
    let _ = stance::diff::markdown(&diff);
    for format in [Format::Ocsf, Format::Sarif, Format::Markdown, Format::Csv] {
        let _ = export(&snapshot, format);
    }
    let _ = stance::tui::App::new(snapshot, Some(diff));
});
