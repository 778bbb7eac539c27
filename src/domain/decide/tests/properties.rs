//! Property tests: whatever sequence of commands arrives, the accepted ones keep every
//! balance rule true, a refusal changes nothing, and replaying the accepted events from
//! scratch gives the same state as folding them one by one.

use proptest::collection::vec;
use proptest::prelude::*;

use super::*;
use crate::domain::state::Undo;

const SLOTS: u128 = 4;

fn contribution_id(slot: u128) -> ContributionId {
    ContributionId::from_uuid(Uuid::from_u128(0x2000 + slot))
}
fn match_id(slot: u128) -> MatchId {
    MatchId::from_uuid(Uuid::from_u128(0x3000 + slot))
}
fn grant_id(slot: u128) -> GrantId {
    GrantId::from_uuid(Uuid::from_u128(0x4000 + slot))
}
fn disbursement_id(slot: u128) -> DisbursementId {
    DisbursementId::from_uuid(Uuid::from_u128(0x5000 + slot))
}
fn refund_id(slot: u128) -> RefundId {
    RefundId::from_uuid(Uuid::from_u128(0x6000 + slot))
}

fn clawback_id(slot: u128) -> ClawbackId {
    ClawbackId::from_uuid(Uuid::from_u128(0x7000 + slot))
}

/// Every posting id the generated commands may use.
fn entry_ids() -> Vec<EntryId> {
    (0..SLOTS)
        .flat_map(|slot| {
            [
                contribution_id(slot).into(),
                match_id(slot).into(),
                grant_id(slot).into(),
                disbursement_id(slot).into(),
                refund_id(slot).into(),
            ]
        })
        .collect()
}

fn command() -> impl Strategy<Value = Command> {
    let slot = 0..SLOTS;
    prop_oneof![
        (slot.clone(), 1..1_000i64).prop_map(|(c, a)| contribute(contribution_id(c), krw(a))),
        (slot.clone(), slot.clone(), 1..1_000i64).prop_map(|(m, c, a)| match_contribution(
            match_id(m),
            contribution_id(c),
            krw(a)
        )),
        (slot.clone(), 0..800i64, 1..800i64, 0..100i64).prop_map(|(g, gov, sp, own)| award(
            grant_id(g),
            "open",
            gov,
            sp,
            own
        )),
        (slot.clone(), slot.clone(), 1..800i64).prop_map(|(d, g, a)| disburse(
            disbursement_id(d),
            grant_id(g),
            krw(a)
        )),
        (slot.clone(), slot.clone(), 1..800i64).prop_map(|(r, g, a)| refund(
            refund_id(r),
            grant_id(g),
            krw(a)
        )),
        (0..(SLOTS * 5) as usize).prop_map(|i| reverse(entry_ids()[i])),
        (0..10u8).prop_map(|_| Command::ClosePhase { phase: PHASE }),
        (1..500i64).prop_map(super::settlement::interest),
        (1..500i64, any::<bool>())
            .prop_map(|(a, keep)| super::settlement::settle_interest(a, keep)),
        (0..3u32, any::<bool>()).prop_map(|(power, keep)| Command::SetSettlementRules {
            phase: PHASE,
            rounding_unit: Decimal::from(10i64.pow(power)),
            interest_may_be_kept: keep,
        }),
        slot.clone()
            .prop_map(|g| Command::SettleGrant { grant: grant_id(g) }),
    ]
}

/// The balance rules, checked over every id the commands may have used.
fn assert_invariants(state: &State) {
    let phase = state.phase(&PHASE).expect("the world opens the phase");
    let totals = phase.totals;
    assert!(totals.cash >= Decimal::ZERO, "cash {totals:?}");
    assert!(totals.sponsor_awarded <= totals.contributed, "{totals:?}");
    assert!(totals.government_awarded <= totals.matched, "{totals:?}");
    assert_eq!(
        totals.cash,
        totals.contributed + totals.matched - totals.disbursed
            + totals.refunded
            + totals.interest_earned
            - totals.returned
    );
    assert!(totals.interest_held <= totals.interest_earned, "{totals:?}");
    for slot in 0..SLOTS {
        if let Some(c) = state.contribution(&contribution_id(slot)) {
            assert!(c.matched <= c.match_limit, "{c:?}");
            assert!(!c.reversed || c.matched.is_zero(), "{c:?}");
        }
        if let Some(g) = state.grant(&grant_id(slot)) {
            assert!(g.disbursed <= g.funded(), "{g:?}");
            assert!(g.refunded <= g.disbursed, "{g:?}");
            assert!(!g.reversed || g.disbursed.is_zero(), "{g:?}");
            assert!(!(g.reversed && g.settled), "{g:?}");
        }
        if let Some(c) = state.clawback(&clawback_id(slot)) {
            assert!(c.collected <= c.amount, "{c:?}");
            assert!(c.passed_on <= c.collected, "{c:?}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn accepted_commands_keep_every_balance_rule(commands in vec(command(), 1..80)) {
        let mut state = given(world()).state;
        let mut accepted = world();
        for command in &commands {
            let before = state.clone();
            match decide(&state, command) {
                Ok(events) => {
                    for event in &events {
                        state.apply(event);
                    }
                    accepted.extend(events);
                    assert_invariants(&state);
                }
                Err(_) => prop_assert_eq!(&state, &before),
            }
        }
        prop_assert_eq!(given(accepted).state, state);
    }

    /// An atomic batch is decided in place and taken back when a later command is
    /// refused: the undo log must restore exactly the state before the batch, whatever
    /// the batch's events were (reversals of earlier entries included).
    #[test]
    fn undo_restores_the_state_before_the_batch(
        before in vec(command(), 0..40),
        batch in vec(command(), 1..40),
    ) {
        let mut state = given(world()).state;
        for command in &before {
            if let Ok(events) = decide(&state, command) {
                for event in &events {
                    state.apply(event);
                }
            }
        }
        let start = state.clone();
        let mut plain = state.clone();
        let mut undo = Undo::new();
        for command in &batch {
            if let Ok(events) = decide(&state, command) {
                for event in &events {
                    state.apply_undoable(event, &mut undo);
                    plain.apply(event);
                }
            }
        }
        prop_assert_eq!(&state, &plain);
        state.undo(undo);
        prop_assert_eq!(state, start);
    }
}

#[test]
fn undo_takes_back_openings_registrations_and_a_close() {
    let empty = State::default();
    let mut state = empty.clone();
    let mut undo = Undo::new();
    for event in then(world(), [phase_closed()]) {
        state.apply_undoable(&event, &mut undo);
    }
    assert!(state.phase(&PHASE).is_some_and(|phase| phase.closed));
    assert!(state.has_contributor(&SPONSOR) && state.has_agency(&AGENCY));
    assert_eq!(state.sme_by_brn(&brn(123_456_789)), Some(SME));
    state.undo(undo);
    assert_eq!(state, empty);

    // Only what came after the undo log was made is taken back.
    let mut state = given(world()).state;
    let opened = state.clone();
    let mut undo = Undo::new();
    state.apply_undoable(&phase_closed(), &mut undo);
    state.undo(undo);
    assert_eq!(state, opened);
}

#[test]
fn a_scratch_copy_is_independent_of_the_state_it_came_from() {
    let state = given(funded_world(1_000)).state;
    let mut scratch = state.clone();
    scratch.apply(&awarded(GRANT, 500, 500));
    assert!(state.grant(&GRANT).is_none());
    assert!(scratch.grant(&GRANT).is_some());
    assert_ne!(state, scratch);
}

#[test]
fn folding_a_reversal_of_an_unknown_entry_changes_nothing() {
    let state = given(world()).state;
    let mut folded = state.clone();
    folded.apply(&reversed(GRANT, EntryKind::Grant, 5));
    assert_eq!(folded, state);
}
