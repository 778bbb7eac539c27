//! Server refusals as readable text: the status code, its message and the structured
//! details (`ErrorInfo`, `BadRequest` field violations, `PreconditionFailure`).

use std::fmt::Write;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::cli::exit::Refusal;

/// The full text of a refusal, one fact per line, for standard error.
pub fn status_text(status: &Status) -> String {
    let mut text = format!("{}: {}", code_name(status.code()), status.message());
    details_text(&status.get_error_details(), &mut text);
    text
}

/// A refusal as an error for `run` to return; its text is [`status_text`], and it keeps
/// the status so that the exit code and `--json` output can classify it.
pub fn status_error(status: &Status) -> anyhow::Error {
    anyhow::Error::new(Refusal {
        status: status.clone(),
        key: None,
        hint: None,
    })
}

/// A refused or failed posting: the refusal plus its idempotency key. Where the outcome
/// is unknown (the connection failed or timed out after sending), the text says how to
/// retry without posting twice.
pub fn posting_error(status: &Status, key: &str) -> anyhow::Error {
    let uncertain = matches!(
        status.code(),
        Code::Unavailable
            | Code::DeadlineExceeded
            | Code::Cancelled
            | Code::Unknown
            | Code::Internal
    );
    let hint = uncertain
        .then(|| format!("the posting may have been written: pass --key {key} to retry it safely"));
    anyhow::Error::new(Refusal {
        status: status.clone(),
        key: Some(key.to_string()),
        hint,
    })
}

/// The canonical upper-case name of a gRPC code, e.g. `FAILED_PRECONDITION`.
pub fn code_name(code: Code) -> String {
    let camel = format!("{code:?}");
    let mut name = String::with_capacity(camel.len() + 4);
    for (index, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() && index > 0 {
            name.push('_');
        }
        name.push(c.to_ascii_uppercase());
    }
    name
}

fn details_text(details: &ErrorDetails, text: &mut String) {
    // Writing to a String cannot fail; the results are ignored for that reason.
    if let Some(info) = details.error_info() {
        let mut metadata: Vec<_> = info.metadata.iter().collect();
        metadata.sort();
        let _ = write!(text, "\n  reason: {} ({})", info.reason, info.domain);
        for (key, value) in metadata {
            let _ = write!(text, "\n    {key}: {value}");
        }
    }
    if let Some(bad_request) = details.bad_request() {
        for violation in &bad_request.field_violations {
            let _ = write!(
                text,
                "\n  field {}: {}",
                violation.field, violation.description
            );
        }
    }
    if let Some(failure) = details.precondition_failure() {
        for violation in &failure.violations {
            let _ = write!(
                text,
                "\n  precondition {} on {}: {}",
                violation.r#type, violation.subject, violation.description
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn refusal_text_shows_code_message_and_every_detail() {
        // Given a refusal carrying all three kinds of detail.
        let mut details = ErrorDetails::with_bad_request_violation(
            "command.amount.amount",
            "has more decimal places than KRW allows",
        );
        details.set_error_info(
            "MATCH_EXCEEDS_LIMIT",
            "matchledger",
            HashMap::from([("limit".to_string(), "1000".to_string())]),
        );
        details.add_precondition_failure_violation(
            "MATCH_LIMIT",
            "contribution/0190",
            "matches would exceed ratio × contribution",
        );
        let status = Status::with_error_details(Code::FailedPrecondition, "match refused", details);
        // When it is shown.
        let text = status_text(&status);
        // Then each fact is on its own line.
        assert_eq!(
            text,
            "FAILED_PRECONDITION: match refused\n  \
             reason: MATCH_EXCEEDS_LIMIT (matchledger)\n    \
             limit: 1000\n  \
             field command.amount.amount: has more decimal places than KRW allows\n  \
             precondition MATCH_LIMIT on contribution/0190: matches would exceed ratio × contribution"
        );
    }

    #[test]
    fn posting_errors_name_the_key_and_how_to_retry_when_the_outcome_is_unknown() {
        let lost = posting_error(&Status::unavailable("connection reset"), "k-1").to_string();
        assert!(lost.starts_with("UNAVAILABLE: connection reset"));
        assert!(lost.contains("pass --key k-1"), "{lost}");

        let refused = posting_error(&Status::failed_precondition("no"), "k-2").to_string();
        assert!(refused.ends_with("idempotency key: k-2"), "{refused}");
    }
}
