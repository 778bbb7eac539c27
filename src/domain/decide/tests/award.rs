//! Awards: support types (rule 11) and the pool (rule 4).

use super::*;

const M: i64 = 1_000_000;

fn pool() -> Vec<Event> {
    funded_world(100 * M)
}

fn with_share(mut command: Command, field: &str, value: Decimal) -> Command {
    if let Command::AwardGrant {
        government_share,
        sponsor_share,
        own_share,
        ..
    } = &mut command
    {
        match field {
            "government" => *government_share = value,
            "sponsor" => *sponsor_share = value,
            _ => *own_share = value,
        }
    }
    command
}

#[test]
fn type1_award_within_its_bounds_is_recorded() {
    let state = given(pool())
        .when(award(GRANT, "type1-basic", 30 * M, 40 * M, 30 * M))
        .then_events([awarded_typed(GRANT, "type1-basic", 30 * M, 40 * M, 30 * M)]);
    let grant = state.grant(&GRANT).expect("awarded");
    assert_eq!(grant.funded(), dec(70 * M));
    let phase = state.phase(&PHASE).expect("open");
    assert_eq!(phase.sponsor_available(), dec(60 * M));
    assert_eq!(phase.government_available(), dec(70 * M));
    assert_eq!(phase.totals.own_awarded, dec(30 * M));
}

#[test]
fn type2_award_split_half_and_half_is_recorded() {
    given(pool())
        .when(award(GRANT, "type2-basic", 10 * M, 10 * M, 0))
        .then_events([awarded_typed(GRANT, "type2-basic", 10 * M, 10 * M, 0)]);
}

#[test]
fn type2_award_with_own_share_is_refused() {
    assert_refused!(
        given(pool()).when(award(GRANT, "type2-basic", 9 * M, 9 * M, 2 * M)),
        RuleViolation::SupportTypeViolated { ref support_type, .. } if support_type == "type2-basic"
    );
}

#[test]
fn type2_award_over_the_project_cost_maximum_is_refused() {
    assert_refused!(
        given(pool()).when(award(GRANT, "type2-basic", 11 * M, 11 * M, 0)),
        RuleViolation::SupportTypeViolated { ref reason, .. } if reason.contains("maximum")
    );
}

#[test]
fn type1_government_share_over_its_cap_is_refused() {
    assert_refused!(
        given(pool()).when(award(GRANT, "type1-basic", 50 * M, 100 * M, 50 * M)),
        RuleViolation::SupportTypeViolated { ref reason, .. } if reason.contains("cap")
    );
}

#[test]
fn type1_government_share_over_thirty_percent_is_refused() {
    assert_refused!(
        given(pool()).when(award(GRANT, "type1-basic", 31 * M, 39 * M, 30 * M)),
        RuleViolation::SupportTypeViolated { ref reason, .. } if reason.contains("government")
    );
}

#[test]
fn type1_sponsor_share_under_thirty_percent_is_refused() {
    assert_refused!(
        given(pool()).when(award(GRANT, "type1-basic", 30 * M, 29 * M, 41 * M)),
        RuleViolation::SupportTypeViolated { ref reason, .. } if reason.contains("sponsor")
    );
}

#[test]
fn shares_not_adding_up_to_the_project_cost_are_refused() {
    assert_refused!(
        given(pool()).when(award_costing(GRANT, "open", krw(100), 30, 30, 30)),
        RuleViolation::SupportTypeViolated { ref reason, .. } if reason.contains("add up")
    );
}

#[test]
fn award_over_sponsor_pool_is_refused() {
    let violation = assert_refused!(
        given(then(pool(), [awarded(GRANT, 0, 60 * M)])).when(award(GRANT_2, "open", 0, 50 * M, 0)),
        RuleViolation::PoolExceeded {
            share: "sponsor",
            ..
        }
    );
    assert_eq!(
        violation,
        RuleViolation::PoolExceeded {
            phase: PHASE.to_string(),
            share: "sponsor",
            amount: dec(50 * M),
            available: dec(40 * M),
        }
    );
}

#[test]
fn award_over_government_pool_is_refused() {
    assert_refused!(
        given(pool()).when(award(GRANT, "open", 100 * M + 1, 0, 0)),
        RuleViolation::PoolExceeded {
            share: "government",
            available,
            ..
        } if available == dec(100 * M)
    );
}

#[test]
fn award_counts_only_active_contributions_in_the_pool() {
    let history = then(
        world(),
        [
            contributed(CONTRIBUTION, 10 * M),
            contributed(CONTRIBUTION_2, 10 * M),
            reversed(CONTRIBUTION_2, EntryKind::Contribution, 10 * M),
        ],
    );
    assert_refused!(
        given(history).when(award(GRANT, "open", 0, 10 * M + 1, 0)),
        RuleViolation::PoolExceeded { available, .. } if available == dec(10 * M)
    );
}

#[test]
fn award_with_an_unknown_support_type_is_refused() {
    assert_refused!(
        given(pool()).when(award(GRANT, "type9", 1, 1, 0)),
        RuleViolation::NotFound {
            kind: "support type",
            ..
        }
    );
}

#[test]
fn award_to_an_unregistered_sme_is_refused() {
    let mut command = award(GRANT, "open", 1, 1, 0);
    if let Command::AwardGrant { sme, .. } = &mut command {
        *sme = SmeId::from_uuid(Uuid::from_u128(0x498));
    }
    assert_refused!(
        given(pool()).when(command),
        RuleViolation::NotFound { kind: "sme", .. }
    );
}

#[test]
fn award_in_a_closed_phase_is_refused() {
    assert_refused!(
        given(then(pool(), [phase_closed()])).when(award(GRANT, "open", 1, 1, 0)),
        RuleViolation::PhaseClosed { what: "awards", .. }
    );
}

#[test]
fn award_with_a_negative_share_is_refused() {
    let command = with_share(award(GRANT, "open", 10, 10, 0), "own", dec(-1));
    assert_refused!(
        given(pool()).when(command),
        RuleViolation::InvalidField {
            field: "own_share",
            ..
        }
    );
}

#[test]
fn award_with_a_fractional_won_share_is_refused() {
    let command = with_share(
        award(GRANT, "open", 10, 10, 0),
        "government",
        Decimal::new(105, 1),
    );
    assert_refused!(
        given(pool()).when(command),
        RuleViolation::InvalidField {
            field: "government_share",
            ..
        }
    );
}

#[test]
fn award_with_cents_in_a_dollar_phase_is_recorded() {
    let usd = |cents| Money::new(Decimal::new(cents, 2), Currency::Usd).expect("valid");
    let mut history = world();
    history[0] = phase_opened_with(PHASE, Currency::Usd, Decimal::ONE);
    history.push(Event::ContributionRecorded(ContributionRecorded {
        contribution: CONTRIBUTION,
        phase: PHASE,
        contributor: SPONSOR,
        amount: usd(10_000),
    }));
    let mut command = award_costing(GRANT, "open", usd(1_234), 0, 0, 0);
    command = with_share(command, "sponsor", Decimal::new(1_234, 2));
    given(history).when(command).then_accepted();
}

#[test]
fn award_funding_nothing_is_refused() {
    assert_refused!(
        given(pool()).when(award(GRANT, "open", 0, 0, 100)),
        RuleViolation::InvalidField {
            field: "shares",
            ..
        }
    );
}

#[test]
fn award_reusing_a_grant_id_is_refused() {
    assert_refused!(
        given(then(pool(), [awarded(GRANT, 1, 1)])).when(award(GRANT, "open", 1, 1, 0)),
        RuleViolation::AlreadyExists { kind: "grant", .. }
    );
}

#[test]
fn award_with_project_cost_in_another_currency_is_refused() {
    let euros = Money::new(dec(2), Currency::Eur).expect("valid");
    assert_refused!(
        given(pool()).when(award_costing(GRANT, "open", euros, 1, 1, 0)),
        RuleViolation::CurrencyMismatch { .. }
    );
}

#[test]
fn award_whose_funded_part_would_overflow_is_refused() {
    let huge = Money::new(Decimal::MAX, Currency::Krw).expect("valid");
    let command = with_share(
        with_share(
            award_costing(GRANT, "open", huge, 0, 0, 0),
            "government",
            Decimal::MAX,
        ),
        "sponsor",
        Decimal::MAX,
    );
    assert_refused!(given(pool()).when(command), RuleViolation::Overflow { .. });
}
