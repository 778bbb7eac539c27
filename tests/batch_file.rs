//! The batch file format as integrators get it: the example programme in `examples/`
//! is valid under the published JSON Schema, posts through `matchledger batch` against a
//! real server, and gives the balances its lines add up to; a line the schema refuses is
//! refused by the parser too.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::TestServer;
use matchledger::api::proto;

fn repository_file(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn schema() -> serde_json::Value {
    let text = std::fs::read_to_string(repository_file("docs/batch.schema.json")).expect("schema");
    serde_json::from_str(&text).expect("the schema is JSON")
}

#[test]
fn every_line_of_the_example_is_valid_under_the_published_schema() {
    let validator = jsonschema::validator_for(&schema()).expect("a valid JSON Schema");
    let example = std::fs::read_to_string(repository_file("examples/programme.batch.jsonl"))
        .expect("example");
    let mut lines = 0;
    for (number, line) in example.lines().enumerate() {
        let value: serde_json::Value = serde_json::from_str(line).expect("JSON line");
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "line {}: {errors:?}", number + 1);
        lines += 1;
    }
    assert_eq!(lines, 13);
}

#[test]
fn the_schema_refuses_what_the_parser_refuses() {
    let validator = jsonschema::validator_for(&schema()).expect("a valid JSON Schema");
    for line in [
        r#"{"record_disbursement": {"grant_id": "g", "amount": 1.5}}"#,
        r#"{"record_disbursement": {"grant_id": "g", "amount": "+5"}}"#,
        r#"{"register_agency": {"name": "A", "colour": "red"}}"#,
        r#"{"record_contrib": {}}"#,
        r#"{"register_agency": {"name": "A"}, "close_phase": {"phase_id": "p"}}"#,
    ] {
        let value: serde_json::Value = serde_json::from_str(line).expect("JSON");
        assert!(!validator.is_valid(&value), "the schema accepts {line}");
        assert!(
            matchledger::cli::client::batch::parse_batch(line).is_err(),
            "the parser accepts {line}"
        );
    }
}

#[tokio::test]
async fn the_example_programme_posts_atomically_and_its_balances_add_up() {
    let mut server = TestServer::start().await;
    let address = server.address.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_matchledger"))
            .args(["--server", &address, "batch"])
            .arg(repository_file("examples/programme.batch.jsonl"))
            .env_remove("MATCHLEDGER_TOKEN")
            .output()
            .expect("the binary runs")
    })
    .await
    .expect("join");
    assert!(output.status.success(), "{output:?}");
    let phases = server
        .query
        .list_phase_balances(proto::ListPhaseBalancesRequest { as_of: None })
        .await
        .expect("balances")
        .into_inner();
    assert_eq!(phases.answered_at_sequence, 13, "one event per line");
    let phase = &phases.phases[0];
    assert_eq!(phase.name, "Win-win smart factory, phase 1");
    assert_eq!(phase.pledged, "500000000");
    assert_eq!(phase.contributed, "100000000");
    assert_eq!(phase.matched, "100000000");
    assert_eq!(phase.pool, "200000000");
    assert_eq!(phase.awarded, "40000000");
    assert_eq!(phase.disbursed, "32000000");
    assert_eq!(phase.refunded, "5000000");
    assert_eq!(phase.cash, "173000000");
    server.stop().await;
}
