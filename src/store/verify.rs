//! Checking the chain: on open from the last verified checkpoint, or all of it offline.
//!
//! A check recomputes the hash of every event's stored bytes, decodes it (values are
//! re-validated), checks its link to the one before, and checks that the last event is
//! the head record, with nothing stored beyond it.

use super::codec::{self, FORMAT_VERSION};
use super::cursor::{EventCursor, RawCursor};
use super::durability::DataFile;
use super::error::StoreError;
use super::layout::{self, block_keys_end, parse_block_key};
use super::records;
use super::{Damage, Head};

/// Verifies a freshly opened store and records its head as the new verified checkpoint.
/// Returns the head.
pub(crate) fn on_open(db: &sled::Db, data_file: &DataFile) -> Result<Head, StoreError> {
    let format = db.get(layout::META_FORMAT)?;
    let head = match db.get(layout::META_HEAD)? {
        Some(bytes) => records::decode_position("head", &bytes)?,
        None => Head::EMPTY,
    };
    match format {
        Some(bytes) => {
            let found = records::decode_format(&bytes)?;
            if found != FORMAT_VERSION {
                return Err(StoreError::UnsupportedFormat {
                    found,
                    supported: FORMAT_VERSION,
                });
            }
        }
        None if head == Head::EMPTY && last_stored(db)? == 0 => {
            db.insert(layout::META_FORMAT, records::encode_format(FORMAT_VERSION))?;
        }
        None => {
            return Err(StoreError::record(
                "format",
                "missing from a store with events",
            ))
        }
    }
    let checkpoint = match db.get(layout::META_VERIFIED)? {
        Some(bytes) => records::decode_position("verified checkpoint", &bytes)?,
        None => Head::EMPTY,
    };
    if checkpoint.sequence > head.sequence {
        let found = last_stored(db)?;
        return Err(StoreError::Truncated {
            expected: checkpoint.sequence,
            found,
        });
    }
    check_range(db, checkpoint, head, |_| {})?;
    if checkpoint != head {
        db.insert(layout::META_VERIFIED, records::encode_position(head))?;
    }
    data_file.commit(db)?;
    tracing::info!(
        head = head.sequence,
        verified_from = checkpoint.sequence,
        "event log verified"
    );
    Ok(head)
}

/// Verifies the whole log up to `head`.
pub(crate) fn all(
    db: &sled::Db,
    head: Head,
    progress: impl FnMut(u64),
) -> Result<Head, StoreError> {
    check_range(db, Head::EMPTY, head, progress)?;
    Ok(head)
}

/// Records `position` as verified. It must be a position of the log as it is.
pub(crate) fn set_checkpoint(
    db: &sled::Db,
    data_file: &DataFile,
    head: Head,
    position: Head,
) -> Result<(), StoreError> {
    if position.sequence > head.sequence {
        return Err(StoreError::Refused(format!(
            "checkpoint {} is beyond the head {}",
            position.sequence, head.sequence
        )));
    }
    let stored = hash_at(db, position.sequence, head.sequence)?;
    if stored != position.hash {
        return Err(StoreError::Refused(format!(
            "checkpoint hash differs from the stored event {}",
            position.sequence
        )));
    }
    db.insert(layout::META_VERIFIED, records::encode_position(position))?;
    data_file.commit(db)
}

/// Checks events `from.sequence+1..=head.sequence` against the known hash of `from`, and
/// that the log ends exactly at `head`.
fn check_range(
    db: &sled::Db,
    from: Head,
    head: Head,
    mut progress: impl FnMut(u64),
) -> Result<(), StoreError> {
    let tree = sled::Tree::clone(db);
    check_hash_at(db, from, head.sequence, "verified")?;
    let mut last = from;
    for event in EventCursor::after(tree, from.sequence, from.hash, head.sequence, head.sequence) {
        let event = event?;
        last = Head {
            sequence: event.sequence,
            hash: event.hash,
        };
        progress(event.sequence);
    }
    if last.sequence != head.sequence {
        return Err(StoreError::Truncated {
            expected: head.sequence,
            found: last.sequence,
        });
    }
    if last.hash != head.hash {
        return Err(StoreError::corrupt(
            head.sequence,
            format!(
                "the head record says hash {} but the event hashes to {}",
                hex::encode(head.hash),
                hex::encode(last.hash)
            ),
        ));
    }
    let stored = last_stored(db)?;
    if stored > head.sequence {
        return Err(StoreError::corrupt(
            head.sequence + 1,
            format!(
                "events up to {stored} are stored beyond the head {}",
                head.sequence
            ),
        ));
    }
    Ok(())
}

/// The hash of event `sequence` as stored (the genesis hash for 0).
/// Fails as `Corrupt` at `expected.sequence` unless the stored event there hashes to
/// `expected.hash`; `known_as` says how that hash was known (`verified`, `acknowledged`).
pub(crate) fn check_hash_at(
    db: &sled::Db,
    expected: Head,
    head: u64,
    known_as: &str,
) -> Result<(), StoreError> {
    let stored = hash_at(db, expected.sequence, head)?;
    if stored != expected.hash {
        return Err(StoreError::corrupt(
            expected.sequence,
            format!(
                "stored bytes hash to {} but {} was {known_as}",
                hex::encode(stored),
                hex::encode(expected.hash)
            ),
        ));
    }
    Ok(())
}

pub(crate) fn hash_at(db: &sled::Db, sequence: u64, head: u64) -> Result<[u8; 32], StoreError> {
    if sequence == 0 {
        return Ok(codec::GENESIS_HASH);
    }
    let mut raw = RawCursor::new(sled::Tree::clone(db), sequence, sequence, head);
    match raw.next().transpose()? {
        Some((_, bytes)) => Ok(codec::hash(&bytes)),
        None => Err(StoreError::Truncated {
            expected: head,
            found: sequence - 1,
        }),
    }
}

/// The sequence of the last stored event, 0 if none (whatever the head record says).
pub(crate) fn last_stored(db: &sled::Db) -> Result<u64, StoreError> {
    let Some((key, value)) = db.range(..block_keys_end()).next_back().transpose()? else {
        return Ok(0);
    };
    let Some(first) = parse_block_key(&key) else {
        return Ok(0);
    };
    let count = codec::decode_block(first, &value)?.len() as u64;
    Ok(first + count - 1)
}

/// The first sequence a damage error names: the corrupt event, or the first missing one.
pub(crate) fn damaged_sequence(error: &StoreError) -> Option<u64> {
    match error {
        StoreError::Corrupt { sequence, .. } => Some(*sequence),
        StoreError::Truncated { found, .. } => Some(found + 1),
        _ => None,
    }
}

/// Walks the log from `from` (a position believed verified; the walk starts from the
/// genesis instead when the stored event there no longer hashes to it) as far as events
/// are stored, and returns where it stops verifying: the first bad sequence, the last
/// good event before it, and why. `None` when the walk finds nothing wrong.
///
/// The sequence named is where the damage was noticed: an altered event is usually named
/// itself, but a broken link names the event before it, so the last good event may be
/// one before the true damage (never after it).
pub(crate) fn locate_damage(
    db: &sled::Db,
    from: Head,
    head_record: Head,
) -> Result<Option<Damage>, StoreError> {
    // The last block itself may be what is damaged: then walk to the head record.
    let stored_end = last_stored(db).unwrap_or(head_record.sequence);
    let end = head_record.sequence.max(stored_end);
    let start = match hash_at(db, from.sequence, end) {
        Ok(hash) if hash == from.hash => from,
        _ => Head::EMPTY,
    };
    let mut last = start;
    let mut failure = None;
    for event in EventCursor::after(sled::Tree::clone(db), start.sequence, start.hash, end, end) {
        match event {
            Ok(event) => {
                last = Head {
                    sequence: event.sequence,
                    hash: event.hash,
                }
            }
            Err(error) => {
                failure = Some(error);
                break;
            }
        }
    }
    let (sequence, reason) = match failure {
        Some(error) => (
            damaged_sequence(&error).unwrap_or(last.sequence + 1),
            error.to_string(),
        ),
        None if last.sequence < head_record.sequence => (
            last.sequence + 1,
            StoreError::Truncated {
                expected: head_record.sequence,
                found: last.sequence,
            }
            .to_string(),
        ),
        None if last.sequence > head_record.sequence => (
            head_record.sequence + 1,
            format!(
                "events up to {} are stored beyond the head record {}",
                last.sequence, head_record.sequence
            ),
        ),
        None if last.hash != head_record.hash => (
            head_record.sequence,
            format!(
                "the head record says hash {} but event {} hashes to {}",
                hex::encode(head_record.hash),
                last.sequence,
                hex::encode(last.hash)
            ),
        ),
        None => return Ok(None),
    };
    let sequence = sequence.max(1);
    let last_good = if sequence <= last.sequence {
        Head {
            sequence: sequence - 1,
            hash: hash_at(db, sequence - 1, end)?,
        }
    } else {
        last
    };
    Ok(Some(Damage {
        sequence,
        last_good,
        reason,
    }))
}
