//! The clawback lifecycle (rule 14): decided, collected in parts, passed on.

use super::settlement::{rules_set, split};
use super::*;

const CLAWBACK: ClawbackId = ClawbackId::from_uuid(Uuid::from_u128(0x7000));
const CLAWBACK_2: ClawbackId = ClawbackId::from_uuid(Uuid::from_u128(0x7001));

fn decide_clawback(clawback: ClawbackId, amount: i64) -> Command {
    Command::DecideClawback {
        clawback,
        grant: GRANT,
        amount: krw(amount),
        reason: "obligation broken".to_string(),
        due_on: date(2024, 6, 30),
    }
}

fn decided(clawback: ClawbackId, amount: i64) -> Event {
    Event::ClawbackDecided(ClawbackDecided {
        clawback,
        grant: GRANT,
        phase: PHASE,
        sme: SME,
        amount: krw(amount),
        reason: "obligation broken".to_string(),
        due_on: date(2024, 6, 30),
    })
}

fn collect(clawback: ClawbackId, amount: i64) -> Command {
    Command::CollectClawback {
        clawback,
        amount: krw(amount),
    }
}

fn collected(clawback: ClawbackId, amount: i64) -> Event {
    Event::ClawbackCollected(ClawbackCollected {
        clawback,
        grant: GRANT,
        phase: PHASE,
        sme: SME,
        amount: krw(amount),
    })
}

/// A pool of 2,000, a grant of 300 government and 700 sponsor, 800 disbursed.
fn paid_out() -> Vec<Event> {
    then(
        funded_world(1_000),
        [
            awarded(GRANT, 300, 700),
            disbursed(DISBURSEMENT, GRANT, 800),
        ],
    )
}

#[test]
fn a_clawback_is_decided_with_its_amount_reason_and_deadline() {
    let state = given(paid_out())
        .when(decide_clawback(CLAWBACK, 500))
        .then_events([decided(CLAWBACK, 500)]);
    let clawback = state.clawback(&CLAWBACK).unwrap();
    assert_eq!(clawback.outstanding(), dec(500));
    // Deciding moves no money.
    assert_eq!(state.phase(&PHASE).map(|p| p.totals.cash), Some(dec(1_200)));
}

#[test]
fn clawbacks_beyond_what_was_paid_out_are_refused() {
    let history = then(paid_out(), [decided(CLAWBACK, 500)]);
    let violation = assert_refused!(
        given(history).when(decide_clawback(CLAWBACK_2, 301)),
        RuleViolation::OverClawback { .. }
    );
    assert_eq!(
        violation,
        RuleViolation::OverClawback {
            grant: GRANT.to_string(),
            amount: dec(301),
            collectable: dec(300),
        }
    );
}

#[test]
fn a_clawback_id_already_used_is_refused() {
    let history = then(paid_out(), [decided(CLAWBACK, 100)]);
    assert_refused!(
        given(history).when(decide_clawback(CLAWBACK, 100)),
        RuleViolation::AlreadyExists {
            kind: "clawback",
            ..
        }
    );
}

#[test]
fn a_clawback_is_collected_in_parts_as_money_paid_back_on_the_grant() {
    let history = then(
        paid_out(),
        [decided(CLAWBACK, 500), collected(CLAWBACK, 200)],
    );
    let state = given(history)
        .when(collect(CLAWBACK, 300))
        .then_events([collected(CLAWBACK, 300)]);
    let clawback = state.clawback(&CLAWBACK).unwrap();
    assert_eq!(clawback.outstanding(), Decimal::ZERO);
    assert_eq!(clawback.held(), dec(500));
    assert_eq!(state.grant(&GRANT).map(|g| g.refunded), Some(dec(500)));
    assert_eq!(state.phase(&PHASE).map(|p| p.totals.cash), Some(dec(1_700)));
}

#[test]
fn collecting_more_than_is_owed_is_refused() {
    let history = then(
        paid_out(),
        [decided(CLAWBACK, 500), collected(CLAWBACK, 400)],
    );
    assert_refused!(
        given(history).when(collect(CLAWBACK, 101)),
        RuleViolation::OverCollection { outstanding, .. } if outstanding == dec(100)
    );
}

#[test]
fn collecting_on_an_unknown_clawback_is_refused() {
    assert_refused!(
        given(paid_out()).when(collect(CLAWBACK, 1)),
        RuleViolation::NotFound {
            kind: "clawback",
            ..
        }
    );
}

#[test]
fn collected_money_is_passed_on_pro_rata_to_the_grant_shares() {
    // 455 held: 30 % government (136.5 → 136) and the sponsor 319; unit 10.
    let history = then(
        paid_out(),
        [
            rules_set(10, false),
            decided(CLAWBACK, 455),
            collected(CLAWBACK, 455),
        ],
    );
    let state = given(history)
        .when(Command::PassOnClawback { clawback: CLAWBACK })
        .then_events([Event::ClawbackPassedOn(ClawbackPassedOn {
            clawback: CLAWBACK,
            grant: GRANT,
            phase: PHASE,
            split: split((136, 130), (319, 310)),
            rounding_unit: dec(10),
        })]);
    let clawback = state.clawback(&CLAWBACK).unwrap();
    assert_eq!(clawback.held(), Decimal::ZERO);
    let totals = state.phase(&PHASE).map(|p| p.totals).unwrap();
    assert_eq!(totals.cash, dec(1_200 + 455 - 440));
    assert_eq!(totals.returned, dec(440));
}

#[test]
fn passing_on_a_clawback_that_holds_nothing_is_refused() {
    let history = then(paid_out(), [decided(CLAWBACK, 455)]);
    assert_refused!(
        given(history).when(Command::PassOnClawback { clawback: CLAWBACK }),
        RuleViolation::NothingToPassOn { .. }
    );
}
