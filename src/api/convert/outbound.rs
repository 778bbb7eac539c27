//! Domain commands to their wire form, for clients built on this crate (the CLI, the
//! demo and the load generator).

use super::commands::{channel_to_proto, purpose_to_proto, size_to_proto, support_type_to_proto};
use super::values::{decimal_text, money_to_proto};
use crate::api::proto;
use crate::api::proto::batch_command::Command as ProtoCommand;
use crate::domain::Command;

/// The wire form of a command, as one command of a batch.
pub fn command_to_proto(command: &Command) -> proto::BatchCommand {
    let command = match command {
        Command::OpenPhase {
            phase,
            name,
            currency,
            starts_on,
            ends_on,
            match_ratio,
            support_types,
        } => ProtoCommand::OpenPhase(proto::OpenPhase {
            phase_id: phase.to_string(),
            name: name.clone(),
            currency: currency.code().to_string(),
            starts_on: starts_on.to_string(),
            ends_on: ends_on.to_string(),
            match_ratio: decimal_text(*match_ratio),
            support_types: support_types.iter().map(support_type_to_proto).collect(),
        }),
        Command::ClosePhase { phase } => ProtoCommand::ClosePhase(proto::ClosePhase {
            phase_id: phase.to_string(),
        }),
        Command::RegisterContributor { contributor, name } => {
            ProtoCommand::RegisterContributor(proto::RegisterContributor {
                contributor_id: contributor.to_string(),
                name: name.clone(),
            })
        }
        Command::RegisterAgency { agency, name } => {
            ProtoCommand::RegisterAgency(proto::RegisterAgency {
                agency_id: agency.to_string(),
                name: name.clone(),
            })
        }
        Command::RegisterSme {
            sme,
            brn,
            name,
            supplier,
            channel,
            size,
        } => ProtoCommand::RegisterSme(proto::RegisterSme {
            sme_id: sme.to_string(),
            business_registration_number: brn.to_string(),
            name: name.clone(),
            supplier: *supplier,
            channel: channel_to_proto(*channel) as i32,
            size: size_to_proto(*size) as i32,
        }),
        Command::RecordPledge {
            pledge,
            phase,
            contributor,
            amount,
        } => ProtoCommand::RecordPledge(proto::RecordPledge {
            pledge_id: pledge.to_string(),
            phase_id: phase.to_string(),
            contributor_id: contributor.to_string(),
            amount: Some(money_to_proto(amount)),
        }),
        Command::RecordContribution {
            contribution,
            phase,
            contributor,
            amount,
        } => ProtoCommand::RecordContribution(proto::RecordContribution {
            contribution_id: contribution.to_string(),
            phase_id: phase.to_string(),
            contributor_id: contributor.to_string(),
            amount: Some(money_to_proto(amount)),
        }),
        Command::RecordMatch {
            match_id,
            contribution,
            agency,
            amount,
        } => ProtoCommand::RecordMatch(proto::RecordMatch {
            match_id: match_id.to_string(),
            contribution_id: contribution.to_string(),
            agency_id: agency.to_string(),
            amount: Some(money_to_proto(amount)),
        }),
        Command::AwardGrant {
            grant,
            phase,
            sme,
            purpose,
            support_type,
            project_cost,
            government_share,
            sponsor_share,
            own_share,
        } => ProtoCommand::AwardGrant(proto::AwardGrant {
            grant_id: grant.to_string(),
            phase_id: phase.to_string(),
            sme_id: sme.to_string(),
            purpose: purpose_to_proto(*purpose) as i32,
            support_type: support_type.clone(),
            project_cost: Some(money_to_proto(project_cost)),
            government_share: decimal_text(*government_share),
            sponsor_share: decimal_text(*sponsor_share),
            own_share: decimal_text(*own_share),
        }),
        Command::RecordDisbursement {
            disbursement,
            grant,
            amount,
        } => ProtoCommand::RecordDisbursement(proto::RecordDisbursement {
            disbursement_id: disbursement.to_string(),
            grant_id: grant.to_string(),
            amount: Some(money_to_proto(amount)),
        }),
        Command::RecordRefund {
            refund,
            grant,
            amount,
            reason,
        } => ProtoCommand::RecordRefund(proto::RecordRefund {
            refund_id: refund.to_string(),
            grant_id: grant.to_string(),
            amount: Some(money_to_proto(amount)),
            reason: reason.clone(),
        }),
        Command::ReverseEntry { entry, reason } => {
            ProtoCommand::ReverseEntry(proto::ReverseEntry {
                entry_id: entry.to_string(),
                reason: reason.clone(),
            })
        }
        Command::SetSettlementRules {
            phase,
            rounding_unit,
            interest_may_be_kept,
        } => ProtoCommand::SetSettlementRules(proto::SetSettlementRules {
            phase_id: phase.to_string(),
            rounding_unit: decimal_text(*rounding_unit),
            interest_may_be_kept: *interest_may_be_kept,
        }),
        Command::RecordInterest { phase, amount } => {
            ProtoCommand::RecordInterest(proto::RecordInterest {
                phase_id: phase.to_string(),
                amount: Some(money_to_proto(amount)),
            })
        }
        Command::SettleInterest {
            phase,
            amount,
            keep,
        } => ProtoCommand::SettleInterest(proto::SettleInterest {
            phase_id: phase.to_string(),
            amount: Some(money_to_proto(amount)),
            keep: *keep,
        }),
        Command::SettleGrant { grant } => ProtoCommand::SettleGrant(proto::SettleGrant {
            grant_id: grant.to_string(),
        }),
        Command::DecideClawback {
            clawback,
            grant,
            amount,
            reason,
            due_on,
        } => ProtoCommand::DecideClawback(proto::DecideClawback {
            clawback_id: clawback.to_string(),
            grant_id: grant.to_string(),
            amount: Some(money_to_proto(amount)),
            reason: reason.clone(),
            due_on: due_on.to_string(),
        }),
        Command::CollectClawback { clawback, amount } => {
            ProtoCommand::CollectClawback(proto::CollectClawback {
                clawback_id: clawback.to_string(),
                amount: Some(money_to_proto(amount)),
            })
        }
        Command::PassOnClawback { clawback } => {
            ProtoCommand::PassOnClawback(proto::PassOnClawback {
                clawback_id: clawback.to_string(),
            })
        }
    };
    proto::BatchCommand {
        command: Some(command),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::convert::batch_command;
    use crate::domain::*;

    #[test]
    fn every_command_survives_a_round_trip_through_the_wire() {
        let commands = vec![
            Command::OpenPhase {
                phase: PhaseId::generate(),
                name: "Phase 1".into(),
                currency: Currency::Krw,
                starts_on: chrono::NaiveDate::from_ymd_opt(2013, 8, 1).unwrap(),
                ends_on: chrono::NaiveDate::from_ymd_opt(2018, 7, 31).unwrap(),
                match_ratio: rust_decimal::Decimal::ONE,
                support_types: SupportType::smart_factory_2022(),
            },
            Command::RegisterSme {
                sme: SmeId::generate(),
                brn: Brn::from_prefix(123_456_789),
                name: "Hanbit Precision".into(),
                supplier: true,
                channel: ApplicationChannel::InstitutionProposal,
                size: SizeClass::Small,
            },
            Command::AwardGrant {
                grant: GrantId::generate(),
                phase: PhaseId::generate(),
                sme: SmeId::generate(),
                purpose: Purpose::SmartFactory,
                support_type: "type2-basic".into(),
                project_cost: Money::parse("20000000", Currency::Krw).unwrap(),
                government_share: 10_000_000.into(),
                sponsor_share: 10_000_000.into(),
                own_share: 0.into(),
            },
            Command::RecordRefund {
                refund: RefundId::generate(),
                grant: GrantId::generate(),
                amount: Money::parse("5", Currency::Krw).unwrap(),
                reason: "obligation broken".into(),
            },
            Command::ReverseEntry {
                entry: EntryId::generate(),
                reason: "duplicate".into(),
            },
            Command::SetSettlementRules {
                phase: PhaseId::generate(),
                rounding_unit: 10.into(),
                interest_may_be_kept: true,
            },
            Command::RecordInterest {
                phase: PhaseId::generate(),
                amount: Money::parse("1234", Currency::Krw).unwrap(),
            },
            Command::SettleInterest {
                phase: PhaseId::generate(),
                amount: Money::parse("1234", Currency::Krw).unwrap(),
                keep: false,
            },
            Command::SettleGrant {
                grant: GrantId::generate(),
            },
            Command::DecideClawback {
                clawback: ClawbackId::generate(),
                grant: GrantId::generate(),
                amount: Money::parse("5000000", Currency::Krw).unwrap(),
                reason: "obligation broken".into(),
                due_on: chrono::NaiveDate::from_ymd_opt(2024, 6, 30).unwrap(),
            },
            Command::CollectClawback {
                clawback: ClawbackId::generate(),
                amount: Money::parse("2000000", Currency::Krw).unwrap(),
            },
            Command::PassOnClawback {
                clawback: ClawbackId::generate(),
            },
        ];
        for command in commands {
            let wire = command_to_proto(&command);
            assert_eq!(batch_command("c", &wire).unwrap(), command);
        }
    }
}
