//! Setting the programme up: opening and closing phases (with their support types) and
//! registering contributors, agencies and SMEs.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::check;
use crate::domain::brn::Brn;
use crate::domain::error::RuleViolation;
use crate::domain::event::*;
use crate::domain::ids::*;
use crate::domain::money::Currency;
use crate::domain::programme::{ApplicationChannel, ShareRule, SizeClass, SupportType};
use crate::domain::state::State;
use crate::limits::{MATCH_RATIO_MAX, SUPPORT_TYPES_MAX};

/// The fields of an `OpenPhase` command.
pub struct OpenPhase<'a> {
    pub phase: &'a PhaseId,
    pub name: &'a str,
    pub currency: Currency,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub match_ratio: Decimal,
    pub support_types: &'a [SupportType],
}

/// Opens a phase: a new id, a name, a date range, a sensible match ratio and well-formed
/// support types. A phase may have no support types (it then takes no awards).
pub fn open_phase(state: &State, command: OpenPhase<'_>) -> Result<Vec<Event>, RuleViolation> {
    if state.phase(command.phase).is_some() {
        return Err(check::already_exists(PhaseId::KIND, command.phase));
    }
    check::unused_id(state, command.phase.as_uuid(), "phase_id")?;
    check::name("name", command.name)?;
    if command.starts_on > command.ends_on {
        return Err(check::invalid(
            "ends_on",
            format!(
                "{} is before the start {}",
                command.ends_on, command.starts_on
            ),
        ));
    }
    if command.match_ratio <= Decimal::ZERO || command.match_ratio > MATCH_RATIO_MAX {
        return Err(check::invalid(
            "match_ratio",
            format!(
                "{} must be above 0 and at most {MATCH_RATIO_MAX}",
                command.match_ratio
            ),
        ));
    }
    support_types(command.support_types)?;
    Ok(vec![Event::PhaseOpened(PhaseOpened {
        phase: *command.phase,
        name: command.name.to_string(),
        currency: command.currency,
        starts_on: command.starts_on,
        ends_on: command.ends_on,
        match_ratio: command.match_ratio,
        support_types: command.support_types.to_vec(),
    })])
}

/// Refuses too many support types, blank or repeated codes, and malformed share rules.
fn support_types(types: &[SupportType]) -> Result<(), RuleViolation> {
    if types.len() > SUPPORT_TYPES_MAX {
        return Err(check::invalid(
            "support_types",
            format!("{} types, more than {SUPPORT_TYPES_MAX}", types.len()),
        ));
    }
    for (index, support_type) in types.iter().enumerate() {
        check::name("support_types.code", &support_type.code)?;
        if types[..index]
            .iter()
            .any(|earlier| earlier.code == support_type.code)
        {
            return Err(check::invalid(
                "support_types.code",
                format!("{:?} appears twice", support_type.code),
            ));
        }
        support_type_rules(support_type)?;
    }
    Ok(())
}

fn support_type_rules(support_type: &SupportType) -> Result<(), RuleViolation> {
    if let Some(max) = support_type.project_cost_max {
        if max <= Decimal::ZERO {
            return Err(check::invalid(
                "support_types.project_cost_max",
                format!("{max} must be positive ({})", support_type.code),
            ));
        }
    }
    let shares = [
        &support_type.government,
        &support_type.sponsor,
        &support_type.own,
    ];
    for rule in shares {
        share_rule(&support_type.code, rule)?;
    }
    // A type whose bounds cannot add up to the whole cost could never take an award.
    // Each ratio is within [0, 1] by now, so these sums of three cannot overflow.
    let min_sum = shares.iter().map(|rule| rule.ratio_min).sum::<Decimal>();
    let max_sum = shares.iter().map(|rule| rule.ratio_max).sum::<Decimal>();
    if min_sum > Decimal::ONE || max_sum < Decimal::ONE {
        return Err(check::invalid(
            "support_types",
            format!(
                "{}: share bounds cannot add up to the project cost (minimums {min_sum}, maximums {max_sum})",
                support_type.code
            ),
        ));
    }
    Ok(())
}

fn share_rule(code: &str, rule: &ShareRule) -> Result<(), RuleViolation> {
    let unit = Decimal::ZERO..=Decimal::ONE;
    if !unit.contains(&rule.ratio_min)
        || !unit.contains(&rule.ratio_max)
        || rule.ratio_min > rule.ratio_max
    {
        return Err(check::invalid(
            "support_types.ratio",
            format!(
                "{code}: ratios {}..{} must satisfy 0 ≤ min ≤ max ≤ 1",
                rule.ratio_min, rule.ratio_max
            ),
        ));
    }
    if let Some(cap) = rule.cap {
        if cap <= Decimal::ZERO {
            return Err(check::invalid(
                "support_types.cap",
                format!("{code}: cap {cap} must be positive"),
            ));
        }
    }
    Ok(())
}

/// Closes an open phase; closing it twice is refused.
pub fn close_phase(state: &State, phase: &PhaseId) -> Result<Vec<Event>, RuleViolation> {
    check::open_phase(state, phase, "closing")?;
    Ok(vec![Event::PhaseClosed(PhaseClosed { phase: *phase })])
}

/// Registers a contributor under a new id.
pub fn register_contributor(
    state: &State,
    contributor: &ContributorId,
    name: &str,
) -> Result<Vec<Event>, RuleViolation> {
    if state.has_contributor(contributor) {
        return Err(check::already_exists(ContributorId::KIND, contributor));
    }
    check::unused_id(state, contributor.as_uuid(), "contributor_id")?;
    check::name("name", name)?;
    Ok(vec![Event::ContributorRegistered(ContributorRegistered {
        contributor: *contributor,
        name: name.to_string(),
    })])
}

/// Registers an agency under a new id.
pub fn register_agency(
    state: &State,
    agency: &AgencyId,
    name: &str,
) -> Result<Vec<Event>, RuleViolation> {
    if state.has_agency(agency) {
        return Err(check::already_exists(AgencyId::KIND, agency));
    }
    check::unused_id(state, agency.as_uuid(), "agency_id")?;
    check::name("name", name)?;
    Ok(vec![Event::AgencyRegistered(AgencyRegistered {
        agency: *agency,
        name: name.to_string(),
    })])
}

/// The fields of a `RegisterSme` command.
pub struct RegisterSme<'a> {
    pub sme: &'a SmeId,
    pub brn: &'a Brn,
    pub name: &'a str,
    pub supplier: bool,
    pub channel: ApplicationChannel,
    pub size: SizeClass,
}

/// Registers an SME under a new id and a business registration number not yet used.
pub fn register_sme(state: &State, command: RegisterSme<'_>) -> Result<Vec<Event>, RuleViolation> {
    if state.sme(command.sme).is_some() {
        return Err(check::already_exists(SmeId::KIND, command.sme));
    }
    check::unused_id(state, command.sme.as_uuid(), "sme_id")?;
    if state.sme_by_brn(command.brn).is_some() {
        return Err(check::already_exists(
            "business registration number",
            command.brn,
        ));
    }
    check::name("name", command.name)?;
    Ok(vec![Event::SmeRegistered(SmeRegistered {
        sme: *command.sme,
        brn: *command.brn,
        name: command.name.to_string(),
        supplier: command.supplier,
        channel: command.channel,
        size: command.size,
    })])
}
