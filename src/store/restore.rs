//! What a backup reads beyond the events, and how a restore writes a log back: the kept
//! closing statements and idempotency records listed whole, and events appended as their
//! exact stored bytes, so that a restored log has the original's hashes and Merkle tree.

use prost::Message;

use super::error::StoreError;
use super::layout;
use super::proto as pb;
use super::records;
use super::{ClosingStatement, Head, IdempotencyRecord, Store};
use crate::domain::PhaseId;

impl Store {
    /// Every closing statement kept, in phase-id order.
    pub fn closing_statements(&self) -> Result<Vec<(PhaseId, ClosingStatement)>, StoreError> {
        let name = "closing statement";
        let mut statements = Vec::new();
        for entry in self.inner.db.scan_prefix([layout::CLOSING_STATEMENT]) {
            let (key, bytes) = entry?;
            let id = <[u8; 16]>::try_from(&key[1..])
                .map_err(|_| StoreError::record(name, "key is not a phase id"))?;
            let record = pb::ClosingStatementRecord::decode(&bytes[..])
                .map_err(|error| StoreError::record(name, error.to_string()))?;
            statements.push((
                PhaseId::from_uuid(uuid::Uuid::from_bytes(id)),
                ClosingStatement {
                    tree_size: record.tree_size,
                    note: record.note,
                },
            ));
        }
        Ok(statements)
    }

    /// Calls `visit` with every idempotency record (scoped key and record) whose first
    /// event is in `from..=to` and durable, in key order; stops when `visit` returns false.
    /// Reads every record: the index is by key, not by sequence.
    pub fn visit_idempotency(
        &self,
        from: u64,
        to: u64,
        mut visit: impl FnMut(String, IdempotencyRecord) -> bool,
    ) -> Result<(), StoreError> {
        let to = to.min(self.head().sequence);
        for entry in self.inner.db.scan_prefix([layout::IDEMPOTENCY]) {
            let (key, bytes) = entry?;
            let record = records::decode_idempotency(&bytes)?;
            if record.first_sequence < from || record.first_sequence > to {
                continue;
            }
            let scoped_key = String::from_utf8(key[1..].to_vec())
                .map_err(|_| StoreError::record("idempotency record", "key is not UTF-8"))?;
            if !visit(scoped_key, record) {
                break;
            }
        }
        Ok(())
    }

    /// Appends `events`, given as their exact stored bytes, after the head, with the
    /// idempotency records of the commands that produced them, and makes them durable.
    /// Each event must be the next sequence and link to the one before; nothing is
    /// written otherwise. For restoring a log into a new directory: the single writer
    /// must not run meanwhile.
    pub fn import_stored(
        &self,
        events: &[Vec<u8>],
        idempotency: &[(String, IdempotencyRecord)],
    ) -> Result<Head, StoreError> {
        self.refuse_if_damaged()?;
        if events.is_empty() {
            return Ok(self.head());
        }
        let head = {
            let mut writer = self
                .inner
                .writer
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            writer.write_stored(&self.inner.db, events, idempotency)?
        };
        *self
            .inner
            .written
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = head;
        let synced = self.sync()?;
        debug_assert_eq!(synced, head, "an import is durable up to its last event");
        Ok(synced)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::fixtures::batch;

    /// A store in a new directory holding `count` events, appended in groups of 7.
    fn store_with_events(count: u64) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(dir.path()).expect("open");
        let mut next = 1;
        while next <= count {
            let size = 7.min(count - next + 1);
            store.append(batch(next, size), Vec::new()).expect("append");
            next += size;
        }
        (dir, store)
    }

    #[test]
    fn imported_stored_bytes_give_the_original_log_hashes_and_root() {
        let (_original_dir, original) = store_with_events(150);
        let bytes: Vec<Vec<u8>> = original
            .raw_from(1)
            .map(|entry| entry.expect("read").1)
            .collect();
        let dir = tempfile::tempdir().expect("temp dir");
        let restored = Store::open(dir.path()).expect("open");
        restored
            .import_stored(&bytes[..100], &[])
            .expect("first part");
        restored.import_stored(&bytes[100..], &[]).expect("rest");
        assert_eq!(restored.head(), original.head());
        assert_eq!(restored.root().unwrap(), original.root().unwrap());
        drop(restored);
        let reopened = Store::open(dir.path()).expect("reopens and verifies");
        assert_eq!(reopened.head(), original.head());
        assert_eq!(reopened.verify_all(|_| {}).unwrap(), original.head());
    }

    #[test]
    fn an_event_that_does_not_link_is_refused_and_nothing_is_written() {
        let (_original_dir, original) = store_with_events(10);
        let mut bytes: Vec<Vec<u8>> = original
            .raw_from(1)
            .map(|entry| entry.expect("read").1)
            .collect();
        bytes.remove(4);
        let dir = tempfile::tempdir().expect("temp dir");
        let restored = Store::open(dir.path()).expect("open");
        let error = restored.import_stored(&bytes, &[]).unwrap_err();
        assert!(
            error.to_string().contains("sequence 5"),
            "names the first event out of place: {error}"
        );
        assert_eq!(restored.head(), Head::EMPTY);
    }
}
