//! The web console end to end, in a real browser: headless Chromium driven by
//! `playwright-core` (tests/console/console.test.mjs) against the real server on ephemeral
//! loopback ports. The script posts a programme through the JSON API, compares the page's
//! figures with the query answers, verifies a match bundle, phase statements and the log's
//! growth in the browser, then serves tampered answers and sees each verification fail.
//! Screenshots are kept under `target/tmp/console/`.
//!
//! It needs Node.js, `npm ci` in tests/console and Chromium, so it is `#[ignore]`d and run
//! by `.ci/run`, which installs them; run by hand it fails, saying what is missing, rather
//! than pass without a browser. `MATCHLEDGER_UPDATE_SCREENSHOT=1` also rewrites
//! docs/console.png.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use common::http::HttpServer;
use matchledger::api::guard::Authentication;
use matchledger::api::principals::{add_principal, Principals};
use matchledger::api::server::ServerConfig;
use matchledger::domain::Role;

fn script_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/console")
}

fn chromium() -> PathBuf {
    std::env::var_os("CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from)
}

/// Every tool the browser test needs, or a panic naming what is missing and how to get it.
fn require_tools() {
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.is_ok_and(|output| output.status.success()),
        "the console test needs Node.js (node on PATH); .ci/run installs what the test needs"
    );
    assert!(
        script_dir().join("node_modules/playwright-core").is_dir(),
        "the console test needs playwright-core: run `npm ci` in tests/console"
    );
    assert!(
        chromium().is_file(),
        "the console test needs Chromium at {} (apt-get install chromium, or set CHROMIUM)",
        chromium().display()
    );
}

/// A server whose principals file holds one auditor; its token.
async fn server_with_authentication(dir: &Path) -> (HttpServer, String) {
    let path = dir.join("principals.toml");
    let token = add_principal(&path, "auditor", &[Role::Auditor], false)
        .expect("principal added")
        .expect("a token");
    let principals = Principals::load(&path).expect("principals load");
    let server = HttpServer::start_with(ServerConfig {
        authentication: Authentication::Principals(Arc::new(principals)),
        ..ServerConfig::default()
    })
    .await;
    (server, token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium and npm ci in tests/console; run by .ci/run"]
async fn the_console_shows_the_query_answers_and_verifies_in_the_browser() {
    require_tools();
    let open = HttpServer::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let (guarded, token) = server_with_authentication(dir.path()).await;
    let artifacts = Path::new(env!("CARGO_TARGET_TMPDIR")).join("console");
    let mut command = Command::new("node");
    command
        .arg("console.test.mjs")
        .current_dir(script_dir())
        .env("CONSOLE_URL", &open.base)
        .env("CONSOLE_AUTH_URL", &guarded.base)
        .env("CONSOLE_TOKEN", &token)
        .env("CHROMIUM", chromium())
        .env("ARTIFACTS", &artifacts);
    if std::env::var_os("MATCHLEDGER_UPDATE_SCREENSHOT").is_some() {
        let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/console.png");
        command.env("DOCS_SCREENSHOT", docs);
    }
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("join")
        .expect("node runs");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    println!("{report}");
    assert!(
        output.status.success(),
        "the browser test failed (screenshots in {}):\n{report}",
        artifacts.display()
    );
    assert!(report.contains("all console checks passed"), "{report}");
    open.stop().await;
    guarded.stop().await;
}
