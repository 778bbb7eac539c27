//! The CSV files of an export: `balances.csv` (phase balances), `smes.csv` (SME figures per
//! phase) and, from format v4, `journal.csv` (every double-entry posting).
//!
//! From format v4 the files are laid out for the spreadsheet an auditor opens them in and
//! the accounting package a finance team imports them into:
//!
//! - each file starts with a UTF-8 byte-order mark. Excel guesses the encoding of a CSV
//!   file without one from the desktop's code page (CP949 on a Korean Windows), and shows
//!   every Hangul name garbled; with one it reads UTF-8. LibreOffice, Python's `csv` with
//!   `utf-8-sig`, pandas and most importers skip the mark. It is written always rather
//!   than behind an option: the files are signed, so one layout keeps one set of digests
//!   that the server, the writer and the verifier all recompute the same way;
//! - registration numbers read `123-45-67890`, as on the certificate;
//! - a phase id stands beside the phase's name;
//! - text goes through [`CsvText`] (quoted; formula-like starts neutralised).

use std::collections::HashMap;

use super::csv_text::CsvText;
use super::export_format::ExportFormat;
use crate::domain::{Event, PhaseId, RecordedEvent};
use crate::projection::{Posting, Projections, Side, SmeOrder};

/// The UTF-8 byte-order mark that tells a spreadsheet the file is UTF-8.
pub const BYTE_ORDER_MARK: &str = "\u{feff}";
/// SMEs read per page when listing them all.
const SME_PAGE: usize = 1000;

/// The start of a CSV file of `format` whose first line is `header` (no newline).
fn start(format: ExportFormat, header: &str) -> String {
    let mark = if format.spreadsheet_layout() {
        BYTE_ORDER_MARK
    } else {
        ""
    };
    format!("{mark}{header}\n")
}

/// Every phase's balances, one row each, in phase-id order.
pub fn balances_csv(projections: &Projections, format: ExportFormat) -> String {
    let text = format.csv_text();
    let mut csv = start(
        format,
        "phase,name,currency,status,match_ratio,pledged,contributed,matched,match_outstanding,pool,\
         awarded,awarded_government,awarded_sponsor,own_share,disbursed,refunded,cash,uncommitted,\
         smes_supported,projects",
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

/// Every SME's figures per phase, one row per (SME, phase), SMEs by name.
pub fn smes_csv(projections: &Projections, format: ExportFormat) -> String {
    let text = format.csv_text();
    let layout = format.spreadsheet_layout();
    let phase_names: HashMap<PhaseId, String> = projections
        .phases()
        .into_iter()
        .map(|phase| (phase.phase, phase.name))
        .collect();
    let mut csv = start(
        format,
        if layout {
            "sme,brn,name,phase,phase_name,currency,awarded,own_share,disbursed,refunded,\
             outstanding,projects"
        } else {
            "sme,brn,name,phase,currency,awarded,own_share,disbursed,refunded,outstanding,projects"
        },
    );
    let mut offset = 0;
    loop {
        let (page, total) = projections.smes(None, SmeOrder::ByName, offset, SME_PAGE);
        if page.is_empty() {
            break;
        }
        offset += page.len();
        for sme in page {
            let brn = if layout {
                sme.brn.dashed()
            } else {
                sme.brn.to_string()
            };
            for (phase, f) in &sme.phases {
                let phase_column = if layout {
                    let name = phase_names.get(phase).map_or("", String::as_str);
                    format!("{phase},{}", text.field(name))
                } else {
                    phase.to_string()
                };
                csv.push_str(&format!(
                    "{},{},{},{},{},{},{},{},{},{},{}\n",
                    sme.sme,
                    brn,
                    text.field(&sme.name),
                    phase_column,
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

/// The header of `journal.csv`, with its byte-order mark.
pub fn journal_start() -> String {
    start(
        ExportFormat::V4,
        "date,sequence,line,phase,phase_name,account,debit,credit,currency,event,entry,\
         event_id,idempotency_key,external_ref",
    )
}

/// Writes `journal.csv` as events arrive: one row per posting, in log order. The rows of
/// one sequence number are one balanced voucher (debits equal credits), dated on the
/// event's business date; `entry` is the posting's own id (the contribution, the grant,
/// the entry a reversal cancels...), the last three columns the references a finance
/// system reconciles with.
#[derive(Debug, Default)]
pub struct JournalRows {
    phase_names: HashMap<PhaseId, String>,
}

impl JournalRows {
    /// The rows `postings` of `event` make, in `text`.
    pub fn rows(&mut self, event: &RecordedEvent, postings: &[Posting], text: CsvText) -> String {
        if let Event::PhaseOpened(opened) = &event.event {
            self.phase_names.insert(opened.phase, opened.name.clone());
        }
        let meta = &event.meta;
        let mut rows = String::new();
        for (line, posting) in postings.iter().enumerate() {
            let (debit, credit) = match posting.side() {
                Side::Debit => (posting.magnitude().to_string(), "0".to_string()),
                Side::Credit => ("0".to_string(), posting.magnitude().to_string()),
            };
            let name = self
                .phase_names
                .get(&posting.phase)
                .map_or("", String::as_str);
            rows.push_str(&format!(
                "{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
                meta.effective_date.format("%Y-%m-%d"),
                event.sequence,
                line + 1,
                posting.phase,
                text.field(name),
                posting.account.as_str(),
                debit,
                credit,
                posting.currency.code(),
                event.event.kind().as_str(),
                entry_of(&event.event).unwrap_or_default(),
                meta.id,
                text.field(&meta.idempotency_key),
                text.field(meta.external_ref.as_deref().unwrap_or("")),
            ));
        }
        rows
    }
}

/// The id of the posting an event records, where it has one of its own.
fn entry_of(event: &Event) -> Option<String> {
    Some(match event {
        Event::PledgeRecorded(e) => e.pledge.to_string(),
        Event::ContributionRecorded(e) => e.contribution.to_string(),
        Event::MatchRecorded(e) => e.match_id.to_string(),
        Event::GrantAwarded(e) => e.grant.to_string(),
        Event::DisbursementRecorded(e) => e.disbursement.to_string(),
        Event::RefundRecorded(e) => e.refund.to_string(),
        Event::EntryReversed(e) => e.entry.to_string(),
        Event::GrantSettled(e) => e.grant.to_string(),
        Event::ClawbackDecided(e) => e.clawback.to_string(),
        Event::ClawbackCollected(e) => e.clawback.to_string(),
        Event::ClawbackPassedOn(e) => e.clawback.to_string(),
        _ => return None,
    })
}
