//! One line of `events.jsonl`: the event's place, hashes and exact stored bytes, and the
//! decoded event for reading.
//!
//! Up to format v3 the decoded event is written in serde's own form of the domain types,
//! where a currency reads `"Krw"` and a hash or a registration number is an array of
//! numbers. From v4 it is written for a reader and for tools such as `jq`: currencies as
//! their ISO 4217 codes (`"KRW"`), hashes as lower-case hex, registration numbers as
//! `123-45-67890`, with the keys of each object in name order. Either way the verifier
//! recomputes the line from the stored bytes and requires the very same text, so the
//! readable form is as checked as the bytes themselves.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::export_format::ExportFormat;
use crate::domain::{Brn, Currency, RecordedEvent};

/// One line of `events.jsonl` as formats v1 to v3 write it, and as every format reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedEvent {
    /// Its sequence number.
    pub sequence: u64,
    /// SHA-256 of its stored bytes, hex.
    pub hash: String,
    /// The previous event's hash, hex.
    pub prev_hash: String,
    /// The exact stored bytes, base64: the Merkle leaf.
    pub stored_bytes: String,
    /// The decoded event, for reading (the verifier requires it to equal the bytes').
    pub event: RecordedEvent,
}

/// A line of format v4 and later: the same fields, the event written for reading.
#[derive(Serialize)]
struct ReadableLine<'a> {
    sequence: u64,
    hash: &'a str,
    prev_hash: &'a str,
    stored_bytes: &'a str,
    event: Value,
}

/// The fields every format's line has in common, read without the decoded event.
#[derive(Debug, Deserialize)]
pub struct LineHead {
    /// The sequence number the line claims.
    pub sequence: u64,
    /// The stored bytes, base64.
    pub stored_bytes: String,
}

/// The text of `event`'s line (without its newline) in `format`.
pub fn line_text(
    event: &RecordedEvent,
    stored_bytes: &[u8],
    format: ExportFormat,
) -> Result<String, serde_json::Error> {
    let hash = hex::encode(event.hash);
    let prev_hash = hex::encode(event.prev_hash);
    let stored_bytes = BASE64.encode(stored_bytes);
    if !format.readable_events() {
        return serde_json::to_string(&ExportedEvent {
            sequence: event.sequence,
            hash,
            prev_hash,
            stored_bytes,
            event: event.clone(),
        });
    }
    let mut readable = serde_json::to_value(event)?;
    make_readable(&mut readable, None);
    serde_json::to_string(&ReadableLine {
        sequence: event.sequence,
        hash: &hash,
        prev_hash: &prev_hash,
        stored_bytes: &stored_bytes,
        event: readable,
    })
}

/// Rewrites, anywhere in `value`, the currencies, hashes and registration numbers that
/// serde writes for machines; `key` is the name `value` stands under.
fn make_readable(value: &mut Value, key: Option<&str>) {
    match (key, &mut *value) {
        (Some("currency"), Value::String(_)) => {
            if let Ok(currency) = serde_json::from_value::<Currency>(value.clone()) {
                *value = Value::String(currency.code().to_string());
            }
        }
        (Some("brn"), Value::Array(_)) => {
            if let Ok(brn) = serde_json::from_value::<Brn>(value.clone()) {
                *value = Value::String(brn.dashed());
            }
        }
        (Some("hash" | "prev_hash"), Value::Array(_)) => {
            if let Ok(bytes) = serde_json::from_value::<[u8; 32]>(value.clone()) {
                *value = Value::String(hex::encode(bytes));
            }
        }
        (_, Value::Object(map)) => {
            for (name, field) in map.iter_mut() {
                make_readable(field, Some(name));
            }
        }
        (_, Value::Array(items)) => {
            for item in items {
                make_readable(item, None);
            }
        }
        _ => {}
    }
}
