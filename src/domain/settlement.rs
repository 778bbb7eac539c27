//! Settlement vocabulary (정산): a phase's settlement rules and the pro-rata split of money
//! going back to those who paid it in, with its explicit rounding rule.
//!
//! Pure arithmetic, exact and checked: the split never creates or loses money. What it
//! cannot return because of the rounding unit is the remainder, recorded beside the returns.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use super::money::Currency;
use crate::limits::ROUNDING_UNIT_EXPONENT_MAX;

/// How a phase settles: configured by its administrator, recorded as an event, and
/// repeated on every settlement event it shaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettlementRules {
    /// Returns are rounded down to a multiple of this amount; what is cut off is the
    /// remainder (e.g. 10 KRW: the treasury drops amounts under 10 won). A power of ten
    /// times the currency's minor unit.
    pub rounding_unit: Decimal,
    /// Whether interest earned on the phase's account may be kept in the fund instead of
    /// returned (only where the programme's own rule allows it).
    pub interest_may_be_kept: bool,
}

impl SettlementRules {
    /// The rules of a phase that configured none: round to the currency's minor unit (no
    /// money is dropped) and return all interest.
    pub fn default_for(currency: Currency) -> SettlementRules {
        SettlementRules {
            rounding_unit: minor_unit(currency),
            interest_may_be_kept: false,
        }
    }
}

/// The smallest amount of a currency: 1 for KRW, 0.01 for USD.
pub fn minor_unit(currency: Currency) -> Decimal {
    Decimal::new(1, currency.exponent())
}

/// Why a rounding unit is not acceptable.
pub fn rounding_unit_error(unit: Decimal, currency: Currency) -> Option<String> {
    let minor = minor_unit(currency);
    let mut allowed = minor;
    for _ in 0..=ROUNDING_UNIT_EXPONENT_MAX {
        if unit == allowed {
            return None;
        }
        allowed = allowed.saturating_mul(Decimal::TEN);
    }
    Some(format!(
        "{unit} is not {minor} {currency} times a power of ten up to 10^{ROUNDING_UNIT_EXPONENT_MAX}"
    ))
}

/// Money split between the government and the sponsor: each one's part, what is returned
/// to each after rounding, and the remainder kept back. `government_part + sponsor_part`
/// is the amount split; `returned + remainder` is each part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Split {
    pub government_part: Decimal,
    pub sponsor_part: Decimal,
    pub government_returned: Decimal,
    pub sponsor_returned: Decimal,
}

impl Split {
    /// What rounding kept back: the parts minus the returns.
    pub fn remainder(&self) -> Decimal {
        let parts = self.government_part.saturating_add(self.sponsor_part);
        let returned = self
            .government_returned
            .saturating_add(self.sponsor_returned);
        parts.saturating_sub(returned)
    }

    /// What both returns add up to.
    pub fn returned(&self) -> Decimal {
        self.government_returned
            .saturating_add(self.sponsor_returned)
    }
}

/// Why money could not be split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitError {
    /// Neither side has a weight: nobody to return the money to.
    NoWeights,
    /// A product or quotient left `Decimal`'s range.
    Overflow,
}

/// Splits `amount` between the government and the sponsor in proportion to their weights
/// (what each paid in, or each one's share of an award).
///
/// The government's part is `amount × government / (government + sponsor)` rounded down to
/// the currency's minor unit; the sponsor's part is the rest, so the parts add up to the
/// amount exactly. Each part is returned rounded down to `unit`; what is cut off stays as
/// the remainder. Weights and amount must not be negative.
pub fn split(
    amount: Decimal,
    government: Decimal,
    sponsor: Decimal,
    currency: Currency,
    unit: Decimal,
) -> Result<Split, SplitError> {
    let total = government
        .checked_add(sponsor)
        .ok_or(SplitError::Overflow)?;
    if total <= Decimal::ZERO || unit <= Decimal::ZERO {
        return Err(SplitError::NoWeights);
    }
    let government_part = amount
        .checked_mul(government)
        .and_then(|product| product.checked_div(total))
        .ok_or(SplitError::Overflow)?
        .round_dp_with_strategy(currency.exponent(), RoundingStrategy::ToZero);
    let sponsor_part = amount
        .checked_sub(government_part)
        .ok_or(SplitError::Overflow)?;
    let result = Split {
        government_part,
        sponsor_part,
        government_returned: down_to(government_part, unit)?,
        sponsor_returned: down_to(sponsor_part, unit)?,
    };
    debug_assert_eq!(
        result.government_part + result.sponsor_part,
        amount,
        "a split never creates or loses money"
    );
    Ok(result)
}

/// `value` rounded down to a multiple of `unit` (both non-negative).
fn down_to(value: Decimal, unit: Decimal) -> Result<Decimal, SplitError> {
    let units = value.checked_div(unit).ok_or(SplitError::Overflow)?.floor();
    units.checked_mul(unit).ok_or(SplitError::Overflow)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn split_rounds_returns_down_to_the_unit_and_keeps_the_remainder() {
        let split = split(d("12345"), d("1"), d("1"), Currency::Krw, d("10")).unwrap();
        assert_eq!(split.government_part, d("6172"));
        assert_eq!(split.sponsor_part, d("6173"));
        assert_eq!(split.government_returned, d("6170"));
        assert_eq!(split.sponsor_returned, d("6170"));
        assert_eq!(split.remainder(), d("5"));
    }

    #[test]
    fn split_by_thirds_never_loses_a_won() {
        let split = split(d("100"), d("1"), d("2"), Currency::Krw, d("1")).unwrap();
        assert_eq!(split.government_part, d("33"));
        assert_eq!(split.sponsor_part, d("67"));
        assert_eq!(split.remainder(), Decimal::ZERO);
    }

    #[test]
    fn split_with_one_side_only_goes_all_to_it() {
        let split = split(d("999"), d("0"), d("5"), Currency::Krw, d("100")).unwrap();
        assert_eq!(split.government_part, Decimal::ZERO);
        assert_eq!(split.sponsor_returned, d("900"));
        assert_eq!(split.remainder(), d("99"));
    }

    #[test]
    fn split_without_weights_is_refused() {
        assert_eq!(
            split(d("5"), d("0"), d("0"), Currency::Krw, d("1")),
            Err(SplitError::NoWeights)
        );
    }

    #[test]
    fn split_of_huge_amounts_overflows_as_an_error() {
        let huge = Decimal::MAX;
        assert_eq!(
            split(huge, huge, d("1"), Currency::Krw, d("1")),
            Err(SplitError::Overflow)
        );
    }

    #[test]
    fn rounding_units_are_powers_of_ten_of_the_minor_unit() {
        assert!(rounding_unit_error(d("1"), Currency::Krw).is_none());
        assert!(rounding_unit_error(d("10"), Currency::Krw).is_none());
        assert!(rounding_unit_error(d("0.01"), Currency::Usd).is_none());
        assert!(rounding_unit_error(d("5"), Currency::Krw).is_some());
        assert!(rounding_unit_error(d("0.1"), Currency::Krw).is_some());
        assert!(rounding_unit_error(d("10000000"), Currency::Krw).is_some());
    }
}
