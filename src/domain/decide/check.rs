//! Checks shared by every command family: text fields, lookups that refuse unknown or
//! reversed references, currencies, and checked arithmetic that refuses overflow.

use rust_decimal::Decimal;

use crate::domain::error::RuleViolation;
use crate::domain::ids::*;
use crate::domain::money::{Currency, Money};
use crate::domain::state::State;
use crate::domain::view::{ContributionView, GrantView, Phase};
use crate::limits::{NAME_BYTES_MAX, TEXT_BYTES_MAX};

/// A name: not blank, at most [`NAME_BYTES_MAX`] bytes.
pub fn name(field: &'static str, text: &str) -> Result<(), RuleViolation> {
    if text.trim().is_empty() {
        return Err(invalid(field, "must not be empty".to_string()));
    }
    if text.len() > NAME_BYTES_MAX {
        return Err(invalid(
            field,
            format!("has {} bytes, more than {NAME_BYTES_MAX}", text.len()),
        ));
    }
    Ok(())
}

/// A free-text field such as a reason: at most [`TEXT_BYTES_MAX`] bytes, may be empty.
pub fn text(field: &'static str, text: &str) -> Result<(), RuleViolation> {
    if text.len() > TEXT_BYTES_MAX {
        return Err(invalid(
            field,
            format!("has {} bytes, more than {TEXT_BYTES_MAX}", text.len()),
        ));
    }
    Ok(())
}

/// A malformed field.
pub fn invalid(field: &'static str, reason: String) -> RuleViolation {
    RuleViolation::InvalidField { field, reason }
}

/// The phase, or `NotFound`.
pub fn phase<'a>(state: &'a State, id: &PhaseId) -> Result<&'a Phase, RuleViolation> {
    state.phase(id).ok_or_else(|| not_found(PhaseId::KIND, id))
}

/// The phase if it is still open (rules 2 and 8), or `NotFound` / `PhaseClosed`.
pub fn open_phase<'a>(
    state: &'a State,
    id: &PhaseId,
    what: &'static str,
) -> Result<&'a Phase, RuleViolation> {
    let phase = phase(state, id)?;
    if phase.closed {
        return Err(RuleViolation::PhaseClosed {
            phase: id.to_string(),
            what,
        });
    }
    Ok(phase)
}

/// Refuses an amount that is not in the phase's currency (rule 1).
pub fn currency(phase: &Phase, amount: &Money) -> Result<(), RuleViolation> {
    if amount.currency() != phase.currency() {
        return Err(RuleViolation::CurrencyMismatch {
            phase: phase.opened.phase.to_string(),
            expected: phase.currency(),
            given: amount.currency(),
        });
    }
    Ok(())
}

/// Refuses a posting id that names any earlier posting, whatever its kind: all posting
/// ids share one namespace. The refusal names the kind already there. `field` names the
/// id's field for a nil id.
pub fn new_entry(
    state: &State,
    id: impl Into<EntryId>,
    field: &'static str,
) -> Result<(), RuleViolation> {
    let id = id.into();
    unused_id(state, id.as_uuid(), field)?;
    match state.entry(&id) {
        Some(existing) => Err(RuleViolation::AlreadyExists {
            kind: existing.kind().as_str(),
            id: id.to_string(),
        }),
        None => Ok(()),
    }
}

/// Refuses a new entity id that is the nil UUID, or that already names a phase, a
/// contributor, an agency or an SME: one id names one thing, so a reader of an export or a
/// statement can never mistake one kind for another. (Posting ids are checked against the
/// postings by [`new_entry`]; a new phase, contributor, agency or SME id is also checked
/// against them here.)
pub fn unused_id(state: &State, id: uuid::Uuid, field: &'static str) -> Result<(), RuleViolation> {
    if id.is_nil() {
        return Err(invalid(
            field,
            "is the nil UUID; leave it empty for the server to choose one".to_string(),
        ));
    }
    let existing = if state.phase(&PhaseId::from_uuid(id)).is_some() {
        Some(PhaseId::KIND)
    } else if state.has_contributor(&ContributorId::from_uuid(id)) {
        Some(ContributorId::KIND)
    } else if state.has_agency(&AgencyId::from_uuid(id)) {
        Some(AgencyId::KIND)
    } else if state.sme(&SmeId::from_uuid(id)).is_some() {
        Some(SmeId::KIND)
    } else if state.clawback(&ClawbackId::from_uuid(id)).is_some() {
        Some(ClawbackId::KIND)
    } else {
        state
            .entry(&EntryId::from_uuid(id))
            .map(|entry| entry.kind().as_str())
    };
    match existing {
        Some(kind) => Err(already_exists(kind, id)),
        None => Ok(()),
    }
}

/// An active contribution: `NotFound` if the id names none, `AlreadyReversed` if cancelled.
pub fn active_contribution<'a>(
    state: &'a State,
    id: &ContributionId,
) -> Result<&'a ContributionView, RuleViolation> {
    let view = state
        .contribution(id)
        .ok_or_else(|| not_found(ContributionId::KIND, id))?;
    if view.reversed {
        return Err(already_reversed(ContributionId::KIND, id));
    }
    Ok(view)
}

/// An active grant: `NotFound` if the id names none, `AlreadyReversed` if cancelled.
pub fn active_grant<'a>(state: &'a State, id: &GrantId) -> Result<&'a GrantView, RuleViolation> {
    let view = state
        .grant(id)
        .ok_or_else(|| not_found(GrantId::KIND, id))?;
    if view.reversed {
        return Err(already_reversed(GrantId::KIND, id));
    }
    Ok(view)
}

/// Something named does not exist.
pub fn not_found(kind: &'static str, id: impl ToString) -> RuleViolation {
    RuleViolation::NotFound {
        kind,
        id: id.to_string(),
    }
}

/// Something to be created exists already.
pub fn already_exists(kind: &'static str, id: impl ToString) -> RuleViolation {
    RuleViolation::AlreadyExists {
        kind,
        id: id.to_string(),
    }
}

/// Something named was cancelled by a reversal.
pub fn already_reversed(kind: &'static str, id: impl ToString) -> RuleViolation {
    RuleViolation::AlreadyReversed {
        kind,
        entry: id.to_string(),
    }
}

/// `left + right`, or `Overflow` naming the total.
pub fn plus(left: Decimal, right: Decimal, what: &'static str) -> Result<Decimal, RuleViolation> {
    left.checked_add(right)
        .ok_or(RuleViolation::Overflow { what })
}

/// `left − right`, or `Overflow` naming the total.
pub fn minus(left: Decimal, right: Decimal, what: &'static str) -> Result<Decimal, RuleViolation> {
    left.checked_sub(right)
        .ok_or(RuleViolation::Overflow { what })
}

/// `left × right`, or `Overflow` naming the product.
pub fn times(left: Decimal, right: Decimal, what: &'static str) -> Result<Decimal, RuleViolation> {
    left.checked_mul(right)
        .ok_or(RuleViolation::Overflow { what })
}

/// Refuses a share that is negative or finer than the currency's minor unit (rule 1).
pub fn share(field: &'static str, value: Decimal, currency: Currency) -> Result<(), RuleViolation> {
    if value.is_sign_negative() && !value.is_zero() {
        return Err(invalid(field, format!("{value} must not be negative")));
    }
    if value.normalize().scale() > currency.exponent() {
        return Err(invalid(
            field,
            format!(
                "{value} has more decimal places than {currency} allows ({})",
                currency.exponent()
            ),
        ));
    }
    Ok(())
}
