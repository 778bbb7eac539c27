//! `matchledger backup`: a consistent copy of a running server, taken at one of its
//! signed tree heads, over the audit service only (the server keeps serving and posting).
//!
//! One round asks for the latest signed head (the server signs it if the tree grew),
//! streams the stored events after what the backup holds up to that head, checking each
//! one's link, checks the Merkle root of everything held against the head, then fetches
//! the idempotency records of the new commands, the kept heads (with their cosignatures)
//! that are new since the last round (all of them now and then) and every closing
//! statement up to that size, and commits with the manifest. `--follow` repeats
//! rounds as events commit, resuming from the backup's own head after a restart of either
//! side, and waits out a server that is down.

use std::future::Future;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use tonic::Code;

use super::format::{HeadLine, IdempotencyLine, StatementLine};
use super::local::{LocalBackup, Round};
use super::progress::Progress;
use super::source::Source;
use crate::api::proto::{
    ListClosingStatementsRequest, ListSignedHeadsRequest, ReadIdempotencyRecordsRequest,
    ReadStoredEventsRequest, SubscribeRequest,
};
use crate::cli::client::{connect, Clients};
use crate::cli::verifiable::heads::fetch_verified_head;
use crate::limits::{BACKUP_FOLLOW_IDLE_MS, BACKUP_FOLLOW_ROUND_MS, BACKUP_IDEMPOTENCY_KEYS_MAX};

/// Options of `backup`.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct BackupArgs {
    /// The backup directory: created if absent, extended if it holds a backup of this log.
    #[arg(long)]
    pub out: PathBuf,
    /// Keep the backup current: take a new round whenever events commit, until stopped
    /// (Ctrl-C); a server that goes away is waited for.
    #[arg(long)]
    pub follow: bool,
    /// The log's verifier key (`name+hash+key`), obtained out of band; by default the
    /// key the backup recorded, or on a new backup the key the server serves.
    #[arg(long)]
    pub public_key: Option<String>,
}

/// Where a backup stands after a round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoundReport {
    /// Events held.
    pub tree_size: u64,
    /// Events added by the round.
    pub added: u64,
}

/// `matchledger backup`: one round, verified; with `--follow`, rounds until Ctrl-C.
pub async fn backup(server: &str, args: BackupArgs) -> anyhow::Result<()> {
    let stop = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    backup_until(server, &args, stop).await.map(|_| ())
}

/// Runs the backup until done (one round) or, with `--follow`, until `stop` resolves.
/// Returns the last round's report (for a follower that never finished a round, the
/// backup as it was opened).
pub async fn backup_until(
    server: &str,
    args: &BackupArgs,
    stop: impl Future<Output = ()>,
) -> anyhow::Result<RoundReport> {
    let mut local = LocalBackup::open(&args.out)?;
    if !args.follow {
        let mut clients = connect(server).await?;
        let report = round(&mut clients, &mut local, args.public_key.as_deref()).await?;
        verify_written(args)?;
        return Ok(report);
    }
    tokio::pin!(stop);
    let mut report = RoundReport {
        tree_size: local.size(),
        added: 0,
    };
    let (mut clients, mut verified, mut first) = (None, false, true);
    // Said once per outage, not once a second.
    let mut down = false;
    loop {
        let started = Instant::now();
        if !first {
            tokio::select! {
                () = &mut stop => return Ok(report),
                () = wait_for_events(clients.as_mut(), report.tree_size) => {}
            }
            let pause =
                Duration::from_millis(BACKUP_FOLLOW_ROUND_MS).saturating_sub(started.elapsed());
            tokio::select! {
                () = &mut stop => return Ok(report),
                () = tokio::time::sleep(pause) => {}
            }
        }
        first = false;
        if clients.is_none() {
            clients = connect(server).await.ok();
        }
        let Some(connected) = clients.as_mut() else {
            if !std::mem::replace(&mut down, true) {
                eprintln!("backup: the server at {server} is unreachable; retrying");
            }
            continue;
        };
        match round(connected, &mut local, args.public_key.as_deref()).await {
            Ok(next) => {
                report = next;
                down = false;
            }
            Err(error) if is_transient(&error) => {
                if !std::mem::replace(&mut down, true) {
                    eprintln!("backup: the server is unavailable ({error:#}); retrying");
                }
                clients = None;
                // Reopen from disk: the round may have left events past the manifest.
                drop(local);
                local = LocalBackup::open(&args.out)?;
                continue;
            }
            Err(error) => return Err(error),
        }
        if !verified {
            verify_written(args)?;
            verified = true;
        }
    }
}

/// Re-reads the backup from disk and verifies it as a restore would.
fn verify_written(args: &BackupArgs) -> anyhow::Result<()> {
    let source = Source::open(&args.out, args.public_key.as_deref())?;
    let progress = Progress::new("verifying the backup", source.checkpoint.size);
    let verified = source
        .verify(|sequence| progress.set(sequence))
        .context("the backup just written does not verify")?;
    progress.finish();
    if verified.fingerprints_unknown > 0 {
        bail!(
            "the backup lacks the idempotency records of {} commands; the server did not send them",
            verified.fingerprints_unknown
        );
    }
    eprintln!(
        "backup verified: {} events, Merkle root {} signed by {}",
        verified.events,
        hex::encode(source.checkpoint.root),
        source.checkpoint.origin
    );
    Ok(())
}

/// Whether a failure is the server being away (retried by `--follow`) rather than the
/// backup or the log being wrong (which stops it).
fn is_transient(error: &anyhow::Error) -> bool {
    if error.downcast_ref::<tonic::transport::Error>().is_some() {
        return true;
    }
    error.downcast_ref::<tonic::Status>().is_some_and(|status| {
        matches!(
            status.code(),
            Code::Unavailable
                | Code::Cancelled
                | Code::DeadlineExceeded
                | Code::Unknown
                | Code::Aborted
        )
    })
}

/// Waits until an event after `size` commits (or a while, to refresh cosignatures and
/// statements kept without a new event); returns at once without a connection.
async fn wait_for_events(clients: Option<&mut Clients>, size: u64) {
    let idle = tokio::time::sleep(Duration::from_millis(BACKUP_FOLLOW_IDLE_MS));
    let Some(clients) = clients else {
        return;
    };
    let request = SubscribeRequest {
        from_sequence: size + 1,
        filter: None,
    };
    let next = async {
        match clients.audit.subscribe(request).await {
            Ok(stream) => {
                let _ = stream.into_inner().message().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = next => {}
        () = idle => {}
    }
}

/// One round: the events up to the latest signed head, then the records, then commit.
async fn round(
    clients: &mut Clients,
    local: &mut LocalBackup,
    public_key: Option<&str>,
) -> anyhow::Result<RoundReport> {
    let pinned: Option<String> = public_key
        .map(str::to_string)
        .or_else(|| local.manifest.as_ref().map(|m| m.verifier_key.clone()));
    let (head, checkpoint) = fetch_verified_head(&mut clients.audit, pinned.as_deref()).await?;
    let held = local.size();
    let heads_from = local.heads_from();
    if checkpoint.size < held {
        bail!(
            "the server's log has {} events, fewer than the {held} this backup holds: it is not the log backed up here, or it lost events",
            checkpoint.size
        );
    }
    let added = checkpoint.size - held;
    if added > 0 {
        fetch_events(clients, local, held, added).await?;
    }
    let records = Round {
        idempotency: fetch_idempotency(clients, held + 1, checkpoint.size, local.new_commands())
            .await?,
        heads: fetch_heads(clients, heads_from, checkpoint.size).await?,
        statements: fetch_statements(clients, checkpoint.size).await?,
    };
    let key = pinned.as_deref().unwrap_or(&head.verifier_key);
    let manifest = local.commit(&head.note, &checkpoint, key, records)?;
    if added > 0 || held == 0 {
        eprintln!(
            "backup at tree size {} ({added} new events), root {}",
            manifest.tree_size, manifest.root
        );
    }
    Ok(RoundReport {
        tree_size: manifest.tree_size,
        added,
    })
}

async fn fetch_events(
    clients: &mut Clients,
    local: &mut LocalBackup,
    held: u64,
    count: u64,
) -> anyhow::Result<()> {
    let progress = Progress::new("backing up", count);
    let mut stream = clients
        .audit
        .read_stored_events(ReadStoredEventsRequest {
            from_sequence: held + 1,
            limit: count,
        })
        .await
        .context("reading the stored events")?
        .into_inner();
    let mut received = 0;
    while let Some(event) = stream
        .message()
        .await
        .context("reading the stored events")?
    {
        if event.sequence != held + received + 1 {
            bail!(
                "the server sent event {} where {} was due",
                event.sequence,
                held + received + 1
            );
        }
        local.append(&event.stored_bytes)?;
        received += 1;
        progress.set(received);
    }
    progress.finish();
    if received != count {
        bail!("the server sent {received} of the {count} events up to its signed head");
    }
    Ok(())
}

/// The idempotency records of the commands whose first event is in `from..=to`: looked
/// up by the keys of the commands received (`keys`), or, for a new backup, read whole.
async fn fetch_idempotency(
    clients: &mut Clients,
    from: u64,
    to: u64,
    keys: &[String],
) -> anyhow::Result<Vec<IdempotencyLine>> {
    if from > to {
        return Ok(Vec::new());
    }
    let mut lines = Vec::new();
    let chunks: Vec<&[String]> = if from == 1 {
        vec![&[]]
    } else {
        keys.chunks(BACKUP_IDEMPOTENCY_KEYS_MAX).collect()
    };
    for chunk in chunks {
        let request = ReadIdempotencyRecordsRequest {
            from_sequence: from,
            to_sequence: to,
            scoped_keys: chunk.to_vec(),
        };
        let mut stream = clients
            .audit
            .read_idempotency_records(request)
            .await
            .context("reading the idempotency records")?
            .into_inner();
        while let Some(record) = stream
            .message()
            .await
            .context("reading the idempotency records")?
        {
            lines.push(IdempotencyLine {
                scoped_key: record.scoped_key,
                fingerprint: hex::encode(record.fingerprint),
                first_sequence: record.first_sequence,
                event_count: record.event_count,
            });
        }
    }
    lines.sort_by_key(|line| line.first_sequence);
    Ok(lines)
}

async fn fetch_heads(clients: &mut Clients, from: u64, to: u64) -> anyhow::Result<Vec<HeadLine>> {
    let request = ListSignedHeadsRequest {
        from_tree_size: from,
        to_tree_size: to.max(1),
    };
    let mut stream = clients
        .audit
        .list_signed_heads(request)
        .await
        .context("listing the signed heads")?
        .into_inner();
    let mut heads = Vec::new();
    while let Some(head) = stream.message().await.context("listing the signed heads")? {
        if head.tree_size <= to {
            heads.push(HeadLine {
                tree_size: head.tree_size,
                timestamp: head.timestamp,
                note: head.note,
                cosignatures: head.cosignatures,
            });
        }
    }
    Ok(heads)
}

async fn fetch_statements(clients: &mut Clients, to: u64) -> anyhow::Result<Vec<StatementLine>> {
    if to == 0 {
        return Ok(Vec::new());
    }
    let request = ListClosingStatementsRequest { to_tree_size: to };
    let mut stream = clients
        .audit
        .list_closing_statements(request)
        .await
        .context("listing the closing statements")?
        .into_inner();
    let mut statements = Vec::new();
    while let Some(statement) = stream
        .message()
        .await
        .context("listing the closing statements")?
    {
        statements.push(StatementLine {
            phase_id: statement.phase_id,
            tree_size: statement.tree_size,
            note: statement.note,
        });
    }
    Ok(statements)
}
