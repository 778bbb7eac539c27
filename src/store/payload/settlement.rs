//! Stored forms of the settlement events (rules 12 to 14), every value re-validated on
//! reading like the rest of the payloads.

use super::{date_from, decimal, epoch_days, id, money_from, money_to, uuid, Reason};
use crate::domain::event::{self as ev, Event};
use crate::domain::ids::{ClawbackId, GrantId, PhaseId, SmeId};
use crate::domain::{SettlementRules, Split};
use crate::store::proto as pb;
use crate::store::proto::stored_event::Payload;

pub(super) fn rules_to(e: &ev::SettlementRulesSet) -> Payload {
    Payload::SettlementRulesSet(pb::SettlementRulesSet {
        phase: id(e.phase.as_uuid()),
        rounding_unit: e.rules.rounding_unit.to_string(),
        interest_may_be_kept: e.rules.interest_may_be_kept,
    })
}

pub(super) fn interest_to(e: &ev::InterestRecorded) -> Payload {
    Payload::InterestRecorded(pb::InterestRecorded {
        phase: id(e.phase.as_uuid()),
        amount: Some(money_to(e.amount)),
    })
}

pub(super) fn interest_settled_to(e: &ev::InterestSettled) -> Payload {
    Payload::InterestSettled(pb::InterestSettled {
        phase: id(e.phase.as_uuid()),
        amount: Some(money_to(e.amount)),
        kept: e.kept,
        split: Some(split_to(&e.split)),
        rounding_unit: e.rounding_unit.to_string(),
    })
}

pub(super) fn grant_settled_to(e: &ev::GrantSettled) -> Payload {
    Payload::GrantSettled(pb::GrantSettled {
        grant: id(e.grant.as_uuid()),
        phase: id(e.phase.as_uuid()),
        sme: id(e.sme.as_uuid()),
        disbursed: e.disbursed.to_string(),
        refunded: e.refunded.to_string(),
        split: Some(split_to(&e.split)),
        rounding_unit: e.rounding_unit.to_string(),
    })
}

pub(super) fn rules_from(p: pb::SettlementRulesSet) -> Result<Event, Reason> {
    Ok(Event::SettlementRulesSet(ev::SettlementRulesSet {
        phase: PhaseId::from_uuid(uuid("phase", &p.phase)?),
        rules: SettlementRules {
            rounding_unit: decimal("rounding_unit", &p.rounding_unit)?,
            interest_may_be_kept: p.interest_may_be_kept,
        },
    }))
}

pub(super) fn interest_from(p: pb::InterestRecorded) -> Result<Event, Reason> {
    Ok(Event::InterestRecorded(ev::InterestRecorded {
        phase: PhaseId::from_uuid(uuid("phase", &p.phase)?),
        amount: money_from("amount", p.amount)?,
    }))
}

pub(super) fn interest_settled_from(p: pb::InterestSettled) -> Result<Event, Reason> {
    Ok(Event::InterestSettled(ev::InterestSettled {
        phase: PhaseId::from_uuid(uuid("phase", &p.phase)?),
        amount: money_from("amount", p.amount)?,
        kept: p.kept,
        split: split_from(p.split)?,
        rounding_unit: decimal("rounding_unit", &p.rounding_unit)?,
    }))
}

pub(super) fn grant_settled_from(p: pb::GrantSettled) -> Result<Event, Reason> {
    Ok(Event::GrantSettled(ev::GrantSettled {
        grant: GrantId::from_uuid(uuid("grant", &p.grant)?),
        phase: PhaseId::from_uuid(uuid("phase", &p.phase)?),
        sme: SmeId::from_uuid(uuid("sme", &p.sme)?),
        disbursed: decimal("disbursed", &p.disbursed)?,
        refunded: decimal("refunded", &p.refunded)?,
        split: split_from(p.split)?,
        rounding_unit: decimal("rounding_unit", &p.rounding_unit)?,
    }))
}

pub(super) fn clawback_decided_to(e: &ev::ClawbackDecided) -> Payload {
    Payload::ClawbackDecided(pb::ClawbackDecided {
        clawback: id(e.clawback.as_uuid()),
        grant: id(e.grant.as_uuid()),
        phase: id(e.phase.as_uuid()),
        sme: id(e.sme.as_uuid()),
        amount: Some(money_to(e.amount)),
        reason: e.reason.clone(),
        due_on_epoch_days: epoch_days(e.due_on),
    })
}

pub(super) fn clawback_collected_to(e: &ev::ClawbackCollected) -> Payload {
    Payload::ClawbackCollected(pb::ClawbackCollected {
        clawback: id(e.clawback.as_uuid()),
        grant: id(e.grant.as_uuid()),
        phase: id(e.phase.as_uuid()),
        sme: id(e.sme.as_uuid()),
        amount: Some(money_to(e.amount)),
    })
}

pub(super) fn clawback_passed_on_to(e: &ev::ClawbackPassedOn) -> Payload {
    Payload::ClawbackPassedOn(pb::ClawbackPassedOn {
        clawback: id(e.clawback.as_uuid()),
        grant: id(e.grant.as_uuid()),
        phase: id(e.phase.as_uuid()),
        split: Some(split_to(&e.split)),
        rounding_unit: e.rounding_unit.to_string(),
    })
}

pub(super) fn clawback_decided_from(p: pb::ClawbackDecided) -> Result<Event, Reason> {
    Ok(Event::ClawbackDecided(ev::ClawbackDecided {
        clawback: ClawbackId::from_uuid(uuid("clawback", &p.clawback)?),
        grant: GrantId::from_uuid(uuid("grant", &p.grant)?),
        phase: PhaseId::from_uuid(uuid("phase", &p.phase)?),
        sme: SmeId::from_uuid(uuid("sme", &p.sme)?),
        amount: money_from("amount", p.amount)?,
        reason: p.reason,
        due_on: date_from("due_on", p.due_on_epoch_days)?,
    }))
}

pub(super) fn clawback_collected_from(p: pb::ClawbackCollected) -> Result<Event, Reason> {
    Ok(Event::ClawbackCollected(ev::ClawbackCollected {
        clawback: ClawbackId::from_uuid(uuid("clawback", &p.clawback)?),
        grant: GrantId::from_uuid(uuid("grant", &p.grant)?),
        phase: PhaseId::from_uuid(uuid("phase", &p.phase)?),
        sme: SmeId::from_uuid(uuid("sme", &p.sme)?),
        amount: money_from("amount", p.amount)?,
    }))
}

pub(super) fn clawback_passed_on_from(p: pb::ClawbackPassedOn) -> Result<Event, Reason> {
    Ok(Event::ClawbackPassedOn(ev::ClawbackPassedOn {
        clawback: ClawbackId::from_uuid(uuid("clawback", &p.clawback)?),
        grant: GrantId::from_uuid(uuid("grant", &p.grant)?),
        phase: PhaseId::from_uuid(uuid("phase", &p.phase)?),
        split: split_from(p.split)?,
        rounding_unit: decimal("rounding_unit", &p.rounding_unit)?,
    }))
}

fn split_to(split: &Split) -> pb::Split {
    pb::Split {
        government_part: split.government_part.to_string(),
        sponsor_part: split.sponsor_part.to_string(),
        government_returned: split.government_returned.to_string(),
        sponsor_returned: split.sponsor_returned.to_string(),
    }
}

fn split_from(split: Option<pb::Split>) -> Result<Split, Reason> {
    let split = split.ok_or_else(|| "split: missing".to_string())?;
    Ok(Split {
        government_part: decimal("government_part", &split.government_part)?,
        sponsor_part: decimal("sponsor_part", &split.sponsor_part)?,
        government_returned: decimal("government_returned", &split.government_returned)?,
        sponsor_returned: decimal("sponsor_returned", &split.sponsor_returned)?,
    })
}
