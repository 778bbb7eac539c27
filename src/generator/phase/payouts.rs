//! Money out of a phase: awards in selection order, each waiting until the pool can fund
//! it; instalments paid after the award; a few duplicate payments reversed the same day;
//! a few clawbacks after the last instalment.
//!
//! Why the ledger accepts all of it: an award is dated on or after the day the running
//! contributions and matches cover every award so far (rule 4). Instalments of a grant add
//! up to its funded part and follow its award, so what is paid out never exceeds what is
//! committed, which never exceeds what came in: cash stays positive (rule 5). A duplicate
//! is posted only where the money not yet committed covers it. Refunds follow the last
//! instalment and never exceed it (rule 6).

use std::collections::HashSet;

use chrono::NaiveDate;
use rand::seq::index;
use rand::Rng;
use rust_decimal::Decimal;

use super::inflows::Inflows;
use super::projects::{ProjectPlan, TYPE2};
use super::roster::Member;
use super::{krw, split_by_weights, PhaseBuilder};
use crate::domain::{Command, DisbursementId, EntryId, RefundId, Role, SupportType};
use crate::generator::plan::add_days;
use crate::generator::schedule::Priority;

/// Instalments are whole thousands of won (the last takes the remainder).
const INSTALMENT_UNIT_WON: i64 = 1_000;

/// Duplicate payments (reversed) per phase-size unit.
const DUPLICATE_PAYMENTS: u32 = 3;

/// Clawbacks per phase-size unit.
const CLAWBACKS: u32 = 8;

/// Why SMEs pay money back.
const CLAWBACK_REASONS: [&str; 4] = [
    "project abandoned before completion (사업 중도 포기)",
    "breach of the support agreement (협약 위반)",
    "unspent balance returned at settlement (정산 잔액 반환)",
    "equipment sold within the holding period (처분 제한 위반)",
];

/// What the phase's payouts add up to.
#[derive(Debug, Clone, Default)]
pub(super) struct Outcome {
    pub awarded_government: i64,
    pub awarded_sponsor: i64,
    pub own_share: i64,
    pub disbursed: i64,
    pub refunded: i64,
    pub smes: u64,
    pub non_supplier_smes: u64,
    pub projects: u64,
    pub type2_projects: u64,
    pub reversals: u64,
    pub refunds: u64,
}

/// A project with its award date and the running total committed once it is awarded.
struct Awarded {
    plan: ProjectPlan,
    date: NaiveDate,
    committed_after: i64,
}

/// Records awards (with the registration of new SMEs), instalments and clawbacks.
pub(super) fn record(
    builder: &mut PhaseBuilder,
    roster: &[Member],
    plans: Vec<ProjectPlan>,
    inflows: &Inflows,
) -> Outcome {
    let awarded = schedule_awards(builder, plans, inflows);
    let mut outcome = Outcome::default();
    record_awards(builder, roster, &awarded, &mut outcome);
    let duplicates: HashSet<usize> = sample(builder, awarded.len(), DUPLICATE_PAYMENTS)
        .into_iter()
        .collect();
    let mut last_instalments = Vec::with_capacity(awarded.len());
    for (position, award) in awarded.iter().enumerate() {
        let duplicate = duplicates.contains(&position);
        let last = record_instalments(builder, award, duplicate, &awarded, inflows, &mut outcome);
        last_instalments.push(last);
    }
    for position in sample(builder, awarded.len(), CLAWBACKS) {
        if let (Some(award), Some(last)) = (awarded.get(position), last_instalments.get(position)) {
            record_clawback(builder, award, *last, &mut outcome);
        }
    }
    outcome
}

/// Dates each award on the first day the pool covers it and every award before it.
fn schedule_awards(
    builder: &PhaseBuilder,
    plans: Vec<ProjectPlan>,
    inflows: &Inflows,
) -> Vec<Awarded> {
    let (mut sponsor, mut government) = (0, 0);
    let mut last_date = builder.spec.starts_on;
    let mut awarded = Vec::with_capacity(plans.len());
    for plan in plans {
        let needs = (
            sponsor + plan.split.sponsor,
            government + plan.split.government,
        );
        let from = plan.planned.max(last_date);
        // A project the pool never covers is not awarded (the plan keeps this from happening).
        let Some(date) = inflows.first_funded(from, needs.0, needs.1) else {
            continue;
        };
        (sponsor, government) = needs;
        last_date = date;
        awarded.push(Awarded {
            plan,
            date,
            committed_after: sponsor + government,
        });
    }
    awarded
}

fn record_awards(
    builder: &mut PhaseBuilder,
    roster: &[Member],
    awarded: &[Awarded],
    outcome: &mut Outcome,
) {
    let types = SupportType::smart_factory_2022();
    let mut supported = vec![false; roster.len()];
    for award in awarded {
        let plan = &award.plan;
        let Some(member) = roster.get(plan.member) else {
            continue;
        };
        if !supported[plan.member] {
            supported[plan.member] = true;
            outcome.smes += 1;
            outcome.non_supplier_smes += u64::from(!member.profile.supplier);
            register(builder, member, award.date);
        }
        let support_type = types
            .get(plan.support_type)
            .map_or_else(String::new, |support| support.code.clone());
        builder.push(
            award.date,
            Priority::Award,
            Command::AwardGrant {
                grant: plan.grant,
                phase: builder.phase,
                sme: member.profile.id,
                purpose: plan.purpose,
                support_type,
                project_cost: krw(plan.cost),
                government_share: Decimal::from(plan.split.government),
                sponsor_share: Decimal::from(plan.split.sponsor),
                own_share: Decimal::from(plan.split.own),
            },
            Some("AGR"),
            format!("grant-{}", plan.grant),
            Role::Finance,
        );
        outcome.projects += 1;
        outcome.type2_projects += u64::from(plan.support_type == TYPE2);
        outcome.awarded_government += plan.split.government;
        outcome.awarded_sponsor += plan.split.sponsor;
        outcome.own_share += plan.split.own;
    }
}

/// Registers an SME new to the programme on the day of its first award, before it.
fn register(builder: &mut PhaseBuilder, member: &Member, date: NaiveDate) {
    let Some(registration) = &member.registration else {
        return;
    };
    let sme = member.profile.id;
    builder.push(
        date,
        Priority::RegisterSme,
        Command::RegisterSme {
            sme,
            brn: registration.brn,
            name: registration.name.clone(),
            supplier: member.profile.supplier,
            channel: registration.channel,
            size: member.profile.size,
        },
        None,
        format!("register-sme-{sme}"),
        Role::Admin,
    );
}

/// Pays a grant's funded part in two to four instalments; returns the last one's date.
fn record_instalments(
    builder: &mut PhaseBuilder,
    award: &Awarded,
    duplicate: bool,
    awarded: &[Awarded],
    inflows: &Inflows,
    outcome: &mut Outcome,
) -> NaiveDate {
    let funded = award.plan.split.funded();
    let parts = instalments(builder, funded);
    let mut date = award.date;
    for (number, amount) in parts.iter().copied().enumerate() {
        date = if number == 0 {
            add_days(date, builder.rng.gen_range(14..=45))
        } else {
            add_days(date, builder.rng.gen_range(30..=120))
        };
        let disbursement = pay(builder, award, date, amount);
        outcome.disbursed += amount;
        // Only the first of several instalments is duplicated: the copy then still fits
        // within the grant's funded part until it is reversed.
        let fits_grant = parts.len() > 1 && number == 0 && amount <= funded - amount;
        if duplicate && fits_grant && uncommitted_on(date, awarded, inflows) >= amount {
            let copy = pay(builder, award, date, amount);
            builder.push(
                date,
                Priority::Disbursement,
                Command::ReverseEntry {
                    entry: EntryId::from(copy),
                    reason: format!("duplicate of payment {disbursement}"),
                },
                None,
                format!("reversal-{copy}"),
                Role::Finance,
            );
            outcome.reversals += 1;
        }
    }
    date
}

fn pay(
    builder: &mut PhaseBuilder,
    award: &Awarded,
    date: NaiveDate,
    amount: i64,
) -> DisbursementId {
    let disbursement = DisbursementId::from_uuid(builder.uuid());
    builder.push(
        date,
        Priority::Disbursement,
        Command::RecordDisbursement {
            disbursement,
            grant: award.plan.grant,
            amount: krw(amount),
        },
        Some("PAY"),
        format!("disbursement-{disbursement}"),
        Role::Finance,
    );
    disbursement
}

/// Two, three or four instalments, the first an advance of 30–50 %.
fn instalments(builder: &mut PhaseBuilder, funded: i64) -> Vec<i64> {
    let count = match builder.rng.gen_range(0..100) {
        0..=24 => 2,
        25..=69 => 3,
        _ => 4,
    };
    let mut weights = vec![builder.rng.gen_range(30..=50)];
    weights.extend((1..count).map(|_| builder.rng.gen_range(20..=40)));
    let parts = split_by_weights(funded, &weights, INSTALMENT_UNIT_WON);
    if parts.iter().all(|part| *part > 0) {
        parts
    } else {
        vec![funded]
    }
}

/// Money in by the end of `date` less everything awarded by then: what a duplicate
/// payment on that day can draw on without touching committed money.
fn uncommitted_on(date: NaiveDate, awarded: &[Awarded], inflows: &Inflows) -> i64 {
    let (sponsor, government) = inflows.totals_on(date);
    let count = awarded.partition_point(|award| award.date <= date);
    let committed = count
        .checked_sub(1)
        .and_then(|last| awarded.get(last))
        .map_or(0, |award| award.committed_after);
    sponsor + government - committed
}

/// A clawback of 10–100 % of what was paid, one to twelve months after the last instalment.
fn record_clawback(
    builder: &mut PhaseBuilder,
    award: &Awarded,
    last_instalment: NaiveDate,
    outcome: &mut Outcome,
) {
    let funded = award.plan.split.funded();
    let percent = builder.rng.gen_range(10..=100);
    let amount =
        (funded * percent / 100 / INSTALMENT_UNIT_WON * INSTALMENT_UNIT_WON).clamp(1, funded);
    let date = add_days(last_instalment, builder.rng.gen_range(30..=365));
    let reason = CLAWBACK_REASONS[builder.rng.gen_range(0..CLAWBACK_REASONS.len())];
    let refund = RefundId::from_uuid(builder.uuid());
    builder.push(
        date,
        Priority::Refund,
        Command::RecordRefund {
            refund,
            grant: award.plan.grant,
            amount: krw(amount),
            reason: reason.to_string(),
        },
        Some("RFD"),
        format!("refund-{refund}"),
        Role::Finance,
    );
    outcome.refunded += amount;
    outcome.refunds += 1;
}

/// `per_unit × incident_factor` distinct positions below `length`, at random, in
/// ascending order (a stable order keeps the draws that follow deterministic).
fn sample(builder: &mut PhaseBuilder, length: usize, per_unit: u32) -> Vec<usize> {
    let wanted = (per_unit * builder.spec.incident_factor) as usize;
    let mut positions = index::sample(builder.rng, length, wanted.min(length)).into_vec();
    positions.sort_unstable();
    positions
}
