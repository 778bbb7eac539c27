//! The store's own records beside the events: head and checkpoint positions, idempotency
//! records, the layout version and the snapshot manifest, to and from their stored bytes.

use prost::Message;

use super::error::StoreError;
use super::proto as pb;
use super::{Head, IdempotencyRecord};

/// Where the snapshot bytes are and what they hash to, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SnapshotManifest {
    pub sequence: u64,
    pub event_hash: [u8; 32],
    pub chunk_count: u32,
    pub total_bytes: u64,
    pub content_hash: [u8; 32],
    /// The file holding the bytes; empty when they are in chunks.
    pub file: String,
}

fn hash32(record: &str, field: &str, bytes: &[u8]) -> Result<[u8; 32], StoreError> {
    <[u8; 32]>::try_from(bytes)
        .map_err(|_| StoreError::record(record, format!("{field} has {} bytes", bytes.len())))
}

fn damaged(record: &str) -> impl Fn(prost::DecodeError) -> StoreError + '_ {
    move |e| StoreError::record(record, e.to_string())
}

pub(crate) fn encode_position(head: Head) -> Vec<u8> {
    pb::ChainPosition {
        sequence: head.sequence,
        hash: head.hash.to_vec(),
    }
    .encode_to_vec()
}

pub(crate) fn decode_position(record: &str, bytes: &[u8]) -> Result<Head, StoreError> {
    let position = pb::ChainPosition::decode(bytes).map_err(damaged(record))?;
    Ok(Head {
        sequence: position.sequence,
        hash: hash32(record, "hash", &position.hash)?,
    })
}

/// The position stored under `key` (the head or the verified checkpoint), the empty
/// position when absent.
pub(crate) fn stored_position(db: &sled::Db, key: &[u8]) -> Result<Head, StoreError> {
    match db.get(key)? {
        Some(bytes) => decode_position(&String::from_utf8_lossy(&key[1..]), &bytes),
        None => Ok(Head::EMPTY),
    }
}

pub(crate) fn encode_idempotency(record: &IdempotencyRecord) -> Vec<u8> {
    pb::IdempotencyRecord {
        fingerprint: record.fingerprint.to_vec(),
        first_sequence: record.first_sequence,
        event_count: record.event_count,
    }
    .encode_to_vec()
}

pub(crate) fn decode_idempotency(bytes: &[u8]) -> Result<IdempotencyRecord, StoreError> {
    let name = "idempotency record";
    let record = pb::IdempotencyRecord::decode(bytes).map_err(damaged(name))?;
    Ok(IdempotencyRecord {
        fingerprint: hash32(name, "fingerprint", &record.fingerprint)?,
        first_sequence: record.first_sequence,
        event_count: record.event_count,
    })
}

pub(crate) fn encode_format(format_version: u32) -> Vec<u8> {
    pb::StoreFormat { format_version }.encode_to_vec()
}

pub(crate) fn decode_format(bytes: &[u8]) -> Result<u32, StoreError> {
    let format = pb::StoreFormat::decode(bytes).map_err(damaged("store format"))?;
    Ok(format.format_version)
}

pub(crate) fn encode_manifest(manifest: &SnapshotManifest) -> Vec<u8> {
    pb::SnapshotManifest {
        sequence: manifest.sequence,
        event_hash: manifest.event_hash.to_vec(),
        chunk_count: manifest.chunk_count,
        total_bytes: manifest.total_bytes,
        content_hash: manifest.content_hash.to_vec(),
        file: manifest.file.clone(),
    }
    .encode_to_vec()
}

pub(crate) fn decode_manifest(bytes: &[u8]) -> Result<SnapshotManifest, StoreError> {
    let name = "snapshot manifest";
    let manifest = pb::SnapshotManifest::decode(bytes).map_err(damaged(name))?;
    Ok(SnapshotManifest {
        sequence: manifest.sequence,
        event_hash: hash32(name, "event_hash", &manifest.event_hash)?,
        chunk_count: manifest.chunk_count,
        total_bytes: manifest.total_bytes,
        content_hash: hash32(name, "content_hash", &manifest.content_hash)?,
        file: manifest.file,
    })
}
