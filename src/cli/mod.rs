//! The `matchledger` command line: the server, the client, the demo and offline tools.

pub mod backup;
pub mod check;
pub mod check_copy;
pub mod client;
pub mod completions;
pub mod demo;
pub mod exit;
pub mod http_listen;
pub mod load;
pub mod principal;
pub mod progress;
pub mod serve;
pub mod signing_key;
pub mod verifiable;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The exit codes, shown under `--help` (see [`exit`]).
const EXIT_CODES_HELP: &str = "Exit codes: 0 success; 1 other failure; 2 usage; \
3 unavailable, retry later; 4 refused by a rule or as invalid, do not retry as is; \
5 verification failed. Under --json a failure is one JSON object on stderr.";

/// matchledger: an event-sourced, verifiable ledger for matched SME support funds.
#[derive(Debug, Parser)]
#[command(name = "matchledger", version, about, after_help = EXIT_CODES_HELP)]
pub struct Cli {
    /// Server address for client commands.
    #[arg(
        long,
        global = true,
        env = "MATCHLEDGER_SERVER",
        default_value = "http://127.0.0.1:50051"
    )]
    pub server: String,
    /// Print JSON instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
    /// How log lines are written on stderr: `text` (coloured only on a terminal) or `json`
    /// (one object per line, for a log shipper).
    #[arg(
        long,
        global = true,
        env = "MATCHLEDGER_LOG_FORMAT",
        value_enum,
        default_value_t = LogFormat::Text
    )]
    pub log_format: LogFormat,
    /// The command to run.
    #[command(subcommand)]
    pub command: TopCommand,
}

/// The format of log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines; ANSI colours only when stderr is a terminal.
    Text,
    /// One JSON object per line.
    Json,
}

/// Every subcommand of the binary.
#[derive(Debug, Subcommand)]
pub enum TopCommand {
    /// Run the ledger as a gRPC server.
    Serve(Box<serve::ServeArgs>),
    /// Start an embedded server, load a realistic programme through the API, print balances.
    Demo(demo::DemoArgs),
    /// Client commands: postings, queries and the event stream of a running server.
    #[command(flatten)]
    Client(Box<client::ClientCommand>),
    /// Manage the principals file (who may call the server, with which roles).
    Principal(principal::PrincipalArgs),
    /// Verify a data directory offline: the whole hash chain, then the books.
    Check(check::CheckArgs),
    /// Take a verified copy of a running server's history (`--follow` keeps it current).
    Backup(backup::BackupArgs),
    /// Build a new data directory from a backup or an export.
    Restore(backup::RestoreArgs),
    /// Load a server on this machine with concurrent clients and report throughput and
    /// latency.
    BenchLoad(load::LoadArgs),
    /// Verifiable history: tree heads, proofs, bundles, exports and the witness.
    #[command(flatten)]
    Verifiable(Box<verifiable::VerifiableCommand>),
    /// Prints a shell completion script: `source <(matchledger completions bash)`.
    Completions(completions::CompletionsArgs),
}

/// Parses the command line, runs it, and turns any error into a message and the exit
/// code of its class (see [`exit`]).
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.json;
    init_tracing(cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            return exit::report(
                &anyhow::anyhow!("cannot start the async runtime: {error}"),
                json,
            );
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            TopCommand::Serve(args) => serve::serve(*args).await,
            TopCommand::Demo(args) => demo::demo(args).await,
            TopCommand::Client(command) => client::run(&cli.server, cli.json, *command).await,
            TopCommand::Principal(args) => principal::principal(args),
            TopCommand::BenchLoad(args) => load::bench_load(args).await,
            TopCommand::Check(args) => {
                tokio::task::spawn_blocking(move || check::check(&args)).await?
            }
            TopCommand::Completions(args) => completions::completions(&args),
            TopCommand::Backup(args) => backup::backup(&cli.server, args).await,
            TopCommand::Restore(args) => {
                tokio::task::spawn_blocking(move || backup::restore(&args).map(|_| ())).await?
            }
            TopCommand::Verifiable(command) => {
                verifiable::run(&cli.server, cli.json, *command).await
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => exit::report(&error, json),
    }
}

fn init_tracing(format: LogFormat) {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("info,sled=warn,h2=warn,tower=warn")
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A log written to a file or a pipe must not carry ANSI escapes.
    let _ = match format {
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
        LogFormat::Json => builder.json().with_ansi(false).try_init(),
    };
}
