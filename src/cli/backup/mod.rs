//! `backup` and `restore`: a verifiable copy of a running server's history, kept current
//! with `--follow`, and a new data directory built from such a copy or from an export.
//! The directory format is in `format.rs`; the operator's procedure in `docs/recovery.md`.

pub mod format;
mod local;
mod progress;
pub mod restore;
pub mod source;
pub mod take;

pub use restore::{restore, RestoreArgs, RestoreSummary};
pub use take::{backup, backup_until, BackupArgs, RoundReport};
