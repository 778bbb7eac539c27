//! The log served as C2SP tlog-tiles by the real server on its own loopback listener:
//! the checkpoint verifies under the log's key, the entry bundles hold the exact stored
//! event bytes and rebuild the signed root, the tiles carry the spec's cache headers, a
//! partial tile never changes as the log grows, and paths beyond the tree or not in the
//! spec's canonical spelling are not found. Then an implementation we did not write, Go's
//! `golang.org/x/mod/sumdb/tlog` and `sumdb/note`, checks the same server, and during a
//! key rotation accepts its checkpoint under the old key and under the new one.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;

use axum::body::Bytes;
use common::{Setup, TestServer};
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use matchledger::api::server::ServerConfig;
use matchledger::audit::tiles::{self, TileKind, TilePath, TILE_WIDTH};
use matchledger::audit::{self, MemoryNodes, SigningKey};
use matchledger::tlog::TlogListener;

const ORIGIN: &str = "ledger.example/tiles";

fn log_key() -> SigningKey {
    SigningKey::from_seed(ORIGIN, [9; 32]).expect("key")
}

/// A server over `dir` signing with the fixed key, with the tlog-tiles face on its own
/// loopback port; returns it and the tlog-tiles URL prefix.
async fn start(dir: &Path) -> (TestServer, String) {
    start_with_keys(dir, log_key(), None).await
}

/// [`start`] signing with `key`, and with `previous` too during a key rotation.
async fn start_with_keys(
    dir: &Path,
    key: SigningKey,
    previous: Option<SigningKey>,
) -> (TestServer, String) {
    let tlog = TlogListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)), false).expect("bind");
    let prefix = format!("http://{}/tlog", tlog.local_addr().expect("address"));
    let setup = Setup {
        config: ServerConfig {
            signing_key: Some(key),
            previous_signing_key: previous,
            tlog: Some(tlog),
            ..ServerConfig::default()
        },
        client_tls: None,
    };
    (TestServer::start_in_with(dir, setup).await, prefix)
}

/// An answer: status, Cache-Control and body.
struct Answer {
    status: u16,
    cache: String,
    body: Vec<u8>,
}

async fn get(url: &str) -> Answer {
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let response = client.get(url.parse().expect("uri")).await.expect("GET");
    let status = response.status().as_u16();
    let cache = response
        .headers()
        .get("cache-control")
        .map(|value| value.to_str().expect("ASCII").to_string())
        .unwrap_or_default();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    Answer {
        status,
        cache,
        body: body.to_vec(),
    }
}

async fn fetch(prefix: &str, tile: TilePath) -> Answer {
    let answer = get(&format!("{prefix}/{}", tile.to_path())).await;
    assert_eq!(answer.status, 200, "{}", tile.to_path());
    answer
}

fn entries(index: u64, width: u64) -> TilePath {
    TilePath {
        kind: TileKind::Entries,
        index,
        width,
    }
}

fn hashes(level: u8, index: u64, width: u64) -> TilePath {
    TilePath {
        kind: TileKind::Hashes { level },
        index,
        width,
    }
}

/// Every entry of the tree of `size`, from its entry bundles (full ones, then the
/// rightmost partial one).
async fn all_entries(prefix: &str, size: u64) -> Vec<Vec<u8>> {
    let mut leaves = Vec::new();
    for index in 0..size.div_ceil(TILE_WIDTH) {
        let width = (size - index * TILE_WIDTH).min(TILE_WIDTH);
        let bundle = fetch(prefix, entries(index, width)).await;
        let parsed = tiles::parse_entry_bundle(&bundle.body).expect("an entry bundle");
        assert_eq!(parsed.len() as u64, width);
        leaves.extend(parsed.into_iter().map(<[u8]>::to_vec));
    }
    leaves
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_entry_bundles_rebuild_the_signed_root_and_hash_to_the_level_zero_tiles() {
    let data = tempfile::TempDir::new().unwrap();
    let size = common::load_generated(data.path(), 0, 700).await;
    assert!(size > 2 * TILE_WIDTH && size % TILE_WIDTH != 0, "{size}");
    let (server, prefix) = start(data.path()).await;

    let checkpoint = get(&format!("{prefix}/checkpoint")).await;
    assert_eq!(
        (checkpoint.status, checkpoint.cache.as_str()),
        (200, "no-store")
    );
    let note = String::from_utf8(checkpoint.body).expect("UTF-8");
    let signed = audit::verify_checkpoint(&note, &log_key().verifier_key()).expect("verifies");
    assert_eq!((signed.origin.as_str(), signed.size), (ORIGIN, size));

    let leaves = all_entries(&prefix, size).await;
    let (nodes, frontier) = MemoryNodes::from_leaves(&leaves);
    assert_eq!(frontier.root(), signed.root);
    // The level-0 tiles are the entries' leaf hashes; the level-1 tile the roots of each
    // full run of 256.
    let full = fetch(&prefix, hashes(0, 1, TILE_WIDTH)).await;
    assert_eq!(full.body, tiles::leaf_hash_tile(&leaves[256..512]));
    let upper_width = size / TILE_WIDTH;
    let upper = fetch(&prefix, hashes(1, 0, upper_width)).await;
    assert_eq!(
        upper.body,
        tiles::hash_tile(&hashes(1, 0, upper_width), &nodes).expect("tile")
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_tiles_are_immutable_and_a_partial_tile_keeps_its_bytes_as_the_log_grows() {
    let data = tempfile::TempDir::new().unwrap();
    let size = common::load_generated(data.path(), 0, 300).await;
    let (server, prefix) = start(data.path()).await;
    let right_edge = size % TILE_WIDTH;
    assert!(size > TILE_WIDTH && right_edge > 0, "{size}");

    let full = fetch(&prefix, entries(0, TILE_WIDTH)).await;
    assert_eq!(full.cache, "public, max-age=31536000, immutable");
    let partial = fetch(&prefix, hashes(0, 1, right_edge)).await;
    assert_eq!(partial.cache, "public, max-age=60");
    // The next full tile does not exist yet.
    let missing = get(&format!("{prefix}/{}", hashes(0, 1, TILE_WIDTH).to_path())).await;
    assert_eq!((missing.status, missing.cache.as_str()), (404, "no-store"));
    server.stop().await;

    let grown = common::load_generated(data.path(), 300, 300).await;
    assert!(grown >= 2 * TILE_WIDTH, "{grown}");
    let (server, prefix) = start(data.path()).await;
    assert_eq!(
        fetch(&prefix, hashes(0, 1, right_edge)).await.body,
        partial.body
    );
    let now_full = fetch(&prefix, hashes(0, 1, TILE_WIDTH)).await;
    assert_eq!(&now_full.body[..partial.body.len()], &partial.body[..]);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paths_beyond_the_tree_or_not_canonical_are_not_found() {
    let data = tempfile::TempDir::new().unwrap();
    let size = common::load_generated(data.path(), 0, 20).await;
    let (server, prefix) = start(data.path()).await;
    let beyond = size + 1;
    for path in [
        format!("tile/0/000.p/{beyond}"),
        format!("tile/entries/000.p/{beyond}"),
        "tile/0/000".to_string(),
        "tile/1/000.p/1".to_string(),
        "tile/9/000.p/1".to_string(),
        "tile/0/0.p/1".to_string(),
        "tile/0/x000/000.p/1".to_string(),
        "tile/entries/000.p/01".to_string(),
        "tile/data/000.p/1".to_string(),
        "tile/0/000.p/256".to_string(),
        "tile/".to_string(),
        "checkpoints".to_string(),
    ] {
        let answer = get(&format!("{prefix}/{path}")).await;
        assert_eq!(answer.status, 404, "{path}");
    }
    // A valid tile outside the prefix is not served either.
    let outside = prefix.trim_end_matches("/tlog");
    assert_eq!(get(&format!("{outside}/tile/0/000.p/1")).await.status, 404);
    assert_eq!(
        get(&format!("{prefix}/tile/0/000.p/{size}")).await.status,
        200
    );
    server.stop().await;
}

/// Go's sumdb code, offline, from Debian's golang-golang-x-mod-dev unless GOPATH names
/// another tree that holds golang.org/x/mod.
fn go_command() -> Command {
    let gopath = std::env::var("MATCHLEDGER_GOPATH").unwrap_or_else(|_| "/usr/share/gocode".into());
    let mut go = Command::new("go");
    go.env("GO111MODULE", "off")
        .env("GOPATH", gopath)
        .env("GOPROXY", "off")
        .env("GOFLAGS", "");
    go
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_sumdb_tlog_verifies_the_checkpoint_reads_the_tiles_and_proves_events() {
    if std::env::var_os("MATCHLEDGER_SKIP_GO_INTEROP").is_some() {
        eprintln!("SKIPPED on request (MATCHLEDGER_SKIP_GO_INTEROP): the Go tlog-tiles check");
        return;
    }
    let data = tempfile::TempDir::new().unwrap();
    let size = common::load_generated(data.path(), 0, 1100).await;
    let (server, prefix) = start(data.path()).await;
    let program = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/tiles/main.go");
    let cache = tempfile::TempDir::new().unwrap();
    let binary = cache.path().join("tiles-check");
    let mut build = go_command();
    build
        .env("GOCACHE", cache.path())
        .arg("build")
        .arg("-o")
        .arg(&binary)
        .arg(&program);
    let built = run(build).await;
    assert!(
        built.status.success(),
        "the Go check does not build:\n{}",
        String::from_utf8_lossy(&built.stderr)
    );

    let mut check = Command::new(&binary);
    check.arg(&prefix).arg(log_key().verifier_key()).arg("40");
    let output = run(check).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the Go check failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.starts_with(&format!("ok: {ORIGIN} at size {size}")),
        "{stdout}"
    );

    // The same check under another key of the same name refuses the checkpoint.
    let impostor = SigningKey::from_seed(ORIGIN, [10; 32]).expect("key");
    let mut check = Command::new(&binary);
    check.arg(&prefix).arg(impostor.verifier_key()).arg("1");
    let refused = run(check).await;
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("opening the checkpoint note"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    server.stop().await;

    // During a key rotation to that key, Go verifies the checkpoint under either key.
    let (server, prefix) = start_with_keys(data.path(), impostor.clone(), Some(log_key())).await;
    for key in [log_key(), impostor] {
        let mut check = Command::new(&binary);
        check.arg(&prefix).arg(key.verifier_key()).arg("5");
        let output = run(check).await;
        assert!(
            output.status.success(),
            "under {}: {}",
            key.verifier_key(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    server.stop().await;
}

/// Runs a command off the async threads; a missing Go toolchain fails loudly.
async fn run(mut command: Command) -> std::process::Output {
    tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("join")
        .unwrap_or_else(|error| {
            panic!(
                "cannot run the Go check ({error}): install golang-go and \
                 golang-golang-x-mod-dev (.ci/run does), or set \
                 MATCHLEDGER_SKIP_GO_INTEROP=1 to skip it"
            )
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_tlog_on_http_the_http_listener_serves_the_log_under_tlog_and_not_without() {
    use common::http::HttpServer;

    let server = HttpServer::start_with(ServerConfig {
        signing_key: Some(log_key()),
        tlog_on_http: true,
        ..ServerConfig::default()
    })
    .await;
    let checkpoint = server.get("/tlog/checkpoint").await;
    assert_eq!(checkpoint.status, 200);
    let note = String::from_utf8(checkpoint.body.to_vec()).expect("UTF-8");
    let signed = audit::verify_checkpoint(&note, &log_key().verifier_key()).expect("verifies");
    assert_eq!((signed.origin.as_str(), signed.size), (ORIGIN, 0));
    assert_eq!(server.get("/tlog/tile/0/000.p/1").await.status, 404);
    server.stop().await;

    let server = HttpServer::start_with(ServerConfig {
        signing_key: Some(log_key()),
        ..ServerConfig::default()
    })
    .await;
    assert_eq!(server.get("/tlog/checkpoint").await.status, 404);
    server.stop().await;
}
