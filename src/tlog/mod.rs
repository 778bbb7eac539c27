//! The log as C2SP tlog-tiles over HTTP (c2sp.org/tlog-tiles): `checkpoint`, the current
//! signed tree head with every cosignature held for it, `tile/<L>/<N>[.p/<W>]` hash tiles
//! and `tile/entries/<N>[.p/<W>]` entry bundles, each an immutable static path from which
//! a client that knows only the spec and the verifier key computes every root and proof.
//!
//! [`router`] answers at the root of wherever it is mounted; the server mounts it under
//! [`PREFIX`] (`/tlog`), so the log's tlog-tiles URL prefix is `http://HOST:PORT/tlog`.
//! The tile layout is pure (`audit::tiles`); this module reads tiles from the store
//! ([`tiles`]) and speaks HTTP.
//!
//! Everything here is public by design: an entry bundle holds the exact stored bytes of
//! its events. A listener of its own ([`TlogListener`]) on a non-loopback address is
//! therefore refused unless the operator declares the log public ([`check_address`]).

pub mod entries;
pub mod push;
pub mod tiles;
pub mod witness_server;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tokio::sync::Semaphore;

use crate::api::tree_heads::TreeHeads;
use crate::audit::tiles::{TileError, TilePath};
use crate::limits::{TLOG_PARTIAL_TILE_MAX_AGE_SECONDS, TLOG_TILE_READS_MAX};
use crate::store::Store;
use tiles::TileReadError;

/// Where the server mounts [`router`].
pub const PREFIX: &str = "/tlog";

/// How long a full tile or entry bundle may be cached: forever, as the spec asks (its
/// bytes can never change while the log is append-only).
const FULL_TILE_CACHE: &str = "public, max-age=31536000, immutable";

/// The checkpoint changes whenever the log grows or a witness cosigns: never cached.
const CHECKPOINT_CACHE: &str = "no-store";

/// What the handlers read: the log, its signer and the bound on concurrent tile reads.
#[derive(Debug, Clone)]
pub struct TlogState {
    store: Store,
    heads: Arc<TreeHeads>,
    reads: Arc<Semaphore>,
}

impl TlogState {
    /// Serves the tree of `store` (a ledger's, [`crate::ledger::Ledger::store`]), with
    /// checkpoints signed (once per size) by `heads`, the same signer the gRPC audit
    /// service uses.
    pub fn new(store: Store, heads: Arc<TreeHeads>) -> TlogState {
        TlogState {
            store,
            heads,
            reads: Arc::new(Semaphore::new(TLOG_TILE_READS_MAX)),
        }
    }
}

/// The tlog-tiles routes, at the root: `GET /checkpoint`, `GET /tile/...` (and `HEAD`).
/// Mount it with `Router::nest(PREFIX, router(state))`.
pub fn router(state: TlogState) -> Router {
    Router::new()
        .route("/checkpoint", get(checkpoint))
        .route("/tile/{*path}", get(tile))
        .with_state(state)
}

/// The current signed head as a signed note: the log's signature, then the witnesses'.
async fn checkpoint(State(state): State<TlogState>) -> Response {
    let store = state.store.clone();
    let heads = Arc::clone(&state.heads);
    // Signing a new size keeps the head durably (an fsync): off the async threads.
    let signed = tokio::task::spawn_blocking(move || heads.latest(&store)).await;
    let note = match signed {
        Ok(Ok(head)) => head.full_note().map_err(|error| error.to_string()),
        Ok(Err(error)) => Err(error.to_string()),
        Err(error) => Err(error.to_string()),
    };
    match note {
        Ok(note) => (
            [
                (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
                (header::CACHE_CONTROL, CHECKPOINT_CACHE),
            ],
            note,
        )
            .into_response(),
        Err(error) => {
            tracing::error!(%error, "tlog checkpoint unavailable");
            plain(
                StatusCode::SERVICE_UNAVAILABLE,
                "no checkpoint can be signed now\n",
            )
        }
    }
}

/// One hash tile or entry bundle.
async fn tile(State(state): State<TlogState>, uri: Uri) -> Response {
    let Some(path) = uri.path().strip_prefix("/tile/") else {
        return plain(StatusCode::NOT_FOUND, "not a tile path\n");
    };
    let tile = match TilePath::parse(path) {
        Ok(tile) => tile,
        Err(error) => return plain(StatusCode::NOT_FOUND, &format!("{error}\n")),
    };
    // The semaphore is never closed, so acquiring fails only if it were.
    let Ok(_permit) = state.reads.acquire().await else {
        return plain(StatusCode::SERVICE_UNAVAILABLE, "shutting down\n");
    };
    let store = state.store.clone();
    let read = tokio::task::spawn_blocking(move || tiles::read_tile(&store, &tile)).await;
    match read {
        Ok(Ok(bytes)) => {
            let cache = if tile.is_full() {
                FULL_TILE_CACHE.to_string()
            } else {
                format!("public, max-age={TLOG_PARTIAL_TILE_MAX_AGE_SECONDS}")
            };
            (
                [
                    (header::CONTENT_TYPE, "application/octet-stream".to_string()),
                    (header::CACHE_CONTROL, cache),
                ],
                bytes,
            )
                .into_response()
        }
        Ok(Err(TileReadError::Tile(error @ TileError::BeyondTree { .. }))) => {
            plain(StatusCode::NOT_FOUND, &format!("{error}\n"))
        }
        Ok(Err(error)) => {
            tracing::error!(%error, path = %tile.to_path(), "tlog tile unreadable");
            plain(StatusCode::INTERNAL_SERVER_ERROR, &format!("{error}\n"))
        }
        Err(error) => {
            tracing::error!(%error, "tlog tile read failed");
            plain(StatusCode::INTERNAL_SERVER_ERROR, "the tile read failed\n")
        }
    }
}

/// A short plain-text answer that no cache keeps (a missing tile may exist soon).
fn plain(status: StatusCode, message: &str) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        message.to_string(),
    )
        .into_response()
}

/// A listening socket for the tlog-tiles face on its own address (`serve --tlog-listen`),
/// bound before the server starts so that its port is known (tests bind port 0).
#[derive(Debug, Clone)]
pub struct TlogListener {
    socket: Arc<std::net::TcpListener>,
    /// The operator declared the log's contents public: a non-loopback address is allowed.
    public: bool,
}

impl TlogListener {
    /// Binds `address`. `public` must be true for a non-loopback address
    /// ([`check_address`], checked again when the server starts).
    pub fn bind(address: SocketAddr, public: bool) -> std::io::Result<TlogListener> {
        let socket = std::net::TcpListener::bind(address)?;
        socket.set_nonblocking(true)?;
        Ok(TlogListener {
            socket: Arc::new(socket),
            public,
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    /// Refuses a non-loopback address unless the log was declared public.
    pub fn check(&self) -> Result<(), String> {
        let address = self.local_addr().map_err(|error| error.to_string())?;
        check_address(address, self.public)
    }

    /// Serves [`router`] under [`PREFIX`] until `shutdown` resolves.
    pub async fn serve(
        &self,
        state: TlogState,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let listener = tokio::net::TcpListener::from_std(self.socket.try_clone()?)?;
        tracing::info!(address = %listener.local_addr()?, prefix = PREFIX, "serving the log as tlog-tiles");
        let app = Router::new().nest(PREFIX, router(state));
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
    }
}

/// Everything the tlog-tiles face serves is readable by anyone who reaches it, entry
/// bundles included (every event's stored bytes, unauthenticated). Off loopback that must
/// be the operator's stated choice (`--tlog-public`).
pub fn check_address(address: SocketAddr, public: bool) -> Result<(), String> {
    if address.ip().is_loopback() || public {
        return Ok(());
    }
    Err(format!(
        "{address} is not a loopback address: the tlog-tiles face serves every event to anyone \
         without authentication; pass --tlog-public if the log is meant to be public"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tlog_listener_off_loopback_is_refused_unless_the_log_is_declared_public() {
        let outside = SocketAddr::from(([192, 0, 2, 10], 8080));
        let loopback = SocketAddr::from(([127, 0, 0, 1], 8080));
        assert!(check_address(outside, false)
            .unwrap_err()
            .contains("--tlog-public"));
        assert_eq!(check_address(outside, true), Ok(()));
        assert_eq!(check_address(loopback, false), Ok(()));
    }
}
