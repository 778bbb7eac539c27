//! Tests of the generated programme: determinism, the brief's figures, valid money,
//! support-type rules, unique keys, and an independent shadow of the ledger's rules
//! whose totals must equal the summary.

mod rules;
mod shadow;

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::*;
use crate::domain::{Currency, Money, SizeClass, SmeId, SupportType};
use shadow::Shadow;

fn scale(seed: u64, scale: u32) -> ProgrammeConfig {
    ProgrammeConfig { seed, scale }
}

fn won(amount: i64) -> Decimal {
    Decimal::from(amount)
}

#[test]
fn same_seed_and_scale_give_identical_commands() {
    let first = generate(&scale(42, 1));
    let second = generate(&scale(42, 1));
    assert_eq!(first, second);
}

#[test]
fn different_seeds_give_different_programmes() {
    let first = generate(&scale(1, 1));
    let second = generate(&scale(2, 1));
    assert_ne!(first[0].idempotency_key, second[0].idempotency_key);
}

#[test]
fn scale_one_has_the_figures_of_the_brief() {
    let (commands, summary) = generate_with_summary(&scale(2013, 1));
    assert!(
        (15_000..=20_000).contains(&commands.len()),
        "{} commands",
        commands.len()
    );
    assert_eq!(summary.phases.len(), 2);
    let phase1 = &summary.phases[0];
    assert_eq!(phase1.contributed, won(19_700_000_000));
    assert_eq!(phase1.matched, won(19_700_000_000));
    assert_eq!(phase1.smes, 879);
    assert_eq!(phase1.projects, 1_660);
    let non_suppliers = phase1.non_supplier_percent();
    assert!(
        (won(45)..=won(55)).contains(&non_suppliers),
        "{non_suppliers} %"
    );
    assert_eq!(
        phase1.starts_on,
        NaiveDate::from_ymd_opt(2013, 8, 1).unwrap()
    );
    assert_eq!(
        phase1.ends_on,
        NaiveDate::from_ymd_opt(2018, 7, 31).unwrap()
    );
    let phase2 = &summary.phases[1];
    assert_eq!(phase2.pledged, won(20_000_000_000));
    assert_eq!(phase2.contributed, won(20_000_000_000));
    assert_eq!(
        phase2.starts_on,
        NaiveDate::from_ymd_opt(2018, 9, 1).unwrap()
    );
    for phase in &summary.phases {
        assert!(phase.type2_projects > 0 && phase.type2_projects < phase.projects);
        assert!(phase.refunds > 0 && phase.reversals > 0, "{phase:?}");
        // Awards use nearly all of the sponsor's money and never more than the pool.
        assert!(phase.awarded_sponsor <= phase.contributed);
        assert!(phase.awarded_sponsor * won(100) >= phase.contributed * won(90));
    }
}

#[test]
fn every_amount_is_valid_whole_won() {
    for generated in generate(&scale(7, 1)) {
        for amount in amounts(&generated.command) {
            assert_eq!(amount.currency(), Currency::Krw);
            assert_eq!(
                Money::new(amount.amount(), Currency::Krw),
                Ok(amount),
                "{generated:?}"
            );
        }
        if let Command::AwardGrant {
            government_share,
            sponsor_share,
            own_share,
            ..
        } = &generated.command
        {
            for share in [government_share, sponsor_share, own_share] {
                assert!(*share >= Decimal::ZERO && share.fract().is_zero());
            }
        }
    }
}

#[test]
fn every_award_respects_its_support_type_and_type2_goes_to_small_enterprises() {
    let types = SupportType::smart_factory_2022();
    let mut sizes: HashMap<SmeId, SizeClass> = HashMap::new();
    let mut type2 = 0;
    for generated in generate(&scale(11, 1)) {
        match generated.command {
            Command::RegisterSme { sme, size, .. } => {
                sizes.insert(sme, size);
            }
            Command::AwardGrant {
                sme,
                support_type,
                project_cost,
                government_share,
                sponsor_share,
                own_share,
                ..
            } => {
                let support = types.iter().find(|t| t.code == support_type).unwrap();
                let cost = project_cost.amount();
                assert!(satisfies_support_type(
                    support,
                    cost,
                    government_share,
                    sponsor_share,
                    own_share
                ));
                if support_type == "type2-basic" {
                    type2 += 1;
                    assert!(cost <= won(20_000_000));
                    assert_eq!(government_share, sponsor_share);
                    assert_eq!(government_share + sponsor_share, cost);
                    assert_eq!(own_share, Decimal::ZERO);
                    assert_eq!(sizes.get(&sme), Some(&SizeClass::Small));
                }
            }
            _ => {}
        }
    }
    assert!(type2 > 100, "{type2} type-2 projects");
}

#[test]
fn idempotency_keys_and_ids_are_unique() {
    let commands = generate(&scale(3, 2));
    let mut keys = HashSet::new();
    for generated in &commands {
        assert!(generated.idempotency_key.len() <= crate::limits::IDEMPOTENCY_KEY_BYTES_MAX);
        assert!(
            keys.insert(generated.idempotency_key.clone()),
            "{}",
            generated.idempotency_key
        );
    }
}

#[test]
fn effective_dates_never_go_back() {
    let commands = generate(&scale(5, 3));
    for pair in commands.windows(2) {
        assert!(pair[0].effective_date <= pair[1].effective_date, "{pair:?}");
    }
}

#[test]
fn iterator_and_summary_agree_with_the_collected_programme() {
    let config = scale(9, 2);
    let (commands, summary_alongside) = generate_with_summary(&config);
    assert_eq!(Programme::new(&config).collect::<Vec<_>>(), commands);
    assert_eq!(summary(&config), summary_alongside);
    assert_eq!(summary_alongside.commands, commands.len() as u64);
}

#[test]
fn shadow_ledger_accepts_scale_one_and_its_totals_equal_the_summary() {
    check_against_shadow(&scale(2013, 1));
}

#[test]
fn shadow_ledger_accepts_scale_three_and_its_totals_equal_the_summary() {
    check_against_shadow(&scale(99, 3));
}

/// Feeds every command to the shadow ledger, then compares its totals with the summary.
fn check_against_shadow(config: &ProgrammeConfig) {
    let (commands, summary) = generate_with_summary(config);
    let mut shadow = Shadow::default();
    for (position, generated) in commands.iter().enumerate() {
        if let Err(reason) = shadow.apply(&generated.command) {
            panic!("command {position} refused: {reason}\n{generated:?}");
        }
    }
    assert_eq!(summary.smes_registered, shadow.smes.len() as u64);
    for expected in &summary.phases {
        let book = &shadow.phases[&expected.phase];
        assert!(book.closed, "phase {} left open", expected.name);
        let actual = (
            book.pledged,
            book.contributed,
            book.matched,
            book.awarded_government,
            book.awarded_sponsor,
            book.own,
            book.disbursed,
            book.refunded,
            book.smes.len() as u64,
            book.projects,
        );
        let wanted = (
            expected.pledged,
            expected.contributed,
            expected.matched,
            expected.awarded_government,
            expected.awarded_sponsor,
            expected.own_share,
            expected.disbursed,
            expected.refunded,
            expected.smes,
            expected.projects,
        );
        assert_eq!(actual, wanted, "phase {}", expected.name);
        let non_suppliers = book.smes.iter().filter(|sme| !shadow.smes[sme].1).count();
        assert_eq!(non_suppliers as u64, expected.non_supplier_smes);
    }
}

fn amounts(command: &Command) -> Vec<Money> {
    match command {
        Command::RecordPledge { amount, .. }
        | Command::RecordContribution { amount, .. }
        | Command::RecordMatch { amount, .. }
        | Command::RecordDisbursement { amount, .. }
        | Command::RecordRefund { amount, .. } => vec![*amount],
        Command::AwardGrant { project_cost, .. } => vec![*project_cost],
        _ => Vec::new(),
    }
}
