//! The persisted projection snapshot: opaque bytes folded from events `1..=sequence`,
//! stored in chunks beside the hash of event `sequence`.
//!
//! The store does not interpret the bytes. It only guarantees that a snapshot it hands
//! back belongs to this log: the recorded event hash must still be the hash of the
//! stored event at that sequence, and the chunks must hash to what was saved. Anything
//! else is a stale or damaged snapshot; it is ignored with a warning and the caller
//! replays from the start instead.

use super::codec;
use super::error::StoreError;
use super::layout::{self, snapshot_chunk_key};
use super::records::{self, SnapshotManifest};
use super::{verify, Store};
use crate::limits::BLOCK_BYTES_MAX;

impl Store {
    /// Replaces the snapshot with `bytes`, the projection after event `sequence`;
    /// durable when this returns. Chunks are at most `BLOCK_BYTES_MAX` bytes so that every
    /// sled value stays inline (see `layout`).
    pub fn save_snapshot(&self, sequence: u64, bytes: &[u8]) -> Result<(), StoreError> {
        let head = self.head().sequence;
        if sequence > head {
            return Err(StoreError::Refused(format!(
                "snapshot at {sequence} is beyond the head {head}"
            )));
        }
        let event_hash = verify::hash_at(&self.inner.db, sequence, head)?;
        let chunks: Vec<&[u8]> = bytes.chunks(BLOCK_BYTES_MAX).collect();
        let chunk_count = u32::try_from(chunks.len())
            .map_err(|_| StoreError::Refused(format!("snapshot of {} bytes", bytes.len())))?;
        let old_count = match self.inner.db.get(layout::SNAPSHOT_MANIFEST)? {
            Some(old) => records::decode_manifest(&old).map_or(0, |m| m.chunk_count),
            None => 0,
        };
        let mut batch = sled::Batch::default();
        for (index, chunk) in (0u32..).zip(&chunks) {
            batch.insert(&snapshot_chunk_key(index)[..], *chunk);
        }
        for index in chunk_count..old_count {
            batch.remove(&snapshot_chunk_key(index)[..]);
        }
        let manifest = SnapshotManifest {
            sequence,
            event_hash,
            chunk_count,
            total_bytes: bytes.len() as u64,
            content_hash: codec::hash(bytes),
        };
        batch.insert(
            layout::SNAPSHOT_MANIFEST,
            records::encode_manifest(&manifest),
        );
        self.inner.db.apply_batch(batch)?;
        self.inner.data_file.commit(&self.inner.db)
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
        let Some(content) = self.read_chunks(&manifest)? else {
            return Ok(None);
        };
        Ok(Some((manifest.sequence, content)))
    }

    /// The snapshot bytes, if every chunk is present and they hash to the manifest's hash.
    fn read_chunks(&self, manifest: &SnapshotManifest) -> Result<Option<Vec<u8>>, StoreError> {
        // Capacity is bounded by what is actually read, not by the manifest's claim.
        let mut content = Vec::new();
        for index in 0..manifest.chunk_count {
            match self.inner.db.get(snapshot_chunk_key(index))? {
                Some(chunk) => content.extend_from_slice(&chunk),
                None => return Ok(ignore(format_args!("snapshot chunk {index} is missing"))),
            }
        }
        if content.len() as u64 != manifest.total_bytes
            || codec::hash(&content) != manifest.content_hash
        {
            return Ok(ignore(format_args!(
                "snapshot chunks do not hash to the saved content hash"
            )));
        }
        Ok(Some(content))
    }
}

/// Logs why the stored snapshot is not used.
fn ignore<T>(reason: std::fmt::Arguments<'_>) -> Option<T> {
    tracing::warn!("ignoring the stored projection snapshot: {reason}; replaying from the start");
    None
}
