//! A small log builder: events by hand, with dummy envelopes, folded as they are recorded,
//! and the invariants that must hold after every event checked each time.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::domain::event::*;
use crate::domain::*;
use crate::projection::journal::{self, Account};
use crate::projection::Projections;

pub fn d(amount: i64) -> Decimal {
    Decimal::from(amount)
}

pub fn krw(amount: i64) -> Money {
    Money::new(d(amount), Currency::Krw).expect("test amounts are positive")
}

fn uuid(kind: u128, n: u128) -> Uuid {
    Uuid::from_u128((kind << 64) | n)
}

pub fn phase_id(n: u128) -> PhaseId {
    PhaseId::from_uuid(uuid(1, n))
}
pub fn contributor_id(n: u128) -> ContributorId {
    ContributorId::from_uuid(uuid(2, n))
}
pub fn agency_id(n: u128) -> AgencyId {
    AgencyId::from_uuid(uuid(3, n))
}
pub fn sme_id(n: u128) -> SmeId {
    SmeId::from_uuid(uuid(4, n))
}
pub fn pledge_id(n: u128) -> PledgeId {
    PledgeId::from_uuid(uuid(5, n))
}
pub fn contribution_id(n: u128) -> ContributionId {
    ContributionId::from_uuid(uuid(6, n))
}
pub fn match_id(n: u128) -> MatchId {
    MatchId::from_uuid(uuid(7, n))
}
pub fn grant_id(n: u128) -> GrantId {
    GrantId::from_uuid(uuid(8, n))
}
pub fn disbursement_id(n: u128) -> DisbursementId {
    DisbursementId::from_uuid(uuid(9, n))
}
pub fn refund_id(n: u128) -> RefundId {
    RefundId::from_uuid(uuid(10, n))
}

/// The recording time of an event: one second per sequence number.
pub fn recorded_time(sequence: u64) -> DateTime<Utc> {
    let seconds = 1_700_000_000 + i64::try_from(sequence).expect("small sequence");
    DateTime::from_timestamp(seconds, 0).expect("valid timestamp")
}

/// Wraps an event as the store would, with dummy envelope values.
pub fn recorded(sequence: u64, event: Event) -> RecordedEvent {
    RecordedEvent {
        sequence,
        meta: EventMeta {
            id: EventId::from_uuid(uuid(11, u128::from(sequence))),
            recorded_at: recorded_time(sequence),
            effective_date: NaiveDate::from_ymd_opt(2024, 1, 1).expect("valid date"),
            actor: "finance".to_string(),
            idempotency_key: format!("key-{sequence}"),
            external_ref: None,
            metadata: Vec::new(),
        },
        event,
        prev_hash: [0; 32],
        hash: [0; 32],
    }
}

pub fn phase_opened(phase: PhaseId, currency: Currency, ratio: Decimal) -> Event {
    Event::PhaseOpened(PhaseOpened {
        phase,
        name: format!("phase {phase}"),
        currency,
        starts_on: NaiveDate::from_ymd_opt(2018, 9, 1).expect("valid date"),
        ends_on: NaiveDate::from_ymd_opt(2023, 8, 31).expect("valid date"),
        match_ratio: ratio,
        support_types: SupportType::smart_factory_2022(),
    })
}

pub fn sme_registered(
    n: u128,
    name: &str,
    supplier: bool,
    channel: ApplicationChannel,
    size: SizeClass,
) -> Event {
    Event::SmeRegistered(SmeRegistered {
        sme: sme_id(n),
        brn: Brn::from_prefix(100_000_000 + u32::try_from(n).expect("small n")),
        name: name.to_string(),
        supplier,
        channel,
        size,
    })
}

/// A log being written: every event is folded as it is recorded, and after each one the
/// journal of the event balances, the trial balance is zero and the accounts agree with
/// the phase figures.
pub struct Log {
    pub events: Vec<RecordedEvent>,
    pub projections: Projections,
    /// Phase the money helpers post in.
    pub phase: PhaseId,
    grants: HashMap<GrantId, SmeId>,
    entries: HashMap<EntryId, (EntryKind, PhaseId, Money)>,
}

impl Log {
    /// An empty log.
    pub fn empty() -> Log {
        Log {
            events: Vec::new(),
            projections: Projections::default(),
            phase: phase_id(1),
            grants: HashMap::new(),
            entries: HashMap::new(),
        }
    }

    /// Given: phase 1 open in won at one-to-one, contributor 1, agency 1, and SMEs 1 and 2
    /// (1 a supplier from the sponsor portal, small; 2 a non-supplier proposed by an
    /// institution, medium).
    pub fn programme() -> Log {
        let mut log = Log::empty();
        log.record(phase_opened(phase_id(1), Currency::Krw, Decimal::ONE));
        log.record(Event::ContributorRegistered(ContributorRegistered {
            contributor: contributor_id(1),
            name: "Steelmaker".to_string(),
        }));
        log.record(Event::AgencyRegistered(AgencyRegistered {
            agency: agency_id(1),
            name: "Win-win Foundation".to_string(),
        }));
        log.record(sme_registered(
            1,
            "Alpha Tools",
            true,
            ApplicationChannel::SponsorPortal,
            SizeClass::Small,
        ));
        log.record(sme_registered(
            2,
            "Beta Castings",
            false,
            ApplicationChannel::InstitutionProposal,
            SizeClass::Medium,
        ));
        log
    }

    /// Records one event and checks the invariants.
    pub fn record(&mut self, event: Event) -> &mut Log {
        let sequence = self.events.len() as u64 + 1;
        let recorded = recorded(sequence, event);
        let postings = journal::postings(&recorded, &self.projections);
        assert!(journal::is_balanced(&postings), "unbalanced {postings:?}");
        self.projections.apply(&recorded);
        self.events.push(recorded);
        check_books(&self.projections);
        self
    }

    pub fn pledge(&mut self, n: u128, amount: i64) -> &mut Log {
        let phase = self.phase;
        self.remember(pledge_id(n), EntryKind::Pledge, amount);
        self.record(Event::PledgeRecorded(PledgeRecorded {
            pledge: pledge_id(n),
            phase,
            contributor: contributor_id(1),
            amount: krw(amount),
        }))
    }

    pub fn contribute(&mut self, n: u128, amount: i64) -> &mut Log {
        let phase = self.phase;
        self.remember(contribution_id(n), EntryKind::Contribution, amount);
        self.record(Event::ContributionRecorded(ContributionRecorded {
            contribution: contribution_id(n),
            phase,
            contributor: contributor_id(1),
            amount: krw(amount),
        }))
    }

    pub fn match_contribution(&mut self, n: u128, contribution: u128, amount: i64) -> &mut Log {
        let phase = self.phase;
        self.remember(match_id(n), EntryKind::Match, amount);
        self.record(Event::MatchRecorded(MatchRecorded {
            match_id: match_id(n),
            contribution: contribution_id(contribution),
            phase,
            agency: agency_id(1),
            amount: krw(amount),
        }))
    }

    /// Awards grant `n` to SME `sme` for smart-factory type 1 basic, with these shares.
    pub fn award(
        &mut self,
        n: u128,
        sme: u128,
        government: i64,
        sponsor: i64,
        own: i64,
    ) -> &mut Log {
        self.award_for(
            n,
            sme,
            Purpose::SmartFactory,
            "type1-basic",
            [government, sponsor, own],
        )
    }

    /// Awards a grant with a given purpose and support type; shares are government,
    /// sponsor and own.
    pub fn award_for(
        &mut self,
        n: u128,
        sme: u128,
        purpose: Purpose,
        support_type: &str,
        shares: [i64; 3],
    ) -> &mut Log {
        let phase = self.phase;
        let [government, sponsor, own] = shares;
        self.remember(grant_id(n), EntryKind::Grant, government + sponsor);
        self.grants.insert(grant_id(n), sme_id(sme));
        self.record(Event::GrantAwarded(GrantAwarded {
            grant: grant_id(n),
            phase,
            sme: sme_id(sme),
            purpose,
            support_type: support_type.to_string(),
            project_cost: krw(government + sponsor + own),
            government_share: d(government),
            sponsor_share: d(sponsor),
            own_share: d(own),
        }))
    }

    pub fn disburse(&mut self, n: u128, grant: u128, amount: i64) -> &mut Log {
        let phase = self.phase;
        let sme = self.grants[&grant_id(grant)];
        self.remember(disbursement_id(n), EntryKind::Disbursement, amount);
        self.record(Event::DisbursementRecorded(DisbursementRecorded {
            disbursement: disbursement_id(n),
            grant: grant_id(grant),
            phase,
            sme,
            amount: krw(amount),
        }))
    }

    pub fn refund(&mut self, n: u128, grant: u128, amount: i64) -> &mut Log {
        let phase = self.phase;
        let sme = self.grants[&grant_id(grant)];
        self.remember(refund_id(n), EntryKind::Refund, amount);
        self.record(Event::RefundRecorded(RefundRecorded {
            refund: refund_id(n),
            grant: grant_id(grant),
            phase,
            sme,
            amount: krw(amount),
            reason: "obligation broken".to_string(),
        }))
    }

    /// Reverses an earlier posting made through these helpers.
    pub fn reverse(&mut self, entry: impl Into<EntryId>) -> &mut Log {
        let entry = entry.into();
        let (kind, phase, amount) = self.entries[&entry];
        self.record(Event::EntryReversed(EntryReversed {
            entry,
            kind,
            phase,
            amount,
            reason: "posted in error".to_string(),
        }))
    }

    /// The current balances of the helpers' phase.
    pub fn phase(&self) -> crate::projection::PhaseBalances {
        self.projections.phase(&self.phase).expect("phase is open")
    }

    fn remember(&mut self, entry: impl Into<EntryId>, kind: EntryKind, amount: i64) {
        self.entries
            .insert(entry.into(), (kind, self.phase, krw(amount)));
    }
}

/// The books agree with the figures: trial balance zero, and each account equal to the
/// phase figure it stands for.
pub fn check_books(projections: &Projections) {
    let trial = projections.trial_balance();
    assert!(trial.is_zero(), "trial balance not zero: {trial:?}");
    for phase in projections.phases() {
        let account = |account| {
            projections
                .account_balance(&phase.phase, account)
                .expect("phase has accounts")
        };
        assert_eq!(account(Account::Cash), phase.cash);
        let funds = account(Account::SponsorFund) + account(Account::GovernmentFund);
        assert_eq!(-funds, phase.uncommitted);
        let settled = &phase.settlement;
        assert_eq!(
            -account(Account::GrantsPayable),
            phase.awarded - phase.disbursed - settled.unspent
        );
        assert_eq!(-account(Account::InterestPayable), settled.interest_held());
        assert_eq!(-account(Account::InterestKept), settled.interest_kept);
        assert_eq!(-account(Account::Remainders), settled.remainders());
        assert_eq!(
            -account(Account::Clawbacks),
            phase.refunded - phase.settlement.clawbacks_passed_on
        );
        assert_eq!(account(Account::PledgesReceivable), phase.pledged);
        assert_eq!(account(Account::OwnShareMemo), phase.own_share);
    }
}

/// A whole programme in two phases with every kind of posting and a reversal of each kind.
pub fn scripted_programme() -> Log {
    let mut log = Log::programme();
    log.pledge(1, 20_000)
        .contribute(1, 6_000)
        .contribute(2, 4_000)
        .match_contribution(1, 1, 6_000)
        .match_contribution(2, 2, 1_000)
        .award(1, 1, 3_000, 4_000, 2_000)
        .award(2, 2, 0, 1_500, 0)
        .disburse(1, 1, 5_000)
        .disburse(2, 2, 1_500)
        .refund(1, 1, 1_000)
        .pledge(2, 999)
        .reverse(pledge_id(2))
        .contribute(3, 700)
        .reverse(contribution_id(3))
        .match_contribution(3, 2, 500)
        .reverse(match_id(3))
        .award(3, 2, 100, 100, 0)
        .reverse(grant_id(3))
        .disburse(3, 1, 10)
        .reverse(disbursement_id(3))
        .refund(2, 2, 20)
        .reverse(refund_id(2));
    log.record(Event::PhaseClosed(PhaseClosed { phase: phase_id(1) }));
    log.record(phase_opened(phase_id(2), Currency::Krw, Decimal::ONE));
    log.phase = phase_id(2);
    log.pledge(3, 5_000)
        .contribute(4, 2_000)
        .match_contribution(4, 4, 2_000)
        .award(4, 1, 1_000, 1_000, 500)
        .disburse(4, 4, 2_000);
    log
}
