//! Per-phase balances: the pool (contributions and matches), what was awarded from it,
//! paid out and paid back, and what is left.

use chrono::NaiveDate;
use imbl::{OrdMap, OrdSet};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::journal::AccountBalances;
use super::settlement::PhaseSettlement;
use super::Projections;
use crate::domain::event::PhaseOpened;
use crate::domain::{ContributionId, Currency, GrantId, PhaseId, SmeId};

/// Whether a phase still takes pledges, contributions and awards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PhaseStatus {
    Open,
    Closed,
}

impl PhaseStatus {
    /// Stable lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            PhaseStatus::Open => "open",
            PhaseStatus::Closed => "closed",
        }
    }
}

/// The balances of one phase, all in its currency and net of reversals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhaseBalances {
    pub phase: PhaseId,
    pub name: String,
    pub currency: Currency,
    pub status: PhaseStatus,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub match_ratio: Decimal,
    /// Promised by contributors.
    pub pledged: Decimal,
    /// Paid in by contributors.
    pub contributed: Decimal,
    /// Paid in by agencies against contributions.
    pub matched: Decimal,
    /// Government money still allowed: ratio × contributed − matched, never below zero.
    pub match_outstanding: Decimal,
    /// Contributed + matched.
    pub pool: Decimal,
    /// Funded part of the awards: government + sponsor shares.
    pub awarded: Decimal,
    /// Government shares of the awards.
    pub awarded_government: Decimal,
    /// Sponsor shares of the awards.
    pub awarded_sponsor: Decimal,
    /// The SMEs' own shares of the awarded projects (recorded, not paid from the pool).
    pub own_share: Decimal,
    /// Paid out to SMEs.
    pub disbursed: Decimal,
    /// Paid back by SMEs (clawback).
    pub refunded: Decimal,
    /// Money held: pool − disbursed + refunded + interest earned − returned.
    pub cash: Decimal,
    /// Pool not yet committed to awards: pool − awarded.
    pub uncommitted: Decimal,
    /// Distinct SMEs with at least one grant in force.
    pub smes_supported: u64,
    /// Grants (support projects) in force.
    pub projects: u64,
    /// Interest, settled grants, returns and remainders, beside the pool.
    pub settlement: PhaseSettlement,
}

/// What the fold keeps per phase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct PhaseState {
    /// Sequence number of the event that opened it.
    pub(super) opened_sequence: u64,
    pub(super) name: String,
    pub(super) currency: Currency,
    pub(super) status: PhaseStatus,
    pub(super) starts_on: NaiveDate,
    pub(super) ends_on: NaiveDate,
    pub(super) match_ratio: Decimal,
    /// Codes of the configured support types, in configured order (for reports).
    pub(super) support_types: Vec<String>,
    pub(super) pledged: Decimal,
    pub(super) contributed: Decimal,
    pub(super) matched: Decimal,
    pub(super) awarded_government: Decimal,
    pub(super) awarded_sponsor: Decimal,
    pub(super) own_share: Decimal,
    pub(super) disbursed: Decimal,
    pub(super) refunded: Decimal,
    pub(super) projects: u64,
    /// Grants in force per SME; an SME leaves the map when its last grant is reversed,
    /// so the map's length is the number of SMEs supported.
    pub(super) supported: OrdMap<SmeId, u64>,
    /// Every grant ever awarded in the phase, reversed ones included.
    pub(super) grants: OrdSet<GrantId>,
    /// Contributions still to be matched, keyed by the sequence that recorded them.
    pub(super) open_contributions: OrdSet<(u64, ContributionId)>,
    /// The phase's double-entry accounts.
    pub(super) accounts: AccountBalances,
    /// Interest, settlements and returns.
    pub(super) settlement: PhaseSettlement,
}

impl PhaseState {
    /// A phase as opened, with nothing in it yet.
    pub(super) fn opened(event: &PhaseOpened, sequence: u64) -> PhaseState {
        PhaseState {
            opened_sequence: sequence,
            name: event.name.clone(),
            currency: event.currency,
            status: PhaseStatus::Open,
            starts_on: event.starts_on,
            ends_on: event.ends_on,
            match_ratio: event.match_ratio,
            support_types: event.support_types.iter().map(|t| t.code.clone()).collect(),
            pledged: Decimal::ZERO,
            contributed: Decimal::ZERO,
            matched: Decimal::ZERO,
            awarded_government: Decimal::ZERO,
            awarded_sponsor: Decimal::ZERO,
            own_share: Decimal::ZERO,
            disbursed: Decimal::ZERO,
            refunded: Decimal::ZERO,
            projects: 0,
            supported: OrdMap::new(),
            grants: OrdSet::new(),
            open_contributions: OrdSet::new(),
            accounts: AccountBalances::default(),
            settlement: PhaseSettlement::default(),
        }
    }

    /// Funded part of the awards in force.
    pub(super) fn awarded(&self) -> Decimal {
        self.awarded_government.saturating_add(self.awarded_sponsor)
    }

    /// Contributed + matched.
    pub(super) fn pool(&self) -> Decimal {
        self.contributed.saturating_add(self.matched)
    }

    /// Pool − disbursed + refunded + interest earned − returned to the government and
    /// the sponsor.
    pub(super) fn cash(&self) -> Decimal {
        self.pool()
            .saturating_sub(self.disbursed)
            .saturating_add(self.refunded)
            .saturating_add(self.settlement.interest_earned)
            .saturating_sub(self.settlement.returned())
    }

    /// The public view of this phase.
    fn balances(&self, phase: PhaseId) -> PhaseBalances {
        let match_limit = self.match_ratio.saturating_mul(self.contributed);
        let match_outstanding = match_limit.saturating_sub(self.matched).max(Decimal::ZERO);
        PhaseBalances {
            phase,
            name: self.name.clone(),
            currency: self.currency,
            status: self.status,
            starts_on: self.starts_on,
            ends_on: self.ends_on,
            match_ratio: self.match_ratio,
            pledged: self.pledged,
            contributed: self.contributed,
            matched: self.matched,
            match_outstanding,
            pool: self.pool(),
            awarded: self.awarded(),
            awarded_government: self.awarded_government,
            awarded_sponsor: self.awarded_sponsor,
            own_share: self.own_share,
            disbursed: self.disbursed,
            refunded: self.refunded,
            cash: self.cash(),
            uncommitted: self.pool().saturating_sub(self.awarded()),
            smes_supported: self.supported.len() as u64,
            projects: self.projects,
            settlement: self.settlement.clone(),
        }
    }
}

impl Projections {
    /// The balances of one phase, or `None` if it was never opened.
    pub fn phase(&self, id: &PhaseId) -> Option<PhaseBalances> {
        self.phases.get(id).map(|state| state.balances(*id))
    }

    /// Sequence number of the event that opened the phase, or `None` if it never was.
    pub fn phase_opened_at(&self, id: &PhaseId) -> Option<u64> {
        self.phases.get(id).map(|state| state.opened_sequence)
    }

    /// The balances of every phase, ordered by phase id (ids are time-ordered UUIDs, so
    /// this is the order the phases were created in).
    pub fn phases(&self) -> Vec<PhaseBalances> {
        self.phases
            .iter()
            .map(|(id, state)| state.balances(*id))
            .collect()
    }
}
