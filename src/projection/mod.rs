//! Projections: balances folded from the event log.
//!
//! [`Projections`] is a pure fold: [`Projections::apply`] takes one recorded event at a time,
//! in sequence order, and cannot fail. Everything a reader asks (phase balances, SME
//! figures, contributor and agency totals, match status, the sponsor's report, the
//! double-entry trial balance) is answered from the folded state, so any query can be
//! asked as of a sequence number by folding only the events up to it
//! ([`Projections::replay`]).
//!
//! # Cheap to clone
//!
//! Every collection is an `imbl` persistent map or set: a clone shares structure and costs
//! a few pointer copies, so the writer can publish a fresh copy after every group commit
//! and readers never wait for it.
//!
//! # What the fold trusts and what it ignores
//!
//! Events were decided by the rules before they were stored, so the fold does not judge
//! them again. It still never panics on a log it would not expect: a money posting that
//! names an unknown phase, is in another currency than its phase, reuses a posting id, or
//! names an unknown contribution or grant is ignored as a whole (figures and journal alike,
//! so the trial balance stays zero); a reversal of an unknown or already reversed entry is
//! ignored the same way.
//!
//! # Reversals
//!
//! Every money posting is kept in an index (entry id → what it posted). `EntryReversed`
//! looks its entry up and folds the same figures with the opposite sign; the amount it
//! carries is informational (the rules make it equal to the indexed one).
//!
//! # Arithmetic
//!
//! Figures use saturating `Decimal` arithmetic. In a decided log no sum can overflow
//! (amounts have at most 18 digits, `Decimal` holds 28), so saturation never happens in
//! practice; it exists so that `apply` stays infallible on any input instead of panicking.

mod clawbacks;
mod contributions;
mod entry;
mod fold;
pub mod journal;
mod participants;
mod phase;
mod report;
mod settlement;
mod sme;
mod snapshot;

#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use imbl::OrdMap;
use serde::{Deserialize, Serialize};

use crate::domain::{
    AgencyId, ContributionId, ContributorId, EntryId, GrantId, PhaseId, RecordedEvent, SmeId,
};

pub use clawbacks::ClawbackStatus;
pub use contributions::{ContributionStatus, MatchStatus};
pub use journal::{Account, Posting, Side, TrialBalance, TrialBalanceLine, TrialBalanceTotal};
pub use participants::{AgencyBalances, AgencyFigures, ContributorBalances, ContributorFigures};
pub use phase::{PhaseBalances, PhaseStatus};
pub use report::{ReportLine, SponsorReport};
pub use settlement::{GrantSettlement, PhaseSettlement};
pub use sme::{SmeBalances, SmeFigures, SmeOrder};
pub use snapshot::{SnapshotError, SNAPSHOT_VERSION};

use contributions::ContributionState;
use entry::Entry;
use participants::{AgencyState, ContributorState};
use phase::PhaseState;
use sme::{GrantState, SmeState};

/// Every balance the ledger answers, folded from the events up to [`Projections::sequence`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Projections {
    /// Sequence number of the last applied event (0 before any).
    sequence: u64,
    /// When the last applied event was recorded.
    recorded_at: Option<DateTime<Utc>>,
    phases: OrdMap<PhaseId, PhaseState>,
    smes: OrdMap<SmeId, SmeState>,
    contributors: OrdMap<ContributorId, ContributorState>,
    agencies: OrdMap<AgencyId, AgencyState>,
    contributions: OrdMap<ContributionId, ContributionState>,
    grants: OrdMap<GrantId, GrantState>,
    /// Every money posting by id, so that a reversal can be folded.
    entries: OrdMap<EntryId, Entry>,
    /// Every settled grant, with its settlement.
    settled_grants: settlement::SettledGrants,
    /// Every decided clawback and where it stands.
    clawbacks: OrdMap<crate::domain::ClawbackId, ClawbackStatus>,
}

impl Projections {
    /// Folds one recorded event. Events must arrive in sequence order; the fold records the
    /// sequence and recording time of the last one.
    pub fn apply(&mut self, recorded: &RecordedEvent) {
        // The journal is posted from the state before the event, the same state the
        // figures are folded from, so both agree on which events count.
        // Resolved once: which money event counts is one question for both.
        let resolved = self.resolve(&recorded.event);
        let postings = resolved
            .as_ref()
            .map(|resolved| journal::postings_of(resolved, self))
            .unwrap_or_default();
        self.fold(recorded, resolved);
        self.post_journal(&postings);
        self.apply_settlement(recorded);
        self.sequence = recorded.sequence;
        self.recorded_at = Some(recorded.meta.recorded_at);
    }

    /// Folds a sequence of events into fresh projections: the answer as of the last one.
    pub fn replay<'a>(events: impl IntoIterator<Item = &'a RecordedEvent>) -> Projections {
        let mut projections = Projections::default();
        for recorded in events {
            projections.apply(recorded);
        }
        projections
    }

    /// Sequence number of the last applied event, 0 before any.
    pub fn sequence(&self) -> u64 {
        self.sequence
    }

    /// When the last applied event was recorded, `None` before any.
    pub fn recorded_at(&self) -> Option<DateTime<Utc>> {
        self.recorded_at
    }
}

/// Whether a posting is folded as recorded or cancelled by a reversal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sign {
    /// The posting as recorded.
    Post,
    /// The mirror image, for a reversal.
    Reverse,
}

impl Sign {
    /// The amount with this sign.
    fn of(self, amount: rust_decimal::Decimal) -> rust_decimal::Decimal {
        match self {
            Sign::Post => amount,
            // Negation cannot overflow: Decimal's range is symmetric.
            Sign::Reverse => -amount,
        }
    }

    /// Counts one more (post) or one fewer (reverse), saturating at the bounds of `u64`.
    fn count(self, count: u64) -> u64 {
        match self {
            Sign::Post => count.saturating_add(1),
            Sign::Reverse => count.saturating_sub(1),
        }
    }
}
