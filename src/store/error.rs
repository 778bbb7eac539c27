//! Why the store failed: I/O, a damaged or truncated log, or a request it cannot honour.

/// A failure of the durable log. `Corrupt` and `Truncated` mean the stored history is not
/// what was written: the server must not start on it, and `matchledger check` reports it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The embedded database failed.
    #[error("sled: {0}")]
    Sled(#[from] sled::Error),
    /// A file operation (the fsync of the data file) failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// Stored bytes at a known position are not what was written.
    #[error("event log corrupt at sequence {sequence}: {reason}")]
    Corrupt { sequence: u64, reason: String },
    /// Bytes that do not decode as a stored event, at no known position.
    #[error("cannot decode stored event: {reason}")]
    Decode { reason: String },
    /// The head record promises events that are not stored.
    #[error("event log truncated: head is at sequence {expected} but events stop at {found}")]
    Truncated { expected: u64, found: u64 },
    /// The store was written by a newer (or unknown) layout.
    #[error("store format version {found} is not supported (this build reads {supported})")]
    UnsupportedFormat { found: u32, supported: u32 },
    /// A store record other than an event (head, checkpoint, index, snapshot) is damaged.
    #[error("store record {record} is damaged: {reason}")]
    Record { record: String, reason: String },
    /// The caller asked for something the store refuses; nothing was written.
    #[error("refused: {0}")]
    Refused(String),
}

impl StoreError {
    /// A damaged event at a known sequence.
    pub(crate) fn corrupt(sequence: u64, reason: impl Into<String>) -> StoreError {
        StoreError::Corrupt {
            sequence,
            reason: reason.into(),
        }
    }

    /// A damaged non-event record.
    pub(crate) fn record(record: impl Into<String>, reason: impl Into<String>) -> StoreError {
        StoreError::Record {
            record: record.into(),
            reason: reason.into(),
        }
    }

    /// The stored bytes are not what was written (a corrupt, undecodable or missing event,
    /// or a page sled's own checksum refuses), as opposed to an I/O failure or a refusal:
    /// the store turns read-only when a read meets it.
    pub fn is_damage(&self) -> bool {
        matches!(
            self,
            StoreError::Corrupt { .. }
                | StoreError::Decode { .. }
                | StoreError::Truncated { .. }
                | StoreError::Sled(sled::Error::Corruption { .. })
        )
    }

    /// Names the position of a decoding failure once the caller knows it.
    pub(crate) fn at(self, sequence: u64) -> StoreError {
        match self {
            StoreError::Decode { reason } => StoreError::Corrupt { sequence, reason },
            other => other,
        }
    }
}
