//! Our RFC 6962 tree against an independent implementation, `ct-merkle`: the same roots,
//! byte-identical inclusion and consistency proofs, and each side's verifier accepts the
//! other's proofs — for every size and pair up to 64 leaves and for random large pairs.

use ct_merkle::mem_backed_tree::MemoryBackedTree;
use ct_merkle::{ConsistencyProof, InclusionProof, RootHash};
use matchledger::audit::{self, Hash, MemoryNodes};
use rand::{Rng, SeedableRng};
use sha2::Sha256;

type Reference = MemoryBackedTree<Sha256, Vec<u8>>;

fn leaf(i: u64) -> Vec<u8> {
    format!("leaf {i}").into_bytes()
}

fn concat(hashes: &[Hash]) -> Vec<u8> {
    hashes.concat()
}

fn reference_root(tree: &Reference) -> Hash {
    Hash::try_from(tree.root().as_bytes().as_slice()).expect("32 bytes")
}

/// Checks everything about the reference tree at its current size `n` against our tree
/// over the same leaves: the root, the inclusion proof of each index in `indices`, and the
/// consistency proof from each size in `olds`.
fn agree(reference: &Reference, ours: &MemoryNodes, indices: &[u64], olds: &[u64]) {
    let n = reference.len();
    let root = audit::root_at(n, ours).expect("root");
    assert_eq!(root, reference_root(reference), "root of {n}");
    let reference_root = reference.root();
    for &index in indices {
        let proof = audit::inclusion_proof(index, n, ours).expect("inclusion");
        let theirs = reference.prove_inclusion(index as usize);
        assert_eq!(
            concat(&proof),
            theirs.as_bytes(),
            "inclusion of {index} in {n}"
        );
        reference_root
            .verify_inclusion(
                &leaf(index),
                index,
                &InclusionProof::from_bytes(concat(&proof)),
            )
            .expect("ct-merkle accepts our inclusion proof");
    }
    for &old in olds {
        let proof = audit::consistency_proof(old, n, ours).expect("consistency");
        let old_root = audit::root_at(old, ours).expect("old root");
        audit::verify_consistency(old, n, &old_root, &root, &proof).expect("we accept ours");
        if old == 0 || old == n {
            // ct-merkle has no proof from the empty tree or between equal sizes; RFC 9162
            // makes both empty, which ours are.
            assert!(proof.is_empty());
            continue;
        }
        let theirs = reference.prove_consistency((n - old) as usize);
        assert_eq!(
            concat(&proof),
            theirs.as_bytes(),
            "consistency {old} to {n}"
        );
        let old_reference = RootHash::<Sha256>::new(
            *ct_merkle::digest::Output::<Sha256>::from_slice(&old_root),
            old,
        );
        reference_root
            .verify_consistency(
                &old_reference,
                &ConsistencyProof::try_from_bytes(concat(&proof)).expect("whole hashes"),
            )
            .expect("ct-merkle accepts our consistency proof");
    }
}

#[test]
fn roots_and_every_proof_up_to_64_leaves_agree_with_ct_merkle() {
    let leaves: Vec<Vec<u8>> = (0..64).map(leaf).collect();
    let (ours, _) = MemoryNodes::from_leaves(&leaves);
    let mut reference = Reference::new();
    assert_eq!(reference_root(&reference), audit::empty_root());
    for n in 1..=64u64 {
        reference.push(leaf(n - 1));
        let every_index: Vec<u64> = (0..n).collect();
        let every_old: Vec<u64> = (0..=n).collect();
        agree(&reference, &ours, &every_index, &every_old);
    }
}

#[test]
fn random_large_pairs_agree_with_ct_merkle() {
    const LEAVES: u64 = 20_000;
    const SIZES: usize = 12;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(6962);
    let leaves: Vec<Vec<u8>> = (0..LEAVES).map(leaf).collect();
    let (ours, _) = MemoryNodes::from_leaves(&leaves);
    let mut sizes: Vec<u64> = (0..SIZES).map(|_| rng.gen_range(2..=LEAVES)).collect();
    sizes.extend([LEAVES, 16_384, 16_385]);
    sizes.sort_unstable();
    sizes.dedup();

    let mut reference = Reference::new();
    for n in sizes {
        while reference.len() < n {
            reference.push(leaf(reference.len()));
        }
        let indices: Vec<u64> = (0..8)
            .map(|_| rng.gen_range(0..n))
            .chain([0, n - 1])
            .collect();
        let olds: Vec<u64> = (0..8)
            .map(|_| rng.gen_range(1..n))
            .chain([1, n - 1, n.next_power_of_two() / 2])
            .filter(|old| *old < n)
            .collect();
        agree(&reference, &ours, &indices, &olds);
    }
}
