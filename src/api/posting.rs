//! The posting service: one RPC per command plus an atomic batch.

use prost::Message;
use sha2::{Digest, Sha256};
use tonic::{Request, Response, Status};

use super::auth::{method, principal, Principal};
use super::convert::{
    batch_command, committed_event, options_context, single_command, ConvertError,
};
use super::proto::batch_command::Command as ProtoCommand;
use super::proto::posting_service_server::PostingService;
use super::proto::*;
use super::status::{invalid_field, ledger_error, over_limit};
use crate::domain::Command;
use crate::ledger::{Ledger, LedgerError, Submission};
use crate::limits::BATCH_COMMANDS_MAX;

/// Serves postings by handing them to the ledger's writer.
#[derive(Clone)]
pub struct PostingApi {
    ledger: Ledger,
}

impl PostingApi {
    /// A posting service over `ledger`.
    pub fn new(ledger: Ledger) -> PostingApi {
        PostingApi { ledger }
    }

    async fn single<T: SingleRequest>(
        &self,
        request: Request<T>,
    ) -> Result<Response<PostingResponse>, Status> {
        let principal = principal(&request)?;
        let method = method(&request);
        let message = request.into_inner();
        let command = message
            .command()
            .ok_or_else(|| invalid_field(ConvertError::new("command", "is required")))?;
        let command = single_command("command", &command).map_err(invalid_field)?;
        self.post(
            principal,
            &method,
            &message,
            message.options(),
            vec![command],
        )
        .await
    }

    async fn post<T: Message>(
        &self,
        principal: Principal,
        method: &str,
        message: &T,
        options: Option<&PostingOptions>,
        commands: Vec<Command>,
    ) -> Result<Response<PostingResponse>, Status> {
        let context = options_context(options, &principal.name).map_err(invalid_field)?;
        // The fingerprint covers the request as sent, before server-generated ids, so a
        // retry of a request that left ids empty is recognised as the same request.
        let fingerprint: [u8; 32] = Sha256::digest(message.encode_to_vec()).into();
        let submission = Submission {
            commands,
            context,
            fingerprint,
        };
        let committed = match self.ledger.submit_as(submission, principal.roles).await {
            Ok(committed) => committed,
            Err(error) => {
                if let LedgerError::Forbidden { index, command, .. } = &error {
                    tracing::warn!(
                        principal = %principal.name,
                        %method,
                        command_index = index,
                        %command,
                        "posting refused: the principal lacks the role"
                    );
                }
                return Err(ledger_error(error));
            }
        };
        Ok(Response::new(PostingResponse {
            events: committed.events.iter().map(committed_event).collect(),
            replayed: committed.replayed,
            head_sequence: committed.head,
        }))
    }
}

/// A single-command posting request.
trait SingleRequest: Message + Send + 'static {
    fn options(&self) -> Option<&PostingOptions>;
    fn command(&self) -> Option<ProtoCommand>;
}

macro_rules! single_request {
    ($($request:ty => $variant:ident),* $(,)?) => {
        $(impl SingleRequest for $request {
            fn options(&self) -> Option<&PostingOptions> {
                self.options.as_ref()
            }
            fn command(&self) -> Option<ProtoCommand> {
                self.command.clone().map(ProtoCommand::$variant)
            }
        })*
    };
}

single_request! {
    OpenPhaseRequest => OpenPhase,
    ClosePhaseRequest => ClosePhase,
    RegisterContributorRequest => RegisterContributor,
    RegisterAgencyRequest => RegisterAgency,
    RegisterSmeRequest => RegisterSme,
    RecordPledgeRequest => RecordPledge,
    RecordContributionRequest => RecordContribution,
    RecordMatchRequest => RecordMatch,
    AwardGrantRequest => AwardGrant,
    RecordDisbursementRequest => RecordDisbursement,
    RecordRefundRequest => RecordRefund,
    ReverseEntryRequest => ReverseEntry,
    SetSettlementRulesRequest => SetSettlementRules,
    RecordInterestRequest => RecordInterest,
    SettleInterestRequest => SettleInterest,
    SettleGrantRequest => SettleGrant,
    DecideClawbackRequest => DecideClawback,
    CollectClawbackRequest => CollectClawback,
    PassOnClawbackRequest => PassOnClawback,
}

#[tonic::async_trait]
impl PostingService for PostingApi {
    async fn open_phase(
        &self,
        request: Request<OpenPhaseRequest>,
    ) -> Result<Response<PostingResponse>, Status> {
        self.single(request).await
    }

    async fn close_phase(
        &self,
        request: Request<ClosePhaseRequest>,
    ) -> Result<Response<PostingResponse>, Status> {
        self.single(request).await
    }

    async fn register_contributor(
        &self,
        request: Request<RegisterContributorRequest>,
    ) -> Result<Response<PostingResponse>, Status> {
        self.single(request).await
    }

    async fn register_agency(
        &self,
        request: Request<RegisterAgencyRequest>,
    ) -> Result<Response<PostingResponse>, Status> {
        self.single(request).await
    }

    async fn register_sme(
        &self,
        request: Request<RegisterSmeRequest>,
    ) -> Result<Response<PostingResponse>, Status> {
        self.single(request).await
    }

    async fn record_pledge(
        &self,
        request: Request<RecordPledgeRequest>,
    ) -> Result<Response<PostingResponse>, Status> {
        self.single(request).await
    }

    async fn record_contribution(
        &self,
        request: Request<RecordContributionRequest>,
    ) -> Result<Response<PostingResponse>, Status> {
        self.single(request).await
    }

    async fn record_match(
        &self,
        request: Request<RecordMatchRequest>,
    ) -> Result<Response<PostingResponse>, Status> {
        self.single(request).await
    }

    async fn award_grant(
        &self,
        request: Request<AwardGrantRequest>,
    ) -> Result<Response<PostingResponse>, Status> {
        self.single(request).await
    }

    async fn record_disbursement(
        &self,
        request: Request<RecordDisbursementRequest>,
    ) -> Result<Response<PostingResponse>, Status> {
        self.single(request).await
    }

    async fn record_refund(
        &self,
        request: Request<RecordRefundRequest>,
    ) -> Result<Response<PostingResponse>, Status> {
        self.single(request).await
    }

    async fn reverse_entry(
        &self,
        request: Request<ReverseEntryRequest>,
    ) -> Result<Response<PostingResponse>, Status> {
        self.single(request).await
    }

    async fn set_settlement_rules(
        &self,
        request: Request<SetSettlementRulesRequest>,
    ) -> Result<Response<PostingResponse>, Status> {
        self.single(request).await
    }

    async fn record_interest(
        &self,
        request: Request<RecordInterestRequest>,
    ) -> Result<Response<PostingResponse>, Status> {
        self.single(request).await
    }

    async fn settle_interest(
        &self,
        request: Request<SettleInterestRequest>,
    ) -> Result<Response<PostingResponse>, Status> {
        self.single(request).await
    }

    async fn settle_grant(
        &self,
        request: Request<SettleGrantRequest>,
    ) -> Result<Response<PostingResponse>, Status> {
        self.single(request).await
    }

    async fn decide_clawback(
        &self,
        request: Request<DecideClawbackRequest>,
    ) -> Result<Response<PostingResponse>, Status> {
        self.single(request).await
    }

    async fn collect_clawback(
        &self,
        request: Request<CollectClawbackRequest>,
    ) -> Result<Response<PostingResponse>, Status> {
        self.single(request).await
    }

    async fn pass_on_clawback(
        &self,
        request: Request<PassOnClawbackRequest>,
    ) -> Result<Response<PostingResponse>, Status> {
        self.single(request).await
    }

    async fn post_batch(
        &self,
        request: Request<PostBatchRequest>,
    ) -> Result<Response<PostingResponse>, Status> {
        let principal = principal(&request)?;
        let method = method(&request);
        let message = request.into_inner();
        if message.commands.len() > BATCH_COMMANDS_MAX {
            return Err(over_limit(
                tonic::Code::InvalidArgument,
                "BATCH_COMMANDS_MAX",
                format!(
                    "a batch holds at most BATCH_COMMANDS_MAX ({BATCH_COMMANDS_MAX}) commands, this one has {}",
                    message.commands.len()
                ),
            ));
        }
        let commands = message
            .commands
            .iter()
            .enumerate()
            .map(|(index, command)| {
                batch_command(&format!("commands[{index}]"), command)
                    .map_err(|error| error.in_command(index))
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(invalid_field)?;
        self.post(
            principal,
            &method,
            &message,
            message.options.as_ref(),
            commands,
        )
        .await
    }
}
