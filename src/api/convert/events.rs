//! Domain events to their wire form.

use super::commands::{channel_to_proto, purpose_to_proto, size_to_proto, support_type_to_proto};
use super::values::{decimal_text, money_to_proto, timestamp};
use crate::api::proto;
use crate::api::proto::event::Payload;
use crate::domain::{Event, EventKind, RecordedEvent, Split};

/// The wire value of an event kind.
pub fn event_kind_to_proto(kind: EventKind) -> proto::EventKind {
    match kind {
        EventKind::PhaseOpened => proto::EventKind::PhaseOpened,
        EventKind::PhaseClosed => proto::EventKind::PhaseClosed,
        EventKind::ContributorRegistered => proto::EventKind::ContributorRegistered,
        EventKind::AgencyRegistered => proto::EventKind::AgencyRegistered,
        EventKind::SmeRegistered => proto::EventKind::SmeRegistered,
        EventKind::PledgeRecorded => proto::EventKind::PledgeRecorded,
        EventKind::ContributionRecorded => proto::EventKind::ContributionRecorded,
        EventKind::MatchRecorded => proto::EventKind::MatchRecorded,
        EventKind::GrantAwarded => proto::EventKind::GrantAwarded,
        EventKind::DisbursementRecorded => proto::EventKind::DisbursementRecorded,
        EventKind::RefundRecorded => proto::EventKind::RefundRecorded,
        EventKind::EntryReversed => proto::EventKind::EntryReversed,
        EventKind::SettlementRulesSet => proto::EventKind::SettlementRulesSet,
        EventKind::InterestRecorded => proto::EventKind::InterestRecorded,
        EventKind::InterestSettled => proto::EventKind::InterestSettled,
        EventKind::GrantSettled => proto::EventKind::GrantSettled,
        EventKind::ClawbackDecided => proto::EventKind::ClawbackDecided,
        EventKind::ClawbackCollected => proto::EventKind::ClawbackCollected,
        EventKind::ClawbackPassedOn => proto::EventKind::ClawbackPassedOn,
    }
}

/// The domain kind for a wire value; `None` for unspecified or unknown values.
pub fn event_kind_from_proto(value: i32) -> Option<EventKind> {
    EventKind::ALL
        .into_iter()
        .find(|kind| event_kind_to_proto(*kind) as i32 == value)
}

/// The id of the entity an event created or touched, for posting replies.
pub fn entity_id(event: &Event) -> String {
    match event {
        Event::PhaseOpened(e) => e.phase.to_string(),
        Event::PhaseClosed(e) => e.phase.to_string(),
        Event::ContributorRegistered(e) => e.contributor.to_string(),
        Event::AgencyRegistered(e) => e.agency.to_string(),
        Event::SmeRegistered(e) => e.sme.to_string(),
        Event::PledgeRecorded(e) => e.pledge.to_string(),
        Event::ContributionRecorded(e) => e.contribution.to_string(),
        Event::MatchRecorded(e) => e.match_id.to_string(),
        Event::GrantAwarded(e) => e.grant.to_string(),
        Event::DisbursementRecorded(e) => e.disbursement.to_string(),
        Event::RefundRecorded(e) => e.refund.to_string(),
        Event::EntryReversed(e) => e.entry.to_string(),
        Event::SettlementRulesSet(e) => e.phase.to_string(),
        Event::InterestRecorded(e) => e.phase.to_string(),
        Event::InterestSettled(e) => e.phase.to_string(),
        Event::GrantSettled(e) => e.grant.to_string(),
        Event::ClawbackDecided(e) => e.clawback.to_string(),
        Event::ClawbackCollected(e) => e.clawback.to_string(),
        Event::ClawbackPassedOn(e) => e.clawback.to_string(),
    }
}

/// The short summary of a committed event returned by postings.
pub fn committed_event(event: &RecordedEvent) -> proto::CommittedEvent {
    proto::CommittedEvent {
        sequence: event.sequence,
        event_id: event.meta.id.to_string(),
        hash: event.hash.to_vec(),
        kind: event_kind_to_proto(event.event.kind()) as i32,
        entity_id: entity_id(&event.event),
    }
}

/// The full wire form of a stored event.
pub fn event_to_proto(event: &RecordedEvent) -> proto::Event {
    let meta = &event.meta;
    proto::Event {
        sequence: event.sequence,
        event_id: meta.id.to_string(),
        recorded_at: Some(timestamp(meta.recorded_at)),
        effective_date: meta.effective_date.to_string(),
        actor: meta.actor.clone(),
        idempotency_key: meta.idempotency_key.clone(),
        external_ref: meta.external_ref.clone().unwrap_or_default(),
        metadata: meta
            .metadata
            .iter()
            .map(|(key, value)| proto::MetadataEntry {
                key: key.clone(),
                value: value.clone(),
            })
            .collect(),
        prev_hash: event.prev_hash.to_vec(),
        hash: event.hash.to_vec(),
        kind: event_kind_to_proto(event.event.kind()) as i32,
        payload: Some(payload(&event.event)),
    }
}

fn payload(event: &Event) -> Payload {
    match event {
        Event::PhaseOpened(e) => Payload::PhaseOpened(proto::PhaseOpened {
            phase_id: e.phase.to_string(),
            name: e.name.clone(),
            currency: e.currency.code().to_string(),
            starts_on: e.starts_on.to_string(),
            ends_on: e.ends_on.to_string(),
            match_ratio: decimal_text(e.match_ratio),
            support_types: e.support_types.iter().map(support_type_to_proto).collect(),
        }),
        Event::PhaseClosed(e) => Payload::PhaseClosed(proto::PhaseClosed {
            phase_id: e.phase.to_string(),
        }),
        Event::ContributorRegistered(e) => {
            Payload::ContributorRegistered(proto::ContributorRegistered {
                contributor_id: e.contributor.to_string(),
                name: e.name.clone(),
            })
        }
        Event::AgencyRegistered(e) => Payload::AgencyRegistered(proto::AgencyRegistered {
            agency_id: e.agency.to_string(),
            name: e.name.clone(),
        }),
        Event::SmeRegistered(e) => Payload::SmeRegistered(proto::SmeRegistered {
            sme_id: e.sme.to_string(),
            business_registration_number: e.brn.to_string(),
            name: e.name.clone(),
            supplier: e.supplier,
            channel: channel_to_proto(e.channel) as i32,
            size: size_to_proto(e.size) as i32,
        }),
        Event::PledgeRecorded(e) => Payload::PledgeRecorded(proto::PledgeRecorded {
            pledge_id: e.pledge.to_string(),
            phase_id: e.phase.to_string(),
            contributor_id: e.contributor.to_string(),
            amount: Some(money_to_proto(&e.amount)),
        }),
        Event::ContributionRecorded(e) => {
            Payload::ContributionRecorded(proto::ContributionRecorded {
                contribution_id: e.contribution.to_string(),
                phase_id: e.phase.to_string(),
                contributor_id: e.contributor.to_string(),
                amount: Some(money_to_proto(&e.amount)),
            })
        }
        Event::MatchRecorded(e) => Payload::MatchRecorded(proto::MatchRecorded {
            match_id: e.match_id.to_string(),
            contribution_id: e.contribution.to_string(),
            phase_id: e.phase.to_string(),
            agency_id: e.agency.to_string(),
            amount: Some(money_to_proto(&e.amount)),
        }),
        Event::GrantAwarded(e) => Payload::GrantAwarded(proto::GrantAwarded {
            grant_id: e.grant.to_string(),
            phase_id: e.phase.to_string(),
            sme_id: e.sme.to_string(),
            purpose: purpose_to_proto(e.purpose) as i32,
            support_type: e.support_type.clone(),
            project_cost: Some(money_to_proto(&e.project_cost)),
            government_share: decimal_text(e.government_share),
            sponsor_share: decimal_text(e.sponsor_share),
            own_share: decimal_text(e.own_share),
        }),
        Event::DisbursementRecorded(e) => {
            Payload::DisbursementRecorded(proto::DisbursementRecorded {
                disbursement_id: e.disbursement.to_string(),
                grant_id: e.grant.to_string(),
                phase_id: e.phase.to_string(),
                sme_id: e.sme.to_string(),
                amount: Some(money_to_proto(&e.amount)),
            })
        }
        Event::RefundRecorded(e) => Payload::RefundRecorded(proto::RefundRecorded {
            refund_id: e.refund.to_string(),
            grant_id: e.grant.to_string(),
            phase_id: e.phase.to_string(),
            sme_id: e.sme.to_string(),
            amount: Some(money_to_proto(&e.amount)),
            reason: e.reason.clone(),
        }),
        Event::EntryReversed(e) => Payload::EntryReversed(proto::EntryReversed {
            entry_id: e.entry.to_string(),
            entry_kind: e.kind.as_str().to_string(),
            phase_id: e.phase.to_string(),
            amount: Some(money_to_proto(&e.amount)),
            reason: e.reason.clone(),
        }),
        Event::SettlementRulesSet(e) => Payload::SettlementRulesSet(proto::SettlementRulesSet {
            phase_id: e.phase.to_string(),
            rounding_unit: decimal_text(e.rules.rounding_unit),
            interest_may_be_kept: e.rules.interest_may_be_kept,
        }),
        Event::InterestRecorded(e) => Payload::InterestRecorded(proto::InterestRecorded {
            phase_id: e.phase.to_string(),
            amount: Some(money_to_proto(&e.amount)),
        }),
        Event::InterestSettled(e) => Payload::InterestSettled(proto::InterestSettled {
            phase_id: e.phase.to_string(),
            amount: Some(money_to_proto(&e.amount)),
            kept: e.kept,
            split: Some(split_to_proto(&e.split)),
            rounding_unit: decimal_text(e.rounding_unit),
        }),
        Event::GrantSettled(e) => Payload::GrantSettled(proto::GrantSettled {
            grant_id: e.grant.to_string(),
            phase_id: e.phase.to_string(),
            sme_id: e.sme.to_string(),
            disbursed: decimal_text(e.disbursed),
            refunded: decimal_text(e.refunded),
            unspent: decimal_text(e.unspent()),
            split: Some(split_to_proto(&e.split)),
            rounding_unit: decimal_text(e.rounding_unit),
        }),
        Event::ClawbackDecided(e) => Payload::ClawbackDecided(proto::ClawbackDecided {
            clawback_id: e.clawback.to_string(),
            grant_id: e.grant.to_string(),
            phase_id: e.phase.to_string(),
            sme_id: e.sme.to_string(),
            amount: Some(money_to_proto(&e.amount)),
            reason: e.reason.clone(),
            due_on: e.due_on.to_string(),
        }),
        Event::ClawbackCollected(e) => Payload::ClawbackCollected(proto::ClawbackCollected {
            clawback_id: e.clawback.to_string(),
            grant_id: e.grant.to_string(),
            phase_id: e.phase.to_string(),
            sme_id: e.sme.to_string(),
            amount: Some(money_to_proto(&e.amount)),
        }),
        Event::ClawbackPassedOn(e) => Payload::ClawbackPassedOn(proto::ClawbackPassedOn {
            clawback_id: e.clawback.to_string(),
            grant_id: e.grant.to_string(),
            phase_id: e.phase.to_string(),
            split: Some(split_to_proto(&e.split)),
            rounding_unit: decimal_text(e.rounding_unit),
        }),
    }
}

/// A settlement's split by source, with the remainder spelled out for the reader.
fn split_to_proto(split: &Split) -> proto::Split {
    proto::Split {
        government_part: decimal_text(split.government_part),
        sponsor_part: decimal_text(split.sponsor_part),
        government_returned: decimal_text(split.government_returned),
        sponsor_returned: decimal_text(split.sponsor_returned),
        remainder: decimal_text(split.remainder()),
    }
}
