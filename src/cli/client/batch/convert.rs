//! A parsed batch line into its proto command, each amount checked as the command line
//! checks it and named when it is wrong.

use super::lines::{ChannelLine, Line, PresetLine, PurposeLine, SizeLine};
use crate::api::proto;
use crate::api::proto::batch_command::Command as ProtoCommand;
use crate::cli::client::args::{parse_amount, ChannelArg, PurposeArg, SizeArg, SupportTypesPreset};
use crate::cli::client::posting_request::money;

/// Checks an amount field as the command line does, naming the field when it is wrong.
fn amount(field: &str, text: &str) -> Result<String, String> {
    parse_amount(text).map_err(|reason| format!("{field}: {reason}"))
}

impl Line {
    pub(super) fn into_proto(self) -> Result<ProtoCommand, String> {
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
