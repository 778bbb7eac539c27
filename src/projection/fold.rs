//! The fold itself: how each event changes the projections. A reversal runs the same
//! code as the posting it cancels, with the opposite [`Sign`].

use rust_decimal::Decimal;

use super::contributions::ContributionState;
use super::entry::{Entry, EntryRecord, Resolved};
use super::participants::{AgencyFigures, AgencyState, ContributorFigures, ContributorState};
use super::phase::{PhaseState, PhaseStatus};
use super::sme::{GrantState, SmeRow, SmeState};
use super::{Projections, Sign};
use crate::domain::{
    AgencyId, ContributionId, ContributorId, Currency, Event, GrantId, MatchId, PhaseId,
    RecordedEvent, SmeId,
};

impl Projections {
    /// Folds one event's effect on every figure (the journal is posted by the caller);
    /// `resolved` is [`Projections::resolve`] of the event against the state before it.
    pub(super) fn fold(&mut self, recorded: &RecordedEvent, resolved: Option<Resolved>) {
        match &recorded.event {
            Event::PhaseOpened(e) => {
                // A second opening of the same phase is refused by the rules; keep the first.
                if !self.phases.contains_key(&e.phase) {
                    self.phases
                        .insert(e.phase, PhaseState::opened(e, recorded.sequence));
                }
            }
            Event::PhaseClosed(e) => self.with_phase(e.phase, |phase| {
                phase.status = PhaseStatus::Closed;
            }),
            Event::ContributorRegistered(e) => {
                if !self.contributors.contains_key(&e.contributor) {
                    let state = ContributorState {
                        name: e.name.clone(),
                        phases: Default::default(),
                    };
                    self.contributors.insert(e.contributor, state);
                }
            }
            Event::AgencyRegistered(e) => {
                if !self.agencies.contains_key(&e.agency) {
                    let state = AgencyState {
                        name: e.name.clone(),
                        phases: Default::default(),
                    };
                    self.agencies.insert(e.agency, state);
                }
            }
            Event::SmeRegistered(e) => {
                if !self.smes.contains_key(&e.sme) {
                    self.smes.insert(e.sme, SmeState::registered(e));
                }
            }
            _ => {
                if let Some(resolved) = resolved {
                    self.fold_money(recorded, resolved);
                }
            }
        }
    }

    /// Indexes a new posting (or marks a reversed one) and folds its figures.
    fn fold_money(&mut self, recorded: &RecordedEvent, resolved: Resolved) {
        let Resolved {
            entry,
            record,
            sign,
        } = resolved;
        match sign {
            Sign::Post => {
                self.create_posted(recorded);
                let indexed = Entry {
                    record: record.clone(),
                    reversed: false,
                };
                self.entries.insert(entry, indexed);
            }
            Sign::Reverse => {
                if let Some(indexed) = self.entries.get_mut(&entry) {
                    indexed.reversed = true;
                }
            }
        }
        match record {
            EntryRecord::Pledge {
                phase,
                contributor,
                amount,
            } => self.fold_pledge(phase, contributor, sign.of(amount)),
            EntryRecord::Contribution {
                phase,
                contributor,
                contribution,
                amount,
            } => {
                self.fold_contribution(phase, contributor, contribution, amount, sign);
                if sign == Sign::Reverse {
                    self.index_event(contribution, recorded.sequence);
                }
            }
            EntryRecord::Match {
                phase,
                contribution,
                match_id,
                agency,
                amount,
            } => {
                self.fold_match(phase, contribution, match_id, agency, amount, sign);
                self.index_event(contribution, recorded.sequence);
            }
            EntryRecord::Grant {
                phase,
                grant,
                sme,
                government,
                sponsor,
                own,
            } => self.fold_grant(phase, grant, sme, [government, sponsor, own], sign),
            EntryRecord::Disbursement {
                phase,
                grant,
                sme,
                amount,
            } => self.fold_payment(phase, grant, sme, sign.of(amount), Payment::Disbursement),
            EntryRecord::Refund {
                phase,
                grant,
                sme,
                amount,
            } => self.fold_payment(phase, grant, sme, sign.of(amount), Payment::Refund),
        }
    }

    /// Creates the record a new contribution or grant keeps beside its entry.
    fn create_posted(&mut self, recorded: &RecordedEvent) {
        match &recorded.event {
            Event::ContributionRecorded(e) => {
                let ratio = self
                    .phases
                    .get(&e.phase)
                    .map_or(Decimal::ZERO, |phase| phase.match_ratio);
                let state = ContributionState {
                    phase: e.phase,
                    contributor: e.contributor,
                    currency: e.amount.currency(),
                    sequence: recorded.sequence,
                    amount: e.amount.amount(),
                    limit: ratio.saturating_mul(e.amount.amount()),
                    matched: Decimal::ZERO,
                    reversed: false,
                    matches: Default::default(),
                    reversed_matches: Default::default(),
                    events: imbl::Vector::unit(recorded.sequence),
                };
                self.contributions.insert(e.contribution, state);
            }
            Event::GrantAwarded(e) => {
                let state = GrantState {
                    phase: e.phase,
                    sme: e.sme,
                    purpose: e.purpose,
                    support_type: e.support_type.clone(),
                    project_cost: e.project_cost,
                    government: e.government_share,
                    sponsor: e.sponsor_share,
                    own: e.own_share,
                    disbursed: Decimal::ZERO,
                    refunded: Decimal::ZERO,
                    reversed: false,
                };
                self.grants.insert(e.grant, state);
            }
            _ => {}
        }
    }

    /// Notes that event `sequence` touches `contribution`, for its match bundle.
    fn index_event(&mut self, contribution: ContributionId, sequence: u64) {
        if let Some(state) = self.contributions.get_mut(&contribution) {
            state.events.push_back(sequence);
        }
    }

    fn fold_pledge(&mut self, phase: PhaseId, contributor: ContributorId, delta: Decimal) {
        self.with_phase(phase, |state| {
            state.pledged = state.pledged.saturating_add(delta);
        });
        self.with_contributor(contributor, phase, |figures| {
            figures.pledged = figures.pledged.saturating_add(delta);
        });
    }

    fn fold_contribution(
        &mut self,
        phase: PhaseId,
        contributor: ContributorId,
        contribution: ContributionId,
        amount: Decimal,
        sign: Sign,
    ) {
        let delta = sign.of(amount);
        self.with_phase(phase, |state| {
            state.contributed = state.contributed.saturating_add(delta);
        });
        self.with_contributor(contributor, phase, |figures| {
            figures.contributed = figures.contributed.saturating_add(delta);
        });
        if sign == Sign::Reverse {
            if let Some(state) = self.contributions.get_mut(&contribution) {
                state.reversed = true;
            }
        }
        self.refresh_open(contribution);
    }

    fn fold_match(
        &mut self,
        phase: PhaseId,
        contribution: ContributionId,
        match_id: MatchId,
        agency: AgencyId,
        amount: Decimal,
        sign: Sign,
    ) {
        let delta = sign.of(amount);
        self.with_phase(phase, |state| {
            state.matched = state.matched.saturating_add(delta);
        });
        if let Some(currency) = self.phase_currency(phase) {
            if let Some(state) = self.agencies.get_mut(&agency) {
                let figures = state
                    .phases
                    .entry(phase)
                    .or_insert_with(|| AgencyFigures::empty(currency));
                figures.matched = figures.matched.saturating_add(delta);
            }
        }
        if let Some(state) = self.contributions.get_mut(&contribution) {
            state.matched = state.matched.saturating_add(delta);
            match sign {
                Sign::Post => state.matches.push_back(match_id),
                Sign::Reverse => {
                    if let Some(index) = state.matches.index_of(&match_id) {
                        state.matches.remove(index);
                    }
                    state.reversed_matches.push_back(match_id);
                }
            }
        }
        self.refresh_open(contribution);
    }

    /// Folds an award; `shares` are government, sponsor and own, in that order.
    fn fold_grant(
        &mut self,
        phase: PhaseId,
        grant: GrantId,
        sme: SmeId,
        shares: [Decimal; 3],
        sign: Sign,
    ) {
        let [government, sponsor, own] = shares.map(|share| sign.of(share));
        let funded = government.saturating_add(sponsor);
        self.with_phase(phase, |state| {
            state.awarded_government = state.awarded_government.saturating_add(government);
            state.awarded_sponsor = state.awarded_sponsor.saturating_add(sponsor);
            state.own_share = state.own_share.saturating_add(own);
            state.projects = sign.count(state.projects);
            let in_force = sign.count(state.supported.get(&sme).copied().unwrap_or(0));
            if in_force == 0 {
                state.supported.remove(&sme);
            } else {
                state.supported.insert(sme, in_force);
            }
            state.grants.insert(grant);
        });
        self.with_sme_row(sme, phase, |row| {
            row.awarded = row.awarded.saturating_add(funded);
            row.own_share = row.own_share.saturating_add(own);
            row.projects = sign.count(row.projects);
        });
        if sign == Sign::Reverse {
            if let Some(state) = self.grants.get_mut(&grant) {
                state.reversed = true;
            }
        }
    }

    /// Folds money collected on a clawback: paid back by the SME, like a refund.
    pub(super) fn fold_clawback_collected_figures(
        &mut self,
        phase: PhaseId,
        grant: GrantId,
        sme: SmeId,
        amount: Decimal,
    ) {
        self.fold_payment(phase, grant, sme, amount, Payment::Refund);
    }

    /// Folds money paid out to an SME or paid back by it.
    fn fold_payment(
        &mut self,
        phase: PhaseId,
        grant: GrantId,
        sme: SmeId,
        delta: Decimal,
        payment: Payment,
    ) {
        let pick = |disbursed: &mut Decimal, refunded: &mut Decimal| match payment {
            Payment::Disbursement => *disbursed = disbursed.saturating_add(delta),
            Payment::Refund => *refunded = refunded.saturating_add(delta),
        };
        self.with_phase(phase, |state| {
            pick(&mut state.disbursed, &mut state.refunded)
        });
        if let Some(state) = self.grants.get_mut(&grant) {
            pick(&mut state.disbursed, &mut state.refunded);
        }
        self.with_sme_row(sme, phase, |row| {
            pick(&mut row.disbursed, &mut row.refunded)
        });
    }

    fn phase_currency(&self, phase: PhaseId) -> Option<Currency> {
        self.phases.get(&phase).map(|state| state.currency)
    }

    fn with_phase(&mut self, phase: PhaseId, change: impl FnOnce(&mut PhaseState)) {
        if let Some(state) = self.phases.get_mut(&phase) {
            change(state);
        }
    }

    /// Changes a registered contributor's line for the phase, creating it if needed.
    fn with_contributor(
        &mut self,
        contributor: ContributorId,
        phase: PhaseId,
        change: impl FnOnce(&mut ContributorFigures),
    ) {
        let Some(currency) = self.phase_currency(phase) else {
            return;
        };
        if let Some(state) = self.contributors.get_mut(&contributor) {
            let figures = state
                .phases
                .entry(phase)
                .or_insert_with(|| ContributorFigures::empty(currency));
            change(figures);
        }
    }

    /// Changes a registered SME's row for the phase, creating it if needed.
    fn with_sme_row(&mut self, sme: SmeId, phase: PhaseId, change: impl FnOnce(&mut SmeRow)) {
        let Some(currency) = self.phase_currency(phase) else {
            return;
        };
        if let Some(state) = self.smes.get_mut(&sme) {
            let row = state
                .phases
                .entry(phase)
                .or_insert_with(|| SmeRow::empty(currency));
            change(row);
        }
    }
}

/// Which of an SME's payment figures a payment moves.
#[derive(Debug, Clone, Copy)]
enum Payment {
    Disbursement,
    Refund,
}
