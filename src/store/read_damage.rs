//! Damage met by a read, at any time: a reader that finds an event that does not verify,
//! or a page sled's own checksum refuses (`sled: Read corrupted data`), turns the store
//! read-only on the spot, as damage found at open does. Open re-checks only the events
//! after the last verified checkpoint, so damage before it is found by a reader or by the
//! background verification (`ledger/verification.rs`); either way, from then on every
//! posting is refused naming the damage, and health follows [`Store::watch_damage`].

use std::sync::PoisonError;

use super::error::StoreError;
use super::{layout, records, verify, Damage, Head, SledStore};

impl SledStore {
    /// Passes `result` through; a damage error first makes the store read-only.
    pub(crate) fn observed<T>(&self, result: Result<T, StoreError>) -> Result<T, StoreError> {
        if let Err(error) = &result {
            self.note_read_failure(error);
        }
        result
    }

    /// Makes the store read-only if `error`, met by a read, is damage of the stored log:
    /// walks the log from its first event to name the first bad sequence and the last good
    /// one. Other failures (I/O, refusals) leave it as it is. The walk happens once, on the
    /// thread of the first reader to fail; readers failing meanwhile wait for it.
    pub fn note_read_failure(&self, error: &StoreError) {
        if !error.is_damage() || self.damage().is_some() {
            return;
        }
        let _locating = self
            .inner
            .locating
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if self.damage().is_some() {
            return;
        }
        match self.damage_behind(error) {
            Some(damage) => self.restrict(damage),
            None => tracing::warn!(
                %error,
                "a read failed as if the log were damaged, but the log verifies; left writable"
            ),
        }
    }

    /// Makes the store read-only because the stored Merkle subtree hashes give `stored` as
    /// the root at `head` while the events' bytes give `from_events`: the events read
    /// correctly, but proofs and signed heads built on the stored hashes would be wrong.
    pub fn note_tree_mismatch(&self, head: Head, from_events: [u8; 32], stored: [u8; 32]) {
        // Every event reads correctly: readable up to the head published now.
        let now = self.head();
        self.restrict(Damage {
            sequence: now.sequence + 1,
            last_good: now,
            reason: format!(
                "the stored Merkle subtree hashes give root {} at size {}, the events give {}",
                hex::encode(stored),
                head.sequence,
                hex::encode(from_events)
            ),
        });
    }

    /// Where the damage a read met is.
    fn damage_behind(&self, error: &StoreError) -> Option<Damage> {
        let db = &self.inner.db;
        let head = self.head();
        let head_record = records::stored_position(db, layout::META_HEAD).unwrap_or(head);
        match verify::locate_damage(db, Head::EMPTY, head_record) {
            Ok(Some(damage)) => Some(damage),
            // The events verify, but sled refused a page of something else (an index, a
            // stored subtree hash): the store cannot be trusted to write either.
            Ok(None) if matches!(error, StoreError::Sled(_)) => Some(Damage {
                sequence: head.sequence + 1,
                last_good: head,
                reason: format!("{error}, outside the events, which verify up to the head"),
            }),
            Ok(None) => None,
            // The walk itself failed: nothing can be vouched for.
            Err(walk) => Some(Damage {
                sequence: verify::damaged_sequence(error).unwrap_or(1).max(1),
                last_good: Head::EMPTY,
                reason: format!("{error}; locating the damage failed too: {walk}"),
            }),
        }
    }
}

/// Flips a bit of every stored Merkle subtree hash, as damage that sled's checksum would
/// not catch (a rewrite through sled) would: the seam of the background verification's
/// tree check test.
#[cfg(test)]
impl SledStore {
    pub(crate) fn tamper_every_stored_node(&self) {
        let db = &self.inner.db;
        let nodes: Vec<_> = db
            .scan_prefix([layout::MERKLE_NODE])
            .map(|entry| entry.expect("readable"))
            .collect();
        assert!(!nodes.is_empty(), "no stored subtree hash to tamper with");
        for (key, value) in nodes {
            let mut bytes = value.to_vec();
            bytes[0] ^= 0x01;
            db.insert(key, bytes).expect("rewritten");
        }
    }
}
