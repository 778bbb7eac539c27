//! C2SP signed notes (c2sp.org/signed-note, Go's `sumdb/note`): a text ending in a newline,
//! a blank line, then one or more signature lines
//! `— <key name> base64(4-byte key hash ‖ signature)`.
//!
//! Signatures are Ed25519 over the text (key type 0x01) or `cosignature/v1` timestamped
//! Ed25519 over `cosignature/v1\ntime <t>\n` ‖ text (key type 0x04,
//! c2sp.org/tlog-cosignature). A verifier knows one key: lines from other keys are
//! ignored, every line from that key must verify, and at least one must be present.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;

use super::keys::{SigningKey, VerifierKey, KEY_TYPE_COSIGNATURE_V1};
use super::AuditError;
use crate::limits::{NOTE_BYTES_MAX, NOTE_SIGNATURES_MAX};

/// What starts every signature line: an em dash (U+2014) and a space.
const SIGNATURE_PREFIX: &str = "\u{2014} ";

/// Header line of the message a `cosignature/v1` signs.
const COSIGNATURE_HEADER: &str = "cosignature/v1\n";

/// Largest cosignature time the format allows (2^63 − 1 seconds).
const COSIGNATURE_TIME_MAX: u64 = i64::MAX as u64;

/// One signature line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// The key's name.
    pub name: String,
    /// The key hash (key ID).
    pub key_hash: u32,
    /// The signature bytes after the key hash (for a cosignature: time ‖ signature).
    pub signature: Vec<u8>,
}

impl NoteSignature {
    /// The line, with its final newline.
    pub fn to_line(&self) -> String {
        let mut bytes = Vec::with_capacity(4 + self.signature.len());
        bytes.extend_from_slice(&self.key_hash.to_be_bytes());
        bytes.extend_from_slice(&self.signature);
        format!("{SIGNATURE_PREFIX}{} {}\n", self.name, BASE64.encode(bytes))
    }

    /// Parses one line, with or without its final newline.
    pub fn parse_line(line: &str) -> Result<NoteSignature, AuditError> {
        let line = line.strip_suffix('\n').unwrap_or(line);
        let rest = line
            .strip_prefix(SIGNATURE_PREFIX)
            .ok_or(AuditError::MalformedNote(
                "a signature line starts with an em dash",
            ))?;
        let (name, encoded) = rest.split_once(' ').ok_or(AuditError::MalformedNote(
            "a signature line is name, space, base64",
        ))?;
        if !super::keys::is_valid_key_name(name) {
            return Err(AuditError::MalformedNote(
                "invalid key name in a signature line",
            ));
        }
        let bytes = BASE64
            .decode(encoded)
            .map_err(|_| AuditError::MalformedNote("a signature is not base64"))?;
        if bytes.len() < 5 {
            return Err(AuditError::MalformedNote(
                "a signature is shorter than 5 bytes",
            ));
        }
        let (hash, signature) = bytes.split_at(4);
        Ok(NoteSignature {
            name: name.to_string(),
            key_hash: u32::from_be_bytes([hash[0], hash[1], hash[2], hash[3]]),
            signature: signature.to_vec(),
        })
    }

    fn is_by(&self, key: &VerifierKey) -> bool {
        self.name == key.name() && self.key_hash == key.key_hash()
    }
}

/// A parsed, not yet verified, signed note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedNote {
    /// The text, ending in a newline.
    pub text: String,
    /// The signature lines, in order.
    pub signatures: Vec<NoteSignature>,
}

/// What a verification established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedNote {
    /// The text the key signed.
    pub text: String,
    /// For a cosignature key, the time (POSIX seconds) of its first cosignature.
    pub cosigned_at: Option<u64>,
}

impl SignedNote {
    /// Parses a signed note, checking its format (not its signatures).
    pub fn parse(note: &str) -> Result<SignedNote, AuditError> {
        if note.len() > NOTE_BYTES_MAX {
            return Err(AuditError::MalformedNote("the note is too large"));
        }
        check_characters(note)?;
        // The text ends at the last blank line; it may hold blank lines itself.
        let split = note.rfind("\n\n").ok_or(AuditError::MalformedNote(
            "no blank line before the signatures",
        ))?;
        let (text, lines) = (&note[..split + 1], &note[split + 2..]);
        if lines.is_empty() || !lines.ends_with('\n') {
            return Err(AuditError::MalformedNote(
                "the signatures must be non-empty lines ending in a newline",
            ));
        }
        let mut signatures = Vec::new();
        for line in lines.split_terminator('\n') {
            if signatures.len() == NOTE_SIGNATURES_MAX {
                return Err(AuditError::MalformedNote("too many signatures"));
            }
            signatures.push(NoteSignature::parse_line(line)?);
        }
        Ok(SignedNote {
            text: text.to_string(),
            signatures,
        })
    }

    /// The note as text.
    pub fn to_note(&self) -> String {
        let mut note = format!("{}\n", self.text);
        for signature in &self.signatures {
            note.push_str(&signature.to_line());
        }
        note
    }

    /// Verifies the note against one key: its lines must be present and all verify.
    pub fn verify(&self, key: &VerifierKey) -> Result<VerifiedNote, AuditError> {
        let mut cosigned_at = None;
        let mut found = false;
        for line in self.signatures.iter().filter(|line| line.is_by(key)) {
            found = true;
            let time =
                verify_line(&self.text, line, key).ok_or_else(|| AuditError::InvalidSignature {
                    name: key.name().to_string(),
                    key_hash: key.key_hash(),
                })?;
            cosigned_at = cosigned_at.or(time);
        }
        if !found {
            return Err(AuditError::NotSignedByKey {
                name: key.name().to_string(),
                key_hash: key.key_hash(),
            });
        }
        Ok(VerifiedNote {
            text: self.text.clone(),
            cosigned_at,
        })
    }
}

/// Signs `text` (non-empty, ending in a newline, no control characters but newlines):
/// the signed note with one Ed25519 signature line.
pub fn sign(text: &str, key: &SigningKey) -> Result<String, AuditError> {
    check_text(text)?;
    let line = NoteSignature {
        name: key.name().to_string(),
        key_hash: key.key_hash(),
        signature: key.sign(text.as_bytes()).to_vec(),
    };
    Ok(format!("{text}\n{}", line.to_line()))
}

/// Signs `text` with every key of `keys`, in order: the note a log serves while it moves
/// from one key to the next (same name, another key hash), so that verifiers holding
/// either key accept it. At least one key is needed.
pub fn sign_by_all(text: &str, keys: &[&SigningKey]) -> Result<String, AuditError> {
    let (first, rest) = keys.split_first().ok_or(AuditError::MalformedNote(
        "a note needs at least one signature",
    ))?;
    let mut note = sign(text, first)?;
    for key in rest {
        let line = NoteSignature {
            name: key.name().to_string(),
            key_hash: key.key_hash(),
            signature: key.sign(text.as_bytes()).to_vec(),
        };
        note = add_signature(&note, &line.to_line())?;
    }
    Ok(note)
}

/// The `cosignature/v1` line of `key` over `text` at `time` (POSIX seconds).
pub fn cosignature_line(text: &str, key: &SigningKey, time: u64) -> Result<String, AuditError> {
    check_text(text)?;
    if time > COSIGNATURE_TIME_MAX {
        return Err(AuditError::MalformedNote(
            "a cosignature time is at most 2^63 - 1",
        ));
    }
    let mut signature = time.to_be_bytes().to_vec();
    signature.extend_from_slice(&key.sign(&cosignature_message(time, text)));
    Ok(NoteSignature {
        name: key.name().to_string(),
        key_hash: key.cosignature_key_hash(),
        signature,
    }
    .to_line())
}

/// Adds a signature line (a witness's cosignature, say) to a signed note, replacing any
/// line from the same key.
pub fn add_signature(note: &str, line: &str) -> Result<String, AuditError> {
    let mut parsed = SignedNote::parse(note)?;
    let added = NoteSignature::parse_line(line)?;
    parsed
        .signatures
        .retain(|old| !(old.name == added.name && old.key_hash == added.key_hash));
    if parsed.signatures.len() == NOTE_SIGNATURES_MAX {
        return Err(AuditError::MalformedNote("too many signatures"));
    }
    parsed.signatures.push(added);
    Ok(parsed.to_note())
}

/// Verifies `note` against the verifier key string `verifier_key` (type 0x01 or 0x04).
pub fn verify(note: &str, verifier_key: &str) -> Result<VerifiedNote, AuditError> {
    let key = VerifierKey::parse(verifier_key)?;
    SignedNote::parse(note)?.verify(&key)
}

/// Checks one line already known to be `key`'s; the cosignature time when it is one.
/// `None` when the signature does not verify.
fn verify_line(text: &str, line: &NoteSignature, key: &VerifierKey) -> Option<Option<u64>> {
    if key.key_type() != KEY_TYPE_COSIGNATURE_V1 {
        return key
            .verifies(text.as_bytes(), &line.signature)
            .then_some(None);
    }
    let (time, signature) = line.signature.split_first_chunk::<8>()?;
    let time = u64::from_be_bytes(*time);
    if time > COSIGNATURE_TIME_MAX {
        return None;
    }
    key.verifies(&cosignature_message(time, text), signature)
        .then_some(Some(time))
}

/// The message a `cosignature/v1` signs: the header line, the time line, then the text.
pub(crate) fn cosignature_message(time: u64, text: &str) -> Vec<u8> {
    format!("{COSIGNATURE_HEADER}time {time}\n{text}").into_bytes()
}

/// A signable text: non-empty, ending in a newline, no control characters but newlines.
fn check_text(text: &str) -> Result<(), AuditError> {
    if text.is_empty() || !text.ends_with('\n') {
        return Err(AuditError::MalformedNote("the text must end in a newline"));
    }
    if text.len() > NOTE_BYTES_MAX {
        return Err(AuditError::MalformedNote("the note is too large"));
    }
    check_characters(text)
}

fn check_characters(text: &str) -> Result<(), AuditError> {
    if text.chars().any(|c| c < ' ' && c != '\n') {
        return Err(AuditError::MalformedNote(
            "control characters other than newline are not allowed",
        ));
    }
    Ok(())
}
