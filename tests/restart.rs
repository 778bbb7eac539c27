//! A restart keeps every event and every balance, on either engine.

mod common;

use common::*;
use matchledger::api::proto;

async fn restart_keeps_all_data_and_balances(engine: Engine) {
    let mut server = TestServer::start_on(engine).await;
    let programme = programme(&mut server).await;
    let contribution = contribute(&mut server, &programme, "40000000").await;
    record_match(&mut server, &programme, &contribution, "40000000")
        .await
        .expect("match");
    let grant = award_type2(&mut server, &programme, 20_000_000)
        .await
        .expect("award");
    disburse(&mut server, &grant, "10000000")
        .await
        .expect("disburse");
    let phases_before = server
        .query
        .list_phase_balances(proto::ListPhaseBalancesRequest { as_of: None })
        .await
        .expect("phases")
        .into_inner();
    let mut restarted = server.restart().await;
    let phases_after = restarted
        .query
        .list_phase_balances(proto::ListPhaseBalancesRequest { as_of: None })
        .await
        .expect("phases")
        .into_inner();
    assert_eq!(phases_after, phases_before);

    // The restarted ledger keeps deciding with the restored state: the pool is what it was.
    let over = disburse(&mut restarted, &grant, "10000001")
        .await
        .expect_err("over-disbursement");
    assert_eq!(over.code(), tonic::Code::FailedPrecondition);
    disburse(&mut restarted, &grant, "10000000")
        .await
        .expect("second instalment");
    restarted.stop().await;
}

on_both_engines!(restart_keeps_all_data_and_balances);
