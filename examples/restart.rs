//! Measures how long the ledger takes to be ready after a restart.
//!
//! ```text
//! cargo run --release --example restart -- target/restart-data 1000000 [CRASH_TAIL]
//! ```
//!
//! Fills the data directory (if it holds fewer events) with the seeded realistic programme,
//! posted through `Ledger::submit` in atomic batches of up to `BATCH_COMMANDS_MAX`
//! commands, then stops the ledger and times three reopens: the store alone (chain
//! verification from the checkpoint) and the whole ledger (snapshot load plus the replay
//! of the tail). A clean stop snapshots the tail, so these replay nothing.
//!
//! With `CRASH_TAIL`, three more rounds time a restart after a crash: each copies the
//! directory, has a child process post `CRASH_TAIL` more events into the copy and abort
//! (no shutdown, no snapshot, as after `kill -9`), then times the ledger opening the copy,
//! which must replay that tail.

use std::path::{Path, PathBuf};
use std::time::Instant;

use matchledger::domain::CommandContext;
use matchledger::generator::{Programme, ProgrammeConfig};
use matchledger::ledger::{Ledger, LedgerError, Submission};
use matchledger::limits::BATCH_COMMANDS_MAX;
use matchledger::store::Store;

fn main() -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sled=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let mut args = std::env::args().skip(1).peekable();
    if args.peek().map(String::as_str) == Some(POST_THEN_ABORT) {
        args.next();
        let dir = PathBuf::from(args.next().unwrap_or_default());
        let events: u64 = args.next().unwrap_or_default().parse()?;
        return post_then_abort(&dir, events);
    }
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "target/restart-data".into()));
    let events: u64 = args
        .next()
        .map(|text| text.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let crash_tail: Option<u64> = args.next().map(|text| text.parse()).transpose()?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(fill(&dir, events))?;
    for round in 1..=3 {
        let started = Instant::now();
        let store = Store::open(&dir)?;
        let store_ms = started.elapsed().as_secs_f64() * 1e3;
        drop(store);
        let started = Instant::now();
        let ledger = Ledger::open(&dir)?;
        let ready_ms = started.elapsed().as_secs_f64() * 1e3;
        println!(
            "round {round}: {} events, store open {store_ms:.0} ms, ledger ready {ready_ms:.0} ms",
            ledger.head()
        );
        runtime.block_on(ledger.shutdown());
    }
    if let Some(tail) = crash_tail {
        for round in 1..=3 {
            crash_round(&dir, tail, round, &runtime)?;
        }
    }
    Ok(())
}

/// The child's mode: post that many more events, then abort without stopping the ledger.
const POST_THEN_ABORT: &str = "--post-then-abort";

/// Copies `dir`, lets a child post `tail` events into the copy and abort, then times the
/// ledger's start on the copy.
fn crash_round(
    dir: &Path,
    tail: u64,
    round: u32,
    runtime: &tokio::runtime::Runtime,
) -> anyhow::Result<()> {
    let copy = dir.with_extension("crashed");
    if copy.exists() {
        std::fs::remove_dir_all(&copy)?;
    }
    copy_dir(dir, &copy)?;
    let before = runtime.block_on(async {
        let ledger = Ledger::open(&copy)?;
        let head = ledger.head();
        ledger.shutdown().await;
        Ok::<u64, LedgerError>(head)
    })?;
    let status = std::process::Command::new(std::env::current_exe()?)
        .arg(POST_THEN_ABORT)
        .arg(&copy)
        .arg((before + tail).to_string())
        .status()?;
    anyhow::ensure!(!status.success(), "the child was meant to abort");
    let started = Instant::now();
    let ledger = Ledger::open(&copy)?;
    let ready_ms = started.elapsed().as_secs_f64() * 1e3;
    println!(
        "crash round {round}: {} events, {} after the last snapshot, ledger ready {ready_ms:.0} ms",
        ledger.head(),
        ledger.head() - before
    );
    runtime.block_on(ledger.shutdown());
    std::fs::remove_dir_all(&copy)?;
    Ok(())
}

/// Posts until the log holds `events` events, then aborts: every acknowledged write is
/// durable, nothing else is written.
fn post_then_abort(dir: &Path, events: u64) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    let ledger = Ledger::open(dir)?;
    // The fill of a fresh directory used seed 0: its batches replay, then new ones follow.
    runtime.block_on(post_until(&ledger, 0, events))?;
    std::process::abort();
}

/// A copy of a closed store directory (sled's files, the snapshot file).
fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// Opens the ledger in `dir` and posts the programme until the log holds at least `events`
/// events, then stops it.
async fn fill(dir: &std::path::Path, events: u64) -> anyhow::Result<()> {
    let started = Instant::now();
    let ledger = Ledger::open(dir)?;
    println!(
        "first open: {} events ready in {} ms",
        ledger.head(),
        started.elapsed().as_millis()
    );
    let started = Instant::now();
    let before = ledger.head();
    post_until(&ledger, before, events).await?;
    let added = ledger.head() - before;
    if added > 0 {
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "filled {added} events in {seconds:.1} s ({:.0} events/s)",
            added as f64 / seconds
        );
    }
    ledger.shutdown().await;
    Ok(())
}

/// Posts the programme of `seed` in atomic batches until the log holds at least `events`
/// events. A run on a fresh directory uses seed 0; a rerun continues with another seed so
/// that it only adds (a batch that collides with what an earlier run posted is refused as
/// a whole and skipped). Batches already posted under the same seed are answered as
/// replays, so the programme of seed 0 can be continued where an earlier run left it.
async fn post_until(ledger: &Ledger, seed: u64, events: u64) -> anyhow::Result<()> {
    let mut programme = Programme::new(&ProgrammeConfig { seed, scale: 100 });
    let mut batch = 0u64;
    while ledger.head() < events {
        let commands: Vec<_> = programme.by_ref().take(BATCH_COMMANDS_MAX).collect();
        let Some(first) = commands.first() else { break };
        let context = CommandContext {
            idempotency_key: format!("restart-fill-{seed}-{batch}"),
            ..first.context("finance")
        };
        let commands = commands
            .into_iter()
            .map(|generated| generated.command)
            .collect();
        match ledger.submit(Submission::new(commands, context)).await {
            Ok(_) | Err(LedgerError::Refused { .. }) => {}
            Err(error) => return Err(error.into()),
        }
        batch += 1;
        if batch % 100 == 0 {
            eprintln!("filled {} events", ledger.head());
        }
    }
    Ok(())
}
