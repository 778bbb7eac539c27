//! Errors in the Connect protocol's JSON form: `{"code", "message", "details"}`, where
//! each detail is a `google.rpc` message from the gRPC status (`type`, `value` in base64
//! and, for reading by people, `debug` as proto3 JSON), answered with the HTTP status
//! the Connect protocol gives for the gRPC code. The gRPC status is the source of truth:
//! this module only changes its clothes.

use axum::response::{IntoResponse, Response};
use base64::Engine;
use http::header::{HeaderValue, CONTENT_TYPE};
use http::StatusCode;
use prost::Message;
use prost_reflect::{DynamicMessage, SerializeOptions};
use serde_json::{json, Map, Value};
use tonic::{Code, Status};

use super::descriptors::Descriptors;

/// The prefix of a `google.protobuf.Any` type URL that Connect leaves out of `type`.
const TYPE_URL_PREFIX: &str = "type.googleapis.com/";

/// The Connect code name of a gRPC code (`invalid_argument`).
pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "ok",
        Code::Cancelled => "canceled",
        Code::Unknown => "unknown",
        Code::InvalidArgument => "invalid_argument",
        Code::DeadlineExceeded => "deadline_exceeded",
        Code::NotFound => "not_found",
        Code::AlreadyExists => "already_exists",
        Code::PermissionDenied => "permission_denied",
        Code::ResourceExhausted => "resource_exhausted",
        Code::FailedPrecondition => "failed_precondition",
        Code::Aborted => "aborted",
        Code::OutOfRange => "out_of_range",
        Code::Unimplemented => "unimplemented",
        Code::Internal => "internal",
        Code::Unavailable => "unavailable",
        Code::DataLoss => "data_loss",
        Code::Unauthenticated => "unauthenticated",
    }
}

/// The HTTP status the Connect protocol gives for a gRPC code.
pub fn http_status(code: Code) -> StatusCode {
    match code {
        Code::Ok => StatusCode::OK,
        // 499 Client Closed Request, as Connect (and nginx) use it.
        Code::Cancelled => StatusCode::from_u16(499).unwrap_or(StatusCode::BAD_REQUEST),
        Code::InvalidArgument | Code::FailedPrecondition | Code::OutOfRange => {
            StatusCode::BAD_REQUEST
        }
        Code::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::AlreadyExists | Code::Aborted => StatusCode::CONFLICT,
        Code::PermissionDenied => StatusCode::FORBIDDEN,
        Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        Code::Unimplemented => StatusCode::NOT_IMPLEMENTED,
        Code::Unknown | Code::Internal | Code::DataLoss => StatusCode::INTERNAL_SERVER_ERROR,
        Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
    }
}

/// A gRPC status as a Connect error, ready to send.
#[derive(Debug)]
pub struct ConnectError {
    /// The HTTP status of the answer.
    pub http: StatusCode,
    /// The error body.
    pub body: Value,
}

impl ConnectError {
    /// The Connect error for `status`, with its details decoded through `descriptors`.
    pub fn from_status(status: &Status, descriptors: &Descriptors) -> ConnectError {
        ConnectError {
            http: http_status(status.code()),
            body: error_json(status, descriptors),
        }
    }

    /// The same error answered with another HTTP status (404 for an unknown method, 415
    /// for a content type the API does not speak), as the Connect protocol asks.
    pub fn with_http(mut self, http: StatusCode) -> ConnectError {
        self.http = http;
        self
    }
}

impl IntoResponse for ConnectError {
    fn into_response(self) -> Response {
        let mut response = (self.http, self.body.to_string()).into_response();
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        response
    }
}

/// `{"code", "message", "details"}` for `status`; empty parts are left out.
pub fn error_json(status: &Status, descriptors: &Descriptors) -> Value {
    let mut body = Map::new();
    body.insert("code".into(), json!(code_name(status.code())));
    if !status.message().is_empty() {
        body.insert("message".into(), json!(status.message()));
    }
    let details = details_json(status.details(), descriptors);
    if !details.is_empty() {
        body.insert("details".into(), Value::Array(details));
    }
    Value::Object(body)
}

/// The details of a gRPC status (an encoded `google.rpc.Status`), each as Connect shows
/// it. Details that do not decode are left out; the code and message still stand.
fn details_json(encoded: &[u8], descriptors: &Descriptors) -> Vec<Value> {
    if encoded.is_empty() {
        return Vec::new();
    }
    let Ok(status) = tonic_types::pb::Status::decode(encoded) else {
        return Vec::new();
    };
    status
        .details
        .iter()
        .map(|any| {
            let type_name = any
                .type_url
                .strip_prefix(TYPE_URL_PREFIX)
                .unwrap_or(&any.type_url);
            let mut detail = Map::new();
            detail.insert("type".into(), json!(type_name));
            detail.insert(
                "value".into(),
                json!(base64::engine::general_purpose::STANDARD_NO_PAD.encode(&any.value)),
            );
            if let Some(debug) = debug_json(type_name, &any.value, descriptors) {
                detail.insert("debug".into(), debug);
            }
            Value::Object(detail)
        })
        .collect()
}

/// A detail as proto3 JSON, when its type is known.
fn debug_json(type_name: &str, value: &[u8], descriptors: &Descriptors) -> Option<Value> {
    let descriptor = descriptors.message(type_name)?;
    let message = DynamicMessage::decode(descriptor, value).ok()?;
    message
        .serialize_with_options(serde_json::value::Serializer, &SerializeOptions::new())
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic_types::{ErrorDetails, StatusExt};

    #[test]
    fn field_violations_become_a_bad_request_detail_with_its_json_form() {
        let descriptors = Descriptors::load().expect("descriptors");
        let status = Status::with_error_details(
            Code::InvalidArgument,
            "amount is not a decimal",
            ErrorDetails::with_bad_request_violation("command.amount.amount", "not a decimal"),
        );
        let error = ConnectError::from_status(&status, &descriptors);
        assert_eq!(error.http, StatusCode::BAD_REQUEST);
        assert_eq!(error.body["code"], "invalid_argument");
        assert_eq!(error.body["message"], "amount is not a decimal");
        let detail = &error.body["details"][0];
        assert_eq!(detail["type"], "google.rpc.BadRequest");
        let value = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(detail["value"].as_str().expect("value"))
            .expect("base64");
        let decoded = tonic_types::pb::BadRequest::decode(value.as_slice()).expect("decodes");
        assert_eq!(decoded.field_violations[0].field, "command.amount.amount");
        assert_eq!(
            detail["debug"]["fieldViolations"][0]["description"],
            "not a decimal"
        );
    }

    #[test]
    fn every_code_maps_to_the_connect_http_status() {
        let expected = [
            (Code::Cancelled, 499),
            (Code::Unknown, 500),
            (Code::InvalidArgument, 400),
            (Code::DeadlineExceeded, 504),
            (Code::NotFound, 404),
            (Code::AlreadyExists, 409),
            (Code::PermissionDenied, 403),
            (Code::ResourceExhausted, 429),
            (Code::FailedPrecondition, 400),
            (Code::Aborted, 409),
            (Code::OutOfRange, 400),
            (Code::Unimplemented, 501),
            (Code::Internal, 500),
            (Code::Unavailable, 503),
            (Code::DataLoss, 500),
            (Code::Unauthenticated, 401),
        ];
        for (code, http) in expected {
            assert_eq!(http_status(code).as_u16(), http, "{code:?}");
        }
    }
}
