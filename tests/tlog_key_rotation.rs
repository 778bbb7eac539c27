//! Moving the log to a new signing key without breaking verifiers that hold the old one:
//! during the rotation (`serve --previous-signing-key`) every checkpoint carries both
//! keys' signatures, after it only the new key's, and the heads signed during it keep
//! verifying under the old key. And one key's notes cannot be taken for one another: a
//! phase statement is no checkpoint and a checkpoint no statement.

mod common;

use std::net::SocketAddr;
use std::path::Path;

use axum::body::Bytes;
use common::{Setup, TestServer};
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use matchledger::api::proto;
use matchledger::api::server::ServerConfig;
use matchledger::api::tree_heads::TreeHeads;
use matchledger::audit::{self, AuditError, Checkpoint, SigningKey};
use matchledger::tlog::TlogListener;
use matchledger::verifiable::statement::verify_statement;

const ORIGIN: &str = "ledger.example/rotating";

fn old_key() -> SigningKey {
    SigningKey::from_seed(ORIGIN, [41; 32]).expect("key")
}

fn new_key() -> SigningKey {
    SigningKey::from_seed(ORIGIN, [42; 32]).expect("key")
}

/// The checkpoint served by a server over `dir` signing with `key` (and `previous`).
async fn served_checkpoint(
    dir: &Path,
    key: SigningKey,
    previous: Option<SigningKey>,
) -> (TestServer, String) {
    let tlog = TlogListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)), false).expect("bind");
    let url = format!("http://{}/tlog/checkpoint", tlog.local_addr().unwrap());
    let setup = Setup {
        config: ServerConfig {
            signing_key: Some(key),
            previous_signing_key: previous,
            tlog: Some(tlog),
            ..ServerConfig::default()
        },
        client_tls: None,
    };
    let server = TestServer::start_in_with(dir, setup).await;
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let response = client.get(url.parse().unwrap()).await.expect("GET");
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (server, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn during_a_rotation_checkpoints_verify_under_both_keys_and_after_it_under_the_new_one() {
    let data = tempfile::TempDir::new().unwrap();
    let (old, new) = (old_key().verifier_key(), new_key().verifier_key());

    let before = common::load_generated(data.path(), 0, 20).await;
    let (server, note) = served_checkpoint(data.path(), old_key(), None).await;
    let signed_old = audit::verify_checkpoint(&note, &old).unwrap();
    assert_eq!(signed_old.size, before);
    server.stop().await;

    // The rotation starts: the old key's last head is signed again by both keys over the
    // same checkpoint text, so whatever cosigned it still applies.
    let (server, note) = served_checkpoint(data.path(), new_key(), Some(old_key())).await;
    assert_eq!(audit::verify_checkpoint(&note, &new).unwrap(), signed_old);
    assert_eq!(audit::verify_checkpoint(&note, &old).unwrap(), signed_old);
    server.stop().await;

    let during = common::load_generated(data.path(), 20, 10).await;
    let (server, note) = served_checkpoint(data.path(), new_key(), Some(old_key())).await;
    let under_old = audit::verify_checkpoint(&note, &old).expect("the old key still verifies");
    let under_new = audit::verify_checkpoint(&note, &new).expect("the new key verifies");
    assert_eq!((under_old.size, under_new.size), (during, during));
    server.stop().await;

    let after = common::load_generated(data.path(), 30, 10).await;
    let (mut server, note) = served_checkpoint(data.path(), new_key(), None).await;
    assert_eq!(audit::verify_checkpoint(&note, &new).unwrap().size, after);
    assert!(matches!(
        audit::verify_checkpoint(&note, &old),
        Err(AuditError::NotSignedByKey { .. })
    ));
    // A verifier that still holds only the old key can check the rotation's head and, by
    // a consistency proof from it, every later one it is given with the new key.
    let kept = server
        .audit
        .get_tree_head(proto::GetTreeHeadRequest { tree_size: during })
        .await
        .expect("the rotation's head is kept")
        .into_inner();
    assert_eq!(
        audit::verify_checkpoint(&kept.note, &old).unwrap().size,
        during
    );
    server.stop().await;
}

#[test]
fn a_retiring_key_must_be_another_key_of_the_same_log() {
    let other_log = SigningKey::from_seed("other.example/log", [43; 32]).unwrap();
    assert!(TreeHeads::new(new_key())
        .with_previous_key(other_log)
        .is_err());
    assert!(TreeHeads::new(new_key())
        .with_previous_key(new_key())
        .is_err());
    let rotating = TreeHeads::new(new_key())
        .with_previous_key(old_key())
        .expect("same name, another key");
    assert_eq!(
        rotating.previous_verifier_key(),
        Some(old_key().verifier_key())
    );
    // A phase statement signed during the rotation verifies under both keys, too.
    let statement = rotating
        .sign_text("matchledger phase statement v1\norigin x\n")
        .unwrap();
    audit::note::verify(&statement, &old_key().verifier_key()).unwrap();
    audit::note::verify(&statement, &new_key().verifier_key()).unwrap();
}

#[test]
fn a_statement_is_never_read_as_a_checkpoint_nor_a_checkpoint_as_a_statement() {
    let key = new_key();
    let statement = audit::note::sign(
        "matchledger phase statement v1\norigin ledger.example/rotating\ntree_size 5\n",
        &key,
    )
    .unwrap();
    assert!(matches!(
        audit::verify_checkpoint(&statement, &key.verifier_key()),
        Err(AuditError::MalformedCheckpoint(_))
    ));
    let manifest =
        audit::note::sign("matchledger export manifest v2\nformat \"x\"\n", &key).unwrap();
    assert!(audit::verify_checkpoint(&manifest, &key.verifier_key()).is_err());
    let checkpoint = audit::sign_checkpoint(
        &Checkpoint {
            origin: ORIGIN.into(),
            size: 5,
            root: [7; 32],
            timestamp: 1_700_000_000,
            extensions: Vec::new(),
        },
        &key,
    )
    .unwrap();
    assert!(verify_statement(&checkpoint, &key.verifier_key()).is_err());
}
