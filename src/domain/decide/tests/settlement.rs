//! Settlement: the phase's rules, interest (rule 12) and settled grants (rule 13).

use super::*;
use crate::domain::settlement::{SettlementRules, Split};

pub fn set_rules(unit: i64, keep: bool) -> Command {
    Command::SetSettlementRules {
        phase: PHASE,
        rounding_unit: dec(unit),
        interest_may_be_kept: keep,
    }
}

pub fn rules_set(unit: i64, keep: bool) -> Event {
    Event::SettlementRulesSet(SettlementRulesSet {
        phase: PHASE,
        rules: SettlementRules {
            rounding_unit: dec(unit),
            interest_may_be_kept: keep,
        },
    })
}

pub fn interest(amount: i64) -> Command {
    Command::RecordInterest {
        phase: PHASE,
        amount: krw(amount),
    }
}

pub fn interest_recorded(amount: i64) -> Event {
    Event::InterestRecorded(InterestRecorded {
        phase: PHASE,
        amount: krw(amount),
    })
}

pub fn settle_interest(amount: i64, keep: bool) -> Command {
    Command::SettleInterest {
        phase: PHASE,
        amount: krw(amount),
        keep,
    }
}

pub fn split(government: (i64, i64), sponsor: (i64, i64)) -> Split {
    Split {
        government_part: dec(government.0),
        government_returned: dec(government.1),
        sponsor_part: dec(sponsor.0),
        sponsor_returned: dec(sponsor.1),
    }
}

fn settle(grant: GrantId) -> Command {
    Command::SettleGrant { grant }
}

/// The pool of 2,000 (1,000 contributed, 1,000 matched) with a grant funding 1,000
/// (300 government, 700 sponsor) of which 455 was disbursed.
fn half_spent() -> Vec<Event> {
    then(
        funded_world(1_000),
        [
            awarded(GRANT, 300, 700),
            disbursed(DISBURSEMENT, GRANT, 455),
        ],
    )
}

#[test]
fn settlement_rules_with_a_treasury_rounding_unit_are_recorded() {
    let state = given(world())
        .when(set_rules(10, false))
        .then_events([rules_set(10, false)]);
    let rules = state.phase(&PHASE).map(|p| p.rules);
    assert_eq!(rules.map(|r| r.rounding_unit), Some(dec(10)));
}

#[test]
fn a_rounding_unit_that_is_not_a_power_of_ten_is_refused() {
    assert_refused!(
        given(world()).when(set_rules(5, false)),
        RuleViolation::InvalidField {
            field: "rounding_unit",
            ..
        }
    );
}

#[test]
fn settlement_rules_of_an_unknown_phase_are_refused() {
    assert_refused!(
        given(Vec::new()).when(set_rules(10, false)),
        RuleViolation::NotFound { kind: "phase", .. }
    );
}

#[test]
fn interest_is_held_apart_from_the_pool_and_counts_as_cash() {
    let state = given(funded_world(1_000))
        .when(interest(37))
        .then_events([interest_recorded(37)]);
    let totals = state.phase(&PHASE).map(|p| p.totals).unwrap();
    assert_eq!(totals.interest_held, dec(37));
    assert_eq!(totals.cash, dec(2_037));
    assert_eq!(totals.contributed + totals.matched, dec(2_000));
}

#[test]
fn interest_on_a_closed_phase_is_still_recorded() {
    given(then(funded_world(1_000), [phase_closed()]))
        .when(interest(5))
        .then_events([interest_recorded(5)]);
}

#[test]
fn interest_in_another_currency_is_refused() {
    let dollars = Money::new(dec(5), Currency::Usd).unwrap();
    assert_refused!(
        given(funded_world(1_000)).when(Command::RecordInterest {
            phase: PHASE,
            amount: dollars
        }),
        RuleViolation::CurrencyMismatch { .. }
    );
}

#[test]
fn interest_is_returned_pro_rata_to_what_each_paid_in() {
    // 3,000 contributed and 1,000 matched: the government's part is a quarter.
    let history = then(
        world(),
        [
            contributed(CONTRIBUTION, 1_000),
            contributed(CONTRIBUTION_2, 2_000),
            matched(MATCH, CONTRIBUTION_2, 1_000),
            interest_recorded(400),
        ],
    );
    let state = given(then(history, [rules_set(1, false)]))
        .when(settle_interest(400, false))
        .then_events([Event::InterestSettled(InterestSettled {
            phase: PHASE,
            amount: krw(400),
            kept: false,
            split: split((100, 100), (300, 300)),
            rounding_unit: dec(1),
        })]);
    let totals = state.phase(&PHASE).map(|p| p.totals).unwrap();
    assert_eq!(totals.interest_held, Decimal::ZERO);
    assert_eq!(totals.cash, dec(4_000));
}

#[test]
fn interest_returns_drop_amounts_under_the_rounding_unit_into_the_remainder() {
    let history = then(
        funded_world(1_000),
        [rules_set(10, false), interest_recorded(1_235)],
    );
    let state = given(history)
        .when(settle_interest(1_235, false))
        .then_events([Event::InterestSettled(InterestSettled {
            phase: PHASE,
            amount: krw(1_235),
            kept: false,
            split: split((617, 610), (618, 610)),
            rounding_unit: dec(10),
        })]);
    let totals = state.phase(&PHASE).map(|p| p.totals).unwrap();
    // The 15 won remainder stays in the fund's cash, recorded, not lost.
    assert_eq!(totals.cash, dec(2_015));
    assert_eq!(totals.returned, dec(1_220));
}

#[test]
fn settling_more_interest_than_is_held_is_refused() {
    let violation = assert_refused!(
        given(then(funded_world(1_000), [interest_recorded(50)])).when(settle_interest(51, false)),
        RuleViolation::InterestExceeded { .. }
    );
    assert_eq!(
        violation,
        RuleViolation::InterestExceeded {
            phase: PHASE.to_string(),
            amount: dec(51),
            held: dec(50),
        }
    );
}

#[test]
fn keeping_interest_is_refused_unless_the_phase_allows_it() {
    assert_refused!(
        given(then(funded_world(1_000), [interest_recorded(50)])).when(settle_interest(50, true)),
        RuleViolation::InterestKeepingNotAllowed { .. }
    );
}

#[test]
fn interest_kept_where_the_phase_allows_it_stays_in_cash() {
    let history = then(
        funded_world(1_000),
        [rules_set(10, true), interest_recorded(50)],
    );
    let state =
        given(history)
            .when(settle_interest(50, true))
            .then_events([Event::InterestSettled(InterestSettled {
                phase: PHASE,
                amount: krw(50),
                kept: true,
                split: Split::default(),
                rounding_unit: dec(10),
            })]);
    let totals = state.phase(&PHASE).map(|p| p.totals).unwrap();
    assert_eq!(totals.interest_held, Decimal::ZERO);
    assert_eq!(totals.cash, dec(2_050));
}

#[test]
fn interest_of_a_phase_without_money_paid_in_cannot_be_returned() {
    assert_refused!(
        given(then(world(), [interest_recorded(5)])).when(settle_interest(5, false)),
        RuleViolation::NoOneToReturnTo { .. }
    );
}

#[test]
fn a_settled_grant_returns_its_unspent_part_pro_rata_to_its_shares() {
    // Unspent 545 of 1,000: 30 % government (163.5 → 163), the sponsor the rest (382);
    // with a unit of 10 the returns are 160 and 380, and 5 won stays as the remainder.
    let history = then(half_spent(), [rules_set(10, false)]);
    let state = given(history)
        .when(settle(GRANT))
        .then_events([Event::GrantSettled(GrantSettled {
            grant: GRANT,
            phase: PHASE,
            sme: SME,
            disbursed: dec(455),
            refunded: Decimal::ZERO,
            split: split((163, 160), (382, 380)),
            rounding_unit: dec(10),
        })]);
    let grant = state.grant(&GRANT).unwrap();
    assert!(grant.settled);
    let totals = state.phase(&PHASE).map(|p| p.totals).unwrap();
    assert_eq!(totals.cash, dec(2_000 - 455 - 540));
}

#[test]
fn a_fully_spent_grant_settles_with_nothing_to_return() {
    let history = then(
        funded_world(1_000),
        [
            awarded(GRANT, 300, 700),
            disbursed(DISBURSEMENT, GRANT, 1_000),
        ],
    );
    given(history)
        .when(settle(GRANT))
        .then_events([Event::GrantSettled(GrantSettled {
            grant: GRANT,
            phase: PHASE,
            sme: SME,
            disbursed: dec(1_000),
            refunded: Decimal::ZERO,
            split: Split::default(),
            rounding_unit: dec(1),
        })]);
}

#[test]
fn a_settled_grant_takes_no_more_disbursements() {
    let state = given(half_spent()).when(settle(GRANT)).then_accepted();
    let outcome = Given { state }.when(disburse(DISBURSEMENT_2, GRANT, krw(1)));
    assert_refused!(
        outcome,
        RuleViolation::GrantAlreadySettled {
            what: "disbursements",
            ..
        }
    );
}

#[test]
fn a_grant_is_settled_only_once() {
    let state = given(half_spent()).when(settle(GRANT)).then_accepted();
    assert_refused!(
        Given { state }.when(settle(GRANT)),
        RuleViolation::GrantAlreadySettled { .. }
    );
}

#[test]
fn a_settled_grant_and_its_disbursements_cannot_be_reversed() {
    let state = given(half_spent()).when(settle(GRANT)).then_accepted();
    assert_refused!(
        Given {
            state: state.clone()
        }
        .when(reverse(DISBURSEMENT)),
        RuleViolation::ReversalBlocked { .. }
    );
    assert_refused!(
        Given { state }.when(reverse(GRANT)),
        RuleViolation::ReversalBlocked { .. }
    );
}

#[test]
fn a_settled_grant_still_takes_a_clawback() {
    let state = given(half_spent()).when(settle(GRANT)).then_accepted();
    Given { state }
        .when(refund(REFUND, GRANT, krw(100)))
        .then_events([refunded(REFUND, GRANT, 100)]);
}

#[test]
fn settling_an_unknown_or_reversed_grant_is_refused() {
    assert_refused!(
        given(funded_world(1_000)).when(settle(GRANT)),
        RuleViolation::NotFound { kind: "grant", .. }
    );
    let history = then(
        funded_world(1_000),
        [
            awarded(GRANT, 300, 700),
            reversed(GRANT, EntryKind::Grant, 1_000),
        ],
    );
    assert_refused!(
        given(history).when(settle(GRANT)),
        RuleViolation::AlreadyReversed { .. }
    );
}
