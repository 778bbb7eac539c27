//! Settlement figures: interest beside the pool, returns out of the cash, settled grants,
//! and the remainders the rounding rule kept back, with balanced books after each event.

use super::kit::*;
use crate::domain::event::*;
use crate::domain::*;
use crate::projection::{Account, Projections};

fn split(government: (i64, i64), sponsor: (i64, i64)) -> Split {
    Split {
        government_part: d(government.0),
        government_returned: d(government.1),
        sponsor_part: d(sponsor.0),
        sponsor_returned: d(sponsor.1),
    }
}

fn interest(amount: i64) -> Event {
    Event::InterestRecorded(InterestRecorded {
        phase: phase_id(1),
        amount: krw(amount),
    })
}

fn interest_settled(amount: i64, kept: bool, split: Split) -> Event {
    Event::InterestSettled(InterestSettled {
        phase: phase_id(1),
        amount: krw(amount),
        kept,
        split,
        rounding_unit: d(10),
    })
}

fn grant_settled(disbursed: i64, split: Split) -> Event {
    Event::GrantSettled(GrantSettled {
        grant: grant_id(1),
        phase: phase_id(1),
        sme: sme_id(1),
        disbursed: d(disbursed),
        refunded: d(0),
        split,
        rounding_unit: d(10),
    })
}

/// The programme with 1,000 contributed and matched.
fn funded() -> Log {
    let mut log = Log::programme();
    log.contribute(1, 1_000).match_contribution(1, 1, 1_000);
    log
}

#[test]
fn interest_is_shown_beside_the_pool_and_its_returns_leave_the_cash() {
    let mut log = funded();
    log.record(interest(125));
    assert_eq!(log.phase().pool, d(2_000));
    assert_eq!(log.phase().cash, d(2_125));
    assert_eq!(log.phase().settlement.interest_held(), d(125));

    log.record(interest_settled(125, false, split((62, 60), (63, 60))));

    let phase = log.phase();
    assert_eq!(phase.pool, d(2_000));
    assert_eq!(phase.settlement.interest_earned, d(125));
    assert_eq!(phase.settlement.interest_returned_government, d(60));
    assert_eq!(phase.settlement.interest_returned_sponsor, d(60));
    assert_eq!(phase.settlement.interest_remainder, d(5));
    assert_eq!(phase.settlement.interest_held(), d(0));
    assert_eq!(phase.cash, d(2_005));
}

#[test]
fn kept_interest_moves_to_its_own_account_and_stays_in_cash() {
    let mut log = funded();
    log.record(interest(40))
        .record(interest_settled(40, true, Split::default()));
    let phase = log.phase();
    assert_eq!(phase.settlement.interest_kept, d(40));
    assert_eq!(phase.cash, d(2_040));
    let kept = log
        .projections
        .account_balance(&phase_id(1), Account::InterestKept);
    assert_eq!(kept, Some(d(-40)));
}

#[test]
fn a_settled_grant_clears_its_payable_and_returns_its_unspent_part() {
    let mut log = funded();
    log.award(1, 1, 300, 700, 0).disburse(1, 1, 455);

    log.record(grant_settled(455, split((163, 160), (382, 380))));

    let phase = log.phase();
    assert_eq!(phase.settlement.grants_settled, 1);
    assert_eq!(phase.settlement.spent_on_settled, d(455));
    assert_eq!(phase.settlement.unspent, d(545));
    assert_eq!(phase.settlement.unspent_returned_government, d(160));
    assert_eq!(phase.settlement.unspent_returned_sponsor, d(380));
    assert_eq!(phase.settlement.unspent_remainder, d(5));
    assert_eq!(phase.cash, d(2_000 - 455 - 540));
    let payable = log
        .projections
        .account_balance(&phase_id(1), Account::GrantsPayable);
    assert_eq!(payable, Some(d(0)));
    let settled = log.projections.settled_grants_of(&phase_id(1));
    assert_eq!(settled.len(), 1);
    assert_eq!(settled[0].settled.unspent(), d(545));
}

#[test]
fn a_second_settlement_of_the_same_grant_is_ignored() {
    let mut log = funded();
    log.award(1, 1, 300, 700, 0);
    log.record(grant_settled(0, split((300, 300), (700, 700))));
    let before = log.phase();

    log.record(grant_settled(0, split((300, 300), (700, 700))));

    assert_eq!(log.phase(), before);
}

#[test]
fn settlement_of_an_unknown_phase_or_grant_is_ignored() {
    let mut log = funded();
    let before = log.phase();
    log.record(Event::InterestRecorded(InterestRecorded {
        phase: phase_id(9),
        amount: krw(5),
    }));
    log.record(grant_settled(0, split((1, 1), (1, 1))));
    assert_eq!(log.phase(), before);
}

#[test]
fn settlement_figures_replay_to_the_same_projections() {
    let mut log = funded();
    log.award(1, 1, 300, 700, 0)
        .disburse(1, 1, 455)
        .record(interest(125))
        .record(interest_settled(125, false, split((62, 60), (63, 60))))
        .record(grant_settled(455, split((163, 160), (382, 380))));
    assert_eq!(Projections::replay(&log.events), log.projections);
}

fn clawback_id(n: u128) -> ClawbackId {
    ClawbackId::from_uuid(uuid::Uuid::from_u128(0x7000 + n))
}

fn clawback_decided(amount: i64, due_on: chrono::NaiveDate) -> Event {
    Event::ClawbackDecided(ClawbackDecided {
        clawback: clawback_id(1),
        grant: grant_id(1),
        phase: phase_id(1),
        sme: sme_id(1),
        amount: krw(amount),
        reason: "obligation broken".to_string(),
        due_on,
    })
}

fn clawback_collected(amount: i64) -> Event {
    Event::ClawbackCollected(ClawbackCollected {
        clawback: clawback_id(1),
        grant: grant_id(1),
        phase: phase_id(1),
        sme: sme_id(1),
        amount: krw(amount),
    })
}

fn date(year: i32, month: u32, day: u32) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(year, month, day).unwrap()
}

#[test]
fn a_clawback_collected_late_shows_its_overdue_days_and_how_long_it_is_held() {
    // Given a clawback due on 2023-12-01, half collected on 2024-01-01 (the kit's date).
    let mut log = funded();
    log.award(1, 1, 300, 700, 0).disburse(1, 1, 800);
    log.record(clawback_decided(500, date(2023, 12, 1)))
        .record(clawback_collected(250));

    let status = log.projections.clawback(&clawback_id(1)).unwrap().clone();
    assert_eq!(status.outstanding(), d(250));
    assert_eq!(status.held(), d(250));
    assert_eq!(status.overdue_days(date(2024, 1, 31)), Some(61));
    assert_eq!(status.held_days(date(2024, 3, 1)), Some(60));
    let phase = log.phase();
    assert_eq!(phase.refunded, d(250));
    assert_eq!(phase.settlement.clawbacks_held(), d(250));
    assert_eq!(phase.cash, d(2_000 - 800 + 250));

    // When it is passed on, nothing is held any more and the money left the fund.
    log.record(Event::ClawbackPassedOn(ClawbackPassedOn {
        clawback: clawback_id(1),
        grant: grant_id(1),
        phase: phase_id(1),
        split: split((75, 70), (175, 170)),
        rounding_unit: d(10),
    }));
    let status = log.projections.clawback(&clawback_id(1)).unwrap();
    assert_eq!(status.held_days(date(2024, 3, 1)), None);
    assert_eq!(status.remainder, d(10));
    let phase = log.phase();
    assert_eq!(phase.settlement.clawback_returned_government, d(70));
    assert_eq!(phase.settlement.clawback_returned_sponsor, d(170));
    assert_eq!(phase.cash, d(2_000 - 800 + 250 - 240));
    assert_eq!(log.projections.clawbacks_of(&phase_id(1)).len(), 1);
    assert_eq!(Projections::replay(&log.events), log.projections);
}

#[test]
fn a_clawback_paid_by_its_deadline_is_not_overdue() {
    let mut log = funded();
    log.award(1, 1, 300, 700, 0).disburse(1, 1, 800);
    log.record(clawback_decided(100, date(2024, 2, 1)));
    let status = log.projections.clawback(&clawback_id(1)).unwrap().clone();
    assert_eq!(status.overdue_days(date(2024, 2, 1)), None);
    assert_eq!(status.overdue_days(date(2024, 2, 2)), Some(1));
    log.record(clawback_collected(100));
    let status = log.projections.clawback(&clawback_id(1)).unwrap();
    assert_eq!(status.overdue_days(date(2024, 9, 1)), None);
}

#[test]
fn a_collection_on_an_unknown_clawback_is_ignored() {
    let mut log = funded();
    log.award(1, 1, 300, 700, 0).disburse(1, 1, 800);
    let before = log.phase();
    log.record(clawback_collected(100));
    assert_eq!(log.phase(), before);
}
