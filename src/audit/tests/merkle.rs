//! The stored-hash tree against a naive recursive RFC 6962 (MTH, PATH, PROOF), known
//! answers from the RFC 6962 test vectors used by Go and Trillian, and tampering.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;

use proptest::prelude::*;
use sha2::{Digest, Sha256};

use crate::audit::merkle::*;
use crate::audit::AuditError;

// ---- The naive reference: RFC 6962 §2.1 written out literally. ----

fn naive_leaf(bytes: &[u8]) -> Hash {
    Sha256::digest([&[0u8][..], bytes].concat()).into()
}

fn naive_node(left: Hash, right: Hash) -> Hash {
    Sha256::digest([&[1u8][..], &left, &right].concat()).into()
}

/// RFC 6962's k: the largest power of two smaller than n.
fn naive_split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// MTH, PATH and PROOF over `D[lo:hi]` of a fixed list of leaves. MTH is memoised by range
/// only because unoptimised SHA-256 is slow; the recursion is the RFC's.
struct Naive {
    leaves: Vec<Vec<u8>>,
    memo: RefCell<HashMap<(usize, usize), Hash>>,
}

impl Naive {
    fn new(leaves: &[Vec<u8>]) -> Naive {
        Naive {
            leaves: leaves.to_vec(),
            memo: RefCell::new(HashMap::new()),
        }
    }

    fn mth(&self, lo: usize, hi: usize) -> Hash {
        if let Some(hash) = self.memo.borrow().get(&(lo, hi)) {
            return *hash;
        }
        let hash = match hi - lo {
            0 => Sha256::digest(b"").into(),
            1 => naive_leaf(&self.leaves[lo]),
            n => {
                let k = naive_split(n);
                naive_node(self.mth(lo, lo + k), self.mth(lo + k, hi))
            }
        };
        self.memo.borrow_mut().insert((lo, hi), hash);
        hash
    }

    fn path(&self, m: usize, lo: usize, hi: usize) -> Vec<Hash> {
        let n = hi - lo;
        if n <= 1 {
            return Vec::new();
        }
        let k = naive_split(n);
        let (mut path, sibling) = if m < k {
            (self.path(m, lo, lo + k), self.mth(lo + k, hi))
        } else {
            (self.path(m - k, lo + k, hi), self.mth(lo, lo + k))
        };
        path.push(sibling);
        path
    }

    fn subproof(&self, m: usize, lo: usize, hi: usize, whole: bool) -> Vec<Hash> {
        let n = hi - lo;
        if m == n {
            return if whole {
                Vec::new()
            } else {
                vec![self.mth(lo, hi)]
            };
        }
        let k = naive_split(n);
        let (mut proof, sibling) = if m <= k {
            (self.subproof(m, lo, lo + k, whole), self.mth(lo + k, hi))
        } else {
            (
                self.subproof(m - k, lo + k, hi, false),
                self.mth(lo, lo + k),
            )
        };
        proof.push(sibling);
        proof
    }

    fn proof(&self, m: usize, n: usize) -> Vec<Hash> {
        if m == 0 || m == n {
            return Vec::new();
        }
        self.subproof(m, 0, n, true)
    }
}

fn naive_mth(leaves: &[Vec<u8>]) -> Hash {
    Naive::new(leaves).mth(0, leaves.len())
}

// ---- Fixtures. ----

fn leaves(count: usize) -> Vec<Vec<u8>> {
    (0..count)
        .map(|i| format!("event {i}").into_bytes())
        .collect()
}

fn tree(count: usize) -> (Vec<Vec<u8>>, MemoryNodes, Frontier) {
    let leaves = leaves(count);
    let (nodes, frontier) = MemoryNodes::from_leaves(&leaves);
    (leaves, nodes, frontier)
}

/// One large tree shared by the property tests: its leaves, nodes and the root of every
/// prefix (from the frontier, which shares no code with the proofs).
fn large_tree() -> &'static (Vec<Vec<u8>>, MemoryNodes, Vec<Hash>) {
    static TREE: OnceLock<(Vec<Vec<u8>>, MemoryNodes, Vec<Hash>)> = OnceLock::new();
    TREE.get_or_init(|| {
        let leaves = leaves(5000);
        let mut nodes = MemoryNodes::new();
        let mut frontier = Frontier::new();
        let mut roots = vec![frontier.root()];
        for leaf in &leaves {
            nodes.extend(frontier.append(leaf));
            roots.push(frontier.root());
        }
        (leaves, nodes, roots)
    })
}

/// Leaves of the larger tree the few slower property cases use.
const LARGER_LEAVES: u64 = 100_000;

/// A larger tree, leaf hashes only, for pairs far beyond the 5,000-leaf tree: its nodes
/// and the leaf hashes. Roots come from [`Frontier::from_reader`], which folds the right
/// edge rather than tiling ranges as the proofs do.
fn larger_tree() -> &'static (Vec<Hash>, MemoryNodes) {
    static TREE: OnceLock<(Vec<Hash>, MemoryNodes)> = OnceLock::new();
    TREE.get_or_init(|| {
        let hashes: Vec<Hash> = (0..LARGER_LEAVES)
            .map(|i| leaf_hash(format!("event {i}").as_bytes()))
            .collect();
        let mut nodes = MemoryNodes::new();
        let mut frontier = Frontier::new();
        for hash in &hashes {
            nodes.extend(frontier.append_leaf_hash(*hash));
        }
        (hashes, nodes)
    })
}

fn frontier_root(size: u64, nodes: &MemoryNodes) -> Hash {
    Frontier::from_reader(size, nodes).unwrap().root()
}

fn hex_hash(text: &str) -> Hash {
    hex::decode(text).unwrap().try_into().unwrap()
}

/// The eight leaves of the RFC 6962 test vectors (Go's tlog, Trillian, transparency-dev).
fn rfc_leaves() -> Vec<Vec<u8>> {
    [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
    .iter()
    .map(|leaf| hex::decode(leaf).unwrap())
    .collect()
}

/// Their roots for sizes 1 to 8.
const RFC_ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

/// Asks for the inclusion proof of `leaf` at `index` in the tree of `size` leaves with
/// `root`, checks that it verifies and that every tampering is refused, and returns it.
fn check_inclusion(
    index: u64,
    size: u64,
    leaf: &[u8],
    root: &Hash,
    nodes: &MemoryNodes,
) -> Vec<Hash> {
    let proof = inclusion_proof(index, size, nodes).unwrap();
    let leaf = leaf_hash(leaf);
    verify_inclusion(&leaf, index, size, &proof, root).unwrap();
    assert_eq!(inclusion_root(&leaf, index, size, &proof).unwrap(), *root);

    assert!(verify_inclusion(&leaf_hash(b"not this one"), index, size, &proof, root).is_err());
    assert!(verify_inclusion(&leaf, index, size, &proof, &empty_root()).is_err());
    assert!(verify_inclusion(&leaf, index + 1, size, &proof, root).is_err());
    if index > 0 {
        assert!(verify_inclusion(&leaf, index - 1, size, &proof, root).is_err());
    }
    // A size with the same path shape (size 3 and 4 for leaf 0) proves the same root: the
    // size is bound by the signed tree head, not by the proof. A different height fails.
    assert!(verify_inclusion(&leaf, index, size * 2, &proof, root).is_err());
    for position in 0..proof.len() {
        let mut flipped = proof.clone();
        flipped[position][position % 32] ^= 0x08;
        assert!(verify_inclusion(&leaf, index, size, &flipped, root).is_err());
    }
    let mut longer = proof.clone();
    longer.push(*root);
    assert!(verify_inclusion(&leaf, index, size, &longer, root).is_err());
    if !proof.is_empty() {
        assert!(verify_inclusion(&leaf, index, size, &proof[1..], root).is_err());
    }
    proof
}

/// The same for the consistency proof between two trees with known roots.
fn check_consistency(sizes: (u64, u64), roots: (&Hash, &Hash), nodes: &MemoryNodes) -> Vec<Hash> {
    let ((old, new), (old_root, new_root)) = (sizes, roots);
    let proof = consistency_proof(old, new, nodes).unwrap();
    verify_consistency(old, new, old_root, new_root, &proof).unwrap();
    if old == 0 {
        // Every tree extends the empty one: there is nothing more to tamper with.
        return proof;
    }
    if old != new {
        assert!(verify_consistency(old, new, new_root, old_root, &proof).is_err());
    }
    assert!(verify_consistency(old, new, old_root, &empty_root(), &proof).is_err());
    assert!(verify_consistency(old, new, &leaf_hash(b"x"), new_root, &proof).is_err());
    assert!(verify_consistency(old, new * 2, old_root, new_root, &proof).is_err());
    assert!(verify_consistency(old + 1, new, old_root, new_root, &proof).is_err());
    assert!(verify_consistency(old - 1, new, old_root, new_root, &proof).is_err());
    for position in 0..proof.len() {
        let mut flipped = proof.clone();
        flipped[position][31 - position % 32] ^= 0x10;
        assert!(verify_consistency(old, new, old_root, new_root, &flipped).is_err());
    }
    let mut longer = proof.clone();
    longer.push(*new_root);
    assert!(verify_consistency(old, new, old_root, new_root, &longer).is_err());
    if !proof.is_empty() {
        let shorter = &proof[..proof.len() - 1];
        assert!(verify_consistency(old, new, old_root, new_root, shorter).is_err());
    }
    proof
}

// ---- Roots. ----

#[test]
fn rfc_6962_test_vector_roots_are_reproduced_by_naive_and_stored_trees() {
    let leaves = rfc_leaves();
    let (nodes, frontier) = MemoryNodes::from_leaves(&leaves);
    for (size, expected) in (1u64..=8).zip(RFC_ROOTS) {
        let expected = hex_hash(expected);
        assert_eq!(
            naive_mth(&leaves[..size as usize]),
            expected,
            "naive, size {size}"
        );
        assert_eq!(
            root_at(size, &nodes).unwrap(),
            expected,
            "stored, size {size}"
        );
    }
    assert_eq!(frontier.root(), hex_hash(RFC_ROOTS[7]));
}

#[test]
fn rfc_6962_test_vector_proofs_are_reproduced() {
    // Given the RFC 6962 leaves, when proofs are asked, then they equal the published ones
    // (transparency-dev/merkle's verify_test.go; its leaf numbers are 1-based).
    let (nodes, _) = MemoryNodes::from_leaves(rfc_leaves());
    let inclusion = [
        (
            0,
            8,
            vec![
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            5,
            8,
            vec![
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            3,
            vec!["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
        ),
        (
            1,
            5,
            vec![
                "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
    ];
    for (index, size, expected) in inclusion {
        let expected: Vec<Hash> = expected.into_iter().map(hex_hash).collect();
        assert_eq!(inclusion_proof(index, size, &nodes).unwrap(), expected);
    }
    let consistency = [
        (
            1,
            8,
            vec![
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            6,
            8,
            vec![
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            5,
            vec![
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
        (
            6,
            7,
            vec![
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
    ];
    for (old, new, expected) in consistency {
        let expected: Vec<Hash> = expected.into_iter().map(hex_hash).collect();
        assert_eq!(consistency_proof(old, new, &nodes).unwrap(), expected);
    }
}

#[test]
fn empty_tree_root_is_sha256_of_nothing() {
    let expected = hex_hash("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_eq!(empty_root(), expected);
    assert_eq!(Frontier::new().root(), expected);
    assert_eq!(root_at(0, &MemoryNodes::new()).unwrap(), expected);
}

#[test]
fn roots_of_every_small_size_and_some_large_ones_equal_the_naive_root() {
    let (leaves, nodes, _) = tree(4097);
    for size in (0..=17).chain([31, 32, 33, 64, 1000, 1023, 1024, 4096, 4097]) {
        let expected = naive_mth(&leaves[..size]);
        assert_eq!(
            root_at(size as u64, &nodes).unwrap(),
            expected,
            "size {size}"
        );
    }
}

#[test]
fn frontier_root_equals_naive_root_after_every_append() {
    let leaves = leaves(100);
    let mut frontier = Frontier::new();
    for size in 1..=leaves.len() {
        frontier.append(&leaves[size - 1]);
        assert_eq!(frontier.size(), size as u64);
        assert_eq!(frontier.root(), naive_mth(&leaves[..size]), "size {size}");
    }
}

#[test]
fn append_returns_exactly_the_subtrees_it_completes() {
    // Given a tree of 7 leaves, when the 8th is appended, then the leaf and its three
    // ancestors complete, the last of them being the whole tree.
    let (leaves, _, mut frontier) = tree(7);
    let extra = b"event 7".to_vec();
    let completed = frontier.append(&extra);
    let positions: Vec<(u8, u64)> = completed.iter().map(|(l, i, _)| (*l, *i)).collect();
    assert_eq!(positions, vec![(0, 7), (1, 3), (2, 1), (3, 0)]);
    let mut all = leaves;
    all.push(extra);
    assert_eq!(completed[3].2, naive_mth(&all));
    // And the store holds one hash per complete subtree: 2n − popcount(n) of them.
    let (_, nodes, _) = tree(1000);
    assert_eq!(nodes.len(), 2 * 1000 - 1000u64.count_ones() as usize);
}

#[test]
fn append_all_equals_appending_one_by_one() {
    let leaves = leaves(37);
    let mut one_by_one = Frontier::new();
    let mut expected = Vec::new();
    for leaf in &leaves {
        expected.extend(one_by_one.append(leaf));
    }
    let mut batched = Frontier::new();
    let completed = batched.append_all(leaves.iter().map(Vec::as_slice));
    assert_eq!(completed, expected);
    assert_eq!(batched, one_by_one);
}

#[test]
fn frontier_rebuilt_from_stored_hashes_continues_identically() {
    let (leaves, nodes, _) = tree(300);
    for size in [0u64, 1, 2, 3, 7, 8, 100, 255, 256, 257, 300] {
        let mut rebuilt = Frontier::from_reader(size, &nodes).unwrap();
        let (_, mut fresh) = MemoryNodes::from_leaves(&leaves[..size as usize]);
        assert_eq!(rebuilt, fresh, "size {size}");
        assert_eq!(rebuilt.append(b"next"), fresh.append(b"next"));
    }
    assert_eq!(
        Frontier::from_reader(301, &nodes),
        Err(AuditError::MissingNode {
            level: 0,
            index: 300
        })
    );
}

#[test]
fn node_keys_sort_by_level_then_index() {
    assert_eq!(node_key(2, 5), [2, 0, 0, 0, 0, 0, 0, 0, 5]);
    assert!(node_key(0, u64::MAX) < node_key(1, 0));
    assert!(node_key(1, 255) < node_key(1, 256));
}

// ---- Proofs. ----

#[test]
fn every_inclusion_proof_up_to_size_64_matches_naive_and_verifies() {
    let (leaves, nodes, _) = tree(64);
    let naive = Naive::new(&leaves);
    for size in 1..=64usize {
        let root = naive.mth(0, size);
        for (index, leaf) in leaves[..size].iter().enumerate() {
            let proof = check_inclusion(index as u64, size as u64, leaf, &root, &nodes);
            assert_eq!(proof, naive.path(index, 0, size), "leaf {index} of {size}");
        }
    }
}

#[test]
fn every_consistency_proof_up_to_size_64_matches_naive_and_verifies() {
    let (leaves, nodes, _) = tree(64);
    let naive = Naive::new(&leaves);
    for new in 0..=64usize {
        for old in 0..=new {
            let roots = (&naive.mth(0, old), &naive.mth(0, new));
            let proof = check_consistency((old as u64, new as u64), roots, &nodes);
            assert_eq!(proof, naive.proof(old, new), "{old} to {new}");
        }
    }
}

proptest! {
    #[test]
    fn inclusion_proofs_in_large_trees_verify(size in 1u64..=5000, seed in any::<u64>()) {
        let (leaves, nodes, roots) = large_tree();
        let index = seed % size;
        check_inclusion(index, size, &leaves[index as usize], &roots[size as usize], nodes);
    }

    #[test]
    fn consistency_proofs_in_large_trees_verify(new in 0u64..=5000, seed in any::<u64>()) {
        let (_, nodes, roots) = large_tree();
        let old = seed % (new + 1);
        check_consistency((old, new), (&roots[old as usize], &roots[new as usize]), nodes);
    }
}

proptest! {
    // Few cases: each proof is cheap, but the tree takes a moment to build in a debug build.
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn inclusion_and_consistency_proofs_in_a_100k_tree_verify(
        new in 1u64..=LARGER_LEAVES,
        seeds in any::<(u64, u64)>(),
    ) {
        let (hashes, nodes) = larger_tree();
        let (index, old) = (seeds.0 % new, seeds.1 % (new + 1));
        let new_root = frontier_root(new, nodes);
        let path = inclusion_proof(index, new, nodes).unwrap();
        verify_inclusion(&hashes[index as usize], index, new, &path, &new_root).unwrap();
        prop_assert!(verify_inclusion(&hashes[index as usize], index, new, &path, &empty_root()).is_err());
        let old_root = frontier_root(old, nodes);
        let proof = consistency_proof(old, new, nodes).unwrap();
        verify_consistency(old, new, &old_root, &new_root, &proof).unwrap();
        if old > 0 && old < new {
            prop_assert!(verify_consistency(old, new, &new_root, &old_root, &proof).is_err());
        }
    }
}

#[test]
fn large_proofs_equal_the_naive_ones() {
    let (leaves, nodes, _) = large_tree();
    let naive = Naive::new(leaves);
    for (old, new) in [
        (1usize, 5000usize),
        (1000, 4097),
        (2047, 4999),
        (4096, 4097),
        (3333, 3334),
    ] {
        assert_eq!(
            consistency_proof(old as u64, new as u64, nodes).unwrap(),
            naive.proof(old, new)
        );
        assert_eq!(
            inclusion_proof(old as u64, new as u64, nodes).unwrap(),
            naive.path(old, 0, new)
        );
    }
}

#[test]
fn proofs_read_a_logarithmic_number_of_stored_hashes() {
    struct Counting<'a>(&'a MemoryNodes, std::cell::Cell<usize>);
    impl NodeReader for Counting<'_> {
        fn node(&self, level: u8, index: u64) -> Result<Hash, AuditError> {
            self.1.set(self.1.get() + 1);
            self.0.node(level, index)
        }
    }
    let (_, nodes, _) = large_tree();
    let reader = Counting(nodes, std::cell::Cell::new(0));
    // 4999 = 0b1001110000111: 13 levels, so a proof needs at most ~3 × 13 reads.
    for (old, new) in [(1u64, 4999u64), (2047, 4999), (3333, 4999), (4998, 4999)] {
        reader.1.set(0);
        consistency_proof(old, new, &reader).unwrap();
        assert!(
            reader.1.get() <= 40,
            "{old}→{new}: {} reads",
            reader.1.get()
        );
        reader.1.set(0);
        inclusion_proof(old, new, &reader).unwrap();
        assert!(
            reader.1.get() <= 40,
            "leaf {old} of {new}: {} reads",
            reader.1.get()
        );
    }
}

// ---- Refusals. ----

#[test]
fn out_of_range_indices_and_sizes_are_errors() {
    let (_, nodes, _) = tree(10);
    let some = leaf_hash(b"x");
    assert_eq!(
        inclusion_proof(10, 10, &nodes),
        Err(AuditError::IndexOutOfRange {
            index: 10,
            size: 10
        })
    );
    assert_eq!(
        inclusion_proof(0, 0, &nodes),
        Err(AuditError::IndexOutOfRange { index: 0, size: 0 })
    );
    assert!(matches!(
        inclusion_proof(3, 11, &nodes),
        Err(AuditError::MissingNode { .. })
    ));
    assert!(matches!(
        root_at(11, &nodes),
        Err(AuditError::MissingNode { .. })
    ));
    assert_eq!(
        consistency_proof(5, 4, &nodes),
        Err(AuditError::SizesOutOfOrder {
            old_size: 5,
            new_size: 4
        })
    );
    assert!(matches!(
        consistency_proof(0, 11, &nodes),
        Err(AuditError::MissingNode { .. })
    ));
    assert!(matches!(
        consistency_proof(4, 12, &nodes),
        Err(AuditError::MissingNode { .. })
    ));
    assert_eq!(
        verify_inclusion(&some, 0, 0, &[], &some),
        Err(AuditError::IndexOutOfRange { index: 0, size: 0 })
    );
    assert_eq!(
        verify_inclusion(&some, u64::MAX, u64::MAX, &[], &some),
        Err(AuditError::IndexOutOfRange {
            index: u64::MAX,
            size: u64::MAX
        })
    );
    assert_eq!(
        verify_consistency(5, 4, &some, &some, &[]),
        Err(AuditError::SizesOutOfOrder {
            old_size: 5,
            new_size: 4
        })
    );
}

#[test]
fn extreme_sizes_are_refused_without_panicking() {
    let some = leaf_hash(b"x");
    let proof = vec![some; 3];
    for (index, size) in [(0, u64::MAX), (u64::MAX - 1, u64::MAX), (1 << 63, u64::MAX)] {
        assert!(verify_inclusion(&some, index, size, &proof, &some).is_err());
    }
    for (old, new) in [(1, u64::MAX), (u64::MAX - 1, u64::MAX), (1 << 63, u64::MAX)] {
        assert!(verify_consistency(old, new, &some, &some, &proof).is_err());
    }
    let nodes = MemoryNodes::new();
    assert!(root_at(u64::MAX, &nodes).is_err());
    assert!(inclusion_proof(u64::MAX - 1, u64::MAX, &nodes).is_err());
    assert!(consistency_proof(u64::MAX - 1, u64::MAX, &nodes).is_err());
    assert!(Frontier::from_reader(u64::MAX, &nodes).is_err());
}

#[test]
fn a_proof_of_the_wrong_length_says_how_long_it_should_be() {
    let (_, nodes, frontier) = tree(8);
    let proof = inclusion_proof(3, 8, &nodes).unwrap();
    assert_eq!(
        verify_inclusion(&leaf_hash(b"event 3"), 3, 8, &proof[..2], &frontier.root()),
        Err(AuditError::ProofLength {
            expected: 3,
            actual: 2
        })
    );
    let old_root = root_at(3, &nodes).unwrap();
    assert_eq!(
        verify_consistency(3, 8, &old_root, &frontier.root(), &[]),
        Err(AuditError::ProofLength {
            expected: 4,
            actual: 0
        })
    );
}

#[test]
fn consistency_between_equal_or_empty_trees_needs_no_proof_and_the_right_roots() {
    let (_, nodes, frontier) = tree(5);
    let root = frontier.root();
    verify_consistency(5, 5, &root, &root, &[]).unwrap();
    verify_consistency(0, 5, &empty_root(), &root, &[]).unwrap();
    verify_consistency(0, 0, &empty_root(), &empty_root(), &[]).unwrap();
    assert_eq!(
        verify_consistency(5, 5, &root, &empty_root(), &[]),
        Err(AuditError::RootMismatch { size: 5 })
    );
    assert_eq!(
        verify_consistency(0, 5, &root, &root, &[]),
        Err(AuditError::RootMismatch { size: 0 })
    );
    assert_eq!(
        verify_consistency(5, 5, &root, &root, &[root]),
        Err(AuditError::ProofLength {
            expected: 0,
            actual: 1
        })
    );
    assert_eq!(consistency_proof(5, 5, &nodes).unwrap(), Vec::<Hash>::new());
}

#[test]
fn a_rewritten_history_fails_consistency() {
    // Given a log of 10 events and a copy where event 4 was rewritten, when the copy grows
    // to 12, then no proof from the honest 10 to the rewritten 12 verifies.
    let (honest, honest_nodes, _) = tree(10);
    let mut rewritten = leaves(12);
    rewritten[4] = b"event 4, edited".to_vec();
    let (forged_nodes, forged) = MemoryNodes::from_leaves(&rewritten);
    let old_root = root_at(10, &honest_nodes).unwrap();
    let proof = consistency_proof(10, 12, &forged_nodes).unwrap();
    assert_eq!(
        verify_consistency(10, 12, &old_root, &forged.root(), &proof),
        Err(AuditError::RootMismatch { size: 10 })
    );
    assert_eq!(honest.len(), 10);
}
