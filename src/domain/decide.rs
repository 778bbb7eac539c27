//! `decide`: every rule of the ledger, in one pure function.
//!
//! The dispatcher below hands each command to the module of its family; the leaves are
//! pure functions of the state and the command. Each command yields exactly one event
//! or a [`RuleViolation`] naming the rule, the ids and the amounts involved.

mod award;
mod check;
mod clawback;
mod funding;
mod payout;
mod reversal;
mod settlement;
mod setup;

#[cfg(test)]
mod tests;

use super::command::Command;
use super::error::RuleViolation;
use super::event::Event;
use super::state::State;

/// Decides a command against the state: the events it produces, or why it is refused.
///
/// Pure and total: it reads the state, never changes it, and never panics. Folding the
/// returned events with [`State::apply`] gives the state after the command.
pub fn decide(state: &State, command: &Command) -> Result<Vec<Event>, RuleViolation> {
    match command {
        Command::OpenPhase {
            phase,
            name,
            currency,
            starts_on,
            ends_on,
            match_ratio,
            support_types,
        } => setup::open_phase(
            state,
            setup::OpenPhase {
                phase,
                name,
                currency: *currency,
                starts_on: *starts_on,
                ends_on: *ends_on,
                match_ratio: *match_ratio,
                support_types,
            },
        ),
        Command::ClosePhase { phase } => setup::close_phase(state, phase),
        Command::RegisterContributor { contributor, name } => {
            setup::register_contributor(state, contributor, name)
        }
        Command::RegisterAgency { agency, name } => setup::register_agency(state, agency, name),
        Command::RegisterSme {
            sme,
            brn,
            name,
            supplier,
            channel,
            size,
        } => setup::register_sme(
            state,
            setup::RegisterSme {
                sme,
                brn,
                name,
                supplier: *supplier,
                channel: *channel,
                size: *size,
            },
        ),
        Command::RecordPledge {
            pledge,
            phase,
            contributor,
            amount,
        } => funding::record_pledge(state, pledge, phase, contributor, amount),
        Command::RecordContribution {
            contribution,
            phase,
            contributor,
            amount,
        } => funding::record_contribution(state, contribution, phase, contributor, amount),
        Command::RecordMatch {
            match_id,
            contribution,
            agency,
            amount,
        } => funding::record_match(state, match_id, contribution, agency, amount),
        Command::AwardGrant {
            grant,
            phase,
            sme,
            purpose,
            support_type,
            project_cost,
            government_share,
            sponsor_share,
            own_share,
        } => award::award_grant(
            state,
            award::AwardGrant {
                grant,
                phase,
                sme,
                purpose: *purpose,
                support_type,
                project_cost,
                government_share: *government_share,
                sponsor_share: *sponsor_share,
                own_share: *own_share,
            },
        ),
        Command::RecordDisbursement {
            disbursement,
            grant,
            amount,
        } => payout::record_disbursement(state, disbursement, grant, amount),
        Command::RecordRefund {
            refund,
            grant,
            amount,
            reason,
        } => payout::record_refund(state, refund, grant, amount, reason),
        Command::ReverseEntry { entry, reason } => reversal::reverse_entry(state, entry, reason),
        Command::SetSettlementRules {
            phase,
            rounding_unit,
            interest_may_be_kept,
        } => settlement::set_rules(state, phase, *rounding_unit, *interest_may_be_kept),
        Command::RecordInterest { phase, amount } => {
            settlement::record_interest(state, phase, amount)
        }
        Command::SettleInterest {
            phase,
            amount,
            keep,
        } => settlement::settle_interest(state, phase, amount, *keep),
        Command::SettleGrant { grant } => settlement::settle_grant(state, grant),
        Command::DecideClawback {
            clawback,
            grant,
            amount,
            reason,
            due_on,
        } => clawback::decide_clawback(
            state,
            clawback::Decision {
                clawback,
                grant,
                amount,
                reason,
                due_on: *due_on,
            },
        ),
        Command::CollectClawback { clawback, amount } => {
            clawback::collect_clawback(state, clawback, amount)
        }
        Command::PassOnClawback { clawback } => clawback::pass_on_clawback(state, clawback),
    }
}
