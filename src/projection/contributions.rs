//! Match status per contribution: how much government money it may still receive, and the
//! contributions of a phase that are still waiting for it.

use imbl::Vector;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::Projections;
use crate::domain::{ContributionId, ContributorId, Currency, MatchId, PhaseId};

pub use crate::domain::MatchStatus;

/// One contribution and its matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContributionStatus {
    pub contribution: ContributionId,
    pub phase: PhaseId,
    pub contributor: ContributorId,
    pub currency: Currency,
    /// Sequence number of the event that recorded it.
    pub sequence: u64,
    pub amount: Decimal,
    /// Matches in force against it.
    pub matched: Decimal,
    /// Most government money it may receive: ratio × amount.
    pub limit: Decimal,
    /// Limit − matched, never below zero.
    pub outstanding: Decimal,
    pub status: MatchStatus,
    /// Whether the contribution itself was reversed.
    pub reversed: bool,
    /// Matches in force, in the order they were recorded.
    pub matches: Vec<MatchId>,
    /// Matches that were reversed, in the order they were reversed.
    pub reversed_matches: Vec<MatchId>,
}

/// What the fold keeps per contribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct ContributionState {
    pub(super) phase: PhaseId,
    pub(super) contributor: ContributorId,
    pub(super) currency: Currency,
    pub(super) sequence: u64,
    pub(super) amount: Decimal,
    pub(super) limit: Decimal,
    pub(super) matched: Decimal,
    pub(super) reversed: bool,
    pub(super) matches: Vector<MatchId>,
    pub(super) reversed_matches: Vector<MatchId>,
    /// Sequence numbers of every event the fold counted for it, in log order: its
    /// recording, each match, each reversal of either. A match bundle reads exactly these.
    pub(super) events: Vector<u64>,
}

impl ContributionState {
    /// The match status from the matches in force.
    pub(super) fn status(&self) -> MatchStatus {
        MatchStatus::of(self.matched, self.limit)
    }

    /// Whether the government still owes it money: in force and not fully matched.
    pub(super) fn is_open(&self) -> bool {
        !self.reversed && self.status() != MatchStatus::Matched
    }

    fn view(&self, id: ContributionId) -> ContributionStatus {
        ContributionStatus {
            contribution: id,
            phase: self.phase,
            contributor: self.contributor,
            currency: self.currency,
            sequence: self.sequence,
            amount: self.amount,
            matched: self.matched,
            limit: self.limit,
            outstanding: self.limit.saturating_sub(self.matched).max(Decimal::ZERO),
            status: self.status(),
            reversed: self.reversed,
            matches: self.matches.iter().copied().collect(),
            reversed_matches: self.reversed_matches.iter().copied().collect(),
        }
    }
}

impl Projections {
    /// One contribution's match status, or `None` if it was never recorded.
    pub fn contribution(&self, id: &ContributionId) -> Option<ContributionStatus> {
        self.contributions.get(id).map(|state| state.view(*id))
    }

    /// The sequence numbers a match bundle of `id` holds, in log order: the opening of
    /// its phase, its recording, each match of it and each reversal of either. `None` if
    /// it was never recorded. Read from the index the fold keeps, so O(events of it).
    pub fn contribution_events(&self, id: &ContributionId) -> Option<Vec<u64>> {
        let state = self.contributions.get(id)?;
        let opening = self
            .phases
            .get(&state.phase)
            .map(|phase| phase.opened_sequence)
            .filter(|opened| *opened < state.sequence);
        Some(
            opening
                .into_iter()
                .chain(state.events.iter().copied())
                .collect(),
        )
    }

    /// The phase's contributions still waiting for government money (unmatched or
    /// partially matched, not reversed), in the order they were recorded.
    pub fn open_contributions(&self, phase: &PhaseId) -> Vec<ContributionStatus> {
        let Some(state) = self.phases.get(phase) else {
            return Vec::new();
        };
        state
            .open_contributions
            .iter()
            .filter_map(|(_, id)| self.contribution(id))
            .collect()
    }

    /// Puts the contribution in or out of its phase's open set after any change to it.
    pub(super) fn refresh_open(&mut self, id: ContributionId) {
        let Some(contribution) = self.contributions.get(&id) else {
            return;
        };
        let key = (contribution.sequence, id);
        let open = contribution.is_open();
        if let Some(phase) = self.phases.get_mut(&contribution.phase) {
            if open {
                phase.open_contributions.insert(key);
            } else {
                phase.open_contributions.remove(&key);
            }
        }
    }
}
