//! The key space of the one sled tree, and the sled configuration.
//!
//! Everything lives in sled's default tree so that one `apply_batch` is atomic across
//! events, indexes and metadata. The first byte of a key says what it is:
//!
//! | prefix | key | value |
//! |---|---|---|
//! | `e` | `e` + first sequence (u64 BE) | `EventBlock`: stored bytes of up to `BLOCK_EVENTS_MAX` consecutive events, at most `BLOCK_BYTES_MAX` bytes (a single larger event gets a block of its own) |
//! | `i` | `i` + scoped idempotency key | `IdempotencyRecord` (fingerprint, first sequence, event count) |
//! | `x` | `x` + external ref + `0x00` + sequence (u64 BE) | empty: postings by the finance system's reference |
//! | `m` | `m` + name | `mhead`, `mverified`: `ChainPosition`; `mformat`: `StoreFormat`; `mtree`: tree size and root |
//! | `s` | `sm` / `sc` + chunk index (u32 BE) | `SnapshotManifest` / one chunk of the projection snapshot |
//! | `n` | `n` + level (u8) + index (u64 BE) | the SHA-256 of one complete Merkle subtree of level ≥ 3; lower levels are hashed from the events (`merkle.rs`), and stores written before that also hold them, unread |
//! | `h` | `h` + tree size (u64 BE) + `0x00` | `SignedHeadRecord`: a tree head the log signed (one per size) |
//! | `h` | `h` + tree size (u64 BE) + `0x01` + witness key name + ` ` + key hash (8 hex) | `CosignatureRecord`: a witness cosignature accepted for that head |
//! | `p` | `p` + phase id (16 UUID bytes) | `ClosingStatementRecord`: the phase statement signed when the phase closed |
//!
//! The `h` and `p` records are written outside the writer's group commit (by the audit
//! service), each flushed and fsynced before the call that wrote it answers. A store
//! written before they existed simply has none: heads are then signed afresh and
//! closing statements produced for phases already closed.
//!
//! Big-endian sequences make byte order equal numeric order, so the block holding event
//! `n` is the last `e` key ≤ `e` + n.

use std::path::Path;

use crate::limits::{BLOCK_BYTES_MAX, EVENT_BYTES_MAX};

/// Prefix of event blocks.
pub(crate) const EVENT_BLOCK: u8 = b'e';
/// Prefix of idempotency records.
pub(crate) const IDEMPOTENCY: u8 = b'i';
/// Prefix of the external-reference index.
pub(crate) const EXTERNAL_REF: u8 = b'x';
/// Prefix of store metadata (spelled out in the `META_*` keys below).
#[allow(dead_code)]
pub(crate) const META: u8 = b'm';
/// Prefix of the projection snapshot.
pub(crate) const SNAPSHOT: u8 = b's';
/// Prefix of Merkle tree nodes (complete-subtree hashes).
pub(crate) const MERKLE_NODE: u8 = b'n';
/// Prefix of signed tree heads and their cosignatures.
pub(crate) const SIGNED_HEAD: u8 = b'h';
/// Prefix of closing phase statements.
pub(crate) const CLOSING_STATEMENT: u8 = b'p';
/// Byte after the tree size in the key of a signed head's own record.
const SIGNED_HEAD_RECORD: u8 = 0x00;
/// Byte after the tree size in the key of a cosignature of that head.
const SIGNED_HEAD_COSIGNATURE: u8 = 0x01;

/// The head of the log: the last appended event (`ChainPosition`).
pub(crate) const META_HEAD: &[u8] = b"mhead";
/// The last position whose whole prefix was verified on open (`ChainPosition`).
pub(crate) const META_VERIFIED: &[u8] = b"mverified";
/// The Merkle tree at the head: size (u64 BE) and root (32 bytes).
pub(crate) const META_TREE: &[u8] = b"mtree";
/// The layout version (`StoreFormat`).
pub(crate) const META_FORMAT: &[u8] = b"mformat";
/// The snapshot manifest (`SnapshotManifest`).
pub(crate) const SNAPSHOT_MANIFEST: &[u8] = b"sm";
/// Second byte of snapshot chunk keys.
const SNAPSHOT_CHUNK: u8 = b'c';

/// sled's log segment size. sled 0.34.7 writes any page larger than
/// `segment_size / 4 - 20` bytes (`MINIMUM_ITEMS_PER_SEGMENT` in its pagecache) to a
/// separate file under `blobs/`, and it never fsyncs those files: a blob acknowledged
/// before a power loss could vanish. A page is a whole leaf node, which sled splits
/// beyond 16 entries, so a leaf holds about 17 values of at most `BLOCK_BYTES_MAX`
/// (≈ 560 KB). 8 MiB segments put the blob threshold at 2 MiB: every page stays inline,
/// inside the one data file that the store fsyncs. sled refuses to open a store with a
/// different segment size, so this is part of the on-disk format.
pub(crate) const SEGMENT_BYTES: usize = 8 * 1024 * 1024;

/// Bytes of a page that sled still writes inline (see [`SEGMENT_BYTES`]).
pub(crate) const INLINE_PAGE_BYTES_MAX: usize = SEGMENT_BYTES / 4 - 20;

// A full leaf must stay inline, even one whose 17 blocks each hold a single event of the
// largest size, with room to spare for keys and headers.
const _: () = assert!(INLINE_PAGE_BYTES_MAX > 24 * BLOCK_BYTES_MAX);
const _: () = assert!(INLINE_PAGE_BYTES_MAX > 24 * EVENT_BYTES_MAX);

/// The sled configuration: identical on every open, as sled requires.
pub(crate) fn sled_config(dir: &Path) -> sled::Config {
    sled::Config::new().path(dir).segment_size(SEGMENT_BYTES)
}

/// Key of the block whose first event is `first`.
pub(crate) fn block_key(first: u64) -> [u8; 9] {
    let mut key = [0u8; 9];
    key[0] = EVENT_BLOCK;
    key[1..].copy_from_slice(&first.to_be_bytes());
    key
}

/// The first sequence of a block key, if `key` is one.
pub(crate) fn parse_block_key(key: &[u8]) -> Option<u64> {
    match key {
        [EVENT_BLOCK, rest @ ..] => <[u8; 8]>::try_from(rest).ok().map(u64::from_be_bytes),
        _ => None,
    }
}

/// The smallest key after every block key.
pub(crate) fn block_keys_end() -> [u8; 1] {
    [EVENT_BLOCK + 1]
}

/// Key of an idempotency record.
pub(crate) fn idempotency_key(scoped_key: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(1 + scoped_key.len());
    key.push(IDEMPOTENCY);
    key.extend_from_slice(scoped_key.as_bytes());
    key
}

/// Prefix of every index entry for one external reference.
pub(crate) fn external_ref_prefix(external_ref: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(2 + external_ref.len() + 8);
    key.push(EXTERNAL_REF);
    key.extend_from_slice(external_ref.as_bytes());
    key.push(0);
    key
}

/// Key of the index entry saying event `sequence` carries `external_ref`.
pub(crate) fn external_ref_key(external_ref: &str, sequence: u64) -> Vec<u8> {
    let mut key = external_ref_prefix(external_ref);
    key.extend_from_slice(&sequence.to_be_bytes());
    key
}

/// The sequence of an index entry under `prefix`. A reference that itself contains a
/// zero byte could share the prefix; the exact length check tells such keys apart.
pub(crate) fn parse_external_ref_key(prefix: &[u8], key: &[u8]) -> Option<u64> {
    let rest = key.strip_prefix(prefix)?;
    <[u8; 8]>::try_from(rest).ok().map(u64::from_be_bytes)
}

/// Key of snapshot chunk `index`.
pub(crate) fn snapshot_chunk_key(index: u32) -> [u8; 6] {
    let mut key = [0u8; 6];
    key[0] = SNAPSHOT;
    key[1] = SNAPSHOT_CHUNK;
    key[2..].copy_from_slice(&index.to_be_bytes());
    key
}

/// Prefix of every key of the signed head of `tree_size`: its record and cosignatures.
pub(crate) fn signed_head_prefix(tree_size: u64) -> [u8; 9] {
    let mut key = [0u8; 9];
    key[0] = SIGNED_HEAD;
    key[1..].copy_from_slice(&tree_size.to_be_bytes());
    key
}

/// Key of the record of the head signed at `tree_size`.
pub(crate) fn signed_head_key(tree_size: u64) -> [u8; 10] {
    let mut key = [0u8; 10];
    key[..9].copy_from_slice(&signed_head_prefix(tree_size));
    key[9] = SIGNED_HEAD_RECORD;
    key
}

/// Key of the cosignature by `witness` (key name, space, key hash) of that head.
pub(crate) fn cosignature_key(tree_size: u64, witness: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(10 + witness.len());
    key.extend_from_slice(&signed_head_prefix(tree_size));
    key.push(SIGNED_HEAD_COSIGNATURE);
    key.extend_from_slice(witness.as_bytes());
    key
}

/// The tree size of a signed head's own record key, if `key` is one.
pub(crate) fn parse_signed_head_key(key: &[u8]) -> Option<u64> {
    match key {
        [SIGNED_HEAD, size @ .., SIGNED_HEAD_RECORD] => {
            <[u8; 8]>::try_from(size).ok().map(u64::from_be_bytes)
        }
        _ => None,
    }
}

/// Whether `key` (under a head's prefix) is one of its cosignatures.
pub(crate) fn is_cosignature_key(key: &[u8]) -> bool {
    key.get(9) == Some(&SIGNED_HEAD_COSIGNATURE)
}

/// The smallest key after every signed-head key.
pub(crate) fn signed_head_keys_end() -> [u8; 1] {
    [SIGNED_HEAD + 1]
}

/// Key of the closing statement of the phase with UUID bytes `phase`.
pub(crate) fn closing_statement_key(phase: &[u8; 16]) -> [u8; 17] {
    let mut key = [0u8; 17];
    key[0] = CLOSING_STATEMENT;
    key[1..].copy_from_slice(phase);
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_keys_sort_like_their_sequences() {
        assert!(block_key(255) < block_key(256));
        assert!(block_key(u64::MAX)[..] < block_keys_end()[..]);
        assert_eq!(parse_block_key(&block_key(4242)), Some(4242));
        assert_eq!(parse_block_key(b"x12345678"), None);
        assert_eq!(parse_block_key(b"e123"), None);
    }

    #[test]
    fn external_ref_with_a_zero_byte_does_not_match_a_shorter_ref() {
        let prefix = external_ref_prefix("ab");
        let other = external_ref_key("ab\0c", 7);
        assert_eq!(parse_external_ref_key(&prefix, &other), None);
        assert_eq!(
            parse_external_ref_key(&prefix, &external_ref_key("ab", 7)),
            Some(7)
        );
    }

    #[test]
    fn signed_head_keys_sort_by_size_and_keep_cosignatures_after_their_head() {
        assert!(signed_head_key(255) < signed_head_key(256));
        assert!(signed_head_key(7)[..] < cosignature_key(7, "w 00000000")[..]);
        assert!(cosignature_key(7, "w 00000000") < signed_head_key(8).to_vec());
        assert!(signed_head_key(u64::MAX)[..] < signed_head_keys_end()[..]);
        assert_eq!(parse_signed_head_key(&signed_head_key(42)), Some(42));
        assert_eq!(parse_signed_head_key(&cosignature_key(42, "w")), None);
        assert!(is_cosignature_key(&cosignature_key(42, "w")));
        assert!(!is_cosignature_key(&signed_head_key(42)));
    }

    #[test]
    fn every_prefix_is_distinct() {
        let prefixes = [
            EVENT_BLOCK,
            IDEMPOTENCY,
            EXTERNAL_REF,
            META,
            SNAPSHOT,
            MERKLE_NODE,
            SIGNED_HEAD,
            CLOSING_STATEMENT,
        ];
        for (i, a) in prefixes.iter().enumerate() {
            for b in &prefixes[i + 1..] {
                assert_ne!(a, b);
            }
        }
        assert_eq!(META_HEAD[0], META);
        assert_eq!(SNAPSHOT_MANIFEST[0], SNAPSHOT);
    }
}
