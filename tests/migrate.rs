//! Moving a ledger from sled to PostgreSQL: the same events byte for byte, the same root
//! and signed heads, and the server on PostgreSQL answers a retry of a posting made on
//! sled as a replay and serves the head it signed on sled.

mod common;

use common::engines::PostgresDatabase;
use common::*;
use matchledger::api::proto;
use matchledger::api::server::ServerConfig;
use matchledger::audit::SigningKey;
use matchledger::store::migrate::sled_to_postgres;
use matchledger::store::{Store, StoreError};

fn setup() -> Setup {
    Setup {
        config: ServerConfig {
            signing_key: Some(SigningKey::from_seed("ledger.example/migrate", [9; 32]).unwrap()),
            ..ServerConfig::default()
        },
        client_tls: None,
    }
}

fn contribution(programme: &Programme, amount: &str) -> proto::RecordContributionRequest {
    proto::RecordContributionRequest {
        options: options_with_key("moved-contribution"),
        command: Some(proto::RecordContribution {
            contribution_id: "0190f5c2-0000-7000-8000-000000000042".into(),
            phase_id: programme.phase.clone(),
            contributor_id: programme.contributor.clone(),
            amount: krw(amount),
        }),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ledger_moved_from_sled_to_postgres_keeps_its_bytes_root_heads_and_idempotency() {
    // Given a ledger on sled with postings, a retried key and a signed head.
    let data = tempfile::tempdir().expect("temp dir");
    let mut server = TestServer::start_in_with(data.path(), setup()).await;
    let programme = programme(&mut server).await;
    let posted = server
        .posting
        .record_contribution(contribution(&programme, "5000000"))
        .await
        .expect("posted")
        .into_inner();
    contribute(&mut server, &programme, "7000000").await;
    let signed = server
        .audit
        .get_tree_head(proto::GetTreeHeadRequest { tree_size: 0 })
        .await
        .expect("a signed head")
        .into_inner();
    server.stop().await;

    // When it is moved into an empty database.
    let database = PostgresDatabase::start().await;
    let (dir, url) = (data.path().to_path_buf(), database.url.clone());
    let migrated = tokio::task::spawn_blocking(move || sled_to_postgres(&dir, &url, |_| {}))
        .await
        .expect("join")
        .expect("moved and verified");

    // Then both stores hold the same bytes, root and signed heads.
    let (dir, url) = (data.path().to_path_buf(), database.url.clone());
    tokio::task::spawn_blocking(move || {
        let sled = Store::open(&dir).expect("sled opens");
        let postgres = Store::open_postgres(&url).expect("postgres opens");
        assert_eq!(migrated.head, sled.head());
        assert_eq!(sled.head(), postgres.head());
        assert_eq!(sled.tree_head().unwrap(), postgres.tree_head().unwrap());
        assert_eq!(migrated.root, sled.root().unwrap());
        let on_sled: Vec<_> = sled.raw_from(1).collect::<Result<_, _>>().unwrap();
        let on_postgres: Vec<_> = postgres.raw_from(1).collect::<Result<_, _>>().unwrap();
        assert_eq!(on_sled, on_postgres);
        assert_eq!(
            sled.signed_heads_since(0, 100).unwrap(),
            postgres.signed_heads_since(0, 100).unwrap()
        );
        assert!(migrated.signed_heads >= 1 && migrated.idempotency_records >= 2);
    })
    .await
    .expect("the stores agree");

    // And the server on PostgreSQL answers the retry as a replay and serves the same head.
    let mut server = TestServer::start_on_database(data.path(), database.clone(), setup()).await;
    let retried = server
        .posting
        .record_contribution(contribution(&programme, "5000000"))
        .await
        .expect("the retry is answered")
        .into_inner();
    assert!(retried.replayed, "a retry after the move is a replay");
    assert_eq!(retried.events, posted.events);
    let served = server
        .audit
        .get_tree_head(proto::GetTreeHeadRequest {
            tree_size: signed.size,
        })
        .await
        .expect("the head signed on sled")
        .into_inner();
    assert_eq!(served.note, signed.note, "signed once, served again");
    contribute(&mut server, &programme, "1000000").await;
    server.stop().await;

    // And a second move into the now non-empty database is refused.
    let (dir, url) = (data.path().to_path_buf(), database.url.clone());
    let again = tokio::task::spawn_blocking(move || sled_to_postgres(&dir, &url, |_| {}))
        .await
        .expect("join");
    assert!(
        matches!(again, Err(StoreError::Refused(ref reason)) if reason.contains("empty database")),
        "{again:?}"
    );
}
