//! Opening and closing phases; registering contributors, agencies and SMEs.

use super::*;
use crate::limits::{NAME_BYTES_MAX, SUPPORT_TYPES_MAX};

fn open_phase_with(edit: impl FnOnce(&mut Command)) -> Command {
    let mut command = open_phase_command();
    edit(&mut command);
    command
}

fn edit_types(command: &mut Command, edit: impl FnOnce(&mut Vec<SupportType>)) {
    if let Command::OpenPhase { support_types, .. } = command {
        edit(support_types);
    }
}

#[test]
fn opening_a_phase_records_its_configuration() {
    let state = given([])
        .when(open_phase_command())
        .then_events([phase_opened()]);
    let phase = state.phase(&PHASE).expect("phase opened");
    assert!(!phase.closed);
    assert_eq!(phase.currency(), Currency::Krw);
    assert!(phase.support_type("type2-basic").is_some());
}

#[test]
fn opening_a_phase_twice_is_refused() {
    assert_refused!(
        given([phase_opened()]).when(open_phase_command()),
        RuleViolation::AlreadyExists { kind: "phase", .. }
    );
}

#[test]
fn phase_with_blank_name_is_refused() {
    let command = open_phase_with(|c| {
        if let Command::OpenPhase { name, .. } = c {
            *name = "  ".to_string();
        }
    });
    assert_refused!(
        given([]).when(command),
        RuleViolation::InvalidField { field: "name", .. }
    );
}

#[test]
fn phase_name_over_the_byte_limit_is_refused() {
    let command = open_phase_with(|c| {
        if let Command::OpenPhase { name, .. } = c {
            *name = "가".repeat(NAME_BYTES_MAX / 3 + 1);
        }
    });
    assert_refused!(
        given([]).when(command),
        RuleViolation::InvalidField { field: "name", .. }
    );
}

#[test]
fn phase_ending_before_it_starts_is_refused() {
    let command = open_phase_with(|c| {
        if let Command::OpenPhase { ends_on, .. } = c {
            *ends_on = date(2018, 8, 31);
        }
    });
    assert_refused!(
        given([]).when(command),
        RuleViolation::InvalidField {
            field: "ends_on",
            ..
        }
    );
}

#[test]
fn zero_or_excessive_match_ratio_is_refused() {
    for ratio in [Decimal::ZERO, dec(-1), dec(11)] {
        let command = open_phase_with(|c| {
            if let Command::OpenPhase { match_ratio, .. } = c {
                *match_ratio = ratio;
            }
        });
        assert_refused!(
            given([]).when(command),
            RuleViolation::InvalidField {
                field: "match_ratio",
                ..
            }
        );
    }
}

#[test]
fn duplicate_support_type_codes_are_refused() {
    let command = open_phase_with(|c| {
        edit_types(c, |types| {
            types.push(SupportType::smart_factory_type2("type2-basic", dec(1)))
        })
    });
    assert_refused!(
        given([]).when(command),
        RuleViolation::InvalidField {
            field: "support_types.code",
            ..
        }
    );
}

#[test]
fn blank_support_type_code_is_refused() {
    let command = open_phase_with(|c| edit_types(c, |types| types[0].code = String::new()));
    assert_refused!(
        given([]).when(command),
        RuleViolation::InvalidField {
            field: "support_types.code",
            ..
        }
    );
}

#[test]
fn too_many_support_types_are_refused() {
    let command = open_phase_with(|c| {
        edit_types(c, |types| {
            *types = (0..=SUPPORT_TYPES_MAX)
                .map(|n| SupportType::smart_factory_type2(&format!("t{n}"), dec(1)))
                .collect();
        })
    });
    assert_refused!(
        given([]).when(command),
        RuleViolation::InvalidField {
            field: "support_types",
            ..
        }
    );
}

#[test]
fn support_type_ratio_outside_zero_to_one_or_inverted_is_refused() {
    let cases: [fn(&mut SupportType); 3] = [
        |t| t.government.ratio_max = dec(2),
        |t| t.own.ratio_min = dec(-1),
        |t| {
            t.sponsor.ratio_min = Decimal::new(9, 1);
            t.sponsor.ratio_max = Decimal::new(5, 1);
        },
    ];
    for case in cases {
        let command = open_phase_with(|c| edit_types(c, |types| case(&mut types[0])));
        assert_refused!(
            given([]).when(command),
            RuleViolation::InvalidField {
                field: "support_types.ratio",
                ..
            }
        );
    }
}

#[test]
fn support_type_with_nonpositive_cap_is_refused() {
    let command =
        open_phase_with(|c| edit_types(c, |types| types[0].government.cap = Some(dec(0))));
    assert_refused!(
        given([]).when(command),
        RuleViolation::InvalidField {
            field: "support_types.cap",
            ..
        }
    );
    let command =
        open_phase_with(|c| edit_types(c, |types| types[0].project_cost_max = Some(dec(-5))));
    assert_refused!(
        given([]).when(command),
        RuleViolation::InvalidField {
            field: "support_types.project_cost_max",
            ..
        }
    );
}

#[test]
fn support_type_whose_bounds_cannot_reach_the_cost_is_refused() {
    let command = open_phase_with(|c| {
        edit_types(c, |types| {
            types[0].sponsor.ratio_max = Decimal::new(30, 2);
            types[0].own.ratio_max = Decimal::new(10, 2);
        })
    });
    assert_refused!(
        given([]).when(command),
        RuleViolation::InvalidField {
            field: "support_types",
            ..
        }
    );
}

#[test]
fn closing_an_open_phase_is_accepted() {
    let state = given(world())
        .when(Command::ClosePhase { phase: PHASE })
        .then_events([phase_closed()]);
    assert!(state.phase(&PHASE).is_some_and(|phase| phase.closed));
}

#[test]
fn closing_a_closed_phase_is_refused() {
    assert_refused!(
        given(then(world(), [phase_closed()])).when(Command::ClosePhase { phase: PHASE }),
        RuleViolation::PhaseClosed { .. }
    );
}

#[test]
fn closing_an_unknown_phase_is_refused() {
    assert_refused!(
        given(world()).when(Command::ClosePhase { phase: OTHER_PHASE }),
        RuleViolation::NotFound { kind: "phase", .. }
    );
}

#[test]
fn registering_a_contributor_and_an_agency_is_accepted() {
    let state = given([])
        .when(Command::RegisterContributor {
            contributor: SPONSOR,
            name: "POSCO".to_string(),
        })
        .then_events([Event::ContributorRegistered(ContributorRegistered {
            contributor: SPONSOR,
            name: "POSCO".to_string(),
        })]);
    assert!(state.has_contributor(&SPONSOR));
    let state = given([])
        .when(Command::RegisterAgency {
            agency: AGENCY,
            name: "Foundation".to_string(),
        })
        .then_accepted();
    assert!(state.has_agency(&AGENCY));
}

#[test]
fn registering_a_contributor_twice_is_refused() {
    assert_refused!(
        given(world()).when(Command::RegisterContributor {
            contributor: SPONSOR,
            name: "POSCO again".to_string(),
        }),
        RuleViolation::AlreadyExists {
            kind: "contributor",
            ..
        }
    );
}

#[test]
fn registering_an_agency_twice_is_refused() {
    assert_refused!(
        given(world()).when(Command::RegisterAgency {
            agency: AGENCY,
            name: "Foundation again".to_string(),
        }),
        RuleViolation::AlreadyExists { kind: "agency", .. }
    );
}

#[test]
fn contributor_with_empty_name_is_refused() {
    assert_refused!(
        given([]).when(Command::RegisterContributor {
            contributor: SPONSOR,
            name: String::new(),
        }),
        RuleViolation::InvalidField { field: "name", .. }
    );
}

fn register_sme(sme: SmeId, brn_prefix: u32) -> Command {
    Command::RegisterSme {
        sme,
        brn: brn(brn_prefix),
        name: "Hanil Precision".to_string(),
        supplier: true,
        channel: ApplicationChannel::SponsorPortal,
        size: SizeClass::Small,
    }
}

#[test]
fn registering_an_sme_records_its_attributes() {
    let state = given([])
        .when(register_sme(SME, 123_456_789))
        .then_events([sme_registered(SME, 123_456_789)]);
    let sme = state.sme(&SME).expect("registered");
    assert_eq!(sme.size, SizeClass::Small);
    assert_eq!(state.sme_by_brn(&brn(123_456_789)), Some(SME));
}

#[test]
fn second_sme_with_the_same_brn_is_refused() {
    let other = SmeId::from_uuid(Uuid::from_u128(0x499));
    assert_refused!(
        given(world()).when(register_sme(other, 123_456_789)),
        RuleViolation::AlreadyExists {
            kind: "business registration number",
            ..
        }
    );
}

#[test]
fn sme_with_a_reused_id_is_refused() {
    assert_refused!(
        given(world()).when(register_sme(SME, 555_555_555)),
        RuleViolation::AlreadyExists { kind: "sme", .. }
    );
}

#[test]
fn registering_an_agency_under_a_phase_id_is_refused() {
    assert_refused!(
        given(world()).when(Command::RegisterAgency {
            agency: AgencyId::from_uuid(PHASE.as_uuid()),
            name: "Foundation".to_string(),
        }),
        RuleViolation::AlreadyExists { kind: "phase", .. }
    );
}

#[test]
fn registering_a_contributor_under_an_agency_id_is_refused() {
    assert_refused!(
        given(world()).when(Command::RegisterContributor {
            contributor: ContributorId::from_uuid(AGENCY.as_uuid()),
            name: "POSCO".to_string(),
        }),
        RuleViolation::AlreadyExists { kind: "agency", .. }
    );
}

#[test]
fn registering_under_a_posting_id_is_refused() {
    assert_refused!(
        given(then(world(), [contributed(CONTRIBUTION, 5)])).when(Command::RegisterAgency {
            agency: AgencyId::from_uuid(CONTRIBUTION.as_uuid()),
            name: "Foundation".to_string(),
        }),
        RuleViolation::AlreadyExists {
            kind: "contribution",
            ..
        }
    );
}

#[test]
fn the_nil_uuid_is_refused_as_a_new_id() {
    assert_refused!(
        given([]).when(Command::RegisterContributor {
            contributor: ContributorId::from_uuid(Uuid::nil()),
            name: "POSCO".to_string(),
        }),
        RuleViolation::InvalidField {
            field: "contributor_id",
            ..
        }
    );
    assert_refused!(
        given(world()).when(contribute(ContributionId::from_uuid(Uuid::nil()), krw(5))),
        RuleViolation::InvalidField {
            field: "contribution_id",
            ..
        }
    );
}

#[test]
fn a_posting_under_a_phase_id_is_refused() {
    assert_refused!(
        given(world()).when(contribute(
            ContributionId::from_uuid(PHASE.as_uuid()),
            krw(5)
        )),
        RuleViolation::AlreadyExists { kind: "phase", .. }
    );
}
