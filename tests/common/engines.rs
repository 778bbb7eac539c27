//! The behaviour tests that matter run on both engines: sled in a temporary directory,
//! and PostgreSQL in a fresh database on a throw-away cluster ([`super::postgres`]).
//!
//! A test is written once as `async fn name(engine: Engine)`, starting its server with
//! [`TestServer::start_on`] (and restarting it with [`TestServer::restart`]), and
//! [`on_both_engines!`] makes it two tests, `name::on_sled` and `name::on_postgres`.

use std::path::Path;
use std::sync::Arc;

use matchledger::ledger::Ledger;

use super::postgres::PostgresCluster;
use super::{Setup, TestServer};

/// Which engine holds a test server's event log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sled,
    Postgres,
}

/// A database on a running cluster; the cluster stops when the last clone is dropped.
#[derive(Clone)]
pub struct PostgresDatabase {
    pub cluster: Arc<PostgresCluster>,
    pub url: String,
}

impl PostgresDatabase {
    /// A fresh cluster with one empty database. Blocks for about a second.
    pub async fn start() -> PostgresDatabase {
        tokio::task::spawn_blocking(|| {
            let cluster = PostgresCluster::start();
            let url = cluster.create_database("matchledger");
            PostgresDatabase {
                cluster: Arc::new(cluster),
                url,
            }
        })
        .await
        .expect("the cluster starts")
    }
}

impl TestServer {
    /// Starts a server on `engine`, over a fresh data directory or database.
    pub async fn start_on(engine: Engine) -> TestServer {
        TestServer::start_on_with(engine, Setup::default()).await
    }

    /// Starts a server on `engine`, configured as `setup` says.
    pub async fn start_on_with(engine: Engine, setup: Setup) -> TestServer {
        match engine {
            Engine::Sled => TestServer::start_with(setup).await,
            Engine::Postgres => {
                let database = PostgresDatabase::start().await;
                let temp = tempfile::tempdir().expect("temp dir");
                let mut server = TestServer::start_on_database(temp.path(), database, setup).await;
                server._temp = Some(temp);
                server
            }
        }
    }

    /// Starts a server whose log is in `database`; `dir` is its data directory (which on
    /// PostgreSQL holds no part of the log).
    pub async fn start_on_database(
        dir: &Path,
        database: PostgresDatabase,
        setup: Setup,
    ) -> TestServer {
        let url = database.url.clone();
        let ledger = tokio::task::spawn_blocking(move || Ledger::open_postgres(&url))
            .await
            .expect("join")
            .expect("ledger opens on PostgreSQL");
        let mut server = TestServer::serve(ledger, dir, setup).await;
        server.postgres = Some(database);
        server
    }

    /// Which engine this server's log is on.
    pub fn engine(&self) -> Engine {
        match self.postgres {
            Some(_) => Engine::Postgres,
            None => Engine::Sled,
        }
    }

    /// Stops the server gracefully and starts it again on the same data directory or
    /// database, keeping both.
    pub async fn restart(self) -> TestServer {
        self.restart_with(Setup::default()).await
    }

    /// Like [`TestServer::restart`], configured as `setup` says.
    pub async fn restart_with(mut self, setup: Setup) -> TestServer {
        let temp = self._temp.take();
        let database = self.postgres.take();
        let dir = self.data_dir.clone();
        self.stop().await;
        let mut server = match database {
            Some(database) => TestServer::start_on_database(&dir, database, setup).await,
            None => TestServer::start_in_with(&dir, setup).await,
        };
        server._temp = temp;
        server
    }
}

/// Makes each `async fn name(engine: Engine)` two tests, `name::on_sled` and
/// `name::on_postgres`, on a multi-threaded runtime.
#[macro_export]
macro_rules! on_both_engines {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn on_sled() {
                    super::$name($crate::common::engines::Engine::Sled).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn on_postgres() {
                    super::$name($crate::common::engines::Engine::Postgres).await;
                }
            }
        )+
    };
}
