//! Crash test: the real binary, killed with SIGKILL at random moments under load.
//!
//! Starts `matchledger serve` as a child process on a free loopback port, drives it from
//! several client tasks (single-command RPCs and atomic batches, each request under its
//! own idempotency key), kills it with SIGKILL at random moments (`KILLS` times), and
//! restarts it. A request that got no answer is retried with the same key and the same
//! bytes until it is acknowledged. Afterwards:
//!
//! - the hash chain verifies (`Store::verify_all`, then `matchledger check`, which also
//!   replays the books and compares the saved snapshot);
//! - every acknowledged request is in the log exactly once, at the sequences its
//!   acknowledgement named, and nothing else is (so no retry double-posted);
//! - retrying every acknowledged request once more answers `replayed` with the same
//!   sequences;
//! - the server's balances equal a fresh replay of the events read back.
//!
//! It runs on sled, and on PostgreSQL (a throw-away cluster, `tests/common/postgres.rs`),
//! where the chain is verified through the store instead of `matchledger check`, which
//! reads a data directory.
//!
//! Ignored in the fast suite (it takes a minute or two); `.ci/run` runs it with
//! `cargo test --release -- --ignored`.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::engines::PostgresDatabase;
use matchledger::api::convert::balances::phase_to_proto;
use matchledger::api::proto::batch_command::Command as ProtoCommand;
use matchledger::api::proto::posting_service_client::PostingServiceClient;
use matchledger::api::proto::query_service_client::QueryServiceClient;
use matchledger::api::proto::{self, BatchCommand, PostBatchRequest, PostingResponse};
use matchledger::cli::load::setup::set_up;
use matchledger::cli::load::workload::Workload;
use matchledger::domain::PhaseId;
use matchledger::projection::Projections;
use matchledger::store::Store;
use rand::{Rng, SeedableRng};
use tonic::transport::Channel;
use tonic::{Code, Status};

/// SIGKILLs of the server under load.
const KILLS: usize = 24;
/// Clients posting one command per RPC.
const SINGLE_CLIENTS: usize = 6;
/// Clients posting atomic batches of `BATCH_COMMANDS` commands.
const BATCH_CLIENTS: usize = 2;
const BATCH_COMMANDS: usize = 10;
/// Random time the server runs under load before each kill.
const RUN_MS: std::ops::Range<u64> = 50..600;
/// The whole test gives up after this, whatever happens.
const TEST_DEADLINE: Duration = Duration::from_secs(240);
/// How long one start of the server may take before the test fails.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// One request as sent, kept so that a retry sends exactly the same bytes.
#[derive(Debug, Clone)]
enum Sent {
    Contribution(proto::RecordContributionRequest),
    Match(proto::RecordMatchRequest),
    Award(proto::AwardGrantRequest),
    Disbursement(proto::RecordDisbursementRequest),
    Batch(PostBatchRequest),
}

impl Sent {
    fn key(&self) -> &str {
        let options = match self {
            Sent::Contribution(r) => &r.options,
            Sent::Match(r) => &r.options,
            Sent::Award(r) => &r.options,
            Sent::Disbursement(r) => &r.options,
            Sent::Batch(r) => &r.options,
        };
        options.as_ref().map_or("", |o| o.idempotency_key.as_str())
    }

    async fn send(
        &self,
        client: &mut PostingServiceClient<Channel>,
    ) -> Result<PostingResponse, Status> {
        let reply = match self.clone() {
            Sent::Contribution(r) => client.record_contribution(r).await,
            Sent::Match(r) => client.record_match(r).await,
            Sent::Award(r) => client.award_grant(r).await,
            Sent::Disbursement(r) => client.record_disbursement(r).await,
            Sent::Batch(r) => client.post_batch(r).await,
        };
        reply.map(tonic::Response::into_inner)
    }
}

/// An acknowledged request and what the acknowledgement said.
#[derive(Debug, Clone)]
struct Ack {
    sent: Sent,
    sequences: Vec<u64>,
    /// Whether it had to be retried (its first attempt got no answer).
    retried: bool,
    /// Whether the acknowledgement was a replay of an earlier commit.
    replayed: bool,
}

fn options(key: String) -> Option<proto::PostingOptions> {
    Some(proto::PostingOptions {
        idempotency_key: key,
        effective_date: "2024-03-01".into(),
        external_ref: String::new(),
        metadata: Vec::new(),
    })
}

/// The next request of a client: one command, or a batch of them.
fn next_request(workload: &mut Workload, client: usize, number: u64, batch: usize) -> Sent {
    let options = options(format!("crash-{client}-{number}"));
    if batch > 1 {
        let commands = (0..batch)
            .map(|_| BatchCommand {
                command: Some(workload.next_command().1),
            })
            .collect();
        return Sent::Batch(PostBatchRequest { options, commands });
    }
    match workload.next_command().1 {
        ProtoCommand::RecordContribution(c) => {
            Sent::Contribution(proto::RecordContributionRequest {
                options,
                command: Some(c),
            })
        }
        ProtoCommand::RecordMatch(c) => Sent::Match(proto::RecordMatchRequest {
            options,
            command: Some(c),
        }),
        ProtoCommand::AwardGrant(c) => Sent::Award(proto::AwardGrantRequest {
            options,
            command: Some(c),
        }),
        ProtoCommand::RecordDisbursement(c) => {
            Sent::Disbursement(proto::RecordDisbursementRequest {
                options,
                command: Some(c),
            })
        }
        other => Sent::Batch(PostBatchRequest {
            options,
            commands: vec![BatchCommand {
                command: Some(other),
            }],
        }),
    }
}

/// Whether a failure means "no answer" (the server went away), so the request must be
/// retried with the same key, rather than a refusal.
fn no_answer(status: &Status) -> bool {
    matches!(
        status.code(),
        Code::Unavailable
            | Code::Unknown
            | Code::Cancelled
            | Code::DeadlineExceeded
            | Code::Aborted
            | Code::Internal
    )
}

fn lazy_channel(address: &str) -> Channel {
    Channel::from_shared(address.to_string())
        .expect("uri")
        .timeout(Duration::from_secs(10))
        .connect_lazy()
}

/// Sends `sent` until it is acknowledged; fails on a refusal or past the deadline.
async fn until_acknowledged(
    address: &str,
    client: &mut PostingServiceClient<Channel>,
    sent: &Sent,
    deadline: Instant,
) -> (PostingResponse, bool) {
    let mut retried = false;
    loop {
        match sent.send(client).await {
            Ok(response) => return (response, retried),
            Err(status) if no_answer(&status) => {
                assert!(
                    Instant::now() < deadline,
                    "{} never acknowledged: {status:?}",
                    sent.key()
                );
                retried = true;
                tokio::time::sleep(Duration::from_millis(20)).await;
                *client = PostingServiceClient::new(lazy_channel(address));
            }
            Err(status) => panic!("{} refused: {status:?}", sent.key()),
        }
    }
}

/// One client: requests one after another, each retried until acknowledged, until told
/// to stop (the request in flight then still completes).
async fn client_loop(
    address: String,
    mut workload: Workload,
    client: usize,
    batch: usize,
    stop: Arc<AtomicBool>,
    acks: Arc<Mutex<Vec<Ack>>>,
    deadline: Instant,
) {
    let mut posting = PostingServiceClient::new(lazy_channel(&address));
    let mut number = 0;
    while !stop.load(Ordering::Relaxed) {
        let sent = next_request(&mut workload, client, number, batch);
        number += 1;
        let (response, retried) = until_acknowledged(&address, &mut posting, &sent, deadline).await;
        let ack = Ack {
            sequences: response.events.iter().map(|event| event.sequence).collect(),
            replayed: response.replayed,
            retried,
            sent,
        };
        acks.lock().expect("acks lock").push(ack);
    }
}

/// The server child process, restarted in place.
struct Server {
    binary: PathBuf,
    data_dir: PathBuf,
    address: String,
    listen: String,
    child: Option<Child>,
    log: PathBuf,
    starts: usize,
    /// The database holding the log, when the server runs on PostgreSQL.
    postgres: Option<String>,
}

impl Server {
    fn new(data_dir: &Path, log: PathBuf) -> Server {
        // A free port: bound and released; the server binds it with SO_REUSEADDR.
        let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let listen = probe.local_addr().expect("address").to_string();
        drop(probe);
        Server {
            binary: PathBuf::from(env!("CARGO_BIN_EXE_matchledger")),
            data_dir: data_dir.to_path_buf(),
            address: format!("http://{listen}"),
            listen,
            child: None,
            log,
            starts: 0,
            postgres: None,
        }
    }

    /// Starts the server and waits until it answers queries.
    async fn start(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("log file");
        let mut command = Command::new(&self.binary);
        command
            .args(["serve", "--listen", &self.listen, "--data-dir"])
            .arg(&self.data_dir)
            // Parallel servers must not all take the default HTTP port.
            .args(["--http-listen", "off"]);
        if let Some(url) = &self.postgres {
            command.args(["--postgres", url]);
        }
        let child = command
            .env("RUST_LOG", "info,sled=warn,h2=warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("the server starts");
        self.child = Some(child);
        self.starts += 1;
        let started = Instant::now();
        loop {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().expect("wait"))
            {
                let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                let tail: String = log.lines().rev().take(20).collect::<Vec<_>>().join("\n");
                panic!("the server exited on start {} with {status}; sled or the store refused to reopen:\n{tail}", self.starts);
            }
            let mut query = QueryServiceClient::new(lazy_channel(&self.address));
            let answer = query
                .list_phase_balances(proto::ListPhaseBalancesRequest { as_of: None })
                .await;
            if answer.is_ok() {
                return;
            }
            assert!(
                started.elapsed() < START_TIMEOUT,
                "the server did not answer within {START_TIMEOUT:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// SIGKILL, no chance to flush anything.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("SIGKILL");
            child.wait().expect("reaped");
        }
    }

    /// SIGTERM and wait for a clean stop.
    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let status = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status()
                .expect("kill runs");
            assert!(status.success());
            let status = child.wait().expect("reaped");
            assert!(status.success(), "clean stop exits 0, got {status}");
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "slow: kills the real server under load; run by .ci/run with --ignored"]
async fn acknowledged_writes_survive_sigkill_exactly_once() {
    survive_sigkill(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "slow: kills the real server under load; run by .ci/run with --ignored"]
async fn acknowledged_writes_survive_sigkill_exactly_once_on_postgres() {
    let database = PostgresDatabase::start().await;
    survive_sigkill(Some(&database.url)).await;
}

/// The crash test on sled in a data directory, or on the PostgreSQL database at
/// `postgres` (the data directory then holds only the signing key).
async fn survive_sigkill(postgres: Option<&str>) {
    let deadline = Instant::now() + TEST_DEADLINE;
    let temp = tempfile::tempdir().expect("temp dir");
    let data_dir = temp.path().join("data");
    let mut server = Server::new(&data_dir, temp.path().join("server.log"));
    server.postgres = postgres.map(str::to_string);
    server.start().await;
    let clients = SINGLE_CLIENTS + BATCH_CLIENTS;
    let setup = set_up(lazy_channel(&server.address), clients)
        .await
        .expect("setup");
    let phase = setup.parties.phase.clone();

    // Given clients posting continuously.
    let stop = Arc::new(AtomicBool::new(false));
    let acks = Arc::new(Mutex::new(Vec::new()));
    let tasks: Vec<_> = (0..clients)
        .map(|client| {
            let workload = Workload::new(Arc::clone(&setup.parties), setup.smes[client].clone());
            let batch = if client < SINGLE_CLIENTS {
                1
            } else {
                BATCH_COMMANDS
            };
            tokio::spawn(client_loop(
                server.address.clone(),
                workload,
                client,
                batch,
                Arc::clone(&stop),
                Arc::clone(&acks),
                deadline,
            ))
        })
        .collect();

    // When the server is killed at random moments and restarted each time.
    let seed: u64 = rand::random();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    eprintln!("crash test seed {seed}");
    for _ in 0..KILLS {
        tokio::time::sleep(Duration::from_millis(rng.gen_range(RUN_MS))).await;
        server.kill();
        server.start().await;
        assert!(
            Instant::now() < deadline,
            "out of time after {} starts",
            server.starts
        );
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.expect("client task");
    }
    server.stop();
    let acks = acks.lock().expect("acks").clone();
    let retried = acks.iter().filter(|ack| ack.retried).count();
    let replayed = acks.iter().filter(|ack| ack.replayed).count();
    eprintln!(
        "{} kills, {} starts, {} acknowledged requests ({} retried after no answer, {} of them answered as replays)",
        KILLS,
        server.starts,
        acks.len(),
        retried,
        replayed
    );
    assert!(acks.len() > KILLS, "the load made progress");

    // Then the chain verifies and every acknowledged request is in the log exactly once.
    let events = match postgres {
        Some(url) => {
            let url = url.to_string();
            let store = tokio::task::spawn_blocking(move || Store::open_postgres(&url))
                .await
                .expect("join")
                .expect("the database reopens after the kills");
            tokio::task::spawn_blocking(move || verify_and_read(&store))
                .await
                .expect("join")
        }
        None => {
            let events = verify_and_read(&Store::open(&data_dir).expect("the store reopens"));
            let check = Command::new(env!("CARGO_BIN_EXE_matchledger"))
                .args(["check", "--data-dir"])
                .arg(&data_dir)
                .output()
                .expect("check runs");
            assert!(
                check.status.success(),
                "matchledger check: {}",
                String::from_utf8_lossy(&check.stdout)
            );
            events
        }
    };
    check_exactly_once(&acks, &events);

    // And retries of acknowledged requests are replays, and balances equal a replay.
    server.start().await;
    let mut posting = PostingServiceClient::new(lazy_channel(&server.address));
    for ack in &acks {
        let response = ack
            .sent
            .send(&mut posting)
            .await
            .expect("a retry is answered");
        assert!(
            response.replayed,
            "{} retried after the test was not a replay",
            ack.sent.key()
        );
        let sequences: Vec<u64> = response.events.iter().map(|event| event.sequence).collect();
        assert_eq!(sequences, ack.sequences, "{}", ack.sent.key());
    }
    let mut query = QueryServiceClient::new(lazy_channel(&server.address));
    let served = query
        .get_phase_balances(proto::GetPhaseBalancesRequest {
            phase_id: phase.clone(),
            as_of: None,
        })
        .await
        .expect("balances")
        .into_inner();
    let replay = Projections::replay(&events);
    let phase_id: PhaseId = phase.parse().expect("phase id");
    let expected = phase_to_proto(&replay.phase(&phase_id).expect("phase in the replay"));
    assert_eq!(served.answered_at_sequence, replay.sequence());
    assert_eq!(served.phase, Some(expected));
    server.stop();
}

/// Verifies the whole chain of the stopped server's store and reads every event.
fn verify_and_read(store: &Store) -> Vec<matchledger::domain::RecordedEvent> {
    let head = store.verify_all(|_| {}).expect("the hash chain verifies");
    let events: Vec<_> = store
        .iter_from(1)
        .collect::<Result<_, _>>()
        .expect("events read back");
    assert_eq!(events.len() as u64, head.sequence);
    // The persisted Merkle tree survived the kills too: its root equals the root computed
    // afresh from the exact stored bytes of every event.
    let leaves: Vec<Vec<u8>> = store
        .raw_from(1)
        .map(|raw| raw.map(|(_, bytes)| bytes))
        .collect::<Result<_, _>>()
        .expect("stored bytes read back");
    let (_, frontier) = matchledger::audit::MemoryNodes::from_leaves(&leaves);
    let (size, root) = store.tree_head().expect("the tree head reads back");
    assert_eq!(size, head.sequence);
    assert_eq!(
        root,
        frontier.root(),
        "the persisted Merkle tree disagrees with the log"
    );
    events
}

/// Every acknowledged key's events are exactly the sequences it was acknowledged with,
/// and no event of the load carries a key that was never acknowledged.
fn check_exactly_once(acks: &[Ack], events: &[matchledger::domain::RecordedEvent]) {
    let mut by_key: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for event in events {
        by_key
            .entry(event.meta.idempotency_key.as_str())
            .or_default()
            .push(event.sequence);
    }
    for ack in acks {
        let stored = by_key.remove(ack.sent.key()).unwrap_or_default();
        assert_eq!(
            stored,
            ack.sequences,
            "events of {} in the log vs acknowledged",
            ack.sent.key()
        );
    }
    let strays: Vec<_> = by_key
        .keys()
        .filter(|key| key.starts_with("crash-"))
        .collect();
    assert!(
        strays.is_empty(),
        "events of requests never acknowledged: {strays:?}"
    );
}
