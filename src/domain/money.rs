//! Exact money: a decimal amount in an ISO 4217 currency.
//!
//! Amounts never pass through floats. A currency's exponent (its number of minor-unit
//! digits) decides which amounts are valid: `1.5 KRW` is refused, never rounded.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::limits::AMOUNT_DIGITS_MAX;

/// Why an amount or currency is not acceptable input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("unknown or unsupported currency code {0:?}")]
    UnknownCurrency(String),
    #[error("amount {0:?} is not a decimal number")]
    NotANumber(String),
    #[error("amount {amount} must be positive")]
    NotPositive { amount: Decimal },
    #[error("amount {amount} has more decimal places than {currency} allows ({exponent})")]
    TooManyDecimals {
        amount: Decimal,
        currency: Currency,
        exponent: u32,
    },
    #[error("amount {0:?} has more than {max} digits", max = AMOUNT_DIGITS_MAX)]
    TooLarge(String),
    #[error("currency mismatch: {left} and {right}")]
    CurrencyMismatch { left: Currency, right: Currency },
    #[error("arithmetic overflow")]
    Overflow,
}

/// An ISO 4217 currency this ledger accepts, with its minor-unit exponent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Currency {
    /// Korean won: exponent 0, there is no minor unit.
    Krw,
    /// US dollar: exponent 2.
    Usd,
    /// Euro: exponent 2.
    Eur,
    /// Japanese yen: exponent 0.
    Jpy,
}

impl Currency {
    /// Every supported currency, for validation messages and tests.
    pub const ALL: [Currency; 4] = [Currency::Krw, Currency::Usd, Currency::Eur, Currency::Jpy];

    /// The ISO 4217 alphabetic code.
    pub fn code(self) -> &'static str {
        match self {
            Currency::Krw => "KRW",
            Currency::Usd => "USD",
            Currency::Eur => "EUR",
            Currency::Jpy => "JPY",
        }
    }

    /// The ISO 4217 exponent: how many decimal places an amount may have.
    pub fn exponent(self) -> u32 {
        match self {
            Currency::Krw | Currency::Jpy => 0,
            Currency::Usd | Currency::Eur => 2,
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = MoneyError;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        Currency::ALL
            .into_iter()
            .find(|currency| currency.code() == code)
            .ok_or_else(|| MoneyError::UnknownCurrency(code.to_string()))
    }
}

/// A positive amount of money, valid for its currency. The only way money enters the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    amount: Decimal,
    currency: Currency,
}

impl Money {
    /// Validates a positive amount: no more decimal places than the currency allows.
    pub fn new(amount: Decimal, currency: Currency) -> Result<Self, MoneyError> {
        if amount <= Decimal::ZERO {
            return Err(MoneyError::NotPositive { amount });
        }
        let normalized = amount.normalize();
        if normalized.scale() > currency.exponent() {
            return Err(MoneyError::TooManyDecimals {
                amount,
                currency,
                exponent: currency.exponent(),
            });
        }
        Ok(Money {
            amount: normalized,
            currency,
        })
    }

    /// Parses a decimal string such as `"1500000"` or `"12.34"`; exponents and floats are refused.
    pub fn parse(text: &str, currency: Currency) -> Result<Self, MoneyError> {
        Money::new(parse_decimal(text)?, currency)
    }

    /// The amount, normalized (no trailing zeros).
    pub fn amount(&self) -> Decimal {
        self.amount
    }

    /// The currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

/// Parses a decimal in its one canonical text form: an optional `-`, an integer part without
/// leading zeros (`0` alone is allowed), and optionally `.` followed by at least one digit,
/// bounded in length. Everything else a lenient parser would take (`+5`, `5.`, `.5`, `05`,
/// `5e3`, `1_000`, spaces) is refused, so that one amount has one spelling in the log.
pub fn parse_decimal(text: &str) -> Result<Decimal, MoneyError> {
    let digits = text.chars().filter(|c| c.is_ascii_digit()).count();
    if digits > AMOUNT_DIGITS_MAX {
        return Err(MoneyError::TooLarge(truncate(text)));
    }
    if !is_canonical_decimal(text) {
        return Err(MoneyError::NotANumber(truncate(text)));
    }
    Decimal::from_str_exact(text).map_err(|_| MoneyError::NotANumber(truncate(text)))
}

/// `-?(0|[1-9][0-9]*)(\.[0-9]+)?`, written out to need no regex engine.
fn is_canonical_decimal(text: &str) -> bool {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let (integer, fraction) = match unsigned.split_once('.') {
        Some((integer, fraction)) => (integer, Some(fraction)),
        None => (unsigned, None),
    };
    let integer_ok = !integer.is_empty()
        && integer.bytes().all(|b| b.is_ascii_digit())
        && (integer == "0" || !integer.starts_with('0'));
    let fraction_ok =
        fraction.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
    integer_ok && fraction_ok
}

/// Adds two balances, refusing overflow.
pub fn checked_add(left: Decimal, right: Decimal) -> Result<Decimal, MoneyError> {
    left.checked_add(right).ok_or(MoneyError::Overflow)
}

/// Subtracts two balances, refusing overflow.
pub fn checked_sub(left: Decimal, right: Decimal) -> Result<Decimal, MoneyError> {
    left.checked_sub(right).ok_or(MoneyError::Overflow)
}

/// Multiplies two decimals, refusing overflow.
pub fn checked_mul(left: Decimal, right: Decimal) -> Result<Decimal, MoneyError> {
    left.checked_mul(right).ok_or(MoneyError::Overflow)
}

fn truncate(text: &str) -> String {
    text.chars().take(48).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractional_won_is_refused_not_rounded() {
        let error = Money::parse("1.5", Currency::Krw).unwrap_err();
        assert!(matches!(error, MoneyError::TooManyDecimals { .. }));
    }

    #[test]
    fn whole_won_with_trailing_zero_fraction_is_accepted() {
        let money = Money::parse("1500.00", Currency::Krw).unwrap();
        assert_eq!(money.amount(), Decimal::from(1500));
    }

    #[test]
    fn cents_are_accepted_in_dollars() {
        let money = Money::parse("12.34", Currency::Usd).unwrap();
        assert_eq!(money.amount().to_string(), "12.34");
        assert!(Money::parse("12.345", Currency::Usd).is_err());
    }

    #[test]
    fn zero_and_negative_amounts_are_refused() {
        assert!(matches!(
            Money::parse("0", Currency::Krw),
            Err(MoneyError::NotPositive { .. })
        ));
        assert!(matches!(
            Money::parse("-5", Currency::Krw),
            Err(MoneyError::NotPositive { .. })
        ));
    }

    #[test]
    fn malformed_and_huge_amounts_are_refused() {
        for text in ["", "abc", "1e5", "1.2.3", "NaN", "0x10", " 5", "--1"] {
            assert!(
                Money::parse(text, Currency::Krw).is_err(),
                "{text:?} accepted"
            );
        }
        let forty_digits = "1".repeat(40);
        assert!(matches!(
            Money::parse(&forty_digits, Currency::Krw),
            Err(MoneyError::TooLarge(_))
        ));
    }

    #[test]
    fn only_the_canonical_spelling_of_an_amount_is_accepted() {
        for text in [
            "+5", "5.", ".5", "05", "-05", "00", "5e3", "1_000", "5 ", "1,000", "+-5",
        ] {
            assert!(
                matches!(
                    Money::parse(text, Currency::Krw),
                    Err(MoneyError::NotANumber(_))
                ),
                "{text:?} accepted"
            );
        }
        for (text, amount) in [
            ("5", "5"),
            ("0.5", "0.5"),
            ("10.50", "10.5"),
            ("1000", "1000"),
        ] {
            assert_eq!(parse_decimal(text).unwrap().normalize().to_string(), amount);
        }
    }

    #[test]
    fn unknown_currency_is_refused() {
        assert!("XYZ".parse::<Currency>().is_err());
        assert_eq!("KRW".parse::<Currency>().unwrap(), Currency::Krw);
    }

    #[test]
    fn overflow_is_an_error_not_a_wrap() {
        assert_eq!(
            checked_add(Decimal::MAX, Decimal::ONE),
            Err(MoneyError::Overflow)
        );
    }
}
