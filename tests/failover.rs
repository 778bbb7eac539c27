//! Two `matchledger serve` nodes on one PostgreSQL database: the second waits for the
//! writer's lease while the first serves; when the first is killed with SIGKILL, the
//! second takes over within seconds, every request the first acknowledged is answered by
//! the second as a replay with the same sequences, new postings go on, and the log
//! verifies.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::engines::PostgresDatabase;
use matchledger::api::proto::posting_service_client::PostingServiceClient;
use matchledger::api::proto::query_service_client::QueryServiceClient;
use matchledger::api::proto::{self, BatchCommand, PostBatchRequest};
use matchledger::cli::load::setup::set_up;
use matchledger::cli::load::workload::Workload;
use matchledger::store::Store;
use tonic::transport::Channel;

/// How long a node may take to answer once it may serve.
const TAKEOVER_MAX: Duration = Duration::from_secs(20);

/// A `matchledger serve --postgres` child process, SIGKILLed when dropped.
struct Node {
    child: Child,
    address: String,
}

impl Node {
    fn spawn(url: &str, data_dir: &Path, log: &Path) -> Node {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let listen = probe.local_addr().expect("address").to_string();
        drop(probe);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .expect("log file");
        let child = Command::new(env!("CARGO_BIN_EXE_matchledger"))
            .args([
                "serve",
                "--listen",
                &listen,
                "--postgres",
                url,
                "--data-dir",
            ])
            .arg(data_dir)
            .env("RUST_LOG", "info,h2=warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("the node starts");
        Node {
            child,
            address: format!("http://{listen}"),
        }
    }

    fn channel(&self) -> Channel {
        Channel::from_shared(self.address.clone())
            .expect("uri")
            .connect_lazy()
    }

    /// Whether the node answers a query within `wait`.
    async fn answers_within(&mut self, wait: Duration) -> bool {
        let deadline = Instant::now() + wait;
        while Instant::now() < deadline {
            assert!(
                self.child.try_wait().expect("wait").is_none(),
                "the node exited"
            );
            let mut query = QueryServiceClient::new(self.channel());
            let answer = query
                .list_phase_balances(proto::ListPhaseBalancesRequest { as_of: None })
                .await;
            if answer.is_ok() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        false
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A batch of one command from the workload, under its own idempotency key.
fn request(workload: &mut Workload, number: usize) -> PostBatchRequest {
    let mut options = matchledger::cli::load::workload::options();
    if let Some(options) = options.as_mut() {
        options.idempotency_key = format!("failover-{number}");
    }
    PostBatchRequest {
        options,
        commands: vec![BatchCommand {
            command: Some(workload.next_command().1),
        }],
    }
}

fn sequences(response: &proto::PostingResponse) -> Vec<u64> {
    response.events.iter().map(|event| event.sequence).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standby_node_takes_over_when_the_writer_is_killed_and_replays_what_it_acknowledged() {
    let database = PostgresDatabase::start().await;
    let temp = tempfile::tempdir().expect("temp dir");
    let (data_dir, log) = (temp.path().join("data"), temp.path().join("nodes.log"));

    // Given a writer node serving, and a second node started on the same database.
    let mut first = Node::spawn(&database.url, &data_dir, &log);
    assert!(
        first.answers_within(TAKEOVER_MAX).await,
        "the first node serves"
    );
    let mut second = Node::spawn(&database.url, &data_dir, &log);
    assert!(
        !second.answers_within(Duration::from_millis(1500)).await,
        "the second node waits for the lease"
    );

    // When the first acknowledges postings and is then killed.
    let setup = set_up(first.channel(), 1).await.expect("setup");
    let mut workload = Workload::new(setup.parties.clone(), setup.smes[0].clone());
    let mut posting = PostingServiceClient::new(first.channel());
    let mut acknowledged = Vec::new();
    for number in 0..30 {
        let sent = request(&mut workload, number);
        let response = posting
            .post_batch(sent.clone())
            .await
            .expect("acknowledged");
        acknowledged.push((sent, sequences(&response.into_inner())));
    }
    first.kill();
    let killed = Instant::now();

    // Then the second takes over within seconds and replays what the first acknowledged.
    assert!(
        second.answers_within(TAKEOVER_MAX).await,
        "the second node takes over; log:\n{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    eprintln!("takeover after {:?}", killed.elapsed());
    let mut posting = PostingServiceClient::new(second.channel());
    for (sent, sequences_acknowledged) in &acknowledged {
        let retried = posting
            .post_batch(sent.clone())
            .await
            .expect("a retry is answered")
            .into_inner();
        assert!(retried.replayed, "posted once, replayed after the takeover");
        assert_eq!(&sequences(&retried), sequences_acknowledged);
    }
    let fresh = posting
        .post_batch(request(&mut workload, 30))
        .await
        .expect("the new writer posts")
        .into_inner();
    assert!(!fresh.replayed);
    let last = *sequences(&fresh).last().expect("an event");
    second.kill();

    // And the log in the database verifies up to the last posting.
    let url = database.url.clone();
    let head = tokio::task::spawn_blocking(move || {
        let store = Store::open_postgres(&url).expect("reopens");
        store.verify_all(|_| {}).expect("the chain verifies")
    })
    .await
    .expect("join");
    assert_eq!(head.sequence, last);
}
