//! Event payloads between the domain and the stored protobuf messages.
//!
//! Writing is total: every domain event has a stored form. Reading re-validates every
//! value through the domain's constructors (`Money::parse`, `Brn::parse`, ids, enums), so
//! a damaged or foreign record becomes an error naming the field, never a bad value.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::proto as pb;
use super::proto::stored_event::Payload;
use crate::domain::event::{self as ev, EntryKind, Event};
use crate::domain::ids::*;
use crate::domain::{
    ApplicationChannel, Brn, Currency, Money, Purpose, ShareRule, SizeClass, SupportType,
};

mod settlement;

/// Why a stored value is not acceptable; the codec adds the sequence.
pub(super) type Reason = String;

/// Days between 0001-01-01 (chrono's day 1 of the common era) and 1970-01-01.
const EPOCH_DAYS_FROM_CE: i32 = 719_163;

/// Characters in a stored decimal that is not money. `Decimal` has at most 29 digits, a
/// sign and a point; anything longer is damage.
const DECIMAL_CHARS_MAX: usize = 40;

/// The stored form of an event payload.
pub(super) fn to_proto(event: &Event) -> Payload {
    match event {
        Event::PhaseOpened(e) => Payload::PhaseOpened(pb::PhaseOpened {
            phase: id(e.phase.as_uuid()),
            name: e.name.clone(),
            currency: e.currency.code().to_string(),
            starts_on_epoch_days: epoch_days(e.starts_on),
            ends_on_epoch_days: epoch_days(e.ends_on),
            match_ratio: e.match_ratio.to_string(),
            support_types: e.support_types.iter().map(support_type_to).collect(),
        }),
        Event::PhaseClosed(e) => Payload::PhaseClosed(pb::PhaseClosed {
            phase: id(e.phase.as_uuid()),
        }),
        Event::ContributorRegistered(e) => {
            Payload::ContributorRegistered(pb::ContributorRegistered {
                contributor: id(e.contributor.as_uuid()),
                name: e.name.clone(),
            })
        }
        Event::AgencyRegistered(e) => Payload::AgencyRegistered(pb::AgencyRegistered {
            agency: id(e.agency.as_uuid()),
            name: e.name.clone(),
        }),
        Event::SmeRegistered(e) => Payload::SmeRegistered(pb::SmeRegistered {
            sme: id(e.sme.as_uuid()),
            brn: e.brn.to_string(),
            name: e.name.clone(),
            supplier: e.supplier,
            channel: channel_to(e.channel) as i32,
            size: size_to(e.size) as i32,
        }),
        Event::PledgeRecorded(e) => Payload::PledgeRecorded(pb::PledgeRecorded {
            pledge: id(e.pledge.as_uuid()),
            phase: id(e.phase.as_uuid()),
            contributor: id(e.contributor.as_uuid()),
            amount: Some(money_to(e.amount)),
        }),
        Event::ContributionRecorded(e) => Payload::ContributionRecorded(pb::ContributionRecorded {
            contribution: id(e.contribution.as_uuid()),
            phase: id(e.phase.as_uuid()),
            contributor: id(e.contributor.as_uuid()),
            amount: Some(money_to(e.amount)),
        }),
        Event::MatchRecorded(e) => Payload::MatchRecorded(pb::MatchRecorded {
            match_id: id(e.match_id.as_uuid()),
            contribution: id(e.contribution.as_uuid()),
            phase: id(e.phase.as_uuid()),
            agency: id(e.agency.as_uuid()),
            amount: Some(money_to(e.amount)),
        }),
        Event::GrantAwarded(e) => Payload::GrantAwarded(pb::GrantAwarded {
            grant: id(e.grant.as_uuid()),
            phase: id(e.phase.as_uuid()),
            sme: id(e.sme.as_uuid()),
            purpose: purpose_to(e.purpose) as i32,
            support_type: e.support_type.clone(),
            project_cost: Some(money_to(e.project_cost)),
            government_share: e.government_share.to_string(),
            sponsor_share: e.sponsor_share.to_string(),
            own_share: e.own_share.to_string(),
        }),
        Event::DisbursementRecorded(e) => Payload::DisbursementRecorded(pb::DisbursementRecorded {
            disbursement: id(e.disbursement.as_uuid()),
            grant: id(e.grant.as_uuid()),
            phase: id(e.phase.as_uuid()),
            sme: id(e.sme.as_uuid()),
            amount: Some(money_to(e.amount)),
        }),
        Event::RefundRecorded(e) => Payload::RefundRecorded(pb::RefundRecorded {
            refund: id(e.refund.as_uuid()),
            grant: id(e.grant.as_uuid()),
            phase: id(e.phase.as_uuid()),
            sme: id(e.sme.as_uuid()),
            amount: Some(money_to(e.amount)),
            reason: e.reason.clone(),
        }),
        Event::EntryReversed(e) => Payload::EntryReversed(pb::EntryReversed {
            entry: id(e.entry.as_uuid()),
            kind: entry_kind_to(e.kind) as i32,
            phase: id(e.phase.as_uuid()),
            amount: Some(money_to(e.amount)),
            reason: e.reason.clone(),
        }),
        Event::SettlementRulesSet(e) => settlement::rules_to(e),
        Event::InterestRecorded(e) => settlement::interest_to(e),
        Event::InterestSettled(e) => settlement::interest_settled_to(e),
        Event::GrantSettled(e) => settlement::grant_settled_to(e),
        Event::ClawbackDecided(e) => settlement::clawback_decided_to(e),
        Event::ClawbackCollected(e) => settlement::clawback_collected_to(e),
        Event::ClawbackPassedOn(e) => settlement::clawback_passed_on_to(e),
    }
}

/// The domain event of a stored payload, every value re-validated.
pub(super) fn from_proto(payload: Payload) -> Result<Event, Reason> {
    Ok(match payload {
        Payload::PhaseOpened(p) => Event::PhaseOpened(ev::PhaseOpened {
            phase: PhaseId::from_uuid(uuid("phase", &p.phase)?),
            name: p.name,
            currency: currency("currency", &p.currency)?,
            starts_on: date_from("starts_on", p.starts_on_epoch_days)?,
            ends_on: date_from("ends_on", p.ends_on_epoch_days)?,
            match_ratio: decimal("match_ratio", &p.match_ratio)?,
            support_types: p
                .support_types
                .into_iter()
                .map(support_type_from)
                .collect::<Result<_, _>>()?,
        }),
        Payload::PhaseClosed(p) => Event::PhaseClosed(ev::PhaseClosed {
            phase: PhaseId::from_uuid(uuid("phase", &p.phase)?),
        }),
        Payload::ContributorRegistered(p) => {
            Event::ContributorRegistered(ev::ContributorRegistered {
                contributor: ContributorId::from_uuid(uuid("contributor", &p.contributor)?),
                name: p.name,
            })
        }
        Payload::AgencyRegistered(p) => Event::AgencyRegistered(ev::AgencyRegistered {
            agency: AgencyId::from_uuid(uuid("agency", &p.agency)?),
            name: p.name,
        }),
        Payload::SmeRegistered(p) => Event::SmeRegistered(ev::SmeRegistered {
            sme: SmeId::from_uuid(uuid("sme", &p.sme)?),
            brn: Brn::parse(&p.brn).map_err(|e| format!("brn: {e}"))?,
            name: p.name,
            supplier: p.supplier,
            channel: channel_from(p.channel)?,
            size: size_from(p.size)?,
        }),
        Payload::PledgeRecorded(p) => Event::PledgeRecorded(ev::PledgeRecorded {
            pledge: PledgeId::from_uuid(uuid("pledge", &p.pledge)?),
            phase: PhaseId::from_uuid(uuid("phase", &p.phase)?),
            contributor: ContributorId::from_uuid(uuid("contributor", &p.contributor)?),
            amount: money_from("amount", p.amount)?,
        }),
        Payload::ContributionRecorded(p) => Event::ContributionRecorded(ev::ContributionRecorded {
            contribution: ContributionId::from_uuid(uuid("contribution", &p.contribution)?),
            phase: PhaseId::from_uuid(uuid("phase", &p.phase)?),
            contributor: ContributorId::from_uuid(uuid("contributor", &p.contributor)?),
            amount: money_from("amount", p.amount)?,
        }),
        Payload::MatchRecorded(p) => Event::MatchRecorded(ev::MatchRecorded {
            match_id: MatchId::from_uuid(uuid("match_id", &p.match_id)?),
            contribution: ContributionId::from_uuid(uuid("contribution", &p.contribution)?),
            phase: PhaseId::from_uuid(uuid("phase", &p.phase)?),
            agency: AgencyId::from_uuid(uuid("agency", &p.agency)?),
            amount: money_from("amount", p.amount)?,
        }),
        Payload::GrantAwarded(p) => grant_awarded_from(p)?,
        Payload::DisbursementRecorded(p) => Event::DisbursementRecorded(ev::DisbursementRecorded {
            disbursement: DisbursementId::from_uuid(uuid("disbursement", &p.disbursement)?),
            grant: GrantId::from_uuid(uuid("grant", &p.grant)?),
            phase: PhaseId::from_uuid(uuid("phase", &p.phase)?),
            sme: SmeId::from_uuid(uuid("sme", &p.sme)?),
            amount: money_from("amount", p.amount)?,
        }),
        Payload::RefundRecorded(p) => Event::RefundRecorded(ev::RefundRecorded {
            refund: RefundId::from_uuid(uuid("refund", &p.refund)?),
            grant: GrantId::from_uuid(uuid("grant", &p.grant)?),
            phase: PhaseId::from_uuid(uuid("phase", &p.phase)?),
            sme: SmeId::from_uuid(uuid("sme", &p.sme)?),
            amount: money_from("amount", p.amount)?,
            reason: p.reason,
        }),
        Payload::EntryReversed(p) => Event::EntryReversed(ev::EntryReversed {
            entry: EntryId::from_uuid(uuid("entry", &p.entry)?),
            kind: entry_kind_from(p.kind)?,
            phase: PhaseId::from_uuid(uuid("phase", &p.phase)?),
            amount: money_from("amount", p.amount)?,
            reason: p.reason,
        }),
        Payload::SettlementRulesSet(p) => settlement::rules_from(p)?,
        Payload::InterestRecorded(p) => settlement::interest_from(p)?,
        Payload::InterestSettled(p) => settlement::interest_settled_from(p)?,
        Payload::GrantSettled(p) => settlement::grant_settled_from(p)?,
        Payload::ClawbackDecided(p) => settlement::clawback_decided_from(p)?,
        Payload::ClawbackCollected(p) => settlement::clawback_collected_from(p)?,
        Payload::ClawbackPassedOn(p) => settlement::clawback_passed_on_from(p)?,
    })
}

fn grant_awarded_from(p: pb::GrantAwarded) -> Result<Event, Reason> {
    Ok(Event::GrantAwarded(ev::GrantAwarded {
        grant: GrantId::from_uuid(uuid("grant", &p.grant)?),
        phase: PhaseId::from_uuid(uuid("phase", &p.phase)?),
        sme: SmeId::from_uuid(uuid("sme", &p.sme)?),
        purpose: purpose_from(p.purpose)?,
        support_type: p.support_type,
        project_cost: money_from("project_cost", p.project_cost)?,
        government_share: decimal("government_share", &p.government_share)?,
        sponsor_share: decimal("sponsor_share", &p.sponsor_share)?,
        own_share: decimal("own_share", &p.own_share)?,
    }))
}

/// The 16 bytes of an id.
pub(super) fn id(uuid: Uuid) -> Vec<u8> {
    uuid.as_bytes().to_vec()
}

pub(super) fn uuid(field: &str, bytes: &[u8]) -> Result<Uuid, Reason> {
    Uuid::from_slice(bytes)
        .map_err(|_| format!("{field}: {} bytes, not a 16-byte UUID", bytes.len()))
}

/// Days since 1970-01-01; chrono's dates (±262,143 years) fit an `i32` of days.
pub(super) fn epoch_days(date: NaiveDate) -> i32 {
    date.num_days_from_ce() - EPOCH_DAYS_FROM_CE
}

pub(super) fn date_from(field: &str, days: i32) -> Result<NaiveDate, Reason> {
    days.checked_add(EPOCH_DAYS_FROM_CE)
        .and_then(NaiveDate::from_num_days_from_ce_opt)
        .ok_or_else(|| format!("{field}: {days} days from 1970-01-01 is not a date"))
}

fn currency(field: &str, code: &str) -> Result<Currency, Reason> {
    code.parse::<Currency>()
        .map_err(|e| format!("{field}: {e}"))
}

pub(super) fn decimal(field: &str, text: &str) -> Result<Decimal, Reason> {
    if text.is_empty() || text.len() > DECIMAL_CHARS_MAX {
        return Err(format!(
            "{field}: {} characters is not a decimal",
            text.len()
        ));
    }
    Decimal::from_str_exact(text).map_err(|e| format!("{field}: {text:?}: {e}"))
}

fn optional_decimal(field: &str, text: Option<String>) -> Result<Option<Decimal>, Reason> {
    text.map(|text| decimal(field, &text)).transpose()
}

pub(super) fn money_to(money: Money) -> pb::Money {
    pb::Money {
        amount: money.amount().to_string(),
        currency: money.currency().code().to_string(),
    }
}

pub(super) fn money_from(field: &str, money: Option<pb::Money>) -> Result<Money, Reason> {
    let money = money.ok_or_else(|| format!("{field}: missing"))?;
    let currency = currency(field, &money.currency)?;
    Money::parse(&money.amount, currency).map_err(|e| format!("{field}: {e}"))
}

fn share_rule_to(rule: &ShareRule) -> pb::ShareRule {
    pb::ShareRule {
        ratio_min: rule.ratio_min.to_string(),
        ratio_max: rule.ratio_max.to_string(),
        cap: rule.cap.map(|cap| cap.to_string()),
    }
}

fn share_rule_from(field: &str, rule: Option<pb::ShareRule>) -> Result<ShareRule, Reason> {
    let rule = rule.ok_or_else(|| format!("{field}: missing"))?;
    Ok(ShareRule {
        ratio_min: decimal(field, &rule.ratio_min)?,
        ratio_max: decimal(field, &rule.ratio_max)?,
        cap: optional_decimal(field, rule.cap)?,
    })
}

fn support_type_to(support_type: &SupportType) -> pb::SupportType {
    pb::SupportType {
        code: support_type.code.clone(),
        project_cost_max: support_type.project_cost_max.map(|max| max.to_string()),
        government: Some(share_rule_to(&support_type.government)),
        sponsor: Some(share_rule_to(&support_type.sponsor)),
        own: Some(share_rule_to(&support_type.own)),
    }
}

fn support_type_from(support_type: pb::SupportType) -> Result<SupportType, Reason> {
    Ok(SupportType {
        code: support_type.code,
        project_cost_max: optional_decimal("project_cost_max", support_type.project_cost_max)?,
        government: share_rule_from("government", support_type.government)?,
        sponsor: share_rule_from("sponsor", support_type.sponsor)?,
        own: share_rule_from("own", support_type.own)?,
    })
}

fn purpose_to(purpose: Purpose) -> pb::Purpose {
    match purpose {
        Purpose::QssConsulting => pb::Purpose::QssConsulting,
        Purpose::SmartFactory => pb::Purpose::SmartFactory,
        Purpose::FacilityImprovement => pb::Purpose::FacilityImprovement,
    }
}

fn purpose_from(value: i32) -> Result<Purpose, Reason> {
    match pb::Purpose::try_from(value) {
        Ok(pb::Purpose::QssConsulting) => Ok(Purpose::QssConsulting),
        Ok(pb::Purpose::SmartFactory) => Ok(Purpose::SmartFactory),
        Ok(pb::Purpose::FacilityImprovement) => Ok(Purpose::FacilityImprovement),
        Ok(pb::Purpose::Unspecified) | Err(_) => Err(format!("purpose: unknown value {value}")),
    }
}

fn channel_to(channel: ApplicationChannel) -> pb::ApplicationChannel {
    match channel {
        ApplicationChannel::SponsorPortal => pb::ApplicationChannel::SponsorPortal,
        ApplicationChannel::InstitutionProposal => pb::ApplicationChannel::InstitutionProposal,
        ApplicationChannel::Other => pb::ApplicationChannel::Other,
    }
}

fn channel_from(value: i32) -> Result<ApplicationChannel, Reason> {
    match pb::ApplicationChannel::try_from(value) {
        Ok(pb::ApplicationChannel::SponsorPortal) => Ok(ApplicationChannel::SponsorPortal),
        Ok(pb::ApplicationChannel::InstitutionProposal) => {
            Ok(ApplicationChannel::InstitutionProposal)
        }
        Ok(pb::ApplicationChannel::Other) => Ok(ApplicationChannel::Other),
        Ok(pb::ApplicationChannel::Unspecified) | Err(_) => {
            Err(format!("channel: unknown value {value}"))
        }
    }
}

fn size_to(size: SizeClass) -> pb::SizeClass {
    match size {
        SizeClass::Small => pb::SizeClass::Small,
        SizeClass::Medium => pb::SizeClass::Medium,
    }
}

fn size_from(value: i32) -> Result<SizeClass, Reason> {
    match pb::SizeClass::try_from(value) {
        Ok(pb::SizeClass::Small) => Ok(SizeClass::Small),
        Ok(pb::SizeClass::Medium) => Ok(SizeClass::Medium),
        Ok(pb::SizeClass::Unspecified) | Err(_) => Err(format!("size: unknown value {value}")),
    }
}

fn entry_kind_to(kind: EntryKind) -> pb::EntryKind {
    match kind {
        EntryKind::Pledge => pb::EntryKind::Pledge,
        EntryKind::Contribution => pb::EntryKind::Contribution,
        EntryKind::Match => pb::EntryKind::Match,
        EntryKind::Grant => pb::EntryKind::Grant,
        EntryKind::Disbursement => pb::EntryKind::Disbursement,
        EntryKind::Refund => pb::EntryKind::Refund,
    }
}

fn entry_kind_from(value: i32) -> Result<EntryKind, Reason> {
    match pb::EntryKind::try_from(value) {
        Ok(pb::EntryKind::Pledge) => Ok(EntryKind::Pledge),
        Ok(pb::EntryKind::Contribution) => Ok(EntryKind::Contribution),
        Ok(pb::EntryKind::Match) => Ok(EntryKind::Match),
        Ok(pb::EntryKind::Grant) => Ok(EntryKind::Grant),
        Ok(pb::EntryKind::Disbursement) => Ok(EntryKind::Disbursement),
        Ok(pb::EntryKind::Refund) => Ok(EntryKind::Refund),
        Ok(pb::EntryKind::Unspecified) | Err(_) => Err(format!("kind: unknown value {value}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_days_round_trip_at_the_edges_of_chrono() {
        for date in [
            NaiveDate::MIN,
            NaiveDate::MAX,
            NaiveDate::from_ymd_opt(1970, 1, 1).unwrap(),
            NaiveDate::from_ymd_opt(1969, 12, 31).unwrap(),
            NaiveDate::from_ymd_opt(2018, 9, 1).unwrap(),
        ] {
            assert_eq!(date_from("d", epoch_days(date)), Ok(date));
        }
        assert_eq!(epoch_days(NaiveDate::from_ymd_opt(1970, 1, 2).unwrap()), 1);
        assert!(date_from("d", i32::MAX).is_err());
        assert!(date_from("d", i32::MIN).is_err());
    }

    #[test]
    fn unspecified_enum_values_are_refused() {
        assert!(purpose_from(0).is_err());
        assert!(channel_from(0).is_err());
        assert!(size_from(0).is_err());
        assert!(entry_kind_from(0).is_err());
        assert!(entry_kind_from(99).is_err());
    }

    #[test]
    fn stored_money_is_revalidated() {
        let fractional_won = pb::Money {
            amount: "1.5".into(),
            currency: "KRW".into(),
        };
        assert!(money_from("amount", Some(fractional_won)).is_err());
        assert!(money_from("amount", None).is_err());
        let decimals = ["", "1e5", &"9".repeat(60)];
        for text in decimals {
            assert!(decimal("d", text).is_err(), "{text:?}");
        }
    }
}
