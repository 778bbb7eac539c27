//! The programme's phases at a given scale: dates, money and sizes, before any randomness.

use chrono::{Days, Months, NaiveDate};

/// First day of phase 1 (August 2013).
pub(super) const PROGRAMME_START: NaiveDate = match NaiveDate::from_ymd_opt(2013, 8, 1) {
    Some(date) => date,
    None => NaiveDate::MIN,
};

/// Months in one phase (five years).
pub(super) const PHASE_MONTHS: u32 = 60;

/// Months from one phase's start to the next: sixty months and one month's gap
/// (phase 1 ends in July 2018, phase 2 starts in September 2018).
const PHASE_STRIDE_MONTHS: u32 = 61;

/// Phase 1 paid in 19.7 bn KRW, in millions of won.
const MOVEMENT_CONTRIBUTED_MILLIONS: i64 = 19_700;

/// Later phases are pledged (and paid) 20 bn KRW over five years, in millions of won.
const PLEDGE_PHASE_MILLIONS: i64 = 20_000;

/// SMEs supported in phase 1.
const PHASE_SMES: i64 = 879;

/// Projects (grants) of phase 1.
const PHASE_PROJECTS: i64 = 1_660;

/// An SME has at most this many projects in one phase.
pub(super) const PROJECTS_PER_SME_MAX: u32 = 6;

/// One phase to generate: everything fixed by the scale alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PhaseSpec {
    /// 0 for phase 1; also selects the phase's random stream.
    pub index: u32,
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// Won paid in over the phase.
    pub contributed: i64,
    /// Won pledged at the phase's start (0: the phase had no pledge).
    pub pledged: i64,
    pub smes: u32,
    pub projects: u32,
    /// How many of each kind of mishap (mistaken posting, clawback) per scale-1 quota.
    pub incident_factor: u32,
}

/// The phases of the programme at `scale` (already clamped to its bounds).
pub(super) fn phase_specs(scale: u32) -> Vec<PhaseSpec> {
    let scale = i64::from(scale.max(1));
    let rounds = ceil_sqrt(scale);
    // Each phase is scale / rounds the size of a scale-1 phase, rounded to the nearest.
    let sized = |base: i64| (base * scale + rounds / 2) / rounds;
    let smes = sized(PHASE_SMES);
    let projects = sized(PHASE_PROJECTS).clamp(smes, smes * i64::from(PROJECTS_PER_SME_MAX));
    let incident_factor = ((scale + rounds / 2) / rounds).max(1);
    (0..rounds * 2)
        .map(|index| {
            let index = index as u32;
            let starts_on = add_months(PROGRAMME_START, index * PHASE_STRIDE_MONTHS);
            let ends_on = add_days(add_months(starts_on, PHASE_MONTHS), -1);
            let (contributed, pledged) = if index == 0 {
                (sized(MOVEMENT_CONTRIBUTED_MILLIONS) * 1_000_000, 0)
            } else {
                let amount = sized(PLEDGE_PHASE_MILLIONS) * 1_000_000;
                (amount, amount)
            };
            PhaseSpec {
                index,
                name: format!(
                    "Industrial Innovation Movement phase {} (산업혁신운동 {}기)",
                    index + 1,
                    index + 1
                ),
                starts_on,
                ends_on,
                contributed,
                pledged,
                smes: smes as u32,
                projects: projects as u32,
                incident_factor: incident_factor as u32,
            }
        })
        .collect()
}

/// The smallest `r` with `r * r >= n`, for `n >= 1`.
fn ceil_sqrt(n: i64) -> i64 {
    let mut root = 1;
    // Bounded by √n iterations; n is at most GENERATOR_SCALE_MAX.
    while root * root < n {
        root += 1;
    }
    root
}

/// `date` plus `months`, saturating at the calendar's end (unreachable within the scale limit).
pub(super) fn add_months(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

/// `date` plus (or minus) `days`, saturating at the calendar's ends.
pub(super) fn add_days(date: NaiveDate, days: i64) -> NaiveDate {
    let magnitude = Days::new(days.unsigned_abs());
    let moved = if days >= 0 {
        date.checked_add_days(magnitude)
    } else {
        date.checked_sub_days(magnitude)
    };
    moved.unwrap_or(if days >= 0 {
        NaiveDate::MAX
    } else {
        NaiveDate::MIN
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_one_is_the_two_phases_of_the_brief() {
        let specs = phase_specs(1);
        assert_eq!(specs.len(), 2);
        assert_eq!(
            specs[0].starts_on,
            NaiveDate::from_ymd_opt(2013, 8, 1).unwrap()
        );
        assert_eq!(
            specs[0].ends_on,
            NaiveDate::from_ymd_opt(2018, 7, 31).unwrap()
        );
        assert_eq!(specs[0].contributed, 19_700_000_000);
        assert_eq!(specs[0].pledged, 0);
        assert_eq!((specs[0].smes, specs[0].projects), (879, 1_660));
        assert_eq!(
            specs[1].starts_on,
            NaiveDate::from_ymd_opt(2018, 9, 1).unwrap()
        );
        assert_eq!(
            specs[1].ends_on,
            NaiveDate::from_ymd_opt(2023, 8, 31).unwrap()
        );
        assert_eq!(specs[1].pledged, 20_000_000_000);
    }

    #[test]
    fn phase_size_units_grow_linearly_with_scale() {
        for scale in [1, 2, 3, 4, 9, 10, 100] {
            let specs = phase_specs(scale);
            let projects: u64 = specs.iter().map(|spec| u64::from(spec.projects)).sum();
            let expected = 2 * 1_660 * u64::from(scale);
            assert!(
                projects.abs_diff(expected) <= specs.len() as u64,
                "scale {scale}"
            );
        }
    }

    #[test]
    fn largest_scale_stays_inside_the_calendar() {
        let specs = phase_specs(crate::limits::GENERATOR_SCALE_MAX);
        let last = specs.last().unwrap();
        assert!(chrono::Datelike::year(&last.ends_on) < 3100);
    }
}
