//! The log as a C2SP tlog-witness client (`serve --witness URL`): whenever the tree has
//! grown, it signs the head (the same head every reader gets) and POSTs it to each
//! witness's `add-checkpoint` with the consistency proof from the size that witness last
//! cosigned. A 409 names the witness's size: the push is retried once from there (after a
//! restart the log believes every witness at 0 and learns its size this way). Cosignature
//! lines that come back are kept as `AddCosignature` keeps them (verified under
//! `--witness-keys`) and served with the head.
//!
//! A task of its own, polling every [`WITNESS_PUSH_INTERVAL`]: a posting never waits for
//! it, and a slow or failing witness only delays its own cosignature.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use http::{header, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::sync::watch;

use crate::api::tree_heads::{SignedHead, TreeHeads};
use crate::audit::witness_protocol::{self, AddCheckpoint, ADD_CHECKPOINT_PATH};
use crate::limits::{
    WITNESS_PUSH_ATTEMPTS_MAX, WITNESS_REQUEST_TIMEOUT, WITNESS_RESPONSE_BYTES_MAX,
};
use crate::store::Store;

/// A witness's URL prefix; the log POSTs to `<prefix>/add-checkpoint`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessUrl {
    add_checkpoint: Uri,
}

impl WitnessUrl {
    /// Reads a witness URL prefix: `http://host[:port][/path]`. TLS to witnesses is not
    /// built in: put a TLS proxy on loopback in front of an `https` witness.
    pub fn parse(prefix: &str) -> Result<WitnessUrl, String> {
        let prefix = prefix.trim_end_matches('/');
        let uri: Uri = format!("{prefix}/{ADD_CHECKPOINT_PATH}")
            .parse()
            .map_err(|error| format!("{prefix} is not a URL: {error}"))?;
        match uri.scheme_str() {
            Some("http") if uri.authority().is_some() => Ok(WitnessUrl {
                add_checkpoint: uri,
            }),
            Some("https") => Err(format!(
                "{prefix}: https witnesses are reached through a TLS proxy; give its http URL"
            )),
            _ => Err(format!("{prefix} is not an http:// URL")),
        }
    }

    /// The URL the log POSTs to.
    pub fn add_checkpoint(&self) -> &Uri {
        &self.add_checkpoint
    }
}

/// What one witness is believed to hold.
#[derive(Debug)]
struct Witness {
    url: WitnessUrl,
    /// The size the witness holds for this log, as far as the log knows (0 at start).
    size: u64,
    /// The largest size it cosigned for this log since start.
    cosigned: u64,
}

/// How a witness answered one `add-checkpoint`.
#[derive(Debug)]
enum Answer {
    /// 200: its cosignature lines.
    Cosigned(String),
    /// 409: it holds another size.
    Conflict(u64),
    /// Anything else: the status and what it said.
    Refused(StatusCode, String),
}

type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// Pushes the grown tree to every witness in `urls` every `interval` until `stop` turns
/// true.
pub async fn run(
    store: Store,
    heads: Arc<TreeHeads>,
    urls: Vec<WitnessUrl>,
    interval: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();
    let mut witnesses: Vec<Witness> = urls
        .into_iter()
        .map(|url| Witness {
            url,
            size: 0,
            cosigned: 0,
        })
        .collect();
    loop {
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            _ = stop.wait_for(|stopping| *stopping) => return,
        }
        let size = store.tree_size();
        if size == 0 || witnesses.iter().all(|witness| witness.cosigned >= size) {
            continue;
        }
        let head = {
            let (store, heads) = (store.clone(), Arc::clone(&heads));
            tokio::task::spawn_blocking(move || heads.latest(&store)).await
        };
        let head = match head {
            Ok(Ok(head)) => head,
            Ok(Err(error)) => {
                tracing::warn!(%error, "cannot sign a head to push to witnesses");
                continue;
            }
            Err(error) => {
                tracing::warn!(%error, "signing a head to push to witnesses failed");
                continue;
            }
        };
        for witness in witnesses
            .iter_mut()
            .filter(|witness| witness.cosigned < head.checkpoint.size)
        {
            push(&client, &store, &heads, witness, &head).await;
        }
    }
}

/// Pushes `head` to one witness, retrying once from the size a 409 names.
async fn push(
    client: &HttpClient,
    store: &Store,
    heads: &Arc<TreeHeads>,
    witness: &mut Witness,
    head: &SignedHead,
) {
    let url = witness.url.add_checkpoint().clone();
    let size = head.checkpoint.size;
    for _ in 0..WITNESS_PUSH_ATTEMPTS_MAX {
        if witness.size > size {
            tracing::error!(
                witness = %url, witness_size = witness.size, log_size = size,
                "the witness holds a larger tree of this log than the log has: the log was \
                 rolled back or forked, or the witness saw another log under this key"
            );
            return;
        }
        let proof = match crate::audit::consistency_proof(witness.size, size, store) {
            Ok(proof) => proof,
            Err(error) => {
                tracing::warn!(witness = %url, %error, "no consistency proof for the witness");
                return;
            }
        };
        let request = AddCheckpoint {
            old_size: witness.size,
            proof,
            note: head.note.clone(),
        };
        match post(client, &url, request.to_body()).await {
            Ok(Answer::Cosigned(body)) => {
                keep(store, heads, head, &url, &body).await;
                witness.size = size;
                witness.cosigned = size;
                return;
            }
            Ok(Answer::Conflict(held)) => {
                tracing::info!(witness = %url, witness_size = held, "witness holds another size; retrying from it");
                witness.size = held;
            }
            Ok(Answer::Refused(status, message)) => {
                tracing::warn!(witness = %url, %status, message = %message.trim_end(), "witness refused the head");
                return;
            }
            Err(error) => {
                tracing::warn!(witness = %url, %error, "witness unreachable; retrying at the next interval");
                return;
            }
        }
    }
}

/// Keeps the witness's cosignature lines for `head` (each verified under the server's
/// witness keys) before the next push.
async fn keep(store: &Store, heads: &Arc<TreeHeads>, head: &SignedHead, url: &Uri, body: &str) {
    let lines = match witness_protocol::parse_cosignature_lines(body) {
        Ok(lines) => lines,
        Err(error) => {
            tracing::warn!(witness = %url, %error, "the witness's answer is not signature lines");
            return;
        }
    };
    let (store, heads) = (store.clone(), Arc::clone(heads));
    let checkpoint = head.checkpoint.to_body();
    let url = url.to_string();
    let kept = tokio::task::spawn_blocking(move || {
        for line in lines {
            match heads.add_cosignature(&store, &checkpoint, &line) {
                Ok(count) => {
                    tracing::info!(witness = %url, cosignatures = count, "cosignature kept")
                }
                Err(error) => tracing::warn!(witness = %url, %error, "cosignature not kept"),
            }
        }
    })
    .await;
    if let Err(error) = kept {
        tracing::warn!(%error, "keeping a cosignature failed");
    }
}

/// POSTs one request and reads the answer, all within [`WITNESS_REQUEST_TIMEOUT`].
async fn post(client: &HttpClient, url: &Uri, body: String) -> Result<Answer, String> {
    let request = Request::post(url.clone())
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(Full::new(Bytes::from(body)))
        .map_err(|error| error.to_string())?;
    let exchange = async {
        let response = client
            .request(request)
            .await
            .map_err(|error| error.to_string())?;
        let status = response.status();
        let bytes = Limited::new(response.into_body(), WITNESS_RESPONSE_BYTES_MAX)
            .collect()
            .await
            .map_err(|error| format!("reading the answer: {error}"))?
            .to_bytes();
        Ok::<_, String>((status, String::from_utf8_lossy(&bytes).into_owned()))
    };
    let (status, text) = tokio::time::timeout(WITNESS_REQUEST_TIMEOUT, exchange)
        .await
        .map_err(|_| format!("no answer within {WITNESS_REQUEST_TIMEOUT:?}"))??;
    Ok(match status {
        StatusCode::OK => Answer::Cosigned(text),
        StatusCode::CONFLICT => match witness_protocol::parse_size_body(&text) {
            Some(size) => Answer::Conflict(size),
            None => Answer::Refused(status, format!("409 without a size: {text}")),
        },
        _ => Answer::Refused(status, text),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_witness_url_is_an_http_prefix_and_https_is_refused_with_the_way_around() {
        let url = WitnessUrl::parse("http://127.0.0.1:7380/witness/").expect("parses");
        assert_eq!(
            url.add_checkpoint().to_string(),
            "http://127.0.0.1:7380/witness/add-checkpoint"
        );
        assert!(WitnessUrl::parse("https://witness.example")
            .unwrap_err()
            .contains("TLS proxy"));
        assert!(WitnessUrl::parse("witness.example").is_err());
        assert!(WitnessUrl::parse("ftp://witness.example").is_err());
    }
}
