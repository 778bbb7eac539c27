//! `matchledger check`: the whole data directory verified offline.
//!
//! Checks every stored event (its hash, its link to the one before, that it decodes, and
//! that the log ends exactly at the head record), then replays the whole log into fresh
//! projections and checks the books: the trial balance is zero and no phase's cash is
//! negative, every `BALANCE_CHECK_EVENTS` events and at the end. A saved snapshot is
//! compared with the replay at its sequence. Prints a summary on stdout and progress on
//! stderr (plain lines off a terminal); fails (exit code 5) naming the first bad
//! sequence. It checks a private copy of the directory (`check_copy.rs`), so the
//! directory itself is never changed.

use crate::cli::exit::verification_failed;
use crate::cli::progress::Progress;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use rust_decimal::Decimal;

use crate::domain::State;
use crate::ledger::snapshot;
use crate::projection::Projections;
use crate::store::{Head, Store, StoreError};

/// Events between two checks of the books during the replay: often enough to name a
/// narrow range when one fails, rare enough to cost nothing (a trial balance is a few
/// hundred lines).
const BALANCE_CHECK_EVENTS: u64 = 1000;

/// Events between two progress lines.
const PROGRESS_EVENTS: u64 = 50_000;

/// Options of `check`.
#[derive(Debug, Clone, clap::Args)]
pub struct CheckArgs {
    /// Directory of the embedded database to check.
    #[arg(long, env = "MATCHLEDGER_DATA_DIR", default_value = "matchledger-data")]
    pub data_dir: PathBuf,
    /// Where the copy that is checked is made (the directory itself is never opened for
    /// writing); the system's temporary directory by default. It needs room for the
    /// whole data directory.
    #[arg(long)]
    pub scratch_dir: Option<PathBuf>,
}

/// Runs the check; an error names what is wrong and where.
pub fn check(args: &CheckArgs) -> anyhow::Result<()> {
    let dir = &args.data_dir;
    // Opening would create an empty store: a mistyped path must not pass as "ok".
    if !is_data_dir(dir) {
        bail!("{} holds no matchledger data", dir.display());
    }
    let started = Instant::now();
    let copy = super::check_copy::copy_for_check(dir, args.scratch_dir.as_deref())?;
    let (store, open_damage) = Store::open_until_damage(&copy.dir)
        .with_context(|| format!("opening the copy of {}", dir.display()))?;
    println!("matchledger check of {}", dir.display());
    println!(
        "  working on a copy in {} (opening sled writes to a directory; this one is left as it is)",
        copy.dir.display()
    );
    let head = verify_chain(&store, open_damage.as_ref().map(|d| d.sequence))?;
    if let Some(damage) = open_damage {
        println!("  hash chain   DAMAGED at sequence {}", damage.sequence);
        println!("result: FAILED");
        return Err(verification_failed(damage.to_string()));
    }
    println!(
        "  hash chain   ok: {} events, head hash {}",
        head.sequence,
        hex::encode(head.hash)
    );
    let projections = replay_and_check_books(&store)?;
    let phases = projections.phases();
    println!(
        "  books        ok: trial balance zero, {} phases, no cash negative",
        phases.len()
    );
    println!("result: OK in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// Verifies every stored event up to the readable head, with a progress line.
/// `damaged_after` is the damage open found (beyond the readable head), for the message.
fn verify_chain(store: &Store, damaged_after: Option<u64>) -> anyhow::Result<Head> {
    let head = store.head().sequence;
    let bar = Progress::new("verifying", "events", head);
    let verified = store.verify_all(|sequence| {
        if sequence % PROGRESS_EVENTS == 0 || sequence == head {
            bar.set_position(sequence);
        }
    });
    bar.finish();
    match verified {
        Ok(head) => Ok(head),
        Err(error) => {
            let at = first_bad_sequence(&error).or(damaged_after);
            let at = at.map_or_else(|| "an unknown sequence".into(), |s| format!("sequence {s}"));
            println!("  hash chain   DAMAGED at {at}");
            println!("result: FAILED");
            Err(error).context(format!("event log damaged at {at}"))
        }
    }
}

/// The sequence a store error names, if any.
fn first_bad_sequence(error: &StoreError) -> Option<u64> {
    match error {
        StoreError::Corrupt { sequence, .. } => Some(*sequence),
        StoreError::Truncated { found, .. } => Some(found + 1),
        _ => None,
    }
}

/// Replays the whole log into fresh state and projections, checking the books on the
/// way and the saved snapshot at its sequence.
fn replay_and_check_books(store: &Store) -> anyhow::Result<Projections> {
    let head = store.head().sequence;
    let bar = Progress::new("replaying", "events", head);
    let saved = load_snapshot(store)?;
    let mut state = State::default();
    let mut projections = Projections::default();
    let mut last_balanced = 0;
    for event in store.iter_from(1) {
        let event = event.context("reading the log for the replay")?;
        state.apply(&event.event);
        projections.apply(&event);
        let sequence = event.sequence;
        if sequence % BALANCE_CHECK_EVENTS == 0 || sequence == head {
            if let Err(problem) = books_problem(&projections) {
                println!("  books        WRONG between sequences {last_balanced} and {sequence}");
                println!("result: FAILED");
                return Err(verification_failed(format!(
                    "{problem} after sequence {sequence} (balanced at {last_balanced})"
                )));
            }
            last_balanced = sequence;
        }
        if let Some((at, saved_state, saved_projections)) = &saved {
            if *at == sequence && (saved_state != &state || saved_projections != &projections) {
                println!("  snapshot     DIFFERS from a fresh replay at sequence {at}");
                println!("result: FAILED");
                return Err(verification_failed(format!(
                    "the saved snapshot at sequence {at} differs from a fresh replay of the log"
                )));
            }
        }
        if sequence % PROGRESS_EVENTS == 0 || sequence == head {
            bar.set_position(sequence);
        }
    }
    bar.finish();
    match saved {
        Some((at, ..)) => println!("  snapshot     ok: equals a fresh replay at sequence {at}"),
        None => println!("  snapshot     none usable (start-up replays the whole log)"),
    }
    Ok(projections)
}

/// The saved snapshot, decoded; `None` when there is none or it is unusable (which
/// start-up handles by replaying, so it is reported, not an error).
fn load_snapshot(store: &Store) -> anyhow::Result<Option<(u64, State, Projections)>> {
    let Some((sequence, bytes)) = store.load_snapshot().context("reading the snapshot")? else {
        return Ok(None);
    };
    match snapshot::decode(&bytes, sequence) {
        Ok((state, projections)) => Ok(Some((sequence, state, projections))),
        Err(error) => {
            println!("  snapshot     at {sequence} unusable: {error}");
            Ok(None)
        }
    }
}

/// What is wrong with the books, if anything: a trial balance off zero, or a phase
/// with negative cash.
pub fn books_problem(projections: &Projections) -> Result<(), String> {
    let trial = projections.trial_balance();
    if let Some(total) = trial.totals.iter().find(|total| !total.net.is_zero()) {
        return Err(format!(
            "the trial balance is off by {} {:?}",
            total.net, total.currency
        ));
    }
    let phases = projections.phases();
    if let Some(phase) = phases.iter().find(|phase| phase.cash < Decimal::ZERO) {
        return Err(format!(
            "phase {} has negative cash {}",
            phase.phase, phase.cash
        ));
    }
    Ok(())
}

/// Whether `dir` holds a store (sled's data file).
pub fn is_data_dir(dir: &Path) -> bool {
    dir.join("db").is_file()
}
