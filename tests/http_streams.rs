//! Server streams over real HTTP: NDJSON lines for `ReadEvents`, a live `Subscribe` that
//! sends events as they commit and ends with an error line at shutdown, and the Connect
//! streaming form (envelopes and an end-of-stream message) for Connect clients.

mod common;

use common::http::{Answer, HttpServer};
use serde_json::{json, Value};

const POSTING: &str = "/matchledger.v1.PostingService";
const QUERY: &str = "/matchledger.v1.QueryService";
const AUDIT: &str = "/matchledger.v1.AuditService";

/// Options with a fresh idempotency key.
fn options() -> Value {
    json!({"idempotencyKey": uuid::Uuid::now_v7().to_string(), "effectiveDate": "2024-03-01"})
}

/// The entity id of the first event of an accepted posting.
fn entity(answer: &Answer) -> String {
    assert_eq!(
        answer.status,
        200,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    answer.json()["events"][0]["entityId"]
        .as_str()
        .expect("entity id")
        .to_string()
}

/// Registers contributors named `names`, one event each.
async fn register(server: &HttpServer, names: &[&str]) {
    for name in names {
        let request = json!({"options": options(), "command": {"name": name}});
        entity(
            &server
                .call(&format!("{POSTING}/RegisterContributor"), None, &request)
                .await,
        );
    }
}

#[tokio::test]
async fn read_events_streams_one_json_event_per_line() {
    let server = HttpServer::start().await;
    register(
        &server,
        &[
            "Sponsor Steel",
            "Second Steel",
            "Third Steel",
            "Fourth Steel",
        ],
    )
    .await;
    let answer = server
        .call(
            &format!("{AUDIT}/ReadEvents"),
            None,
            &json!({"fromSequence": "2"}),
        )
        .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.content_type(), "application/x-ndjson");
    let lines = answer.lines();
    let sequences: Vec<&str> = lines
        .iter()
        .map(|line| line["sequence"].as_str().expect("sequence"))
        .collect();
    assert_eq!(sequences, ["2", "3", "4"]);
    assert_eq!(lines[0]["kind"], "EVENT_KIND_CONTRIBUTOR_REGISTERED");
    server.stop().await;
}

#[tokio::test]
async fn a_live_subscription_sends_events_as_they_commit_and_ends_with_an_error_line_at_shutdown() {
    use http_body_util::BodyExt;
    let server = HttpServer::start().await;
    let path = format!("{POSTING}/RegisterContributor");
    let request = json!({"options": options(), "command": {"name": "Sponsor Steel"}});
    entity(&server.call(&path, None, &request).await);
    // Given a live subscription over HTTP.
    let subscribe = http::Request::post(format!("{}{AUDIT}/Subscribe", server.base))
        .header("content-type", "application/json")
        .body(http_body_util::Full::new(bytes::Bytes::from_static(b"{}")))
        .expect("request");
    let response = server.open(subscribe).await;
    assert_eq!(response.status(), 200);
    let mut body = response.into_body();
    // When an event commits after it opened, it arrives as a line.
    let later = json!({"options": options(), "command": {"name": "Later Steel"}});
    entity(&server.call(&path, None, &later).await);
    let mut received = String::new();
    while received.lines().count() < 2 {
        let frame = body.frame().await.expect("a frame").expect("no error");
        if let Ok(data) = frame.into_data() {
            received.push_str(&String::from_utf8_lossy(&data));
        }
    }
    assert!(received.contains("Later Steel"), "{received}");
    // And when the server stops, the stream ends with the status as an error line.
    let rest = tokio::spawn(async move { body.collect().await.expect("the rest").to_bytes() });
    server.stop().await;
    let rest = rest.await.expect("reader");
    let last = String::from_utf8_lossy(&rest)
        .lines()
        .last()
        .map(str::to_string)
        .expect("a last line");
    let error: Value = serde_json::from_str(&last).expect("JSON");
    assert_eq!(error["error"]["code"], "unavailable", "{last}");
}

/// The messages of a Connect streaming answer: (flags, message) per envelope.
fn envelopes(body: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut rest = body;
    let mut found = Vec::new();
    while rest.len() >= 5 {
        let length = u32::from_be_bytes([rest[1], rest[2], rest[3], rest[4]]) as usize;
        found.push((rest[0], rest[5..5 + length].to_vec()));
        rest = &rest[5 + length..];
    }
    assert!(rest.is_empty(), "a cut envelope");
    found
}

/// `message` in a Connect envelope.
fn enveloped(message: &[u8]) -> bytes::Bytes {
    let mut framed = vec![0];
    framed.extend_from_slice(&u32::try_from(message.len()).expect("small").to_be_bytes());
    framed.extend_from_slice(message);
    framed.into()
}

#[tokio::test]
async fn connect_clients_read_streams_in_envelopes_ending_with_an_end_of_stream_message() {
    let server = HttpServer::start().await;
    register(
        &server,
        &[
            "Sponsor Steel",
            "Second Steel",
            "Third Steel",
            "Fourth Steel",
        ],
    )
    .await;
    // When ReadEvents is called in the Connect streaming form.
    let answer = server
        .post(
            &format!("{AUDIT}/ReadEvents"),
            "application/connect+json",
            None,
            enveloped(br#"{"fromSequence": "3"}"#),
        )
        .await;
    // Then each event is an envelope of JSON, and an empty end-of-stream message closes it.
    assert_eq!(answer.status, 200);
    assert_eq!(answer.content_type(), "application/connect+json");
    let envelopes = envelopes(&answer.body);
    assert_eq!(envelopes.len(), 3, "two events and the end");
    let event: Value = serde_json::from_slice(&envelopes[0].1).expect("JSON");
    assert_eq!((envelopes[0].0, event["sequence"].as_str()), (0, Some("3")));
    assert_eq!(envelopes[2].0, 0x02);
    assert_eq!(envelopes[2].1, b"{}");
    // And a refusal is still HTTP 200, with the error in the end-of-stream message.
    let refused = server
        .post(
            &format!("{AUDIT}/ReadEvents"),
            "application/connect+json",
            None,
            enveloped(br#"{"filter": {"kinds": ["NOT_A_KIND"]}}"#),
        )
        .await;
    assert_eq!(refused.status, 200);
    let envelopes = self::envelopes(&refused.body);
    assert_eq!(envelopes.len(), 1);
    assert_eq!(envelopes[0].0, 0x02);
    let end: Value = serde_json::from_slice(&envelopes[0].1).expect("JSON");
    assert_eq!(end["error"]["code"], "invalid_argument", "{end}");
    // A unary method is not called in the streaming form.
    let unary = server
        .post(
            &format!("{QUERY}/ListPhaseBalances"),
            "application/connect+json",
            None,
            enveloped(b"{}"),
        )
        .await;
    assert_eq!(unary.status, 415);
    server.stop().await;
}

#[tokio::test]
async fn a_subscription_with_a_connect_timeout_ends_with_deadline_exceeded() {
    let server = HttpServer::start().await;
    register(&server, &["Sponsor Steel"]).await;
    let started = std::time::Instant::now();
    let request = http::Request::post(format!("{}{AUDIT}/Subscribe", server.base))
        .header("content-type", "application/json")
        .header("connect-protocol-version", "1")
        .header("connect-timeout-ms", "300")
        .body(http_body_util::Full::new(bytes::Bytes::from_static(b"{}")))
        .expect("request");
    // The live stream sends what there is, then ends when its deadline passes.
    let answer = server.send(request).await;
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));
    let lines = answer.lines();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0]["sequence"], "1");
    assert_eq!(lines[1]["error"]["code"], "deadline_exceeded");
    server.stop().await;
}
