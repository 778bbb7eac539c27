//! Durable appends, three ways, in one run so that the figures are comparable:
//!
//! - `bare_sled`: the floor. The stored bytes the store would write (events encoded by the
//!   store's own codec, packed into the same blocks, the last block extended only while it
//!   holds fewer than `BLOCK_REOPEN_EVENTS_MAX` events, one idempotency record per command,
//!   the head record; not the Merkle nodes), written with one
//!   `apply_batch`, one `flush` and one `fdatasync` of sled's data file per batch. No
//!   numbering, hashing or encoding is timed.
//! - `store`: `Store::append` of ready-made events: number, encode, hash, pack, write,
//!   flush, fdatasync.
//! - `ledger`: the whole writer through `Ledger::submit`: fingerprint, queue, decide,
//!   encode, hash, store, fsync, fold the projections, publish, reply. Single-command
//!   submissions come from 64 concurrent tasks, so the writer groups them; batch
//!   submissions of 100 and 1,000 commands come from one task (one batch per fsync, the
//!   same shape as the bare batches), and batches of 1,000 from 8 tasks (groups of
//!   several batches, up to `GROUP_COMMANDS_MAX` commands per fsync).
//!
//! After each benchmark a `cost` line gives the CPU time per event of the thread doing
//! the work (the writer thread for `ledger`): on a shared machine the wall-clock figures
//! move with the load, the CPU cost much less.
//!
//! Events are contributions and matches with a voucher number in their metadata: about
//! 256 stored bytes each (the run prints the exact mean). Everything lives in a temporary
//! directory on the same disk as the build.
//!
//! Run with `cargo bench --bench append`.

use std::fs::{File, OpenOptions};
use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use rust_decimal::Decimal;

use matchledger::domain::event::{ContributionRecorded, MatchRecorded};
use matchledger::domain::{
    AgencyId, Command, CommandContext, ContributionId, ContributorId, Currency, Event, EventId,
    EventMeta, MatchId, Money, PhaseId, SupportType,
};
use matchledger::ledger::{Ledger, Submission};
use matchledger::limits::{BLOCK_BYTES_MAX, BLOCK_EVENTS_MAX, BLOCK_REOPEN_EVENTS_MAX};
use matchledger::store::{self, IdempotencyRecord, PendingEvent, Store};

mod support;

/// sled's segment size as the store configures it (`store::layout::SEGMENT_BYTES`): the
/// bare baseline must run the same sled configuration.
const SEGMENT_BYTES: usize = 8 * 1024 * 1024;

/// The actor every bench command is posted by.
const ACTOR: &str = "finance-system";

/// Concurrent submitters of single commands.
const SINGLE_TASKS: usize = 64;

/// Concurrent submitters of batches.
const BATCH_TASKS: usize = 8;

fn won(amount: i64) -> Money {
    Money::new(Decimal::from(amount), Currency::Krw).expect("a whole number of won")
}

fn effective_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 3, 15).expect("a valid date")
}

/// The envelope of bench event `n`: realistic sizes (a voucher number in the metadata).
fn meta(n: u64) -> EventMeta {
    EventMeta {
        id: EventId::generate(),
        recorded_at: Utc::now(),
        effective_date: effective_date(),
        actor: ACTOR.to_string(),
        idempotency_key: format!("bench-{n:016}"),
        external_ref: None,
        metadata: vec![("voucher".to_string(), format!("VCH-2024-{n:010}"))],
    }
}

/// Ids of the one open phase, contributor and agency every bench posts against.
#[derive(Clone, Copy)]
struct Parties {
    phase: PhaseId,
    contributor: ContributorId,
    agency: AgencyId,
}

impl Parties {
    fn new() -> Parties {
        Parties {
            phase: PhaseId::generate(),
            contributor: ContributorId::generate(),
            agency: AgencyId::generate(),
        }
    }

    /// Event `n` of an alternating stream: even a contribution, odd its match.
    fn event(&self, n: u64, last_contribution: &mut ContributionId) -> Event {
        if n % 2 == 0 {
            *last_contribution = ContributionId::generate();
            Event::ContributionRecorded(ContributionRecorded {
                contribution: *last_contribution,
                phase: self.phase,
                contributor: self.contributor,
                amount: won(328_000_000),
            })
        } else {
            Event::MatchRecorded(MatchRecorded {
                match_id: MatchId::generate(),
                contribution: *last_contribution,
                phase: self.phase,
                agency: self.agency,
                amount: won(328_000_000),
            })
        }
    }

    /// `count` ready-made events from `first` on.
    fn pending(&self, first: u64, count: usize) -> Vec<PendingEvent> {
        let mut last = ContributionId::generate();
        (first..first + count as u64)
            .map(|n| PendingEvent {
                meta: meta(n),
                event: self.event(n, &mut last),
            })
            .collect()
    }

    /// The commands that open the phase and register both parties.
    fn setup(&self) -> Vec<Command> {
        vec![
            Command::OpenPhase {
                phase: self.phase,
                name: "Industrial Innovation Movement, bench phase".to_string(),
                currency: Currency::Krw,
                starts_on: NaiveDate::from_ymd_opt(2024, 1, 1).expect("a valid date"),
                ends_on: NaiveDate::from_ymd_opt(2028, 12, 31).expect("a valid date"),
                match_ratio: Decimal::ONE,
                support_types: SupportType::smart_factory_2022(),
            },
            Command::RegisterContributor {
                contributor: self.contributor,
                name: "포스코".to_string(),
            },
            Command::RegisterAgency {
                agency: self.agency,
                name: "대·중소기업·농어업협력재단".to_string(),
            },
        ]
    }

    fn contribution(&self, contribution: ContributionId) -> Command {
        Command::RecordContribution {
            contribution,
            phase: self.phase,
            contributor: self.contributor,
            amount: won(328_000_000),
        }
    }

    fn matching(&self, contribution: ContributionId) -> Command {
        Command::RecordMatch {
            match_id: MatchId::generate(),
            contribution,
            agency: self.agency,
            amount: won(328_000_000),
        }
    }

    /// `count` commands (even) that are all accepted in order: contribution, its match, ...
    fn commands(&self, count: usize) -> Vec<Command> {
        let mut commands = Vec::with_capacity(count);
        while commands.len() < count {
            let contribution = ContributionId::generate();
            commands.push(self.contribution(contribution));
            commands.push(self.matching(contribution));
        }
        commands.truncate(count);
        commands
    }
}

/// A submission under a fresh idempotency key.
fn submission(commands: Vec<Command>, key: u64) -> Submission {
    let context = CommandContext {
        actor: ACTOR.to_string(),
        idempotency_key: format!("bench-{key:016}"),
        effective_date: effective_date(),
        external_ref: None,
        metadata: vec![("voucher".to_string(), format!("VCH-2024-{key:010}"))],
    };
    Submission::new(commands, context)
}

// ---------------------------------------------------------------------------------------
// The bare sled baseline.

/// sled opened as the store opens it, plus the same block packing, written by hand.
struct BareSled {
    db: sled::Db,
    data_file: File,
    /// First sequence and bytes of the open tail block.
    tail_first: u64,
    tail: Vec<u8>,
    tail_count: usize,
    next: u64,
    keys: u64,
}

impl BareSled {
    fn open(dir: &Path) -> BareSled {
        let db = sled::Config::new()
            .path(dir)
            .segment_size(SEGMENT_BYTES)
            .open()
            .expect("sled opens");
        let data_file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(dir.join("db"))
            .expect("sled's data file");
        BareSled {
            db,
            data_file,
            tail_first: 1,
            tail: Vec::new(),
            tail_count: 0,
            next: 1,
            keys: 0,
        }
    }

    fn block_key(first: u64) -> [u8; 9] {
        let mut key = [b'e'; 9];
        key[1..].copy_from_slice(&first.to_be_bytes());
        key
    }

    /// Writes `events` (stored bytes) and `commands` idempotency records durably.
    fn write(&mut self, events: &[Vec<u8>], commands: usize) {
        let mut batch = sled::Batch::default();
        if self.tail_count >= BLOCK_REOPEN_EVENTS_MAX {
            // Written by the batch before; like the store, start a block of our own.
            self.tail.clear();
            self.tail_count = 0;
            self.tail_first = self.next;
        }
        for bytes in events {
            let entry = 1 + prost::length_delimiter_len(bytes.len()) + bytes.len();
            let fits = self.tail_count == 0
                || (self.tail_count < BLOCK_EVENTS_MAX
                    && self.tail.len() + entry <= BLOCK_BYTES_MAX);
            if !fits {
                batch.insert(&Self::block_key(self.tail_first)[..], self.tail.as_slice());
                self.tail.clear();
                self.tail_count = 0;
                self.tail_first = self.next;
            }
            prost::encoding::encode_key(
                1,
                prost::encoding::WireType::LengthDelimited,
                &mut self.tail,
            );
            prost::encoding::encode_varint(bytes.len() as u64, &mut self.tail);
            self.tail.extend_from_slice(bytes);
            self.tail_count += 1;
            self.next += 1;
        }
        batch.insert(&Self::block_key(self.tail_first)[..], self.tail.as_slice());
        for _ in 0..commands {
            self.keys += 1;
            // Same shape as the store's: `i` + actor + NUL + key, a ~40-byte record.
            let key = format!("i{ACTOR}\u{0}bench-{:016}", self.keys);
            batch.insert(key.as_bytes(), &[7u8; 40][..]);
        }
        batch.insert(&b"mhead"[..], &[9u8; 44][..]);
        self.db.apply_batch(batch).expect("apply_batch");
        self.db.flush().expect("flush");
        self.data_file.sync_data().expect("fdatasync");
    }
}

/// The stored bytes of `count` bench events, encoded by the store's codec.
fn stored_bytes(parties: &Parties, count: usize) -> Vec<Vec<u8>> {
    parties
        .pending(0, count)
        .into_iter()
        .zip(1u64..)
        .map(|(pending, sequence)| {
            store::encode(sequence, [0x5a; 32], &pending.meta, &pending.event)
        })
        .collect()
}

/// Events per batch, and idempotency records per batch (one per command).
const BATCHES: [(usize, usize); 4] = [(1, 1), (64, 64), (100, 1), (1000, 1)];

fn bare_sled(c: &mut Criterion) {
    let parties = Parties::new();
    let pool = stored_bytes(&parties, 1000);
    let mean = pool.iter().map(Vec::len).sum::<usize>() as f64 / pool.len() as f64;
    eprintln!("bench events: {mean:.0} stored bytes on average (contribution/match alternating)");
    let mut group = c.benchmark_group("append/bare_sled");
    configure(&mut group);
    for (events, commands) in BATCHES {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut bare = BareSled::open(dir.path());
        group.throughput(Throughput::Elements(events as u64));
        let mut cost = Cost::default();
        group.bench_function(BenchmarkId::new(label(events, commands), events), |b| {
            b.iter_custom(|iters| {
                let (wall, cpu) = (Instant::now(), support::this_thread());
                for _ in 0..iters {
                    bare.write(black_box(&pool[..events]), commands);
                }
                cost.add(cpu, iters * events as u64);
                wall.elapsed()
            });
        });
        cost.report("bare_sled", events, "calling thread");
    }
    group.finish();
}

/// CPU time spent by the thread doing the work, over every iteration of one benchmark
/// (warm-up included).
#[derive(Default)]
struct Cost {
    cpu: Duration,
    events: u64,
}

impl Cost {
    /// Adds the CPU time `thread` has used since `since` was read, for `events` events.
    fn add(&mut self, since: Duration, events: u64) {
        self.cpu += support::this_thread().saturating_sub(since);
        self.events += events;
    }

    fn report(&self, what: &str, batch: usize, thread: &str) {
        eprintln!(
            "  cost {what}/{batch}: {:.2} µs CPU per event on the {thread} over {} events (load {})",
            support::micros_per(self.cpu, self.events),
            self.events,
            support::load_average()
        );
    }
}

// ---------------------------------------------------------------------------------------
// Store::append.

fn store_append(c: &mut Criterion) {
    let parties = Parties::new();
    let mut group = c.benchmark_group("append/store");
    configure(&mut group);
    for (events, commands) in BATCHES {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(dir.path()).expect("store opens");
        let mut next = 1u64;
        group.throughput(Throughput::Elements(events as u64));
        let mut cost = Cost::default();
        group.bench_function(BenchmarkId::new(label(events, commands), events), |b| {
            b.iter_custom(|iters| {
                let mut spent = Duration::ZERO;
                let cpu = support::this_thread();
                for _ in 0..iters {
                    // Building the events is the caller's work, not the store's.
                    let batch = parties.pending(next, events);
                    let records = (0..commands as u64)
                        .map(|k| {
                            let key = format!("{ACTOR}\u{0}bench-{:016}", next + k);
                            let record = IdempotencyRecord {
                                fingerprint: [3; 32],
                                first_sequence: next,
                                event_count: 1,
                            };
                            (key, record)
                        })
                        .collect();
                    next += events as u64;
                    let started = Instant::now();
                    let recorded = store.append(batch, records).expect("append");
                    spent += started.elapsed();
                    black_box(recorded);
                }
                // Includes building the events: a small share next to encoding and hashing.
                cost.add(cpu, iters * events as u64);
                spent
            });
        });
        cost.report(
            "store",
            events,
            "calling thread (building the events included)",
        );
    }
    group.finish();
}

// ---------------------------------------------------------------------------------------
// The whole writer.

/// A fresh ledger with the phase open and both parties registered.
fn ready_ledger(runtime: &tokio::runtime::Runtime, dir: &Path, parties: &Parties) -> Ledger {
    let ledger = Ledger::open(dir).expect("ledger opens");
    runtime.block_on(async {
        ledger
            .submit(submission(parties.setup(), u64::MAX))
            .await
            .expect("setup is accepted");
    });
    ledger
}

/// `SINGLE_TASKS` tasks each submit `rounds` single commands (contribution, then its match,
/// ...), each awaiting its reply before the next. One iteration is one command per task.
async fn single_commands(
    ledger: &Ledger,
    parties: Parties,
    rounds: u64,
    keys: &Arc<std::sync::atomic::AtomicU64>,
) {
    let tasks: Vec<_> = (0..SINGLE_TASKS)
        .map(|_| {
            let ledger = ledger.clone();
            let keys = Arc::clone(keys);
            tokio::spawn(async move {
                let mut contribution = ContributionId::generate();
                for round in 0..rounds {
                    let command = if round % 2 == 0 {
                        contribution = ContributionId::generate();
                        parties.contribution(contribution)
                    } else {
                        parties.matching(contribution)
                    };
                    let key = keys.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    ledger
                        .submit(submission(vec![command], key))
                        .await
                        .expect("accepted");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("task ends");
    }
}

/// `tasks` tasks each submit `rounds` batches of `size` commands.
async fn batches(
    ledger: &Ledger,
    parties: Parties,
    tasks: usize,
    rounds: u64,
    size: usize,
    keys: &Arc<std::sync::atomic::AtomicU64>,
) -> Duration {
    // Commands are built before the clock starts: a client sends them ready-made.
    let prepared: Vec<Vec<Submission>> = (0..tasks)
        .map(|_| {
            (0..rounds)
                .map(|_| {
                    let key = keys.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    submission(parties.commands(size), key)
                })
                .collect()
        })
        .collect();
    let started = Instant::now();
    let handles: Vec<_> = prepared
        .into_iter()
        .map(|submissions| {
            let ledger = ledger.clone();
            tokio::spawn(async move {
                for submission in submissions {
                    ledger.submit(submission).await.expect("accepted");
                }
            })
        })
        .collect();
    for handle in handles {
        handle.await.expect("task ends");
    }
    started.elapsed()
}

fn ledger_submit(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let keys = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut group = c.benchmark_group("append/ledger");
    configure(&mut group);

    {
        let parties = Parties::new();
        let dir = tempfile::tempdir().expect("temp dir");
        let ledger = ready_ledger(&runtime, dir.path(), &parties);
        let before = support::thread_named(WRITER_THREAD);
        let mut events = 0u64;
        group.throughput(Throughput::Elements(SINGLE_TASKS as u64));
        group.bench_function(BenchmarkId::new("single_commands_from_64_tasks", 1), |b| {
            b.iter_custom(|rounds| {
                events += rounds * SINGLE_TASKS as u64;
                runtime.block_on(async {
                    let started = Instant::now();
                    single_commands(&ledger, parties, rounds, &keys).await;
                    started.elapsed()
                })
            });
        });
        report_writer("single_commands_from_64_tasks", before, events);
        runtime.block_on(ledger.shutdown());
    }

    for (tasks, size) in [(1, 100), (1, 1000), (BATCH_TASKS, 1000)] {
        let parties = Parties::new();
        let dir = tempfile::tempdir().expect("temp dir");
        let ledger = ready_ledger(&runtime, dir.path(), &parties);
        group.throughput(Throughput::Elements((tasks * size) as u64));
        let name = format!("batches_from_{tasks}_tasks");
        let before = support::thread_named(WRITER_THREAD);
        let mut events = 0u64;
        group.bench_function(BenchmarkId::new(&name, size), |b| {
            b.iter_custom(|rounds| {
                events += rounds * (tasks * size) as u64;
                runtime.block_on(batches(&ledger, parties, tasks, rounds, size, &keys))
            });
        });
        report_writer(&format!("{name}/{size}"), before, events);
        runtime.block_on(ledger.shutdown());
    }
    group.finish();
}

/// The writer's thread name (see `Ledger::open`).
const WRITER_THREAD: &str = "ledger-writer";

/// Prints the writer thread's CPU time per event committed since `before` was read.
fn report_writer(what: &str, before: Duration, events: u64) {
    let cpu = support::thread_named(WRITER_THREAD).saturating_sub(before);
    eprintln!(
        "  cost ledger/{what}: {:.2} µs CPU per event on the writer thread over {events} events (load {})",
        support::micros_per(cpu, events),
        support::load_average()
    );
}

fn label(events: usize, commands: usize) -> String {
    if commands == events {
        "one_command_per_event".to_string()
    } else {
        "one_batch_command".to_string()
    }
}

/// Short, flat sampling: every iteration costs at least one fsync, so there is no noise
/// to average away at the nanosecond level, and the whole run must stay within minutes.
fn configure(group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .nresamples(10_000)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
}

criterion_group!(benches, bare_sled, store_append, ledger_submit);
criterion_main!(benches);
