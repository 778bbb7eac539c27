//! The clawback lifecycle (환수) as the settlement officer and the auditor see it: each
//! clawback decided, what was collected, what was passed on, and — as of a business date —
//! how many days it is overdue and how long collected money has been held without being
//! passed on (an audit finding when it is long).
//!
//! A collection is money paid back on the grant and counts as refunded in the phase and
//! SME figures; passing it on takes it out of the fund's cash.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::Projections;
use crate::domain::event::{ClawbackCollected, ClawbackDecided, ClawbackPassedOn};
use crate::domain::{ClawbackId, GrantId, PhaseId, SmeId};

/// One clawback and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClawbackStatus {
    pub clawback: ClawbackId,
    pub grant: GrantId,
    pub phase: PhaseId,
    pub sme: SmeId,
    pub amount: Decimal,
    pub reason: String,
    /// The business date it was decided on.
    pub decided_on: NaiveDate,
    /// The deadline for the SME.
    pub due_on: NaiveDate,
    pub collected: Decimal,
    /// Collected money passed on (returns and remainder together).
    pub passed_on: Decimal,
    pub returned_government: Decimal,
    pub returned_sponsor: Decimal,
    /// What the rounding rule kept back when passing on.
    pub remainder: Decimal,
    /// The business date of the earliest collection not yet passed on.
    pub held_since: Option<NaiveDate>,
}

impl ClawbackStatus {
    /// Decided − collected: what the SME still owes.
    pub fn outstanding(&self) -> Decimal {
        self.amount.saturating_sub(self.collected)
    }

    /// Collected − passed on: what the fund holds and must pass on.
    pub fn held(&self) -> Decimal {
        self.collected.saturating_sub(self.passed_on)
    }

    /// Days past the deadline on `on` while something is still owed; `None` when nothing
    /// is owed or the deadline has not passed.
    pub fn overdue_days(&self, on: NaiveDate) -> Option<i64> {
        let days = (on - self.due_on).num_days();
        (self.outstanding() > Decimal::ZERO && days > 0).then_some(days)
    }

    /// Days collected money has been held on `on` without being passed on; `None` when
    /// nothing is held.
    pub fn held_days(&self, on: NaiveDate) -> Option<i64> {
        let since = self.held_since?;
        (self.held() > Decimal::ZERO).then(|| (on - since).num_days().max(0))
    }
}

impl Projections {
    /// Every clawback of a phase, by id.
    pub fn clawbacks_of(&self, phase: &PhaseId) -> Vec<&ClawbackStatus> {
        self.clawbacks
            .values()
            .filter(|clawback| clawback.phase == *phase)
            .collect()
    }

    /// One clawback, if decided.
    pub fn clawback(&self, id: &ClawbackId) -> Option<&ClawbackStatus> {
        self.clawbacks.get(id)
    }

    /// Whether the fold accepts this clawback event (see `settlement.rs`).
    pub(super) fn clawback_accepted(&self, event: &crate::domain::Event) -> bool {
        use crate::domain::Event;
        match event {
            Event::ClawbackDecided(e) => {
                !self.clawbacks.contains_key(&e.clawback)
                    && self
                        .grants
                        .get(&e.grant)
                        .is_some_and(|g| g.phase == e.phase)
            }
            Event::ClawbackCollected(e) => self
                .clawbacks
                .get(&e.clawback)
                .is_some_and(|c| c.phase == e.phase && c.grant == e.grant),
            Event::ClawbackPassedOn(e) => self
                .clawbacks
                .get(&e.clawback)
                .is_some_and(|c| c.phase == e.phase && c.grant == e.grant),
            _ => true,
        }
    }

    pub(super) fn fold_clawback_decided(&mut self, e: &ClawbackDecided, on: NaiveDate) {
        let status = ClawbackStatus {
            clawback: e.clawback,
            grant: e.grant,
            phase: e.phase,
            sme: e.sme,
            amount: e.amount.amount(),
            reason: e.reason.clone(),
            decided_on: on,
            due_on: e.due_on,
            collected: Decimal::ZERO,
            passed_on: Decimal::ZERO,
            returned_government: Decimal::ZERO,
            returned_sponsor: Decimal::ZERO,
            remainder: Decimal::ZERO,
            held_since: None,
        };
        self.clawbacks.insert(e.clawback, status);
    }

    pub(super) fn fold_clawback_collected(&mut self, e: &ClawbackCollected, on: NaiveDate) {
        if let Some(status) = self.clawbacks.get_mut(&e.clawback) {
            status.collected = status.collected.saturating_add(e.amount.amount());
            status.held_since.get_or_insert(on);
        }
        self.fold_clawback_collected_figures(e.phase, e.grant, e.sme, e.amount.amount());
    }

    pub(super) fn fold_clawback_passed_on(&mut self, e: &ClawbackPassedOn) {
        if let Some(status) = self.clawbacks.get_mut(&e.clawback) {
            let parts = e.split.government_part.saturating_add(e.split.sponsor_part);
            let add = |total: &mut Decimal, amount: Decimal| *total = total.saturating_add(amount);
            add(&mut status.passed_on, parts);
            add(&mut status.returned_government, e.split.government_returned);
            add(&mut status.returned_sponsor, e.split.sponsor_returned);
            add(&mut status.remainder, e.split.remainder());
            if status.held().is_zero() {
                status.held_since = None;
            }
        }
    }
}
