//! Full replay of a log of a million realistic events: what start-up costs without a
//! projection snapshot.
//!
//! The log is the seeded generator's programme, decided command by command against the
//! rules and appended through `Store::append` in big batches, cut at the first command
//! boundary after `EVENTS`. Building it takes a while, so it is cached under
//! `target/bench-data/`, keyed by [`BENCH_DATA_VERSION`], the store's format version and
//! the event count; delete that directory to rebuild.
//!
//! Timed by criterion, each over the whole log:
//! - `decode`: `Store::iter_from(1)`: read, decode, hash every event, check every link;
//! - `rebuild`: decode + `State::apply` + `Projections::apply` with the as-of checkpoints,
//!   as `Ledger::open` rebuilds when there is no usable snapshot.
//!
//! Before those, one pass each of the parts (sled read alone, decode, `State::apply` alone
//! and `Projections::apply` alone over events already in memory, and the JSON snapshot the
//! writer takes every `SNAPSHOT_EVENTS_INTERVAL` events) is printed with its wall and CPU
//! time, to say what bounds the figures.
//!
//! Run with `cargo bench --bench replay`.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};

use matchledger::domain::{decide, EventId, EventMeta, RecordedEvent, State};
use matchledger::generator::{Programme, ProgrammeConfig};
use matchledger::limits::CHECKPOINT_EVENTS_INTERVAL;
use matchledger::projection::Projections;
use matchledger::store::{IdempotencyRecord, PendingEvent, Store, FORMAT_VERSION};

mod support;

/// Bump when the way the cached log is built changes, so that a stale one is rebuilt.
const BENCH_DATA_VERSION: u32 = 1;

/// Events in the replayed log (at least; cut at a command boundary).
const EVENTS: u64 = 1_000_000;

/// Generator scale that yields more than `EVENTS` events (~15,500 per unit of scale).
const SCALE: u32 = 70;

/// Events appended per `Store::append` while building.
const BUILD_BATCH_EVENTS: usize = 4096;

/// The cached log's directory, inside the build's target directory.
fn data_dir() -> PathBuf {
    // Cargo gives benches `target/tmp`; the cache sits beside it.
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let target = tmp.parent().unwrap_or(tmp);
    target.join("bench-data").join(format!(
        "replay-v{BENCH_DATA_VERSION}-f{FORMAT_VERSION}-{EVENTS}"
    ))
}

/// Opens the cached log, building it first if it is absent or incomplete.
fn cached_log() -> Store {
    support::cached(
        &data_dir(),
        "a log of events",
        |dir| Store::open(dir).expect("log opens"),
        |store| store.head().sequence >= EVENTS,
        |store| {
            build(store);
            let head = store.head();
            // Mark the whole log verified so that later opens do not re-hash a million events.
            store.verify_all(|_| {}).expect("the built log verifies");
            store
                .set_verified_checkpoint(head)
                .expect("checkpoint saved");
            head.sequence
        },
    )
}

/// Decides the generated programme and appends it until the log holds `EVENTS` events.
fn build(store: &Store) {
    let mut state = State::default();
    let mut pending: Vec<PendingEvent> = Vec::with_capacity(BUILD_BATCH_EVENTS + 16);
    let mut records: Vec<(String, IdempotencyRecord)> = Vec::new();
    let mut appended = 0u64;
    let programme = Programme::new(&ProgrammeConfig {
        seed: 2013,
        scale: SCALE,
    });
    for generated in programme {
        let actor = format!("{:?}", generated.role).to_lowercase();
        let events = decide(&state, &generated.command).expect("generated commands are accepted");
        let first_sequence = appended + pending.len() as u64 + 1;
        records.push((
            format!("{actor}\u{0}{}", generated.idempotency_key),
            IdempotencyRecord {
                fingerprint: [0; 32],
                first_sequence,
                event_count: events.len() as u32,
            },
        ));
        for event in events {
            state.apply(&event);
            let meta = EventMeta {
                id: EventId::generate(),
                recorded_at: Utc::now(),
                effective_date: generated.effective_date,
                actor: actor.clone(),
                idempotency_key: generated.idempotency_key.clone(),
                external_ref: generated.external_ref.clone(),
                metadata: Vec::new(),
            };
            pending.push(PendingEvent { meta, event });
        }
        if pending.len() >= BUILD_BATCH_EVENTS || appended + pending.len() as u64 >= EVENTS {
            appended += pending.len() as u64;
            store
                .append(std::mem::take(&mut pending), std::mem::take(&mut records))
                .expect("append");
        }
        if appended >= EVENTS {
            break;
        }
    }
    if !pending.is_empty() {
        store.append(pending, records).expect("append");
    }
}

/// What `Ledger::open` does without a snapshot: decision state, projections, checkpoints.
fn rebuild(store: &Store) -> (State, Projections, Vec<Arc<Projections>>) {
    let mut state = State::default();
    let mut projections = Projections::default();
    let mut checkpoints = Vec::new();
    for event in store.iter_from(1) {
        let event = event.expect("the log reads back");
        state.apply(&event.event);
        projections.apply(&event);
        if event.sequence % CHECKPOINT_EVENTS_INTERVAL == 0 {
            checkpoints.push(Arc::new(projections.clone()));
        }
    }
    (state, projections, checkpoints)
}

/// Times one pass of `work` over the whole log: wall time and this thread's CPU time.
fn one_pass<T>(what: &str, events: u64, work: impl FnOnce() -> T) -> T {
    let (wall, cpu) = (Instant::now(), support::this_thread());
    let out = work();
    let (wall, cpu) = (wall.elapsed(), support::this_thread().saturating_sub(cpu));
    eprintln!(
        "  one pass {what}: {:.2} s wall = {:.0} k events/s; {:.2} µs CPU per event (load {})",
        wall.as_secs_f64(),
        events as f64 / wall.as_secs_f64() / 1e3,
        support::micros_per(cpu, events),
        support::load_average()
    );
    out
}

fn replay(c: &mut Criterion) {
    let store = cached_log();
    let events = store.head().sequence;

    // The breakdown, one pass each: where the time of a rebuild goes.
    one_pass("raw (sled read + block split)", events, || {
        store
            .raw_from(1)
            .map(|raw| raw.expect("the log reads back").1.len())
            .sum::<usize>()
    });
    let decoded: Vec<RecordedEvent> = one_pass("decode (collected)", events, || {
        store
            .iter_from(1)
            .collect::<Result<_, _>>()
            .expect("the log reads back")
    });
    let state = one_pass("State::apply only, in memory", events, || {
        let mut state = State::default();
        for event in &decoded {
            state.apply(&event.event);
        }
        state
    });
    drop(state);
    let projections = one_pass("Projections::apply only, in memory", events, || {
        let mut projections = Projections::default();
        for event in &decoded {
            projections.apply(event);
        }
        projections
    });
    drop(decoded);
    // The writer takes this snapshot itself every SNAPSHOT_EVENTS_INTERVAL events.
    let snapshot = one_pass("Projections::to_snapshot at the head", events, || {
        projections.to_snapshot()
    });
    eprintln!(
        "  snapshot at the head: {:.1} MB",
        snapshot.len() as f64 / 1e6
    );
    drop((snapshot, projections));

    let mut group = c.benchmark_group("replay");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .nresamples(10_000)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(20))
        .throughput(Throughput::Elements(events));

    group.bench_function("decode", |b| {
        b.iter(|| {
            let mut count = 0u64;
            for event in store.iter_from(1) {
                black_box(event.expect("the log reads back"));
                count += 1;
            }
            assert_eq!(count, events);
        });
    });

    let mut cpu = Duration::ZERO;
    let mut passes = 0u64;
    group.bench_function("rebuild", |b| {
        b.iter_custom(|iters| {
            let mut spent = Duration::ZERO;
            for _ in 0..iters {
                let (started, cpu_before) = (Instant::now(), support::this_thread());
                let rebuilt = rebuild(&store);
                spent += started.elapsed();
                cpu += support::this_thread().saturating_sub(cpu_before);
                passes += 1;
                // Freeing a million map entries is not part of start-up.
                drop(black_box(rebuilt));
            }
            spent
        });
    });
    eprintln!(
        "  cost rebuild: {:.2} µs CPU per event over {passes} passes (load {})",
        support::micros_per(cpu, passes * events),
        support::load_average()
    );
    group.finish();
}

criterion_group!(benches, replay);
criterion_main!(benches);
