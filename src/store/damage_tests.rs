//! Opening a damaged log read-only: reads stop at the last good event, appends and
//! every other change are refused, and the damage is named by sequence.

use tempfile::TempDir;

use super::fixtures::batch;
use super::layout::block_key;
use super::tests::{blocks, flip_actor, tamper};
use super::*;
// These tests reach into sled's files: the sled store itself, not the facade.
use super::SledStore as Store;
use crate::limits::BLOCK_EVENTS_MAX;

/// A store in `dir` with events `1..=count` appended after its (empty) checkpoint.
fn store_with(dir: &TempDir, count: u64) -> Store {
    let store = Store::open(dir.path()).unwrap();
    store.append(batch(1, count), Vec::new()).unwrap();
    store
}

#[test]
fn an_undamaged_log_opens_writable_with_no_damage() {
    let dir = TempDir::new().unwrap();
    drop(store_with(&dir, 10));

    let (store, damage) = Store::open_until_damage(dir.path()).unwrap();

    assert_eq!(damage, None);
    assert_eq!(store.head().sequence, 10);
    store.append(batch(11, 1), Vec::new()).unwrap();
}

#[test]
fn a_flipped_byte_opens_read_only_up_to_the_event_before_it() {
    let dir = TempDir::new().unwrap();
    let store = store_with(&dir, 40);
    tamper(&store, 17, |bytes| flip_actor(bytes));
    drop(store);

    let (store, damage) = Store::open_until_damage(dir.path()).unwrap();

    let damage = damage.expect("damage found");
    assert_eq!(damage.sequence, 17);
    assert_eq!(damage.last_good.sequence, 16);
    assert!(damage.to_string().contains("sequence 17"), "{damage}");
    assert_eq!(store.head(), damage.last_good);
    assert_eq!(store.damage(), Some(&damage));
    let readable = store.read(1, 100).unwrap();
    assert_eq!(readable.len(), 16);
    assert_eq!(readable.last().unwrap().hash, damage.last_good.hash);
    assert!(
        store.get(17).unwrap().is_none(),
        "nothing past the last good event"
    );
    let refused = store.append(batch(17, 1), Vec::new()).unwrap_err();
    assert!(refused.to_string().contains("sequence 17"), "{refused}");
    assert!(store.save_snapshot(10, b"x").is_err());
    assert!(store.set_verified_checkpoint(damage.last_good).is_err());
}

#[test]
fn undecodable_bytes_open_read_only_naming_the_sequence() {
    let dir = TempDir::new().unwrap();
    let store = store_with(&dir, 30);
    tamper(&store, 7, |bytes| bytes.truncate(bytes.len() / 2));
    drop(store);

    let (store, damage) = Store::open_until_damage(dir.path()).unwrap();

    let damage = damage.expect("damage found");
    assert_eq!((damage.sequence, damage.last_good.sequence), (7, 6));
    assert_eq!(store.iter_from(1).count(), 6);
}

#[test]
fn a_damaged_head_event_leaves_the_events_before_it_readable() {
    let dir = TempDir::new().unwrap();
    drop(store_with(&dir, 10));
    let store = Store::open(dir.path()).unwrap();
    tamper(&store, 10, |bytes| flip_actor(bytes));
    drop(store);

    let (store, damage) = Store::open_until_damage(dir.path()).unwrap();

    assert_eq!(damage.map(|d| d.sequence), Some(10));
    assert_eq!(store.head().sequence, 9);
}

#[test]
fn a_truncated_log_opens_read_only_up_to_its_last_stored_event() {
    let dir = TempDir::new().unwrap();
    let store = store_with(&dir, 100);
    let last = *blocks(&store).last().unwrap();
    store.inner.db.remove(block_key(last.0)).unwrap();
    store.inner.db.flush().unwrap();
    drop(store);

    let (store, damage) = Store::open_until_damage(dir.path()).unwrap();

    let damage = damage.expect("damage found");
    let stored = BLOCK_EVENTS_MAX as u64;
    assert_eq!(
        (damage.sequence, damage.last_good.sequence),
        (stored + 1, stored)
    );
    assert!(damage.reason.contains("truncated"), "{}", damage.reason);
    assert_eq!(store.iter_from(1).count() as u64, stored);
}

#[test]
fn damage_met_by_any_read_turns_the_store_read_only_and_tells_its_followers() {
    let dir = TempDir::new().unwrap();
    drop(store_with(&dir, 50));
    drop(Store::open(dir.path()).unwrap());
    let store = Store::open(dir.path()).unwrap();
    tamper(&store, 20, |bytes| flip_actor(bytes));
    drop(store);
    let (store, _) = Store::open_until_damage(dir.path()).unwrap();
    let mut watch = store.watch_damage();
    assert_eq!(*watch.borrow_and_update(), None);

    let error = store.read(1, 100).expect_err("the read meets the damage");

    assert!(error.is_damage(), "{error}");
    let damage = store
        .damage()
        .cloned()
        .expect("the read itself restricted the store");
    assert_eq!((damage.sequence, damage.last_good.sequence), (20, 19));
    assert!(watch.has_changed().unwrap());
    assert_eq!(watch.borrow_and_update().as_ref(), Some(&damage));
    assert_eq!(store.head().sequence, 19);
    assert!(store.append(batch(20, 1), Vec::new()).is_err());
}

#[test]
fn a_group_in_flight_when_damage_is_found_is_never_synced_past_the_last_good_event() {
    let dir = TempDir::new().unwrap();
    drop(store_with(&dir, 50));
    drop(Store::open(dir.path()).unwrap());
    let store = Store::open(dir.path()).unwrap();
    tamper(&store, 20, |bytes| flip_actor(bytes));
    drop(store);
    let (store, _) = Store::open_until_damage(dir.path()).unwrap();
    let evidence = std::fs::read(dir.path().join(super::evidence::FILE_NAME)).unwrap();
    store.write(batch(51, 3), Vec::new()).unwrap();

    let error = store.read(1, 100).expect_err("the read meets the damage");
    let synced = store.sync();

    assert!(error.is_damage());
    assert!(synced.is_err(), "{synced:?}");
    assert_eq!(store.head().sequence, 19);
    let after = std::fs::read(dir.path().join(super::evidence::FILE_NAME)).unwrap();
    assert_eq!(after, evidence, "the evidence is not moved");
}

#[test]
fn damage_before_the_checkpoint_found_by_a_read_restricts_the_store() {
    let dir = TempDir::new().unwrap();
    drop(store_with(&dir, 50));
    drop(Store::open(dir.path()).unwrap());
    let store = Store::open(dir.path()).unwrap();
    tamper(&store, 20, |bytes| flip_actor(bytes));
    drop(store);
    // Open trusts the verified prefix, so the damage shows only when it is read.
    let (store, damage) = Store::open_until_damage(dir.path()).unwrap();
    assert_eq!(damage, None);
    let error = store
        .iter_from(1)
        .find_map(Result::err)
        .expect("a read finds it");

    let damage = store.restrict_to_damage(error).unwrap();

    assert_eq!((damage.sequence, damage.last_good.sequence), (20, 19));
    assert_eq!(store.head().sequence, 19);
    assert!(store.append(batch(20, 1), Vec::new()).is_err());
    let other = StoreError::Refused("not damage".into());
    assert!(matches!(
        store.restrict_to_damage(other),
        Err(StoreError::Refused(_))
    ));
}

/// Copies a store directory (sled's files and ours) into a fresh one, for one trial.
fn copy_store(from: &Path) -> TempDir {
    fn copy_into(from: &Path, to: &Path) {
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                std::fs::create_dir_all(&target).unwrap();
                copy_into(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), &target).unwrap();
            }
        }
    }
    let copy = TempDir::new().unwrap();
    copy_into(from, copy.path());
    copy
}

/// Opens a damaged copy and says whether it was served exactly as the original (same
/// head and root, every event readable) or detected (an error, read-only with damage, or
/// a full read that fails and turns the store read-only). Panics on the one
/// outcome that must never happen: a different or shorter history served as valid.
fn served_identically_or_detected(copy: &TempDir, original: Head, root: crate::audit::Hash) {
    let Ok((store, damage)) = Store::open_until_damage(copy.path()) else {
        return; // refused to open: detected
    };
    if damage.is_some() {
        assert!(store
            .append(batch(original.sequence + 1, 1), Vec::new())
            .is_err());
        return;
    }
    assert_eq!(
        store.head(),
        original,
        "a changed history was served as valid"
    );
    assert_eq!(
        store.root().unwrap(),
        root,
        "a changed tree was served as valid"
    );
    // Open may not have read the damaged part: a full read either verifies every event or
    // fails, and then the store has turned read-only by itself.
    if let Some(error) = store.iter_from(1).find_map(Result::err) {
        assert!(error.is_damage(), "{error}");
        assert!(store.damage().is_some(), "a corrupt read left it writable");
        assert!(store
            .append(batch(original.sequence + 1, 1), Vec::new())
            .is_err());
    }
}

/// A closed store of 1,000 events written in 40 groups: its head, its root, and how many
/// bytes of sled's `db` file hold data (sled preallocates its segments; damage is aimed at
/// the bytes it actually wrote).
fn written_store(dir: &TempDir) -> (Head, crate::audit::Hash, u64) {
    let store = Store::open(dir.path()).unwrap();
    for group in 0..40 {
        store.append(batch(group * 25 + 1, 25), Vec::new()).unwrap();
    }
    let (head, root) = (store.head(), store.root().unwrap());
    drop(store);
    // sled's I/O threads may still hold the lock for an instant after the drop.
    let _ = open_sled(dir.path()).unwrap();
    let written = std::fs::read(dir.path().join("db")).unwrap();
    let length = written.iter().rposition(|&byte| byte != 0).unwrap_or(0) as u64 + 1;
    (head, root, length)
}

#[test]
fn raw_damage_to_sleds_file_is_served_identically_or_detected() {
    use rand::{Rng, SeedableRng};
    let dir = TempDir::new().unwrap();
    let (original, root, db_length) = written_store(&dir);
    let mut random = rand_chacha::ChaCha8Rng::seed_from_u64(0x5eed);
    for _ in 0..12 {
        let copy = copy_store(dir.path());
        let cut = random.gen_range(0..db_length);
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(copy.path().join("db"))
            .unwrap();
        file.set_len(cut).unwrap();
        drop(file);
        served_identically_or_detected(&copy, original, root);
    }
    for _ in 0..12 {
        let copy = copy_store(dir.path());
        let path = copy.path().join("db");
        let mut bytes = std::fs::read(&path).unwrap();
        let offset = random.gen_range(0..db_length as usize);
        bytes[offset] ^= 1 << random.gen_range(0..8);
        std::fs::write(&path, bytes).unwrap();
        served_identically_or_detected(&copy, original, root);
    }
}

#[test]
fn a_log_cut_short_on_disk_is_detected_not_served_shorter() {
    let dir = TempDir::new().unwrap();
    let (original, root, length) = written_store(&dir);
    let mut detected = 0;
    for tenths in [1, 3, 5, 7, 9] {
        let copy = copy_store(dir.path());
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(copy.path().join("db"))
            .unwrap();
        file.set_len(length * tenths / 10).unwrap();
        drop(file);
        served_identically_or_detected(&copy, original, root);
        match Store::open_until_damage(copy.path()) {
            Ok((_, Some(_))) | Err(_) => detected += 1,
            Ok((_, None)) => {}
        }
    }
    assert!(detected > 0, "cutting sled's file to a tenth lost nothing?");
}

#[test]
fn a_damaged_evidence_file_opens_read_only() {
    let dir = TempDir::new().unwrap();
    drop(store_with(&dir, 10));
    let path = dir.path().join(super::evidence::FILE_NAME);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[3] ^= 0x10;
    std::fs::write(&path, &bytes).unwrap();

    let (store, damage) = Store::open_until_damage(dir.path()).unwrap();

    assert!(damage.is_some(), "a damaged evidence file is detected");
    assert!(store.append(batch(11, 1), Vec::new()).is_err());
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes,
        "the evidence is never rewritten"
    );
}

/// What sled's recovery does when it stops at a damaged record: the log that remains is a
/// valid, shorter prefix. Emulated exactly by putting back sled's files from when the log
/// was shorter beside the evidence of the longer acknowledged head.
#[test]
fn a_valid_but_shorter_log_than_acknowledged_opens_read_only_and_never_reuses_sequences() {
    let dir = TempDir::new().unwrap();
    let store = store_with(&dir, 50);
    drop(store);
    let _ = open_sled(dir.path()).unwrap();
    let earlier = copy_store(dir.path());
    let store = Store::open(dir.path()).unwrap();
    store.append(batch(51, 50), Vec::new()).unwrap();
    let acknowledged = store.head();
    drop(store);
    let _ = open_sled(dir.path()).unwrap();
    let evidence = dir.path().join(super::evidence::FILE_NAME);
    std::fs::copy(&evidence, earlier.path().join(super::evidence::FILE_NAME)).unwrap();

    assert!(
        Store::open(earlier.path()).is_err(),
        "open refuses the shorter log"
    );
    let (store, damage) = Store::open_until_damage(earlier.path()).unwrap();

    let damage = damage.expect("the shorter log is detected");
    assert_eq!(store.head().sequence, 50);
    assert!(
        damage
            .to_string()
            .contains(&acknowledged.sequence.to_string()),
        "{damage}"
    );
    assert!(
        store.append(batch(51, 1), Vec::new()).is_err(),
        "an acknowledged sequence is never reused"
    );
    assert_eq!(
        std::fs::read(earlier.path().join(super::evidence::FILE_NAME)).unwrap(),
        std::fs::read(&evidence).unwrap(),
        "the evidence is never overwritten"
    );
}

#[test]
fn a_directory_written_before_the_evidence_file_gets_one_from_its_verified_head() {
    let dir = TempDir::new().unwrap();
    drop(store_with(&dir, 10));
    let path = dir.path().join(super::evidence::FILE_NAME);
    std::fs::remove_file(&path).unwrap();

    let (store, damage) = Store::open_until_damage(dir.path()).unwrap();

    assert_eq!(damage, None);
    assert_eq!(
        super::evidence::read(dir.path()).unwrap(),
        Some(store.head())
    );
    store.append(batch(11, 1), Vec::new()).unwrap();
    assert_eq!(
        super::evidence::read(dir.path()).unwrap().unwrap().sequence,
        11
    );
}

#[test]
fn syncs_running_at_once_keep_the_evidence_and_never_fail_on_each_other() {
    // Given a store whose acknowledging stage and snapshot stage both sync, at once.
    let dir = TempDir::new().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let syncer = {
        let (store, stop) = (store.clone(), std::sync::Arc::clone(&stop));
        std::thread::spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                store.sync().expect("a concurrent sync succeeds");
            }
        })
    };
    // When the writer writes and syncs many groups meanwhile.
    let mut next = 1;
    for _ in 0..300 {
        store.write(batch(next, 2), Vec::new()).unwrap();
        store.sync().expect("the writer's sync succeeds");
        next += 2;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    syncer.join().expect("the concurrent syncer never failed");
    // Then the evidence records the last head, and the store reopens against it.
    let recorded = super::evidence::read(dir.path()).unwrap().unwrap();
    assert_eq!(recorded, store.head());
    assert_eq!(recorded.sequence, next - 1);
    drop(store);
    assert_eq!(Store::open(dir.path()).unwrap().head(), recorded);
}
