//! The HTTP listener under the faults that happen on a network: a request cut off mid-body,
//! a client that connects and says nothing, bytes that are not HTTP. Each costs at most
//! its own connection; nothing is written and everyone else is served.

mod common;

use std::time::{Duration, Instant};

use common::http::HttpServer;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const REGISTER: &str = "/matchledger.v1.PostingService/RegisterContributor";
const LIST: &str = "/matchledger.v1.QueryService/ListPhaseBalances";

async fn connect(server: &HttpServer) -> TcpStream {
    let address = server.base.trim_start_matches("http://").to_string();
    TcpStream::connect(address).await.expect("connects")
}

/// The head of the log, through the JSON API.
async fn head(server: &HttpServer) -> String {
    let answer = server.call(LIST, None, &json!({})).await.json();
    answer["answeredAtSequence"]
        .as_str()
        .expect("sequence")
        .to_string()
}

#[tokio::test]
async fn a_posting_cut_off_mid_body_writes_nothing_and_the_server_serves_on() {
    let server = HttpServer::start().await;
    // Given a posting whose body promises more bytes than arrive before the client leaves.
    let mut stream = connect(&server).await;
    let partial = format!(
        "POST {REGISTER} HTTP/1.1\r\nHost: ledger\r\nContent-Type: application/json\r\n\
         Content-Length: 400\r\n\r\n{{\"options\": {{\"idempotencyKey\": \"cut\","
    );
    stream.write_all(partial.as_bytes()).await.expect("sent");
    drop(stream);
    // Then nothing was written, and the next caller is served.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(head(&server).await, "0");
    let request = json!({"options": {"idempotencyKey": "cut", "effectiveDate": "2024-03-01"},
                         "command": {"name": "Sponsor Steel"}});
    let answer = server.call(REGISTER, None, &request).await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.json()["replayed"],
        false,
        "the cut request was not recorded"
    );
    server.stop().await;
}

#[tokio::test]
async fn bytes_that_are_not_http_get_a_400_and_the_connection_closes() {
    let server = HttpServer::start().await;
    let mut stream = connect(&server).await;
    stream
        .write_all(b"\x16\x03\x01\x02\x00garbage that is not a request line\r\n\r\n")
        .await
        .expect("sent");
    let mut reply = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut reply)).await;
    assert!(read.is_ok(), "the connection was not closed");
    let text = String::from_utf8_lossy(&reply);
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 400"),
        "{text}"
    );
    assert_eq!(head(&server).await, "0");
    server.stop().await;
}

#[tokio::test]
async fn a_client_that_sends_no_headers_is_disconnected_while_others_are_served() {
    let server = HttpServer::start().await;
    let started = Instant::now();
    let mut silent = connect(&server).await;
    // Others are served while it waits.
    assert_eq!(head(&server).await, "0");
    let mut reply = Vec::new();
    let limit = Duration::from_secs(matchledger::limits::HTTP_HEADER_READ_SECONDS_MAX);
    let read = tokio::time::timeout(limit * 3, silent.read_to_end(&mut reply)).await;
    assert!(read.is_ok(), "a silent connection was kept past {limit:?}");
    assert!(started.elapsed() >= limit - Duration::from_secs(1));
    server.stop().await;
}
