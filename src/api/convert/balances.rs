//! Projection figures to their wire form.

use super::commands::{channel_to_proto, size_to_proto};
use super::values::decimal_text;
use crate::api::proto;
use chrono::NaiveDate;

use crate::domain::{Currency, PhaseId, SettlementRules};
use crate::projection::{
    AgencyBalances, ClawbackStatus, ContributionStatus, ContributorBalances, MatchStatus,
    PhaseBalances, PhaseStatus, ReportLine, SmeBalances, SmeFigures, SponsorReport, TrialBalance,
};

/// Wire form of a phase's balances.
pub fn phase_to_proto(phase: &PhaseBalances) -> proto::PhaseBalances {
    proto::PhaseBalances {
        phase_id: phase.phase.to_string(),
        name: phase.name.clone(),
        currency: phase.currency.code().to_string(),
        closed: phase.status == PhaseStatus::Closed,
        starts_on: phase.starts_on.to_string(),
        ends_on: phase.ends_on.to_string(),
        match_ratio: decimal_text(phase.match_ratio),
        pledged: decimal_text(phase.pledged),
        contributed: decimal_text(phase.contributed),
        matched: decimal_text(phase.matched),
        match_outstanding: decimal_text(phase.match_outstanding),
        pool: decimal_text(phase.pool),
        awarded: decimal_text(phase.awarded),
        awarded_government: decimal_text(phase.awarded_government),
        awarded_sponsor: decimal_text(phase.awarded_sponsor),
        own_shares: decimal_text(phase.own_share),
        disbursed: decimal_text(phase.disbursed),
        refunded: decimal_text(phase.refunded),
        cash: decimal_text(phase.cash),
        uncommitted: decimal_text(phase.uncommitted),
        smes_supported: phase.smes_supported,
        projects: phase.projects,
        settlement: Some(settlement_to_proto(phase)),
    }
}

/// Wire form of one clawback, its ages counted to the business date `on`.
pub fn clawback_to_proto(status: &ClawbackStatus, on: NaiveDate) -> proto::ClawbackStatus {
    proto::ClawbackStatus {
        clawback_id: status.clawback.to_string(),
        grant_id: status.grant.to_string(),
        sme_id: status.sme.to_string(),
        amount: decimal_text(status.amount),
        reason: status.reason.clone(),
        decided_on: status.decided_on.to_string(),
        due_on: status.due_on.to_string(),
        collected: decimal_text(status.collected),
        outstanding: decimal_text(status.outstanding()),
        held: decimal_text(status.held()),
        passed_on: decimal_text(status.passed_on),
        returned_government: decimal_text(status.returned_government),
        returned_sponsor: decimal_text(status.returned_sponsor),
        remainder: decimal_text(status.remainder),
        overdue_days: status.overdue_days(on).unwrap_or(0),
        held_days: status.held_days(on).unwrap_or(0),
    }
}

/// Wire form of a phase's settlement figures; the currency's defaults until rules are set.
fn settlement_to_proto(phase: &PhaseBalances) -> proto::PhaseSettlement {
    let figures = &phase.settlement;
    let rules = figures
        .rules
        .unwrap_or_else(|| SettlementRules::default_for(phase.currency));
    proto::PhaseSettlement {
        rounding_unit: decimal_text(rules.rounding_unit),
        interest_may_be_kept: rules.interest_may_be_kept,
        interest_earned: decimal_text(figures.interest_earned),
        interest_held: decimal_text(figures.interest_held()),
        interest_returned_government: decimal_text(figures.interest_returned_government),
        interest_returned_sponsor: decimal_text(figures.interest_returned_sponsor),
        interest_kept: decimal_text(figures.interest_kept),
        interest_remainder: decimal_text(figures.interest_remainder),
        grants_settled: figures.grants_settled,
        spent_on_settled: decimal_text(figures.spent_on_settled),
        unspent: decimal_text(figures.unspent),
        unspent_returned_government: decimal_text(figures.unspent_returned_government),
        unspent_returned_sponsor: decimal_text(figures.unspent_returned_sponsor),
        unspent_remainder: decimal_text(figures.unspent_remainder),
        clawbacks_decided: decimal_text(figures.clawbacks_decided),
        clawbacks_outstanding: decimal_text(figures.clawbacks_outstanding()),
        clawbacks_collected: decimal_text(figures.clawbacks_collected),
        clawbacks_held: decimal_text(figures.clawbacks_held()),
        clawback_returned_government: decimal_text(figures.clawback_returned_government),
        clawback_returned_sponsor: decimal_text(figures.clawback_returned_sponsor),
        clawback_remainder: decimal_text(figures.clawback_remainder),
    }
}

fn sme_figures(phase: Option<PhaseId>, figures: &SmeFigures) -> proto::SmeFigures {
    proto::SmeFigures {
        phase_id: phase.map(|phase| phase.to_string()).unwrap_or_default(),
        currency: figures.currency.code().to_string(),
        awarded: decimal_text(figures.awarded),
        disbursed: decimal_text(figures.disbursed),
        refunded: decimal_text(figures.refunded),
        outstanding: decimal_text(figures.outstanding),
        projects: figures.projects,
        own_share: decimal_text(figures.own_share),
    }
}

/// Wire form of an SME's balances.
pub fn sme_to_proto(sme: &SmeBalances) -> proto::SmeBalances {
    proto::SmeBalances {
        sme_id: sme.sme.to_string(),
        business_registration_number: sme.brn.to_string(),
        name: sme.name.clone(),
        supplier: sme.supplier,
        channel: channel_to_proto(sme.channel) as i32,
        size: size_to_proto(sme.size) as i32,
        totals: sme
            .totals
            .iter()
            .map(|figures| sme_figures(None, figures))
            .collect(),
        phases: sme
            .phases
            .iter()
            .map(|(phase, figures)| sme_figures(Some(*phase), figures))
            .collect(),
    }
}

/// Wire form of a contributor's balances.
pub fn contributor_to_proto(
    balances: &ContributorBalances,
    sequence: u64,
) -> proto::ParticipantBalancesResponse {
    proto::ParticipantBalancesResponse {
        answered_at_sequence: sequence,
        id: balances.contributor.to_string(),
        name: balances.name.clone(),
        phases: balances
            .phases
            .iter()
            .map(|(phase, figures)| {
                participant_phase(
                    *phase,
                    figures.currency,
                    Some(figures.pledged),
                    figures.contributed,
                )
            })
            .collect(),
    }
}

/// Wire form of an agency's balances.
pub fn agency_to_proto(
    balances: &AgencyBalances,
    sequence: u64,
) -> proto::ParticipantBalancesResponse {
    proto::ParticipantBalancesResponse {
        answered_at_sequence: sequence,
        id: balances.agency.to_string(),
        name: balances.name.clone(),
        phases: balances
            .phases
            .iter()
            .map(|(phase, figures)| {
                participant_phase(*phase, figures.currency, None, figures.matched)
            })
            .collect(),
    }
}

fn participant_phase(
    phase: PhaseId,
    currency: Currency,
    pledged: Option<rust_decimal::Decimal>,
    paid_in: rust_decimal::Decimal,
) -> proto::ParticipantPhase {
    proto::ParticipantPhase {
        phase_id: phase.to_string(),
        currency: currency.code().to_string(),
        pledged: pledged.map(decimal_text).unwrap_or_default(),
        paid_in: decimal_text(paid_in),
    }
}

/// Wire form of a contribution's match status.
pub fn contribution_to_proto(status: &ContributionStatus) -> proto::ContributionStatus {
    proto::ContributionStatus {
        contribution_id: status.contribution.to_string(),
        phase_id: status.phase.to_string(),
        contributor_id: status.contributor.to_string(),
        amount: Some(proto::Money {
            amount: decimal_text(status.amount),
            currency: status.currency.code().to_string(),
        }),
        matched: decimal_text(status.matched),
        match_limit: decimal_text(status.limit),
        outstanding: decimal_text(status.outstanding),
        status: match status.status {
            MatchStatus::Unmatched => proto::MatchStatus::Unmatched,
            MatchStatus::PartiallyMatched => proto::MatchStatus::Partial,
            MatchStatus::Matched => proto::MatchStatus::Matched,
        } as i32,
        reversed: status.reversed,
        match_ids: status.matches.iter().map(ToString::to_string).collect(),
        reversed_match_ids: status
            .reversed_matches
            .iter()
            .map(ToString::to_string)
            .collect(),
    }
}

fn category(line: &ReportLine) -> proto::CategoryFigures {
    proto::CategoryFigures {
        category: line.key.clone(),
        projects: line.projects,
        awarded: decimal_text(line.funded),
    }
}

/// Wire form of a sponsor report.
pub fn report_to_proto(report: &SponsorReport, sequence: u64) -> proto::SponsorReportResponse {
    proto::SponsorReportResponse {
        answered_at_sequence: sequence,
        phase_id: report.phase.to_string(),
        currency: report.currency.code().to_string(),
        smes_supported: report.smes_supported,
        projects: report.projects,
        non_supplier_smes: report.non_supplier_smes,
        non_supplier_share: decimal_text(report.non_supplier_share),
        by_purpose: report.by_purpose.iter().map(category).collect(),
        by_support_type: report.by_support_type.iter().map(category).collect(),
        by_channel: report.by_channel.iter().map(category).collect(),
        by_size: report.by_size.iter().map(category).collect(),
    }
}

/// Wire form of the trial balance.
pub fn trial_balance_to_proto(
    balance: &TrialBalance,
    sequence: u64,
) -> proto::TrialBalanceResponse {
    proto::TrialBalanceResponse {
        answered_at_sequence: sequence,
        accounts: balance
            .lines
            .iter()
            .map(|line| proto::AccountBalance {
                account: format!("phase/{}/{}", line.phase, line.account.as_str()),
                currency: line.currency.code().to_string(),
                balance: decimal_text(line.balance),
            })
            .collect(),
        totals: balance
            .totals
            .iter()
            .map(|total| proto::Money {
                amount: decimal_text(total.net),
                currency: total.currency.code().to_string(),
            })
            .collect(),
    }
}
