//! Checkpoints and cosignatures: known answers computed independently (Python's
//! `cryptography`, which reproduces Go's note signature above), round trips, refusals.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

use crate::audit::checkpoint::*;
use crate::audit::keys::SigningKey;
use crate::audit::merkle::{Hash, MemoryNodes};
use crate::audit::note;
use crate::audit::AuditError;

const PETER_PRIVATE: &str =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const PETER_VERIFIER: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const PETER_COSIGNER: &str = "PeterNeumann+18b9780b+BBpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";

/// The tree of the eight RFC 6962 test leaves, signed by Peter at 1732540000.
const RFC_BODY: &str =
    "example.com/log\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\ntimestamp 1732540000\n";
const RFC_SIGNATURE: &str = "\u{2014} PeterNeumann x08go6vh1nzjIoC7hPzDQwH+2m8pGdeN4rRRjoza3JWN7SpW2Nf+4ohbD3ts7hLQi1TnmpDujGwZGwgjJcSiISWDyw8=\n";
/// Peter's cosignature of the same checkpoint at 1732540100.
const RFC_COSIGNATURE: &str = "\u{2014} PeterNeumann GLl4CwAAAABnRHbEFUYyvit7NIaor1ypeQyJmJFuG1MVRIL3xZLgPFqG34K9dRJUfIZVs8ZfhLKWdfZpA1nd8hGDR4Np9WtnV6iWBA==\n";

fn peter() -> SigningKey {
    SigningKey::from_private_key(PETER_PRIVATE).unwrap()
}

fn rfc_root() -> Hash {
    let leaves = [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
    ]
    .iter()
    .chain(&["606162636465666768696a6b6c6d6e6f"])
    .map(|leaf| hex::decode(leaf).unwrap());
    MemoryNodes::from_leaves(leaves).1.root()
}

fn rfc_checkpoint() -> Checkpoint {
    Checkpoint {
        origin: "example.com/log".into(),
        size: 8,
        root: rfc_root(),
        timestamp: 1732540000,
        extensions: Vec::new(),
    }
}

#[test]
fn checkpoint_body_and_signature_match_the_known_answer() {
    let checkpoint = rfc_checkpoint();
    assert_eq!(checkpoint.to_body(), RFC_BODY);
    let signed = sign_checkpoint(&checkpoint, &peter()).unwrap();
    assert_eq!(signed, format!("{RFC_BODY}\n{RFC_SIGNATURE}"));
    assert_eq!(
        verify_checkpoint(&signed, PETER_VERIFIER).unwrap(),
        checkpoint
    );
}

#[test]
fn cosignature_matches_the_known_answer_and_verifies() {
    let checkpoint = rfc_checkpoint();
    let line = cosign(&checkpoint, &peter(), 1732540100).unwrap();
    assert_eq!(line, RFC_COSIGNATURE);
    // With the cosignature key, or with the plain key read as the same key cosigning.
    assert_eq!(
        verify_cosignature(&checkpoint, &line, PETER_COSIGNER),
        Ok(1732540100)
    );
    assert_eq!(
        verify_cosignature(&checkpoint, &line, PETER_VERIFIER),
        Ok(1732540100)
    );
}

#[test]
fn a_note_with_log_and_witness_signatures_verifies_with_each_key() {
    // Given a log key and two witnesses who cosign the log's checkpoint.
    let mut random = ChaCha20Rng::seed_from_u64(42);
    let log = SigningKey::generate("ledger.example.org/matchledger", &mut random).unwrap();
    let witness_a = SigningKey::generate("witness.example.org/a", &mut random).unwrap();
    let witness_b = SigningKey::generate("witness.example.org/b", &mut random).unwrap();
    let checkpoint = Checkpoint {
        origin: "ledger.example.org/matchledger".into(),
        size: 4097,
        root: [7; 32],
        timestamp: 1732540000,
        extensions: vec!["phase 2023-2".into()],
    };
    let mut signed = sign_checkpoint(&checkpoint, &log).unwrap();
    for (witness, time) in [(&witness_a, 1732540005), (&witness_b, 1732540009)] {
        let line = cosign(&checkpoint, witness, time).unwrap();
        signed = note::add_signature(&signed, &line).unwrap();
    }
    // Then any one key verifies it, each witness at its own time.
    assert_eq!(
        verify_checkpoint(&signed, &log.verifier_key()).unwrap(),
        checkpoint
    );
    for (witness, time) in [(&witness_a, 1732540005), (&witness_b, 1732540009)] {
        let key = witness.cosignature_verifier_key();
        assert_eq!(verify_checkpoint(&signed, &key).unwrap(), checkpoint);
        assert_eq!(note::verify(&signed, &key).unwrap().cosigned_at, Some(time));
    }
    // And a witness's plain key is a different key: its cosignature is not a signature.
    assert!(matches!(
        verify_checkpoint(&signed, &witness_a.verifier_key()),
        Err(AuditError::NotSignedByKey { .. })
    ));
}

#[test]
fn a_cosignature_over_another_checkpoint_or_time_is_refused() {
    let checkpoint = rfc_checkpoint();
    let line = cosign(&checkpoint, &peter(), 1732540100).unwrap();
    let grown = Checkpoint {
        size: 9,
        ..checkpoint.clone()
    };
    assert!(matches!(
        verify_cosignature(&grown, &line, PETER_COSIGNER),
        Err(AuditError::InvalidSignature { .. })
    ));
    // Rewrite the time inside the line: the signature no longer covers it.
    let mut bytes = BASE64
        .decode(line.trim_end().rsplit(' ').next().unwrap())
        .unwrap();
    bytes[11] ^= 1;
    let forged = format!("\u{2014} PeterNeumann {}\n", BASE64.encode(bytes));
    assert!(matches!(
        verify_cosignature(&checkpoint, &forged, PETER_COSIGNER),
        Err(AuditError::InvalidSignature { .. })
    ));
    // A plain signature line is not a cosignature.
    assert!(matches!(
        verify_cosignature(&checkpoint, RFC_SIGNATURE, PETER_COSIGNER),
        Err(AuditError::NotSignedByKey { .. })
    ));
    // The format caps the time at 2^63 - 1.
    assert!(cosign(&checkpoint, &peter(), 1 << 63).is_err());
}

#[test]
fn a_checkpoint_signed_by_another_key_or_altered_is_refused() {
    let signed = format!("{RFC_BODY}\n{RFC_SIGNATURE}");
    let mut random = ChaCha20Rng::seed_from_u64(3);
    let other = SigningKey::generate("PeterNeumann", &mut random).unwrap();
    assert!(matches!(
        verify_checkpoint(&signed, &other.verifier_key()),
        Err(AuditError::NotSignedByKey { .. })
    ));
    let altered = signed.replace("\n8\n", "\n9\n");
    assert!(matches!(
        verify_checkpoint(&altered, PETER_VERIFIER),
        Err(AuditError::InvalidSignature { .. })
    ));
}

#[test]
fn checkpoint_bodies_round_trip_with_extensions() {
    let checkpoint = Checkpoint {
        origin: "ledger.example.org/matchledger".into(),
        size: 0,
        root: crate::audit::empty_root(),
        timestamp: 0,
        extensions: vec!["a".into(), "b c".into()],
    };
    let body = checkpoint.to_body();
    assert!(body.ends_with("\ntimestamp 0\na\nb c\n"));
    assert_eq!(Checkpoint::parse_body(&body).unwrap(), checkpoint);
}

#[test]
fn malformed_checkpoint_bodies_are_refused() {
    let root = BASE64.encode([1u8; 32]);
    let bad = [
        format!("origin\n8\n{root}\ntimestamp 1"),
        format!("\n8\n{root}\ntimestamp 1\n"),
        format!("origin\n08\n{root}\ntimestamp 1\n"),
        format!("origin\n+8\n{root}\ntimestamp 1\n"),
        format!("origin\n-1\n{root}\ntimestamp 1\n"),
        format!("origin\n18446744073709551616\n{root}\ntimestamp 1\n"),
        format!("origin\n8\n{}\ntimestamp 1\n", BASE64.encode([1u8; 31])),
        "origin\n8\nnot base64\ntimestamp 1\n".to_string(),
        format!("origin\n8\n{root}\n"),
        format!("origin\n8\n{root}\ntimestamp 01\n"),
        format!("origin\n8\n{root}\ntime 1\n"),
        format!("origin\n8\n{root}\ntimestamp 1\n\n"),
        format!("origin\n8\n{root}\ntimestamp 1\ntimestamp 2\n"),
    ];
    for body in bad {
        assert!(
            matches!(
                Checkpoint::parse_body(&body),
                Err(AuditError::MalformedCheckpoint(_))
            ),
            "{body:?}"
        );
    }
}

#[test]
fn checkpoints_that_would_break_the_note_are_not_signed() {
    let bad = [
        Checkpoint {
            origin: String::new(),
            ..rfc_checkpoint()
        },
        Checkpoint {
            origin: "two\nlines".into(),
            ..rfc_checkpoint()
        },
        Checkpoint {
            extensions: vec![String::new()],
            ..rfc_checkpoint()
        },
        Checkpoint {
            extensions: vec!["timestamp 5".into()],
            ..rfc_checkpoint()
        },
    ];
    for checkpoint in bad {
        assert!(
            sign_checkpoint(&checkpoint, &peter()).is_err(),
            "{checkpoint:?}"
        );
        assert!(cosign(&checkpoint, &peter(), 1).is_err(), "{checkpoint:?}");
    }
}
