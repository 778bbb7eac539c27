//! The writer on PostgreSQL survives losing its database connection under load.
//!
//! A server on a throw-away cluster is driven by several clients (single commands and
//! atomic batches, each request under its own idempotency key, retried with the same key
//! and bytes while it gets no answer). Meanwhile the writer's backend is ended with
//! `pg_terminate_backend` again and again, and the database is stopped and started again
//! once. The server is never restarted: the writer reconnects, retakes its lease, resolves
//! the group in flight by the stored head and goes on. Afterwards:
//!
//! - the posting service's health was NOT_SERVING while the database was down and is
//!   SERVING again after;
//! - the hash chain verifies, and the Merkle root equals one computed afresh;
//! - every acknowledged request is in the log exactly once, at the sequences its
//!   acknowledgement named, and no other request of the load is;
//! - retrying every acknowledged request answers `replayed` with the same sequences;
//! - the served balances equal a fresh replay of the events read back.

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::engines::PostgresDatabase;
use common::{posting_health, Setup, TestServer};
use matchledger::api::convert::balances::phase_to_proto;
use matchledger::api::proto::posting_service_client::PostingServiceClient;
use matchledger::api::proto::query_service_client::QueryServiceClient;
use matchledger::api::proto::{self, BatchCommand, PostBatchRequest};
use matchledger::cli::load::setup::set_up;
use matchledger::cli::load::workload::Workload;
use matchledger::domain::{PhaseId, RecordedEvent};
use matchledger::projection::Projections;
use matchledger::store::Store;
use tonic::transport::Channel;
use tonic::Code;
use tonic_health::pb::health_check_response::ServingStatus;

/// Clients posting continuously; every third posts batches of `BATCH_COMMANDS`.
const CLIENTS: usize = 4;
const BATCH_COMMANDS: usize = 5;
/// Times the writer's backend is ended under load.
const CUTS: usize = 12;
/// Time the load runs between two cuts.
const BETWEEN_CUTS: Duration = Duration::from_millis(250);
/// How long the health may take to follow the database going and coming back.
const HEALTH_WAIT: Duration = Duration::from_secs(15);
/// The whole test gives up after this.
const TEST_DEADLINE: Duration = Duration::from_secs(180);
/// The application name of the writer's session (`store/postgres/bridge.rs`).
const WRITER_SESSION: &str = "matchledger writer";

/// An acknowledged request and the sequences its acknowledgement named.
#[derive(Clone)]
struct Ack {
    sent: PostBatchRequest,
    sequences: Vec<u64>,
}

fn key(sent: &PostBatchRequest) -> &str {
    sent.options
        .as_ref()
        .map_or("", |options| options.idempotency_key.as_str())
}

fn request(workload: &mut Workload, client: usize, number: u64) -> PostBatchRequest {
    let mut options = matchledger::cli::load::workload::options();
    if let Some(options) = options.as_mut() {
        options.idempotency_key = format!("cut-{client}-{number}");
    }
    let size = if client % 3 == 2 { BATCH_COMMANDS } else { 1 };
    PostBatchRequest {
        options,
        commands: (0..size)
            .map(|_| BatchCommand {
                command: Some(workload.next_command().1),
            })
            .collect(),
    }
}

/// Sends `sent` until it is acknowledged; a refusal fails the test, "no answer"
/// (UNAVAILABLE while the writer reconnects) is retried with the same key.
async fn until_acknowledged(
    posting: &mut PostingServiceClient<Channel>,
    sent: &PostBatchRequest,
    deadline: Instant,
) -> proto::PostingResponse {
    loop {
        match posting.post_batch(sent.clone()).await {
            Ok(response) => return response.into_inner(),
            Err(status)
                if matches!(
                    status.code(),
                    Code::Unavailable | Code::Unknown | Code::Cancelled | Code::DeadlineExceeded
                ) =>
            {
                assert!(
                    Instant::now() < deadline,
                    "{} never acknowledged: {status:?}",
                    key(sent)
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(status) => panic!("{} refused: {status:?}", key(sent)),
        }
    }
}

async fn client_loop(
    channel: Channel,
    mut workload: Workload,
    client: usize,
    stop: Arc<AtomicBool>,
    acks: Arc<Mutex<Vec<Ack>>>,
    deadline: Instant,
) {
    let mut posting = PostingServiceClient::new(channel);
    let mut number = 0;
    while !stop.load(Ordering::Relaxed) {
        let sent = request(&mut workload, client, number);
        number += 1;
        let response = until_acknowledged(&mut posting, &sent, deadline).await;
        let sequences = response.events.iter().map(|event| event.sequence).collect();
        acks.lock().expect("acks").push(Ack { sent, sequences });
    }
}

/// Waits until the posting service's health is `wanted`.
async fn health_becomes(address: &str, wanted: ServingStatus) -> bool {
    let deadline = Instant::now() + HEALTH_WAIT;
    while Instant::now() < deadline {
        if posting_health(address).await == wanted {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_writer_reconnects_after_its_connection_is_cut_under_load_and_loses_nothing() {
    let deadline = Instant::now() + TEST_DEADLINE;
    let database = PostgresDatabase::start().await;
    let cluster = Arc::clone(&database.cluster);
    let temp = tempfile::tempdir().expect("temp dir");
    let server =
        TestServer::start_on_database(temp.path(), database.clone(), Setup::default()).await;
    let setup = set_up(server.channel.clone(), CLIENTS)
        .await
        .expect("setup");

    // Given several clients posting continuously.
    let stop = Arc::new(AtomicBool::new(false));
    let acks = Arc::new(Mutex::new(Vec::new()));
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let workload = Workload::new(Arc::clone(&setup.parties), setup.smes[client].clone());
            tokio::spawn(client_loop(
                server.channel.clone(),
                workload,
                client,
                Arc::clone(&stop),
                Arc::clone(&acks),
                deadline,
            ))
        })
        .collect();

    // When the writer's backend is ended again and again...
    let mut ended = 0;
    for cut in 0..CUTS {
        tokio::time::sleep(BETWEEN_CUTS).await;
        let cluster = Arc::clone(&cluster);
        ended +=
            tokio::task::spawn_blocking(move || cluster.terminate("matchledger", WRITER_SESSION))
                .await
                .expect("join");
        let acknowledged = acks.lock().expect("acks").len();
        eprintln!("cut {cut}: {acknowledged} acknowledged so far");
    }
    assert!(
        ended >= CUTS / 2,
        "the writer's session was ended {ended} times"
    );

    // ...and the database is stopped and started again, the health follows it.
    let pausing = Arc::clone(&cluster);
    tokio::task::spawn_blocking(move || pausing.pause())
        .await
        .expect("join");
    let before_outage = acks.lock().expect("acks").len();
    assert!(
        health_becomes(&server.address, ServingStatus::NotServing).await,
        "the posting service is NOT_SERVING while the database is down"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let resuming = Arc::clone(&cluster);
    tokio::task::spawn_blocking(move || resuming.resume())
        .await
        .expect("join");
    assert!(
        health_becomes(&server.address, ServingStatus::Serving).await,
        "the posting service is SERVING again once the database is back"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.expect("client task");
    }
    let acks = acks.lock().expect("acks").clone();
    eprintln!(
        "{ended} sessions ended, one database restart, {} requests acknowledged \
         ({before_outage} before the restart)",
        acks.len()
    );
    assert!(
        acks.len() > before_outage,
        "postings went on after the restart"
    );

    // Then retries of acknowledged requests are replays with the same sequences.
    let mut posting = PostingServiceClient::new(server.channel.clone());
    for ack in &acks {
        let retried = until_acknowledged(&mut posting, &ack.sent, deadline).await;
        assert!(retried.replayed, "{} was posted again", key(&ack.sent));
        let sequences: Vec<u64> = retried.events.iter().map(|event| event.sequence).collect();
        assert_eq!(sequences, ack.sequences, "{}", key(&ack.sent));
    }
    let served = QueryServiceClient::new(server.channel.clone())
        .get_phase_balances(proto::GetPhaseBalancesRequest {
            phase_id: setup.parties.phase.clone(),
            as_of: None,
        })
        .await
        .expect("balances")
        .into_inner();
    server.stop().await;

    // And the chain verifies, every acknowledged request is in it exactly once, and the
    // balances served equal a fresh replay.
    let url = database.url.clone();
    let events = tokio::task::spawn_blocking(move || {
        verify_and_read(&Store::open_postgres(&url).expect("the database reopens"))
    })
    .await
    .expect("join");
    check_exactly_once(&acks, &events);
    let replay = Projections::replay(&events);
    let phase: PhaseId = setup.parties.phase.parse().expect("phase id");
    assert_eq!(served.answered_at_sequence, replay.sequence());
    assert_eq!(
        served.phase,
        Some(phase_to_proto(&replay.phase(&phase).expect("phase")))
    );
}

/// Verifies the whole chain and the Merkle root, and reads every event.
fn verify_and_read(store: &Store) -> Vec<RecordedEvent> {
    let head = store.verify_all(|_| {}).expect("the hash chain verifies");
    let events: Vec<_> = store
        .iter_from(1)
        .collect::<Result<_, _>>()
        .expect("events read back");
    assert_eq!(events.len() as u64, head.sequence);
    let leaves: Vec<Vec<u8>> = store
        .raw_from(1)
        .map(|raw| raw.map(|(_, bytes)| bytes))
        .collect::<Result<_, _>>()
        .expect("stored bytes read back");
    let (_, frontier) = matchledger::audit::MemoryNodes::from_leaves(&leaves);
    let (size, root) = store.tree_head().expect("the tree head reads back");
    assert_eq!(size, head.sequence);
    assert_eq!(root, frontier.root(), "the stored Merkle tree disagrees");
    events
}

/// Every acknowledged key's events are exactly the sequences it was acknowledged with,
/// and no event of the load carries a key never acknowledged.
fn check_exactly_once(acks: &[Ack], events: &[RecordedEvent]) {
    let mut by_key: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for event in events {
        by_key
            .entry(event.meta.idempotency_key.as_str())
            .or_default()
            .push(event.sequence);
    }
    for ack in acks {
        let stored = by_key.remove(key(&ack.sent)).unwrap_or_default();
        assert_eq!(stored, ack.sequences, "events of {}", key(&ack.sent));
    }
    let strays: Vec<_> = by_key
        .keys()
        .filter(|key| key.starts_with("cut-"))
        .collect();
    assert!(strays.is_empty(), "events never acknowledged: {strays:?}");
}
