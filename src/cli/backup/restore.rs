//! `matchledger restore`: a new data directory built from a backup or an export.
//!
//! The source is verified in full first (`source.rs`); nothing is written unless it
//! verifies. The directory is then built beside its destination (`<NEW>.restoring`),
//! events appended as their exact stored bytes in batches of `RESTORE_BATCH_EVENTS`, each
//! with the idempotency records of the commands it starts, then the signed heads with
//! their cosignatures and the closing statements. The store is reopened and verified
//! end to end, and only then renamed into place, so a restore that fails or is killed
//! never leaves a half-built directory where a server would start on it.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use super::format::sync_dir;
use super::progress::Progress;
use super::source::{IdempotencyRecords, Source, SourceKind, Verified};
use crate::audit::note::NoteSignature;
use crate::cli::signing_key;
use crate::domain::PhaseId;
use crate::limits::RESTORE_BATCH_EVENTS;
use crate::store::{ClosingStatement, IdempotencyRecord, Store};

/// Options of `restore`.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct RestoreArgs {
    /// The backup (from `matchledger backup`) or export (from `matchledger export`)
    /// directory to restore from.
    #[arg(long)]
    pub from: PathBuf,
    /// The data directory to create; it must not exist or be empty.
    #[arg(long)]
    pub data_dir: PathBuf,
    /// The log's verifier key (`name+hash+key`), obtained out of band: required for an
    /// export; for a backup, checked instead of the key the backup recorded.
    #[arg(long)]
    pub public_key: Option<String>,
    /// The log's signing key file, copied into the new directory as `signing.key`, so the
    /// restored server signs with the same key. It must be the key of the backup's heads.
    #[arg(long)]
    pub signing_key: Option<PathBuf>,
}

/// What a restore wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreSummary {
    /// Events restored.
    pub events: u64,
    /// Signed heads restored.
    pub heads: u64,
    /// Cosignatures restored.
    pub cosignatures: u64,
    /// Closing statements restored.
    pub statements: u64,
    /// Commands whose request fingerprint was not in the source: a retry under their key
    /// is refused as a conflict instead of being answered with the original result.
    pub fingerprints_unknown: u64,
}

/// `matchledger restore`.
pub fn restore(args: &RestoreArgs) -> anyhow::Result<RestoreSummary> {
    refuse_non_empty(&args.data_dir)?;
    let source = Source::open(&args.from, args.public_key.as_deref())?;
    let signing = args
        .signing_key
        .as_deref()
        .map(|path| check_signing_key(path, &source.verifier_key))
        .transpose()?;
    let progress = Progress::new("verifying", source.checkpoint.size);
    let verified = source
        .verify(|sequence| progress.set(sequence))
        .with_context(|| {
            format!(
                "{} does not verify; nothing was written",
                args.from.display()
            )
        })?;
    progress.finish();
    let building = building_dir(&args.data_dir)?;
    let summary = build(&source, &verified, &building).inspect_err(|_| {
        let _ = std::fs::remove_dir_all(&building);
    })?;
    if let Some(key) = &signing {
        signing_key::write_private(&building.join(signing_key::KEY_FILE), key)?;
    }
    move_into_place(&building, &args.data_dir)?;
    print_summary(&source, &summary, &args.data_dir, signing.is_some());
    Ok(summary)
}

/// Refuses a destination that exists and holds anything.
fn refuse_non_empty(dir: &Path) -> anyhow::Result<()> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                bail!(
                    "{} is not empty: restore writes only into a new or empty directory",
                    dir.display()
                );
            }
            Ok(())
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(error).with_context(|| format!("reading {}", dir.display())),
    }
}

/// Loads the signing key and checks it is the key that signed the source's head.
fn check_signing_key(path: &Path, verifier_key: &str) -> anyhow::Result<crate::audit::SigningKey> {
    let key = signing_key::load(path)?;
    if key.verifier_key() != verifier_key {
        bail!(
            "{} is the key {}, but the backup's heads are signed by {verifier_key}",
            path.display(),
            key.verifier_key()
        );
    }
    Ok(key)
}

/// The directory the restore builds in, beside the destination; a leftover from a
/// restore that was killed is removed first.
fn building_dir(destination: &Path) -> anyhow::Result<PathBuf> {
    let name = destination
        .file_name()
        .context("the data directory has no name")?
        .to_string_lossy();
    let building = destination.with_file_name(format!("{name}.restoring"));
    if building.exists() {
        std::fs::remove_dir_all(&building)
            .with_context(|| format!("removing the unfinished {}", building.display()))?;
    }
    Ok(building)
}

/// Writes everything into `dir`, then reopens and verifies it.
fn build(source: &Source, verified: &Verified, dir: &Path) -> anyhow::Result<RestoreSummary> {
    let store =
        Store::open(dir).with_context(|| format!("creating the store in {}", dir.display()))?;
    let progress = Progress::new("restoring", source.checkpoint.size);
    let mut batch: Vec<Vec<u8>> = Vec::with_capacity(RESTORE_BATCH_EVENTS);
    let mut first = 1;
    source.each_event(|sequence, bytes| {
        batch.push(bytes);
        if batch.len() == RESTORE_BATCH_EVENTS {
            write_batch(&store, &batch, first, &verified.idempotency)?;
            first = sequence + 1;
            batch.clear();
            progress.set(sequence);
        }
        Ok(())
    })?;
    write_batch(&store, &batch, first, &verified.idempotency)?;
    progress.finish();
    let (heads, cosignatures) = write_heads(&store, source)?;
    let statements = write_statements(&store, source)?;
    let (size, root) = store.tree_head()?;
    drop(store);
    let reopened = Store::open(dir).context("reopening the restored store")?;
    let head = reopened.verify_all(|_| {})?;
    if size != source.checkpoint.size || root != source.checkpoint.root || reopened.root()? != root
    {
        bail!("the restored log (size {size}) does not give the signed root; this is a bug");
    }
    debug_assert_eq!(head.sequence, size);
    Ok(RestoreSummary {
        events: size,
        heads,
        cosignatures,
        statements,
        fingerprints_unknown: verified.fingerprints_unknown,
    })
}

/// Appends one batch of events starting at `first`, with the records of the commands
/// whose first event is in it.
fn write_batch(
    store: &Store,
    batch: &[Vec<u8>],
    first: u64,
    records: &IdempotencyRecords,
) -> anyhow::Result<()> {
    if batch.is_empty() {
        return Ok(());
    }
    let last = first + batch.len() as u64 - 1;
    let idempotency: Vec<(String, IdempotencyRecord)> = records
        .range(first..=last)
        .map(|(_, record)| record.clone())
        .collect();
    store.import_stored(batch, &idempotency)?;
    Ok(())
}

/// Keeps every head of the restored size or below, and its cosignatures.
fn write_heads(store: &Store, source: &Source) -> anyhow::Result<(u64, u64)> {
    let (mut heads, mut cosignatures) = (0, 0);
    for head in source
        .heads
        .iter()
        .filter(|h| h.tree_size <= source.checkpoint.size)
    {
        store.put_signed_head(head.tree_size, head.timestamp, &head.note)?;
        heads += 1;
        for line in &head.cosignatures {
            let signature = NoteSignature::parse_line(line)
                .with_context(|| format!("a cosignature of the head of size {}", head.tree_size))?;
            let witness = format!("{} {:08x}", signature.name, signature.key_hash);
            store.add_cosignature(head.tree_size, &witness, &signature.to_line())?;
            cosignatures += 1;
        }
    }
    Ok((heads, cosignatures))
}

/// Keeps every closing statement of the restored size or below.
fn write_statements(store: &Store, source: &Source) -> anyhow::Result<u64> {
    let mut count = 0;
    for line in source
        .statements
        .iter()
        .filter(|s| s.tree_size <= source.checkpoint.size)
    {
        let phase: PhaseId = line
            .phase_id
            .parse()
            .map_err(|error| anyhow::anyhow!("a closing statement's phase id: {error}"))?;
        let statement = ClosingStatement {
            tree_size: line.tree_size,
            note: line.note.clone(),
        };
        store.put_closing_statement(phase, &statement)?;
        count += 1;
    }
    Ok(count)
}

/// Renames the built directory onto the destination (which is absent or empty) and
/// makes the rename durable.
fn move_into_place(building: &Path, destination: &Path) -> anyhow::Result<()> {
    sync_dir(building)?;
    if destination.exists() {
        std::fs::remove_dir(destination)
            .with_context(|| format!("replacing the empty {}", destination.display()))?;
    }
    std::fs::rename(building, destination)
        .with_context(|| format!("moving the restored directory to {}", destination.display()))?;
    let parent = destination
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    sync_dir(parent)
}

fn print_summary(source: &Source, summary: &RestoreSummary, dir: &Path, key_copied: bool) {
    let kind = match source.kind {
        SourceKind::Backup { .. } => "backup",
        SourceKind::Export => "export",
    };
    println!(
        "restored {} events from the {kind} {} into {}: Merkle root {}, {} signed heads with {} cosignatures, {} closing statements",
        summary.events,
        source.dir.display(),
        dir.display(),
        hex::encode(source.checkpoint.root),
        summary.heads,
        summary.cosignatures,
        summary.statements,
    );
    if summary.fingerprints_unknown > 0 {
        println!(
            "note: {} commands have no request fingerprint in the {kind}; a retry under one of their idempotency keys is refused (ALREADY_EXISTS) instead of being answered with the original result",
            summary.fingerprints_unknown
        );
    }
    if !key_copied {
        println!(
            "note: no --signing-key given; start the server with --signing-key naming the log's key ({}), or it signs new heads with a new key",
            source.verifier_key
        );
    }
}
