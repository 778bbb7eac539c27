//! What each contributor and each agency paid in, per phase and in total.

use imbl::OrdMap;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::Projections;
use crate::domain::{AgencyId, ContributorId, Currency, PhaseId};

/// A contributor's figures in one currency (one phase, or the total of its phases).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContributorFigures {
    pub currency: Currency,
    /// Promised, net of reversed pledges.
    pub pledged: Decimal,
    /// Paid in, net of reversed contributions.
    pub contributed: Decimal,
}

/// A contributor and what it pledged and paid in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContributorBalances {
    pub contributor: ContributorId,
    pub name: String,
    /// One line per phase it posted in, by phase id.
    pub phases: Vec<(PhaseId, ContributorFigures)>,
    /// One line per currency.
    pub totals: Vec<ContributorFigures>,
}

/// An agency's figures in one currency (one phase, or the total of its phases).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgencyFigures {
    pub currency: Currency,
    /// Government money paid in against contributions, net of reversed matches.
    pub matched: Decimal,
}

/// An agency and what it matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgencyBalances {
    pub agency: AgencyId,
    pub name: String,
    /// One line per phase it matched in, by phase id.
    pub phases: Vec<(PhaseId, AgencyFigures)>,
    /// One line per currency.
    pub totals: Vec<AgencyFigures>,
}

/// What the fold keeps per contributor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct ContributorState {
    pub(super) name: String,
    pub(super) phases: OrdMap<PhaseId, ContributorFigures>,
}

/// What the fold keeps per agency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct AgencyState {
    pub(super) name: String,
    pub(super) phases: OrdMap<PhaseId, AgencyFigures>,
}

impl ContributorFigures {
    pub(super) fn empty(currency: Currency) -> ContributorFigures {
        ContributorFigures {
            currency,
            pledged: Decimal::ZERO,
            contributed: Decimal::ZERO,
        }
    }
}

impl AgencyFigures {
    pub(super) fn empty(currency: Currency) -> AgencyFigures {
        AgencyFigures {
            currency,
            matched: Decimal::ZERO,
        }
    }
}

impl Projections {
    /// A contributor's pledges and contributions, or `None` if it was never registered.
    pub fn contributor(&self, id: &ContributorId) -> Option<ContributorBalances> {
        let state = self.contributors.get(id)?;
        let phases: Vec<(PhaseId, ContributorFigures)> = state
            .phases
            .iter()
            .map(|(phase, figures)| (*phase, figures.clone()))
            .collect();
        let totals = totals_by_currency(
            &phases,
            |figures| figures.currency,
            |total, figures| {
                total.pledged = total.pledged.saturating_add(figures.pledged);
                total.contributed = total.contributed.saturating_add(figures.contributed);
            },
        );
        Some(ContributorBalances {
            contributor: *id,
            name: state.name.clone(),
            phases,
            totals,
        })
    }

    /// An agency's matches, or `None` if it was never registered.
    pub fn agency(&self, id: &AgencyId) -> Option<AgencyBalances> {
        let state = self.agencies.get(id)?;
        let phases: Vec<(PhaseId, AgencyFigures)> = state
            .phases
            .iter()
            .map(|(phase, figures)| (*phase, figures.clone()))
            .collect();
        let totals = totals_by_currency(
            &phases,
            |figures| figures.currency,
            |total, figures| {
                total.matched = total.matched.saturating_add(figures.matched);
            },
        );
        Some(AgencyBalances {
            agency: *id,
            name: state.name.clone(),
            phases,
            totals,
        })
    }
}

/// Adds per-phase lines into one line per currency, ordered by currency.
pub(super) fn totals_by_currency<T: Clone>(
    phases: &[(PhaseId, T)],
    currency: fn(&T) -> Currency,
    add: fn(&mut T, &T),
) -> Vec<T> {
    let mut totals: Vec<T> = Vec::new();
    for (_, figures) in phases {
        match totals.iter_mut().find(|t| currency(t) == currency(figures)) {
            Some(total) => add(total, figures),
            None => totals.push(figures.clone()),
        }
    }
    totals.sort_by_key(currency);
    totals
}
