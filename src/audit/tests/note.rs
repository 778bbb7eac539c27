//! Keys and signed notes against the known answers of Go's `golang.org/x/mod/sumdb/note`
//! (note_test.go) and `github.com/transparency-dev/formats/note`, byte for byte.

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

use crate::audit::keys::*;
use crate::audit::note::{self, NoteSignature, SignedNote};
use crate::audit::AuditError;

const PETER_PRIVATE: &str =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const PETER_VERIFIER: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const ENOCH_VERIFIER: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
const TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                    then you don't know what your problem is.\n";
const PETER_LINE: &str = "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
const ENOCH_LINE: &str = "\u{2014} EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

fn peter() -> SigningKey {
    SigningKey::from_private_key(PETER_PRIVATE).unwrap()
}

#[test]
fn go_signer_key_gives_go_verifier_key() {
    let key = peter();
    assert_eq!(key.name(), "PeterNeumann");
    assert_eq!(key.key_hash(), 0xc74f20a3);
    assert_eq!(key.verifier_key(), PETER_VERIFIER);
    assert_eq!(key.to_private_key(), PETER_PRIVATE);
}

#[test]
fn go_signed_note_is_reproduced_byte_for_byte() {
    let signed = note::sign(TEXT, &peter()).unwrap();
    assert_eq!(signed, format!("{TEXT}\n{PETER_LINE}"));
}

#[test]
fn go_note_with_two_signatures_verifies_with_either_key() {
    let signed = format!("{TEXT}\n{PETER_LINE}{ENOCH_LINE}");
    for key in [PETER_VERIFIER, ENOCH_VERIFIER] {
        let verified = note::verify(&signed, key).unwrap();
        assert_eq!(verified.text, TEXT);
        assert_eq!(verified.cosigned_at, None);
    }
}

#[test]
fn a_note_without_a_line_from_the_key_is_refused() {
    let signed = format!("{TEXT}\n{ENOCH_LINE}");
    assert_eq!(
        note::verify(&signed, PETER_VERIFIER),
        Err(AuditError::NotSignedByKey {
            name: "PeterNeumann".into(),
            key_hash: 0xc74f20a3
        })
    );
}

#[test]
fn a_corrupted_signature_from_the_key_refuses_the_whole_note() {
    // Given Go's "invalid signature" case: four characters spliced into Peter's line.
    let corrupted = format!("{}ABCD{}", &PETER_LINE[..60], &PETER_LINE[60..]);
    let signed = format!("{TEXT}\n{corrupted}{ENOCH_LINE}");
    assert_eq!(
        note::verify(&signed, PETER_VERIFIER),
        Err(AuditError::InvalidSignature {
            name: "PeterNeumann".into(),
            key_hash: 0xc74f20a3
        })
    );
    // A changed text fails as well.
    let altered = format!("{}\n{PETER_LINE}", TEXT.replace("problem", "answer"));
    assert!(matches!(
        note::verify(&altered, PETER_VERIFIER),
        Err(AuditError::InvalidSignature { .. })
    ));
}

#[test]
fn malformed_notes_are_refused() {
    // Go's note_test.go bad messages.
    let bad = [
        TEXT.to_string(),
        format!("{TEXT}\n"),
        format!("{TEXT}\n{}", &PETER_LINE[..PETER_LINE.len() - 1]),
        format!("\u{1}{TEXT}\n{PETER_LINE}"),
        format!("{TEXT}\n\u{2014} Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="),
        format!("{TEXT}\n{PETER_LINE}Unexpected line.\n"),
        format!("{TEXT}\n{}", PETER_LINE.repeat(101)),
    ];
    for note in bad {
        assert!(
            matches!(SignedNote::parse(&note), Err(AuditError::MalformedNote(_))),
            "{note:?}"
        );
    }
    // Exactly 100 lines are still a note.
    let hundred = SignedNote::parse(&format!("{TEXT}\n{}", PETER_LINE.repeat(100))).unwrap();
    assert_eq!(hundred.signatures.len(), 100);
}

#[test]
fn texts_that_cannot_be_notes_are_not_signed() {
    for text in ["", "abc", "a\u{7}b\n"] {
        assert!(matches!(
            note::sign(text, &peter()),
            Err(AuditError::MalformedNote(_))
        ));
    }
}

#[test]
fn a_text_with_blank_lines_keeps_them() {
    let text = "first\n\nthird\n";
    let signed = note::sign(text, &peter()).unwrap();
    assert_eq!(note::verify(&signed, PETER_VERIFIER).unwrap().text, text);
}

#[test]
fn every_mangled_go_verifier_key_is_refused() {
    // Go's TestNewVerifier: every proper substring and every single-byte increment fails.
    let bytes = PETER_VERIFIER.as_bytes();
    for start in 0..=bytes.len() {
        for end in start + 1..=bytes.len() {
            if (start, end) != (0, bytes.len()) {
                let text = std::str::from_utf8(&bytes[start..end]).unwrap();
                assert!(VerifierKey::parse(text).is_err(), "{text}");
            }
        }
    }
    for position in 0..bytes.len() {
        let mut mangled = bytes.to_vec();
        mangled[position] += 1;
        let text = String::from_utf8(mangled).unwrap();
        assert!(VerifierKey::parse(&text).is_err(), "{text}");
    }
    // A wrong-length key and an unknown algorithm, each with an adjusted key hash.
    assert!(VerifierKey::parse(
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=="
    )
    .is_err());
    assert_eq!(
        VerifierKey::parse("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
        Err(AuditError::UnsupportedKeyAlgorithm(0x65))
    );
}

#[test]
fn every_mangled_go_signer_key_is_refused() {
    // Go's TestNewSigner.
    let bytes = PETER_PRIVATE.as_bytes();
    for start in 0..=bytes.len() {
        for end in start + 1..=bytes.len() {
            if (start, end) != (0, bytes.len()) {
                let text = std::str::from_utf8(&bytes[start..end]).unwrap();
                assert!(SigningKey::from_private_key(text).is_err(), "{text}");
            }
        }
    }
    for position in 0..bytes.len() {
        let mut mangled = bytes.to_vec();
        mangled[position] += 1;
        let text = String::from_utf8(mangled).unwrap();
        assert!(SigningKey::from_private_key(&text).is_err(), "{text}");
    }
}

#[test]
fn cosignature_keys_from_transparency_dev_parse() {
    // Keys from transparency-dev/formats note_cosigv1_test.go: a native 0x04 key, and an
    // 0x01 key whose base64 holds a '+'.
    let native =
        VerifierKey::parse("remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2")
            .unwrap();
    assert_eq!(native.key_type(), KEY_TYPE_COSIGNATURE_V1);
    let plain =
        VerifierKey::parse("TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6").unwrap();
    assert_eq!(plain.key_type(), KEY_TYPE_ED25519);
    assert_eq!(plain.name(), "TEST");
    assert!(VerifierKey::parse("rekor.sigstore.dev+12345678+AwEB").is_err());
    assert!(VerifierKey::parse("bananas.sigstore.dev+12344556").is_err());
}

#[test]
fn a_verifier_key_converts_to_its_cosignature_form() {
    // The 0x04 hash of Peter's key, computed independently with Python's `cryptography`.
    assert_eq!(
        cosignature_verifier_key(PETER_VERIFIER).unwrap(),
        "PeterNeumann+18b9780b+BBpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    );
    assert_eq!(
        peter().cosignature_verifier_key(),
        cosignature_verifier_key(PETER_VERIFIER).unwrap()
    );
    assert_eq!(peter().cosignature_key_hash(), 0x18b9780b);
}

#[test]
fn generated_keys_round_trip_through_their_strings() {
    let mut random = ChaCha20Rng::seed_from_u64(7);
    let key = SigningKey::generate("ledger.example.org/matchledger", &mut random).unwrap();
    let reloaded = SigningKey::from_private_key(&key.to_private_key()).unwrap();
    assert_eq!(reloaded.verifier_key(), key.verifier_key());
    let verifier = VerifierKey::parse(&key.verifier_key()).unwrap();
    assert_eq!(verifier.key_hash(), key.key_hash());
    assert_eq!(verifier.to_key_string(), key.verifier_key());
    let signed = note::sign("hello\n", &reloaded).unwrap();
    assert!(note::verify(&signed, &key.verifier_key()).is_ok());
    // Its Debug form does not show the secret.
    assert!(!format!("{key:?}").contains(&key.to_private_key()[40..]));
}

#[test]
fn invalid_key_names_are_refused() {
    let mut random = ChaCha20Rng::seed_from_u64(1);
    for name in ["", "a b", "a+b", "tab\there", "nbsp\u{a0}"] {
        assert_eq!(
            SigningKey::generate(name, &mut random).err(),
            Some(AuditError::InvalidKeyName(name.to_string()))
        );
    }
}

#[test]
fn a_signature_line_round_trips() {
    let line = NoteSignature::parse_line(PETER_LINE).unwrap();
    assert_eq!(line.name, "PeterNeumann");
    assert_eq!(line.key_hash, 0xc74f20a3);
    assert_eq!(line.signature.len(), 64);
    assert_eq!(line.to_line(), PETER_LINE);
}

#[test]
fn adding_a_signature_replaces_one_from_the_same_key() {
    let signed = format!("{TEXT}\n{PETER_LINE}");
    let both = note::add_signature(&signed, ENOCH_LINE).unwrap();
    assert_eq!(both, format!("{TEXT}\n{PETER_LINE}{ENOCH_LINE}"));
    let again = note::add_signature(&both, PETER_LINE).unwrap();
    assert_eq!(again, format!("{TEXT}\n{ENOCH_LINE}{PETER_LINE}"));
    assert!(note::add_signature(&signed, "not a line").is_err());
}
