//! Disbursements (rule 5) and refunds (rule 6).

use super::*;
use crate::limits::TEXT_BYTES_MAX;

/// A pool of 2,000 with a grant funding 1,000 (500 government, 500 sponsor).
fn granted() -> Vec<Event> {
    then(funded_world(1_000), [awarded(GRANT, 500, 500)])
}

#[test]
fn disbursement_within_the_funded_part_is_recorded() {
    let state = given(granted())
        .when(disburse(DISBURSEMENT, GRANT, krw(600)))
        .then_events([disbursed(DISBURSEMENT, GRANT, 600)]);
    assert_eq!(state.grant(&GRANT).map(|g| g.disbursed), Some(dec(600)));
    assert_eq!(state.phase(&PHASE).map(|p| p.totals.cash), Some(dec(1_400)));
}

#[test]
fn disbursement_over_the_funded_part_is_refused() {
    let violation = assert_refused!(
        given(then(granted(), [disbursed(DISBURSEMENT, GRANT, 600)])).when(disburse(
            DISBURSEMENT_2,
            GRANT,
            krw(401)
        )),
        RuleViolation::OverDisbursement { .. }
    );
    assert_eq!(
        violation,
        RuleViolation::OverDisbursement {
            grant: GRANT.to_string(),
            amount: dec(401),
            would_be: dec(1_001),
            funded: dec(1_000),
        }
    );
}

#[test]
fn disbursement_beyond_the_phase_cash_is_refused() {
    // A history the rules would not produce (an award bigger than the pool) proves that
    // the cash check stands on its own.
    let history = then(
        world(),
        [contributed(CONTRIBUTION, 50), awarded(GRANT, 0, 100)],
    );
    assert_refused!(
        given(history).when(disburse(DISBURSEMENT, GRANT, krw(80))),
        RuleViolation::InsufficientCash { cash, needed, .. } if cash == dec(50) && needed == dec(80)
    );
}

#[test]
fn disbursement_on_an_unknown_grant_is_refused() {
    assert_refused!(
        given(funded_world(1_000)).when(disburse(DISBURSEMENT, GRANT, krw(1))),
        RuleViolation::NotFound { kind: "grant", .. }
    );
}

#[test]
fn disbursement_on_a_reversed_grant_is_refused() {
    let history = then(granted(), [reversed(GRANT, EntryKind::Grant, 1_000)]);
    assert_refused!(
        given(history).when(disburse(DISBURSEMENT, GRANT, krw(1))),
        RuleViolation::AlreadyReversed { kind: "grant", .. }
    );
}

#[test]
fn disbursement_after_the_phase_closes_is_accepted() {
    given(then(granted(), [phase_closed()]))
        .when(disburse(DISBURSEMENT, GRANT, krw(1_000)))
        .then_accepted();
}

#[test]
fn disbursement_reusing_a_posting_id_is_refused() {
    let reused = DisbursementId::from_uuid(GRANT.as_uuid());
    assert_refused!(
        given(granted()).when(disburse(reused, GRANT, krw(1))),
        RuleViolation::AlreadyExists { kind: "grant", .. }
    );
}

#[test]
fn refund_within_the_disbursed_amount_is_recorded_and_refills_cash() {
    let state = given(then(granted(), [disbursed(DISBURSEMENT, GRANT, 600)]))
        .when(refund(REFUND, GRANT, krw(200)))
        .then_events([refunded(REFUND, GRANT, 200)]);
    let grant = state.grant(&GRANT).expect("awarded");
    assert_eq!(grant.net_disbursed(), dec(400));
    assert_eq!(state.phase(&PHASE).map(|p| p.totals.cash), Some(dec(1_600)));
}

#[test]
fn refund_larger_than_disbursed_is_refused() {
    assert_refused!(
        given(then(granted(), [disbursed(DISBURSEMENT, GRANT, 600)]))
            .when(refund(REFUND, GRANT, krw(601))),
        RuleViolation::OverRefund { net_disbursed, .. } if net_disbursed == dec(600)
    );
}

#[test]
fn refund_larger_than_disbursed_net_of_earlier_refunds_is_refused() {
    let history = then(
        granted(),
        [
            disbursed(DISBURSEMENT, GRANT, 600),
            refunded(REFUND, GRANT, 500),
        ],
    );
    assert_refused!(
        given(history).when(refund(REFUND_2, GRANT, krw(101))),
        RuleViolation::OverRefund { net_disbursed, .. } if net_disbursed == dec(100)
    );
}

#[test]
fn refund_with_a_reason_over_the_text_limit_is_refused() {
    let command = Command::RecordRefund {
        refund: REFUND,
        grant: GRANT,
        amount: krw(1),
        reason: "x".repeat(TEXT_BYTES_MAX + 1),
    };
    assert_refused!(
        given(then(granted(), [disbursed(DISBURSEMENT, GRANT, 600)])).when(command),
        RuleViolation::InvalidField {
            field: "reason",
            ..
        }
    );
}

#[test]
fn refund_after_the_phase_closes_is_accepted() {
    let history = then(
        granted(),
        [disbursed(DISBURSEMENT, GRANT, 600), phase_closed()],
    );
    given(history)
        .when(refund(REFUND, GRANT, krw(600)))
        .then_accepted();
}
