//! A server without authentication serves only loopback callers, and over HTTP that is not
//! enough: a web page the operator opens elsewhere can make a name of its own resolve to
//! 127.0.0.1 (DNS rebinding) and then call the ledger from the browser as a same-origin
//! page. So, without a principals file on a loopback listener, every request must be
//! addressed to a loopback name (`localhost`, `127.0.0.1`, `[::1]`, with any port); others
//! are refused with PERMISSION_DENIED (403) before anything runs.

use std::net::IpAddr;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::header::HOST;
use http::uri::Authority;
use tonic::Status;

use super::error::ConnectError;
use super::HttpState;

/// Passes requests addressed to a loopback name; refuses the rest.
pub async fn loopback_names_only(
    State(state): State<HttpState>,
    request: Request,
    next: Next,
) -> Response {
    let authority = request.uri().authority().cloned().or_else(|| {
        let host = request.headers().get(HOST)?.to_str().ok()?;
        host.parse::<Authority>().ok()
    });
    match authority {
        Some(authority) if is_loopback_name(authority.host()) => next.run(request).await,
        _ => {
            let status = Status::permission_denied(
                "this server runs without authentication and answers only requests addressed \
                 to localhost or a loopback address; give it a principals file to serve other \
                 names",
            );
            ConnectError::from_status(&status, &state.descriptors).into_response()
        }
    }
}

/// Whether a host (no port) is `localhost` or a loopback address.
fn is_loopback_name(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>()
        .is_ok_and(|address| address.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_names_pass() {
        for host in ["localhost", "LOCALHOST", "127.0.0.1", "127.1.2.3", "[::1]"] {
            assert!(is_loopback_name(host), "{host}");
        }
        for host in [
            "attacker.example",
            "localhost.attacker.example",
            "10.0.0.1",
            "[::2]",
            "",
        ] {
            assert!(!is_loopback_name(host), "{host}");
        }
    }
}
