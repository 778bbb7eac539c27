//! Damage met by a read, at any time: a reader that finds an event that does not verify,
//! or a page sled's own checksum refuses (`sled: Read corrupted data`), turns the store
//! read-only on the spot, as damage found at open does. Open re-checks only the events
//! after the last verified checkpoint, so damage before it is found by a reader or by the
//! background verification (`ledger/verification.rs`); either way, from then on every
//! posting is refused naming the damage, and health follows [`Store::watch_damage`].

use std::sync::PoisonError;

use super::error::StoreError;
use super::{layout, records, verify, Damage, Head, Store};

impl Store {
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
