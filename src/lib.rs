//! stance: the security posture of an AWS account's serverless estate.
//!
//! The pipeline (ARCHITECTURE.md): [`collect`] turns AWS APIs into an [`inventory::Inventory`]; analysis,
//! scoring, snapshots and the TUI build on it. [`aws`] holds the SDK configuration every client shares.

pub mod analyze;
#[cfg(feature = "aws")]
pub mod aws;
#[cfg(feature = "aws")]
pub mod collect;
#[cfg(feature = "aws")]
pub mod demo;
pub mod diff;
pub mod export;
pub mod fsutil;
pub mod history;
#[doc(hidden)]
pub mod hostile_input;
pub mod inventory;
pub mod log_redaction;
pub mod mutes;
pub mod rules;
pub mod score;
pub mod snapshot;
pub mod tui;

/// What `stance scan --out` writes: the inventory and its analysis, side by side at the top level.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ScanReport {
    #[serde(flatten)]
    pub inventory: inventory::Inventory,
    #[serde(flatten)]
    pub analysis: analyze::Analysis,
}
