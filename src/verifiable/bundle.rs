//! The match verification bundle: for one contribution, the phase it belongs to, the
//! contribution, every match and reversal touching it, each event's exact stored bytes
//! with its inclusion proof against one signed tree head, and the status recomputed from
//! those events alone.
//!
//! What a bundle proves: every event in it is in the signed log, unaltered, and the
//! status follows from them. What it cannot prove is that no *other* match exists (an
//! inclusion proof shows presence, not absence); the export and the witness cover that.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::audit::{self, Checkpoint, Hash};
use crate::domain::{ContributionId, EntryId, Event, RecordedEvent};

/// The format tag of bundles this build writes and reads.
pub const BUNDLE_FORMAT: &str = "matchledger-match-bundle/v1";

/// One event with its proof of inclusion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvenEvent {
    /// Its sequence number (leaf index + 1).
    pub sequence: u64,
    /// Its exact stored bytes, base64: the Merkle leaf.
    pub stored_bytes: String,
    /// The decoded event, for reading; the verifier decodes the bytes itself and
    /// requires these fields to be identical.
    pub decoded: RecordedEvent,
    /// The inclusion proof in the bundle's tree size, hex hashes, leaf's sibling first.
    pub proof: Vec<String>,
}

/// The matching status of a contribution, recomputed from its events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchStatus {
    /// MATCHED, PARTIAL or UNMATCHED.
    pub status: String,
    /// The contribution's amount.
    pub contributed: Decimal,
    /// The phase's match ratio.
    pub match_ratio: Decimal,
    /// At most this much may be matched: amount × ratio.
    pub limit: Decimal,
    /// Matched by active (not reversed) matches.
    pub matched: Decimal,
    /// Whether the contribution itself was reversed.
    pub contribution_reversed: bool,
}

/// The bundle document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchBundle {
    /// [`BUNDLE_FORMAT`].
    pub format: String,
    /// The contribution.
    pub contribution_id: String,
    /// The signed tree head (a C2SP checkpoint in a signed note) every proof is against.
    pub tree_head: String,
    /// Its tree size.
    pub tree_size: u64,
    /// The phase opening, the contribution, its matches and reversals, in log order.
    pub events: Vec<ProvenEvent>,
    /// The status the server computed.
    pub status: MatchStatus,
}

/// Why a bundle cannot be built or does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    /// No contribution with that id at the head.
    #[error("no contribution {0} in the log")]
    UnknownContribution(String),
    /// The contribution's phase was not found.
    #[error("the opening of phase {0} is missing")]
    MissingPhase(String),
    /// Arithmetic overflowed.
    #[error("amounts overflow")]
    Overflow,
}

/// The verdict of an offline check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BundleVerdict {
    /// Everything checked; the recomputed status.
    Valid(MatchStatus),
    /// Something did not check; every reason found.
    Invalid(Vec<String>),
}

/// Whether an event belongs in the bundle of `contribution`, given the ids of its matches
/// collected so far (matches come before their reversals in the log).
fn touches(event: &Event, contribution: ContributionId, matches: &mut Vec<EntryId>) -> bool {
    match event {
        Event::ContributionRecorded(e) => e.contribution == contribution,
        Event::MatchRecorded(e) if e.contribution == contribution => {
            matches.push(e.match_id.into());
            true
        }
        Event::EntryReversed(e) => {
            e.entry == EntryId::from(contribution) || matches.contains(&e.entry)
        }
        _ => false,
    }
}

/// The events of `contribution`'s bundle from `events` (the log in order): the opening
/// of its phase, the contribution, its matches and the reversals of any of them.
pub fn select_events(
    events: impl IntoIterator<Item = RecordedEvent>,
    contribution: ContributionId,
) -> Vec<RecordedEvent> {
    let mut selected = Vec::new();
    let mut phases = Vec::new();
    let mut matches = Vec::new();
    for event in events {
        if let Event::PhaseOpened(_) = &event.event {
            phases.push(event);
            continue;
        }
        if touches(&event.event, contribution, &mut matches) {
            if let Event::ContributionRecorded(e) = &event.event {
                if let Some(opening) = phases.iter().find(|p| p.event.phase() == Some(e.phase)) {
                    selected.push(opening.clone());
                }
            }
            selected.push(event);
        }
    }
    selected
}

/// The status recomputed from a bundle's events.
pub fn match_status(
    events: &[RecordedEvent],
    contribution: ContributionId,
) -> Result<MatchStatus, BundleError> {
    let recorded = events
        .iter()
        .find_map(|event| match &event.event {
            Event::ContributionRecorded(e) if e.contribution == contribution => Some(e),
            _ => None,
        })
        .ok_or_else(|| BundleError::UnknownContribution(contribution.to_string()))?;
    let ratio = events
        .iter()
        .find_map(|event| match &event.event {
            Event::PhaseOpened(e) if e.phase == recorded.phase => Some(e.match_ratio),
            _ => None,
        })
        .ok_or_else(|| BundleError::MissingPhase(recorded.phase.to_string()))?;
    let reversed: Vec<EntryId> = events
        .iter()
        .filter_map(|event| match &event.event {
            Event::EntryReversed(e) => Some(e.entry),
            _ => None,
        })
        .collect();
    let mut matched = Decimal::ZERO;
    for event in events {
        if let Event::MatchRecorded(e) = &event.event {
            if e.contribution == contribution && !reversed.contains(&e.match_id.into()) {
                matched = matched
                    .checked_add(e.amount.amount())
                    .ok_or(BundleError::Overflow)?;
            }
        }
    }
    let contributed = recorded.amount.amount();
    let limit = contributed
        .checked_mul(ratio)
        .ok_or(BundleError::Overflow)?;
    let status = match crate::domain::MatchStatus::of(matched, limit) {
        crate::domain::MatchStatus::Unmatched => "UNMATCHED",
        crate::domain::MatchStatus::PartiallyMatched => "PARTIAL",
        crate::domain::MatchStatus::Matched => "MATCHED",
    };
    Ok(MatchStatus {
        status: status.to_string(),
        contributed,
        match_ratio: ratio,
        limit,
        matched,
        contribution_reversed: reversed.contains(&contribution.into()),
    })
}

/// Builds the bundle from the selected events, their stored bytes and their proofs in
/// the tree of `tree_size` leaves that `tree_head` signs.
pub fn build_bundle(
    contribution: ContributionId,
    tree_head: String,
    tree_size: u64,
    events: Vec<(RecordedEvent, Vec<u8>, Vec<Hash>)>,
) -> Result<MatchBundle, BundleError> {
    let decoded: Vec<RecordedEvent> = events.iter().map(|(event, _, _)| event.clone()).collect();
    let status = match_status(&decoded, contribution)?;
    Ok(MatchBundle {
        format: BUNDLE_FORMAT.to_string(),
        contribution_id: contribution.to_string(),
        tree_head,
        tree_size,
        events: events
            .into_iter()
            .map(|(event, bytes, proof)| ProvenEvent {
                sequence: event.sequence,
                stored_bytes: BASE64.encode(bytes),
                decoded: event,
                proof: proof.iter().map(hex::encode).collect(),
            })
            .collect(),
        status,
    })
}

/// Checks a bundle offline with the log's verifier key: the note's signature, that each
/// event's bytes are in the signed tree, that the decoded fields are those bytes', that
/// every event is about this contribution, and that the status follows from them.
pub fn verify_bundle(bundle: &MatchBundle, verifier_key: &str) -> BundleVerdict {
    let mut reasons = Vec::new();
    if bundle.format != BUNDLE_FORMAT {
        reasons.push(format!("unknown bundle format {:?}", bundle.format));
    }
    let checkpoint = match audit::verify_checkpoint(&bundle.tree_head, verifier_key) {
        Ok(checkpoint) => checkpoint,
        Err(error) => {
            reasons.push(format!(
                "the tree head is not signed by the given key: {error}"
            ));
            return BundleVerdict::Invalid(reasons);
        }
    };
    if checkpoint.size != bundle.tree_size {
        reasons.push(format!(
            "the bundle claims tree size {} but the signed head has {}",
            bundle.tree_size, checkpoint.size
        ));
    }
    let Ok(contribution) = bundle.contribution_id.parse::<ContributionId>() else {
        reasons.push(format!(
            "{:?} is not a contribution id",
            bundle.contribution_id
        ));
        return BundleVerdict::Invalid(reasons);
    };
    let mut events = Vec::with_capacity(bundle.events.len());
    for proven in &bundle.events {
        match check_event(proven, &checkpoint) {
            Ok(event) => events.push(event),
            Err(reason) => reasons.push(format!("event {}: {reason}", proven.sequence)),
        }
    }
    let mut matches = Vec::new();
    for event in &events {
        let relevant = matches!(event.event, Event::PhaseOpened(_))
            || touches(&event.event, contribution, &mut matches);
        if !relevant {
            reasons.push(format!(
                "event {} ({}) is not about contribution {contribution}",
                event.sequence,
                event.event.kind().as_str()
            ));
        }
    }
    if events
        .windows(2)
        .any(|pair| pair[0].sequence >= pair[1].sequence)
    {
        reasons.push("the events are not in log order".to_string());
    }
    match match_status(&events, contribution) {
        Ok(status) if reasons.is_empty() => {
            if status.matched > status.limit {
                reasons.push(format!(
                    "matches total {} but the contribution allows at most {}",
                    status.matched, status.limit
                ));
                return BundleVerdict::Invalid(reasons);
            }
            if status != bundle.status {
                reasons.push(format!(
                    "the bundle states {} matched {} but its events give {} matched {}",
                    bundle.status.status, bundle.status.matched, status.status, status.matched
                ));
                return BundleVerdict::Invalid(reasons);
            }
            BundleVerdict::Valid(status)
        }
        Ok(_) => BundleVerdict::Invalid(reasons),
        Err(error) => {
            reasons.push(error.to_string());
            BundleVerdict::Invalid(reasons)
        }
    }
}

/// Checks one event: its bytes' inclusion in the signed tree, and its decoded fields.
fn check_event(proven: &ProvenEvent, checkpoint: &Checkpoint) -> Result<RecordedEvent, String> {
    let bytes = BASE64
        .decode(&proven.stored_bytes)
        .map_err(|error| format!("stored bytes are not base64: {error}"))?;
    let proof = proven
        .proof
        .iter()
        .map(|hash| {
            hex::decode(hash)
                .ok()
                .and_then(|bytes| Hash::try_from(bytes).ok())
                .ok_or_else(|| format!("proof hash {hash:?} is not 32 bytes of hex"))
        })
        .collect::<Result<Vec<Hash>, String>>()?;
    let index = proven
        .sequence
        .checked_sub(1)
        .ok_or("sequence 0 does not exist")?;
    audit::verify_inclusion(
        &audit::leaf_hash(&bytes),
        index,
        checkpoint.size,
        &proof,
        &checkpoint.root,
    )
    .map_err(|error| format!("not included in the signed tree: {error}"))?;
    let decoded = crate::store::decode(&bytes)
        .map_err(|error| format!("the stored bytes do not decode: {error}"))?;
    if decoded.sequence != proven.sequence {
        return Err(format!("the stored bytes are event {}", decoded.sequence));
    }
    if decoded != proven.decoded {
        return Err("the decoded fields differ from the stored bytes".to_string());
    }
    Ok(decoded)
}
