//! Measures how long the ledger takes to be ready after a restart.
//!
//! ```text
//! cargo run --release --example restart -- target/restart-data 1000000
//! ```
//!
//! Fills the data directory (if it holds fewer events) with the seeded realistic programme,
//! posted through `Ledger::submit` in atomic batches of up to `BATCH_COMMANDS_MAX`
//! commands, then stops the ledger and times three reopens: the store alone (chain
//! verification from the checkpoint) and the whole ledger (snapshot load plus the replay
//! of the tail).

use std::path::PathBuf;
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
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "target/restart-data".into()));
    let events: u64 = args
        .next()
        .map(|text| text.parse())
        .transpose()?
        .unwrap_or(1_000_000);
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
    Ok(())
}

/// Posts the programme until the log holds at least `events` events.
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
    // A rerun continues with another seed so that it only adds; a batch that collides
    // with what an earlier run posted (the same registration number, say) is refused as
    // a whole and skipped.
    let mut programme = Programme::new(&ProgrammeConfig {
        seed: before,
        scale: 100,
    });
    let mut batch = 0u64;
    while ledger.head() < events {
        let commands: Vec<_> = programme.by_ref().take(BATCH_COMMANDS_MAX).collect();
        let Some(first) = commands.first() else { break };
        let context = CommandContext {
            idempotency_key: format!("restart-fill-{before}-{batch}"),
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
