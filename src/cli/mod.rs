//! The command line: the gRPC client commands (postings, queries, the event stream).
//!
//! Server start-up and the demo live beside the client and reuse its connection.

pub mod client;
