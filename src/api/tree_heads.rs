//! The server's signed tree heads: it signs the current tree as a C2SP checkpoint with its
//! Ed25519 key, reuses that signature until the tree grows (so that witness cosignatures
//! of a head keep applying to it), and holds the cosignatures witnesses hand back.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};

use crate::audit::{self, Checkpoint, SigningKey};
use crate::store::{Store, StoreError};

/// Signed heads remembered, so that a witness slower than one append can still hand back
/// its cosignature.
const HEADS_KEPT: usize = 64;
/// Cosignatures held per head: one per witness key, at most this many.
const COSIGNATURES_PER_HEAD_MAX: usize = 32;

/// One signed tree head and the cosignatures held for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHead {
    /// The checkpoint the log signed.
    pub checkpoint: Checkpoint,
    /// The note with the log's signature only.
    pub note: String,
    /// Witness cosignature lines over the same checkpoint.
    pub cosignatures: Vec<String>,
}

impl SignedHead {
    /// The note with the log's signature and every cosignature held.
    pub fn full_note(&self) -> Result<String, audit::AuditError> {
        self.cosignatures
            .iter()
            .try_fold(self.note.clone(), |note, line| {
                audit::add_signature(&note, line)
            })
    }
}

/// Why a tree head or a cosignature could not be given or taken.
#[derive(Debug, thiserror::Error)]
pub enum TreeHeadError {
    /// The store could not give the tree.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Signing or a signature check failed.
    #[error(transparent)]
    Audit(#[from] audit::AuditError),
    /// A cosignature of a head this server did not sign (or no longer remembers).
    #[error("this log did not sign that checkpoint recently")]
    UnknownHead,
    /// Too many witnesses for one head.
    #[error("at most {COSIGNATURES_PER_HEAD_MAX} cosignatures are kept per head")]
    TooManyCosignatures,
}

/// The log's signer and the heads it signed.
#[derive(Debug)]
pub struct TreeHeads {
    key: SigningKey,
    heads: Mutex<VecDeque<SignedHead>>,
}

impl TreeHeads {
    /// Signs with `key`, whose name is the checkpoint origin.
    pub fn new(key: SigningKey) -> TreeHeads {
        TreeHeads {
            key,
            heads: Mutex::new(VecDeque::new()),
        }
    }

    /// The checkpoint origin line.
    pub fn origin(&self) -> &str {
        self.key.name()
    }

    /// The verifier key of the log's signatures.
    pub fn verifier_key(&self) -> String {
        self.key.verifier_key()
    }

    /// Signs arbitrary note text (a phase statement) with the log's key.
    pub fn sign_text(&self, text: &str) -> Result<String, audit::AuditError> {
        audit::note::sign(text, &self.key)
    }

    /// The signed head of the store's current tree, signed now if the tree grew since the
    /// last one.
    pub fn latest(&self, store: &Store) -> Result<SignedHead, TreeHeadError> {
        let (size, root) = store.tree_head()?;
        let mut heads = self.heads.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(head) = heads
            .back()
            .filter(|head| head.checkpoint.size == size && head.checkpoint.root == root)
        {
            return Ok(head.clone());
        }
        let checkpoint = Checkpoint {
            origin: self.key.name().to_string(),
            size,
            root,
            timestamp: now_seconds(),
            extensions: Vec::new(),
        };
        let note = audit::sign_checkpoint(&checkpoint, &self.key)?;
        let head = SignedHead {
            checkpoint,
            note,
            cosignatures: Vec::new(),
        };
        if heads.len() == HEADS_KEPT {
            heads.pop_front();
        }
        heads.push_back(head.clone());
        Ok(head)
    }

    /// Takes a witness's cosignature line over `body`, a checkpoint this log signed
    /// recently. The line must parse as a note signature line; its key cannot be checked
    /// (the server does not know the witness), so a later line from the same key hash
    /// replaces an earlier one. Returns the cosignatures now held for that head.
    pub fn add_cosignature(&self, body: &str, line: &str) -> Result<usize, TreeHeadError> {
        let signature = audit::note::NoteSignature::parse_line(line)?;
        let mut heads = self.heads.lock().unwrap_or_else(PoisonError::into_inner);
        let head = heads
            .iter_mut()
            .find(|head| head.checkpoint.to_body() == body)
            .ok_or(TreeHeadError::UnknownHead)?;
        let canonical = signature.to_line();
        head.cosignatures.retain(|held| {
            audit::note::NoteSignature::parse_line(held).map_or(true, |held| {
                held.name != signature.name || held.key_hash != signature.key_hash
            })
        });
        if head.cosignatures.len() >= COSIGNATURES_PER_HEAD_MAX {
            return Err(TreeHeadError::TooManyCosignatures);
        }
        head.cosignatures.push(canonical);
        Ok(head.cosignatures.len())
    }
}

/// The current POSIX time in seconds (0 if the clock is before 1970).
pub fn now_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

/// The origin (and key name) of a log whose operator named none.
pub const DEFAULT_ORIGIN: &str = "matchledger.local/ledger";

/// A fresh random signing key named `origin`.
pub fn generate_key(origin: &str) -> Result<SigningKey, audit::AuditError> {
    SigningKey::generate(origin, &mut rand::rngs::OsRng)
}
