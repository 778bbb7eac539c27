//! The entry index: what every money posting moved, so that a reversal can fold its mirror
//! image, and the one place that decides which money events the fold accepts.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{Projections, Sign};
use crate::domain::event::{EntryKind, EntryReversed};
use crate::domain::{
    AgencyId, ContributionId, ContributorId, Currency, EntryId, Event, GrantId, MatchId, PhaseId,
    SmeId,
};

/// One indexed money posting and whether it has been reversed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct Entry {
    pub(super) record: EntryRecord,
    pub(super) reversed: bool,
}

/// What one money posting moved: everything needed to fold it or its reversal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) enum EntryRecord {
    Pledge {
        phase: PhaseId,
        contributor: ContributorId,
        amount: Decimal,
    },
    Contribution {
        phase: PhaseId,
        contributor: ContributorId,
        contribution: ContributionId,
        amount: Decimal,
    },
    Match {
        phase: PhaseId,
        contribution: ContributionId,
        match_id: MatchId,
        agency: AgencyId,
        amount: Decimal,
    },
    Grant {
        phase: PhaseId,
        grant: GrantId,
        sme: SmeId,
        government: Decimal,
        sponsor: Decimal,
        own: Decimal,
    },
    Disbursement {
        phase: PhaseId,
        grant: GrantId,
        sme: SmeId,
        amount: Decimal,
    },
    Refund {
        phase: PhaseId,
        grant: GrantId,
        sme: SmeId,
        amount: Decimal,
    },
}

impl EntryRecord {
    /// The phase the posting belongs to.
    pub(super) fn phase(&self) -> PhaseId {
        match *self {
            EntryRecord::Pledge { phase, .. }
            | EntryRecord::Contribution { phase, .. }
            | EntryRecord::Match { phase, .. }
            | EntryRecord::Grant { phase, .. }
            | EntryRecord::Disbursement { phase, .. }
            | EntryRecord::Refund { phase, .. } => phase,
        }
    }

    /// The kind a reversal names for this posting.
    pub(super) fn kind(&self) -> EntryKind {
        match self {
            EntryRecord::Pledge { .. } => EntryKind::Pledge,
            EntryRecord::Contribution { .. } => EntryKind::Contribution,
            EntryRecord::Match { .. } => EntryKind::Match,
            EntryRecord::Grant { .. } => EntryKind::Grant,
            EntryRecord::Disbursement { .. } => EntryKind::Disbursement,
            EntryRecord::Refund { .. } => EntryKind::Refund,
        }
    }
}

/// A money event the fold accepts: the entry it posts or cancels, and which of the two.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Resolved {
    pub(super) entry: EntryId,
    pub(super) record: EntryRecord,
    pub(super) sign: Sign,
}

impl Projections {
    /// Decides whether a money event counts, against the state before it. Registrations and
    /// phase events are not money postings and resolve to `None`, as does any posting the
    /// fold ignores (see the module documentation).
    pub(super) fn resolve(&self, event: &Event) -> Option<Resolved> {
        if let Event::EntryReversed(reversal) = event {
            return self.resolve_reversal(reversal);
        }
        let (entry, record) = self
            .funding_posting(event)
            .or_else(|| self.payout_posting(event))?;
        // Posting ids are unique across kinds; a reused one is not a new posting.
        if self.entries.contains_key(&entry) {
            return None;
        }
        Some(Resolved {
            entry,
            record,
            sign: Sign::Post,
        })
    }

    /// A reversal counts once, when it names an indexed entry of its kind and phase.
    fn resolve_reversal(&self, reversal: &EntryReversed) -> Option<Resolved> {
        let indexed = self.entries.get(&reversal.entry)?;
        let names_it =
            indexed.record.kind() == reversal.kind && indexed.record.phase() == reversal.phase;
        if indexed.reversed || !names_it {
            return None;
        }
        Some(Resolved {
            entry: reversal.entry,
            record: indexed.record.clone(),
            sign: Sign::Reverse,
        })
    }

    /// Money into the pool: pledges, contributions and matches.
    fn funding_posting(&self, event: &Event) -> Option<(EntryId, EntryRecord)> {
        match event {
            Event::PledgeRecorded(e) => {
                self.accepts(e.phase, e.amount.currency())?;
                let record = EntryRecord::Pledge {
                    phase: e.phase,
                    contributor: e.contributor,
                    amount: e.amount.amount(),
                };
                Some((EntryId::from(e.pledge), record))
            }
            Event::ContributionRecorded(e) => {
                self.accepts(e.phase, e.amount.currency())?;
                if self.contributions.contains_key(&e.contribution) {
                    return None;
                }
                let record = EntryRecord::Contribution {
                    phase: e.phase,
                    contributor: e.contributor,
                    contribution: e.contribution,
                    amount: e.amount.amount(),
                };
                Some((EntryId::from(e.contribution), record))
            }
            Event::MatchRecorded(e) => {
                self.accepts(e.phase, e.amount.currency())?;
                let contribution = self.contributions.get(&e.contribution)?;
                if contribution.phase != e.phase {
                    return None;
                }
                let record = EntryRecord::Match {
                    phase: e.phase,
                    contribution: e.contribution,
                    match_id: e.match_id,
                    agency: e.agency,
                    amount: e.amount.amount(),
                };
                Some((EntryId::from(e.match_id), record))
            }
            _ => None,
        }
    }

    /// Money out of the pool: awards, disbursements and refunds.
    fn payout_posting(&self, event: &Event) -> Option<(EntryId, EntryRecord)> {
        match event {
            Event::GrantAwarded(e) => {
                self.accepts(e.phase, e.project_cost.currency())?;
                if self.grants.contains_key(&e.grant) {
                    return None;
                }
                let record = EntryRecord::Grant {
                    phase: e.phase,
                    grant: e.grant,
                    sme: e.sme,
                    government: e.government_share,
                    sponsor: e.sponsor_share,
                    own: e.own_share,
                };
                Some((EntryId::from(e.grant), record))
            }
            Event::DisbursementRecorded(e) => {
                self.accepts(e.phase, e.amount.currency())?;
                self.grant_in(e.grant, e.phase)?;
                let record = EntryRecord::Disbursement {
                    phase: e.phase,
                    grant: e.grant,
                    sme: e.sme,
                    amount: e.amount.amount(),
                };
                Some((EntryId::from(e.disbursement), record))
            }
            Event::RefundRecorded(e) => {
                self.accepts(e.phase, e.amount.currency())?;
                self.grant_in(e.grant, e.phase)?;
                let record = EntryRecord::Refund {
                    phase: e.phase,
                    grant: e.grant,
                    sme: e.sme,
                    amount: e.amount.amount(),
                };
                Some((EntryId::from(e.refund), record))
            }
            _ => None,
        }
    }

    /// `Some` when the phase exists and keeps its books in this currency.
    fn accepts(&self, phase: PhaseId, currency: Currency) -> Option<()> {
        let state = self.phases.get(&phase)?;
        (state.currency == currency).then_some(())
    }

    /// `Some` when the grant exists and belongs to this phase.
    fn grant_in(&self, grant: GrantId, phase: PhaseId) -> Option<()> {
        let state = self.grants.get(&grant)?;
        (state.phase == phase).then_some(())
    }
}
