//! The JSON API: every method of the API's services at its gRPC path, in the Connect
//! protocol's unary form (`POST /matchledger.v1.PostingService/RecordContribution`,
//! `Content-Type: application/json`, proto3 JSON in and out), routed from the
//! descriptors rather than written per method. Server streams answer as NDJSON, or in
//! the Connect streaming form ([`super::stream`]). `application/proto` bodies pass
//! through untranscoded.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_TYPE};
use http::StatusCode;
use prost_reflect::MethodDescriptor;
use tonic::Status;

use super::descriptors::method_path;
use super::error::ConnectError;
use super::grpc::Credentials;
use super::stream::{self, Framing};
use super::transcode::{json_to_proto, proto_to_json};
use super::HttpState;
use crate::limits::HTTP_REQUEST_BYTES_MAX;

/// The content types a call may be sent as, for the `Accept-Post` of a refusal.
const ACCEPTED_TYPES: &str =
    "application/json, application/proto, application/connect+json, application/connect+proto";

/// How a request body is encoded, from its `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Codec {
    /// proto3 JSON.
    Json,
    /// Binary protobuf, passed through.
    Proto,
    /// Connect streaming: an enveloped message, JSON or protobuf.
    Streaming(Framing),
}

/// Routes every method of the API to its handler, and any other method of a known service
/// to a Connect `unimplemented` error with HTTP 404.
pub fn router(state: &HttpState) -> Router<HttpState> {
    let mut router = Router::new();
    for method in state.descriptors.methods() {
        let path = method_path(&method);
        router = router.route(
            &path,
            post(move |State(state): State<HttpState>, request: Request| {
                call(state, method.clone(), request)
            }),
        );
    }
    for service in state.descriptors.service_names() {
        router = router.route(&format!("/{service}/{{method}}"), post(unknown_method));
    }
    router
}

/// A method the services do not have.
async fn unknown_method(State(state): State<HttpState>, request: Request) -> Response {
    let status = Status::unimplemented(format!("no method {}", request.uri().path()));
    ConnectError::from_status(&status, &state.descriptors)
        .with_http(StatusCode::NOT_FOUND)
        .into_response()
}

/// One call: check the content type, read the body within its limit, transcode, call the
/// service in-process, transcode the answer back.
async fn call(state: HttpState, method: MethodDescriptor, request: Request) -> Response {
    let refuse = |status: Status, http: Option<StatusCode>| {
        let error = ConnectError::from_status(&status, &state.descriptors);
        match http {
            Some(http) => error.with_http(http).into_response(),
            None => error.into_response(),
        }
    };
    let Some(codec) = codec(request.headers()) else {
        let status = Status::invalid_argument(format!(
            "content type {:?} is not supported: send {ACCEPTED_TYPES}",
            request
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|value| value.to_str().ok())
                .unwrap_or("")
        ));
        let mut response = refuse(status, Some(StatusCode::UNSUPPORTED_MEDIA_TYPE));
        response
            .headers_mut()
            .insert("accept-post", HeaderValue::from_static(ACCEPTED_TYPES));
        return response;
    };
    if let Err(status) = fits(&method, codec) {
        return refuse(status, Some(StatusCode::UNSUPPORTED_MEDIA_TYPE));
    }
    // A Connect stream answers every later refusal in its end-of-stream message.
    let refuse = |status: Status, http: Option<StatusCode>| match codec {
        Codec::Streaming(framing) => stream::refusal(framing, &status, &state.descriptors),
        Codec::Json | Codec::Proto => refuse(status, http),
    };
    let timeout = match connect_headers(request.headers()) {
        Ok(timeout) => timeout,
        Err(status) => return refuse(status, None),
    };
    let credentials = Credentials::of(request.headers(), request.extensions());
    let body = match axum::body::to_bytes(request.into_body(), HTTP_REQUEST_BYTES_MAX).await {
        Ok(body) => body,
        Err(_) => {
            let status = Status::resource_exhausted(format!(
                "the request body is over the {HTTP_REQUEST_BYTES_MAX}-byte limit, or was cut"
            ));
            return refuse(status, Some(StatusCode::PAYLOAD_TOO_LARGE));
        }
    };
    let message = match request_message(&method, codec, &body) {
        Ok(message) => message,
        Err(status) => return refuse(status, None),
    };
    if method.is_server_streaming() {
        let framing = match codec {
            Codec::Streaming(framing) => framing,
            Codec::Json | Codec::Proto => Framing::Ndjson,
        };
        return stream::answer(state, method, credentials, message, framing, timeout).await;
    }
    let path = method_path(&method);
    let answer = match state
        .grpc
        .unary_within(&path, credentials, message, timeout)
        .await
    {
        Ok(answer) => answer,
        Err(status) => return refuse(status, None),
    };
    if codec == Codec::Proto {
        return ([(CONTENT_TYPE, "application/proto")], Body::from(answer)).into_response();
    }
    match proto_to_json(method.output(), &answer) {
        Ok(json) => ([(CONTENT_TYPE, "application/json")], json.to_string()).into_response(),
        Err(status) => refuse(status, None),
    }
}

/// Whether a method can be called in a codec: unary methods take the unary forms; server
/// streams take JSON (answered as NDJSON) and the Connect streaming forms.
fn fits(method: &MethodDescriptor, codec: Codec) -> Result<(), Status> {
    let streams = method.is_server_streaming();
    let fits = !method.is_client_streaming()
        && match codec {
            Codec::Json => true,
            Codec::Proto => !streams,
            Codec::Streaming(_) => streams,
        };
    if fits {
        return Ok(());
    }
    let hint = if streams {
        "application/json (NDJSON) or application/connect+json"
    } else {
        "application/json or application/proto"
    };
    Err(Status::unimplemented(format!(
        "{} is called with {hint}",
        method.full_name()
    )))
}

/// The encoded request message of a body.
fn request_message(method: &MethodDescriptor, codec: Codec, body: &Bytes) -> Result<Bytes, Status> {
    match codec {
        Codec::Json => json_to_proto(method.input(), body),
        Codec::Proto => Ok(body.clone()),
        Codec::Streaming(Framing::ConnectProto) => stream::unwrap_envelope(body),
        Codec::Streaming(_) => json_to_proto(method.input(), &stream::unwrap_envelope(body)?),
    }
}

/// Checks the Connect headers: `Connect-Protocol-Version`, when sent, must be `1`;
/// `Connect-Timeout-Ms`, when sent, is the call's deadline (at most 10 digits, as the
/// protocol says).
fn connect_headers(headers: &http::HeaderMap) -> Result<Option<Duration>, Status> {
    if let Some(version) = headers.get("connect-protocol-version") {
        if version.as_bytes() != b"1" {
            return Err(Status::invalid_argument(
                "Connect-Protocol-Version must be 1",
            ));
        }
    }
    let Some(timeout) = headers.get("connect-timeout-ms") else {
        return Ok(None);
    };
    let digits = timeout.as_bytes();
    let milliseconds = std::str::from_utf8(digits)
        .ok()
        .filter(|text| (1..=10).contains(&text.len()) && digits.iter().all(u8::is_ascii_digit))
        .and_then(|text| text.parse::<u64>().ok())
        .ok_or_else(|| {
            Status::invalid_argument("Connect-Timeout-Ms must be 1 to 10 decimal digits")
        })?;
    Ok(Some(Duration::from_millis(milliseconds)))
}

/// The codec a `Content-Type` names (parameters such as `charset=utf-8` aside); `None`
/// for one the API does not speak.
fn codec(headers: &http::HeaderMap) -> Option<Codec> {
    let value = headers.get(CONTENT_TYPE)?.to_str().ok()?;
    let essence = value.split(';').next()?.trim().to_ascii_lowercase();
    match essence.as_str() {
        "application/json" => Some(Codec::Json),
        "application/proto" | "application/protobuf" => Some(Codec::Proto),
        "application/connect+json" => Some(Codec::Streaming(Framing::ConnectJson)),
        "application/connect+proto" => Some(Codec::Streaming(Framing::ConnectProto)),
        _ => None,
    }
}
