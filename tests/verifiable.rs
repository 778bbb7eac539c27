//! Verifiable history through the real server: signed tree heads, inclusion and
//! consistency proofs checked with the crate's own verifiers, and refusals of bad sizes.

mod common;

use common::*;
use matchledger::api::proto;
use matchledger::audit::{self, Hash};
use tonic::Code;

fn hashes(wire: &[Vec<u8>]) -> Vec<Hash> {
    wire.iter()
        .map(|hash| Hash::try_from(hash.as_slice()).expect("32 bytes"))
        .collect()
}

/// A witness that keeps its state and key in `dir` and checks the rules.
fn checking_witness(
    dir: &tempfile::TempDir,
    public_key: String,
) -> matchledger::cli::verifiable::witness::WitnessArgs {
    matchledger::cli::verifiable::witness::WitnessArgs {
        state: dir.path().join("trusted.note"),
        public_key,
        witness_key: Some(dir.path().join("witness.key")),
        check_rules: true,
    }
}

/// A witness key written where `checking_witness(dir, ..)` reads it, and a server on `data`
/// (a fresh directory when `None`) that accepts that witness's cosignatures.
async fn server_accepting_witness_in(
    dir: &tempfile::TempDir,
    data: Option<&std::path::Path>,
) -> TestServer {
    let witness = audit::SigningKey::from_seed("witness.example/w1", [7; 32]).unwrap();
    matchledger::cli::signing_key::write_private(&dir.path().join("witness.key"), &witness)
        .unwrap();
    let witnesses =
        matchledger::api::witness_keys::WitnessKeys::parse(&witness.cosignature_verifier_key())
            .unwrap();
    let setup = Setup {
        config: matchledger::api::server::ServerConfig {
            witness_keys: Some(witnesses),
            ..matchledger::api::server::ServerConfig::default()
        },
        client_tls: None,
    };
    match data {
        Some(data) => TestServer::start_in_with(data, setup).await,
        None => TestServer::start_with(setup).await,
    }
}

async fn head(server: &mut TestServer) -> (proto::TreeHead, audit::Checkpoint) {
    let head = server
        .audit
        .get_tree_head(proto::GetTreeHeadRequest { tree_size: 0 })
        .await
        .expect("tree head")
        .into_inner();
    let key = server
        .audit
        .get_verifier_key(proto::GetVerifierKeyRequest {})
        .await
        .expect("key")
        .into_inner();
    assert_eq!(head.verifier_key, key.verifier_key);
    let checkpoint = audit::verify_checkpoint(&head.note, &key.verifier_key).expect("signed");
    assert_eq!(checkpoint.origin, key.origin);
    assert_eq!(checkpoint.size, head.size);
    assert_eq!(checkpoint.root.to_vec(), head.root);
    (head, checkpoint)
}

async fn every_event_is_proven_included_in_the_signed_head_and_heads_are_consistent(
    engine: Engine,
) {
    let mut server = TestServer::start_on(engine).await;
    let programme = programme(&mut server).await;
    let (_, old) = head(&mut server).await;
    for _ in 0..3 {
        contribute(&mut server, &programme, "1000000").await;
    }
    let (_, new) = head(&mut server).await;
    assert!(new.size > old.size);
    assert_eq!(new.size, server.clients(None).head().await);

    for sequence in 1..=new.size {
        let proof = server
            .audit
            .get_inclusion_proof(proto::GetInclusionProofRequest {
                sequence,
                tree_size: 0,
                head_size: 0,
            })
            .await
            .expect("proof")
            .into_inner();
        assert_eq!(proof.tree_size, new.size);
        audit::verify_inclusion(
            &audit::leaf_hash(&proof.leaf),
            sequence - 1,
            new.size,
            &hashes(&proof.hashes),
            &new.root,
        )
        .expect("included");
        let event = matchledger::store::decode(&proof.leaf).expect("an event");
        assert_eq!(event.sequence, sequence);
    }

    let proof = server
        .audit
        .get_consistency_proof(proto::GetConsistencyProofRequest {
            old_size: old.size,
            new_size: new.size,
        })
        .await
        .expect("consistency")
        .into_inner();
    audit::verify_consistency(
        old.size,
        new.size,
        &old.root,
        &new.root,
        &hashes(&proof.hashes),
    )
    .expect("consistent");
}

#[tokio::test]
async fn the_head_is_signed_once_per_size_and_carries_cosignatures_handed_back() {
    let witness = audit::SigningKey::from_seed("witness.example/w1", [9; 32]).unwrap();
    let data = tempfile::TempDir::new().unwrap();
    let witnesses =
        matchledger::api::witness_keys::WitnessKeys::parse(&witness.cosignature_verifier_key())
            .unwrap();
    let mut server = TestServer::start_in_with(
        data.path(),
        Setup {
            config: matchledger::api::server::ServerConfig {
                witness_keys: Some(witnesses),
                ..matchledger::api::server::ServerConfig::default()
            },
            client_tls: None,
        },
    )
    .await;
    programme(&mut server).await;
    let (first, checkpoint) = head(&mut server).await;
    let (again, _) = head(&mut server).await;
    assert_eq!(first.note, again.note);

    let line = audit::cosign(&checkpoint, &witness, 1_700_000_000).unwrap();
    let held = server
        .audit
        .add_cosignature(proto::AddCosignatureRequest {
            checkpoint: checkpoint.to_body(),
            cosignature: line.clone(),
        })
        .await
        .expect("taken")
        .into_inner();
    assert_eq!(held.cosignatures, 1);
    let (with, _) = head(&mut server).await;
    assert_eq!(with.cosignatures, vec![line]);
    audit::verify_checkpoint(&with.note, &witness.cosignature_verifier_key())
        .expect("the cosignature verifies in the served note");

    let unknown = server
        .audit
        .add_cosignature(proto::AddCosignatureRequest {
            checkpoint:
                "other.example/log\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\ntimestamp 1\n"
                    .into(),
            cosignature: with.cosignatures[0].clone(),
        })
        .await
        .expect_err("not our head");
    assert_eq!(unknown.code(), Code::NotFound);
}

#[tokio::test]
async fn proofs_for_sizes_past_the_tree_or_out_of_order_are_refused() {
    let mut server = TestServer::start().await;
    programme(&mut server).await;
    let size = server.clients(None).head().await;
    let past = server
        .audit
        .get_inclusion_proof(proto::GetInclusionProofRequest {
            sequence: 1,
            tree_size: size + 1,
            head_size: 0,
        })
        .await
        .expect_err("past the tree");
    assert_eq!(past.code(), Code::OutOfRange);
    let beyond = server
        .audit
        .get_inclusion_proof(proto::GetInclusionProofRequest {
            sequence: size + 1,
            tree_size: 0,
            head_size: 0,
        })
        .await
        .expect_err("no such event");
    assert_eq!(beyond.code(), Code::OutOfRange);
    let zero = server
        .audit
        .get_inclusion_proof(proto::GetInclusionProofRequest {
            sequence: 0,
            tree_size: 0,
            head_size: 0,
        })
        .await
        .expect_err("no event 0");
    assert_eq!(zero.code(), Code::InvalidArgument);
    let backwards = server
        .audit
        .get_consistency_proof(proto::GetConsistencyProofRequest {
            old_size: size,
            new_size: 1,
        })
        .await
        .expect_err("a log only grows");
    assert_eq!(backwards.code(), Code::InvalidArgument);
    let ahead = server
        .audit
        .get_consistency_proof(proto::GetConsistencyProofRequest {
            old_size: 1,
            new_size: size + 5,
        })
        .await
        .expect_err("past the tree");
    assert_eq!(ahead.code(), Code::OutOfRange);
}

async fn an_event_is_proven_in_a_tree_below_the_head_and_checked_against_the_signed_head_alone(
    engine: Engine,
) {
    use matchledger::cli::verifiable::heads::{
        prove_inclusion, to_hashes, verify_against_head, ProveInclusionArgs,
    };

    let mut server = TestServer::start_on(engine).await;
    let programme = programme(&mut server).await;
    let early = server.clients(None).head().await;
    for _ in 0..5 {
        contribute(&mut server, &programme, "1000000").await;
    }
    // Given only the signed head, which is larger than the tree size asked for,
    let (_, signed) = head(&mut server).await;
    assert!(signed.size > early + 3);

    for (sequence, size) in [
        (1, 1),
        (2, early),
        (early, early + 1),
        (early + 2, early + 3),
    ] {
        // when the proof of the event in that smaller tree is fetched,
        let proof = server
            .audit
            .get_inclusion_proof(proto::GetInclusionProofRequest {
                sequence,
                tree_size: size,
                head_size: signed.size,
            })
            .await
            .expect("proof")
            .into_inner();

        // then, offline, the audit path gives the root at that size and the consistency
        // proof shows it is a prefix of the signed head.
        assert_eq!(proof.tree_size, size);
        let root = verify_against_head(&proof, &to_hashes(&proof.hashes).unwrap(), &signed)
            .expect("checked against the signed head");
        let consistency = proof.head_consistency.as_ref().expect("sent");
        audit::verify_consistency(
            size,
            signed.size,
            &root,
            &signed.root,
            &hashes(&consistency.hashes),
        )
        .expect("consistent");
        // A forged leaf no longer leads to a prefix of the signed head.
        let mut forged = proof.clone();
        forged.leaf.push(0);
        assert!(verify_against_head(&forged, &hashes(&forged.hashes), &signed).is_err());
    }
    let key = verifier_key(&mut server).await;
    let cli = |size| ProveInclusionArgs {
        sequence: 2,
        size,
        public_key: Some(key.clone()),
    };
    prove_inclusion(&server.address, true, cli(Some(early)))
        .await
        .expect("the command checks a proof below the head");
    let past = prove_inclusion(&server.address, true, cli(Some(signed.size + 10))).await;
    assert!(past.is_err(), "a size past the signed head is refused");
}

#[tokio::test]
async fn inclusion_proofs_refuse_sizes_that_do_not_hold_the_event_or_pass_the_head() {
    let mut server = TestServer::start().await;
    programme(&mut server).await;
    let size = server.clients(None).head().await;
    let ask = |sequence, tree_size, head_size| proto::GetInclusionProofRequest {
        sequence,
        tree_size,
        head_size,
    };

    for (request, code) in [
        (ask(5, 4, 0), Code::InvalidArgument),
        (ask(1, size, size - 1), Code::InvalidArgument),
        (ask(1, 2, size + 1), Code::OutOfRange),
        (ask(1, size + 1, 0), Code::OutOfRange),
    ] {
        let refused = server
            .audit
            .get_inclusion_proof(request)
            .await
            .expect_err("refused");
        assert_eq!(refused.code(), code, "{request:?}: {}", refused.message());
    }
}

async fn bundle(
    server: &mut TestServer,
    contribution: &str,
) -> matchledger::verifiable::MatchBundle {
    let reply = server
        .audit
        .get_match_bundle(proto::GetMatchBundleRequest {
            contribution_id: contribution.to_string(),
        })
        .await
        .expect("bundle")
        .into_inner();
    serde_json::from_str(&reply.json).expect("bundle JSON")
}

fn verdict(
    bundle: &matchledger::verifiable::MatchBundle,
    key: &str,
) -> Result<String, Vec<String>> {
    match matchledger::verifiable::verify_bundle(bundle, key) {
        matchledger::verifiable::BundleVerdict::Valid(status) => Ok(status.status),
        matchledger::verifiable::BundleVerdict::Invalid(reasons) => Err(reasons),
    }
}

async fn match_bundles_verify_offline_as_matched_partial_and_unmatched_and_tampering_is_invalid(
    engine: Engine,
) {
    let mut server = TestServer::start_on(engine).await;
    let programme = programme(&mut server).await;
    let full = contribute(&mut server, &programme, "1000000").await;
    let partial = contribute(&mut server, &programme, "1000000").await;
    let unmatched = contribute(&mut server, &programme, "1000000").await;
    record_match(&mut server, &programme, &full, "600000")
        .await
        .expect("match");
    record_match(&mut server, &programme, &full, "400000")
        .await
        .expect("match");
    let reversed = entity(record_match(&mut server, &programme, &partial, "700000")).await;
    record_match(&mut server, &programme, &partial, "200000")
        .await
        .expect("match");
    server
        .posting
        .reverse_entry(proto::ReverseEntryRequest {
            options: options(),
            command: Some(proto::ReverseEntry {
                entry_id: reversed,
                reason: "keyed twice".into(),
            }),
        })
        .await
        .expect("reversal");
    let key = verifier_key(&mut server).await;

    assert_eq!(
        verdict(&bundle(&mut server, &full).await, &key),
        Ok("MATCHED".into())
    );
    let partial_bundle = bundle(&mut server, &partial).await;
    assert_eq!(
        partial_bundle.events.len(),
        5,
        "phase, contribution, two matches, reversal"
    );
    assert_eq!(verdict(&partial_bundle, &key), Ok("PARTIAL".into()));
    assert_eq!(
        verdict(&bundle(&mut server, &unmatched).await, &key),
        Ok("UNMATCHED".into())
    );

    // Dropping the reversal makes the stated status disagree with the events.
    let mut dropped = partial_bundle.clone();
    dropped.events.pop();
    assert!(verdict(&dropped, &key).is_err());
    // A changed amount in the decoded fields no longer matches the proven bytes.
    let mut edited = bundle(&mut server, &full).await;
    let text = serde_json::to_string(&edited.events[2].decoded).unwrap();
    edited.events[2].decoded = serde_json::from_str(&text.replace("600000", "900000")).unwrap();
    assert!(verdict(&edited, &key).is_err());
    // A flipped bit in the stored bytes breaks inclusion.
    let mut flipped = bundle(&mut server, &full).await;
    let mut bytes = base64_decode(&flipped.events[1].stored_bytes);
    bytes[10] ^= 1;
    flipped.events[1].stored_bytes = base64_encode(&bytes);
    let reasons = verdict(&flipped, &key).unwrap_err();
    assert!(
        reasons.iter().any(|r| r.contains("not included")),
        "{reasons:?}"
    );
    // Another key does not sign the head.
    let other = audit::SigningKey::from_seed("matchledger.local/ledger", [1; 32]).unwrap();
    assert!(verdict(&bundle(&mut server, &full).await, &other.verifier_key()).is_err());
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

async fn a_phase_statement_is_signed_at_a_tree_head_and_verifies_offline(engine: Engine) {
    let mut server = TestServer::start_on(engine).await;
    let programme = programme(&mut server).await;
    contribute(&mut server, &programme, "2500000").await;
    let (_, checkpoint) = head(&mut server).await;
    let statement = server
        .audit
        .get_phase_statement(proto::GetPhaseStatementRequest {
            phase_id: programme.phase.clone(),
            at_close: false,
        })
        .await
        .expect("statement")
        .into_inner();
    let lines = matchledger::verifiable::statement::verify_statement(
        &statement.note,
        &statement.verifier_key,
    )
    .expect("signed");
    let value = |key: &str| {
        lines
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    assert_eq!(value("contributed"), "2500000");
    assert_eq!(value("tree_size"), checkpoint.size.to_string());
    let tampered = statement
        .note
        .replace("contributed 2500000", "contributed 9500000");
    assert!(matchledger::verifiable::statement::verify_statement(
        &tampered,
        &statement.verifier_key
    )
    .is_err());
}

#[tokio::test]
async fn the_witness_cosigns_a_growing_log_checking_its_rules_and_refuses_a_rewrite() {
    use matchledger::cli::verifiable::witness::witness;

    let dir = tempfile::TempDir::new().unwrap();
    let mut server = server_accepting_witness_in(&dir, None).await;
    let programme = programme(&mut server).await;
    let contribution = contribute(&mut server, &programme, "1000000").await;
    let key = verifier_key(&mut server).await;
    let args = checking_witness(&dir, key.clone());
    let first_run = witness(&server.address, args.clone())
        .await
        .expect("first run");
    let (first, old) = head(&mut server).await;
    assert_eq!(first.cosignatures.len(), 1);
    assert_eq!(
        (first_run.events_fetched, first_run.resumed),
        (old.size, false),
        "the first run replays the whole log"
    );

    record_match(&mut server, &programme, &contribution, "500000")
        .await
        .expect("match");
    let second_run = witness(&server.address, args.clone())
        .await
        .expect("second run");
    let (second, new) = head(&mut server).await;
    assert!(new.size > old.size);
    assert_eq!(second.cosignatures.len(), 1);
    assert_eq!(
        (second_run.events_fetched, second_run.resumed),
        (new.size - old.size, true),
        "the second run fetches only the events after the trusted head"
    );

    let trusted = std::fs::read_to_string(&args.state).unwrap();
    assert_eq!(audit::verify_checkpoint(&trusted, &key).unwrap(), new);

    // A history with one changed event is not an extension of the trusted head.
    let leaves: Vec<Vec<u8>> = (0..new.size).map(|i| vec![i as u8]).collect();
    let (nodes, _) = audit::MemoryNodes::from_leaves(&leaves);
    let mut rewritten = leaves.clone();
    rewritten[1] = vec![0xff];
    let (forged, _) = audit::MemoryNodes::from_leaves(&rewritten);
    let honest_old = audit::Checkpoint {
        root: audit::root_at(old.size, &nodes).unwrap(),
        ..old.clone()
    };
    let forged_new = audit::Checkpoint {
        root: audit::root_at(new.size, &forged).unwrap(),
        ..new.clone()
    };
    let proof = audit::consistency_proof(old.size, new.size, &forged).unwrap();
    let problem = matchledger::verifiable::witness::check_growth(&honest_old, &forged_new, &proof)
        .expect_err("rewritten");
    assert!(problem.contains("REWRITTEN"), "{problem}");

    // A saved rule check that does not belong to the trusted head is not trusted: the
    // next run replays the whole log.
    let rules = matchledger::cli::verifiable::witness::rules_path(&args.state);
    let mut damaged = std::fs::read(&rules).expect("rule state saved");
    let last = damaged.len() - 1;
    damaged[last] ^= 0xff;
    std::fs::write(&rules, &damaged).unwrap();
    contribute(&mut server, &programme, "1000").await;
    let third_run = witness(&server.address, args.clone())
        .await
        .expect("third run");
    let (_, third) = head(&mut server).await;
    assert_eq!(
        (third_run.events_fetched, third_run.resumed),
        (third.size, false)
    );
}

#[tokio::test]
async fn the_witness_refuses_to_cosign_an_over_matched_log_and_names_the_breach() {
    use matchledger::cli::verifiable::witness::{witness, WitnessArgs};

    // Given a served log with a match beyond its contribution, written past the rules,
    let data = tempfile::TempDir::new().unwrap();
    common::over_matched_log(data.path());
    let dir = tempfile::TempDir::new().unwrap();
    let mut server = server_accepting_witness_in(&dir, Some(data.path())).await;
    let key = verifier_key(&mut server).await;
    let args = checking_witness(&dir, key);

    // when the witness checks the rules,
    let refused = witness(&server.address, args.clone())
        .await
        .expect_err("refused");

    // then it names the breach, cosigns nothing and trusts nothing.
    let message = format!("{refused:#}");
    assert!(message.contains("refusing to cosign"), "{message}");
    assert!(
        message.contains("event 5") && message.contains("matched 1500 beyond its limit 1000"),
        "{message}"
    );
    let (served, _) = head(&mut server).await;
    assert!(served.cosignatures.is_empty());
    assert!(!args.state.exists());
    // Without the rule check the same head is only checked for growth, and cosigned.
    let unchecked = WitnessArgs {
        check_rules: false,
        ..args
    };
    witness(&server.address, unchecked)
        .await
        .expect("growth alone holds");
}

on_both_engines!(
    every_event_is_proven_included_in_the_signed_head_and_heads_are_consistent,
    an_event_is_proven_in_a_tree_below_the_head_and_checked_against_the_signed_head_alone,
    match_bundles_verify_offline_as_matched_partial_and_unmatched_and_tampering_is_invalid,
    a_phase_statement_is_signed_at_a_tree_head_and_verifies_offline,
);
