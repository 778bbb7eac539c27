//! Awards: a grant respects its support type (rule 11) and never exceeds the money in
//! the phase's pool (rule 4).
//!
//! A support type code the phase does not have is refused as `NotFound` (kind
//! `support type`): the award names something that does not exist, like an unknown SME.

use rust_decimal::Decimal;

use super::check;
use crate::domain::error::RuleViolation;
use crate::domain::event::*;
use crate::domain::ids::*;
use crate::domain::money::Money;
use crate::domain::programme::{Purpose, ShareRule, SupportType};
use crate::domain::state::State;
use crate::domain::view::Phase;

/// The fields of an `AwardGrant` command.
pub struct AwardGrant<'a> {
    pub grant: &'a GrantId,
    pub phase: &'a PhaseId,
    pub sme: &'a SmeId,
    pub purpose: Purpose,
    pub support_type: &'a str,
    pub project_cost: &'a Money,
    pub government_share: Decimal,
    pub sponsor_share: Decimal,
    pub own_share: Decimal,
}

/// Awards a grant to a registered SME in an open phase.
pub fn award_grant(state: &State, command: AwardGrant<'_>) -> Result<Vec<Event>, RuleViolation> {
    check::new_entry(state, *command.grant, "grant_id")?;
    let phase = check::open_phase(state, command.phase, "awards")?;
    if state.sme(command.sme).is_none() {
        return Err(check::not_found(SmeId::KIND, command.sme));
    }
    let support_type = phase
        .support_type(command.support_type)
        .ok_or_else(|| check::not_found("support type", command.support_type))?;
    check::currency(phase, command.project_cost)?;
    let currency = phase.currency();
    check::share("government_share", command.government_share, currency)?;
    check::share("sponsor_share", command.sponsor_share, currency)?;
    check::share("own_share", command.own_share, currency)?;
    let funded = check::plus(
        command.government_share,
        command.sponsor_share,
        "funded part",
    )?;
    if funded.is_zero() {
        return Err(check::invalid(
            "shares",
            "government and sponsor shares are both zero: the grant funds nothing".to_string(),
        ));
    }
    respects_support_type(support_type, &command)?;
    within_pool(phase, &command)?;
    Ok(vec![Event::GrantAwarded(GrantAwarded {
        grant: *command.grant,
        phase: *command.phase,
        sme: *command.sme,
        purpose: command.purpose,
        support_type: support_type.code.clone(),
        project_cost: *command.project_cost,
        // Normalized like `Money`, so equal shares are always recorded the same way.
        government_share: command.government_share.normalize(),
        sponsor_share: command.sponsor_share.normalize(),
        own_share: command.own_share.normalize(),
    })])
}

/// Rule 11: the shares add up to the project cost exactly, the cost is within the type's
/// maximum, and each share is within its ratio range and cap.
fn respects_support_type(
    support_type: &SupportType,
    command: &AwardGrant<'_>,
) -> Result<(), RuleViolation> {
    let cost = command.project_cost.amount();
    let violated = |reason: String| RuleViolation::SupportTypeViolated {
        support_type: support_type.code.clone(),
        reason,
    };
    let total = check::plus(
        check::plus(
            command.government_share,
            command.sponsor_share,
            "award shares",
        )?,
        command.own_share,
        "award shares",
    )?;
    if total != cost {
        return Err(violated(format!(
            "shares add up to {total}, the project cost is {cost}"
        )));
    }
    if let Some(max) = support_type.project_cost_max {
        if cost > max {
            return Err(violated(format!(
                "project cost {cost} is over the type's maximum {max}"
            )));
        }
    }
    let shares = [
        (
            "government",
            command.government_share,
            &support_type.government,
        ),
        ("sponsor", command.sponsor_share, &support_type.sponsor),
        ("own", command.own_share, &support_type.own),
    ];
    for (name, share, rule) in shares {
        if let Some(reason) = share_out_of_bounds(name, share, cost, rule)? {
            return Err(violated(reason));
        }
    }
    Ok(())
}

/// Why a share breaks its rule, if it does.
fn share_out_of_bounds(
    name: &str,
    share: Decimal,
    cost: Decimal,
    rule: &ShareRule,
) -> Result<Option<String>, RuleViolation> {
    let low = check::times(rule.ratio_min, cost, "share bound")?;
    let high = check::times(rule.ratio_max, cost, "share bound")?;
    if share < low {
        return Ok(Some(format!(
            "{name} share {share} is below {} of the cost ({low})",
            rule.ratio_min
        )));
    }
    if share > high {
        return Ok(Some(format!(
            "{name} share {share} is above {} of the cost ({high})",
            rule.ratio_max
        )));
    }
    match rule.cap {
        Some(cap) if share > cap => Ok(Some(format!("{name} share {share} is over the cap {cap}"))),
        _ => Ok(None),
    }
}

/// Rule 4: sponsor shares never exceed contributions, government shares never exceed
/// matches (all net of reversals).
fn within_pool(phase: &Phase, command: &AwardGrant<'_>) -> Result<(), RuleViolation> {
    let totals = &phase.totals;
    let pools = [
        (
            "sponsor",
            command.sponsor_share,
            totals.sponsor_awarded,
            totals.contributed,
        ),
        (
            "government",
            command.government_share,
            totals.government_awarded,
            totals.matched,
        ),
    ];
    for (share, amount, awarded, pool) in pools {
        let would_be = check::plus(awarded, amount, "phase awards")?;
        if would_be > pool {
            return Err(RuleViolation::PoolExceeded {
                phase: phase.opened.phase.to_string(),
                share,
                amount,
                available: pool.saturating_sub(awarded),
            });
        }
    }
    check::plus(totals.own_awarded, command.own_share, "phase own shares")?;
    Ok(())
}
