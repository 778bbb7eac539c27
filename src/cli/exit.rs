//! Exit codes and the shape of a failure on standard error.
//!
//! A finance script must tell "retry later" from "never retry" from "the evidence is
//! invalid" without parsing text, so every failure maps to one documented code:
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | any other failure (local I/O, an internal server error) |
//! | 2 | usage: unknown flag or bad argument (clap) |
//! | 3 | unavailable, retry: no connection, UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED, RESOURCE_EXHAUSTED |
//! | 4 | refused by a rule or as invalid, do not retry as is: INVALID_ARGUMENT, FAILED_PRECONDITION, NOT_FOUND, ALREADY_EXISTS, OUT_OF_RANGE, PERMISSION_DENIED, UNAUTHENTICATED |
//! | 5 | verification failed: a proof, signature, bundle, export or data directory does not verify |
//!
//! Under `--json` the failure is one JSON object on standard error (see [`failure_json`]).

use std::process::ExitCode;

use serde_json::{json, Map, Value};
use tonic::{Code, Status};
use tonic_types::StatusExt;

use super::client::status::{code_name, status_text};

/// Success.
pub const SUCCESS: u8 = 0;
/// A failure of no other class.
pub const FAILURE: u8 = 1;
/// Usage errors, as clap reports them.
pub const USAGE: u8 = 2;
/// The server could not be reached or asked to retry later.
pub const RETRY: u8 = 3;
/// Refused by a rule or as invalid: retrying the same request gets the same answer.
pub const REFUSED: u8 = 4;
/// Evidence did not verify.
pub const VERIFICATION_FAILED: u8 = 5;

/// A refusal from the server, with the idempotency key of the posting it refused.
#[derive(Debug)]
pub struct Refusal {
    /// The server's status with its details.
    pub status: Status,
    /// The idempotency key, for postings.
    pub key: Option<String>,
    /// Extra guidance printed after the status text.
    pub hint: Option<String>,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&status_text(&self.status))?;
        if let Some(key) = &self.key {
            write!(f, "\n  idempotency key: {key}")?;
        }
        if let Some(hint) = &self.hint {
            write!(f, " ({hint})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Refusal {}

/// Evidence that does not verify: a bad proof, signature, bundle, export or log.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct VerificationFailed(pub String);

/// Shorthand for returning a [`VerificationFailed`] from an `anyhow` function.
pub fn verification_failed(message: impl Into<String>) -> anyhow::Error {
    VerificationFailed(message.into()).into()
}

/// The exit code of a failure: verification first, then a server refusal, then a
/// connection failure, wherever they sit among the error's contexts and sources.
pub fn code_of(error: &anyhow::Error) -> u8 {
    if find::<VerificationFailed>(error).is_some() {
        return VERIFICATION_FAILED;
    }
    if let Some(status) = refused_status(error) {
        return code_of_status(status.code());
    }
    if find::<tonic::transport::Error>(error).is_some() {
        return RETRY;
    }
    FAILURE
}

/// The first error of type `T` in `error`: its contexts (which `downcast_ref` sees
/// through) or its chain of sources.
fn find<T: std::error::Error + Send + Sync + 'static>(error: &anyhow::Error) -> Option<&T> {
    error
        .downcast_ref::<T>()
        .or_else(|| error.chain().find_map(|cause| cause.downcast_ref::<T>()))
}

/// The server status a failure carries, with the posting's idempotency key if any.
fn refusal_of(error: &anyhow::Error) -> Option<(&Status, Option<&str>)> {
    if let Some(refusal) = find::<Refusal>(error) {
        return Some((&refusal.status, refusal.key.as_deref()));
    }
    find::<Status>(error).map(|status| (status, None))
}

fn refused_status(error: &anyhow::Error) -> Option<&Status> {
    refusal_of(error).map(|(status, _)| status)
}

/// The exit code for a gRPC status code.
pub fn code_of_status(code: Code) -> u8 {
    match code {
        Code::Ok => SUCCESS,
        Code::Unavailable | Code::DeadlineExceeded | Code::Aborted | Code::ResourceExhausted => {
            RETRY
        }
        Code::InvalidArgument
        | Code::FailedPrecondition
        | Code::NotFound
        | Code::AlreadyExists
        | Code::OutOfRange
        | Code::PermissionDenied
        | Code::Unauthenticated => REFUSED,
        Code::Cancelled | Code::Unknown | Code::Internal | Code::Unimplemented | Code::DataLoss => {
            FAILURE
        }
    }
}

/// A failure as one JSON object: `exit_code`, `message`, and for a server refusal its
/// `code`, `reason`, `rule`, `command_index`, `metadata`, `field_violations`,
/// `preconditions` and the posting's `idempotency_key`.
pub fn failure_json(error: &anyhow::Error) -> Value {
    let mut object = Map::new();
    object.insert("exit_code".into(), json!(code_of(error)));
    object.insert("message".into(), json!(format!("{error:#}")));
    let refusal = refusal_of(error);
    if let Some((status, key)) = refusal {
        status_fields(status, &mut object);
        if let Some(key) = key {
            object.insert("idempotency_key".into(), json!(key));
        }
    }
    Value::Object(object)
}

fn status_fields(status: &Status, object: &mut Map<String, Value>) {
    object.insert("code".into(), json!(code_name(status.code())));
    object.insert("status_message".into(), json!(status.message()));
    let details = status.get_error_details();
    if let Some(info) = details.error_info() {
        object.insert("reason".into(), json!(info.reason));
        object.insert("domain".into(), json!(info.domain));
        if let Some(rule) = info.metadata.get("rule") {
            object.insert("rule".into(), json!(rule));
        }
        if let Some(index) = info.metadata.get("command_index") {
            let index = index.parse::<u64>().map(Value::from);
            object.insert("command_index".into(), index.unwrap_or(Value::Null));
        }
        object.insert("metadata".into(), json!(info.metadata));
    }
    if let Some(bad_request) = details.bad_request() {
        let violations: Vec<Value> = bad_request
            .field_violations
            .iter()
            .map(|v| json!({"field": v.field, "description": v.description}))
            .collect();
        object.insert("field_violations".into(), Value::Array(violations));
    }
    if let Some(failure) = details.precondition_failure() {
        let violations: Vec<Value> = failure
            .violations
            .iter()
            .map(|v| json!({"type": v.r#type, "subject": v.subject, "description": v.description}))
            .collect();
        object.insert("preconditions".into(), Value::Array(violations));
    }
}

/// Prints a failure on standard error (text, or JSON under `--json`) and returns its code.
pub fn report(error: &anyhow::Error, json: bool) -> ExitCode {
    if json {
        eprintln!("{}", failure_json(error));
    } else {
        eprintln!("error: {error:#}");
    }
    ExitCode::from(code_of(error))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use anyhow::Context;
    use tonic_types::ErrorDetails;

    use super::*;

    fn rule_refusal() -> Status {
        let mut details = ErrorDetails::new();
        details.set_error_info(
            "MATCH_EXCEEDS_CONTRIBUTION",
            "matchledger",
            HashMap::from([
                ("rule".to_string(), "3".to_string()),
                ("command_index".to_string(), "2".to_string()),
            ]),
        );
        Status::with_error_details(Code::FailedPrecondition, "match refused", details)
    }

    #[test]
    fn each_class_of_failure_has_its_own_exit_code() {
        let refused = anyhow::Error::new(Refusal {
            status: rule_refusal(),
            key: Some("k-1".into()),
            hint: None,
        });
        assert_eq!(code_of(&refused), REFUSED);
        let unavailable = anyhow::Error::new(Status::unavailable("writer stopped"));
        assert_eq!(code_of(&unavailable), RETRY);
        let wrapped = Err::<(), _>(Status::invalid_argument("bad"))
            .context("posting the batch")
            .unwrap_err();
        assert_eq!(code_of(&wrapped), REFUSED);
        let forged = verification_failed("the signature does not verify");
        assert_eq!(code_of(&forged), VERIFICATION_FAILED);
        assert_eq!(code_of(&anyhow::anyhow!("disk full")), FAILURE);
        assert_eq!(code_of_status(Code::DataLoss), FAILURE);
    }

    #[test]
    fn a_refusal_as_json_names_code_reason_rule_command_index_and_key() {
        let refused = anyhow::Error::new(Refusal {
            status: rule_refusal(),
            key: Some("k-1".into()),
            hint: None,
        });
        let value = failure_json(&refused);
        assert_eq!(value["exit_code"], 4);
        assert_eq!(value["code"], "FAILED_PRECONDITION");
        assert_eq!(value["reason"], "MATCH_EXCEEDS_CONTRIBUTION");
        assert_eq!(value["rule"], "3");
        assert_eq!(value["command_index"], 2);
        assert_eq!(value["idempotency_key"], "k-1");
        assert_eq!(value["status_message"], "match refused");
    }

    #[test]
    fn a_local_failure_as_json_has_only_its_message_and_code() {
        let value = failure_json(&anyhow::anyhow!("cannot read batch.json"));
        assert_eq!(
            value,
            json!({"exit_code": 1, "message": "cannot read batch.json"})
        );
    }
}
