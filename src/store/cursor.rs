//! Walking the log in sequence order across blocks: raw stored bytes, and decoded
//! events with every hash link checked on the way.
//!
//! A cursor reads up to an `end` fixed when it was made (the head at that moment), so a
//! writer appending meanwhile neither blocks it nor shows it a half-written batch: every
//! event at or below a published head is completely stored.

use std::collections::VecDeque;
use std::ops::Bound;

use super::codec::{self, GENESIS_HASH};
use super::error::StoreError;
use super::layout::{block_key, block_keys_end, parse_block_key};
use crate::domain::RecordedEvent;

/// Stored bytes of events `from..=end`, in order, with no gap.
pub(crate) struct RawCursor {
    tree: sled::Tree,
    /// The next sequence to yield.
    next: u64,
    /// The last sequence to yield.
    end: u64,
    /// The head the caller believes in, for truncation errors.
    head: u64,
    /// Events of the current block not yet yielded; the front is `next`.
    pending: VecDeque<Vec<u8>>,
    /// Blocks after the current one, once the first has been found.
    blocks: Option<sled::Iter>,
    /// After an error the cursor yields nothing more.
    failed: bool,
}

impl RawCursor {
    /// A cursor over `from..=end` (`from` 0 means 1) of a log whose head is `head`.
    pub(crate) fn new(tree: sled::Tree, from: u64, end: u64, head: u64) -> RawCursor {
        debug_assert!(end <= head);
        RawCursor {
            tree,
            next: from.max(1),
            end,
            head,
            pending: VecDeque::new(),
            blocks: None,
            failed: false,
        }
    }

    /// Finds the block holding `self.next` and queues its events from there on.
    fn seek_first_block(&mut self) -> Result<(), StoreError> {
        let found = self.tree.range(..=block_key(self.next)).next_back();
        let Some((key, value)) = found.transpose()? else {
            return Err(self.missing());
        };
        let Some(first) = parse_block_key(&key) else {
            return Err(self.missing());
        };
        let events = codec::decode_block(first, &value)?;
        let skip = self.next - first;
        if skip >= events.len() as u64 {
            return Err(StoreError::Truncated {
                expected: self.head,
                found: first + events.len() as u64 - 1,
            });
        }
        self.pending = events.into_iter().skip(skip as usize).collect();
        let after = (
            Bound::Excluded(key),
            Bound::Excluded(sled::IVec::from(&block_keys_end()[..])),
        );
        self.blocks = Some(self.tree.range::<sled::IVec, _>(after));
        Ok(())
    }

    /// Queues the events of the block after the current one, which must start at `next`.
    fn load_next_block(&mut self) -> Result<(), StoreError> {
        let next_block = self.blocks.as_mut().and_then(Iterator::next);
        let Some((key, value)) = next_block.transpose()? else {
            return Err(self.missing());
        };
        match parse_block_key(&key) {
            Some(first) if first == self.next => {
                self.pending = codec::decode_block(first, &value)?.into();
                Ok(())
            }
            // A gap: the log is contiguous only up to the event before `next`.
            _ => Err(self.missing()),
        }
    }

    /// The error for events that stop (or break off) before the head.
    fn missing(&self) -> StoreError {
        StoreError::Truncated {
            expected: self.head,
            found: self.next - 1,
        }
    }

    fn step(&mut self) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
        if self.next > self.end {
            return Ok(None);
        }
        if self.pending.is_empty() {
            if self.blocks.is_none() {
                self.seek_first_block()?;
            } else {
                self.load_next_block()?;
            }
        }
        let Some(bytes) = self.pending.pop_front() else {
            return Err(self.missing());
        };
        let sequence = self.next;
        self.next += 1;
        Ok(Some((sequence, bytes)))
    }
}

impl Iterator for RawCursor {
    type Item = Result<(u64, Vec<u8>), StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let item = self.step().transpose();
        if matches!(item, Some(Err(_))) {
            self.failed = true;
        }
        item
    }
}

/// Decoded events read from `raw` (stored bytes with their sequences, in log order), each
/// checked to link to the one before: the one linking check both engines read through.
pub(crate) struct Linked<R> {
    raw: R,
    /// Hash of the event before the next one; `None` until the event before the first one
    /// asked for has been read from `raw`.
    prev: Option<[u8; 32]>,
    failed: bool,
}

impl<R: Iterator<Item = Result<(u64, Vec<u8>), StoreError>>> Linked<R> {
    /// Events from `raw`, whose first item is the stored event before the first one
    /// wanted (read only for its hash).
    pub(crate) fn after_stored(raw: R) -> Linked<R> {
        Linked {
            raw,
            prev: None,
            failed: false,
        }
    }

    /// Events from `raw`, the first checked to link to `hash` (the hash of the event
    /// before it as already known, or the genesis hash).
    pub(crate) fn after_hash(raw: R, hash: [u8; 32]) -> Linked<R> {
        Linked {
            raw,
            prev: Some(hash),
            failed: false,
        }
    }

    fn step(&mut self) -> Result<Option<RecordedEvent>, StoreError> {
        let prev = match self.prev {
            Some(prev) => prev,
            None => match self.raw.next().transpose()? {
                Some((_, bytes)) => codec::hash(&bytes),
                None => return Ok(None),
            },
        };
        let Some((sequence, bytes)) = self.raw.next().transpose()? else {
            return Ok(None);
        };
        let event = codec::decode_at(sequence, &bytes)?;
        if event.prev_hash != prev {
            return Err(broken_link(sequence, prev, event.prev_hash));
        }
        self.prev = Some(event.hash);
        Ok(Some(event))
    }
}

impl<R: Iterator<Item = Result<(u64, Vec<u8>), StoreError>>> Iterator for Linked<R> {
    type Item = Result<RecordedEvent, StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let item = self.step().transpose();
        self.failed = matches!(item, Some(Err(_)));
        item
    }
}

/// Decoded events of `from..=end` in sled, each checked to link to the one before.
pub(crate) type EventCursor = Linked<RawCursor>;

impl EventCursor {
    /// Events `from..=end`. The first is checked against the stored event before it.
    pub(crate) fn new(tree: sled::Tree, from: u64, end: u64, head: u64) -> EventCursor {
        let from = from.max(1);
        if from == 1 {
            return EventCursor::after(tree, 0, GENESIS_HASH, end, head);
        }
        Linked::after_stored(RawCursor::new(tree, from - 1, end, head))
    }

    /// Events `position+1..=end`, the first checked to link to `hash` (the hash of event
    /// `position` as already known, or the genesis hash for position 0).
    pub(crate) fn after(
        tree: sled::Tree,
        position: u64,
        hash: [u8; 32],
        end: u64,
        head: u64,
    ) -> EventCursor {
        Linked::after_hash(RawCursor::new(tree, position + 1, end, head), hash)
    }
}

/// The error for event `sequence` whose `prev_hash` is not the hash of the event before.
/// The earlier event is named (the usual damage is to its bytes), the first one when
/// there is no earlier event.
pub(crate) fn broken_link(sequence: u64, expected: [u8; 32], stored: [u8; 32]) -> StoreError {
    if sequence == 1 {
        return StoreError::corrupt(
            1,
            format!(
                "the first event links to {} instead of zeros",
                hex::encode(stored)
            ),
        );
    }
    StoreError::corrupt(
        sequence - 1,
        format!(
            "event {} hashes to {} but event {sequence} links to {}: one of them was altered",
            sequence - 1,
            hex::encode(expected),
            hex::encode(stored)
        ),
    )
}
