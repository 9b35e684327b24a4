//! stance: the security posture of an AWS account's serverless estate.
//!
//! The pipeline (ARCHITECTURE.md): [`collect`] turns AWS APIs into an [`inventory::Inventory`]; analysis,
//! scoring, snapshots and the TUI build on it. [`aws`] holds the SDK configuration every client shares.

pub mod aws;
pub mod collect;
pub mod inventory;
pub mod fsutil;
