//! Whether the ledger takes postings, and if not, why: the log was found damaged (read-only
//! up to the last good event), a storage failure stopped the writer, or it shut down.
//! Health and every refusal say the same thing, and [`StatusWatch`] lets the server follow
//! a change the moment it happens (a corrupt read, a full disk) instead of at the next start.

use tokio::sync::watch;

use super::error::LedgerError;
use crate::store::Damage;

/// Why the writer stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Stopped {
    /// A storage failure (a write or sync that failed, a writer that could not start):
    /// the state decided in memory may be ahead of the disk, so only a restart, which
    /// re-reads the log, may write again.
    Failed(String),
    /// A clean stop.
    ShutDown,
}

impl Stopped {
    /// The refusal of a posting that arrives once the writer has stopped: nothing of it
    /// was written.
    pub(crate) fn refusal(&self) -> LedgerError {
        match self {
            Stopped::Failed(reason) => LedgerError::WriterFailed(reason.clone()),
            Stopped::ShutDown => LedgerError::Unavailable("the ledger is shutting down".into()),
        }
    }
}

/// Whether the ledger takes postings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteStatus {
    /// Postings are taken.
    Writable,
    /// The event log is damaged: reads are answered up to the last good event, every
    /// posting is refused until the data directory is repaired.
    ReadOnly(Damage),
    /// A storage failure stopped the writer; a restart re-reads the log.
    Failed(String),
    /// The ledger shut down cleanly.
    ShutDown,
}

impl WriteStatus {
    /// Postings are taken.
    pub fn is_writable(&self) -> bool {
        matches!(self, WriteStatus::Writable)
    }

    /// Damage comes first: it is what an operator must repair, whatever else happened.
    pub(crate) fn of(damage: Option<&Damage>, stopped: Option<&Stopped>) -> WriteStatus {
        match (damage, stopped) {
            (Some(damage), _) => WriteStatus::ReadOnly(damage.clone()),
            (None, Some(Stopped::Failed(reason))) => WriteStatus::Failed(reason.clone()),
            (None, Some(Stopped::ShutDown)) => WriteStatus::ShutDown,
            (None, None) => WriteStatus::Writable,
        }
    }
}

impl std::fmt::Display for WriteStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteStatus::Writable => write!(f, "taking postings"),
            WriteStatus::ReadOnly(damage) => write!(f, "read-only: {damage}"),
            WriteStatus::Failed(reason) => write!(f, "writer stopped: {reason}"),
            WriteStatus::ShutDown => write!(f, "shut down"),
        }
    }
}

/// Follows a ledger's [`WriteStatus`].
pub struct StatusWatch {
    pub(crate) damage: watch::Receiver<Option<Damage>>,
    pub(crate) stopped: watch::Receiver<Option<Stopped>>,
}

impl StatusWatch {
    /// The status now.
    pub fn current(&mut self) -> WriteStatus {
        let damage = self.damage.borrow_and_update().clone();
        let stopped = self.stopped.borrow_and_update().clone();
        WriteStatus::of(damage.as_ref(), stopped.as_ref())
    }

    /// Waits until the status may have changed and returns it; `None` once the ledger is
    /// gone.
    pub async fn changed(&mut self) -> Option<WriteStatus> {
        let changed = tokio::select! {
            changed = self.damage.changed() => changed,
            changed = self.stopped.changed() => changed,
        };
        changed.ok()?;
        Some(self.current())
    }
}
