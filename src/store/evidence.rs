//! The evidence of the durable head: a small file beside sled, `acknowledged.head`,
//! rewritten after each sync that moved the head. sled's recovery silently cuts its log
//! at the first damaged or missing bytes, head record included, so a shortened log
//! verifies; this file, written outside sled, is what tells it was shortened.
//!
//! Format (version 1, 73 bytes): version byte, sequence (u64 big-endian), hash of that
//! event (32 bytes), SHA-256 of the 41 bytes before.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::error::StoreError;
use super::Head;

/// The evidence file inside the store directory.
pub(crate) const FILE_NAME: &str = "acknowledged.head";
const TEMP_NAME: &str = "acknowledged.head.tmp";
const VERSION: u8 = 1;
const BODY_BYTES: usize = 1 + 8 + 32;
const RECORD_BYTES: usize = BODY_BYTES + 32;
/// The name the record carries in errors.
const RECORD: &str = "acknowledged head";

fn encode(head: Head) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(RECORD_BYTES);
    bytes.push(VERSION);
    bytes.extend_from_slice(&head.sequence.to_be_bytes());
    bytes.extend_from_slice(&head.hash);
    let digest = Sha256::digest(&bytes);
    bytes.extend_from_slice(&digest);
    bytes
}

fn decode(bytes: &[u8]) -> Result<Head, StoreError> {
    if bytes.len() != RECORD_BYTES {
        return Err(StoreError::record(
            RECORD,
            format!("{} bytes, expected {RECORD_BYTES}", bytes.len()),
        ));
    }
    let (body, digest) = bytes.split_at(BODY_BYTES);
    if Sha256::digest(body).as_slice() != digest {
        return Err(StoreError::record(RECORD, "checksum mismatch"));
    }
    if body[0] != VERSION {
        return Err(StoreError::record(
            RECORD,
            format!("unknown version {}", body[0]),
        ));
    }
    let mut sequence = [0u8; 8];
    sequence.copy_from_slice(&body[1..9]);
    let mut hash = [0u8; 32];
    hash.copy_from_slice(&body[9..BODY_BYTES]);
    Ok(Head {
        sequence: u64::from_be_bytes(sequence),
        hash,
    })
}

/// The recorded head, or `None` when the file does not exist.
pub(crate) fn read(dir: &Path) -> Result<Option<Head>, StoreError> {
    match std::fs::read(dir.join(FILE_NAME)) {
        Ok(bytes) => decode(&bytes).map(Some),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error.into()),
    }
}

/// Records `head` durably: temp file, fsync, rename over, fsync of the directory.
pub(crate) fn write(dir: &Path, head: Head) -> Result<(), StoreError> {
    let temp = dir.join(TEMP_NAME);
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&temp)?;
    file.write_all(&encode(head))?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&temp, dir.join(FILE_NAME))?;
    sync_directory(dir)
}

/// Fsyncs a directory so that the entries made in it survive a power loss.
pub(crate) fn sync_directory(dir: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Refuses a log whose head record is before the acknowledged head (a shorter log). That
/// the event at the evidence's sequence has the recorded hash is checked by the caller
/// (`verify::check_hash_at`), which reads the log.
pub(crate) fn check_length(evidence: Head, head_record: Head) -> Result<(), StoreError> {
    if evidence.sequence > head_record.sequence {
        return Err(StoreError::Truncated {
            expected: evidence.sequence,
            found: head_record.sequence,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_round_trips_and_a_flipped_bit_is_refused() {
        let head = Head {
            sequence: 42,
            hash: [7; 32],
        };
        let mut bytes = encode(head);
        assert_eq!(decode(&bytes).unwrap(), head);
        bytes[5] ^= 1;
        assert!(matches!(decode(&bytes), Err(StoreError::Record { .. })));
    }
}
