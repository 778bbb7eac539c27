//! Signed tree heads as C2SP checkpoints (c2sp.org/tlog-checkpoint) in signed notes.
//!
//! A checkpoint body is the origin line, the tree size in decimal, the root hash in
//! base64, then extension lines. This log always writes one extension line first,
//! `timestamp <POSIX seconds>`, the time the tree head was signed: the format has no
//! field for it and the log's signature must cover it. Other extension lines follow.
//!
//! ```text
//! ledger.example.org/matchledger
//! 4097
//! CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=
//! timestamp 1732540000
//!
//! — ledger.example.org/matchledger Az3grlgt...
//! — witness.example.org/w1 jWbPPw...
//! ```
//!
//! Witnesses add `cosignature/v1` lines (c2sp.org/tlog-cosignature) over the same body;
//! a note carrying the log's signature and cosignatures verifies with any one of the keys.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;

use super::keys::{SigningKey, VerifierKey};
use super::merkle::Hash;
use super::note::{self, NoteSignature, SignedNote};
use super::AuditError;

/// The keyword of the timestamp extension line.
const TIMESTAMP_KEYWORD: &str = "timestamp ";

/// A tree head: which log, how many leaves, their root, and when it was signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's identity, conventionally a schema-less URL (`ledger.example.org/matchledger`).
    pub origin: String,
    /// Leaves (events) in the tree.
    pub size: u64,
    /// The RFC 6962 root of the tree of `size` leaves.
    pub root: Hash,
    /// When the tree head was signed, in POSIX seconds.
    pub timestamp: u64,
    /// Further extension lines, after the timestamp line; each non-empty.
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// The note text: origin, size, root, the timestamp line and any other extension lines,
    /// each ending in a newline.
    pub fn to_body(&self) -> String {
        let mut body = format!(
            "{}\n{}\n{}\n{TIMESTAMP_KEYWORD}{}\n",
            self.origin,
            self.size,
            BASE64.encode(self.root),
            self.timestamp
        );
        for line in &self.extensions {
            body.push_str(line);
            body.push('\n');
        }
        body
    }

    /// Parses a note text written by [`Checkpoint::to_body`], strictly: a size without
    /// leading zeros, a canonical 32-byte base64 root, a timestamp line.
    pub fn parse_body(body: &str) -> Result<Checkpoint, AuditError> {
        let lines = body
            .strip_suffix('\n')
            .ok_or(AuditError::MalformedCheckpoint(
                "the body must end in a newline",
            ))?;
        let mut lines = lines.split('\n');
        let origin = lines.next().unwrap_or_default();
        let size = parse_decimal(lines.next().unwrap_or_default()).ok_or(
            AuditError::MalformedCheckpoint("the size must be a decimal without leading zeros"),
        )?;
        let root = lines
            .next()
            .and_then(|line| BASE64.decode(line).ok())
            .and_then(|bytes| Hash::try_from(bytes).ok())
            .ok_or(AuditError::MalformedCheckpoint(
                "the root must be 32 bytes in base64",
            ))?;
        let timestamp = lines
            .next()
            .and_then(|line| line.strip_prefix(TIMESTAMP_KEYWORD))
            .and_then(parse_decimal)
            .ok_or(AuditError::MalformedCheckpoint(
                "the fourth line must be `timestamp <seconds>`",
            ))?;
        let checkpoint = Checkpoint {
            origin: origin.to_string(),
            size,
            root,
            timestamp,
            extensions: lines.map(str::to_string).collect(),
        };
        checkpoint.validate()?;
        Ok(checkpoint)
    }

    /// Checks what the types do not: a non-empty origin and extension lines without
    /// newlines or control characters, and no second timestamp line.
    pub fn validate(&self) -> Result<(), AuditError> {
        if self.origin.is_empty() || has_control(&self.origin) {
            return Err(AuditError::MalformedCheckpoint(
                "the origin must be non-empty, without control characters",
            ));
        }
        for line in &self.extensions {
            if line.is_empty() || has_control(line) {
                return Err(AuditError::MalformedCheckpoint(
                    "extension lines must be non-empty, without control characters",
                ));
            }
            if line.starts_with(TIMESTAMP_KEYWORD) {
                return Err(AuditError::MalformedCheckpoint("a second timestamp line"));
            }
        }
        Ok(())
    }
}

/// The signed note of `checkpoint` by the log's key.
pub fn sign_checkpoint(checkpoint: &Checkpoint, key: &SigningKey) -> Result<String, AuditError> {
    checkpoint.validate()?;
    note::sign(&checkpoint.to_body(), key)
}

/// Verifies a signed checkpoint against one verifier key string — the log's (type 0x01) or
/// a witness's cosignature key (type 0x04) — and returns the checkpoint. Lines from other
/// keys are ignored.
pub fn verify_checkpoint(note: &str, verifier_key: &str) -> Result<Checkpoint, AuditError> {
    let verified = note::verify(note, verifier_key)?;
    Checkpoint::parse_body(&verified.text)
}

/// A witness's `cosignature/v1` line over `checkpoint` at `time` (POSIX seconds), to add to
/// the log's note with [`note::add_signature`].
pub fn cosign(checkpoint: &Checkpoint, key: &SigningKey, time: u64) -> Result<String, AuditError> {
    checkpoint.validate()?;
    note::cosignature_line(&checkpoint.to_body(), key, time)
}

/// Verifies one cosignature line over `checkpoint` by the witness with `verifier_key`
/// (its cosignature key, or its plain Ed25519 key, read as the same key cosigning), and
/// returns the cosignature's time.
pub fn verify_cosignature(
    checkpoint: &Checkpoint,
    line: &str,
    verifier_key: &str,
) -> Result<u64, AuditError> {
    let key = VerifierKey::parse(verifier_key)?.as_cosignature_key();
    let note = SignedNote {
        text: checkpoint.to_body(),
        signatures: vec![NoteSignature::parse_line(line)?],
    };
    note.verify(&key)?
        .cosigned_at
        .ok_or(AuditError::InvalidSignature {
            name: key.name().to_string(),
            key_hash: key.key_hash(),
        })
}

/// A canonical decimal: digits only, no leading zero unless it is `0`.
fn parse_decimal(text: &str) -> Option<u64> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    canonical.then(|| text.parse().ok()).flatten()
}

fn has_control(text: &str) -> bool {
    text.chars().any(char::is_control)
}
