//! Contributor and agency totals.

use rust_decimal::Decimal;

use super::kit::*;
use crate::domain::*;
use crate::projection::{AgencyFigures, ContributorFigures};

fn paid_in(pledged: i64, contributed: i64) -> ContributorFigures {
    ContributorFigures {
        currency: Currency::Krw,
        pledged: d(pledged),
        contributed: d(contributed),
    }
}

fn matched(amount: i64) -> AgencyFigures {
    AgencyFigures {
        currency: Currency::Krw,
        matched: d(amount),
    }
}

#[test]
fn contributor_reports_pledged_and_contributed_per_phase_and_in_total() {
    let mut log = Log::programme();
    log.pledge(1, 10_000)
        .contribute(1, 4_000)
        .contribute(2, 1_000);
    log.record(phase_opened(phase_id(2), Currency::Krw, Decimal::ONE));
    log.phase = phase_id(2);
    log.pledge(2, 5_000).contribute(3, 2_000);

    let contributor = log
        .projections
        .contributor(&contributor_id(1))
        .expect("registered");

    assert_eq!(contributor.name, "Steelmaker");
    assert_eq!(
        contributor.phases,
        vec![
            (phase_id(1), paid_in(10_000, 5_000)),
            (phase_id(2), paid_in(5_000, 2_000)),
        ]
    );
    assert_eq!(contributor.totals, vec![paid_in(15_000, 7_000)]);
}

#[test]
fn contributor_totals_are_net_of_reversed_pledges_and_contributions() {
    let mut log = Log::programme();
    log.pledge(1, 10_000)
        .pledge(2, 3_000)
        .contribute(1, 4_000)
        .contribute(2, 1_000);

    log.reverse(pledge_id(2)).reverse(contribution_id(1));

    let contributor = log
        .projections
        .contributor(&contributor_id(1))
        .expect("registered");
    assert_eq!(contributor.totals, vec![paid_in(10_000, 1_000)]);
}

#[test]
fn agency_reports_matched_per_phase_net_of_reversals() {
    let mut log = Log::programme();
    log.contribute(1, 4_000)
        .match_contribution(1, 1, 3_000)
        .match_contribution(2, 1, 1_000)
        .reverse(match_id(2));

    let agency = log.projections.agency(&agency_id(1)).expect("registered");

    assert_eq!(agency.name, "Win-win Foundation");
    assert_eq!(agency.phases, vec![(phase_id(1), matched(3_000))]);
    assert_eq!(agency.totals, vec![matched(3_000)]);
}

#[test]
fn unregistered_contributor_and_agency_are_unknown() {
    let log = Log::programme();

    assert_eq!(log.projections.contributor(&contributor_id(9)), None);
    assert_eq!(log.projections.agency(&agency_id(9)), None);
    let fresh = log
        .projections
        .contributor(&contributor_id(1))
        .expect("registered");
    assert!(fresh.phases.is_empty() && fresh.totals.is_empty());
}
