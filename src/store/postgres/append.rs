//! The writer on PostgreSQL: numbers, encodes and chains a group's events exactly as the
//! sled writer does, and stores the whole group (events, Merkle nodes, idempotency
//! records, external references, the new tree size and root) in one statement, which
//! PostgreSQL runs as one transaction. The statement only succeeds when the group
//! continues the stored log: the events table's keys and foreign key refuse anything
//! else (`schema.rs`), and `log_state` must hold the tree size the writer expects.

use std::sync::Arc;

use tokio_postgres::{Client, Statement};

use super::bridge::{self, block, to_bigint};
use super::read;
use crate::audit::Frontier;
use crate::domain::RecordedEvent;
use crate::limits::EVENT_BYTES_MAX;
use crate::store::{codec, merkle, Head, IdempotencyRecord, PendingEvent, StoreError};

/// One group, as one statement. Data-modifying CTEs all run to completion in one
/// snapshot; `matchledger_require` fails the whole statement (and so the transaction)
/// when `log_state` did not hold the expected size.
const APPEND_GROUP: &str = "
WITH new_events AS (
    INSERT INTO events (sequence, prev_hash, hash, bytes)
    SELECT * FROM unnest($1::bigint[], $2::bytea[], $3::bytea[], $4::bytea[])
), new_nodes AS (
    INSERT INTO merkle_nodes (level, index, hash)
    SELECT * FROM unnest($5::smallint[], $6::bigint[], $7::bytea[])
), new_keys AS (
    INSERT INTO idempotency (scoped_key, fingerprint, first_sequence, event_count)
    SELECT * FROM unnest($8::bytea[], $9::bytea[], $10::bigint[], $11::integer[])
), new_refs AS (
    INSERT INTO external_refs (external_ref, sequence)
    SELECT * FROM unnest($12::bytea[], $13::bigint[])
), moved AS (
    UPDATE log_state SET tree_size = $14, tree_root = $15
    WHERE tree_size = $16
    RETURNING 1
)
SELECT matchledger_require((SELECT count(*) FROM moved) = 1,
    'the log in the database is not at the size this writer continues')";

/// The rows of one group, as the statement's array parameters.
#[derive(Default)]
struct GroupRows {
    sequences: Vec<i64>,
    prev_hashes: Vec<Vec<u8>>,
    hashes: Vec<Vec<u8>>,
    bytes: Vec<Vec<u8>>,
    node_levels: Vec<i16>,
    node_indexes: Vec<i64>,
    node_hashes: Vec<Vec<u8>>,
    keys: Vec<Vec<u8>>,
    fingerprints: Vec<Vec<u8>>,
    first_sequences: Vec<i64>,
    event_counts: Vec<i32>,
    refs: Vec<Vec<u8>>,
    ref_sequences: Vec<i64>,
}

impl GroupRows {
    /// Adds one event's row, the Merkle nodes it completes (grown on `frontier`) and its
    /// external reference.
    fn stage_event(
        &mut self,
        frontier: &mut Frontier,
        sequence: u64,
        prev_hash: [u8; 32],
        external_ref: Option<&str>,
        bytes: Vec<u8>,
    ) -> Result<(), StoreError> {
        for (level, index, hash) in frontier.append(&bytes) {
            if level >= merkle::STORED_LEVEL_MIN {
                self.node_levels.push(i16::from(level));
                self.node_indexes.push(to_bigint(index)?);
                self.node_hashes.push(hash.to_vec());
            }
        }
        if let Some(external_ref) = external_ref {
            self.refs.push(external_ref.as_bytes().to_vec());
            self.ref_sequences.push(to_bigint(sequence)?);
        }
        self.sequences.push(to_bigint(sequence)?);
        self.prev_hashes.push(prev_hash.to_vec());
        self.hashes.push(codec::hash(&bytes).to_vec());
        self.bytes.push(bytes);
        Ok(())
    }

    /// Adds idempotency records.
    fn stage_records(
        &mut self,
        idempotency: Vec<(String, IdempotencyRecord)>,
    ) -> Result<(), StoreError> {
        for (key, record) in idempotency {
            self.keys.push(key.into_bytes());
            self.fingerprints.push(record.fingerprint.to_vec());
            self.first_sequences.push(to_bigint(record.first_sequence)?);
            self.event_counts
                .push(i32::try_from(record.event_count).map_err(|_| {
                    StoreError::Refused(format!("{} events in one command", record.event_count))
                })?);
        }
        Ok(())
    }
}

/// The writer's connection, prepared statement and position.
pub(crate) struct WriterState {
    client: Arc<Client>,
    statement: Statement,
    head: Head,
    frontier: Frontier,
}

impl WriterState {
    /// The writer of a log whose last event is `head`, its Merkle frontier rebuilt from
    /// the stored nodes and checked against the recorded root.
    pub(crate) fn load(
        client: Arc<Client>,
        reader: &Arc<Client>,
        head: Head,
    ) -> Result<WriterState, StoreError> {
        let frontier = read::load_frontier(reader, head.sequence)?;
        let preparing = Arc::clone(&client);
        let statement =
            block(async move { preparing.prepare(APPEND_GROUP).await })?.map_err(bridge::error)?;
        Ok(WriterState {
            client,
            statement,
            head,
            frontier,
        })
    }

    /// Stores one group, committed when this returns; returns the recorded events and
    /// the new head. On failure nothing of the group is stored, and the caller refuses
    /// further writes (the connection may be gone, or another writer appended).
    pub(crate) fn write(
        &mut self,
        events: Vec<PendingEvent>,
        idempotency: Vec<(String, IdempotencyRecord)>,
    ) -> Result<(Vec<RecordedEvent>, Head), StoreError> {
        if events.is_empty() && idempotency.is_empty() {
            return Ok((Vec::new(), self.head));
        }
        let mut frontier = self.frontier.clone();
        let mut rows = GroupRows::default();
        let recorded = self.encode(events, &mut rows, &mut frontier)?;
        rows.stage_records(idempotency)?;
        let head = recorded.last().map_or(self.head, |last| Head {
            sequence: last.sequence,
            hash: last.hash,
        });
        self.execute(rows, &frontier)?;
        assert_eq!(
            frontier.size(),
            head.sequence,
            "the tree has one leaf per event"
        );
        self.head = head;
        self.frontier = frontier;
        Ok((recorded, head))
    }

    /// Stores events copied from another store with their exact bytes (and idempotency
    /// records), committed when this returns: each must decode as the next sequence and
    /// link to the event before it. Returns the new head. For moving a ledger between
    /// engines; nothing is re-encoded, so hashes and the Merkle tree stay identical.
    pub(crate) fn import(
        &mut self,
        raw: Vec<Vec<u8>>,
        idempotency: Vec<(String, IdempotencyRecord)>,
    ) -> Result<Head, StoreError> {
        let mut frontier = self.frontier.clone();
        let mut rows = GroupRows::default();
        let mut head = self.head;
        for bytes in raw {
            let sequence = head.sequence + 1;
            let event = codec::decode_at(sequence, &bytes)?;
            if event.prev_hash != head.hash {
                return Err(crate::store::cursor::broken_link(
                    sequence,
                    head.hash,
                    event.prev_hash,
                ));
            }
            rows.stage_event(
                &mut frontier,
                sequence,
                head.hash,
                event.meta.external_ref.as_deref(),
                bytes,
            )?;
            head = Head {
                sequence,
                hash: event.hash,
            };
        }
        rows.stage_records(idempotency)?;
        self.execute(rows, &frontier)?;
        self.head = head;
        self.frontier = frontier;
        Ok(head)
    }

    /// Numbers, encodes and chains `events` after the head into `rows`, with the Merkle
    /// nodes they complete (grown on `frontier`) and their external references.
    fn encode(
        &self,
        events: Vec<PendingEvent>,
        rows: &mut GroupRows,
        frontier: &mut Frontier,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let mut prev_hash = self.head.hash;
        let mut recorded = Vec::with_capacity(events.len());
        for (PendingEvent { mut meta, event }, sequence) in
            events.into_iter().zip(self.head.sequence + 1..)
        {
            meta.recorded_at = codec::truncate_to_micros(meta.recorded_at);
            let bytes = codec::encode(sequence, prev_hash, &meta, &event);
            if bytes.len() > EVENT_BYTES_MAX {
                return Err(StoreError::Refused(format!(
                    "event {} would take {} bytes; at most {EVENT_BYTES_MAX} are allowed",
                    event.kind().as_str(),
                    bytes.len()
                )));
            }
            let hash = codec::hash(&bytes);
            rows.stage_event(
                frontier,
                sequence,
                prev_hash,
                meta.external_ref.as_deref(),
                bytes,
            )?;
            recorded.push(RecordedEvent {
                sequence,
                meta,
                event,
                prev_hash,
                hash,
            });
            prev_hash = hash;
        }
        Ok(recorded)
    }

    /// Runs the group's statement; a refusal by the chain's constraints names the head
    /// this writer expected.
    fn execute(&self, rows: GroupRows, frontier: &Frontier) -> Result<(), StoreError> {
        let client = Arc::clone(&self.client);
        let statement = self.statement.clone();
        let size = to_bigint(frontier.size())?;
        let expected = to_bigint(self.head.sequence)?;
        let root = frontier.root().to_vec();
        let outcome = block(async move {
            client
                .execute(
                    &statement,
                    &[
                        &rows.sequences,
                        &rows.prev_hashes,
                        &rows.hashes,
                        &rows.bytes,
                        &rows.node_levels,
                        &rows.node_indexes,
                        &rows.node_hashes,
                        &rows.keys,
                        &rows.fingerprints,
                        &rows.first_sequences,
                        &rows.event_counts,
                        &rows.refs,
                        &rows.ref_sequences,
                        &size,
                        &root,
                        &expected,
                    ],
                )
                .await
        })?;
        match outcome {
            Ok(_) => Ok(()),
            Err(error) if bridge::is_chain_refusal(&error) => Err(StoreError::Refused(format!(
                "the database refused a group after sequence {}: the stored log does not \
                 continue from there (another writer appended?): {}",
                self.head.sequence,
                bridge::describe(&error)
            ))),
            Err(error) => Err(bridge::error(error)),
        }
    }
}
