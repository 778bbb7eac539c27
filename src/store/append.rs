//! The writer: numbers, encodes and chains new events, packs them into blocks and
//! writes everything of one append in one atomic sled batch (made durable by
//! `Store::sync`).
//!
//! Packing many events per sled value is what makes sled fast (≈ 250 k events/s against
//! ≈ 50 k/s with one key per event). An append fills blocks of up to `BLOCK_EVENTS_MAX`
//! events or `BLOCK_BYTES_MAX` bytes. The last block is extended (its value rewritten)
//! only while it holds fewer than `BLOCK_REOPEN_EVENTS_MAX` events: one-event appends
//! still end up packed, and a group commit under load writes its events once instead of
//! rewriting a large block each time. Readers take blocks of any size.

use super::codec::{self, block_entry_len, push_block_entry};
use super::error::StoreError;
use super::layout::{self, block_key, block_keys_end, parse_block_key};
use super::merkle;
use super::records;
use super::{Head, IdempotencyRecord, PendingEvent};
use crate::audit::Frontier;
use crate::domain::RecordedEvent;
use crate::limits::{BLOCK_BYTES_MAX, BLOCK_EVENTS_MAX, BLOCK_REOPEN_EVENTS_MAX, EVENT_BYTES_MAX};

/// One block being filled: the encoded `EventBlock` and what it holds.
#[derive(Debug, Clone)]
pub(crate) struct OpenBlock {
    first: u64,
    count: usize,
    encoded: Vec<u8>,
    /// Whether this append changed it (only changed blocks are written).
    changed: bool,
}

impl OpenBlock {
    fn new(first: u64) -> OpenBlock {
        OpenBlock {
            first,
            count: 0,
            encoded: Vec::new(),
            changed: false,
        }
    }

    /// Whether one more event of `len` bytes belongs in this block. An empty block takes
    /// any event, so one event larger than a block still gets a block of its own.
    fn fits(&self, len: usize) -> bool {
        self.count == 0
            || (self.count < BLOCK_EVENTS_MAX
                && self.encoded.len() + block_entry_len(len) <= BLOCK_BYTES_MAX)
    }

    fn push(&mut self, event: &[u8]) {
        push_block_entry(&mut self.encoded, event);
        self.count += 1;
        self.changed = true;
    }

    /// The sequence the next event pushed here would have.
    fn next_sequence(&self) -> u64 {
        self.first + self.count as u64
    }
}

/// What the writer keeps between appends.
pub(crate) struct WriterState {
    head: Head,
    /// The last block, still being filled; `None` for an empty log.
    tail: Option<OpenBlock>,
    /// The right edge of the Merkle tree over the stored events.
    frontier: Frontier,
    /// Set when a commit failed part way: the on-disk state is then unknown, so no
    /// further append may build on the in-memory one until the store is reopened.
    failed: Option<String>,
}

impl WriterState {
    /// The writer's state for a log just verified up to `head`.
    pub(crate) fn load(db: &sled::Db, head: Head) -> Result<WriterState, StoreError> {
        let tail = match db.range(..block_keys_end()).next_back().transpose()? {
            None => None,
            Some((key, value)) => {
                let first = parse_block_key(&key)
                    .ok_or_else(|| StoreError::record("last block key", "not a block key"))?;
                let count = codec::decode_block(first, &value)?.len();
                Some(OpenBlock {
                    first,
                    count,
                    encoded: value.to_vec(),
                    changed: false,
                })
            }
        };
        let tail_end = tail.as_ref().map_or(0, |t| t.next_sequence() - 1);
        if tail_end != head.sequence {
            // Verification on open has established this already; a mismatch is a bug.
            return Err(StoreError::Truncated {
                expected: head.sequence,
                found: tail_end,
            });
        }
        let frontier = merkle::load_frontier(db, head.sequence)?;
        Ok(WriterState {
            head,
            tail,
            frontier,
            failed: None,
        })
    }

    /// The state of a store that refuses every append (a damaged log); `refuse` sets
    /// the reason.
    pub(crate) fn refusing() -> WriterState {
        WriterState {
            head: Head::EMPTY,
            tail: None,
            // Never appended to: the tree of a damaged log is not extended.
            frontier: Frontier::new(),
            failed: Some("the event log is damaged".into()),
        }
    }

    /// Refuses every append from now on, for `reason`.
    pub(crate) fn refuse(&mut self, reason: String) {
        self.failed = Some(reason);
    }

    /// Appends to sled in one atomic batch, not yet durable (see `Store::write`);
    /// returns the recorded events and the new head.
    pub(crate) fn write(
        &mut self,
        db: &sled::Db,
        events: Vec<PendingEvent>,
        idempotency: Vec<(String, IdempotencyRecord)>,
    ) -> Result<(Vec<RecordedEvent>, Head), StoreError> {
        if let Some(reason) = &self.failed {
            return Err(StoreError::Refused(format!("no appends: {reason}")));
        }
        if events.is_empty() && idempotency.is_empty() {
            return Ok((Vec::new(), self.head));
        }
        let mut batch = sled::Batch::default();
        let mut frontier = self.frontier.clone();
        let (recorded, blocks) = self.encode_events(events, &mut batch, &mut frontier)?;
        let head = recorded.last().map_or(self.head, |last| Head {
            sequence: last.sequence,
            hash: last.hash,
        });
        self.commit(db, batch, blocks, frontier, head, &idempotency)?;
        Ok((recorded, head))
    }

    /// Appends events given as their exact stored bytes (a restore from a backup or an
    /// export), each checked to be the next sequence and to link to the one before, with
    /// their idempotency records, in one atomic sled batch, not yet durable. The bytes are
    /// kept as given, so hashes and the Merkle tree are those of the original log.
    pub(crate) fn write_stored(
        &mut self,
        db: &sled::Db,
        events: &[Vec<u8>],
        idempotency: &[(String, IdempotencyRecord)],
    ) -> Result<Head, StoreError> {
        if let Some(reason) = &self.failed {
            return Err(StoreError::Refused(format!("no appends: {reason}")));
        }
        let mut batch = sled::Batch::default();
        let mut frontier = self.frontier.clone();
        let mut blocks: Vec<OpenBlock> = Vec::new();
        let mut current = self.reopened_tail();
        let mut head = self.head;
        let mut nodes = Vec::with_capacity(2 * events.len());
        for bytes in events {
            let sequence = current.next_sequence();
            let event = codec::decode_at(sequence, bytes)?;
            // `decode_at` has checked the envelope's sequence; the link is checked here.
            if event.prev_hash != head.hash {
                return Err(StoreError::corrupt(
                    sequence,
                    "does not link to the event before it (prev_hash differs)",
                ));
            }
            if !current.fits(bytes.len()) {
                let full = std::mem::replace(&mut current, OpenBlock::new(sequence));
                blocks.push(full);
            }
            current.push(bytes);
            nodes.extend(frontier.append(bytes));
            if let Some(external_ref) = &event.meta.external_ref {
                batch.insert(layout::external_ref_key(external_ref, sequence), &[]);
            }
            head = Head {
                sequence,
                hash: event.hash,
            };
        }
        blocks.push(current);
        merkle::stage(&mut batch, &nodes, &frontier, merkle::STORED_LEVEL_MIN);
        self.commit(db, batch, blocks, frontier, head, idempotency)?;
        Ok(head)
    }

    /// The block the next event goes into: the open tail while it is small, else a new one.
    fn reopened_tail(&self) -> OpenBlock {
        match &self.tail {
            Some(tail) if tail.count < BLOCK_REOPEN_EVENTS_MAX => tail.clone(),
            _ => OpenBlock::new(self.head.sequence + 1),
        }
    }

    /// Adds the idempotency records, the changed blocks and the new head to `batch`,
    /// applies it atomically, and only then moves the writer's state to `head`.
    fn commit(
        &mut self,
        db: &sled::Db,
        mut batch: sled::Batch,
        blocks: Vec<OpenBlock>,
        frontier: Frontier,
        head: Head,
        idempotency: &[(String, IdempotencyRecord)],
    ) -> Result<(), StoreError> {
        for (key, record) in idempotency {
            batch.insert(
                layout::idempotency_key(key),
                records::encode_idempotency(record),
            );
        }
        for block in blocks.iter().filter(|block| block.changed) {
            batch.insert(&block_key(block.first), block.encoded.as_slice());
        }
        batch.insert(layout::META_HEAD, records::encode_position(head));

        if let Err(error) = db.apply_batch(batch).map_err(StoreError::from) {
            self.failed = Some(format!(
                "an earlier commit failed ({error}); reopen the store"
            ));
            return Err(error);
        }
        self.head = head;
        self.frontier = frontier;
        self.tail = blocks.into_iter().last().map(|mut tail| {
            tail.changed = false;
            tail
        });
        debug_assert_eq!(
            self.tail.as_ref().map_or(0, |t| t.next_sequence() - 1),
            self.head.sequence
        );
        Ok(())
    }

    /// Numbers, encodes and chains `events` after the head, packing them into blocks
    /// (the open tail first) and indexing external references into `batch`. Returns the
    /// recorded events and every block from the tail on; nothing is changed in `self`.
    /// The Merkle nodes the events complete go into `batch` too, grown on `frontier`.
    fn encode_events(
        &self,
        events: Vec<PendingEvent>,
        batch: &mut sled::Batch,
        frontier: &mut Frontier,
    ) -> Result<(Vec<RecordedEvent>, Vec<OpenBlock>), StoreError> {
        let mut blocks: Vec<OpenBlock> = Vec::new();
        let mut current = self.reopened_tail();
        let mut prev_hash = self.head.hash;
        let mut recorded = Vec::with_capacity(events.len());
        let mut nodes = Vec::with_capacity(2 * events.len());
        for PendingEvent { mut meta, event } in events {
            let sequence = current.next_sequence();
            meta.recorded_at = codec::truncate_to_micros(meta.recorded_at);
            let bytes = codec::encode(sequence, prev_hash, &meta, &event);
            if bytes.len() > EVENT_BYTES_MAX {
                return Err(StoreError::Refused(format!(
                    "event {} would take {} bytes; at most {EVENT_BYTES_MAX} are allowed",
                    event.kind().as_str(),
                    bytes.len()
                )));
            }
            if !current.fits(bytes.len()) {
                let full = std::mem::replace(&mut current, OpenBlock::new(sequence));
                blocks.push(full);
            }
            current.push(&bytes);
            nodes.extend(frontier.append(&bytes));
            if let Some(external_ref) = &meta.external_ref {
                batch.insert(layout::external_ref_key(external_ref, sequence), &[]);
            }
            let hash = codec::hash(&bytes);
            recorded.push(RecordedEvent {
                sequence,
                meta,
                event,
                prev_hash,
                hash,
            });
            prev_hash = hash;
        }
        blocks.push(current);
        merkle::stage(batch, &nodes, frontier, merkle::STORED_LEVEL_MIN);
        debug_assert!(
            recorded
                .iter()
                .zip(self.head.sequence + 1..)
                .all(|(event, sequence)| event.sequence == sequence),
            "sequences must continue the head without a gap"
        );
        Ok((recorded, blocks))
    }
}
