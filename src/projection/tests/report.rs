//! The sponsor's report.

use rust_decimal::Decimal;

use super::kit::*;
use crate::domain::*;
use crate::projection::{ReportLine, SponsorReport};

fn line(report_lines: &[ReportLine], key: &str) -> ReportLine {
    report_lines
        .iter()
        .find(|line| line.key == key)
        .unwrap_or_else(|| panic!("no line {key}"))
        .clone()
}

fn report(log: &Log) -> SponsorReport {
    log.projections
        .sponsor_report(&phase_id(1))
        .expect("phase is open")
}

/// Given SME 1 (supplier, portal, small) with two projects and SME 2 (non-supplier,
/// institution, medium) with one, and a reversed project of SME 2.
fn supported_programme() -> Log {
    let mut log = Log::programme();
    log.contribute(1, 100_000).match_contribution(1, 1, 100_000);
    log.award_for(1, 1, Purpose::SmartFactory, "type1-basic", [300, 400, 300])
        .award_for(2, 1, Purpose::QssConsulting, "type2-basic", [100, 100, 0])
        .award_for(
            3,
            2,
            Purpose::SmartFactory,
            "type1-advanced1",
            [600, 1_000, 400],
        )
        .award_for(4, 2, Purpose::FacilityImprovement, "type1-basic", [1, 1, 0])
        .reverse(grant_id(4));
    log
}

#[test]
fn report_counts_smes_projects_and_the_non_supplier_share() {
    let log = supported_programme();

    let report = report(&log);

    assert_eq!(report.phase, phase_id(1));
    assert_eq!(report.currency, Currency::Krw);
    assert_eq!(report.smes_supported, 2);
    assert_eq!(report.projects, 3);
    assert_eq!(report.non_supplier_smes, 1);
    assert_eq!(report.non_supplier_share, Decimal::new(5, 1));
}

#[test]
fn report_breaks_projects_down_by_purpose_leaving_out_reversed_ones() {
    let log = supported_programme();

    let by_purpose = report(&log).by_purpose;

    let keys: Vec<&str> = by_purpose.iter().map(|line| line.key.as_str()).collect();
    assert_eq!(
        keys,
        ["qss_consulting", "smart_factory", "facility_improvement"]
    );
    let smart = line(&by_purpose, "smart_factory");
    assert_eq!((smart.smes, smart.projects), (2, 2));
    assert_eq!(smart.project_cost, d(3_000));
    assert_eq!(smart.government, d(900));
    assert_eq!(smart.sponsor, d(1_400));
    assert_eq!(smart.own_share, d(700));
    assert_eq!(smart.funded, d(2_300));
    let facility = line(&by_purpose, "facility_improvement");
    assert_eq!((facility.smes, facility.projects), (0, 0));
    assert_eq!(facility.project_cost, Decimal::ZERO);
}

#[test]
fn report_breaks_projects_down_by_support_type_in_configured_order() {
    let log = supported_programme();

    let by_type = report(&log).by_support_type;

    let keys: Vec<&str> = by_type.iter().map(|line| line.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "type1-basic",
            "type1-advanced1",
            "type1-advanced2",
            "type2-basic"
        ]
    );
    let basic = line(&by_type, "type1-basic");
    assert_eq!((basic.smes, basic.projects, basic.funded), (1, 1, d(700)));
    let small = line(&by_type, "type2-basic");
    assert_eq!((small.smes, small.projects, small.funded), (1, 1, d(200)));
}

#[test]
fn report_breaks_projects_down_by_channel_and_size() {
    let log = supported_programme();

    let report = report(&log);

    let portal = line(&report.by_channel, "sponsor_portal");
    assert_eq!(
        (portal.smes, portal.projects, portal.funded),
        (1, 2, d(900))
    );
    let institution = line(&report.by_channel, "institution_proposal");
    assert_eq!((institution.smes, institution.projects), (1, 1));
    assert_eq!(line(&report.by_channel, "other").projects, 0);
    let small = line(&report.by_size, "small");
    let medium = line(&report.by_size, "medium");
    assert_eq!((small.smes, small.projects), (1, 2));
    assert_eq!(
        (medium.smes, medium.projects, medium.own_share),
        (1, 1, d(400))
    );
}

#[test]
fn report_of_a_phase_without_projects_has_a_zero_share() {
    let log = Log::programme();

    let report = report(&log);

    assert_eq!((report.smes_supported, report.projects), (0, 0));
    assert_eq!(report.non_supplier_share, Decimal::ZERO);
    assert_eq!(log.projections.sponsor_report(&phase_id(9)), None);
}

#[test]
fn share_of_non_suppliers_is_an_exact_ratio() {
    let mut log = Log::programme();
    log.record(sme_registered(
        3,
        "Gamma Gears",
        true,
        ApplicationChannel::Other,
        SizeClass::Small,
    ));
    log.record(sme_registered(
        4,
        "Epsilon Electric",
        false,
        ApplicationChannel::Other,
        SizeClass::Small,
    ));
    log.contribute(1, 10_000);
    for sme in 1..=4 {
        log.award(sme, sme, 0, 100, 0);
    }
    assert_eq!(report(&log).non_supplier_share, Decimal::new(5, 1));

    log.reverse(grant_id(1));

    assert_eq!(
        report(&log).non_supplier_share.to_string(),
        "0.6666666666666666666666666667"
    );
}
