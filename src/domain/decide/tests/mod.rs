//! Rule tests in given / when / then form: given these events, when this command, then
//! these events (folded into the state) or this refusal (and the state is unchanged).
//!
//! The fixtures describe one KRW phase with the 2022 smart-factory support types plus a
//! permissive `open` type, one sponsor, one agency and two SMEs.

mod award;
mod clawback;
mod funding;
mod payout;
mod properties;
mod reversal;
mod settlement;
mod setup;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::decide;
use crate::domain::brn::Brn;
use crate::domain::command::Command;
use crate::domain::error::RuleViolation;
use crate::domain::event::*;
use crate::domain::ids::*;
use crate::domain::money::{Currency, Money};
use crate::domain::programme::{ApplicationChannel, Purpose, ShareRule, SizeClass, SupportType};
use crate::domain::state::State;

/// The state folded from the given events.
pub struct Given {
    state: State,
}

/// Starts a scenario from a history. The events are folded, not decided: a test may
/// give a history the rules would never have produced, to prove a defensive check.
pub fn given(events: impl IntoIterator<Item = Event>) -> Given {
    let mut state = State::default();
    for event in events {
        state.apply(&event);
    }
    Given { state }
}

impl Given {
    /// Decides one command against the given state.
    pub fn when(self, command: Command) -> When {
        let before = self.state.clone();
        let result = decide(&self.state, &command);
        When {
            before,
            state: self.state,
            command,
            result,
        }
    }
}

/// The outcome of deciding one command.
pub struct When {
    before: State,
    state: State,
    command: Command,
    result: Result<Vec<Event>, RuleViolation>,
}

impl When {
    /// Asserts the command was accepted with exactly these events; returns the state
    /// after folding them, for further assertions.
    pub fn then_events(self, expected: impl IntoIterator<Item = Event>) -> State {
        let expected: Vec<Event> = expected.into_iter().collect();
        match &self.result {
            Ok(events) => assert_eq!(events, &expected, "{:?}", self.command),
            Err(violation) => panic!("{:?} refused: {violation}", self.command),
        }
        self.then_accepted()
    }

    /// Asserts the command was accepted; returns the state after folding its events.
    pub fn then_accepted(self) -> State {
        let events = match self.result {
            Ok(events) => events,
            Err(violation) => panic!("{:?} refused: {violation}", self.command),
        };
        let mut state = self.state;
        for event in &events {
            state.apply(event);
        }
        assert_ne!(state, self.before, "an accepted command changed nothing");
        state
    }

    /// Asserts the command was refused and the state is unchanged; returns the refusal.
    pub fn then_refused(self) -> RuleViolation {
        assert_eq!(self.state, self.before, "deciding changed the state");
        match self.result {
            Ok(events) => panic!("{:?} accepted: {events:?}", self.command),
            Err(violation) => violation,
        }
    }
}

/// Asserts that an outcome is a refusal matching the pattern (state unchanged).
macro_rules! assert_refused {
    ($outcome:expr, $pattern:pat $(if $guard:expr)?) => {{
        let violation = $outcome.then_refused();
        assert!(
            matches!(violation, $pattern $(if $guard)?),
            "unexpected refusal: {violation:?}"
        );
        violation
    }};
}
pub(crate) use assert_refused;

// Ids.
pub const PHASE: PhaseId = PhaseId::from_uuid(Uuid::from_u128(0x100));
pub const OTHER_PHASE: PhaseId = PhaseId::from_uuid(Uuid::from_u128(0x101));
pub const SPONSOR: ContributorId = ContributorId::from_uuid(Uuid::from_u128(0x200));
pub const STRANGER: ContributorId = ContributorId::from_uuid(Uuid::from_u128(0x201));
pub const AGENCY: AgencyId = AgencyId::from_uuid(Uuid::from_u128(0x300));
pub const SME: SmeId = SmeId::from_uuid(Uuid::from_u128(0x400));
pub const SME_2: SmeId = SmeId::from_uuid(Uuid::from_u128(0x401));
pub const PLEDGE: PledgeId = PledgeId::from_uuid(Uuid::from_u128(0x1000));
pub const CONTRIBUTION: ContributionId = ContributionId::from_uuid(Uuid::from_u128(0x2000));
pub const CONTRIBUTION_2: ContributionId = ContributionId::from_uuid(Uuid::from_u128(0x2001));
pub const MATCH: MatchId = MatchId::from_uuid(Uuid::from_u128(0x3000));
pub const MATCH_2: MatchId = MatchId::from_uuid(Uuid::from_u128(0x3001));
pub const GRANT: GrantId = GrantId::from_uuid(Uuid::from_u128(0x4000));
pub const GRANT_2: GrantId = GrantId::from_uuid(Uuid::from_u128(0x4001));
pub const DISBURSEMENT: DisbursementId = DisbursementId::from_uuid(Uuid::from_u128(0x5000));
pub const DISBURSEMENT_2: DisbursementId = DisbursementId::from_uuid(Uuid::from_u128(0x5001));
pub const REFUND: RefundId = RefundId::from_uuid(Uuid::from_u128(0x6000));
pub const REFUND_2: RefundId = RefundId::from_uuid(Uuid::from_u128(0x6001));

/// An amount in won.
pub fn krw(amount: i64) -> Money {
    Money::new(Decimal::from(amount), Currency::Krw).expect("test amounts are positive won")
}

/// A whole number as a decimal.
pub fn dec(amount: i64) -> Decimal {
    Decimal::from(amount)
}

/// The four 2022 smart-factory types and an `open` type where any split is allowed.
pub fn support_types() -> Vec<SupportType> {
    let mut types = SupportType::smart_factory_2022();
    types.push(SupportType {
        code: "open".to_string(),
        project_cost_max: None,
        government: ShareRule::any(),
        sponsor: ShareRule::any(),
        own: ShareRule::any(),
    });
    types
}

/// The command opening the test phase: KRW, one-to-one, 2018–2023.
pub fn open_phase_command() -> Command {
    Command::OpenPhase {
        phase: PHASE,
        name: "Industrial Innovation phase 2".to_string(),
        currency: Currency::Krw,
        starts_on: date(2018, 9, 1),
        ends_on: date(2023, 8, 31),
        match_ratio: Decimal::ONE,
        support_types: support_types(),
    }
}

pub fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("test dates are valid")
}

pub fn phase_opened() -> Event {
    phase_opened_with(PHASE, Currency::Krw, Decimal::ONE)
}

pub fn phase_opened_with(phase: PhaseId, currency: Currency, match_ratio: Decimal) -> Event {
    Event::PhaseOpened(PhaseOpened {
        phase,
        name: "Industrial Innovation phase 2".to_string(),
        currency,
        starts_on: date(2018, 9, 1),
        ends_on: date(2023, 8, 31),
        match_ratio,
        support_types: support_types(),
    })
}

pub fn phase_closed() -> Event {
    Event::PhaseClosed(PhaseClosed { phase: PHASE })
}

pub fn brn(prefix: u32) -> Brn {
    Brn::from_prefix(prefix)
}

pub fn sme_registered(sme: SmeId, brn_prefix: u32) -> Event {
    Event::SmeRegistered(SmeRegistered {
        sme,
        brn: brn(brn_prefix),
        name: "Hanil Precision".to_string(),
        supplier: true,
        channel: ApplicationChannel::SponsorPortal,
        size: SizeClass::Small,
    })
}

/// A phase, a sponsor, an agency and two SMEs: the world every rule test starts from.
pub fn world() -> Vec<Event> {
    vec![
        phase_opened(),
        Event::ContributorRegistered(ContributorRegistered {
            contributor: SPONSOR,
            name: "POSCO".to_string(),
        }),
        Event::AgencyRegistered(AgencyRegistered {
            agency: AGENCY,
            name: "Cooperation Foundation".to_string(),
        }),
        sme_registered(SME, 123_456_789),
        sme_registered(SME_2, 987_654_321),
    ]
}

/// The world with `amount` contributed and matched one-to-one: a pool of twice `amount`.
pub fn funded_world(amount: i64) -> Vec<Event> {
    let mut events = world();
    events.push(contributed(CONTRIBUTION, amount));
    events.push(matched(MATCH, CONTRIBUTION, amount));
    events
}

/// Chains histories.
pub fn then(mut events: Vec<Event>, more: impl IntoIterator<Item = Event>) -> Vec<Event> {
    events.extend(more);
    events
}

pub fn pledged(pledge: PledgeId, amount: i64) -> Event {
    Event::PledgeRecorded(PledgeRecorded {
        pledge,
        phase: PHASE,
        contributor: SPONSOR,
        amount: krw(amount),
    })
}

pub fn contributed(contribution: ContributionId, amount: i64) -> Event {
    Event::ContributionRecorded(ContributionRecorded {
        contribution,
        phase: PHASE,
        contributor: SPONSOR,
        amount: krw(amount),
    })
}

pub fn matched(match_id: MatchId, contribution: ContributionId, amount: i64) -> Event {
    Event::MatchRecorded(MatchRecorded {
        match_id,
        contribution,
        phase: PHASE,
        agency: AGENCY,
        amount: krw(amount),
    })
}

/// A grant of the `open` type to [`SME`]: cost = government + sponsor, no own share.
pub fn awarded(grant: GrantId, government: i64, sponsor: i64) -> Event {
    awarded_typed(grant, "open", government, sponsor, 0)
}

pub fn awarded_typed(
    grant: GrantId,
    support_type: &str,
    government: i64,
    sponsor: i64,
    own: i64,
) -> Event {
    Event::GrantAwarded(GrantAwarded {
        grant,
        phase: PHASE,
        sme: SME,
        purpose: Purpose::SmartFactory,
        support_type: support_type.to_string(),
        project_cost: krw(government + sponsor + own),
        government_share: dec(government),
        sponsor_share: dec(sponsor),
        own_share: dec(own),
    })
}

pub fn disbursed(disbursement: DisbursementId, grant: GrantId, amount: i64) -> Event {
    Event::DisbursementRecorded(DisbursementRecorded {
        disbursement,
        grant,
        phase: PHASE,
        sme: SME,
        amount: krw(amount),
    })
}

pub fn refunded(refund: RefundId, grant: GrantId, amount: i64) -> Event {
    Event::RefundRecorded(RefundRecorded {
        refund,
        grant,
        phase: PHASE,
        sme: SME,
        amount: krw(amount),
        reason: "obligations broken".to_string(),
    })
}

pub fn reversed(entry: impl Into<EntryId>, kind: EntryKind, amount: i64) -> Event {
    Event::EntryReversed(EntryReversed {
        entry: entry.into(),
        kind,
        phase: PHASE,
        amount: krw(amount),
        reason: "posted in error".to_string(),
    })
}

pub fn pledge(pledge: PledgeId, amount: Money) -> Command {
    Command::RecordPledge {
        pledge,
        phase: PHASE,
        contributor: SPONSOR,
        amount,
    }
}

pub fn contribute(contribution: ContributionId, amount: Money) -> Command {
    Command::RecordContribution {
        contribution,
        phase: PHASE,
        contributor: SPONSOR,
        amount,
    }
}

pub fn match_contribution(
    match_id: MatchId,
    contribution: ContributionId,
    amount: Money,
) -> Command {
    Command::RecordMatch {
        match_id,
        contribution,
        agency: AGENCY,
        amount,
    }
}

/// Awards a grant to [`SME`]; the cost is the sum of the shares.
pub fn award(
    grant: GrantId,
    support_type: &str,
    government: i64,
    sponsor: i64,
    own: i64,
) -> Command {
    award_costing(
        grant,
        support_type,
        krw(government + sponsor + own),
        government,
        sponsor,
        own,
    )
}

pub fn award_costing(
    grant: GrantId,
    support_type: &str,
    project_cost: Money,
    government: i64,
    sponsor: i64,
    own: i64,
) -> Command {
    Command::AwardGrant {
        grant,
        phase: PHASE,
        sme: SME,
        purpose: Purpose::SmartFactory,
        support_type: support_type.to_string(),
        project_cost,
        government_share: dec(government),
        sponsor_share: dec(sponsor),
        own_share: dec(own),
    }
}

pub fn disburse(disbursement: DisbursementId, grant: GrantId, amount: Money) -> Command {
    Command::RecordDisbursement {
        disbursement,
        grant,
        amount,
    }
}

pub fn refund(refund: RefundId, grant: GrantId, amount: Money) -> Command {
    Command::RecordRefund {
        refund,
        grant,
        amount,
        reason: "obligations broken".to_string(),
    }
}

pub fn reverse(entry: impl Into<EntryId>) -> Command {
    Command::ReverseEntry {
        entry: entry.into(),
        reason: "posted in error".to_string(),
    }
}
