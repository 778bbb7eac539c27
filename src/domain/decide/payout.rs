//! Money out of the pool and back: disbursements (rule 5) and refunds (rule 6). Both are
//! allowed after the phase closes: projects run past the phase's end.

use super::check;
use crate::domain::error::RuleViolation;
use crate::domain::event::*;
use crate::domain::ids::*;
use crate::domain::money::Money;
use crate::domain::state::State;

/// Pays money out against an active, unsettled grant (rule 13): never more in total than its funded part,
/// never more than the phase's cash.
pub fn record_disbursement(
    state: &State,
    disbursement: &DisbursementId,
    grant_id: &GrantId,
    amount: &Money,
) -> Result<Vec<Event>, RuleViolation> {
    check::new_entry(state, *disbursement, "disbursement_id")?;
    let grant = check::active_grant(state, grant_id)?;
    if grant.settled {
        return Err(RuleViolation::GrantAlreadySettled {
            grant: grant_id.to_string(),
            what: "disbursements",
        });
    }
    let phase = check::phase(state, &grant.phase)?;
    check::currency(phase, amount)?;
    let would_be = check::plus(grant.disbursed, amount.amount(), "grant disbursements")?;
    let funded = check::plus(grant.government_share, grant.sponsor_share, "funded part")?;
    if would_be > funded {
        return Err(RuleViolation::OverDisbursement {
            grant: grant_id.to_string(),
            amount: amount.amount(),
            would_be,
            funded,
        });
    }
    if phase.totals.cash < amount.amount() {
        return Err(RuleViolation::InsufficientCash {
            phase: grant.phase.to_string(),
            cash: phase.totals.cash,
            needed: amount.amount(),
        });
    }
    check::plus(
        phase.totals.disbursed,
        amount.amount(),
        "phase disbursements",
    )?;
    Ok(vec![Event::DisbursementRecorded(DisbursementRecorded {
        disbursement: *disbursement,
        grant: *grant_id,
        phase: grant.phase,
        sme: grant.sme,
        amount: *amount,
    })])
}

/// Takes money back from an SME against an active grant: never more than was disbursed
/// on it net of earlier refunds.
pub fn record_refund(
    state: &State,
    refund: &RefundId,
    grant_id: &GrantId,
    amount: &Money,
    reason: &str,
) -> Result<Vec<Event>, RuleViolation> {
    check::new_entry(state, *refund, "refund_id")?;
    check::text("reason", reason)?;
    let grant = check::active_grant(state, grant_id)?;
    let phase = check::phase(state, &grant.phase)?;
    check::currency(phase, amount)?;
    let net_disbursed = check::minus(grant.disbursed, grant.refunded, "net disbursed")?;
    if amount.amount() > net_disbursed {
        return Err(RuleViolation::OverRefund {
            grant: grant_id.to_string(),
            amount: amount.amount(),
            net_disbursed,
        });
    }
    check::plus(grant.refunded, amount.amount(), "grant refunds")?;
    check::plus(phase.totals.refunded, amount.amount(), "phase refunds")?;
    check::plus(phase.totals.cash, amount.amount(), "phase cash")?;
    Ok(vec![Event::RefundRecorded(RefundRecorded {
        refund: *refund,
        grant: *grant_id,
        phase: grant.phase,
        sme: grant.sme,
        amount: *amount,
        reason: reason.to_string(),
    })])
}
