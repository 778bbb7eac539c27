//! The ledger: one writer that decides and commits, and a read side that never blocks it.
//!
//! [`Ledger::open`] verifies the log, rebuilds the decision state and projections (from
//! the latest valid snapshot plus the tail), and starts the writer thread.
//! [`Ledger::submit`] queues a submission and resolves once its events are durable.

mod acknowledge;
mod error;
mod reads;
mod shared;
pub mod snapshot;
mod status;
mod submission;
mod verification;
mod writer;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, Mutex};

pub use error::LedgerError;
pub use reads::AsOf;
pub use status::{StatusWatch, WriteStatus};
pub use submission::{fingerprint_of, Committed, Submission};

use crate::domain::Role;
use crate::limits::{BATCH_COMMANDS_MAX, WRITER_QUEUE_MAX};
use crate::store::{Damage, Store};
use shared::Shared;
use submission::WriterMessage;
#[cfg(test)]
mod tests;

use writer::Writer;

/// A handle on the ledger; cheap to clone, shared by every request handler.
#[derive(Clone)]
pub struct Ledger {
    queue: mpsc::Sender<WriterMessage>,
    store: Store,
    shared: Arc<Shared>,
    writer: Arc<Mutex<Option<std::thread::JoinHandle<()>>>>,
    /// The background verification of the whole chain, once started.
    verifier: Arc<std::sync::Mutex<Option<verification::Verifier>>>,
}

impl Ledger {
    /// Opens the ledger in `dir` (created if absent) and starts its writer.
    pub fn open(dir: &Path) -> Result<Ledger, LedgerError> {
        let store = Store::open(dir)?;
        let rebuilt = reads::rebuild(&store)?;
        Ok(Ledger::start(store, rebuilt))
    }

    /// Opens the ledger whose event log is in the PostgreSQL database at `url` (schema
    /// migrated, chain verified from the last checkpoint) and starts its writer. Blocks;
    /// call it off the async runtime.
    pub fn open_postgres(url: &str) -> Result<Ledger, LedgerError> {
        Ledger::open_store(Store::open_postgres(url)?)
    }

    /// Opens the ledger over a store already open, whichever engine holds it.
    pub fn open_store(store: Store) -> Result<Ledger, LedgerError> {
        let rebuilt = reads::rebuild(&store)?;
        Ok(Ledger::start(store, rebuilt))
    }

    /// Opens the ledger like [`Ledger::open`], but when the event log is corrupt or
    /// truncated (found on open, or by the rebuild in a part open trusts), opens it
    /// read-only instead of failing: reads answer up to the last good event, every
    /// posting is refused with [`LedgerError::ReadOnly`] naming the damaged sequence, and
    /// no writer runs. [`Ledger::damage`] tells which mode it is in.
    pub fn open_or_read_only(dir: &Path) -> Result<Ledger, LedgerError> {
        let (store, _) = Store::open_until_damage(dir)?;
        let rebuilt = match reads::rebuild(&store) {
            Ok(rebuilt) => rebuilt,
            Err(LedgerError::Store(error)) => {
                store.restrict_to_damage(error)?;
                reads::rebuild(&store)?
            }
            Err(error) => return Err(error),
        };
        match store.damage().cloned() {
            None => Ok(Ledger::start(store, rebuilt)),
            Some(damage) => Ok(Ledger::start_read_only(store, rebuilt, &damage)),
        }
    }

    /// A ledger over a damaged store: the read side only.
    fn start_read_only(store: Store, rebuilt: reads::Rebuilt, damage: &Damage) -> Ledger {
        let shared = Arc::new(Shared::new(rebuilt.projections, rebuilt.checkpoints));
        shared.mark_failed(&damage.to_string());
        // No writer: the receiver is dropped, so nothing can be queued.
        let (queue, _) = mpsc::channel(1);
        Ledger {
            queue,
            store,
            shared,
            writer: Arc::new(Mutex::new(None)),
            verifier: Arc::default(),
        }
    }

    /// The damage that made the ledger read-only, if it is.
    pub fn damage(&self) -> Option<&Damage> {
        self.store.damage()
    }

    /// Whether the ledger takes postings now, and if not, why.
    pub fn status(&self) -> WriteStatus {
        WriteStatus::of(self.store.damage(), self.shared.stopped().as_ref())
    }

    /// Follows [`Ledger::status`] as it changes: damage found by any read or by the
    /// background verification, a storage failure that stops the writer, a shutdown.
    pub fn watch_status(&self) -> StatusWatch {
        StatusWatch {
            damage: self.store.watch_damage(),
            stopped: self.shared.watch_stopped(),
        }
    }

    fn start(store: Store, rebuilt: reads::Rebuilt) -> Ledger {
        let reads::Rebuilt {
            state,
            projections,
            checkpoints,
            snapshot,
        } = rebuilt;
        let shared = Arc::new(Shared::new(projections.clone(), checkpoints));
        shared.metrics.snapshot(snapshot);
        let (queue, receiver) = mpsc::channel(WRITER_QUEUE_MAX);
        let last_recorded_at = projections.recorded_at().unwrap_or_default();
        let writer = Writer {
            store: store.clone(),
            state,
            projections,
            shared: Arc::clone(&shared),
            last_recorded_at,
            last_snapshot: snapshot,
            snapshot_task: None,
        };
        let handle = std::thread::Builder::new()
            .name("ledger-writer".into())
            .spawn(move || writer.run(receiver));
        let handle = match handle {
            Ok(handle) => Some(handle),
            Err(error) => {
                shared.mark_failed(&format!("could not start the writer thread: {error}"));
                None
            }
        };
        Ledger {
            queue,
            store,
            shared,
            writer: Arc::new(Mutex::new(handle)),
            verifier: Arc::default(),
        }
    }

    /// Decides and commits a submission from a trusted in-process caller (tests, benches,
    /// the demo), who may post any command; resolves once its events are durable.
    pub async fn submit(&self, submission: Submission) -> Result<Committed, LedgerError> {
        self.queue_submission(submission, None).await
    }

    /// Decides and commits a submission on behalf of a principal holding `roles`: a command
    /// none of them allows refuses the whole submission ([`LedgerError::Forbidden`]). The
    /// writer decides this against the state, since a reversal needs the role of the entry
    /// it cancels.
    pub async fn submit_as(
        &self,
        submission: Submission,
        roles: BTreeSet<Role>,
    ) -> Result<Committed, LedgerError> {
        self.queue_submission(submission, Some(roles)).await
    }

    async fn queue_submission(
        &self,
        submission: Submission,
        roles: Option<BTreeSet<Role>>,
    ) -> Result<Committed, LedgerError> {
        let timer = crate::metrics::Timer::start();
        let answer = self.answer_submission(submission, roles).await;
        let metrics = &self.shared.metrics;
        metrics.acknowledgement(timer.stop());
        metrics.posting(answer.as_ref().err().map(LedgerError::reason));
        answer
    }

    async fn answer_submission(
        &self,
        submission: Submission,
        roles: Option<BTreeSet<Role>>,
    ) -> Result<Committed, LedgerError> {
        if submission.commands.is_empty() {
            return Err(LedgerError::InvalidSubmission(
                "a posting needs at least one command".into(),
            ));
        }
        if submission.commands.len() > BATCH_COMMANDS_MAX {
            return Err(LedgerError::InvalidSubmission(format!(
                "a batch holds at most {BATCH_COMMANDS_MAX} commands, this one has {}",
                submission.commands.len()
            )));
        }
        if let Some(damage) = self.store.damage() {
            return Err(LedgerError::ReadOnly {
                damage: damage.clone(),
            });
        }
        if let Some(stopped) = self.shared.stopped() {
            return Err(stopped.refusal());
        }
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(WriterMessage::Submit {
                submission,
                roles,
                reply,
            })
            .await
            .map_err(|_| LedgerError::Unavailable("the writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| LedgerError::Unavailable("the writer stopped before answering".into()))?
    }

    /// Verifies the whole chain in the background now and then every `interval`, while
    /// reads and postings go on; damage found makes the ledger read-only (see
    /// `verification.rs`). A second call changes nothing. Stopped by [`Ledger::shutdown`].
    pub fn start_verification(&self, interval: std::time::Duration) {
        let mut verifier = self
            .verifier
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Not after a shutdown: nothing would stop it again.
        let shut_down = matches!(self.status(), WriteStatus::ShutDown);
        if verifier.is_none() && !shut_down {
            *verifier = verification::Verifier::start(self.store.clone(), interval);
        }
    }

    /// Stops the writer after the group in progress is durable, and the background
    /// verification. Idempotent.
    pub async fn shutdown(&self) {
        let verifier = self
            .verifier
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(verifier) = verifier {
            let _ = tokio::task::spawn_blocking(move || verifier.stop()).await;
        }
        let (done, finished) = oneshot::channel();
        if self
            .queue
            .send(WriterMessage::Shutdown { done })
            .await
            .is_ok()
        {
            let _ = finished.await;
        }
        if let Some(handle) = self.writer.lock().await.take() {
            let _ = tokio::task::spawn_blocking(move || handle.join()).await;
        }
    }

    /// The ledger's metrics, fed as it works.
    pub fn metrics(&self) -> &Arc<crate::metrics::Metrics> {
        &self.shared.metrics
    }

    /// The values of the ledger's state gauges now, for a metrics scrape.
    pub fn metric_readings(&self) -> crate::metrics::Readings {
        crate::metrics::Readings {
            head_sequence: self.store.head().sequence,
            read_only: self.store.damage().is_some(),
            writer_stopped: self.shared.stopped().is_some(),
        }
    }

    /// The store, for reads of raw history.
    pub fn store(&self) -> &Store {
        &self.store
    }
}
