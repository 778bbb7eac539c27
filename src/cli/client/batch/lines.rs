//! The lines of a batch file as serde types. The parser and the published JSON Schema
//! (`docs/batch.schema.json`) are both derived from these types, so they cannot disagree.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::cli::client::settlement::lines as settlement;

/// A decimal amount as text: digits, an optional fraction, no sign, exponent or spaces.
/// KRW takes no fraction; the server refuses one.
pub const AMOUNT_PATTERN: &str = r"^(0|[1-9][0-9]*)(\.[0-9]+)?$";
/// A calendar date, `YYYY-MM-DD`.
pub const DATE_PATTERN: &str = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$";
/// An ISO 4217 currency code.
pub const CURRENCY_PATTERN: &str = r"^[A-Za-z]{3}$";

pub(super) fn krw() -> String {
    "KRW".to_string()
}

/// One line of a batch file: an object with a single key naming the command, e.g.
/// `{"record_match": {...}}`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Line {
    /// Opens a programme phase.
    OpenPhase(OpenPhaseLine),
    /// Closes a phase: no further postings to it.
    ClosePhase(ClosePhaseLine),
    /// Registers a contributing company.
    RegisterContributor(RegisterContributorLine),
    /// Registers a matching government agency.
    RegisterAgency(RegisterAgencyLine),
    /// Registers a supported SME.
    RegisterSme(RegisterSmeLine),
    /// Records a contributor's pledge for a phase.
    RecordPledge(PledgeLine),
    /// Records money paid in by a contributor.
    RecordContribution(ContributionLine),
    /// Records government money matched against one contribution.
    RecordMatch(MatchLine),
    /// Awards a support project (grant) to an SME.
    AwardGrant(AwardLine),
    /// Records money paid out to an SME against its grant.
    RecordDisbursement(DisbursementLine),
    /// Records money an SME paid back (clawback).
    RecordRefund(RefundLine),
    /// Reverses an earlier posting with a compensating event.
    ReverseEntry(ReverseLine),
    /// Sets a phase's settlement rules (rounding of returns, keeping interest).
    SetSettlementRules(settlement::RulesLine),
    /// Records interest earned on the phase's account.
    RecordInterest(settlement::InterestLine),
    /// Returns (or keeps, where allowed) interest earned.
    SettleInterest(settlement::SettleInterestLine),
    /// Settles a grant: unspent money returned pro rata to who paid it in.
    SettleGrant(settlement::SettleGrantLine),
    /// Decides a clawback: amount, reason and deadline.
    DecideClawback(settlement::DecideClawbackLine),
    /// Records money collected on a clawback (possibly in parts).
    CollectClawback(settlement::CollectClawbackLine),
    /// Passes collected clawback money on to the government and the sponsor.
    PassOnClawback(settlement::PassOnClawbackLine),
}

/// `open_phase`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenPhaseLine {
    /// The new phase's id (a UUID); made by the server when absent.
    #[serde(default)]
    pub phase_id: String,
    /// The phase's name.
    pub name: String,
    /// The phase's currency (ISO 4217).
    #[serde(default = "krw")]
    #[schemars(regex(pattern = CURRENCY_PATTERN))]
    pub currency: String,
    /// First day of the phase.
    #[schemars(regex(pattern = DATE_PATTERN))]
    pub starts_on: String,
    /// Last day of the phase.
    #[schemars(regex(pattern = DATE_PATTERN))]
    pub ends_on: String,
    /// Government money per unit contributed, e.g. `"1"` for one-to-one.
    #[schemars(regex(pattern = AMOUNT_PATTERN))]
    pub match_ratio: String,
    /// The support types the phase offers.
    #[serde(default)]
    pub support_types: PresetLine,
}

/// `close_phase`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClosePhaseLine {
    /// The phase to close.
    pub phase_id: String,
}

/// `register_contributor`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterContributorLine {
    /// The new contributor's id (a UUID); made by the server when absent.
    #[serde(default)]
    pub contributor_id: String,
    /// The company's name.
    pub name: String,
}

/// `register_agency`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterAgencyLine {
    /// The new agency's id (a UUID); made by the server when absent.
    #[serde(default)]
    pub agency_id: String,
    /// The agency's name.
    pub name: String,
}

/// `register_sme`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterSmeLine {
    /// The new SME's id (a UUID); made by the server when absent.
    #[serde(default)]
    pub sme_id: String,
    /// The 10-digit business registration number with its check digit
    /// (`"1248100998"` or `"124-81-00998"`).
    pub business_registration_number: String,
    /// The SME's name.
    pub name: String,
    /// Whether the SME supplies the sponsor.
    #[serde(default)]
    pub supplier: bool,
    /// How the SME applied.
    pub channel: ChannelLine,
    /// The SME's size class.
    pub size: SizeLine,
}

/// `record_pledge`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PledgeLine {
    /// The new pledge's id (a UUID); made by the server when absent.
    #[serde(default)]
    pub pledge_id: String,
    /// The phase pledged to.
    pub phase_id: String,
    /// The pledging contributor.
    pub contributor_id: String,
    /// The pledged amount.
    #[schemars(regex(pattern = AMOUNT_PATTERN))]
    pub amount: String,
    /// The amount's currency; the phase's.
    #[serde(default = "krw")]
    #[schemars(regex(pattern = CURRENCY_PATTERN))]
    pub currency: String,
}

/// `record_contribution`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContributionLine {
    /// The new contribution's id (a UUID); made by the server when absent.
    #[serde(default)]
    pub contribution_id: String,
    /// The phase paid into.
    pub phase_id: String,
    /// The paying contributor.
    pub contributor_id: String,
    /// The amount paid in.
    #[schemars(regex(pattern = AMOUNT_PATTERN))]
    pub amount: String,
    /// The amount's currency; the phase's.
    #[serde(default = "krw")]
    #[schemars(regex(pattern = CURRENCY_PATTERN))]
    pub currency: String,
}

/// `record_match`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MatchLine {
    /// The new match's id (a UUID); made by the server when absent.
    #[serde(default)]
    pub match_id: String,
    /// The contribution matched.
    pub contribution_id: String,
    /// The matching agency.
    pub agency_id: String,
    /// The government amount matched.
    #[schemars(regex(pattern = AMOUNT_PATTERN))]
    pub amount: String,
    /// The amount's currency; the phase's.
    #[serde(default = "krw")]
    #[schemars(regex(pattern = CURRENCY_PATTERN))]
    pub currency: String,
}

/// `award_grant`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AwardLine {
    /// The new grant's id (a UUID); made by the server when absent.
    #[serde(default)]
    pub grant_id: String,
    /// The phase awarding.
    pub phase_id: String,
    /// The SME supported.
    pub sme_id: String,
    /// What the project is for.
    pub purpose: PurposeLine,
    /// One of the phase's support types, e.g. `type2-basic`.
    pub support_type: String,
    /// The whole project cost.
    #[schemars(regex(pattern = AMOUNT_PATTERN))]
    pub project_cost: String,
    /// The government's share of the cost, an amount in the phase's currency.
    #[schemars(regex(pattern = AMOUNT_PATTERN))]
    pub government_share: String,
    /// The sponsor's share of the cost.
    #[schemars(regex(pattern = AMOUNT_PATTERN))]
    pub sponsor_share: String,
    /// The SME's own share; the three shares add up to the project cost.
    #[schemars(regex(pattern = AMOUNT_PATTERN))]
    pub own_share: String,
    /// The currency of `project_cost`; the phase's.
    #[serde(default = "krw")]
    #[schemars(regex(pattern = CURRENCY_PATTERN))]
    pub currency: String,
}

/// `record_disbursement`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DisbursementLine {
    /// The new disbursement's id (a UUID); made by the server when absent.
    #[serde(default)]
    pub disbursement_id: String,
    /// The grant paid against.
    pub grant_id: String,
    /// The amount paid out.
    #[schemars(regex(pattern = AMOUNT_PATTERN))]
    pub amount: String,
    /// The amount's currency; the phase's.
    #[serde(default = "krw")]
    #[schemars(regex(pattern = CURRENCY_PATTERN))]
    pub currency: String,
}

/// `record_refund`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundLine {
    /// The new refund's id (a UUID); made by the server when absent.
    #[serde(default)]
    pub refund_id: String,
    /// The grant the money is paid back on.
    pub grant_id: String,
    /// The amount paid back.
    #[schemars(regex(pattern = AMOUNT_PATTERN))]
    pub amount: String,
    /// Why the money is paid back.
    pub reason: String,
    /// The amount's currency; the phase's.
    #[serde(default = "krw")]
    #[schemars(regex(pattern = CURRENCY_PATTERN))]
    pub currency: String,
}

/// `reverse_entry`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReverseLine {
    /// The posting to cancel (pledge, contribution, match, grant, disbursement or refund).
    pub entry_id: String,
    /// Why it is reversed.
    pub reason: String,
}

/// How an SME applied.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ChannelLine {
    /// Through the sponsor's portal.
    #[serde(alias = "sponsor_portal")]
    SponsorPortal,
    /// Proposed by an institution.
    #[serde(alias = "institution_proposal")]
    InstitutionProposal,
    /// Any other way.
    Other,
}

/// An SME's size class.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SizeLine {
    /// A small enterprise.
    Small,
    /// A medium-sized enterprise.
    Medium,
}

/// What a supported project is for.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PurposeLine {
    /// Quality, safety and sustainability consulting.
    #[serde(alias = "qss_consulting")]
    QssConsulting,
    /// A smart factory.
    #[serde(alias = "smart_factory")]
    SmartFactory,
    /// Facility improvement.
    #[serde(alias = "facility_improvement")]
    FacilityImprovement,
}

/// The support types a phase offers.
#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PresetLine {
    /// The win-win smart-factory scheme's types since 2022 (the default).
    #[default]
    #[serde(alias = "smart_factory_2022")]
    SmartFactory2022,
    /// No support types.
    None,
}

/// The JSON Schema (draft 2020-12) of one line of a batch file.
pub fn line_schema() -> serde_json::Value {
    let mut schema = schemars::schema_for!(Line).to_value();
    if let Some(object) = schema.as_object_mut() {
        object.insert(
            "title".into(),
            "A line of a matchledger batch file (JSON Lines)".into(),
        );
    }
    schema
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The published schema, kept in the repository for integrators.
    const PUBLISHED: &str = include_str!("../../../../docs/batch.schema.json");

    #[test]
    fn the_published_schema_is_the_one_the_parser_derives() {
        let derived = serde_json::to_string_pretty(&line_schema()).expect("a schema is JSON");
        if std::env::var_os("MATCHLEDGER_WRITE_SCHEMA").is_some() {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/batch.schema.json");
            std::fs::write(path, format!("{derived}\n")).expect("write the schema");
            return;
        }
        assert_eq!(
            PUBLISHED.trim_end(),
            derived,
            "docs/batch.schema.json is stale: run \
             `MATCHLEDGER_WRITE_SCHEMA=1 cargo test --lib the_published_schema` and commit it"
        );
    }
}
