//! Why a proof, a key, a note or a checkpoint was refused.
//!
//! Every refusal names what was wrong, so that an auditor holding a bad proof can tell a
//! truncated download from a forged history.

/// Why an audit operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditError {
    // Tree shape.
    /// A leaf index at or past the end of the tree.
    #[error("leaf index {index} is outside a tree of size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    /// A consistency check from a larger tree to a smaller one.
    #[error("tree size {old_size} is larger than tree size {new_size}: a log only grows")]
    SizesOutOfOrder { old_size: u64, new_size: u64 },
    /// A size the tree cannot have (a tree of 2^64 leaves does not fit the index space).
    #[error("tree size {size} is out of range")]
    SizeOutOfRange { size: u64 },

    // Node storage.
    /// A complete-subtree hash the reader does not hold: the tree is smaller than asked.
    #[error("no stored hash for the subtree at level {level}, index {index}")]
    MissingNode { level: u8, index: u64 },
    /// The node store failed (the store's own error, as text).
    #[error("reading a stored tree hash failed: {0}")]
    NodeRead(String),

    // Proof verification.
    /// A proof with the wrong number of hashes for its sizes.
    #[error("proof has {actual} hashes; {expected} are needed for these tree sizes")]
    ProofLength { expected: usize, actual: usize },
    /// A proof that leads to a different root than the one given.
    #[error("proof does not lead to the given root of the tree of size {size}")]
    RootMismatch { size: u64 },

    // Keys.
    /// A key string that does not parse.
    #[error("malformed key: {0}")]
    MalformedKey(&'static str),
    /// A key of a signature algorithm this log does not use.
    #[error("unsupported key algorithm 0x{0:02x}")]
    UnsupportedKeyAlgorithm(u8),
    /// A key string whose key hash does not match its name and public key.
    #[error("key hash {given:08x} does not match the key (expected {computed:08x})")]
    KeyHashMismatch { given: u32, computed: u32 },
    /// A key name that is empty or has a space or a plus sign.
    #[error("invalid key name {0:?}: it must be non-empty, without spaces or '+'")]
    InvalidKeyName(String),

    // Notes and signatures.
    /// A signed note that does not follow the signed-note format.
    #[error("malformed note: {0}")]
    MalformedNote(&'static str),
    /// A note with no signature line from the given key.
    #[error("the note has no signature from key {name}+{key_hash:08x}")]
    NotSignedByKey { name: String, key_hash: u32 },
    /// A signature line from the given key that does not verify.
    #[error("the signature from key {name}+{key_hash:08x} does not verify")]
    InvalidSignature { name: String, key_hash: u32 },
    /// A checkpoint body that does not follow the checkpoint format.
    #[error("malformed checkpoint: {0}")]
    MalformedCheckpoint(&'static str),
}
