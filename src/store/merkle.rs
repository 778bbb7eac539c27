//! The Merkle tree over the stored events, persisted beside them.
//!
//! Every complete-subtree hash of level [`STORED_LEVEL_MIN`] or above that an append
//! completes is written under `n` + [`node_key`] in the same sled batch as the events,
//! and `mtree` records the tree size and root at the head. The levels below are not
//! stored: a subtree of at most 2^(`STORED_LEVEL_MIN` − 1) leaves is hashed afresh from
//! its events, which sit in one or two blocks ([`LogNodes`]). That keeps the sled inserts
//! of the tree at a quarter of an insert per event instead of two, the largest part of
//! sled's work per event, for a few extra leaf hashes per proof. Opening the store
//! rebuilds only the frontier (at most 64 stored reads, plus the last few events) and
//! checks that its root equals the recorded one; roots and proofs for any past size read
//! O(log n) hashes through [`NodeReader`]. A store written before the tree existed gets
//! its nodes computed once, on the first open that finds them missing; one written before
//! the low levels were left out still holds them, and they are simply not read.

use std::path::Path;

use crate::audit::{leaf_hash, node_hash, node_key, AuditError, Frontier, Hash, NodeReader};

use super::cursor::RawCursor;
use super::error::StoreError;
use super::layout::{MERKLE_NODE, META_TREE};

/// Nodes computed before a backfill writes them, bounding its memory.
const BACKFILL_BATCH_NODES: usize = 1 << 16;

/// Bytes of the `mtree` record: the size (u64 BE) then the root.
const TREE_RECORD_BYTES: usize = 8 + 32;

/// The lowest level of the tree a store persists. Level 3 subtrees span 8 events: below
/// it a proof hashes at most 7 events afresh (siblings of 1, 2 and 4 leaves, from two or
/// three block reads: ≈ 20 µs of a 49 µs proof at a million events, `benches/proofs.rs`),
/// while the store writes one node per 4 events instead of 2 per event.
pub(crate) const STORED_LEVEL_MIN: u8 = 3;

/// Every level of a [`NodeTree`], which has no events to hash the low levels from.
const ALL_LEVELS: u8 = 0;

/// Reads stored subtree hashes from the sled tree.
pub(crate) struct SledNodes<'a>(pub(crate) &'a sled::Tree);

/// The subtree hashes of a store's log of `head` events: levels from
/// [`STORED_LEVEL_MIN`] up read from sled, the levels below hashed from the events.
pub(crate) struct LogNodes<'a> {
    pub(crate) tree: &'a sled::Tree,
    pub(crate) head: u64,
}

impl NodeReader for LogNodes<'_> {
    fn node(&self, level: u8, index: u64) -> Result<Hash, AuditError> {
        if level >= STORED_LEVEL_MIN {
            return SledNodes(self.tree).node(level, index);
        }
        let missing = AuditError::MissingNode { level, index };
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
        let mut hashes = Vec::with_capacity(width as usize);
        for entry in RawCursor::new(sled::Tree::clone(self.tree), first, last, self.head) {
            let (_, bytes) = entry.map_err(|error| AuditError::NodeRead(error.to_string()))?;
            hashes.push(leaf_hash(&bytes));
        }
        if hashes.len() as u64 != width {
            return Err(missing);
        }
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

impl NodeReader for SledNodes<'_> {
    fn node(&self, level: u8, index: u64) -> Result<Hash, AuditError> {
        let value = self
            .0
            .get(merkle_node_key(level, index))
            .map_err(|error| AuditError::NodeRead(error.to_string()))?
            .ok_or(AuditError::MissingNode { level, index })?;
        Hash::try_from(&*value)
            .map_err(|_| AuditError::NodeRead(format!("node {level}/{index} is not 32 bytes")))
    }
}

/// The key of a stored subtree hash.
pub(crate) fn merkle_node_key(level: u8, index: u64) -> [u8; 10] {
    let mut key = [0u8; 10];
    key[0] = MERKLE_NODE;
    key[1..].copy_from_slice(&node_key(level, index));
    key
}

/// Puts the nodes an append completed from `level_min` up, and the new tree record,
/// into `batch`.
pub(crate) fn stage(
    batch: &mut sled::Batch,
    nodes: &[(u8, u64, Hash)],
    frontier: &Frontier,
    level_min: u8,
) {
    for (level, index, hash) in nodes.iter().filter(|(level, ..)| *level >= level_min) {
        batch.insert(&merkle_node_key(*level, *index), hash);
    }
    batch.insert(
        META_TREE,
        encode_tree_record(frontier.size(), &frontier.root()).as_slice(),
    );
}

fn encode_tree_record(size: u64, root: &Hash) -> [u8; TREE_RECORD_BYTES] {
    let mut record = [0u8; TREE_RECORD_BYTES];
    record[..8].copy_from_slice(&size.to_be_bytes());
    record[8..].copy_from_slice(root);
    record
}

/// A damaged tree record or node, as a store error.
pub(crate) fn tree_error(error: AuditError) -> StoreError {
    StoreError::record("merkle tree", error.to_string())
}

/// The frontier of the tree over the `size` events of a verified log, checked against
/// the recorded root. Computes and stores the nodes once if the log predates them.
pub(crate) fn load_frontier(db: &sled::Db, size: u64) -> Result<Frontier, StoreError> {
    let tree: &sled::Tree = db;
    let recorded = db.get(META_TREE)?;
    let Some(recorded) = recorded else {
        return backfill(db, size);
    };
    let record = <[u8; TREE_RECORD_BYTES]>::try_from(&*recorded)
        .map_err(|_| StoreError::record("mtree", "not a size and a root"))?;
    let mut size_bytes = [0u8; 8];
    size_bytes.copy_from_slice(&record[..8]);
    let recorded_size = u64::from_be_bytes(size_bytes);
    if recorded_size != size {
        return Err(StoreError::record(
            "mtree",
            format!("the tree has {recorded_size} leaves but the log {size} events"),
        ));
    }
    let nodes = LogNodes { tree, head: size };
    let frontier = Frontier::from_reader(size, &nodes).map_err(tree_error)?;
    if frontier.root()[..] != record[8..] {
        return Err(StoreError::record(
            "mtree",
            "the stored tree nodes do not give the recorded root",
        ));
    }
    Ok(frontier)
}

/// Computes every node of a log stored without them, in one batch.
fn backfill(db: &sled::Db, size: u64) -> Result<Frontier, StoreError> {
    let mut frontier = Frontier::new();
    let mut batch = sled::Batch::default();
    let mut nodes = Vec::new();
    for entry in RawCursor::new(sled::Tree::clone(db), 1, size, size) {
        let (_, bytes) = entry?;
        nodes.extend(frontier.append(&bytes));
        if nodes.len() >= BACKFILL_BATCH_NODES {
            let mut partial = sled::Batch::default();
            for (level, index, hash) in nodes.drain(..) {
                if level >= STORED_LEVEL_MIN {
                    partial.insert(&merkle_node_key(level, index), &hash);
                }
            }
            db.apply_batch(partial)?;
        }
    }
    if frontier.size() != size {
        return Err(StoreError::Truncated {
            expected: size,
            found: frontier.size(),
        });
    }
    stage(&mut batch, &nodes, &frontier, STORED_LEVEL_MIN);
    db.apply_batch(batch)?;
    db.flush()?;
    Ok(frontier)
}

/// Merkle nodes persisted in a sled directory of their own, keyed and recorded exactly as
/// a store keeps them (`n` nodes, the `mtree` record), but built from leaf hashes alone,
/// without events: for benchmarks and tools that need the persisted tree at a size no
/// event log is worth building for. Never open a store's directory with it.
pub struct NodeTree {
    db: sled::Db,
    frontier: Frontier,
}

impl NodeTree {
    /// Opens (or creates) the tree in `dir`, rebuilding its frontier from the `mtree`
    /// record and at most 64 stored nodes.
    pub fn open(dir: &Path) -> Result<NodeTree, StoreError> {
        let db = super::open_sled(dir)?;
        let frontier = match db.get(META_TREE)? {
            None => Frontier::new(),
            Some(record) => {
                let record = <[u8; TREE_RECORD_BYTES]>::try_from(&*record)
                    .map_err(|_| StoreError::record("mtree", "not a size and a root"))?;
                let mut size = [0u8; 8];
                size.copy_from_slice(&record[..8]);
                let frontier = Frontier::from_reader(u64::from_be_bytes(size), &SledNodes(&db))
                    .map_err(tree_error)?;
                if frontier.root()[..] != record[8..] {
                    return Err(StoreError::record(
                        "mtree",
                        "the stored tree nodes do not give the recorded root",
                    ));
                }
                frontier
            }
        };
        Ok(NodeTree { db, frontier })
    }

    /// Appends leaves by their hashes and persists every node they complete, with the new
    /// size and root, in one sled batch.
    pub fn append_leaf_hashes(&mut self, hashes: &[Hash]) -> Result<(), StoreError> {
        let mut nodes = Vec::with_capacity(hashes.len() * 2);
        for hash in hashes {
            nodes.extend(self.frontier.append_leaf_hash(*hash));
        }
        let mut batch = sled::Batch::default();
        stage(&mut batch, &nodes, &self.frontier, ALL_LEVELS);
        self.db.apply_batch(batch)?;
        Ok(())
    }

    /// Writes everything appended so far to disk.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }

    /// Leaves in the tree.
    pub fn size(&self) -> u64 {
        self.frontier.size()
    }

    /// The root of the whole tree.
    pub fn root(&self) -> Hash {
        self.frontier.root()
    }
}

impl NodeReader for NodeTree {
    fn node(&self, level: u8, index: u64) -> Result<Hash, AuditError> {
        SledNodes(&self.db).node(level, index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{self, MemoryNodes};

    #[test]
    fn a_node_tree_built_from_leaf_hashes_gives_the_same_proofs_and_reopens() {
        let dir = tempfile::tempdir().expect("temp dir");
        let leaves: Vec<Vec<u8>> = (0..300u32).map(|i| i.to_be_bytes().to_vec()).collect();
        let (memory, frontier) = MemoryNodes::from_leaves(&leaves);
        let hashes: Vec<Hash> = leaves.iter().map(|leaf| audit::leaf_hash(leaf)).collect();

        let mut tree = NodeTree::open(dir.path()).expect("opens");
        tree.append_leaf_hashes(&hashes[..100]).expect("appends");
        tree.append_leaf_hashes(&hashes[100..]).expect("appends");
        tree.flush().expect("flushes");
        drop(tree);
        let tree = NodeTree::open(dir.path()).expect("reopens");

        assert_eq!((tree.size(), tree.root()), (300, frontier.root()));
        assert_eq!(
            audit::inclusion_proof(17, 250, &tree).expect("proof"),
            audit::inclusion_proof(17, 250, &memory).expect("proof")
        );
        assert_eq!(
            audit::consistency_proof(99, 300, &tree).expect("proof"),
            audit::consistency_proof(99, 300, &memory).expect("proof")
        );
    }
}
