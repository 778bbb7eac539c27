//! The one mapping from ledger and conversion errors to gRPC statuses with structured
//! details (`google.rpc.ErrorInfo`, `BadRequest`, `PreconditionFailure`).

use std::collections::HashMap;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use super::convert::ConvertError;
use crate::domain::{RuleViolation, ViolationClass};
use crate::ledger::LedgerError;
use crate::store::Damage;

/// Domain used in `ErrorInfo` details.
const ERROR_DOMAIN: &str = "matchledger";

/// A malformed request field: INVALID_ARGUMENT with a `BadRequest` naming the field.
pub fn invalid_field(error: ConvertError) -> Status {
    let mut details = ErrorDetails::with_bad_request_violation(error.field.clone(), error.reason.clone());
    details.set_error_info("INVALID_FIELD", ERROR_DOMAIN, HashMap::new());
    Status::with_error_details(Code::InvalidArgument, error.to_string(), details)
}

/// A request over a limit: RESOURCE_EXHAUSTED or INVALID_ARGUMENT naming the limit.
pub fn over_limit(code: Code, limit: &str, message: String) -> Status {
    let mut details = ErrorDetails::new();
    details.set_error_info(
        "LIMIT_EXCEEDED",
        ERROR_DOMAIN,
        HashMap::from([("limit".to_string(), limit.to_string())]),
    );
    Status::with_error_details(code, message, details)
}

/// Maps a ledger error to its status.
pub fn ledger_error(error: LedgerError) -> Status {
    match error {
        LedgerError::Refused {
            index,
            command,
            violation,
        } => refused(index, command, violation),
        LedgerError::IdempotencyConflict { key } => {
            let mut details = ErrorDetails::new();
            details.set_error_info(
                "IDEMPOTENCY_KEY_REUSED",
                ERROR_DOMAIN,
                HashMap::from([("idempotency_key".to_string(), key.clone())]),
            );
            Status::with_error_details(
                Code::AlreadyExists,
                format!("idempotency key {key:?} was already used with a different request; nothing was written"),
                details,
            )
        }
        LedgerError::InvalidSubmission(message) => over_limit(Code::InvalidArgument, "batch", message),
        LedgerError::BeyondHead { requested, head } => {
            let details = ErrorDetails::with_bad_request_violation(
                "as_of.sequence",
                format!("{requested} is beyond the head {head}"),
            );
            Status::with_error_details(Code::OutOfRange, format!("as-of sequence {requested} is beyond the head of the log ({head})"), details)
        }
        LedgerError::Store(error) => {
            tracing::error!(%error, "storage failure");
            Status::internal(format!("storage failure: {error}"))
        }
        LedgerError::ReadOnly { damage } => read_only(&damage),
        LedgerError::Unavailable(reason) => Status::unavailable(reason),
    }
}

/// A posting to a ledger whose log is damaged: FAILED_PRECONDITION (retrying will not
/// help until an operator repairs the log), naming the damaged sequence.
fn read_only(damage: &Damage) -> Status {
    let mut details = ErrorDetails::new();
    details.set_error_info(
        "LEDGER_READ_ONLY",
        ERROR_DOMAIN,
        HashMap::from([
            ("damaged_sequence".to_string(), damage.sequence.to_string()),
            ("last_good_sequence".to_string(), damage.last_good.sequence.to_string()),
        ]),
    );
    details.add_precondition_failure_violation(
        "LEDGER_READ_ONLY",
        format!("event {}", damage.sequence),
        damage.reason.clone(),
    );
    Status::with_error_details(
        Code::FailedPrecondition,
        format!("the ledger is read-only, nothing was written: {damage}"),
        details,
    )
}

fn refused(index: usize, command: &'static str, violation: RuleViolation) -> Status {
    let message = format!("{command} refused: {violation}; nothing was written");
    let metadata = HashMap::from([
        ("rule".to_string(), violation.rule().to_string()),
        ("command_index".to_string(), index.to_string()),
        ("command".to_string(), command.to_string()),
    ]);
    let mut details = ErrorDetails::new();
    details.set_error_info(violation.code(), ERROR_DOMAIN, metadata);
    let code = match violation.class() {
        ViolationClass::Invalid => {
            let field = violation.field().unwrap_or("command");
            details.add_bad_request_violation(field, violation.to_string());
            Code::InvalidArgument
        }
        ViolationClass::NotFound => Code::NotFound,
        ViolationClass::AlreadyExists => Code::AlreadyExists,
        ViolationClass::Precondition => {
            details.add_precondition_failure_violation(
                violation.code(),
                format!("rule {}", violation.rule()),
                violation.to_string(),
            );
            Code::FailedPrecondition
        }
    };
    Status::with_error_details(code, message, details)
}
