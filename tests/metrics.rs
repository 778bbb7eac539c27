//! `GET /metrics` over real HTTP against the real server: postings counted by result and
//! reason, the write, fsync and acknowledgement histograms moving, the head sequence and
//! the read-only flag, which turns 1 on a server started over a damaged log.

mod common;

use std::collections::BTreeMap;

use common::http::HttpServer;
use matchledger::api::server::ServerConfig;
use serde_json::{json, Value};

const POSTING: &str = "/matchledger.v1.PostingService";

/// The idempotency key of the posting whose stored event the damage test flips.
const TARGET_KEY: &str = "metrics-damage-me-5b1c";

/// Every sample of an exposition, `name{labels}` to value, each line checked strictly:
/// a comment (`# HELP`, `# TYPE`, `# UNIT`, the final `# EOF`) or `series value`.
fn parse(text: &str) -> BTreeMap<String, f64> {
    assert!(text.ends_with("# EOF\n"), "the exposition ends with # EOF");
    let mut samples = BTreeMap::new();
    for line in text.lines() {
        if let Some(comment) = line.strip_prefix("# ") {
            let kind = comment.split(' ').next().unwrap_or_default();
            assert!(
                ["HELP", "TYPE", "UNIT", "EOF"].contains(&kind),
                "unexpected comment {line:?}"
            );
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("a sample is `series value`");
        assert!(
            series.starts_with("matchledger_"),
            "every metric is prefixed: {line:?}"
        );
        let value: f64 = value.parse().expect("a numeric value");
        assert!(
            samples.insert(series.to_string(), value).is_none(),
            "{series} appears once"
        );
    }
    samples
}

async fn scrape(server: &HttpServer) -> BTreeMap<String, f64> {
    let answer = server.get("/metrics").await;
    assert_eq!(answer.status, 200);
    assert!(
        answer
            .content_type()
            .starts_with("application/openmetrics-text"),
        "{}",
        answer.content_type()
    );
    parse(&String::from_utf8_lossy(&answer.body))
}

fn sample(samples: &BTreeMap<String, f64>, series: &str) -> f64 {
    *samples
        .get(series)
        .unwrap_or_else(|| panic!("{series} in {samples:#?}"))
}

/// The refused postings by reason.
fn refusals(samples: &BTreeMap<String, f64>) -> BTreeMap<String, f64> {
    samples
        .iter()
        .filter_map(|(series, value)| {
            let labels = series.strip_prefix("matchledger_postings_total{result=\"refused\",")?;
            let reason = labels.strip_prefix("reason=\"")?.strip_suffix("\"}")?;
            Some((reason.to_string(), *value))
        })
        .collect()
}

async fn register_contributor(server: &HttpServer, key: &str, name: &str) -> u16 {
    let request = json!({
        "options": {"idempotencyKey": key, "effectiveDate": "2024-03-01"},
        "command": {"name": name},
    });
    server
        .call(&format!("{POSTING}/RegisterContributor"), None, &request)
        .await
        .status
}

/// A contribution to a phase that does not exist: refused by a rule.
async fn contribute_to_no_phase(server: &HttpServer) -> Value {
    let request = json!({
        "options": {"idempotencyKey": uuid::Uuid::now_v7().to_string(), "effectiveDate": "2024-03-01"},
        "command": {
            "phaseId": uuid::Uuid::now_v7().to_string(),
            "contributorId": uuid::Uuid::now_v7().to_string(),
            "amount": {"amount": "1000", "currency": "KRW"},
        },
    });
    let answer = server
        .call(&format!("{POSTING}/RecordContribution"), None, &request)
        .await;
    assert_ne!(answer.status, 200, "a contribution to no phase is refused");
    answer.json()
}

fn key() -> String {
    uuid::Uuid::now_v7().to_string()
}

#[tokio::test]
async fn postings_move_the_counters_and_histograms_and_the_flags_stay_zero() {
    let server = HttpServer::start().await;
    let before = scrape(&server).await;
    assert_eq!(sample(&before, "matchledger_read_only"), 0.0);
    assert_eq!(sample(&before, "matchledger_head_sequence"), 0.0);
    // When two postings are accepted and one is refused by a rule.
    assert_eq!(
        register_contributor(&server, &key(), "Sponsor Steel").await,
        200
    );
    assert_eq!(
        register_contributor(&server, &key(), "Hanbit Metals").await,
        200
    );
    let refusal = contribute_to_no_phase(&server).await;
    let samples = scrape(&server).await;
    // Then the counters say so, the refusal under the reason the client was given.
    assert_eq!(
        sample(
            &samples,
            "matchledger_postings_total{result=\"accepted\",reason=\"none\"}"
        ),
        2.0
    );
    let refused = refusals(&samples);
    assert_eq!(refused.values().sum::<f64>(), 1.0, "{refused:?}");
    let reason = refused.keys().next().expect("one reason");
    assert!(
        refusal.to_string().contains(reason.as_str()),
        "the answer {refusal} carries the counted reason {reason}"
    );
    // And every posting went through the histograms.
    assert_eq!(
        sample(&samples, "matchledger_acknowledgement_seconds_count"),
        3.0
    );
    assert!(sample(&samples, "matchledger_group_commit_submissions_count") >= 2.0);
    assert!(sample(&samples, "matchledger_write_seconds_count") >= 2.0);
    assert!(sample(&samples, "matchledger_fsync_seconds_count") >= 2.0);
    assert!(sample(&samples, "matchledger_fsync_seconds_sum") > 0.0);
    assert_eq!(
        sample(
            &samples,
            "matchledger_acknowledgement_seconds_bucket{le=\"+Inf\"}"
        ),
        3.0
    );
    // And the ledger's state: two events, writable, a snapshot age in events.
    assert_eq!(sample(&samples, "matchledger_head_sequence"), 2.0);
    assert_eq!(sample(&samples, "matchledger_snapshot_age_events"), 2.0);
    assert_eq!(sample(&samples, "matchledger_read_only"), 0.0);
    assert_eq!(sample(&samples, "matchledger_writer_stopped"), 0.0);
    assert_eq!(sample(&samples, "matchledger_subscriptions"), 0.0);
    server.stop().await;
}

#[tokio::test]
async fn a_server_over_a_damaged_log_reports_read_only_and_counts_the_refusals() {
    // Given a log whose second event is damaged on disk.
    let server = HttpServer::start().await;
    assert_eq!(
        register_contributor(&server, &key(), "Sponsor Steel").await,
        200
    );
    assert_eq!(
        register_contributor(&server, TARGET_KEY, "Hanbit Metals").await,
        200
    );
    assert_eq!(
        register_contributor(&server, &key(), "Daesung Tools").await,
        200
    );
    let temp = server.stop_keeping_data().await;
    common::damage::flip_a_byte_of_the_event_holding(temp.path(), TARGET_KEY);
    // When the server starts over it and a posting is tried.
    let server = HttpServer::start_on(temp, ServerConfig::default()).await;
    assert_ne!(
        register_contributor(&server, &key(), "Another Steel").await,
        200
    );
    let samples = scrape(&server).await;
    // Then the flags are up and the refusal is counted as read-only.
    assert_eq!(sample(&samples, "matchledger_read_only"), 1.0);
    assert_eq!(sample(&samples, "matchledger_writer_stopped"), 1.0);
    assert_eq!(sample(&samples, "matchledger_head_sequence"), 1.0);
    assert_eq!(
        refusals(&samples),
        BTreeMap::from([("LEDGER_READ_ONLY".to_string(), 1.0)])
    );
    server.stop().await;
}

/// Scrapes until `series` reads `value`, within a few seconds.
async fn eventually(server: &HttpServer, series: &str, value: f64) -> BTreeMap<String, f64> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let samples = scrape(server).await;
        if samples.get(series) == Some(&value) || std::time::Instant::now() > deadline {
            assert_eq!(sample(&samples, series), value);
            return samples;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn queries_are_counted_by_method_and_live_subscriptions_while_they_last() {
    let server = HttpServer::start().await;
    // When a query is called twice over HTTP and a subscription is opened over gRPC.
    for _ in 0..2 {
        let answer = server
            .call(
                "/matchledger.v1.QueryService/ListPhaseBalances",
                None,
                &json!({}),
            )
            .await;
        assert_eq!(answer.status, 200);
    }
    let mut audit = matchledger::api::proto::audit_service_client::AuditServiceClient::connect(
        server.grpc.clone(),
    )
    .await
    .expect("gRPC connects");
    let subscription = audit
        .subscribe(matchledger::api::proto::SubscribeRequest {
            from_sequence: 1,
            filter: None,
        })
        .await
        .expect("subscribed")
        .into_inner();
    // Then both calls are counted under their method, and the subscription while it lives.
    let samples = eventually(&server, "matchledger_subscriptions", 1.0).await;
    assert_eq!(
        sample(
            &samples,
            "matchledger_queries_total{method=\"/matchledger.v1.QueryService/ListPhaseBalances\"}"
        ),
        2.0
    );
    assert_eq!(
        sample(
            &samples,
            "matchledger_queries_total{method=\"/matchledger.v1.AuditService/Subscribe\"}"
        ),
        1.0
    );
    drop(subscription);
    eventually(&server, "matchledger_subscriptions", 0.0).await;
    server.stop().await;
}

#[tokio::test]
async fn the_grafana_dashboard_uses_only_metrics_the_server_exposes() {
    let server = HttpServer::start().await;
    assert_eq!(
        register_contributor(&server, &key(), "Sponsor Steel").await,
        200
    );
    let query = "/matchledger.v1.QueryService/ListPhaseBalances";
    assert_eq!(server.call(query, None, &json!({})).await.status, 200);
    let answer = server.get("/metrics").await;
    let text = String::from_utf8_lossy(&answer.body).to_string();
    let series: std::collections::BTreeSet<String> = parse(&text)
        .keys()
        .map(|series| series.split('{').next().unwrap_or_default().to_string())
        .collect();
    let dashboard = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/grafana-dashboard.json"
    ))
    .expect("the dashboard is in docs/");
    serde_json::from_str::<Value>(&dashboard).expect("the dashboard is JSON");
    let mut used = 0;
    for (at, _) in dashboard.match_indices("matchledger_") {
        let name: String = dashboard[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        assert!(series.contains(&name), "{name} is not exposed: {series:?}");
        used += 1;
    }
    assert!(used >= 10, "the dashboard charts the metrics");
    server.stop().await;
}
