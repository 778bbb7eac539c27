//! What the log signs outlives the server process: signed tree heads, the witness
//! cosignatures it accepted (only from known witnesses when it has their keys), and the
//! phase statement it signs when a phase closes, all served again after a restart.

mod common;

use std::path::Path;

use common::*;
use matchledger::api::proto;
use matchledger::api::server::ServerConfig;
use matchledger::api::witness_keys::WitnessKeys;
use matchledger::audit::{self, SigningKey};
use matchledger::cli::signing_key;
use matchledger::cli::verifiable::witness::{witness, WitnessArgs};
use matchledger::verifiable::statement::{verify_statement, CLOSED_AT_KEY};
use tonic::Code;

const ORIGIN: &str = "ledger.example/signed-history";

fn log_key() -> SigningKey {
    SigningKey::from_seed(ORIGIN, [7; 32]).unwrap()
}

/// A server signing with the fixed log key, accepting cosignatures from `witnesses`.
async fn start(dir: &Path, witnesses: Option<WitnessKeys>) -> TestServer {
    TestServer::start_in_with(dir, setup(witnesses)).await
}

/// The setup of a server signing with the fixed log key, accepting cosignatures from
/// `witnesses`.
fn setup(witnesses: Option<WitnessKeys>) -> Setup {
    Setup {
        config: ServerConfig {
            signing_key: Some(log_key()),
            witness_keys: witnesses,
            ..ServerConfig::default()
        },
        client_tls: None,
    }
}

async fn tree_head(server: &mut TestServer, size: u64) -> Result<proto::TreeHead, tonic::Status> {
    server
        .audit
        .get_tree_head(proto::GetTreeHeadRequest { tree_size: size })
        .await
        .map(tonic::Response::into_inner)
}

async fn given_a_cosigned_head_when_the_server_restarts_then_it_serves_the_same_head_and_cosignature(
    engine: Engine,
) {
    let files = tempfile::TempDir::new().unwrap();
    // The witness's key, made as the witness command makes it, and told to the server.
    let witness_key_path = files.path().join("witness.key");
    let witness_key = SigningKey::from_seed("witness.example/w1", [5; 32]).unwrap();
    signing_key::write_private(&witness_key_path, &witness_key).unwrap();
    let keys_file = format!(
        "# the counterpart's witness\n{}\n",
        witness_key.cosignature_verifier_key()
    );
    let witnesses = WitnessKeys::parse(&keys_file).unwrap();

    let mut server = TestServer::start_on_with(engine, setup(Some(witnesses.clone()))).await;
    let programme = programme(&mut server).await;
    contribute(&mut server, &programme, "1000000").await;
    witness(
        &server.address,
        WitnessArgs {
            state: files.path().join("trusted.note"),
            public_key: log_key().verifier_key(),
            witness_key: Some(witness_key_path),
            check_rules: true,
        },
    )
    .await
    .expect("the witness cosigns");
    let before = tree_head(&mut server, 0).await.expect("head");
    assert_eq!(before.cosignatures.len(), 1);

    let mut server = server.restart_with(setup(Some(witnesses))).await;
    let after = tree_head(&mut server, 0).await.expect("head after restart");
    assert_eq!(
        after.note, before.note,
        "same head, same signature, same cosignature"
    );
    assert_eq!(after.timestamp, before.timestamp);
    assert_eq!(after.cosignatures, before.cosignatures);
    audit::verify_checkpoint(&after.note, &witness_key.cosignature_verifier_key())
        .expect("the cosignature verifies in the served note");

    // The log grows: a new head; the old one is still served by its size.
    contribute(&mut server, &programme, "2000000").await;
    let grown = tree_head(&mut server, 0).await.expect("new head");
    assert!(grown.size > before.size);
    assert!(grown.cosignatures.is_empty());
    let old = tree_head(&mut server, before.size)
        .await
        .expect("old head by size");
    assert_eq!(old.note, before.note);
    let never = tree_head(&mut server, before.size - 1)
        .await
        .expect_err("never signed");
    assert_eq!(never.code(), Code::NotFound);
    server.stop().await;
}

#[tokio::test]
async fn given_witness_keys_when_an_unknown_or_bad_cosignature_is_handed_back_then_it_is_refused() {
    let known = SigningKey::from_seed("witness.example/known", [1; 32]).unwrap();
    let stranger = SigningKey::from_seed("witness.example/stranger", [2; 32]).unwrap();
    let witnesses = WitnessKeys::parse(&known.cosignature_verifier_key()).unwrap();
    let data = tempfile::TempDir::new().unwrap();
    let mut server = start(data.path(), Some(witnesses)).await;
    programme(&mut server).await;
    let head = tree_head(&mut server, 0).await.expect("head");
    let checkpoint = audit::verify_checkpoint(&head.note, &log_key().verifier_key()).unwrap();
    let hand_back = |line: String| proto::AddCosignatureRequest {
        checkpoint: checkpoint.to_body(),
        cosignature: line,
    };

    let unknown = server
        .audit
        .add_cosignature(hand_back(
            audit::cosign(&checkpoint, &stranger, 1_700_000_000).unwrap(),
        ))
        .await
        .expect_err("an unknown witness");
    assert_eq!(unknown.code(), Code::PermissionDenied, "{unknown:?}");

    // The known witness's line over another checkpoint does not verify over this one.
    let other = audit::Checkpoint {
        size: checkpoint.size + 1,
        ..checkpoint.clone()
    };
    let forged = server
        .audit
        .add_cosignature(hand_back(
            audit::cosign(&other, &known, 1_700_000_000).unwrap(),
        ))
        .await
        .expect_err("a signature over another checkpoint");
    assert_eq!(forged.code(), Code::InvalidArgument, "{forged:?}");
    assert!(tree_head(&mut server, 0)
        .await
        .unwrap()
        .cosignatures
        .is_empty());

    let good = audit::cosign(&checkpoint, &known, 1_700_000_000).unwrap();
    let held = server
        .audit
        .add_cosignature(hand_back(good.clone()))
        .await
        .expect("a known witness")
        .into_inner();
    assert_eq!(held.cosignatures, 1);
    assert_eq!(
        tree_head(&mut server, 0).await.unwrap().cosignatures,
        vec![good]
    );
    server.stop().await;
}

/// A line under the log's own key name and key hash, with junk for a signature.
fn shadowing_line() -> String {
    use base64::Engine as _;
    let mut signature = log_key().key_hash().to_be_bytes().to_vec();
    signature.extend_from_slice(&[0x5a; 64]);
    format!(
        "\u{2014} {ORIGIN} {}\n",
        base64::engine::general_purpose::STANDARD.encode(signature)
    )
}

#[tokio::test]
async fn a_cosignature_under_the_logs_own_key_is_refused_and_the_head_still_verifies_after_a_restart(
) {
    let known = SigningKey::from_seed("witness.example/known", [1; 32]).unwrap();
    let witnesses = WitnessKeys::parse(&known.cosignature_verifier_key()).unwrap();
    let data = tempfile::TempDir::new().unwrap();
    let mut server = start(data.path(), Some(witnesses.clone())).await;
    programme(&mut server).await;
    let head = tree_head(&mut server, 0).await.expect("head");
    let checkpoint = audit::verify_checkpoint(&head.note, &log_key().verifier_key()).unwrap();
    let refused = server
        .audit
        .add_cosignature(proto::AddCosignatureRequest {
            checkpoint: checkpoint.to_body(),
            cosignature: shadowing_line(),
        })
        .await
        .expect_err("the log's own key name and hash");
    assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
    assert!(refused.message().contains(ORIGIN), "{refused:?}");
    server.stop().await;

    let mut server = start(data.path(), Some(witnesses)).await;
    let after = tree_head(&mut server, 0).await.expect("head after restart");
    assert_eq!(after.note, head.note);
    assert!(after.cosignatures.is_empty());
    audit::verify_checkpoint(&after.note, &log_key().verifier_key())
        .expect("the log's signature is served intact");
    server.stop().await;
}

#[tokio::test]
async fn without_witness_keys_every_cosignature_is_refused() {
    let witness = SigningKey::from_seed("witness.example/w1", [5; 32]).unwrap();
    let data = tempfile::TempDir::new().unwrap();
    let mut server = start(data.path(), None).await;
    programme(&mut server).await;
    let head = tree_head(&mut server, 0).await.expect("head");
    let checkpoint = audit::verify_checkpoint(&head.note, &log_key().verifier_key()).unwrap();
    for line in [
        audit::cosign(&checkpoint, &witness, 1_700_000_000).unwrap(),
        shadowing_line(),
    ] {
        let refused = server
            .audit
            .add_cosignature(proto::AddCosignatureRequest {
                checkpoint: checkpoint.to_body(),
                cosignature: line,
            })
            .await
            .expect_err("no witness keys");
        assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
        assert!(refused.message().contains("--witness-keys"), "{refused:?}");
    }
    let served = tree_head(&mut server, 0).await.unwrap();
    assert!(served.cosignatures.is_empty());
    audit::verify_checkpoint(&served.note, &log_key().verifier_key()).expect("intact");
    server.stop().await;
}

async fn closing_statement(
    server: &mut TestServer,
    phase: &str,
) -> Result<proto::PhaseStatement, tonic::Status> {
    server
        .audit
        .get_phase_statement(proto::GetPhaseStatementRequest {
            phase_id: phase.to_string(),
            at_close: true,
        })
        .await
        .map(tonic::Response::into_inner)
}

#[tokio::test]
async fn given_a_phase_closed_through_grpc_then_its_closing_statement_verifies_offline_and_survives_a_restart(
) {
    let data = tempfile::TempDir::new().unwrap();
    let mut server = start(data.path(), None).await;
    let programme = programme(&mut server).await;
    contribute(&mut server, &programme, "3000000").await;
    let open = closing_statement(&mut server, &programme.phase)
        .await
        .expect_err("an open phase has none");
    assert_eq!(open.code(), Code::FailedPrecondition);

    let closed = server
        .posting
        .close_phase(proto::ClosePhaseRequest {
            options: options(),
            command: Some(proto::ClosePhase {
                phase_id: programme.phase.clone(),
            }),
        })
        .await
        .expect("closed")
        .into_inner();
    let close_sequence = closed.events[0].sequence;
    // Events after the close do not move the statement.
    contribute_elsewhere(&mut server, &programme).await;

    let statement = closing_statement(&mut server, &programme.phase)
        .await
        .expect("statement");
    assert!(statement.at_close);
    assert_eq!(statement.tree_size, close_sequence);
    let lines =
        verify_statement(&statement.note, &log_key().verifier_key()).expect("signed by the log");
    let value = |key: &str| {
        lines
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    assert_eq!(value("status"), "closed");
    assert_eq!(value("contributed"), "3000000");
    assert_eq!(value("tree_size"), close_sequence.to_string());
    assert_eq!(value(CLOSED_AT_KEY), close_sequence.to_string());
    let root = server
        .audit
        .get_inclusion_proof(proto::GetInclusionProofRequest {
            sequence: close_sequence,
            tree_size: close_sequence,
            head_size: 0,
        })
        .await
        .expect("proof")
        .into_inner();
    let event = matchledger::store::decode(&root.leaf).unwrap();
    assert!(matches!(
        event.event,
        matchledger::domain::Event::PhaseClosed(_)
    ));
    server.stop().await;

    let mut server = start(data.path(), None).await;
    let again = closing_statement(&mut server, &programme.phase)
        .await
        .expect("after restart");
    assert_eq!(
        again.note, statement.note,
        "the same statement, not a new signature"
    );
    server.stop().await;
}

/// Opens a second phase and contributes to it, so the log grows past the first's close.
async fn contribute_elsewhere(server: &mut TestServer, programme: &Programme) {
    let phase = entity(server.posting.open_phase(proto::OpenPhaseRequest {
        options: options(),
        command: Some(proto::OpenPhase {
            phase_id: String::new(),
            name: "Second phase".into(),
            currency: "KRW".into(),
            starts_on: "2029-01-01".into(),
            ends_on: "2030-12-31".into(),
            match_ratio: "1".into(),
            support_types: Vec::new(),
        }),
    }))
    .await;
    let other = Programme {
        phase,
        contributor: programme.contributor.clone(),
        agency: programme.agency.clone(),
        small_sme: programme.small_sme.clone(),
        medium_sme: programme.medium_sme.clone(),
    };
    contribute(server, &other, "500000").await;
}

on_both_engines!(
    given_a_cosigned_head_when_the_server_restarts_then_it_serves_the_same_head_and_cosignature,
);
