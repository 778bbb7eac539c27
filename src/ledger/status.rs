//! Whether the ledger takes postings, and if not, why: the log was found damaged (read-only
//! up to the last good event), a storage failure stopped the writer, the writer is
//! reconnecting to its database, or it shut down.
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
    /// The writer lost its database connection and is reconnecting: postings are
    /// refused as UNAVAILABLE until it holds the lease again and knows the stored head.
    Reconnecting(String),
    /// The ledger shut down cleanly.
    ShutDown,
}

impl WriteStatus {
    /// Postings are taken.
    pub fn is_writable(&self) -> bool {
        matches!(self, WriteStatus::Writable)
    }

    /// Damage comes first: it is what an operator must repair, whatever else happened.
    /// A stop outlasts an outage: an outage ends by itself.
    pub(crate) fn of(
        damage: Option<&Damage>,
        stopped: Option<&Stopped>,
        outage: Option<&str>,
    ) -> WriteStatus {
        match (damage, stopped, outage) {
            (Some(damage), _, _) => WriteStatus::ReadOnly(damage.clone()),
            (None, Some(Stopped::Failed(reason)), _) => WriteStatus::Failed(reason.clone()),
            (None, Some(Stopped::ShutDown), _) => WriteStatus::ShutDown,
            (None, None, Some(reason)) => WriteStatus::Reconnecting(reason.to_string()),
            (None, None, None) => WriteStatus::Writable,
        }
    }
}

impl std::fmt::Display for WriteStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteStatus::Writable => write!(f, "taking postings"),
            WriteStatus::ReadOnly(damage) => write!(f, "read-only: {damage}"),
            WriteStatus::Failed(reason) => write!(f, "writer stopped: {reason}"),
            WriteStatus::Reconnecting(reason) => write!(f, "not taking postings: {reason}"),
            WriteStatus::ShutDown => write!(f, "shut down"),
        }
    }
}

/// Follows a ledger's [`WriteStatus`].
pub struct StatusWatch {
    pub(crate) damage: watch::Receiver<Option<Damage>>,
    pub(crate) stopped: watch::Receiver<Option<Stopped>>,
    /// The database outage, on an engine that has a connection to lose.
    pub(crate) outage: Option<watch::Receiver<Option<String>>>,
}

impl StatusWatch {
    /// The status now.
    pub fn current(&mut self) -> WriteStatus {
        let damage = self.damage.borrow_and_update().clone();
        let stopped = self.stopped.borrow_and_update().clone();
        let outage = self
            .outage
            .as_mut()
            .and_then(|outage| outage.borrow_and_update().clone());
        WriteStatus::of(damage.as_ref(), stopped.as_ref(), outage.as_deref())
    }

    /// Waits until the status may have changed and returns it; `None` once the ledger is
    /// gone.
    pub async fn changed(&mut self) -> Option<WriteStatus> {
        let outage = async {
            match self.outage.as_mut() {
                Some(outage) => outage.changed().await,
                None => std::future::pending().await,
            }
        };
        let changed = tokio::select! {
            changed = self.damage.changed() => changed,
            changed = self.stopped.changed() => changed,
            changed = outage => changed,
        };
        changed.ok()?;
        Some(self.current())
    }
}
