//! Settlement figures (정산): interest earned on a phase's account and what became of it,
//! grants settled and the unspent money they returned, and the remainders the rounding rule
//! kept back. Shown beside the pool, never inside it: interest is not contributed or
//! matched money, and returns leave the fund.
//!
//! # Postings
//!
//! | event | debit | credit |
//! |---|---|---|
//! | interest recorded | `Cash` | `InterestPayable` |
//! | interest returned | `InterestPayable` | `Cash` (returns), `Remainders` (remainder) |
//! | interest kept | `InterestPayable` | `InterestKept` |
//! | grant settled | `GrantsPayable` (unspent) | `Cash` (returns), `Remainders` (remainder) |
//! | clawback collected | `Cash` | `Clawbacks` |
//! | clawback passed on | `Clawbacks` | `Cash` (returns), `Remainders` (remainder) |
//!
//! Settlement events are not entries a reversal can cancel; the fold accepts one when its
//! phase exists and keeps its books in the event's currency (a grant settlement also needs
//! its grant in that phase, settled once), and ignores it otherwise, figures and journal
//! alike.

use imbl::OrdMap;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::journal::{Account, Journal as Lines, Posting};
use super::Projections;
use crate::domain::event::{GrantSettled, InterestSettled};
use crate::domain::{Event, GrantId, PhaseId, RecordedEvent, SettlementRules, SmeId};

/// A phase's settlement figures, in its currency.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhaseSettlement {
    /// The rules later settlements follow; `None` until an administrator sets them (the
    /// currency's minor unit and "return all interest" apply meanwhile).
    pub rules: Option<SettlementRules>,
    /// Interest the phase's account earned.
    pub interest_earned: Decimal,
    /// Interest returned to the government.
    pub interest_returned_government: Decimal,
    /// Interest returned to the sponsor.
    pub interest_returned_sponsor: Decimal,
    /// Interest kept in the fund where the rules allow.
    pub interest_kept: Decimal,
    /// Interest the rounding rule kept back.
    pub interest_remainder: Decimal,
    /// Grants settled.
    pub grants_settled: u64,
    /// Disbursed (spent) on the settled grants.
    pub spent_on_settled: Decimal,
    /// Unspent parts of settled grants (funded − disbursed).
    pub unspent: Decimal,
    /// Unspent money returned to the government.
    pub unspent_returned_government: Decimal,
    /// Unspent money returned to the sponsor.
    pub unspent_returned_sponsor: Decimal,
    /// Unspent money the rounding rule kept back.
    pub unspent_remainder: Decimal,
    /// Clawbacks decided (환수 결정).
    pub clawbacks_decided: Decimal,
    /// Clawback money collected (counted in `refunded` too).
    pub clawbacks_collected: Decimal,
    /// Collected clawback money passed on (returns and remainder).
    pub clawbacks_passed_on: Decimal,
    /// Clawback money passed on to the government.
    pub clawback_returned_government: Decimal,
    /// Clawback money passed on to the sponsor.
    pub clawback_returned_sponsor: Decimal,
    /// Clawback money the rounding rule kept back.
    pub clawback_remainder: Decimal,
}

impl PhaseSettlement {
    /// Interest not yet returned or kept: earned − returned − kept − remainder.
    pub fn interest_held(&self) -> Decimal {
        self.interest_earned
            .saturating_sub(self.interest_returned_government)
            .saturating_sub(self.interest_returned_sponsor)
            .saturating_sub(self.interest_kept)
            .saturating_sub(self.interest_remainder)
    }

    /// Money that left the fund back to the government and the sponsor.
    pub fn returned(&self) -> Decimal {
        self.interest_returned_government
            .saturating_add(self.interest_returned_sponsor)
            .saturating_add(self.unspent_returned_government)
            .saturating_add(self.unspent_returned_sponsor)
            .saturating_add(self.clawback_returned_government)
            .saturating_add(self.clawback_returned_sponsor)
    }

    /// Remainders of every kind, held in the fund's cash.
    pub fn remainders(&self) -> Decimal {
        self.interest_remainder
            .saturating_add(self.unspent_remainder)
            .saturating_add(self.clawback_remainder)
    }

    /// Clawbacks decided and not yet collected.
    pub fn clawbacks_outstanding(&self) -> Decimal {
        self.clawbacks_decided
            .saturating_sub(self.clawbacks_collected)
    }

    /// Clawback money collected and not yet passed on.
    pub fn clawbacks_held(&self) -> Decimal {
        self.clawbacks_collected
            .saturating_sub(self.clawbacks_passed_on)
    }
}

/// One settled grant, as a settlement report lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantSettlement {
    pub grant: GrantId,
    pub phase: PhaseId,
    pub sme: SmeId,
    /// Sequence of the GrantSettled event.
    pub sequence: u64,
    pub settled: GrantSettled,
}

impl Projections {
    /// Folds a settlement event into the figures and the journal; other events are left
    /// to the rest of the fold. Called by `apply` for every event.
    pub(super) fn apply_settlement(&mut self, recorded: &RecordedEvent) {
        let (event, sequence) = (&recorded.event, recorded.sequence);
        let Some(postings) = self.settlement_postings(event) else {
            return;
        };
        let Some(phase) = event.phase() else {
            return;
        };
        if let Some(state) = self.phases.get_mut(&phase) {
            fold_figures(&mut state.settlement, event);
        }
        let on = recorded.meta.effective_date;
        match event {
            Event::ClawbackDecided(e) => self.fold_clawback_decided(e, on),
            Event::ClawbackCollected(e) => self.fold_clawback_collected(e, on),
            Event::ClawbackPassedOn(e) => self.fold_clawback_passed_on(e),
            _ => {}
        }
        if let Event::GrantSettled(e) = event {
            let record = GrantSettlement {
                grant: e.grant,
                phase: e.phase,
                sme: e.sme,
                sequence,
                settled: e.clone(),
            };
            self.settled_grants.insert(e.grant, record);
        }
        self.post_journal(&postings);
    }

    /// The postings of a settlement event the fold accepts, or `None` (not a settlement
    /// event, or one the fold ignores; see the module documentation).
    pub(super) fn settlement_postings(&self, event: &Event) -> Option<Vec<Posting>> {
        let phase = event.phase()?;
        let state = self.phases.get(&phase)?;
        self.clawback_accepted(event).then_some(())?;
        let currency = state.currency;
        let mut lines = Lines {
            phase,
            currency,
            lines: Vec::with_capacity(4),
        };
        match event {
            Event::SettlementRulesSet(_) => {}
            Event::InterestRecorded(e) => {
                (e.amount.currency() == currency).then_some(())?;
                lines.pair(Account::Cash, Account::InterestPayable, e.amount.amount());
            }
            Event::InterestSettled(e) => {
                (e.amount.currency() == currency).then_some(())?;
                interest_settled_lines(&mut lines, e);
            }
            Event::GrantSettled(e) => {
                let grant = self.grants.get(&e.grant)?;
                let fresh = !self.settled_grants.contains_key(&e.grant);
                (grant.phase == phase && fresh).then_some(())?;
                lines.pair(Account::GrantsPayable, Account::Cash, e.split.returned());
                lines.pair(
                    Account::GrantsPayable,
                    Account::Remainders,
                    e.split.remainder(),
                );
            }
            Event::ClawbackDecided(e) => (e.amount.currency() == currency).then_some(())?,
            Event::ClawbackCollected(e) => {
                (e.amount.currency() == currency).then_some(())?;
                lines.pair(Account::Cash, Account::Clawbacks, e.amount.amount());
            }
            Event::ClawbackPassedOn(e) => {
                lines.pair(Account::Clawbacks, Account::Cash, e.split.returned());
                lines.pair(Account::Clawbacks, Account::Remainders, e.split.remainder());
            }
            _ => return None,
        }
        Some(lines.lines)
    }

    /// The settlement figures of a phase, or `None` if it was never opened.
    pub fn phase_settlement(&self, phase: &PhaseId) -> Option<PhaseSettlement> {
        self.phases.get(phase).map(|state| state.settlement.clone())
    }

    /// The settlement of a grant, if it was settled.
    pub fn grant_settlement(&self, grant: &GrantId) -> Option<&GrantSettlement> {
        self.settled_grants.get(grant)
    }

    /// Every settled grant of a phase, by grant id.
    pub fn settled_grants_of(&self, phase: &PhaseId) -> Vec<&GrantSettlement> {
        self.settled_grants
            .values()
            .filter(|settled| settled.phase == *phase)
            .collect()
    }
}

/// The lines of returned or kept interest.
fn interest_settled_lines(lines: &mut Lines, e: &InterestSettled) {
    if e.kept {
        lines.pair(
            Account::InterestPayable,
            Account::InterestKept,
            e.amount.amount(),
        );
        return;
    }
    lines.pair(Account::InterestPayable, Account::Cash, e.split.returned());
    lines.pair(
        Account::InterestPayable,
        Account::Remainders,
        e.split.remainder(),
    );
}

/// Adds a settlement event's amounts to the phase's figures.
fn fold_figures(figures: &mut PhaseSettlement, event: &Event) {
    let add = |total: &mut Decimal, amount: Decimal| *total = total.saturating_add(amount);
    match event {
        Event::SettlementRulesSet(e) => figures.rules = Some(e.rules),
        Event::InterestRecorded(e) => add(&mut figures.interest_earned, e.amount.amount()),
        Event::InterestSettled(e) if e.kept => add(&mut figures.interest_kept, e.amount.amount()),
        Event::InterestSettled(e) => {
            add(
                &mut figures.interest_returned_government,
                e.split.government_returned,
            );
            add(
                &mut figures.interest_returned_sponsor,
                e.split.sponsor_returned,
            );
            add(&mut figures.interest_remainder, e.split.remainder());
        }
        Event::GrantSettled(e) => {
            figures.grants_settled = figures.grants_settled.saturating_add(1);
            add(&mut figures.spent_on_settled, e.disbursed);
            add(&mut figures.unspent, e.unspent());
            add(
                &mut figures.unspent_returned_government,
                e.split.government_returned,
            );
            add(
                &mut figures.unspent_returned_sponsor,
                e.split.sponsor_returned,
            );
            add(&mut figures.unspent_remainder, e.split.remainder());
        }
        Event::ClawbackDecided(e) => add(&mut figures.clawbacks_decided, e.amount.amount()),
        Event::ClawbackCollected(e) => add(&mut figures.clawbacks_collected, e.amount.amount()),
        Event::ClawbackPassedOn(e) => {
            let parts = e.split.government_part.saturating_add(e.split.sponsor_part);
            add(&mut figures.clawbacks_passed_on, parts);
            add(
                &mut figures.clawback_returned_government,
                e.split.government_returned,
            );
            add(
                &mut figures.clawback_returned_sponsor,
                e.split.sponsor_returned,
            );
            add(&mut figures.clawback_remainder, e.split.remainder());
        }
        _ => {}
    }
}

/// Settled grants by id; a type alias so that `Projections` names it in one place.
pub(super) type SettledGrants = OrdMap<GrantId, GrantSettlement>;
