//! Moving a ledger from sled to PostgreSQL with nothing changed: the events' exact stored
//! bytes (so the same hashes, chain and Merkle tree), the idempotency records (so a retry
//! after the move is still answered as a replay), every signed tree head with its
//! cosignatures, the closing statements and the snapshot. The copy is then verified: the
//! whole chain in the database, the same head and root, and every record read back equal.
//!
//! The target must be an empty database; the source data directory must not be served
//! meanwhile (sled's lock refuses it anyway). Nothing is written to the source.

use std::path::Path;

use prost::Message;

use super::layout;
use super::postgres::PostgresStore;
use super::proto as pb;
use super::records;
use super::{Head, IdempotencyRecord, SledStore, Store, StoreError, StoredHead};
use crate::limits::POSTGRES_READ_PAGE_EVENTS;

/// What a migration copied and verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migrated {
    /// The head of the log, identical in both stores.
    pub head: Head,
    /// The Merkle root at the head, identical in both stores.
    pub root: crate::audit::Hash,
    pub idempotency_records: usize,
    pub signed_heads: usize,
    pub cosignatures: usize,
    pub closing_statements: usize,
    /// The sequence of the snapshot copied, if there was one.
    pub snapshot: Option<u64>,
}

/// Copies the sled ledger in `dir` into the empty PostgreSQL database at `url` and
/// verifies the copy. `progress` is called with each sequence copied. Blocks.
pub fn sled_to_postgres(
    dir: &Path,
    url: &str,
    mut progress: impl FnMut(u64),
) -> Result<Migrated, StoreError> {
    let source = SledStore::open(dir)?;
    let target = PostgresStore::open_unless_leased(url)?;
    let target_store = Store::from_engine(target.clone());
    if target_store.head().sequence != 0 {
        return Err(StoreError::Refused(format!(
            "the database already holds a log of {} events: migrate into an empty database",
            target_store.head().sequence
        )));
    }
    let mut keys = source.idempotency_records()?;
    keys.sort_by_key(|(_, record)| std::cmp::Reverse(record.first_sequence));
    let mut page = Vec::new();
    for entry in source.raw_from(1) {
        let (sequence, bytes) = entry?;
        page.push(bytes);
        if page.len() as u64 == POSTGRES_READ_PAGE_EVENTS || sequence == source.head().sequence {
            // The records of commands whose first event is in this page go with it.
            let mut records = Vec::new();
            while keys
                .last()
                .is_some_and(|(_, record)| record.first_sequence <= sequence)
            {
                records.extend(keys.pop());
            }
            target.import(std::mem::take(&mut page), records)?;
            progress(sequence);
        }
    }
    if !keys.is_empty() {
        // Records after the head are impossible on a verified log; keep them anyway.
        target.import(Vec::new(), keys)?;
    }
    let copied = copy_records(&source, &target_store)?;
    verify_copy(&source, &target_store, copied)
}

/// What [`copy_records`] copied.
struct Copied {
    signed_heads: Vec<StoredHead>,
    cosignatures: usize,
    closing_statements: usize,
    snapshot: Option<u64>,
}

/// Copies what the log signed (heads, cosignatures, closing statements) and the snapshot.
fn copy_records(source: &SledStore, target: &Store) -> Result<Copied, StoreError> {
    let signed_heads = source.signed_heads_since(0, usize::MAX)?;
    for head in &signed_heads {
        target.put_signed_head(head.tree_size, head.timestamp, &head.note)?;
    }
    let cosignatures = source.cosignature_records()?;
    for (tree_size, witness, line) in &cosignatures {
        target.add_cosignature(*tree_size, witness, line)?;
    }
    let statements = source.closing_statements()?;
    for (phase, statement) in &statements {
        target.put_closing_statement(*phase, statement)?;
    }
    let snapshot = match source.load_snapshot()? {
        Some((sequence, bytes)) => {
            target.save_snapshot(sequence, &bytes)?;
            Some(sequence)
        }
        None => None,
    };
    Ok(Copied {
        signed_heads,
        cosignatures: cosignatures.len(),
        closing_statements: statements.len(),
        snapshot,
    })
}

/// Checks the copy: the whole chain in the target, the same head and root, the same
/// signed heads with their cosignatures, idempotency records and closing statements.
fn verify_copy(source: &SledStore, target: &Store, copied: Copied) -> Result<Migrated, StoreError> {
    let mismatch = |what: &str| StoreError::Refused(format!("the copy differs: {what}"));
    let head = target.verify_all(|_| {})?;
    if head != source.head() {
        return Err(mismatch("head"));
    }
    let (size, root) = target.tree_head()?;
    let source_root = crate::audit::root_at(size, source).map_err(super::merkle::tree_error)?;
    if size != head.sequence || root != source_root {
        return Err(mismatch("Merkle root"));
    }
    if target.signed_heads_since(0, usize::MAX)? != copied.signed_heads {
        return Err(mismatch("signed heads or their cosignatures"));
    }
    let keys = source.idempotency_records()?;
    for (key, record) in &keys {
        if target.idempotency(key)? != Some(*record) {
            return Err(mismatch(&format!("idempotency record {key:?}")));
        }
    }
    for (phase, statement) in source.closing_statements()? {
        if target.closing_statement(phase)? != Some(statement) {
            return Err(mismatch(&format!("closing statement of phase {phase}")));
        }
    }
    Ok(Migrated {
        head,
        root,
        idempotency_records: keys.len(),
        signed_heads: copied.signed_heads.len(),
        cosignatures: copied.cosignatures,
        closing_statements: copied.closing_statements,
        snapshot: copied.snapshot,
    })
}

/// Listings of the sled store's records, for a migration (reads whole key ranges).
impl SledStore {
    /// Every idempotency record with its scoped key.
    fn idempotency_records(&self) -> Result<Vec<(String, IdempotencyRecord)>, StoreError> {
        let mut found = Vec::new();
        for entry in self.inner.db.scan_prefix([layout::IDEMPOTENCY]) {
            let (key, value) = entry?;
            let scoped = String::from_utf8(key[1..].to_vec())
                .map_err(|_| StoreError::record("idempotency key", "not UTF-8"))?;
            found.push((scoped, records::decode_idempotency(&value)?));
        }
        Ok(found)
    }

    /// Every cosignature: the tree size, the witness (key name and hash) and the line.
    fn cosignature_records(&self) -> Result<Vec<(u64, String, String)>, StoreError> {
        let mut found = Vec::new();
        for entry in self.inner.db.scan_prefix([layout::SIGNED_HEAD]) {
            let (key, value) = entry?;
            if !layout::is_cosignature_key(&key) {
                continue;
            }
            let size = <[u8; 8]>::try_from(&key[1..9])
                .map(u64::from_be_bytes)
                .map_err(|_| StoreError::record("cosignature", "a short key"))?;
            let witness = String::from_utf8(key[10..].to_vec())
                .map_err(|_| StoreError::record("cosignature", "a witness name not UTF-8"))?;
            let record = pb::CosignatureRecord::decode(&value[..])
                .map_err(|error| StoreError::record("cosignature", error.to_string()))?;
            found.push((size, witness, record.line));
        }
        Ok(found)
    }
}
