//! Posting through the real server: every RPC, idempotency, atomic batches and the
//! error model (status codes with structured details).

mod common;

use common::*;
use matchledger::api::proto::{self, batch_command::Command as C, BatchCommand};
use tonic::Code;
use tonic_types::StatusExt;

async fn every_posting_rpc_commits_events_that_read_back(engine: Engine) {
    let mut server = TestServer::start_on(engine).await;
    let programme = programme(&mut server).await;
    let pledge = entity(server.posting.record_pledge(proto::RecordPledgeRequest {
        options: options(),
        command: Some(proto::RecordPledge {
            pledge_id: String::new(),
            phase_id: programme.phase.clone(),
            contributor_id: programme.contributor.clone(),
            amount: krw("20000000000"),
        }),
    }))
    .await;
    assert!(!pledge.is_empty());
    let contribution = contribute(&mut server, &programme, "100000000").await;
    record_match(&mut server, &programme, &contribution, "100000000")
        .await
        .expect("match");
    let grant = award_type2(&mut server, &programme, 20_000_000)
        .await
        .expect("award");
    let disbursement = disburse(&mut server, &grant, "12000000")
        .await
        .expect("disburse")
        .into_inner()
        .events[0]
        .entity_id
        .clone();
    server
        .posting
        .record_refund(proto::RecordRefundRequest {
            options: options(),
            command: Some(proto::RecordRefund {
                refund_id: String::new(),
                grant_id: grant.clone(),
                amount: krw("2000000"),
                reason: "obligation broken".into(),
            }),
        })
        .await
        .expect("refund");
    let refund_reversal = server
        .posting
        .reverse_entry(proto::ReverseEntryRequest {
            options: options(),
            command: Some(proto::ReverseEntry {
                entry_id: pledge.clone(),
                reason: "recorded twice".into(),
            }),
        })
        .await
        .expect("reverse");
    assert_eq!(refund_reversal.into_inner().events[0].entity_id, pledge);
    assert!(!disbursement.is_empty());
    server
        .posting
        .close_phase(proto::ClosePhaseRequest {
            options: options(),
            command: Some(proto::ClosePhase {
                phase_id: programme.phase.clone(),
            }),
        })
        .await
        .expect("close");

    let events: Vec<proto::Event> = read_all(&mut server).await;
    let kinds: Vec<i32> = events.iter().map(|event| event.kind).collect();
    use proto::EventKind as K;
    for kind in [
        K::PhaseOpened,
        K::ContributorRegistered,
        K::AgencyRegistered,
        K::SmeRegistered,
        K::PledgeRecorded,
        K::ContributionRecorded,
        K::MatchRecorded,
        K::GrantAwarded,
        K::DisbursementRecorded,
        K::RefundRecorded,
        K::EntryReversed,
        K::PhaseClosed,
    ] {
        assert!(kinds.contains(&(kind as i32)), "{kind:?} missing");
    }
    let sequences: Vec<u64> = events.iter().map(|event| event.sequence).collect();
    assert_eq!(sequences, (1..=events.len() as u64).collect::<Vec<_>>());
    for pair in events.windows(2) {
        assert_eq!(
            pair[1].prev_hash, pair[0].hash,
            "chain broken at {}",
            pair[1].sequence
        );
    }
    assert!(events.iter().all(|event| event.actor == "local"));
    server.stop().await;
}

async fn read_all(server: &mut TestServer) -> Vec<proto::Event> {
    let mut stream = server
        .audit
        .read_events(proto::ReadEventsRequest {
            from_sequence: 1,
            limit: 0,
            filter: None,
        })
        .await
        .expect("read")
        .into_inner();
    let mut events = Vec::new();
    while let Some(event) = stream.message().await.expect("stream") {
        events.push(event);
    }
    events
}

async fn retry_with_the_same_key_returns_the_original_events(engine: Engine) {
    let mut server = TestServer::start_on(engine).await;
    let programme = programme(&mut server).await;
    let request = proto::RecordContributionRequest {
        options: options_with_key("voucher-2024-0001"),
        command: Some(proto::RecordContribution {
            contribution_id: String::new(),
            phase_id: programme.phase.clone(),
            contributor_id: programme.contributor.clone(),
            amount: krw("5000000"),
        }),
    };
    let first = server
        .posting
        .record_contribution(request.clone())
        .await
        .expect("first")
        .into_inner();
    let head_after_first = head(&mut server).await;
    let retry = server
        .posting
        .record_contribution(request)
        .await
        .expect("retry")
        .into_inner();
    assert!(!first.replayed);
    assert!(retry.replayed);
    assert_eq!(first.events, retry.events);
    assert_eq!(
        head(&mut server).await,
        head_after_first,
        "a retry wrote something"
    );
    server.stop().await;
}

async fn same_key_with_a_different_request_is_already_exists_and_writes_nothing(engine: Engine) {
    let mut server = TestServer::start_on(engine).await;
    let programme = programme(&mut server).await;
    let mut request = proto::RecordContributionRequest {
        options: options_with_key("voucher-7"),
        command: Some(proto::RecordContribution {
            contribution_id: String::new(),
            phase_id: programme.phase.clone(),
            contributor_id: programme.contributor.clone(),
            amount: krw("5000000"),
        }),
    };
    server
        .posting
        .record_contribution(request.clone())
        .await
        .expect("first");
    let before = head(&mut server).await;
    request.command.as_mut().expect("command").amount = krw("6000000");
    let status = server
        .posting
        .record_contribution(request)
        .await
        .expect_err("conflict");
    assert_eq!(status.code(), Code::AlreadyExists);
    let info = status.get_details_error_info().expect("error info");
    assert_eq!(info.reason, "IDEMPOTENCY_KEY_REUSED");
    assert_eq!(head(&mut server).await, before);
    server.stop().await;
}

async fn batch_that_fails_half_way_writes_nothing(engine: Engine) {
    let mut server = TestServer::start_on(engine).await;
    let programme = programme(&mut server).await;
    let before = head(&mut server).await;
    let contribution_id = uuid::Uuid::now_v7().to_string();
    let commands = vec![
        BatchCommand {
            command: Some(C::RecordContribution(proto::RecordContribution {
                contribution_id: contribution_id.clone(),
                phase_id: programme.phase.clone(),
                contributor_id: programme.contributor.clone(),
                amount: krw("1000000"),
            })),
        },
        BatchCommand {
            command: Some(C::RecordMatch(proto::RecordMatch {
                match_id: String::new(),
                contribution_id: contribution_id.clone(),
                agency_id: programme.agency.clone(),
                amount: krw("1000000"),
            })),
        },
        BatchCommand {
            command: Some(C::RecordMatch(proto::RecordMatch {
                match_id: String::new(),
                contribution_id,
                agency_id: programme.agency.clone(),
                amount: krw("1"),
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
        .expect_err("over-match in the third command");
    assert_eq!(status.code(), Code::FailedPrecondition);
    let info = status.get_details_error_info().expect("error info");
    assert_eq!(info.reason, "OVER_MATCH");
    assert_eq!(
        info.metadata.get("command_index").map(String::as_str),
        Some("2")
    );
    assert_eq!(
        head(&mut server).await,
        before,
        "a refused batch wrote events"
    );
    server.stop().await;
}

#[tokio::test]
async fn malformed_command_in_a_batch_is_named_by_its_index() {
    let mut server = TestServer::start().await;
    let programme = programme(&mut server).await;
    let before = head(&mut server).await;
    let contribution = |amount: &str| BatchCommand {
        command: Some(C::RecordContribution(proto::RecordContribution {
            contribution_id: String::new(),
            phase_id: programme.phase.clone(),
            contributor_id: programme.contributor.clone(),
            amount: krw(amount),
        })),
    };
    let status = server
        .posting
        .post_batch(proto::PostBatchRequest {
            options: options(),
            commands: vec![
                contribution("1000"),
                contribution("2000"),
                contribution("1.5"),
            ],
        })
        .await
        .expect_err("a fractional won in the third command");
    assert_eq!(status.code(), Code::InvalidArgument);
    let info = status.get_details_error_info().expect("error info");
    assert_eq!(info.reason, "INVALID_FIELD");
    assert_eq!(
        info.metadata.get("command_index").map(String::as_str),
        Some("2")
    );
    let bad_request = status.get_details_bad_request().expect("bad request");
    assert_eq!(
        bad_request.field_violations[0].field,
        "commands[2].amount.amount"
    );
    assert_eq!(
        head(&mut server).await,
        before,
        "a refused batch wrote events"
    );
    server.stop().await;
}

async fn batch_commits_all_commands_in_order(engine: Engine) {
    let mut server = TestServer::start_on(engine).await;
    let programme = programme(&mut server).await;
    let contribution_id = uuid::Uuid::now_v7().to_string();
    let reply = server
        .posting
        .post_batch(proto::PostBatchRequest {
            options: options(),
            commands: vec![
                BatchCommand {
                    command: Some(C::RecordContribution(proto::RecordContribution {
                        contribution_id: contribution_id.clone(),
                        phase_id: programme.phase.clone(),
                        contributor_id: programme.contributor.clone(),
                        amount: krw("1000000"),
                    })),
                },
                BatchCommand {
                    command: Some(C::RecordMatch(proto::RecordMatch {
                        match_id: String::new(),
                        contribution_id: contribution_id.clone(),
                        agency_id: programme.agency.clone(),
                        amount: krw("1000000"),
                    })),
                },
            ],
        })
        .await
        .expect("batch")
        .into_inner();
    assert_eq!(reply.events.len(), 2);
    assert_eq!(reply.events[1].sequence, reply.events[0].sequence + 1);
    assert_eq!(reply.head_sequence, reply.events[1].sequence);
    server.stop().await;
}

#[tokio::test]
async fn each_error_class_has_its_status_code_and_details() {
    let mut server = TestServer::start().await;
    let programme = programme(&mut server).await;
    let contribution = contribute(&mut server, &programme, "1000000").await;

    // Malformed input: INVALID_ARGUMENT with a BadRequest naming the field.
    let fractional = server
        .posting
        .record_contribution(proto::RecordContributionRequest {
            options: options(),
            command: Some(proto::RecordContribution {
                contribution_id: String::new(),
                phase_id: programme.phase.clone(),
                contributor_id: programme.contributor.clone(),
                amount: krw("1.5"),
            }),
        })
        .await
        .expect_err("fractional won");
    assert_eq!(fractional.code(), Code::InvalidArgument);
    let bad_request = fractional.get_details_bad_request().expect("bad request");
    assert_eq!(
        bad_request.field_violations[0].field,
        "command.amount.amount"
    );

    let bad_brn = server
        .posting
        .register_sme(proto::RegisterSmeRequest {
            options: options(),
            command: Some(proto::RegisterSme {
                sme_id: String::new(),
                business_registration_number: "1234567890".into(),
                name: "Wrong Check Digit".into(),
                supplier: false,
                channel: proto::ApplicationChannel::Other as i32,
                size: proto::SizeClass::Small as i32,
            }),
        })
        .await
        .expect_err("bad BRN");
    assert_eq!(bad_brn.code(), Code::InvalidArgument);

    // Unknown id: NOT_FOUND.
    let unknown = record_match(
        &mut server,
        &programme,
        &uuid::Uuid::now_v7().to_string(),
        "1",
    )
    .await;
    assert_eq!(
        unknown.expect_err("unknown contribution").code(),
        Code::NotFound
    );

    // Broken rule: FAILED_PRECONDITION with a PreconditionFailure.
    let over = record_match(&mut server, &programme, &contribution, "1000001")
        .await
        .expect_err("over-match");
    assert_eq!(over.code(), Code::FailedPrecondition);
    let failure = over
        .get_details_precondition_failure()
        .expect("precondition failure");
    assert_eq!(failure.violations[0].r#type, "OVER_MATCH");
    assert!(over.message().contains("1000001"), "{}", over.message());

    // Over-disbursing: FAILED_PRECONDITION.
    record_match(&mut server, &programme, &contribution, "1000000")
        .await
        .expect("match");
    let grant = award_type2(&mut server, &programme, 2_000_000)
        .await
        .expect("award");
    let over_disbursed = disburse(&mut server, &grant, "2000001")
        .await
        .expect_err("over-disbursement");
    assert_eq!(over_disbursed.code(), Code::FailedPrecondition);

    // Missing idempotency key: INVALID_ARGUMENT.
    let mut no_key = options();
    no_key.as_mut().expect("options").idempotency_key.clear();
    let missing_key = server
        .posting
        .register_agency(proto::RegisterAgencyRequest {
            options: no_key,
            command: Some(proto::RegisterAgency {
                agency_id: String::new(),
                name: "Nameless".into(),
            }),
        })
        .await
        .expect_err("missing key");
    assert_eq!(missing_key.code(), Code::InvalidArgument);
    server.stop().await;
}

#[tokio::test]
async fn award_over_the_pool_is_refused() {
    let mut server = TestServer::start().await;
    let programme = programme(&mut server).await;
    contribute(&mut server, &programme, "5000000").await;
    let refused = award_type2(&mut server, &programme, 20_000_000)
        .await
        .expect_err("pool too small");
    assert_eq!(refused.code(), Code::FailedPrecondition);
    server.stop().await;
}

on_both_engines!(
    every_posting_rpc_commits_events_that_read_back,
    retry_with_the_same_key_returns_the_original_events,
    same_key_with_a_different_request_is_already_exists_and_writes_nothing,
    batch_that_fails_half_way_writes_nothing,
    batch_commits_all_commands_in_order,
);
