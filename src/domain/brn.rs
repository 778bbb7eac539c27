//! Korean business registration numbers (사업자등록번호): ten digits, the last a check digit.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why a business registration number is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BrnError {
    #[error(
        "business registration number {0:?} must have exactly 10 digits (dashes allowed as 3-2-5)"
    )]
    Format(String),
    #[error("business registration number {0} fails its check digit")]
    CheckDigit(String),
}

/// A validated 10-digit business registration number, stored without dashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Brn([u8; 10]);

/// Weights of the National Tax Service check-digit algorithm for the first nine digits.
const WEIGHTS: [u32; 9] = [1, 3, 7, 1, 3, 7, 1, 3, 5];

impl Brn {
    /// Parses `1234567890` or `123-45-67890` and verifies the check digit.
    pub fn parse(text: &str) -> Result<Self, BrnError> {
        let shown: String = text.chars().take(24).collect();
        let compact: String = if text.len() == 12 && is_dashed(text) {
            text.chars().filter(|c| *c != '-').collect()
        } else {
            text.to_string()
        };
        if compact.len() != 10 || !compact.bytes().all(|b| b.is_ascii_digit()) {
            return Err(BrnError::Format(shown));
        }
        let mut digits = [0u8; 10];
        for (slot, byte) in digits.iter_mut().zip(compact.bytes()) {
            *slot = byte - b'0';
        }
        if check_digit(&digits) != digits[9] {
            return Err(BrnError::CheckDigit(compact));
        }
        Ok(Brn(digits))
    }

    /// Builds a valid number from nine leading digits by computing the check digit
    /// (used by the programme generator).
    pub fn from_prefix(prefix: u32) -> Brn {
        let mut digits = [0u8; 10];
        let mut rest = prefix % 1_000_000_000;
        for slot in digits[..9].iter_mut().rev() {
            *slot = (rest % 10) as u8;
            rest /= 10;
        }
        digits[9] = check_digit(&digits);
        Brn(digits)
    }

    /// The number as the National Tax Service prints it: `123-45-67890`.
    pub fn dashed(&self) -> String {
        let digits = self.to_string();
        format!("{}-{}-{}", &digits[..3], &digits[3..5], &digits[5..])
    }
}

fn is_dashed(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes[3] == b'-' && bytes[6] == b'-'
}

fn check_digit(digits: &[u8; 10]) -> u8 {
    let mut sum: u32 = digits[..9]
        .iter()
        .zip(WEIGHTS)
        .map(|(digit, weight)| u32::from(*digit) * weight)
        .sum();
    sum += u32::from(digits[8]) * 5 / 10;
    ((10 - sum % 10) % 10) as u8
}

impl fmt::Display for Brn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for digit in self.0 {
            write!(f, "{digit}")?;
        }
        Ok(())
    }
}

impl FromStr for Brn {
    type Err = BrnError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Brn::parse(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dashed_form_is_three_two_five_digits_and_parses_back() {
        let brn = Brn::parse("1248100998").unwrap();
        assert_eq!(brn.dashed(), "124-81-00998");
        assert_eq!(Brn::parse(&brn.dashed()), Ok(brn));
    }

    #[test]
    fn known_valid_numbers_are_accepted() {
        // Public numbers of well-known companies, with and without dashes.
        for text in ["124-81-00998", "1248100998", "220-81-62517"] {
            assert!(Brn::parse(text).is_ok(), "{text} refused");
        }
    }

    #[test]
    fn wrong_check_digit_is_refused() {
        assert!(matches!(
            Brn::parse("1248100997"),
            Err(BrnError::CheckDigit(_))
        ));
    }

    #[test]
    fn wrong_shape_is_refused() {
        for text in [
            "",
            "123",
            "12345678901",
            "12-345-67890",
            "abcdefghij",
            "１２４８１００９９８",
        ] {
            assert!(
                matches!(Brn::parse(text), Err(BrnError::Format(_))),
                "{text:?}"
            );
        }
    }

    #[test]
    fn generated_numbers_are_valid() {
        for prefix in [0, 1, 123_456_789, 999_999_999] {
            let brn = Brn::from_prefix(prefix);
            assert_eq!(Brn::parse(&brn.to_string()), Ok(brn));
        }
    }
}
