//! Server streams (`ReadEvents`, `Subscribe`, `ReadStoredEvents`) over HTTP, in two forms:
//!
//! - **NDJSON** (`Content-Type: application/json` in, `application/x-ndjson` out): one
//!   proto3 JSON message per line as the service sends it. A stream that fails after it
//!   started ends with one line `{"error": {"code", "message", "details"}}` (no streamed
//!   message has a field named `error`, so the line cannot be mistaken for one); a refusal
//!   before the first message is an ordinary Connect error with its HTTP status.
//! - **Connect streaming** (`application/connect+json` or `application/connect+proto`),
//!   for the Connect clients of other languages: the request and each answer in an
//!   envelope (a flags byte and a big-endian length), then an end-of-stream envelope (flag
//!   `0x02`) holding `{}` or `{"error": {...}}`; always HTTP 200, as the protocol asks.

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use bytes::{BufMut, Bytes, BytesMut};
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

/// The content type of NDJSON streams.
pub const NDJSON: &str = "application/x-ndjson";

/// Bytes before each Connect envelope's message: flags and a big-endian length.
const ENVELOPE_HEADER_BYTES: usize = 5;

/// The flag of the Connect end-of-stream envelope.
const END_STREAM_FLAG: u8 = 0x02;

/// How a stream's messages are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// One JSON message per line.
    Ndjson,
    /// Connect envelopes of JSON messages.
    ConnectJson,
    /// Connect envelopes of binary protobuf messages.
    ConnectProto,
}

impl Framing {
    /// The answer's content type.
    fn content_type(self) -> &'static str {
        match self {
            Framing::Ndjson => NDJSON,
            Framing::ConnectJson => "application/connect+json",
            Framing::ConnectProto => "application/connect+proto",
        }
    }
}

/// The one message of a Connect streaming request's body: a single uncompressed envelope.
pub fn unwrap_envelope(body: &[u8]) -> Result<Bytes, Status> {
    let Some((header, message)) = body.split_first_chunk::<ENVELOPE_HEADER_BYTES>() else {
        return Err(Status::invalid_argument(
            "a Connect streaming request is one enveloped message",
        ));
    };
    let length = u32::from_be_bytes([header[1], header[2], header[3], header[4]]) as usize;
    if header[0] != 0 {
        return Err(Status::unimplemented(
            "compressed Connect messages are not supported",
        ));
    }
    if length != message.len() {
        return Err(Status::invalid_argument(format!(
            "the envelope says {length} bytes but {} follow",
            message.len()
        )));
    }
    Ok(Bytes::copy_from_slice(message))
}

/// `message` in a Connect envelope with `flags`.
fn envelope(flags: u8, message: &[u8]) -> Bytes {
    let mut framed = BytesMut::with_capacity(ENVELOPE_HEADER_BYTES + message.len());
    framed.put_u8(flags);
    // A message over 4 GiB cannot come from a service bounded far below it.
    framed.put_u32(u32::try_from(message.len()).unwrap_or(u32::MAX));
    framed.put_slice(message);
    framed.freeze()
}

/// Calls a server-streaming method and answers its messages as `framing` says, within
/// `timeout` (`Connect-Timeout-Ms`) when given.
pub async fn answer(
    state: HttpState,
    method: MethodDescriptor,
    credentials: Credentials,
    message: Bytes,
    framing: Framing,
    timeout: Option<std::time::Duration>,
) -> Response {
    let path = method_path(&method);
    let content_type = [(CONTENT_TYPE, framing.content_type())];
    let call = state
        .grpc
        .server_stream_within(&path, credentials, message, timeout);
    let messages = match call.await {
        Ok(messages) => messages,
        Err(status) => return refusal(framing, &status, &state.descriptors),
    };
    let frames = frames(
        messages,
        method.output(),
        state.descriptors.clone(),
        framing,
    );
    (content_type, Body::from_stream(frames)).into_response()
}

/// A refusal before the stream started: an ordinary Connect error for NDJSON, an
/// end-of-stream message alone (HTTP 200) for the Connect streaming form.
pub fn refusal(framing: Framing, status: &Status, descriptors: &Descriptors) -> Response {
    if framing == Framing::Ndjson {
        return ConnectError::from_status(status, descriptors).into_response();
    }
    let end = end_of_stream(framing, Some(status), descriptors);
    ([(CONTENT_TYPE, framing.content_type())], Body::from(end)).into_response()
}

/// What the stream still has to do.
struct Frames {
    messages: Messages,
    output: MessageDescriptor,
    descriptors: std::sync::Arc<Descriptors>,
    framing: Framing,
    sent: u64,
    done: bool,
}

/// The stream of frames: each message, then the end (an error line for NDJSON only when
/// the call failed; always an end-of-stream envelope for Connect).
fn frames(
    messages: Messages,
    output: MessageDescriptor,
    descriptors: std::sync::Arc<Descriptors>,
    framing: Framing,
) -> impl Stream<Item = Result<Bytes, std::convert::Infallible>> {
    let state = Frames {
        messages,
        output,
        descriptors,
        framing,
        sent: 0,
        done: false,
    };
    stream::unfold(state, |mut state| async move {
        if state.done {
            return None;
        }
        let frame = match next_frame(&mut state).await {
            Ok(Some(frame)) => frame,
            Ok(None) if state.framing == Framing::Ndjson => return None,
            Ok(None) => {
                state.done = true;
                end_of_stream(state.framing, None, &state.descriptors)
            }
            Err(status) => {
                state.done = true;
                end_of_stream(state.framing, Some(&status), &state.descriptors)
            }
        };
        Some((Ok(frame), state))
    })
}

/// The next message, framed; `None` at the end of a stream that went well.
async fn next_frame(state: &mut Frames) -> Result<Option<Bytes>, Status> {
    if state.sent >= HTTP_STREAM_MESSAGES_MAX {
        return Err(Status::resource_exhausted(format!(
            "an HTTP stream sends at most {HTTP_STREAM_MESSAGES_MAX} messages; continue \
             after the last sequence received"
        )));
    }
    let Some(message) = state.messages.next().await? else {
        return Ok(None);
    };
    state.sent += 1;
    let frame = match state.framing {
        Framing::ConnectProto => envelope(0, &message),
        Framing::Ndjson | Framing::ConnectJson => {
            let json = proto_to_json(state.output.clone(), &message)?.to_string();
            if state.framing == Framing::Ndjson {
                Bytes::from(format!("{json}\n"))
            } else {
                envelope(0, json.as_bytes())
            }
        }
    };
    Ok(Some(frame))
}

/// The end of a stream: the error line (NDJSON), or the end-of-stream envelope (Connect).
fn end_of_stream(framing: Framing, status: Option<&Status>, descriptors: &Descriptors) -> Bytes {
    let end = match status {
        Some(status) => json!({ "error": error_json(status, descriptors) }),
        None => json!({}),
    };
    match framing {
        Framing::Ndjson => Bytes::from(format!("{end}\n")),
        Framing::ConnectJson | Framing::ConnectProto => {
            envelope(END_STREAM_FLAG, end.to_string().as_bytes())
        }
    }
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
