//! Signed phase statements: a phase's totals at a tree head, as the text of a signed
//! note, so that anyone with the log's verifier key can check who stated what, at which
//! point of the log (size and root), without a server.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;

use crate::audit::{self, Hash};
use crate::projection::PhaseBalances;

/// The first line of every statement.
pub const STATEMENT_HEADER: &str = "matchledger phase statement v1";

/// The statement text of `phase` as of the tree of `size` events with `root`, signed at
/// `timestamp` by the log `origin`. One `key value` line each; the name is JSON-quoted
/// so that no character of it can break a line.
pub fn statement_text(
    origin: &str,
    size: u64,
    root: &Hash,
    timestamp: u64,
    phase: &PhaseBalances,
) -> String {
    let name = serde_json::to_string(&phase.name).unwrap_or_default();
    let lines = [
        STATEMENT_HEADER.to_string(),
        format!("origin {origin}"),
        format!("tree_size {size}"),
        format!("root {}", BASE64.encode(root)),
        format!("timestamp {timestamp}"),
        format!("phase {}", phase.phase),
        format!("name {name}"),
        format!("currency {}", phase.currency.code()),
        format!("status {}", phase.status.as_str()),
        format!("match_ratio {}", phase.match_ratio),
        format!("pledged {}", phase.pledged),
        format!("contributed {}", phase.contributed),
        format!("matched {}", phase.matched),
        format!("match_outstanding {}", phase.match_outstanding),
        format!("pool {}", phase.pool),
        format!("awarded {}", phase.awarded),
        format!("awarded_government {}", phase.awarded_government),
        format!("awarded_sponsor {}", phase.awarded_sponsor),
        format!("own_share {}", phase.own_share),
        format!("disbursed {}", phase.disbursed),
        format!("refunded {}", phase.refunded),
        format!("cash {}", phase.cash),
        format!("uncommitted {}", phase.uncommitted),
        format!("smes_supported {}", phase.smes_supported),
        format!("projects {}", phase.projects),
    ];
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

/// The key of the line that marks a statement signed when its phase closed; its value is
/// the sequence of the PhaseClosed event, which is also the statement's tree size.
pub const CLOSED_AT_KEY: &str = "closed_at_sequence";

/// The text of the statement signed when `phase` closed: [`statement_text`] at the tree
/// that ends with the PhaseClosed event (`size` is its sequence), plus a last line
/// `closed_at_sequence <size>` saying so.
pub fn closing_statement_text(
    origin: &str,
    size: u64,
    root: &Hash,
    timestamp: u64,
    phase: &PhaseBalances,
) -> String {
    let mut text = statement_text(origin, size, root, timestamp, phase);
    text.push_str(&format!("{CLOSED_AT_KEY} {size}\n"));
    text
}

/// Verifies a statement note with the log's verifier key and returns its `key value`
/// lines.
pub fn verify_statement(
    note: &str,
    verifier_key: &str,
) -> Result<Vec<(String, String)>, audit::AuditError> {
    let verified = audit::note::verify(note, verifier_key)?;
    let mut lines = verified.text.lines();
    if lines.next() != Some(STATEMENT_HEADER) {
        return Err(audit::AuditError::MalformedNote("not a phase statement"));
    }
    Ok(lines
        .map(|line| {
            let (key, value) = line.split_once(' ').unwrap_or((line, ""));
            (key.to_string(), value.to_string())
        })
        .collect())
}
