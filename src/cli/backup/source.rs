//! What a restore reads from: a backup directory or an export directory, opened and
//! verified in full before anything is written. Verification re-derives everything from
//! the events' stored bytes: each event decodes at its sequence and links to the one
//! before, the Merkle root at every kept head's and closing statement's size is the root
//! it states, the root of all
//! events is the signed head's, and every idempotency record names the run of events its
//! command produced.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;

use super::format::{
    latest_heads, read_lines, BackupManifest, EventRecords, HeadLine, IdempotencyLine,
    StatementLine, BACKUP_FORMAT, EVENTS_FILE, HEADS_FILE, IDEMPOTENCY_FILE, MANIFEST_FILE,
    STATEMENTS_FILE,
};
use crate::audit::{self, Checkpoint, Frontier, SignedNote};
use crate::store::{self, IdempotencyRecord, GENESIS_HASH};
use crate::verifiable::export::{self, Manifest as ExportManifest};

/// The stored bytes of an `events.jsonl` line, in every export format (the decoded event
/// beside them is checked by the export's verification, not needed here).
#[derive(serde::Deserialize)]
struct ExportedLine {
    stored_bytes: String,
}

/// The fingerprint given to a command whose request fingerprint is not known (restored
/// from an export): no request hashes to it, so a retry under its key is refused as a
/// conflict (ALREADY_EXISTS) instead of being replayed or posted twice.
pub const UNKNOWN_FINGERPRINT: [u8; 32] = [0; 32];

/// Where the events and records come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// A directory written by `matchledger backup`.
    Backup {
        /// Bytes of `events.bin` the manifest covers.
        events_bytes: u64,
    },
    /// A directory written by `matchledger export`.
    Export,
}

/// An opened, not yet verified, source.
#[derive(Debug, Clone)]
pub struct Source {
    /// Its directory.
    pub dir: PathBuf,
    /// Backup or export.
    pub kind: SourceKind,
    /// The signed tree head it ends at.
    pub tree_head: String,
    /// The checkpoint of that head, its signature verified.
    pub checkpoint: Checkpoint,
    /// The key the head was verified with.
    pub verifier_key: String,
    /// The kept heads (for an export: its one head), each with the log's signature only.
    pub heads: Vec<HeadLine>,
    /// The kept closing statements (none for an export).
    pub statements: Vec<StatementLine>,
    /// The idempotency records as kept (none for an export).
    pub idempotency: Vec<IdempotencyLine>,
}

/// Every command's idempotency record (its scoped key and record), by first sequence.
pub type IdempotencyRecords = BTreeMap<u64, (String, IdempotencyRecord)>;

/// What verification established, and the records a restore writes.
#[derive(Debug, Clone)]
pub struct Verified {
    /// Events checked.
    pub events: u64,
    /// Every command's idempotency record, by its first sequence.
    pub idempotency: IdempotencyRecords,
    /// Commands whose request fingerprint was not in the source.
    pub fingerprints_unknown: u64,
    /// Kept heads whose signature is not by the verifier key (an earlier key): their
    /// roots were checked, their signatures not.
    pub heads_other_key: u64,
}

impl Source {
    /// Opens the backup or export in `dir`; `public_key` pins the log's key (an export
    /// needs it, a backup checks against the key it recorded when none is given).
    pub fn open(dir: &Path, public_key: Option<&str>) -> anyhow::Result<Source> {
        let manifest_path = dir.join(MANIFEST_FILE);
        let bytes = std::fs::read(&manifest_path)
            .with_context(|| format!("{}: no backup or export here", manifest_path.display()))?;
        let format = serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|value| value.get("format")?.as_str().map(str::to_string))
            .with_context(|| format!("{MANIFEST_FILE}: neither a backup nor an export manifest"))?;
        if format == BACKUP_FORMAT {
            Source::open_backup(dir, public_key)
        } else if export::ExportFormat::parse(&format).is_some() {
            Source::open_export(dir, public_key)
        } else {
            bail!("{MANIFEST_FILE}: format {format:?} is neither a backup nor an export this build reads")
        }
    }

    fn open_backup(dir: &Path, public_key: Option<&str>) -> anyhow::Result<Source> {
        let manifest = BackupManifest::read(dir)?.context("the backup has no manifest")?;
        let verifier_key = public_key.unwrap_or(&manifest.verifier_key).to_string();
        let checkpoint = audit::verify_checkpoint(&manifest.tree_head, &verifier_key)
            .with_context(|| {
                format!("{MANIFEST_FILE}: the tree head is not signed by {verifier_key}")
            })?;
        if checkpoint.size != manifest.tree_size || hex::encode(checkpoint.root) != manifest.root {
            bail!("{MANIFEST_FILE}: tree_size or root differ from the signed tree head");
        }
        Ok(Source {
            dir: dir.to_path_buf(),
            kind: SourceKind::Backup {
                events_bytes: manifest.events_bytes,
            },
            tree_head: manifest.tree_head,
            checkpoint,
            verifier_key,
            heads: latest_heads(read_lines(dir, HEADS_FILE, Some(manifest.heads_bytes))?),
            statements: read_lines(dir, STATEMENTS_FILE, None)?,
            idempotency: read_lines(dir, IDEMPOTENCY_FILE, Some(manifest.idempotency_bytes))?,
        })
    }

    fn open_export(dir: &Path, public_key: Option<&str>) -> anyhow::Result<Source> {
        let Some(verifier_key) = public_key else {
            bail!("an export does not name its key: give the log's verifier key with --public-key");
        };
        let summary = export::verify_export(dir, verifier_key, |_| {}).map_err(|problems| {
            anyhow::anyhow!("the export does not verify: {}", problems.join("; "))
        })?;
        let manifest: ExportManifest =
            serde_json::from_slice(&std::fs::read(dir.join(export::MANIFEST_FILE))?)?;
        let head = own_head(&manifest.tree_head, &summary.checkpoint)?;
        Ok(Source {
            dir: dir.to_path_buf(),
            kind: SourceKind::Export,
            tree_head: manifest.tree_head,
            checkpoint: summary.checkpoint,
            verifier_key: verifier_key.to_string(),
            heads: vec![head],
            statements: Vec::new(),
            idempotency: Vec::new(),
        })
    }

    /// Calls `visit` with each event's stored bytes, in sequence order, exactly the tree
    /// size of them.
    pub fn each_event(
        &self,
        mut visit: impl FnMut(u64, Vec<u8>) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let size = self.checkpoint.size;
        let mut sequence = 0;
        match self.kind {
            SourceKind::Backup { events_bytes } => {
                let mut records = EventRecords::open(&self.dir, events_bytes)?;
                while sequence < size {
                    let offset = records.offset();
                    let bytes = records.next_event()?.with_context(|| {
                        format!("{EVENTS_FILE}: {sequence} events, the signed head covers {size}")
                    })?;
                    sequence += 1;
                    visit(sequence, bytes).with_context(|| {
                        format!("{EVENTS_FILE}: event {sequence} (at byte {offset})")
                    })?;
                }
            }
            SourceKind::Export => {
                let file = std::fs::File::open(self.dir.join(export::EVENTS_FILE))?;
                for line in std::io::BufReader::new(file).lines() {
                    if sequence == size {
                        break;
                    }
                    let line: ExportedLine = serde_json::from_str(&line?)?;
                    sequence += 1;
                    visit(sequence, BASE64.decode(line.stored_bytes)?)?;
                }
            }
        }
        if sequence != size {
            bail!("the source holds {sequence} events, the signed head covers {size}");
        }
        Ok(())
    }

    /// Checks everything (see the module doc) without writing anything; `progress` is
    /// called with each sequence checked.
    pub fn verify(&self, mut progress: impl FnMut(u64)) -> anyhow::Result<Verified> {
        let (claims, heads_other_key) = self.claimed_roots()?;
        let mut frontier = Frontier::new();
        let mut previous = GENESIS_HASH;
        let mut runs = Runs::default();
        self.each_event(|sequence, bytes| {
            let event = store::decode(&bytes).map_err(|error| anyhow::anyhow!("{error}"))?;
            if event.sequence != sequence {
                bail!("the envelope says sequence {}", event.sequence);
            }
            if event.prev_hash != previous {
                bail!(
                    "its prev_hash is not the hash of event {}: event {} or this one was altered",
                    sequence - 1,
                    sequence - 1
                );
            }
            previous = event.hash;
            frontier.append(&bytes);
            runs.push(
                sequence,
                format!("{}\u{0}{}", event.meta.actor, event.meta.idempotency_key),
            );
            for (what, claimed) in claims.get(&sequence).into_iter().flatten() {
                let root = frontier.root();
                if *claimed != root {
                    bail!(
                        "{what} states root {}, the events give {}",
                        hex::encode(claimed),
                        hex::encode(root)
                    );
                }
            }
            progress(sequence);
            Ok(())
        })?;
        if frontier.root() != self.checkpoint.root {
            bail!(
                "the Merkle root of the {} events is {}, the signed head says {}",
                frontier.size(),
                hex::encode(frontier.root()),
                hex::encode(self.checkpoint.root)
            );
        }
        let (idempotency, fingerprints_unknown) = runs.records(&self.idempotency)?;
        Ok(Verified {
            events: frontier.size(),
            idempotency,
            fingerprints_unknown,
            heads_other_key,
        })
    }
}

/// What the kept records state the root at a size to be: `(what, root)` by size.
type Claims = BTreeMap<u64, Vec<(String, audit::Hash)>>;

impl Source {
    /// The roots the kept heads and closing statements state, by tree size, each record's
    /// form checked; and how many heads are signed by another key than the verifier key.
    fn claimed_roots(&self) -> anyhow::Result<(Claims, u64)> {
        let size = self.checkpoint.size;
        let mut claims: Claims = BTreeMap::new();
        let mut heads_other_key = 0;
        for head in self.heads.iter().filter(|head| head.tree_size <= size) {
            let verified = head_checkpoint(head, &self.verifier_key)?;
            heads_other_key += u64::from(verified.is_none());
            let checkpoint = Checkpoint::parse_body(&SignedNote::parse(&head.note)?.text)?;
            let what = format!("{HEADS_FILE}: the head kept at size {}", head.tree_size);
            claims
                .entry(head.tree_size)
                .or_default()
                .push((what, checkpoint.root));
        }
        for statement in self.statements.iter().filter(|s| s.tree_size <= size) {
            let what = format!(
                "{STATEMENTS_FILE}: the closing statement of phase {}",
                statement.phase_id
            );
            let root = statement_root(statement).with_context(|| what.clone())?;
            claims
                .entry(statement.tree_size)
                .or_default()
                .push((what, root));
        }
        Ok((claims, heads_other_key))
    }
}

/// The root a closing statement states, after checking that its text names the phase and
/// the tree size it is kept under.
fn statement_root(statement: &StatementLine) -> anyhow::Result<audit::Hash> {
    let text = SignedNote::parse(&statement.note)?.text;
    let field = |key: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(key)?.strip_prefix(' '))
            .with_context(|| format!("the statement has no {key} line"))
    };
    if field("tree_size")? != statement.tree_size.to_string()
        || field("phase")? != statement.phase_id
    {
        bail!("the statement's text names another phase or tree size than it is kept under");
    }
    let root = BASE64.decode(field("root")?)?;
    <[u8; 32]>::try_from(root).map_err(|_| anyhow::anyhow!("the statement's root is not 32 bytes"))
}

/// The checkpoint of a kept head, its signature checked when it is by `verifier_key`
/// (`None` when another key signed it); an error when its note is malformed or its size
/// is not the one it is kept under.
fn head_checkpoint(head: &HeadLine, verifier_key: &str) -> anyhow::Result<Option<Checkpoint>> {
    let checkpoint =
        Checkpoint::parse_body(&SignedNote::parse(&head.note)?.text).with_context(|| {
            format!(
                "{HEADS_FILE}: the head of size {} is malformed",
                head.tree_size
            )
        })?;
    if checkpoint.size != head.tree_size {
        bail!(
            "{HEADS_FILE}: a head kept as size {} is of size {}",
            head.tree_size,
            checkpoint.size
        );
    }
    Ok(audit::verify_checkpoint(&head.note, verifier_key).ok())
}

/// The log's own head from a served note: the log's signature lines kept in the note,
/// every other line as a cosignature.
fn own_head(note: &str, checkpoint: &Checkpoint) -> anyhow::Result<HeadLine> {
    let parsed = SignedNote::parse(note)?;
    let (own, others): (Vec<_>, Vec<_>) = parsed
        .signatures
        .into_iter()
        .partition(|signature| signature.name == checkpoint.origin);
    Ok(HeadLine {
        tree_size: checkpoint.size,
        timestamp: checkpoint.timestamp,
        note: SignedNote {
            text: parsed.text,
            signatures: own,
        }
        .to_note(),
        cosignatures: others.iter().map(|signature| signature.to_line()).collect(),
    })
}

/// The runs of consecutive events posted under one scoped idempotency key: one command
/// each, since a key once used never produces events again.
#[derive(Default)]
struct Runs {
    runs: BTreeMap<u64, (String, u32)>,
    last: Option<u64>,
}

impl Runs {
    fn push(&mut self, sequence: u64, scoped_key: String) {
        if let Some(first) = self.last {
            if let Some((key, count)) = self.runs.get_mut(&first) {
                if *key == scoped_key {
                    *count += 1;
                    return;
                }
            }
        }
        self.runs.insert(sequence, (scoped_key, 1));
        self.last = Some(sequence);
    }

    /// Every command's record: the kept one, checked against its run, or one with an
    /// unknown fingerprint where none was kept. Returns them and how many were unknown.
    fn records(self, kept: &[IdempotencyLine]) -> anyhow::Result<(IdempotencyRecords, u64)> {
        let mut records = BTreeMap::new();
        for line in kept {
            let Some((key, count)) = self.runs.get(&line.first_sequence) else {
                bail!("{IDEMPOTENCY_FILE}: the record of {:?} starts at sequence {}, where no command's events start", line.scoped_key, line.first_sequence);
            };
            if *key != line.scoped_key || *count != line.event_count {
                bail!("{IDEMPOTENCY_FILE}: the record of {:?} at sequence {} does not describe the events there ({} events by {:?})", line.scoped_key, line.first_sequence, count, key);
            }
            let fingerprint =
                <[u8; 32]>::try_from(hex::decode(&line.fingerprint)?).map_err(|_| {
                    anyhow::anyhow!("{IDEMPOTENCY_FILE}: a fingerprint is not 32 bytes")
                })?;
            let record = IdempotencyRecord {
                fingerprint,
                first_sequence: line.first_sequence,
                event_count: line.event_count,
            };
            records.insert(line.first_sequence, (line.scoped_key.clone(), record));
        }
        let mut unknown = 0;
        for (first, (key, count)) in self.runs {
            records.entry(first).or_insert_with(|| {
                unknown += 1;
                let record = IdempotencyRecord {
                    fingerprint: UNKNOWN_FINGERPRINT,
                    first_sequence: first,
                    event_count: count,
                };
                (key, record)
            });
        }
        Ok((records, unknown))
    }
}
