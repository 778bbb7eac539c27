//! Per-SME figures, per phase and in total, and the paged list of SMEs.
//!
//! *Outstanding* is the funded part of an SME's awards still to be paid out:
//! awarded − disbursed. A refund (clawback) is money the SME paid back because it broke
//! its obligations; it does not reopen the award, so it does not raise what is
//! outstanding. It is shown beside the disbursements, and `disbursed − refunded` is what
//! the SME kept.

use imbl::OrdMap;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::participants::totals_by_currency;
use super::Projections;
use crate::domain::event::SmeRegistered;
use crate::domain::{ApplicationChannel, Brn, Currency, Money, PhaseId, Purpose, SizeClass, SmeId};
use crate::limits::PAGE_ITEMS_MAX;

/// An SME's figures in one currency (one phase, or the total of its phases in that currency).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmeFigures {
    pub currency: Currency,
    /// Funded part (government + sponsor shares) of its grants in force.
    pub awarded: Decimal,
    /// Its own shares of those projects (recorded, not paid from the pool).
    pub own_share: Decimal,
    /// Paid out to it.
    pub disbursed: Decimal,
    /// Paid back by it (clawback).
    pub refunded: Decimal,
    /// Funded part still to be paid out: awarded − disbursed (see the module documentation).
    pub outstanding: Decimal,
    /// Grants (support projects) in force.
    pub projects: u64,
}

/// An SME: its registration and its figures per phase and in total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmeBalances {
    pub sme: SmeId,
    pub brn: Brn,
    pub name: String,
    /// Whether it supplies the sponsor.
    pub supplier: bool,
    pub channel: ApplicationChannel,
    pub size: SizeClass,
    /// One line per currency of the phases it has grants in (one line in practice).
    pub totals: Vec<SmeFigures>,
    /// One line per phase it has (or had) a grant in, by phase id.
    pub phases: Vec<(PhaseId, SmeFigures)>,
}

/// Orders of the SME list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SmeOrder {
    /// By name, then BRN.
    ByName,
    /// Largest funded award first, then by name.
    ByAwardedDesc,
    /// Largest disbursement first, then by name.
    ByDisbursedDesc,
    /// By business registration number.
    ByBrn,
}

/// What the fold keeps per SME.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct SmeState {
    pub(super) brn: Brn,
    pub(super) name: String,
    pub(super) supplier: bool,
    pub(super) channel: ApplicationChannel,
    pub(super) size: SizeClass,
    pub(super) phases: OrdMap<PhaseId, SmeRow>,
}

/// An SME's running figures in one phase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct SmeRow {
    pub(super) currency: Currency,
    pub(super) awarded: Decimal,
    pub(super) own_share: Decimal,
    pub(super) disbursed: Decimal,
    pub(super) refunded: Decimal,
    pub(super) projects: u64,
}

/// What the fold keeps per grant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct GrantState {
    pub(super) phase: PhaseId,
    pub(super) sme: SmeId,
    pub(super) purpose: Purpose,
    pub(super) support_type: String,
    pub(super) project_cost: Money,
    pub(super) government: Decimal,
    pub(super) sponsor: Decimal,
    pub(super) own: Decimal,
    pub(super) disbursed: Decimal,
    pub(super) refunded: Decimal,
    pub(super) reversed: bool,
}

impl SmeState {
    /// An SME as registered, with no grants yet.
    pub(super) fn registered(event: &SmeRegistered) -> SmeState {
        SmeState {
            brn: event.brn,
            name: event.name.clone(),
            supplier: event.supplier,
            channel: event.channel,
            size: event.size,
            phases: OrdMap::new(),
        }
    }

    /// The public view of this SME.
    fn balances(&self, sme: SmeId) -> SmeBalances {
        let phases: Vec<(PhaseId, SmeFigures)> = self
            .phases
            .iter()
            .map(|(phase, row)| (*phase, row.figures()))
            .collect();
        let totals = totals_by_currency(&phases, |figures| figures.currency, SmeFigures::add);
        SmeBalances {
            sme,
            brn: self.brn,
            name: self.name.clone(),
            supplier: self.supplier,
            channel: self.channel,
            size: self.size,
            totals,
            phases,
        }
    }

    /// Sum of one figure over the phase given, or over all phases. Sums over phases of
    /// different currencies only serve to order the list; programmes use one currency.
    fn figure(&self, phase: Option<PhaseId>, pick: fn(&SmeRow) -> Decimal) -> Decimal {
        match phase {
            Some(phase) => self.phases.get(&phase).map_or(Decimal::ZERO, pick),
            None => self
                .phases
                .values()
                .fold(Decimal::ZERO, |sum, row| sum.saturating_add(pick(row))),
        }
    }
}

impl SmeRow {
    /// An empty row in the phase currency.
    pub(super) fn empty(currency: Currency) -> SmeRow {
        SmeRow {
            currency,
            awarded: Decimal::ZERO,
            own_share: Decimal::ZERO,
            disbursed: Decimal::ZERO,
            refunded: Decimal::ZERO,
            projects: 0,
        }
    }

    fn figures(&self) -> SmeFigures {
        SmeFigures {
            currency: self.currency,
            awarded: self.awarded,
            own_share: self.own_share,
            disbursed: self.disbursed,
            refunded: self.refunded,
            outstanding: self.awarded.saturating_sub(self.disbursed),
            projects: self.projects,
        }
    }
}

impl SmeFigures {
    fn add(&mut self, other: &SmeFigures) {
        self.awarded = self.awarded.saturating_add(other.awarded);
        self.own_share = self.own_share.saturating_add(other.own_share);
        self.disbursed = self.disbursed.saturating_add(other.disbursed);
        self.refunded = self.refunded.saturating_add(other.refunded);
        self.outstanding = self.outstanding.saturating_add(other.outstanding);
        self.projects = self.projects.saturating_add(other.projects);
    }
}

impl Projections {
    /// One SME's registration and figures, or `None` if it was never registered.
    pub fn sme(&self, id: &SmeId) -> Option<SmeBalances> {
        self.smes.get(id).map(|state| state.balances(*id))
    }

    /// A page of SMEs and the number of SMEs in the list. With a phase, the list holds the
    /// SMEs that were awarded a grant in it (reversed ones included, so a cancelled award
    /// stays visible with its zero figures) and orders by that phase's figures; without,
    /// every registered SME, ordered by totals. `limit` is capped at [`PAGE_ITEMS_MAX`].
    pub fn smes(
        &self,
        phase: Option<PhaseId>,
        order: SmeOrder,
        offset: usize,
        limit: usize,
    ) -> (Vec<SmeBalances>, u64) {
        let mut listed: Vec<(&SmeId, &SmeState)> = self
            .smes
            .iter()
            .filter(|(_, state)| phase.is_none_or(|phase| state.phases.contains_key(&phase)))
            .collect();
        let total = listed.len() as u64;
        listed.sort_by(|(left_id, left), (right_id, right)| {
            let by_name =
                || (&left.name, left.brn, left_id).cmp(&(&right.name, right.brn, right_id));
            let by_figure = |pick: fn(&SmeRow) -> Decimal| {
                right
                    .figure(phase, pick)
                    .cmp(&left.figure(phase, pick))
                    .then_with(by_name)
            };
            match order {
                SmeOrder::ByName => by_name(),
                SmeOrder::ByBrn => (left.brn, left_id).cmp(&(right.brn, right_id)),
                SmeOrder::ByAwardedDesc => by_figure(|row| row.awarded),
                SmeOrder::ByDisbursedDesc => by_figure(|row| row.disbursed),
            }
        });
        let page = listed
            .into_iter()
            .skip(offset)
            .take(limit.min(PAGE_ITEMS_MAX))
            .map(|(id, state)| state.balances(*id))
            .collect();
        (page, total)
    }
}
