//! Closing phase statements: when a `ClosePhase` commits, the server signs a statement of
//! that phase's totals at the tree that ends with the PhaseClosed event, keeps it in the
//! store and serves it (`GetPhaseStatement` with `at_close`).
//!
//! Production watches the ledger's live feed of committed events, off the writer: a slow
//! or failing signature never delays or fails a posting. A close whose statement could
//! not be made (a signing or store failure, a feed that lagged, a server stopped in
//! between) stays pending and is retried every [`CLOSING_RETRY`], at start-up (which also
//! finds closes made before this server version) and whenever someone asks for it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{broadcast, watch};

use super::tree_heads::{now_seconds, TreeHeads};
use crate::audit;
use crate::domain::{Event, PhaseId, RecordedEvent};
use crate::ledger::{AsOf, Ledger, LedgerError};
use crate::projection::PhaseStatus;
use crate::store::{ClosingStatement, StoreError};
use crate::verifiable::statement::closing_statement_text;

/// How often a pending closing statement is tried again.
pub const CLOSING_RETRY: Duration = Duration::from_secs(30);

/// Why a closing statement cannot be given.
#[derive(Debug, thiserror::Error)]
pub enum ClosingError {
    /// No such phase.
    #[error("no phase {0}")]
    UnknownPhase(PhaseId),
    /// The phase has not closed.
    #[error("phase {0} is open: it has no closing statement")]
    Open(PhaseId),
    /// Reading the log or keeping the statement failed; it stays pending.
    #[error("the closing statement of phase {phase} is not ready: {reason}")]
    NotReady {
        /// The phase.
        phase: PhaseId,
        /// What failed.
        reason: String,
    },
}

/// Makes, keeps and gives closing statements.
pub struct ClosingStatements {
    ledger: Ledger,
    heads: Arc<TreeHeads>,
    /// Closed phases whose statement is not kept yet, with the PhaseClosed sequence.
    pending: Mutex<BTreeMap<PhaseId, u64>>,
    /// Held while a statement is made, so a phase is never signed twice at once.
    producing: Mutex<()>,
}

impl ClosingStatements {
    /// Closing statements of `ledger`'s phases, signed by `heads`' key.
    pub fn new(ledger: Ledger, heads: Arc<TreeHeads>) -> ClosingStatements {
        ClosingStatements {
            ledger,
            heads,
            pending: Mutex::new(BTreeMap::new()),
            producing: Mutex::new(()),
        }
    }

    /// Watches committed events until `stopping` turns true, making the statement of each
    /// phase that closes; first finds closes that have none yet.
    pub async fn run(self: Arc<Self>, mut stopping: watch::Receiver<bool>) {
        // Subscribe before the scan, so a close committed meanwhile is seen by one of them.
        let mut feed = self.ledger.subscribe();
        self.clone().in_background(Self::find_missing).await;
        let mut retry = tokio::time::interval(CLOSING_RETRY);
        retry.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                group = feed.recv() => match group {
                    Ok(group) => self.note_closes(&group),
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        self.clone().in_background(Self::find_missing).await;
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                _ = retry.tick() => {}
                changed = stopping.changed() => {
                    if changed.is_err() || *stopping.borrow() {
                        return;
                    }
                    continue;
                }
            }
            if !self.lock_pending().is_empty() {
                self.clone().in_background(Self::produce_pending).await;
            }
        }
    }

    /// The statement signed when `phase` closed: the kept one, or one made now if it is
    /// still pending. Blocking (reads and fsyncs the store).
    pub fn get(&self, phase: PhaseId) -> Result<ClosingStatement, ClosingError> {
        let not_ready = |reason: String| ClosingError::NotReady { phase, reason };
        if let Some(kept) = self
            .ledger
            .store()
            .closing_statement(phase)
            .map_err(|error| not_ready(error.to_string()))?
        {
            return Ok(kept);
        }
        let balances = self
            .ledger
            .current()
            .phase(&phase)
            .ok_or(ClosingError::UnknownPhase(phase))?;
        if balances.status != PhaseStatus::Closed {
            return Err(ClosingError::Open(phase));
        }
        let pending = self.lock_pending().get(&phase).copied();
        let sequence = match pending {
            Some(sequence) => sequence,
            None => self
                .closes_in_log(&[phase])
                .map_err(|error| not_ready(error.to_string()))?
                .get(&phase)
                .copied()
                .ok_or_else(|| not_ready("its PhaseClosed event was not found".into()))?,
        };
        self.produce(phase, sequence)
    }

    /// Notes the closes in a committed group as pending.
    fn note_closes(&self, group: &[RecordedEvent]) {
        let mut pending = self.lock_pending();
        for event in group {
            if let Event::PhaseClosed(closed) = &event.event {
                pending.insert(closed.phase, event.sequence);
            }
        }
    }

    /// Marks pending every closed phase that has no kept statement, finding its close in
    /// the log. Reads the whole log, but only when such a phase exists.
    fn find_missing(&self) {
        let store = self.ledger.store();
        let missing: Vec<PhaseId> = self
            .ledger
            .current()
            .phases()
            .into_iter()
            .filter(|phase| phase.status == PhaseStatus::Closed)
            .map(|phase| phase.phase)
            .filter(|phase| !matches!(store.closing_statement(*phase), Ok(Some(_))))
            .filter(|phase| !self.lock_pending().contains_key(phase))
            .collect();
        if missing.is_empty() {
            return;
        }
        match self.closes_in_log(&missing) {
            Ok(found) => self.lock_pending().extend(found),
            Err(error) => {
                tracing::warn!(%error, "cannot look for closed phases without a closing statement")
            }
        }
    }

    /// Makes every pending statement; a failure is logged and left for the next try.
    fn produce_pending(&self) {
        let pending: Vec<(PhaseId, u64)> = self
            .lock_pending()
            .iter()
            .map(|(phase, sequence)| (*phase, *sequence))
            .collect();
        for (phase, sequence) in pending {
            if let Err(error) = self.produce(phase, sequence) {
                tracing::warn!(%error, "closing statement not made yet; will retry");
            }
        }
    }

    /// Signs and keeps the statement of `phase` at the tree of `sequence` events (its
    /// PhaseClosed), unless one is kept already.
    fn produce(&self, phase: PhaseId, sequence: u64) -> Result<ClosingStatement, ClosingError> {
        let not_ready = |reason: String| ClosingError::NotReady { phase, reason };
        let _producing = self
            .producing
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let store = self.ledger.store();
        if let Some(kept) = store
            .closing_statement(phase)
            .map_err(|error| not_ready(error.to_string()))?
        {
            self.lock_pending().remove(&phase);
            return Ok(kept);
        }
        let projections = self
            .ledger
            .projections_at(AsOf::Sequence(sequence))
            .map_err(|error: LedgerError| not_ready(error.to_string()))?;
        let balances = projections
            .phase(&phase)
            .ok_or_else(|| not_ready(format!("the phase is unknown at sequence {sequence}")))?;
        let root = audit::root_at(sequence, store).map_err(|error| not_ready(error.to_string()))?;
        let text = closing_statement_text(
            self.heads.origin(),
            sequence,
            &root,
            now_seconds(),
            &balances,
        );
        let note = self
            .heads
            .sign_text(&text)
            .map_err(|error| not_ready(error.to_string()))?;
        let statement = ClosingStatement {
            tree_size: sequence,
            note,
        };
        match store.put_closing_statement(phase, &statement) {
            Ok(()) => {
                tracing::info!(%phase, tree_size = sequence, "closing phase statement signed and kept");
            }
            // A damaged store keeps nothing: the statement is served from this call only,
            // and made again when next asked for.
            Err(StoreError::Refused(_)) => {}
            Err(error) => return Err(not_ready(error.to_string())),
        }
        self.lock_pending().remove(&phase);
        Ok(statement)
    }

    /// The sequence of the PhaseClosed event of each of `phases` found in the log.
    fn closes_in_log(&self, phases: &[PhaseId]) -> Result<BTreeMap<PhaseId, u64>, StoreError> {
        let mut found = BTreeMap::new();
        for event in self.ledger.store().iter_from(1) {
            let event = event?;
            if let Event::PhaseClosed(closed) = &event.event {
                if phases.contains(&closed.phase) {
                    found.insert(closed.phase, event.sequence);
                    if found.len() == phases.len() {
                        break;
                    }
                }
            }
        }
        Ok(found)
    }

    /// Runs `work` on a blocking thread: it reads and fsyncs the store.
    async fn in_background(self: Arc<Self>, work: fn(&ClosingStatements)) {
        if let Err(error) = tokio::task::spawn_blocking(move || work(&self)).await {
            tracing::error!(%error, "the closing statement task failed");
        }
    }

    fn lock_pending(&self) -> std::sync::MutexGuard<'_, BTreeMap<PhaseId, u64>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
