//! The command-line client: every posting, query and the event stream over gRPC.
//!
//! [`ClientCommand`] is the clap grammar, [`run`] executes one command against a server,
//! and [`connect`] gives the demo and the load generator the same three clients.
//!
//! - `args`: flags shared by several commands and the value parsers that check them.
//! - `posting`, `posting_request`, `batch`: postings, their requests, the batch file.
//! - `settlement`: settlement rules, interest and grant settlements.
//! - `query`: balance and status queries, `--as-of` any point in history.
//! - `events`: reading or following the log.
//! - `output`, `receipt`, `query_view`, `event_view`: tables and JSON for each answer.
//! - `status`: server refusals with their structured details.

pub mod args;
pub mod batch;
mod connection;
pub mod event_view;
pub mod events;
pub mod output;
pub mod posting;
pub mod posting_request;
pub mod query;
pub mod query_view;
pub mod receipt;
pub mod settlement;
pub mod status;

use clap::Subcommand;

pub use connection::{
    connect, connect_with_token, server_uri, AuthChannel, Bearer, Clients, TOKEN_VARIABLE,
};

// `ClientCommand` is meant to be flattened into the binary's top-level commands
// (`#[command(flatten)] Client(Box<ClientCommand>)`), so that `matchledger contribute ...`
// and `matchledger balance phase` work directly. Its doc comment becomes the binary's
// `about` only when the binary has none of its own.

/// The client commands: postings, queries and the event stream.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum ClientCommand {
    /// Postings: registrations and money movements.
    #[command(flatten)]
    Posting(posting::PostingCommand),
    /// Queries: balances and statuses.
    #[command(flatten)]
    Query(query::QueryCommand),
    /// Reads the event log, or follows it live with --follow, one line per event.
    Events(events::EventsArgs),
}

/// Runs one command against the server at `server`, printing a table, or JSON when
/// `json` is set. A refusal comes back as an error whose text holds the status code,
/// message and details (and, for postings, the idempotency key to retry with); the
/// caller prints it to standard error and exits non-zero.
pub async fn run(server: &str, json: bool, command: ClientCommand) -> anyhow::Result<()> {
    match command {
        ClientCommand::Posting(posting) => run_posting(server, json, posting).await,
        ClientCommand::Query(query) => {
            let mut clients = connect(server).await?;
            query::run(&mut clients, query).await?.print(json)
        }
        ClientCommand::Events(args) => {
            let mut clients = connect(server).await?;
            events::run(&mut clients.audit, json, args).await
        }
    }
}

async fn run_posting(
    server: &str,
    json: bool,
    command: posting::PostingCommand,
) -> anyhow::Result<()> {
    let key = command.flags().key_or_fresh();
    // Built before connecting, so that a bad batch file fails without a server.
    let request = command.to_request(&key)?;
    let mut clients = connect(server).await?;
    let response = posting_request::send(&mut clients.posting, request)
        .await
        .map_err(|status| status::posting_error(&status, &key))?;
    receipt::receipt(&key, &response).print(json)
}

#[cfg(test)]
mod tests;
