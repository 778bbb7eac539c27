//! Query commands: balances and statuses, now or `--as-of` any point in history.

use clap::{Args, Subcommand, ValueEnum};

use super::args::{parse_uuid, AsOfFlag};
use super::connection::Clients;
use super::output::View;
use super::query_view as view;
use super::status::status_error;

use crate::api::proto;

/// Commands that read balances and statuses.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum QueryCommand {
    /// Balances of phases, SMEs, contributors and agencies.
    #[command(subcommand)]
    Balance(BalanceCommand),
    /// Match status of one contribution.
    MatchStatus(IdArgs),
    /// Unmatched and partially matched contributions of a phase.
    OpenContributions(IdArgs),
    /// The figures a sponsor reports for a phase.
    Report(IdArgs),
    /// The double-entry trial balance; its total is zero.
    TrialBalance(AsOfFlag),
    /// Postings made with an external reference (voucher or transfer number).
    Reference(ReferenceArgs),
    /// Every clawback of a phase: owed, held, passed on, and days overdue or held.
    Clawbacks(super::settlement::ClawbacksArgs),
}

/// Balance queries.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum BalanceCommand {
    /// Balances of one phase, or of every phase when none is named.
    Phase(PhaseBalanceArgs),
    /// Balances of one SME, in total and per phase.
    Sme(IdArgs),
    /// A sorted page of SME balances.
    Smes(SmesArgs),
    /// What a contributor pledged and paid in, per phase.
    Contributor(IdArgs),
    /// What an agency matched, per phase.
    Agency(IdArgs),
}

/// A query about one entity named by its id.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct IdArgs {
    /// Id (UUID) of the phase, SME, contributor, agency or contribution.
    #[arg(value_parser = parse_uuid)]
    pub id: String,
    #[command(flatten)]
    pub as_of: AsOfFlag,
}

/// `balance phase`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct PhaseBalanceArgs {
    /// Phase id; every phase when omitted.
    #[arg(value_parser = parse_uuid)]
    pub phase: Option<String>,
    #[command(flatten)]
    pub as_of: AsOfFlag,
}

/// `balance smes`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct SmesArgs {
    /// Only SMEs with grants in this phase.
    #[arg(long, value_parser = parse_uuid)]
    pub phase: Option<String>,
    /// Sort order.
    #[arg(long, value_enum, default_value_t = SmeOrderArg::Name)]
    pub order: SmeOrderArg,
    /// SMEs per page (the server allows at most 1000; 100 when omitted).
    #[arg(long)]
    pub page_size: Option<u32>,
    /// Token printed with the previous page.
    #[arg(long)]
    pub page_token: Option<String>,
    #[command(flatten)]
    pub as_of: AsOfFlag,
}

/// How to sort SME balances.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SmeOrderArg {
    /// By name.
    Name,
    /// Largest awarded first.
    Awarded,
    /// Largest disbursed first.
    Disbursed,
    /// By business registration number.
    Brn,
}

impl SmeOrderArg {
    /// The wire value.
    pub fn to_proto(self) -> proto::SmeOrder {
        match self {
            SmeOrderArg::Name => proto::SmeOrder::Name,
            SmeOrderArg::Awarded => proto::SmeOrder::AwardedDesc,
            SmeOrderArg::Disbursed => proto::SmeOrder::DisbursedDesc,
            SmeOrderArg::Brn => proto::SmeOrder::Brn,
        }
    }
}

/// `reference`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct ReferenceArgs {
    /// The finance system's reference.
    pub reference: String,
}

/// Asks the query service and returns the answer ready to print.
pub async fn run(clients: &mut Clients, command: QueryCommand) -> anyhow::Result<View> {
    let query = &mut clients.query;
    let view = match command {
        QueryCommand::Balance(balance) => return run_balance(clients, balance).await,
        QueryCommand::MatchStatus(a) => {
            let request = proto::GetMatchStatusRequest {
                contribution_id: a.id,
                as_of: a.as_of.to_proto(),
            };
            view::match_status(
                &query
                    .get_match_status(request)
                    .await
                    .map_err(refused)?
                    .into_inner(),
            )
        }
        QueryCommand::OpenContributions(a) => {
            let request = proto::ListOpenContributionsRequest {
                phase_id: a.id,
                as_of: a.as_of.to_proto(),
            };
            view::open_contributions(
                &query
                    .list_open_contributions(request)
                    .await
                    .map_err(refused)?
                    .into_inner(),
            )
        }
        QueryCommand::Clawbacks(a) => super::settlement::clawbacks_view(
            &query
                .list_clawbacks(a.to_request())
                .await
                .map_err(refused)?
                .into_inner(),
        ),
        QueryCommand::Report(a) => {
            let request = proto::GetSponsorReportRequest {
                phase_id: a.id,
                as_of: a.as_of.to_proto(),
            };
            view::sponsor_report(
                &query
                    .get_sponsor_report(request)
                    .await
                    .map_err(refused)?
                    .into_inner(),
            )
        }
        QueryCommand::TrialBalance(as_of) => {
            let request = proto::GetTrialBalanceRequest {
                as_of: as_of.to_proto(),
            };
            view::trial_balance(
                &query
                    .get_trial_balance(request)
                    .await
                    .map_err(refused)?
                    .into_inner(),
            )
        }
        QueryCommand::Reference(a) => {
            let request = proto::FindPostingsByReferenceRequest {
                external_ref: a.reference,
            };
            view::reference(
                &query
                    .find_postings_by_reference(request)
                    .await
                    .map_err(refused)?
                    .into_inner(),
            )
        }
    };
    Ok(view)
}

async fn run_balance(clients: &mut Clients, command: BalanceCommand) -> anyhow::Result<View> {
    let query = &mut clients.query;
    let view = match command {
        BalanceCommand::Phase(PhaseBalanceArgs {
            phase: Some(phase_id),
            as_of,
        }) => {
            let request = proto::GetPhaseBalancesRequest {
                phase_id,
                as_of: as_of.to_proto(),
            };
            view::phase(
                &query
                    .get_phase_balances(request)
                    .await
                    .map_err(refused)?
                    .into_inner(),
            )
        }
        BalanceCommand::Phase(PhaseBalanceArgs { phase: None, as_of }) => {
            let request = proto::ListPhaseBalancesRequest {
                as_of: as_of.to_proto(),
            };
            view::phases(
                &query
                    .list_phase_balances(request)
                    .await
                    .map_err(refused)?
                    .into_inner(),
            )
        }
        BalanceCommand::Sme(a) => {
            let request = proto::GetSmeBalancesRequest {
                sme_id: a.id,
                as_of: a.as_of.to_proto(),
            };
            view::sme(
                &query
                    .get_sme_balances(request)
                    .await
                    .map_err(refused)?
                    .into_inner(),
            )
        }
        BalanceCommand::Smes(a) => {
            let request = proto::ListSmeBalancesRequest {
                phase_id: a.phase.unwrap_or_default(),
                order: a.order.to_proto() as i32,
                page_size: a.page_size.unwrap_or(0),
                page_token: a.page_token.unwrap_or_default(),
                as_of: a.as_of.to_proto(),
            };
            view::smes(
                &query
                    .list_sme_balances(request)
                    .await
                    .map_err(refused)?
                    .into_inner(),
            )
        }
        BalanceCommand::Contributor(a) => {
            let request = proto::GetContributorBalancesRequest {
                contributor_id: a.id,
                as_of: a.as_of.to_proto(),
            };
            let response = query
                .get_contributor_balances(request)
                .await
                .map_err(refused)?
                .into_inner();
            view::participant(&response, view::Participant::Contributor)
        }
        BalanceCommand::Agency(a) => {
            let request = proto::GetAgencyBalancesRequest {
                agency_id: a.id,
                as_of: a.as_of.to_proto(),
            };
            let response = query
                .get_agency_balances(request)
                .await
                .map_err(refused)?
                .into_inner();
            view::participant(&response, view::Participant::Agency)
        }
    };
    Ok(view)
}

/// A refusal as the CLI's error, with the status details spelled out.
fn refused(status: tonic::Status) -> anyhow::Error {
    status_error(&status)
}
