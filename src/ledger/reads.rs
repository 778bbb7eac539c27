//! The read side: the latest view, views as of any point, history and the live feed.
//!
//! An as-of answer is the projections of the nearest checkpoint at or before the point plus
//! a replay of the events between, which equals a fresh replay of the log up to the point.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::broadcast;

use super::error::LedgerError;
use super::snapshot;
use super::Ledger;
use crate::domain::{RecordedEvent, State};
use crate::limits::CHECKPOINT_EVENTS_INTERVAL;
use crate::projection::Projections;
use crate::store::{Store, StoreError};

/// The point in history a query answers at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsOf {
    /// The latest committed event.
    Latest,
    /// As if the log ended at this sequence number.
    Sequence(u64),
    /// As of the last event recorded at or before this time.
    Time(DateTime<Utc>),
}

/// What start-up rebuilds.
pub(crate) struct Rebuilt {
    /// The decision state at the head.
    pub(crate) state: State,
    /// The projections at the head.
    pub(crate) projections: Projections,
    /// As-of checkpoints taken on the way.
    pub(crate) checkpoints: Vec<Arc<Projections>>,
    /// The sequence of the snapshot the rebuild started from (0 for none).
    pub(crate) snapshot: u64,
}

/// Rebuilds the decision state and projections from the latest snapshot that still
/// matches the log (see [`snapshot`](super::snapshot)) plus the events after it; from the
/// whole log when there is none.
pub(crate) fn rebuild(store: &Store) -> Result<Rebuilt, LedgerError> {
    let (mut state, mut projections) = match store.load_snapshot()? {
        Some((sequence, bytes)) => match snapshot::decode(&bytes, sequence) {
            Ok(pair) => pair,
            Err(error) => {
                tracing::warn!(sequence, %error, "ledger snapshot unusable; rebuilding from the log");
                (State::default(), Projections::default())
            }
        },
        None => (State::default(), Projections::default()),
    };
    let from = projections.sequence();
    let mut checkpoints = Vec::new();
    if from > 0 {
        checkpoints.push(Arc::new(projections.clone()));
    }
    for event in store.iter_from(from + 1) {
        let event = event?;
        state.apply(&event.event);
        projections.apply(&event);
        if event.sequence % CHECKPOINT_EVENTS_INTERVAL == 0 {
            checkpoints.push(Arc::new(projections.clone()));
        }
    }
    debug_assert_eq!(projections.sequence(), store.head().sequence);
    tracing::info!(
        head = projections.sequence(),
        snapshot = from,
        replayed = projections.sequence() - from,
        "ledger state rebuilt"
    );
    Ok(Rebuilt {
        state,
        projections,
        checkpoints,
        snapshot: from,
    })
}

impl Ledger {
    /// The sequence number of the last durable event.
    pub fn head(&self) -> u64 {
        self.shared.view().sequence()
    }

    /// The latest projections.
    pub fn current(&self) -> Arc<Projections> {
        self.shared.view()
    }

    /// The projections as of a point in history.
    pub fn projections_at(&self, point: AsOf) -> Result<Arc<Projections>, LedgerError> {
        let current = self.shared.view();
        let sequence = match point {
            AsOf::Latest => return Ok(current),
            AsOf::Sequence(sequence) => sequence,
            AsOf::Time(time) => self.sequence_at_time(time, current.sequence())?,
        };
        if sequence > current.sequence() {
            return Err(LedgerError::BeyondHead {
                requested: sequence,
                head: current.sequence(),
            });
        }
        if sequence == current.sequence() {
            return Ok(current);
        }
        let mut projections = match self.shared.checkpoint_at_or_before(sequence) {
            Some(checkpoint) if checkpoint.sequence() == sequence => return Ok(checkpoint),
            Some(checkpoint) => (*checkpoint).clone(),
            None => Projections::default(),
        };
        for event in self.store.iter_from(projections.sequence() + 1) {
            let event = event?;
            if event.sequence > sequence {
                break;
            }
            projections.apply(&event);
        }
        Ok(Arc::new(projections))
    }

    /// The last sequence recorded at or before `time` (0 when none), by bisection: recorded
    /// times never decrease along the log.
    fn sequence_at_time(&self, time: DateTime<Utc>, head: u64) -> Result<u64, LedgerError> {
        let (mut low, mut high) = (0u64, head);
        while low < high {
            let middle = low + (high - low).div_ceil(2);
            let recorded_at = self
                .store
                .get(middle)?
                .map(|event| event.meta.recorded_at)
                .ok_or(LedgerError::BeyondHead {
                    requested: middle,
                    head,
                })?;
            if recorded_at <= time {
                low = middle;
            } else {
                high = middle - 1;
            }
        }
        Ok(low)
    }

    /// Up to `limit` events from sequence `from`.
    pub fn read_events(&self, from: u64, limit: usize) -> Result<Vec<RecordedEvent>, LedgerError> {
        let page = self.store.read(from.max(1), limit)?;
        // Damage found while serving lowers the store's readable head below the view's:
        // a page that stops short of the view there is history lost, never a shorter log.
        if let Some(damage) = self.store.damage() {
            let end = page.last().map_or(from.max(1) - 1, |event| event.sequence);
            if page.len() < limit && end < self.head() {
                return Err(StoreError::corrupt(damage.sequence, damage.reason.clone()).into());
            }
        }
        Ok(page)
    }

    /// Every group of events committed from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<[RecordedEvent]>> {
        self.shared.subscribe()
    }

    /// Events posted with a finance system's reference.
    pub fn by_external_ref(
        &self,
        external_ref: &str,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, LedgerError> {
        let mut events = Vec::new();
        for sequence in self.store.by_external_ref(external_ref, limit)? {
            if let Some(event) = self.store.get(sequence)? {
                events.push(event);
            }
        }
        Ok(events)
    }
}
