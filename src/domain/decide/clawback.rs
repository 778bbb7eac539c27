//! The clawback lifecycle (환수, rule 14): a clawback is decided against a grant with an
//! amount, a reason and a deadline; collected from the SME, possibly in parts (each part is
//! money paid back on the grant, like a refund); and what was collected is passed on to the
//! government and the sponsor pro rata to the grant's shares, rounded as the phase's
//! settlement rules say. Money collected and not passed on is held, and its age is shown.

use chrono::NaiveDate;

use super::check;
use crate::domain::error::RuleViolation;
use crate::domain::event::*;
use crate::domain::ids::*;
use crate::domain::money::Money;
use crate::domain::settlement::{self, SplitError};
use crate::domain::state::State;

/// The parts of a clawback decision.
pub struct Decision<'a> {
    pub clawback: &'a ClawbackId,
    pub grant: &'a GrantId,
    pub amount: &'a Money,
    pub reason: &'a str,
    pub due_on: NaiveDate,
}

/// Decides a clawback: never more than the grant's disbursements net of refunds and of
/// the clawbacks decided and not yet collected.
pub fn decide_clawback(state: &State, d: Decision<'_>) -> Result<Vec<Event>, RuleViolation> {
    check::unused_id(state, d.clawback.as_uuid(), "clawback_id")?;
    check::text("reason", d.reason)?;
    let grant = check::active_grant(state, d.grant)?;
    let phase = check::phase(state, &grant.phase)?;
    check::currency(phase, d.amount)?;
    let net = check::minus(grant.disbursed, grant.refunded, "net disbursed")?;
    let collectable = net.saturating_sub(grant.clawback_outstanding);
    if d.amount.amount() > collectable {
        return Err(RuleViolation::OverClawback {
            grant: d.grant.to_string(),
            amount: d.amount.amount(),
            collectable,
        });
    }
    Ok(vec![Event::ClawbackDecided(ClawbackDecided {
        clawback: *d.clawback,
        grant: *d.grant,
        phase: grant.phase,
        sme: grant.sme,
        amount: *d.amount,
        reason: d.reason.to_string(),
        due_on: d.due_on,
    })])
}

/// Collects part or all of what a clawback still claims; the money is refunded on its
/// grant (rule 6 still holds).
pub fn collect_clawback(
    state: &State,
    clawback_id: &ClawbackId,
    amount: &Money,
) -> Result<Vec<Event>, RuleViolation> {
    let clawback = state
        .clawback(clawback_id)
        .ok_or_else(|| check::not_found(ClawbackId::KIND, clawback_id))?;
    let grant = check::active_grant(state, &clawback.grant)?;
    let phase = check::phase(state, &clawback.phase)?;
    check::currency(phase, amount)?;
    let outstanding = clawback.outstanding();
    if amount.amount() > outstanding {
        return Err(RuleViolation::OverCollection {
            clawback: clawback_id.to_string(),
            amount: amount.amount(),
            outstanding,
        });
    }
    let net_disbursed = check::minus(grant.disbursed, grant.refunded, "net disbursed")?;
    if amount.amount() > net_disbursed {
        return Err(RuleViolation::OverRefund {
            grant: clawback.grant.to_string(),
            amount: amount.amount(),
            net_disbursed,
        });
    }
    check::plus(phase.totals.cash, amount.amount(), "phase cash")?;
    check::plus(phase.totals.refunded, amount.amount(), "phase refunds")?;
    Ok(vec![Event::ClawbackCollected(ClawbackCollected {
        clawback: *clawback_id,
        grant: clawback.grant,
        phase: clawback.phase,
        sme: clawback.sme,
        amount: *amount,
    })])
}

/// Passes on everything a clawback holds (collected − passed on) to the government and the
/// sponsor, pro rata to its grant's shares.
pub fn pass_on_clawback(
    state: &State,
    clawback_id: &ClawbackId,
) -> Result<Vec<Event>, RuleViolation> {
    let clawback = state
        .clawback(clawback_id)
        .ok_or_else(|| check::not_found(ClawbackId::KIND, clawback_id))?;
    let held = clawback.held();
    if held.is_zero() {
        return Err(RuleViolation::NothingToPassOn {
            clawback: clawback_id.to_string(),
        });
    }
    let grant = state
        .grant(&clawback.grant)
        .ok_or_else(|| check::not_found(GrantId::KIND, clawback.grant))?;
    let phase = check::phase(state, &clawback.phase)?;
    let unit = phase.rules.rounding_unit;
    let split = settlement::split(
        held,
        grant.government_share,
        grant.sponsor_share,
        phase.currency(),
        unit,
    )
    .map_err(|error| match error {
        SplitError::NoWeights => RuleViolation::NoOneToReturnTo {
            phase: clawback.phase.to_string(),
            what: "the clawback",
        },
        SplitError::Overflow => RuleViolation::Overflow {
            what: "clawback passed on",
        },
    })?;
    if split.returned() > phase.totals.cash {
        return Err(RuleViolation::InsufficientCash {
            phase: clawback.phase.to_string(),
            cash: phase.totals.cash,
            needed: split.returned(),
        });
    }
    Ok(vec![Event::ClawbackPassedOn(ClawbackPassedOn {
        clawback: *clawback_id,
        grant: clawback.grant,
        phase: clawback.phase,
        split,
        rounding_unit: unit,
    })])
}
