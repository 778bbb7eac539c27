//! Per-phase balances.

use rust_decimal::Decimal;

use super::kit::*;
use crate::domain::event::*;
use crate::domain::*;
use crate::projection::{PhaseBalances, PhaseStatus};

#[test]
fn opened_phase_reports_its_terms_and_no_money() {
    let log = Log::programme();

    let phase = log.phase();

    assert_eq!(phase.phase, phase_id(1));
    assert_eq!(phase.name, format!("phase {}", phase_id(1)));
    assert_eq!(phase.currency, Currency::Krw);
    assert_eq!(phase.status, PhaseStatus::Open);
    assert_eq!(phase.starts_on.to_string(), "2018-09-01");
    assert_eq!(phase.ends_on.to_string(), "2023-08-31");
    assert_eq!(phase.match_ratio, Decimal::ONE);
    let figures = [
        phase.pledged,
        phase.contributed,
        phase.matched,
        phase.match_outstanding,
        phase.pool,
        phase.awarded,
        phase.awarded_government,
        phase.awarded_sponsor,
        phase.own_share,
        phase.disbursed,
        phase.refunded,
        phase.cash,
        phase.uncommitted,
    ];
    assert!(figures.iter().all(Decimal::is_zero));
    assert_eq!((phase.smes_supported, phase.projects), (0, 0));
}

#[test]
fn closed_phase_is_reported_closed_with_its_figures() {
    let mut log = Log::programme();
    log.contribute(1, 500);

    log.record(Event::PhaseClosed(PhaseClosed { phase: phase_id(1) }));

    assert_eq!(log.phase().status, PhaseStatus::Closed);
    assert_eq!(log.phase().contributed, d(500));
}

#[test]
fn pledges_contributions_and_matches_fill_the_pool() {
    let mut log = Log::programme();

    log.pledge(1, 1_000)
        .contribute(1, 600)
        .match_contribution(1, 1, 400);

    let phase = log.phase();
    assert_eq!(phase.pledged, d(1_000));
    assert_eq!(phase.contributed, d(600));
    assert_eq!(phase.matched, d(400));
    assert_eq!(phase.match_outstanding, d(200));
    assert_eq!(phase.pool, d(1_000));
    assert_eq!(phase.cash, d(1_000));
    assert_eq!(phase.uncommitted, d(1_000));
}

#[test]
fn match_outstanding_follows_the_phase_ratio() {
    let mut log = Log::empty();
    log.record(phase_opened(phase_id(1), Currency::Krw, Decimal::new(5, 1)));

    log.contribute(1, 1_000).match_contribution(1, 1, 200);

    assert_eq!(log.phase().match_outstanding, d(300));
}

#[test]
fn match_outstanding_never_goes_below_zero() {
    let mut log = Log::programme();

    // Over-matching is refused by the rules; the projection still reports no negative.
    log.contribute(1, 100).match_contribution(1, 1, 150);

    assert_eq!(log.phase().match_outstanding, Decimal::ZERO);
}

#[test]
fn awards_commit_the_pool_by_share() {
    let mut log = Log::programme();
    log.contribute(1, 1_000).match_contribution(1, 1, 1_000);

    log.award(1, 1, 300, 500, 200);

    let phase = log.phase();
    assert_eq!(phase.awarded, d(800));
    assert_eq!(phase.awarded_government, d(300));
    assert_eq!(phase.awarded_sponsor, d(500));
    assert_eq!(phase.own_share, d(200));
    assert_eq!(phase.uncommitted, d(1_200));
    assert_eq!(phase.cash, d(2_000));
    assert_eq!((phase.smes_supported, phase.projects), (1, 1));
}

#[test]
fn disbursements_and_refunds_move_cash_but_not_commitments() {
    let mut log = Log::programme();
    log.contribute(1, 1_000)
        .match_contribution(1, 1, 1_000)
        .award(1, 1, 300, 500, 200);

    log.disburse(1, 1, 500).refund(1, 1, 100);

    let phase = log.phase();
    assert_eq!(phase.disbursed, d(500));
    assert_eq!(phase.refunded, d(100));
    assert_eq!(phase.cash, d(1_600));
    assert_eq!(phase.uncommitted, d(1_200));
}

#[test]
fn smes_supported_counts_distinct_smes_with_grants_in_force() {
    let mut log = Log::programme();
    log.contribute(1, 1_000);
    log.award(1, 1, 0, 100, 0)
        .award(2, 1, 0, 100, 0)
        .award(3, 2, 0, 100, 0);
    assert_eq!((log.phase().smes_supported, log.phase().projects), (2, 3));

    log.reverse(grant_id(3));
    assert_eq!((log.phase().smes_supported, log.phase().projects), (1, 2));

    log.reverse(grant_id(1));
    assert_eq!((log.phase().smes_supported, log.phase().projects), (1, 1));

    log.reverse(grant_id(2));
    assert_eq!((log.phase().smes_supported, log.phase().projects), (0, 0));
}

/// Given a funded programme with one grant paid out in part, when `post` records one more
/// posting and `reverse` cancels it, then the phase is exactly as before the posting.
fn check_reversal_restores(post: impl FnOnce(&mut Log), reverse: impl FnOnce(&mut Log)) {
    let mut log = Log::programme();
    log.pledge(1, 5_000)
        .contribute(1, 3_000)
        .match_contribution(1, 1, 2_000)
        .award(1, 1, 1_000, 1_000, 500)
        .disburse(1, 1, 1_500)
        .refund(1, 1, 200);
    let before: PhaseBalances = log.phase();

    post(&mut log);
    assert_ne!(log.phase(), before, "the posting changed nothing");
    reverse(&mut log);

    assert_eq!(log.phase(), before);
}

#[test]
fn reversed_pledge_leaves_the_phase_as_before() {
    check_reversal_restores(
        |log| {
            log.pledge(2, 700);
        },
        |log| {
            log.reverse(pledge_id(2));
        },
    );
}

#[test]
fn reversed_contribution_leaves_the_phase_as_before() {
    check_reversal_restores(
        |log| {
            log.contribute(2, 700);
        },
        |log| {
            log.reverse(contribution_id(2));
        },
    );
}

#[test]
fn reversed_match_leaves_the_phase_as_before() {
    check_reversal_restores(
        |log| {
            log.match_contribution(2, 1, 700);
        },
        |log| {
            log.reverse(match_id(2));
        },
    );
}

#[test]
fn reversed_grant_leaves_the_phase_as_before() {
    check_reversal_restores(
        |log| {
            log.award(2, 2, 300, 400, 100);
        },
        |log| {
            log.reverse(grant_id(2));
        },
    );
}

#[test]
fn reversed_disbursement_leaves_the_phase_as_before() {
    check_reversal_restores(
        |log| {
            log.disburse(2, 1, 300);
        },
        |log| {
            log.reverse(disbursement_id(2));
        },
    );
}

#[test]
fn reversed_refund_leaves_the_phase_as_before() {
    check_reversal_restores(
        |log| {
            log.refund(2, 1, 300);
        },
        |log| {
            log.reverse(refund_id(2));
        },
    );
}

#[test]
fn second_reversal_of_the_same_entry_changes_nothing() {
    let mut log = Log::programme();
    log.contribute(1, 1_000)
        .contribute(2, 500)
        .reverse(contribution_id(2));
    let once = log.projections.clone();

    log.reverse(contribution_id(2));

    assert_eq!(log.phase(), once.phase(&phase_id(1)).expect("phase"));
    assert_eq!(log.phase().contributed, d(1_000));
}

#[test]
fn reversal_naming_an_unknown_entry_or_the_wrong_kind_is_ignored() {
    let mut log = Log::programme();
    log.contribute(1, 1_000);
    let before = log.phase();

    for (entry, kind) in [
        (EntryId::from(contribution_id(9)), EntryKind::Contribution),
        (EntryId::from(contribution_id(1)), EntryKind::Pledge),
    ] {
        log.record(Event::EntryReversed(EntryReversed {
            entry,
            kind,
            phase: phase_id(1),
            amount: krw(1_000),
            reason: "no such posting".to_string(),
        }));
    }

    assert_eq!(log.phase(), before);
}

#[test]
fn postings_in_an_unknown_phase_or_another_currency_are_ignored() {
    let mut log = Log::programme();
    let before = log.projections.clone();

    log.record(Event::ContributionRecorded(ContributionRecorded {
        contribution: contribution_id(1),
        phase: phase_id(9),
        contributor: contributor_id(1),
        amount: krw(100),
    }));
    log.record(Event::ContributionRecorded(ContributionRecorded {
        contribution: contribution_id(2),
        phase: phase_id(1),
        contributor: contributor_id(1),
        amount: Money::new(d(100), Currency::Usd).expect("valid"),
    }));

    assert_eq!(log.projections.phases(), before.phases());
    assert_eq!(log.projections.contribution(&contribution_id(1)), None);
    assert_eq!(log.projections.contribution(&contribution_id(2)), None);
}

#[test]
fn sequence_and_recording_time_are_those_of_the_last_event() {
    let mut log = Log::empty();
    assert_eq!(log.projections.sequence(), 0);
    assert_eq!(log.projections.recorded_at(), None);

    log.record(phase_opened(phase_id(1), Currency::Krw, Decimal::ONE));
    log.contribute(1, 10);

    assert_eq!(log.projections.sequence(), 2);
    assert_eq!(log.projections.recorded_at(), Some(recorded_time(2)));
}

#[test]
fn phases_lists_every_phase_in_id_order() {
    let mut log = Log::programme();
    log.record(phase_opened(phase_id(3), Currency::Usd, Decimal::ONE));
    log.record(phase_opened(phase_id(2), Currency::Krw, Decimal::TWO));

    let ids: Vec<PhaseId> = log.projections.phases().iter().map(|p| p.phase).collect();

    assert_eq!(ids, vec![phase_id(1), phase_id(2), phase_id(3)]);
    assert_eq!(log.projections.phase(&phase_id(4)), None);
}
