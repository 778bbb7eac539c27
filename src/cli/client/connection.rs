//! One connection to the server, shared by the three service clients.

use std::time::Duration;

use anyhow::Context;
use tonic::transport::{Channel, Endpoint};

use crate::api::proto::audit_service_client::AuditServiceClient;
use crate::api::proto::posting_service_client::PostingServiceClient;
use crate::api::proto::query_service_client::QueryServiceClient;
use crate::limits::{CLIENT_CONNECT_TIMEOUT_MS, CLIENT_RESPONSE_BYTES_MAX, REQUEST_BYTES_MAX};

/// The three service clients over one HTTP/2 channel; cloning is cheap.
#[derive(Debug, Clone)]
pub struct Clients {
    /// Postings: registrations and money movements.
    pub posting: PostingServiceClient<Channel>,
    /// Balance and status queries.
    pub query: QueryServiceClient<Channel>,
    /// The event log, read or followed.
    pub audit: AuditServiceClient<Channel>,
}

impl Clients {
    /// Clients over an existing channel, with the message size limits of the API.
    pub fn new(channel: Channel) -> Clients {
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
pub async fn connect(server: &str) -> anyhow::Result<Clients> {
    let uri = server_uri(server);
    let endpoint = Endpoint::from_shared(uri.clone())
        .with_context(|| format!("{server:?} is not a server address"))?
        .connect_timeout(Duration::from_millis(CLIENT_CONNECT_TIMEOUT_MS));
    let channel = endpoint
        .connect()
        .await
        .with_context(|| format!("cannot connect to the ledger server at {uri}"))?;
    Ok(Clients::new(channel))
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
