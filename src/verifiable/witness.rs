//! What a witness checks before it cosigns a tree head: that the log only grew since the
//! head it last trusted (a consistency proof), and, optionally, that the new events obey
//! the ledger's rules when replayed through the ledger's own state and projections.

use rust_decimal::Decimal;

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
    /// Events replayed.
    pub events: u64,
    /// Matches checked against their contribution's limit.
    pub matches: u64,
}

/// Replays every event of the log (their stored bytes, in order) through the ledger's
/// state and projections, checking the bytes give the signed root, the hash chain, that
/// no contribution is matched beyond its limit and no phase's cash goes negative.
pub fn check_rules(leaves: &[Vec<u8>], checkpoint: &Checkpoint) -> Result<RuleReport, Vec<String>> {
    let mut problems = Vec::new();
    let mut frontier = Frontier::new();
    let mut state = State::default();
    let mut projections = Projections::default();
    let mut prev_hash = GENESIS_HASH;
    let mut matches = 0;
    for (index, bytes) in leaves.iter().enumerate() {
        let sequence = index as u64 + 1;
        frontier.append(bytes);
        let event = match store::decode(bytes) {
            Ok(event) if event.sequence == sequence && event.prev_hash == prev_hash => event,
            Ok(_) => {
                problems.push(format!("event {sequence}: out of place in the hash chain"));
                break;
            }
            Err(error) => {
                problems.push(format!("event {sequence}: {error}"));
                break;
            }
        };
        prev_hash = event.hash;
        state.apply(&event.event);
        projections.apply(&event);
        if let Event::MatchRecorded(e) = &event.event {
            matches += 1;
            if let Some(view) = state.contribution(&e.contribution) {
                if view.matched > view.match_limit {
                    problems.push(format!(
                        "event {sequence}: contribution {} matched {} beyond its limit {}",
                        e.contribution, view.matched, view.match_limit
                    ));
                }
            } else {
                problems.push(format!(
                    "event {sequence}: a match of unknown contribution {}",
                    e.contribution
                ));
            }
        }
        if let Some(phase) = event.event.phase().and_then(|id| projections.phase(&id)) {
            if phase.cash < Decimal::ZERO {
                problems.push(format!(
                    "event {sequence}: phase {} cash is negative ({})",
                    phase.phase, phase.cash
                ));
            }
        }
    }
    if problems.is_empty() {
        if frontier.size() != checkpoint.size {
            problems.push(format!(
                "{} events received for a head of size {}",
                frontier.size(),
                checkpoint.size
            ));
        } else if frontier.root() != checkpoint.root {
            problems.push("the events do not give the signed root".to_string());
        }
    }
    if problems.is_empty() {
        Ok(RuleReport {
            events: frontier.size(),
            matches,
        })
    } else {
        Err(problems)
    }
}
