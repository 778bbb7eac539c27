//! The witness as a C2SP tlog-witness server (`matchledger witness-serve`): it answers
//! `POST /add-checkpoint` for one log, cosigning a checkpoint only if the log signed it,
//! the `old` size is the one it last cosigned (409 with its size otherwise) and the
//! consistency proof from there holds (422 otherwise): so it cosigns a log that grows and
//! never one that rolled back or forked. With `--check-rules` it also reads the new events
//! from the log's tlog-tiles entry bundles, replays them through the ledger's own rules
//! (`verifiable::witness::RuleChecker`, which checks they give the signed root) and refuses
//! (422) a head whose events break them.
//!
//! The last cosigned checkpoint (and the rule state) are written and fsynced before the
//! cosignature is answered, so a restarted witness never cosigns a conflicting head.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use tokio::sync::Mutex;

use super::entries::EntryReader;
use crate::api::tree_heads::now_seconds;
use crate::audit::witness_protocol::{self, AddCheckpoint, SIZE_CONTENT_TYPE};
use crate::audit::{self, Checkpoint, SignedNote, SigningKey, VerifierKey};
use crate::verifiable::witness::RuleChecker;

/// How the witness is set up.
#[derive(Debug, Clone)]
pub struct WitnessConfig {
    /// The log's verifier key, obtained out of band; its name is the log's origin.
    pub log_key: String,
    /// The witness's own signing key.
    pub key: SigningKey,
    /// The file keeping the last checkpoint cosigned (the log's signed note).
    pub state: PathBuf,
    /// With `--check-rules`: the log's tlog-tiles URL prefix, to read the events from.
    pub log_tiles: Option<String>,
}

/// Why a checkpoint was not cosigned, as the spec's HTTP statuses.
#[derive(Debug, PartialEq, Eq)]
enum Refusal {
    /// 400: not the spec's request, or a checkpoint older than `old`.
    Malformed(String),
    /// 403: not signed by the log's key.
    Unsigned(String),
    /// 404: a log this witness does not witness.
    UnknownLog(String),
    /// 409: `old` is not the size the witness holds.
    Conflict(u64),
    /// 422: the consistency proof fails, or the events break the rules.
    Unprovable(String),
    /// 500/503: the witness could not check or keep the head.
    Failed(String),
}

/// What the witness holds: the head it last cosigned and the rule state folded to it.
#[derive(Debug)]
struct Held {
    trusted: Option<Checkpoint>,
    rules: Option<RuleChecker>,
}

/// One witness of one log.
#[derive(Debug)]
pub struct WitnessServer {
    config: WitnessConfig,
    origin: String,
    entries: Option<EntryReader>,
    /// One request at a time: each moves the trusted head.
    held: Mutex<Held>,
}

impl WitnessServer {
    /// Opens the witness: the state file (if any) must be a checkpoint the log signed;
    /// a rule state saved beside it is resumed when it is at that head.
    pub fn open(config: WitnessConfig) -> Result<WitnessServer, String> {
        let origin = VerifierKey::parse(&config.log_key)
            .map_err(|error| format!("the log key: {error}"))?
            .name()
            .to_string();
        let trusted = match std::fs::read_to_string(&config.state) {
            Ok(note) => Some(audit::verify_checkpoint(&note, &config.log_key).map_err(
                |error| {
                    format!(
                        "{} is not a head the log signed: {error}",
                        config.state.display()
                    )
                },
            )?),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
            Err(error) => return Err(format!("reading {}: {error}", config.state.display())),
        };
        let entries = config
            .log_tiles
            .as_deref()
            .map(EntryReader::new)
            .transpose()?;
        let rules = match (&entries, &trusted) {
            (Some(_), Some(trusted)) => std::fs::read(rules_path(&config.state))
                .ok()
                .and_then(|bytes| RuleChecker::resume(&bytes, trusted).ok()),
            _ => None,
        };
        Ok(WitnessServer {
            config,
            origin,
            entries,
            held: Mutex::new(Held { trusted, rules }),
        })
    }

    /// The witness's cosignature verifier key, for the log's `--witness-keys`.
    pub fn cosignature_verifier_key(&self) -> String {
        self.config.key.cosignature_verifier_key()
    }

    /// Checks one `add-checkpoint` body and returns the cosignature line.
    async fn add(&self, body: &str) -> Result<String, Refusal> {
        let request = AddCheckpoint::parse(body).map_err(|e| Refusal::Malformed(e.to_string()))?;
        let text = SignedNote::parse(&request.note)
            .map_err(|e| Refusal::Malformed(e.to_string()))?
            .text;
        let claimed =
            Checkpoint::parse_body(&text).map_err(|e| Refusal::Malformed(e.to_string()))?;
        if claimed.origin != self.origin {
            return Err(Refusal::UnknownLog(claimed.origin));
        }
        let checkpoint = audit::verify_checkpoint(&request.note, &self.config.log_key)
            .map_err(|e| Refusal::Unsigned(e.to_string()))?;
        let mut held = self.held.lock().await;
        let (size, root) = held
            .trusted
            .as_ref()
            .map_or((0, audit::empty_root()), |trusted| {
                (trusted.size, trusted.root)
            });
        if request.old_size != size {
            return Err(Refusal::Conflict(size));
        }
        if checkpoint.size < size {
            return Err(Refusal::Malformed(format!(
                "the checkpoint's size {} is below old {size}",
                checkpoint.size
            )));
        }
        audit::verify_consistency(
            size,
            checkpoint.size,
            &root,
            &checkpoint.root,
            &request.proof,
        )
        .map_err(|e| Refusal::Unprovable(format!("consistency from {size}: {e}")))?;
        if let Some(entries) = &self.entries {
            let checker = held.rules.take().filter(|rules| rules.size() == size);
            held.rules = Some(check_rules(entries, checker, &checkpoint).await?);
        }
        let line = audit::cosign(&checkpoint, &self.config.key, now_seconds())
            .map_err(|e| Refusal::Failed(e.to_string()))?;
        self.keep(&held, &request.note).await?;
        held.trusted = Some(checkpoint);
        Ok(line)
    }

    /// Writes the rule state, then the new trusted head, each fsynced, before answering.
    async fn keep(&self, held: &Held, note: &str) -> Result<(), Refusal> {
        let rules = match &held.rules {
            Some(rules) => Some(rules.to_bytes().map_err(Refusal::Failed)?),
            None => None,
        };
        let (state, note) = (self.config.state.clone(), note.to_string());
        let written = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            if let Some(bytes) = rules {
                write_durably(&rules_path(&state), &bytes)?;
            }
            write_durably(&state, note.as_bytes())
        })
        .await;
        match written {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(Refusal::Failed(format!("keeping the head: {error}"))),
            Err(error) => Err(Refusal::Failed(error.to_string())),
        }
    }
}

/// Folds the events after the checker's size up to `checkpoint` (a fresh replay when
/// there is no checker at the trusted head) and refuses a head whose events break a rule
/// or do not give its root.
async fn check_rules(
    entries: &EntryReader,
    checker: Option<RuleChecker>,
    checkpoint: &Checkpoint,
) -> Result<RuleChecker, Refusal> {
    let mut checker = checker.unwrap_or_default();
    entries
        .fold(&mut checker, checkpoint.size)
        .await
        .map_err(|error| Refusal::Failed(format!("reading the log's entries: {error}")))?;
    checker.finish(checkpoint).map_err(|problems| {
        Refusal::Unprovable(format!("rules broken: {}", problems.join("; ")))
    })?;
    Ok(checker)
}

/// The file the rule state is kept in, beside the state file.
pub fn rules_path(state: &Path) -> PathBuf {
    state.with_extension("rules")
}

/// Writes through a temporary file, fsyncs it, renames it over `path` and fsyncs the
/// directory: after a crash the old file or the new one is there, whole.
fn write_durably(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let temporary = path.with_extension("tmp");
    let mut file = std::fs::File::create(&temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&temporary, path)?;
    let directory = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty());
    std::fs::File::open(directory.unwrap_or(Path::new(".")))?.sync_all()
}

/// Serves [`router`] on `listener` until `shutdown` resolves.
pub async fn run(
    listener: tokio::net::TcpListener,
    server: Arc<WitnessServer>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(server))
        .with_graceful_shutdown(shutdown)
        .await
}

/// The witness's routes: `POST /add-checkpoint`.
pub fn router(server: Arc<WitnessServer>) -> Router {
    Router::new()
        .route("/add-checkpoint", post(add_checkpoint))
        .with_state(server)
}

async fn add_checkpoint(State(server): State<Arc<WitnessServer>>, body: String) -> Response {
    let (status, content_type, text) = match server.add(&body).await {
        Ok(line) => (StatusCode::OK, "text/plain; charset=utf-8", line),
        Err(refusal) => refused(refusal),
    };
    (status, [(header::CONTENT_TYPE, content_type)], text).into_response()
}

/// The status, content type and body the spec gives each refusal.
fn refused(refusal: Refusal) -> (StatusCode, &'static str, String) {
    let (status, message) = match refusal {
        Refusal::Conflict(size) => {
            return (
                StatusCode::CONFLICT,
                SIZE_CONTENT_TYPE,
                witness_protocol::size_body(size),
            )
        }
        Refusal::Malformed(message) => (StatusCode::BAD_REQUEST, message),
        Refusal::Unsigned(message) => (StatusCode::FORBIDDEN, message),
        Refusal::UnknownLog(origin) => (
            StatusCode::NOT_FOUND,
            format!("this witness does not witness {origin}"),
        ),
        Refusal::Unprovable(message) => (StatusCode::UNPROCESSABLE_ENTITY, message),
        Refusal::Failed(message) => {
            tracing::error!(error = %message, "the witness could not check or keep a head");
            (StatusCode::SERVICE_UNAVAILABLE, message)
        }
    };
    tracing::info!(%status, %message, "checkpoint not cosigned");
    (status, "text/plain; charset=utf-8", format!("{message}\n"))
}
