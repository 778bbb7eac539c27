//! What the log signed for outsiders, kept across restarts: the tree heads it signed, the
//! witness cosignatures it accepted for them, and the statements it signed when phases
//! closed (key layout in `layout.rs`, encoding in `storage.proto`).
//!
//! These records are written by the audit side, not the writer, one at a time; each write
//! is flushed and fsynced before it returns, so a signature the server handed out, or a
//! cosignature it acknowledged, is never forgotten by a restart.

use prost::Message;

use super::error::StoreError;
use super::layout;
use super::proto as pb;
// The sled store: these records are its own.
use super::SledStore as Store;
use crate::domain::PhaseId;

/// The encoding version of the signed records this build writes (and the only one it reads).
const SIGNED_RECORD_VERSION: u32 = 1;

/// A tree head the log signed, with the cosignatures accepted for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredHead {
    /// Events in the signed tree.
    pub tree_size: u64,
    /// When it was signed, in POSIX seconds.
    pub timestamp: u64,
    /// The signed note with the log's signature only.
    pub note: String,
    /// Witness cosignature lines, in key order.
    pub cosignatures: Vec<String>,
}

/// The statement the log signed when a phase closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosingStatement {
    /// The tree size the statement is at (the sequence of the PhaseClosed event).
    pub tree_size: u64,
    /// The signed note.
    pub note: String,
}

fn damaged(record: &'static str) -> impl Fn(prost::DecodeError) -> StoreError {
    move |error| StoreError::record(record, error.to_string())
}

fn check_version(record: &'static str, version: u32) -> Result<(), StoreError> {
    if version == SIGNED_RECORD_VERSION {
        Ok(())
    } else {
        Err(StoreError::record(
            record,
            format!("format version {version} is not supported (this build reads {SIGNED_RECORD_VERSION})"),
        ))
    }
}

impl Store {
    /// Keeps the head the log signed at `tree_size`, durably. A head already kept for that
    /// size is replaced (the log signs each size once, so this happens only on a retry).
    pub fn put_signed_head(
        &self,
        tree_size: u64,
        timestamp: u64,
        note: &str,
    ) -> Result<(), StoreError> {
        let record = pb::SignedHeadRecord {
            format_version: SIGNED_RECORD_VERSION,
            tree_size,
            timestamp,
            note: note.to_string(),
        };
        self.put_durably(&layout::signed_head_key(tree_size), record.encode_to_vec())
    }

    /// Keeps a cosignature `line` of the head signed at `tree_size` by `witness` (its key
    /// name, a space and its key hash), durably, replacing an earlier one by that key.
    pub fn add_cosignature(
        &self,
        tree_size: u64,
        witness: &str,
        line: &str,
    ) -> Result<(), StoreError> {
        let record = pb::CosignatureRecord {
            format_version: SIGNED_RECORD_VERSION,
            line: line.to_string(),
        };
        self.put_durably(
            &layout::cosignature_key(tree_size, witness),
            record.encode_to_vec(),
        )
    }

    /// The head signed at `tree_size` with its cosignatures, if the log signed one.
    pub fn signed_head(&self, tree_size: u64) -> Result<Option<StoredHead>, StoreError> {
        let mut heads = self.signed_heads_in(
            layout::signed_head_prefix(tree_size).to_vec(),
            layout::signed_head_prefix(tree_size.saturating_add(1)).to_vec(),
            1,
        )?;
        Ok(heads.pop().filter(|head| head.tree_size == tree_size))
    }

    /// Up to `limit` signed heads of size `tree_size` or more, smallest first, each with
    /// its cosignatures.
    pub fn signed_heads_since(
        &self,
        tree_size: u64,
        limit: usize,
    ) -> Result<Vec<StoredHead>, StoreError> {
        self.signed_heads_in(
            layout::signed_head_prefix(tree_size).to_vec(),
            layout::signed_head_keys_end().to_vec(),
            limit,
        )
    }

    /// The largest signed head, with its cosignatures.
    pub fn latest_signed_head(&self) -> Result<Option<StoredHead>, StoreError> {
        let range = layout::signed_head_prefix(0).to_vec()..layout::signed_head_keys_end().to_vec();
        for entry in self.inner.db.range(range).rev() {
            let (key, _) = entry?;
            if let Some(size) = layout::parse_signed_head_key(&key) {
                return self.signed_head(size);
            }
        }
        Ok(None)
    }

    /// Keeps the statement signed when `phase` closed, durably.
    pub fn put_closing_statement(
        &self,
        phase: PhaseId,
        statement: &ClosingStatement,
    ) -> Result<(), StoreError> {
        let record = pb::ClosingStatementRecord {
            format_version: SIGNED_RECORD_VERSION,
            tree_size: statement.tree_size,
            note: statement.note.clone(),
        };
        self.put_durably(
            &layout::closing_statement_key(phase.as_uuid().as_bytes()),
            record.encode_to_vec(),
        )
    }

    /// The statement signed when `phase` closed, if one was.
    pub fn closing_statement(
        &self,
        phase: PhaseId,
    ) -> Result<Option<ClosingStatement>, StoreError> {
        let name = "closing statement";
        let Some(bytes) = self
            .inner
            .db
            .get(layout::closing_statement_key(phase.as_uuid().as_bytes()))?
        else {
            return Ok(None);
        };
        let record = pb::ClosingStatementRecord::decode(&bytes[..]).map_err(damaged(name))?;
        check_version(name, record.format_version)?;
        Ok(Some(ClosingStatement {
            tree_size: record.tree_size,
            note: record.note,
        }))
    }

    /// Signed heads whose keys lie in `[start, end)`, with their cosignatures, at most
    /// `limit` of them.
    fn signed_heads_in(
        &self,
        start: Vec<u8>,
        end: Vec<u8>,
        limit: usize,
    ) -> Result<Vec<StoredHead>, StoreError> {
        let (head_name, cosignature_name) = ("signed head", "cosignature");
        let mut heads: Vec<StoredHead> = Vec::new();
        for entry in self.inner.db.range(start..end) {
            let (key, bytes) = entry?;
            if let Some(size) = layout::parse_signed_head_key(&key) {
                if heads.len() == limit {
                    break;
                }
                let record =
                    pb::SignedHeadRecord::decode(&bytes[..]).map_err(damaged(head_name))?;
                check_version(head_name, record.format_version)?;
                if record.tree_size != size {
                    return Err(StoreError::record(
                        head_name,
                        format!("kept under size {size} but of size {}", record.tree_size),
                    ));
                }
                heads.push(StoredHead {
                    tree_size: size,
                    timestamp: record.timestamp,
                    note: record.note,
                    cosignatures: Vec::new(),
                });
            } else if layout::is_cosignature_key(&key) {
                let record =
                    pb::CosignatureRecord::decode(&bytes[..]).map_err(damaged(cosignature_name))?;
                check_version(cosignature_name, record.format_version)?;
                // Keys sort a head's cosignatures right after its own record.
                if let Some(head) = heads.last_mut() {
                    head.cosignatures.push(record.line);
                }
            }
        }
        Ok(heads)
    }

    /// Writes one record and makes it durable (flush, then fsync of sled's data file)
    /// before returning. A damaged store changes nothing on disk.
    fn put_durably(&self, key: &[u8], value: Vec<u8>) -> Result<(), StoreError> {
        self.refuse_if_damaged()?;
        self.inner.db.insert(key, value)?;
        self.inner.data_file.commit(&self.inner.db)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(dir.path()).expect("open");
        (dir, store)
    }

    #[test]
    fn given_signed_heads_and_cosignatures_when_reopened_then_they_are_read_back() {
        let (dir, store) = store();
        store.put_signed_head(3, 100, "note 3\n").unwrap();
        store.put_signed_head(5, 200, "note 5\n").unwrap();
        store.add_cosignature(3, "w1 0000000a", "line a\n").unwrap();
        store.add_cosignature(3, "w2 0000000b", "line b\n").unwrap();
        store
            .add_cosignature(3, "w1 0000000a", "line a2\n")
            .unwrap();
        drop(store);

        let store = Store::open(dir.path()).expect("reopen");
        let three = store.signed_head(3).unwrap().expect("kept");
        assert_eq!(three.timestamp, 100);
        assert_eq!(three.note, "note 3\n");
        assert_eq!(three.cosignatures, vec!["line a2\n", "line b\n"]);
        assert_eq!(store.signed_head(4).unwrap(), None);
        let latest = store.latest_signed_head().unwrap().expect("latest");
        assert_eq!((latest.tree_size, latest.cosignatures.len()), (5, 0));
        let since: Vec<u64> = store
            .signed_heads_since(4, 10)
            .unwrap()
            .iter()
            .map(|head| head.tree_size)
            .collect();
        assert_eq!(since, vec![5]);
        assert_eq!(store.signed_heads_since(0, 1).unwrap().len(), 1);
    }

    #[test]
    fn given_no_signed_records_then_nothing_is_found() {
        let (_dir, store) = store();
        assert_eq!(store.latest_signed_head().unwrap(), None);
        let phase = PhaseId::generate();
        assert_eq!(store.closing_statement(phase).unwrap(), None);
    }

    #[test]
    fn given_a_closing_statement_when_read_then_it_is_the_one_kept() {
        let (_dir, store) = store();
        let phase = PhaseId::generate();
        let statement = ClosingStatement {
            tree_size: 9,
            note: "statement\n".into(),
        };
        store.put_closing_statement(phase, &statement).unwrap();
        assert_eq!(store.closing_statement(phase).unwrap(), Some(statement));
        assert_eq!(store.closing_statement(PhaseId::generate()).unwrap(), None);
    }
}
