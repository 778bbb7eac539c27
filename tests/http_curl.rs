//! The JSON API with a client we did not write: curl posts and queries the real server,
//! over plain HTTP, over TLS with the gRPC listener's certificate, and with a client
//! certificate that signs in as its principal (mutual TLS).

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use common::http::HttpServer;
use common::pki::Authority;
use matchledger::api::guard::Authentication;
use matchledger::api::principals::{add_principal, Principals};
use matchledger::api::server::ServerConfig;
use matchledger::domain::Role;
use serde_json::Value;

const REGISTER: &str = "/matchledger.v1.PostingService/RegisterContributor";

/// What curl printed, its HTTP status (from `--write-out`) and whether it succeeded.
struct Curl {
    body: String,
    status: u16,
    success: bool,
}

/// Runs curl with `args` off the async runtime, so the server keeps answering.
async fn curl(args: Vec<String>) -> Curl {
    tokio::task::spawn_blocking(move || {
        let output = Command::new("curl")
            .args(["--silent", "--show-error", "--max-time", "20"])
            .args(["--write-out", "\n%{http_code}"])
            .args(&args)
            .output()
            .expect("curl is installed (apt-get install curl)");
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        let (body, status) = text.rsplit_once('\n').unwrap_or(("", &text));
        Curl {
            body: body.to_string(),
            status: status.trim().parse().unwrap_or(0),
            success: output.status.success(),
        }
    })
    .await
    .expect("curl ran")
}

/// `curl -X POST -H 'Content-Type: application/json' -d BODY URL`, plus `extra`.
fn post(url: &str, body: &str, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = extra.iter().map(|arg| arg.to_string()).collect();
    args.extend(
        [
            "-X",
            "POST",
            "-H",
            "Content-Type: application/json",
            "-d",
            body,
            url,
        ]
        .map(String::from),
    );
    args
}

fn register_body(name: &str) -> String {
    format!(
        r#"{{"options":{{"idempotencyKey":"{}","effectiveDate":"2024-03-01"}},"command":{{"name":"{name}"}}}}"#,
        uuid::Uuid::now_v7()
    )
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("written");
    path.display().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_posts_a_contributor_and_queries_its_balances_back() {
    let server = HttpServer::start().await;
    // When curl posts a contributor.
    let posted = curl(post(
        &format!("{}{REGISTER}", server.base),
        &register_body("Sponsor Steel"),
        &[],
    ))
    .await;
    assert_eq!(posted.status, 200, "{}", posted.body);
    let answer: Value = serde_json::from_str(&posted.body).expect("JSON");
    let id = answer["events"][0]["entityId"].as_str().expect("id");
    // Then curl reads its balances and the event stream back.
    let query = format!(r#"{{"contributorId":"{id}"}}"#);
    let balances = curl(post(
        &format!(
            "{}/matchledger.v1.QueryService/GetContributorBalances",
            server.base
        ),
        &query,
        &[],
    ))
    .await;
    assert_eq!(balances.status, 200, "{}", balances.body);
    assert!(balances.body.contains(id), "{}", balances.body);
    let events = curl(post(
        &format!("{}/matchledger.v1.AuditService/ReadEvents", server.base),
        "{}",
        &["--no-buffer"],
    ))
    .await;
    assert_eq!(events.status, 200);
    assert_eq!(events.body.lines().count(), 1, "{}", events.body);
    assert!(events.body.contains("Sponsor Steel"));
    // And a refusal is a Connect error curl sees with its HTTP status.
    let refused = curl(post(
        &format!(
            "{}/matchledger.v1.QueryService/GetContributorBalances",
            server.base
        ),
        r#"{"contributorId":"not-a-uuid"}"#,
        &[],
    ))
    .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("invalid_argument"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_reaches_the_http_listener_over_tls_with_the_grpc_certificate() {
    let authority = Authority::new("matchledger test CA");
    let dir = tempfile::tempdir().expect("temp dir");
    let ca = write(dir.path(), "ca.pem", &authority.certificate_pem());
    let server = HttpServer::start_with(ServerConfig {
        tls: Some(authority.server_settings(false)),
        ..ServerConfig::default()
    })
    .await;
    let port = server.port();
    let url = format!("https://localhost:{port}{REGISTER}");
    let resolve = format!("localhost:{port}:127.0.0.1");
    // Trusting the CA, curl posts over TLS (HTTP/2 or HTTP/1.1, as it negotiates).
    let posted = curl(post(
        &url,
        &register_body("Sponsor Steel"),
        &["--resolve", &resolve, "--cacert", &ca],
    ))
    .await;
    assert!(posted.success);
    assert_eq!(posted.status, 200, "{}", posted.body);
    // Without trusting it, the certificate is refused and nothing is sent.
    let untrusted = curl(post(
        &url,
        &register_body("Sponsor Steel"),
        &["--resolve", &resolve],
    ))
    .await;
    assert!(!untrusted.success);
    // Plain HTTP to the TLS listener gets no answer.
    let plain = curl(post(
        &format!("http://127.0.0.1:{port}{REGISTER}"),
        "{}",
        &[],
    ))
    .await;
    assert_ne!(plain.status, 200);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_with_a_client_certificate_signs_in_as_its_principal() {
    let authority = Authority::new("matchledger test CA");
    let dir = tempfile::tempdir().expect("temp dir");
    let principals = dir.path().join("principals.toml");
    add_principal(&principals, "operator.example", &[Role::Admin], true).expect("principal");
    let client = authority.client("operator.example");
    let ca = write(dir.path(), "ca.pem", &authority.certificate_pem());
    let certificate = write(dir.path(), "client.pem", &client.certificate);
    let key = write(dir.path(), "client.key", &client.key);
    let server = HttpServer::start_with(ServerConfig {
        authentication: Authentication::Principals(Arc::new(
            Principals::load(&principals).expect("principals"),
        )),
        tls: Some(authority.server_settings(true)),
        ..ServerConfig::default()
    })
    .await;
    let port = server.port();
    let resolve = format!("localhost:{port}:127.0.0.1");
    let base = format!("https://localhost:{port}");
    let tls = [
        "--resolve",
        &resolve,
        "--cacert",
        &ca,
        "--cert",
        &certificate,
        "--key",
        &key,
    ];
    // With its certificate, curl posts as the principal the certificate names.
    let posted = curl(post(
        &format!("{base}{REGISTER}"),
        &register_body("Sponsor Steel"),
        &tls,
    ))
    .await;
    assert_eq!(posted.status, 200, "{}", posted.body);
    let events = curl(post(
        &format!("{base}/matchledger.v1.AuditService/ReadEvents"),
        "{}",
        &tls,
    ))
    .await;
    assert!(
        events.body.contains(r#""actor":"operator.example""#),
        "{}",
        events.body
    );
    // Without a certificate the handshake is refused.
    let anonymous = curl(post(
        &format!("{base}{REGISTER}"),
        &register_body("Sponsor Steel"),
        &["--resolve", &resolve, "--cacert", &ca],
    ))
    .await;
    assert!(!anonymous.success);
    assert_ne!(anonymous.status, 200);
    server.stop().await;
}
