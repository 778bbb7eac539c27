//! The persisted ledger snapshot: the decision state and the projections after one
//! sequence, in one versioned blob, so that start-up loads it and replays only the tail.
//!
//! # Format
//!
//! `MLSNAP` (6 bytes), the ledger snapshot version (u32 LE), the projections' own
//! [`SNAPSHOT_VERSION`](crate::projection::SNAPSHOT_VERSION) (u32 LE), the sequence
//! (u64 LE), the length of the state body (u64 LE), then bincode of the [`State`] and
//! bincode of the [`Projections`]. bincode rather than JSON because the decision state
//! is keyed by business registration numbers (arrays, not JSON strings) and because a
//! million-event ledger must load in well under two seconds; two bodies so that they
//! decode in parallel.
//!
//! A blob of another version, or one that does not decode, or one taken at another
//! sequence than the store says, is refused: the caller rebuilds from the log, which is
//! always possible because the log is the truth and the snapshot only a cache of it.

use bincode::Options;

use crate::domain::State;
use crate::projection::{Projections, SNAPSHOT_VERSION as PROJECTIONS_VERSION};
use crate::store::{Head, Store};

/// Version of the blob's decision state: [`State`]'s own version, bumped with its shape.
pub const LEDGER_SNAPSHOT_VERSION: u32 = crate::domain::STATE_VERSION;

/// Leading bytes that tell a ledger snapshot from anything else stored under the key
/// (such as an older projections-only JSON snapshot).
const MAGIC: &[u8; 6] = b"MLSNAP";

/// Bytes before the bincode bodies: magic, two versions, sequence, state body length.
const HEADER_BYTES: usize = MAGIC.len() + 4 + 4 + 8 + 8;

/// Largest body this build decodes. A million-event ledger takes ≈ 200 MB; the limit
/// only stops a damaged length prefix from asking for an absurd allocation.
const BODY_BYTES_MAX: u64 = 8 * 1024 * 1024 * 1024;

/// Why a snapshot blob cannot be used (the caller then rebuilds from the log).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerSnapshotError {
    #[error("not a ledger snapshot (no {MAGIC:?} header)")]
    NotASnapshot,
    #[error("snapshot versions {found:?} (ledger, projections), this build reads {expected:?}")]
    Version {
        found: (u32, u32),
        expected: (u32, u32),
    },
    #[error("snapshot body is not readable: {0}")]
    Malformed(String),
    #[error("snapshot says sequence {inside} but was stored as sequence {stored}")]
    Sequence { inside: u64, stored: u64 },
    #[error("snapshot cannot be written: {0}")]
    Encode(String),
}

/// The bincode options of the bodies: fixed, so that a blob reads back on every build.
/// Variable-length integers make the bodies a third smaller and faster to read.
fn options() -> impl Options {
    encode_options().with_limit(BODY_BYTES_MAX)
}

/// The same encoding without the size limit, for writing: bincode walks the whole value
/// once more to measure it when a limit is set, which was about 40 % of a snapshot's
/// cost. The limit only guards decoding a damaged length prefix; the bytes are the same.
fn encode_options() -> impl Options {
    bincode::DefaultOptions::new().with_varint_encoding()
}

/// The blob for `state` and `projections`, both after event `projections.sequence()`.
pub fn encode(state: &State, projections: &Projections) -> Result<Vec<u8>, LedgerSnapshotError> {
    let encode_error = |error: bincode::Error| LedgerSnapshotError::Encode(error.to_string());
    let mut state_body = Vec::new();
    encode_options()
        .serialize_into(&mut state_body, state)
        .map_err(encode_error)?;
    let mut bytes = Vec::with_capacity(HEADER_BYTES + 2 * state_body.len());
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&LEDGER_SNAPSHOT_VERSION.to_le_bytes());
    bytes.extend_from_slice(&PROJECTIONS_VERSION.to_le_bytes());
    bytes.extend_from_slice(&projections.sequence().to_le_bytes());
    bytes.extend_from_slice(&(state_body.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&state_body);
    drop(state_body);
    encode_options()
        .serialize_into(&mut bytes, projections)
        .map_err(encode_error)?;
    Ok(bytes)
}

/// The state and projections of a blob the store kept as taken after `sequence`. The
/// two bodies decode on two threads.
pub fn decode(bytes: &[u8], sequence: u64) -> Result<(State, Projections), LedgerSnapshotError> {
    let header = bytes
        .get(..HEADER_BYTES)
        .filter(|header| header.starts_with(MAGIC))
        .ok_or(LedgerSnapshotError::NotASnapshot)?;
    let word = |offset: usize, width: usize| {
        let mut word = [0u8; 8];
        word[..width].copy_from_slice(&header[offset..offset + width]);
        u64::from_le_bytes(word)
    };
    let at = MAGIC.len();
    let found = (word(at, 4) as u32, word(at + 4, 4) as u32);
    let expected = (LEDGER_SNAPSHOT_VERSION, PROJECTIONS_VERSION);
    if found != expected {
        return Err(LedgerSnapshotError::Version { found, expected });
    }
    let inside = word(at + 8, 8);
    if inside != sequence {
        return Err(LedgerSnapshotError::Sequence {
            inside,
            stored: sequence,
        });
    }
    let state_len = usize::try_from(word(at + 16, 8)).unwrap_or(usize::MAX);
    let body = &bytes[HEADER_BYTES..];
    let (state_body, projections_body) = body.split_at_checked(state_len).ok_or_else(|| {
        LedgerSnapshotError::Malformed(format!("state body of {state_len} bytes in {}", body.len()))
    })?;
    let malformed = |error: bincode::Error| LedgerSnapshotError::Malformed(error.to_string());
    let (state, projections) = std::thread::scope(|scope| {
        let state = scope.spawn(|| {
            options()
                .deserialize::<State>(state_body)
                .map_err(malformed)
        });
        let projections = options()
            .deserialize::<Projections>(projections_body)
            .map_err(malformed);
        // Deserialising does not panic on any input; a panic would be a bug in a crate.
        let state = state.join().unwrap_or_else(|_| {
            Err(LedgerSnapshotError::Malformed(
                "state decoder panicked".into(),
            ))
        });
        (state, projections)
    });
    let (state, projections) = (state?, projections?);
    if projections.sequence() != sequence {
        return Err(LedgerSnapshotError::Sequence {
            inside: projections.sequence(),
            stored: sequence,
        });
    }
    Ok((state, projections))
}

/// Nice value of the snapshot thread: a snapshot of a million events takes over a second
/// of CPU, and on a small machine it would take it from the writer and the gRPC threads;
/// it only needs to finish before the next one is due.
#[cfg(target_os = "linux")]
const SNAPSHOT_THREAD_NICE: libc::c_int = 10;

/// Lowers the calling thread's scheduling priority, so that a background snapshot yields
/// the cores to the writer and the request handlers. Best effort: a refusal is ignored.
pub(crate) fn yield_to_the_writer() {
    #[cfg(target_os = "linux")]
    {
        // On Linux the nice value belongs to the thread, and `who = 0` names the caller
        // (setpriority(2), "BUGS"), so this leaves every other thread as it was. No
        // pointers are passed; the call cannot affect memory safety.
        let _ = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, SNAPSHOT_THREAD_NICE) };
    }
}

/// Saves a snapshot of `state` and `projections`, both after event `head`, then records
/// `head` as the store's verified checkpoint so that the next open re-verifies only the
/// events after it. A failure is logged, never fatal: the log remains the truth. Whether
/// it was saved is returned.
pub(crate) fn save(store: &Store, state: &State, projections: &Projections, head: Head) -> bool {
    debug_assert_eq!(projections.sequence(), head.sequence);
    // The writer runs ahead of the disk: a snapshot (and the verified checkpoint it sets)
    // must never describe events that could still be lost.
    match store.sync() {
        Ok(durable) if durable.sequence >= head.sequence => {}
        Ok(durable) => {
            tracing::warn!(
                sequence = head.sequence,
                durable = durable.sequence,
                "ledger snapshot not saved: its events are not durable"
            );
            return false;
        }
        Err(error) => {
            tracing::warn!(%error, sequence = head.sequence, "ledger snapshot not saved");
            return false;
        }
    }
    let started = std::time::Instant::now();
    let saved = encode(state, projections)
        .map_err(|error| error.to_string())
        .and_then(|bytes| {
            store
                .save_snapshot(head.sequence, &bytes)
                .and_then(|()| store.set_verified_checkpoint(head))
                .map(|()| bytes.len())
                .map_err(|error| error.to_string())
        });
    match saved {
        Ok(bytes) => {
            tracing::info!(
                sequence = head.sequence,
                bytes,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "ledger snapshot saved"
            );
            true
        }
        Err(error) => {
            tracing::warn!(%error, sequence = head.sequence, "ledger snapshot not saved");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generator::{generate, ProgrammeConfig};
    use crate::ledger::{reads, Ledger, Submission};

    /// A ledger directory holding the first `count` commands of the seeded programme.
    fn ledger_with(count: usize) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        runtime.block_on(async {
            let ledger = Ledger::open(dir.path()).expect("opens");
            for generated in generate(&ProgrammeConfig::default())
                .into_iter()
                .take(count)
            {
                let context = generated.context("finance");
                ledger
                    .submit(Submission::new(vec![generated.command], context))
                    .await
                    .expect("accepted");
            }
            ledger.shutdown().await;
        });
        dir
    }

    /// State and projections folded from the first `upto` events of the log.
    fn fold(store: &Store, upto: u64) -> (State, Projections, Head) {
        let mut state = State::default();
        let mut projections = Projections::default();
        let mut head = Head::EMPTY;
        for event in store.iter_from(1).take(upto as usize) {
            let event = event.expect("readable");
            state.apply(&event.event);
            projections.apply(&event);
            head = Head {
                sequence: event.sequence,
                hash: event.hash,
            };
        }
        (state, projections, head)
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_snapshot_thread_lowers_its_own_priority_only() {
        // SAFETY of the calls: getpriority takes no pointers.
        let before = unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) };
        let inside = std::thread::spawn(|| {
            yield_to_the_writer();
            unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) }
        })
        .join()
        .expect("thread");
        assert_eq!(inside, (before + SNAPSHOT_THREAD_NICE).min(19));
        assert_eq!(unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) }, before);
    }

    #[test]
    fn a_snapshot_round_trips_state_and_projections() {
        let dir = ledger_with(600);
        let store = Store::open(dir.path()).expect("opens");
        let (state, projections, _) = fold(&store, u64::MAX);

        let bytes = encode(&state, &projections).expect("encodes");
        let (state_back, projections_back) =
            decode(&bytes, projections.sequence()).expect("decodes");

        assert_eq!(state_back, state);
        assert_eq!(projections_back, projections);
    }

    #[test]
    fn a_snapshot_of_another_version_or_sequence_or_shape_is_refused() {
        let dir = ledger_with(50);
        let store = Store::open(dir.path()).expect("opens");
        let (state, projections, _) = fold(&store, u64::MAX);
        let bytes = encode(&state, &projections).expect("encodes");
        let sequence = projections.sequence();

        let mut other_version = bytes.clone();
        other_version[MAGIC.len()] ^= 0xff;
        assert!(matches!(
            decode(&other_version, sequence),
            Err(LedgerSnapshotError::Version { .. })
        ));
        assert!(matches!(
            decode(&bytes, sequence + 1),
            Err(LedgerSnapshotError::Sequence { .. })
        ));
        assert_eq!(
            decode(b"{\"version\":1}", sequence),
            Err(LedgerSnapshotError::NotASnapshot)
        );
        let truncated = &bytes[..bytes.len() / 2];
        assert!(matches!(
            decode(truncated, sequence),
            Err(LedgerSnapshotError::Malformed(_))
        ));
    }

    #[test]
    fn a_restart_from_a_snapshot_and_the_tail_equals_a_full_replay() {
        let dir = ledger_with(400);
        let store = Store::open(dir.path()).expect("opens");
        let head = store.head().sequence;
        let (state_at, projections_at, position) = fold(&store, head / 2);
        save(&store, &state_at, &projections_at, position);

        let rebuilt = reads::rebuild(&store).expect("rebuilds");

        let (state, projections, _) = fold(&store, u64::MAX);
        assert_eq!(rebuilt.snapshot, head / 2, "started from the snapshot");
        assert_eq!(rebuilt.state, state);
        assert_eq!(rebuilt.projections, projections);
    }

    #[test]
    fn a_snapshot_that_does_not_match_its_sequence_is_discarded_and_the_log_replayed() {
        let dir = ledger_with(200);
        let store = Store::open(dir.path()).expect("opens");
        let head = store.head().sequence;
        // The state after 50 events saved as if it were the state after 100.
        let (state_early, projections_early, _) = fold(&store, 50);
        let wrong = encode(&state_early, &projections_early).expect("encodes");
        store.save_snapshot(100, &wrong).expect("saved");

        let rebuilt = reads::rebuild(&store).expect("rebuilds");

        let (state, projections, _) = fold(&store, u64::MAX);
        assert_eq!(rebuilt.snapshot, 0, "the snapshot was not used");
        assert_eq!(rebuilt.state, state);
        assert_eq!(rebuilt.projections, projections);
        assert_eq!(rebuilt.projections.sequence(), head);
    }

    #[test]
    fn a_snapshot_written_with_the_previous_projections_version_is_ignored_and_rebuilt() {
        let dir = ledger_with(200);
        let store = Store::open(dir.path()).expect("opens");
        let (state_at, projections_at, position) = fold(&store, 100);
        let mut older = encode(&state_at, &projections_at).expect("encodes");
        // Version 1 projections lacked the match-bundle index: their bytes must never be
        // read as this build's shape.
        let at = MAGIC.len() + 4;
        older[at..at + 4].copy_from_slice(&(PROJECTIONS_VERSION - 1).to_le_bytes());
        store
            .save_snapshot(position.sequence, &older)
            .expect("saved");

        let rebuilt = reads::rebuild(&store).expect("rebuilds");

        let (state, projections, _) = fold(&store, u64::MAX);
        assert_eq!(rebuilt.snapshot, 0, "the old snapshot was not used");
        assert_eq!(rebuilt.state, state);
        assert_eq!(rebuilt.projections, projections);
    }
}
