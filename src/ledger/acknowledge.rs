//! The acknowledging stage: makes written groups durable, then publishes and answers them.
//!
//! The writer hands each group over as soon as sled holds it (written, not yet synced)
//! and goes on deciding the next one; this thread syncs everything handed over so far
//! with one flush and fsync, and only then publishes the new view and feed and answers
//! the callers, group by group in the order they were written. So the writer's CPU work
//! and the disk's sync latency overlap instead of adding up, and one sync still covers
//! every group that queued behind the one before. Nothing is seen by a reader or
//! acknowledged to a caller before it is durable.

use std::sync::mpsc;
use std::sync::Arc;

use tokio::sync::oneshot;

use super::error::LedgerError;
use super::shared::Shared;
use super::submission::Committed;
use crate::domain::RecordedEvent;
use crate::projection::Projections;
use crate::store::Store;

/// Where a caller's answer goes.
pub(crate) type Reply = oneshot::Sender<Result<Committed, LedgerError>>;

/// Groups written but not yet acknowledged, at most; the writer waits beyond that, so a
/// slow disk pushes back on callers instead of growing memory.
const GROUPS_IN_FLIGHT_MAX: usize = 256;

/// The answer to a posting caught in flight by a storage failure: it may or may not be on
/// disk, which only a restart can tell, so the caller retries it with the same key then.
pub(crate) fn uncertain(reason: &str) -> LedgerError {
    LedgerError::Unavailable(format!(
        "{reason}; whether this posting was written is known after the restart: retry it \
         with the same idempotency key"
    ))
}

/// What the writer decided for one submission of a group.
pub(crate) enum Decision {
    /// New events, at `range` of the group's recorded events.
    Fresh { range: std::ops::Range<usize> },
    /// Committed earlier: the original events, read back once durable.
    Replay { first_sequence: u64, count: u32 },
    /// Same key and request as submission `of` of the same group.
    SameAs { of: usize },
    /// Refused.
    Refused(LedgerError),
}

/// One group as the writer left it: written to the store, to be made durable.
pub(crate) struct Settle {
    /// Each submission's reply, with what was decided for it.
    pub(crate) replies: Vec<(Reply, Decision)>,
    /// The events the group wrote, in order (empty if it wrote none).
    pub(crate) recorded: Arc<[RecordedEvent]>,
    /// The projections with the group folded in, published once it is durable.
    pub(crate) view: Option<Arc<Projections>>,
}

/// The handle the writer keeps on the acknowledging thread.
pub(crate) struct Acknowledger {
    stage: Stage,
    thread: Option<(mpsc::SyncSender<Settle>, std::thread::JoinHandle<()>)>,
}

impl Acknowledger {
    /// Starts the acknowledging thread. Should the thread not start, groups are settled
    /// on the writer's own thread instead: slower, never wrong.
    pub(crate) fn start(store: Store, shared: Arc<Shared>) -> Acknowledger {
        let stage = Stage { store, shared };
        let (sender, receiver) = mpsc::sync_channel(GROUPS_IN_FLIGHT_MAX);
        let worker = stage.clone();
        let spawned = std::thread::Builder::new()
            .name("ledger-sync".into())
            .spawn(move || worker.run(receiver));
        let thread = match spawned {
            Ok(handle) => Some((sender, handle)),
            Err(error) => {
                tracing::warn!(%error, "sync thread not started; the writer syncs each group itself");
                None
            }
        };
        Acknowledger { stage, thread }
    }

    /// Hands a written group over; it is answered once durable.
    pub(crate) fn settle(&self, group: Settle) {
        match &self.thread {
            Some((sender, _)) => {
                if let Err(mpsc::SendError(group)) = sender.send(group) {
                    // The thread is gone (it cannot panic by design, but if it did the
                    // caller still gets an answer).
                    self.stage.settle_all(vec![group]);
                }
            }
            None => self.stage.settle_all(vec![group]),
        }
    }

    /// Settles everything handed over and stops the thread.
    pub(crate) fn finish(self) {
        if let Some((sender, handle)) = self.thread {
            drop(sender);
            let _ = handle.join();
        }
    }
}

/// What the acknowledging thread works with.
#[derive(Clone)]
struct Stage {
    store: Store,
    shared: Arc<Shared>,
}

impl Stage {
    fn run(self, receiver: mpsc::Receiver<Settle>) {
        while let Ok(first) = receiver.recv() {
            let mut groups = vec![first];
            groups.extend(receiver.try_iter());
            self.settle_all(groups);
        }
    }

    /// One sync for all of `groups`, then each is published and answered in order.
    fn settle_all(&self, groups: Vec<Settle>) {
        // Returns at once when nothing new was written (a group of replays and refusals),
        // and fails once any sync failed: a replay may name a group whose sync failed.
        let timer = crate::metrics::Timer::start();
        let synced = self.store.sync();
        // Only syncs that had something to write: the others return at once.
        if groups.iter().any(|group| !group.recorded.is_empty()) {
            self.shared.metrics.fsync(timer.stop());
        }
        let failure = synced.err().map(|error| {
            let reason = format!("storage failure, restart to recover: {error}");
            tracing::error!(%reason, "writer stopping");
            self.shared.mark_failed(&reason);
            reason
        });
        for group in groups {
            self.answer(group, failure.as_deref());
        }
    }

    fn answer(&self, group: Settle, failure: Option<&str>) {
        if let Some(reason) = failure {
            // Written, but whether it reached the disk is unknown: no acknowledgement,
            // and no view of it either. A retry after the restart is answered exactly.
            for (reply, decision) in group.replies {
                let outcome = match decision {
                    Decision::Refused(error) => Err(error),
                    _ => Err(uncertain(reason)),
                };
                let _ = reply.send(outcome);
            }
            return;
        }
        if let Some(view) = group.view {
            self.shared.publish(view, Arc::clone(&group.recorded));
        }
        let head = self.store.head().sequence;
        let recorded = &group.recorded;
        let ranges: Vec<Option<std::ops::Range<usize>>> = group
            .replies
            .iter()
            .map(|(_, decision)| match decision {
                Decision::Fresh { range } => Some(range.clone()),
                _ => None,
            })
            .collect();
        let events_of = |index: usize| {
            ranges
                .get(index)
                .cloned()
                .flatten()
                .and_then(|range| recorded.get(range))
                .map(<[RecordedEvent]>::to_vec)
                .unwrap_or_default()
        };
        for (index, (reply, decision)) in group.replies.into_iter().enumerate() {
            let outcome = match decision {
                Decision::Fresh { .. } => Ok(Committed {
                    events: events_of(index),
                    replayed: false,
                    head,
                }),
                Decision::SameAs { of } => Ok(Committed {
                    events: events_of(of),
                    replayed: true,
                    head,
                }),
                Decision::Replay {
                    first_sequence,
                    count,
                } => self
                    .store
                    .read(first_sequence, count as usize)
                    .map(|events| Committed {
                        events,
                        replayed: true,
                        head,
                    })
                    .map_err(LedgerError::from),
                Decision::Refused(error) => Err(error),
            };
            let _ = reply.send(outcome);
        }
    }
}
