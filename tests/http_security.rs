//! Who may call what over HTTP: the same principals, roles and refusals as gRPC, through
//! the real HTTP listener (bearer tokens in `Authorization`).

mod common;

use std::sync::Arc;

use common::http::HttpServer;
use matchledger::api::guard::Authentication;
use matchledger::api::principals::{add_principal, Principals};
use matchledger::api::server::ServerConfig;
use matchledger::domain::Role;
use serde_json::{json, Value};

const REGISTER: &str = "/matchledger.v1.PostingService/RegisterContributor";
const LIST: &str = "/matchledger.v1.QueryService/ListPhaseBalances";
const READ: &str = "/matchledger.v1.AuditService/ReadEvents";

/// A server with an operator (admin), a finance system and an auditor, and their tokens.
async fn team() -> (HttpServer, [String; 3], tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("principals.toml");
    let add = |name: &str, role: Role| {
        add_principal(&path, name, &[role], false)
            .expect("principal added")
            .expect("token")
    };
    let tokens = [
        add("operator", Role::Admin),
        add("treasury-erp", Role::Finance),
        add("external-auditor", Role::Auditor),
    ];
    let principals = Principals::load(&path).expect("principals load");
    let server = HttpServer::start_with(ServerConfig {
        authentication: Authentication::Principals(Arc::new(principals)),
        ..ServerConfig::default()
    })
    .await;
    (server, tokens, dir)
}

fn register(name: &str) -> Value {
    json!({"options": {"idempotencyKey": uuid::Uuid::now_v7().to_string(),
                       "effectiveDate": "2024-03-01"},
           "command": {"name": name}})
}

#[tokio::test]
async fn a_call_without_a_valid_token_is_401_and_nothing_is_written() {
    let (server, tokens, _dir) = team().await;
    for token in [None, Some("not-a-token")] {
        let answer = server.call(REGISTER, token, &register("Sponsor")).await;
        assert_eq!(answer.status, 401, "{token:?}");
        assert_eq!(answer.json()["code"], "unauthenticated");
        // Reading needs a principal too.
        let read = server.call(LIST, token, &json!({})).await;
        assert_eq!(read.status, 401);
    }
    // A malformed Authorization value is refused the same way.
    let request = http::Request::post(format!("{}{LIST}", server.base))
        .header("content-type", "application/json")
        .header("authorization", "Basic dXNlcjpwYXNz")
        .body(http_body_util::Full::new(bytes::Bytes::from_static(b"{}")))
        .expect("request");
    assert_eq!(server.send(request).await.status, 401);
    // And the log is still empty.
    let head = server.call(LIST, Some(&tokens[2]), &json!({})).await.json();
    assert_eq!(head["answeredAtSequence"], "0");
    server.stop().await;
}

#[tokio::test]
async fn a_principal_without_the_role_is_403_and_reading_is_open_to_every_principal() {
    let (server, [operator, finance, auditor], _dir) = team().await;
    // Registering a contributor is the operator's: finance and the auditor are refused.
    for token in [&finance, &auditor] {
        let answer = server
            .call(REGISTER, Some(token), &register("Sponsor"))
            .await;
        assert_eq!(answer.status, 403);
        let error = answer.json();
        assert_eq!(error["code"], "permission_denied", "{error}");
    }
    let accepted = server
        .call(REGISTER, Some(&operator), &register("Sponsor"))
        .await;
    assert_eq!(accepted.status, 200);
    // Every principal reads, the auditor included.
    let read = server.call(LIST, Some(&auditor), &json!({})).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.json()["answeredAtSequence"], "1");
    server.stop().await;
}

#[tokio::test]
async fn the_actor_of_an_event_posted_over_http_is_the_authenticated_principal() {
    let (server, [operator, _, auditor], _dir) = team().await;
    let answer = server
        .call(REGISTER, Some(&operator), &register("Sponsor"))
        .await;
    assert_eq!(answer.status, 200);
    let events = server.call(READ, Some(&auditor), &json!({})).await;
    assert_eq!(events.status, 200);
    let lines = events.lines();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["actor"], "operator");
    // A stream is refused before it starts, with the status of a unary call.
    let refused = server.call(READ, None, &json!({})).await;
    assert_eq!(refused.status, 401);
    assert_eq!(refused.content_type(), "application/json");
    server.stop().await;
}
