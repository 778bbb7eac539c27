//! The durable event log behind one interface ([`Store`], `engine.rs`), held by sled
//! (the embedded default, this file and the modules it names) or by PostgreSQL
//! (`postgres/`). On sled: blocks of hash-chained events, the idempotency and
//! external-reference indexes, the projection snapshot, and what the log signed for
//! outsiders (tree heads, cosignatures, closing phase statements).
//!
//! # Guarantees
//!
//! - **Durable acknowledgement.** [`Store::write`] puts all its events, index entries
//!   and the new head in one sled batch (atomic); [`Store::sync`] then calls `flush` and
//!   fsyncs sled's data file, because on Linux sled's flush ends in `sync_file_range`,
//!   which is not an fsync (see `durability.rs`). Splitting the two lets the writer
//!   decide the next group while the previous one is being synced; [`Store::append`]
//!   does both. When `sync` returns `Ok`, every event written before it survives
//!   `kill -9` and power loss, and only then do readers see it; on `Err`, nothing
//!   written since the last good sync is acknowledged and the store refuses further
//!   writes until it is reopened.
//! - **Tamper evidence.** Every event's hash is SHA-256 of its exact stored bytes and
//!   each event stores the hash of the one before ([`codec`]). [`Store::open`] re-checks
//!   the chain from the last verified checkpoint to the head; [`Store::verify_all`]
//!   checks all of it. Damage is [`StoreError::Corrupt`] naming the sequence; a log
//!   shorter than its head record is [`StoreError::Truncated`].
//! - **One writer.** Only one task (the ledger's writer) may call `append`. Calls are
//!   serialised by a lock anyway, but sequence numbers are only meaningful to a single
//!   writer that decides and appends in order. Readers never wait for the writer: they
//!   read up to the head published by the last completed sync.
//!
//! The key layout and the sled configuration are in `layout.rs`; the stored encoding is
//! `proto/matchledger/storage/v1/storage.proto`, whose types never leave this module.

mod append;
pub mod codec;
mod cursor;
mod durability;
mod engine;
mod error;
mod evidence;
mod facade;
mod layout;
mod merkle;
pub mod migrate;
mod payload;
mod postgres;
mod read_damage;
mod records;
mod restore;
mod signed;
mod snapshot;
mod verify;

#[cfg(test)]
mod damage_tests;
#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod tests;

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

pub use codec::{decode, encode, FORMAT_VERSION, GENESIS_HASH};
pub use error::StoreError;
pub use facade::Store;
pub use merkle::NodeTree;
pub use signed::{ClosingStatement, StoredHead};

use crate::domain::{Event, EventMeta, RecordedEvent};
use append::WriterState;
use cursor::{EventCursor, RawCursor};
use durability::DataFile;

/// The stored encoding, generated from `proto/matchledger/storage/v1`. Private: the rest
/// of the program sees only domain types.
#[allow(clippy::all, clippy::pedantic, missing_docs)]
mod proto {
    include!(concat!(env!("OUT_DIR"), "/matchledger.storage.v1.rs"));
}

/// A position in the chain: the last event's sequence and hash (0 and zeros when empty).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    pub sequence: u64,
    pub hash: [u8; 32],
}

impl Head {
    /// The head of an empty log.
    pub const EMPTY: Head = Head {
        sequence: 0,
        hash: GENESIS_HASH,
    };
}

/// Damage found in the stored log: the server then serves reads up to the last good
/// event and refuses every write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    /// The first sequence found damaged or missing (see `verify::locate_damage` for why
    /// it may be one before the altered event).
    pub sequence: u64,
    /// The last event that verifies: the store reads up to here.
    pub last_good: Head,
    /// What verification reported.
    pub reason: String,
}

impl std::fmt::Display for Damage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "event log damaged at sequence {} ({}); readable up to sequence {}",
            self.sequence, self.reason, self.last_good.sequence
        )
    }
}

/// What a command produced, kept under its (actor-scoped) idempotency key so that a
/// retry can be answered with the original result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdempotencyRecord {
    /// SHA-256 of the normalised request: a retry with another request is refused.
    pub fingerprint: [u8; 32],
    /// The sequence of the first event the command produced.
    pub first_sequence: u64,
    /// How many events it produced.
    pub event_count: u32,
}

/// An event decided but not yet stored; the store assigns its sequence and hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingEvent {
    pub meta: EventMeta,
    pub event: Event,
}

/// Opens sled in `dir`. A store closed an instant ago in this same process may still hold
/// sled's file lock while sled's own I/O threads finish with it (dropping a `sled::Db` does
/// not wait for them), so a lock refusal is retried for a short while; a store held open by
/// another process stays refused once the wait is over.
fn open_sled(dir: &Path) -> Result<sled::Db, StoreError> {
    let deadline = std::time::Instant::now() + crate::limits::STORE_LOCK_WAIT;
    loop {
        match layout::sled_config(dir).open() {
            Err(sled::Error::Io(error))
                if error.to_string().contains("could not acquire lock")
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            opened => return Ok(opened?),
        }
    }
}

/// The event log on sled, the embedded engine behind [`Store`] (`engine.rs`). Cheap to
/// clone (an `Arc`); `Send + Sync`.
#[derive(Clone)]
pub(crate) struct SledStore {
    inner: Arc<Inner>,
}

struct Inner {
    /// The store directory (snapshot files live beside sled's data).
    dir: std::path::PathBuf,
    db: sled::Db,
    data_file: DataFile,
    /// The head readers see: published after each sync.
    head: RwLock<Head>,
    /// The head of everything written, durable or not: what the next sync covers.
    written: Mutex<Head>,
    /// Set when a sync failed: what was written may or may not be on disk, so nothing
    /// more may be written until the store is reopened.
    sync_failed: std::sync::OnceLock<String>,
    /// The writer's own state (head and the open tail block); held through an append.
    writer: Mutex<WriterState>,
    /// Set when the log was found damaged: the store is then read-only.
    damage: std::sync::OnceLock<Damage>,
    /// Tells followers (health) the moment `damage` is set.
    damage_signal: tokio::sync::watch::Sender<Option<Damage>>,
    /// Held while a failed read is traced to the damage, so that readers failing at once
    /// walk the log once.
    locating: Mutex<()>,
    /// The head the evidence file records, held while it is rewritten: two syncs (the
    /// acknowledging stage and a snapshot) may run at once, and the evidence is written
    /// through one temporary name, moves only forward, and is never written twice at once.
    evidence: Mutex<Head>,
}

impl SledStore {
    /// Opens the store in `dir`, creating it if absent, and verifies the chain from the
    /// last verified checkpoint to the head before anything can read or append.
    pub fn open(dir: &Path) -> Result<SledStore, StoreError> {
        let (db, data_file) = SledStore::open_files(dir)?;
        SledStore::check_evidence(dir, &db)?;
        let head = verify::on_open(&db, &data_file)?;
        SledStore::record_missing_evidence(dir, head)?;
        let writer = WriterState::load(&db, head)?;
        Ok(SledStore::assemble(dir, db, data_file, head, writer))
    }

    /// Fails when the log is shorter than, or differs at, the acknowledged head recorded
    /// beside sled (see `evidence.rs`).
    fn check_evidence(dir: &Path, db: &sled::Db) -> Result<(), StoreError> {
        let Some(evidence) = evidence::read(dir)? else {
            return Ok(());
        };
        let head_record = records::stored_position(db, layout::META_HEAD)?;
        evidence::check_length(evidence, head_record)?;
        verify::check_hash_at(db, evidence, head_record.sequence, "acknowledged")
    }

    /// A store written before the evidence file existed gets one from its verified head.
    fn record_missing_evidence(dir: &Path, head: Head) -> Result<(), StoreError> {
        if head.sequence > 0 && evidence::read(dir)?.is_none() {
            evidence::write(dir, head)?;
        }
        Ok(())
    }

    /// Opens like [`Store::open`], but when verification finds the log corrupt or
    /// truncated, opens it read-only instead of failing: reads stop at the last good
    /// event and every append is refused. Returns the damage found, if any; other
    /// failures (sled cannot open, an unknown format) are still errors.
    pub fn open_until_damage(dir: &Path) -> Result<(SledStore, Option<Damage>), StoreError> {
        let (db, data_file) = SledStore::open_files(dir)?;
        if let Err(error) = SledStore::check_evidence(dir, &db) {
            let checkpoint = records::stored_position(&db, layout::META_VERIFIED)?;
            let last_good = records::stored_position(&db, layout::META_HEAD)?;
            // Damage inside the log is named where it is; otherwise the log verifies but
            // stops short of (or differs from) what was acknowledged.
            let damage = match verify::locate_damage(&db, checkpoint, last_good)? {
                Some(damage) => damage,
                None => Damage {
                    sequence: last_good.sequence + 1,
                    last_good,
                    reason: format!("the log disagrees with its acknowledged head: {error}"),
                },
            };
            let store =
                SledStore::assemble(dir, db, data_file, Head::EMPTY, WriterState::refusing());
            store.restrict(damage.clone());
            return Ok((store, Some(damage)));
        }
        let error = match verify::on_open(&db, &data_file) {
            Ok(head) => {
                SledStore::record_missing_evidence(dir, head)?;
                let writer = WriterState::load(&db, head)?;
                return Ok((SledStore::assemble(dir, db, data_file, head, writer), None));
            }
            Err(error) if verify::damaged_sequence(&error).is_some() => error,
            Err(error) => return Err(error),
        };
        let checkpoint = records::stored_position(&db, layout::META_VERIFIED)?;
        let head_record = records::stored_position(&db, layout::META_HEAD)?;
        let damage = verify::locate_damage(&db, checkpoint, head_record)?.ok_or(error)?;
        let store = SledStore::assemble(dir, db, data_file, Head::EMPTY, WriterState::refusing());
        store.restrict(damage.clone());
        Ok((store, Some(damage)))
    }

    /// Marks the store damaged after a read found `error` (damage before the verified
    /// checkpoint, which open does not re-check): locates the damage from the start of
    /// the log and makes the store read-only up to the last good event. Returns the
    /// damage, or `error` itself when it is not damage of the log.
    pub fn restrict_to_damage(&self, error: StoreError) -> Result<Damage, StoreError> {
        if verify::damaged_sequence(&error).is_none() {
            return Err(error);
        }
        let head_record = records::stored_position(&self.inner.db, layout::META_HEAD)?;
        let damage =
            verify::locate_damage(&self.inner.db, Head::EMPTY, head_record)?.ok_or(error)?;
        self.restrict(damage.clone());
        Ok(damage)
    }

    /// The damage that made this store read-only, if any.
    pub fn damage(&self) -> Option<&Damage> {
        self.inner.damage.get()
    }

    /// Lowers the readable head to the last good event and refuses appends from now on.
    fn restrict(&self, damage: Damage) {
        let mut writer = self
            .inner
            .writer
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        writer.refuse(damage.to_string());
        *self
            .inner
            .head
            .write()
            .unwrap_or_else(PoisonError::into_inner) = damage.last_good;
        tracing::error!(
            damaged_sequence = damage.sequence,
            last_good = damage.last_good.sequence,
            reason = %damage.reason,
            "event log damaged: read-only up to the last good event"
        );
        // The first damage found stands; a later one is at or after it.
        if self.inner.damage.set(damage.clone()).is_ok() {
            self.inner.damage_signal.send_replace(Some(damage));
        }
    }

    /// Follows [`Store::damage`]: changes once, when damage is first found.
    pub fn watch_damage(&self) -> tokio::sync::watch::Receiver<Option<Damage>> {
        self.inner.damage_signal.subscribe()
    }

    fn open_files(dir: &Path) -> Result<(sled::Db, DataFile), StoreError> {
        durability::create_dir_durably(dir)?;
        let db = open_sled(dir)?;
        let data_file = DataFile::open(dir)?;
        Ok((db, data_file))
    }

    fn assemble(
        dir: &Path,
        db: sled::Db,
        data_file: DataFile,
        head: Head,
        writer: WriterState,
    ) -> SledStore {
        SledStore {
            inner: Arc::new(Inner {
                dir: dir.to_path_buf(),
                db,
                data_file,
                head: RwLock::new(head),
                written: Mutex::new(head),
                sync_failed: std::sync::OnceLock::new(),
                writer: Mutex::new(writer),
                damage: std::sync::OnceLock::new(),
                damage_signal: tokio::sync::watch::Sender::new(None),
                locating: Mutex::new(()),
                evidence: Mutex::new(head),
            }),
        }
    }

    /// The last durably appended event.
    pub fn head(&self) -> Head {
        // The lock only guards a plain copy; a panic elsewhere cannot leave it half set.
        *self
            .inner
            .head
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The head of everything written, durable or not: where the writer's next
    /// [`Store::write`] continues. Readers want [`Store::head`].
    pub fn written_head(&self) -> Head {
        *self
            .inner
            .written
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Appends `events` as `head+1..`, with their idempotency records, in one atomic
    /// batch made durable (flush and fsync) before returning: [`Store::write`] then
    /// [`Store::sync`]. All or nothing. Only the single writer may call this.
    // The facade has its own (`facade.rs`); the sled store's tests use this one.
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn append(
        &self,
        events: Vec<PendingEvent>,
        idempotency: Vec<(String, IdempotencyRecord)>,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let (recorded, _) = self.write(events, idempotency)?;
        self.sync()?;
        Ok(recorded)
    }

    /// Appends `events` as `written+1..`, with their idempotency records, in one atomic
    /// sled batch that is **not yet durable**: readers do not see it and nothing may be
    /// acknowledged from it until a [`Store::sync`] that started after this returned.
    /// Later writes and idempotency lookups of the writer do see it, so the writer can
    /// decide the next group while this one is synced. Returns the recorded events and
    /// the head written. Only the single writer may call this.
    pub fn write(
        &self,
        events: Vec<PendingEvent>,
        idempotency: Vec<(String, IdempotencyRecord)>,
    ) -> Result<(Vec<RecordedEvent>, Head), StoreError> {
        if let Some(reason) = self.inner.sync_failed.get() {
            return Err(StoreError::Refused(format!("no appends: {reason}")));
        }
        let mut writer = self
            .inner
            .writer
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let (recorded, head) = writer.write(&self.inner.db, events, idempotency)?;
        *self
            .inner
            .written
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = head;
        Ok((recorded, head))
    }

    /// Makes everything written so far durable (sled flush, then fsync of its data file)
    /// and publishes it to readers. Returns the head now durable. Safe to call from any
    /// thread, concurrently with `write`: what a concurrent write adds is covered by the
    /// next sync. A failure stops all further writes: what was written since the last
    /// good sync may or may not be on disk, and only reopening the store (which verifies
    /// the log) can tell.
    pub fn sync(&self) -> Result<Head, StoreError> {
        let written = *self
            .inner
            .written
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(reason) = self.inner.sync_failed.get() {
            return Err(StoreError::Refused(format!("no appends: {reason}")));
        }
        // Damage found while a group was in flight: nothing more is acknowledged, and
        // neither the evidence nor the readable head moves past the last good event.
        self.refuse_if_damaged()?;
        if written.sequence <= self.head().sequence {
            // Every write adds events (a command always produces at least one), so there
            // is nothing new to make durable.
            return Ok(self.head());
        }
        let committed = self
            .inner
            .data_file
            .commit(&self.inner.db)
            .and_then(|()| self.record_evidence(written));
        if let Err(error) = committed {
            let _ = self
                .inner
                .sync_failed
                .set(format!("a sync failed ({error}); reopen the store"));
            return Err(error);
        }
        let mut head = self
            .inner
            .head
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        // Two syncs may finish out of order; the head only moves forward.
        if written.sequence > head.sequence {
            *head = written;
        }
        Ok(*head)
    }

    /// Records `written` as the acknowledged head unless a later one is recorded already.
    fn record_evidence(&self, written: Head) -> Result<(), StoreError> {
        let mut recorded = self
            .inner
            .evidence
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if written.sequence > recorded.sequence {
            evidence::write(&self.inner.dir, written)?;
            *recorded = written;
        }
        Ok(())
    }

    /// Makes every sync from now on fail, as a failing disk would (tests only).
    #[cfg(test)]
    pub(crate) fn fail_syncs(&self) {
        self.inner
            .data_file
            .fail_commits
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Event `sequence`, or `None` beyond the head (or for 0).
    pub fn get(&self, sequence: u64) -> Result<Option<RecordedEvent>, StoreError> {
        let head = self.head().sequence;
        if sequence == 0 || sequence > head {
            return Ok(None);
        }
        let mut raw = RawCursor::new(self.tree(), sequence, sequence, head);
        let event = match raw.next().transpose() {
            Ok(Some((_, bytes))) => codec::decode_at(sequence, &bytes).map(Some),
            Ok(None) => Err(StoreError::Truncated {
                expected: head,
                found: sequence - 1,
            }),
            Err(error) => Err(error),
        };
        self.observed(event)
    }

    /// The exact stored bytes of event `sequence` (its Merkle leaf), or `None` beyond the
    /// head (or for 0). Reads the one block that holds it.
    pub fn raw(&self, sequence: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let head = self.head().sequence;
        if sequence == 0 || sequence > head {
            return Ok(None);
        }
        let mut raw = RawCursor::new(self.tree(), sequence, sequence, head);
        let bytes = match raw.next().transpose() {
            Ok(Some((_, bytes))) => Ok(Some(bytes)),
            Ok(None) => Err(StoreError::Truncated {
                expected: head,
                found: sequence - 1,
            }),
            Err(error) => Err(error),
        };
        self.observed(bytes)
    }

    /// Up to `limit` events from `from` (0 means 1), each checked to link to the one
    /// before it.
    pub fn read(&self, from: u64, limit: usize) -> Result<Vec<RecordedEvent>, StoreError> {
        let head = self.head().sequence;
        let from = from.max(1);
        if limit == 0 || from > head {
            return Ok(Vec::new());
        }
        let end = from.saturating_add(limit as u64 - 1).min(head);
        self.observed(EventCursor::new(self.tree(), from, end, head).collect())
    }

    /// Every event from `from` (0 means 1) to the head at the time of the call, linkage
    /// checked, for replay. Stops after the first error.
    pub fn iter_from(
        &self,
        from: u64,
    ) -> impl Iterator<Item = Result<RecordedEvent, StoreError>> + Send + 'static {
        let head = self.head().sequence;
        let store = self.clone();
        EventCursor::new(self.tree(), from, head, head).inspect(move |event| {
            if let Err(error) = event {
                store.note_read_failure(error);
            }
        })
    }

    /// The exact stored bytes of every event from `from` (0 means 1) to the head at the
    /// time of the call: the Merkle tree's leaves and the export's payload.
    pub fn raw_from(
        &self,
        from: u64,
    ) -> impl Iterator<Item = Result<(u64, Vec<u8>), StoreError>> + Send + 'static {
        let head = self.head().sequence;
        let store = self.clone();
        RawCursor::new(self.tree(), from, head, head).inspect(move |entry| {
            if let Err(error) = entry {
                store.note_read_failure(error);
            }
        })
    }

    /// The record stored under an (actor-scoped) idempotency key.
    pub fn idempotency(&self, scoped_key: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        let record = self
            .inner
            .db
            .get(layout::idempotency_key(scoped_key))
            .map_err(StoreError::from);
        self.observed(record)?
            .map(|bytes| records::decode_idempotency(&bytes))
            .transpose()
    }

    /// Sequences of up to `limit` events carrying `external_ref`, in log order, up to the
    /// head readers see (an index entry written with a group not yet durable is skipped).
    pub fn by_external_ref(
        &self,
        external_ref: &str,
        limit: usize,
    ) -> Result<Vec<u64>, StoreError> {
        let head = self.head().sequence;
        let prefix = layout::external_ref_prefix(external_ref);
        let mut sequences = Vec::new();
        for entry in self.inner.db.scan_prefix(&prefix) {
            if sequences.len() >= limit {
                break;
            }
            let (key, _) = self.observed(entry.map_err(StoreError::from))?;
            if let Some(sequence) = layout::parse_external_ref_key(&prefix, &key) {
                if sequence <= head {
                    sequences.push(sequence);
                }
            }
        }
        Ok(sequences)
    }

    /// Leaves in the Merkle tree: the events up to the published head.
    // The facade has its own (`facade.rs`); the sled store's tests use this one.
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn tree_size(&self) -> u64 {
        self.head().sequence
    }

    /// The tree size and its RFC 6962 root, from at most 64 stored hashes.
    // The facade has its own (`facade.rs`); the sled store's tests use this one.
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn tree_head(&self) -> Result<(u64, crate::audit::Hash), StoreError> {
        let size = self.tree_size();
        let root = crate::audit::root_at(size, self).map_err(merkle::tree_error)?;
        Ok((size, root))
    }

    /// The Merkle root of the current tree.
    // The facade has its own (`facade.rs`); the sled store's tests use this one.
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn root(&self) -> Result<crate::audit::Hash, StoreError> {
        self.tree_head().map(|(_, root)| root)
    }

    /// Checks every stored event: its hash, its link to the one before, its payload,
    /// and that the last one is the head. `progress` is called with each sequence
    /// checked. For `matchledger check`; reads the whole log.
    pub fn verify_all(&self, progress: impl FnMut(u64)) -> Result<Head, StoreError> {
        verify::all(&self.inner.db, self.head(), progress)
    }

    /// Records `head` as verified, so the next open checks only the events after it.
    pub fn set_verified_checkpoint(&self, head: Head) -> Result<(), StoreError> {
        self.refuse_if_damaged()?;
        verify::set_checkpoint(&self.inner.db, &self.inner.data_file, self.head(), head)
    }

    /// A damaged store changes nothing on disk: the damage stays there to be examined.
    fn refuse_if_damaged(&self) -> Result<(), StoreError> {
        match self.damage() {
            Some(damage) => Err(StoreError::Refused(damage.to_string())),
            None => Ok(()),
        }
    }

    /// The one tree everything lives in.
    fn tree(&self) -> sled::Tree {
        // `Db` derefs to its default tree; a `Tree` is a cheap `Arc` clone.
        sled::Tree::clone(&self.inner.db)
    }
}

/// Subtree hashes of the log up to the published head: the upper levels stored, the
/// lowest few hashed from the events (`merkle.rs`).
impl crate::audit::NodeReader for SledStore {
    fn node(&self, level: u8, index: u64) -> Result<crate::audit::Hash, crate::audit::AuditError> {
        let nodes = merkle::LogNodes {
            tree: &self.tree(),
            head: self.head().sequence,
        };
        nodes.node(level, index)
    }
}

impl std::fmt::Debug for SledStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SledStore")
            .field("head", &self.head())
            .finish_non_exhaustive()
    }
}
