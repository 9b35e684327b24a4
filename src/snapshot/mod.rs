//! Posture snapshot files (DESIGN.md §4): one scan's inventory (secrets redacted), findings, scores, coverage
//! and mutes, in a versioned JSON document, optionally zstd-compressed (`.zst`). Written atomically, mode
//! 0600, in a deterministic order so that two scans of an unchanged account differ only in timestamps.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::ScanReport;
use crate::assess::Analysis;
use crate::inventory::Inventory;
use crate::mutes::MuteReport;

mod progressive;
pub use progressive::{Part, open_progressive};

/// The `format` every snapshot names.
pub const FORMAT: &str = "stance-snapshot";
/// The schema this build writes. Readers accept every version up to it and migrate older ones.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub format: String,
    pub schema_version: u32,
    /// Account, scan metadata (times, regions, `as_of`, requests), the redacted inventory and coverage.
    #[serde(flatten)]
    pub inventory: Inventory,
    /// The mutes that were applied, and those that had expired.
    #[serde(default)]
    pub mutes: MuteReport,
    /// Posture and per-service scores, policy problems, then the findings (muted ones included, marked):
    /// last in the file, so that a reader can show the rest and the first findings before it has them all.
    #[serde(flatten)]
    pub analysis: Analysis,
}

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("{path}: cannot read the file: {message}")]
    Io { path: String, message: String },
    #[error("{path}: the file is empty, not a snapshot")]
    Empty { path: String },
    #[error("{path}: not valid zstd data ({message}); a .zst file must be a zstd-compressed snapshot")]
    Compression { path: String, message: String },
    #[error("{path}: truncated: the JSON ends early at line {line}, column {column} (was the file cut off?)")]
    Truncated { path: String, line: usize, column: usize },
    #[error("{path}: corrupt JSON at line {line}, column {column}: {message}")]
    Corrupt { path: String, line: usize, column: usize, message: String },
    #[error("{path}: not a stance snapshot (expected `\"format\": \"{FORMAT}\"`)")]
    NotASnapshot { path: String },
    #[error("{path}: schema version {found} is newer than this stance reads (up to {SCHEMA_VERSION}); upgrade stance")]
    NewerVersion { path: String, found: u64 },
    #[error("{path}: field `{field}`: {message}")]
    Invalid { path: String, field: String, message: String },
    #[error("{path}: cannot write the snapshot: {message}")]
    Write { path: String, message: String },
}

pub(crate) fn is_compressed(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "zst")
}

impl Snapshot {
    /// Each framework's score and control statuses: as recorded at the scan, or, for a snapshot written
    /// before compliance was recorded, evaluated now from its findings and coverage.
    pub fn compliance(&self) -> std::borrow::Cow<'_, [crate::compliance::ComplianceSummary]> {
        if self.analysis.compliance.is_empty() {
            let results =
                crate::compliance::evaluate(&self.analysis.findings, &self.analysis.policy.settings, &self.inventory);
            std::borrow::Cow::Owned(results.iter().map(|r| r.summary()).collect())
        } else {
            std::borrow::Cow::Borrowed(&self.analysis.compliance)
        }
    }

    pub fn new(report: ScanReport, mutes: MuteReport) -> Snapshot {
        Snapshot {
            format: FORMAT.into(),
            schema_version: SCHEMA_VERSION,
            inventory: report.inventory,
            analysis: report.analysis,
            mutes,
        }
    }

    /// Analyzes a scanned inventory, applies the mutes (at the scan's `--as-of` date) and scores the posture
    /// over what is not muted: what `stance scan` writes and the TUI shows.
    pub fn assemble(inventory: Inventory, config: &crate::config::Config) -> Snapshot {
        let (analysis, report) = crate::assess::assess(&inventory, inventory.scan.as_of, config);
        Snapshot::new(ScanReport { inventory, analysis }, report)
    }

    /// The JSON text of the snapshot (pretty for `.json`, compact inside `.zst`).
    pub fn to_bytes(&self, compressed: bool) -> Result<Vec<u8>, String> {
        if compressed {
            let json = serde_json::to_vec(self).map_err(|e| e.to_string())?;
            zstd::stream::encode_all(json.as_slice(), 9).map_err(|e| e.to_string())
        } else {
            let mut json = serde_json::to_vec_pretty(self).map_err(|e| e.to_string())?;
            json.push(b'\n');
            Ok(json)
        }
    }

    /// Writes atomically (temporary file + rename), mode 0600; `.zst` compresses.
    pub fn write(&self, path: &Path) -> Result<(), SnapshotError> {
        let display = path.display().to_string();
        let bytes = self
            .to_bytes(is_compressed(path))
            .map_err(|message| SnapshotError::Write { path: display.clone(), message })?;
        crate::fsutil::write_private_atomic(path, &bytes)
            .map_err(|e| SnapshotError::Write { path: display, message: e.to_string() })
    }

    pub fn read(path: &Path) -> Result<Snapshot, SnapshotError> {
        let display = path.display().to_string();
        let raw =
            std::fs::read(path).map_err(|e| SnapshotError::Io { path: display.clone(), message: e.to_string() })?;
        let bytes = if is_compressed(path) && !raw.is_empty() {
            let mut out = Vec::new();
            zstd::stream::Decoder::new(raw.as_slice())
                .and_then(|mut d| d.read_to_end(&mut out))
                .map_err(|e| SnapshotError::Compression { path: display.clone(), message: e.to_string() })?;
            out
        } else {
            raw
        };
        Snapshot::from_slice(&bytes, &display)
    }

    /// Parses a snapshot; `origin` names it in errors.
    pub fn from_slice(bytes: &[u8], origin: &str) -> Result<Snapshot, SnapshotError> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(SnapshotError::Empty { path: origin.to_owned() });
        }
        // Fast path, for a well-formed current snapshot: typed parsing straight from the bytes, no JSON tree.
        if let Ok(current) = serde_json::from_slice::<Current>(bytes)
            && current.format == FORMAT
            && current.schema_version == SCHEMA_VERSION
        {
            return Ok(current.into_snapshot());
        }
        Snapshot::from_slice_checked(bytes, origin)
    }

    /// The slow path: a JSON tree first, so that every problem is told apart and named, and older versions
    /// are migrated.
    fn from_slice_checked(bytes: &[u8], origin: &str) -> Result<Snapshot, SnapshotError> {
        let path = || origin.to_owned();
        let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
            if e.is_eof() {
                SnapshotError::Truncated { path: path(), line: e.line(), column: e.column() }
            } else {
                SnapshotError::Corrupt {
                    path: path(),
                    line: e.line(),
                    column: e.column(),
                    message: strip_position(&e.to_string()),
                }
            }
        })?;
        let mut value = migrate(value, origin)?;
        // Each part on its own: serde cannot report the path of an error inside a flattened struct.
        let object = value.as_object_mut().ok_or_else(|| SnapshotError::NotASnapshot { path: path() })?;
        let unscanned: Vec<&'static str> = crate::inventory::SERVICES
            .iter()
            .filter(|s| object.get(s.name).is_none_or(|v| v.is_null()))
            .map(|s| s.name)
            .collect();
        let mut take = |keys: &[&str]| -> serde_json::Value {
            serde_json::Value::Object(
                keys.iter().filter_map(|k| object.remove(*k).map(|v| ((*k).to_owned(), v))).collect(),
            )
        };
        let inventory = take(Inventory::FIELDS);
        let analysis = take(&["findings", "posture", "policy_problems", "catalogue_source", "policy", "compliance"]);
        let mutes = take(&["mutes"]).get("mutes").cloned().unwrap_or(serde_json::Value::Null);
        let schema_version =
            take(&["schema_version"]).get("schema_version").and_then(|v| v.as_u64()).unwrap_or_default() as u32;
        Ok(Snapshot {
            format: FORMAT.into(),
            schema_version,
            inventory: Inventory { unscanned, ..part(inventory, origin)? },
            analysis: part(analysis, origin)?,
            mutes: if mutes.is_null() {
                MuteReport::default()
            } else {
                part(mutes, origin).map_err(|e| prefix(e, "mutes"))?
            },
        })
    }
}

macro_rules! current {
    ($($field:ident: $module:ident::$model:ident => $scope:ident, $posture:literal, $sdk:ident;)+) => {
        /// A current snapshot's fields, without `flatten` (which makes serde buffer everything); the services'
        /// fields come from the service table.
        #[derive(Deserialize)]
        struct Current {
            format: String,
            schema_version: u32,
            account: crate::inventory::AccountIdentity,
            scan: crate::inventory::ScanMetadata,
            #[serde(default)]
            organization: Option<crate::inventory::org::Membership>,
            $(#[serde(default)] $field: Option<crate::inventory::$module::$model>,)+
            coverage: Vec<crate::inventory::CoverageRecord>,
            findings: Vec<crate::finding::Finding>,
            posture: crate::score::Posture,
            policy_problems: Vec<crate::analyze::PolicyProblem>,
            catalogue_source: String,
            #[serde(default)]
            policy: crate::config::PolicyRecord,
            #[serde(default)]
            compliance: Vec<crate::compliance::ComplianceSummary>,
            #[serde(default)]
            mutes: MuteReport,
        }

        impl Current {
            fn into_snapshot(self) -> Snapshot {
                let mut unscanned = Vec::new();
                $(if self.$field.is_none() { unscanned.push(stringify!($field)); })+
                Snapshot {
                    format: self.format,
                    schema_version: self.schema_version,
                    inventory: Inventory {
                        account: self.account,
                        scan: self.scan,
                        organization: self.organization,
                        $($field: self.$field.unwrap_or_default(),)+
                        coverage: self.coverage,
                        unscanned,
                    },
                    analysis: Analysis {
                        findings: self.findings,
                        posture: self.posture,
                        policy_problems: self.policy_problems,
                        catalogue_source: self.catalogue_source,
                        policy: self.policy,
                        compliance: self.compliance,
                    },
                    mutes: self.mutes,
                }
            }
        }
    };
}

crate::inventory::services!(current);

fn part<T: serde::de::DeserializeOwned>(value: serde_json::Value, origin: &str) -> Result<T, SnapshotError> {
    // Fast path without path tracking; only a failure pays for a second pass that names the field.
    match T::deserialize(&value) {
        Ok(parsed) => Ok(parsed),
        Err(_) => serde_path_to_error::deserialize(value).map_err(|e| SnapshotError::Invalid {
            path: origin.to_owned(),
            field: e.path().to_string(),
            message: strip_position(&e.inner().to_string()),
        }),
    }
}

fn prefix(error: SnapshotError, field: &str) -> SnapshotError {
    match error {
        SnapshotError::Invalid { path, field: inner, message } => {
            SnapshotError::Invalid { path, field: format!("{field}.{inner}"), message }
        }
        other => other,
    }
}

fn strip_position(message: &str) -> String {
    message.split(" at line ").next().unwrap_or(message).to_owned()
}

/// Brings an older document up to [`SCHEMA_VERSION`]. Version 0 is the report `stance scan --out` wrote
/// before snapshots had a format: the inventory and the analysis side by side, without `format`.
fn migrate(mut value: serde_json::Value, origin: &str) -> Result<serde_json::Value, SnapshotError> {
    let Some(object) = value.as_object_mut() else {
        return Err(SnapshotError::NotASnapshot { path: origin.to_owned() });
    };
    let version = match object.get("format").and_then(|f| f.as_str()) {
        Some(FORMAT) => {
            object.get("schema_version").and_then(|v| v.as_u64()).ok_or_else(|| SnapshotError::Invalid {
                path: origin.to_owned(),
                field: "schema_version".into(),
                message: "expected a non-negative integer".into(),
            })?
        }
        Some(_) => return Err(SnapshotError::NotASnapshot { path: origin.to_owned() }),
        None if object.contains_key("account") && object.contains_key("findings") && object.contains_key("iam") => 0,
        None => return Err(SnapshotError::NotASnapshot { path: origin.to_owned() }),
    };
    if version > u64::from(SCHEMA_VERSION) {
        return Err(SnapshotError::NewerVersion { path: origin.to_owned(), found: version });
    }
    if version == 0 {
        object.insert("format".into(), FORMAT.into());
        object.insert("schema_version".into(), SCHEMA_VERSION.into());
    }
    Ok(value)
}

/// The snapshots in a directory (`*.json`, `*.json.zst`), not recursing.
/// An organization scan's index, beside its accounts' snapshots (`crate::org`).
pub const ORG_INDEX: &str = "org.json";
/// The organization as read, beside its accounts' snapshots.
pub const ORGANIZATION_FILE: &str = "organization.json";
/// The record of an account an organization scan could not scan: `ACCOUNT.unassumable.json`.
pub const UNASSUMABLE_SUFFIX: &str = ".unassumable.json";

/// Whether a file name is a snapshot's (`.json`, `.json.zst`), and not one of an organization scan's other
/// files.
pub fn is_snapshot_file(name: &str) -> bool {
    (name.ends_with(".json") || name.ends_with(".json.zst"))
        && name != ORG_INDEX
        && name != ORGANIZATION_FILE
        && !name.ends_with(UNASSUMABLE_SUFFIX)
}

/// The snapshots of a directory, sorted by name; an organization scan's directories inside it count too
/// (`history` of a directory of organization runs).
pub fn files_in(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in std::fs::read_dir(dir)?.filter_map(|e| e.ok().map(|e| e.path())) {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if path.is_file() && is_snapshot_file(name) {
            files.push(path);
        } else if path.is_dir() && path.join(ORGANIZATION_FILE).is_file() {
            let inner = std::fs::read_dir(&path)?.filter_map(|e| e.ok().map(|e| e.path()));
            files.extend(inner.filter(|p| {
                p.is_file() && is_snapshot_file(p.file_name().and_then(|n| n.to_str()).unwrap_or_default())
            }));
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::fixture::*;

    fn snapshot() -> Snapshot {
        let fixture = Fixture::new().role("r", lambda_trust(), &[], &[]).function("f", "r", |f| f.tracing_mode = None);
        let analysis = crate::assess::analyze(&fixture.inventory, now());
        Snapshot::new(ScanReport { inventory: fixture.inventory, analysis }, MuteReport::default())
    }

    #[test]
    fn round_trips_plain_and_compressed_and_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let original = snapshot();
        assert!(!original.analysis.findings.is_empty());
        for name in ["s.json", "s.json.zst"] {
            let path = dir.path().join(name);
            original.write(&path).unwrap();
            assert_eq!(Snapshot::read(&path).unwrap(), original, "{name}");
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
            }
        }
        let plain = std::fs::metadata(dir.path().join("s.json")).unwrap().len();
        let small = std::fs::metadata(dir.path().join("s.json.zst")).unwrap().len();
        assert!(small < plain / 3, "{small} vs {plain}");
        assert_eq!(original.to_bytes(false).unwrap(), original.to_bytes(false).unwrap(), "deterministic");
    }

    #[test]
    fn bad_files_give_one_clear_line() {
        let dir = tempfile::tempdir().unwrap();
        let good = String::from_utf8(snapshot().to_bytes(false).unwrap()).unwrap();
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            ("empty.json", Vec::new(), "the file is empty"),
            ("blank.json", b"  \n".to_vec(), "the file is empty"),
            ("truncated.json", good.as_bytes()[..good.len() / 2].to_vec(), "truncated"),
            ("corrupt.json", good.replacen("\"format\"", "\"format\" ::", 1).into_bytes(), "corrupt JSON at line 2"),
            ("other.json", br#"{"name": "package", "version": "1.0.0"}"#.to_vec(), "not a stance snapshot"),
            ("array.json", b"[1, 2, 3]".to_vec(), "not a stance snapshot"),
            (
                "future.json",
                good.replacen("\"schema_version\": 1", "\"schema_version\": 99", 1).into_bytes(),
                "schema version 99 is newer",
            ),
            (
                "badfield.json",
                good.replacen("\"severity\": \"low\"", "\"severity\": \"catastrophic\"", 1).into_bytes(),
                "field `findings[0].severity`",
            ),
            ("notzstd.json.zst", b"this is not zstd".to_vec(), "not valid zstd data"),
        ];
        for (name, bytes, expected) in cases {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            let message = Snapshot::read(&path).expect_err(name).to_string();
            assert!(message.contains(expected), "{name}: {message}");
            assert!(message.starts_with(&path.display().to_string()), "{name} names the file: {message}");
            assert_eq!(message.lines().count(), 1, "{name}: {message}");
        }
        let missing = Snapshot::read(&dir.path().join("missing.json")).unwrap_err().to_string();
        assert!(missing.contains("cannot read the file"), "{missing}");
    }

    #[test]
    fn version_0_reports_are_migrated() {
        let current = snapshot();
        let report = ScanReport { inventory: current.inventory.clone(), analysis: current.analysis.clone() };
        let old = serde_json::to_vec(&report).unwrap();
        let migrated = Snapshot::from_slice(&old, "old.json").unwrap();
        assert_eq!(migrated.schema_version, SCHEMA_VERSION);
        assert_eq!(migrated.analysis, current.analysis);
    }

    /// What a reader must do with a file from before a service (or an analysis field) existed: read every
    /// field it has unchanged, and give the new one its empty value.
    fn survives(raw: &serde_json::Value, read: &Snapshot, origin: &str) {
        let rewritten = serde_json::to_value(read).unwrap();
        let (Some(raw), Some(rewritten)) = (raw.as_object(), rewritten.as_object()) else { panic!("objects") };
        for (key, value) in raw {
            assert_eq!(rewritten.get(key), Some(value), "{origin}: `{key}` changed on reading");
        }
        let mut empty = serde_json::to_value(Inventory::default()).unwrap();
        if let (Some(empty), serde_json::Value::Object(analysis)) =
            (empty.as_object_mut(), serde_json::to_value(Analysis::default()).unwrap())
        {
            empty.extend(analysis);
        }
        for key in rewritten.keys().filter(|k| !raw.contains_key(*k)) {
            assert_eq!(rewritten[key], empty[key], "{origin}: `{key}`, absent from the file, reads as empty");
        }
    }

    #[test]
    fn a_snapshot_from_before_a_service_existed_still_opens() {
        let written = serde_json::to_value(snapshot()).unwrap();
        for service in crate::inventory::SERVICES {
            let mut older = written.clone();
            older.as_object_mut().unwrap().remove(service.name).expect("every service is a top-level field");
            let bytes = serde_json::to_vec(&older).unwrap();
            let fast = Snapshot::from_slice(&bytes, "older.json").unwrap();
            let checked = Snapshot::from_slice_checked(&bytes, "older.json").unwrap();
            assert_eq!(fast, checked, "both readers agree without `{}`", service.name);
            assert_eq!(fast.inventory.unscanned, [service.name], "known as not scanned, not as empty");
            survives(&older, &fast, service.name);
        }
        let current = Snapshot::from_slice(&serde_json::to_vec(&written).unwrap(), "current.json").unwrap();
        assert!(current.inventory.unscanned.is_empty());
    }

    /// A schema-1 snapshot of the demo account, written by stance on 2026-12-01 and kept as it was: whatever
    /// services and fields are added later, it must keep opening with every field it has intact.
    #[test]
    fn the_schema_1_snapshot_written_on_2026_12_01_still_opens() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schema1-demo-2026-12-01.json.zst");
        let read = Snapshot::read(&path).expect("the stored schema-1 snapshot opens");
        let raw = zstd::stream::decode_all(std::fs::read(&path).unwrap().as_slice()).unwrap();
        let raw: serde_json::Value = serde_json::from_slice(&raw).unwrap();
        assert_eq!(raw["schema_version"], 1);
        assert!(!read.analysis.findings.is_empty());
        survives(&raw, &read, "schema1-demo-2026-12-01.json.zst");
        // Written before compliance was recorded: its frameworks are evaluated from its findings.
        let compliance = read.compliance();
        let frameworks: Vec<&str> = compliance.iter().map(|c| c.framework.as_str()).collect();
        assert_eq!(frameworks, ["cis-aws-3.0", "aws-fsbp", "gdpr"]);
        assert_eq!(compliance[0].controls["1.10"], crate::compliance::Status::Fail, "bob has no MFA");
    }
}
