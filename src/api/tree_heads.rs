//! The server's signed tree heads: it signs the current tree as a C2SP checkpoint with its
//! Ed25519 key, reuses that signature until the tree grows (so that witness cosignatures
//! of a head keep applying to it), and holds the cosignatures witnesses hand back. Every
//! head it signs and every cosignature it accepts is kept in the store before the call
//! answers, so a restart serves the same head (same signature) and the same cosignatures.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};

use super::witness_keys::WitnessKeys;
use crate::audit::{self, Checkpoint, SigningKey};
use crate::store::{Store, StoreError, StoredHead};

use crate::limits::{COSIGNATURES_PER_HEAD_MAX, HEADS_KEPT};

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
    /// The note with the log's signature first and every cosignature held after it.
    /// Cosignatures never share the log's key name, so none can replace its signature.
    pub fn full_note(&self) -> Result<String, audit::AuditError> {
        self.cosignatures
            .iter()
            .try_fold(self.note.clone(), |note, line| {
                audit::add_signature(&note, line)
            })
    }

    /// Drops held lines that claim the log's own key (by name or key hash): an older
    /// server kept them unverified, and served they would shadow the log's signature.
    fn without_own_key(mut self, key: &SigningKey) -> SignedHead {
        self.cosignatures.retain(|line| {
            audit::note::NoteSignature::parse_line(line)
                .is_ok_and(|signature| !claims_key(&signature, key))
        });
        self
    }
}

/// Why a tree head or a cosignature could not be given or taken.
#[derive(Debug, thiserror::Error)]
pub enum TreeHeadError {
    /// The store could not give the tree, or could not keep a head or cosignature.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Signing failed, or a checkpoint or cosignature line is malformed.
    #[error(transparent)]
    Audit(#[from] audit::AuditError),
    /// A cosignature of a head this server did not sign.
    #[error("this log did not sign that checkpoint")]
    UnknownHead,
    /// The cosignature line claims the log's own key name or key hash.
    #[error("the cosignature's key {name}+{key_hash:08x} is the log's own key name or hash; only witnesses cosign")]
    OwnKey {
        /// The key name in the cosignature line.
        name: String,
        /// The key hash in the cosignature line.
        key_hash: u32,
    },
    /// The server was started without `--witness-keys`, so it verifies no cosignature.
    #[error("this server accepts cosignatures only from witnesses named with --witness-keys")]
    NoWitnesses,
    /// Too many witnesses for one head.
    #[error("at most {COSIGNATURES_PER_HEAD_MAX} cosignatures are kept per head")]
    TooManyCosignatures,
    /// The server knows its witnesses, and the cosignature's key is not one of theirs.
    #[error(
        "the cosignature's key {name}+{key_hash:08x} is not one of this server's witness keys"
    )]
    UnknownWitness {
        /// The key name in the cosignature line.
        name: String,
        /// The key hash in the cosignature line.
        key_hash: u32,
    },
    /// The cosignature is by a known witness key but does not verify over the checkpoint.
    #[error("the cosignature does not verify under witness key {name}: {error}")]
    BadCosignature {
        /// The witness key's name.
        name: String,
        /// Why it does not verify.
        error: audit::AuditError,
    },
}

/// A retiring key that is not another key of the same log name.
#[derive(Debug, thiserror::Error)]
#[error("a key rotation keeps the log's origin: the previous key is named {previous}, the current one {current}, and they must differ in key only")]
pub struct KeyRotationError {
    /// The current key's name.
    pub current: String,
    /// The previous key's name.
    pub previous: String,
}

/// The log's signer, the heads it signed (the latest [`HEADS_KEPT`] in memory, all of them
/// in the store) and the witnesses it accepts cosignatures from.
#[derive(Debug)]
pub struct TreeHeads {
    key: SigningKey,
    /// During a key rotation, the key being retired: it signs every note beside `key`.
    previous: Option<SigningKey>,
    /// `None`: no witness is known, so every cosignature is refused.
    witnesses: Option<WitnessKeys>,
    heads: Mutex<VecDeque<SignedHead>>,
}

impl TreeHeads {
    /// Signs with `key`, whose name is the checkpoint origin, knowing no witness: every
    /// cosignature handed back is refused.
    pub fn new(key: SigningKey) -> TreeHeads {
        TreeHeads::with_witnesses(key, None)
    }

    /// Signs with `key`; when `witnesses` is given, takes only cosignatures that verify
    /// under one of those keys.
    pub fn with_witnesses(key: SigningKey, witnesses: Option<WitnessKeys>) -> TreeHeads {
        TreeHeads {
            key,
            previous: None,
            witnesses,
            heads: Mutex::new(VecDeque::new()),
        }
    }

    /// Loads the latest head kept in `store`, with its cosignatures, so that a restarted
    /// server serves the same head while the tree has not grown. A kept head that this
    /// key did not sign (the key changed) is left alone and signed afresh when asked for.
    pub fn load(&self, store: &Store) -> Result<(), TreeHeadError> {
        if let Some(stored) = store.latest_signed_head()? {
            if let Some(head) = self.own_head(&stored) {
                self.remember(&mut self.lock(), head);
            }
        }
        Ok(())
    }

    /// Signs every note with `previous` too, the key being retired in a rotation: it must
    /// have the same name (the log's origin does not change) and be another key.
    pub fn with_previous_key(
        mut self,
        previous: SigningKey,
    ) -> Result<TreeHeads, KeyRotationError> {
        if previous.name() != self.key.name() || previous.key_hash() == self.key.key_hash() {
            return Err(KeyRotationError {
                current: self.key.name().to_string(),
                previous: previous.name().to_string(),
            });
        }
        self.previous = Some(previous);
        Ok(self)
    }

    /// The verifier key of the retiring key, during a rotation.
    pub fn previous_verifier_key(&self) -> Option<String> {
        self.previous.as_ref().map(SigningKey::verifier_key)
    }

    /// The log's keys, current first, then the retiring one.
    fn keys(&self) -> Vec<&SigningKey> {
        std::iter::once(&self.key).chain(&self.previous).collect()
    }

    /// The checkpoint origin line.
    pub fn origin(&self) -> &str {
        self.key.name()
    }

    /// The verifier key of the log's signatures.
    pub fn verifier_key(&self) -> String {
        self.key.verifier_key()
    }

    /// Whether cosignatures are checked against known witness keys.
    pub fn knows_witnesses(&self) -> bool {
        self.witnesses.is_some()
    }

    /// Signs arbitrary note text (a phase statement) with the log's key.
    pub fn sign_text(&self, text: &str) -> Result<String, audit::AuditError> {
        audit::note::sign_by_all(text, &self.keys())
    }

    /// The signed head of the store's current tree: the one signed before for this size
    /// (in memory or kept in the store), or one signed now and kept durably before it is
    /// returned.
    pub fn latest(&self, store: &Store) -> Result<SignedHead, TreeHeadError> {
        let (size, root) = store.tree_head()?;
        let mut heads = self.lock();
        if let Some(head) = heads
            .iter()
            .rev()
            .find(|head| head.checkpoint.size == size && head.checkpoint.root == root)
        {
            return Ok(head.clone());
        }
        if let Some(head) = store
            .signed_head(size)?
            .and_then(|stored| self.own_head(&stored))
            .filter(|head| head.checkpoint.root == root)
        {
            self.remember(&mut heads, head.clone());
            return Ok(head);
        }
        // At the start of a rotation the retiring key signed this size: the same
        // checkpoint (time included) is signed again by both, so cosignatures of it hold.
        let retired = self.retired_head(store, size, root)?;
        let (checkpoint, cosignatures) = match retired {
            Some(head) => (head.checkpoint, head.cosignatures),
            None => (
                Checkpoint {
                    origin: self.key.name().to_string(),
                    size,
                    root,
                    timestamp: now_seconds(),
                    extensions: Vec::new(),
                },
                Vec::new(),
            ),
        };
        checkpoint.validate()?;
        let note = audit::note::sign_by_all(&checkpoint.to_body(), &self.keys())?;
        keep(store.put_signed_head(size, checkpoint.timestamp, &note))?;
        let head = SignedHead {
            checkpoint,
            note,
            cosignatures,
        };
        self.remember(&mut heads, head.clone());
        Ok(head)
    }

    /// The head the log signed at `size`, if it signed one (with any key it ever had).
    pub fn at_size(&self, store: &Store, size: u64) -> Result<Option<SignedHead>, TreeHeadError> {
        if let Some(head) = self.lock().iter().find(|head| head.checkpoint.size == size) {
            return Ok(Some(head.clone()));
        }
        let Some(stored) = store.signed_head(size)? else {
            return Ok(None);
        };
        let text = audit::SignedNote::parse(&stored.note)?.text;
        Ok(Some(
            SignedHead {
                checkpoint: Checkpoint::parse_body(&text)?,
                note: stored.note,
                cosignatures: stored.cosignatures,
            }
            .without_own_key(&self.key),
        ))
    }

    /// Takes a witness's cosignature line over `body`, a checkpoint this log signed. With
    /// known witnesses the line must verify under one of their keys; without, it need only
    /// parse. A later line from the same key replaces an earlier one. The cosignature is
    /// kept durably before this returns. Returns the cosignatures now held for that head.
    pub fn add_cosignature(
        &self,
        store: &Store,
        body: &str,
        line: &str,
    ) -> Result<usize, TreeHeadError> {
        if self.witnesses.is_none() {
            return Err(TreeHeadError::NoWitnesses);
        }
        let signature = audit::note::NoteSignature::parse_line(line)?;
        if self.keys().iter().any(|key| claims_key(&signature, key)) {
            return Err(TreeHeadError::OwnKey {
                name: signature.name,
                key_hash: signature.key_hash,
            });
        }
        let checkpoint = Checkpoint::parse_body(body)?;
        let mut heads = self.lock();
        let held = match heads.iter().find(|head| head.checkpoint.to_body() == body) {
            Some(head) => head.cosignatures.clone(),
            None => {
                store
                    .signed_head(checkpoint.size)?
                    .and_then(|stored| self.own_head(&stored))
                    .filter(|head| head.checkpoint.to_body() == body)
                    .ok_or(TreeHeadError::UnknownHead)?
                    .cosignatures
            }
        };
        self.check_witness(&checkpoint, &signature)?;
        let mut cosignatures: Vec<String> = held
            .into_iter()
            .filter(|held| {
                audit::note::NoteSignature::parse_line(held).map_or(true, |held| {
                    held.name != signature.name || held.key_hash != signature.key_hash
                })
            })
            .collect();
        if cosignatures.len() >= COSIGNATURES_PER_HEAD_MAX {
            return Err(TreeHeadError::TooManyCosignatures);
        }
        let canonical = signature.to_line();
        let witness = format!("{} {:08x}", signature.name, signature.key_hash);
        keep(store.add_cosignature(checkpoint.size, &witness, &canonical))?;
        cosignatures.push(canonical);
        let count = cosignatures.len();
        if let Some(head) = heads
            .iter_mut()
            .find(|head| head.checkpoint.to_body() == body)
        {
            head.cosignatures = cosignatures;
        }
        Ok(count)
    }

    /// Refuses a cosignature from an unknown witness, or one that does not verify, when
    /// the server knows its witnesses.
    fn check_witness(
        &self,
        checkpoint: &Checkpoint,
        signature: &audit::note::NoteSignature,
    ) -> Result<(), TreeHeadError> {
        let Some(witnesses) = &self.witnesses else {
            return Err(TreeHeadError::NoWitnesses);
        };
        let key = witnesses
            .find(&signature.name, signature.key_hash)
            .ok_or_else(|| TreeHeadError::UnknownWitness {
                name: signature.name.clone(),
                key_hash: signature.key_hash,
            })?;
        audit::verify_cosignature(checkpoint, &signature.to_line(), &key.to_key_string())
            .map(|_| ())
            .map_err(|error| TreeHeadError::BadCosignature {
                name: key.name().to_string(),
                error,
            })
    }

    /// The head kept at `size` with `root`, if the retiring key of a rotation signed it.
    fn retired_head(
        &self,
        store: &Store,
        size: u64,
        root: audit::Hash,
    ) -> Result<Option<SignedHead>, TreeHeadError> {
        let Some(previous) = &self.previous else {
            return Ok(None);
        };
        let Some(stored) = store.signed_head(size)? else {
            return Ok(None);
        };
        let checkpoint = audit::verify_checkpoint(&stored.note, &previous.verifier_key()).ok();
        Ok(checkpoint
            .filter(|checkpoint| checkpoint.root == root && checkpoint.origin == self.key.name())
            .map(|checkpoint| SignedHead {
                checkpoint,
                note: stored.note.clone(),
                cosignatures: stored.cosignatures,
            }))
    }

    /// A kept head as served, if this log's current key signed it.
    fn own_head(&self, stored: &StoredHead) -> Option<SignedHead> {
        let checkpoint = audit::verify_checkpoint(&stored.note, &self.key.verifier_key()).ok()?;
        (checkpoint.origin == self.key.name()).then(|| {
            SignedHead {
                checkpoint,
                note: stored.note.clone(),
                cosignatures: stored.cosignatures.clone(),
            }
            .without_own_key(&self.key)
        })
    }

    /// Keeps `head` among the hot heads, in size order, at most [`HEADS_KEPT`].
    fn remember(&self, heads: &mut VecDeque<SignedHead>, head: SignedHead) {
        heads.retain(|held| held.checkpoint.size != head.checkpoint.size);
        let at = heads.partition_point(|held| held.checkpoint.size < head.checkpoint.size);
        heads.insert(at, head);
        while heads.len() > HEADS_KEPT {
            heads.pop_front();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<SignedHead>> {
        self.heads.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Whether `signature` names the log's key `key`: its name, or the key hash of the key in
/// either form (plain Ed25519 or cosignature).
fn claims_key(signature: &audit::note::NoteSignature, key: &SigningKey) -> bool {
    signature.name == key.name()
        || signature.key_hash == key.key_hash()
        || signature.key_hash == key.cosignature_key_hash()
}

/// A write of a signed record: a damaged (read-only) store keeps nothing, and the head or
/// cosignature is then held in memory only, as the store forbids changing a damaged
/// directory; any other failure fails the call, since an acknowledged record must last.
fn keep(result: Result<(), StoreError>) -> Result<(), TreeHeadError> {
    match result {
        Err(StoreError::Refused(reason)) => {
            tracing::warn!(%reason, "signed record held in memory only: the store is read-only");
            Ok(())
        }
        other => other.map_err(TreeHeadError::from),
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
