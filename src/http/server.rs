//! The HTTP listener: accepts connections (over TLS with the gRPC listener's certificate
//! and, with a client CA, the same mutual TLS), serves HTTP/1.1 and HTTP/2 on each, and
//! stops gracefully: on shutdown it takes no new connection, lets requests in flight
//! finish for up to `HTTP_SHUTDOWN_SECONDS_MAX`, then drops the rest.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use crate::api::auth::PeerCertificates;
use crate::api::tls::TlsSettings;
use crate::limits::{
    HTTP_CONNECTIONS_MAX, HTTP_HEADER_READ_SECONDS_MAX, HTTP_SHUTDOWN_SECONDS_MAX,
};

/// Why the HTTP listener could not start.
#[derive(Debug, thiserror::Error)]
pub enum HttpServeError {
    /// The TLS material did not make a TLS configuration.
    #[error("HTTP listener TLS: {0}")]
    Tls(String),
    /// The descriptors built into the binary do not decode (a build defect).
    #[error("HTTP listener: the API descriptors do not decode: {0}")]
    Descriptors(#[from] prost_reflect::DescriptorError),
}

/// The TLS acceptor for `settings`: the same certificate, key and client CA as gRPC,
/// offering HTTP/2 and HTTP/1.1.
pub fn tls_acceptor(settings: &TlsSettings) -> Result<TlsAcceptor, HttpServeError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let tls = |error: &dyn std::fmt::Display| HttpServeError::Tls(error.to_string());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let certificates = CertificateDer::pem_slice_iter(&settings.certificate_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| tls(&error))?;
    let key = PrivateKeyDer::from_pem_slice(&settings.key_pem).map_err(|error| tls(&error))?;
    let builder = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|error| tls(&error))?;
    let builder = match &settings.client_ca_pem {
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            for certificate in CertificateDer::pem_slice_iter(ca) {
                roots
                    .add(certificate.map_err(|error| tls(&error))?)
                    .map_err(|error| tls(&error))?;
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()
            .map_err(|error| tls(&error))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder
        .with_single_cert(certificates, key)
        .map_err(|error| tls(&error))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Serves `app` on `listener` until `stop` turns true, then shuts down gracefully.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    tls: Option<TlsAcceptor>,
    mut stop: watch::Receiver<bool>,
) {
    let graceful = GracefulShutdown::new();
    let connections = Arc::new(Semaphore::new(HTTP_CONNECTIONS_MAX));
    loop {
        // Past the connection limit, wait for a connection to end before accepting.
        let permit = tokio::select! {
            _ = stop.wait_for(|stopping| *stopping) => break,
            permit = Arc::clone(&connections).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let accepted = tokio::select! {
            _ = stop.wait_for(|stopping| *stopping) => break,
            accepted = listener.accept() => accepted.map(|(stream, _)| (stream, permit)),
        };
        match accepted {
            Ok((stream, permit)) => {
                let (app, tls, watcher) = (app.clone(), tls.clone(), graceful.watcher());
                tokio::spawn(async move {
                    accept(stream, app, tls, watcher).await;
                    drop(permit);
                });
            }
            // A failed accept (too many open files, a reset) concerns one connection.
            Err(error) => {
                tracing::warn!(%error, "HTTP accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    drop(listener);
    let deadline = Duration::from_secs(HTTP_SHUTDOWN_SECONDS_MAX);
    if tokio::time::timeout(deadline, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("HTTP requests still in flight at shutdown were dropped");
    }
}

/// One connection: the TLS handshake (bounded in time), then HTTP.
async fn accept(stream: TcpStream, app: Router, tls: Option<TlsAcceptor>, watcher: Watcher) {
    let _ = stream.set_nodelay(true);
    let Some(acceptor) = tls else {
        return serve_connection(stream, app, None, watcher).await;
    };
    let handshake = Duration::from_secs(HTTP_HEADER_READ_SECONDS_MAX);
    let stream = match tokio::time::timeout(handshake, acceptor.accept(stream)).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(error)) => return tracing::debug!(%error, "HTTP TLS handshake failed"),
        Err(_) => return tracing::debug!("HTTP TLS handshake timed out"),
    };
    let certificates =
        stream.get_ref().1.peer_certificates().map(|chain| {
            PeerCertificates(Arc::new(chain.iter().map(|der| der.to_vec()).collect()))
        });
    serve_connection(stream, app, certificates, watcher).await;
}

/// HTTP/1.1 or HTTP/2 on one connection; each request carries the connection's client
/// certificates for the guard. A connection that has sent no request within
/// `HTTP_HEADER_READ_SECONDS_MAX` is dropped: hyper's header timeout starts only once it
/// knows the protocol, and a client that never sends a byte would otherwise hold its
/// connection (and one of `HTTP_CONNECTIONS_MAX`) for ever.
async fn serve_connection<I>(
    io: I,
    app: Router,
    certificates: Option<PeerCertificates>,
    watcher: Watcher,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let requested = Arc::new(AtomicBool::new(false));
    let seen = Arc::clone(&requested);
    let service = tower::service_fn(move |mut request: http::Request<Incoming>| {
        seen.store(true, Ordering::Relaxed);
        if let Some(certificates) = &certificates {
            request.extensions_mut().insert(certificates.clone());
        }
        app.clone().oneshot(request)
    });
    let header_read = Duration::from_secs(HTTP_HEADER_READ_SECONDS_MAX);
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_read);
    let connection =
        builder.serve_connection_with_upgrades(TokioIo::new(io), TowerToHyperService::new(service));
    let connection = watcher.watch(connection.into_owned());
    tokio::pin!(connection);
    let result = tokio::select! {
        result = &mut connection => result,
        () = tokio::time::sleep(header_read) => {
            if !requested.load(Ordering::Relaxed) {
                return tracing::debug!("HTTP connection sent no request in time; dropped");
            }
            connection.await
        }
    };
    if let Err(error) = result {
        tracing::debug!(%error, "HTTP connection ended with an error");
    }
}
