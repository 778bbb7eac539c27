//! Properties of the projections over random programmes: random commands are decided by
//! the rules (refused ones are skipped), the accepted events are recorded with sequence
//! numbers and folded, and then
//!
//! (a) the incremental projections equal a fresh replay of all events;
//! (b) the projections replayed from the first k events equal the incremental state
//!     observed right after event k, for every k;
//! (c) at every step the trial balance is zero, no phase's cash is negative, and the
//!     phase figures agree with the rules' own running totals.
//!
//! The seeded realistic programme is folded too: it must end on its own summary.

use chrono::{DateTime, NaiveDate};
use proptest::prelude::*;
use rust_decimal::Decimal;
use uuid::Uuid;

use matchledger::domain::*;
use matchledger::projection::Projections;

/// Phase 1 is in won at one-to-one; phase 2 in dollars at one-to-two, so the books keep
/// two currencies apart.
const PHASES: [(Currency, i64, u32); 2] = [(Currency::Krw, 1, 0), (Currency::Usd, 5, 1)];
const CONTRIBUTORS: usize = 2;
const AGENCIES: usize = 2;
const SMES: usize = 3;
/// Awards mostly use the permissive type; the scheme's own types are refused more often.
const SUPPORT_TYPES: [&str; 4] = ["any", "any", "type1-basic", "type2-basic"];

/// One random step; indices pick among what exists, modulo its count.
#[derive(Debug, Clone)]
enum Op {
    Pledge(usize, usize, i64),
    Contribute(usize, usize, i64),
    Match(usize, usize, i64),
    Award(usize, usize, usize, usize, [i64; 3]),
    Disburse(usize, i64),
    Refund(usize, i64),
    Reverse(usize),
    Close(usize),
    Rules(usize, u32, bool),
    Interest(usize, i64),
    SettleInterest(usize, i64, bool),
    SettleGrant(usize),
    DecideClawback(usize, i64),
    CollectClawback(usize, i64),
    PassOnClawback(usize),
}

fn amount() -> impl Strategy<Value = i64> {
    prop_oneof![1i64..=100, 1i64..=5_000]
}

fn op() -> impl Strategy<Value = Op> {
    let index = || 0usize..16;
    let share = || prop_oneof![Just(0i64), 1i64..=3_000];
    prop_oneof![
        4 => (index(), index(), amount()).prop_map(|(p, c, a)| Op::Pledge(p, c, a)),
        10 => (index(), index(), amount()).prop_map(|(p, c, a)| Op::Contribute(p, c, a)),
        10 => (index(), index(), amount()).prop_map(|(c, g, a)| Op::Match(c, g, a)),
        8 => (index(), index(), index(), index(), [share(), share(), share()])
            .prop_map(|(p, s, k, t, shares)| Op::Award(p, s, k, t, shares)),
        8 => (index(), amount()).prop_map(|(g, a)| Op::Disburse(g, a)),
        4 => (index(), amount()).prop_map(|(g, a)| Op::Refund(g, a)),
        5 => index().prop_map(Op::Reverse),
        1 => index().prop_map(Op::Close),
        1 => (index(), 0u32..3, any::<bool>()).prop_map(|(p, power, keep)| Op::Rules(p, power, keep)),
        2 => (index(), amount()).prop_map(|(p, a)| Op::Interest(p, a)),
        2 => (index(), amount(), any::<bool>()).prop_map(|(p, a, keep)| Op::SettleInterest(p, a, keep)),
        2 => index().prop_map(Op::SettleGrant),
        2 => (index(), amount()).prop_map(|(g, a)| Op::DecideClawback(g, a)),
        2 => (index(), amount()).prop_map(|(k, a)| Op::CollectClawback(k, a)),
        1 => index().prop_map(Op::PassOnClawback),
    ]
}

/// Runs commands through the rules and the projections, keeping every intermediate state.
struct Programme {
    state: State,
    projections: Projections,
    events: Vec<RecordedEvent>,
    /// `after[k]`: the projections right after event k (`after[0]` before any).
    after: Vec<Projections>,
    next_id: u128,
    phases: Vec<PhaseId>,
    contributors: Vec<ContributorId>,
    agencies: Vec<AgencyId>,
    smes: Vec<SmeId>,
    /// Accepted postings, with the index of their phase where they need one.
    contributions: Vec<(ContributionId, usize)>,
    grants: Vec<(GrantId, usize)>,
    clawbacks: Vec<(ClawbackId, usize)>,
    entries: Vec<EntryId>,
}

impl Programme {
    fn new() -> Programme {
        let mut programme = Programme::empty();
        programme.set_up();
        programme
    }

    /// Nothing recorded, nothing set up.
    fn empty() -> Programme {
        Programme {
            state: State::default(),
            projections: Projections::default(),
            events: Vec::new(),
            after: vec![Projections::default()],
            next_id: 1,
            phases: Vec::new(),
            contributors: Vec::new(),
            agencies: Vec::new(),
            smes: Vec::new(),
            contributions: Vec::new(),
            grants: Vec::new(),
            clawbacks: Vec::new(),
            entries: Vec::new(),
        }
    }

    fn id(&mut self) -> Uuid {
        self.next_id += 1;
        Uuid::from_u128(self.next_id)
    }

    fn set_up(&mut self) {
        for (index, (currency, ratio_tenths, _)) in PHASES.into_iter().enumerate() {
            let phase = PhaseId::from_uuid(self.id());
            let mut support_types = SupportType::smart_factory_2022();
            support_types.insert(0, any_split());
            let ratio = if ratio_tenths == 1 {
                Decimal::ONE
            } else {
                Decimal::new(ratio_tenths, 1)
            };
            self.phases.push(phase);
            self.submit(Command::OpenPhase {
                phase,
                name: format!("phase {}", index + 1),
                currency,
                starts_on: date(2018, 9, 1),
                ends_on: date(2023, 8, 31),
                match_ratio: ratio,
                support_types,
            });
        }
        for n in 0..CONTRIBUTORS {
            let contributor = ContributorId::from_uuid(self.id());
            self.contributors.push(contributor);
            let name = format!("contributor {n}");
            self.submit(Command::RegisterContributor { contributor, name });
        }
        for n in 0..AGENCIES {
            let agency = AgencyId::from_uuid(self.id());
            self.agencies.push(agency);
            let name = format!("agency {n}");
            self.submit(Command::RegisterAgency { agency, name });
        }
        for n in 0..SMES {
            let sme = SmeId::from_uuid(self.id());
            self.smes.push(sme);
            self.submit(Command::RegisterSme {
                sme,
                brn: Brn::from_prefix(200_000_000 + n as u32),
                name: format!("sme {n}"),
                supplier: n % 2 == 0,
                channel: ApplicationChannel::SponsorPortal,
                size: SizeClass::Small,
            });
        }
    }

    /// Money in a phase's currency: whole won, or cents of a dollar.
    fn money(&self, phase: usize, units: i64) -> Option<Money> {
        let (currency, _, scale) = PHASES[phase];
        Money::new(Decimal::new(units, scale), currency).ok()
    }

    fn run(&mut self, op: &Op) {
        let Some(command) = self.command(op) else {
            return;
        };
        let accepted = self.submit(command.clone());
        if !accepted {
            return;
        }
        match command {
            Command::RecordPledge { pledge, .. } => self.entries.push(pledge.into()),
            Command::RecordContribution {
                contribution,
                phase,
                ..
            } => {
                self.entries.push(contribution.into());
                let index = self.phases.iter().position(|p| *p == phase).unwrap();
                self.contributions.push((contribution, index));
            }
            Command::RecordMatch { match_id, .. } => self.entries.push(match_id.into()),
            Command::AwardGrant { grant, phase, .. } => {
                self.entries.push(grant.into());
                let index = self.phases.iter().position(|p| *p == phase).unwrap();
                self.grants.push((grant, index));
            }
            Command::RecordDisbursement { disbursement, .. } => {
                self.entries.push(disbursement.into())
            }
            Command::RecordRefund { refund, .. } => self.entries.push(refund.into()),
            Command::DecideClawback {
                clawback, grant, ..
            } => {
                let index = self.grants.iter().find(|(g, _)| *g == grant).unwrap().1;
                self.clawbacks.push((clawback, index));
            }
            _ => {}
        }
    }

    /// The command an op stands for, or `None` when it names nothing that exists yet.
    fn command(&mut self, op: &Op) -> Option<Command> {
        let pick = |len: usize, index: usize| (len > 0).then(|| index % len);
        Some(match *op {
            Op::Pledge(p, c, units) => {
                let phase = p % PHASES.len();
                Command::RecordPledge {
                    pledge: PledgeId::from_uuid(self.id()),
                    phase: self.phases[phase],
                    contributor: self.contributors[c % CONTRIBUTORS],
                    amount: self.money(phase, units)?,
                }
            }
            Op::Contribute(p, c, units) => {
                let phase = p % PHASES.len();
                Command::RecordContribution {
                    contribution: ContributionId::from_uuid(self.id()),
                    phase: self.phases[phase],
                    contributor: self.contributors[c % CONTRIBUTORS],
                    amount: self.money(phase, units)?,
                }
            }
            Op::Match(c, a, units) => {
                let (contribution, phase) = self.contributions[pick(self.contributions.len(), c)?];
                Command::RecordMatch {
                    match_id: MatchId::from_uuid(self.id()),
                    contribution,
                    agency: self.agencies[a % AGENCIES],
                    amount: self.money(phase, units)?,
                }
            }
            Op::Award(p, s, k, t, [government, sponsor, own]) => {
                let phase = p % PHASES.len();
                let (_, _, scale) = PHASES[phase];
                Command::AwardGrant {
                    grant: GrantId::from_uuid(self.id()),
                    phase: self.phases[phase],
                    sme: self.smes[s % SMES],
                    purpose: Purpose::ALL[k % Purpose::ALL.len()],
                    support_type: SUPPORT_TYPES[t % SUPPORT_TYPES.len()].to_string(),
                    project_cost: self.money(phase, government + sponsor + own)?,
                    government_share: Decimal::new(government, scale),
                    sponsor_share: Decimal::new(sponsor, scale),
                    own_share: Decimal::new(own, scale),
                }
            }
            Op::Disburse(g, units) => {
                let (grant, phase) = self.grants[pick(self.grants.len(), g)?];
                Command::RecordDisbursement {
                    disbursement: DisbursementId::from_uuid(self.id()),
                    grant,
                    amount: self.money(phase, units)?,
                }
            }
            Op::Refund(g, units) => {
                let (grant, phase) = self.grants[pick(self.grants.len(), g)?];
                Command::RecordRefund {
                    refund: RefundId::from_uuid(self.id()),
                    grant,
                    amount: self.money(phase, units)?,
                    reason: "clawback".to_string(),
                }
            }
            Op::Reverse(e) => Command::ReverseEntry {
                entry: self.entries[pick(self.entries.len(), e)?],
                reason: "posted in error".to_string(),
            },
            Op::Close(p) => Command::ClosePhase {
                phase: self.phases[p % PHASES.len()],
            },
            Op::Rules(p, power, keep) => {
                let phase = p % PHASES.len();
                let (_, _, scale) = PHASES[phase];
                Command::SetSettlementRules {
                    phase: self.phases[phase],
                    rounding_unit: Decimal::new(10i64.pow(power), scale),
                    interest_may_be_kept: keep,
                }
            }
            Op::Interest(p, units) => {
                let phase = p % PHASES.len();
                Command::RecordInterest {
                    phase: self.phases[phase],
                    amount: self.money(phase, units)?,
                }
            }
            Op::SettleInterest(p, units, keep) => {
                let phase = p % PHASES.len();
                Command::SettleInterest {
                    phase: self.phases[phase],
                    amount: self.money(phase, units)?,
                    keep,
                }
            }
            Op::SettleGrant(g) => Command::SettleGrant {
                grant: self.grants[pick(self.grants.len(), g)?].0,
            },
            Op::DecideClawback(g, units) => {
                let (grant, phase) = self.grants[pick(self.grants.len(), g)?];
                Command::DecideClawback {
                    clawback: ClawbackId::from_uuid(self.id()),
                    grant,
                    amount: self.money(phase, units)?,
                    reason: "obligation broken".to_string(),
                    due_on: date(2024, 6, 30),
                }
            }
            Op::CollectClawback(k, units) => {
                let (clawback, phase) = self.clawbacks[pick(self.clawbacks.len(), k)?];
                Command::CollectClawback {
                    clawback,
                    amount: self.money(phase, units)?,
                }
            }
            Op::PassOnClawback(k) => Command::PassOnClawback {
                clawback: self.clawbacks[pick(self.clawbacks.len(), k)?].0,
            },
        })
    }

    /// Decides a command; if accepted, records and folds its events, checking every step
    /// and keeping every intermediate state. Returns whether it was accepted.
    fn submit(&mut self, command: Command) -> bool {
        let Ok(events) = decide(&self.state, &command) else {
            return false;
        };
        for event in events {
            self.state.apply(&event);
            let recorded = recorded(self.events.len() as u64 + 1, event);
            self.projections.apply(&recorded);
            self.events.push(recorded);
            self.after.push(self.projections.clone());
            self.check_step();
        }
        true
    }

    /// Decides a command; if accepted, records and folds its events without keeping
    /// intermediate states (for long programmes). Returns whether it was accepted.
    fn submit_unchecked(&mut self, command: Command) -> bool {
        let Ok(events) = decide(&self.state, &command) else {
            return false;
        };
        for event in events {
            self.state.apply(&event);
            let recorded = recorded(self.events.len() as u64 + 1, event);
            self.projections.apply(&recorded);
            self.events.push(recorded);
        }
        true
    }

    /// (c): the books balance, cash is never negative, and the projections agree with
    /// the rules' own totals.
    fn check_step(&self) {
        let trial = self.projections.trial_balance();
        assert!(
            trial.is_zero(),
            "trial balance not zero: {:?}",
            trial.totals
        );
        for phase in self.projections.phases() {
            assert!(
                phase.cash >= Decimal::ZERO,
                "negative cash in {}",
                phase.name
            );
            let totals = self.state.phase(&phase.phase).expect("phase").totals;
            assert_eq!(phase.pledged, totals.pledged);
            assert_eq!(phase.contributed, totals.contributed);
            assert_eq!(phase.matched, totals.matched);
            assert_eq!(phase.awarded_government, totals.government_awarded);
            assert_eq!(phase.awarded_sponsor, totals.sponsor_awarded);
            assert_eq!(phase.own_share, totals.own_awarded);
            assert_eq!(phase.disbursed, totals.disbursed);
            assert_eq!(phase.refunded, totals.refunded);
            assert_eq!(phase.cash, totals.cash);
            assert_eq!(phase.settlement.interest_held(), totals.interest_held);
            assert_eq!(phase.settlement.returned(), totals.returned);
            assert!(phase.uncommitted >= Decimal::ZERO);
        }
    }

    /// Each contribution's match status agrees with the rules' view of it, and its
    /// event index names exactly the events a whole-log scan selects for its bundle.
    fn check_contributions(&self) {
        for (id, _) in &self.contributions {
            let scanned: Vec<u64> =
                matchledger::verifiable::select_events(self.events.iter().cloned(), *id)
                    .iter()
                    .map(|event| event.sequence)
                    .collect();
            assert_eq!(
                self.projections.contribution_events(id),
                Some(scanned),
                "index of {id}"
            );
            let ours = self.projections.contribution(id).expect("recorded");
            let theirs = self.state.contribution(id).expect("recorded");
            assert_eq!(ours.matched, theirs.matched);
            assert_eq!(ours.limit, theirs.match_limit);
            assert_eq!(ours.reversed, theirs.reversed);
            assert_eq!(ours.status, theirs.status());
        }
    }
}

/// A support type that allows any split, so that random awards are often accepted.
fn any_split() -> SupportType {
    SupportType {
        code: "any".to_string(),
        project_cost_max: None,
        government: ShareRule::any(),
        sponsor: ShareRule::any(),
        own: ShareRule::any(),
    }
}

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("valid date")
}

/// Wraps an event as the store would, with dummy envelope values.
fn recorded(sequence: u64, event: Event) -> RecordedEvent {
    RecordedEvent {
        sequence,
        meta: EventMeta {
            id: EventId::from_uuid(Uuid::from_u128(u128::from(sequence))),
            recorded_at: DateTime::from_timestamp(1_700_000_000 + sequence as i64, 0)
                .expect("valid timestamp"),
            effective_date: date(2024, 1, 1),
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

fn run(ops: &[Op]) -> Programme {
    let mut programme = Programme::new();
    for op in ops {
        programme.run(op);
    }
    programme
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn incremental_projections_equal_a_fresh_replay(ops in prop::collection::vec(op(), 1..200)) {
        let programme = run(&ops);

        programme.check_contributions();
        prop_assert_eq!(Projections::replay(&programme.events), programme.projections.clone());
        let restored = Projections::from_snapshot(&programme.projections.to_snapshot());
        prop_assert_eq!(restored, Ok(programme.projections));
    }

    #[test]
    fn projections_as_of_k_equal_the_state_right_after_event_k(
        ops in prop::collection::vec(op(), 1..100)
    ) {
        let programme = run(&ops);

        for (k, after) in programme.after.iter().enumerate() {
            let as_of = Projections::replay(programme.events.iter().take(k));
            prop_assert_eq!(&as_of, after, "differs as of event {}", k);
            prop_assert_eq!(as_of.sequence(), k as u64);
        }
    }
}

#[test]
fn random_programmes_accept_postings_of_every_kind() {
    // Guards the strategy itself: were every command refused, the properties above would
    // hold vacuously.
    let ops: Vec<Op> = (0..40)
        .flat_map(|n| {
            [
                Op::Pledge(n, n, 1_000),
                Op::Contribute(n, n, 2_000),
                Op::Match(n, n, 500),
                Op::Award(n, n, n, 0, [100, 200, 50]),
                Op::Disburse(n, 100),
                Op::Refund(n, 10),
                Op::Reverse(n * 7),
                Op::Rules(n, 1, n % 2 == 0),
                Op::Interest(n, 55),
                Op::SettleInterest(n, 25, false),
                Op::SettleInterest(n, 30, n % 2 == 0),
                Op::DecideClawback(n, 20),
                Op::CollectClawback(n, 15),
                Op::PassOnClawback(n),
                Op::SettleGrant(n),
            ]
        })
        .collect();

    let programme = run(&ops);

    let mut kinds: Vec<EventKind> = programme.events.iter().map(|e| e.event.kind()).collect();
    kinds.sort();
    kinds.dedup();
    assert_eq!(
        kinds.len(),
        EventKind::ALL.len() - 1,
        "kinds seen: {kinds:?}"
    );
    assert!(!kinds.contains(&EventKind::PhaseClosed));
}

/// Events between the as-of checks of the generated programme.
const GENERATED_CHECK_EVENTS: usize = 997;

#[test]
fn generated_programme_folds_to_its_summary_and_replays_as_of_any_checkpoint() {
    use matchledger::generator::{generate_with_summary, ProgrammeConfig};

    let (commands, summary) = generate_with_summary(&ProgrammeConfig::default());
    let mut programme = Programme::empty();
    let mut checkpoints: Vec<(usize, Projections)> = Vec::new();
    for generated in &commands {
        assert!(
            programme.submit_unchecked(generated.command.clone()),
            "refused {generated:?}"
        );
        let trial = programme.projections.trial_balance();
        assert!(
            trial.is_zero(),
            "trial balance not zero: {:?}",
            trial.totals
        );
        if programme.events.len() % GENERATED_CHECK_EVENTS == 0 {
            checkpoints.push((programme.events.len(), programme.projections.clone()));
        }
    }

    programme.check_step();
    for expected in &summary.phases {
        let phase = programme
            .projections
            .phase(&expected.phase)
            .expect("opened");
        assert_eq!(phase.pledged, expected.pledged);
        assert_eq!(phase.contributed, expected.contributed);
        assert_eq!(phase.matched, expected.matched);
        assert_eq!(phase.awarded_government, expected.awarded_government);
        assert_eq!(phase.awarded_sponsor, expected.awarded_sponsor);
        assert_eq!(phase.own_share, expected.own_share);
        assert_eq!(phase.disbursed, expected.disbursed);
        assert_eq!(phase.refunded, expected.refunded);
        assert_eq!(phase.cash, expected.cash());
        assert_eq!(phase.smes_supported, expected.smes);
        assert_eq!(phase.projects, expected.projects);
        let report = programme
            .projections
            .sponsor_report(&expected.phase)
            .expect("opened");
        assert_eq!(report.non_supplier_smes, expected.non_supplier_smes);
    }
    assert_eq!(
        Projections::replay(&programme.events),
        programme.projections
    );
    for (k, as_observed) in &checkpoints {
        assert_eq!(
            &Projections::replay(programme.events.iter().take(*k)),
            as_observed
        );
    }
}
