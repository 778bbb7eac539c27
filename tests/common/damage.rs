//! Damage to a stopped ledger's stored bytes, rewritten through sled itself (bypassing the
//! store), for the tests that need an open to succeed and a later read or walk to meet it.
//! Raw damage to sled's files on disk is in `store::damage_tests`.

use std::path::Path;

/// sled's segment size as the store configures it (part of the on-disk format).
const SLED_SEGMENT_BYTES: usize = 8 * 1024 * 1024;

/// Opens a stopped ledger's sled directly, bypassing the store.
pub fn open_sled_directly(dir: &Path) -> sled::Db {
    // The stopped server's sled may hold its file lock for an instant longer, as the
    // store's own open allows for.
    let deadline = std::time::Instant::now() + matchledger::limits::STORE_LOCK_WAIT;
    loop {
        match sled::Config::new()
            .path(dir)
            .segment_size(SLED_SEGMENT_BYTES)
            .open()
        {
            Err(_) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            opened => return opened.expect("sled opens"),
        }
    }
}

/// Flips one byte of the stored event carrying `marker` (e.g. its idempotency key): the
/// event still decodes, but it is not what was written. Exactly one stored block must
/// hold it.
pub fn flip_a_byte_of_the_event_holding(dir: &Path, marker: &str) {
    let db = open_sled_directly(dir);
    let mut damaged = 0;
    for entry in db.iter() {
        let (key, value) = entry.expect("readable");
        if key.first() != Some(&b'e') {
            continue;
        }
        if let Some(at) = value
            .windows(marker.len())
            .position(|w| w == marker.as_bytes())
        {
            let mut bytes = value.to_vec();
            bytes[at] ^= 0x01;
            db.insert(key, bytes).expect("rewritten");
            damaged += 1;
        }
    }
    assert_eq!(
        damaged, 1,
        "exactly one stored block holds the target event"
    );
    db.flush().expect("flushed");
}
