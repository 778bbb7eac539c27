//! Posting commands: the command-line grammar of registrations and money movements.
//!
//! Each becomes a request in [`super::posting_request`], without any I/O but reading a
//! batch file, so the mapping is testable without a server.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::args::{
    parse_amount, parse_currency, parse_date, parse_uuid, ChannelArg, PostingFlags, PurposeArg,
    SizeArg, SupportTypesPreset,
};
use super::settlement::SettlementCommand;

/// Commands that post to the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum PostingCommand {
    /// Opens or closes a programme phase.
    #[command(subcommand)]
    Phase(PhaseCommand),
    /// Registers a contributing company.
    #[command(subcommand)]
    Contributor(ContributorCommand),
    /// Registers a matching government agency.
    #[command(subcommand)]
    Agency(AgencyCommand),
    /// Registers a supported SME.
    #[command(subcommand)]
    Sme(SmeCommand),
    /// Records a contributor's pledge for a phase.
    Pledge(PaymentArgs),
    /// Records money paid in by a contributor.
    Contribute(PaymentArgs),
    /// Records government money matched against one contribution.
    Match(MatchArgs),
    /// Awards a support project (grant) to an SME.
    Award(AwardArgs),
    /// Records money paid out to an SME against its grant.
    Disburse(DisburseArgs),
    /// Records money an SME paid back (clawback).
    Refund(RefundArgs),
    /// Reverses an earlier posting with a compensating event.
    Reverse(ReverseArgs),
    /// Settlement: rules, interest earned and returned, grants settled.
    #[command(subcommand)]
    Settlement(SettlementCommand),
    /// Posts every command of a JSON Lines file atomically: all or nothing.
    Batch(BatchArgs),
}

/// Phase commands.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum PhaseCommand {
    /// Opens a phase with its currency, dates, match ratio and support types.
    Open(OpenPhaseArgs),
    /// Closes a phase: no new pledges, contributions or awards.
    Close(ClosePhaseArgs),
}

/// Contributor commands.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum ContributorCommand {
    /// Registers a contributor.
    Register(RegisterNamedArgs),
}

/// Agency commands.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum AgencyCommand {
    /// Registers an agency.
    Register(RegisterNamedArgs),
}

/// SME commands.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum SmeCommand {
    /// Registers an SME.
    Register(RegisterSmeArgs),
}

/// `phase open`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct OpenPhaseArgs {
    /// Name, e.g. "Industrial Innovation Movement, phase 2".
    #[arg(long)]
    pub name: String,
    /// Currency code.
    #[arg(long, default_value = "KRW", value_parser = parse_currency)]
    pub currency: String,
    /// First day (YYYY-MM-DD).
    #[arg(long, value_parser = parse_date)]
    pub starts_on: String,
    /// Last day (YYYY-MM-DD).
    #[arg(long, value_parser = parse_date)]
    pub ends_on: String,
    /// Government money per unit of contribution, e.g. 1 for one-to-one.
    #[arg(long, value_parser = parse_amount)]
    pub match_ratio: String,
    /// Phase id (UUID); the server makes one when omitted.
    #[arg(long, value_parser = parse_uuid)]
    pub id: Option<String>,
    /// Funding rules the phase's awards must follow.
    #[arg(long, value_enum, default_value_t = SupportTypesPreset::SmartFactory2022)]
    pub support_types: SupportTypesPreset,
    #[command(flatten)]
    pub posting: PostingFlags,
}

/// `phase close`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct ClosePhaseArgs {
    /// Phase id.
    #[arg(value_parser = parse_uuid)]
    pub phase: String,
    #[command(flatten)]
    pub posting: PostingFlags,
}

/// `contributor register` and `agency register`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct RegisterNamedArgs {
    /// Name.
    #[arg(long)]
    pub name: String,
    /// Id (UUID); the server makes one when omitted.
    #[arg(long, value_parser = parse_uuid)]
    pub id: Option<String>,
    #[command(flatten)]
    pub posting: PostingFlags,
}

/// `sme register`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct RegisterSmeArgs {
    /// Business registration number, 10 digits with check digit ("124-81-00998").
    #[arg(long)]
    pub brn: String,
    /// Name.
    #[arg(long)]
    pub name: String,
    /// The SME supplies the sponsor.
    #[arg(long)]
    pub supplier: bool,
    /// How it applied.
    #[arg(long, value_enum)]
    pub channel: ChannelArg,
    /// Size class.
    #[arg(long, value_enum)]
    pub size: SizeArg,
    /// SME id (UUID); the server makes one when omitted.
    #[arg(long, value_parser = parse_uuid)]
    pub id: Option<String>,
    #[command(flatten)]
    pub posting: PostingFlags,
}

/// `pledge` and `contribute`: a contributor's money for a phase.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct PaymentArgs {
    /// Phase id.
    #[arg(long, value_parser = parse_uuid)]
    pub phase: String,
    /// Contributor id.
    #[arg(long, value_parser = parse_uuid)]
    pub contributor: String,
    /// Amount, a decimal string.
    #[arg(long, value_parser = parse_amount)]
    pub amount: String,
    /// Currency code.
    #[arg(long, default_value = "KRW", value_parser = parse_currency)]
    pub currency: String,
    #[command(flatten)]
    pub posting: PostingFlags,
}

/// `match`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct MatchArgs {
    /// The contribution matched.
    #[arg(long, value_parser = parse_uuid)]
    pub contribution: String,
    /// The matching agency.
    #[arg(long, value_parser = parse_uuid)]
    pub agency: String,
    /// Government amount, a decimal string.
    #[arg(long, value_parser = parse_amount)]
    pub amount: String,
    /// Currency code.
    #[arg(long, default_value = "KRW", value_parser = parse_currency)]
    pub currency: String,
    #[command(flatten)]
    pub posting: PostingFlags,
}

/// `award`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct AwardArgs {
    /// Phase id.
    #[arg(long, value_parser = parse_uuid)]
    pub phase: String,
    /// SME id.
    #[arg(long, value_parser = parse_uuid)]
    pub sme: String,
    /// Purpose of the project.
    #[arg(long, value_enum)]
    pub purpose: PurposeArg,
    /// Code of one of the phase's support types, e.g. type1-basic.
    #[arg(long)]
    pub support_type: String,
    /// Total project cost.
    #[arg(long, value_parser = parse_amount)]
    pub cost: String,
    /// Government share.
    #[arg(long, value_parser = parse_amount)]
    pub government: String,
    /// Sponsor share.
    #[arg(long, value_parser = parse_amount)]
    pub sponsor: String,
    /// SME's own share; the three shares add up to the cost.
    #[arg(long, value_parser = parse_amount)]
    pub own: String,
    /// Currency code.
    #[arg(long, default_value = "KRW", value_parser = parse_currency)]
    pub currency: String,
    #[command(flatten)]
    pub posting: PostingFlags,
}

/// `disburse`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct DisburseArgs {
    /// Grant id.
    #[arg(long, value_parser = parse_uuid)]
    pub grant: String,
    /// Amount paid out.
    #[arg(long, value_parser = parse_amount)]
    pub amount: String,
    /// Currency code.
    #[arg(long, default_value = "KRW", value_parser = parse_currency)]
    pub currency: String,
    #[command(flatten)]
    pub posting: PostingFlags,
}

/// `refund`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct RefundArgs {
    /// Grant id.
    #[arg(long, value_parser = parse_uuid)]
    pub grant: String,
    /// Amount paid back.
    #[arg(long, value_parser = parse_amount)]
    pub amount: String,
    /// Why the money came back.
    #[arg(long)]
    pub reason: String,
    /// Currency code.
    #[arg(long, default_value = "KRW", value_parser = parse_currency)]
    pub currency: String,
    #[command(flatten)]
    pub posting: PostingFlags,
}

/// `reverse`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct ReverseArgs {
    /// Id of the posting to cancel.
    #[arg(value_parser = parse_uuid)]
    pub entry: String,
    /// Why.
    #[arg(long)]
    pub reason: String,
    #[command(flatten)]
    pub posting: PostingFlags,
}

/// `batch`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct BatchArgs {
    /// JSON Lines file, one command per line: `{"record_contribution": {"phase_id": ...,
    /// "contributor_id": ..., "amount": "100000000"}}`. Amounts are decimal strings. The
    /// format is in docs/batch.md, its JSON Schema in docs/batch.schema.json, a whole
    /// programme in examples/programme.batch.jsonl.
    pub file: PathBuf,
    #[command(flatten)]
    pub posting: PostingFlags,
}
