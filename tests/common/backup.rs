//! Helpers of the backup and restore tests: a server that signs with a key kept in its
//! directory and accepts one test witness, one-shot backups, restore options, and reads
//! of what must be identical after a restore (stored events, kept heads, balances).

use std::path::{Path, PathBuf};

use matchledger::api::proto::{
    self, AsOf, ListPhaseBalancesRequest, ListSignedHeadsRequest, ReadStoredEventsRequest,
};
use matchledger::api::server::ServerConfig;
use matchledger::api::witness_keys::WitnessKeys;
use matchledger::audit::{self, SigningKey};
use matchledger::cli::backup::{backup_until, BackupArgs, RestoreArgs};
use matchledger::cli::signing_key;

use super::{Programme, Setup, TestServer};

pub const ORIGIN: &str = "ledger.example/backup";

pub fn witness() -> SigningKey {
    SigningKey::from_seed("witness.example/w1", [9; 32]).unwrap()
}

/// A server on `dir` signing with the key kept in `dir` and accepting the test witness.
pub async fn start(dir: &Path) -> (TestServer, SigningKey) {
    start_at(dir, "127.0.0.1:0").await
}

/// Like [`start`], listening on `address`.
pub async fn start_at(dir: &Path, address: &str) -> (TestServer, SigningKey) {
    let key = signing_key::load_or_create(dir, None, ORIGIN).unwrap();
    let setup = Setup {
        config: ServerConfig {
            signing_key: Some(key.clone()),
            witness_keys: Some(WitnessKeys::parse(&witness().cosignature_verifier_key()).unwrap()),
            ..ServerConfig::default()
        },
        client_tls: None,
    };
    (TestServer::start_at(dir, setup, address).await, key)
}

/// A one-shot backup of `server` into `out`.
pub async fn take(server: &TestServer, out: &Path) -> u64 {
    let args = BackupArgs {
        out: out.to_path_buf(),
        follow: false,
        public_key: None,
    };
    backup_until(&server.address, &args, std::future::pending())
        .await
        .expect("backup")
        .tree_size
}

pub fn restore_args(from: &Path, data_dir: &Path, key: &SigningKey) -> RestoreArgs {
    RestoreArgs {
        from: from.to_path_buf(),
        data_dir: data_dir.to_path_buf(),
        public_key: None,
        signing_key: Some(key_file(data_dir.parent().unwrap(), key)),
    }
}

/// The key written to a file of its own in `dir`.
pub fn key_file(dir: &Path, key: &SigningKey) -> PathBuf {
    let path = dir.join("log.key");
    if !path.exists() {
        signing_key::write_private(&path, key).unwrap();
    }
    path
}

pub async fn stored_events(server: &mut TestServer, count: u64) -> Vec<proto::StoredEvent> {
    let mut stream = server
        .audit
        .read_stored_events(ReadStoredEventsRequest {
            from_sequence: 1,
            limit: count,
        })
        .await
        .unwrap()
        .into_inner();
    let mut events = Vec::new();
    while let Some(event) = stream.message().await.unwrap() {
        events.push(event);
    }
    events
}

pub async fn signed_heads(server: &mut TestServer, to: u64) -> Vec<proto::KeptSignedHead> {
    let request = ListSignedHeadsRequest {
        from_tree_size: 0,
        to_tree_size: to,
    };
    let mut stream = server
        .audit
        .list_signed_heads(request)
        .await
        .unwrap()
        .into_inner();
    let mut heads = Vec::new();
    while let Some(head) = stream.message().await.unwrap() {
        heads.push(head);
    }
    heads
}

pub async fn balances(server: &mut TestServer, sequence: u64) -> ListPhaseBalancesResponseView {
    let reply = server
        .query
        .list_phase_balances(ListPhaseBalancesRequest {
            as_of: Some(AsOf {
                point: Some(proto::as_of::Point::Sequence(sequence)),
            }),
        })
        .await
        .unwrap()
        .into_inner();
    format!("{:?}", reply.phases)
}

/// Balances compared as their debug text: every field of every phase.
pub type ListPhaseBalancesResponseView = String;

/// Contributions posted one after another until told to stop; returns how many.
pub fn load(
    server: &TestServer,
    programme: &Programme,
) -> (
    tokio::sync::watch::Sender<bool>,
    tokio::task::JoinHandle<u64>,
) {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut posting = server.posting.clone();
    let (phase, contributor) = (programme.phase.clone(), programme.contributor.clone());
    let task = tokio::spawn(async move {
        let mut posted = 0;
        while !*stopped.borrow() {
            posting
                .record_contribution(proto::RecordContributionRequest {
                    options: super::options(),
                    command: Some(proto::RecordContribution {
                        contribution_id: String::new(),
                        phase_id: phase.clone(),
                        contributor_id: contributor.clone(),
                        amount: super::krw("1000"),
                    }),
                })
                .await
                .expect("posted under load");
            posted += 1;
        }
        posted
    });
    (stop, task)
}

/// Hands a witness cosignature of the latest head to the server; returns its size.
pub async fn cosign_latest(server: &mut TestServer) -> u64 {
    let head = server
        .audit
        .get_tree_head(proto::GetTreeHeadRequest { tree_size: 0 })
        .await
        .unwrap()
        .into_inner();
    let checkpoint =
        audit::Checkpoint::parse_body(&audit::SignedNote::parse(&head.note).unwrap().text).unwrap();
    let line = audit::cosign(&checkpoint, &witness(), 1_700_000_000).unwrap();
    server
        .audit
        .add_cosignature(proto::AddCosignatureRequest {
            checkpoint: checkpoint.to_body(),
            cosignature: line,
        })
        .await
        .expect("cosignature kept");
    head.size
}
