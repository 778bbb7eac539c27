//! The batch file: JSON Lines, one command per line, posted atomically.
//!
//! Each non-blank line is one JSON object with a single key naming the command (the
//! snake_case name of the `BatchCommand` field) and the command's fields as its value:
//!
//! ```text
//! {"open_phase": {"name": "Phase 2", "starts_on": "2018-09-01", "ends_on": "2023-08-31", "match_ratio": "1"}}
//! {"record_contribution": {"phase_id": "...", "contributor_id": "...", "amount": "4000000000"}}
//! ```
//!
//! The format is documented in `docs/batch.md`, its JSON Schema (derived from [`lines`])
//! is `docs/batch.schema.json`, and `examples/programme.batch.jsonl` is a whole programme.
//!
//! - `lines`: the serde types of each line, from which parser and schema derive.
//! - `convert`: a parsed line into its proto command, amounts checked.

mod convert;
pub mod lines;

use std::io::Read;
use std::path::Path;

use crate::api::proto;
use crate::api::proto::batch_command::Command as ProtoCommand;
use crate::limits::{BATCH_COMMANDS_MAX, REQUEST_BYTES_MAX};
use lines::Line;

/// Why a batch file cannot be posted; names the line where it can.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// The file could not be read.
    #[error("cannot read the batch file: {0}")]
    Read(#[from] std::io::Error),
    /// The file is larger than one request may be.
    #[error("the batch file is larger than {REQUEST_BYTES_MAX} bytes")]
    TooLarge,
    /// More commands than one batch may hold.
    #[error("the batch has more than {BATCH_COMMANDS_MAX} commands")]
    TooManyCommands,
    /// The file holds no command.
    #[error("the batch file holds no command")]
    Empty,
    /// One line is not a valid command.
    #[error("line {line}: {reason}")]
    Line {
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
}

/// Reads and parses a batch file, refusing files over the request size limit.
pub fn read_batch_file(path: &Path) -> Result<Vec<proto::BatchCommand>, BatchError> {
    let file = std::fs::File::open(path)?;
    // Read one byte past the limit to tell "exactly at the limit" from "over it".
    let limit = u64::try_from(REQUEST_BYTES_MAX).unwrap_or(u64::MAX);
    let mut text = String::new();
    file.take(limit.saturating_add(1))
        .read_to_string(&mut text)?;
    if text.len() > REQUEST_BYTES_MAX {
        return Err(BatchError::TooLarge);
    }
    parse_batch(&text)
}

/// Parses JSON Lines text into batch commands, skipping blank lines.
pub fn parse_batch(text: &str) -> Result<Vec<proto::BatchCommand>, BatchError> {
    let mut commands = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        if commands.len() == BATCH_COMMANDS_MAX {
            return Err(BatchError::TooManyCommands);
        }
        let command = parse_line(line).map_err(|reason| BatchError::Line {
            line: index + 1,
            reason,
        })?;
        commands.push(proto::BatchCommand {
            command: Some(command),
        });
    }
    if commands.is_empty() {
        return Err(BatchError::Empty);
    }
    Ok(commands)
}

fn parse_line(line: &str) -> Result<ProtoCommand, String> {
    let parsed: Line = serde_json::from_str(line).map_err(|error| {
        // The location serde reports is always "line 1" of this one line: keep the column.
        let text = error.to_string();
        let reason = text
            .rsplit_once(" at line ")
            .map_or(text.as_str(), |(reason, _)| reason);
        format!("{reason} (column {})", error.column())
    })?;
    parsed.into_proto()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line_error(text: &str) -> (usize, String) {
        match parse_batch(text) {
            Err(BatchError::Line { line, reason }) => (line, reason),
            other => panic!("expected a line error, got {other:?}"),
        }
    }

    #[test]
    fn every_command_kind_parses_with_its_proto_field_names() {
        let text = r#"
{"open_phase": {"name": "Phase 2", "starts_on": "2018-09-01", "ends_on": "2023-08-31", "match_ratio": "1"}}
{"close_phase": {"phase_id": "p"}}
{"register_contributor": {"name": "Steelmaker"}}
{"register_agency": {"agency_id": "a", "name": "SME fund"}}
{"register_sme": {"business_registration_number": "1248100998", "name": "Hanbit", "supplier": true, "channel": "sponsor_portal", "size": "small"}}
{"record_pledge": {"phase_id": "p", "contributor_id": "c", "amount": "20000000000"}}
{"record_contribution": {"phase_id": "p", "contributor_id": "c", "amount": "12.34", "currency": "USD"}}
{"record_match": {"contribution_id": "c", "agency_id": "a", "amount": "4000000000"}}
{"award_grant": {"phase_id": "p", "sme_id": "s", "purpose": "smart-factory", "support_type": "type2-basic", "project_cost": "20000000", "government_share": "10000000", "sponsor_share": "10000000", "own_share": "0"}}
{"record_disbursement": {"grant_id": "g", "amount": "10000000"}}
{"record_refund": {"grant_id": "g", "amount": "5000000", "reason": "obligation broken"}}
{"reverse_entry": {"entry_id": "e", "reason": "duplicate"}}
"#;
        let commands = parse_batch(text).unwrap();
        assert_eq!(commands.len(), 12);
        let Some(ProtoCommand::OpenPhase(open)) = &commands[0].command else {
            panic!("not an OpenPhase");
        };
        assert_eq!(open.currency, "KRW");
        assert_eq!(open.support_types.len(), 4);
        let Some(ProtoCommand::RegisterSme(sme)) = &commands[4].command else {
            panic!("not an SME");
        };
        assert_eq!(sme.channel, proto::ApplicationChannel::SponsorPortal as i32);
        let Some(ProtoCommand::RecordContribution(contribution)) = &commands[6].command else {
            panic!("not a contribution");
        };
        assert_eq!(
            contribution.amount,
            Some(proto::Money {
                amount: "12.34".into(),
                currency: "USD".into()
            })
        );
        let Some(ProtoCommand::AwardGrant(award)) = &commands[8].command else {
            panic!("not an award");
        };
        assert_eq!(award.purpose, proto::Purpose::SmartFactory as i32);
    }

    #[test]
    fn a_json_number_amount_is_refused_so_no_float_carries_money() {
        let (line, reason) =
            line_error(r#"{"record_disbursement": {"grant_id": "g", "amount": 1.5}}"#);
        assert_eq!(line, 1);
        assert!(reason.contains("expected a string"), "{reason}");
    }

    #[test]
    fn errors_name_the_line_and_the_problem() {
        let text = "{\"register_agency\": {\"name\": \"A\"}}\n\n{\"record_contrib\": {}}\n";
        let (line, reason) = line_error(text);
        assert_eq!(line, 3);
        assert!(reason.contains("unknown variant"), "{reason}");

        let (_, reason) = line_error(r#"{"register_agency": {"name": "A", "colour": "red"}}"#);
        assert!(reason.contains("unknown field"), "{reason}");

        let (_, reason) =
            line_error(r#"{"record_refund": {"grant_id": "g", "amount": "1e3", "reason": "r"}}"#);
        assert!(reason.starts_with("amount:"), "{reason}");
    }

    #[test]
    fn an_empty_file_or_one_over_the_limit_is_refused() {
        assert!(matches!(parse_batch("\n  \n"), Err(BatchError::Empty)));
        let line = "{\"register_agency\": {\"name\": \"A\"}}\n";
        let too_many = line.repeat(BATCH_COMMANDS_MAX + 1);
        assert!(matches!(
            parse_batch(&too_many),
            Err(BatchError::TooManyCommands)
        ));
        assert_eq!(
            parse_batch(&line.repeat(BATCH_COMMANDS_MAX)).unwrap().len(),
            BATCH_COMMANDS_MAX
        );
    }
}
