//! stance: the security posture of an AWS account's serverless estate.
//!
//! The pipeline (ARCHITECTURE.md): [`collect`] turns AWS APIs into an [`inventory::Inventory`]; [`assess`]
//! runs the analysis, the rules, the mutes and the posture over it; snapshots, diffs and the TUI build on that. [`aws`] holds the SDK configuration every client shares.

pub mod analyze;
pub mod assess;
#[cfg(feature = "aws")]
pub mod aws;
#[cfg(feature = "aws")]
pub mod collect;
pub mod compliance;
pub mod config;
#[cfg(feature = "aws")]
pub mod demo;
pub mod diff;
pub mod export;
pub mod finding;
pub mod fsutil;
pub mod glob;
pub mod history;
#[doc(hidden)]
pub mod hostile_input;
pub mod inventory;
pub mod log_redaction;
pub mod mutes;
pub mod org;
pub mod rules;
pub mod score;
pub mod snapshot;
mod taxonomy;
pub mod tui;

/// What `stance scan --out` writes: the inventory and its analysis, side by side at the top level.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ScanReport {
    #[serde(flatten)]
    pub inventory: inventory::Inventory,
    #[serde(flatten)]
    pub analysis: assess::Analysis,
}
