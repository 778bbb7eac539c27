//! Ed25519 keys in the text forms of C2SP signed-note and Go's `sumdb/note`.
//!
//! - signer key: `PRIVATE+KEY+<name>+<key hash>+base64(0x01 ‖ 32-byte seed)`;
//! - verifier key: `<name>+<key hash>+base64(<type> ‖ 32-byte public key)`, where the type
//!   byte is 0x01 for a signature over the note text and 0x04 for a `cosignature/v1`
//!   (c2sp.org/tlog-cosignature), with the same Ed25519 key;
//! - key hash: the first 4 bytes, big-endian, of SHA-256(name ‖ "\n" ‖ type ‖ public key),
//!   written as 8 lowercase hex digits.
//!
//! One Ed25519 key pair can thus sign the log's checkpoints (type 0x01) and cosign other
//! logs' checkpoints as a witness (type 0x04); the two roles have different key hashes.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use ed25519_dalek::Signer;
use rand::{CryptoRng, RngCore};
use sha2::{Digest, Sha256};

use super::AuditError;

/// Type byte of an Ed25519 signature over the note text (C2SP signed-note).
pub const KEY_TYPE_ED25519: u8 = 0x01;
/// Type byte of an Ed25519 timestamped cosignature (C2SP tlog-cosignature, `cosignature/v1`).
pub const KEY_TYPE_COSIGNATURE_V1: u8 = 0x04;

/// Prefix of a signer key string.
const PRIVATE_KEY_PREFIX: &str = "PRIVATE+KEY+";

/// The 32-bit key hash (key ID) of a named public key of a signature type.
pub fn key_hash(name: &str, key_type: u8, public_key: &[u8; 32]) -> u32 {
    let mut hasher = Sha256::new();
    hasher.update(name.as_bytes());
    hasher.update(b"\n");
    hasher.update([key_type]);
    hasher.update(public_key);
    let digest = hasher.finalize();
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// Whether `name` may name a key: non-empty, without Unicode spaces, `+` or control
/// characters (a note forbids those, and `+` separates the fields of a key string).
pub fn is_valid_key_name(name: &str) -> bool {
    !name.is_empty()
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c == '+' || c.is_control())
}

fn check_key_name(name: &str) -> Result<(), AuditError> {
    if is_valid_key_name(name) {
        Ok(())
    } else {
        Err(AuditError::InvalidKeyName(name.to_string()))
    }
}

/// An Ed25519 signing key with its name. The `Debug` form shows the name only.
#[derive(Clone)]
pub struct SigningKey {
    name: String,
    key: ed25519_dalek::SigningKey,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("SigningKey")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A fresh key named `name` (conventionally the log's origin, e.g.
    /// `ledger.example.org/matchledger`), drawn from a cryptographic random source.
    pub fn generate(
        name: &str,
        random: &mut (impl RngCore + CryptoRng),
    ) -> Result<SigningKey, AuditError> {
        let mut seed = [0u8; 32];
        random.fill_bytes(&mut seed);
        SigningKey::from_seed(name, seed)
    }

    /// The key named `name` with the 32-byte Ed25519 seed `seed`.
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<SigningKey, AuditError> {
        check_key_name(name)?;
        Ok(SigningKey {
            name: name.to_string(),
            key: ed25519_dalek::SigningKey::from_bytes(&seed),
        })
    }

    /// Parses a signer key string, `PRIVATE+KEY+<name>+<hash>+base64(0x01 ‖ seed)`,
    /// checking that the hash matches the key.
    pub fn from_private_key(text: &str) -> Result<SigningKey, AuditError> {
        let rest = text
            .strip_prefix(PRIVATE_KEY_PREFIX)
            .ok_or(AuditError::MalformedKey(
                "a signer key starts with PRIVATE+KEY+",
            ))?;
        let (name, hash, key_type, seed) = split_key(rest)?;
        if key_type != KEY_TYPE_ED25519 {
            return Err(AuditError::UnsupportedKeyAlgorithm(key_type));
        }
        let key = SigningKey::from_seed(name, seed)?;
        let computed = key.key_hash();
        if hash != computed {
            return Err(AuditError::KeyHashMismatch {
                given: hash,
                computed,
            });
        }
        Ok(key)
    }

    /// The signer key string, to keep secret: `PRIVATE+KEY+<name>+<hash>+base64(0x01 ‖ seed)`.
    pub fn to_private_key(&self) -> String {
        let mut material = Vec::with_capacity(33);
        material.push(KEY_TYPE_ED25519);
        material.extend_from_slice(self.key.as_bytes());
        format!(
            "{PRIVATE_KEY_PREFIX}{}+{:08x}+{}",
            self.name,
            self.key_hash(),
            BASE64.encode(material)
        )
    }

    /// The key's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The 32-byte Ed25519 public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.key.verifying_key().to_bytes()
    }

    /// The key hash of its signed-note (type 0x01) signatures.
    pub fn key_hash(&self) -> u32 {
        key_hash(&self.name, KEY_TYPE_ED25519, &self.public_key())
    }

    /// The key hash of its cosignatures (type 0x04).
    pub fn cosignature_key_hash(&self) -> u32 {
        key_hash(&self.name, KEY_TYPE_COSIGNATURE_V1, &self.public_key())
    }

    /// The verifier key string for its checkpoint signatures, to publish:
    /// `<name>+<hash>+base64(0x01 ‖ public key)`.
    pub fn verifier_key(&self) -> String {
        verifier_key_string(&self.name, KEY_TYPE_ED25519, &self.public_key())
    }

    /// The verifier key string for its cosignatures as a witness:
    /// `<name>+<hash>+base64(0x04 ‖ public key)`.
    pub fn cosignature_verifier_key(&self) -> String {
        verifier_key_string(&self.name, KEY_TYPE_COSIGNATURE_V1, &self.public_key())
    }

    /// The Ed25519 signature of `message`.
    pub(crate) fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.key.sign(message).to_bytes()
    }
}

/// A parsed verifier key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierKey {
    name: String,
    key_type: u8,
    key_hash: u32,
    public_key: ed25519_dalek::VerifyingKey,
}

impl VerifierKey {
    /// Parses `<name>+<hash>+base64(<type> ‖ public key)` with type 0x01 or 0x04, checking
    /// the hash and that the public key is a valid curve point.
    pub fn parse(text: &str) -> Result<VerifierKey, AuditError> {
        let (name, hash, key_type, key) = split_key(text)?;
        check_key_name(name)?;
        if key_type != KEY_TYPE_ED25519 && key_type != KEY_TYPE_COSIGNATURE_V1 {
            return Err(AuditError::UnsupportedKeyAlgorithm(key_type));
        }
        let computed = key_hash(name, key_type, &key);
        if hash != computed {
            return Err(AuditError::KeyHashMismatch {
                given: hash,
                computed,
            });
        }
        let public_key = ed25519_dalek::VerifyingKey::from_bytes(&key)
            .map_err(|_| AuditError::MalformedKey("the public key is not an Ed25519 point"))?;
        Ok(VerifierKey {
            name: name.to_string(),
            key_type,
            key_hash: hash,
            public_key,
        })
    }

    /// The same Ed25519 key as a cosignature (type 0x04) verifier.
    pub fn as_cosignature_key(&self) -> VerifierKey {
        let key = self.public_key.to_bytes();
        VerifierKey {
            name: self.name.clone(),
            key_type: KEY_TYPE_COSIGNATURE_V1,
            key_hash: key_hash(&self.name, KEY_TYPE_COSIGNATURE_V1, &key),
            public_key: self.public_key,
        }
    }

    /// The key's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its type byte: [`KEY_TYPE_ED25519`] or [`KEY_TYPE_COSIGNATURE_V1`].
    pub fn key_type(&self) -> u8 {
        self.key_type
    }

    /// Its key hash.
    pub fn key_hash(&self) -> u32 {
        self.key_hash
    }

    /// The key string.
    pub fn to_key_string(&self) -> String {
        verifier_key_string(&self.name, self.key_type, &self.public_key.to_bytes())
    }

    /// Whether `signature` is a valid Ed25519 signature of `message` by this key. Strict
    /// verification: non-canonical and small-order encodings are refused, so a signature
    /// cannot be altered into another valid one.
    pub(crate) fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        let Ok(bytes) = <[u8; 64]>::try_from(signature) else {
            return false;
        };
        let signature = ed25519_dalek::Signature::from_bytes(&bytes);
        self.public_key.verify_strict(message, &signature).is_ok()
    }
}

/// Converts a witness's published verifier key to its cosignature (type 0x04) form; a key
/// in that form already is returned unchanged (re-encoded).
pub fn cosignature_verifier_key(verifier_key: &str) -> Result<String, AuditError> {
    Ok(VerifierKey::parse(verifier_key)?
        .as_cosignature_key()
        .to_key_string())
}

fn verifier_key_string(name: &str, key_type: u8, public_key: &[u8; 32]) -> String {
    let mut material = Vec::with_capacity(33);
    material.push(key_type);
    material.extend_from_slice(public_key);
    format!(
        "{name}+{:08x}+{}",
        key_hash(name, key_type, public_key),
        BASE64.encode(material)
    )
}

/// Splits `<name>+<8 hex digits>+base64(<type> ‖ 32 bytes)`. The base64 part may itself
/// contain `+`, so only the first two are separators.
fn split_key(text: &str) -> Result<(&str, u32, u8, [u8; 32]), AuditError> {
    let mut parts = text.splitn(3, '+');
    let (Some(name), Some(hash), Some(material)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(AuditError::MalformedKey(
            "a key has the form name+hash+base64",
        ));
    };
    check_key_name(name)?;
    if hash.len() != 8 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AuditError::MalformedKey("the key hash is 8 hex digits"));
    }
    let hash = u32::from_str_radix(hash, 16)
        .map_err(|_| AuditError::MalformedKey("the key hash is 8 hex digits"))?;
    let material = BASE64
        .decode(material)
        .map_err(|_| AuditError::MalformedKey("the key material is not base64"))?;
    let Some((&key_type, key)) = material.split_first() else {
        return Err(AuditError::MalformedKey("the key material is empty"));
    };
    let key = <[u8; 32]>::try_from(key)
        .map_err(|_| AuditError::MalformedKey("an Ed25519 key is 32 bytes"))?;
    Ok((name, hash, key_type, key))
}
