//! `events`: reads the log (ReadEvents) or follows it live (Subscribe, until Ctrl-C),
//! one line per event, or one JSON object per line with `--json`.

use super::connection::AuthChannel;
use clap::{Args, ValueEnum};
use tonic::Streaming;

use super::args::parse_uuid;
use super::event_view::{event_json, event_line};
use super::output::{print_json_line, print_text};
use super::status::status_error;
use crate::api::proto;
use crate::api::proto::audit_service_client::AuditServiceClient;

/// `events`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct EventsArgs {
    /// First sequence number.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub from: u64,
    /// Stop after this many events.
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
    /// Keep following new events as they commit, until Ctrl-C.
    #[arg(long)]
    pub follow: bool,
    /// Only events of this kind; repeat for several.
    #[arg(long = "kind", value_enum, value_name = "KIND")]
    pub kinds: Vec<EventKindArg>,
    /// Only events of this phase.
    #[arg(long, value_parser = parse_uuid)]
    pub phase: Option<String>,
    /// Only events about this SME.
    #[arg(long, value_parser = parse_uuid)]
    pub sme: Option<String>,
    /// Only events about this contributor.
    #[arg(long, value_parser = parse_uuid)]
    pub contributor: Option<String>,
}

/// The kinds of event, as spelled on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EventKindArg {
    /// A phase opened.
    PhaseOpened,
    /// A phase closed.
    PhaseClosed,
    /// A contributor registered.
    ContributorRegistered,
    /// An agency registered.
    AgencyRegistered,
    /// An SME registered.
    SmeRegistered,
    /// A pledge recorded.
    PledgeRecorded,
    /// A contribution recorded.
    ContributionRecorded,
    /// A match recorded.
    MatchRecorded,
    /// A grant awarded.
    GrantAwarded,
    /// A disbursement recorded.
    DisbursementRecorded,
    /// A refund recorded.
    RefundRecorded,
    /// An earlier posting reversed.
    EntryReversed,
    /// A phase's settlement rules set.
    SettlementRulesSet,
    /// Interest recorded.
    InterestRecorded,
    /// Interest returned or kept.
    InterestSettled,
    /// A grant settled.
    GrantSettled,
    /// A clawback decided.
    ClawbackDecided,
    /// A clawback collected.
    ClawbackCollected,
    /// Clawback money passed on.
    ClawbackPassedOn,
}

impl EventKindArg {
    /// The wire value.
    pub fn to_proto(self) -> proto::EventKind {
        match self {
            EventKindArg::PhaseOpened => proto::EventKind::PhaseOpened,
            EventKindArg::PhaseClosed => proto::EventKind::PhaseClosed,
            EventKindArg::ContributorRegistered => proto::EventKind::ContributorRegistered,
            EventKindArg::AgencyRegistered => proto::EventKind::AgencyRegistered,
            EventKindArg::SmeRegistered => proto::EventKind::SmeRegistered,
            EventKindArg::PledgeRecorded => proto::EventKind::PledgeRecorded,
            EventKindArg::ContributionRecorded => proto::EventKind::ContributionRecorded,
            EventKindArg::MatchRecorded => proto::EventKind::MatchRecorded,
            EventKindArg::GrantAwarded => proto::EventKind::GrantAwarded,
            EventKindArg::DisbursementRecorded => proto::EventKind::DisbursementRecorded,
            EventKindArg::RefundRecorded => proto::EventKind::RefundRecorded,
            EventKindArg::EntryReversed => proto::EventKind::EntryReversed,
            EventKindArg::SettlementRulesSet => proto::EventKind::SettlementRulesSet,
            EventKindArg::InterestRecorded => proto::EventKind::InterestRecorded,
            EventKindArg::InterestSettled => proto::EventKind::InterestSettled,
            EventKindArg::GrantSettled => proto::EventKind::GrantSettled,
            EventKindArg::ClawbackDecided => proto::EventKind::ClawbackDecided,
            EventKindArg::ClawbackCollected => proto::EventKind::ClawbackCollected,
            EventKindArg::ClawbackPassedOn => proto::EventKind::ClawbackPassedOn,
        }
    }
}

impl EventsArgs {
    /// The stream filter; empty passes everything.
    pub fn filter(&self) -> proto::EventFilter {
        proto::EventFilter {
            kinds: self
                .kinds
                .iter()
                .map(|kind| kind.to_proto() as i32)
                .collect(),
            phase_id: self.phase.clone().unwrap_or_default(),
            sme_id: self.sme.clone().unwrap_or_default(),
            contributor_id: self.contributor.clone().unwrap_or_default(),
        }
    }
}

/// Reads or follows the log and prints each event as it arrives.
pub async fn run(
    audit: &mut AuditServiceClient<AuthChannel>,
    json: bool,
    args: EventsArgs,
) -> anyhow::Result<()> {
    let filter = Some(args.filter());
    let response = if args.follow {
        let request = proto::SubscribeRequest {
            from_sequence: args.from,
            filter,
        };
        audit.subscribe(request).await
    } else {
        let request = proto::ReadEventsRequest {
            from_sequence: args.from,
            limit: args.limit.unwrap_or(0),
            filter,
        };
        audit.read_events(request).await
    };
    let stream = response
        .map_err(|status| status_error(&status))?
        .into_inner();
    print_stream(stream, json, args.limit).await
}

/// Prints events until the stream ends, `limit` events were shown, or Ctrl-C.
async fn print_stream(
    mut stream: Streaming<proto::Event>,
    json: bool,
    limit: Option<u64>,
) -> anyhow::Result<()> {
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let mut shown: u64 = 0;
    while limit.is_none_or(|limit| shown < limit) {
        let next = tokio::select! {
            // Ctrl-C ends a follow cleanly: what was printed is complete lines.
            _ = &mut ctrl_c => break,
            next = stream.message() => next,
        };
        let Some(event) = next.map_err(|status| status_error(&status))? else {
            break;
        };
        if json {
            print_json_line(&event_json(&event))?;
        } else {
            print_text(&format!("{}\n", event_line(&event)))?;
        }
        shown += 1;
    }
    Ok(())
}
