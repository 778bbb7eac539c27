//! Opening a damaged log read-only: reads stop at the last good event, appends and
//! every other change are refused, and the damage is named by sequence.

use tempfile::TempDir;

use super::fixtures::batch;
use super::layout::block_key;
use super::tests::{blocks, flip_actor, tamper};
use super::*;
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
