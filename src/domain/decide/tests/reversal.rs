//! Reversals (rule 7): once, of a known posting, and never where removing it would
//! break rules 3–6.

use super::*;
use crate::domain::view::MatchStatus;

fn blocked_because(violation: &RuleViolation, words: &str) -> bool {
    matches!(violation, RuleViolation::ReversalBlocked { reason, .. } if reason.contains(words))
}

#[test]
fn reversing_a_pledge_takes_it_out_of_the_pledged_total() {
    let state = given(then(world(), [pledged(PLEDGE, 700)]))
        .when(reverse(PLEDGE))
        .then_events([reversed(PLEDGE, EntryKind::Pledge, 700)]);
    assert_eq!(state.phase(&PHASE).map(|p| p.totals.pledged), Some(dec(0)));
    assert!(state.pledge(&PLEDGE).is_some_and(|p| p.reversed));
}

#[test]
fn reversing_an_unmatched_contribution_carries_its_kind_phase_and_amount() {
    let state = given(then(world(), [contributed(CONTRIBUTION, 900)]))
        .when(reverse(CONTRIBUTION))
        .then_events([reversed(CONTRIBUTION, EntryKind::Contribution, 900)]);
    let totals = state.phase(&PHASE).map(|p| p.totals).unwrap_or_default();
    assert_eq!((totals.contributed, totals.cash), (dec(0), dec(0)));
}

#[test]
fn second_reversal_of_the_same_entry_is_refused() {
    let history = then(
        world(),
        [
            contributed(CONTRIBUTION, 900),
            reversed(CONTRIBUTION, EntryKind::Contribution, 900),
        ],
    );
    assert_refused!(
        given(history).when(reverse(CONTRIBUTION)),
        RuleViolation::AlreadyReversed {
            kind: "contribution",
            ..
        }
    );
}

#[test]
fn reversing_an_unknown_entry_is_refused() {
    assert_refused!(
        given(world()).when(reverse(CONTRIBUTION)),
        RuleViolation::NotFound { kind: "entry", .. }
    );
}

#[test]
fn reversing_a_contribution_with_active_matches_is_blocked() {
    let violation = given(funded_world(1_000))
        .when(reverse(CONTRIBUTION))
        .then_refused();
    assert!(blocked_because(&violation, "matches"), "{violation:?}");
}

#[test]
fn reversing_a_contribution_whose_money_was_awarded_is_blocked() {
    let history = then(
        world(),
        [contributed(CONTRIBUTION, 1_000), awarded(GRANT, 0, 600)],
    );
    let violation = given(history).when(reverse(CONTRIBUTION)).then_refused();
    assert!(
        blocked_because(&violation, "sponsor awards"),
        "{violation:?}"
    );
}

#[test]
fn reversing_a_contribution_whose_cash_was_paid_out_is_blocked() {
    // The sponsor award was reversed but its disbursement stands (a history the rules
    // would refuse to build), so only the cash rule protects the pool here.
    let history = then(
        world(),
        [
            contributed(CONTRIBUTION, 1_000),
            contributed(CONTRIBUTION_2, 100),
            awarded(GRANT, 0, 500),
            disbursed(DISBURSEMENT, GRANT, 500),
            reversed(GRANT, EntryKind::Grant, 500),
        ],
    );
    let violation = given(history).when(reverse(CONTRIBUTION)).then_refused();
    assert!(blocked_because(&violation, "cash"), "{violation:?}");
}

#[test]
fn reversing_a_contribution_after_its_matches_are_reversed_is_accepted() {
    let history = then(
        funded_world(1_000),
        [reversed(MATCH, EntryKind::Match, 1_000)],
    );
    given(history)
        .when(reverse(CONTRIBUTION))
        .then_events([reversed(CONTRIBUTION, EntryKind::Contribution, 1_000)]);
}

#[test]
fn reversing_a_match_frees_room_on_its_contribution() {
    let state = given(funded_world(1_000))
        .when(reverse(MATCH))
        .then_events([reversed(MATCH, EntryKind::Match, 1_000)]);
    let contribution = state.contribution(&CONTRIBUTION).expect("recorded");
    assert_eq!(contribution.status(), MatchStatus::Unmatched);
    given(then(
        funded_world(1_000),
        [reversed(MATCH, EntryKind::Match, 1_000)],
    ))
    .when(match_contribution(MATCH_2, CONTRIBUTION, krw(1_000)))
    .then_accepted();
}

#[test]
fn reversing_a_match_whose_money_was_awarded_is_blocked() {
    let history = then(funded_world(1_000), [awarded(GRANT, 400, 0)]);
    let violation = given(history).when(reverse(MATCH)).then_refused();
    assert!(
        blocked_because(&violation, "government awards"),
        "{violation:?}"
    );
}

#[test]
fn reversing_a_grant_without_disbursements_carries_its_funded_part() {
    let history = then(
        funded_world(1_000),
        [awarded_typed(GRANT, "type1-basic", 300, 400, 300)],
    );
    let state =
        given(history)
            .when(reverse(GRANT))
            .then_events([reversed(GRANT, EntryKind::Grant, 700)]);
    let phase = state.phase(&PHASE).expect("open");
    assert_eq!(phase.sponsor_available(), dec(1_000));
    assert_eq!(phase.totals.own_awarded, dec(0));
}

#[test]
fn reversing_a_grant_with_disbursements_is_blocked() {
    let history = then(
        funded_world(1_000),
        [
            awarded(GRANT, 500, 500),
            disbursed(DISBURSEMENT, GRANT, 100),
            refunded(REFUND, GRANT, 100),
        ],
    );
    let violation = given(history).when(reverse(GRANT)).then_refused();
    assert!(blocked_because(&violation, "disbursed"), "{violation:?}");
}

#[test]
fn reversing_a_disbursement_restores_cash_and_room_on_the_grant() {
    let history = then(
        funded_world(1_000),
        [
            awarded(GRANT, 500, 500),
            disbursed(DISBURSEMENT, GRANT, 300),
        ],
    );
    let state = given(history)
        .when(reverse(DISBURSEMENT))
        .then_events([reversed(DISBURSEMENT, EntryKind::Disbursement, 300)]);
    assert_eq!(state.grant(&GRANT).map(|g| g.disbursed), Some(dec(0)));
    assert_eq!(state.phase(&PHASE).map(|p| p.totals.cash), Some(dec(2_000)));
}

#[test]
fn reversing_a_disbursement_that_refunds_depend_on_is_blocked() {
    let history = then(
        funded_world(1_000),
        [
            awarded(GRANT, 500, 500),
            disbursed(DISBURSEMENT, GRANT, 300),
            disbursed(DISBURSEMENT_2, GRANT, 300),
            refunded(REFUND, GRANT, 400),
        ],
    );
    let violation = given(history).when(reverse(DISBURSEMENT)).then_refused();
    assert!(blocked_because(&violation, "refunds"), "{violation:?}");
}

#[test]
fn reversing_a_refund_puts_the_money_back_out() {
    let history = then(
        funded_world(1_000),
        [
            awarded(GRANT, 500, 500),
            disbursed(DISBURSEMENT, GRANT, 300),
            refunded(REFUND, GRANT, 100),
        ],
    );
    let state = given(history).when(reverse(REFUND)).then_events([reversed(
        REFUND,
        EntryKind::Refund,
        100,
    )]);
    assert_eq!(
        state.grant(&GRANT).map(|g| g.net_disbursed()),
        Some(dec(300))
    );
    assert_eq!(state.phase(&PHASE).map(|p| p.totals.cash), Some(dec(1_700)));
}

#[test]
fn reversing_a_refund_that_would_make_cash_negative_is_blocked() {
    // Paid out with no pool behind it (a history the rules would refuse): cash is −50.
    let history = then(
        world(),
        [
            awarded(GRANT, 0, 100),
            disbursed(DISBURSEMENT, GRANT, 100),
            refunded(REFUND, GRANT, 50),
        ],
    );
    let violation = given(history).when(reverse(REFUND)).then_refused();
    assert!(blocked_because(&violation, "cash"), "{violation:?}");
}

#[test]
fn reversal_in_a_closed_phase_is_accepted() {
    given(then(world(), [pledged(PLEDGE, 5), phase_closed()]))
        .when(reverse(PLEDGE))
        .then_accepted();
}

#[test]
fn reversal_with_a_reason_over_the_text_limit_is_refused() {
    let command = Command::ReverseEntry {
        entry: PLEDGE.into(),
        reason: "x".repeat(crate::limits::TEXT_BYTES_MAX + 1),
    };
    assert_refused!(
        given(then(world(), [pledged(PLEDGE, 5)])).when(command),
        RuleViolation::InvalidField {
            field: "reason",
            ..
        }
    );
}
