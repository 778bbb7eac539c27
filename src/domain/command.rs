//! Commands: what a client asks the ledger to do. Imperative; each may be refused.
//!
//! Values inside a command are already validated (money, ids, numbers); the rules that
//! depend on the ledger's state are checked by [`super::decide`].

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::brn::Brn;
use super::ids::*;
use super::money::{Currency, Money};
use super::programme::{ApplicationChannel, Purpose, SizeClass, SupportType};

/// Every command the ledger accepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Command {
    OpenPhase {
        phase: PhaseId,
        name: String,
        currency: Currency,
        starts_on: NaiveDate,
        ends_on: NaiveDate,
        match_ratio: Decimal,
        support_types: Vec<SupportType>,
    },
    ClosePhase {
        phase: PhaseId,
    },
    RegisterContributor {
        contributor: ContributorId,
        name: String,
    },
    RegisterAgency {
        agency: AgencyId,
        name: String,
    },
    RegisterSme {
        sme: SmeId,
        brn: Brn,
        name: String,
        supplier: bool,
        channel: ApplicationChannel,
        size: SizeClass,
    },
    RecordPledge {
        pledge: PledgeId,
        phase: PhaseId,
        contributor: ContributorId,
        amount: Money,
    },
    RecordContribution {
        contribution: ContributionId,
        phase: PhaseId,
        contributor: ContributorId,
        amount: Money,
    },
    RecordMatch {
        match_id: MatchId,
        contribution: ContributionId,
        agency: AgencyId,
        amount: Money,
    },
    AwardGrant {
        grant: GrantId,
        phase: PhaseId,
        sme: SmeId,
        purpose: Purpose,
        support_type: String,
        project_cost: Money,
        government_share: Decimal,
        sponsor_share: Decimal,
        own_share: Decimal,
    },
    RecordDisbursement {
        disbursement: DisbursementId,
        grant: GrantId,
        amount: Money,
    },
    RecordRefund {
        refund: RefundId,
        grant: GrantId,
        amount: Money,
        reason: String,
    },
    ReverseEntry {
        entry: EntryId,
        reason: String,
    },
    SetSettlementRules {
        phase: PhaseId,
        rounding_unit: Decimal,
        interest_may_be_kept: bool,
    },
    RecordInterest {
        phase: PhaseId,
        amount: Money,
    },
    SettleInterest {
        phase: PhaseId,
        amount: Money,
        keep: bool,
    },
    SettleGrant {
        grant: GrantId,
    },
    DecideClawback {
        clawback: ClawbackId,
        grant: GrantId,
        amount: Money,
        reason: String,
        due_on: NaiveDate,
    },
    CollectClawback {
        clawback: ClawbackId,
        amount: Money,
    },
    PassOnClawback {
        clawback: ClawbackId,
    },
}

/// The roles a principal may hold; each command needs one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Role {
    /// Finance systems: pledges, contributions, awards, disbursements, refunds, their reversals.
    Finance,
    /// Government counterparts: matches and their reversals.
    Government,
    /// Auditors: every read, stream, proof and export.
    Auditor,
    /// Administrators: phases, registrations, principals.
    Admin,
}

impl Command {
    /// The command's name, for logs and error messages.
    pub fn name(&self) -> &'static str {
        match self {
            Command::OpenPhase { .. } => "OpenPhase",
            Command::ClosePhase { .. } => "ClosePhase",
            Command::RegisterContributor { .. } => "RegisterContributor",
            Command::RegisterAgency { .. } => "RegisterAgency",
            Command::RegisterSme { .. } => "RegisterSme",
            Command::RecordPledge { .. } => "RecordPledge",
            Command::RecordContribution { .. } => "RecordContribution",
            Command::RecordMatch { .. } => "RecordMatch",
            Command::AwardGrant { .. } => "AwardGrant",
            Command::RecordDisbursement { .. } => "RecordDisbursement",
            Command::RecordRefund { .. } => "RecordRefund",
            Command::ReverseEntry { .. } => "ReverseEntry",
            Command::SetSettlementRules { .. } => "SetSettlementRules",
            Command::RecordInterest { .. } => "RecordInterest",
            Command::SettleInterest { .. } => "SettleInterest",
            Command::SettleGrant { .. } => "SettleGrant",
            Command::DecideClawback { .. } => "DecideClawback",
            Command::CollectClawback { .. } => "CollectClawback",
            Command::PassOnClawback { .. } => "PassOnClawback",
        }
    }
}

/// Who posts a command and how it is to be recorded: the parts of the event envelope
/// that come from the caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandContext {
    /// The authenticated principal.
    pub actor: String,
    /// The client's idempotency key: the same key and request always give the same result.
    pub idempotency_key: String,
    /// The business date the posting is effective on.
    pub effective_date: NaiveDate,
    /// The finance system's own reference, if any.
    pub external_ref: Option<String>,
    /// A few free key/value pairs.
    pub metadata: Vec<(String, String)>,
}
