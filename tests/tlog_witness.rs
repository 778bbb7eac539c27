//! The log as a C2SP tlog-witness client: `serve --witness URL` pushes each grown tree
//! head to a witness written here from the spec alone (`add-checkpoint`: `old <size>`,
//! the consistency proof, an empty line, the signed checkpoint; 409 with the witness's
//! size as `text/x.tlog.size` when `old` is wrong, 422 for a bad proof), keeps the
//! cosignatures it gets back and serves them in the checkpoint. After a restart the log
//! learns the witness's size from its 409 and continues from there.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use base64::Engine;
use common::{programme, Setup, TestServer};
use matchledger::api::server::ServerConfig;
use matchledger::api::witness_keys::WitnessKeys;
use matchledger::audit::{self, Hash, SigningKey};
use matchledger::tlog::push::WitnessUrl;
use matchledger::tlog::TlogListener;

const ORIGIN: &str = "ledger.example/witnessed";
const WITNESS: &str = "witness.example/spec";

fn log_key() -> SigningKey {
    SigningKey::from_seed(ORIGIN, [21; 32]).expect("key")
}

fn witness_key() -> SigningKey {
    SigningKey::from_seed(WITNESS, [22; 32]).expect("key")
}

/// The witness's state and what it was sent.
#[derive(Default)]
struct Held {
    /// The size and root it last cosigned.
    tree: Option<(u64, Hash)>,
    /// The `old` size of every request, in order.
    olds: Vec<u64>,
    /// Requests answered 409.
    conflicts: usize,
}

type Witness = Arc<Mutex<Held>>;

/// A tlog-witness for one log, from the spec: parse the body by hand, check the log's
/// signature, the old size and the consistency proof, cosign.
async fn add_checkpoint(State(witness): State<Witness>, body: String) -> Response {
    let Some((head, note)) = body.split_once("\n\n") else {
        return (StatusCode::BAD_REQUEST, "no empty line").into_response();
    };
    let mut lines = head.split('\n');
    let Some(Ok(old)) = lines
        .next()
        .and_then(|line| line.strip_prefix("old "))
        .map(str::parse::<u64>)
    else {
        return (StatusCode::BAD_REQUEST, "no old line").into_response();
    };
    let mut proof = Vec::new();
    for line in lines {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(line)
            .unwrap_or_default();
        let Ok(hash) = Hash::try_from(bytes.as_slice()) else {
            return (StatusCode::BAD_REQUEST, "bad proof line").into_response();
        };
        proof.push(hash);
    }
    let Ok(checkpoint) = audit::verify_checkpoint(note, &log_key().verifier_key()) else {
        return (StatusCode::FORBIDDEN, "not signed by the log").into_response();
    };
    if checkpoint.origin != ORIGIN {
        return (StatusCode::NOT_FOUND, "unknown log").into_response();
    }
    let mut held = witness.lock().unwrap();
    held.olds.push(old);
    let (size, root) = held.tree.unwrap_or((0, audit::empty_root()));
    if old != size {
        held.conflicts += 1;
        return (
            StatusCode::CONFLICT,
            [(header::CONTENT_TYPE, "text/x.tlog.size")],
            format!("{size}\n"),
        )
            .into_response();
    }
    if checkpoint.size < old
        || audit::verify_consistency(old, checkpoint.size, &root, &checkpoint.root, &proof).is_err()
    {
        return (StatusCode::UNPROCESSABLE_ENTITY, "bad consistency proof").into_response();
    }
    let line = audit::cosign(&checkpoint, &witness_key(), 1_700_000_000).expect("cosigns");
    held.tree = Some((checkpoint.size, checkpoint.root));
    line.into_response()
}

/// Starts the witness on a loopback port; returns its state and URL prefix.
async fn start_witness() -> (Witness, String) {
    let witness = Witness::default();
    let app = Router::new()
        .route("/add-checkpoint", post(add_checkpoint))
        .with_state(Arc::clone(&witness));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (witness, url)
}

/// A server pushing to `witness_url` every 50 ms, with the tlog-tiles face; returns it and
/// its checkpoint URL.
async fn start(dir: &Path, witness_url: &str) -> (TestServer, String) {
    let tlog = TlogListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)), false).expect("bind");
    let checkpoint = format!("http://{}/tlog/checkpoint", tlog.local_addr().unwrap());
    let keys = WitnessKeys::parse(&format!("{}\n", witness_key().cosignature_verifier_key()))
        .expect("witness keys");
    let setup = Setup {
        config: ServerConfig {
            signing_key: Some(log_key()),
            witness_keys: Some(keys),
            witnesses: vec![WitnessUrl::parse(witness_url).expect("url")],
            witness_push_interval: Duration::from_millis(50),
            tlog: Some(tlog),
            ..ServerConfig::default()
        },
        client_tls: None,
    };
    (TestServer::start_in_with(dir, setup).await, checkpoint)
}

/// The `old` sizes the witness was sent, and how many it answered 409.
fn sent(witness: &Witness) -> (Vec<u64>, usize) {
    let held = witness.lock().unwrap();
    (held.olds.clone(), held.conflicts)
}

/// Waits until the witness has cosigned `size`.
async fn cosigned(witness: &Witness, size: u64) {
    for _ in 0..200 {
        if witness.lock().unwrap().tree.map(|(held, _)| held) == Some(size) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the witness never cosigned size {size}");
}

/// The served checkpoint, checked under the log's key, with the witness's cosignature on
/// it (retried briefly: the cosignature is kept just after the witness answers).
async fn cosigned_checkpoint(url: &str, size: u64) {
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Empty<axum::body::Bytes>>();
    for _ in 0..100 {
        let response = client.get(url.parse().unwrap()).await.expect("GET");
        let body = http_body_util::BodyExt::collect(response.into_body())
            .await
            .unwrap()
            .to_bytes();
        let note = String::from_utf8(body.to_vec()).unwrap();
        let checkpoint = audit::verify_checkpoint(&note, &log_key().verifier_key()).unwrap();
        let cosignature = note
            .lines()
            .find(|line| line.starts_with(&format!("— {WITNESS} ")))
            .map(|line| format!("{line}\n"));
        if let (true, Some(line)) = (checkpoint.size == size, cosignature) {
            audit::verify_cosignature(
                &checkpoint,
                &line,
                &witness_key().cosignature_verifier_key(),
            )
            .expect("the served cosignature verifies");
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the checkpoint of size {size} was never served with the witness's cosignature");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_pushes_each_grown_head_to_a_spec_witness_and_serves_its_cosignature() {
    let data = tempfile::TempDir::new().unwrap();
    let (witness, url) = start_witness().await;
    let first = common::load_generated(data.path(), 0, 40).await;
    let (mut server, checkpoint) = start(data.path(), &url).await;
    cosigned(&witness, first).await;
    cosigned_checkpoint(&checkpoint, first).await;

    // The log grows while serving: the next push proves consistency from `first`.
    programme(&mut server).await;
    let grown = server.clients(None).head().await;
    assert!(grown > first);
    cosigned(&witness, grown).await;
    cosigned_checkpoint(&checkpoint, grown).await;
    let (olds, conflicts) = sent(&witness);
    assert_eq!(olds[..2], [0, first]);
    assert_eq!(conflicts, 0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_restart_the_log_learns_the_witness_size_from_its_conflict_and_goes_on() {
    let data = tempfile::TempDir::new().unwrap();
    let (witness, url) = start_witness().await;
    let first = common::load_generated(data.path(), 0, 30).await;
    let (server, _) = start(data.path(), &url).await;
    cosigned(&witness, first).await;
    server.stop().await;

    // Restarted, the log believes the witness at 0; the witness says `first`.
    let (mut server, checkpoint) = start(data.path(), &url).await;
    programme(&mut server).await;
    let grown = server.clients(None).head().await;
    cosigned(&witness, grown).await;
    cosigned_checkpoint(&checkpoint, grown).await;
    let (olds, conflicts) = sent(&witness);
    assert_eq!(conflicts, 1, "olds sent: {olds:?}");
    assert_eq!(olds[1..3], [0, first]);
    server.stop().await;
}
