//! What the ledger's balances must show once the whole generated programme is loaded.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::domain::PhaseId;

/// Expected figures of one phase after every generated command is applied. Amounts are
/// in won and net of reversals (a reversed duplicate disbursement counts for nothing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhaseSummary {
    pub phase: PhaseId,
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// The day the phase is closed (after its last posting).
    pub closed_on: NaiveDate,
    pub pledged: Decimal,
    pub contributed: Decimal,
    pub matched: Decimal,
    /// Government shares of all awards.
    pub awarded_government: Decimal,
    /// Sponsor shares of all awards.
    pub awarded_sponsor: Decimal,
    /// SMEs' own shares (recorded, never paid from the pool).
    pub own_share: Decimal,
    pub disbursed: Decimal,
    pub refunded: Decimal,
    /// Distinct SMEs with at least one project in the phase.
    pub smes: u64,
    /// Of those, SMEs that do not supply the sponsor.
    pub non_supplier_smes: u64,
    /// Projects (grants) awarded in the phase.
    pub projects: u64,
    /// Projects of the small-enterprise type (type 2).
    pub type2_projects: u64,
    /// Reversals recorded in the phase.
    pub reversals: u64,
    /// Clawbacks recorded in the phase.
    pub refunds: u64,
}

impl PhaseSummary {
    /// The funded part of all awards: government plus sponsor shares.
    pub fn awarded(&self) -> Decimal {
        self.awarded_government + self.awarded_sponsor
    }

    /// The pool: contributions plus matches.
    pub fn pool(&self) -> Decimal {
        self.contributed + self.matched
    }

    /// Cash held: pool − disbursed + refunded.
    pub fn cash(&self) -> Decimal {
        self.pool() - self.disbursed + self.refunded
    }

    /// Share of the phase's SMEs that are not suppliers, in percent (0 with no SMEs).
    pub fn non_supplier_percent(&self) -> Decimal {
        if self.smes == 0 {
            return Decimal::ZERO;
        }
        Decimal::from(self.non_supplier_smes * 100) / Decimal::from(self.smes)
    }
}

/// Expected figures of the whole programme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgrammeSummary {
    /// One entry per phase, in the order they open.
    pub phases: Vec<PhaseSummary>,
    /// Commands in the programme.
    pub commands: u64,
    /// Distinct SMEs registered over all phases.
    pub smes_registered: u64,
}
