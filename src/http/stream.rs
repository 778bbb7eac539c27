//! Server streams (`ReadEvents`, `Subscribe`, `ReadStoredEvents`) over HTTP as NDJSON:
//! `Content-Type: application/x-ndjson`, one proto3 JSON message per line as the service
//! sends it. A stream that fails after it started ends with one line
//! `{"error": {"code", "message", "details"}}` (no streamed message has a field named
//! `error`, so the line cannot be mistaken for one); a refusal before the first message is
//! an ordinary Connect error with its HTTP status.

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures::stream::{self, Stream};
use http::header::CONTENT_TYPE;
use prost_reflect::{MessageDescriptor, MethodDescriptor};
use serde_json::json;
use tonic::Status;

use super::descriptors::{method_path, Descriptors};
use super::error::{error_json, ConnectError};
use super::grpc::{Credentials, Messages};
use super::transcode::proto_to_json;
use super::HttpState;
use crate::limits::HTTP_STREAM_MESSAGES_MAX;

/// The content type of the streams.
pub const NDJSON: &str = "application/x-ndjson";

/// Calls a server-streaming method and answers its messages as NDJSON.
pub async fn ndjson(
    state: HttpState,
    method: MethodDescriptor,
    credentials: Credentials,
    message: Bytes,
) -> Response {
    let path = method_path(&method);
    let messages = match state.grpc.server_stream(&path, credentials, message).await {
        Ok(messages) => messages,
        Err(status) => {
            return ConnectError::from_status(&status, &state.descriptors).into_response();
        }
    };
    let lines = lines(messages, method.output(), state.descriptors.clone());
    ([(CONTENT_TYPE, NDJSON)], Body::from_stream(lines)).into_response()
}

/// What the line stream still has to do.
struct Lines {
    messages: Messages,
    output: MessageDescriptor,
    descriptors: std::sync::Arc<Descriptors>,
    sent: u64,
    done: bool,
}

/// The stream of lines: each message, then the error line if the call fails.
fn lines(
    messages: Messages,
    output: MessageDescriptor,
    descriptors: std::sync::Arc<Descriptors>,
) -> impl Stream<Item = Result<Bytes, std::convert::Infallible>> {
    let state = Lines {
        messages,
        output,
        descriptors,
        sent: 0,
        done: false,
    };
    stream::unfold(state, |mut state| async move {
        if state.done {
            return None;
        }
        let line = match next_line(&mut state).await {
            Ok(Some(line)) => line,
            Ok(None) => return None,
            Err(status) => {
                state.done = true;
                let error = json!({ "error": error_json(&status, &state.descriptors) });
                format!("{error}\n")
            }
        };
        Some((Ok(Bytes::from(line)), state))
    })
}

/// The next message as a line, `None` at the end of a stream that went well.
async fn next_line(state: &mut Lines) -> Result<Option<String>, Status> {
    if state.sent >= HTTP_STREAM_MESSAGES_MAX {
        return Err(Status::resource_exhausted(format!(
            "an HTTP stream sends at most {HTTP_STREAM_MESSAGES_MAX} messages; continue \
             after the last sequence received"
        )));
    }
    let Some(message) = state.messages.next().await? else {
        return Ok(None);
    };
    let json = proto_to_json(state.output.clone(), &message)?;
    state.sent += 1;
    Ok(Some(format!("{json}\n")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_streamed_message_has_a_field_that_an_error_line_could_be_mistaken_for() {
        let descriptors = Descriptors::load().expect("descriptors");
        let streams: Vec<_> = descriptors
            .methods()
            .into_iter()
            .filter(MethodDescriptor::is_server_streaming)
            .collect();
        assert!(streams.len() >= 3);
        for method in streams {
            let output = method.output();
            assert!(
                output.get_field_by_json_name("error").is_none(),
                "{} has an `error` field",
                output.full_name()
            );
        }
    }
}
