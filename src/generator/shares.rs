//! Splitting a project's cost into government, sponsor and own shares that satisfy its
//! support type exactly, in whole won.
//!
//! Rounding is where a naive split breaks a rule: 30 % of 33,330,001 won is not a whole
//! number. The government share is rounded down (it is capped from above), the sponsor
//! share up (it is bounded from below), and the SME's own share takes the remainder,
//! pushed back inside its bounds by moving won to or from the sponsor share.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use crate::domain::{ShareRule, SupportType};

/// A project's cost split into its three shares, in won.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Split {
    pub government: i64,
    pub sponsor: i64,
    pub own: i64,
}

impl Split {
    /// The part paid from the pool (government + sponsor).
    pub fn funded(&self) -> i64 {
        self.government + self.sponsor
    }
}

/// Splits `cost` won aiming at the given percentages for the government and sponsor
/// shares; `None` if no whole-won split satisfies the type (e.g. an odd cost halved).
pub(super) fn split(
    support: &SupportType,
    cost: i64,
    government_pct: i64,
    sponsor_pct: i64,
) -> Option<Split> {
    let total = Decimal::from(cost);
    let (government_low, government_high) = bounds(&support.government, total);
    let (sponsor_low, sponsor_high) = bounds(&support.sponsor, total);
    let (own_low, own_high) = bounds(&support.own, total);
    let government = (total * Decimal::new(government_pct, 2))
        .floor()
        .clamp(government_low, government_high.max(government_low));
    let mut sponsor = (total * Decimal::new(sponsor_pct, 2))
        .ceil()
        .clamp(sponsor_low, sponsor_high.max(sponsor_low));
    let mut own = total - government - sponsor;
    if own > own_high {
        sponsor += own - own_high;
        own = own_high;
    }
    if own < own_low {
        sponsor -= own_low - own;
        own = own_low;
    }
    if !satisfies_support_type(support, total, government, sponsor, own) {
        return None;
    }
    Some(Split {
        government: government.to_i64()?,
        sponsor: sponsor.to_i64()?,
        own: own.to_i64()?,
    })
}

/// The whole-won range a share may take on a project of `total` won.
fn bounds(rule: &ShareRule, total: Decimal) -> (Decimal, Decimal) {
    let low = (total * rule.ratio_min).ceil();
    let mut high = (total * rule.ratio_max).floor();
    if let Some(cap) = rule.cap {
        high = high.min(cap.floor());
    }
    (low, high)
}

/// Whether an award's shares respect its support type (rule 11): none negative, they add
/// up to the project cost, the cost is within the type's maximum, and each share is within
/// its ratio bounds and cap.
pub fn satisfies_support_type(
    support: &SupportType,
    project_cost: Decimal,
    government: Decimal,
    sponsor: Decimal,
    own: Decimal,
) -> bool {
    let within = |share: Decimal, rule: &ShareRule| {
        share >= Decimal::ZERO
            && share >= project_cost * rule.ratio_min
            && share <= project_cost * rule.ratio_max
            && rule.cap.is_none_or(|cap| share <= cap)
    };
    project_cost > Decimal::ZERO
        && support
            .project_cost_max
            .is_none_or(|max| project_cost <= max)
        && government
            .checked_add(sponsor)
            .and_then(|s| s.checked_add(own))
            == Some(project_cost)
        && within(government, &support.government)
        && within(sponsor, &support.sponsor)
        && within(own, &support.own)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn types() -> Vec<SupportType> {
        SupportType::smart_factory_2022()
    }

    fn check(split: Split, support: &SupportType, cost: i64) {
        assert!(satisfies_support_type(
            support,
            Decimal::from(cost),
            Decimal::from(split.government),
            Decimal::from(split.sponsor),
            Decimal::from(split.own),
        ));
    }

    #[test]
    fn type1_split_of_an_awkward_cost_rounds_inside_every_bound() {
        let basic = &types()[0];
        for cost in [33_330_001, 10_000_001, 7, 139_999_999] {
            for (government_pct, sponsor_pct) in [(30, 30), (25, 30), (30, 40), (29, 33)] {
                let split = split(basic, cost, government_pct, sponsor_pct).unwrap();
                check(split, basic, cost);
            }
        }
    }

    #[test]
    fn type1_government_share_stops_at_its_cap() {
        let basic = &types()[0];
        let split = split(basic, 300_000_000, 30, 30).unwrap();
        assert_eq!(split.government, 42_000_000);
        // The sponsor makes up what the SME's 40 % cannot.
        assert_eq!(split.own, 120_000_000);
        assert_eq!(split.sponsor, 138_000_000);
    }

    #[test]
    fn type2_split_is_half_and_half_with_no_own_share() {
        let type2 = &types()[3];
        let split = split(type2, 18_000_000, 30, 30).unwrap();
        assert_eq!(
            split,
            Split {
                government: 9_000_000,
                sponsor: 9_000_000,
                own: 0
            }
        );
    }

    #[test]
    fn type2_refuses_odd_costs_and_costs_over_its_maximum() {
        let type2 = &types()[3];
        assert_eq!(split(type2, 18_000_001, 50, 50), None);
        assert_eq!(split(type2, 20_000_002, 50, 50), None);
    }
}
