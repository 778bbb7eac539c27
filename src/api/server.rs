//! Wires the services into one tonic server with health and reflection behind the guard
//! layer (authentication, roles), optionally over TLS, and shuts it down gracefully:
//! in-flight requests finish, then the writer flushes and stops.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tonic::transport::server::TcpIncoming;
use tonic::transport::Server;

use super::audit::AuditApi;
use super::closing::ClosingStatements;
use super::guard::{Authentication, GuardLayer};
use super::posting::PostingApi;
use super::proto::audit_service_server::AuditServiceServer;
use super::proto::posting_service_server::PostingServiceServer;
use super::proto::query_service_server::QueryServiceServer;
use super::proto::FILE_DESCRIPTOR_SET;
use super::query::QueryApi;
use super::tls::TlsSettings;
use super::tree_heads::{generate_key, TreeHeads, DEFAULT_ORIGIN};
use super::witness_keys::WitnessKeys;
use crate::audit::SigningKey;
use crate::ledger::Ledger;
use crate::limits::{
    CONNECTION_STREAMS_MAX, REQUEST_BYTES_MAX, SUBSCRIPTIONS_MAX, VERIFICATION_INTERVAL_DEFAULT,
};
use crate::tlog::push::WitnessUrl;
use crate::tlog::{TlogListener, TlogState};

/// Why the server stopped abnormally or would not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("gRPC transport: {0}")]
    Transport(#[from] tonic::transport::Error),
    #[error("reflection service: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    #[error("cannot read the listening address: {0}")]
    Address(#[from] std::io::Error),
    /// The configuration would expose the ledger unsafely; nothing was served.
    #[error("refusing to serve: {0}")]
    Unsafe(String),
    /// The retiring key does not belong with the signing key.
    #[error(transparent)]
    KeyRotation(#[from] super::tree_heads::KeyRotationError),
    /// No key to sign tree heads with.
    #[error("signing key: {0}")]
    SigningKey(#[from] crate::audit::AuditError),
    /// The HTTP listener could not be set up.
    #[error("{0}")]
    Http(#[from] crate::http::server::HttpServeError),
}

/// How the server admits callers and limits them.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// How callers prove who they are.
    pub authentication: Authentication,
    /// TLS, and with a client CA mutual TLS; plaintext HTTP/2 when `None`.
    pub tls: Option<TlsSettings>,
    /// Serve without authentication on a non-loopback address anyway.
    pub insecure: bool,
    /// Live `Subscribe` streams allowed at once.
    pub subscriptions_max: usize,
    /// The key that signs tree heads (its name is the checkpoint origin); a fresh key
    /// named [`DEFAULT_ORIGIN`], forgotten at exit, when `None`.
    pub signing_key: Option<SigningKey>,
    /// During a key rotation, the key being retired (same name as `signing_key`): every
    /// head, statement and manifest is signed by both until it is dropped.
    pub previous_signing_key: Option<SigningKey>,
    /// The witnesses whose cosignatures are accepted, each verified; when `None`, every
    /// cosignature is refused (FAILED_PRECONDITION), so unverified lines can neither crowd
    /// out real ones nor be served as if they meant something.
    pub witness_keys: Option<WitnessKeys>,
    /// How often the whole chain is re-verified in the background, starting at once;
    /// never when `None`.
    pub verification_interval: Option<std::time::Duration>,
    /// A listener of its own for the log as C2SP tlog-tiles (`serve --tlog-listen`),
    /// served under `/tlog` with the same signer as the audit service.
    pub tlog: Option<TlogListener>,
    /// Also serve the log as tlog-tiles under `/tlog` on the HTTP listener (`serve
    /// --tlog-on-http`); off loopback only with `tlog_public`.
    pub tlog_on_http: bool,
    /// The operator declared the log's events public (`--tlog-public`): the tlog-tiles face,
    /// which serves them unauthenticated, may be reached off loopback.
    pub tlog_public: bool,
    /// tlog-witness witnesses the log pushes each grown tree head to (`serve --witness`);
    /// their cosignatures are kept only under `witness_keys`, so these need them.
    pub witnesses: Vec<WitnessUrl>,
    /// How often the log looks for a grown tree to push to `witnesses`.
    pub witness_push_interval: std::time::Duration,
}

impl Default for ServerConfig {
    /// No authentication (loopback only), no TLS, the standard limits, the whole chain
    /// verified in the background at start-up and every `VERIFICATION_INTERVAL_DEFAULT`.
    fn default() -> ServerConfig {
        ServerConfig {
            authentication: Authentication::Open,
            tls: None,
            insecure: false,
            subscriptions_max: SUBSCRIPTIONS_MAX,
            signing_key: None,
            previous_signing_key: None,
            witness_keys: None,
            verification_interval: Some(VERIFICATION_INTERVAL_DEFAULT),
            tlog: None,
            tlog_on_http: false,
            tlog_public: false,
            witnesses: Vec::new(),
            witness_push_interval: crate::limits::WITNESS_PUSH_INTERVAL,
        }
    }
}

/// Serves the ledger on `listener` without authentication until `shutdown` resolves, then
/// stops the writer. The listener must be on loopback (see [`run_with`]).
pub async fn run(
    listener: TcpListener,
    ledger: Ledger,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServeError> {
    run_with(listener, ledger, ServerConfig::default(), shutdown).await
}

/// Serves the ledger on `listener` as `config` says until `shutdown` resolves, then stops
/// the writer. Without authentication it refuses a non-loopback listener unless
/// `config.insecure`, and warns either way; mutual TLS needs principals to map
/// certificates to.
pub async fn run_with(
    listener: TcpListener,
    ledger: Ledger,
    config: ServerConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServeError> {
    run_with_http(listener, None, ledger, config, shutdown).await
}

/// As [`run_with`], and with `http` also serves the HTTP listener (the JSON API, OpenAPI
/// and the console; see [`crate::http`]) over the same services, admitted the same way.
pub async fn run_with_http(
    listener: TcpListener,
    http: Option<TcpListener>,
    ledger: Ledger,
    config: ServerConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServeError> {
    let checked = check_safe(&listener, &config).and_then(|()| match &http {
        Some(http) => check_safe(http, &config).and_then(|()| {
            if !config.tlog_on_http {
                return Ok(());
            }
            crate::tlog::check_address(http.local_addr()?, config.tlog_public)
                .map_err(ServeError::Unsafe)
        }),
        None => Ok(()),
    });
    let result = match checked {
        Ok(()) => serve(listener, http, ledger.clone(), config, shutdown).await,
        Err(error) => Err(error),
    };
    ledger.shutdown().await;
    result
}

impl ServerConfig {
    /// Refuses a configuration that would expose the ledger on `address`: no authentication
    /// on a non-loopback address (unless `insecure`), or mutual TLS with no principals to
    /// map certificates to. Checked again by [`run_with`]; callers may check before
    /// opening anything.
    pub fn check(&self, address: SocketAddr) -> Result<(), ServeError> {
        if let Some(tlog) = &self.tlog {
            tlog.check().map_err(ServeError::Unsafe)?;
        }
        if !self.witnesses.is_empty() && self.witness_keys.is_none() {
            return Err(ServeError::Unsafe(
                "--witness pushes heads to witnesses whose cosignatures are kept only when they \
                 verify: name their keys with --witness-keys"
                    .into(),
            ));
        }
        let mutual = self.tls.as_ref().is_some_and(TlsSettings::is_mutual);
        match &self.authentication {
            Authentication::Open if mutual => Err(ServeError::Unsafe(
                "mutual TLS maps client certificates to principals: give a principals file".into(),
            )),
            Authentication::Open if !address.ip().is_loopback() && !self.insecure => {
                Err(ServeError::Unsafe(format!(
                    "{address} is not a loopback address and no principals file was given: anyone \
                     who can reach it could post; give a principals file, listen on loopback, or \
                     pass --insecure"
                )))
            }
            _ => Ok(()),
        }
    }

    /// Warns about a configuration that is allowed but weak.
    fn warn(&self, address: SocketAddr) {
        match &self.authentication {
            Authentication::Open => tracing::warn!(
                %address,
                "no principals file: serving WITHOUT AUTHENTICATION; every caller may post and \
                 every event is recorded with actor `local`"
            ),
            Authentication::Principals(principals) if principals.is_empty() => {
                tracing::warn!("the principals file lists nobody: every call will be refused");
            }
            Authentication::Principals(principals) => {
                if principals.any_mtls() && !self.tls.as_ref().is_some_and(TlsSettings::is_mutual) {
                    tracing::warn!(
                        "some principals sign in with certificates, but no client CA is configured"
                    );
                }
                if self.tls.is_none() && !address.ip().is_loopback() {
                    tracing::warn!(%address, "serving without TLS on a non-loopback address: tokens travel in clear");
                }
            }
        }
    }
}

/// Refuses configurations that would expose the ledger, and warns about weak ones.
fn check_safe(listener: &TcpListener, config: &ServerConfig) -> Result<(), ServeError> {
    let address = listener.local_addr()?;
    config.check(address)?;
    config.warn(address);
    Ok(())
}

async fn serve(
    listener: TcpListener,
    http: Option<TcpListener>,
    ledger: Ledger,
    config: ServerConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServeError> {
    let signing_key = match config.signing_key.clone() {
        Some(key) => key,
        None => {
            tracing::warn!(
                "no signing key given: tree heads are signed with a key forgotten at exit"
            );
            generate_key(DEFAULT_ORIGIN)?
        }
    };
    if config.witness_keys.is_none() {
        tracing::warn!(
            "no witness keys given: cosignatures handed back are kept and served without \
             being verified"
        );
    }
    let mut heads = TreeHeads::with_witnesses(signing_key, config.witness_keys.clone());
    if let Some(previous) = config.previous_signing_key.clone() {
        heads = heads.with_previous_key(previous)?;
        tracing::info!(
            retiring_verifier_key = ?heads.previous_verifier_key(),
            "key rotation: every note is signed by the current and the retiring key"
        );
    }
    let heads = Arc::new(heads);
    {
        let (heads, store) = (Arc::clone(&heads), ledger.store().clone());
        match tokio::task::spawn_blocking(move || heads.load(&store)).await {
            Ok(Ok(())) => {}
            // The head is then signed afresh when asked for.
            Ok(Err(error)) => tracing::warn!(%error, "cannot load the last signed tree head"),
            Err(error) => tracing::warn!(%error, "loading the last signed tree head failed"),
        }
    }
    if let Some(interval) = config.verification_interval {
        ledger.start_verification(interval);
    }
    let closing = Arc::new(ClosingStatements::new(ledger.clone(), Arc::clone(&heads)));
    let (health, health_service) = tonic_health::server::health_reporter();
    // A read-only ledger (damaged log) or a stopped writer answers queries but takes no
    // postings; the posting service's health follows it from now on.
    super::health::set_posting_health(&health, &ledger.status()).await;
    health.set_serving::<QueryServiceServer<QueryApi>>().await;
    health.set_serving::<AuditServiceServer<AuditApi>>().await;
    // Both reflection versions: grpcurl 1.8, evans, grpcui, Postman and Python's
    // grpcio-reflection client still ask `v1alpha`; newer clients ask `v1`.
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
    };
    let reflection_v1alpha = reflection().build_v1alpha()?;
    let reflection = reflection().build_v1()?;
    let posting = PostingServiceServer::new(PostingApi::new(ledger.clone()))
        .max_decoding_message_size(REQUEST_BYTES_MAX);
    let query = QueryServiceServer::new(QueryApi::new(ledger.clone()))
        .max_decoding_message_size(REQUEST_BYTES_MAX);
    let (stopping, stop_signal) = watch::channel(false);
    let stopping = Arc::new(stopping);
    let shutdown = {
        let stopping = Arc::clone(&stopping);
        async move {
            shutdown.await;
            // Live subscriptions end now; the graceful shutdown would wait for them forever.
            let _ = stopping.send(true);
        }
    };
    tokio::spawn(Arc::clone(&closing).run(stop_signal.clone()));
    tokio::spawn(super::health::follow_ledger(
        health.clone(),
        ledger.watch_status(),
        stop_signal.clone(),
    ));
    let (ledger_for_http, stop_signal_for_http) = (ledger.clone(), stop_signal.clone());
    let tlog_for_http = config
        .tlog_on_http
        .then(|| TlogState::new(ledger.store().clone(), Arc::clone(&heads)));
    if !config.witnesses.is_empty() {
        tokio::spawn(crate::tlog::push::run(
            ledger.store().clone(),
            Arc::clone(&heads),
            config.witnesses.clone(),
            config.witness_push_interval,
            stop_signal.clone(),
        ));
    }
    let tlog = config.tlog.clone().map(|listener| {
        let state = TlogState::new(ledger.store().clone(), Arc::clone(&heads));
        let mut stop = stop_signal.clone();
        tokio::spawn(async move {
            let stopped = async move {
                let _ = stop.wait_for(|stopping| *stopping).await;
            };
            if let Err(error) = listener.serve(state, stopped).await {
                tracing::error!(%error, "the tlog-tiles listener stopped");
            }
        })
    });
    let query_metrics = std::sync::Arc::clone(ledger.metrics());
    let audit = AuditServiceServer::new(AuditApi::with_shutdown(
        ledger,
        config.subscriptions_max,
        stop_signal,
        heads,
        closing,
    ))
    .max_decoding_message_size(REQUEST_BYTES_MAX);
    let mut builder = Server::builder().max_concurrent_streams(CONNECTION_STREAMS_MAX);
    if let Some(tls) = &config.tls {
        builder = builder.tls_config(tls.server_config())?;
    }
    // The HTTP listener calls these same services in-process, behind its own guard.
    let http = match http {
        Some(http) => {
            let services = tonic::service::Routes::new(posting.clone())
                .add_service(query.clone())
                .add_service(audit.clone());
            Some(start_http(
                http,
                ledger_for_http,
                services,
                &config,
                stop_signal_for_http,
                tlog_for_http,
            )?)
        }
        None => None,
    };
    let served = builder
        .layer(GuardLayer::new(config.authentication))
        .layer(super::query_metrics::QueryMetricsLayer::new(query_metrics))
        .add_service(health_service)
        .add_service(reflection)
        .add_service(reflection_v1alpha)
        .add_service(posting)
        .add_service(query)
        .add_service(audit)
        // Tonic applies its own `tcp_nodelay` only to listeners it binds itself. Without it,
        // Nagle's algorithm holds each small HTTP/2 frame back until the previous one is
        // acknowledged, which put milliseconds on every answer.
        .serve_with_incoming_shutdown(
            TcpIncoming::from(listener).with_nodelay(Some(true)),
            shutdown,
        )
        .await
        .map_err(ServeError::from);
    // The HTTP listener stops with the gRPC one, whichever way that ended.
    let _ = stopping.send(true);
    if let Some(http) = http {
        if let Err(error) = http.await {
            tracing::warn!(%error, "the HTTP listener's task failed");
        }
    }
    if let Some(tlog) = tlog {
        // Tile reads in flight finish before the writer stops.
        let _ = tlog.await;
    }
    served
}

/// Starts the HTTP listener over `services` (see [`crate::http`]), admitted as `config`
/// says; it serves until `stop` turns true.
fn start_http(
    listener: TcpListener,
    ledger: Ledger,
    services: tonic::service::Routes,
    config: &ServerConfig,
    stop: watch::Receiver<bool>,
    tlog: Option<TlogState>,
) -> Result<tokio::task::JoinHandle<()>, ServeError> {
    let listening = crate::http::listen(
        listener,
        ledger,
        services,
        config.authentication.clone(),
        config.tls.as_ref(),
        stop,
        tlog,
    )?;
    Ok(tokio::spawn(listening))
}
