//! Reading a log's events from its C2SP tlog-tiles entry bundles over HTTP, for the
//! witness's rule check. The bytes are not trusted as fetched: the rule check recomputes
//! the tree from them and refuses a head whose root they do not give.

use axum::body::Bytes;
use http::{StatusCode, Uri};
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::audit::tiles::{self, TileKind, TilePath, TILE_WIDTH};
use crate::limits::{TLOG_BUNDLE_BYTES_MAX, WITNESS_REQUEST_TIMEOUT};
use crate::verifiable::witness::RuleChecker;

/// Fetches entry bundles from one log's tlog-tiles prefix.
#[derive(Debug, Clone)]
pub struct EntryReader {
    prefix: String,
    client: Client<HttpConnector, Empty<Bytes>>,
}

impl EntryReader {
    /// A reader of the log whose tlog-tiles URL prefix is `prefix` (`http://...`).
    pub fn new(prefix: &str) -> Result<EntryReader, String> {
        let prefix = prefix.trim_end_matches('/').to_string();
        let uri: Uri = prefix
            .parse()
            .map_err(|error| format!("{prefix} is not a URL: {error}"))?;
        if uri.scheme_str() != Some("http") || uri.authority().is_none() {
            return Err(format!("{prefix} is not an http:// URL"));
        }
        Ok(EntryReader {
            prefix,
            client: Client::builder(TokioExecutor::new()).build_http(),
        })
    }

    /// Folds the entries after the checker's size up to `size` into it, one bundle at a
    /// time (a partial bundle on the right edge).
    pub async fn fold(&self, checker: &mut RuleChecker, size: u64) -> Result<(), String> {
        while checker.size() < size {
            let next = checker.size();
            let index = next / TILE_WIDTH;
            let width = (size - index * TILE_WIDTH).min(TILE_WIDTH);
            let bundle = self
                .fetch(TilePath {
                    kind: TileKind::Entries,
                    index,
                    width,
                })
                .await?;
            let entries = tiles::parse_entry_bundle(&bundle)
                .filter(|entries| entries.len() as u64 == width)
                .ok_or_else(|| format!("entry bundle {index} is not {width} entries"))?;
            let skip = (next - index * TILE_WIDTH) as usize;
            checker.fold(entries.into_iter().skip(skip));
            if checker.size() != index * TILE_WIDTH + width {
                // The checker stopped at a broken event; its finish names it.
                return Ok(());
            }
        }
        Ok(())
    }

    async fn fetch(&self, tile: TilePath) -> Result<Vec<u8>, String> {
        let url = format!("{}/{}", self.prefix, tile.to_path());
        let uri: Uri = url.parse().map_err(|error| format!("{url}: {error}"))?;
        let exchange = async {
            let response = self
                .client
                .get(uri)
                .await
                .map_err(|error| format!("GET {url}: {error}"))?;
            let status = response.status();
            let bytes = Limited::new(response.into_body(), TLOG_BUNDLE_BYTES_MAX)
                .collect()
                .await
                .map_err(|error| format!("reading {url}: {error}"))?
                .to_bytes();
            if status != StatusCode::OK {
                return Err(format!("GET {url}: {status}"));
            }
            Ok(bytes.to_vec())
        };
        tokio::time::timeout(WITNESS_REQUEST_TIMEOUT, exchange)
            .await
            .map_err(|_| format!("GET {url}: no answer within {WITNESS_REQUEST_TIMEOUT:?}"))?
    }
}
