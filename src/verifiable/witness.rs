//! What a witness checks before it cosigns a tree head: that the log only grew since the
//! head it last trusted (a consistency proof), and, optionally, that the new events obey
//! the ledger's rules when replayed through the ledger's own state and projections.
//!
//! The rule check is incremental: [`RuleChecker`] saves its folds with the tree size and
//! root they belong to, and the next run resumes from them and reads only the events
//! after that size. A saved check that does not belong to the trusted head is refused and
//! the log is replayed from the start.

use bincode::Options;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::audit::{self, Checkpoint, Frontier, Hash};
use crate::domain::{Event, State};
use crate::projection::Projections;
use crate::store::{self, GENESIS_HASH};

/// Checks that `new` extends `old`: same origin, not smaller, and the consistency proof
/// from `old` to `new` holds. Every failure says the log was rewritten or rolled back.
pub fn check_growth(old: &Checkpoint, new: &Checkpoint, proof: &[Hash]) -> Result<(), String> {
    if old.origin != new.origin {
        return Err(format!(
            "the head is from log {:?}, not {:?}",
            new.origin, old.origin
        ));
    }
    if new.size < old.size {
        return Err(format!(
            "LOG ROLLED BACK: the new head has {} events, the trusted one {}",
            new.size, old.size
        ));
    }
    audit::verify_consistency(old.size, new.size, &old.root, &new.root, proof).map_err(|error| {
        format!(
            "LOG REWRITTEN: the head of size {} is not an extension of the trusted head of size {}: {error}",
            new.size, old.size
        )
    })
}

/// What a rule check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleReport {
    /// Events replayed by this check (only the new ones when it resumed).
    pub events: u64,
    /// The first sequence this check replayed (1 for a full replay).
    pub from: u64,
    /// Matches checked against their contribution's limit, over the whole log.
    pub matches: u64,
}

/// Replays every event of the log (their stored bytes, in order) through the ledger's
/// state and projections, checking the bytes give the signed root, the hash chain, that
/// no contribution is matched beyond its limit and no phase's cash goes negative.
pub fn check_rules(leaves: &[Vec<u8>], checkpoint: &Checkpoint) -> Result<RuleReport, Vec<String>> {
    let mut checker = RuleChecker::new();
    checker.fold(leaves.iter().map(Vec::as_slice));
    checker.finish(checkpoint)
}

/// Leading bytes of a saved [`RuleChecker`].
const RULES_MAGIC: &[u8; 8] = b"MLWITNSS";

/// Version of the saved checker's own layout; bump when [`SavedRules`] changes. The
/// versions of the decision state and the projections are stored beside it, so a saved
/// checker from a build whose folds differ is refused (and the log replayed in full).
pub const RULES_STATE_VERSION: u32 = 1;

/// Bytes before the bincode body: magic, three versions and the body's SHA-256 (a
/// damaged file must be replayed over, never folded on from).
const RULES_HEADER_BYTES: usize = RULES_MAGIC.len() + 3 * 4 + 32;

/// Largest saved checker body read: bounds what a damaged file can ask to allocate.
const RULES_BODY_BYTES_MAX: u64 = 8 * 1024 * 1024 * 1024;

/// The three versions a saved checker must match: its own, the decision state's and the
/// projections'.
fn rules_versions() -> [u32; 3] {
    [
        RULES_STATE_VERSION,
        crate::domain::STATE_VERSION,
        crate::projection::SNAPSHOT_VERSION,
    ]
}

fn rules_options() -> impl Options {
    bincode::DefaultOptions::new()
        .with_varint_encoding()
        .with_limit(RULES_BODY_BYTES_MAX)
}

/// What a saved checker holds: the folds up to a tree size, and the tree's right edge.
#[derive(Serialize, Deserialize)]
struct SavedRules {
    size: u64,
    root: Hash,
    subtrees: Vec<Hash>,
    last_hash: Hash,
    matches: u64,
    state: State,
    projections: Projections,
}

/// The witness's rule check, able to stop at a trusted head and go on from there: the
/// ledger's decision state and projections folded over the events so far, the tree's
/// right edge (to recompute the root) and the last event's hash (to check the chain).
#[derive(Debug, Clone)]
pub struct RuleChecker {
    frontier: Frontier,
    state: State,
    projections: Projections,
    prev_hash: Hash,
    matches: u64,
    /// The size this check started from, and the problems found since.
    started_at: u64,
    problems: Vec<String>,
}

impl Default for RuleChecker {
    fn default() -> Self {
        RuleChecker::new()
    }
}

impl RuleChecker {
    /// A check of the log from its first event.
    pub fn new() -> RuleChecker {
        RuleChecker {
            frontier: Frontier::new(),
            state: State::default(),
            projections: Projections::default(),
            prev_hash: GENESIS_HASH,
            matches: 0,
            started_at: 0,
            problems: Vec::new(),
        }
    }

    /// Events folded so far: the sequence of the last one.
    pub fn size(&self) -> u64 {
        self.frontier.size()
    }

    /// Resumes from bytes [`RuleChecker::to_bytes`] wrote, but only if they were saved
    /// at exactly the `trusted` head (same size and root, and the saved tree edge gives
    /// that root). Anything else is an error saying why; the caller replays in full.
    pub fn resume(bytes: &[u8], trusted: &Checkpoint) -> Result<RuleChecker, String> {
        let header = bytes
            .get(..RULES_HEADER_BYTES)
            .filter(|header| header.starts_with(RULES_MAGIC))
            .ok_or("not a saved rule check")?;
        let mut found = [0u32; 3];
        for (i, version) in found.iter_mut().enumerate() {
            let at = RULES_MAGIC.len() + 4 * i;
            let mut word = [0u8; 4];
            word.copy_from_slice(&header[at..at + 4]);
            *version = u32::from_le_bytes(word);
        }
        if found != rules_versions() {
            return Err(format!(
                "saved by another version ({found:?}, this build reads {:?})",
                rules_versions()
            ));
        }
        let body = &bytes[RULES_HEADER_BYTES..];
        let digest: Hash = Sha256::digest(body).into();
        if header[RULES_HEADER_BYTES - 32..] != digest {
            return Err("damaged: its checksum does not match".to_string());
        }
        let saved: SavedRules = rules_options()
            .deserialize(body)
            .map_err(|error| format!("unreadable: {error}"))?;
        if saved.size != trusted.size || saved.root != trusted.root {
            return Err(format!(
                "saved at tree size {}, not at the trusted head of size {}",
                saved.size, trusted.size
            ));
        }
        let frontier = Frontier::from_subtrees(saved.size, saved.subtrees)
            .filter(|frontier| frontier.root() == saved.root)
            .ok_or("its tree edge does not give its root")?;
        if saved.projections.sequence() != saved.size {
            return Err("its projections are at another sequence".to_string());
        }
        Ok(RuleChecker {
            frontier,
            state: saved.state,
            projections: saved.projections,
            prev_hash: saved.last_hash,
            matches: saved.matches,
            started_at: saved.size,
            problems: Vec::new(),
        })
    }

    /// The versioned bytes to resume from later, bound to the current size and root.
    pub fn to_bytes(&self) -> Result<Vec<u8>, String> {
        let saved = SavedRules {
            size: self.frontier.size(),
            root: self.frontier.root(),
            subtrees: self.frontier.subtrees().to_vec(),
            last_hash: self.prev_hash,
            matches: self.matches,
            state: self.state.clone(),
            projections: self.projections.clone(),
        };
        let body = rules_options()
            .serialize(&saved)
            .map_err(|error| error.to_string())?;
        let mut bytes = Vec::with_capacity(RULES_HEADER_BYTES + body.len());
        bytes.extend_from_slice(RULES_MAGIC);
        for version in rules_versions() {
            bytes.extend_from_slice(&version.to_le_bytes());
        }
        bytes.extend_from_slice(&Sha256::digest(&body));
        bytes.extend_from_slice(&body);
        Ok(bytes)
    }

    /// Folds the next events (their stored bytes, in log order) and notes every breach.
    /// Stops at the first event that is out of place in the hash chain.
    pub fn fold<'a>(&mut self, leaves: impl IntoIterator<Item = &'a [u8]>) {
        if !self.problems.is_empty() {
            return;
        }
        for bytes in leaves {
            let sequence = self.frontier.size() + 1;
            self.frontier.append(bytes);
            let event = match store::decode(bytes) {
                Ok(event) if event.sequence == sequence && event.prev_hash == self.prev_hash => {
                    event
                }
                Ok(_) => {
                    self.problems
                        .push(format!("event {sequence}: out of place in the hash chain"));
                    return;
                }
                Err(error) => {
                    self.problems.push(format!("event {sequence}: {error}"));
                    return;
                }
            };
            self.prev_hash = event.hash;
            self.state.apply(&event.event);
            self.projections.apply(&event);
            self.check(sequence, &event.event);
        }
    }

    /// The rules one folded event must leave intact.
    fn check(&mut self, sequence: u64, event: &Event) {
        if let Event::MatchRecorded(e) = event {
            self.matches += 1;
            match self.state.contribution(&e.contribution) {
                Some(view) if view.matched > view.match_limit => self.problems.push(format!(
                    "event {sequence}: contribution {} matched {} beyond its limit {}",
                    e.contribution, view.matched, view.match_limit
                )),
                Some(_) => {}
                None => self.problems.push(format!(
                    "event {sequence}: a match of unknown contribution {}",
                    e.contribution
                )),
            }
        }
        if let Some(phase) = event.phase().and_then(|id| self.projections.phase(&id)) {
            if phase.cash < Decimal::ZERO {
                self.problems.push(format!(
                    "event {sequence}: phase {} cash is negative ({})",
                    phase.phase, phase.cash
                ));
            }
        }
    }

    /// The verdict once every event up to `checkpoint` is folded: no breach, and the
    /// events give exactly the signed size and root.
    pub fn finish(&self, checkpoint: &Checkpoint) -> Result<RuleReport, Vec<String>> {
        let mut problems = self.problems.clone();
        if problems.is_empty() {
            if self.frontier.size() != checkpoint.size {
                problems.push(format!(
                    "{} events received for a head of size {}",
                    self.frontier.size(),
                    checkpoint.size
                ));
            } else if self.frontier.root() != checkpoint.root {
                problems.push("the events do not give the signed root".to_string());
            }
        }
        if problems.is_empty() {
            Ok(RuleReport {
                events: self.frontier.size() - self.started_at,
                from: self.started_at + 1,
                matches: self.matches,
            })
        } else {
            Err(problems)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{decide, EventId, EventMeta};
    use crate::generator::{generate, ProgrammeConfig};
    use crate::store::{PendingEvent, Store};

    /// The stored bytes of the first events of the seeded programme, decided by the rules.
    fn programme_leaves() -> Vec<Vec<u8>> {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(dir.path()).expect("opens");
        let mut state = State::default();
        for generated in generate(&ProgrammeConfig::default()).into_iter().take(400) {
            let events = decide(&state, &generated.command).expect("accepted");
            let pending = events
                .into_iter()
                .map(|event| {
                    state.apply(&event);
                    PendingEvent {
                        meta: EventMeta {
                            id: EventId::generate(),
                            recorded_at: chrono::Utc::now(),
                            effective_date: generated.effective_date,
                            actor: "finance".into(),
                            idempotency_key: generated.idempotency_key.clone(),
                            external_ref: None,
                            metadata: Vec::new(),
                        },
                        event,
                    }
                })
                .collect();
            store.append(pending, Vec::new()).expect("appended");
        }
        store
            .raw_from(1)
            .map(|entry| entry.expect("readable").1)
            .collect()
    }

    fn checkpoint_of(checker: &RuleChecker) -> Checkpoint {
        Checkpoint {
            origin: "test.example/log".to_string(),
            size: checker.size(),
            root: checker.frontier.root(),
            timestamp: 1,
            extensions: Vec::new(),
        }
    }

    #[test]
    fn a_check_resumed_at_a_trusted_head_ends_where_a_full_replay_ends() {
        let leaves = programme_leaves();
        let (head, tail) = leaves.split_at(leaves.len() / 2);
        let mut first = RuleChecker::new();
        first.fold(head.iter().map(Vec::as_slice));
        let trusted = checkpoint_of(&first);
        first.finish(&trusted).expect("the first half holds");

        let mut resumed =
            RuleChecker::resume(&first.to_bytes().expect("encodes"), &trusted).expect("resumes");
        resumed.fold(tail.iter().map(Vec::as_slice));
        let mut full = RuleChecker::new();
        full.fold(leaves.iter().map(Vec::as_slice));
        let end = checkpoint_of(&full);

        let report = resumed.finish(&end).expect("holds");
        assert_eq!(
            (report.from, report.events),
            (head.len() as u64 + 1, tail.len() as u64)
        );
        assert_eq!(report.matches, full.finish(&end).expect("holds").matches);
        assert_eq!(resumed.projections, full.projections);
        assert_eq!(resumed.state, full.state);
    }

    #[test]
    fn a_saved_check_of_another_head_or_damaged_or_another_version_is_refused() {
        let leaves = programme_leaves();
        let mut checker = RuleChecker::new();
        checker.fold(leaves.iter().map(Vec::as_slice));
        let trusted = checkpoint_of(&checker);
        let bytes = checker.to_bytes().expect("encodes");

        let mut other_size = trusted.clone();
        other_size.size -= 1;
        assert!(RuleChecker::resume(&bytes, &other_size).is_err());
        let mut other_root = trusted.clone();
        other_root.root[0] ^= 1;
        assert!(RuleChecker::resume(&bytes, &other_root).is_err());
        let mut damaged = bytes.clone();
        let last = damaged.len() - 1;
        damaged[last] ^= 1;
        assert!(RuleChecker::resume(&damaged, &trusted).is_err());
        let mut other_version = bytes.clone();
        other_version[RULES_MAGIC.len()] ^= 1;
        assert!(RuleChecker::resume(&other_version, &trusted).is_err());
        assert!(RuleChecker::resume(b"", &trusted).is_err());
        assert!(RuleChecker::resume(&bytes, &trusted).is_ok());
    }
}
