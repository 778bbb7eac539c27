//! The double-entry journal and the trial balance.

use rust_decimal::Decimal;

use super::kit::*;
use crate::domain::event::*;
use crate::domain::*;
use crate::projection::journal::{is_balanced, postings};
use crate::projection::{Account, Posting, Side};

/// The postings the next event would make, as (account, signed amount).
fn next_postings(log: &Log, event: Event) -> Vec<(Account, Decimal)> {
    let sequence = log.events.len() as u64 + 1;
    let lines = postings(&recorded(sequence, event), &log.projections);
    assert!(lines
        .iter()
        .all(|p| p.phase == phase_id(1) && p.currency == Currency::Krw));
    lines.iter().map(|p| (p.account, p.amount)).collect()
}

fn contribution(n: u128, amount: i64) -> Event {
    Event::ContributionRecorded(ContributionRecorded {
        contribution: contribution_id(n),
        phase: phase_id(1),
        contributor: contributor_id(1),
        amount: krw(amount),
    })
}

#[test]
fn contribution_debits_cash_and_credits_the_sponsor_fund() {
    let log = Log::programme();

    let lines = next_postings(&log, contribution(1, 500));

    assert_eq!(
        lines,
        [(Account::Cash, d(500)), (Account::SponsorFund, d(-500))]
    );
}

#[test]
fn grant_moves_its_shares_from_the_funds_to_grants_payable_and_memos_the_own_share() {
    let mut log = Log::programme();
    log.contribute(1, 1_000).match_contribution(1, 1, 1_000);

    let lines = next_postings(
        &log,
        Event::GrantAwarded(GrantAwarded {
            grant: grant_id(1),
            phase: phase_id(1),
            sme: sme_id(1),
            purpose: Purpose::SmartFactory,
            support_type: "type1-basic".to_string(),
            project_cost: krw(1_000),
            government_share: d(300),
            sponsor_share: d(500),
            own_share: d(200),
        }),
    );

    assert_eq!(
        lines,
        [
            (Account::SponsorFund, d(500)),
            (Account::GrantsPayable, d(-500)),
            (Account::GovernmentFund, d(300)),
            (Account::GrantsPayable, d(-300)),
            (Account::OwnShareMemo, d(200)),
            (Account::OwnShareCommitments, d(-200)),
        ]
    );
}

#[test]
fn every_kind_of_posting_balances_and_its_reversal_posts_the_mirror_image() {
    let log = scripted_programme();
    let mut replayed = crate::projection::Projections::default();
    let mut by_entry: std::collections::HashMap<EntryId, Vec<Posting>> = Default::default();

    for event in &log.events {
        let lines = postings(event, &replayed);
        assert!(is_balanced(&lines));
        assert!(lines.iter().all(|line| !line.amount.is_zero()));
        if let Event::EntryReversed(reversal) = &event.event {
            let original = &by_entry[&reversal.entry];
            let mirror: Vec<Posting> = original
                .iter()
                .map(|line| Posting {
                    amount: -line.amount,
                    ..line.clone()
                })
                .collect();
            assert_eq!(lines, mirror);
        } else if let Some(entry) = entry_of(&event.event) {
            assert!(!lines.is_empty());
            by_entry.insert(entry, lines);
        }
        replayed.apply(event);
    }
}

fn entry_of(event: &Event) -> Option<EntryId> {
    match event {
        Event::PledgeRecorded(e) => Some(e.pledge.into()),
        Event::ContributionRecorded(e) => Some(e.contribution.into()),
        Event::MatchRecorded(e) => Some(e.match_id.into()),
        Event::GrantAwarded(e) => Some(e.grant.into()),
        Event::DisbursementRecorded(e) => Some(e.disbursement.into()),
        Event::RefundRecorded(e) => Some(e.refund.into()),
        _ => None,
    }
}

#[test]
fn registrations_and_phase_events_post_nothing() {
    let log = Log::programme();

    for event in &log.events {
        assert!(postings(event, &crate::projection::Projections::default()).is_empty());
    }
    let closed = Event::PhaseClosed(PhaseClosed { phase: phase_id(1) });
    assert!(next_postings(&log, closed).is_empty());
}

#[test]
fn trial_balance_of_a_scripted_programme_is_zero_with_debits_equal_to_credits() {
    // Every event of the script already checked the books (see `kit::Log::record`).
    let log = scripted_programme();

    let trial = log.projections.trial_balance();

    assert!(trial.is_zero());
    assert_eq!(trial.lines.len(), 2 * Account::ALL.len());
    assert_eq!(trial.totals.len(), 1);
    let total = &trial.totals[0];
    assert_eq!(total.currency, Currency::Krw);
    assert_eq!(total.debits, total.credits);
    assert!(total.debits > Decimal::ZERO);
    let cash = |phase| {
        trial
            .lines
            .iter()
            .find(|line| line.phase == phase && line.account == Account::Cash)
            .map(|line| line.balance)
    };
    // Phase 1: 6,000 + 4,000 + 6,000 + 1,000 in, 5,000 + 1,500 out, 1,000 back.
    assert_eq!(cash(phase_id(1)), Some(d(11_500)));
    assert_eq!(cash(phase_id(2)), Some(d(2_000)));
}

#[test]
fn trial_balance_totals_each_currency_apart() {
    let mut log = Log::programme();
    log.contribute(1, 700);
    log.record(phase_opened(phase_id(2), Currency::Usd, Decimal::ONE));
    log.record(Event::ContributionRecorded(ContributionRecorded {
        contribution: contribution_id(2),
        phase: phase_id(2),
        contributor: contributor_id(1),
        amount: Money::new(Decimal::new(1_234, 2), Currency::Usd).expect("valid"),
    }));

    let totals = log.projections.trial_balance().totals;

    let summary: Vec<(Currency, Decimal, Decimal)> = totals
        .iter()
        .map(|total| (total.currency, total.debits, total.net))
        .collect();
    assert_eq!(
        summary,
        [
            (Currency::Krw, d(700), Decimal::ZERO),
            (Currency::Usd, Decimal::new(1_234, 2), Decimal::ZERO),
        ]
    );
}

#[test]
fn posting_side_follows_its_sign_and_accounts_have_a_normal_side() {
    let debit = Posting {
        phase: phase_id(1),
        account: Account::Cash,
        currency: Currency::Krw,
        amount: d(5),
    };
    let credit = Posting {
        amount: d(-5),
        ..debit.clone()
    };

    assert_eq!((debit.side(), credit.side()), (Side::Debit, Side::Credit));
    assert_eq!(credit.magnitude(), d(5));
    assert_eq!(Account::Cash.normal_side(), Side::Debit);
    assert_eq!(Account::GrantsPayable.normal_side(), Side::Credit);
    assert!(!is_balanced(&[debit]));
}
