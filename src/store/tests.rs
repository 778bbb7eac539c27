//! Behaviour of the store on a real sled directory: durability across reopen, block
//! packing, damage detection, indexes and snapshots.

use prost::Message;
use tempfile::TempDir;

use super::fixtures::{batch, padded, pending};
use super::layout::{block_key, block_keys_end, parse_block_key};
use super::*;
// These tests reach into sled's files: the sled store itself, not the facade.
use super::SledStore as Store;
use crate::limits::{BLOCK_BYTES_MAX, BLOCK_EVENTS_MAX, BLOCK_REOPEN_EVENTS_MAX, EVENT_BYTES_MAX};

fn open(dir: &TempDir) -> Store {
    Store::open(dir.path()).unwrap()
}

/// The first sequence and event count of every stored block, in order.
pub(super) fn blocks(store: &Store) -> Vec<(u64, usize, usize)> {
    store
        .inner
        .db
        .range(..block_keys_end())
        .map(|entry| {
            let (key, value) = entry.unwrap();
            let first = parse_block_key(&key).unwrap();
            let count = codec::decode_block(first, &value).unwrap().len();
            (first, count, value.len())
        })
        .collect()
}

/// Rewrites stored event `sequence` with `change` applied to its bytes, bypassing the
/// store, as damage on disk would.
pub(super) fn tamper(store: &Store, sequence: u64, change: impl FnOnce(&mut Vec<u8>)) {
    let db = &store.inner.db;
    let (key, value) = db
        .range(..=block_key(sequence))
        .next_back()
        .unwrap()
        .unwrap();
    let first = parse_block_key(&key).unwrap();
    let mut block = proto::EventBlock::decode(&*value).unwrap();
    change(&mut block.events[(sequence - first) as usize]);
    db.insert(key, block.encode_to_vec()).unwrap();
    db.flush().unwrap();
}

/// Replaces the first `alice` in the bytes with `blice`: still a valid event, but not
/// the one that was written.
pub(super) fn flip_actor(bytes: &mut [u8]) {
    let at = bytes.windows(5).position(|w| w == b"alice").unwrap();
    bytes[at] ^= 0x03;
}

fn assert_chain(events: &[RecordedEvent], first: u64) {
    for (event, sequence) in events.iter().zip(first..) {
        assert_eq!(event.sequence, sequence);
        assert_eq!(
            event.hash,
            codec::hash(&encode(
                sequence,
                event.prev_hash,
                &event.meta,
                &event.event
            ))
        );
    }
    for pair in events.windows(2) {
        assert_eq!(pair[1].prev_hash, pair[0].hash);
    }
}

#[test]
fn a_store_closed_an_instant_before_can_be_reopened() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    store.append(batch(1, 3), Vec::new()).unwrap();
    // Still open while the second open starts: it waits for the lock instead of failing.
    let closer = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(200));
        drop(store);
    });
    let reopened = Store::open(dir.path()).expect("waits for the lock");
    closer.join().unwrap();
    assert_eq!(reopened.head().sequence, 3);
}

#[test]
fn a_store_held_open_is_refused_after_the_lock_wait() {
    let dir = TempDir::new().unwrap();
    let _held = open(&dir);
    let started = std::time::Instant::now();
    assert!(Store::open(dir.path()).is_err());
    assert!(started.elapsed() >= crate::limits::STORE_LOCK_WAIT);
}

#[test]
fn empty_store_opens_at_sequence_zero() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    assert_eq!(store.head(), Head::EMPTY);
    assert_eq!(store.get(1).unwrap(), None);
    assert!(store.read(1, 10).unwrap().is_empty());
    assert_eq!(store.iter_from(1).count(), 0);
    assert_eq!(store.verify_all(|_| {}).unwrap(), Head::EMPTY);
}

#[test]
fn written_events_stay_invisible_to_readers_until_a_sync() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    store.append(batch(1, 3), Vec::new()).unwrap();
    let durable = store.head();

    let (recorded, written) = store.write(batch(4, 2), Vec::new()).unwrap();
    assert_eq!(written.sequence, 5);
    assert_eq!(store.written_head(), written);
    assert_eq!(store.head(), durable, "readers see only what is durable");
    assert_eq!(store.get(4).unwrap(), None);
    assert_eq!(store.read(1, 10).unwrap().len(), 3);

    // The writer continues after what it wrote, not after what is durable.
    let (more, _) = store.write(batch(6, 1), Vec::new()).unwrap();
    assert_eq!(more[0].sequence, 6);
    assert_eq!(more[0].prev_hash, recorded[1].hash);
    // Event 6 carries VCH-2: its index entry is written, but not yet for readers.
    assert!(store.by_external_ref("VCH-2", 10).unwrap().is_empty());

    assert_eq!(store.sync().unwrap().sequence, 6);
    assert_eq!(store.by_external_ref("VCH-2", 10).unwrap(), vec![6]);
    assert_eq!(store.head(), store.written_head());
    assert_eq!(store.read(4, 10).unwrap().len(), 3);
    assert_eq!(
        store.sync().unwrap().sequence,
        6,
        "a sync with nothing new is a no-op"
    );
}

#[test]
fn appended_events_come_back_after_reopen_with_the_chain_intact() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    let recorded = store.append(batch(1, 30), Vec::new()).unwrap();
    assert_eq!(recorded[0].prev_hash, GENESIS_HASH);
    assert_chain(&recorded, 1);
    let head = store.head();
    assert_eq!(head.sequence, 30);
    assert_eq!(head.hash, recorded[29].hash);
    drop(store);

    let store = open(&dir);
    assert_eq!(store.head(), head);
    let read: Vec<_> = store.iter_from(1).collect::<Result<_, _>>().unwrap();
    assert_eq!(read, recorded);
    assert_eq!(store.read(1, 100).unwrap(), recorded);
    assert_eq!(store.get(17).unwrap().as_ref(), Some(&recorded[16]));
}

#[test]
fn sequences_stay_contiguous_across_many_appends() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    let mut next = 1;
    for size in [1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 1, 1] {
        let recorded = store.append(batch(next, size), Vec::new()).unwrap();
        assert_eq!(recorded.first().unwrap().sequence, next);
        next += size;
        assert_eq!(store.head().sequence, next - 1);
    }
    drop(store);
    let store = open(&dir);
    let all: Vec<_> = store.iter_from(0).collect::<Result<_, _>>().unwrap();
    assert_eq!(all.len() as u64, next - 1);
    assert_chain(&all, 1);
    assert_eq!(store.verify_all(|_| {}).unwrap(), store.head());
}

#[test]
fn blocks_close_at_the_event_count_limit_and_only_a_small_tail_is_extended() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    let total = 3 * BLOCK_EVENTS_MAX as u64 + 5;
    // Uneven appends so that blocks fill across append boundaries.
    let mut next = 1;
    for size in [7, 60, 1, 100, 29].into_iter().cycle() {
        let size = size.min(total + 1 - next);
        if size == 0 {
            break;
        }
        store.append(batch(next, size), Vec::new()).unwrap();
        next += size;
    }
    let max = BLOCK_EVENTS_MAX as u64;
    let firsts: Vec<u64> = blocks(&store).iter().map(|b| b.0).collect();
    // 7 events, then 60 fill the first block and leave 3 in the second; one more (4 is
    // below BLOCK_REOPEN_EVENTS_MAX) and the next 100 fill it and leave 40 in a third;
    // 40 is not extended, so the last 29 start a fourth block.
    assert_eq!(firsts, vec![1, 1 + max, 1 + 2 * max, 1 + 2 * max + 40]);
    const _: () = assert!(BLOCK_REOPEN_EVENTS_MAX > 4 && BLOCK_REOPEN_EVENTS_MAX <= 40);
    drop(store);
    check_reads_at_boundaries(&open(&dir), &firsts);
}

#[test]
fn blocks_close_at_the_byte_limit_and_a_huge_event_gets_its_own_block() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    let mut events: Vec<_> = (1..=20).map(|n| padded(n, 5_000)).collect();
    events.push(padded(21, BLOCK_BYTES_MAX + 1_000));
    events.extend((22..=30).map(|n| padded(n, 5_000)));
    store.append(events[..3].to_vec(), Vec::new()).unwrap();
    store.append(events[3..].to_vec(), Vec::new()).unwrap();
    let stored = blocks(&store);
    for &(first, count, bytes) in &stored {
        assert!(
            bytes <= BLOCK_BYTES_MAX || count == 1,
            "block {first}: {bytes} bytes"
        );
    }
    assert!(stored
        .iter()
        .any(|&(first, count, _)| first == 21 && count == 1));
    assert!(stored.len() >= 5);
    let firsts: Vec<u64> = stored.iter().map(|b| b.0).collect();
    drop(store);
    check_reads_at_boundaries(&open(&dir), &firsts);
}

/// get, read and iter_from agree with one full read at and around every block start.
fn check_reads_at_boundaries(store: &Store, firsts: &[u64]) {
    let head = store.head().sequence;
    let all: Vec<_> = store.iter_from(1).collect::<Result<_, _>>().unwrap();
    assert_eq!(all.len() as u64, head);
    assert_chain(&all, 1);
    let at = |sequence: u64| all[(sequence - 1) as usize].clone();
    for &first in firsts {
        for sequence in [first.saturating_sub(1), first, first + 1] {
            if sequence == 0 || sequence > head {
                continue;
            }
            assert_eq!(store.get(sequence).unwrap(), Some(at(sequence)));
            let page = store.read(sequence, 3).unwrap();
            let expected: Vec<_> = (sequence..=(sequence + 2).min(head)).map(at).collect();
            assert_eq!(page, expected);
            let tail: Vec<_> = store.iter_from(sequence).collect::<Result<_, _>>().unwrap();
            assert_eq!(tail.len() as u64, head - sequence + 1);
            assert_eq!(tail[0], at(sequence));
            let raw: Vec<_> = store.raw_from(sequence).collect::<Result<_, _>>().unwrap();
            assert_eq!(raw[0].0, sequence);
            assert_eq!(codec::hash(&raw[0].1), at(sequence).hash);
        }
    }
    assert_eq!(store.get(head + 1).unwrap(), None);
    assert!(store.read(head + 1, 5).unwrap().is_empty());
}

#[test]
fn an_event_over_the_size_limit_is_refused_and_nothing_is_written() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    store.append(batch(1, 2), Vec::new()).unwrap();
    let head = store.head();
    let error = store
        .append(vec![pending(3), padded(4, EVENT_BYTES_MAX)], Vec::new())
        .unwrap_err();
    assert!(matches!(error, StoreError::Refused(_)), "{error}");
    assert_eq!(store.head(), head);
    assert_eq!(
        store.append(batch(3, 1), Vec::new()).unwrap()[0].sequence,
        3
    );
}

#[test]
fn a_changed_event_after_the_checkpoint_is_detected_on_open_naming_it() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    store.append(batch(1, 10), Vec::new()).unwrap();
    tamper(&store, 5, |bytes| flip_actor(bytes));
    drop(store);
    match Store::open(dir.path()) {
        Err(StoreError::Corrupt {
            sequence: 5,
            reason,
        }) => assert!(reason.contains("event 6")),
        other => panic!("expected corruption at 5, got {other:?}"),
    }
}

#[test]
fn a_changed_head_event_is_detected_on_open() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    store.append(batch(1, 10), Vec::new()).unwrap();
    drop(store);
    // The reopen made 10 the verified checkpoint.
    let store = open(&dir);
    tamper(&store, 10, |bytes| flip_actor(bytes));
    drop(store);
    assert!(matches!(
        Store::open(dir.path()),
        Err(StoreError::Corrupt { sequence: 10, .. })
    ));
}

#[test]
fn undecodable_event_bytes_are_detected_naming_the_sequence() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    store.append(batch(1, 10), Vec::new()).unwrap();
    tamper(&store, 7, |bytes| bytes.truncate(bytes.len() / 2));
    drop(store);
    assert!(matches!(
        Store::open(dir.path()),
        Err(StoreError::Corrupt { sequence: 7, .. })
    ));
}

#[test]
fn a_change_before_the_checkpoint_is_found_by_a_full_check() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    store.append(batch(1, 200), Vec::new()).unwrap();
    drop(store);
    let store = open(&dir);
    tamper(&store, 3, |bytes| flip_actor(bytes));
    drop(store);
    // Open trusts the verified prefix; the offline check reads everything.
    let store = open(&dir);
    let mut checked = 0;
    let error = store.verify_all(|sequence| checked = sequence).unwrap_err();
    assert!(
        matches!(error, StoreError::Corrupt { sequence: 3, .. }),
        "{error}"
    );
    assert_eq!(checked, 3);
}

#[test]
fn a_removed_last_block_is_reported_as_truncation() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    store.append(batch(1, 100), Vec::new()).unwrap();
    let last = *blocks(&store).last().unwrap();
    assert_eq!(last.0, 1 + BLOCK_EVENTS_MAX as u64);
    store.inner.db.remove(block_key(last.0)).unwrap();
    store.inner.db.flush().unwrap();
    drop(store);
    match Store::open(dir.path()) {
        Err(StoreError::Truncated { expected, found }) => {
            assert_eq!((expected, found), (100, BLOCK_EVENTS_MAX as u64));
        }
        other => panic!("expected truncation, got {other:?}"),
    }
}

#[test]
fn verify_all_reports_progress_for_every_event() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    store.append(batch(1, 150), Vec::new()).unwrap();
    let mut seen = Vec::new();
    let head = store.verify_all(|sequence| seen.push(sequence)).unwrap();
    assert_eq!(head, store.head());
    assert_eq!(seen, (1..=150).collect::<Vec<_>>());
}

#[test]
fn a_checkpoint_must_match_the_stored_event() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    let recorded = store.append(batch(1, 5), Vec::new()).unwrap();
    let wrong = Head {
        sequence: 3,
        hash: recorded[3].hash,
    };
    assert!(matches!(
        store.set_verified_checkpoint(wrong),
        Err(StoreError::Refused(_))
    ));
    let beyond = Head {
        sequence: 6,
        hash: [0; 32],
    };
    assert!(store.set_verified_checkpoint(beyond).is_err());
    let right = Head {
        sequence: 3,
        hash: recorded[2].hash,
    };
    store.set_verified_checkpoint(right).unwrap();
    drop(store);
    assert_eq!(open(&dir).head().sequence, 5);
}

#[test]
fn idempotency_records_round_trip_and_commit_with_their_events() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    let record = IdempotencyRecord {
        fingerprint: [7; 32],
        first_sequence: 1,
        event_count: 3,
    };
    store
        .append(batch(1, 3), vec![("alice/key-1".to_string(), record)])
        .unwrap();
    drop(store);
    let store = open(&dir);
    assert_eq!(store.idempotency("alice/key-1").unwrap(), Some(record));
    assert_eq!(store.idempotency("bob/key-1").unwrap(), None);
}

#[test]
fn postings_are_found_by_external_reference() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    // Fixture events 3, 6, 9 carry VCH-1, VCH-2, VCH-3; add two more VCH-1 postings.
    store.append(batch(1, 10), Vec::new()).unwrap();
    let mut again = vec![pending(11), pending(12)];
    for event in &mut again {
        event.meta.external_ref = Some("VCH-1".to_string());
    }
    store.append(again, Vec::new()).unwrap();
    assert_eq!(store.by_external_ref("VCH-1", 10).unwrap(), vec![3, 11, 12]);
    assert_eq!(store.by_external_ref("VCH-1", 2).unwrap(), vec![3, 11]);
    assert_eq!(store.by_external_ref("VCH-2", 10).unwrap(), vec![6]);
    assert!(store.by_external_ref("VCH-", 10).unwrap().is_empty());
    assert!(store.by_external_ref("nothing", 10).unwrap().is_empty());
}

#[test]
fn a_snapshot_round_trips_and_a_smaller_one_replaces_it() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    assert_eq!(store.load_snapshot().unwrap(), None);
    store.append(batch(1, 20), Vec::new()).unwrap();
    let large: Vec<u8> = (0..3 * BLOCK_BYTES_MAX + 17)
        .map(|i| (i % 251) as u8)
        .collect();
    store.save_snapshot(12, &large).unwrap();
    drop(store);
    let store = open(&dir);
    assert_eq!(store.load_snapshot().unwrap(), Some((12, large)));
    store.save_snapshot(20, b"small").unwrap();
    assert_eq!(
        store.load_snapshot().unwrap(),
        Some((20, b"small".to_vec()))
    );
    assert_eq!(
        snapshot_files(&dir).len(),
        1,
        "a replaced snapshot's file is removed"
    );
    store.save_snapshot(0, b"").unwrap();
    assert_eq!(store.load_snapshot().unwrap(), Some((0, Vec::new())));
    assert!(store.save_snapshot(21, b"future").is_err());
}

#[test]
fn a_snapshot_of_another_history_is_ignored() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    store.append(batch(1, 20), Vec::new()).unwrap();
    store.save_snapshot(12, b"state after 12").unwrap();
    let mut manifest = records::decode_manifest(
        &store
            .inner
            .db
            .get(layout::SNAPSHOT_MANIFEST)
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    manifest.event_hash[0] ^= 1;
    store
        .inner
        .db
        .insert(
            layout::SNAPSHOT_MANIFEST,
            records::encode_manifest(&manifest),
        )
        .unwrap();
    assert_eq!(store.load_snapshot().unwrap(), None);
}

/// The snapshot files in the store directory.
fn snapshot_files(dir: &TempDir) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("snapshot-")
        })
        .collect()
}

#[test]
fn a_snapshot_with_a_damaged_or_missing_file_is_ignored() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    store.append(batch(1, 5), Vec::new()).unwrap();
    store.save_snapshot(5, &[9u8; 100]).unwrap();
    let files = snapshot_files(&dir);
    assert_eq!(files.len(), 1);
    std::fs::write(&files[0], [8u8; 100]).unwrap();
    assert_eq!(store.load_snapshot().unwrap(), None);
    std::fs::remove_file(&files[0]).unwrap();
    assert_eq!(store.load_snapshot().unwrap(), None);
}

#[test]
fn a_snapshot_kept_in_chunks_by_an_older_store_is_still_read_and_then_replaced() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    store.append(batch(1, 5), Vec::new()).unwrap();
    let content = vec![7u8; BLOCK_BYTES_MAX + 10];
    let (first, second) = content.split_at(BLOCK_BYTES_MAX);
    let manifest = records::SnapshotManifest {
        sequence: 4,
        event_hash: store.get(4).unwrap().unwrap().hash,
        chunk_count: 2,
        total_bytes: content.len() as u64,
        content_hash: codec::hash(&content),
        file: String::new(),
    };
    let db = &store.inner.db;
    db.insert(layout::snapshot_chunk_key(0), first).unwrap();
    db.insert(layout::snapshot_chunk_key(1), second).unwrap();
    db.insert(
        layout::SNAPSHOT_MANIFEST,
        records::encode_manifest(&manifest),
    )
    .unwrap();
    assert_eq!(store.load_snapshot().unwrap(), Some((4, content)));

    store.save_snapshot(5, b"in a file").unwrap();

    assert_eq!(db.scan_prefix(b"sc").count(), 0, "old chunks are removed");
    assert_eq!(
        store.load_snapshot().unwrap(),
        Some((5, b"in a file".to_vec()))
    );
}

#[test]
fn large_blocks_and_snapshots_stay_inline_with_no_unsynced_blob_files() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    let mut next = 1;
    for _ in 0..8 {
        let events: Vec<_> = (next..next + 40).map(|n| padded(n, 12_000)).collect();
        next += 40;
        store.append(events, Vec::new()).unwrap();
        store
            .append(vec![padded(next, BLOCK_BYTES_MAX + 8_000)], Vec::new())
            .unwrap();
        next += 1;
    }
    let snapshot = vec![0x5a; 4 * 1024 * 1024];
    store.save_snapshot(next - 1, &snapshot).unwrap();
    store
        .save_snapshot(next - 1, &snapshot[..1024 * 1024])
        .unwrap();
    drop(store);
    let store = open(&dir);
    assert_eq!(store.verify_all(|_| {}).unwrap().sequence, next - 1);
    let blobs: Vec<_> = std::fs::read_dir(dir.path().join("blobs"))
        .unwrap()
        .collect();
    assert!(blobs.is_empty(), "sled wrote {} blob files", blobs.len());
}

#[test]
fn a_store_clone_is_shared_and_send_and_sync() {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<Store>();
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    let reader = store.clone();
    store.append(batch(1, 3), Vec::new()).unwrap();
    let handle = std::thread::spawn(move || reader.iter_from(1).count());
    assert_eq!(handle.join().unwrap(), 3);
}

/// The root `audit` computes in memory over the stored bytes of every event.
fn memory_root(store: &Store) -> crate::audit::Hash {
    let leaves: Vec<Vec<u8>> = store.raw_from(1).map(|entry| entry.unwrap().1).collect();
    let (nodes, _) = crate::audit::MemoryNodes::from_leaves(&leaves);
    crate::audit::root_at(leaves.len() as u64, &nodes).unwrap()
}

#[test]
fn the_persisted_tree_root_equals_the_root_over_the_stored_bytes_across_appends_and_reopen() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    assert_eq!(store.tree_head().unwrap(), (0, crate::audit::empty_root()));
    let mut next = 1;
    for count in [1, 2, 5, 13, 1, 40] {
        store.append(batch(next, count), Vec::new()).unwrap();
        next += count;
        assert_eq!(store.tree_size(), next - 1);
        assert_eq!(store.root().unwrap(), memory_root(&store));
    }
    let before = store.tree_head().unwrap();
    drop(store);

    let store = open(&dir);
    assert_eq!(store.tree_head().unwrap(), before);
    store.append(batch(next, 7), Vec::new()).unwrap();
    assert_eq!(store.root().unwrap(), memory_root(&store));
}

#[test]
fn proofs_from_the_store_verify_against_its_roots() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    store.append(batch(1, 37), Vec::new()).unwrap();
    let leaves: Vec<Vec<u8>> = store.raw_from(1).map(|e| e.unwrap().1).collect();
    let old_root = crate::audit::root_at(20, &store).unwrap();
    let (size, root) = store.tree_head().unwrap();
    for index in [0u64, 19, 36] {
        let proof = crate::audit::inclusion_proof(index, size, &store).unwrap();
        crate::audit::verify_inclusion(
            &crate::audit::leaf_hash(&leaves[index as usize]),
            index,
            size,
            &proof,
            &root,
        )
        .unwrap();
    }
    let proof = crate::audit::consistency_proof(20, size, &store).unwrap();
    crate::audit::verify_consistency(20, size, &old_root, &root, &proof).unwrap();
}

#[test]
fn a_store_without_tree_nodes_gets_them_computed_once_on_open() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    store.append(batch(1, 25), Vec::new()).unwrap();
    let root = store.root().unwrap();
    let db = &store.inner.db;
    let nodes: Vec<_> = db
        .scan_prefix([layout::MERKLE_NODE])
        .keys()
        .collect::<Result<_, _>>()
        .unwrap();
    for key in nodes {
        db.remove(key).unwrap();
    }
    db.remove(layout::META_TREE).unwrap();
    db.flush().unwrap();
    drop(store);

    let store = open(&dir);
    assert_eq!(store.root().unwrap(), root);
}

#[test]
fn a_damaged_tree_node_is_refused_on_open() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    store.append(batch(1, 8), Vec::new()).unwrap();
    store
        .inner
        .db
        .insert(merkle::merkle_node_key(3, 0), &[7u8; 32])
        .unwrap();
    store.inner.db.flush().unwrap();
    drop(store);
    assert!(matches!(
        Store::open(dir.path()),
        Err(StoreError::Record { .. })
    ));
}
