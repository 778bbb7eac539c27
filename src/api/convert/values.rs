//! Scalar conversions: ids, money, decimals, dates, timestamps.

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::ConvertError;
use crate::api::proto;
use crate::domain::money::parse_decimal;
use crate::domain::{Currency, Money};

/// Parses an id field; an empty field gets a fresh time-ordered id when `generate` is set.
pub fn parse_id<T>(field: &str, text: &str, generate: Option<fn() -> T>) -> Result<T, ConvertError>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    match (text.is_empty(), generate) {
        (true, Some(make)) => Ok(make()),
        (true, None) => Err(ConvertError::new(field, "is required")),
        (false, _) => T::from_str(text).map_err(|error| ConvertError::new(field, error)),
    }
}

/// Parses a required money field.
pub fn parse_money(field: &str, money: Option<&proto::Money>) -> Result<Money, ConvertError> {
    let money = money.ok_or_else(|| ConvertError::new(field, "is required"))?;
    let currency = Currency::from_str(&money.currency)
        .map_err(|error| ConvertError::new(format!("{field}.currency"), error))?;
    Money::parse(&money.amount, currency)
        .map_err(|error| ConvertError::new(format!("{field}.amount"), error))
}

/// Parses a required decimal field such as a share or a ratio.
pub fn parse_decimal_field(field: &str, text: &str) -> Result<Decimal, ConvertError> {
    if text.is_empty() {
        return Err(ConvertError::new(field, "is required"));
    }
    parse_decimal(text).map_err(|error| ConvertError::new(field, error))
}

/// Parses an optional decimal field: empty means absent.
pub fn optional_decimal(field: &str, text: &str) -> Result<Option<Decimal>, ConvertError> {
    if text.is_empty() {
        return Ok(None);
    }
    parse_decimal_field(field, text).map(Some)
}

/// Parses a `YYYY-MM-DD` date within the years 1900..=2999.
/// Only the canonical form is taken: four-digit year, two-digit month and day, no sign
/// (chrono alone would also read `2024-1-5` and `+2024-01-01`).
pub fn parse_date(field: &str, text: &str) -> Result<NaiveDate, ConvertError> {
    let canonical = text.len() == 10
        && text.bytes().enumerate().all(|(index, byte)| match index {
            4 | 7 => byte == b'-',
            _ => byte.is_ascii_digit(),
        });
    if !canonical {
        return Err(ConvertError::new(
            field,
            format!("{text:.32?} is not a YYYY-MM-DD date"),
        ));
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|error| {
        ConvertError::new(
            field,
            format!("{text:.32?} is not a YYYY-MM-DD date: {error}"),
        )
    })?;
    let year = chrono::Datelike::year(&date);
    if !(1900..=2999).contains(&year) {
        return Err(ConvertError::new(
            field,
            format!("year {year} is out of range 1900..=2999"),
        ));
    }
    Ok(date)
}

/// Money as it travels on the wire.
pub fn money_to_proto(money: &Money) -> proto::Money {
    proto::Money {
        amount: money.amount().to_string(),
        currency: money.currency().code().to_string(),
    }
}

/// A decimal as it travels on the wire: plain notation, no trailing zeros.
pub fn decimal_text(value: Decimal) -> String {
    value.normalize().to_string()
}

/// A UTC time as a protobuf timestamp.
pub fn timestamp(time: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: time.timestamp(),
        nanos: i32::try_from(time.timestamp_subsec_nanos()).unwrap_or(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::SmeId;

    #[test]
    fn empty_id_is_generated_only_where_allowed() {
        assert!(parse_id::<SmeId>("sme_id", "", Some(SmeId::generate)).is_ok());
        assert_eq!(
            parse_id::<SmeId>("sme_id", "", None).unwrap_err().field,
            "sme_id"
        );
    }

    #[test]
    fn money_errors_name_the_field() {
        let bad = proto::Money {
            amount: "1.5".into(),
            currency: "KRW".into(),
        };
        assert_eq!(
            parse_money("command.amount", Some(&bad)).unwrap_err().field,
            "command.amount.amount"
        );
        let bad_currency = proto::Money {
            amount: "1".into(),
            currency: "XXX".into(),
        };
        assert_eq!(
            parse_money("command.amount", Some(&bad_currency))
                .unwrap_err()
                .field,
            "command.amount.currency"
        );
    }

    #[test]
    fn dates_out_of_range_are_refused() {
        assert!(parse_date("d", "2024-02-30").is_err());
        assert!(parse_date("d", "9999-01-01").is_err());
        assert!(parse_date("d", "2024-02-29").is_ok());
        for text in [
            "2024-1-5",
            "+2024-01-01",
            "2024-01-05 ",
            "2024/01/05",
            "20240105",
            "２024-01-05",
        ] {
            assert!(parse_date("d", text).is_err(), "{text:?} accepted");
        }
    }
}
