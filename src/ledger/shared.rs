//! What the writer shares with readers: the latest projections, as-of checkpoints, the
//! live event feed and the writer's health. Readers never take a lock the writer waits on
//! for long: the view is swapped atomically, checkpoints are appended rarely.

use std::sync::{Arc, RwLock};

use arc_swap::ArcSwap;
use tokio::sync::{broadcast, watch};

use super::status::Stopped;

use crate::domain::RecordedEvent;
use crate::limits::CHECKPOINT_EVENTS_INTERVAL;
use crate::metrics::Metrics;
use crate::projection::Projections;

/// Capacity of the live feed in group commits; a subscriber that falls further behind
/// catches up from the store instead (see `audit` streams).
pub const FEED_GROUPS_MAX: usize = 1024;

/// State shared between the writer and every reader.
pub(crate) struct Shared {
    view: ArcSwap<Projections>,
    checkpoints: RwLock<Vec<Arc<Projections>>>,
    feed: broadcast::Sender<Arc<[RecordedEvent]>>,
    /// Why the writer stopped, once it has; a watch so that health can follow it.
    stopped: watch::Sender<Option<Stopped>>,
    /// The ledger's metrics, fed by the writer and the acknowledging stage.
    pub(crate) metrics: Arc<Metrics>,
}

impl Shared {
    pub(crate) fn new(projections: Projections, checkpoints: Vec<Arc<Projections>>) -> Shared {
        let (feed, _) = broadcast::channel(FEED_GROUPS_MAX);
        Shared {
            view: ArcSwap::from_pointee(projections),
            checkpoints: RwLock::new(checkpoints),
            feed,
            stopped: watch::Sender::new(None),
            metrics: Arc::new(Metrics::new()),
        }
    }

    /// The latest published projections.
    pub(crate) fn view(&self) -> Arc<Projections> {
        self.view.load_full()
    }

    /// The checkpoint with the largest sequence not above `sequence`, if any.
    pub(crate) fn checkpoint_at_or_before(&self, sequence: u64) -> Option<Arc<Projections>> {
        let checkpoints = self
            .checkpoints
            .read()
            .unwrap_or_else(|poison| poison.into_inner());
        let index = checkpoints.partition_point(|checkpoint| checkpoint.sequence() <= sequence);
        index
            .checked_sub(1)
            .map(|index| Arc::clone(&checkpoints[index]))
    }

    /// Subscribes to the live feed of committed groups.
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Arc<[RecordedEvent]>> {
        self.feed.subscribe()
    }

    pub(crate) fn publish(&self, projections: Arc<Projections>, recorded: Arc<[RecordedEvent]>) {
        self.view.store(projections);
        // No subscriber is not an error.
        let _ = self.feed.send(recorded);
    }

    /// Keeps a copy of the projections every `CHECKPOINT_EVENTS_INTERVAL` events, so that an
    /// as-of query replays at most that many events.
    pub(crate) fn maybe_checkpoint(&self, projections: &Projections) {
        if projections.sequence() % CHECKPOINT_EVENTS_INTERVAL == 0 {
            let mut checkpoints = self
                .checkpoints
                .write()
                .unwrap_or_else(|poison| poison.into_inner());
            checkpoints.push(Arc::new(projections.clone()));
        }
    }

    /// Records that the writer stopped because of a storage failure (or could not start):
    /// nothing more is written until a restart re-reads the log.
    pub(crate) fn mark_failed(&self, reason: &str) {
        self.mark(Stopped::Failed(reason.to_string()));
    }

    /// Records a clean stop.
    pub(crate) fn mark_shut_down(&self) {
        self.mark(Stopped::ShutDown);
    }

    /// The first reason stands: a clean stop after a failure is still a failure.
    fn mark(&self, reason: Stopped) {
        self.stopped.send_if_modified(|stopped| {
            if stopped.is_some() {
                return false;
            }
            *stopped = Some(reason);
            true
        });
    }

    /// Why the writer stopped, if it has.
    pub(crate) fn stopped(&self) -> Option<Stopped> {
        self.stopped.borrow().clone()
    }

    /// Follows [`Shared::stopped`].
    pub(crate) fn watch_stopped(&self) -> watch::Receiver<Option<Stopped>> {
        self.stopped.subscribe()
    }
}
