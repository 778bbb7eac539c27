//! The self-verifying export: `events.jsonl` (each event's decoded fields and exact
//! stored bytes), `balances.csv` (phase balances), `smes.csv` (SME balances per phase) and
//! `manifest.json` (the signed tree head, the event count, each file's SHA-256, and the
//! log's signature over all of them).
//!
//! [`ExportBuilder`] produces the files one event at a time; [`verify_export`] re-checks
//! a directory with no server: the manifest's exact form and signature, every file
//! digest, every event's bytes, hash and link, the Merkle root against the signed head,
//! the head's signature, and the balances recomputed from the events against both CSV
//! files.
//!
//! # Manifest signature (format v2 and later)
//!
//! `signed_manifest` is a signed note, by the log's key, whose text is the canonical
//! manifest ([`Manifest::canonical_text`]): one `key value` line each for the format,
//! the signed checkpoint (origin, size, root, timestamp), the event count, the head hash
//! and every file's digest. Changing a file together with its digest in `manifest.json`
//! therefore breaks the signature. Exports of format v1 have no such signature; they are
//! still verified (every file is recomputed from the signed events anyway), and the
//! summary says their digests are unsigned.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::csv_text::CsvText;
use crate::audit::{self, Frontier};
use crate::domain::RecordedEvent;
use crate::projection::{Projections, SmeOrder};
use crate::store::{self, StoreError, GENESIS_HASH};

/// The event file.
pub const EVENTS_FILE: &str = "events.jsonl";
/// The phase balances file.
pub const BALANCES_FILE: &str = "balances.csv";
/// The SME balances file.
pub const SMES_FILE: &str = "smes.csv";
/// The manifest.
pub const MANIFEST_FILE: &str = "manifest.json";
/// The format tag of exports this build writes. v3 differs from v2 only in the CSV files,
/// whose formula-like text is neutralised (`csv_text.rs`); `events.jsonl` is unchanged.
pub const EXPORT_FORMAT: &str = "matchledger-export/v3";
/// The format tag of signed exports whose CSV text is written plain; still verified.
pub const EXPORT_FORMAT_V2: &str = "matchledger-export/v2";
/// The format tag of exports written before manifests were signed; still verified.
pub const EXPORT_FORMAT_V1: &str = "matchledger-export/v1";
/// The first line of a canonical manifest text.
pub const MANIFEST_HEADER: &str = "matchledger export manifest v2";
/// SMEs read per page when listing them all.
const SME_PAGE: usize = 1000;

/// One line of `events.jsonl`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedEvent {
    /// Its sequence number.
    pub sequence: u64,
    /// SHA-256 of its stored bytes, hex.
    pub hash: String,
    /// The previous event's hash, hex.
    pub prev_hash: String,
    /// The exact stored bytes, base64: the Merkle leaf.
    pub stored_bytes: String,
    /// The decoded event, for reading (the verifier requires it to equal the bytes').
    pub event: RecordedEvent,
}

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`EXPORT_FORMAT`].
    pub format: String,
    /// The signed tree head (C2SP checkpoint in a signed note) the events end at.
    pub tree_head: String,
    /// Events exported: the tree size.
    pub event_count: u64,
    /// The last event's hash, hex (zeros when empty).
    pub head_hash: String,
    /// SHA-256 (hex) of each other file, by name.
    pub files: BTreeMap<String, String>,
    /// The log's signed note over [`Manifest::canonical_text`]; absent in format v1.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub signed_manifest: String,
}

/// Why a manifest cannot be signed or its signature taken.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The tree head or the signature is malformed, or signing failed.
    #[error(transparent)]
    Audit(#[from] audit::AuditError),
    /// The signed text is not this manifest's canonical text.
    #[error(
        "the signed manifest does not state this manifest (a count, head or file digest differs)"
    )]
    Differs,
}

impl Manifest {
    /// The file's exact text: pretty JSON and a final newline.
    pub fn to_text(&self) -> Result<String, serde_json::Error> {
        Ok(serde_json::to_string_pretty(self)? + "\n")
    }

    /// The text the log signs: the format, the checkpoint of `tree_head` (not its
    /// signatures, so cosignatures added later do not matter), the event count, the head
    /// hash and each file's digest in name order. Strings that come from the JSON are
    /// JSON-quoted, so none can break a line.
    pub fn canonical_text(&self) -> Result<String, audit::AuditError> {
        let checkpoint =
            audit::Checkpoint::parse_body(&audit::SignedNote::parse(&self.tree_head)?.text)?;
        let quoted = |text: &str| serde_json::to_string(text).unwrap_or_default();
        let mut lines = vec![
            MANIFEST_HEADER.to_string(),
            format!("format {}", quoted(&self.format)),
            format!("origin {}", quoted(&checkpoint.origin)),
            format!("tree_size {}", checkpoint.size),
            format!("root {}", BASE64.encode(checkpoint.root)),
            format!("timestamp {}", checkpoint.timestamp),
            format!("event_count {}", self.event_count),
            format!("head_hash {}", quoted(&self.head_hash)),
        ];
        for (name, digest) in &self.files {
            lines.push(format!("file {} {}", quoted(name), quoted(digest)));
        }
        Ok(lines.join("\n") + "\n")
    }

    /// Signs the manifest with the log's key (an export made offline, with the key).
    pub fn sign(&mut self, key: &audit::SigningKey) -> Result<(), ManifestError> {
        self.signed_manifest = audit::note::sign(&self.canonical_text()?, key)?;
        Ok(())
    }

    /// Takes the log's signature `note` (made by the server) after checking it verifies
    /// under `verifier_key` and signs exactly this manifest's canonical text.
    pub fn attach_signature(
        &mut self,
        note: String,
        verifier_key: &str,
    ) -> Result<(), ManifestError> {
        self.check_signature(&note, verifier_key)?;
        self.signed_manifest = note;
        Ok(())
    }

    /// Checks that `note` verifies under `verifier_key` and states this manifest.
    fn check_signature(&self, note: &str, verifier_key: &str) -> Result<(), ManifestError> {
        let verified = audit::note::verify(note, verifier_key)?;
        if verified.text != self.canonical_text()? {
            return Err(ManifestError::Differs);
        }
        Ok(())
    }
}

/// Builds an export event by event.
#[derive(Default)]
pub struct ExportBuilder {
    events_digest: Sha256,
    frontier: Frontier,
    projections: Projections,
    head_hash: [u8; 32],
    count: u64,
}

/// The export's other files once every event is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportTail {
    /// The Merkle tree size (must equal the signed head's).
    pub size: u64,
    /// The Merkle root over the exported events.
    pub root: audit::Hash,
    /// `balances.csv`.
    pub balances_csv: String,
    /// `smes.csv`.
    pub smes_csv: String,
    /// The manifest, not yet signed.
    pub manifest: Manifest,
}

impl ExportBuilder {
    /// An empty export.
    pub fn new() -> ExportBuilder {
        ExportBuilder {
            head_hash: GENESIS_HASH,
            ..ExportBuilder::default()
        }
    }

    /// Adds the next event's stored bytes; returns its `events.jsonl` line with its newline.
    pub fn push(&mut self, stored_bytes: &[u8]) -> Result<String, StoreError> {
        let event = store::decode(stored_bytes)?;
        if event.sequence != self.count + 1 || event.prev_hash != self.head_hash {
            return Err(StoreError::corrupt(
                event.sequence,
                "does not follow the event before it",
            ));
        }
        let line = ExportedEvent {
            sequence: event.sequence,
            hash: hex::encode(event.hash),
            prev_hash: hex::encode(event.prev_hash),
            stored_bytes: BASE64.encode(stored_bytes),
            event,
        };
        let mut text = serde_json::to_string(&line)
            .map_err(|error| StoreError::corrupt(line.sequence, error.to_string()))?;
        text.push('\n');
        self.events_digest.update(text.as_bytes());
        self.frontier.append(stored_bytes);
        self.projections.apply(&line.event);
        self.head_hash = line.event.hash;
        self.count += 1;
        Ok(text)
    }

    /// Finishes with the signed tree head the events end at.
    pub fn finish(self, tree_head: String) -> ExportTail {
        self.finish_as(tree_head, CsvText::of_format(EXPORT_FORMAT))
    }

    /// Finishes with CSV text written as `text` says (an older export's, to verify it).
    fn finish_as(self, tree_head: String, text: CsvText) -> ExportTail {
        let balances_csv = balances_csv(&self.projections, text);
        let smes_csv = smes_csv(&self.projections, text);
        let mut files = BTreeMap::new();
        files.insert(
            EVENTS_FILE.to_string(),
            hex::encode(self.events_digest.finalize()),
        );
        files.insert(
            BALANCES_FILE.to_string(),
            sha256_hex(balances_csv.as_bytes()),
        );
        files.insert(SMES_FILE.to_string(), sha256_hex(smes_csv.as_bytes()));
        let manifest = Manifest {
            format: EXPORT_FORMAT.to_string(),
            tree_head,
            event_count: self.count,
            head_hash: hex::encode(self.head_hash),
            files,
            signed_manifest: String::new(),
        };
        ExportTail {
            size: self.frontier.size(),
            root: self.frontier.root(),
            balances_csv,
            smes_csv,
            manifest,
        }
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Every phase's balances, one row each, in phase-id order, text written as `text` says.
pub fn balances_csv(projections: &Projections, text: CsvText) -> String {
    let mut csv = String::from(
        "phase,name,currency,status,match_ratio,pledged,contributed,matched,match_outstanding,pool,\
         awarded,awarded_government,awarded_sponsor,own_share,disbursed,refunded,cash,uncommitted,\
         smes_supported,projects\n",
    );
    for p in projections.phases() {
        csv.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
            p.phase,
            text.field(&p.name),
            p.currency.code(),
            p.status.as_str(),
            p.match_ratio,
            p.pledged,
            p.contributed,
            p.matched,
            p.match_outstanding,
            p.pool,
            p.awarded,
            p.awarded_government,
            p.awarded_sponsor,
            p.own_share,
            p.disbursed,
            p.refunded,
            p.cash,
            p.uncommitted,
            p.smes_supported,
            p.projects
        ));
    }
    csv
}

/// Every SME's figures per phase, one row per (SME, phase), SMEs by name, text written as
/// `text` says.
pub fn smes_csv(projections: &Projections, text: CsvText) -> String {
    let mut csv = String::from(
        "sme,brn,name,phase,currency,awarded,own_share,disbursed,refunded,outstanding,projects\n",
    );
    let mut offset = 0;
    loop {
        let (page, total) = projections.smes(None, SmeOrder::ByName, offset, SME_PAGE);
        if page.is_empty() {
            break;
        }
        offset += page.len();
        for sme in page {
            for (phase, f) in &sme.phases {
                csv.push_str(&format!(
                    "{},{},{},{},{},{},{},{},{},{},{}\n",
                    sme.sme,
                    sme.brn,
                    text.field(&sme.name),
                    phase,
                    f.currency.code(),
                    f.awarded,
                    f.own_share,
                    f.disbursed,
                    f.refunded,
                    f.outstanding,
                    f.projects
                ));
            }
        }
        if offset as u64 >= total {
            break;
        }
    }
    csv
}

/// What a verified export holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportSummary {
    /// Events checked.
    pub events: u64,
    /// The signed checkpoint they end at.
    pub checkpoint: audit::Checkpoint,
    /// Phases whose balances were recomputed.
    pub phases: usize,
    /// Whether the manifest (counts and file digests) carries the log's signature: false
    /// only for a format v1 export.
    pub manifest_signed: bool,
}

/// Re-checks the export in `dir` against the log's verifier key; returns every problem
/// found, each naming the file and what is wrong.
pub fn verify_export(
    dir: &Path,
    verifier_key: &str,
    mut progress: impl FnMut(u64),
) -> Result<ExportSummary, Vec<String>> {
    let mut problems = Vec::new();
    let read = |name: &str| {
        std::fs::read(dir.join(name)).map_err(|error| format!("{name}: cannot be read: {error}"))
    };
    let manifest_bytes = read(MANIFEST_FILE).map_err(|problem| vec![problem])?;
    let manifest: Manifest = serde_json::from_slice(&manifest_bytes)
        .map_err(|error| vec![format!("{MANIFEST_FILE}: not a manifest: {error}")])?;
    if manifest.to_text().ok().as_deref().map(str::as_bytes) != Some(&manifest_bytes[..]) {
        problems.push(format!(
            "{MANIFEST_FILE}: not in its exact written form (changed bytes)"
        ));
    }
    let manifest_signed = manifest.format == EXPORT_FORMAT || manifest.format == EXPORT_FORMAT_V2;
    if manifest_signed {
        if let Err(error) = manifest.check_signature(&manifest.signed_manifest, verifier_key) {
            problems.push(format!(
                "{MANIFEST_FILE}: the manifest signature does not verify: {error}"
            ));
        }
    } else if manifest.format != EXPORT_FORMAT_V1 {
        problems.push(format!(
            "{MANIFEST_FILE}: unknown format {:?}",
            manifest.format
        ));
    }
    let checkpoint = match audit::verify_checkpoint(&manifest.tree_head, verifier_key) {
        Ok(checkpoint) => Some(checkpoint),
        Err(error) => {
            problems.push(format!(
                "{MANIFEST_FILE}: the tree head is not signed by the given key: {error}"
            ));
            None
        }
    };
    for name in [EVENTS_FILE, BALANCES_FILE, SMES_FILE] {
        match (read(name), manifest.files.get(name)) {
            (Ok(bytes), Some(digest)) if &sha256_hex(&bytes) == digest => {}
            (Ok(_), Some(_)) => problems.push(format!("{name}: SHA-256 differs from the manifest")),
            (Ok(_), None) => problems.push(format!("{MANIFEST_FILE}: no digest for {name}")),
            (Err(problem), _) => problems.push(problem),
        }
    }

    let mut builder = ExportBuilder::new();
    match std::fs::File::open(dir.join(EVENTS_FILE)) {
        Ok(file) => {
            for (number, line) in BufReader::new(file).split(b'\n').enumerate() {
                let line_number = number + 1;
                let problem = match line {
                    Ok(line) => check_line(&mut builder, &line).err(),
                    Err(error) => Some(error.to_string()),
                };
                if let Some(problem) = problem {
                    problems.push(format!("{EVENTS_FILE} line {line_number}: {problem}"));
                    break;
                }
                progress(builder.count);
            }
        }
        Err(error) => problems.push(format!("{EVENTS_FILE}: cannot be read: {error}")),
    }
    let events = builder.count;
    let phases = builder.projections.phases().len();
    let head_hash = hex::encode(builder.head_hash);
    let tail = builder.finish_as(
        manifest.tree_head.clone(),
        CsvText::of_format(&manifest.format),
    );
    if events != manifest.event_count {
        problems.push(format!(
            "{EVENTS_FILE}: {events} events, the manifest says {}",
            manifest.event_count
        ));
    }
    if head_hash != manifest.head_hash {
        problems.push(format!(
            "{MANIFEST_FILE}: head_hash is not the last event's hash"
        ));
    }
    if let Some(checkpoint) = &checkpoint {
        if checkpoint.size != tail.size {
            problems.push(format!(
                "{EVENTS_FILE}: {} events but the signed head covers {}",
                tail.size, checkpoint.size
            ));
        } else if checkpoint.root != tail.root {
            problems.push(format!(
                "{EVENTS_FILE}: the Merkle root of the events is not the signed root"
            ));
        }
    }
    for (name, recomputed) in [
        (BALANCES_FILE, &tail.balances_csv),
        (SMES_FILE, &tail.smes_csv),
    ] {
        if let Ok(bytes) = read(name) {
            if let Some(line) = first_difference(&bytes, recomputed.as_bytes()) {
                problems.push(format!(
                    "{name}: line {line} differs from the balances recomputed from the events"
                ));
            }
        }
    }
    match (problems.is_empty(), checkpoint) {
        (true, Some(checkpoint)) => Ok(ExportSummary {
            events,
            checkpoint,
            phases,
            manifest_signed,
        }),
        _ => Err(problems),
    }
}

/// Checks one `events.jsonl` line (without its newline) and adds it to `builder`.
fn check_line(builder: &mut ExportBuilder, line: &[u8]) -> Result<(), String> {
    let exported: ExportedEvent =
        serde_json::from_slice(line).map_err(|error| format!("not an exported event: {error}"))?;
    let bytes = BASE64
        .decode(&exported.stored_bytes)
        .map_err(|error| format!("stored bytes are not base64: {error}"))?;
    let written = builder.push(&bytes).map_err(|error| error.to_string())?;
    let decoded: ExportedEvent =
        serde_json::from_str(written.trim_end_matches('\n')).map_err(|error| error.to_string())?;
    if decoded.sequence != exported.sequence {
        return Err(format!(
            "event {} stands where event {} should be",
            exported.sequence, decoded.sequence
        ));
    }
    if decoded != exported {
        return Err(format!(
            "event {}: the decoded fields or hashes differ from the stored bytes",
            exported.sequence
        ));
    }
    if written.as_bytes()[..written.len() - 1] != *line {
        return Err(format!(
            "event {}: the line is not in its exact written form",
            exported.sequence
        ));
    }
    Ok(())
}

/// The 1-based line where `a` and `b` first differ, if they do.
fn first_difference(a: &[u8], b: &[u8]) -> Option<usize> {
    let mut left = a.split(|byte| *byte == b'\n');
    let mut right = b.split(|byte| *byte == b'\n');
    let mut line = 1;
    loop {
        match (left.next(), right.next()) {
            (None, None) => return None,
            (l, r) if l != r => return Some(line),
            _ => line += 1,
        }
    }
}
