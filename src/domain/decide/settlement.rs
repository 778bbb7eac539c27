//! Settlement (정산): a phase's settlement rules, interest on its account (rule 12) and the
//! settlement of a grant whose project ended (rule 13). All allowed on a closed phase:
//! interest accrues and projects end after the phase stops taking awards.
//!
//! Returns are split between the government and the sponsor pro rata (interest by what
//! each paid into the phase, a grant's unspent part by its shares) and rounded down to the
//! phase's rounding unit; what rounding cuts off is recorded as the remainder.

use rust_decimal::Decimal;

use super::check;
use crate::domain::error::RuleViolation;
use crate::domain::event::*;
use crate::domain::ids::*;
use crate::domain::money::Money;
use crate::domain::settlement::{self, SettlementRules, Split, SplitError};
use crate::domain::state::State;

/// Sets how a phase settles. Later settlements use the new rules; earlier ones keep the
/// rules they name.
pub fn set_rules(
    state: &State,
    phase_id: &PhaseId,
    rounding_unit: Decimal,
    interest_may_be_kept: bool,
) -> Result<Vec<Event>, RuleViolation> {
    let phase = check::phase(state, phase_id)?;
    if let Some(reason) = settlement::rounding_unit_error(rounding_unit, phase.currency()) {
        return Err(check::invalid("rounding_unit", reason));
    }
    Ok(vec![Event::SettlementRulesSet(SettlementRulesSet {
        phase: *phase_id,
        rules: SettlementRules {
            rounding_unit: rounding_unit.normalize(),
            interest_may_be_kept,
        },
    })])
}

/// Records interest the phase's account earned: held apart from the pool until settled.
pub fn record_interest(
    state: &State,
    phase_id: &PhaseId,
    amount: &Money,
) -> Result<Vec<Event>, RuleViolation> {
    let phase = check::phase(state, phase_id)?;
    check::currency(phase, amount)?;
    check::plus(
        phase.totals.interest_earned,
        amount.amount(),
        "interest earned",
    )?;
    check::plus(phase.totals.cash, amount.amount(), "phase cash")?;
    Ok(vec![Event::InterestRecorded(InterestRecorded {
        phase: *phase_id,
        amount: *amount,
    })])
}

/// Returns interest held to the government and the sponsor pro rata to the matches and
/// contributions in the phase, or keeps it where the phase's rules allow.
pub fn settle_interest(
    state: &State,
    phase_id: &PhaseId,
    amount: &Money,
    keep: bool,
) -> Result<Vec<Event>, RuleViolation> {
    let phase = check::phase(state, phase_id)?;
    check::currency(phase, amount)?;
    let held = phase.totals.interest_held;
    if amount.amount() > held {
        return Err(RuleViolation::InterestExceeded {
            phase: phase_id.to_string(),
            amount: amount.amount(),
            held,
        });
    }
    let unit = phase.rules.rounding_unit;
    let split = if keep {
        if !phase.rules.interest_may_be_kept {
            return Err(RuleViolation::InterestKeepingNotAllowed {
                phase: phase_id.to_string(),
            });
        }
        Split::default()
    } else {
        let (government, sponsor) = (phase.totals.matched, phase.totals.contributed);
        settlement::split(amount.amount(), government, sponsor, phase.currency(), unit)
            .map_err(|error| split_refused(error, phase_id, "interest"))?
    };
    debug_assert!(split.returned() <= amount.amount());
    Ok(vec![Event::InterestSettled(InterestSettled {
        phase: *phase_id,
        amount: *amount,
        kept: keep,
        split,
        rounding_unit: unit,
    })])
}

/// Settles an active grant: its disbursements stand as spent, and the unspent part of its
/// funded shares goes back to the government and the sponsor pro rata to those shares.
pub fn settle_grant(state: &State, grant_id: &GrantId) -> Result<Vec<Event>, RuleViolation> {
    let grant = check::active_grant(state, grant_id)?;
    if grant.settled {
        return Err(RuleViolation::GrantAlreadySettled {
            grant: grant_id.to_string(),
            what: "settlements",
        });
    }
    let phase = check::phase(state, &grant.phase)?;
    let funded = check::plus(grant.government_share, grant.sponsor_share, "funded part")?;
    // Rule 5 keeps disbursements within the funded part; saturating keeps a log that
    // somehow broke it from producing a negative unspent part.
    let unspent = funded.saturating_sub(grant.disbursed).max(Decimal::ZERO);
    let unit = phase.rules.rounding_unit;
    let split = if unspent.is_zero() {
        Split::default()
    } else {
        settlement::split(
            unspent,
            grant.government_share,
            grant.sponsor_share,
            phase.currency(),
            unit,
        )
        .map_err(|error| split_refused(error, &grant.phase, "the unspent part"))?
    };
    if split.returned() > phase.totals.cash {
        return Err(RuleViolation::InsufficientCash {
            phase: grant.phase.to_string(),
            cash: phase.totals.cash,
            needed: split.returned(),
        });
    }
    Ok(vec![Event::GrantSettled(GrantSettled {
        grant: *grant_id,
        phase: grant.phase,
        sme: grant.sme,
        disbursed: grant.disbursed,
        refunded: grant.refunded,
        split,
        rounding_unit: unit,
    })])
}

/// The refusal for a split that cannot be made.
fn split_refused(error: SplitError, phase: &PhaseId, what: &'static str) -> RuleViolation {
    match error {
        SplitError::NoWeights => RuleViolation::NoOneToReturnTo {
            phase: phase.to_string(),
            what,
        },
        SplitError::Overflow => RuleViolation::Overflow {
            what: "pro-rata return",
        },
    }
}
