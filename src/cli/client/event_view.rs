//! How one log event is shown: a single readable line, or a JSON object.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Map, Value};

use super::output::{enum_name, money};
use crate::api::proto;
use crate::api::proto::event::Payload;

/// The short lower-case name of an event kind, e.g. `contribution_recorded`.
pub fn kind_name(kind: i32) -> String {
    match proto::EventKind::try_from(kind) {
        Ok(kind) => enum_name(kind.as_str_name(), "EVENT_KIND_"),
        Err(_) => format!("kind_{kind}"),
    }
}

/// A protobuf time in RFC 3339 (UTC, to the millisecond); blank when unset or invalid.
pub fn time_text(time: Option<&prost_types::Timestamp>) -> String {
    let nanos = time.and_then(|t| u32::try_from(t.nanos).ok().map(|nanos| (t.seconds, nanos)));
    nanos
        .and_then(|(seconds, nanos)| DateTime::<Utc>::from_timestamp(seconds, nanos))
        .map(|time| time.to_rfc3339_opts(SecondsFormat::Millis, true))
        .unwrap_or_default()
}

/// One line per event: sequence, time, effective date, kind, what happened, who posted it.
pub fn event_line(event: &proto::Event) -> String {
    let mut line = format!(
        "{:>8}  {}  {}  {:<23} {}",
        event.sequence,
        time_text(event.recorded_at.as_ref()),
        event.effective_date,
        kind_name(event.kind),
        payload_summary(event.payload.as_ref()),
    );
    line.push_str(&format!(
        "  actor={} key={}",
        event.actor, event.idempotency_key
    ));
    if !event.external_ref.is_empty() {
        line.push_str(&format!(" ref={}", event.external_ref));
    }
    line
}

fn amount_text(amount: Option<&proto::Money>) -> String {
    amount
        .map(|m| money(&m.amount, &m.currency))
        .unwrap_or_default()
}

/// What an event says, in a few words with its ids and amount.
pub fn payload_summary(payload: Option<&Payload>) -> String {
    let Some(payload) = payload else {
        return "(no payload)".to_string();
    };
    match payload {
        Payload::PhaseOpened(p) => format!(
            "phase {} {:?} {} {}..{} ratio {}",
            p.phase_id, p.name, p.currency, p.starts_on, p.ends_on, p.match_ratio
        ),
        Payload::PhaseClosed(p) => format!("phase {}", p.phase_id),
        Payload::ContributorRegistered(p) => {
            format!("contributor {} {:?}", p.contributor_id, p.name)
        }
        Payload::AgencyRegistered(p) => format!("agency {} {:?}", p.agency_id, p.name),
        Payload::SmeRegistered(p) => format!(
            "sme {} {:?} brn {}{}",
            p.sme_id,
            p.name,
            p.business_registration_number,
            if p.supplier { " supplier" } else { "" }
        ),
        Payload::PledgeRecorded(p) => format!(
            "pledge {} phase {} contributor {} {}",
            p.pledge_id,
            p.phase_id,
            p.contributor_id,
            amount_text(p.amount.as_ref())
        ),
        Payload::ContributionRecorded(p) => format!(
            "contribution {} phase {} contributor {} {}",
            p.contribution_id,
            p.phase_id,
            p.contributor_id,
            amount_text(p.amount.as_ref())
        ),
        Payload::MatchRecorded(p) => format!(
            "match {} contribution {} agency {} {}",
            p.match_id,
            p.contribution_id,
            p.agency_id,
            amount_text(p.amount.as_ref())
        ),
        Payload::GrantAwarded(p) => format!(
            "grant {} phase {} sme {} {} cost {}",
            p.grant_id,
            p.phase_id,
            p.sme_id,
            p.support_type,
            amount_text(p.project_cost.as_ref())
        ),
        Payload::DisbursementRecorded(p) => format!(
            "disbursement {} grant {} {}",
            p.disbursement_id,
            p.grant_id,
            amount_text(p.amount.as_ref())
        ),
        Payload::RefundRecorded(p) => format!(
            "refund {} grant {} {} {:?}",
            p.refund_id,
            p.grant_id,
            amount_text(p.amount.as_ref()),
            p.reason
        ),
        Payload::EntryReversed(p) => format!(
            "reversed {} {} {} {:?}",
            p.entry_kind,
            p.entry_id,
            amount_text(p.amount.as_ref()),
            p.reason
        ),
        Payload::SettlementRulesSet(p) => format!(
            "settlement rules phase {} rounding unit {} interest may be kept {}",
            p.phase_id, p.rounding_unit, p.interest_may_be_kept
        ),
        Payload::InterestRecorded(p) => format!(
            "interest phase {} {}",
            p.phase_id,
            amount_text(p.amount.as_ref())
        ),
        Payload::InterestSettled(p) if p.kept => format!(
            "interest kept phase {} {}",
            p.phase_id,
            amount_text(p.amount.as_ref())
        ),
        Payload::InterestSettled(p) => format!(
            "interest returned phase {} {} {}",
            p.phase_id,
            amount_text(p.amount.as_ref()),
            split_text(p.split.as_ref())
        ),
        Payload::GrantSettled(p) => format!(
            "grant settled {} spent {} unspent {} {}",
            p.grant_id,
            p.disbursed,
            p.unspent,
            split_text(p.split.as_ref())
        ),
        Payload::ClawbackDecided(p) => format!(
            "clawback {} grant {} {} due {} {:?}",
            p.clawback_id,
            p.grant_id,
            amount_text(p.amount.as_ref()),
            p.due_on,
            p.reason
        ),
        Payload::ClawbackCollected(p) => format!(
            "clawback collected {} grant {} {}",
            p.clawback_id,
            p.grant_id,
            amount_text(p.amount.as_ref())
        ),
        Payload::ClawbackPassedOn(p) => format!(
            "clawback passed on {} grant {} {}",
            p.clawback_id,
            p.grant_id,
            split_text(p.split.as_ref())
        ),
    }
}

/// A settlement's returns in one line: to whom, and what rounding kept back.
fn split_text(split: Option<&proto::Split>) -> String {
    match split {
        Some(s) => format!(
            "returned government {} sponsor {} remainder {}",
            s.government_returned, s.sponsor_returned, s.remainder
        ),
        None => "no split".to_string(),
    }
}

/// A settlement's split as JSON: exact strings.
fn split_json(split: Option<&proto::Split>) -> Value {
    match split {
        Some(s) => json!({
            "government_part": s.government_part, "sponsor_part": s.sponsor_part,
            "government_returned": s.government_returned,
            "sponsor_returned": s.sponsor_returned, "remainder": s.remainder,
        }),
        None => Value::Null,
    }
}

/// Money as JSON: exact strings, never numbers.
pub fn money_json(amount: Option<&proto::Money>) -> Value {
    match amount {
        Some(m) => json!({ "amount": m.amount, "currency": m.currency }),
        None => Value::Null,
    }
}

/// An enum value as its short name, e.g. `sponsor_portal`; the number when unknown.
fn enum_json<E>(value: i32, prefix: &str) -> Value
where
    E: TryFrom<i32>,
    E: EnumName,
{
    match E::try_from(value) {
        Ok(known) => Value::String(enum_name(known.str_name(), prefix)),
        Err(_) => Value::from(value),
    }
}

/// Access to the protobuf name of a generated enum.
pub trait EnumName {
    /// The protobuf name, e.g. `PURPOSE_SMART_FACTORY`.
    fn str_name(&self) -> &'static str;
}

macro_rules! enum_name_impl {
    ($($name:ident),*) => {
        $(impl EnumName for proto::$name {
            fn str_name(&self) -> &'static str {
                self.as_str_name()
            }
        })*
    };
}

enum_name_impl!(Purpose, ApplicationChannel, SizeClass, EventKind);

/// A purpose as JSON.
pub fn purpose_json(value: i32) -> Value {
    enum_json::<proto::Purpose>(value, "PURPOSE_")
}

/// An application channel as JSON.
pub fn channel_json(value: i32) -> Value {
    enum_json::<proto::ApplicationChannel>(value, "APPLICATION_CHANNEL_")
}

/// A size class as JSON.
pub fn size_json(value: i32) -> Value {
    enum_json::<proto::SizeClass>(value, "SIZE_CLASS_")
}

/// A whole event as JSON: the envelope, the hashes in hex and the payload.
pub fn event_json(event: &proto::Event) -> Value {
    let metadata: Map<String, Value> = event
        .metadata
        .iter()
        .map(|entry| (entry.key.clone(), Value::String(entry.value.clone())))
        .collect();
    json!({
        "sequence": event.sequence,
        "event_id": event.event_id,
        "recorded_at": time_text(event.recorded_at.as_ref()),
        "effective_date": event.effective_date,
        "actor": event.actor,
        "idempotency_key": event.idempotency_key,
        "external_ref": event.external_ref,
        "metadata": metadata,
        "prev_hash": hex::encode(&event.prev_hash),
        "hash": hex::encode(&event.hash),
        "kind": kind_name(event.kind),
        "payload": payload_json(event.payload.as_ref()),
    })
}

fn support_type_json(rule: &proto::SupportType) -> Value {
    let share = |rule: Option<&proto::ShareRule>| match rule {
        Some(r) => json!({ "ratio_min": r.ratio_min, "ratio_max": r.ratio_max, "cap": r.cap }),
        None => Value::Null,
    };
    json!({
        "code": rule.code,
        "project_cost_max": rule.project_cost_max,
        "government": share(rule.government.as_ref()),
        "sponsor": share(rule.sponsor.as_ref()),
        "own": share(rule.own.as_ref()),
    })
}

/// An event's payload as JSON, with the field names of the protobuf message.
pub fn payload_json(payload: Option<&Payload>) -> Value {
    let Some(payload) = payload else {
        return Value::Null;
    };
    match payload {
        Payload::PhaseOpened(p) => json!({
            "phase_id": p.phase_id, "name": p.name, "currency": p.currency,
            "starts_on": p.starts_on, "ends_on": p.ends_on, "match_ratio": p.match_ratio,
            "support_types": p.support_types.iter().map(support_type_json).collect::<Vec<_>>(),
        }),
        Payload::PhaseClosed(p) => json!({ "phase_id": p.phase_id }),
        Payload::ContributorRegistered(p) => {
            json!({ "contributor_id": p.contributor_id, "name": p.name })
        }
        Payload::AgencyRegistered(p) => json!({ "agency_id": p.agency_id, "name": p.name }),
        Payload::SmeRegistered(p) => json!({
            "sme_id": p.sme_id, "business_registration_number": p.business_registration_number,
            "name": p.name, "supplier": p.supplier,
            "channel": channel_json(p.channel), "size": size_json(p.size),
        }),
        Payload::PledgeRecorded(p) => json!({
            "pledge_id": p.pledge_id, "phase_id": p.phase_id,
            "contributor_id": p.contributor_id, "amount": money_json(p.amount.as_ref()),
        }),
        Payload::ContributionRecorded(p) => json!({
            "contribution_id": p.contribution_id, "phase_id": p.phase_id,
            "contributor_id": p.contributor_id, "amount": money_json(p.amount.as_ref()),
        }),
        Payload::MatchRecorded(p) => json!({
            "match_id": p.match_id, "contribution_id": p.contribution_id, "phase_id": p.phase_id,
            "agency_id": p.agency_id, "amount": money_json(p.amount.as_ref()),
        }),
        Payload::GrantAwarded(p) => json!({
            "grant_id": p.grant_id, "phase_id": p.phase_id, "sme_id": p.sme_id,
            "purpose": purpose_json(p.purpose), "support_type": p.support_type,
            "project_cost": money_json(p.project_cost.as_ref()),
            "government_share": p.government_share, "sponsor_share": p.sponsor_share,
            "own_share": p.own_share,
        }),
        Payload::DisbursementRecorded(p) => json!({
            "disbursement_id": p.disbursement_id, "grant_id": p.grant_id, "phase_id": p.phase_id,
            "sme_id": p.sme_id, "amount": money_json(p.amount.as_ref()),
        }),
        Payload::RefundRecorded(p) => json!({
            "refund_id": p.refund_id, "grant_id": p.grant_id, "phase_id": p.phase_id,
            "sme_id": p.sme_id, "amount": money_json(p.amount.as_ref()), "reason": p.reason,
        }),
        Payload::EntryReversed(p) => json!({
            "entry_id": p.entry_id, "entry_kind": p.entry_kind, "phase_id": p.phase_id,
            "amount": money_json(p.amount.as_ref()), "reason": p.reason,
        }),
        Payload::SettlementRulesSet(p) => json!({
            "phase_id": p.phase_id, "rounding_unit": p.rounding_unit,
            "interest_may_be_kept": p.interest_may_be_kept,
        }),
        Payload::InterestRecorded(p) => json!({
            "phase_id": p.phase_id, "amount": money_json(p.amount.as_ref()),
        }),
        Payload::InterestSettled(p) => json!({
            "phase_id": p.phase_id, "amount": money_json(p.amount.as_ref()), "kept": p.kept,
            "split": split_json(p.split.as_ref()), "rounding_unit": p.rounding_unit,
        }),
        Payload::GrantSettled(p) => json!({
            "grant_id": p.grant_id, "phase_id": p.phase_id, "sme_id": p.sme_id,
            "disbursed": p.disbursed, "refunded": p.refunded, "unspent": p.unspent,
            "split": split_json(p.split.as_ref()), "rounding_unit": p.rounding_unit,
        }),
        Payload::ClawbackDecided(p) => json!({
            "clawback_id": p.clawback_id, "grant_id": p.grant_id, "phase_id": p.phase_id,
            "sme_id": p.sme_id, "amount": money_json(p.amount.as_ref()), "reason": p.reason,
            "due_on": p.due_on,
        }),
        Payload::ClawbackCollected(p) => json!({
            "clawback_id": p.clawback_id, "grant_id": p.grant_id, "phase_id": p.phase_id,
            "sme_id": p.sme_id, "amount": money_json(p.amount.as_ref()),
        }),
        Payload::ClawbackPassedOn(p) => json!({
            "clawback_id": p.clawback_id, "grant_id": p.grant_id, "phase_id": p.phase_id,
            "split": split_json(p.split.as_ref()), "rounding_unit": p.rounding_unit,
        }),
    }
}
