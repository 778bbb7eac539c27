//! The single writer: group commit.
//!
//! One OS thread owns the decision state. It takes every queued submission (up to
//! `GROUP_COMMANDS_MAX` commands), decides each against the state in place, writes all
//! accepted events in one sled batch, folds them into the projections and hands the group
//! to the acknowledging stage (`acknowledge.rs`), which syncs, publishes and answers it
//! while the writer goes on with the next group. Nothing is acknowledged or seen by a
//! reader before it is durable; a refused submission leaves no trace.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, oneshot};

use super::acknowledge::{Acknowledger, Decision, Reply, Settle};
use super::error::LedgerError;
use super::shared::Shared;
use super::snapshot;
use super::submission::{Submission, WriterMessage};
use crate::domain::{
    authorize, decide, Command, Event, EventId, EventMeta, RecordedEvent, Role, RuleViolation,
    State, Undo,
};
use crate::limits::{GROUP_COMMANDS_MAX, SHUTDOWN_SNAPSHOT_EVENTS_MIN, SNAPSHOT_EVENTS_INTERVAL};
use crate::projection::Projections;
use crate::store::{Head, IdempotencyRecord, PendingEvent, Store};

/// The writer's private state.
pub(crate) struct Writer {
    pub(crate) store: Store,
    pub(crate) state: State,
    pub(crate) projections: Projections,
    pub(crate) shared: Arc<Shared>,
    pub(crate) last_recorded_at: DateTime<Utc>,
    /// The sequence of the last snapshot saved (or loaded at start-up).
    pub(crate) last_snapshot: u64,
    /// The snapshot being saved in the background, if any.
    pub(crate) snapshot_task: Option<std::thread::JoinHandle<()>>,
}

impl Writer {
    /// Runs until a shutdown message arrives or every sender is gone.
    pub(crate) fn run(mut self, mut queue: mpsc::Receiver<WriterMessage>) {
        let acknowledger = Acknowledger::start(self.store.clone(), Arc::clone(&self.shared));
        let mut shutdown: Option<oneshot::Sender<()>> = None;
        while let Some(first) = queue.blocking_recv() {
            let mut group: Vec<(Submission, Reply)> = Vec::new();
            let mut permits: Vec<Option<BTreeSet<Role>>> = Vec::new();
            let mut commands = 0usize;
            let mut next = Some(first);
            while let Some(message) = next.take() {
                match message {
                    WriterMessage::Submit {
                        submission,
                        roles,
                        reply,
                    } => {
                        commands += submission.commands.len();
                        group.push((submission, reply));
                        permits.push(roles);
                    }
                    WriterMessage::Shutdown { done } => {
                        shutdown = Some(done);
                        break;
                    }
                }
                if commands < GROUP_COMMANDS_MAX {
                    next = queue.try_recv().ok();
                }
            }
            if !group.is_empty() {
                self.commit_group(group, &permits, &acknowledger);
            }
            if shutdown.is_some() {
                break;
            }
        }
        queue.close();
        // Every group written is answered before the ledger reports itself stopped.
        acknowledger.finish();
        // Callers still queued get a clear refusal instead of a dropped channel.
        while let Ok(WriterMessage::Submit { reply, .. }) = queue.try_recv() {
            let _ = reply.send(Err(LedgerError::Unavailable(
                "the ledger is shutting down".into(),
            )));
        }
        // A snapshot still being written finishes before the store may be reopened.
        if let Some(task) = self.snapshot_task.take() {
            let _ = task.join();
        }
        self.snapshot_at_shutdown();
        self.shared.mark_shut_down();
        if let Some(done) = shutdown {
            let _ = done.send(());
        }
    }

    fn commit_group(
        &mut self,
        group: Vec<(Submission, Reply)>,
        permits: &[Option<BTreeSet<Role>>],
        acknowledger: &Acknowledger,
    ) {
        if let Some(stopped) = self.shared.stopped() {
            for (_, reply) in group {
                let _ = reply.send(Err(stopped.refusal()));
            }
            return;
        }
        self.shared.metrics.group(group.len());
        // Decided in place: `decide` refuses before anything changes, and should the
        // write below fail, the writer stops and a restart re-reads the log, so the state
        // never needs rolling back to before the group.
        let mut pending: Vec<PendingEvent> = Vec::new();
        let mut records: Vec<(String, IdempotencyRecord)> = Vec::new();
        let mut in_group: HashMap<String, (usize, [u8; 32])> = HashMap::new();
        let mut decisions = Vec::with_capacity(group.len());
        let recorded_at = self.next_recorded_at();
        let head = self.store.written_head().sequence;
        for (index, (submission, _)) in group.iter().enumerate() {
            let key = submission.scoped_key();
            let decision = match in_group.get(&key) {
                Some((of, fingerprint)) if *fingerprint == submission.fingerprint => {
                    Decision::SameAs { of: *of }
                }
                Some(_) => Decision::Refused(conflict(submission)),
                None => match self.store.idempotency(&key) {
                    Err(error) => Decision::Refused(error.into()),
                    Ok(Some(record)) if record.fingerprint == submission.fingerprint => {
                        Decision::Replay {
                            first_sequence: record.first_sequence,
                            count: record.event_count,
                        }
                    }
                    Ok(Some(_)) => Decision::Refused(conflict(submission)),
                    Ok(None) => {
                        match decide_all(&mut self.state, submission, permit(permits, index)) {
                            Err(error) => Decision::Refused(error),
                            Ok(events) => {
                                let start = pending.len();
                                let first_sequence = head + start as u64 + 1;
                                pending.extend(events.into_iter().map(|event| PendingEvent {
                                    meta: meta_for(submission, recorded_at),
                                    event,
                                }));
                                let count = (pending.len() - start) as u32;
                                records.push((
                                    key.clone(),
                                    IdempotencyRecord {
                                        fingerprint: submission.fingerprint,
                                        first_sequence,
                                        event_count: count,
                                    },
                                ));
                                in_group.insert(key, (index, submission.fingerprint));
                                Decision::Fresh {
                                    range: start..pending.len(),
                                }
                            }
                        }
                    }
                },
            };
            decisions.push(decision);
        }
        let recorded = if pending.is_empty() {
            Vec::new()
        } else {
            let timer = crate::metrics::Timer::start();
            let written = self.store.write(pending, records);
            self.shared.metrics.write(timer.stop());
            match written {
                Ok((recorded, _)) => recorded,
                Err(error) => {
                    // The batch may or may not be in sled: the in-memory state can no
                    // longer be trusted to match it, so writes stop until a restart
                    // re-reads the log. Groups written before it are still answered.
                    let reason = format!("storage failure, restart to recover: {error}");
                    tracing::error!(%reason, "writer stopping");
                    self.shared.mark_failed(&reason);
                    for (_, reply) in group {
                        let _ = reply.send(Err(super::acknowledge::uncertain(&reason)));
                    }
                    return;
                }
            }
        };
        let recorded: Arc<[RecordedEvent]> = recorded.into();
        let view = self.fold(&recorded);
        let replies = group
            .into_iter()
            .map(|(_, reply)| reply)
            .zip(decisions)
            .collect();
        acknowledger.settle(Settle {
            replies,
            recorded,
            view,
        });
    }

    /// Folds a written group into the projections; returns the view to publish once the
    /// group is durable.
    fn fold(&mut self, recorded: &[RecordedEvent]) -> Option<Arc<Projections>> {
        let last = recorded.last()?;
        for event in recorded {
            self.projections.apply(event);
            self.shared.maybe_checkpoint(&self.projections);
        }
        debug_assert_eq!(self.projections.sequence(), last.sequence);
        self.maybe_snapshot(Head {
            sequence: last.sequence,
            hash: last.hash,
        });
        Some(Arc::new(self.projections.clone()))
    }

    /// Saves a snapshot of the state and projections every `SNAPSHOT_EVENTS_INTERVAL`
    /// events so that a restart replays only the tail. Encoding a large state takes a
    /// while, so it runs on its own thread over cheap persistent clones; the writer
    /// never waits for it (one at a time: a due snapshot waits for the running one).
    fn maybe_snapshot(&mut self, head: Head) {
        if head.sequence < self.last_snapshot.saturating_add(SNAPSHOT_EVENTS_INTERVAL) {
            return;
        }
        if self
            .snapshot_task
            .as_ref()
            .is_some_and(|task| !task.is_finished())
        {
            return;
        }
        if let Some(task) = self.snapshot_task.take() {
            let _ = task.join();
        }
        self.last_snapshot = head.sequence;
        let (store, state, projections, metrics) = (
            self.store.clone(),
            self.state.clone(),
            self.projections.clone(),
            Arc::clone(&self.shared.metrics),
        );
        let spawned = std::thread::Builder::new()
            .name("ledger-snapshot".into())
            .spawn(move || {
                snapshot::yield_to_the_writer();
                if snapshot::save(&store, &state, &projections, head) {
                    metrics.snapshot(head.sequence);
                }
            });
        match spawned {
            Ok(task) => self.snapshot_task = Some(task),
            Err(error) => {
                tracing::warn!(%error, "snapshot thread not started; the log remains the truth")
            }
        }
    }

    /// On a clean stop, saves a snapshot of a tail long enough to be worth it, so that the
    /// next start replays nothing. Never after a storage failure: the state decided in
    /// place may then hold a group the log does not.
    fn snapshot_at_shutdown(&self) {
        if self.shared.stopped().is_some() {
            return;
        }
        let sequence = self.projections.sequence();
        if sequence
            < self
                .last_snapshot
                .saturating_add(SHUTDOWN_SNAPSHOT_EVENTS_MIN)
        {
            return;
        }
        // Every written group was synced by the acknowledging stage as it finished.
        let head = self.store.head();
        if head.sequence != sequence {
            tracing::warn!(
                sequence,
                durable = head.sequence,
                "no snapshot at shutdown: the projections are not at the durable head"
            );
            return;
        }
        if snapshot::save(&self.store, &self.state, &self.projections, head) {
            self.shared.metrics.snapshot(head.sequence);
        }
    }

    /// Recorded times never go backwards, so as-of-time queries can bisect the log.
    fn next_recorded_at(&mut self) -> DateTime<Utc> {
        let now = Utc::now().max(self.last_recorded_at);
        self.last_recorded_at = now;
        now
    }
}

/// Decides every command of a submission and applies its events to `state`; on a
/// refusal `state` is left as it was.
///
/// A single command is decided against `state` itself and its events applied in place:
/// `decide` refuses before anything changes, so there is nothing to roll back. A batch
/// needs all-or-nothing: each command is decided against the state the earlier ones left,
/// and should one be refused, the [`Undo`] log of the earlier ones takes them back.
fn decide_all(
    state: &mut State,
    submission: &Submission,
    roles: Option<&BTreeSet<Role>>,
) -> Result<Vec<Event>, LedgerError> {
    if let [command] = submission.commands.as_slice() {
        allowed(roles, 0, command, state)?;
        let events = decide(state, command).map_err(refused(0, command))?;
        for event in &events {
            state.apply(event);
        }
        return Ok(events);
    }
    let mut undo = Undo::new();
    let mut events = Vec::with_capacity(submission.commands.len());
    for (index, command) in submission.commands.iter().enumerate() {
        let produced = allowed(roles, index, command, state)
            .and_then(|()| decide(state, command).map_err(refused(index, command)));
        match produced {
            Ok(produced) => {
                for event in &produced {
                    state.apply_undoable(event, &mut undo);
                }
                events.extend(produced);
            }
            Err(error) => {
                state.undo(undo);
                return Err(error);
            }
        }
    }
    Ok(events)
}

/// With `roles`, command `index` must be allowed to them against the state as the earlier
/// commands of the same batch left it (a reversal needs the role of the entry it cancels).
fn allowed(
    roles: Option<&BTreeSet<Role>>,
    index: usize,
    command: &Command,
    state: &State,
) -> Result<(), LedgerError> {
    let Some(roles) = roles else {
        return Ok(());
    };
    authorize(roles, command, state).map_err(|forbidden| LedgerError::Forbidden {
        index,
        command: forbidden.command,
        needed: forbidden.needed,
    })
}

/// The refusal of command `index` of a submission.
fn refused(index: usize, command: &Command) -> impl FnOnce(RuleViolation) -> LedgerError {
    let command = command.name();
    move |violation| LedgerError::Refused {
        index,
        command,
        violation,
    }
}

/// The roles of submission `index`. The two lists are filled together; should they ever
/// disagree, the submission is held to no roles at all rather than to none of the checks.
fn permit(permits: &[Option<BTreeSet<Role>>], index: usize) -> Option<&BTreeSet<Role>> {
    static NO_ROLES: BTreeSet<Role> = BTreeSet::new();
    debug_assert!(index < permits.len(), "a submission without its roles");
    permits.get(index).map_or(Some(&NO_ROLES), Option::as_ref)
}

fn meta_for(submission: &Submission, recorded_at: DateTime<Utc>) -> EventMeta {
    let context = &submission.context;
    EventMeta {
        id: EventId::generate(),
        recorded_at,
        effective_date: context.effective_date,
        actor: context.actor.clone(),
        idempotency_key: context.idempotency_key.clone(),
        external_ref: context.external_ref.clone(),
        metadata: context.metadata.clone(),
    }
}

fn conflict(submission: &Submission) -> LedgerError {
    LedgerError::IdempotencyConflict {
        key: submission.context.idempotency_key.clone(),
    }
}
