//! Opening a large snapshot progressively: everything but the findings, and the first (highest ranked)
//! findings, as soon as they are read; the rest in batches from a reader thread. The file is decoded as a
//! stream, never held whole, and read once: a snapshot with fewer findings than a batch comes back whole.
//! A snapshot whose findings do not come last (written before they did), one of an older schema, and any
//! error take the whole-file path instead, so its messages stay exactly those of [`Snapshot::read`].

use std::fmt;
use std::io::Read;
use std::path::Path;
use std::sync::mpsc::{Receiver, Sender, SyncSender, sync_channel};

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use super::{Current, FORMAT, SCHEMA_VERSION, Snapshot, SnapshotError, is_compressed};
use crate::finding::Finding;

/// Findings read before the first frame: more than any screen shows.
const FIRST_BATCH: usize = 500;
/// Findings per later message.
const BATCH: usize = 10_000;

/// What the reader thread sends after the opening part.
#[derive(Debug)]
pub enum Part {
    /// The next findings, in the file's (rank) order.
    Findings(Vec<Finding>),
    /// Every finding has been read.
    Done,
    /// The rest of the file is not a valid snapshot: the error [`Snapshot::read`] gives for it.
    Failed(SnapshotError),
}

/// What opens the snapshot: the whole of it, or its first part and a channel for the rest.
enum Opening {
    Whole(Result<Box<Snapshot>, SnapshotError>),
    First(Box<Snapshot>),
}

/// Opens `path`: returns the snapshot with its first findings as soon as they are read, and, when more are
/// still being read, the channel they arrive on. Errors that can be seen before the first findings are
/// returned here, as [`Snapshot::read`] words them; later ones arrive as [`Part::Failed`].
pub fn open_progressive(path: &Path) -> Result<(Snapshot, Option<Receiver<Part>>), SnapshotError> {
    let (first_tx, first_rx) = sync_channel::<Opening>(1);
    let (rest_tx, rest_rx) = std::sync::mpsc::channel::<Part>();
    let owned = path.to_owned();
    std::thread::Builder::new()
        .name("snapshot-reader".into())
        .spawn(move || read_in_parts(&owned, &first_tx, &rest_tx))
        .map_err(|e| SnapshotError::Io { path: path.display().to_string(), message: e.to_string() })?;
    match first_rx.recv() {
        Ok(Opening::First(snapshot)) => Ok((*snapshot, Some(rest_rx))),
        Ok(Opening::Whole(result)) => result.map(|snapshot| (*snapshot, None)),
        // The reader died without a word (it cannot, short of a panic): read the whole file here.
        Err(_) => Snapshot::read(path).map(|snapshot| (snapshot, None)),
    }
}

/// The reader thread: streams the file, sending the first part, then the findings in batches.
fn read_in_parts(path: &Path, first: &SyncSender<Opening>, rest: &Sender<Part>) {
    let mut state = Reading { first: Some(first.clone()), rest: rest.clone(), whole: None };
    let streamed = stream(path, &mut state);
    match (streamed, state.first.take(), state.whole.take()) {
        // Fewer findings than a first batch, and the file read to its end without a problem: that is the
        // whole snapshot, read once.
        (Ok(()), Some(first), Some(whole)) => {
            let _ = first.send(Opening::Whole(Ok(whole)));
        }
        // The first part was never sent and the stream did not give the whole: the findings do not come
        // last, the schema is older, or the file is bad. The whole-file path answers, with its messages.
        (_, Some(first), _) => {
            let _ = first.send(Opening::Whole(Snapshot::read(path).map(Box::new)));
        }
        (Ok(()), None, _) => {
            let _ = rest.send(Part::Done);
        }
        // The first part was shown, then the file turned out bad: say so as a whole-file read would.
        (Err(()), None, _) => {
            let error = match Snapshot::read(path) {
                Err(error) => error,
                Ok(_) => SnapshotError::Io {
                    path: path.display().to_string(),
                    message: "the file changed while it was read".into(),
                },
            };
            let _ = rest.send(Part::Failed(error));
        }
    }
}

struct Reading {
    /// Until the first part is sent.
    first: Option<SyncSender<Opening>>,
    rest: Sender<Part>,
    /// A snapshot whose findings all fit in the first batch, once its findings are read.
    whole: Option<Box<Snapshot>>,
}

fn stream(path: &Path, state: &mut Reading) -> Result<(), ()> {
    let file = std::fs::File::open(path).map_err(drop)?;
    // serde_json reads a byte at a time: a buffer in front of the decoder keeps that a memory access, and
    // a concrete reader type (no `dyn`) lets it inline.
    if is_compressed(path) {
        let decoder = zstd::stream::Decoder::new(file).map_err(drop)?;
        stream_from(std::io::BufReader::with_capacity(1 << 17, decoder), state)
    } else {
        stream_from(std::io::BufReader::with_capacity(1 << 17, file), state)
    }
}

fn stream_from<R: Read>(reader: R, state: &mut Reading) -> Result<(), ()> {
    let mut deserializer = serde_json::Deserializer::from_reader(reader);
    de::Deserializer::deserialize_map(&mut deserializer, Top { state }).map_err(drop)?;
    deserializer.end().map_err(drop)
}

/// The top-level object: every field but `findings` is kept as JSON until `findings` begins, then made the
/// typed first part.
struct Top<'a> {
    state: &'a mut Reading,
}

impl<'de> Visitor<'de> for Top<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a stance snapshot")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut fields = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if key != "findings" {
                let value: serde_json::Value = map.next_value()?;
                fields.insert(key, value);
                continue;
            }
            let current = fields.get("format").and_then(|f| f.as_str()) == Some(FORMAT)
                && fields.get("schema_version").and_then(|v| v.as_u64()) == Some(u64::from(SCHEMA_VERSION));
            fields.insert("findings".into(), serde_json::Value::Array(Vec::new()));
            // Only a current snapshot with everything before its findings can be shown from its first part.
            let header = if current {
                serde_json::from_value::<Current>(serde_json::Value::Object(std::mem::take(&mut fields))).ok()
            } else {
                None
            };
            let Some(header) = header else {
                return Err(de::Error::custom("not progressive"));
            };
            map.next_value_seed(Findings { state: self.state, header: Some(Box::new(header.into_snapshot())) })?;
        }
        Ok(())
    }
}

/// The findings array, sent on in batches.
struct Findings<'a> {
    state: &'a mut Reading,
    /// The first part, sent with the first batch.
    header: Option<Box<Snapshot>>,
}

impl<'de> DeserializeSeed<'de> for Findings<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Findings<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the findings")
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        let mut batch = Vec::with_capacity(FIRST_BATCH);
        let mut limit = FIRST_BATCH;
        while let Some(finding) = seq.next_element::<Finding>()? {
            batch.push(finding);
            if batch.len() < limit {
                continue;
            }
            let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
            if let (Some(mut header), Some(first)) = (self.header.take(), self.state.first.take()) {
                header.analysis.findings = full;
                let _ = first.send(Opening::First(header));
            } else {
                let _ = self.state.rest.send(Part::Findings(full));
            }
            limit = BATCH;
        }
        match self.header.take() {
            // Fewer findings than a first batch: this is the whole snapshot, sent once the file has been read
            // to its end.
            Some(mut header) => {
                header.analysis.findings = batch;
                self.state.whole = Some(header);
                Ok(())
            }
            None => {
                if !batch.is_empty() {
                    let _ = self.state.rest.send(Part::Findings(batch));
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ScanReport;
    use crate::mutes::MuteReport;
    use crate::rules::fixture::*;

    /// A snapshot of `functions` untraced functions (a finding each, and more).
    fn snapshot(functions: usize) -> Snapshot {
        let mut fixture = Fixture::new().role("r", lambda_trust(), &[], &[]);
        for i in 0..functions {
            fixture = fixture.function(&format!("fn-{i:04}"), "r", |f| f.tracing_mode = None);
        }
        let analysis = crate::assess::analyze(&fixture.inventory, now());
        Snapshot::new(ScanReport { inventory: fixture.inventory, analysis }, MuteReport::default())
    }

    fn read_all(path: &Path) -> (Snapshot, bool) {
        let (mut snapshot, rest) = open_progressive(path).expect("opens");
        let progressive = rest.is_some();
        for part in rest.into_iter().flatten() {
            match part {
                Part::Findings(more) => snapshot.analysis.findings.extend(more),
                Part::Done => break,
                Part::Failed(error) => panic!("{error}"),
            }
        }
        (snapshot, progressive)
    }

    #[test]
    fn the_first_part_then_the_rest_make_the_whole_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let big = snapshot(FIRST_BATCH + 150);
        for name in ["big.json", "big.json.zst"] {
            let path = dir.path().join(name);
            big.write(&path).unwrap();
            let (first, rest) = open_progressive(&path).unwrap();
            assert!(rest.is_some(), "{name}: more findings than a first batch arrive later");
            assert_eq!(first.analysis.findings.len(), FIRST_BATCH);
            assert_eq!(first.analysis.findings[..], big.analysis.findings[..FIRST_BATCH], "the highest ranked first");
            assert_eq!(first.analysis.posture, big.analysis.posture, "the header is whole");
            drop(rest);
            let (whole, progressive) = read_all(&path);
            assert!(progressive);
            assert_eq!(whole, Snapshot::read(&path).unwrap(), "{name}");
        }
        // A small one is read whole at once.
        let small = snapshot(3);
        let path = dir.path().join("small.json.zst");
        small.write(&path).unwrap();
        assert_eq!(read_all(&path), (small, false));
    }

    #[test]
    fn an_older_layout_and_errors_read_as_a_whole_file_read_does() {
        let dir = tempfile::tempdir().unwrap();
        let big = snapshot(FIRST_BATCH + 150);
        // Findings before the posture (as snapshots were written before): read whole.
        let mut value = serde_json::to_value(&big).unwrap();
        let object = value.as_object_mut().unwrap();
        let findings = object.remove("findings").unwrap();
        let mut reordered = serde_json::Map::new();
        reordered.insert("findings".into(), findings);
        reordered.extend(std::mem::take(object));
        let path = dir.path().join("old-layout.json");
        std::fs::write(&path, serde_json::to_vec(&reordered).unwrap()).unwrap();
        assert_eq!(read_all(&path), (big.clone(), false));

        // Cut inside the findings, after the first part: the first part shows, then the error comes as
        // `Snapshot::read` words it.
        let text = serde_json::to_string_pretty(&big).unwrap();
        let cut = dir.path().join("cut.json");
        std::fs::write(&cut, &text[..text.len() - 2000]).unwrap();
        let (first, rest) = open_progressive(&cut).unwrap();
        assert_eq!(first.analysis.findings.len(), FIRST_BATCH);
        let failed = rest.unwrap().into_iter().find_map(|part| match part {
            Part::Failed(error) => Some(error.to_string()),
            _ => None,
        });
        let expected = Snapshot::read(&cut).unwrap_err().to_string();
        assert_eq!(failed.as_deref(), Some(expected.as_str()));
        assert!(expected.contains("truncated"), "{expected}");

        // Broken before the findings: the same error at once.
        let header = dir.path().join("header.json");
        std::fs::write(&header, &text[..200]).unwrap();
        let error = open_progressive(&header).map(|_| ()).unwrap_err().to_string();
        assert_eq!(error, Snapshot::read(&header).unwrap_err().to_string());
        let missing = dir.path().join("missing.json.zst");
        let error = open_progressive(&missing).map(|_| ()).unwrap_err().to_string();
        assert_eq!(error, Snapshot::read(&missing).unwrap_err().to_string());
    }
}
