//! Inclusion and consistency proofs from the persisted Merkle tree at a million leaves.
//!
//! The tree is a [`NodeTree`]: the store's own node layout and sled reader, built from
//! leaf hashes alone (SHA-256 of `0x00 ‖ "event {i}"`) because a proof reads only stored
//! subtree hashes, never events. Building it takes a few seconds; it is cached under
//! `target/bench-data/`, keyed by [`BENCH_DATA_VERSION`] and the leaf count; delete that
//! directory to rebuild.
//!
//! Timed by criterion, each proof for a random position (a fixed seed, so every run asks
//! the same questions):
//! - `inclusion/head`: leaf `i` in the tree of all `LEAVES` leaves;
//! - `inclusion/head_warm`: the same over 64 positions only, so every node it reads is in
//!   sled's cache after the warm-up (the cost of the proof itself, not of cold pages);
//! - `inclusion/any_size`: leaf `i` in a random smaller tree `m`, with the consistency
//!   proof from `m` to the head that `GetInclusionProof` returns beside it;
//! - `consistency/head`: from a random old size to the head;
//! - `root_at`: the root of a random size.
//!
//! A store keeps only levels 3 and up of its tree and hashes the lowest levels afresh
//! from the events (two or three block reads per proof), which a tree of leaf hashes
//! cannot show. `proofs_store_1m` therefore asks the same inclusion questions of a real
//! [`Store`] of a million small events, cached beside the tree.
//!
//! Run with `cargo bench --bench proofs`.

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion};
use rand::{Rng, SeedableRng};

use chrono::{NaiveDate, Utc};
use matchledger::audit::{self, Hash};
use matchledger::domain::event::ContributorRegistered;
use matchledger::domain::{ContributorId, Event, EventId, EventMeta};
use matchledger::store::{NodeTree, PendingEvent, Store};

/// Bump when the way the cached tree is built changes, so that a stale one is rebuilt.
const BENCH_DATA_VERSION: u32 = 1;

/// Leaves in the tree.
const LEAVES: u64 = 1_000_000;

/// Leaves appended per sled batch while building.
const BUILD_BATCH_LEAVES: usize = 65_536;

/// Random positions each benchmark cycles through.
const POSITIONS: usize = 4_096;

/// The cached tree's directory, inside the build's target directory.
fn data_dir() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let target = tmp.parent().unwrap_or(tmp);
    target
        .join("bench-data")
        .join(format!("proofs-v{BENCH_DATA_VERSION}-{LEAVES}"))
}

/// Opens the cached tree, building it first if it is absent or incomplete.
fn cached_tree() -> NodeTree {
    support::cached(
        &data_dir(),
        "a tree of leaf hashes",
        |dir| NodeTree::open(dir).expect("tree opens"),
        |tree| tree.size() == LEAVES,
        |tree| {
            let mut hashes: Vec<Hash> = Vec::with_capacity(BUILD_BATCH_LEAVES);
            for i in 0..LEAVES {
                hashes.push(audit::leaf_hash(format!("event {i}").as_bytes()));
                if hashes.len() == BUILD_BATCH_LEAVES {
                    tree.append_leaf_hashes(&hashes).expect("appended");
                    hashes.clear();
                }
            }
            tree.append_leaf_hashes(&hashes).expect("appended");
            tree.flush().expect("flushed");
            tree.size()
        },
    )
}

/// Events appended per `Store::append` while building the cached store.
const BUILD_BATCH_EVENTS: u64 = 4_096;

/// Opens the cached store of `LEAVES` events, building it first if absent or incomplete.
fn cached_store() -> Store {
    support::cached(
        &data_dir().with_file_name(format!("proofs-store-v{BENCH_DATA_VERSION}-{LEAVES}")),
        "a store of small events",
        |dir| Store::open(dir).expect("store opens"),
        |store| store.head().sequence == LEAVES,
        |store| {
            for first in (0..LEAVES).step_by(BUILD_BATCH_EVENTS as usize) {
                let events = (first..LEAVES.min(first + BUILD_BATCH_EVENTS))
                    .map(registration)
                    .collect();
                store.append(events, Vec::new()).expect("appended");
            }
            store
                .set_verified_checkpoint(store.head())
                .expect("checkpoint saved");
            store.head().sequence
        },
    )
}

/// The `i`th event of the cached store: a contributor's registration.
fn registration(i: u64) -> PendingEvent {
    PendingEvent {
        meta: EventMeta {
            id: EventId::generate(),
            recorded_at: Utc::now(),
            effective_date: NaiveDate::from_ymd_opt(2018, 9, 1).expect("a valid date"),
            actor: "admin".into(),
            idempotency_key: format!("register-{i}"),
            external_ref: None,
            metadata: Vec::new(),
        },
        event: Event::ContributorRegistered(ContributorRegistered {
            contributor: ContributorId::from_uuid(uuid::Uuid::from_u128(i as u128 + 1)),
            name: format!("contributor {i}"),
        }),
    }
}

/// Inclusion proofs from a real store, whose lowest tree levels come from the events.
fn store_proofs(c: &mut Criterion) {
    let store = cached_store();
    let (head, root) = store.tree_head().expect("tree head");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(6962);
    let positions: Vec<u64> = (0..POSITIONS).map(|_| rng.gen_range(0..head)).collect();
    for &index in positions.iter().take(64) {
        let leaf = store.raw(index + 1).expect("read").expect("stored");
        let proof = audit::inclusion_proof(index, head, &store).expect("proof");
        audit::verify_inclusion(&audit::leaf_hash(&leaf), index, head, &proof, &root)
            .expect("verifies");
    }
    let mut group = c.benchmark_group("proofs_store_1m");
    let mut next = positions.iter().cycle();
    group.bench_function("inclusion/head", |b| {
        b.iter(|| {
            let index = next.next().copied().unwrap_or_default();
            black_box(audit::inclusion_proof(index, head, &store).expect("proof"))
        })
    });
    let mut warm = positions[..64].iter().cycle();
    group.bench_function("inclusion/head_warm", |b| {
        b.iter(|| {
            let index = warm.next().copied().unwrap_or_default();
            black_box(audit::inclusion_proof(index, head, &store).expect("proof"))
        })
    });
    group.finish();
}

fn proofs(c: &mut Criterion) {
    let tree = cached_tree();
    let head = tree.size();
    let root = tree.root();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(6962);
    // (leaf index, smaller tree size holding it)
    let positions: Vec<(u64, u64)> = (0..POSITIONS)
        .map(|_| {
            let index = rng.gen_range(0..head);
            (index, rng.gen_range(index + 1..=head))
        })
        .collect();

    // Every answer is checked once, so the figures are for correct proofs.
    for &(index, size) in positions.iter().take(64) {
        let leaf = audit::leaf_hash(format!("event {index}").as_bytes());
        let proof = audit::inclusion_proof(index, head, &tree).expect("proof");
        audit::verify_inclusion(&leaf, index, head, &proof, &root).expect("verifies");
        let path = audit::inclusion_proof(index, size, &tree).expect("proof");
        let at = audit::inclusion_root(&leaf, index, size, &path).expect("root");
        let to_head = audit::consistency_proof(size, head, &tree).expect("proof");
        audit::verify_consistency(size, head, &at, &root, &to_head).expect("consistent");
    }

    let mut group = c.benchmark_group("proofs_1m");
    let mut next = positions.iter().cycle();
    group.bench_function("inclusion/head", |b| {
        b.iter(|| {
            let (index, _) = next.next().copied().unwrap_or_default();
            black_box(audit::inclusion_proof(index, head, &tree).expect("proof"))
        })
    });
    group.bench_function("inclusion/any_size", |b| {
        b.iter(|| {
            let (index, size) = next.next().copied().unwrap_or_default();
            let path = audit::inclusion_proof(index, size, &tree).expect("proof");
            let to_head = audit::consistency_proof(size, head, &tree).expect("proof");
            black_box((path, to_head))
        })
    });
    // The same questions over 64 positions only: after the warm-up every stored node they
    // read is in sled's page cache, which isolates the cost of cold pages above.
    let mut warm = positions[..64].iter().cycle();
    group.bench_function("inclusion/head_warm", |b| {
        b.iter(|| {
            let (index, _) = warm.next().copied().unwrap_or_default();
            black_box(audit::inclusion_proof(index, head, &tree).expect("proof"))
        })
    });
    group.bench_function("consistency/head", |b| {
        b.iter(|| {
            let (_, old) = next.next().copied().unwrap_or_default();
            black_box(audit::consistency_proof(old, head, &tree).expect("proof"))
        })
    });
    group.bench_function("root_at", |b| {
        b.iter(|| {
            let (_, size) = next.next().copied().unwrap_or_default();
            black_box(audit::root_at(size, &tree).expect("root"))
        })
    });
    group.finish();
    eprintln!("load average {}", support::load_average());
}

mod support;

criterion_group!(benches, proofs, store_proofs);
criterion_main!(benches);
