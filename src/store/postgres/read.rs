//! Reading the log from PostgreSQL: pages of stored bytes in sequence order, decoded
//! events with every link checked, the Merkle subtree hashes, and the checks on open.
//!
//! Iterators read up to an end fixed when they were made (the published head then), one
//! page of [`POSTGRES_READ_PAGE_EVENTS`] per round trip, and stop after the first error.

use std::collections::VecDeque;
use std::sync::Arc;

use tokio_postgres::Client;

use super::bridge::{self, block, from_bigint, hash32, to_bigint};
use super::Shared;
use crate::audit::{leaf_hash, node_hash, AuditError, Frontier, Hash, NodeReader};
use crate::limits::POSTGRES_READ_PAGE_EVENTS;
use crate::store::cursor::Linked;
use crate::store::{codec, merkle, Head, StoreError};

/// The last stored event, or the empty head.
pub(crate) fn stored_head(client: &Arc<Client>) -> Result<Head, StoreError> {
    let client = Arc::clone(client);
    let row = block(async move {
        client
            .query_opt(
                "SELECT sequence, hash FROM events ORDER BY sequence DESC LIMIT 1",
                &[],
            )
            .await
    })?
    .map_err(bridge::error)?;
    match row {
        None => Ok(Head::EMPTY),
        Some(row) => Ok(Head {
            sequence: from_bigint("head", row.get(0))?,
            hash: hash32("head", row.get(1))?,
        }),
    }
}

/// Stored bytes of events `first..=last`, which must all be there (`head` is the head the
/// caller believes in, for the error).
pub(crate) fn raw_range(
    client: &Arc<Client>,
    first: u64,
    last: u64,
    head: u64,
) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
    let (from, to) = (to_bigint(first)?, to_bigint(last)?);
    let client = Arc::clone(client);
    let rows = block(async move {
        client
            .query(
                "SELECT sequence, bytes FROM events WHERE sequence BETWEEN $1 AND $2 \
                 ORDER BY sequence",
                &[&from, &to],
            )
            .await
    })?
    .map_err(bridge::error)?;
    let mut events = Vec::with_capacity(rows.len());
    for (row, expected) in rows.into_iter().zip(first..) {
        let sequence = from_bigint("event", row.get(0))?;
        if sequence != expected {
            return Err(StoreError::Truncated {
                expected: head,
                found: expected - 1,
            });
        }
        events.push((sequence, row.get::<_, Vec<u8>>(1)));
    }
    if (events.len() as u64) < last + 1 - first {
        return Err(StoreError::Truncated {
            expected: head,
            found: first + events.len() as u64 - 1,
        });
    }
    Ok(events)
}

/// Stored bytes of events `from..=end`, in order, with no gap.
pub(crate) struct RawPages {
    shared: Arc<Shared>,
    next: u64,
    end: u64,
    head: u64,
    page: VecDeque<(u64, Vec<u8>)>,
    failed: bool,
}

impl RawPages {
    /// Events `from..=end` (`from` 0 means 1) of a log whose head is `head`.
    pub(crate) fn new(shared: Arc<Shared>, from: u64, end: u64, head: u64) -> RawPages {
        RawPages {
            shared,
            next: from.max(1),
            end,
            head,
            page: VecDeque::new(),
            failed: false,
        }
    }

    fn step(&mut self) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
        if self.page.is_empty() {
            if self.next > self.end {
                return Ok(None);
            }
            let last = self
                .next
                .saturating_add(POSTGRES_READ_PAGE_EVENTS - 1)
                .min(self.end);
            self.page = raw_range(&self.shared.reader()?, self.next, last, self.head)?.into();
            self.next = last + 1;
        }
        Ok(self.page.pop_front())
    }
}

impl Iterator for RawPages {
    type Item = Result<(u64, Vec<u8>), StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let item = self.step().transpose();
        self.failed = matches!(item, Some(Err(_)));
        item
    }
}

/// Decoded events of `from..=end` in PostgreSQL, each checked to link to the one before.
pub(crate) type EventPages = Linked<RawPages>;

impl EventPages {
    /// Events `from..=end`; the first is checked against the stored event before it.
    pub(crate) fn new(shared: Arc<Shared>, from: u64, end: u64, head: u64) -> EventPages {
        let from = from.max(1);
        if from == 1 {
            return EventPages::after(shared, 0, codec::GENESIS_HASH, end, head);
        }
        Linked::after_stored(RawPages::new(shared, from - 1, end, head))
    }

    /// Events `position+1..=end`, the first checked to link to `hash`.
    pub(crate) fn after(
        shared: Arc<Shared>,
        position: u64,
        hash: [u8; 32],
        end: u64,
        head: u64,
    ) -> EventPages {
        Linked::after_hash(RawPages::new(shared, position + 1, end, head), hash)
    }
}

/// The Merkle subtree hashes of a log of `head` events: from
/// [`merkle::STORED_LEVEL_MIN`] up read from `merkle_nodes`, below hashed from events.
pub(crate) struct Nodes {
    pub(crate) client: Arc<Client>,
    pub(crate) head: u64,
}

impl Nodes {
    pub(crate) fn node_at(&self, level: u8, index: u64) -> Result<Hash, AuditError> {
        let missing = AuditError::MissingNode { level, index };
        if level >= merkle::STORED_LEVEL_MIN {
            let (level_key, index_key) = (
                i16::from(level),
                i64::try_from(index).map_err(|_| missing.clone())?,
            );
            let client = Arc::clone(&self.client);
            let row = block(async move {
                client
                    .query_opt(
                        "SELECT hash FROM merkle_nodes WHERE level = $1 AND index = $2",
                        &[&level_key, &index_key],
                    )
                    .await
            })
            .map_err(|error| AuditError::NodeRead(error.to_string()))?
            .map_err(|error| AuditError::NodeRead(bridge::describe(&error)))?
            .ok_or(missing)?;
            return hash32("merkle node", row.get(0))
                .map_err(|error| AuditError::NodeRead(error.to_string()));
        }
        let width = 1u64 << level;
        // Leaf i is event i + 1.
        let first = index
            .checked_mul(width)
            .and_then(|leaf| leaf.checked_add(1))
            .ok_or(missing.clone())?;
        let last = first + (width - 1);
        if last > self.head {
            return Err(missing);
        }
        let events = raw_range(&self.client, first, last, self.head)
            .map_err(|error| AuditError::NodeRead(error.to_string()))?;
        let mut hashes: Vec<Hash> = events.iter().map(|(_, bytes)| leaf_hash(bytes)).collect();
        // A complete subtree of 2^level leaves: pair neighbours level by level.
        while hashes.len() > 1 {
            hashes = hashes
                .chunks_exact(2)
                .map(|pair| node_hash(&pair[0], &pair[1]))
                .collect();
        }
        hashes.pop().ok_or(missing)
    }
}

impl NodeReader for Nodes {
    fn node(&self, level: u8, index: u64) -> Result<Hash, AuditError> {
        self.node_at(level, index)
    }
}

/// The tree size, root and verified checkpoint recorded in `log_state`.
fn log_state(client: &Arc<Client>) -> Result<(u64, Hash, Head), StoreError> {
    let client = Arc::clone(client);
    let row = block(async move {
        client
            .query_one(
                "SELECT tree_size, tree_root, verified_sequence, verified_hash FROM log_state",
                &[],
            )
            .await
    })?
    .map_err(bridge::error)?;
    let name = "log state";
    Ok((
        from_bigint(name, row.get(0))?,
        hash32(name, row.get(1))?,
        Head {
            sequence: from_bigint(name, row.get(2))?,
            hash: hash32(name, row.get(3))?,
        },
    ))
}

/// The frontier of the tree over the `size` events of the log, checked against the
/// recorded size and root.
pub(crate) fn load_frontier(reader: &Arc<Client>, size: u64) -> Result<Frontier, StoreError> {
    let (recorded_size, recorded_root, _) = log_state(reader)?;
    if recorded_size != size {
        return Err(StoreError::record(
            "log state",
            format!("the tree has {recorded_size} leaves but the log {size} events"),
        ));
    }
    let nodes = Nodes {
        client: Arc::clone(reader),
        head: size,
    };
    let frontier = Frontier::from_reader(size, &nodes).map_err(merkle::tree_error)?;
    if frontier.root() != recorded_root {
        return Err(StoreError::record(
            "log state",
            "the stored tree nodes do not give the recorded root",
        ));
    }
    Ok(frontier)
}

/// Checks the events after the verified checkpoint up to `head`, then records `head` as
/// the new checkpoint.
pub(crate) fn verify_on_open(shared: &Arc<Shared>, head: Head) -> Result<(), StoreError> {
    let (_, _, checkpoint) = log_state(&shared.reader()?)?;
    if checkpoint.sequence > head.sequence {
        return Err(StoreError::Truncated {
            expected: checkpoint.sequence,
            found: head.sequence,
        });
    }
    verify_range(shared, checkpoint, head, &mut |_| {})?;
    if checkpoint != head {
        write_checkpoint(shared, head)?;
    }
    tracing::info!(
        head = head.sequence,
        verified_from = checkpoint.sequence,
        "event log verified"
    );
    Ok(())
}

/// Checks events `from.sequence+1..=head.sequence` against the known hash of `from`, and
/// that the last one is `head`.
pub(crate) fn verify_range(
    shared: &Arc<Shared>,
    from: Head,
    head: Head,
    progress: &mut dyn FnMut(u64),
) -> Result<(), StoreError> {
    let stored = hash_at(shared, from.sequence, head.sequence)?;
    if stored != from.hash {
        return Err(StoreError::corrupt(
            from.sequence,
            format!(
                "stored bytes hash to {} but {} was verified",
                hex::encode(stored),
                hex::encode(from.hash)
            ),
        ));
    }
    let mut last = from;
    let events = EventPages::after(
        Arc::clone(shared),
        from.sequence,
        from.hash,
        head.sequence,
        head.sequence,
    );
    for event in events {
        let event = event?;
        last = Head {
            sequence: event.sequence,
            hash: event.hash,
        };
        progress(event.sequence);
    }
    if last != head {
        return Err(StoreError::Truncated {
            expected: head.sequence,
            found: last.sequence,
        });
    }
    Ok(())
}

/// The hash of stored event `sequence` (the genesis hash for 0).
fn hash_at(shared: &Shared, sequence: u64, head: u64) -> Result<[u8; 32], StoreError> {
    if sequence == 0 {
        return Ok(codec::GENESIS_HASH);
    }
    let events = raw_range(&shared.reader()?, sequence, sequence, head)?;
    Ok(events
        .first()
        .map_or(codec::GENESIS_HASH, |(_, bytes)| codec::hash(bytes)))
}

/// Records `position` as verified; it must be a position of the log as it is.
pub(crate) fn set_checkpoint(
    shared: &Shared,
    head: Head,
    position: Head,
) -> Result<(), StoreError> {
    if position.sequence > head.sequence {
        return Err(StoreError::Refused(format!(
            "checkpoint {} is beyond the head {}",
            position.sequence, head.sequence
        )));
    }
    if hash_at(shared, position.sequence, head.sequence)? != position.hash {
        return Err(StoreError::Refused(format!(
            "checkpoint hash differs from the stored event {}",
            position.sequence
        )));
    }
    write_checkpoint(shared, position)
}

fn write_checkpoint(shared: &Shared, position: Head) -> Result<(), StoreError> {
    let sequence = to_bigint(position.sequence)?;
    let hash = position.hash.to_vec();
    shared.call(move |client| async move {
        client
            .execute(
                "UPDATE log_state SET verified_sequence = $1, verified_hash = $2",
                &[&sequence, &hash],
            )
            .await
    })?;
    Ok(())
}
