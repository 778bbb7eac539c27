//! The query service: balances and statuses, now or as of any point in history.

use std::sync::Arc;

use chrono::DateTime;
use tonic::{Request, Response, Status};

use super::convert::balances::*;
use super::convert::{event_to_proto, parse_date, parse_id, ConvertError};
use super::proto::query_service_server::QueryService;
use super::proto::{self, as_of::Point};
use super::status::{invalid_field, ledger_error, over_limit};
use crate::domain::{AgencyId, ContributionId, ContributorId, PhaseId, SmeId};
use crate::ledger::{AsOf, Ledger};
use crate::limits::{PAGE_EVENTS_MAX, PAGE_ITEMS_MAX, TEXT_BYTES_MAX};
use crate::projection::{Projections, SmeOrder};

/// Page size of SME listings when the client asks for none.
const SME_PAGE_DEFAULT: usize = 100;

/// Serves balance queries from the ledger's projections.
#[derive(Clone)]
pub struct QueryApi {
    ledger: Ledger,
}

impl QueryApi {
    /// A query service over `ledger`.
    pub fn new(ledger: Ledger) -> QueryApi {
        QueryApi { ledger }
    }

    /// The projections a request asks for. As-of views that need a replay read the store,
    /// so they run on the blocking pool, away from the async workers.
    async fn view(&self, as_of: Option<&proto::AsOf>) -> Result<Arc<Projections>, Status> {
        let point = as_of_point(as_of).map_err(invalid_field)?;
        if point == AsOf::Latest {
            return Ok(self.ledger.current());
        }
        let ledger = self.ledger.clone();
        tokio::task::spawn_blocking(move || ledger.projections_at(point))
            .await
            .map_err(|error| Status::internal(format!("as-of query failed: {error}")))?
            .map_err(ledger_error)
    }
}

/// Converts the wire as-of to the ledger's.
pub fn as_of_point(as_of: Option<&proto::AsOf>) -> Result<AsOf, ConvertError> {
    match as_of.and_then(|as_of| as_of.point.as_ref()) {
        None => Ok(AsOf::Latest),
        Some(Point::Sequence(sequence)) => Ok(AsOf::Sequence(*sequence)),
        Some(Point::Time(time)) => {
            let nanos = u32::try_from(time.nanos)
                .map_err(|_| ConvertError::new("as_of.time.nanos", "is negative"))?;
            DateTime::from_timestamp(time.seconds, nanos)
                .map(AsOf::Time)
                .ok_or_else(|| ConvertError::new("as_of.time", "is out of range"))
        }
    }
}

fn not_found(kind: &str, id: impl std::fmt::Display, sequence: u64) -> Status {
    Status::not_found(format!(
        "{kind} {id} does not exist as of sequence {sequence}"
    ))
}

fn sme_order(value: i32) -> Result<SmeOrder, ConvertError> {
    match proto::SmeOrder::try_from(value) {
        Ok(proto::SmeOrder::Unspecified | proto::SmeOrder::Name) => Ok(SmeOrder::ByName),
        Ok(proto::SmeOrder::AwardedDesc) => Ok(SmeOrder::ByAwardedDesc),
        Ok(proto::SmeOrder::DisbursedDesc) => Ok(SmeOrder::ByDisbursedDesc),
        Ok(proto::SmeOrder::Brn) => Ok(SmeOrder::ByBrn),
        Err(_) => Err(ConvertError::new(
            "order",
            format!("{value} is not a known order"),
        )),
    }
}

#[tonic::async_trait]
impl QueryService for QueryApi {
    async fn get_phase_balances(
        &self,
        request: Request<proto::GetPhaseBalancesRequest>,
    ) -> Result<Response<proto::PhaseBalancesResponse>, Status> {
        let message = request.into_inner();
        let id: PhaseId = parse_id("phase_id", &message.phase_id, None).map_err(invalid_field)?;
        let view = self.view(message.as_of.as_ref()).await?;
        let phase = view
            .phase(&id)
            .ok_or_else(|| not_found("phase", id, view.sequence()))?;
        Ok(Response::new(proto::PhaseBalancesResponse {
            answered_at_sequence: view.sequence(),
            phase: Some(phase_to_proto(&phase)),
        }))
    }

    async fn list_phase_balances(
        &self,
        request: Request<proto::ListPhaseBalancesRequest>,
    ) -> Result<Response<proto::ListPhaseBalancesResponse>, Status> {
        let view = self.view(request.get_ref().as_of.as_ref()).await?;
        Ok(Response::new(proto::ListPhaseBalancesResponse {
            answered_at_sequence: view.sequence(),
            phases: view.phases().iter().map(phase_to_proto).collect(),
        }))
    }

    async fn get_sme_balances(
        &self,
        request: Request<proto::GetSmeBalancesRequest>,
    ) -> Result<Response<proto::SmeBalancesResponse>, Status> {
        let message = request.into_inner();
        let id: SmeId = parse_id("sme_id", &message.sme_id, None).map_err(invalid_field)?;
        let view = self.view(message.as_of.as_ref()).await?;
        let sme = view
            .sme(&id)
            .ok_or_else(|| not_found("SME", id, view.sequence()))?;
        Ok(Response::new(proto::SmeBalancesResponse {
            answered_at_sequence: view.sequence(),
            sme: Some(sme_to_proto(&sme)),
        }))
    }

    async fn list_sme_balances(
        &self,
        request: Request<proto::ListSmeBalancesRequest>,
    ) -> Result<Response<proto::ListSmeBalancesResponse>, Status> {
        let message = request.into_inner();
        let phase = if message.phase_id.is_empty() {
            None
        } else {
            Some(parse_id::<PhaseId>("phase_id", &message.phase_id, None).map_err(invalid_field)?)
        };
        let order = sme_order(message.order).map_err(invalid_field)?;
        let page_size = match message.page_size as usize {
            0 => SME_PAGE_DEFAULT,
            size if size > PAGE_ITEMS_MAX => {
                return Err(over_limit(
                    tonic::Code::InvalidArgument,
                    "PAGE_ITEMS_MAX",
                    format!("page_size {size} is over the limit PAGE_ITEMS_MAX ({PAGE_ITEMS_MAX})"),
                ))
            }
            size => size,
        };
        let offset = if message.page_token.is_empty() {
            0
        } else {
            message.page_token.parse::<usize>().map_err(|_| {
                invalid_field(ConvertError::new(
                    "page_token",
                    "is not a token from a previous page",
                ))
            })?
        };
        let view = self.view(message.as_of.as_ref()).await?;
        let (smes, total) = view.smes(phase, order, offset, page_size);
        let next = offset + smes.len();
        Ok(Response::new(proto::ListSmeBalancesResponse {
            answered_at_sequence: view.sequence(),
            smes: smes.iter().map(sme_to_proto).collect(),
            next_page_token: if (next as u64) < total {
                next.to_string()
            } else {
                String::new()
            },
            total,
        }))
    }

    async fn get_contributor_balances(
        &self,
        request: Request<proto::GetContributorBalancesRequest>,
    ) -> Result<Response<proto::ParticipantBalancesResponse>, Status> {
        let message = request.into_inner();
        let id: ContributorId =
            parse_id("contributor_id", &message.contributor_id, None).map_err(invalid_field)?;
        let view = self.view(message.as_of.as_ref()).await?;
        let balances = view
            .contributor(&id)
            .ok_or_else(|| not_found("contributor", id, view.sequence()))?;
        Ok(Response::new(contributor_to_proto(
            &balances,
            view.sequence(),
        )))
    }

    async fn get_agency_balances(
        &self,
        request: Request<proto::GetAgencyBalancesRequest>,
    ) -> Result<Response<proto::ParticipantBalancesResponse>, Status> {
        let message = request.into_inner();
        let id: AgencyId =
            parse_id("agency_id", &message.agency_id, None).map_err(invalid_field)?;
        let view = self.view(message.as_of.as_ref()).await?;
        let balances = view
            .agency(&id)
            .ok_or_else(|| not_found("agency", id, view.sequence()))?;
        Ok(Response::new(agency_to_proto(&balances, view.sequence())))
    }

    async fn get_match_status(
        &self,
        request: Request<proto::GetMatchStatusRequest>,
    ) -> Result<Response<proto::MatchStatusResponse>, Status> {
        let message = request.into_inner();
        let id: ContributionId =
            parse_id("contribution_id", &message.contribution_id, None).map_err(invalid_field)?;
        let view = self.view(message.as_of.as_ref()).await?;
        let status = view
            .contribution(&id)
            .ok_or_else(|| not_found("contribution", id, view.sequence()))?;
        Ok(Response::new(proto::MatchStatusResponse {
            answered_at_sequence: view.sequence(),
            contribution: Some(contribution_to_proto(&status)),
        }))
    }

    async fn list_open_contributions(
        &self,
        request: Request<proto::ListOpenContributionsRequest>,
    ) -> Result<Response<proto::ListOpenContributionsResponse>, Status> {
        let message = request.into_inner();
        let id: PhaseId = parse_id("phase_id", &message.phase_id, None).map_err(invalid_field)?;
        let view = self.view(message.as_of.as_ref()).await?;
        if view.phase(&id).is_none() {
            return Err(not_found("phase", id, view.sequence()));
        }
        Ok(Response::new(proto::ListOpenContributionsResponse {
            answered_at_sequence: view.sequence(),
            contributions: view
                .open_contributions(&id)
                .iter()
                .map(contribution_to_proto)
                .collect(),
        }))
    }

    async fn list_clawbacks(
        &self,
        request: Request<proto::ListClawbacksRequest>,
    ) -> Result<Response<proto::ListClawbacksResponse>, Status> {
        let message = request.into_inner();
        let id: PhaseId = parse_id("phase_id", &message.phase_id, None).map_err(invalid_field)?;
        let on = if message.on.is_empty() {
            chrono::Utc::now().date_naive()
        } else {
            parse_date("on", &message.on).map_err(invalid_field)?
        };
        let view = self.view(message.as_of.as_ref()).await?;
        if view.phase(&id).is_none() {
            return Err(not_found("phase", id, view.sequence()));
        }
        Ok(Response::new(proto::ListClawbacksResponse {
            answered_at_sequence: view.sequence(),
            on: on.to_string(),
            clawbacks: view
                .clawbacks_of(&id)
                .into_iter()
                .map(|status| clawback_to_proto(status, on))
                .collect(),
        }))
    }

    async fn get_sponsor_report(
        &self,
        request: Request<proto::GetSponsorReportRequest>,
    ) -> Result<Response<proto::SponsorReportResponse>, Status> {
        let message = request.into_inner();
        let id: PhaseId = parse_id("phase_id", &message.phase_id, None).map_err(invalid_field)?;
        let view = self.view(message.as_of.as_ref()).await?;
        let report = view
            .sponsor_report(&id)
            .ok_or_else(|| not_found("phase", id, view.sequence()))?;
        Ok(Response::new(report_to_proto(&report, view.sequence())))
    }

    async fn get_trial_balance(
        &self,
        request: Request<proto::GetTrialBalanceRequest>,
    ) -> Result<Response<proto::TrialBalanceResponse>, Status> {
        let view = self.view(request.get_ref().as_of.as_ref()).await?;
        Ok(Response::new(trial_balance_to_proto(
            &view.trial_balance(),
            view.sequence(),
        )))
    }

    async fn find_postings_by_reference(
        &self,
        request: Request<proto::FindPostingsByReferenceRequest>,
    ) -> Result<Response<proto::FindPostingsByReferenceResponse>, Status> {
        let message = request.into_inner();
        if message.external_ref.is_empty() || message.external_ref.len() > TEXT_BYTES_MAX {
            return Err(invalid_field(ConvertError::new(
                "external_ref",
                format!("must be 1 to {TEXT_BYTES_MAX} bytes"),
            )));
        }
        let head = self.ledger.head();
        let ledger = self.ledger.clone();
        let events = tokio::task::spawn_blocking(move || {
            ledger.by_external_ref(&message.external_ref, PAGE_EVENTS_MAX)
        })
        .await
        .map_err(|error| Status::internal(format!("reference lookup failed: {error}")))?
        .map_err(ledger_error)?;
        Ok(Response::new(proto::FindPostingsByReferenceResponse {
            answered_at_sequence: head,
            events: events.iter().map(event_to_proto).collect(),
        }))
    }
}
