//! One connection to the server, shared by the three service clients.

use std::time::Duration;

use anyhow::Context;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};
use tonic::{Request, Status};

use crate::api::proto::audit_service_client::AuditServiceClient;
use crate::api::proto::posting_service_client::PostingServiceClient;
use crate::api::proto::query_service_client::QueryServiceClient;
use crate::limits::{CLIENT_CONNECT_TIMEOUT_MS, CLIENT_RESPONSE_BYTES_MAX, REQUEST_BYTES_MAX};

/// Adds `authorization: Bearer <token>` to every call when a token is configured.
#[derive(Debug, Clone, Default)]
pub struct Bearer {
    header: Option<MetadataValue<Ascii>>,
}

impl Bearer {
    /// A bearer for `token`; `None` sends no credentials (a server in open loopback mode).
    pub fn new(token: Option<&str>) -> anyhow::Result<Bearer> {
        let header = token
            .map(|token| format!("Bearer {token}").parse::<MetadataValue<Ascii>>())
            .transpose()
            .context("the token contains characters not allowed in a header")?;
        Ok(Bearer { header })
    }
}

impl tonic::service::Interceptor for Bearer {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if let Some(header) = &self.header {
            request
                .metadata_mut()
                .insert("authorization", header.clone());
        }
        Ok(request)
    }
}

/// The channel every client uses: the connection plus credentials.
pub type AuthChannel = InterceptedService<Channel, Bearer>;

/// The three service clients over one HTTP/2 channel; cloning is cheap.
#[derive(Debug, Clone)]
pub struct Clients {
    /// Postings: registrations and money movements.
    pub posting: PostingServiceClient<AuthChannel>,
    /// Balance and status queries.
    pub query: QueryServiceClient<AuthChannel>,
    /// The event log, read or followed.
    pub audit: AuditServiceClient<AuthChannel>,
}

impl Clients {
    /// Clients over an existing channel without credentials.
    pub fn new(channel: Channel) -> Clients {
        Clients::with_bearer(channel, Bearer::default())
    }

    /// Clients over an existing channel, sending `bearer`'s token, with the message size
    /// limits of the API.
    pub fn with_bearer(channel: Channel, bearer: Bearer) -> Clients {
        let channel = InterceptedService::new(channel, bearer);
        Clients {
            posting: PostingServiceClient::new(channel.clone())
                .max_encoding_message_size(REQUEST_BYTES_MAX)
                .max_decoding_message_size(CLIENT_RESPONSE_BYTES_MAX),
            query: QueryServiceClient::new(channel.clone())
                .max_encoding_message_size(REQUEST_BYTES_MAX)
                .max_decoding_message_size(CLIENT_RESPONSE_BYTES_MAX),
            audit: AuditServiceClient::new(channel)
                .max_encoding_message_size(REQUEST_BYTES_MAX)
                .max_decoding_message_size(CLIENT_RESPONSE_BYTES_MAX),
        }
    }
}

/// The URI of a server address; a bare `host:port` means plain-text HTTP/2.
pub fn server_uri(server: &str) -> String {
    if server.contains("://") {
        server.to_string()
    } else {
        format!("http://{server}")
    }
}

/// Connects to a server (`http://host:port`, or `host:port`) and returns its clients.
/// The bearer token comes from `MATCHLEDGER_TOKEN` when set.
pub async fn connect(server: &str) -> anyhow::Result<Clients> {
    let token = std::env::var(TOKEN_VARIABLE)
        .ok()
        .filter(|token| !token.is_empty());
    connect_with_token(server, token.as_deref()).await
}

/// Environment variable holding the bearer token of client commands.
pub const TOKEN_VARIABLE: &str = "MATCHLEDGER_TOKEN";

/// Connects with an explicit bearer token (or none).
pub async fn connect_with_token(server: &str, token: Option<&str>) -> anyhow::Result<Clients> {
    let bearer = Bearer::new(token)?;
    let uri = server_uri(server);
    let endpoint = Endpoint::from_shared(uri.clone())
        .with_context(|| format!("{server:?} is not a server address"))?
        .connect_timeout(Duration::from_millis(CLIENT_CONNECT_TIMEOUT_MS));
    let channel = endpoint
        .connect()
        .await
        .with_context(|| format!("cannot connect to the ledger server at {uri}"))?;
    Ok(Clients::with_bearer(channel, bearer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_host_and_port_means_plain_http() {
        assert_eq!(server_uri("127.0.0.1:50051"), "http://127.0.0.1:50051");
        assert_eq!(server_uri("https://ledger:443"), "https://ledger:443");
    }
}
