//! The phase's projects: support type, purpose, cost and shares, sized so that all of
//! them together use nearly all of the pool and never more.
//!
//! Costs are drawn in realistic ranges and then the type-1 costs are scaled by one common
//! factor so that the sponsor and government shares fit within 97 % of what comes in by
//! the phase's end; type-2 costs stay as drawn (they are capped at 20 M KRW).

use chrono::NaiveDate;
use rand::Rng;

use super::inflows::Inflows;
use super::roster::Member;
use super::PhaseBuilder;
use crate::domain::{GrantId, Purpose, SizeClass, SupportType};
use crate::generator::plan::add_days;
use crate::generator::shares::{split, Split};

/// Index of the type-2 (small enterprise) support type in `smart_factory_2022()`.
pub(super) const TYPE2: usize = 3;

/// Percent of the pool that the phase's awards may use; the rest is a reserve.
const POOL_USE_PERCENT: i64 = 97;

/// Project costs are whole ten-thousands of won, as in the scheme's budgets.
const COST_UNIT_WON: i64 = 10_000;

/// Rounds of shrinking the common factor by 1 % until the shares fit (rounding and caps
/// can push a scaled total a little over its target).
const FIT_ROUNDS_MAX: u32 = 200;

/// One project to award.
#[derive(Debug, Clone)]
pub(super) struct ProjectPlan {
    pub grant: GrantId,
    /// Index of the SME in the phase's roster.
    pub member: usize,
    pub purpose: Purpose,
    /// Index into the phase's support types.
    pub support_type: usize,
    pub cost: i64,
    pub split: Split,
    /// The selection date; the award waits until the pool can fund it.
    pub planned: NaiveDate,
}

/// A project before its cost is scaled.
#[derive(Debug, Clone)]
struct Draft {
    member: usize,
    purpose: Purpose,
    support_type: usize,
    raw_cost: i64,
    government_pct: i64,
    sponsor_pct: i64,
    planned: NaiveDate,
}

/// Plans every project of the phase, in order of their selection dates.
pub(super) fn plan(
    builder: &mut PhaseBuilder,
    roster: &[Member],
    inflows: &Inflows,
) -> Vec<ProjectPlan> {
    let types = SupportType::smart_factory_2022();
    let mut drafts = Vec::with_capacity(builder.spec.projects as usize);
    for (position, member) in roster.iter().enumerate() {
        for _ in 0..member.projects {
            drafts.push(draft(builder, position, member.profile.size));
        }
    }
    let (sponsor_by_end, government_by_end) = inflows.totals_on(builder.spec.ends_on);
    let targets = (
        sponsor_by_end * POOL_USE_PERCENT / 100,
        government_by_end * POOL_USE_PERCENT / 100,
    );
    let (mut numerator, denominator) = first_factor(&types, &drafts, targets);
    for _ in 0..FIT_ROUNDS_MAX {
        let (sponsor, government) = totals(&types, &drafts, numerator, denominator);
        if sponsor <= targets.0 && government <= targets.1 {
            break;
        }
        numerator = numerator * 99 / 100;
    }
    let mut plans: Vec<ProjectPlan> = drafts
        .into_iter()
        .filter_map(|draft| {
            let (cost, split) = realise(&types, &draft, numerator, denominator)?;
            Some(ProjectPlan {
                grant: GrantId::from_uuid(builder.uuid()),
                member: draft.member,
                purpose: draft.purpose,
                support_type: draft.support_type,
                cost,
                split,
                planned: draft.planned,
            })
        })
        .collect();
    plans.sort_by_key(|plan| plan.planned);
    plans
}

fn draft(builder: &mut PhaseBuilder, member: usize, size: SizeClass) -> Draft {
    let rng = &mut *builder.rng;
    let type2 = size == SizeClass::Small && rng.gen_bool(0.4);
    // Costs in ten-thousands of won.
    let (support_type, raw_units) = if type2 {
        (TYPE2, skewed(rng, 600, 2_000))
    } else {
        match rng.gen_range(0..100) {
            0..=79 => (0, skewed(rng, 1_500, 12_000)),
            80..=94 => (1, skewed(rng, 6_000, 25_000)),
            _ => (2, skewed(rng, 15_000, 50_000)),
        }
    };
    let roll = rng.gen_range(0..100);
    let purpose = match (support_type, roll) {
        (TYPE2, 0..=59) | (0, 0..=39) => Purpose::QssConsulting,
        (TYPE2, _) | (0, 40..=64) => Purpose::FacilityImprovement,
        (1 | 2, 85..) => Purpose::FacilityImprovement,
        _ => Purpose::SmartFactory,
    };
    let government_pct = if rng.gen_bool(0.7) {
        30
    } else {
        rng.gen_range(25..=29)
    };
    let sponsor_pct = if rng.gen_bool(0.5) {
        30
    } else {
        rng.gen_range(31..=40)
    };
    let span = (builder.spec.ends_on - builder.spec.starts_on).num_days();
    // Selections start six weeks in and stop three weeks before the phase ends.
    let offset = rng.gen_range(45..=(span - 20).max(45));
    Draft {
        member,
        purpose,
        support_type,
        raw_cost: raw_units * COST_UNIT_WON,
        government_pct,
        sponsor_pct,
        planned: add_days(builder.spec.starts_on, offset),
    }
}

/// The smaller of two uniform draws: skewed toward modest projects, as budgets are.
fn skewed(rng: &mut impl Rng, low: i64, high: i64) -> i64 {
    rng.gen_range(low..=high).min(rng.gen_range(low..=high))
}

/// The project's cost at the factor `numerator / denominator` (type 1 only) and its split.
fn realise(
    types: &[SupportType],
    draft: &Draft,
    numerator: i64,
    denominator: i64,
) -> Option<(i64, Split)> {
    let support = types.get(draft.support_type)?;
    let cost = if draft.support_type == TYPE2 {
        draft.raw_cost
    } else {
        let scaled = i128::from(draft.raw_cost) * i128::from(numerator) / i128::from(denominator);
        let rounded = (scaled as i64 + COST_UNIT_WON / 2) / COST_UNIT_WON * COST_UNIT_WON;
        rounded.max(COST_UNIT_WON)
    };
    let split = split(support, cost, draft.government_pct, draft.sponsor_pct)?;
    Some((cost, split))
}

/// Sponsor and government shares of all projects at a factor.
fn totals(types: &[SupportType], drafts: &[Draft], numerator: i64, denominator: i64) -> (i64, i64) {
    drafts
        .iter()
        .filter_map(|draft| realise(types, draft, numerator, denominator))
        .fold((0, 0), |(sponsor, government), (_, split)| {
            (sponsor + split.sponsor, government + split.government)
        })
}

/// The factor that brings the type-1 shares to what the targets leave after type 2:
/// the smaller of the sponsor and government ratios.
fn first_factor(types: &[SupportType], drafts: &[Draft], targets: (i64, i64)) -> (i64, i64) {
    let (type2, type1): (Vec<Draft>, Vec<Draft>) = drafts
        .iter()
        .cloned()
        .partition(|draft| draft.support_type == TYPE2);
    let (type2_sponsor, type2_government) = totals(types, &type2, 1, 1);
    let (type1_sponsor, type1_government) = totals(types, &type1, 1, 1);
    let sponsor = ((targets.0 - type2_sponsor).max(0), type1_sponsor.max(1));
    let government = (
        (targets.1 - type2_government).max(0),
        type1_government.max(1),
    );
    // a/b ≤ c/d ⇔ a·d ≤ c·b, in i128 so the products cannot overflow.
    let sponsor_smaller = i128::from(sponsor.0) * i128::from(government.1)
        <= i128::from(government.0) * i128::from(sponsor.1);
    let (numerator, denominator) = if sponsor_smaller { sponsor } else { government };
    // Keep the arithmetic of `realise` inside i64 even for very large phases.
    let shift = (denominator / 1_000_000_000).max(1);
    (numerator / shift, (denominator / shift).max(1))
}
