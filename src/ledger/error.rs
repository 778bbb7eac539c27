//! Why the ledger could not do what was asked.

use crate::domain::{Role, RuleViolation};
use crate::store::{Damage, StoreError};

/// Every failure the ledger reports to its callers.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// A command broke a rule; `index` is its position in the submission (0 for single posts).
    #[error("command {index} ({command}) refused: {violation}")]
    Refused {
        index: usize,
        command: &'static str,
        violation: RuleViolation,
    },
    /// The poster's roles do not allow a command; `index` is its position in the submission.
    #[error("command {index} ({command}) needs the {needed} role")]
    Forbidden {
        index: usize,
        command: &'static str,
        needed: Role,
    },
    /// The idempotency key was used before with a different request.
    #[error("idempotency key {key:?} was already used with a different request")]
    IdempotencyConflict { key: String },
    /// A submission with no commands, or over a limit.
    #[error("{0}")]
    InvalidSubmission(String),
    /// A query named a point beyond the head of the log.
    #[error("as-of sequence {requested} is beyond the head of the log ({head})")]
    BeyondHead { requested: u64, head: u64 },
    /// The store failed; nothing was acknowledged.
    #[error("storage failure: {0}")]
    Store(#[from] StoreError),
    /// The event log is damaged: the ledger serves reads up to the last good event and
    /// refuses every write until the damage is repaired.
    #[error("the ledger is read-only: {damage}")]
    ReadOnly { damage: Damage },
    /// A storage failure stopped the writer; nothing of this posting was written, and
    /// nothing is until a restart re-reads the log.
    #[error("the ledger stopped writing after a storage failure, nothing was written: {0}")]
    WriterFailed(String),
    /// The ledger is shutting down, or a storage failure struck while this posting was
    /// being written, so whether it is durable is known only after a restart.
    #[error("the ledger is not accepting writes: {0}")]
    Unavailable(String),
}

impl LedgerError {
    /// The `ErrorInfo` reason the API answers this error with (see `api::status`), for
    /// counting refusals by reason.
    pub fn reason(&self) -> &'static str {
        match self {
            LedgerError::Refused { violation, .. } => violation.code(),
            LedgerError::Forbidden { .. } => "PERMISSION_DENIED",
            LedgerError::IdempotencyConflict { .. } => "IDEMPOTENCY_KEY_REUSED",
            LedgerError::InvalidSubmission(_) => "LIMIT_EXCEEDED",
            LedgerError::BeyondHead { .. } => "OUT_OF_RANGE",
            LedgerError::Store(error) if error.is_damage() => "STORED_HISTORY_DAMAGED",
            LedgerError::Store(_) => "INTERNAL",
            LedgerError::ReadOnly { .. } => "LEDGER_READ_ONLY",
            LedgerError::WriterFailed(_) => "WRITER_STOPPED",
            LedgerError::Unavailable(_) => "UNAVAILABLE",
        }
    }
}
