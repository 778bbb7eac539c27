//! A posting command as the request that carries it, and the RPC that sends it.

use super::connection::AuthChannel;

use super::args::PostingFlags;
use super::batch::read_batch_file;
use super::posting::{AgencyCommand, ContributorCommand, PhaseCommand, PostingCommand, SmeCommand};
use crate::api::proto;
use crate::api::proto::batch_command::Command as ProtoCommand;
use crate::api::proto::posting_service_client::PostingServiceClient;

/// What a posting sends: one command through its own RPC, or a batch.
#[derive(Debug, Clone, PartialEq)]
pub enum PostingBody {
    /// One command.
    Single(ProtoCommand),
    /// Commands posted atomically through `PostBatch`.
    Batch(Vec<proto::BatchCommand>),
}

/// A posting ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct PostingRequest {
    /// Recording options, with the idempotency key.
    pub options: proto::PostingOptions,
    /// The command or commands.
    pub body: PostingBody,
}

/// Wire money.
pub fn money(amount: &str, currency: &str) -> Option<proto::Money> {
    Some(proto::Money {
        amount: amount.to_string(),
        currency: currency.to_string(),
    })
}

impl PostingCommand {
    /// The posting options given on the command line.
    pub fn flags(&self) -> &PostingFlags {
        match self {
            PostingCommand::Phase(PhaseCommand::Open(args)) => &args.posting,
            PostingCommand::Phase(PhaseCommand::Close(args)) => &args.posting,
            PostingCommand::Contributor(ContributorCommand::Register(args))
            | PostingCommand::Agency(AgencyCommand::Register(args)) => &args.posting,
            PostingCommand::Sme(SmeCommand::Register(args)) => &args.posting,
            PostingCommand::Pledge(args) | PostingCommand::Contribute(args) => &args.posting,
            PostingCommand::Match(args) => &args.posting,
            PostingCommand::Award(args) => &args.posting,
            PostingCommand::Disburse(args) => &args.posting,
            PostingCommand::Refund(args) => &args.posting,
            PostingCommand::Reverse(args) => &args.posting,
            PostingCommand::Settlement(command) => command.flags(),
            PostingCommand::Batch(args) => &args.posting,
        }
    }

    /// The request to send with idempotency key `key`. Only `batch` does I/O (it reads
    /// its file); every other command is a pure mapping.
    pub fn to_request(&self, key: &str) -> anyhow::Result<PostingRequest> {
        let body = match self {
            PostingCommand::Batch(args) => PostingBody::Batch(read_batch_file(&args.file)?),
            single => PostingBody::Single(single.to_proto_command()?),
        };
        Ok(PostingRequest {
            options: self.flags().to_proto(key),
            body,
        })
    }

    fn to_proto_command(&self) -> anyhow::Result<ProtoCommand> {
        let id = |id: &Option<String>| id.clone().unwrap_or_default();
        Ok(match self {
            PostingCommand::Phase(PhaseCommand::Open(a)) => {
                ProtoCommand::OpenPhase(proto::OpenPhase {
                    phase_id: id(&a.id),
                    name: a.name.clone(),
                    currency: a.currency.clone(),
                    starts_on: a.starts_on.clone(),
                    ends_on: a.ends_on.clone(),
                    match_ratio: a.match_ratio.clone(),
                    support_types: a.support_types.to_proto(),
                })
            }
            PostingCommand::Phase(PhaseCommand::Close(a)) => {
                ProtoCommand::ClosePhase(proto::ClosePhase {
                    phase_id: a.phase.clone(),
                })
            }
            PostingCommand::Contributor(ContributorCommand::Register(a)) => {
                ProtoCommand::RegisterContributor(proto::RegisterContributor {
                    contributor_id: id(&a.id),
                    name: a.name.clone(),
                })
            }
            PostingCommand::Agency(AgencyCommand::Register(a)) => {
                ProtoCommand::RegisterAgency(proto::RegisterAgency {
                    agency_id: id(&a.id),
                    name: a.name.clone(),
                })
            }
            PostingCommand::Sme(SmeCommand::Register(a)) => {
                ProtoCommand::RegisterSme(proto::RegisterSme {
                    sme_id: id(&a.id),
                    business_registration_number: a.brn.clone(),
                    name: a.name.clone(),
                    supplier: a.supplier,
                    channel: a.channel.to_proto() as i32,
                    size: a.size.to_proto() as i32,
                })
            }
            PostingCommand::Pledge(a) => ProtoCommand::RecordPledge(proto::RecordPledge {
                pledge_id: String::new(),
                phase_id: a.phase.clone(),
                contributor_id: a.contributor.clone(),
                amount: money(&a.amount, &a.currency),
            }),
            PostingCommand::Contribute(a) => {
                ProtoCommand::RecordContribution(proto::RecordContribution {
                    contribution_id: String::new(),
                    phase_id: a.phase.clone(),
                    contributor_id: a.contributor.clone(),
                    amount: money(&a.amount, &a.currency),
                })
            }
            PostingCommand::Match(a) => ProtoCommand::RecordMatch(proto::RecordMatch {
                match_id: String::new(),
                contribution_id: a.contribution.clone(),
                agency_id: a.agency.clone(),
                amount: money(&a.amount, &a.currency),
            }),
            PostingCommand::Award(a) => ProtoCommand::AwardGrant(proto::AwardGrant {
                grant_id: String::new(),
                phase_id: a.phase.clone(),
                sme_id: a.sme.clone(),
                purpose: a.purpose.to_proto() as i32,
                support_type: a.support_type.clone(),
                project_cost: money(&a.cost, &a.currency),
                government_share: a.government.clone(),
                sponsor_share: a.sponsor.clone(),
                own_share: a.own.clone(),
            }),
            PostingCommand::Disburse(a) => {
                ProtoCommand::RecordDisbursement(proto::RecordDisbursement {
                    disbursement_id: String::new(),
                    grant_id: a.grant.clone(),
                    amount: money(&a.amount, &a.currency),
                })
            }
            PostingCommand::Refund(a) => ProtoCommand::RecordRefund(proto::RecordRefund {
                refund_id: String::new(),
                grant_id: a.grant.clone(),
                amount: money(&a.amount, &a.currency),
                reason: a.reason.clone(),
            }),
            PostingCommand::Reverse(a) => ProtoCommand::ReverseEntry(proto::ReverseEntry {
                entry_id: a.entry.clone(),
                reason: a.reason.clone(),
            }),
            PostingCommand::Settlement(command) => command.to_proto_command(),
            PostingCommand::Batch(_) => anyhow::bail!("a batch is not a single command"),
        })
    }
}

/// Sends a posting through the RPC that fits it; the demo and load generator use this too.
pub async fn send(
    client: &mut PostingServiceClient<AuthChannel>,
    request: PostingRequest,
) -> Result<proto::PostingResponse, tonic::Status> {
    let options = Some(request.options);
    let command = match request.body {
        PostingBody::Batch(commands) => {
            let batch = proto::PostBatchRequest { options, commands };
            return Ok(client.post_batch(batch).await?.into_inner());
        }
        PostingBody::Single(command) => command,
    };
    let response = match command {
        ProtoCommand::OpenPhase(c) => {
            client
                .open_phase(proto::OpenPhaseRequest {
                    options,
                    command: Some(c),
                })
                .await
        }
        ProtoCommand::ClosePhase(c) => {
            client
                .close_phase(proto::ClosePhaseRequest {
                    options,
                    command: Some(c),
                })
                .await
        }
        ProtoCommand::RegisterContributor(c) => {
            let request = proto::RegisterContributorRequest {
                options,
                command: Some(c),
            };
            client.register_contributor(request).await
        }
        ProtoCommand::RegisterAgency(c) => {
            client
                .register_agency(proto::RegisterAgencyRequest {
                    options,
                    command: Some(c),
                })
                .await
        }
        ProtoCommand::RegisterSme(c) => {
            client
                .register_sme(proto::RegisterSmeRequest {
                    options,
                    command: Some(c),
                })
                .await
        }
        ProtoCommand::RecordPledge(c) => {
            client
                .record_pledge(proto::RecordPledgeRequest {
                    options,
                    command: Some(c),
                })
                .await
        }
        ProtoCommand::RecordContribution(c) => {
            let request = proto::RecordContributionRequest {
                options,
                command: Some(c),
            };
            client.record_contribution(request).await
        }
        ProtoCommand::RecordMatch(c) => {
            client
                .record_match(proto::RecordMatchRequest {
                    options,
                    command: Some(c),
                })
                .await
        }
        ProtoCommand::AwardGrant(c) => {
            client
                .award_grant(proto::AwardGrantRequest {
                    options,
                    command: Some(c),
                })
                .await
        }
        ProtoCommand::RecordDisbursement(c) => {
            let request = proto::RecordDisbursementRequest {
                options,
                command: Some(c),
            };
            client.record_disbursement(request).await
        }
        ProtoCommand::RecordRefund(c) => {
            client
                .record_refund(proto::RecordRefundRequest {
                    options,
                    command: Some(c),
                })
                .await
        }
        ProtoCommand::ReverseEntry(c) => {
            client
                .reverse_entry(proto::ReverseEntryRequest {
                    options,
                    command: Some(c),
                })
                .await
        }
        ProtoCommand::SetSettlementRules(c) => {
            let request = proto::SetSettlementRulesRequest {
                options,
                command: Some(c),
            };
            client.set_settlement_rules(request).await
        }
        ProtoCommand::RecordInterest(c) => {
            let request = proto::RecordInterestRequest {
                options,
                command: Some(c),
            };
            client.record_interest(request).await
        }
        ProtoCommand::SettleInterest(c) => {
            let request = proto::SettleInterestRequest {
                options,
                command: Some(c),
            };
            client.settle_interest(request).await
        }
        ProtoCommand::SettleGrant(c) => {
            let request = proto::SettleGrantRequest {
                options,
                command: Some(c),
            };
            client.settle_grant(request).await
        }
        ProtoCommand::DecideClawback(c) => {
            let request = proto::DecideClawbackRequest {
                options,
                command: Some(c),
            };
            client.decide_clawback(request).await
        }
        ProtoCommand::CollectClawback(c) => {
            let request = proto::CollectClawbackRequest {
                options,
                command: Some(c),
            };
            client.collect_clawback(request).await
        }
        ProtoCommand::PassOnClawback(c) => {
            let request = proto::PassOnClawbackRequest {
                options,
                command: Some(c),
            };
            client.pass_on_clawback(request).await
        }
    };
    Ok(response?.into_inner())
}
