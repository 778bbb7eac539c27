//! The decision state: what the rules need to know, folded from events.
//!
//! Every map is an `imbl` persistent map, so cloning a `State` is a handful of reference
//! count bumps: a snapshot or a witness takes a copy without stopping the writer. An
//! atomic batch is decided in place and taken back through an [`Undo`] log if one of its
//! commands is refused (`undo.rs`).
//!
//! `apply` cannot fail. `decide` refused every command whose events would overflow a
//! total, so the fold uses saturating arithmetic only so that it can never panic, and
//! ignores an event naming something it does not know (such an event was never decided).

use std::sync::Arc;

use imbl::{HashMap, HashSet};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::brn::Brn;
use super::event::*;
use super::ids::*;
use super::settlement::SettlementRules;
use super::view::*;

mod undo;

pub use undo::Undo;

/// Version of `State`'s serialised shape and meaning, for whatever saves a `State` (the
/// ledger's snapshot, the witness's rule checker): bump it whenever `State` changes, so that
/// a saved copy of the old shape is rebuilt from the log instead of misread.
pub const STATE_VERSION: u32 = 2;

/// Everything `decide` consults. Cheap to clone (persistent maps).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    phases: HashMap<PhaseId, Phase>,
    contributors: HashSet<ContributorId>,
    agencies: HashSet<AgencyId>,
    smes: HashMap<SmeId, SmeView>,
    brns: HashMap<Brn, SmeId>,
    /// Every money posting, keyed in the one namespace all posting ids share.
    entries: HashMap<EntryId, Entry>,
    /// Every decided clawback (rule 14).
    clawbacks: HashMap<ClawbackId, ClawbackView>,
}

impl State {
    /// The phase, its configuration and running totals, if it was opened.
    pub fn phase(&self, id: &PhaseId) -> Option<&Phase> {
        self.phases.get(id)
    }

    /// Whether the contributor was registered.
    pub fn has_contributor(&self, id: &ContributorId) -> bool {
        self.contributors.contains(id)
    }

    /// Whether the agency was registered.
    pub fn has_agency(&self, id: &AgencyId) -> bool {
        self.agencies.contains(id)
    }

    /// The SME's attributes, if it was registered.
    pub fn sme(&self, id: &SmeId) -> Option<&SmeView> {
        self.smes.get(id)
    }

    /// The SME registered under this business registration number, if any.
    pub fn sme_by_brn(&self, brn: &Brn) -> Option<SmeId> {
        self.brns.get(brn).copied()
    }

    /// Any money posting by id, whatever its kind.
    pub fn entry(&self, id: &EntryId) -> Option<&Entry> {
        self.entries.get(id)
    }

    /// A pledge, if the id names one.
    pub fn pledge(&self, id: &PledgeId) -> Option<&PledgeView> {
        match self.entries.get(&EntryId::from(*id)) {
            Some(Entry::Pledge(view)) => Some(view),
            _ => None,
        }
    }

    /// A contribution with its match total and status, if the id names one.
    pub fn contribution(&self, id: &ContributionId) -> Option<&ContributionView> {
        match self.entries.get(&EntryId::from(*id)) {
            Some(Entry::Contribution(view)) => Some(view),
            _ => None,
        }
    }

    /// A government match, if the id names one.
    pub fn government_match(&self, id: &MatchId) -> Option<&MatchView> {
        match self.entries.get(&EntryId::from(*id)) {
            Some(Entry::Match(view)) => Some(view),
            _ => None,
        }
    }

    /// A grant with its shares and what was disbursed and refunded, if the id names one.
    pub fn grant(&self, id: &GrantId) -> Option<&GrantView> {
        match self.entries.get(&EntryId::from(*id)) {
            Some(Entry::Grant(view)) => Some(view),
            _ => None,
        }
    }

    /// A disbursement, if the id names one.
    pub fn disbursement(&self, id: &DisbursementId) -> Option<&DisbursementView> {
        match self.entries.get(&EntryId::from(*id)) {
            Some(Entry::Disbursement(view)) => Some(view),
            _ => None,
        }
    }

    /// A refund, if the id names one.
    pub fn refund(&self, id: &RefundId) -> Option<&RefundView> {
        match self.entries.get(&EntryId::from(*id)) {
            Some(Entry::Refund(view)) => Some(view),
            _ => None,
        }
    }

    /// A decided clawback, if the id names one.
    pub fn clawback(&self, id: &ClawbackId) -> Option<&ClawbackView> {
        self.clawbacks.get(id)
    }

    /// Number of phases opened.
    pub fn phase_count(&self) -> usize {
        self.phases.len()
    }

    /// Number of money postings recorded (reversed ones included).
    pub fn entry_count(&self) -> usize {
        self.entries.len()
    }

    /// Folds one event into the state. Cannot fail: events were decided already.
    ///
    /// A key this starts writing must also be named by `touched` (`undo.rs`), or an
    /// atomic batch could not take the change back.
    pub fn apply(&mut self, event: &Event) {
        match event {
            Event::PhaseOpened(e) => self.apply_phase_opened(e),
            Event::PhaseClosed(e) => {
                if let Some(phase) = self.phases.get_mut(&e.phase) {
                    phase.closed = true;
                }
            }
            Event::ContributorRegistered(e) => {
                self.contributors.insert(e.contributor);
            }
            Event::AgencyRegistered(e) => {
                self.agencies.insert(e.agency);
            }
            Event::SmeRegistered(e) => self.apply_sme_registered(e),
            Event::PledgeRecorded(e) => self.apply_pledge(e),
            Event::ContributionRecorded(e) => self.apply_contribution(e),
            Event::MatchRecorded(e) => self.apply_match(e),
            Event::GrantAwarded(e) => self.apply_grant(e),
            Event::DisbursementRecorded(e) => self.apply_disbursement(e),
            Event::RefundRecorded(e) => self.apply_refund(e),
            Event::EntryReversed(e) => self.apply_reversal(e),
            Event::SettlementRulesSet(e) => {
                if let Some(phase) = self.phases.get_mut(&e.phase) {
                    phase.rules = e.rules;
                }
            }
            Event::InterestRecorded(e) => self.with_totals(e.phase, |t| {
                add(&mut t.interest_earned, e.amount.amount());
                add(&mut t.interest_held, e.amount.amount());
                add(&mut t.cash, e.amount.amount());
            }),
            Event::InterestSettled(e) => self.with_totals(e.phase, |t| {
                sub(&mut t.interest_held, e.amount.amount());
                add(&mut t.returned, e.split.returned());
                sub(&mut t.cash, e.split.returned());
            }),
            Event::GrantSettled(e) => self.apply_grant_settled(e),
            Event::ClawbackDecided(e) => self.apply_clawback_decided(e),
            Event::ClawbackCollected(e) => self.apply_clawback_collected(e),
            Event::ClawbackPassedOn(e) => self.apply_clawback_passed_on(e),
        }
    }

    fn apply_clawback_decided(&mut self, e: &ClawbackDecided) {
        let view = ClawbackView {
            grant: e.grant,
            phase: e.phase,
            sme: e.sme,
            amount: e.amount.amount(),
            collected: Decimal::ZERO,
            passed_on: Decimal::ZERO,
        };
        self.clawbacks.insert(e.clawback, view);
        if let Some(Entry::Grant(g)) = self.entry_mut(e.grant) {
            add(&mut g.clawback_outstanding, e.amount.amount());
        }
    }

    /// A collection is money paid back on the grant: a refund in every total.
    fn apply_clawback_collected(&mut self, e: &ClawbackCollected) {
        let amount = e.amount.amount();
        if let Some(c) = self.clawbacks.get_mut(&e.clawback) {
            add(&mut c.collected, amount);
        }
        if let Some(Entry::Grant(g)) = self.entry_mut(e.grant) {
            sub(&mut g.clawback_outstanding, amount);
            add(&mut g.refunded, amount);
        }
        self.with_totals(e.phase, |t| {
            add(&mut t.refunded, amount);
            add(&mut t.cash, amount);
        });
    }

    fn apply_clawback_passed_on(&mut self, e: &ClawbackPassedOn) {
        let parts = e.split.government_part.saturating_add(e.split.sponsor_part);
        if let Some(c) = self.clawbacks.get_mut(&e.clawback) {
            add(&mut c.passed_on, parts);
        }
        self.with_totals(e.phase, |t| {
            add(&mut t.returned, e.split.returned());
            sub(&mut t.cash, e.split.returned());
        });
    }

    fn apply_grant_settled(&mut self, e: &GrantSettled) {
        if let Some(Entry::Grant(g)) = self.entry_mut(e.grant) {
            g.settled = true;
        }
        self.with_totals(e.phase, |t| {
            add(&mut t.returned, e.split.returned());
            sub(&mut t.cash, e.split.returned());
        });
    }

    fn apply_phase_opened(&mut self, e: &PhaseOpened) {
        let phase = Phase {
            opened: Arc::new(e.clone()),
            closed: false,
            totals: PhaseTotals::default(),
            rules: SettlementRules::default_for(e.currency),
        };
        self.phases.insert(e.phase, phase);
    }

    fn apply_sme_registered(&mut self, e: &SmeRegistered) {
        let view = SmeView {
            brn: e.brn,
            supplier: e.supplier,
            channel: e.channel,
            size: e.size,
        };
        self.smes.insert(e.sme, view);
        self.brns.insert(e.brn, e.sme);
    }

    fn apply_pledge(&mut self, e: &PledgeRecorded) {
        let view = PledgeView {
            phase: e.phase,
            contributor: e.contributor,
            amount: e.amount,
            reversed: false,
        };
        self.entries.insert(e.pledge.into(), Entry::Pledge(view));
        self.with_totals(e.phase, |t| add(&mut t.pledged, e.amount.amount()));
    }

    fn apply_contribution(&mut self, e: &ContributionRecorded) {
        let ratio = self
            .phases
            .get(&e.phase)
            .map_or(Decimal::ZERO, Phase::match_ratio);
        let view = ContributionView {
            phase: e.phase,
            contributor: e.contributor,
            amount: e.amount,
            matched: Decimal::ZERO,
            match_limit: e.amount.amount().saturating_mul(ratio),
            reversed: false,
        };
        self.entries
            .insert(e.contribution.into(), Entry::Contribution(view));
        let amount = e.amount.amount();
        self.with_totals(e.phase, |t| {
            add(&mut t.contributed, amount);
            add(&mut t.cash, amount);
        });
    }

    fn apply_match(&mut self, e: &MatchRecorded) {
        let view = MatchView {
            contribution: e.contribution,
            phase: e.phase,
            agency: e.agency,
            amount: e.amount,
            reversed: false,
        };
        self.entries.insert(e.match_id.into(), Entry::Match(view));
        let amount = e.amount.amount();
        if let Some(Entry::Contribution(c)) = self.entry_mut(e.contribution) {
            add(&mut c.matched, amount);
        }
        self.with_totals(e.phase, |t| {
            add(&mut t.matched, amount);
            add(&mut t.cash, amount);
        });
    }

    fn apply_grant(&mut self, e: &GrantAwarded) {
        let view = GrantView {
            phase: e.phase,
            sme: e.sme,
            purpose: e.purpose,
            project_cost: e.project_cost,
            government_share: e.government_share,
            sponsor_share: e.sponsor_share,
            own_share: e.own_share,
            disbursed: Decimal::ZERO,
            refunded: Decimal::ZERO,
            reversed: false,
            settled: false,
            clawback_outstanding: Decimal::ZERO,
        };
        self.entries.insert(e.grant.into(), Entry::Grant(view));
        self.with_totals(e.phase, |t| {
            add(&mut t.government_awarded, e.government_share);
            add(&mut t.sponsor_awarded, e.sponsor_share);
            add(&mut t.own_awarded, e.own_share);
        });
    }

    fn apply_disbursement(&mut self, e: &DisbursementRecorded) {
        let view = DisbursementView {
            grant: e.grant,
            phase: e.phase,
            sme: e.sme,
            amount: e.amount,
            reversed: false,
        };
        self.entries
            .insert(e.disbursement.into(), Entry::Disbursement(view));
        let amount = e.amount.amount();
        if let Some(Entry::Grant(g)) = self.entry_mut(e.grant) {
            add(&mut g.disbursed, amount);
        }
        self.with_totals(e.phase, |t| {
            add(&mut t.disbursed, amount);
            sub(&mut t.cash, amount);
        });
    }

    fn apply_refund(&mut self, e: &RefundRecorded) {
        let view = RefundView {
            grant: e.grant,
            phase: e.phase,
            sme: e.sme,
            amount: e.amount,
            reversed: false,
        };
        self.entries.insert(e.refund.into(), Entry::Refund(view));
        let amount = e.amount.amount();
        if let Some(Entry::Grant(g)) = self.entry_mut(e.grant) {
            add(&mut g.refunded, amount);
        }
        self.with_totals(e.phase, |t| {
            add(&mut t.refunded, amount);
            add(&mut t.cash, amount);
        });
    }

    /// Cancels a posting: marks it reversed and takes it out of every total it is in.
    fn apply_reversal(&mut self, e: &EntryReversed) {
        let Some(entry) = self.entries.get_mut(&e.entry) else {
            return;
        };
        if entry.is_reversed() {
            return;
        }
        entry.mark_reversed();
        let entry = *entry;
        match entry {
            Entry::Pledge(p) => {
                self.with_totals(p.phase, |t| sub(&mut t.pledged, p.amount.amount()));
            }
            Entry::Contribution(c) => {
                let amount = c.amount.amount();
                self.with_totals(c.phase, |t| {
                    sub(&mut t.contributed, amount);
                    sub(&mut t.cash, amount);
                });
            }
            Entry::Match(m) => {
                let amount = m.amount.amount();
                if let Some(Entry::Contribution(c)) = self.entry_mut(m.contribution) {
                    sub(&mut c.matched, amount);
                }
                self.with_totals(m.phase, |t| {
                    sub(&mut t.matched, amount);
                    sub(&mut t.cash, amount);
                });
            }
            Entry::Grant(g) => self.with_totals(g.phase, |t| {
                sub(&mut t.government_awarded, g.government_share);
                sub(&mut t.sponsor_awarded, g.sponsor_share);
                sub(&mut t.own_awarded, g.own_share);
            }),
            Entry::Disbursement(d) => {
                let amount = d.amount.amount();
                if let Some(Entry::Grant(g)) = self.entry_mut(d.grant) {
                    sub(&mut g.disbursed, amount);
                }
                self.with_totals(d.phase, |t| {
                    sub(&mut t.disbursed, amount);
                    add(&mut t.cash, amount);
                });
            }
            Entry::Refund(r) => {
                let amount = r.amount.amount();
                if let Some(Entry::Grant(g)) = self.entry_mut(r.grant) {
                    sub(&mut g.refunded, amount);
                }
                self.with_totals(r.phase, |t| {
                    sub(&mut t.refunded, amount);
                    sub(&mut t.cash, amount);
                });
            }
        }
    }

    /// The posting to update in place, if the fold knows it.
    fn entry_mut(&mut self, id: impl Into<EntryId>) -> Option<&mut Entry> {
        self.entries.get_mut(&id.into())
    }

    /// Updates a phase's totals in place; a phase it does not know is ignored.
    fn with_totals(&mut self, phase: PhaseId, update: impl FnOnce(&mut PhaseTotals)) {
        if let Some(phase) = self.phases.get_mut(&phase) {
            update(&mut phase.totals);
        }
    }
}

/// Adds in the fold. `decide` refused any command whose totals would overflow, so the
/// saturation never bites; it is there so that the fold can never panic.
fn add(total: &mut Decimal, amount: Decimal) {
    *total = total.saturating_add(amount);
}

/// Subtracts in the fold; see [`add`] for why it saturates.
fn sub(total: &mut Decimal, amount: Decimal) {
    *total = total.saturating_sub(amount);
}
