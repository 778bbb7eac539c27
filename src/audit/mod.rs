//! Verifiable history: the Merkle tree over the stored events and the signed tree heads
//! that let anyone check the log only ever grew.
//!
//! Pure: it uses nothing of the crate but [`crate::limits`], does no I/O, and knows neither
//! sled nor tonic; leaves are opaque bytes. The store persists what [`Frontier::append`] returns and
//! reads it back through [`NodeReader`]; the writer signs [`Checkpoint`]s with a
//! [`SigningKey`]; the offline verifier checks everything with [`MemoryNodes`] and the
//! `verify_*` functions.
//!
//! # Formats
//!
//! - The tree is RFC 6962 / RFC 9162: leaf hash = SHA-256(0x00 ‖ event bytes), interior
//!   node = SHA-256(0x01 ‖ left ‖ right), the empty tree's root = SHA-256("").
//! - Every *complete* subtree hash (level `L`, index `i`, covering leaves
//!   `[i·2^L, (i+1)·2^L)`) is stored once and never changes, as in Go's
//!   `golang.org/x/mod/sumdb/tlog`. Roots and proofs for any size are composed from
//!   O(log n) of them; nothing is ever rebuilt.
//! - Tree heads are C2SP `tlog-checkpoint` bodies inside C2SP `signed-note`s with Ed25519
//!   keys in Go's `sumdb/note` key format; witnesses add C2SP `tlog-cosignature`
//!   (`cosignature/v1`) lines. The signing time travels as the checkpoint's first
//!   extension line, `timestamp <unix seconds>`, so the log's own signature covers it.

pub mod checkpoint;
pub mod keys;
pub mod merkle;
pub mod note;
pub mod tiles;
pub mod witness_protocol;

mod error;
#[cfg(test)]
mod tests;

pub use checkpoint::{cosign, sign_checkpoint, verify_checkpoint, verify_cosignature, Checkpoint};
pub use error::AuditError;
pub use keys::{cosignature_verifier_key, SigningKey, VerifierKey};
pub use merkle::{
    consistency_proof, empty_root, inclusion_proof, inclusion_root, leaf_hash, node_hash, node_key,
    root_at, verify_consistency, verify_inclusion, Frontier, Hash, MemoryNodes, NodeReader,
};
pub use note::{add_signature, SignedNote, VerifiedNote};
