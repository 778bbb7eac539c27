//! Reversals (rule 7): a compensating event cancels one earlier posting, once, and only
//! where removing it keeps rules 3–6 true. Allowed on closed phases: errors are found late.
//!
//! A grant is reversible only while it has no active disbursement at all (even one fully
//! refunded): its payments must be reversed first, so a reversed grant never carries
//! active money movements. A settled grant and its disbursements are not reversible at all
//! (rule 13); its refunds are, as a clawback may follow a settlement.

use rust_decimal::Decimal;

use super::check;
use crate::domain::error::RuleViolation;
use crate::domain::event::*;
use crate::domain::ids::*;
use crate::domain::money::Money;
use crate::domain::state::State;
use crate::domain::view::*;

/// Why a settled grant's award and disbursements stand: its settlement computed the
/// unspent part from them and returned it (rule 13).
const SETTLED: &str = "the grant is settled: its spending and returns are final";

/// Cancels the posting `entry_id` names.
pub fn reverse_entry(
    state: &State,
    entry_id: &EntryId,
    reason: &str,
) -> Result<Vec<Event>, RuleViolation> {
    check::text("reason", reason)?;
    let entry = state
        .entry(entry_id)
        .ok_or_else(|| check::not_found(EntryId::KIND, entry_id))?;
    let kind = entry.kind();
    if entry.is_reversed() {
        return Err(check::already_reversed(kind.as_str(), entry_id));
    }
    let phase = check::phase(state, &entry.phase())?;
    let blocked = |reason: String| RuleViolation::reversal_blocked(kind, entry_id, reason);
    let amount = match entry {
        Entry::Pledge(pledge) => pledge.amount,
        Entry::Contribution(contribution) => {
            contribution_removable(phase, contribution).map_err(blocked)?;
            contribution.amount
        }
        Entry::Match(matched) => {
            match_removable(phase, matched).map_err(blocked)?;
            matched.amount
        }
        Entry::Grant(grant) => {
            if grant.settled {
                return Err(blocked(SETTLED.to_string()));
            }
            if grant.disbursed > Decimal::ZERO {
                return Err(blocked(format!(
                    "{} was disbursed on it; reverse its disbursements first",
                    grant.disbursed
                )));
            }
            let funded = check::plus(grant.government_share, grant.sponsor_share, "funded part")?;
            // An award funds a positive amount in the phase's currency (rule 11), so this
            // cannot fail; if it ever did, the refusal names the field rather than panic.
            Money::new(funded, phase.currency()).map_err(|e| RuleViolation::money("amount", e))?
        }
        Entry::Disbursement(disbursement) => {
            disbursement_removable(state, disbursement).map_err(blocked)?;
            check::plus(
                phase.totals.cash,
                disbursement.amount.amount(),
                "phase cash",
            )?;
            disbursement.amount
        }
        Entry::Refund(refund) => {
            cash_covers(phase, refund.amount).map_err(blocked)?;
            refund.amount
        }
    };
    Ok(vec![Event::EntryReversed(EntryReversed {
        entry: *entry_id,
        kind,
        phase: entry.phase(),
        amount,
        reason: reason.to_string(),
    })])
}

/// A contribution may go if nothing matches it any more, the sponsor awards still fit in
/// the remaining contributions, and the cash stays non-negative.
fn contribution_removable(phase: &Phase, contribution: &ContributionView) -> Result<(), String> {
    if contribution.matched > Decimal::ZERO {
        return Err(format!(
            "it has active matches of {}; reverse them first",
            contribution.matched
        ));
    }
    let amount = contribution.amount.amount();
    let remaining = phase.totals.contributed.saturating_sub(amount);
    if remaining < phase.totals.sponsor_awarded {
        return Err(format!(
            "sponsor awards of {} would exceed the remaining contributions of {remaining}",
            phase.totals.sponsor_awarded
        ));
    }
    cash_covers(phase, contribution.amount)
}

/// A match may go if the government awards still fit in the remaining matches and the
/// cash stays non-negative.
fn match_removable(phase: &Phase, matched: &MatchView) -> Result<(), String> {
    let remaining = phase.totals.matched.saturating_sub(matched.amount.amount());
    if remaining < phase.totals.government_awarded {
        return Err(format!(
            "government awards of {} would exceed the remaining matches of {remaining}",
            phase.totals.government_awarded
        ));
    }
    cash_covers(phase, matched.amount)
}

/// A disbursement may go if its grant's refunds still fit in the remaining disbursements.
fn disbursement_removable(state: &State, disbursement: &DisbursementView) -> Result<(), String> {
    let Some(grant) = state.grant(&disbursement.grant) else {
        // Every disbursement was decided against an existing grant; nothing to protect.
        return Ok(());
    };
    if grant.settled {
        return Err(format!("grant {}: {SETTLED}", disbursement.grant));
    }
    let remaining = grant.disbursed.saturating_sub(disbursement.amount.amount());
    if remaining < grant.refunded {
        return Err(format!(
            "refunds of {} on grant {} would exceed its remaining disbursements of {remaining}",
            grant.refunded, disbursement.grant
        ));
    }
    Ok(())
}

/// Removing `amount` from the phase's cash must not make it negative (rule 5).
fn cash_covers(phase: &Phase, amount: Money) -> Result<(), String> {
    if phase.totals.cash < amount.amount() {
        return Err(format!(
            "the phase's cash of {} would go below zero",
            phase.totals.cash
        ));
    }
    Ok(())
}
