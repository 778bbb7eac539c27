//! The batch file: JSON Lines, one command per line, posted atomically.
//!
//! Each non-blank line is one JSON object with a single key naming the command (the
//! snake_case name of the `BatchCommand` field) and the command's fields as its value:
//!
//! ```text
//! {"open_phase": {"name": "Phase 2", "starts_on": "2018-09-01", "ends_on": "2023-08-31", "match_ratio": "1"}}
//! {"register_contributor": {"contributor_id": "0190c3e0-...", "name": "Steelmaker"}}
//! {"record_contribution": {"phase_id": "...", "contributor_id": "...", "amount": "4000000000"}}
//! {"record_match": {"contribution_id": "...", "agency_id": "...", "amount": "4000000000"}}
//! {"award_grant": {"phase_id": "...", "sme_id": "...", "purpose": "smart_factory", "support_type": "type2-basic",
//!                  "project_cost": "20000000", "government_share": "10000000", "sponsor_share": "10000000", "own_share": "0"}}
//! {"record_disbursement": {"grant_id": "...", "amount": "10000000"}}
//! {"record_refund": {"grant_id": "...", "amount": "5000000", "reason": "obligation broken"}}
//! {"reverse_entry": {"entry_id": "...", "reason": "duplicate"}}
//! {"settle_grant": {"grant_id": "..."}}
//! ```
//!
//! The settlement lines (`set_settlement_rules`, `record_interest`, `settle_interest`,
//! `settle_grant`, `decide_clawback`, `collect_clawback`, `pass_on_clawback`) are described
//! in `settlement::lines`.
//!
//! Field names are those of the proto messages. Amounts are decimal *strings* (a JSON
//! number is refused, so no float ever carries money); money fields share the command's
//! `currency`, KRW when absent. Optional ids (`phase_id` of `open_phase`, `grant_id`, ...)
//! are made by the server when absent. Enums take the command-line spelling, with `-` or
//! `_`: `channel` sponsor-portal | institution-proposal | other, `size` small | medium,
//! `purpose` qss-consulting | smart-factory | facility-improvement, and `open_phase`'s
//! `support_types` smart-factory-2022 (the default) | none. Unknown keys are refused.

use std::io::Read;
use std::path::Path;

use serde::Deserialize;

use super::settlement::lines;

use super::args::{parse_amount, ChannelArg, PurposeArg, SizeArg, SupportTypesPreset};
use super::posting_request::money;
use crate::api::proto;
use crate::api::proto::batch_command::Command as ProtoCommand;
use crate::limits::{BATCH_COMMANDS_MAX, REQUEST_BYTES_MAX};

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

fn krw() -> String {
    "KRW".to_string()
}

/// One line of the file: externally tagged, so `{"record_match": {...}}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum Line {
    OpenPhase(OpenPhaseLine),
    ClosePhase(ClosePhaseLine),
    RegisterContributor(RegisterContributorLine),
    RegisterAgency(RegisterAgencyLine),
    RegisterSme(RegisterSmeLine),
    RecordPledge(PledgeLine),
    RecordContribution(ContributionLine),
    RecordMatch(MatchLine),
    AwardGrant(AwardLine),
    RecordDisbursement(DisbursementLine),
    RecordRefund(RefundLine),
    ReverseEntry(ReverseLine),
    SetSettlementRules(lines::RulesLine),
    RecordInterest(lines::InterestLine),
    SettleInterest(lines::SettleInterestLine),
    SettleGrant(lines::SettleGrantLine),
    DecideClawback(lines::DecideClawbackLine),
    CollectClawback(lines::CollectClawbackLine),
    PassOnClawback(lines::PassOnClawbackLine),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OpenPhaseLine {
    #[serde(default)]
    phase_id: String,
    name: String,
    #[serde(default = "krw")]
    currency: String,
    starts_on: String,
    ends_on: String,
    match_ratio: String,
    #[serde(default)]
    support_types: PresetLine,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClosePhaseLine {
    phase_id: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterContributorLine {
    #[serde(default)]
    contributor_id: String,
    name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterAgencyLine {
    #[serde(default)]
    agency_id: String,
    name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterSmeLine {
    #[serde(default)]
    sme_id: String,
    business_registration_number: String,
    name: String,
    #[serde(default)]
    supplier: bool,
    channel: ChannelLine,
    size: SizeLine,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PledgeLine {
    #[serde(default)]
    pledge_id: String,
    phase_id: String,
    contributor_id: String,
    amount: String,
    #[serde(default = "krw")]
    currency: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ContributionLine {
    #[serde(default)]
    contribution_id: String,
    phase_id: String,
    contributor_id: String,
    amount: String,
    #[serde(default = "krw")]
    currency: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MatchLine {
    #[serde(default)]
    match_id: String,
    contribution_id: String,
    agency_id: String,
    amount: String,
    #[serde(default = "krw")]
    currency: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AwardLine {
    #[serde(default)]
    grant_id: String,
    phase_id: String,
    sme_id: String,
    purpose: PurposeLine,
    support_type: String,
    project_cost: String,
    government_share: String,
    sponsor_share: String,
    own_share: String,
    #[serde(default = "krw")]
    currency: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DisbursementLine {
    #[serde(default)]
    disbursement_id: String,
    grant_id: String,
    amount: String,
    #[serde(default = "krw")]
    currency: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RefundLine {
    #[serde(default)]
    refund_id: String,
    grant_id: String,
    amount: String,
    reason: String,
    #[serde(default = "krw")]
    currency: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReverseLine {
    entry_id: String,
    reason: String,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum ChannelLine {
    #[serde(alias = "sponsor_portal")]
    SponsorPortal,
    #[serde(alias = "institution_proposal")]
    InstitutionProposal,
    Other,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum SizeLine {
    Small,
    Medium,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum PurposeLine {
    #[serde(alias = "qss_consulting")]
    QssConsulting,
    #[serde(alias = "smart_factory")]
    SmartFactory,
    #[serde(alias = "facility_improvement")]
    FacilityImprovement,
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum PresetLine {
    #[default]
    #[serde(alias = "smart_factory_2022")]
    SmartFactory2022,
    None,
}

/// Checks an amount field as the command line does, naming the field when it is wrong.
fn amount(field: &str, text: &str) -> Result<String, String> {
    parse_amount(text).map_err(|reason| format!("{field}: {reason}"))
}

impl Line {
    fn into_proto(self) -> Result<ProtoCommand, String> {
        Ok(match self {
            Line::OpenPhase(l) => ProtoCommand::OpenPhase(proto::OpenPhase {
                phase_id: l.phase_id,
                name: l.name,
                currency: l.currency,
                starts_on: l.starts_on,
                ends_on: l.ends_on,
                match_ratio: amount("match_ratio", &l.match_ratio)?,
                support_types: match l.support_types {
                    PresetLine::SmartFactory2022 => SupportTypesPreset::SmartFactory2022,
                    PresetLine::None => SupportTypesPreset::None,
                }
                .to_proto(),
            }),
            Line::ClosePhase(l) => ProtoCommand::ClosePhase(proto::ClosePhase {
                phase_id: l.phase_id,
            }),
            Line::RegisterContributor(l) => {
                ProtoCommand::RegisterContributor(proto::RegisterContributor {
                    contributor_id: l.contributor_id,
                    name: l.name,
                })
            }
            Line::RegisterAgency(l) => ProtoCommand::RegisterAgency(proto::RegisterAgency {
                agency_id: l.agency_id,
                name: l.name,
            }),
            Line::RegisterSme(l) => ProtoCommand::RegisterSme(proto::RegisterSme {
                sme_id: l.sme_id,
                business_registration_number: l.business_registration_number,
                name: l.name,
                supplier: l.supplier,
                channel: l.channel.to_arg().to_proto() as i32,
                size: l.size.to_arg().to_proto() as i32,
            }),
            Line::RecordPledge(l) => ProtoCommand::RecordPledge(proto::RecordPledge {
                pledge_id: l.pledge_id,
                phase_id: l.phase_id,
                contributor_id: l.contributor_id,
                amount: money(&amount("amount", &l.amount)?, &l.currency),
            }),
            Line::RecordContribution(l) => {
                ProtoCommand::RecordContribution(proto::RecordContribution {
                    contribution_id: l.contribution_id,
                    phase_id: l.phase_id,
                    contributor_id: l.contributor_id,
                    amount: money(&amount("amount", &l.amount)?, &l.currency),
                })
            }
            Line::RecordMatch(l) => ProtoCommand::RecordMatch(proto::RecordMatch {
                match_id: l.match_id,
                contribution_id: l.contribution_id,
                agency_id: l.agency_id,
                amount: money(&amount("amount", &l.amount)?, &l.currency),
            }),
            Line::AwardGrant(l) => ProtoCommand::AwardGrant(proto::AwardGrant {
                grant_id: l.grant_id,
                phase_id: l.phase_id,
                sme_id: l.sme_id,
                purpose: l.purpose.to_arg().to_proto() as i32,
                support_type: l.support_type,
                project_cost: money(&amount("project_cost", &l.project_cost)?, &l.currency),
                government_share: amount("government_share", &l.government_share)?,
                sponsor_share: amount("sponsor_share", &l.sponsor_share)?,
                own_share: amount("own_share", &l.own_share)?,
            }),
            Line::RecordDisbursement(l) => {
                ProtoCommand::RecordDisbursement(proto::RecordDisbursement {
                    disbursement_id: l.disbursement_id,
                    grant_id: l.grant_id,
                    amount: money(&amount("amount", &l.amount)?, &l.currency),
                })
            }
            Line::RecordRefund(l) => ProtoCommand::RecordRefund(proto::RecordRefund {
                refund_id: l.refund_id,
                grant_id: l.grant_id,
                amount: money(&amount("amount", &l.amount)?, &l.currency),
                reason: l.reason,
            }),
            Line::ReverseEntry(l) => ProtoCommand::ReverseEntry(proto::ReverseEntry {
                entry_id: l.entry_id,
                reason: l.reason,
            }),
            Line::SetSettlementRules(l) => l.into_proto()?,
            Line::RecordInterest(l) => l.into_proto()?,
            Line::SettleInterest(l) => l.into_proto()?,
            Line::SettleGrant(l) => l.into_proto(),
            Line::DecideClawback(l) => l.into_proto()?,
            Line::CollectClawback(l) => l.into_proto()?,
            Line::PassOnClawback(l) => l.into_proto(),
        })
    }
}

impl ChannelLine {
    fn to_arg(self) -> ChannelArg {
        match self {
            ChannelLine::SponsorPortal => ChannelArg::SponsorPortal,
            ChannelLine::InstitutionProposal => ChannelArg::InstitutionProposal,
            ChannelLine::Other => ChannelArg::Other,
        }
    }
}

impl SizeLine {
    fn to_arg(self) -> SizeArg {
        match self {
            SizeLine::Small => SizeArg::Small,
            SizeLine::Medium => SizeArg::Medium,
        }
    }
}

impl PurposeLine {
    fn to_arg(self) -> PurposeArg {
        match self {
            PurposeLine::QssConsulting => PurposeArg::QssConsulting,
            PurposeLine::SmartFactory => PurposeArg::SmartFactory,
            PurposeLine::FacilityImprovement => PurposeArg::FacilityImprovement,
        }
    }
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
