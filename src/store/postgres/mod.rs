//! The event log in PostgreSQL: the same stored bytes, sequences, hash chain and Merkle
//! subtree hashes as on sled, in tables (`schema.rs`), behind the same [`Engine`].
//!
//! # Guarantees
//!
//! - **Durable acknowledgement.** A group is one SQL statement, hence one transaction
//!   (`append.rs`); `write` returns once its COMMIT did, and with `synchronous_commit`
//!   on (opening refuses `off`) the commit is on disk, and on a synchronous standby when
//!   one is configured. `sync` then publishes the head to readers: nothing is
//!   acknowledged before COMMIT returned.
//! - **A stale writer never appends.** The events table's keys and foreign key refuse a
//!   group that does not continue the stored log (`schema.rs`), and the group's update of
//!   `log_state` must find the tree size the writer expects.
//! - **One writer at a time.** Opening takes the writer's lease (`lease.rs`) before it
//!   reads the head, waiting while another node holds it.
//! - **Tamper evidence.** Opening re-checks the chain from the last verified checkpoint
//!   to the head (hashes, links, payloads) and the Merkle root against the stored nodes.
//! - **Connections.** The writer has its own connection; readers and the audit side share
//!   another, reconnected when it was lost. A failed write refuses every later one until
//!   the store is reopened (a restart re-reads the position from the database).
//!
//! Not yet: a damaged log in the database fails opening instead of opening read-only;
//! there are no followers serving reads while they wait (docs/postgresql.md).

mod append;
mod bridge;
mod lease;
mod read;
mod records;
mod schema;

use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock};

use tokio_postgres::Client;

use super::engine::{Engine, Events, RawEvents};
use super::StoredHead;
use super::{ClosingStatement, Damage, Head, IdempotencyRecord, PendingEvent, StoreError};
use crate::audit::{AuditError, Hash};
use crate::domain::{PhaseId, RecordedEvent};
use append::WriterState;
use bridge::block;
use lease::LeaseWait;

/// The event log in a PostgreSQL database. Cheap to clone (an `Arc`).
#[derive(Clone)]
pub(crate) struct PostgresStore {
    shared: Arc<Shared>,
    /// Followed by health; never changes while damage on PostgreSQL is not yet served
    /// read-only (see `restrict_to_damage`).
    damage_signal: tokio::sync::watch::Sender<Option<Damage>>,
}

/// What readers, the writer and iterators share.
pub(crate) struct Shared {
    url: String,
    /// The readers' connection; replaced by a new one when it was lost.
    reader: Mutex<Arc<Client>>,
    /// The writer's connection and position; held through a write. `None` only while
    /// opening, before the chain is verified.
    writer: Mutex<Option<WriterState>>,
    /// The head readers see: published by `sync`.
    head: RwLock<Head>,
    /// The head of everything committed by the writer.
    written: Mutex<Head>,
    /// Set when a write or sync failed: nothing more is written until reopened.
    failed: OnceLock<String>,
}

impl PostgresStore {
    /// Connects, migrates the schema, takes the writer's lease (waiting while another
    /// node holds it), verifies the log from the last verified checkpoint and loads the
    /// writer's position (see [`super::Store::open_postgres`]).
    pub(crate) fn open(url: &str) -> Result<PostgresStore, StoreError> {
        PostgresStore::open_with(url, LeaseWait::Wait)
    }

    /// Like [`PostgresStore::open`], refusing at once when another node holds the lease.
    pub(crate) fn open_unless_leased(url: &str) -> Result<PostgresStore, StoreError> {
        PostgresStore::open_with(url, LeaseWait::Refuse)
    }

    fn open_with(url: &str, wait: LeaseWait) -> Result<PostgresStore, StoreError> {
        let writer = Arc::new(schema::migrate(bridge::connect(url, "writer")?)?);
        // The lease before the head: once it is ours, no other node moves the head.
        lease::acquire(&writer, wait)?;
        let reader = Arc::new(bridge::connect(url, "reader")?);
        check_durability(&reader)?;
        let head = read::stored_head(&reader)?;
        let shared = Arc::new(Shared {
            url: url.to_string(),
            reader: Mutex::new(Arc::clone(&reader)),
            writer: Mutex::new(None),
            head: RwLock::new(head),
            written: Mutex::new(head),
            failed: OnceLock::new(),
        });
        // The chain first: damage to an event is named as such, not as a wrong root.
        read::verify_on_open(&shared, head)?;
        let writer = WriterState::load(writer, &reader, head)?;
        *shared.writer.lock().unwrap_or_else(PoisonError::into_inner) = Some(writer);
        tracing::info!(head = head.sequence, "event log opened in PostgreSQL");
        Ok(PostgresStore {
            shared,
            damage_signal: tokio::sync::watch::channel(None).0,
        })
    }
}

impl PostgresStore {
    /// Stores events copied from another store, with their exact bytes and idempotency
    /// records, after the head; committed and published when this returns (see
    /// `WriterState::import`). Only a migration calls this, with no writer running.
    pub(crate) fn import(
        &self,
        raw: Vec<Vec<u8>>,
        idempotency: Vec<(String, IdempotencyRecord)>,
    ) -> Result<Head, StoreError> {
        self.shared.refuse_if_failed()?;
        let mut writer = self
            .shared
            .writer
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let Some(writer) = writer.as_mut() else {
            return Err(StoreError::Refused("the store is still opening".into()));
        };
        let head = writer.import(raw, idempotency)?;
        *self
            .shared
            .written
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = head;
        self.sync()
    }
}

/// Refuses a database that acknowledges commits before they are durable.
fn check_durability(client: &Arc<Client>) -> Result<(), StoreError> {
    let client = Arc::clone(client);
    let (synchronous_commit, fsync) = block(async move {
        let commit = client.query_one("SHOW synchronous_commit", &[]).await?;
        let fsync = client.query_one("SHOW fsync", &[]).await?;
        Ok::<_, tokio_postgres::Error>((commit.get::<_, String>(0), fsync.get::<_, String>(0)))
    })?
    .map_err(bridge::error)?;
    if synchronous_commit == "off" {
        return Err(StoreError::Refused(
            "the database has synchronous_commit = off: a commit could be acknowledged \
             and then lost; set it to on (or remote_apply with a synchronous standby)"
                .into(),
        ));
    }
    if fsync == "off" {
        tracing::warn!(
            "the database runs with fsync = off: a power loss can lose acknowledged postings"
        );
    }
    Ok(())
}

impl Shared {
    /// The readers' connection, reconnected first when it was lost.
    fn reader(&self) -> Result<Arc<Client>, StoreError> {
        let mut reader = self.reader.lock().unwrap_or_else(PoisonError::into_inner);
        if reader.is_closed() {
            tracing::info!("reconnecting the readers' database connection");
            *reader = Arc::new(bridge::connect(&self.url, "reader")?);
        }
        Ok(Arc::clone(&reader))
    }

    /// Runs one call on the readers' connection.
    fn call<T, F, Fut>(&self, call: F) -> Result<T, StoreError>
    where
        F: FnOnce(Arc<Client>) -> Fut,
        Fut: std::future::Future<Output = Result<T, tokio_postgres::Error>> + Send + 'static,
        T: Send + 'static,
    {
        block(call(self.reader()?))?.map_err(bridge::error)
    }

    fn head(&self) -> Head {
        // The locks only guard plain copies; a panic elsewhere cannot leave one half set.
        *self.head.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn refuse_if_failed(&self) -> Result<(), StoreError> {
        match self.failed.get() {
            Some(reason) => Err(StoreError::Refused(format!("no appends: {reason}"))),
            None => Ok(()),
        }
    }
}

impl Engine for PostgresStore {
    fn name(&self) -> &'static str {
        "postgresql"
    }

    fn head(&self) -> Head {
        self.shared.head()
    }

    fn written_head(&self) -> Head {
        *self
            .shared
            .written
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn write(
        &self,
        events: Vec<PendingEvent>,
        idempotency: Vec<(String, IdempotencyRecord)>,
    ) -> Result<(Vec<RecordedEvent>, Head), StoreError> {
        self.shared.refuse_if_failed()?;
        let mut writer = self
            .shared
            .writer
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let Some(writer) = writer.as_mut() else {
            return Err(StoreError::Refused("the store is still opening".into()));
        };
        match writer.write(events, idempotency) {
            Ok((recorded, head)) => {
                *self
                    .shared
                    .written
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = head;
                Ok((recorded, head))
            }
            Err(error) => {
                let _ = self
                    .shared
                    .failed
                    .set(format!("a write failed ({error}); reopen the store"));
                Err(error)
            }
        }
    }

    fn sync(&self) -> Result<Head, StoreError> {
        // Everything written is committed already: publishing is all that is left.
        let written = self.written_head();
        self.shared.refuse_if_failed()?;
        let mut head = self
            .shared
            .head
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if written.sequence > head.sequence {
            *head = written;
        }
        Ok(*head)
    }

    fn get(&self, sequence: u64) -> Result<Option<RecordedEvent>, StoreError> {
        match self.raw(sequence)? {
            Some(bytes) => super::codec::decode_at(sequence, &bytes).map(Some),
            None => Ok(None),
        }
    }

    fn raw(&self, sequence: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let head = self.head().sequence;
        if sequence == 0 || sequence > head {
            return Ok(None);
        }
        let mut events = read::raw_range(&self.shared.reader()?, sequence, sequence, head)?;
        Ok(events.pop().map(|(_, bytes)| bytes))
    }

    fn read(&self, from: u64, limit: usize) -> Result<Vec<RecordedEvent>, StoreError> {
        let head = self.head().sequence;
        let from = from.max(1);
        if limit == 0 || from > head {
            return Ok(Vec::new());
        }
        let end = from.saturating_add(limit as u64 - 1).min(head);
        read::EventPages::new(Arc::clone(&self.shared), from, end, head).collect()
    }

    fn iter_from(&self, from: u64) -> Events {
        let head = self.head().sequence;
        Box::new(read::EventPages::new(
            Arc::clone(&self.shared),
            from,
            head,
            head,
        ))
    }

    fn raw_from(&self, from: u64) -> RawEvents {
        let head = self.head().sequence;
        Box::new(read::RawPages::new(
            Arc::clone(&self.shared),
            from,
            head,
            head,
        ))
    }

    fn idempotency(&self, scoped_key: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        records::idempotency(&self.shared, scoped_key)
    }

    fn by_external_ref(&self, external_ref: &str, limit: usize) -> Result<Vec<u64>, StoreError> {
        records::by_external_ref(&self.shared, external_ref, limit)
    }

    fn node(&self, level: u8, index: u64) -> Result<Hash, AuditError> {
        let client = self
            .shared
            .reader()
            .map_err(|error| AuditError::NodeRead(error.to_string()))?;
        read::Nodes {
            client,
            head: self.head().sequence,
        }
        .node_at(level, index)
    }

    fn verify_all(&self, progress: &mut dyn FnMut(u64)) -> Result<Head, StoreError> {
        read::verify_range(&self.shared, Head::EMPTY, self.head(), progress)?;
        Ok(self.head())
    }

    fn set_verified_checkpoint(&self, head: Head) -> Result<(), StoreError> {
        read::set_checkpoint(&self.shared, self.head(), head)
    }

    fn damage(&self) -> Option<&Damage> {
        None
    }

    fn restrict_to_damage(&self, error: StoreError) -> Result<Damage, StoreError> {
        // Not yet: a damaged log in the database is reported, not served read-only.
        Err(error)
    }

    fn watch_damage(&self) -> tokio::sync::watch::Receiver<Option<Damage>> {
        self.damage_signal.subscribe()
    }

    fn note_read_failure(&self, error: &StoreError) {
        // Not yet read-only on PostgreSQL (see `restrict_to_damage`): said loudly instead.
        if error.is_damage() {
            tracing::error!(%error, "a read met damaged history in PostgreSQL");
        }
    }

    fn note_tree_mismatch(&self, head: Head, from_events: Hash, stored: Hash) {
        // Not yet read-only on PostgreSQL (see `restrict_to_damage`): said loudly instead.
        tracing::error!(
            size = head.sequence,
            stored = %hex::encode(stored),
            from_events = %hex::encode(from_events),
            "the stored Merkle subtree hashes in PostgreSQL disagree with the events"
        );
    }

    fn closing_statements(&self) -> Result<Vec<(PhaseId, ClosingStatement)>, StoreError> {
        records::closing_statements(&self.shared)
    }

    fn visit_idempotency(
        &self,
        from: u64,
        to: u64,
        visit: &mut dyn FnMut(String, IdempotencyRecord) -> bool,
    ) -> Result<(), StoreError> {
        let to = to.min(self.head().sequence);
        for (key, record) in records::idempotency_between(&self.shared, from, to)? {
            if !visit(key, record) {
                break;
            }
        }
        Ok(())
    }

    fn import_stored(
        &self,
        events: &[Vec<u8>],
        idempotency: &[(String, IdempotencyRecord)],
    ) -> Result<Head, StoreError> {
        if events.is_empty() {
            return Ok(self.head());
        }
        self.import(events.to_vec(), idempotency.to_vec())
    }

    fn save_snapshot(&self, sequence: u64, bytes: &[u8]) -> Result<(), StoreError> {
        records::save_snapshot(&self.shared, self.head(), sequence, bytes)
    }

    fn load_snapshot(&self) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
        records::load_snapshot(&self.shared, self.head())
    }

    fn put_signed_head(
        &self,
        tree_size: u64,
        timestamp: u64,
        note: &str,
    ) -> Result<(), StoreError> {
        records::put_signed_head(&self.shared, tree_size, timestamp, note)
    }

    fn add_cosignature(&self, tree_size: u64, witness: &str, line: &str) -> Result<(), StoreError> {
        records::add_cosignature(&self.shared, tree_size, witness, line)
    }

    fn signed_head(&self, tree_size: u64) -> Result<Option<StoredHead>, StoreError> {
        let heads = records::signed_heads(&self.shared, tree_size, Some(tree_size), 1)?;
        Ok(heads.into_iter().next())
    }

    fn signed_heads_since(
        &self,
        tree_size: u64,
        limit: usize,
    ) -> Result<Vec<StoredHead>, StoreError> {
        records::signed_heads(&self.shared, tree_size, None, limit)
    }

    fn latest_signed_head(&self) -> Result<Option<StoredHead>, StoreError> {
        match records::latest_signed_size(&self.shared)? {
            Some(size) => self.signed_head(size),
            None => Ok(None),
        }
    }

    fn put_closing_statement(
        &self,
        phase: PhaseId,
        statement: &ClosingStatement,
    ) -> Result<(), StoreError> {
        records::put_closing_statement(&self.shared, phase, statement)
    }

    fn closing_statement(&self, phase: PhaseId) -> Result<Option<ClosingStatement>, StoreError> {
        records::closing_statement(&self.shared, phase)
    }

    #[cfg(test)]
    fn fail_syncs(&self) {
        let _ = self
            .shared
            .failed
            .set("the database was made to fail (test)".into());
    }

    #[cfg(test)]
    fn tamper_every_stored_node(&self) {
        let _ = self.shared.call(|client| async move {
            client
                .execute(
                    "UPDATE merkle_nodes SET hash = set_byte(hash, 0, get_byte(hash, 0) # 1)",
                    &[],
                )
                .await
        });
    }
}
