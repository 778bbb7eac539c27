//! The backup as it stands on disk, opened to be extended: the committed prefix of each
//! append-only file re-read and re-verified (chain and root against the manifest), an
//! unfinished round's tail cut off, and new events appended only after their link to the
//! last one is checked.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use sha2::{Digest, Sha256};

use super::format::{
    event_record, lines_text, read_lines, replace_file, BackupLock, BackupManifest, EventRecords,
    HeadLine, IdempotencyLine, StatementLine, BACKUP_FORMAT, EVENTS_FILE, HEADS_FILE,
    IDEMPOTENCY_FILE, STATEMENTS_FILE,
};
use crate::api::tree_heads::now_seconds;
use crate::audit::{Checkpoint, Frontier};
use crate::limits::BACKUP_HEADS_REFRESH_ROUNDS;
use crate::store::{self, GENESIS_HASH};

/// An open backup directory.
pub struct LocalBackup {
    dir: PathBuf,
    /// The manifest of the last finished round; `None` before the first.
    pub manifest: Option<BackupManifest>,
    frontier: Frontier,
    head_hash: [u8; 32],
    events: std::io::BufWriter<std::fs::File>,
    events_bytes: u64,
    idempotency_bytes: u64,
    heads_bytes: u64,
    /// The digest of the line that counts for each kept head held, so that a round
    /// appends only heads that are new or gained cosignatures.
    held_heads: HashMap<u64, [u8; 32]>,
    /// Rounds committed since the backup was opened.
    rounds: u64,
    /// Held while the backup is open: no other process extends it meanwhile.
    _lock: BackupLock,
    /// The scoped idempotency key of the last event held.
    last_key: String,
    /// The scoped keys of the commands whose first event was appended since the last
    /// commit: whose idempotency records the round fetches.
    new_commands: Vec<String>,
}

impl LocalBackup {
    /// Opens (creating) the backup in `dir`, verifying what it holds.
    pub fn open(dir: &Path) -> anyhow::Result<LocalBackup> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let lock = BackupLock::take(dir)?;
        let manifest = BackupManifest::read(dir)?;
        let (events_bytes, idempotency_bytes, heads_bytes) =
            manifest.as_ref().map_or((0, 0, 0), |m| {
                (m.events_bytes, m.idempotency_bytes, m.heads_bytes)
            });
        cut_to(dir, EVENTS_FILE, events_bytes)?;
        cut_to(dir, IDEMPOTENCY_FILE, idempotency_bytes)?;
        cut_to(dir, HEADS_FILE, heads_bytes)?;
        let mut held_heads = HashMap::new();
        for head in read_lines::<HeadLine>(dir, HEADS_FILE, Some(heads_bytes))? {
            held_heads.insert(head.tree_size, line_digest(&head)?);
        }
        let mut frontier = Frontier::new();
        let mut head_hash = GENESIS_HASH;
        let mut records = EventRecords::open(dir, events_bytes)?;
        let mut last_key = String::new();
        while let Some(bytes) = records.next_event()? {
            (head_hash, last_key) = check_link(frontier.size() + 1, head_hash, &bytes)?;
            frontier.append(&bytes);
        }
        if let Some(manifest) = &manifest {
            if frontier.size() != manifest.tree_size
                || hex::encode(frontier.root()) != manifest.root
                || hex::encode(head_hash) != manifest.head_hash
            {
                bail!(
                    "the backup in {} does not give its manifest's tree (size {}, root {}): it was changed; start a new backup elsewhere",
                    dir.display(),
                    manifest.tree_size,
                    manifest.root
                );
            }
        }
        let file = std::fs::OpenOptions::new()
            .append(true)
            .open(dir.join(EVENTS_FILE))?;
        Ok(LocalBackup {
            dir: dir.to_path_buf(),
            manifest,
            frontier,
            head_hash,
            events: std::io::BufWriter::new(file),
            events_bytes,
            idempotency_bytes,
            heads_bytes,
            held_heads,
            rounds: 0,
            _lock: lock,
            last_key,
            new_commands: Vec::new(),
        })
    }

    /// The smallest tree size whose kept head the next round must list: every head on
    /// the first round after opening and every `BACKUP_HEADS_REFRESH_ROUNDS` rounds (a
    /// witness may cosign an old head), otherwise those from the last round's size on.
    pub fn heads_from(&self) -> u64 {
        if self.rounds % BACKUP_HEADS_REFRESH_ROUNDS == 0 {
            0
        } else {
            self.size()
        }
    }

    /// The scoped keys of the commands that started since the last commit.
    pub fn new_commands(&self) -> &[String] {
        &self.new_commands
    }

    /// Events held.
    pub fn size(&self) -> u64 {
        self.frontier.size()
    }

    /// The Merkle root of the events held.
    pub fn root(&self) -> crate::audit::Hash {
        self.frontier.root()
    }

    /// Appends the next event after checking it is the next sequence and links to the
    /// last one held. Not durable until [`LocalBackup::commit`].
    pub fn append(&mut self, stored_bytes: &[u8]) -> anyhow::Result<()> {
        let sequence = self.size() + 1;
        let (hash, key) = check_link(sequence, self.head_hash, stored_bytes)?;
        self.head_hash = hash;
        // A command's events are consecutive and carry its key: a new key starts one.
        if key != self.last_key {
            self.new_commands.push(key.clone());
            self.last_key = key;
        }
        let record = event_record(stored_bytes)?;
        self.events.write_all(&record)?;
        self.events_bytes += record.len() as u64;
        self.frontier.append(stored_bytes);
        Ok(())
    }

    /// Finishes a round at the signed head `note` (checked to be the root of the events
    /// held): makes the events, the new idempotency records and the new or changed heads
    /// durable, replaces the statements file, then the manifest, which commits the round.
    pub fn commit(
        &mut self,
        note: &str,
        checkpoint: &Checkpoint,
        verifier_key: &str,
        records: Round,
    ) -> anyhow::Result<BackupManifest> {
        if checkpoint.size != self.size() || checkpoint.root != self.root() {
            bail!(
                "the {} events received give root {}, but the server's signed head of size {} says {}",
                self.size(),
                hex::encode(self.root()),
                checkpoint.size,
                hex::encode(checkpoint.root)
            );
        }
        self.events.flush()?;
        self.events.get_ref().sync_all()?;
        let idempotency = lines_text(&records.idempotency)?;
        self.idempotency_bytes += append_durably(&self.dir, IDEMPOTENCY_FILE, &idempotency)?;
        let mut changed = Vec::new();
        for head in records.heads {
            let digest = line_digest(&head)?;
            if self.held_heads.get(&head.tree_size) != Some(&digest) {
                changed.push((head.tree_size, digest, head));
            }
        }
        let lines: Vec<&HeadLine> = changed.iter().map(|(_, _, head)| head).collect();
        self.heads_bytes += append_durably(&self.dir, HEADS_FILE, &lines_text(&lines)?)?;
        for (size, digest, _) in changed {
            self.held_heads.insert(size, digest);
        }
        replace_file(
            &self.dir,
            STATEMENTS_FILE,
            lines_text(&records.statements)?.as_bytes(),
        )?;
        let manifest = BackupManifest {
            format: BACKUP_FORMAT.to_string(),
            tree_size: self.size(),
            root: hex::encode(self.root()),
            head_hash: hex::encode(self.head_hash),
            tree_head: note.to_string(),
            verifier_key: verifier_key.to_string(),
            events_bytes: self.events_bytes,
            idempotency_bytes: self.idempotency_bytes,
            heads_bytes: self.heads_bytes,
            updated_at: now_seconds(),
        };
        manifest.write(&self.dir)?;
        self.manifest = Some(manifest.clone());
        self.rounds += 1;
        self.new_commands.clear();
        Ok(manifest)
    }
}

/// Appends `text` to `name` in `dir` and fsyncs it; returns the bytes appended.
fn append_durably(dir: &Path, name: &str, text: &str) -> anyhow::Result<u64> {
    if text.is_empty() {
        return Ok(0);
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(name))
        .with_context(|| format!("opening {name}"))?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    Ok(text.len() as u64)
}

/// SHA-256 of a head's line.
fn line_digest(head: &HeadLine) -> anyhow::Result<[u8; 32]> {
    Ok(Sha256::digest(serde_json::to_vec(head)?).into())
}

/// The records of one round besides the events.
#[derive(Debug, Default)]
pub struct Round {
    /// Records of the commands whose first event is new in this round.
    pub idempotency: Vec<IdempotencyLine>,
    /// Every kept head up to the round's size.
    pub heads: Vec<HeadLine>,
    /// Every closing statement up to the round's size.
    pub statements: Vec<StatementLine>,
}

/// Checks that `bytes` is event `sequence` and links to `previous`; returns its hash and
/// its scoped idempotency key (principal, NUL, key).
fn check_link(
    sequence: u64,
    previous: [u8; 32],
    bytes: &[u8],
) -> anyhow::Result<([u8; 32], String)> {
    let event =
        store::decode(bytes).map_err(|error| anyhow::anyhow!("event {sequence}: {error}"))?;
    if event.sequence != sequence {
        bail!(
            "event {sequence}: the envelope says sequence {}",
            event.sequence
        );
    }
    if event.prev_hash != previous {
        bail!(
            "event {sequence} does not link to event {}: its prev_hash is {}, the hash held is {}",
            sequence - 1,
            hex::encode(event.prev_hash),
            hex::encode(previous)
        );
    }
    let key = format!("{}\u{0}{}", event.meta.actor, event.meta.idempotency_key);
    Ok((event.hash, key))
}

/// Cuts `name` in `dir` to the `length` the manifest covers (creating it empty when
/// absent): bytes past it were written by a round that did not finish. A file shorter
/// than the manifest says is damage, refused.
fn cut_to(dir: &Path, name: &str, length: u64) -> anyhow::Result<()> {
    let path = dir.join(name);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    let held = file.metadata()?.len();
    if held < length {
        bail!("{name}: {held} bytes, the manifest covers {length}: the backup was cut short");
    }
    if held > length {
        file.set_len(length)?;
        file.sync_all()?;
    }
    Ok(())
}
