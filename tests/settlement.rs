//! Settlement through the real server: rules, interest earned and returned, a grant
//! settled with its unspent part returned pro rata and the rounding remainder recorded,
//! refusals with their reasons, a restart, and an export that verifies offline.

mod common;

use common::*;
use matchledger::api::proto::{self, batch_command::Command as C, BatchCommand};
use matchledger::api::server::ServerConfig;
use matchledger::verifiable::export::verify_export;
use tonic::Code;
use tonic_types::StatusExt;

async fn set_rules(server: &mut TestServer, phase: &str, unit: &str, keep: bool) {
    server
        .posting
        .set_settlement_rules(proto::SetSettlementRulesRequest {
            options: options(),
            command: Some(proto::SetSettlementRules {
                phase_id: phase.to_string(),
                rounding_unit: unit.to_string(),
                interest_may_be_kept: keep,
            }),
        })
        .await
        .expect("rules set");
}

async fn record_interest(server: &mut TestServer, phase: &str, amount: &str) {
    server
        .posting
        .record_interest(proto::RecordInterestRequest {
            options: options(),
            command: Some(proto::RecordInterest {
                phase_id: phase.to_string(),
                amount: krw(amount),
            }),
        })
        .await
        .expect("interest recorded");
}

async fn settle_interest(
    server: &mut TestServer,
    phase: &str,
    amount: &str,
    keep: bool,
) -> Result<tonic::Response<proto::PostingResponse>, tonic::Status> {
    server
        .posting
        .settle_interest(proto::SettleInterestRequest {
            options: options(),
            command: Some(proto::SettleInterest {
                phase_id: phase.to_string(),
                amount: krw(amount),
                keep,
            }),
        })
        .await
}

async fn settle_grant(
    server: &mut TestServer,
    grant: &str,
) -> Result<tonic::Response<proto::PostingResponse>, tonic::Status> {
    server
        .posting
        .settle_grant(proto::SettleGrantRequest {
            options: options(),
            command: Some(proto::SettleGrant {
                grant_id: grant.to_string(),
            }),
        })
        .await
}

async fn settlement(server: &mut TestServer, phase: &str) -> proto::PhaseSettlement {
    let reply = server
        .query
        .get_phase_balances(proto::GetPhaseBalancesRequest {
            phase_id: phase.to_string(),
            as_of: None,
        })
        .await
        .expect("phase balances")
        .into_inner();
    let phase = reply.phase.expect("phase");
    phase.settlement.expect("settlement figures")
}

async fn cash(server: &mut TestServer, phase: &str) -> String {
    let reply = server
        .query
        .get_phase_balances(proto::GetPhaseBalancesRequest {
            phase_id: phase.to_string(),
            as_of: None,
        })
        .await
        .expect("phase balances")
        .into_inner();
    reply.phase.expect("phase").cash
}

/// The trial balance's totals are zero; returns the balance of the phase's account `name`.
async fn balanced_account(server: &mut TestServer, phase: &str, name: &str) -> String {
    let reply = server
        .query
        .get_trial_balance(proto::GetTrialBalanceRequest { as_of: None })
        .await
        .expect("trial balance")
        .into_inner();
    assert!(reply.totals.iter().all(|total| total.amount == "0"));
    let account = format!("phase/{phase}/{name}");
    reply
        .accounts
        .into_iter()
        .find(|line| line.account == account)
        .map(|line| line.balance)
        .expect("account listed")
}

/// A phase of 100 M contributed and matched, a 20 M type-2 grant of which 12,345,675 was
/// disbursed, rules dropping amounts under 10 won, and 123,457 won of interest.
async fn settled_programme(server: &mut TestServer) -> (Programme, String) {
    let programme = programme(server).await;
    let contribution = contribute(server, &programme, "100000000").await;
    record_match(server, &programme, &contribution, "100000000")
        .await
        .expect("match");
    let grant = award_type2(server, &programme, 20_000_000)
        .await
        .expect("award");
    disburse(server, &grant, "12345675")
        .await
        .expect("disburse");
    set_rules(server, &programme.phase, "10", false).await;
    record_interest(server, &programme.phase, "123457").await;
    (programme, grant)
}

#[tokio::test]
async fn interest_and_a_settled_grant_return_money_pro_rata_and_keep_the_books_balanced() {
    let mut server = TestServer::start().await;
    let (programme, grant) = settled_programme(&mut server).await;
    let phase = programme.phase.clone();
    assert_eq!(cash(&mut server, &phase).await, "187777782");

    settle_interest(&mut server, &phase, "123457", false)
        .await
        .expect("interest returned");
    settle_grant(&mut server, &grant).await.expect("settled");

    let figures = settlement(&mut server, &phase).await;
    assert_eq!(figures.rounding_unit, "10");
    assert_eq!(figures.interest_earned, "123457");
    assert_eq!(figures.interest_held, "0");
    assert_eq!(figures.interest_returned_government, "61720");
    assert_eq!(figures.interest_returned_sponsor, "61720");
    assert_eq!(figures.interest_remainder, "17");
    assert_eq!(figures.grants_settled, 1);
    assert_eq!(figures.spent_on_settled, "12345675");
    assert_eq!(figures.unspent, "7654325");
    assert_eq!(figures.unspent_returned_government, "3827160");
    assert_eq!(figures.unspent_returned_sponsor, "3827160");
    assert_eq!(figures.unspent_remainder, "5");
    // 200 M − 12,345,675 + 123,457 − 123,440 − 7,654,320: the 22 won of remainders stay.
    assert_eq!(cash(&mut server, &phase).await, "180000022");
    let remainders = balanced_account(&mut server, &phase, "remainders").await;
    assert_eq!(remainders, "-22");
    let payable = balanced_account(&mut server, &phase, "grants_payable").await;
    assert_eq!(payable, "0");
    server.stop().await;
}

#[tokio::test]
async fn a_settled_grant_refuses_disbursements_with_the_rule_and_reason() {
    let mut server = TestServer::start().await;
    let (_, grant) = settled_programme(&mut server).await;
    settle_grant(&mut server, &grant).await.expect("settled");
    let before = head(&mut server).await;

    let status = disburse(&mut server, &grant, "1")
        .await
        .expect_err("settled grant");

    assert_eq!(status.code(), Code::FailedPrecondition);
    let info = status.get_details_error_info().expect("error info");
    assert_eq!(info.reason, "GRANT_SETTLED");
    assert_eq!(info.metadata.get("rule").map(String::as_str), Some("13"));
    let again = settle_grant(&mut server, &grant)
        .await
        .expect_err("settled once");
    assert_eq!(again.code(), Code::FailedPrecondition);
    assert_eq!(head(&mut server).await, before);
    server.stop().await;
}

#[tokio::test]
async fn keeping_interest_without_the_rule_refuses_the_whole_batch() {
    let mut server = TestServer::start().await;
    let (programme, _) = settled_programme(&mut server).await;
    let before = head(&mut server).await;
    let phase = programme.phase.clone();
    let commands = vec![
        BatchCommand {
            command: Some(C::RecordInterest(proto::RecordInterest {
                phase_id: phase.clone(),
                amount: krw("1000"),
            })),
        },
        BatchCommand {
            command: Some(C::SettleInterest(proto::SettleInterest {
                phase_id: phase.clone(),
                amount: krw("1000"),
                keep: true,
            })),
        },
    ];

    let status = server
        .posting
        .post_batch(proto::PostBatchRequest {
            options: options(),
            commands,
        })
        .await
        .expect_err("keeping is not allowed");

    assert_eq!(status.code(), Code::FailedPrecondition);
    let info = status.get_details_error_info().expect("error info");
    assert_eq!(info.reason, "INTEREST_KEEPING_NOT_ALLOWED");
    assert_eq!(head(&mut server).await, before);
    assert_eq!(
        settlement(&mut server, &phase).await.interest_held,
        "123457"
    );
    let over = settle_interest(&mut server, &phase, "123458", false)
        .await
        .expect_err("more than held");
    let info = over.get_details_error_info().expect("error info");
    assert_eq!(info.reason, "INTEREST_EXCEEDED");
    server.stop().await;
}

#[tokio::test]
async fn settlement_survives_a_restart_and_its_export_verifies_offline() {
    let key =
        matchledger::audit::SigningKey::from_seed("ledger.example/settle", [7; 32]).expect("key");
    let setup = || Setup {
        config: ServerConfig {
            signing_key: Some(key.clone()),
            ..ServerConfig::default()
        },
        client_tls: None,
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let mut server = TestServer::start_in_with(dir.path(), setup()).await;
    let (programme, grant) = settled_programme(&mut server).await;
    settle_interest(&mut server, &programme.phase, "100000", false)
        .await
        .expect("part of the interest returned");
    settle_grant(&mut server, &grant).await.expect("settled");
    let before = settlement(&mut server, &programme.phase).await;
    server.stop().await;

    let mut server = TestServer::start_in_with(dir.path(), setup()).await;
    assert_eq!(settlement(&mut server, &programme.phase).await, before);
    assert_eq!(before.interest_held, "23457");
    let out = common::export::export_from_server(&server.address, key.verifier_key()).await;
    verify_export(out.path(), &key.verifier_key(), |_| {}).expect("export verifies");
    server.stop().await;
}

#[tokio::test]
async fn a_clawback_is_decided_collected_in_parts_and_passed_on() {
    let mut server = TestServer::start().await;
    let (programme, grant) = settled_programme(&mut server).await;
    let phase = programme.phase.clone();
    let decided = server
        .posting
        .decide_clawback(proto::DecideClawbackRequest {
            options: options(),
            command: Some(proto::DecideClawback {
                clawback_id: String::new(),
                grant_id: grant.clone(),
                amount: krw("5000005"),
                reason: "obligations not met".into(),
                due_on: "2024-06-30".into(),
            }),
        })
        .await
        .expect("decided")
        .into_inner();
    let clawback = decided.events[0].entity_id.clone();
    for part in ["3000000", "2000005"] {
        server
            .posting
            .collect_clawback(proto::CollectClawbackRequest {
                options: options(),
                command: Some(proto::CollectClawback {
                    clawback_id: clawback.clone(),
                    amount: krw(part),
                }),
            })
            .await
            .expect("collected");
    }
    let held = settlement(&mut server, &phase).await;
    assert_eq!(held.clawbacks_outstanding, "0");
    assert_eq!(held.clawbacks_held, "5000005");

    server
        .posting
        .pass_on_clawback(proto::PassOnClawbackRequest {
            options: options(),
            command: Some(proto::PassOnClawback {
                clawback_id: clawback.clone(),
            }),
        })
        .await
        .expect("passed on");

    let figures = settlement(&mut server, &phase).await;
    assert_eq!(figures.clawbacks_held, "0");
    assert_eq!(figures.clawback_returned_government, "2500000");
    assert_eq!(figures.clawback_returned_sponsor, "2500000");
    assert_eq!(figures.clawback_remainder, "5");
    let clawbacks = balanced_account(&mut server, &phase, "clawbacks").await;
    assert_eq!(clawbacks, "0");
    let over = server
        .posting
        .collect_clawback(proto::CollectClawbackRequest {
            options: options(),
            command: Some(proto::CollectClawback {
                clawback_id: clawback.clone(),
                amount: krw("1"),
            }),
        })
        .await
        .expect_err("nothing owed");
    let info = over.get_details_error_info().expect("error info");
    assert_eq!(info.reason, "OVER_COLLECTION");
    assert_eq!(info.metadata.get("rule").map(String::as_str), Some("14"));
    server.stop().await;
}

fn options_on(date: &str) -> Option<proto::PostingOptions> {
    let mut options = options().expect("options");
    options.effective_date = date.to_string();
    Some(options)
}

#[tokio::test]
async fn an_overdue_clawback_and_money_held_show_their_age_as_of_a_business_date() {
    let mut server = TestServer::start().await;
    let (programme, grant) = settled_programme(&mut server).await;
    let decided = server
        .posting
        .decide_clawback(proto::DecideClawbackRequest {
            options: options_on("2024-05-31"),
            command: Some(proto::DecideClawback {
                clawback_id: String::new(),
                grant_id: grant.clone(),
                amount: krw("5000005"),
                reason: "obligations not met".into(),
                due_on: "2024-06-30".into(),
            }),
        })
        .await
        .expect("decided")
        .into_inner();
    let clawback = decided.events[0].entity_id.clone();
    server
        .posting
        .collect_clawback(proto::CollectClawbackRequest {
            options: options_on("2024-09-10"),
            command: Some(proto::CollectClawback {
                clawback_id: clawback.clone(),
                amount: krw("3000000"),
            }),
        })
        .await
        .expect("collected late, in part");

    let reply = server
        .query
        .list_clawbacks(proto::ListClawbacksRequest {
            phase_id: programme.phase.clone(),
            on: "2024-12-09".into(),
            as_of: None,
        })
        .await
        .expect("clawbacks")
        .into_inner();

    assert_eq!(reply.on, "2024-12-09");
    let [status] = reply.clawbacks.as_slice() else {
        panic!("one clawback: {:?}", reply.clawbacks);
    };
    assert_eq!(status.clawback_id, clawback);
    assert_eq!(status.decided_on, "2024-05-31");
    assert_eq!(status.outstanding, "2000005");
    assert_eq!(status.held, "3000000");
    assert_eq!(status.overdue_days, 162);
    assert_eq!(status.held_days, 90);
    let bad = server
        .query
        .list_clawbacks(proto::ListClawbacksRequest {
            phase_id: programme.phase.clone(),
            on: "2024-1-5".into(),
            as_of: None,
        })
        .await
        .expect_err("not a canonical date");
    assert_eq!(bad.code(), Code::InvalidArgument);
    server.stop().await;
}
