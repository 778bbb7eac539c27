//! Read-only views of what the decision state knows: a phase with its running totals,
//! registered SMEs, and every money posting (pledge, contribution, match, grant,
//! disbursement, refund) with whether it was reversed.
//!
//! The views are small and `Copy` (a phase shares its configuration behind an `Arc`), so
//! the persistent maps of [`super::State`] stay cheap to path-copy on every update.

use std::sync::Arc;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::brn::Brn;
use super::event::{EntryKind, PhaseOpened};
use super::ids::*;
use super::money::{Currency, Money};
use super::programme::{ApplicationChannel, Purpose, SizeClass, SupportType};
use super::settlement::SettlementRules;

/// A phase: its configuration as opened, whether it is closed, and its running totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phase {
    /// The configuration the phase was opened with (shared, never changes).
    pub opened: Arc<PhaseOpened>,
    /// Whether the phase stopped taking contributions, pledges and awards.
    pub closed: bool,
    /// Running totals, all net of reversals.
    pub totals: PhaseTotals,
    /// How the phase settles (the currency's defaults until an administrator sets them).
    pub rules: SettlementRules,
}

impl Phase {
    /// The phase's currency: every amount posted to it is in this currency.
    pub fn currency(&self) -> Currency {
        self.opened.currency
    }

    /// Government money allowed per unit of contribution.
    pub fn match_ratio(&self) -> Decimal {
        self.opened.match_ratio
    }

    /// The support type with this code, if the phase has one.
    pub fn support_type(&self, code: &str) -> Option<&SupportType> {
        self.opened
            .support_types
            .iter()
            .find(|support_type| support_type.code == code)
    }

    /// Sponsor money (contributions) not yet awarded. Never negative (rule 4).
    pub fn sponsor_available(&self) -> Decimal {
        self.totals
            .contributed
            .saturating_sub(self.totals.sponsor_awarded)
    }

    /// Government money (matches) not yet awarded. Never negative (rule 4).
    pub fn government_available(&self) -> Decimal {
        self.totals
            .matched
            .saturating_sub(self.totals.government_awarded)
    }
}

/// A phase's running totals, each net of reversals, in the phase's currency.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhaseTotals {
    /// Pledges recorded.
    pub pledged: Decimal,
    /// Contributions paid in (the sponsor part of the pool).
    pub contributed: Decimal,
    /// Matches paid in (the government part of the pool).
    pub matched: Decimal,
    /// Sponsor shares of active grants.
    pub sponsor_awarded: Decimal,
    /// Government shares of active grants.
    pub government_awarded: Decimal,
    /// SMEs' own shares of active grants (recorded, never paid from the pool).
    pub own_awarded: Decimal,
    /// Disbursements paid out.
    pub disbursed: Decimal,
    /// Refunds paid back.
    pub refunded: Decimal,
    /// Contributions + matches − disbursements + refunds + interest − returns. Never
    /// negative (rule 5).
    pub cash: Decimal,
    /// Interest earned on the phase's account.
    pub interest_earned: Decimal,
    /// Interest earned and not yet returned or kept (rule 12).
    pub interest_held: Decimal,
    /// Interest and unspent money returned to the government and the sponsor.
    pub returned: Decimal,
}

/// A registered SME's attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmeView {
    pub brn: Brn,
    /// Whether the SME supplies the sponsor.
    pub supplier: bool,
    pub channel: ApplicationChannel,
    pub size: SizeClass,
}

/// A contributor's promise for a phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PledgeView {
    pub phase: PhaseId,
    pub contributor: ContributorId,
    pub amount: Money,
    pub reversed: bool,
}

/// Money a contributor paid into a phase, and how much of it the government matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContributionView {
    pub phase: PhaseId,
    pub contributor: ContributorId,
    pub amount: Money,
    /// Sum of active (non-reversed) matches against this contribution.
    pub matched: Decimal,
    /// The most that may be matched: phase match ratio × amount (rule 3).
    pub match_limit: Decimal,
    pub reversed: bool,
}

/// How far a contribution has been matched. The one classification used by the rules,
/// the projections and the offline match verifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum MatchStatus {
    /// No active match.
    Unmatched,
    /// Some, but less than the limit.
    PartiallyMatched,
    /// Matched up to ratio × contribution.
    Matched,
}

impl MatchStatus {
    /// The status of `matched` active government money against a limit of `limit`.
    pub fn of(matched: Decimal, limit: Decimal) -> MatchStatus {
        if matched <= Decimal::ZERO {
            MatchStatus::Unmatched
        } else if matched < limit {
            MatchStatus::PartiallyMatched
        } else {
            MatchStatus::Matched
        }
    }

    /// Stable lower-case name used in reports and exports.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchStatus::Unmatched => "unmatched",
            MatchStatus::PartiallyMatched => "partially_matched",
            MatchStatus::Matched => "matched",
        }
    }
}

impl ContributionView {
    /// Unmatched, partially matched or matched (rule 3's vocabulary).
    pub fn status(&self) -> MatchStatus {
        MatchStatus::of(self.matched, self.match_limit)
    }

    /// What may still be matched: limit − active matches.
    pub fn match_outstanding(&self) -> Decimal {
        self.match_limit.saturating_sub(self.matched)
    }
}

/// Government money paid against one contribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchView {
    pub contribution: ContributionId,
    pub phase: PhaseId,
    pub agency: AgencyId,
    pub amount: Money,
    pub reversed: bool,
}

/// One support project of one SME, its shares and what was paid on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantView {
    pub phase: PhaseId,
    pub sme: SmeId,
    pub purpose: Purpose,
    pub project_cost: Money,
    pub government_share: Decimal,
    pub sponsor_share: Decimal,
    pub own_share: Decimal,
    /// Sum of active disbursements.
    pub disbursed: Decimal,
    /// Sum of active refunds.
    pub refunded: Decimal,
    pub reversed: bool,
    /// Whether the grant was settled (rule 13): no more disbursements, no reversals.
    pub settled: bool,
    /// Clawbacks decided on the grant and not yet collected (rule 14).
    pub clawback_outstanding: Decimal,
}

impl GrantView {
    /// The part paid from the pool: government + sponsor shares (rule 5's ceiling).
    pub fn funded(&self) -> Decimal {
        self.government_share.saturating_add(self.sponsor_share)
    }

    /// Disbursed net of refunds: what a refund may still claw back (rule 6).
    pub fn net_disbursed(&self) -> Decimal {
        self.disbursed.saturating_sub(self.refunded)
    }
}

/// A decided clawback: what the SME owes, what was collected, what was passed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClawbackView {
    pub grant: GrantId,
    pub phase: PhaseId,
    pub sme: SmeId,
    pub amount: Decimal,
    pub collected: Decimal,
    pub passed_on: Decimal,
}

impl ClawbackView {
    /// Decided − collected: what the SME still owes.
    pub fn outstanding(&self) -> Decimal {
        self.amount.saturating_sub(self.collected)
    }

    /// Collected − passed on: what the fund holds and must pass on.
    pub fn held(&self) -> Decimal {
        self.collected.saturating_sub(self.passed_on)
    }
}

/// Money paid out to an SME against a grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisbursementView {
    pub grant: GrantId,
    pub phase: PhaseId,
    pub sme: SmeId,
    pub amount: Money,
    pub reversed: bool,
}

/// Money an SME paid back against a grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundView {
    pub grant: GrantId,
    pub phase: PhaseId,
    pub sme: SmeId,
    pub amount: Money,
    pub reversed: bool,
}

/// Any money posting; all share one id namespace ([`EntryId`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Entry {
    Pledge(PledgeView),
    Contribution(ContributionView),
    Match(MatchView),
    Grant(GrantView),
    Disbursement(DisbursementView),
    Refund(RefundView),
}

impl Entry {
    /// Which kind of posting this is.
    pub fn kind(&self) -> EntryKind {
        match self {
            Entry::Pledge(_) => EntryKind::Pledge,
            Entry::Contribution(_) => EntryKind::Contribution,
            Entry::Match(_) => EntryKind::Match,
            Entry::Grant(_) => EntryKind::Grant,
            Entry::Disbursement(_) => EntryKind::Disbursement,
            Entry::Refund(_) => EntryKind::Refund,
        }
    }

    /// The phase the posting belongs to.
    pub fn phase(&self) -> PhaseId {
        match self {
            Entry::Pledge(view) => view.phase,
            Entry::Contribution(view) => view.phase,
            Entry::Match(view) => view.phase,
            Entry::Grant(view) => view.phase,
            Entry::Disbursement(view) => view.phase,
            Entry::Refund(view) => view.phase,
        }
    }

    /// Whether a reversal cancelled the posting.
    pub fn is_reversed(&self) -> bool {
        match self {
            Entry::Pledge(view) => view.reversed,
            Entry::Contribution(view) => view.reversed,
            Entry::Match(view) => view.reversed,
            Entry::Grant(view) => view.reversed,
            Entry::Disbursement(view) => view.reversed,
            Entry::Refund(view) => view.reversed,
        }
    }

    /// Marks the posting reversed (used by the fold only).
    pub(crate) fn mark_reversed(&mut self) {
        match self {
            Entry::Pledge(view) => view.reversed = true,
            Entry::Contribution(view) => view.reversed = true,
            Entry::Match(view) => view.reversed = true,
            Entry::Grant(view) => view.reversed = true,
            Entry::Disbursement(view) => view.reversed = true,
            Entry::Refund(view) => view.reversed = true,
        }
    }
}
