//! Arguments shared by several commands: posting options, `--as-of`, and the value
//! parsers that check ids, amounts, dates and currencies before anything is sent.
//!
//! Values are checked but kept as the user wrote them (an amount stays the exact decimal
//! string), so the server sees the same text and gives the final verdict.

use chrono::{DateTime, Utc};
use clap::{Args, ValueEnum};
use uuid::Uuid;

use crate::api::proto;
use crate::domain::money::parse_decimal;
use crate::domain::{Currency, SupportType};

/// Options every posting takes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct PostingFlags {
    /// Idempotency key; a fresh UUID v7 when omitted (printed, so that a retry can reuse it).
    #[arg(long)]
    pub key: Option<String>,
    /// Business date the posting is effective on (YYYY-MM-DD); today (UTC) when omitted.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub effective_date: Option<String>,
    /// The finance system's own reference (voucher or transfer number).
    #[arg(long = "ref", value_name = "REF")]
    pub reference: Option<String>,
    /// A free key=value pair; repeat for several.
    #[arg(long = "meta", value_name = "KEY=VALUE", value_parser = parse_meta)]
    pub metadata: Vec<(String, String)>,
}

impl PostingFlags {
    /// The idempotency key to send: the one given, or a fresh time-ordered UUID.
    pub fn key_or_fresh(&self) -> String {
        self.key
            .clone()
            .unwrap_or_else(|| Uuid::now_v7().to_string())
    }

    /// The wire options of a posting sent with `key`.
    pub fn to_proto(&self, key: &str) -> proto::PostingOptions {
        proto::PostingOptions {
            idempotency_key: key.to_string(),
            effective_date: self.effective_date.clone().unwrap_or_default(),
            external_ref: self.reference.clone().unwrap_or_default(),
            metadata: self
                .metadata
                .iter()
                .map(|(key, value)| proto::MetadataEntry {
                    key: key.clone(),
                    value: value.clone(),
                })
                .collect(),
        }
    }
}

/// The point in history a query answers at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsOfPoint {
    /// As if the log ended at this sequence number.
    Sequence(u64),
    /// As of the last event recorded at or before this time.
    Time(DateTime<Utc>),
}

impl AsOfPoint {
    /// The wire form.
    pub fn to_proto(self) -> proto::AsOf {
        let point = match self {
            AsOfPoint::Sequence(sequence) => proto::as_of::Point::Sequence(sequence),
            AsOfPoint::Time(time) => proto::as_of::Point::Time(prost_types::Timestamp {
                seconds: time.timestamp(),
                // Sub-second nanos are below 2e9, so they always fit; 0 is unreachable.
                nanos: i32::try_from(time.timestamp_subsec_nanos()).unwrap_or(0),
            }),
        };
        proto::AsOf { point: Some(point) }
    }
}

/// The `--as-of` flag of every query.
#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct AsOfFlag {
    /// Answer as of a sequence number (e.g. 1200) or an RFC 3339 time
    /// (e.g. 2024-03-31T23:59:59+09:00); now when omitted.
    #[arg(long, value_name = "N|TIME", value_parser = parse_as_of)]
    pub as_of: Option<AsOfPoint>,
}

impl AsOfFlag {
    /// The wire form; `None` asks for now.
    pub fn to_proto(&self) -> Option<proto::AsOf> {
        self.as_of.map(AsOfPoint::to_proto)
    }
}

/// Parses `--as-of`: digits are a sequence number, anything else an RFC 3339 time.
pub fn parse_as_of(text: &str) -> Result<AsOfPoint, String> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text
            .parse()
            .map(AsOfPoint::Sequence)
            .map_err(|_| format!("{text} is too large for a sequence number"));
    }
    DateTime::parse_from_rfc3339(text)
        .map(|time| AsOfPoint::Time(time.with_timezone(&Utc)))
        .map_err(|error| {
            format!("expected a sequence number or an RFC 3339 time such as 2024-03-31T23:59:59Z: {error}")
        })
}

/// Checks a UUID and returns it in canonical lower-case form.
pub fn parse_uuid(text: &str) -> Result<String, String> {
    Uuid::parse_str(text)
        .map(|uuid| uuid.to_string())
        .map_err(|_| format!("{text:?} is not a UUID"))
}

/// Checks a plain decimal amount (digits and at most one point; never an exponent or a
/// float) and keeps the text exactly as written.
pub fn parse_amount(text: &str) -> Result<String, String> {
    parse_decimal(text)
        .map(|_| text.to_string())
        .map_err(|error| error.to_string())
}

/// Checks a `YYYY-MM-DD` date by the server's own rule (the canonical form only, years
/// 1900..=2999) and keeps the text, so that the command line refuses what the server would.
pub fn parse_date(text: &str) -> Result<String, String> {
    crate::api::convert::parse_date("date", text)
        .map(|_| text.to_string())
        .map_err(|error| error.reason)
}

/// Checks an ISO 4217 code the ledger accepts; lower case is accepted and upper-cased.
pub fn parse_currency(text: &str) -> Result<String, String> {
    let code = text.to_ascii_uppercase();
    code.parse::<Currency>()
        .map(|currency| currency.code().to_string())
        .map_err(|error| error.to_string())
}

/// Parses `key=value`; the key must not be empty, the value may be.
pub fn parse_meta(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_string(), value.to_string())),
        _ => Err(format!("{text:?} is not KEY=VALUE")),
    }
}

/// How an SME applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ChannelArg {
    /// The sponsor's purchasing portal.
    SponsorPortal,
    /// Proposed by an institution such as a chamber of commerce.
    InstitutionProposal,
    /// Any other route.
    Other,
}

impl ChannelArg {
    /// The wire value.
    pub fn to_proto(self) -> proto::ApplicationChannel {
        match self {
            ChannelArg::SponsorPortal => proto::ApplicationChannel::SponsorPortal,
            ChannelArg::InstitutionProposal => proto::ApplicationChannel::InstitutionProposal,
            ChannelArg::Other => proto::ApplicationChannel::Other,
        }
    }
}

/// Size class of an SME.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SizeArg {
    /// A small enterprise.
    Small,
    /// A medium-sized enterprise.
    Medium,
}

impl SizeArg {
    /// The wire value.
    pub fn to_proto(self) -> proto::SizeClass {
        match self {
            SizeArg::Small => proto::SizeClass::Small,
            SizeArg::Medium => proto::SizeClass::Medium,
        }
    }
}

/// What a support project is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PurposeArg {
    /// QSS innovation consulting.
    QssConsulting,
    /// Smart-factory build or upgrade.
    SmartFactory,
    /// Facility or equipment improvement.
    FacilityImprovement,
}

impl PurposeArg {
    /// The wire value.
    pub fn to_proto(self) -> proto::Purpose {
        match self {
            PurposeArg::QssConsulting => proto::Purpose::QssConsulting,
            PurposeArg::SmartFactory => proto::Purpose::SmartFactory,
            PurposeArg::FacilityImprovement => proto::Purpose::FacilityImprovement,
        }
    }
}

/// The support types a new phase is configured with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum SupportTypesPreset {
    /// The four types of the 2022 win-win smart-factory scheme.
    #[default]
    SmartFactory2022,
    /// None: the phase takes no awards until types exist.
    None,
}

impl SupportTypesPreset {
    /// The wire form of the preset's support types.
    pub fn to_proto(self) -> Vec<proto::SupportType> {
        match self {
            SupportTypesPreset::SmartFactory2022 => SupportType::smart_factory_2022()
                .iter()
                .map(crate::api::convert::support_type_to_proto)
                .collect(),
            SupportTypesPreset::None => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::convert::command_to_proto;
    use crate::api::proto::batch_command::Command as ProtoCommand;
    use crate::domain::{Command, PhaseId};
    use chrono::NaiveDate;

    #[test]
    fn as_of_digits_are_a_sequence_number() {
        assert_eq!(parse_as_of("1200"), Ok(AsOfPoint::Sequence(1200)));
        assert!(parse_as_of("99999999999999999999999").is_err());
    }

    #[test]
    fn as_of_time_is_rfc3339_in_any_offset() {
        let point = parse_as_of("2024-04-01T08:59:59+09:00").unwrap();
        let expected = DateTime::parse_from_rfc3339("2024-03-31T23:59:59Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(point, AsOfPoint::Time(expected));
        let wire = point.to_proto();
        assert!(matches!(
            wire.point,
            Some(proto::as_of::Point::Time(prost_types::Timestamp { seconds, nanos: 0 }))
                if seconds == expected.timestamp()
        ));
    }

    #[test]
    fn as_of_garbage_is_refused() {
        for text in ["", "yesterday", "2024-03-31", "-5", "1.5"] {
            assert!(parse_as_of(text).is_err(), "{text:?} accepted");
        }
    }

    #[test]
    fn amounts_are_kept_exactly_and_floats_refused() {
        assert_eq!(parse_amount("1500000.00"), Ok("1500000.00".to_string()));
        for text in ["1e6", "1,000", "", "abc", "1.2.3"] {
            assert!(parse_amount(text).is_err(), "{text:?} accepted");
        }
    }

    #[test]
    fn dates_are_taken_only_in_the_canonical_form_the_server_takes() {
        assert_eq!(parse_date("2024-12-09"), Ok("2024-12-09".to_string()));
        for text in [
            "2024-12-9",
            "2024-1-05",
            "+2024-01-01",
            "2024-02-30",
            "24-12-09",
            "1899-12-31",
            "2024/12/09",
            " 2024-12-09",
            "",
        ] {
            let cli = parse_date(text);
            let server = crate::api::convert::parse_date("date", text);
            assert!(cli.is_err(), "{text:?} accepted");
            assert!(server.is_err(), "{text:?} accepted by the server");
        }
    }

    #[test]
    fn meta_splits_at_the_first_equals_sign() {
        assert_eq!(
            parse_meta("memo=a=b"),
            Ok(("memo".to_string(), "a=b".to_string()))
        );
        assert!(parse_meta("=x").is_err());
        assert!(parse_meta("novalue").is_err());
    }

    #[test]
    fn preset_support_types_match_the_api_conversion() {
        // Given the domain's 2022 types sent through the API's own conversion.
        let command = Command::OpenPhase {
            phase: PhaseId::generate(),
            name: "p".into(),
            currency: Currency::Krw,
            starts_on: NaiveDate::from_ymd_opt(2022, 1, 1).unwrap(),
            ends_on: NaiveDate::from_ymd_opt(2022, 12, 31).unwrap(),
            match_ratio: 1.into(),
            support_types: SupportType::smart_factory_2022(),
        };
        let Some(ProtoCommand::OpenPhase(expected)) = command_to_proto(&command).command else {
            panic!("not an OpenPhase");
        };
        // Then the preset sends exactly the same rules.
        assert_eq!(
            SupportTypesPreset::SmartFactory2022.to_proto(),
            expected.support_types
        );
        assert!(SupportTypesPreset::None.to_proto().is_empty());
    }
}
