//! Calls the gRPC services in-process: a JSON request transcoded to protobuf is framed as
//! a gRPC message and handed to the same tower service the gRPC listener serves (the
//! guard layer in front of the tonic routes), so authentication, roles, idempotency,
//! limits and every error are exactly the gRPC ones. Nothing here knows a method.

use std::convert::Infallible;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use http::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_TYPE, TE};
use http_body_util::{BodyExt, Full};
use tonic::body::Body;
use tonic::Status;
use tower::util::BoxCloneSyncService;
use tower::ServiceExt;

use crate::api::auth::PeerCertificates;
use crate::limits::HTTP_RESPONSE_MESSAGE_BYTES_MAX;

/// Bytes before each gRPC message: a compression flag and a big-endian length.
const FRAME_HEADER_BYTES: usize = 5;

/// The gRPC services behind the guard, as one cloneable tower service.
pub type GrpcService = BoxCloneSyncService<http::Request<Body>, http::Response<Body>, Infallible>;

/// What the caller presented, passed on to the guard unchanged.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    /// The `Authorization` header, if any.
    pub authorization: Option<HeaderValue>,
    /// The verified client certificate chain of the connection, with mutual TLS.
    pub certificates: Option<PeerCertificates>,
}

impl Credentials {
    /// The credentials of an HTTP request: its `Authorization` header and the connection's
    /// client certificates (put into the extensions by the listener).
    pub fn of(headers: &HeaderMap, extensions: &http::Extensions) -> Credentials {
        Credentials {
            authorization: headers.get(AUTHORIZATION).cloned(),
            certificates: extensions.get::<PeerCertificates>().cloned(),
        }
    }
}

/// Calls the services in-process.
#[derive(Clone)]
pub struct GrpcClient {
    service: GrpcService,
}

impl std::fmt::Debug for GrpcClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GrpcClient").finish_non_exhaustive()
    }
}

impl GrpcClient {
    /// A client of `service` (the guarded tonic routes).
    pub fn new(service: GrpcService) -> GrpcClient {
        GrpcClient { service }
    }

    /// Calls a unary method at `path` with an encoded request; the encoded answer, or the
    /// status the service (or the guard) gave.
    pub async fn unary(
        &self,
        path: &str,
        credentials: Credentials,
        message: Bytes,
    ) -> Result<Bytes, Status> {
        let mut messages = self.server_stream(path, credentials, message).await?;
        let first = messages.next().await?;
        let Some(answer) = first else {
            return Err(Status::internal("the service sent no answer"));
        };
        if messages.next().await?.is_some() {
            return Err(Status::internal("the service sent more than one answer"));
        }
        Ok(answer)
    }

    /// Calls a method at `path` with an encoded request and returns its answers as they
    /// come. A refusal before the first answer is the error here.
    pub async fn server_stream(
        &self,
        path: &str,
        credentials: Credentials,
        message: Bytes,
    ) -> Result<Messages, Status> {
        let request = grpc_request(path, credentials, message)?;
        let response = match self.service.clone().oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let (parts, body) = response.into_parts();
        // A refusal comes as a trailers-only response: the status is in the headers.
        if let Some(status) = Status::from_header_map(&parts.headers) {
            if status.code() != tonic::Code::Ok {
                return Err(status);
            }
        }
        Ok(Messages {
            body,
            buffer: BytesMut::new(),
            finished: false,
        })
    }
}

/// The in-process gRPC request: one framed message, the caller's credentials.
fn grpc_request(
    path: &str,
    credentials: Credentials,
    message: Bytes,
) -> Result<http::Request<Body>, Status> {
    let mut frame = BytesMut::with_capacity(FRAME_HEADER_BYTES + message.len());
    let length = u32::try_from(message.len())
        .map_err(|_| Status::resource_exhausted("the request is too large"))?;
    frame.put_u8(0);
    frame.put_u32(length);
    frame.put_slice(&message);
    let mut request = http::Request::builder()
        .method(http::Method::POST)
        .uri(path)
        .header(CONTENT_TYPE, "application/grpc")
        .header(TE, "trailers")
        .body(Body::new(Full::new(frame.freeze())))
        .map_err(|error| Status::internal(format!("cannot build the call: {error}")))?;
    if let Some(value) = credentials.authorization {
        request.headers_mut().insert(AUTHORIZATION, value);
    }
    if let Some(certificates) = credentials.certificates {
        request.extensions_mut().insert(certificates);
    }
    Ok(request)
}

/// The answers of one call, read frame by frame; the call's final status ends them.
pub struct Messages {
    body: Body,
    buffer: BytesMut,
    finished: bool,
}

impl Messages {
    /// The next encoded answer; `None` once the call ended well, the status if it failed.
    pub async fn next(&mut self) -> Result<Option<Bytes>, Status> {
        loop {
            if let Some(message) = self.take_message()? {
                return Ok(Some(message));
            }
            if self.finished {
                return self.end();
            }
            match self.body.frame().await {
                None => self.finished = true,
                Some(Err(status)) => return Err(status),
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) => self.buffer.extend_from_slice(&data),
                    Err(frame) => {
                        self.finished = true;
                        if let Some(status) = frame.trailers_ref().and_then(Status::from_header_map)
                        {
                            if status.code() != tonic::Code::Ok {
                                return Err(status);
                            }
                        }
                    }
                },
            }
        }
    }

    /// A whole message from the buffer, if one has arrived.
    fn take_message(&mut self) -> Result<Option<Bytes>, Status> {
        if self.buffer.len() < FRAME_HEADER_BYTES {
            return Ok(None);
        }
        if self.buffer[0] != 0 {
            return Err(Status::internal("the service sent a compressed message"));
        }
        let length = u32::from_be_bytes([
            self.buffer[1],
            self.buffer[2],
            self.buffer[3],
            self.buffer[4],
        ]) as usize;
        if length > HTTP_RESPONSE_MESSAGE_BYTES_MAX {
            return Err(Status::resource_exhausted(format!(
                "an answer of {length} bytes is over the {HTTP_RESPONSE_MESSAGE_BYTES_MAX}-byte limit"
            )));
        }
        if self.buffer.len() < FRAME_HEADER_BYTES + length {
            return Ok(None);
        }
        self.buffer.advance(FRAME_HEADER_BYTES);
        Ok(Some(self.buffer.split_to(length).freeze()))
    }

    /// The end of the answers: bytes left over mean a cut message.
    fn end(&mut self) -> Result<Option<Bytes>, Status> {
        if self.buffer.is_empty() {
            Ok(None)
        } else {
            Err(Status::internal(
                "the service's answer ended inside a message",
            ))
        }
    }
}
