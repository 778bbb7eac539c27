//! Match status per contribution.

use rust_decimal::Decimal;

use super::kit::*;
use crate::domain::event::*;
use crate::domain::*;
use crate::projection::MatchStatus;

fn status_of(log: &Log, n: u128) -> crate::projection::ContributionStatus {
    log.projections
        .contribution(&contribution_id(n))
        .expect("recorded")
}

#[test]
fn new_contribution_is_unmatched_with_a_limit_of_ratio_times_amount() {
    let mut log = Log::empty();
    log.record(phase_opened(phase_id(1), Currency::Krw, Decimal::new(5, 1)));

    log.contribute(1, 1_000);

    let status = status_of(&log, 1);
    assert_eq!(status.phase, phase_id(1));
    assert_eq!(status.contributor, contributor_id(1));
    assert_eq!(status.currency, Currency::Krw);
    assert_eq!(status.sequence, 2);
    assert_eq!(status.amount, d(1_000));
    assert_eq!(status.limit, d(500));
    assert_eq!(status.matched, Decimal::ZERO);
    assert_eq!(status.outstanding, d(500));
    assert_eq!(status.status, MatchStatus::Unmatched);
    assert!(!status.reversed);
}

#[test]
fn matches_move_a_contribution_from_unmatched_to_partial_to_matched_and_back() {
    let mut log = Log::programme();
    log.contribute(1, 1_000);

    log.match_contribution(1, 1, 400);
    assert_eq!(status_of(&log, 1).status, MatchStatus::PartiallyMatched);
    assert_eq!(status_of(&log, 1).outstanding, d(600));

    log.match_contribution(2, 1, 600);
    assert_eq!(status_of(&log, 1).status, MatchStatus::Matched);
    assert_eq!(status_of(&log, 1).outstanding, Decimal::ZERO);

    log.reverse(match_id(2));
    assert_eq!(status_of(&log, 1).status, MatchStatus::PartiallyMatched);

    log.reverse(match_id(1));
    assert_eq!(status_of(&log, 1).status, MatchStatus::Unmatched);
    assert_eq!(status_of(&log, 1).matched, Decimal::ZERO);
}

#[test]
fn contribution_lists_its_matches_in_force_and_reversed() {
    let mut log = Log::programme();
    log.contribute(1, 1_000)
        .match_contribution(1, 1, 100)
        .match_contribution(2, 1, 200)
        .match_contribution(3, 1, 300);

    log.reverse(match_id(2));

    let status = status_of(&log, 1);
    assert_eq!(status.matches, vec![match_id(1), match_id(3)]);
    assert_eq!(status.reversed_matches, vec![match_id(2)]);
    assert_eq!(status.matched, d(400));
}

#[test]
fn contribution_events_index_its_phase_opening_matches_and_reversals_in_log_order() {
    let mut log = Log::programme();
    let opened = log
        .projections
        .phase_opened_at(&phase_id(1))
        .expect("opened");
    log.contribute(1, 1_000).contribute(2, 500);
    let first = log.projections.sequence() - 1;
    log.match_contribution(1, 1, 100)
        .match_contribution(2, 2, 100)
        .match_contribution(3, 1, 200)
        .reverse(match_id(1))
        .reverse(match_id(2));
    let head = log.projections.sequence();

    let indexed = log.projections.contribution_events(&contribution_id(1));

    // Contribution 2's match (head − 3) and its reversal (head) are not in 1's index.
    assert_eq!(
        indexed,
        Some(vec![opened, first, head - 4, head - 2, head - 1])
    );
    assert_eq!(
        log.projections.contribution_events(&contribution_id(9)),
        None
    );
}

#[test]
fn open_contributions_are_unmatched_and_partial_ones_in_sequence_order() {
    let mut log = Log::programme();
    log.contribute(3, 100)
        .contribute(1, 200)
        .contribute(2, 300)
        .contribute(4, 400)
        .match_contribution(1, 1, 200)
        .match_contribution(2, 2, 10)
        .reverse(contribution_id(4));

    let open: Vec<ContributionId> = log
        .projections
        .open_contributions(&phase_id(1))
        .iter()
        .map(|status| status.contribution)
        .collect();

    assert_eq!(open, vec![contribution_id(3), contribution_id(2)]);
    assert!(log.projections.open_contributions(&phase_id(9)).is_empty());
}

#[test]
fn reversed_match_reopens_a_matched_contribution() {
    let mut log = Log::programme();
    log.contribute(1, 100).match_contribution(1, 1, 100);
    assert!(log.projections.open_contributions(&phase_id(1)).is_empty());

    log.reverse(match_id(1));

    let open = log.projections.open_contributions(&phase_id(1));
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].contribution, contribution_id(1));
}

#[test]
fn reversed_contribution_is_flagged_and_no_longer_open() {
    let mut log = Log::programme();
    log.contribute(1, 100);

    log.reverse(contribution_id(1));

    let status = status_of(&log, 1);
    assert!(status.reversed);
    assert_eq!(status.status, MatchStatus::Unmatched);
    assert!(log.projections.open_contributions(&phase_id(1)).is_empty());
}

#[test]
fn match_against_an_unknown_contribution_is_ignored() {
    let mut log = Log::programme();
    let before = log.projections.clone();

    log.record(Event::MatchRecorded(MatchRecorded {
        match_id: match_id(1),
        contribution: contribution_id(9),
        phase: phase_id(1),
        agency: agency_id(1),
        amount: krw(100),
    }));

    assert_eq!(log.projections.phases(), before.phases());
    assert_eq!(log.projections.contribution(&contribution_id(9)), None);
}
