//! Evidence that outsiders check without trusting the server: match verification
//! bundles (and, built on the same pieces, exports and phase statements).
//!
//! Builds and checks documents from events, stored bytes and proofs; the server and the
//! command line fetch and write them. Only [`export::verify_export`] reads files.

pub mod bundle;
pub mod csv_text;
mod event_line;
pub mod export;
pub mod export_csv;
mod export_format;
mod export_verify;
pub mod statement;
pub mod witness;

pub use bundle::{
    build_bundle, match_status, select_events, verify_bundle, BundleError, BundleVerdict,
    MatchBundle, MatchStatus, ProvenEvent,
};
