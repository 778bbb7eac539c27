//! The persisted snapshot: opaque bytes folded from events `1..=sequence`, kept in a file
//! beside sled's data and described by a manifest in sled holding the hash of event
//! `sequence` and of the bytes.
//!
//! A snapshot of a million-event ledger is a few hundred megabytes. Kept in sled it would
//! be rewritten into sled's log at every snapshot (growing the data file by that much each
//! time) and read back through sled's page cache chunk by chunk (over a second); a plain
//! file is written once, read in one call, and dropped when replaced. The order makes it
//! crash-safe: the file is written under a temporary name, fsynced and renamed, the
//! directory fsynced, and only then does the manifest naming it commit; older files are
//! removed after that.
//!
//! The store does not interpret the bytes. It only guarantees that a snapshot it hands
//! back belongs to this log: the recorded event hash must still be the hash of the
//! stored event at that sequence, and the bytes must hash to what was saved. Anything
//! else is a stale or damaged snapshot; it is ignored with a warning and the caller
//! replays from the start instead. Stores written before files were used keep their
//! snapshot in sled chunks; those are still read, and removed by the next save.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use super::codec;
use super::error::StoreError;
use super::layout::{self, snapshot_chunk_key};
use super::records::{self, SnapshotManifest};
use super::verify;
// The sled store: its snapshot lives beside its data.
use super::SledStore as Store;

/// Snapshot files are named `snapshot-<sequence>-<hash prefix>.bin`.
const FILE_PREFIX: &str = "snapshot-";
const FILE_SUFFIX: &str = ".bin";

impl Store {
    /// Replaces the snapshot with `bytes`, the state after event `sequence`; durable
    /// when this returns.
    pub fn save_snapshot(&self, sequence: u64, bytes: &[u8]) -> Result<(), StoreError> {
        self.refuse_if_damaged()?;
        let head = self.head().sequence;
        if sequence > head {
            return Err(StoreError::Refused(format!(
                "snapshot at {sequence} is beyond the head {head}"
            )));
        }
        let event_hash = verify::hash_at(&self.inner.db, sequence, head)?;
        let content_hash = codec::hash(bytes);
        // The content hash in the name keeps two snapshots at one sequence apart.
        let file = format!(
            "{FILE_PREFIX}{sequence:020}-{}{FILE_SUFFIX}",
            hex::encode(&content_hash[..8])
        );
        write_durably(&self.inner.dir, &file, bytes)?;
        let old_chunks = match self.inner.db.get(layout::SNAPSHOT_MANIFEST)? {
            Some(old) => records::decode_manifest(&old).map_or(0, |m| m.chunk_count),
            None => 0,
        };
        let mut batch = sled::Batch::default();
        for index in 0..old_chunks {
            batch.remove(&snapshot_chunk_key(index)[..]);
        }
        let manifest = SnapshotManifest {
            sequence,
            event_hash,
            chunk_count: 0,
            total_bytes: bytes.len() as u64,
            content_hash,
            file: file.clone(),
        };
        batch.insert(
            layout::SNAPSHOT_MANIFEST,
            records::encode_manifest(&manifest),
        );
        self.inner.db.apply_batch(batch)?;
        self.inner.data_file.commit(&self.inner.db)?;
        remove_other_snapshot_files(&self.inner.dir, &file);
        Ok(())
    }

    /// The saved snapshot and the sequence it was taken at, if it still belongs to this
    /// log. A stale or damaged snapshot gives `None` and a warning saying why.
    pub fn load_snapshot(&self) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
        let Some(bytes) = self.inner.db.get(layout::SNAPSHOT_MANIFEST)? else {
            return Ok(None);
        };
        let manifest = match records::decode_manifest(&bytes) {
            Ok(manifest) => manifest,
            Err(error) => return Ok(ignore(format_args!("{error}"))),
        };
        let head = self.head().sequence;
        if manifest.sequence > head {
            return Ok(ignore(format_args!(
                "snapshot at {} is beyond the head {head}",
                manifest.sequence
            )));
        }
        let stored = verify::hash_at(&self.inner.db, manifest.sequence, head)?;
        if stored != manifest.event_hash {
            return Ok(ignore(format_args!(
                "snapshot was taken after an event {} hashing to {}, but the log's event {} \
                 hashes to {}",
                manifest.sequence,
                hex::encode(manifest.event_hash),
                manifest.sequence,
                hex::encode(stored)
            )));
        }
        let content = if manifest.file.is_empty() {
            self.read_chunks(&manifest)?
        } else {
            read_file(&self.inner.dir, &manifest.file)
        };
        let Some(content) = content else {
            return Ok(None);
        };
        if content.len() as u64 != manifest.total_bytes
            || codec::hash(&content) != manifest.content_hash
        {
            return Ok(ignore(format_args!(
                "snapshot bytes do not hash to the saved content hash"
            )));
        }
        Ok(Some((manifest.sequence, content)))
    }

    /// The snapshot bytes of an older store, if every chunk is present.
    fn read_chunks(&self, manifest: &SnapshotManifest) -> Result<Option<Vec<u8>>, StoreError> {
        // Capacity is bounded by what is actually read, not by the manifest's claim.
        let mut content = Vec::new();
        for index in 0..manifest.chunk_count {
            match self.inner.db.get(snapshot_chunk_key(index))? {
                Some(chunk) => content.extend_from_slice(&chunk),
                None => return Ok(ignore(format_args!("snapshot chunk {index} is missing"))),
            }
        }
        Ok(Some(content))
    }
}

/// Writes `bytes` to `dir/name` so that the file and its name survive a power loss.
fn write_durably(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), StoreError> {
    let temporary = dir.join(format!("{name}.tmp"));
    let mut file = File::create(&temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&temporary, dir.join(name))?;
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    Ok(())
}

/// The bytes of a snapshot file, or `None` (with a warning) when it cannot be read.
fn read_file(dir: &Path, name: &str) -> Option<Vec<u8>> {
    // A manifest names a plain file in the store directory, never a path elsewhere.
    if name.contains(['/', '\\']) || !name.starts_with(FILE_PREFIX) {
        return ignore(format_args!(
            "snapshot file name {name:?} is not a snapshot file"
        ));
    }
    match std::fs::read(dir.join(name)) {
        Ok(content) => Some(content),
        Err(error) => ignore(format_args!("snapshot file {name} cannot be read: {error}")),
    }
}

/// Removes snapshot files other than `keep` (replaced ones, and temporaries left by a
/// crash). Failing to remove one only wastes space, so it is logged, never fatal.
fn remove_other_snapshot_files(dir: &Path, keep: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with(FILE_PREFIX) && name != keep {
            if let Err(error) = std::fs::remove_file(entry.path()) {
                tracing::warn!(%error, file = name, "old snapshot file not removed");
            }
        }
    }
}

/// Logs why the stored snapshot is not used.
fn ignore<T>(reason: std::fmt::Arguments<'_>) -> Option<T> {
    tracing::warn!("ignoring the stored snapshot: {reason}; replaying from the start");
    None
}
