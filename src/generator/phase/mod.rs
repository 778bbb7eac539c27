//! One phase of the programme, simulated in date order: money in, SMEs selected,
//! projects awarded when the pool can fund them, instalments paid, a few mishaps, closing.

mod inflows;
mod payouts;
mod projects;
mod roster;

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::plan::{add_days, PhaseSpec};
use super::schedule::{Keyed, Priority};
use super::summary::PhaseSummary;
use super::GeneratedCommand;
use crate::domain::{
    AgencyId, Command, ContributorId, Currency, Money, PhaseId, Role, SizeClass, SmeId, SupportType,
};

pub(super) use roster::SmeRegistry;

/// The sponsor and the matching agency, the same for every phase.
#[derive(Debug, Clone, Copy)]
pub(in crate::generator) struct Parties {
    pub contributor: ContributorId,
    pub agency: AgencyId,
}

/// An SME as later phases remember it (to select it again).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct SmeProfile {
    pub id: SmeId,
    pub size: SizeClass,
    pub supplier: bool,
}

/// Registers the sponsor and the agency on the programme's first day.
pub(in crate::generator) fn register_parties(
    rng: &mut ChaCha8Rng,
    on: NaiveDate,
) -> (Parties, Vec<Keyed>) {
    let parties = Parties {
        contributor: ContributorId::from_uuid(random_uuid(rng)),
        agency: AgencyId::from_uuid(random_uuid(rng)),
    };
    let commands = [
        (
            Command::RegisterContributor {
                contributor: parties.contributor,
                name: "Hanbit Steel Co., Ltd. (한빛제철(주))".to_string(),
            },
            format!("register-contributor-{}", parties.contributor),
        ),
        (
            Command::RegisterAgency {
                agency: parties.agency,
                name: "Korea Smart Manufacturing Office (스마트제조혁신추진단)".to_string(),
            },
            format!("register-agency-{}", parties.agency),
        ),
    ];
    let keyed = commands
        .into_iter()
        .enumerate()
        .map(|(order, (command, idempotency_key))| Keyed {
            date: on,
            phase_index: 0,
            priority: Priority::Parties,
            order: order as u64,
            document: None,
            generated: GeneratedCommand {
                command,
                effective_date: on,
                external_ref: None,
                idempotency_key,
                role: Role::Admin,
            },
        })
        .collect();
    (parties, keyed)
}

/// Generates one phase: its commands in ledger order and its expected figures.
pub(in crate::generator) fn generate_phase(
    spec: &PhaseSpec,
    parties: &Parties,
    registry: &mut SmeRegistry,
    rng: &mut ChaCha8Rng,
) -> (Vec<Keyed>, PhaseSummary) {
    let phase = PhaseId::from_uuid(random_uuid(rng));
    let mut builder = PhaseBuilder::new(spec, phase, rng);
    builder.push(
        spec.starts_on,
        Priority::OpenPhase,
        Command::OpenPhase {
            phase,
            name: spec.name.clone(),
            currency: Currency::Krw,
            starts_on: spec.starts_on,
            ends_on: spec.ends_on,
            match_ratio: Decimal::ONE,
            support_types: SupportType::smart_factory_2022(),
        },
        None,
        format!("open-phase-{phase}"),
        Role::Admin,
    );
    let inflows = inflows::record(&mut builder, parties);
    let roster = roster::select(&mut builder, registry);
    let plans = projects::plan(&mut builder, &roster, &inflows);
    let outcome = payouts::record(&mut builder, &roster, plans, &inflows);

    let last_day = builder.last_date();
    let closed_on = add_days(last_day, builder.rng.gen_range(14..=45));
    builder.push(
        closed_on,
        Priority::ClosePhase,
        Command::ClosePhase { phase },
        None,
        format!("close-phase-{phase}"),
        Role::Admin,
    );
    registry.remember(roster.iter().map(|member| member.profile));

    let summary = PhaseSummary {
        phase,
        name: spec.name.clone(),
        starts_on: spec.starts_on,
        ends_on: spec.ends_on,
        closed_on,
        pledged: Decimal::from(spec.pledged),
        contributed: Decimal::from(inflows.contributed),
        matched: Decimal::from(inflows.matched),
        awarded_government: Decimal::from(outcome.awarded_government),
        awarded_sponsor: Decimal::from(outcome.awarded_sponsor),
        own_share: Decimal::from(outcome.own_share),
        disbursed: Decimal::from(outcome.disbursed),
        refunded: Decimal::from(outcome.refunded),
        smes: outcome.smes,
        non_supplier_smes: outcome.non_supplier_smes,
        projects: outcome.projects,
        type2_projects: outcome.type2_projects,
        reversals: inflows.reversals + outcome.reversals,
        refunds: outcome.refunds,
    };
    let mut commands = builder.out;
    commands.sort_by_key(Keyed::key);
    number_documents(&mut commands, spec.index);
    (commands, summary)
}

/// Gives every posting with a document kind its external reference, such as
/// `TRF-20130826-P1-00042`: numbered per kind in date order, as a finance system would.
fn number_documents(commands: &mut [Keyed], phase_index: u32) {
    let mut counters: HashMap<&'static str, u32> = HashMap::new();
    for keyed in commands {
        let Some(kind) = keyed.document else {
            continue;
        };
        let counter = counters.entry(kind).or_insert(0);
        *counter += 1;
        keyed.generated.external_ref = Some(format!(
            "{kind}-{}-P{}-{:05}",
            keyed.date.format("%Y%m%d"),
            phase_index + 1,
            counter
        ));
    }
}

/// Collects one phase's commands with their sort keys.
struct PhaseBuilder<'a> {
    spec: &'a PhaseSpec,
    phase: PhaseId,
    rng: &'a mut ChaCha8Rng,
    out: Vec<Keyed>,
    order: u64,
    used_ids: HashSet<Uuid>,
}

impl<'a> PhaseBuilder<'a> {
    fn new(spec: &'a PhaseSpec, phase: PhaseId, rng: &'a mut ChaCha8Rng) -> Self {
        PhaseBuilder {
            spec,
            phase,
            rng,
            out: Vec::new(),
            order: 0,
            used_ids: HashSet::new(),
        }
    }

    /// Appends a command; commands pushed one after another with the same date and
    /// priority stay adjacent in the final order.
    fn push(
        &mut self,
        date: NaiveDate,
        priority: Priority,
        command: Command,
        document: Option<&'static str>,
        idempotency_key: String,
        role: Role,
    ) {
        self.out.push(Keyed {
            date,
            phase_index: self.spec.index,
            priority,
            order: self.order,
            document,
            generated: GeneratedCommand {
                command,
                effective_date: date,
                external_ref: None,
                idempotency_key,
                role,
            },
        });
        self.order += 1;
    }

    /// A fresh id, drawn from the phase's generator and distinct within the phase.
    fn uuid(&mut self) -> Uuid {
        // Bounded in practice: a collision of 122 random bits is never expected.
        loop {
            let uuid = random_uuid(self.rng);
            if self.used_ids.insert(uuid) {
                return uuid;
            }
        }
    }

    /// The latest date of any command so far.
    fn last_date(&self) -> NaiveDate {
        self.out
            .iter()
            .map(|keyed| keyed.date)
            .max()
            .unwrap_or(self.spec.ends_on)
            .max(self.spec.ends_on)
    }
}

/// A version-4 UUID from the generator's bytes: deterministic, never from the clock.
fn random_uuid(rng: &mut impl Rng) -> Uuid {
    uuid::Builder::from_random_bytes(rng.gen()).into_uuid()
}

/// A KRW amount of whole won.
fn krw(won: i64) -> Money {
    // Invariant: the generator only posts positive whole-won amounts, which KRW accepts;
    // a failure here is a bug in the generator, caught by its tests.
    Money::new(Decimal::from(won), Currency::Krw).expect("generated amounts are positive won")
}

/// Splits `total` won into `weights.len()` positive parts proportional to the weights,
/// each a multiple of `unit` except the last, which takes the remainder.
fn split_by_weights(total: i64, weights: &[i64], unit: i64) -> Vec<i64> {
    let weight_sum: i64 = weights.iter().sum();
    if weights.is_empty() || weight_sum <= 0 {
        return Vec::new();
    }
    let mut parts: Vec<i64> = weights
        .iter()
        .map(|weight| {
            let share = i128::from(total) * i128::from(*weight) / i128::from(weight_sum);
            (share as i64) / unit * unit
        })
        .collect();
    let assigned: i64 = parts.iter().sum();
    if let Some(last) = parts.last_mut() {
        *last += total - assigned;
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_split_adds_up_exactly_and_rounds_all_but_the_last() {
        let parts = split_by_weights(19_700_000_000, &[1000, 850, 1150, 999], 1_000_000);
        assert_eq!(parts.iter().sum::<i64>(), 19_700_000_000);
        assert!(parts[..3].iter().all(|part| part % 1_000_000 == 0));
        assert!(parts.iter().all(|part| *part > 0));
    }
}
