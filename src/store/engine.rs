//! The one store interface: what an engine that holds the event log must do, whichever
//! database it is. [`super::Store`] is the facade the rest of the program uses; it holds
//! one engine behind this trait, so the writer, the read side and the audit code never
//! know whether sled or PostgreSQL keeps the log.
//!
//! Every engine keeps the same stored bytes (the `codec` envelopes), sequence numbers,
//! hash chain and Merkle subtree hashes, so an export from either verifies the same way.
//!
//! # The contract
//!
//! - `write` appends a group as `written_head + 1..` with its idempotency records, all
//!   or nothing, and refuses a group that does not continue the log it expects; `sync`
//!   makes everything written durable and only then publishes it to readers. An engine
//!   may make a group durable inside `write` already (PostgreSQL commits there); readers
//!   still see it only after `sync`.
//! - A failed `write` or `sync` refuses every later write until the store is reopened.
//! - Reads stop at the published head: nothing written but not yet synced is visible,
//!   except to the writer's own idempotency lookups.
//! - Records written outside the group commit (signed heads, cosignatures, closing
//!   statements, snapshots) are durable when their call returns.

use super::{ClosingStatement, Damage, Head, IdempotencyRecord, PendingEvent, StoreError};
use super::{SledStore, StoredHead};
use crate::audit::{AuditError, Hash};
use crate::domain::{PhaseId, RecordedEvent};

/// Decoded events in log order, each checked to link to the one before.
pub(crate) type Events = Box<dyn Iterator<Item = Result<RecordedEvent, StoreError>> + Send>;

/// Stored bytes of events in log order, with their sequences.
pub(crate) type RawEvents = Box<dyn Iterator<Item = Result<(u64, Vec<u8>), StoreError>> + Send>;

/// An engine that holds the event log (see the module documentation for the contract).
pub(crate) trait Engine: Send + Sync {
    /// Which engine this is, for logs and health: `sled` or `postgresql`.
    fn name(&self) -> &'static str;
    /// The last durable event that readers see.
    fn head(&self) -> Head;
    /// The head of everything written, durable or not.
    fn written_head(&self) -> Head;
    /// Appends one group (see the module documentation).
    fn write(
        &self,
        events: Vec<PendingEvent>,
        idempotency: Vec<(String, IdempotencyRecord)>,
    ) -> Result<(Vec<RecordedEvent>, Head), StoreError>;
    /// Makes everything written durable and publishes it; returns the head now durable.
    fn sync(&self) -> Result<Head, StoreError>;
    /// Event `sequence`, or `None` beyond the head (or for 0).
    fn get(&self, sequence: u64) -> Result<Option<RecordedEvent>, StoreError>;
    /// The exact stored bytes of event `sequence`, or `None` beyond the head (or for 0).
    fn raw(&self, sequence: u64) -> Result<Option<Vec<u8>>, StoreError>;
    /// Up to `limit` events from `from` (0 means 1), linkage checked.
    fn read(&self, from: u64, limit: usize) -> Result<Vec<RecordedEvent>, StoreError>;
    /// Every event from `from` (0 means 1) to the head at the time of the call.
    fn iter_from(&self, from: u64) -> Events;
    /// The stored bytes of every event from `from` (0 means 1) to the head at the time.
    fn raw_from(&self, from: u64) -> RawEvents;
    /// The record under an (actor-scoped) idempotency key, written or durable.
    fn idempotency(&self, scoped_key: &str) -> Result<Option<IdempotencyRecord>, StoreError>;
    /// Sequences of up to `limit` events carrying `external_ref`, up to the head.
    fn by_external_ref(&self, external_ref: &str, limit: usize) -> Result<Vec<u64>, StoreError>;
    /// The hash of the complete Merkle subtree `index` at `level` of the log.
    fn node(&self, level: u8, index: u64) -> Result<Hash, AuditError>;
    /// Checks every stored event, calling `progress` with each sequence checked.
    fn verify_all(&self, progress: &mut dyn FnMut(u64)) -> Result<Head, StoreError>;
    /// Records `head` as verified, so the next open checks only the events after it.
    fn set_verified_checkpoint(&self, head: Head) -> Result<(), StoreError>;
    /// The damage that made this store read-only, if any.
    fn damage(&self) -> Option<&Damage>;
    /// Makes the store read-only up to the last good event when `error` is damage.
    fn restrict_to_damage(&self, error: StoreError) -> Result<Damage, StoreError>;
    /// Replaces the snapshot with `bytes`, the state after event `sequence`.
    fn save_snapshot(&self, sequence: u64, bytes: &[u8]) -> Result<(), StoreError>;
    /// The saved snapshot and its sequence, if it still belongs to this log.
    fn load_snapshot(&self) -> Result<Option<(u64, Vec<u8>)>, StoreError>;
    /// Keeps the head the log signed at `tree_size`, durably.
    fn put_signed_head(&self, tree_size: u64, timestamp: u64, note: &str)
        -> Result<(), StoreError>;
    /// Keeps a witness cosignature of the head at `tree_size`, durably.
    fn add_cosignature(&self, tree_size: u64, witness: &str, line: &str) -> Result<(), StoreError>;
    /// The head signed at `tree_size` with its cosignatures.
    fn signed_head(&self, tree_size: u64) -> Result<Option<StoredHead>, StoreError>;
    /// Up to `limit` signed heads of size `tree_size` or more, smallest first.
    fn signed_heads_since(
        &self,
        tree_size: u64,
        limit: usize,
    ) -> Result<Vec<StoredHead>, StoreError>;
    /// The largest signed head, with its cosignatures.
    fn latest_signed_head(&self) -> Result<Option<StoredHead>, StoreError>;
    /// Keeps the statement signed when `phase` closed, durably.
    fn put_closing_statement(
        &self,
        phase: PhaseId,
        statement: &ClosingStatement,
    ) -> Result<(), StoreError>;
    /// The statement signed when `phase` closed.
    fn closing_statement(&self, phase: PhaseId) -> Result<Option<ClosingStatement>, StoreError>;
    /// Follows `damage`: changes once, when damage is first found.
    fn watch_damage(&self) -> tokio::sync::watch::Receiver<Option<Damage>>;
    /// A read met `error`: if it is damage of the stored log, the store turns read-only
    /// (`read_damage.rs`); other failures leave it as it is.
    fn note_read_failure(&self, error: &StoreError);
    /// The stored Merkle subtree hashes give `stored` as the root at `head`, the events
    /// give `from_events`: the store turns read-only.
    fn note_tree_mismatch(&self, head: Head, from_events: Hash, stored: Hash);
    /// Every closing statement kept, in phase-id order (for a backup).
    fn closing_statements(&self) -> Result<Vec<(PhaseId, ClosingStatement)>, StoreError>;
    /// Calls `visit` with every idempotency record whose first event is in `from..=to` and
    /// durable, in key order, until it returns false (for a backup).
    fn visit_idempotency(
        &self,
        from: u64,
        to: u64,
        visit: &mut dyn FnMut(String, IdempotencyRecord) -> bool,
    ) -> Result<(), StoreError>;
    /// Appends events given as their exact stored bytes after the head, each linking to the
    /// one before, with their idempotency records, durable when it returns (a restore; no
    /// writer runs meanwhile).
    fn import_stored(
        &self,
        events: &[Vec<u8>],
        idempotency: &[(String, IdempotencyRecord)],
    ) -> Result<Head, StoreError>;
    /// Makes every sync (or write, where the engine commits there) fail from now on, as a
    /// failing disk or a lost database would (tests only).
    #[cfg(test)]
    fn fail_syncs(&self);
    /// Flips a bit of every stored Merkle subtree hash (tests only).
    #[cfg(test)]
    fn tamper_every_stored_node(&self);
}

/// sled: the embedded default. Every method is the sled store's own.
impl Engine for SledStore {
    fn name(&self) -> &'static str {
        "sled"
    }
    fn head(&self) -> Head {
        SledStore::head(self)
    }
    fn written_head(&self) -> Head {
        SledStore::written_head(self)
    }
    fn write(
        &self,
        events: Vec<PendingEvent>,
        idempotency: Vec<(String, IdempotencyRecord)>,
    ) -> Result<(Vec<RecordedEvent>, Head), StoreError> {
        SledStore::write(self, events, idempotency)
    }
    fn sync(&self) -> Result<Head, StoreError> {
        SledStore::sync(self)
    }
    fn get(&self, sequence: u64) -> Result<Option<RecordedEvent>, StoreError> {
        SledStore::get(self, sequence)
    }
    fn raw(&self, sequence: u64) -> Result<Option<Vec<u8>>, StoreError> {
        SledStore::raw(self, sequence)
    }
    fn read(&self, from: u64, limit: usize) -> Result<Vec<RecordedEvent>, StoreError> {
        SledStore::read(self, from, limit)
    }
    fn iter_from(&self, from: u64) -> Events {
        Box::new(SledStore::iter_from(self, from))
    }
    fn raw_from(&self, from: u64) -> RawEvents {
        Box::new(SledStore::raw_from(self, from))
    }
    fn idempotency(&self, scoped_key: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        SledStore::idempotency(self, scoped_key)
    }
    fn by_external_ref(&self, external_ref: &str, limit: usize) -> Result<Vec<u64>, StoreError> {
        SledStore::by_external_ref(self, external_ref, limit)
    }
    fn node(&self, level: u8, index: u64) -> Result<Hash, AuditError> {
        crate::audit::NodeReader::node(self, level, index)
    }
    fn verify_all(&self, progress: &mut dyn FnMut(u64)) -> Result<Head, StoreError> {
        SledStore::verify_all(self, progress)
    }
    fn set_verified_checkpoint(&self, head: Head) -> Result<(), StoreError> {
        SledStore::set_verified_checkpoint(self, head)
    }
    fn damage(&self) -> Option<&Damage> {
        SledStore::damage(self)
    }
    fn restrict_to_damage(&self, error: StoreError) -> Result<Damage, StoreError> {
        SledStore::restrict_to_damage(self, error)
    }
    fn save_snapshot(&self, sequence: u64, bytes: &[u8]) -> Result<(), StoreError> {
        SledStore::save_snapshot(self, sequence, bytes)
    }
    fn load_snapshot(&self) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
        SledStore::load_snapshot(self)
    }
    fn put_signed_head(
        &self,
        tree_size: u64,
        timestamp: u64,
        note: &str,
    ) -> Result<(), StoreError> {
        SledStore::put_signed_head(self, tree_size, timestamp, note)
    }
    fn add_cosignature(&self, tree_size: u64, witness: &str, line: &str) -> Result<(), StoreError> {
        SledStore::add_cosignature(self, tree_size, witness, line)
    }
    fn signed_head(&self, tree_size: u64) -> Result<Option<StoredHead>, StoreError> {
        SledStore::signed_head(self, tree_size)
    }
    fn signed_heads_since(
        &self,
        tree_size: u64,
        limit: usize,
    ) -> Result<Vec<StoredHead>, StoreError> {
        SledStore::signed_heads_since(self, tree_size, limit)
    }
    fn latest_signed_head(&self) -> Result<Option<StoredHead>, StoreError> {
        SledStore::latest_signed_head(self)
    }
    fn put_closing_statement(
        &self,
        phase: PhaseId,
        statement: &ClosingStatement,
    ) -> Result<(), StoreError> {
        SledStore::put_closing_statement(self, phase, statement)
    }
    fn closing_statement(&self, phase: PhaseId) -> Result<Option<ClosingStatement>, StoreError> {
        SledStore::closing_statement(self, phase)
    }
    fn watch_damage(&self) -> tokio::sync::watch::Receiver<Option<Damage>> {
        SledStore::watch_damage(self)
    }
    fn note_read_failure(&self, error: &StoreError) {
        SledStore::note_read_failure(self, error);
    }
    fn note_tree_mismatch(&self, head: Head, from_events: Hash, stored: Hash) {
        SledStore::note_tree_mismatch(self, head, from_events, stored);
    }
    fn closing_statements(&self) -> Result<Vec<(PhaseId, ClosingStatement)>, StoreError> {
        SledStore::closing_statements(self)
    }
    fn visit_idempotency(
        &self,
        from: u64,
        to: u64,
        visit: &mut dyn FnMut(String, IdempotencyRecord) -> bool,
    ) -> Result<(), StoreError> {
        SledStore::visit_idempotency(self, from, to, visit)
    }
    fn import_stored(
        &self,
        events: &[Vec<u8>],
        idempotency: &[(String, IdempotencyRecord)],
    ) -> Result<Head, StoreError> {
        SledStore::import_stored(self, events, idempotency)
    }
    #[cfg(test)]
    fn fail_syncs(&self) {
        SledStore::fail_syncs(self);
    }
    #[cfg(test)]
    fn tamper_every_stored_node(&self) {
        SledStore::tamper_every_stored_node(self);
    }
}
