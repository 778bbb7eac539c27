//! Per-SME figures and the SME list.

use rust_decimal::Decimal;

use super::kit::*;
use crate::domain::*;
use crate::limits::PAGE_ITEMS_MAX;
use crate::projection::{SmeFigures, SmeOrder};

fn figures(awarded: i64, own: i64, disbursed: i64, refunded: i64, projects: u64) -> SmeFigures {
    SmeFigures {
        currency: Currency::Krw,
        awarded: d(awarded),
        own_share: d(own),
        disbursed: d(disbursed),
        refunded: d(refunded),
        outstanding: d(awarded - disbursed),
        projects,
    }
}

#[test]
fn sme_reports_its_registration_attributes() {
    let log = Log::programme();

    let sme = log.projections.sme(&sme_id(2)).expect("registered");

    assert_eq!(sme.sme, sme_id(2));
    assert_eq!(sme.brn, Brn::from_prefix(100_000_002));
    assert_eq!(sme.name, "Beta Castings");
    assert!(!sme.supplier);
    assert_eq!(sme.channel, ApplicationChannel::InstitutionProposal);
    assert_eq!(sme.size, SizeClass::Medium);
    assert!(sme.totals.is_empty() && sme.phases.is_empty());
    assert_eq!(log.projections.sme(&sme_id(9)), None);
}

#[test]
fn sme_figures_are_kept_per_phase_and_added_up_in_total() {
    let mut log = Log::programme();
    log.contribute(1, 10_000)
        .award(1, 1, 0, 3_000, 1_000)
        .award(2, 1, 0, 2_000, 0)
        .disburse(1, 1, 2_500)
        .refund(1, 1, 500);
    log.record(phase_opened(phase_id(2), Currency::Krw, Decimal::ONE));
    log.phase = phase_id(2);
    log.contribute(2, 10_000)
        .award(3, 1, 0, 4_000, 400)
        .disburse(2, 3, 4_000);

    let sme = log.projections.sme(&sme_id(1)).expect("registered");

    assert_eq!(
        sme.phases,
        vec![
            (phase_id(1), figures(5_000, 1_000, 2_500, 500, 2)),
            (phase_id(2), figures(4_000, 400, 4_000, 0, 1)),
        ]
    );
    assert_eq!(sme.totals, vec![figures(9_000, 1_400, 6_500, 500, 3)]);
}

#[test]
fn outstanding_is_awarded_minus_disbursed_and_a_refund_does_not_reopen_it() {
    let mut log = Log::programme();
    log.contribute(1, 10_000)
        .award(1, 1, 0, 3_000, 0)
        .disburse(1, 1, 3_000);

    log.refund(1, 1, 1_000);

    let sme = log.projections.sme(&sme_id(1)).expect("registered");
    assert_eq!(sme.totals[0].outstanding, Decimal::ZERO);
    assert_eq!(sme.totals[0].refunded, d(1_000));
}

#[test]
fn reversed_grant_leaves_a_zero_row_without_projects() {
    let mut log = Log::programme();
    log.contribute(1, 10_000).award(1, 1, 0, 3_000, 300);

    log.reverse(grant_id(1));

    let sme = log.projections.sme(&sme_id(1)).expect("registered");
    assert_eq!(sme.phases, vec![(phase_id(1), figures(0, 0, 0, 0, 0))]);
}

/// Given four SMEs with distinct names, BRNs, awards and disbursements.
fn four_smes() -> Log {
    let mut log = Log::programme();
    log.record(sme_registered(
        3,
        "Delta Parts",
        true,
        ApplicationChannel::Other,
        SizeClass::Small,
    ));
    log.record(sme_registered(
        4,
        "Charlie Molds",
        false,
        ApplicationChannel::Other,
        SizeClass::Small,
    ));
    log.contribute(1, 100_000)
        .award(1, 1, 0, 1_000, 0)
        .award(2, 2, 0, 4_000, 0)
        .award(3, 3, 0, 3_000, 0)
        .award(4, 4, 0, 2_000, 0)
        .disburse(1, 1, 900)
        .disburse(2, 2, 100)
        .disburse(3, 3, 300)
        .disburse(4, 4, 200);
    log
}

fn listed(log: &Log, order: SmeOrder, offset: usize, limit: usize) -> (Vec<SmeId>, u64) {
    let (page, total) = log.projections.smes(None, order, offset, limit);
    (page.iter().map(|sme| sme.sme).collect(), total)
}

#[test]
fn smes_are_listed_in_the_order_asked() {
    let log = four_smes();
    let [one, two, three, four] = [1, 2, 3, 4].map(sme_id);

    assert_eq!(
        listed(&log, SmeOrder::ByName, 0, 10).0,
        [one, two, four, three]
    );
    assert_eq!(
        listed(&log, SmeOrder::ByBrn, 0, 10).0,
        [one, two, three, four]
    );
    assert_eq!(
        listed(&log, SmeOrder::ByAwardedDesc, 0, 10).0,
        [two, three, four, one]
    );
    assert_eq!(
        listed(&log, SmeOrder::ByDisbursedDesc, 0, 10).0,
        [one, three, four, two]
    );
}

#[test]
fn smes_are_paged_with_offset_and_limit() {
    let log = four_smes();

    assert_eq!(
        listed(&log, SmeOrder::ByBrn, 1, 2),
        (vec![sme_id(2), sme_id(3)], 4)
    );
    assert_eq!(listed(&log, SmeOrder::ByBrn, 3, 2), (vec![sme_id(4)], 4));
    assert_eq!(listed(&log, SmeOrder::ByBrn, 9, 2), (vec![], 4));
    assert_eq!(listed(&log, SmeOrder::ByBrn, 0, 0), (vec![], 4));
}

#[test]
fn smes_of_a_phase_are_those_awarded_in_it_ordered_by_its_figures() {
    let mut log = four_smes();
    log.record(phase_opened(phase_id(2), Currency::Krw, Decimal::ONE));
    log.phase = phase_id(2);
    log.contribute(2, 10_000)
        .award(5, 1, 0, 500, 0)
        .award(6, 3, 0, 700, 0);

    let (page, total) = log
        .projections
        .smes(Some(phase_id(2)), SmeOrder::ByAwardedDesc, 0, 10);

    let ids: Vec<SmeId> = page.iter().map(|sme| sme.sme).collect();
    assert_eq!((ids, total), (vec![sme_id(3), sme_id(1)], 2));
}

#[test]
fn a_page_never_holds_more_than_the_page_limit() {
    let mut log = Log::empty();
    let count = PAGE_ITEMS_MAX as u128 + 1;
    for n in 1..=count {
        log.record(sme_registered(
            n,
            &format!("SME {n:05}"),
            false,
            ApplicationChannel::Other,
            SizeClass::Small,
        ));
    }

    let (page, total) = log.projections.smes(None, SmeOrder::ByName, 0, usize::MAX);

    assert_eq!(page.len(), PAGE_ITEMS_MAX);
    assert_eq!(total, count as u64);
}
