//! Money into a phase: yearly pledges, monthly contributions and the agency's matches,
//! including a few matches keyed with a wrong amount, reversed and posted again.

use chrono::NaiveDate;
use rand::seq::index;
use rand::Rng;

use super::{krw, split_by_weights, Parties, PhaseBuilder};
use crate::domain::{Command, ContributionId, EntryId, MatchId, PledgeId, Role};
use crate::generator::plan::{add_days, add_months, PHASE_MONTHS};
use crate::generator::schedule::Priority;

/// Pledges are signed once a year of the phase.
const PLEDGE_YEARS: u32 = 5;

/// Contributions are whole millions of won, like the sponsor's transfers.
const CONTRIBUTION_UNIT_WON: i64 = 1_000_000;

/// Mistaken match postings per phase-size unit.
const MISTAKEN_MATCHES: u32 = 2;

/// Money that entered the phase, as end-of-day running totals.
#[derive(Debug, Clone, Default)]
pub(super) struct Inflows {
    /// One entry per day with money in, in date order: (day, sponsor total, government total).
    pub days: Vec<(NaiveDate, i64, i64)>,
    pub contributed: i64,
    pub matched: i64,
    pub reversals: u64,
}

impl Inflows {
    /// The first day, not before `from`, by whose end the running totals reach the needs.
    pub fn first_funded(
        &self,
        from: NaiveDate,
        sponsor: i64,
        government: i64,
    ) -> Option<NaiveDate> {
        let sponsor_day = self.days.partition_point(|day| day.1 < sponsor);
        let government_day = self.days.partition_point(|day| day.2 < government);
        let day = self.days.get(sponsor_day.max(government_day))?;
        Some(day.0.max(from))
    }

    /// Running totals (sponsor, government) at the end of `date`.
    pub fn totals_on(&self, date: NaiveDate) -> (i64, i64) {
        let count = self.days.partition_point(|day| day.0 <= date);
        count
            .checked_sub(1)
            .and_then(|last| self.days.get(last))
            .map_or((0, 0), |day| (day.1, day.2))
    }
}

/// Records the phase's pledges, contributions and matches.
pub(super) fn record(builder: &mut PhaseBuilder, parties: &Parties) -> Inflows {
    record_pledges(builder, parties);
    let contributions = record_contributions(builder, parties);
    let mistakes = mistaken_indexes(builder, contributions.len());
    let mut flows: Vec<(NaiveDate, i64, i64)> = Vec::new();
    let mut inflows = Inflows::default();
    for (position, (contribution, date, amount)) in contributions.into_iter().enumerate() {
        flows.push((date, amount, 0));
        inflows.contributed += amount;
        let parts = match_parts(builder, amount);
        let single = parts.len() == 1;
        let mut match_date = date;
        for part in parts {
            match_date = add_days(match_date, builder.rng.gen_range(7..=30));
            if single && mistakes.contains(&position) {
                record_mistaken_match(builder, parties, contribution, match_date, part);
                inflows.reversals += 1;
            }
            record_match(builder, parties, contribution, match_date, part);
            flows.push((match_date, 0, part));
            inflows.matched += part;
        }
    }
    flows.sort_by_key(|flow| flow.0);
    let (mut sponsor, mut government) = (0, 0);
    for (date, sponsor_in, government_in) in flows {
        sponsor += sponsor_in;
        government += government_in;
        match inflows.days.last_mut() {
            Some(last) if last.0 == date => *last = (date, sponsor, government),
            _ => inflows.days.push((date, sponsor, government)),
        }
    }
    inflows
}

fn record_pledges(builder: &mut PhaseBuilder, parties: &Parties) {
    let pledged = builder.spec.pledged;
    if pledged <= 0 {
        return;
    }
    let amounts = split_by_weights(pledged, &[1; PLEDGE_YEARS as usize], CONTRIBUTION_UNIT_WON);
    for (year, amount) in (0..PLEDGE_YEARS).zip(amounts) {
        let date = add_months(builder.spec.starts_on, year * 12);
        let pledge = PledgeId::from_uuid(builder.uuid());
        builder.push(
            date,
            Priority::Pledge,
            Command::RecordPledge {
                pledge,
                phase: builder.phase,
                contributor: parties.contributor,
                amount: krw(amount),
            },
            Some("PLG"),
            format!("pledge-{pledge}"),
            Role::Finance,
        );
    }
}

/// Records one contribution a month, in whole millions, adding up to the phase's total.
fn record_contributions(
    builder: &mut PhaseBuilder,
    parties: &Parties,
) -> Vec<(ContributionId, NaiveDate, i64)> {
    let weights: Vec<i64> = (0..PHASE_MONTHS)
        .map(|_| builder.rng.gen_range(850..=1150))
        .collect();
    let amounts = split_by_weights(builder.spec.contributed, &weights, CONTRIBUTION_UNIT_WON);
    let mut recorded = Vec::with_capacity(amounts.len());
    for (month, amount) in (0..PHASE_MONTHS).zip(amounts) {
        // The sponsor transfers between the 20th and the 28th of each month.
        let date = add_days(
            add_months(builder.spec.starts_on, month),
            builder.rng.gen_range(19..=27),
        );
        let contribution = ContributionId::from_uuid(builder.uuid());
        builder.push(
            date,
            Priority::Contribution,
            Command::RecordContribution {
                contribution,
                phase: builder.phase,
                contributor: parties.contributor,
                amount: krw(amount),
            },
            Some("TRF"),
            format!("contribution-{contribution}"),
            Role::Finance,
        );
        recorded.push((contribution, date, amount));
    }
    recorded
}

/// One match for the whole amount (seven times in ten), or two tranches.
fn match_parts(builder: &mut PhaseBuilder, amount: i64) -> Vec<i64> {
    if builder.rng.gen_bool(0.7) {
        return vec![amount];
    }
    let percent = builder.rng.gen_range(40..=60);
    let first = amount * percent / 100 / CONTRIBUTION_UNIT_WON * CONTRIBUTION_UNIT_WON;
    if first <= 0 || first >= amount {
        return vec![amount];
    }
    vec![first, amount - first]
}

fn mistaken_indexes(builder: &mut PhaseBuilder, contributions: usize) -> Vec<usize> {
    let wanted = (MISTAKEN_MATCHES * builder.spec.incident_factor) as usize;
    index::sample(builder.rng, contributions, wanted.min(contributions)).into_vec()
}

fn record_match(
    builder: &mut PhaseBuilder,
    parties: &Parties,
    contribution: ContributionId,
    date: NaiveDate,
    amount: i64,
) -> MatchId {
    let match_id = MatchId::from_uuid(builder.uuid());
    builder.push(
        date,
        Priority::Match,
        Command::RecordMatch {
            match_id,
            contribution,
            agency: parties.agency,
            amount: krw(amount),
        },
        Some("GOV"),
        format!("match-{match_id}"),
        Role::Government,
    );
    match_id
}

/// A match keyed with a zero dropped, then reversed the same day; the caller posts the
/// right amount right after.
fn record_mistaken_match(
    builder: &mut PhaseBuilder,
    parties: &Parties,
    contribution: ContributionId,
    date: NaiveDate,
    amount: i64,
) {
    let wrong = (amount / 10).max(1);
    let match_id = record_match(builder, parties, contribution, date, wrong);
    builder.push(
        date,
        Priority::Match,
        Command::ReverseEntry {
            entry: EntryId::from(match_id),
            reason: format!("amount keyed as {wrong} instead of {amount}; posted again"),
        },
        None,
        format!("reversal-{match_id}"),
        Role::Government,
    );
}
