//! Verifies an export directory with no server: the manifest's exact form and signature,
//! every file digest, every event's bytes, hash and link, the Merkle root against the
//! signed head, the head's signature, and the balances and postings recomputed from the
//! events against the CSV files, each in the layout of the export's own format version.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;

use super::event_line::LineHead;
use super::export::{
    sha256_hex, ExportBuilder, ExportFormat, Manifest, BALANCES_FILE, EVENTS_FILE, JOURNAL_FILE,
    MANIFEST_FILE, SMES_FILE,
};
use super::export_csv::journal_start;
use crate::audit;

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
    /// The export's format version.
    pub format: ExportFormat,
}

/// Re-checks the export in `dir` against the log's verifier key; returns every problem
/// found, each naming the file and what is wrong.
pub fn verify_export(
    dir: &Path,
    verifier_key: &str,
    progress: impl FnMut(u64),
) -> Result<ExportSummary, Vec<String>> {
    let mut problems = Vec::new();
    let (manifest, format) = read_manifest(dir, verifier_key, &mut problems)?;
    let checkpoint = match audit::verify_checkpoint(&manifest.tree_head, verifier_key) {
        Ok(checkpoint) => Some(checkpoint),
        Err(error) => {
            problems.push(format!(
                "{MANIFEST_FILE}: the tree head is not signed by the given key: {error}"
            ));
            None
        }
    };
    check_digests(dir, &manifest, format, &mut problems);
    let builder = replay_events(dir, format, &mut problems, progress);
    let events = builder.count();
    let phases = builder.projections().phases().len();
    let head_hash = hex::encode(builder.head_hash());
    let tail = builder.finish(manifest.tree_head.clone());
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
        if let Ok(bytes) = std::fs::read(dir.join(name)) {
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
            manifest_signed: format.manifest_signed(),
            format,
        }),
        _ => Err(problems),
    }
}

/// Reads the manifest, checks its exact form and, from format v2, its signature. An
/// unreadable manifest or an unknown format ends the check: nothing else can be read.
fn read_manifest(
    dir: &Path,
    verifier_key: &str,
    problems: &mut Vec<String>,
) -> Result<(Manifest, ExportFormat), Vec<String>> {
    let bytes = std::fs::read(dir.join(MANIFEST_FILE))
        .map_err(|error| vec![format!("{MANIFEST_FILE}: cannot be read: {error}")])?;
    let manifest: Manifest = serde_json::from_slice(&bytes)
        .map_err(|error| vec![format!("{MANIFEST_FILE}: not a manifest: {error}")])?;
    let Some(format) = ExportFormat::parse(&manifest.format) else {
        return Err(vec![format!(
            "{MANIFEST_FILE}: unknown format {:?} (this build reads {})",
            manifest.format,
            ExportFormat::ALL.map(ExportFormat::tag).join(", ")
        )]);
    };
    if manifest.to_text().ok().as_deref().map(str::as_bytes) != Some(&bytes[..]) {
        problems.push(format!(
            "{MANIFEST_FILE}: not in its exact written form (changed bytes)"
        ));
    }
    if format.manifest_signed() {
        if let Err(error) = manifest.check_signature(&manifest.signed_manifest, verifier_key) {
            problems.push(format!(
                "{MANIFEST_FILE}: the manifest signature does not verify: {error}"
            ));
        }
    }
    Ok((manifest, format))
}

/// The files an export of `format` holds besides its manifest.
fn files_of(format: ExportFormat) -> Vec<&'static str> {
    let mut files = vec![EVENTS_FILE, BALANCES_FILE, SMES_FILE];
    if format.spreadsheet_layout() {
        files.push(JOURNAL_FILE);
    }
    files
}

/// Checks each file against its digest in the manifest.
fn check_digests(
    dir: &Path,
    manifest: &Manifest,
    format: ExportFormat,
    problems: &mut Vec<String>,
) {
    for name in files_of(format) {
        match (std::fs::read(dir.join(name)), manifest.files.get(name)) {
            (Ok(bytes), Some(digest)) if &sha256_hex(&bytes) == digest => {}
            (Ok(_), Some(_)) => problems.push(format!("{name}: SHA-256 differs from the manifest")),
            (Ok(_), None) => problems.push(format!("{MANIFEST_FILE}: no digest for {name}")),
            (Err(error), _) => problems.push(format!("{name}: cannot be read: {error}")),
        }
    }
}

/// Replays `events.jsonl` into a builder of `format`, checking each line, and compares
/// the journal rows it posts with `journal.csv` line by line as they come, so that
/// neither file is held in memory.
fn replay_events(
    dir: &Path,
    format: ExportFormat,
    problems: &mut Vec<String>,
    mut progress: impl FnMut(u64),
) -> ExportBuilder {
    let mut builder = ExportBuilder::of_format(format);
    let mut journal = format
        .spreadsheet_layout()
        .then(|| FileLines::open(&dir.join(JOURNAL_FILE)));
    if let Some(journal) = &mut journal {
        journal.expect(&journal_start());
    }
    match File::open(dir.join(EVENTS_FILE)) {
        Ok(file) => {
            for (number, line) in BufReader::new(file).split(b'\n').enumerate() {
                let result = match line {
                    Ok(line) => check_line(&mut builder, &line),
                    Err(error) => Err(error.to_string()),
                };
                match result {
                    Ok(rows) => {
                        if let Some(journal) = &mut journal {
                            journal.expect(&rows);
                        }
                    }
                    Err(problem) => {
                        problems.push(format!("{EVENTS_FILE} line {}: {problem}", number + 1));
                        break;
                    }
                }
                progress(builder.count());
            }
        }
        Err(error) => problems.push(format!("{EVENTS_FILE}: cannot be read: {error}")),
    }
    if let Some(line) = journal.and_then(FileLines::finish) {
        problems.push(format!(
            "{JOURNAL_FILE}: line {line} differs from the postings recomputed from the events"
        ));
    }
    builder
}

/// Checks one `events.jsonl` line (without its newline), adds it to `builder`, and
/// returns the journal rows it posts.
fn check_line(builder: &mut ExportBuilder, line: &[u8]) -> Result<String, String> {
    let head: LineHead =
        serde_json::from_slice(line).map_err(|error| format!("not an exported event: {error}"))?;
    let bytes = BASE64
        .decode(&head.stored_bytes)
        .map_err(|error| format!("stored bytes are not base64: {error}"))?;
    let written = builder.push(&bytes).map_err(|error| error.to_string())?;
    let expected = written.event.trim_end_matches('\n');
    if expected.as_bytes() == line {
        return Ok(written.journal);
    }
    let sequence = builder.count();
    if head.sequence != sequence {
        return Err(format!(
            "event {} stands where event {sequence} should be",
            head.sequence
        ));
    }
    let same_fields = serde_json::from_slice::<serde_json::Value>(line).ok()
        == serde_json::from_str::<serde_json::Value>(expected).ok();
    Err(if same_fields {
        format!("event {sequence}: the line is not in its exact written form")
    } else {
        format!("event {sequence}: the decoded fields or hashes differ from the stored bytes")
    })
}

/// A file compared line by line with text produced piece by piece.
struct FileLines {
    lines: Option<std::io::Split<BufReader<File>>>,
    line: usize,
    differs_at: Option<usize>,
}

impl FileLines {
    /// Compares with the file at `path`; an unreadable file differs at line 1 (and is
    /// reported as unreadable by the digest check).
    fn open(path: &Path) -> FileLines {
        FileLines {
            lines: File::open(path)
                .ok()
                .map(|file| BufReader::new(file).split(b'\n')),
            line: 0,
            differs_at: None,
        }
    }

    /// The file's next lines must be `text`'s (each ending in a newline).
    fn expect(&mut self, text: &str) {
        if self.differs_at.is_some() {
            return;
        }
        for expected in text.split_terminator('\n') {
            self.line += 1;
            let actual = self.lines.as_mut().and_then(Iterator::next);
            if !matches!(actual, Some(Ok(actual)) if actual == expected.as_bytes()) {
                self.differs_at = Some(self.line);
                return;
            }
        }
    }

    /// The first line that differed, or the first line past the expected text if the
    /// file has more.
    fn finish(mut self) -> Option<usize> {
        if self.differs_at.is_some() {
            return self.differs_at;
        }
        match self.lines.as_mut().and_then(Iterator::next) {
            Some(_) => Some(self.line + 1),
            None if self.lines.is_none() => Some(1),
            None => None,
        }
    }
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
