//! Posting requests to domain commands.

use chrono::Utc;

use super::values::{optional_decimal, parse_date, parse_decimal_field, parse_id, parse_money};
use super::ConvertError;
use crate::api::proto;
use crate::api::proto::batch_command::Command as ProtoCommand;
use crate::domain::*;
use crate::limits::{
    IDEMPOTENCY_KEY_BYTES_MAX, METADATA_PAIRS_MAX, NAME_BYTES_MAX, SUPPORT_TYPES_MAX,
    TEXT_BYTES_MAX,
};

/// Builds the recording context of a posting from its options and the authenticated actor.
pub fn options_context(
    options: Option<&proto::PostingOptions>,
    actor: &str,
) -> Result<CommandContext, ConvertError> {
    let options = options.ok_or_else(|| ConvertError::new("options", "is required"))?;
    let key = &options.idempotency_key;
    if key.is_empty() {
        return Err(ConvertError::new("options.idempotency_key", "is required"));
    }
    bounded(
        "options.idempotency_key",
        key,
        IDEMPOTENCY_KEY_BYTES_MAX,
        "IDEMPOTENCY_KEY_BYTES_MAX",
    )?;
    let effective_date = if options.effective_date.is_empty() {
        Utc::now().date_naive()
    } else {
        parse_date("options.effective_date", &options.effective_date)?
    };
    check_text("options.external_ref", &options.external_ref)?;
    if options.metadata.len() > METADATA_PAIRS_MAX {
        return Err(ConvertError::over_limit(
            "options.metadata",
            "METADATA_PAIRS_MAX",
            format!(
                "has {} pairs, over the limit METADATA_PAIRS_MAX ({METADATA_PAIRS_MAX})",
                options.metadata.len()
            ),
        ));
    }
    let mut metadata = Vec::with_capacity(options.metadata.len());
    for entry in &options.metadata {
        check_text("options.metadata.key", &entry.key)?;
        check_text("options.metadata.value", &entry.value)?;
        metadata.push((entry.key.clone(), entry.value.clone()));
    }
    Ok(CommandContext {
        actor: actor.to_string(),
        idempotency_key: key.clone(),
        effective_date,
        external_ref: (!options.external_ref.is_empty()).then(|| options.external_ref.clone()),
        metadata,
    })
}

fn check_text(field: &str, text: &str) -> Result<(), ConvertError> {
    bounded(field, text, TEXT_BYTES_MAX, "TEXT_BYTES_MAX")
}

/// Refuses a string over a byte limit, naming the limit. Checked here, before any parsing
/// or rule, so an oversized field is refused the same way whatever it is.
fn bounded(field: &str, text: &str, max: usize, limit: &'static str) -> Result<(), ConvertError> {
    if text.len() > max {
        return Err(ConvertError::over_limit(
            field,
            limit,
            format!(
                "has {} bytes, over the limit {limit} ({max} bytes)",
                text.len()
            ),
        ));
    }
    if let Some(character) = text.chars().find(|&c| is_misleading(c)) {
        return Err(ConvertError::new(
            field,
            format!(
                "contains the control or bidirectional character U+{:04X}; text is one line of \
                 printable characters",
                u32::from(character)
            ),
        ));
    }
    Ok(())
}

/// Characters that can hide or reorder what a reader of a statement, an export or a CSV
/// file sees: control characters (NUL, CR, LF, U+0085 and the rest of Cc), line and paragraph
/// separators, and the bidirectional marks, embeddings, overrides and isolates. No field of
/// the API is multi-line, so none of them has a legitimate use.
fn is_misleading(character: char) -> bool {
    character.is_control()
        || matches!(
            character,
            '\u{2028}' | '\u{2029}' // line and paragraph separators
            | '\u{200E}' | '\u{200F}' | '\u{061C}' // directional marks
            | '\u{202A}'..='\u{202E}' // embeddings and overrides
            | '\u{2066}'..='\u{2069}' // isolates
        )
}

/// A name field: at most [`NAME_BYTES_MAX`] bytes (blank names are refused by the rules).
fn name(field: &str, text: &str) -> Result<String, ConvertError> {
    bounded(field, text, NAME_BYTES_MAX, "NAME_BYTES_MAX")?;
    Ok(text.to_string())
}

/// A free-text field: at most [`TEXT_BYTES_MAX`] bytes.
fn text(field: &str, text: &str) -> Result<String, ConvertError> {
    check_text(field, text)?;
    Ok(text.to_string())
}

/// Converts one command of a batch; `field` prefixes error paths (e.g. `commands[3]`).
pub fn batch_command(field: &str, command: &proto::BatchCommand) -> Result<Command, ConvertError> {
    let inner = command
        .command
        .as_ref()
        .ok_or_else(|| ConvertError::new(field, "no command set"))?;
    single_command(field, inner)
}

/// Converts one command message.
pub fn single_command(field: &str, command: &ProtoCommand) -> Result<Command, ConvertError> {
    let at = |name: &str| format!("{field}.{name}");
    Ok(match command {
        ProtoCommand::OpenPhase(c) => Command::OpenPhase {
            phase: parse_id(&at("phase_id"), &c.phase_id, Some(PhaseId::generate))?,
            name: name(&at("name"), &c.name)?,
            currency: c
                .currency
                .parse()
                .map_err(|error| ConvertError::new(at("currency"), error))?,
            starts_on: parse_date(&at("starts_on"), &c.starts_on)?,
            ends_on: parse_date(&at("ends_on"), &c.ends_on)?,
            match_ratio: parse_decimal_field(&at("match_ratio"), &c.match_ratio)?,
            support_types: support_types(&at("support_types"), &c.support_types)?,
        },
        ProtoCommand::ClosePhase(c) => Command::ClosePhase {
            phase: parse_id(&at("phase_id"), &c.phase_id, None)?,
        },
        ProtoCommand::RegisterContributor(c) => Command::RegisterContributor {
            contributor: parse_id(
                &at("contributor_id"),
                &c.contributor_id,
                Some(ContributorId::generate),
            )?,
            name: name(&at("name"), &c.name)?,
        },
        ProtoCommand::RegisterAgency(c) => Command::RegisterAgency {
            agency: parse_id(&at("agency_id"), &c.agency_id, Some(AgencyId::generate))?,
            name: name(&at("name"), &c.name)?,
        },
        ProtoCommand::RegisterSme(c) => Command::RegisterSme {
            sme: parse_id(&at("sme_id"), &c.sme_id, Some(SmeId::generate))?,
            brn: Brn::parse(&c.business_registration_number)
                .map_err(|error| ConvertError::new(at("business_registration_number"), error))?,
            name: name(&at("name"), &c.name)?,
            supplier: c.supplier,
            channel: channel(&at("channel"), c.channel)?,
            size: size(&at("size"), c.size)?,
        },
        ProtoCommand::RecordPledge(c) => Command::RecordPledge {
            pledge: parse_id(&at("pledge_id"), &c.pledge_id, Some(PledgeId::generate))?,
            phase: parse_id(&at("phase_id"), &c.phase_id, None)?,
            contributor: parse_id(&at("contributor_id"), &c.contributor_id, None)?,
            amount: parse_money(&at("amount"), c.amount.as_ref())?,
        },
        ProtoCommand::RecordContribution(c) => Command::RecordContribution {
            contribution: parse_id(
                &at("contribution_id"),
                &c.contribution_id,
                Some(ContributionId::generate),
            )?,
            phase: parse_id(&at("phase_id"), &c.phase_id, None)?,
            contributor: parse_id(&at("contributor_id"), &c.contributor_id, None)?,
            amount: parse_money(&at("amount"), c.amount.as_ref())?,
        },
        ProtoCommand::RecordMatch(c) => Command::RecordMatch {
            match_id: parse_id(&at("match_id"), &c.match_id, Some(MatchId::generate))?,
            contribution: parse_id(&at("contribution_id"), &c.contribution_id, None)?,
            agency: parse_id(&at("agency_id"), &c.agency_id, None)?,
            amount: parse_money(&at("amount"), c.amount.as_ref())?,
        },
        ProtoCommand::AwardGrant(c) => Command::AwardGrant {
            grant: parse_id(&at("grant_id"), &c.grant_id, Some(GrantId::generate))?,
            phase: parse_id(&at("phase_id"), &c.phase_id, None)?,
            sme: parse_id(&at("sme_id"), &c.sme_id, None)?,
            purpose: purpose(&at("purpose"), c.purpose)?,
            support_type: name(&at("support_type"), &c.support_type)?,
            project_cost: parse_money(&at("project_cost"), c.project_cost.as_ref())?,
            government_share: parse_decimal_field(&at("government_share"), &c.government_share)?,
            sponsor_share: parse_decimal_field(&at("sponsor_share"), &c.sponsor_share)?,
            own_share: parse_decimal_field(&at("own_share"), &c.own_share)?,
        },
        ProtoCommand::RecordDisbursement(c) => Command::RecordDisbursement {
            disbursement: parse_id(
                &at("disbursement_id"),
                &c.disbursement_id,
                Some(DisbursementId::generate),
            )?,
            grant: parse_id(&at("grant_id"), &c.grant_id, None)?,
            amount: parse_money(&at("amount"), c.amount.as_ref())?,
        },
        ProtoCommand::RecordRefund(c) => Command::RecordRefund {
            refund: parse_id(&at("refund_id"), &c.refund_id, Some(RefundId::generate))?,
            grant: parse_id(&at("grant_id"), &c.grant_id, None)?,
            amount: parse_money(&at("amount"), c.amount.as_ref())?,
            reason: text(&at("reason"), &c.reason)?,
        },
        ProtoCommand::ReverseEntry(c) => Command::ReverseEntry {
            entry: parse_id(&at("entry_id"), &c.entry_id, None)?,
            reason: text(&at("reason"), &c.reason)?,
        },
        ProtoCommand::SetSettlementRules(c) => Command::SetSettlementRules {
            phase: parse_id(&at("phase_id"), &c.phase_id, None)?,
            rounding_unit: parse_decimal_field(&at("rounding_unit"), &c.rounding_unit)?,
            interest_may_be_kept: c.interest_may_be_kept,
        },
        ProtoCommand::RecordInterest(c) => Command::RecordInterest {
            phase: parse_id(&at("phase_id"), &c.phase_id, None)?,
            amount: parse_money(&at("amount"), c.amount.as_ref())?,
        },
        ProtoCommand::SettleInterest(c) => Command::SettleInterest {
            phase: parse_id(&at("phase_id"), &c.phase_id, None)?,
            amount: parse_money(&at("amount"), c.amount.as_ref())?,
            keep: c.keep,
        },
        ProtoCommand::SettleGrant(c) => Command::SettleGrant {
            grant: parse_id(&at("grant_id"), &c.grant_id, None)?,
        },
        ProtoCommand::DecideClawback(c) => Command::DecideClawback {
            clawback: parse_id(
                &at("clawback_id"),
                &c.clawback_id,
                Some(ClawbackId::generate),
            )?,
            grant: parse_id(&at("grant_id"), &c.grant_id, None)?,
            amount: parse_money(&at("amount"), c.amount.as_ref())?,
            reason: text(&at("reason"), &c.reason)?,
            due_on: parse_date(&at("due_on"), &c.due_on)?,
        },
        ProtoCommand::CollectClawback(c) => Command::CollectClawback {
            clawback: parse_id(&at("clawback_id"), &c.clawback_id, None)?,
            amount: parse_money(&at("amount"), c.amount.as_ref())?,
        },
        ProtoCommand::PassOnClawback(c) => Command::PassOnClawback {
            clawback: parse_id(&at("clawback_id"), &c.clawback_id, None)?,
        },
    })
}

/// The support types of a phase, at most [`SUPPORT_TYPES_MAX`].
fn support_types(
    field: &str,
    rules: &[proto::SupportType],
) -> Result<Vec<SupportType>, ConvertError> {
    if rules.len() > SUPPORT_TYPES_MAX {
        return Err(ConvertError::over_limit(
            field,
            "SUPPORT_TYPES_MAX",
            format!(
                "has {} types, over the limit SUPPORT_TYPES_MAX ({SUPPORT_TYPES_MAX})",
                rules.len()
            ),
        ));
    }
    rules
        .iter()
        .enumerate()
        .map(|(index, rule)| support_type(&format!("{field}[{index}]"), rule))
        .collect()
}

fn support_type(field: &str, rule: &proto::SupportType) -> Result<SupportType, ConvertError> {
    Ok(SupportType {
        code: name(&format!("{field}.code"), &rule.code)?,
        project_cost_max: optional_decimal(
            &format!("{field}.project_cost_max"),
            &rule.project_cost_max,
        )?,
        government: share_rule(&format!("{field}.government"), rule.government.as_ref())?,
        sponsor: share_rule(&format!("{field}.sponsor"), rule.sponsor.as_ref())?,
        own: share_rule(&format!("{field}.own"), rule.own.as_ref())?,
    })
}

fn share_rule(field: &str, rule: Option<&proto::ShareRule>) -> Result<ShareRule, ConvertError> {
    let Some(rule) = rule else {
        return Ok(ShareRule::any());
    };
    Ok(ShareRule {
        ratio_min: parse_decimal_field(&format!("{field}.ratio_min"), &rule.ratio_min)?,
        ratio_max: parse_decimal_field(&format!("{field}.ratio_max"), &rule.ratio_max)?,
        cap: optional_decimal(&format!("{field}.cap"), &rule.cap)?,
    })
}

fn purpose(field: &str, value: i32) -> Result<Purpose, ConvertError> {
    match proto::Purpose::try_from(value) {
        Ok(proto::Purpose::QssConsulting) => Ok(Purpose::QssConsulting),
        Ok(proto::Purpose::SmartFactory) => Ok(Purpose::SmartFactory),
        Ok(proto::Purpose::FacilityImprovement) => Ok(Purpose::FacilityImprovement),
        _ => Err(ConvertError::new(
            field,
            format!("{value} is not a known purpose"),
        )),
    }
}

fn channel(field: &str, value: i32) -> Result<ApplicationChannel, ConvertError> {
    match proto::ApplicationChannel::try_from(value) {
        Ok(proto::ApplicationChannel::SponsorPortal) => Ok(ApplicationChannel::SponsorPortal),
        Ok(proto::ApplicationChannel::InstitutionProposal) => {
            Ok(ApplicationChannel::InstitutionProposal)
        }
        Ok(proto::ApplicationChannel::Other) => Ok(ApplicationChannel::Other),
        _ => Err(ConvertError::new(
            field,
            format!("{value} is not a known application channel"),
        )),
    }
}

fn size(field: &str, value: i32) -> Result<SizeClass, ConvertError> {
    match proto::SizeClass::try_from(value) {
        Ok(proto::SizeClass::Small) => Ok(SizeClass::Small),
        Ok(proto::SizeClass::Medium) => Ok(SizeClass::Medium),
        _ => Err(ConvertError::new(
            field,
            format!("{value} is not a known size class"),
        )),
    }
}

/// Wire value of a purpose.
pub(crate) fn purpose_to_proto(purpose: Purpose) -> proto::Purpose {
    match purpose {
        Purpose::QssConsulting => proto::Purpose::QssConsulting,
        Purpose::SmartFactory => proto::Purpose::SmartFactory,
        Purpose::FacilityImprovement => proto::Purpose::FacilityImprovement,
    }
}

/// Wire value of an application channel.
pub(crate) fn channel_to_proto(channel: ApplicationChannel) -> proto::ApplicationChannel {
    match channel {
        ApplicationChannel::SponsorPortal => proto::ApplicationChannel::SponsorPortal,
        ApplicationChannel::InstitutionProposal => proto::ApplicationChannel::InstitutionProposal,
        ApplicationChannel::Other => proto::ApplicationChannel::Other,
    }
}

/// Wire value of a size class.
pub(crate) fn size_to_proto(size: SizeClass) -> proto::SizeClass {
    match size {
        SizeClass::Small => proto::SizeClass::Small,
        SizeClass::Medium => proto::SizeClass::Medium,
    }
}

/// Wire form of a support type.
pub fn support_type_to_proto(rule: &SupportType) -> proto::SupportType {
    let share = |rule: &ShareRule| proto::ShareRule {
        ratio_min: rule.ratio_min.normalize().to_string(),
        ratio_max: rule.ratio_max.normalize().to_string(),
        cap: rule
            .cap
            .map(|cap| cap.normalize().to_string())
            .unwrap_or_default(),
    };
    proto::SupportType {
        code: rule.code.clone(),
        project_cost_max: rule
            .project_cost_max
            .map(|max| max.normalize().to_string())
            .unwrap_or_default(),
        government: Some(share(&rule.government)),
        sponsor: Some(share(&rule.sponsor)),
        own: Some(share(&rule.own)),
    }
}
