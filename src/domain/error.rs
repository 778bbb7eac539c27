//! Rule violations: every reason the ledger refuses a command, with the ids and amounts
//! a person needs to act on it. A refused command writes nothing.

use rust_decimal::Decimal;

use super::event::EntryKind;
use super::money::{Currency, MoneyError};

/// Broad class of a refusal; the API maps each class to one gRPC status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViolationClass {
    /// The command itself is malformed (INVALID_ARGUMENT).
    Invalid,
    /// The command names something that does not exist (NOT_FOUND).
    NotFound,
    /// The command would create something that exists already (ALREADY_EXISTS).
    AlreadyExists,
    /// The command is well formed but breaks a rule of the ledger (FAILED_PRECONDITION).
    Precondition,
}

/// Why a command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleViolation {
    // Malformed input (rule 1 and shape checks).
    #[error("invalid {field}: {reason}")]
    InvalidField { field: &'static str, reason: String },
    #[error("amount is in {given} but phase {phase} is in {expected}")]
    CurrencyMismatch {
        phase: String,
        expected: Currency,
        given: Currency,
    },
    #[error("arithmetic overflow while computing {what}")]
    Overflow { what: &'static str },

    // Unknown references.
    #[error("{kind} {id} does not exist")]
    NotFound { kind: &'static str, id: String },

    // Duplicates.
    #[error("{kind} {id} exists already")]
    AlreadyExists { kind: &'static str, id: String },

    // Rule 2 and 8: phase state.
    #[error("phase {phase} is closed: it takes no new {what}")]
    PhaseClosed { phase: String, what: &'static str },

    // Rule 3: matches never exceed ratio × contribution.
    #[error(
        "match of {amount} on contribution {contribution} would bring its matches to {would_be}, \
         over the limit {limit} (ratio × contribution)"
    )]
    OverMatch {
        contribution: String,
        amount: Decimal,
        would_be: Decimal,
        limit: Decimal,
    },

    // Rule 4: awards never exceed the pool.
    #[error(
        "award needs a {share} share of {amount} but phase {phase} has only {available} \
         of {share} money not yet awarded"
    )]
    PoolExceeded {
        phase: String,
        share: &'static str,
        amount: Decimal,
        available: Decimal,
    },

    // Rule 5: disbursements never exceed the funded part; cash never negative.
    #[error(
        "disbursement of {amount} on grant {grant} would bring its disbursements to {would_be}, \
         over its funded part {funded}"
    )]
    OverDisbursement {
        grant: String,
        amount: Decimal,
        would_be: Decimal,
        funded: Decimal,
    },
    #[error("phase {phase} has {cash} in cash; {needed} is needed")]
    InsufficientCash {
        phase: String,
        cash: Decimal,
        needed: Decimal,
    },

    // Rule 6: refunds never exceed net disbursed.
    #[error(
        "refund of {amount} on grant {grant} exceeds what was disbursed net of refunds ({net_disbursed})"
    )]
    OverRefund {
        grant: String,
        amount: Decimal,
        net_disbursed: Decimal,
    },

    // Rule 7: reversals.
    #[error("{kind} {entry} was reversed already")]
    AlreadyReversed { kind: &'static str, entry: String },
    #[error("{kind} {entry} cannot be reversed: {reason}")]
    ReversalBlocked {
        kind: &'static str,
        entry: String,
        reason: String,
    },

    // Rule 12: interest.
    #[error("phase {phase} holds {held} of interest; {amount} cannot be settled")]
    InterestExceeded {
        phase: String,
        amount: Decimal,
        held: Decimal,
    },
    #[error("phase {phase}'s settlement rules do not allow keeping interest: it must be returned")]
    InterestKeepingNotAllowed { phase: String },
    #[error("phase {phase} has no contributions or matches: there is no one to return {what} to")]
    NoOneToReturnTo { phase: String, what: &'static str },

    // Rule 13: settlement.
    #[error("grant {grant} is settled: it takes no more {what}")]
    GrantAlreadySettled { grant: String, what: &'static str },

    // Rule 14: the clawback lifecycle.
    #[error(
        "clawback of {amount} on grant {grant} exceeds what may still be clawed back \
         ({collectable}: disbursed net of refunds and of clawbacks not yet collected)"
    )]
    OverClawback {
        grant: String,
        amount: Decimal,
        collectable: Decimal,
    },
    #[error("collection of {amount} on clawback {clawback} exceeds its {outstanding} outstanding")]
    OverCollection {
        clawback: String,
        amount: Decimal,
        outstanding: Decimal,
    },
    #[error("clawback {clawback} holds no collected money to pass on")]
    NothingToPassOn { clawback: String },

    // Rule 11: support types.
    #[error("award breaks support type {support_type}: {reason}")]
    SupportTypeViolated {
        support_type: String,
        reason: String,
    },
}

impl RuleViolation {
    /// Which class of refusal this is.
    pub fn class(&self) -> ViolationClass {
        match self {
            RuleViolation::InvalidField { .. }
            | RuleViolation::CurrencyMismatch { .. }
            | RuleViolation::Overflow { .. } => ViolationClass::Invalid,
            RuleViolation::NotFound { .. } => ViolationClass::NotFound,
            RuleViolation::AlreadyExists { .. } => ViolationClass::AlreadyExists,
            _ => ViolationClass::Precondition,
        }
    }

    /// The number of the rule in the design brief this refusal enforces (0 for shape checks).
    pub fn rule(&self) -> u8 {
        match self {
            RuleViolation::InvalidField { .. }
            | RuleViolation::CurrencyMismatch { .. }
            | RuleViolation::Overflow { .. } => 1,
            RuleViolation::NotFound { .. } => 2,
            RuleViolation::AlreadyExists { .. } => 0,
            RuleViolation::PhaseClosed { .. } => 8,
            RuleViolation::OverMatch { .. } => 3,
            RuleViolation::PoolExceeded { .. } => 4,
            RuleViolation::OverDisbursement { .. } | RuleViolation::InsufficientCash { .. } => 5,
            RuleViolation::OverRefund { .. } => 6,
            RuleViolation::AlreadyReversed { .. } | RuleViolation::ReversalBlocked { .. } => 7,
            RuleViolation::SupportTypeViolated { .. } => 11,
            RuleViolation::InterestExceeded { .. }
            | RuleViolation::InterestKeepingNotAllowed { .. }
            | RuleViolation::NoOneToReturnTo { .. } => 12,
            RuleViolation::GrantAlreadySettled { .. } => 13,
            RuleViolation::OverClawback { .. }
            | RuleViolation::OverCollection { .. }
            | RuleViolation::NothingToPassOn { .. } => 14,
        }
    }

    /// A short machine-readable reason, e.g. `OVER_MATCH`, for structured error details.
    pub fn code(&self) -> &'static str {
        match self {
            RuleViolation::InvalidField { .. } => "INVALID_FIELD",
            RuleViolation::CurrencyMismatch { .. } => "CURRENCY_MISMATCH",
            RuleViolation::Overflow { .. } => "OVERFLOW",
            RuleViolation::NotFound { .. } => "NOT_FOUND",
            RuleViolation::AlreadyExists { .. } => "ALREADY_EXISTS",
            RuleViolation::PhaseClosed { .. } => "PHASE_CLOSED",
            RuleViolation::OverMatch { .. } => "OVER_MATCH",
            RuleViolation::PoolExceeded { .. } => "POOL_EXCEEDED",
            RuleViolation::OverDisbursement { .. } => "OVER_DISBURSEMENT",
            RuleViolation::InsufficientCash { .. } => "INSUFFICIENT_CASH",
            RuleViolation::OverRefund { .. } => "OVER_REFUND",
            RuleViolation::AlreadyReversed { .. } => "ALREADY_REVERSED",
            RuleViolation::ReversalBlocked { .. } => "REVERSAL_BLOCKED",
            RuleViolation::SupportTypeViolated { .. } => "SUPPORT_TYPE_VIOLATED",
            RuleViolation::InterestExceeded { .. } => "INTEREST_EXCEEDED",
            RuleViolation::InterestKeepingNotAllowed { .. } => "INTEREST_KEEPING_NOT_ALLOWED",
            RuleViolation::NoOneToReturnTo { .. } => "NO_ONE_TO_RETURN_TO",
            RuleViolation::GrantAlreadySettled { .. } => "GRANT_SETTLED",
            RuleViolation::OverClawback { .. } => "OVER_CLAWBACK",
            RuleViolation::OverCollection { .. } => "OVER_COLLECTION",
            RuleViolation::NothingToPassOn { .. } => "NOTHING_TO_PASS_ON",
        }
    }

    /// The field a malformed-input refusal is about, for a `BadRequest` detail.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            RuleViolation::InvalidField { field, .. } => Some(field),
            RuleViolation::CurrencyMismatch { .. } => Some("amount.currency"),
            _ => None,
        }
    }

    /// Wraps a money error as a malformed field.
    pub fn money(field: &'static str, error: MoneyError) -> RuleViolation {
        match error {
            MoneyError::Overflow => RuleViolation::Overflow { what: field },
            other => RuleViolation::InvalidField {
                field,
                reason: other.to_string(),
            },
        }
    }

    /// A reversal refused because the entry's kind forbids it now.
    pub fn reversal_blocked(kind: EntryKind, entry: impl ToString, reason: String) -> Self {
        RuleViolation::ReversalBlocked {
            kind: kind.as_str(),
            entry: entry.to_string(),
            reason,
        }
    }
}
