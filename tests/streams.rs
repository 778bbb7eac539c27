//! Auditor streams: history from any position and live subscription without gaps.

mod common;

use std::time::Duration;

use common::*;
use matchledger::api::proto::{self, EventFilter};

#[tokio::test]
async fn read_events_from_a_position_with_filters() {
    let mut server = TestServer::start().await;
    let programme = programme(&mut server).await;
    for _ in 0..3 {
        contribute(&mut server, &programme, "1000000").await;
    }
    let mut stream = server
        .audit
        .read_events(proto::ReadEventsRequest {
            from_sequence: 2,
            limit: 0,
            filter: Some(EventFilter {
                kinds: vec![proto::EventKind::ContributionRecorded as i32],
                phase_id: programme.phase.clone(),
                sme_id: String::new(),
                contributor_id: String::new(),
            }),
        })
        .await
        .expect("read")
        .into_inner();
    let mut sequences = Vec::new();
    while let Some(event) = stream.message().await.expect("event") {
        assert_eq!(event.kind, proto::EventKind::ContributionRecorded as i32);
        sequences.push(event.sequence);
    }
    assert_eq!(sequences.len(), 3);
    assert!(sequences.windows(2).all(|pair| pair[0] < pair[1]));

    let mut limited = server
        .audit
        .read_events(proto::ReadEventsRequest {
            from_sequence: 1,
            limit: 2,
            filter: None,
        })
        .await
        .expect("read")
        .into_inner();
    let mut count = 0;
    while limited.message().await.expect("event").is_some() {
        count += 1;
    }
    assert_eq!(count, 2);
    server.stop().await;
}

#[tokio::test]
async fn subscription_sees_catch_up_then_live_events_without_gaps_or_duplicates() {
    let mut server = TestServer::start().await;
    let programme = programme(&mut server).await;
    for _ in 0..5 {
        contribute(&mut server, &programme, "1000000").await;
    }
    let mut subscription = server
        .audit
        .subscribe(proto::SubscribeRequest {
            from_sequence: 1,
            filter: None,
        })
        .await
        .expect("subscribe")
        .into_inner();

    // Another client posts concurrently while the subscriber catches up.
    let initial = head(&mut server).await;
    let mut poster = server.posting.clone();
    let (phase, contributor) = (programme.phase.clone(), programme.contributor.clone());
    let posting = tokio::spawn(async move {
        for _ in 0..40 {
            poster
                .record_contribution(proto::RecordContributionRequest {
                    options: options(),
                    command: Some(proto::RecordContribution {
                        contribution_id: String::new(),
                        phase_id: phase.clone(),
                        contributor_id: contributor.clone(),
                        amount: krw("1000"),
                    }),
                })
                .await
                .expect("live contribution");
        }
    });
    let total = initial + 40;
    for expected in 1..=total {
        let event = tokio::time::timeout(Duration::from_secs(10), subscription.message())
            .await
            .expect("no stall")
            .expect("stream")
            .expect("event");
        assert_eq!(event.sequence, expected, "gap or duplicate");
    }
    posting.await.expect("poster");
    assert_eq!(total, head(&mut server).await);
    drop(subscription);
    server.stop().await;
}
