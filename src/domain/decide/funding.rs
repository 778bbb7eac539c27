//! Money into the pool: pledges, contributions (rule 2) and government matches (rule 3).

use super::check;
use crate::domain::error::RuleViolation;
use crate::domain::event::*;
use crate::domain::ids::*;
use crate::domain::money::Money;
use crate::domain::state::State;

/// Records a pledge of a registered contributor to an open phase.
pub fn record_pledge(
    state: &State,
    pledge: &PledgeId,
    phase_id: &PhaseId,
    contributor: &ContributorId,
    amount: &Money,
) -> Result<Vec<Event>, RuleViolation> {
    check::new_entry(state, *pledge, "pledge_id")?;
    let phase = check::open_phase(state, phase_id, "pledges")?;
    if !state.has_contributor(contributor) {
        return Err(check::not_found(ContributorId::KIND, contributor));
    }
    check::currency(phase, amount)?;
    check::plus(phase.totals.pledged, amount.amount(), "phase pledges")?;
    Ok(vec![Event::PledgeRecorded(PledgeRecorded {
        pledge: *pledge,
        phase: *phase_id,
        contributor: *contributor,
        amount: *amount,
    })])
}

/// Records money a registered contributor paid into an open phase (rule 2).
pub fn record_contribution(
    state: &State,
    contribution: &ContributionId,
    phase_id: &PhaseId,
    contributor: &ContributorId,
    amount: &Money,
) -> Result<Vec<Event>, RuleViolation> {
    check::new_entry(state, *contribution, "contribution_id")?;
    let phase = check::open_phase(state, phase_id, "contributions")?;
    if !state.has_contributor(contributor) {
        return Err(check::not_found(ContributorId::KIND, contributor));
    }
    check::currency(phase, amount)?;
    let totals = &phase.totals;
    check::plus(totals.contributed, amount.amount(), "phase contributions")?;
    check::plus(totals.cash, amount.amount(), "phase cash")?;
    check::times(amount.amount(), phase.match_ratio(), "match limit")?;
    Ok(vec![Event::ContributionRecorded(ContributionRecorded {
        contribution: *contribution,
        phase: *phase_id,
        contributor: *contributor,
        amount: *amount,
    })])
}

/// Records government money against one active contribution, never more in total than
/// ratio × contribution (rule 3). Allowed after the phase closes: the government often
/// matches late.
pub fn record_match(
    state: &State,
    match_id: &MatchId,
    contribution_id: &ContributionId,
    agency: &AgencyId,
    amount: &Money,
) -> Result<Vec<Event>, RuleViolation> {
    check::new_entry(state, *match_id, "match_id")?;
    if !state.has_agency(agency) {
        return Err(check::not_found(AgencyId::KIND, agency));
    }
    let contribution = check::active_contribution(state, contribution_id)?;
    let phase = check::phase(state, &contribution.phase)?;
    check::currency(phase, amount)?;
    let would_be = check::plus(
        contribution.matched,
        amount.amount(),
        "contribution matches",
    )?;
    if would_be > contribution.match_limit {
        return Err(RuleViolation::OverMatch {
            contribution: contribution_id.to_string(),
            amount: amount.amount(),
            would_be,
            limit: contribution.match_limit,
        });
    }
    check::plus(phase.totals.matched, amount.amount(), "phase matches")?;
    check::plus(phase.totals.cash, amount.amount(), "phase cash")?;
    Ok(vec![Event::MatchRecorded(MatchRecorded {
        match_id: *match_id,
        contribution: *contribution_id,
        phase: contribution.phase,
        agency: *agency,
        amount: *amount,
    })])
}
