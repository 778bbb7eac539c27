//! Queries through the real server, now and as of earlier points in history.

mod common;

use common::*;
use matchledger::api::proto::{self, as_of::Point, AsOf};

fn at(sequence: u64) -> Option<AsOf> {
    Some(AsOf {
        point: Some(Point::Sequence(sequence)),
    })
}

async fn phase_balances_now_and_as_of_an_earlier_sequence(engine: Engine) {
    let mut server = TestServer::start_on(engine).await;
    let programme = programme(&mut server).await;
    let contribution = contribute(&mut server, &programme, "30000000").await;
    let after_contribution = head(&mut server).await;
    record_match(&mut server, &programme, &contribution, "30000000")
        .await
        .expect("match");
    let grant = award_type2(&mut server, &programme, 20_000_000)
        .await
        .expect("award");
    disburse(&mut server, &grant, "8000000")
        .await
        .expect("disburse");

    let now = server
        .query
        .get_phase_balances(proto::GetPhaseBalancesRequest {
            phase_id: programme.phase.clone(),
            as_of: None,
        })
        .await
        .expect("phase")
        .into_inner();
    let phase = now.phase.expect("phase");
    assert_eq!(now.answered_at_sequence, head(&mut server).await);
    assert_eq!(
        (
            phase.contributed.as_str(),
            phase.matched.as_str(),
            phase.pool.as_str()
        ),
        ("30000000", "30000000", "60000000")
    );
    assert_eq!(
        (phase.awarded.as_str(), phase.disbursed.as_str()),
        ("20000000", "8000000")
    );
    assert_eq!(
        (phase.cash.as_str(), phase.uncommitted.as_str()),
        ("52000000", "40000000")
    );
    assert_eq!((phase.smes_supported, phase.projects), (1, 1));

    let then = server
        .query
        .get_phase_balances(proto::GetPhaseBalancesRequest {
            phase_id: programme.phase.clone(),
            as_of: at(after_contribution),
        })
        .await
        .expect("phase as of")
        .into_inner();
    assert_eq!(then.answered_at_sequence, after_contribution);
    let phase = then.phase.expect("phase");
    assert_eq!(
        (phase.matched.as_str(), phase.pool.as_str()),
        ("0", "30000000")
    );
    assert_eq!(phase.match_outstanding, "30000000");
    server.stop().await;
}

#[tokio::test]
async fn as_of_beyond_the_head_is_out_of_range() {
    let mut server = TestServer::start().await;
    let head = head(&mut server).await;
    let status = server
        .query
        .get_trial_balance(proto::GetTrialBalanceRequest {
            as_of: at(head + 10),
        })
        .await
        .expect_err("beyond head");
    assert_eq!(status.code(), tonic::Code::OutOfRange);
    server.stop().await;
}

async fn as_of_a_time_answers_at_the_last_event_recorded_by_then(engine: Engine) {
    let mut server = TestServer::start_on(engine).await;
    let programme = programme(&mut server).await;
    let before = chrono::Utc::now();
    let before_head = head(&mut server).await;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    contribute(&mut server, &programme, "1000000").await;
    let reply = server
        .query
        .list_phase_balances(proto::ListPhaseBalancesRequest {
            as_of: Some(AsOf {
                point: Some(Point::Time(prost_types::Timestamp {
                    seconds: before.timestamp(),
                    nanos: before.timestamp_subsec_nanos() as i32,
                })),
            }),
        })
        .await
        .expect("as of time")
        .into_inner();
    assert_eq!(reply.answered_at_sequence, before_head);
    assert_eq!(reply.phases[0].contributed, "0");
    server.stop().await;
}

#[tokio::test]
async fn match_status_moves_from_unmatched_to_partial_to_matched() {
    let mut server = TestServer::start().await;
    let programme = programme(&mut server).await;
    let contribution = contribute(&mut server, &programme, "1000000").await;
    let status = |server: &mut TestServer, as_of| {
        let request = proto::GetMatchStatusRequest {
            contribution_id: contribution.clone(),
            as_of,
        };
        let mut client = server.query.clone();
        async move {
            client
                .get_match_status(request)
                .await
                .expect("status")
                .into_inner()
        }
    };
    let unmatched_at = head(&mut server).await;
    record_match(&mut server, &programme, &contribution, "400000")
        .await
        .expect("first match");
    let partial_at = head(&mut server).await;
    let open = server
        .query
        .list_open_contributions(proto::ListOpenContributionsRequest {
            phase_id: programme.phase.clone(),
            as_of: None,
        })
        .await
        .expect("open contributions")
        .into_inner();
    assert_eq!(open.contributions.len(), 1);
    record_match(&mut server, &programme, &contribution, "600000")
        .await
        .expect("second match");

    let now = status(&mut server, None)
        .await
        .contribution
        .expect("contribution");
    assert_eq!(now.status, proto::MatchStatus::Matched as i32);
    assert_eq!(
        (now.matched.as_str(), now.outstanding.as_str()),
        ("1000000", "0")
    );
    assert_eq!(now.match_ids.len(), 2);
    let partial = status(&mut server, at(partial_at))
        .await
        .contribution
        .expect("contribution");
    assert_eq!(partial.status, proto::MatchStatus::Partial as i32);
    let unmatched = status(&mut server, at(unmatched_at))
        .await
        .contribution
        .expect("contribution");
    assert_eq!(unmatched.status, proto::MatchStatus::Unmatched as i32);
    server.stop().await;
}

async fn sme_contributor_agency_report_and_trial_balance_answer(engine: Engine) {
    let mut server = TestServer::start_on(engine).await;
    let programme = programme(&mut server).await;
    let contribution = contribute(&mut server, &programme, "50000000").await;
    record_match(&mut server, &programme, &contribution, "50000000")
        .await
        .expect("match");
    let grant = award_type2(&mut server, &programme, 20_000_000)
        .await
        .expect("award");
    disburse(&mut server, &grant, "5000000")
        .await
        .expect("disburse");

    let sme = server
        .query
        .get_sme_balances(proto::GetSmeBalancesRequest {
            sme_id: programme.small_sme.clone(),
            as_of: None,
        })
        .await
        .expect("sme")
        .into_inner()
        .sme
        .expect("sme");
    assert_eq!(sme.business_registration_number, "1248100998");
    assert_eq!(sme.totals[0].awarded, "20000000");
    assert_eq!(sme.totals[0].disbursed, "5000000");
    assert_eq!(sme.totals[0].outstanding, "15000000");

    let page = server
        .query
        .list_sme_balances(proto::ListSmeBalancesRequest {
            phase_id: String::new(),
            order: proto::SmeOrder::Name as i32,
            page_size: 1,
            page_token: String::new(),
            as_of: None,
        })
        .await
        .expect("smes")
        .into_inner();
    assert_eq!((page.smes.len(), page.total), (1, 2));
    assert_eq!(page.smes[0].name, "Daehan Castings");
    let second = server
        .query
        .list_sme_balances(proto::ListSmeBalancesRequest {
            phase_id: String::new(),
            order: proto::SmeOrder::Name as i32,
            page_size: 1,
            page_token: page.next_page_token.clone(),
            as_of: None,
        })
        .await
        .expect("smes page 2")
        .into_inner();
    assert_eq!(second.smes[0].name, "Hanbit Precision");
    assert!(second.next_page_token.is_empty());

    let contributor = server
        .query
        .get_contributor_balances(proto::GetContributorBalancesRequest {
            contributor_id: programme.contributor.clone(),
            as_of: None,
        })
        .await
        .expect("contributor")
        .into_inner();
    assert_eq!(contributor.phases[0].paid_in, "50000000");
    let agency = server
        .query
        .get_agency_balances(proto::GetAgencyBalancesRequest {
            agency_id: programme.agency.clone(),
            as_of: None,
        })
        .await
        .expect("agency")
        .into_inner();
    assert_eq!(agency.phases[0].paid_in, "50000000");

    let report = server
        .query
        .get_sponsor_report(proto::GetSponsorReportRequest {
            phase_id: programme.phase.clone(),
            as_of: None,
        })
        .await
        .expect("report")
        .into_inner();
    assert_eq!(
        (
            report.smes_supported,
            report.projects,
            report.non_supplier_smes
        ),
        (1, 1, 0)
    );

    let trial = server
        .query
        .get_trial_balance(proto::GetTrialBalanceRequest { as_of: None })
        .await
        .expect("trial balance")
        .into_inner();
    assert!(
        trial.totals.iter().all(|total| total.amount == "0"),
        "{:?}",
        trial.totals
    );
    assert!(trial.accounts.iter().any(|account| account.balance != "0"));
    for sequence in 1..=trial.answered_at_sequence {
        let earlier = server
            .query
            .get_trial_balance(proto::GetTrialBalanceRequest {
                as_of: at(sequence),
            })
            .await
            .expect("trial balance as of")
            .into_inner();
        assert!(
            earlier.totals.iter().all(|total| total.amount == "0"),
            "unbalanced at {sequence}"
        );
    }
    server.stop().await;
}

async fn postings_are_found_by_external_reference(engine: Engine) {
    let mut server = TestServer::start_on(engine).await;
    let programme = programme(&mut server).await;
    let mut options = options();
    options.as_mut().expect("options").external_ref = "TRF-2024-000123".into();
    server
        .posting
        .record_contribution(proto::RecordContributionRequest {
            options,
            command: Some(proto::RecordContribution {
                contribution_id: String::new(),
                phase_id: programme.phase.clone(),
                contributor_id: programme.contributor.clone(),
                amount: krw("7000000"),
            }),
        })
        .await
        .expect("contribution");
    let found = server
        .query
        .find_postings_by_reference(proto::FindPostingsByReferenceRequest {
            external_ref: "TRF-2024-000123".into(),
        })
        .await
        .expect("lookup")
        .into_inner();
    assert_eq!(found.events.len(), 1);
    assert_eq!(
        found.events[0].kind,
        proto::EventKind::ContributionRecorded as i32
    );
    server.stop().await;
}

#[tokio::test]
async fn unknown_ids_in_queries_are_not_found() {
    let mut server = TestServer::start().await;
    let status = server
        .query
        .get_phase_balances(proto::GetPhaseBalancesRequest {
            phase_id: uuid::Uuid::now_v7().to_string(),
            as_of: None,
        })
        .await
        .expect_err("unknown phase");
    assert_eq!(status.code(), tonic::Code::NotFound);
    let malformed = server
        .query
        .get_sme_balances(proto::GetSmeBalancesRequest {
            sme_id: "not-a-uuid".into(),
            as_of: None,
        })
        .await
        .expect_err("malformed id");
    assert_eq!(malformed.code(), tonic::Code::InvalidArgument);
    server.stop().await;
}

on_both_engines!(
    phase_balances_now_and_as_of_an_earlier_sequence,
    as_of_a_time_answers_at_the_last_event_recorded_by_then,
    postings_are_found_by_external_reference,
    sme_contributor_agency_report_and_trial_balance_answer,
);
