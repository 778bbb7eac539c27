//! [`Store`]: the event log as the rest of the program sees it, whichever engine holds
//! it (sled in a directory, or a PostgreSQL database). Every method forwards to the
//! engine behind [`Engine`]; the guarantees are those of the module documentation of
//! `store` and of `engine.rs`.

use std::path::Path;
use std::sync::Arc;

use super::engine::Engine;
use super::postgres::PostgresStore;
use super::{ClosingStatement, Damage, Head, IdempotencyRecord, PendingEvent, StoreError};
use super::{SledStore, StoredHead};
use crate::audit::{AuditError, Hash, NodeReader};
use crate::domain::{PhaseId, RecordedEvent};

/// The event log. Cheap to clone (an `Arc`); `Send + Sync`.
#[derive(Clone)]
pub struct Store {
    engine: Arc<dyn Engine>,
}

impl Store {
    /// Opens the sled store in `dir`, creating it if absent, and verifies the chain from
    /// the last verified checkpoint to the head before anything can read or append.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        SledStore::open(dir).map(Store::from_engine)
    }

    /// Opens the sled store in `dir` like [`Store::open`], but read-only up to the last
    /// good event when the log is found corrupt or truncated; returns the damage found.
    pub fn open_until_damage(dir: &Path) -> Result<(Store, Option<Damage>), StoreError> {
        let (store, damage) = SledStore::open_until_damage(dir)?;
        Ok((Store::from_engine(store), damage))
    }

    /// Connects to the PostgreSQL database at `url` (`postgresql://USER@HOST:PORT/DB`),
    /// runs its schema migrations and verifies the chain from the last verified
    /// checkpoint to the head. Blocks; call it off the async runtime.
    pub fn open_postgres(url: &str) -> Result<Store, StoreError> {
        PostgresStore::open(url).map(Store::from_engine)
    }

    /// Follows [`Store::damage`]: changes once, when damage is first found.
    pub fn watch_damage(&self) -> tokio::sync::watch::Receiver<Option<Damage>> {
        self.engine.watch_damage()
    }

    /// A read met `error`: if it is damage of the stored log, the store turns read-only.
    pub fn note_read_failure(&self, error: &StoreError) {
        self.engine.note_read_failure(error);
    }

    /// The stored Merkle subtree hashes disagree with the root the events give at `head`:
    /// the store turns read-only.
    pub fn note_tree_mismatch(&self, head: Head, from_events: Hash, stored: Hash) {
        self.engine.note_tree_mismatch(head, from_events, stored);
    }

    /// Flips a bit of every stored Merkle subtree hash (tests only).
    #[cfg(test)]
    pub(crate) fn tamper_every_stored_node(&self) {
        self.engine.tamper_every_stored_node();
    }

    /// Every closing statement kept, in phase-id order.
    pub fn closing_statements(&self) -> Result<Vec<(PhaseId, ClosingStatement)>, StoreError> {
        self.engine.closing_statements()
    }

    /// Calls `visit` with every idempotency record (scoped key and record) whose first
    /// event is in `from..=to` and durable, in key order; stops when `visit` returns false.
    pub fn visit_idempotency(
        &self,
        from: u64,
        to: u64,
        mut visit: impl FnMut(String, IdempotencyRecord) -> bool,
    ) -> Result<(), StoreError> {
        self.engine.visit_idempotency(from, to, &mut visit)
    }

    /// Appends `events`, given as their exact stored bytes, after the head, with the
    /// idempotency records of the commands that produced them, and makes them durable.
    /// Each event must be the next sequence and link to the one before; nothing is
    /// written otherwise. For restoring a log: the single writer must not run meanwhile.
    pub fn import_stored(
        &self,
        events: &[Vec<u8>],
        idempotency: &[(String, IdempotencyRecord)],
    ) -> Result<Head, StoreError> {
        self.engine.import_stored(events, idempotency)
    }

    pub(crate) fn from_engine(engine: impl Engine + 'static) -> Store {
        Store {
            engine: Arc::new(engine),
        }
    }

    /// Which engine holds the log: `sled` or `postgresql`.
    pub fn engine_name(&self) -> &'static str {
        self.engine.name()
    }

    /// The last durably appended event.
    pub fn head(&self) -> Head {
        self.engine.head()
    }

    /// The head of everything written, durable or not: where the writer's next
    /// [`Store::write`] continues. Readers want [`Store::head`].
    pub fn written_head(&self) -> Head {
        self.engine.written_head()
    }

    /// Appends `events` with their idempotency records and makes them durable:
    /// [`Store::write`] then [`Store::sync`]. All or nothing. Only the single writer may
    /// call this.
    pub fn append(
        &self,
        events: Vec<PendingEvent>,
        idempotency: Vec<(String, IdempotencyRecord)>,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let (recorded, _) = self.write(events, idempotency)?;
        self.sync()?;
        Ok(recorded)
    }

    /// Appends `events` as `written+1..`, with their idempotency records, all or nothing.
    /// Readers do not see them, and nothing may be acknowledged from them, until a
    /// [`Store::sync`] that started after this returned. Only the single writer may call
    /// this.
    pub fn write(
        &self,
        events: Vec<PendingEvent>,
        idempotency: Vec<(String, IdempotencyRecord)>,
    ) -> Result<(Vec<RecordedEvent>, Head), StoreError> {
        self.engine.write(events, idempotency)
    }

    /// Makes everything written so far durable and publishes it to readers; returns the
    /// head now durable. A failure stops all further writes until the store is reopened.
    pub fn sync(&self) -> Result<Head, StoreError> {
        self.engine.sync()
    }

    /// Makes every sync from now on fail, as a failing disk would (tests only).
    #[cfg(test)]
    pub(crate) fn fail_syncs(&self) {
        self.engine.fail_syncs();
    }

    /// Event `sequence`, or `None` beyond the head (or for 0).
    pub fn get(&self, sequence: u64) -> Result<Option<RecordedEvent>, StoreError> {
        self.engine.get(sequence)
    }

    /// The exact stored bytes of event `sequence` (its Merkle leaf), or `None` beyond the
    /// head (or for 0).
    pub fn raw(&self, sequence: u64) -> Result<Option<Vec<u8>>, StoreError> {
        self.engine.raw(sequence)
    }

    /// Up to `limit` events from `from` (0 means 1), each checked to link to the one
    /// before it.
    pub fn read(&self, from: u64, limit: usize) -> Result<Vec<RecordedEvent>, StoreError> {
        self.engine.read(from, limit)
    }

    /// Every event from `from` (0 means 1) to the head at the time of the call, linkage
    /// checked, for replay. Stops after the first error.
    pub fn iter_from(
        &self,
        from: u64,
    ) -> impl Iterator<Item = Result<RecordedEvent, StoreError>> + Send + 'static {
        self.engine.iter_from(from)
    }

    /// The exact stored bytes of every event from `from` (0 means 1) to the head at the
    /// time of the call: the Merkle tree's leaves and the export's payload.
    pub fn raw_from(
        &self,
        from: u64,
    ) -> impl Iterator<Item = Result<(u64, Vec<u8>), StoreError>> + Send + 'static {
        self.engine.raw_from(from)
    }

    /// The record stored under an (actor-scoped) idempotency key.
    pub fn idempotency(&self, scoped_key: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        self.engine.idempotency(scoped_key)
    }

    /// Sequences of up to `limit` events carrying `external_ref`, in log order, up to the
    /// head readers see.
    pub fn by_external_ref(
        &self,
        external_ref: &str,
        limit: usize,
    ) -> Result<Vec<u64>, StoreError> {
        self.engine.by_external_ref(external_ref, limit)
    }

    /// Leaves in the Merkle tree: the events up to the published head.
    pub fn tree_size(&self) -> u64 {
        self.head().sequence
    }

    /// The tree size and its RFC 6962 root, from at most 64 stored hashes.
    pub fn tree_head(&self) -> Result<(u64, Hash), StoreError> {
        let size = self.tree_size();
        let root = crate::audit::root_at(size, self)
            .map_err(|error| StoreError::record("merkle tree", error.to_string()))?;
        Ok((size, root))
    }

    /// The Merkle root of the current tree.
    pub fn root(&self) -> Result<Hash, StoreError> {
        self.tree_head().map(|(_, root)| root)
    }

    /// Checks every stored event: its hash, its link to the one before, its payload,
    /// and that the last one is the head. `progress` is called with each sequence
    /// checked. Reads the whole log.
    pub fn verify_all(&self, mut progress: impl FnMut(u64)) -> Result<Head, StoreError> {
        self.engine.verify_all(&mut progress)
    }

    /// Records `head` as verified, so the next open checks only the events after it.
    pub fn set_verified_checkpoint(&self, head: Head) -> Result<(), StoreError> {
        self.engine.set_verified_checkpoint(head)
    }

    /// The damage that made this store read-only, if any.
    pub fn damage(&self) -> Option<&Damage> {
        self.engine.damage()
    }

    /// Marks the store damaged after a read found `error`: locates the damage from the
    /// start of the log and makes the store read-only up to the last good event. Returns
    /// the damage, or `error` itself when it is not damage of the log.
    pub fn restrict_to_damage(&self, error: StoreError) -> Result<Damage, StoreError> {
        self.engine.restrict_to_damage(error)
    }

    /// Replaces the snapshot with `bytes`, the state after event `sequence`; durable
    /// when this returns.
    pub fn save_snapshot(&self, sequence: u64, bytes: &[u8]) -> Result<(), StoreError> {
        self.engine.save_snapshot(sequence, bytes)
    }

    /// The saved snapshot and the sequence it was taken at, if it still belongs to this
    /// log. A stale or damaged snapshot gives `None` and a warning saying why.
    pub fn load_snapshot(&self) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
        self.engine.load_snapshot()
    }

    /// Keeps the head the log signed at `tree_size`, durably. A head already kept for that
    /// size is replaced (the log signs each size once, so this happens only on a retry).
    pub fn put_signed_head(
        &self,
        tree_size: u64,
        timestamp: u64,
        note: &str,
    ) -> Result<(), StoreError> {
        self.engine.put_signed_head(tree_size, timestamp, note)
    }

    /// Keeps a cosignature `line` of the head signed at `tree_size` by `witness` (its key
    /// name, a space and its key hash), durably, replacing an earlier one by that key.
    pub fn add_cosignature(
        &self,
        tree_size: u64,
        witness: &str,
        line: &str,
    ) -> Result<(), StoreError> {
        self.engine.add_cosignature(tree_size, witness, line)
    }

    /// The head signed at `tree_size` with its cosignatures, if the log signed one.
    pub fn signed_head(&self, tree_size: u64) -> Result<Option<StoredHead>, StoreError> {
        self.engine.signed_head(tree_size)
    }

    /// Up to `limit` signed heads of size `tree_size` or more, smallest first, each with
    /// its cosignatures.
    pub fn signed_heads_since(
        &self,
        tree_size: u64,
        limit: usize,
    ) -> Result<Vec<StoredHead>, StoreError> {
        self.engine.signed_heads_since(tree_size, limit)
    }

    /// The largest signed head, with its cosignatures.
    pub fn latest_signed_head(&self) -> Result<Option<StoredHead>, StoreError> {
        self.engine.latest_signed_head()
    }

    /// Keeps the statement signed when `phase` closed, durably.
    pub fn put_closing_statement(
        &self,
        phase: PhaseId,
        statement: &ClosingStatement,
    ) -> Result<(), StoreError> {
        self.engine.put_closing_statement(phase, statement)
    }

    /// The statement signed when `phase` closed, if one was.
    pub fn closing_statement(
        &self,
        phase: PhaseId,
    ) -> Result<Option<ClosingStatement>, StoreError> {
        self.engine.closing_statement(phase)
    }
}

/// Subtree hashes of the log up to the published head, from whichever engine holds it.
impl NodeReader for Store {
    fn node(&self, level: u8, index: u64) -> Result<Hash, AuditError> {
        self.engine.node(level, index)
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("engine", &self.engine.name())
            .field("head", &self.head())
            .finish_non_exhaustive()
    }
}
