//! Our witness as a C2SP tlog-witness server (`witness-serve`), pushed to by our log
//! (`serve --witness`): it cosigns a log that grows (replaying its events, read from the
//! log's entry bundles, through the ledger's rules), and never one that rolled back or
//! forked, nor one whose events break the rules; each refusal is answered with the status
//! the spec gives it.

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use common::{programme, Setup, TestServer};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use matchledger::api::server::ServerConfig;
use matchledger::api::witness_keys::WitnessKeys;
use matchledger::audit::witness_protocol::AddCheckpoint;
use matchledger::audit::{self, Checkpoint, MemoryNodes, SigningKey};
use matchledger::tlog::push::WitnessUrl;
use matchledger::tlog::witness_server::{self, WitnessConfig, WitnessServer};
use matchledger::tlog::TlogListener;
use matchledger::verifiable::witness::RuleChecker;

const ORIGIN: &str = "ledger.example/served-witness";

fn log_key() -> SigningKey {
    SigningKey::from_seed(ORIGIN, [31; 32]).expect("key")
}

fn witness_key() -> SigningKey {
    SigningKey::from_seed("witness.example/ours", [32; 32]).expect("key")
}

/// Starts our witness server on a loopback port; returns its URL.
async fn start_witness(state: &Path, log_tiles: Option<String>) -> String {
    let server = WitnessServer::open(WitnessConfig {
        log_key: log_key().verifier_key(),
        key: witness_key(),
        state: state.to_path_buf(),
        log_tiles,
    })
    .expect("witness opens");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(witness_server::run(
        listener,
        Arc::new(server),
        std::future::pending(),
    ));
    url
}

/// The size of the head the witness last cosigned, from its state file.
fn witnessed(state: &Path) -> Option<u64> {
    let note = std::fs::read_to_string(state).ok()?;
    Some(
        audit::verify_checkpoint(&note, &log_key().verifier_key())
            .expect("the state is a head the log signed")
            .size,
    )
}

async fn wait_witnessed(state: &Path, size: u64) {
    for _ in 0..200 {
        if witnessed(state) == Some(size) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "the witness never cosigned {size} (holds {:?})",
        witnessed(state)
    );
}

/// The log over `dir`, pushing to `witness` every 50 ms, its tiles on `tlog`.
async fn start_log(dir: &Path, tlog: &TlogListener, witness: &str) -> TestServer {
    let keys = WitnessKeys::parse(&format!("{}\n", witness_key().cosignature_verifier_key()))
        .expect("keys");
    let setup = Setup {
        config: ServerConfig {
            signing_key: Some(log_key()),
            witness_keys: Some(keys),
            witnesses: vec![WitnessUrl::parse(witness).expect("url")],
            witness_push_interval: Duration::from_millis(50),
            tlog: Some(tlog.clone()),
            ..ServerConfig::default()
        },
        client_tls: None,
    };
    TestServer::start_in_with(dir, setup).await
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target: PathBuf = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_witness_cosigns_a_growing_log_and_never_its_rollback_or_fork() {
    let data = tempfile::TempDir::new().unwrap();
    let files = tempfile::TempDir::new().unwrap();
    let state = files.path().join("witness.note");
    let fork = files.path().join("fork");
    let tlog = TlogListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)), false).unwrap();
    let tiles = format!("http://{}/tlog", tlog.local_addr().unwrap());
    let witness = start_witness(&state, Some(tiles)).await;

    // Grows: cosigned, with every event replayed through the rules.
    let first = common::load_generated(data.path(), 0, 40).await;
    let server = start_log(data.path(), &tlog, &witness).await;
    wait_witnessed(&state, first).await;
    server.stop().await;
    copy_dir(data.path(), &fork);
    let mut server = start_log(data.path(), &tlog, &witness).await;
    programme(&mut server).await;
    let grown = server.clients(None).head().await;
    wait_witnessed(&state, grown).await;
    server.stop().await;
    // The rule check replayed every event up to `grown`, read from the entry bundles.
    let trusted = audit::verify_checkpoint(
        &std::fs::read_to_string(&state).unwrap(),
        &log_key().verifier_key(),
    )
    .unwrap();
    let rules = std::fs::read(witness_server::rules_path(&state)).expect("rule state kept");
    let checker = RuleChecker::resume(&rules, &trusted).expect("the rule state is at the head");
    assert_eq!(checker.size(), grown);

    // Rolled back to `first`: the log learns the witness holds more and pushes nothing.
    let server = start_log(&fork, &tlog, &witness).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(witnessed(&state), Some(grown));
    server.stop().await;
    // Forked: other events past `grown`; the proof from `grown` cannot hold.
    let forked = common::load_generated(&fork, 40, 80).await;
    assert!(forked > grown, "{forked} <= {grown}");
    let server = start_log(&fork, &tlog, &witness).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(witnessed(&state), Some(grown));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_rule_check_the_witness_never_cosigns_an_over_matched_log() {
    let data = tempfile::TempDir::new().unwrap();
    let files = tempfile::TempDir::new().unwrap();
    let state = files.path().join("witness.note");
    common::over_matched_log(data.path());
    let tlog = TlogListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)), false).unwrap();
    let tiles = format!("http://{}/tlog", tlog.local_addr().unwrap());
    let checking = start_witness(&state, Some(tiles)).await;
    let server = start_log(data.path(), &tlog, &checking).await;
    // The log's own pushes are refused; so is the same head pushed by hand, naming why.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let response = client
        .get(
            format!("http://{}/tlog/checkpoint", tlog.local_addr().unwrap())
                .parse()
                .unwrap(),
        )
        .await
        .expect("GET");
    let note = String::from_utf8(
        response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap();
    let (status, _, message) = push(&checking, request(0, Vec::new(), &note)).await;
    assert_eq!(status, 422, "{message}");
    assert!(
        message.contains("matched 1500 beyond its limit 1000"),
        "{message}"
    );
    assert_eq!(witnessed(&state), None, "an over-matched log was cosigned");
    assert!(!witness_server::rules_path(&state).exists());
    server.stop().await;

    // The same log is cosigned by a witness that checks only growth.
    let growth = files.path().join("growth.note");
    let unchecked = start_witness(&growth, None).await;
    let server = start_log(data.path(), &tlog, &unchecked).await;
    wait_witnessed(&growth, 5).await;
    server.stop().await;
}

/// A signed checkpoint of the tree over `leaves`, and the tree.
fn head(key: &SigningKey, leaves: &[Vec<u8>]) -> (String, MemoryNodes) {
    let (nodes, frontier) = MemoryNodes::from_leaves(leaves);
    let checkpoint = Checkpoint {
        origin: key.name().to_string(),
        size: frontier.size(),
        root: frontier.root(),
        timestamp: 1_700_000_000,
        extensions: Vec::new(),
    };
    (audit::sign_checkpoint(&checkpoint, key).unwrap(), nodes)
}

/// POSTs an add-checkpoint body; returns status, content type and body.
async fn push(witness: &str, body: String) -> (u16, String, String) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let request = http::Request::post(format!("{witness}/add-checkpoint"))
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    let response = client.request(request).await.expect("POST");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|value| value.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        content_type,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

fn request(old_size: u64, proof: Vec<audit::Hash>, note: &str) -> String {
    AddCheckpoint {
        old_size,
        proof,
        note: note.to_string(),
    }
    .to_body()
}

#[tokio::test]
async fn the_witness_answers_each_refusal_with_the_status_the_spec_gives() {
    let files = tempfile::TempDir::new().unwrap();
    let state = files.path().join("witness.note");
    let witness = start_witness(&state, None).await;
    let leaves: Vec<Vec<u8>> = (0..30u32).map(|i| i.to_be_bytes().to_vec()).collect();
    let (at_10, _) = head(&log_key(), &leaves[..10]);
    let (at_30, nodes) = head(&log_key(), &leaves);

    let (status, _, line) = push(&witness, request(0, Vec::new(), &at_10)).await;
    assert_eq!(status, 200, "{line}");
    let checkpoint = audit::verify_checkpoint(&at_10, &log_key().verifier_key()).unwrap();
    audit::verify_cosignature(
        &checkpoint,
        &line,
        &witness_key().cosignature_verifier_key(),
    )
    .expect("the answer is a cosignature line over the checkpoint");

    // Wrong old size: 409 with the witness's size.
    let proof = audit::consistency_proof(10, 30, &nodes).unwrap();
    let (status, content_type, body) = push(&witness, request(0, Vec::new(), &at_30)).await;
    assert_eq!(
        (status, content_type.as_str(), body.as_str()),
        (409, "text/x.tlog.size", "10\n")
    );
    // A bad proof: 422.
    let mut bad = proof.clone();
    bad[0][0] ^= 1;
    assert_eq!(push(&witness, request(10, bad, &at_30)).await.0, 422);
    // Signed by another key of the same name: 403; another log: 404; not the format: 400.
    let (forged, _) = head(&SigningKey::from_seed(ORIGIN, [33; 32]).unwrap(), &leaves);
    assert_eq!(
        push(&witness, request(10, proof.clone(), &forged)).await.0,
        403
    );
    let (other, _) = head(
        &SigningKey::from_seed("other.example/log", [34; 32]).unwrap(),
        &leaves,
    );
    assert_eq!(
        push(&witness, request(10, proof.clone(), &other)).await.0,
        404
    );
    assert_eq!(push(&witness, "old ten\n\n".to_string()).await.0, 400);
    assert_eq!(witnessed(&state), Some(10));

    // The right proof from the right size: cosigned, and kept across a restart.
    assert_eq!(push(&witness, request(10, proof, &at_30)).await.0, 200);
    assert_eq!(witnessed(&state), Some(30));
    let restarted = start_witness(&state, None).await;
    let (status, _, body) = push(&restarted, request(10, Vec::new(), &at_30)).await;
    assert_eq!((status, body.as_str()), (409, "30\n"));
}
