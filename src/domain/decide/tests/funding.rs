//! Pledges, contributions (rule 2) and matches (rule 3).

use super::*;
use crate::domain::view::MatchStatus;

#[test]
fn pledge_to_an_open_phase_is_recorded() {
    let state = given(world())
        .when(pledge(PLEDGE, krw(20_000_000_000)))
        .then_events([pledged(PLEDGE, 20_000_000_000)]);
    assert_eq!(
        state.phase(&PHASE).map(|p| p.totals.pledged),
        Some(dec(20_000_000_000))
    );
}

#[test]
fn pledge_to_a_closed_phase_is_refused() {
    assert_refused!(
        given(then(world(), [phase_closed()])).when(pledge(PLEDGE, krw(1))),
        RuleViolation::PhaseClosed {
            what: "pledges",
            ..
        }
    );
}

#[test]
fn pledge_from_an_unregistered_contributor_is_refused() {
    let command = Command::RecordPledge {
        pledge: PLEDGE,
        phase: PHASE,
        contributor: STRANGER,
        amount: krw(1),
    };
    assert_refused!(
        given(world()).when(command),
        RuleViolation::NotFound {
            kind: "contributor",
            ..
        }
    );
}

#[test]
fn contribution_is_recorded_and_fills_the_pool() {
    let state = given(world())
        .when(contribute(CONTRIBUTION, krw(1_000_000)))
        .then_events([contributed(CONTRIBUTION, 1_000_000)]);
    let totals = state.phase(&PHASE).map(|p| p.totals).unwrap_or_default();
    assert_eq!(totals.contributed, dec(1_000_000));
    assert_eq!(totals.cash, dec(1_000_000));
    let contribution = state.contribution(&CONTRIBUTION).expect("recorded");
    assert_eq!(contribution.status(), MatchStatus::Unmatched);
    assert_eq!(contribution.match_limit, dec(1_000_000));
}

#[test]
fn contribution_from_an_unregistered_contributor_is_refused() {
    let command = Command::RecordContribution {
        contribution: CONTRIBUTION,
        phase: PHASE,
        contributor: STRANGER,
        amount: krw(1),
    };
    assert_refused!(
        given(world()).when(command),
        RuleViolation::NotFound {
            kind: "contributor",
            ..
        }
    );
}

#[test]
fn contribution_to_an_unknown_phase_is_refused() {
    let command = Command::RecordContribution {
        contribution: CONTRIBUTION,
        phase: OTHER_PHASE,
        contributor: SPONSOR,
        amount: krw(1),
    };
    assert_refused!(
        given(world()).when(command),
        RuleViolation::NotFound { kind: "phase", .. }
    );
}

#[test]
fn contribution_to_a_closed_phase_is_refused() {
    assert_refused!(
        given(then(world(), [phase_closed()])).when(contribute(CONTRIBUTION, krw(1))),
        RuleViolation::PhaseClosed {
            what: "contributions",
            ..
        }
    );
}

#[test]
fn contribution_in_another_currency_is_refused() {
    let dollars = Money::new(Decimal::new(1250, 2), Currency::Usd).expect("valid");
    assert_refused!(
        given(world()).when(contribute(CONTRIBUTION, dollars)),
        RuleViolation::CurrencyMismatch {
            expected: Currency::Krw,
            given: Currency::Usd,
            ..
        }
    );
}

#[test]
fn posting_id_used_by_another_kind_is_refused() {
    let reused = ContributionId::from_uuid(PLEDGE.as_uuid());
    assert_refused!(
        given(then(world(), [pledged(PLEDGE, 5)])).when(contribute(reused, krw(5))),
        RuleViolation::AlreadyExists { kind: "pledge", .. }
    );
}

#[test]
fn contributions_overflowing_the_phase_total_are_refused() {
    let huge = Money::new(Decimal::MAX, Currency::Krw).expect("valid");
    let history = then(
        world(),
        [Event::ContributionRecorded(ContributionRecorded {
            contribution: CONTRIBUTION,
            phase: PHASE,
            contributor: SPONSOR,
            amount: huge,
        })],
    );
    assert_refused!(
        given(history).when(contribute(CONTRIBUTION_2, huge)),
        RuleViolation::Overflow { .. }
    );
}

#[test]
fn match_equal_to_the_contribution_marks_it_matched() {
    let state = given(then(world(), [contributed(CONTRIBUTION, 500)]))
        .when(match_contribution(MATCH, CONTRIBUTION, krw(500)))
        .then_events([matched(MATCH, CONTRIBUTION, 500)]);
    let contribution = state.contribution(&CONTRIBUTION).expect("recorded");
    assert_eq!(contribution.status(), MatchStatus::Matched);
    assert_eq!(state.phase(&PHASE).map(|p| p.totals.cash), Some(dec(1_000)));
}

#[test]
fn partial_match_leaves_the_contribution_partially_matched() {
    let state = given(then(world(), [contributed(CONTRIBUTION, 500)]))
        .when(match_contribution(MATCH, CONTRIBUTION, krw(200)))
        .then_accepted();
    let contribution = state.contribution(&CONTRIBUTION).expect("recorded");
    assert_eq!(contribution.status(), MatchStatus::PartiallyMatched);
    assert_eq!(contribution.match_outstanding(), dec(300));
}

#[test]
fn match_larger_than_contribution_is_refused() {
    let violation = assert_refused!(
        given(then(world(), [contributed(CONTRIBUTION, 500)])).when(match_contribution(
            MATCH,
            CONTRIBUTION,
            krw(501)
        )),
        RuleViolation::OverMatch { .. }
    );
    assert_eq!(
        violation,
        RuleViolation::OverMatch {
            contribution: CONTRIBUTION.to_string(),
            amount: dec(501),
            would_be: dec(501),
            limit: dec(500),
        }
    );
}

#[test]
fn matches_adding_up_over_the_contribution_are_refused() {
    let history = then(
        world(),
        [
            contributed(CONTRIBUTION, 500),
            matched(MATCH, CONTRIBUTION, 300),
        ],
    );
    assert_refused!(
        given(history).when(match_contribution(MATCH_2, CONTRIBUTION, krw(201))),
        RuleViolation::OverMatch { would_be, .. } if would_be == dec(501)
    );
}

#[test]
fn match_ratio_of_two_allows_twice_the_contribution() {
    let mut history = world();
    history[0] = phase_opened_with(PHASE, Currency::Krw, dec(2));
    history.push(contributed(CONTRIBUTION, 500));
    given(history.clone())
        .when(match_contribution(MATCH, CONTRIBUTION, krw(1_000)))
        .then_accepted();
    assert_refused!(
        given(history).when(match_contribution(MATCH, CONTRIBUTION, krw(1_001))),
        RuleViolation::OverMatch { limit, .. } if limit == dec(1_000)
    );
}

#[test]
fn match_from_an_unregistered_agency_is_refused() {
    let command = Command::RecordMatch {
        match_id: MATCH,
        contribution: CONTRIBUTION,
        agency: AgencyId::from_uuid(Uuid::from_u128(0x399)),
        amount: krw(1),
    };
    assert_refused!(
        given(then(world(), [contributed(CONTRIBUTION, 500)])).when(command),
        RuleViolation::NotFound { kind: "agency", .. }
    );
}

#[test]
fn match_on_an_unknown_contribution_is_refused() {
    assert_refused!(
        given(world()).when(match_contribution(MATCH, CONTRIBUTION, krw(1))),
        RuleViolation::NotFound {
            kind: "contribution",
            ..
        }
    );
}

#[test]
fn match_on_a_reversed_contribution_is_refused() {
    let history = then(
        world(),
        [
            contributed(CONTRIBUTION, 500),
            reversed(CONTRIBUTION, EntryKind::Contribution, 500),
        ],
    );
    assert_refused!(
        given(history).when(match_contribution(MATCH, CONTRIBUTION, krw(1))),
        RuleViolation::AlreadyReversed {
            kind: "contribution",
            ..
        }
    );
}

#[test]
fn match_after_the_phase_closes_is_accepted() {
    let history = then(world(), [contributed(CONTRIBUTION, 500), phase_closed()]);
    given(history)
        .when(match_contribution(MATCH, CONTRIBUTION, krw(500)))
        .then_events([matched(MATCH, CONTRIBUTION, 500)]);
}

#[test]
fn match_in_another_currency_is_refused() {
    let yen = Money::new(dec(500), Currency::Jpy).expect("valid");
    assert_refused!(
        given(then(world(), [contributed(CONTRIBUTION, 500)])).when(match_contribution(
            MATCH,
            CONTRIBUTION,
            yen
        )),
        RuleViolation::CurrencyMismatch { .. }
    );
}

#[test]
fn contribution_whose_match_limit_would_overflow_is_refused() {
    let mut history = world();
    history[0] = phase_opened_with(PHASE, Currency::Krw, dec(2));
    let huge = Money::new(Decimal::MAX, Currency::Krw).expect("valid");
    assert_refused!(
        given(history).when(contribute(CONTRIBUTION, huge)),
        RuleViolation::Overflow {
            what: "match limit"
        }
    );
}
