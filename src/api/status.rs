//! The one mapping from ledger and conversion errors to gRPC statuses with structured
//! details (`google.rpc.ErrorInfo`, `BadRequest`, `PreconditionFailure`).

use std::collections::HashMap;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use super::convert::ConvertError;
use crate::domain::{Role, RuleViolation, ViolationClass};
use crate::ledger::LedgerError;
use crate::limits::{REQUEST_BYTES_MAX, STATUS_MESSAGE_BYTES_MAX};
use crate::store::{Damage, StoreError};

/// Domain used in `ErrorInfo` details.
const ERROR_DOMAIN: &str = "matchledger";

/// The prefix of tonic's own status for a request over the decoding size limit.
const TONIC_TOO_LARGE: &str = "Error, decoded message length too large";

/// The prefix of tonic's own status for a request that is not valid protobuf.
const TONIC_UNDECODABLE: &str = "failed to decode Protobuf message";

/// A text cut to [`STATUS_MESSAGE_BYTES_MAX`] bytes at a character boundary: statuses
/// quote what was wrong, and a quoted megabyte would not fit in the response headers.
pub fn bounded(text: impl Into<String>) -> String {
    let mut text = text.into();
    if text.len() > STATUS_MESSAGE_BYTES_MAX {
        let mut end = STATUS_MESSAGE_BYTES_MAX;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}

/// A status with details, its message and details bounded.
fn detailed(code: Code, message: impl Into<String>, details: ErrorDetails) -> Status {
    Status::with_error_details(code, bounded(message), details)
}

/// A malformed request field: INVALID_ARGUMENT with a `BadRequest` naming the field, and
/// for a field over a limit an `ErrorInfo` naming the limit.
pub fn invalid_field(error: ConvertError) -> Status {
    let mut details = ErrorDetails::with_bad_request_violation(
        bounded(error.field.clone()),
        bounded(error.reason.clone()),
    );
    let mut metadata = HashMap::new();
    if let Some(index) = error.command_index {
        metadata.insert("command_index".to_string(), index.to_string());
    }
    match error.limit {
        Some(limit) => {
            metadata.insert("limit".to_string(), limit.to_string());
            details.set_error_info("LIMIT_EXCEEDED", ERROR_DOMAIN, metadata)
        }
        None => details.set_error_info("INVALID_FIELD", ERROR_DOMAIN, metadata),
    };
    detailed(Code::InvalidArgument, error.to_string(), details)
}

/// A request over a limit: RESOURCE_EXHAUSTED or INVALID_ARGUMENT naming the limit.
pub fn over_limit(code: Code, limit: &str, message: String) -> Status {
    let mut details = ErrorDetails::new();
    details.set_error_info(
        "LIMIT_EXCEEDED",
        ERROR_DOMAIN,
        HashMap::from([("limit".to_string(), limit.to_string())]),
    );
    detailed(code, message, details)
}

/// No principal could be established for a request.
pub fn unauthenticated(reason: &str) -> Status {
    let mut details = ErrorDetails::new();
    details.set_error_info("UNAUTHENTICATED", ERROR_DOMAIN, HashMap::new());
    detailed(
        Code::Unauthenticated,
        format!("{reason}; send `authorization: Bearer <token>` or a client certificate"),
        details,
    )
}

/// The principal holds none of the roles a method or command needs.
pub fn permission_denied(principal: &str, what: &str, needed: &[Role]) -> Status {
    let needed: Vec<&str> = needed.iter().map(|role| role.as_str()).collect();
    let mut details = ErrorDetails::new();
    details.set_error_info(
        "PERMISSION_DENIED",
        ERROR_DOMAIN,
        HashMap::from([
            ("principal".to_string(), principal.to_string()),
            ("needed_roles".to_string(), needed.join(",")),
        ]),
    );
    detailed(
        Code::PermissionDenied,
        format!(
            "{principal} may not {what}: it needs the {} role; nothing was written",
            needed.join(" or ")
        ),
        details,
    )
}

/// Restates the statuses tonic itself gives for a request it cannot decode, so that they
/// too name what was wrong: a message over the size limit is RESOURCE_EXHAUSTED naming
/// `REQUEST_BYTES_MAX` (tonic says OUT_OF_RANGE), and bytes that are not the request's
/// protobuf (invalid UTF-8 in a string, a broken varint) are INVALID_ARGUMENT (tonic says
/// INTERNAL, which would blame the server). Any other status is returned as it is.
pub fn restate_decode_error(status: &Status) -> Option<Status> {
    match status.code() {
        Code::OutOfRange if status.message().starts_with(TONIC_TOO_LARGE) => Some(over_limit(
            Code::ResourceExhausted,
            "REQUEST_BYTES_MAX",
            format!(
                "a request holds at most REQUEST_BYTES_MAX ({REQUEST_BYTES_MAX}) bytes ({}); nothing was written",
                status.message()
            ),
        )),
        Code::Internal if status.message().starts_with(TONIC_UNDECODABLE) => {
            let mut details = ErrorDetails::new();
            details.set_error_info("MALFORMED_MESSAGE", ERROR_DOMAIN, HashMap::new());
            Some(detailed(
                Code::InvalidArgument,
                format!(
                    "the request is not a valid protobuf message: {}",
                    status.message()
                ),
                details,
            ))
        }
        _ => None,
    }
}

/// Maps a ledger error to its status.
pub fn ledger_error(error: LedgerError) -> Status {
    match error {
        LedgerError::Refused {
            index,
            command,
            violation,
        } => refused(index, command, violation),
        LedgerError::Forbidden {
            index,
            command,
            needed,
        } => permission_denied_command(index, command, needed),
        LedgerError::IdempotencyConflict { key } => {
            let mut details = ErrorDetails::new();
            details.set_error_info(
                "IDEMPOTENCY_KEY_REUSED",
                ERROR_DOMAIN,
                HashMap::from([("idempotency_key".to_string(), key.clone())]),
            );
            detailed(
                Code::AlreadyExists,
                format!("idempotency key {key:?} was already used with a different request; nothing was written"),
                details,
            )
        }
        LedgerError::InvalidSubmission(message) => {
            over_limit(Code::InvalidArgument, "batch", message)
        }
        LedgerError::BeyondHead { requested, head } => {
            let details = ErrorDetails::with_bad_request_violation(
                "as_of.sequence",
                format!("{requested} is beyond the head {head}"),
            );
            detailed(
                Code::OutOfRange,
                format!("as-of sequence {requested} is beyond the head of the log ({head})"),
                details,
            )
        }
        LedgerError::Store(error) => store_error(&error),
        LedgerError::ReadOnly { damage } => read_only(&damage),
        LedgerError::WriterFailed(reason) => writer_failed(&reason),
        LedgerError::Unavailable(reason) => Status::unavailable(bounded(reason)),
    }
}

/// A failed store read: DATA_LOSS when the stored history is not what was written (the
/// store has then turned read-only), INTERNAL for any other failure.
pub fn store_error(error: &StoreError) -> Status {
    tracing::error!(%error, "storage failure");
    if !error.is_damage() {
        return Status::internal(bounded(format!("storage failure: {error}")));
    }
    let mut details = ErrorDetails::new();
    details.set_error_info("STORED_HISTORY_DAMAGED", ERROR_DOMAIN, HashMap::new());
    detailed(
        Code::DataLoss,
        format!(
            "stored history is damaged ({error}); the ledger is now read-only: run \
             `matchledger check` and restore the data directory from a backup"
        ),
        details,
    )
}

/// A posting after a storage failure stopped the writer: FAILED_PRECONDITION (retrying
/// will not help until the server is restarted), naming the failure.
fn writer_failed(reason: &str) -> Status {
    let mut details = ErrorDetails::new();
    details.set_error_info("WRITER_STOPPED", ERROR_DOMAIN, HashMap::new());
    details.add_precondition_failure_violation("WRITER_STOPPED", "storage", bounded(reason));
    detailed(
        Code::FailedPrecondition,
        format!(
            "the ledger stopped writing after a storage failure, nothing was written: {reason}; \
             free the disk or fix the fault, then restart the server"
        ),
        details,
    )
}

/// A command of a submission that the poster's roles do not allow (a reversal of an entry
/// of another role's kind, or one command of a batch).
fn permission_denied_command(index: usize, command: &'static str, needed: Role) -> Status {
    let mut details = ErrorDetails::new();
    details.set_error_info(
        "PERMISSION_DENIED",
        ERROR_DOMAIN,
        HashMap::from([
            ("command_index".to_string(), index.to_string()),
            ("command".to_string(), command.to_string()),
            ("needed_roles".to_string(), needed.as_str().to_string()),
        ]),
    );
    detailed(
        Code::PermissionDenied,
        format!("command {index} ({command}) needs the {needed} role; nothing was written"),
        details,
    )
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
            (
                "last_good_sequence".to_string(),
                damage.last_good.sequence.to_string(),
            ),
        ]),
    );
    details.add_precondition_failure_violation(
        "LEDGER_READ_ONLY",
        format!("event {}", damage.sequence),
        damage.reason.clone(),
    );
    Status::with_error_details(
        Code::FailedPrecondition,
        bounded(format!(
            "the ledger is read-only, nothing was written: {damage}"
        )),
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
            details.add_bad_request_violation(field, bounded(violation.to_string()));
            Code::InvalidArgument
        }
        ViolationClass::NotFound => Code::NotFound,
        ViolationClass::AlreadyExists => Code::AlreadyExists,
        ViolationClass::Precondition => {
            details.add_precondition_failure_violation(
                violation.code(),
                format!("rule {}", violation.rule()),
                bounded(violation.to_string()),
            );
            Code::FailedPrecondition
        }
    };
    detailed(code, message, details)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Head;

    /// One ledger error of every kind.
    fn every_kind() -> Vec<LedgerError> {
        vec![
            LedgerError::Refused {
                index: 2,
                command: "record_match",
                violation: RuleViolation::PhaseClosed {
                    phase: "p".into(),
                    what: "contributions",
                },
            },
            LedgerError::Forbidden {
                index: 0,
                command: "open_phase",
                needed: Role::Admin,
            },
            LedgerError::IdempotencyConflict { key: "k".into() },
            LedgerError::InvalidSubmission("too many commands".into()),
            LedgerError::BeyondHead {
                requested: 9,
                head: 3,
            },
            LedgerError::Store(StoreError::corrupt(4, "a flipped byte")),
            LedgerError::ReadOnly {
                damage: Damage {
                    sequence: 4,
                    last_good: Head::EMPTY,
                    reason: "a flipped byte".into(),
                },
            },
            LedgerError::WriterFailed("disk full".into()),
            LedgerError::Unavailable("shutting down".into()),
        ]
    }

    #[test]
    fn the_reason_a_client_is_given_is_the_reason_the_metrics_count() {
        for error in every_kind() {
            let counted = error.reason();
            let description = error.to_string();
            let status = ledger_error(error);
            if let Some(info) = status.get_details_error_info() {
                assert_eq!(info.reason, counted, "{description}");
            }
        }
    }
}
