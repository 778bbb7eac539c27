//! The read-only web console: static pages, scripts and styles embedded in the binary,
//! served under `/` and `/console/`. The pages hold no data: their scripts call the JSON
//! API (`POST /matchledger.v1.<Service>/<Method>`) with the caller's own token, so the
//! console can show nothing the caller's roles may not read, and checks signatures and
//! proofs in the browser with WebCrypto (`assets/js/verify.js`).
//!
//! Every asset is compiled in with `include_bytes!`: the console needs no file beside the
//! binary and no external network. The script and style policy allows only this origin.

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

/// One embedded file.
struct Asset {
    /// Its path under `/console/`.
    path: &'static str,
    /// Its media type.
    content_type: &'static str,
    /// Its bytes.
    body: &'static [u8],
}

const HTML: &str = "text/html; charset=utf-8";
const SCRIPT: &str = "text/javascript; charset=utf-8";
const STYLE: &str = "text/css; charset=utf-8";
const SVG: &str = "image/svg+xml";

macro_rules! asset {
    ($path:literal, $content_type:expr) => {
        Asset {
            path: $path,
            content_type: $content_type,
            body: include_bytes!(concat!("assets/", $path)),
        }
    };
}

/// Every file of `assets/`; a test checks that none is missing.
const ASSETS: &[Asset] = &[
    asset!("index.html", HTML),
    asset!("style.css", STYLE),
    asset!("icon.svg", SVG),
    asset!("js/app.js", SCRIPT),
    asset!("js/api.js", SCRIPT),
    asset!("js/charts.js", SCRIPT),
    asset!("js/decimal.js", SCRIPT),
    asset!("js/downloads.js", SCRIPT),
    asset!("js/dom.js", SCRIPT),
    asset!("js/events.js", SCRIPT),
    asset!("js/i18n.js", SCRIPT),
    asset!("js/merkle.js", SCRIPT),
    asset!("js/note.js", SCRIPT),
    asset!("js/protowire.js", SCRIPT),
    asset!("js/verify.js", SCRIPT),
    asset!("js/views/contribution.js", SCRIPT),
    asset!("js/views/downloads.js", SCRIPT),
    asset!("js/views/feed.js", SCRIPT),
    asset!("js/views/overview.js", SCRIPT),
    asset!("js/views/phase.js", SCRIPT),
    asset!("js/views/search.js", SCRIPT),
    asset!("js/views/sme.js", SCRIPT),
    asset!("js/views/trust.js", SCRIPT),
];

/// What the browser may load and where it may connect: this origin only. Inline scripts
/// are refused, so text from the ledger can never run as code; `data:` images are the
/// charts' and downloads' own.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
     base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// The console's routes: `/` (the page) and `/console/{path}` (its assets). Merge it into
/// the router that serves the JSON API, so that the pages' calls reach the same origin.
pub fn router() -> Router {
    Router::new()
        .route("/", get(index))
        .route("/console/", get(index))
        .route("/console/{*path}", get(asset))
}

async fn index() -> Response {
    serve("index.html")
}

async fn asset(Path(path): Path<String>) -> Response {
    serve(&path)
}

fn serve(path: &str) -> Response {
    let Some(asset) = ASSETS.iter().find(|asset| asset.path == path) else {
        return (StatusCode::NOT_FOUND, "no such console file\n").into_response();
    };
    let mut response = asset.body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    // The assets change only with the binary; `no-cache` makes the browser revalidate,
    // so an upgraded server never runs old scripts against a new API.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

#[cfg(test)]
mod tests;
