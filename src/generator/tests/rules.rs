//! The generated programme against the ledger's real rules: every command, in order,
//! through `decide` and `State::apply`, must be accepted, and the state's balances must
//! equal the summary.

use crate::domain::{decide, State};
use crate::generator::{generate_with_summary, ProgrammeConfig};

/// Decides and applies every command; panics naming the first refusal and its position.
fn load(config: &ProgrammeConfig) -> State {
    let (commands, summary) = generate_with_summary(config);
    let mut state = State::default();
    for (position, generated) in commands.iter().enumerate() {
        match decide(&state, &generated.command) {
            Ok(events) => {
                assert!(!events.is_empty(), "command {position} recorded nothing");
                events.iter().for_each(|event| state.apply(event));
            }
            Err(refusal) => panic!(
                "command {position} of {} refused ({}): {refusal}\n{generated:?}",
                commands.len(),
                refusal.code()
            ),
        }
    }
    for expected in &summary.phases {
        let phase = state.phase(&expected.phase).expect("every phase is opened");
        let totals = &phase.totals;
        assert!(phase.closed, "{} left open", expected.name);
        assert_eq!(totals.pledged, expected.pledged, "{}", expected.name);
        assert_eq!(
            totals.contributed, expected.contributed,
            "{}",
            expected.name
        );
        assert_eq!(totals.matched, expected.matched, "{}", expected.name);
        assert_eq!(totals.sponsor_awarded, expected.awarded_sponsor);
        assert_eq!(totals.government_awarded, expected.awarded_government);
        assert_eq!(totals.own_awarded, expected.own_share);
        assert_eq!(totals.disbursed, expected.disbursed, "{}", expected.name);
        assert_eq!(totals.refunded, expected.refunded, "{}", expected.name);
        assert_eq!(totals.cash, expected.cash(), "{}", expected.name);
    }
    assert_eq!(state.phase_count(), summary.phases.len());
    state
}

#[test]
fn ledger_rules_accept_every_command_of_the_scale_one_programme() {
    load(&ProgrammeConfig {
        seed: 2013,
        scale: 1,
    });
}

#[test]
fn ledger_rules_accept_every_command_of_the_scale_three_programme() {
    load(&ProgrammeConfig { seed: 77, scale: 3 });
}
