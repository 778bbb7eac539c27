//! The messages of C2SP tlog-witness (c2sp.org/tlog-witness): a log POSTs
//! `<witness>/add-checkpoint` with the size the witness last cosigned, a consistency proof
//! from it and the new signed checkpoint, and gets back the witness's cosignature lines;
//! a witness that holds another size answers 409 with that size as `text/x.tlog.size`.
//!
//! Request body:
//!
//! ```text
//! old 15
//! <base64 hash>            one line per consistency proof hash (none when old is 0)
//!
//! <the checkpoint, a signed note with the log's signature>
//! ```
//!
//! Pure: formatting and parsing only; the caller checks signatures and proofs.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;

use super::merkle::Hash;
use super::note::NoteSignature;
use super::AuditError;
use crate::limits::{NOTE_BYTES_MAX, NOTE_SIGNATURES_MAX, WITNESS_PROOF_HASHES_MAX};

/// The path, under a witness's URL prefix, that takes checkpoints.
pub const ADD_CHECKPOINT_PATH: &str = "add-checkpoint";

/// The content type of a 409 answer: the witness's size for the origin, in decimal.
pub const SIZE_CONTENT_TYPE: &str = "text/x.tlog.size";

/// One `add-checkpoint` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddCheckpoint {
    /// The size of the last checkpoint the witness cosigned for this log (0 for none).
    pub old_size: u64,
    /// The consistency proof from `old_size` to the checkpoint's size.
    pub proof: Vec<Hash>,
    /// The checkpoint, as a signed note.
    pub note: String,
}

impl AddCheckpoint {
    /// The request body.
    pub fn to_body(&self) -> String {
        let mut body = format!("old {}\n", self.old_size);
        for hash in &self.proof {
            body.push_str(&BASE64.encode(hash));
            body.push('\n');
        }
        body.push('\n');
        body.push_str(&self.note);
        body
    }

    /// Parses a request body, refusing anything but the spec's exact shape.
    pub fn parse(body: &str) -> Result<AddCheckpoint, AuditError> {
        let malformed = AuditError::MalformedNote;
        if body.len() > NOTE_BYTES_MAX + WITNESS_PROOF_HASHES_MAX * 45 + 32 {
            return Err(malformed("the add-checkpoint request is too large"));
        }
        let (head, note) = body
            .split_once("\n\n")
            .ok_or(malformed("no empty line before the checkpoint"))?;
        let mut lines = head.split('\n');
        let old_size = lines
            .next()
            .and_then(|line| line.strip_prefix("old "))
            .and_then(parse_size_body)
            .ok_or(malformed("the first line is not `old <size>`"))?;
        let mut proof = Vec::new();
        for line in lines {
            if proof.len() >= WITNESS_PROOF_HASHES_MAX {
                return Err(malformed("too many consistency proof hashes"));
            }
            let bytes = BASE64
                .decode(line)
                .map_err(|_| malformed("a consistency proof line is not base64"))?;
            let hash = Hash::try_from(bytes.as_slice())
                .map_err(|_| malformed("a proof hash is not 32 bytes"))?;
            proof.push(hash);
        }
        Ok(AddCheckpoint {
            old_size,
            proof,
            note: note.to_string(),
        })
    }
}

/// The body of a 409 answer: the witness's size.
pub fn size_body(size: u64) -> String {
    format!("{size}\n")
}

/// Reads the body of a 409 answer.
pub fn parse_size_body(body: &str) -> Option<u64> {
    let digits = body.strip_suffix('\n').unwrap_or(body);
    // Decimal digits, without a sign or leading zeros.
    let canonical = digits == "0" || !digits.starts_with('0');
    if digits.is_empty() || !canonical || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The signature lines of a 200 answer, each in canonical form with its newline.
pub fn parse_cosignature_lines(body: &str) -> Result<Vec<String>, AuditError> {
    let lines: Vec<&str> = body.lines().filter(|line| !line.is_empty()).collect();
    if lines.is_empty() {
        return Err(AuditError::MalformedNote(
            "the witness sent no signature line",
        ));
    }
    if lines.len() > NOTE_SIGNATURES_MAX {
        return Err(AuditError::MalformedNote(
            "the witness sent too many signature lines",
        ));
    }
    lines
        .into_iter()
        .map(|line| NoteSignature::parse_line(line).map(|signature| signature.to_line()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_add_checkpoint_request_is_written_as_the_spec_shows_and_reads_back() {
        let request = AddCheckpoint {
            old_size: 15,
            proof: vec![[1; 32], [2; 32]],
            note: "example.com/log\n20\nAAAA\n\n— example.com/log abcd\n".into(),
        };
        let body = request.to_body();
        assert!(body.starts_with("old 15\nAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n"));
        assert!(body.contains("=\n\nexample.com/log\n20\n"));
        assert_eq!(AddCheckpoint::parse(&body), Ok(request));
        let empty = AddCheckpoint {
            old_size: 0,
            proof: Vec::new(),
            note: "n\n".into(),
        };
        assert_eq!(empty.to_body(), "old 0\n\nn\n");
        assert_eq!(AddCheckpoint::parse("old 0\n\nn\n"), Ok(empty));
    }

    #[test]
    fn malformed_add_checkpoint_requests_are_refused() {
        for body in [
            "",
            "old 1\n",
            "old\n\nn\n",
            "old -1\n\nn\n",
            "old 01\n\nn\n",
            "old  1\n\nn\n",
            "new 1\n\nn\n",
            "old 1\nnot base64!\n\nn\n",
            "old 1\nAAAA\n\nn\n",
        ] {
            assert!(AddCheckpoint::parse(body).is_err(), "{body:?}");
        }
    }

    #[test]
    fn a_conflict_body_is_the_witness_size_in_decimal() {
        assert_eq!(size_body(42), "42\n");
        assert_eq!(parse_size_body("42\n"), Some(42));
        assert_eq!(parse_size_body("42"), Some(42));
        assert_eq!(parse_size_body("x\n"), None);
        assert_eq!(parse_size_body(""), None);
    }
}
