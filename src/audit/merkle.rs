//! The RFC 6962 / RFC 9162 Merkle tree over the stored events, on stored subtree hashes.
//!
//! Each event's stored bytes are one leaf. The hash of every *complete* subtree — level
//! `L`, index `i`, covering leaves `[i·2^L, (i+1)·2^L)`; level 0 holds the leaf hashes — is
//! written once, in the same batch as the events, and never changes (the design of Go's
//! `golang.org/x/mod/sumdb/tlog`). The writer keeps only the [`Frontier`], the O(log n)
//! complete subtrees along the right edge. Roots and proofs for any past size read O(log n)
//! stored hashes through a [`NodeReader`]: the hash of an incomplete range is composed from
//! the complete subtrees that tile it, so nothing is ever rebuilt.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use super::AuditError;

/// A SHA-256 hash: a leaf, an interior node or a root.
pub type Hash = [u8; 32];

/// Levels a tree of at most 2^64 − 1 leaves can have complete subtrees at (0 to 63).
const LEVELS_MAX: u32 = 64;

/// Reads stored complete-subtree hashes. The store implements it over its `n` keys;
/// [`MemoryNodes`] implements it in memory.
pub trait NodeReader {
    /// The hash of the complete subtree at `level`, `index` (covering leaves
    /// `[index·2^level, (index+1)·2^level)`), or [`AuditError::MissingNode`] if that
    /// subtree is not complete in the stored tree.
    fn node(&self, level: u8, index: u64) -> Result<Hash, AuditError>;
}

impl<T: NodeReader + ?Sized> NodeReader for &T {
    fn node(&self, level: u8, index: u64) -> Result<Hash, AuditError> {
        (**self).node(level, index)
    }
}

/// The leaf hash of an event's stored bytes: SHA-256(0x00 ‖ bytes).
pub fn leaf_hash(leaf_bytes: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x00]);
    hasher.update(leaf_bytes);
    hasher.finalize().into()
}

/// The hash of an interior node: SHA-256(0x01 ‖ left ‖ right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x01]);
    hasher.update(left);
    hasher.update(right);
    hasher.finalize().into()
}

/// The root of the empty tree: SHA-256 of the empty string.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// A compact key for a stored node: the level byte, then the index in big-endian, so that
/// a store's keys sort by level, then by position. A store puts its own prefix before it.
pub fn node_key(level: u8, index: u64) -> [u8; 9] {
    let mut key = [0u8; 9];
    key[0] = level;
    key[1..].copy_from_slice(&index.to_be_bytes());
    key
}

/// The right edge of the tree: the complete subtrees whose sizes are the binary digits of
/// the tree size, largest (leftmost) first. O(log n) hashes; enough to append and to give
/// the current root without reading anything.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Frontier {
    size: u64,
    /// One hash per set bit of `size`, from the highest bit to the lowest.
    subtrees: Vec<Hash>,
}

impl Frontier {
    /// The frontier of the empty tree.
    pub fn new() -> Frontier {
        Frontier::default()
    }

    /// Rebuilds the frontier of the tree of `size` leaves from stored hashes: one read per
    /// set bit of `size`, so at most 64.
    pub fn from_reader(size: u64, reader: &impl NodeReader) -> Result<Frontier, AuditError> {
        let mut subtrees = Vec::with_capacity(size.count_ones() as usize);
        let mut start = 0u64;
        for level in (0..LEVELS_MAX).rev() {
            let width = 1u64 << level;
            if size & width != 0 {
                subtrees.push(reader.node(level as u8, start >> level)?);
                start += width;
            }
        }
        debug_assert_eq!(start, size);
        Ok(Frontier { size, subtrees })
    }

    /// The frontier of `size` leaves from its right-edge subtrees, largest first, as
    /// [`Frontier::subtrees`] gave them; `None` unless there is one per set bit of `size`.
    pub fn from_subtrees(size: u64, subtrees: Vec<Hash>) -> Option<Frontier> {
        (subtrees.len() == size.count_ones() as usize).then_some(Frontier { size, subtrees })
    }

    /// The complete subtrees along the right edge, largest (leftmost) first: with the
    /// size, all a later append needs (for saving a frontier outside a store).
    pub fn subtrees(&self) -> &[Hash] {
        &self.subtrees
    }

    /// Leaves in the tree.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The root of the current tree.
    pub fn root(&self) -> Hash {
        fold_right(&self.subtrees).unwrap_or_else(empty_root)
    }

    /// Appends one leaf and returns every subtree it completed, as `(level, index, hash)`
    /// from level 0 (the leaf hash itself) upwards: exactly what the store must persist.
    ///
    /// A tree cannot reach 2^64 − 1 leaves (that is 18 quintillion events), so the size
    /// does not overflow; the debug assertion documents it.
    pub fn append(&mut self, leaf_bytes: &[u8]) -> Vec<(u8, u64, Hash)> {
        self.append_leaf_hash(leaf_hash(leaf_bytes))
    }

    /// [`Frontier::append`] for a leaf whose hash is already known (a tree built from
    /// leaf hashes alone, as benchmarks and tools do).
    pub fn append_leaf_hash(&mut self, leaf_hash: Hash) -> Vec<(u8, u64, Hash)> {
        debug_assert!(self.size < u64::MAX, "the tree is full");
        let mut hash = leaf_hash;
        let mut level = 0u8;
        let mut index = self.size;
        let mut completed = Vec::with_capacity(1 + index.trailing_ones() as usize);
        completed.push((level, index, hash));
        // An odd index at a level is a right child: its left sibling is the smallest
        // subtree on the frontier, and together they complete their parent.
        while index & 1 == 1 {
            let Some(left) = self.subtrees.pop() else {
                // Unreachable: each set low bit of the size has its subtree on the frontier.
                debug_assert!(false, "frontier shorter than the set bits of its size");
                break;
            };
            hash = node_hash(&left, &hash);
            level += 1;
            index >>= 1;
            completed.push((level, index, hash));
        }
        self.subtrees.push(hash);
        self.size += 1;
        debug_assert_eq!(self.subtrees.len(), self.size.count_ones() as usize);
        completed
    }

    /// Appends several leaves in order and returns all the subtrees they completed, for one
    /// group commit.
    pub fn append_all<'a>(
        &mut self,
        leaves: impl IntoIterator<Item = &'a [u8]>,
    ) -> Vec<(u8, u64, Hash)> {
        let mut completed = Vec::new();
        for leaf in leaves {
            completed.extend(self.append(leaf));
        }
        completed
    }
}

/// Complete-subtree hashes held in memory: for tests and for the offline verifier, which
/// rebuilds the tree from an export.
#[derive(Debug, Clone, Default)]
pub struct MemoryNodes {
    nodes: HashMap<(u8, u64), Hash>,
}

impl MemoryNodes {
    /// An empty store.
    pub fn new() -> MemoryNodes {
        MemoryNodes::default()
    }

    /// The nodes and the frontier of the tree over `leaves`, in order.
    pub fn from_leaves<B: AsRef<[u8]>>(
        leaves: impl IntoIterator<Item = B>,
    ) -> (MemoryNodes, Frontier) {
        let mut nodes = MemoryNodes::new();
        let mut frontier = Frontier::new();
        for leaf in leaves {
            nodes.extend(frontier.append(leaf.as_ref()));
        }
        (nodes, frontier)
    }

    /// Stores one complete-subtree hash.
    pub fn insert(&mut self, level: u8, index: u64, hash: Hash) {
        self.nodes.insert((level, index), hash);
    }

    /// Stores what [`Frontier::append`] returned.
    pub fn extend(&mut self, nodes: impl IntoIterator<Item = (u8, u64, Hash)>) {
        for (level, index, hash) in nodes {
            self.insert(level, index, hash);
        }
    }

    /// Stored hashes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
}

impl NodeReader for MemoryNodes {
    fn node(&self, level: u8, index: u64) -> Result<Hash, AuditError> {
        self.nodes
            .get(&(level, index))
            .copied()
            .ok_or(AuditError::MissingNode { level, index })
    }
}

/// The root of the tree of the first `size` leaves, from at most 64 stored hashes.
pub fn root_at(size: u64, reader: &impl NodeReader) -> Result<Hash, AuditError> {
    if size == 0 {
        return Ok(empty_root());
    }
    range_hash(0, size, reader)
}

/// The RFC 9162 inclusion proof (audit path) of leaf `index` in the tree of `size` leaves,
/// from the leaf's sibling up to the root's child. O(log n) stored hashes are read.
pub fn inclusion_proof(
    index: u64,
    size: u64,
    reader: &impl NodeReader,
) -> Result<Vec<Hash>, AuditError> {
    if index >= size {
        return Err(AuditError::IndexOutOfRange { index, size });
    }
    // Walk from the root down to the leaf, RFC 6962 PATH, collecting the sibling of each
    // step; the proof lists them leaf first.
    let (mut low, mut high) = (0u64, size);
    let mut proof = Vec::new();
    while high - low > 1 {
        let split = low + largest_power_of_two_below(high - low);
        if index < split {
            proof.push(range_hash(split, high, reader)?);
            high = split;
        } else {
            proof.push(range_hash(low, split, reader)?);
            low = split;
        }
    }
    proof.reverse();
    Ok(proof)
}

/// The RFC 9162 consistency proof that the tree of `old_size` leaves is a prefix of the tree
/// of `new_size` leaves. Empty when `old_size` is 0 or equals `new_size`.
pub fn consistency_proof(
    old_size: u64,
    new_size: u64,
    reader: &impl NodeReader,
) -> Result<Vec<Hash>, AuditError> {
    if old_size > new_size {
        return Err(AuditError::SizesOutOfOrder { old_size, new_size });
    }
    if old_size == 0 || old_size == new_size {
        // Still refuse a size the store does not have, so that a proof is never handed
        // out for a tree that does not exist.
        root_at(new_size, reader)?;
        return Ok(Vec::new());
    }
    // RFC 6962 SUBPROOF(m, D[low:high], whole), walked from the top; `whole` stays true
    // while the old tree is a prefix we never left, whose root the verifier already has.
    let (mut low, mut high, mut old) = (0u64, new_size, old_size);
    let mut whole = true;
    let mut proof = Vec::new();
    loop {
        if old == high - low {
            if !whole {
                proof.push(range_hash(low, high, reader)?);
            }
            break;
        }
        let half = largest_power_of_two_below(high - low);
        if old <= half {
            proof.push(range_hash(low + half, high, reader)?);
            high = low + half;
        } else {
            proof.push(range_hash(low, low + half, reader)?);
            low += half;
            old -= half;
            whole = false;
        }
    }
    proof.reverse();
    Ok(proof)
}

/// Checks an inclusion proof per RFC 9162 §2.1.3.2: that the leaf with hash `leaf_hash` is
/// leaf `index` of the tree of `size` leaves whose root is `root`.
pub fn verify_inclusion(
    leaf_hash: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), AuditError> {
    if inclusion_root(leaf_hash, index, size, proof)? != *root {
        return Err(AuditError::RootMismatch { size });
    }
    Ok(())
}

/// The root of the tree of `size` leaves that an inclusion proof of leaf `index` (with
/// hash `leaf_hash`) leads to, per RFC 9162 §2.1.3.2. A client that holds a signed head of
/// another size checks this root with a consistency proof to that head
/// ([`verify_consistency`]); on its own it proves nothing.
pub fn inclusion_root(
    leaf_hash: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
) -> Result<Hash, AuditError> {
    if index >= size {
        return Err(AuditError::IndexOutOfRange { index, size });
    }
    let expected = inclusion_proof_length(index, size);
    if proof.len() != expected {
        return Err(AuditError::ProofLength {
            expected,
            actual: proof.len(),
        });
    }
    let (mut node, mut last) = (index, size - 1);
    let mut computed = *leaf_hash;
    for sibling in proof {
        if last == 0 {
            // Unreachable after the length check; kept as the RFC's own guard.
            return Err(AuditError::ProofLength {
                expected,
                actual: proof.len(),
            });
        }
        if node & 1 == 1 || node == last {
            computed = node_hash(sibling, &computed);
            // A right-edge node with no right sibling: climb until it is a right child.
            while node & 1 == 0 && node != 0 {
                node >>= 1;
                last >>= 1;
            }
        } else {
            computed = node_hash(&computed, sibling);
        }
        node >>= 1;
        last >>= 1;
    }
    if last != 0 {
        return Err(AuditError::RootMismatch { size });
    }
    Ok(computed)
}

/// Checks a consistency proof per RFC 9162 §2.1.4.2: that the tree of `old_size` leaves with
/// root `old_root` is a prefix of the tree of `new_size` leaves with root `new_root`.
///
/// Equal sizes need an empty proof and equal roots; an old size of 0 needs an empty proof
/// and the empty tree's root as the old root.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), AuditError> {
    if old_size > new_size {
        return Err(AuditError::SizesOutOfOrder { old_size, new_size });
    }
    if old_size == 0 || old_size == new_size {
        if !proof.is_empty() {
            return Err(AuditError::ProofLength {
                expected: 0,
                actual: proof.len(),
            });
        }
        let expected_old = if old_size == 0 {
            empty_root()
        } else {
            *new_root
        };
        if *old_root != expected_old {
            return Err(AuditError::RootMismatch { size: old_size });
        }
        return Ok(());
    }
    let expected = consistency_proof_length(old_size, new_size);
    if proof.len() != expected {
        return Err(AuditError::ProofLength {
            expected,
            actual: proof.len(),
        });
    }
    // When the old tree is a complete subtree its root is the first hash of the path.
    let mut path: Vec<&Hash> = Vec::with_capacity(proof.len() + 1);
    if old_size.is_power_of_two() {
        path.push(old_root);
    }
    path.extend(proof);
    let (mut old_node, mut new_node) = (old_size - 1, new_size - 1);
    while old_node & 1 == 1 {
        old_node >>= 1;
        new_node >>= 1;
    }
    let (mut old_computed, mut new_computed) = (*path[0], *path[0]);
    for sibling in &path[1..] {
        if new_node == 0 {
            return Err(AuditError::ProofLength {
                expected,
                actual: proof.len(),
            });
        }
        if old_node & 1 == 1 || old_node == new_node {
            old_computed = node_hash(sibling, &old_computed);
            new_computed = node_hash(sibling, &new_computed);
            while old_node & 1 == 0 && old_node != 0 {
                old_node >>= 1;
                new_node >>= 1;
            }
        } else {
            new_computed = node_hash(&new_computed, sibling);
        }
        old_node >>= 1;
        new_node >>= 1;
    }
    if old_computed != *old_root {
        return Err(AuditError::RootMismatch { size: old_size });
    }
    if new_node != 0 || new_computed != *new_root {
        return Err(AuditError::RootMismatch { size: new_size });
    }
    Ok(())
}

/// The hash of leaves `[low, high)`, a range of the RFC 6962 recursion (so `low` is aligned
/// to the largest power of two below `high − low`): the complete subtrees that tile it,
/// largest first, folded from the right. At most 64 reads.
fn range_hash(low: u64, high: u64, reader: &impl NodeReader) -> Result<Hash, AuditError> {
    debug_assert!(low < high);
    let mut tiles = Vec::new();
    let mut start = low;
    while start < high {
        let level = start
            .trailing_zeros()
            .min(63 - (high - start).leading_zeros());
        tiles.push(reader.node(level as u8, start >> level)?);
        start += 1u64 << level;
    }
    fold_right(&tiles).ok_or(AuditError::SizeOutOfRange { size: high })
}

/// Folds subtree hashes, left to right and decreasing in size, into the root over them.
fn fold_right(subtrees: &[Hash]) -> Option<Hash> {
    let (last, rest) = subtrees.split_last()?;
    Some(
        rest.iter()
            .rev()
            .fold(*last, |right, left| node_hash(left, &right)),
    )
}

/// The largest power of two strictly below `n`, for `n ≥ 2`: RFC 6962's split point `k`.
fn largest_power_of_two_below(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1u64 << (63 - (n - 1).leading_zeros())
}

/// Hashes in the inclusion proof of leaf `index` in a tree of `size` leaves: the levels
/// where the leaf's path and the last leaf's path differ, plus one per right-edge subtree
/// above them.
fn inclusion_proof_length(index: u64, size: u64) -> usize {
    let inner = u64::BITS - (index ^ (size - 1)).leading_zeros();
    // `checked_shr` because a path that differs at the top bit shifts by all 64 bits.
    let border = index.checked_shr(inner).unwrap_or(0).count_ones();
    (inner + border) as usize
}

/// Hashes in the consistency proof from `old_size` to `new_size` (`0 < old < new`).
fn consistency_proof_length(old_size: u64, new_size: u64) -> usize {
    let shift = old_size.trailing_zeros();
    let last_old = old_size - 1;
    let inner = u64::BITS - (last_old ^ (new_size - 1)).leading_zeros() - shift;
    let border = last_old
        .checked_shr(inner + shift)
        .unwrap_or(0)
        .count_ones();
    let seed = usize::from(!old_size.is_power_of_two());
    seed + (inner + border) as usize
}
