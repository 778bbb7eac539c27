//! Events: the immutable facts the ledger records. Past tense; never edited, never deleted.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::brn::Brn;
use super::ids::*;
use super::money::{Currency, Money};
use super::programme::{ApplicationChannel, Purpose, SizeClass, SupportType};
use super::settlement::{SettlementRules, Split};

/// A programme phase began taking pledges, contributions and awards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhaseOpened {
    pub phase: PhaseId,
    pub name: String,
    pub currency: Currency,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// Government money allowed per unit of contribution (1 for one-to-one).
    pub match_ratio: Decimal,
    pub support_types: Vec<SupportType>,
}

/// A phase stopped taking pledges, contributions and awards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhaseClosed {
    pub phase: PhaseId,
}

/// A company that pays into the fund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContributorRegistered {
    pub contributor: ContributorId,
    pub name: String,
}

/// A government body that matches contributions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgencyRegistered {
    pub agency: AgencyId,
    pub name: String,
}

/// A supported company and the attributes the sponsor reports on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmeRegistered {
    pub sme: SmeId,
    pub brn: Brn,
    pub name: String,
    /// Whether the SME supplies the sponsor.
    pub supplier: bool,
    pub channel: ApplicationChannel,
    pub size: SizeClass,
}

/// A contributor promised an amount for a phase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PledgeRecorded {
    pub pledge: PledgeId,
    pub phase: PhaseId,
    pub contributor: ContributorId,
    pub amount: Money,
}

/// A contributor paid money into a phase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContributionRecorded {
    pub contribution: ContributionId,
    pub phase: PhaseId,
    pub contributor: ContributorId,
    pub amount: Money,
}

/// An agency paid government money against one contribution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchRecorded {
    pub match_id: MatchId,
    pub contribution: ContributionId,
    pub phase: PhaseId,
    pub agency: AgencyId,
    pub amount: Money,
}

/// A support project of one SME was awarded, with its cost split into shares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantAwarded {
    pub grant: GrantId,
    pub phase: PhaseId,
    pub sme: SmeId,
    pub purpose: Purpose,
    /// Code of one of the phase's support types.
    pub support_type: String,
    pub project_cost: Money,
    /// Paid from the government (matched) part of the pool; zero is allowed.
    pub government_share: Decimal,
    /// Paid from the sponsor (contributed) part of the pool; zero is allowed.
    pub sponsor_share: Decimal,
    /// Paid by the SME itself; recorded, never paid from the pool.
    pub own_share: Decimal,
}

/// Money was paid out to an SME against its grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisbursementRecorded {
    pub disbursement: DisbursementId,
    pub grant: GrantId,
    pub phase: PhaseId,
    pub sme: SmeId,
    pub amount: Money,
}

/// An SME paid money back against its grant (clawback, 환수).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundRecorded {
    pub refund: RefundId,
    pub grant: GrantId,
    pub phase: PhaseId,
    pub sme: SmeId,
    pub amount: Money,
    pub reason: String,
}

/// An earlier posting was cancelled by this compensating event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryReversed {
    /// The posting cancelled.
    pub entry: EntryId,
    /// Which kind of posting it was.
    pub kind: EntryKind,
    /// The phase of the cancelled posting.
    pub phase: PhaseId,
    /// The amount the cancelled posting moved (for a grant, its funded part).
    pub amount: Money,
    pub reason: String,
}

/// A phase's settlement rules were set; the latest rules shape every later settlement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettlementRulesSet {
    pub phase: PhaseId,
    pub rules: SettlementRules,
}

/// Interest the phase's bank account earned (이자, 과실금): held for those who paid in,
/// outside the pool, until it is returned or kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterestRecorded {
    pub phase: PhaseId,
    pub amount: Money,
}

/// Interest held was returned to the government and the sponsor pro rata to what each
/// paid in, or kept in the fund where the phase's rules allow it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterestSettled {
    pub phase: PhaseId,
    pub amount: Money,
    /// Kept in the fund: nothing returned, and `split` is all zero.
    pub kept: bool,
    /// Each side's part and what was returned to it; the rest is the remainder.
    pub split: Split,
    /// The rounding unit the returns were rounded down to.
    pub rounding_unit: Decimal,
}

/// A grant was settled when its project ended: what was disbursed stands as spent, and the
/// unspent part of its funded shares (집행잔액) went back to the government and the sponsor
/// pro rata to their shares. A settled grant takes no more disbursements.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantSettled {
    pub grant: GrantId,
    pub phase: PhaseId,
    pub sme: SmeId,
    /// Disbursed on the grant when it was settled (spent).
    pub disbursed: Decimal,
    /// Refunded (clawed back) on the grant when it was settled.
    pub refunded: Decimal,
    /// The unspent part (funded − disbursed) split by source, and what went back to each.
    pub split: Split,
    /// The rounding unit the returns were rounded down to.
    pub rounding_unit: Decimal,
}

impl GrantSettled {
    /// Funded − disbursed: what the project did not spend.
    pub fn unspent(&self) -> Decimal {
        self.split
            .government_part
            .saturating_add(self.split.sponsor_part)
    }
}

/// A clawback was decided against a grant (환수 결정): the SME owes `amount` by `due_on`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClawbackDecided {
    pub clawback: ClawbackId,
    pub grant: GrantId,
    pub phase: PhaseId,
    pub sme: SmeId,
    pub amount: Money,
    pub reason: String,
    /// The day by which the SME must pay; unpaid after it, the clawback is overdue.
    pub due_on: NaiveDate,
}

/// Part or all of a decided clawback was collected from the SME: money back in the fund's
/// cash, counted as refunded on the grant, held until passed on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClawbackCollected {
    pub clawback: ClawbackId,
    pub grant: GrantId,
    pub phase: PhaseId,
    pub sme: SmeId,
    pub amount: Money,
}

/// Collected clawback money was passed on to the government and the sponsor pro rata to
/// the grant's shares: it leaves the fund, so it is not held any more.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClawbackPassedOn {
    pub clawback: ClawbackId,
    pub grant: GrantId,
    pub phase: PhaseId,
    /// The collected money passed on, by source, and what went to each.
    pub split: Split,
    pub rounding_unit: Decimal,
}

/// The kinds of money posting a reversal can cancel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EntryKind {
    Pledge,
    Contribution,
    Match,
    Grant,
    Disbursement,
    Refund,
}

impl EntryKind {
    /// Stable lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Pledge => "pledge",
            EntryKind::Contribution => "contribution",
            EntryKind::Match => "match",
            EntryKind::Grant => "grant",
            EntryKind::Disbursement => "disbursement",
            EntryKind::Refund => "refund",
        }
    }
}

/// Every fact the ledger can record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    PhaseOpened(PhaseOpened),
    PhaseClosed(PhaseClosed),
    ContributorRegistered(ContributorRegistered),
    AgencyRegistered(AgencyRegistered),
    SmeRegistered(SmeRegistered),
    PledgeRecorded(PledgeRecorded),
    ContributionRecorded(ContributionRecorded),
    MatchRecorded(MatchRecorded),
    GrantAwarded(GrantAwarded),
    DisbursementRecorded(DisbursementRecorded),
    RefundRecorded(RefundRecorded),
    EntryReversed(EntryReversed),
    SettlementRulesSet(SettlementRulesSet),
    InterestRecorded(InterestRecorded),
    InterestSettled(InterestSettled),
    GrantSettled(GrantSettled),
    ClawbackDecided(ClawbackDecided),
    ClawbackCollected(ClawbackCollected),
    ClawbackPassedOn(ClawbackPassedOn),
}

/// The kind of an event, for filters and reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum EventKind {
    PhaseOpened,
    PhaseClosed,
    ContributorRegistered,
    AgencyRegistered,
    SmeRegistered,
    PledgeRecorded,
    ContributionRecorded,
    MatchRecorded,
    GrantAwarded,
    DisbursementRecorded,
    RefundRecorded,
    EntryReversed,
    SettlementRulesSet,
    InterestRecorded,
    InterestSettled,
    GrantSettled,
    ClawbackDecided,
    ClawbackCollected,
    ClawbackPassedOn,
}

impl EventKind {
    /// Every kind, in declaration order.
    pub const ALL: [EventKind; 19] = [
        EventKind::PhaseOpened,
        EventKind::PhaseClosed,
        EventKind::ContributorRegistered,
        EventKind::AgencyRegistered,
        EventKind::SmeRegistered,
        EventKind::PledgeRecorded,
        EventKind::ContributionRecorded,
        EventKind::MatchRecorded,
        EventKind::GrantAwarded,
        EventKind::DisbursementRecorded,
        EventKind::RefundRecorded,
        EventKind::EntryReversed,
        EventKind::SettlementRulesSet,
        EventKind::InterestRecorded,
        EventKind::InterestSettled,
        EventKind::GrantSettled,
        EventKind::ClawbackDecided,
        EventKind::ClawbackCollected,
        EventKind::ClawbackPassedOn,
    ];

    /// The event name as it appears in exports and filters.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::PhaseOpened => "PhaseOpened",
            EventKind::PhaseClosed => "PhaseClosed",
            EventKind::ContributorRegistered => "ContributorRegistered",
            EventKind::AgencyRegistered => "AgencyRegistered",
            EventKind::SmeRegistered => "SmeRegistered",
            EventKind::PledgeRecorded => "PledgeRecorded",
            EventKind::ContributionRecorded => "ContributionRecorded",
            EventKind::MatchRecorded => "MatchRecorded",
            EventKind::GrantAwarded => "GrantAwarded",
            EventKind::DisbursementRecorded => "DisbursementRecorded",
            EventKind::RefundRecorded => "RefundRecorded",
            EventKind::EntryReversed => "EntryReversed",
            EventKind::SettlementRulesSet => "SettlementRulesSet",
            EventKind::InterestRecorded => "InterestRecorded",
            EventKind::InterestSettled => "InterestSettled",
            EventKind::GrantSettled => "GrantSettled",
            EventKind::ClawbackDecided => "ClawbackDecided",
            EventKind::ClawbackCollected => "ClawbackCollected",
            EventKind::ClawbackPassedOn => "ClawbackPassedOn",
        }
    }
}

impl Event {
    /// The kind of this event.
    pub fn kind(&self) -> EventKind {
        match self {
            Event::PhaseOpened(_) => EventKind::PhaseOpened,
            Event::PhaseClosed(_) => EventKind::PhaseClosed,
            Event::ContributorRegistered(_) => EventKind::ContributorRegistered,
            Event::AgencyRegistered(_) => EventKind::AgencyRegistered,
            Event::SmeRegistered(_) => EventKind::SmeRegistered,
            Event::PledgeRecorded(_) => EventKind::PledgeRecorded,
            Event::ContributionRecorded(_) => EventKind::ContributionRecorded,
            Event::MatchRecorded(_) => EventKind::MatchRecorded,
            Event::GrantAwarded(_) => EventKind::GrantAwarded,
            Event::DisbursementRecorded(_) => EventKind::DisbursementRecorded,
            Event::RefundRecorded(_) => EventKind::RefundRecorded,
            Event::EntryReversed(_) => EventKind::EntryReversed,
            Event::SettlementRulesSet(_) => EventKind::SettlementRulesSet,
            Event::InterestRecorded(_) => EventKind::InterestRecorded,
            Event::InterestSettled(_) => EventKind::InterestSettled,
            Event::GrantSettled(_) => EventKind::GrantSettled,
            Event::ClawbackDecided(_) => EventKind::ClawbackDecided,
            Event::ClawbackCollected(_) => EventKind::ClawbackCollected,
            Event::ClawbackPassedOn(_) => EventKind::ClawbackPassedOn,
        }
    }

    /// The phase this event belongs to, if any (registrations belong to none).
    pub fn phase(&self) -> Option<PhaseId> {
        match self {
            Event::PhaseOpened(e) => Some(e.phase),
            Event::PhaseClosed(e) => Some(e.phase),
            Event::PledgeRecorded(e) => Some(e.phase),
            Event::ContributionRecorded(e) => Some(e.phase),
            Event::MatchRecorded(e) => Some(e.phase),
            Event::GrantAwarded(e) => Some(e.phase),
            Event::DisbursementRecorded(e) => Some(e.phase),
            Event::RefundRecorded(e) => Some(e.phase),
            Event::EntryReversed(e) => Some(e.phase),
            Event::SettlementRulesSet(e) => Some(e.phase),
            Event::InterestRecorded(e) => Some(e.phase),
            Event::InterestSettled(e) => Some(e.phase),
            Event::GrantSettled(e) => Some(e.phase),
            Event::ClawbackDecided(e) => Some(e.phase),
            Event::ClawbackCollected(e) => Some(e.phase),
            Event::ClawbackPassedOn(e) => Some(e.phase),
            Event::ContributorRegistered(_)
            | Event::AgencyRegistered(_)
            | Event::SmeRegistered(_) => None,
        }
    }

    /// The SME this event concerns directly, if any.
    pub fn sme(&self) -> Option<SmeId> {
        match self {
            Event::SmeRegistered(e) => Some(e.sme),
            Event::GrantAwarded(e) => Some(e.sme),
            Event::DisbursementRecorded(e) => Some(e.sme),
            Event::RefundRecorded(e) => Some(e.sme),
            Event::GrantSettled(e) => Some(e.sme),
            Event::ClawbackDecided(e) => Some(e.sme),
            Event::ClawbackCollected(e) => Some(e.sme),
            _ => None,
        }
    }

    /// The contributor this event concerns directly, if any.
    pub fn contributor(&self) -> Option<ContributorId> {
        match self {
            Event::ContributorRegistered(e) => Some(e.contributor),
            Event::PledgeRecorded(e) => Some(e.contributor),
            Event::ContributionRecorded(e) => Some(e.contributor),
            _ => None,
        }
    }
}

/// Who did what, when, on whose behalf: the envelope every stored event carries besides
/// its payload. Sequence and hashes are assigned by the store when the event is appended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventMeta {
    pub id: EventId,
    /// When the ledger recorded it (UTC).
    pub recorded_at: DateTime<Utc>,
    /// The business date the posting is effective on.
    pub effective_date: NaiveDate,
    /// The authenticated principal that posted it.
    pub actor: String,
    /// The idempotency key of the command that produced it.
    pub idempotency_key: String,
    /// The finance system's own reference (voucher or transfer number), if given.
    pub external_ref: Option<String>,
    /// A few free key/value pairs from the poster.
    pub metadata: Vec<(String, String)>,
}

/// An event as stored: its place in the log, its envelope, its payload and its hashes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedEvent {
    /// Position in the one global log, starting at 1 with no gaps.
    pub sequence: u64,
    pub meta: EventMeta,
    pub event: Event,
    /// Hash of the previous event (all zeros for the first).
    pub prev_hash: [u8; 32],
    /// SHA-256 of this event's stored bytes.
    pub hash: [u8; 32],
}
