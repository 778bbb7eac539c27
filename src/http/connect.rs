//! The JSON API: every method of the API's services at its gRPC path, in the Connect
//! protocol's unary form (`POST /matchledger.v1.PostingService/RecordContribution`,
//! `Content-Type: application/json`, proto3 JSON in and out), routed from the
//! descriptors rather than written per method. Server streams answer as NDJSON
//! ([`super::stream`]). `application/proto` bodies pass through untranscoded.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use http::header::{HeaderValue, CONTENT_TYPE};
use http::StatusCode;
use prost_reflect::MethodDescriptor;
use tonic::Status;

use super::descriptors::method_path;
use super::error::ConnectError;
use super::grpc::Credentials;
use super::transcode::{json_to_proto, proto_to_json};
use super::HttpState;
use crate::limits::HTTP_REQUEST_BYTES_MAX;

/// The content types a unary call may be sent as, for the `Accept-Post` of a refusal.
const ACCEPTED_TYPES: &str = "application/json, application/proto";

/// How a request body is encoded, from its `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Codec {
    /// proto3 JSON.
    Json,
    /// Binary protobuf, passed through.
    Proto,
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
    if method.is_client_streaming() || (method.is_server_streaming() && codec == Codec::Proto) {
        let status = Status::unimplemented(format!(
            "{} streams; call it with application/json for NDJSON, or over gRPC",
            method.full_name()
        ));
        return refuse(status, Some(StatusCode::UNSUPPORTED_MEDIA_TYPE));
    }
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
    let message = match codec {
        Codec::Json => match json_to_proto(method.input(), &body) {
            Ok(message) => message,
            Err(status) => return refuse(status, None),
        },
        Codec::Proto => body,
    };
    let path = method_path(&method);
    if method.is_server_streaming() {
        return super::stream::ndjson(state, method, credentials, message).await;
    }
    match state.grpc.unary(&path, credentials, message).await {
        Ok(answer) => match codec {
            Codec::Proto => {
                ([(CONTENT_TYPE, "application/proto")], Body::from(answer)).into_response()
            }
            Codec::Json => match proto_to_json(method.output(), &answer) {
                Ok(json) => {
                    ([(CONTENT_TYPE, "application/json")], json.to_string()).into_response()
                }
                Err(status) => refuse(status, None),
            },
        },
        Err(status) => refuse(status, None),
    }
}

/// The codec a `Content-Type` names (parameters such as `charset=utf-8` aside); `None`
/// for one the API does not speak.
fn codec(headers: &http::HeaderMap) -> Option<Codec> {
    let value = headers.get(CONTENT_TYPE)?.to_str().ok()?;
    let essence = value.split(';').next()?.trim().to_ascii_lowercase();
    match essence.as_str() {
        "application/json" => Some(Codec::Json),
        "application/proto" | "application/protobuf" => Some(Codec::Proto),
        _ => None,
    }
}
