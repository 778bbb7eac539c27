//! `export` writes a self-verifying export of the log, from a server or offline from a
//! data directory; `verify` checks one with no server.

use crate::cli::exit::verification_failed;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::progress::Progress;
use anyhow::Context;

use super::heads::fetch_verified_head;
use crate::api::proto::{GetSignedExportManifestRequest, ReadStoredEventsRequest};
use crate::api::tree_heads::now_seconds;
use crate::audit::{self, Checkpoint};
use crate::cli::client::connect;
use crate::store::Store;
use crate::verifiable::export::{
    verify_export, ExportBuilder, ExportTail, BALANCES_FILE, EVENTS_FILE, JOURNAL_FILE,
    MANIFEST_FILE, SMES_FILE,
};
use crate::verifiable::export_csv::journal_start;

/// Options of `export`.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct ExportArgs {
    /// Directory to write the export into (created if absent).
    #[arg(long)]
    pub out: PathBuf,
    /// Export offline from this data directory (the server must be stopped) instead of
    /// from the server; the head is signed with the directory's `signing.key`.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// The signing key file, offline, when not `<data-dir>/signing.key`.
    #[arg(long)]
    pub signing_key: Option<PathBuf>,
    /// Check the server's head against this verifier key instead of the one it serves.
    #[arg(long)]
    pub public_key: Option<String>,
}

/// Options of `verify`.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct VerifyArgs {
    /// The export directory.
    pub dir: PathBuf,
    /// The log's verifier key (`name+hash+key`), obtained out of band.
    #[arg(long)]
    pub public_key: String,
}

/// Writes the events file and the journal as lines arrive, then the rest.
struct ExportWriter {
    out: PathBuf,
    events: std::io::BufWriter<std::fs::File>,
    journal: std::io::BufWriter<std::fs::File>,
    builder: ExportBuilder,
}

/// A new file `name` in `out`, buffered.
fn create_file(out: &Path, name: &str) -> anyhow::Result<std::io::BufWriter<std::fs::File>> {
    let path = out.join(name);
    let file =
        std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
    Ok(std::io::BufWriter::new(file))
}

impl ExportWriter {
    fn create(out: &Path) -> anyhow::Result<ExportWriter> {
        std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
        let builder = ExportBuilder::new();
        debug_assert!(builder.format().spreadsheet_layout());
        let mut journal = create_file(out, JOURNAL_FILE)?;
        journal.write_all(journal_start().as_bytes())?;
        Ok(ExportWriter {
            out: out.to_path_buf(),
            events: create_file(out, EVENTS_FILE)?,
            journal,
            builder,
        })
    }

    fn push(&mut self, stored_bytes: &[u8]) -> anyhow::Result<()> {
        let lines = self.builder.push(stored_bytes)?;
        self.events.write_all(lines.event.as_bytes())?;
        self.journal.write_all(lines.journal.as_bytes())?;
        Ok(())
    }

    /// Checks the events give the signed root and returns the rest of the export, whose
    /// manifest the caller signs before [`ExportWriter::write`].
    fn finish(
        mut self,
        note: String,
        checkpoint: &Checkpoint,
    ) -> anyhow::Result<(PathBuf, ExportTail)> {
        self.events.flush()?;
        self.journal.flush()?;
        let tail = self.builder.finish(note);
        if tail.size != checkpoint.size || tail.root != checkpoint.root {
            return Err(verification_failed(format!(
                "the exported events (size {}) do not give the signed root of size {}",
                tail.size, checkpoint.size
            )));
        }
        Ok((self.out, tail))
    }
}

/// Writes the CSVs and the signed manifest.
fn write_tail(out: &Path, tail: &ExportTail) -> anyhow::Result<()> {
    std::fs::write(out.join(BALANCES_FILE), &tail.balances_csv)?;
    std::fs::write(out.join(SMES_FILE), &tail.smes_csv)?;
    std::fs::write(out.join(MANIFEST_FILE), tail.manifest.to_text()?)?;
    Ok(())
}

/// `matchledger export`.
pub async fn export(server: &str, args: ExportArgs) -> anyhow::Result<()> {
    match &args.data_dir {
        Some(dir) => {
            let (dir, key, out) = (dir.clone(), args.signing_key.clone(), args.out.clone());
            tokio::task::spawn_blocking(move || export_offline(&dir, key.as_deref(), &out)).await?
        }
        None => export_from_server(server, &args).await,
    }
}

async fn export_from_server(server: &str, args: &ExportArgs) -> anyhow::Result<()> {
    let mut clients = connect(server).await?;
    let (head, checkpoint) =
        fetch_verified_head(&mut clients.audit, args.public_key.as_deref()).await?;
    let mut writer = ExportWriter::create(&args.out)?;
    let bar = Progress::new("exporting", "events", checkpoint.size);
    if checkpoint.size > 0 {
        let mut stream = clients
            .audit
            .read_stored_events(ReadStoredEventsRequest {
                from_sequence: 1,
                limit: checkpoint.size,
            })
            .await
            .context("reading the stored events")?
            .into_inner();
        while let Some(event) = stream
            .message()
            .await
            .context("reading the stored events")?
        {
            writer.push(&event.stored_bytes)?;
            bar.inc(1);
        }
    }
    bar.finish();
    let tree_head = head.note.clone();
    let (out, mut tail) = writer.finish(head.note, &checkpoint)?;
    let signed = clients
        .audit
        .get_signed_export_manifest(GetSignedExportManifestRequest { tree_head })
        .await
        .context("asking the server to sign the export manifest")?
        .into_inner();
    let key = args.public_key.as_deref().unwrap_or(&head.verifier_key);
    tail.manifest
        .attach_signature(signed.note, key)
        .context("the server's signed manifest does not state the export received")?;
    write_tail(&out, &tail)?;
    eprintln!(
        "exported {} events to {}; verifier key: {}",
        checkpoint.size,
        args.out.display(),
        head.verifier_key
    );
    Ok(())
}

fn export_offline(data_dir: &Path, key: Option<&Path>, out: &Path) -> anyhow::Result<()> {
    let key_path = key.map_or_else(
        || data_dir.join(super::super::signing_key::KEY_FILE),
        Path::to_path_buf,
    );
    let key = super::super::signing_key::load(&key_path)?;
    let store = Store::open(data_dir)
        .with_context(|| format!("opening the store in {}", data_dir.display()))?;
    let (size, root) = store.tree_head()?;
    let checkpoint = Checkpoint {
        origin: key.name().to_string(),
        size,
        root,
        timestamp: now_seconds(),
        extensions: Vec::new(),
    };
    let note = audit::sign_checkpoint(&checkpoint, &key)?;
    let mut writer = ExportWriter::create(out)?;
    let bar = Progress::new("exporting", "events", size);
    for entry in store
        .raw_from(1)
        .take(usize::try_from(size).unwrap_or(usize::MAX))
    {
        let (_, bytes) = entry?;
        writer.push(&bytes)?;
        bar.inc(1);
    }
    bar.finish();
    let (out_dir, mut tail) = writer.finish(note, &checkpoint)?;
    tail.manifest.sign(&key)?;
    write_tail(&out_dir, &tail)?;
    eprintln!(
        "exported {size} events to {}; verifier key: {}",
        out.display(),
        key.verifier_key()
    );
    Ok(())
}

/// `matchledger verify DIR --public-key K`: no server involved.
pub fn verify(args: VerifyArgs) -> anyhow::Result<()> {
    let bar = Progress::new("verifying", "events", 0);
    let result = verify_export(&args.dir, &args.public_key, |count| {
        if count % 1024 == 0 {
            bar.set_position(count);
        }
    });
    bar.finish();
    match result {
        Ok(summary) => {
            println!(
                "VALID: {} events, Merkle root {} of the head signed at {} by {}, balances of {} phases recomputed and equal{}",
                summary.events,
                hex::encode(summary.checkpoint.root),
                summary.checkpoint.timestamp,
                summary.checkpoint.origin,
                summary.phases,
                if summary.manifest_signed {
                    ", manifest signed"
                } else {
                    " (format v1: the manifest's file digests are not signed)"
                }
            );
            Ok(())
        }
        Err(problems) => {
            println!("INVALID");
            for problem in &problems {
                println!("  - {problem}");
            }
            Err(verification_failed(format!(
                "the export does not verify ({} problems)",
                problems.len()
            )))
        }
    }
}
