//! Hand-built events for the store's tests: one of every kind, deterministic ids and
//! times, so encodings are reproducible.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::PendingEvent;
use crate::domain::event::*;
use crate::domain::ids::*;
use crate::domain::{
    ApplicationChannel, Brn, Currency, Money, Purpose, SettlementRules, SizeClass, Split,
    SupportType,
};

fn uuid(n: u128) -> Uuid {
    Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 | n)
}

fn won(amount: i64) -> Money {
    Money::new(Decimal::from(amount), Currency::Krw).unwrap()
}

/// A fixed date.
pub(super) fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap()
}

/// The envelope of the `n`th test event.
pub(super) fn meta(n: u64) -> EventMeta {
    EventMeta {
        id: EventId::from_uuid(uuid(1_000_000 + u128::from(n))),
        recorded_at: DateTime::<Utc>::from_timestamp_micros(1_700_000_000_000_000 + n as i64)
            .unwrap(),
        effective_date: date(2023, 9, 1),
        actor: "alice".to_string(),
        idempotency_key: format!("key-{n}"),
        external_ref: (n % 3 == 0).then(|| format!("VCH-{}", n / 3)),
        metadata: vec![("cost_centre".to_string(), "A1".to_string())],
    }
}

/// One event of every kind, in declaration order.
pub(super) fn every_kind() -> Vec<Event> {
    let phase = PhaseId::from_uuid(uuid(1));
    let contributor = ContributorId::from_uuid(uuid(2));
    let agency = AgencyId::from_uuid(uuid(3));
    let sme = SmeId::from_uuid(uuid(4));
    let contribution = ContributionId::from_uuid(uuid(6));
    let grant = GrantId::from_uuid(uuid(8));
    vec![
        Event::PhaseOpened(PhaseOpened {
            phase,
            name: "Industrial Innovation Movement, phase 2".to_string(),
            currency: Currency::Krw,
            starts_on: date(2018, 9, 1),
            ends_on: date(2023, 8, 31),
            match_ratio: Decimal::ONE,
            support_types: SupportType::smart_factory_2022(),
        }),
        Event::PhaseClosed(PhaseClosed { phase }),
        Event::ContributorRegistered(ContributorRegistered {
            contributor,
            name: "포스코".to_string(),
        }),
        Event::AgencyRegistered(AgencyRegistered {
            agency,
            name: "중소벤처기업부".to_string(),
        }),
        Event::SmeRegistered(SmeRegistered {
            sme,
            brn: Brn::parse("124-81-00998").unwrap(),
            name: "대한정밀".to_string(),
            supplier: false,
            channel: ApplicationChannel::InstitutionProposal,
            size: SizeClass::Small,
        }),
        Event::PledgeRecorded(PledgeRecorded {
            pledge: PledgeId::from_uuid(uuid(5)),
            phase,
            contributor,
            amount: won(20_000_000_000),
        }),
        Event::ContributionRecorded(ContributionRecorded {
            contribution,
            phase,
            contributor,
            amount: won(4_000_000_000),
        }),
        Event::MatchRecorded(MatchRecorded {
            match_id: MatchId::from_uuid(uuid(7)),
            contribution,
            phase,
            agency,
            amount: won(4_000_000_000),
        }),
        Event::GrantAwarded(GrantAwarded {
            grant,
            phase,
            sme,
            purpose: Purpose::SmartFactory,
            support_type: "type1-basic".to_string(),
            project_cost: won(100_000_000),
            government_share: Decimal::from(30_000_000),
            sponsor_share: Decimal::from(40_000_000),
            own_share: Decimal::from(30_000_000),
        }),
        Event::DisbursementRecorded(DisbursementRecorded {
            disbursement: DisbursementId::from_uuid(uuid(9)),
            grant,
            phase,
            sme,
            amount: won(35_000_000),
        }),
        Event::RefundRecorded(RefundRecorded {
            refund: RefundId::from_uuid(uuid(10)),
            grant,
            phase,
            sme,
            amount: won(5_000_000),
            reason: "환수: obligations not met".to_string(),
        }),
        Event::EntryReversed(EntryReversed {
            entry: EntryId::from(RefundId::from_uuid(uuid(10))),
            kind: EntryKind::Refund,
            phase,
            amount: Money::parse("5000000", Currency::Krw).unwrap(),
            reason: "posted twice".to_string(),
        }),
    ]
}

/// One settlement event of every kind, in declaration order. Kept apart from
/// [`every_kind`] so that the store's tests that cycle through those kinds keep their
/// sequences.
pub(super) fn settlement_kinds() -> Vec<Event> {
    let phase = PhaseId::from_uuid(uuid(1));
    let split = Split {
        government_part: Decimal::from(163),
        sponsor_part: Decimal::from(382),
        government_returned: Decimal::from(160),
        sponsor_returned: Decimal::from(380),
    };
    vec![
        Event::SettlementRulesSet(SettlementRulesSet {
            phase,
            rules: SettlementRules {
                rounding_unit: Decimal::TEN,
                interest_may_be_kept: false,
            },
        }),
        Event::InterestRecorded(InterestRecorded {
            phase,
            amount: won(1_235),
        }),
        Event::InterestSettled(InterestSettled {
            phase,
            amount: won(545),
            kept: false,
            split,
            rounding_unit: Decimal::TEN,
        }),
        Event::GrantSettled(GrantSettled {
            grant: GrantId::from_uuid(uuid(8)),
            phase,
            sme: SmeId::from_uuid(uuid(4)),
            disbursed: Decimal::from(455),
            refunded: Decimal::ZERO,
            split,
            rounding_unit: Decimal::TEN,
        }),
        Event::ClawbackDecided(ClawbackDecided {
            clawback: ClawbackId::from_uuid(uuid(11)),
            grant: GrantId::from_uuid(uuid(8)),
            phase,
            sme: SmeId::from_uuid(uuid(4)),
            amount: won(5_000_000),
            reason: "환수: obligations not met".to_string(),
            due_on: date(2024, 6, 30),
        }),
        Event::ClawbackCollected(ClawbackCollected {
            clawback: ClawbackId::from_uuid(uuid(11)),
            grant: GrantId::from_uuid(uuid(8)),
            phase,
            sme: SmeId::from_uuid(uuid(4)),
            amount: won(2_000_000),
        }),
        Event::ClawbackPassedOn(ClawbackPassedOn {
            clawback: ClawbackId::from_uuid(uuid(11)),
            grant: GrantId::from_uuid(uuid(8)),
            phase,
            split,
            rounding_unit: Decimal::TEN,
        }),
    ]
}

/// The `n`th test event (kinds in turn).
pub(super) fn pending(n: u64) -> PendingEvent {
    let kinds = every_kind();
    PendingEvent {
        meta: meta(n),
        event: kinds[(n % kinds.len() as u64) as usize].clone(),
    }
}

/// The `n`th test event, padded with metadata to about `bytes` stored bytes.
pub(super) fn padded(n: u64, bytes: usize) -> PendingEvent {
    let mut event = pending(n);
    event
        .meta
        .metadata
        .push(("padding".to_string(), "p".repeat(bytes)));
    event
}

/// Events `from..from+count`.
pub(super) fn batch(from: u64, count: u64) -> Vec<PendingEvent> {
    (from..from + count).map(pending).collect()
}
