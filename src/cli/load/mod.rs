//! `matchledger bench-load`: drives a running server over gRPC with concurrent clients
//! posting a realistic mix, and reports throughput, latency percentiles and errors.
//!
//! The load goes to loopback addresses only: this is a benchmark of a server on the
//! same machine, never a tool to aim at someone else's. Every run is bounded, by time
//! (`--duration`) or by commands (`--count`, with a time cap), and stops by itself.
//!
//! - `setup`: the phase, parties and SMEs the load posts against, made through the API.
//! - `workload`: each client's endless cycle of always-valid postings.
//! - `report`: merged tallies and the printed summary.

mod report;
pub mod setup;
pub mod workload;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use tonic::transport::{Channel, Endpoint};

use crate::api::proto::batch_command::Command as ProtoCommand;
use crate::api::proto::posting_service_client::PostingServiceClient;
use crate::api::proto::query_service_client::QueryServiceClient;
use crate::api::proto::{self, BatchCommand, PostBatchRequest};
use crate::limits::{
    BATCH_COMMANDS_MAX, LOAD_CLIENTS_MAX, LOAD_COMMANDS_MAX, LOAD_CONNECTIONS_MAX, LOAD_SECONDS_MAX,
};
use report::{Figures, Report, Tally};
use setup::Setup;
use workload::{options, Workload};

/// Options of `bench-load`.
#[derive(Debug, Clone, clap::Args)]
pub struct LoadArgs {
    /// The server to load; must be a loopback address (127.0.0.0/8, ::1, localhost).
    #[arg(long, default_value = "http://127.0.0.1:50051")]
    pub server: String,
    /// Concurrent posting clients.
    #[arg(long, default_value_t = 64)]
    pub clients: usize,
    /// Seconds to post for (the default bound: 10 s).
    #[arg(long, conflicts_with = "count")]
    pub duration: Option<f64>,
    /// Commands to post in all, instead of a duration.
    #[arg(long)]
    pub count: Option<u64>,
    /// Commands per RPC: 1 sends each with its own RPC; more sends them in PostBatch.
    #[arg(long, default_value_t = 1)]
    pub batch: usize,
    /// Concurrent balance-query loops during the writes; the writes are then run a
    /// second time without readers to measure how much the readers cost them.
    #[arg(long, default_value_t = 0)]
    pub readers: usize,
    /// HTTP/2 connections the clients share (default: one per 8 clients, at most 8).
    #[arg(long)]
    pub connections: Option<usize>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// How long a run goes on.
#[derive(Debug, Clone, Copy)]
struct Bound {
    /// Commands left to send, when bounded by count.
    count: Option<u64>,
    /// When to stop at the latest.
    duration: Duration,
}

/// Runs the load and prints the report.
pub async fn bench_load(args: LoadArgs) -> anyhow::Result<()> {
    let bound = validate(&args)?;
    ensure_loopback(&args.server).await?;
    let connections = args
        .connections
        .unwrap_or(args.clients.div_ceil(8))
        .clamp(1, LOAD_CONNECTIONS_MAX);
    let mut channels = Vec::with_capacity(connections);
    for _ in 0..connections {
        channels.push(connect(&args.server).await?);
    }
    let setup = setup::set_up(channels[0].clone(), args.clients).await?;
    let mut writes_without_readers = None;
    if args.readers > 0 {
        let (writes, _) = run(&channels, &setup, &args, bound, 0).await;
        writes_without_readers = Some(writes);
    }
    let (writes, reads) = run(&channels, &setup, &args, bound, args.readers).await;
    let write_drop_percent = writes_without_readers
        .as_ref()
        .map(|alone| 100.0 * (1.0 - writes.per_second / alone.per_second.max(1e-9)));
    let report = Report {
        server: args.server.clone(),
        clients: args.clients,
        connections,
        batch: args.batch,
        readers: args.readers,
        writes,
        reads,
        writes_without_readers,
        write_drop_percent,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.text());
    }
    Ok(())
}

/// Checks the options against the limits; returns the run's bound.
fn validate(args: &LoadArgs) -> anyhow::Result<Bound> {
    if args.clients == 0 || args.clients > LOAD_CLIENTS_MAX {
        bail!("--clients must be 1..={LOAD_CLIENTS_MAX}");
    }
    if args.readers > LOAD_CLIENTS_MAX {
        bail!("--readers must be at most {LOAD_CLIENTS_MAX}");
    }
    if args.batch == 0 || args.batch > BATCH_COMMANDS_MAX {
        bail!("--batch must be 1..={BATCH_COMMANDS_MAX}");
    }
    let max = LOAD_SECONDS_MAX as f64;
    match (args.duration, args.count) {
        (Some(seconds), _) if !(seconds > 0.0 && seconds <= max) => {
            bail!("--duration must be more than 0 and at most {LOAD_SECONDS_MAX} seconds")
        }
        (Some(seconds), _) => Ok(Bound {
            count: None,
            duration: Duration::from_secs_f64(seconds),
        }),
        (None, Some(count)) if count == 0 || count > LOAD_COMMANDS_MAX => {
            bail!("--count must be 1..={LOAD_COMMANDS_MAX}")
        }
        (None, count) => Ok(Bound {
            count,
            duration: Duration::from_secs(if count.is_some() {
                LOAD_SECONDS_MAX
            } else {
                10
            }),
        }),
    }
}

/// Refuses any server that is not on this machine's loopback interface.
async fn ensure_loopback(server: &str) -> anyhow::Result<()> {
    let uri: tonic::codegen::http::Uri = server
        .parse()
        .with_context(|| format!("--server {server:?} is not a URL"))?;
    let host = uri.host().context("--server has no host")?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port = uri.port_u16().unwrap_or(80);
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .with_context(|| format!("resolving {host}"))?
        .collect();
    if addresses.is_empty() || !addresses.iter().all(|address| address.ip().is_loopback()) {
        bail!("bench-load only targets loopback addresses (127.0.0.0/8, ::1, localhost); {host} is not one");
    }
    Ok(())
}

async fn connect(server: &str) -> anyhow::Result<Channel> {
    Endpoint::from_shared(server.to_string())?
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(30))
        .connect()
        .await
        .with_context(|| format!("connecting to {server}"))
}

/// One measured run: the writers until the bound, readers alongside them.
async fn run(
    channels: &[Channel],
    setup: &Setup,
    args: &LoadArgs,
    bound: Bound,
    readers: usize,
) -> (Figures, Option<Figures>) {
    let budget = Arc::new(AtomicU64::new(bound.count.unwrap_or(u64::MAX)));
    let deadline = Instant::now() + bound.duration;
    let stop = Arc::new(AtomicBool::new(false));
    let channel = |index: usize| channels[index % channels.len()].clone();
    let read_tasks: Vec<_> = (0..readers)
        .map(|index| {
            let client = QueryServiceClient::new(channel(index));
            tokio::spawn(read_loop(
                client,
                setup.parties.phase.clone(),
                Arc::clone(&stop),
            ))
        })
        .collect();
    let started = Instant::now();
    let write_tasks: Vec<_> = (0..args.clients)
        .map(|index| {
            let client = PostingServiceClient::new(channel(index));
            let workload = Workload::new(Arc::clone(&setup.parties), setup.smes[index].clone());
            tokio::spawn(write_loop(
                client,
                workload,
                args.batch,
                Arc::clone(&budget),
                deadline,
            ))
        })
        .collect();
    let mut writes = Tally::new();
    for task in write_tasks {
        if let Ok(tally) = task.await {
            writes.merge(&tally);
        }
    }
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let mut reads = Tally::new();
    for task in read_tasks {
        if let Ok(tally) = task.await {
            reads.merge(&tally);
        }
    }
    let reads = (readers > 0).then(|| Figures::of(&reads, elapsed));
    (Figures::of(&writes, elapsed), reads)
}

/// Takes up to `want` commands from the budget; 0 when it is spent.
fn take(budget: &AtomicU64, want: u64) -> u64 {
    budget
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
            (left > 0).then(|| left.saturating_sub(want))
        })
        .map_or(0, |left| left.min(want))
}

/// One posting client: RPCs one after another until the budget or the time is spent.
async fn write_loop(
    mut client: PostingServiceClient<Channel>,
    mut workload: Workload,
    batch: usize,
    budget: Arc<AtomicU64>,
    deadline: Instant,
) -> Tally {
    let mut tally = Tally::new();
    while Instant::now() < deadline {
        let size = take(&budget, batch as u64);
        if size == 0 {
            break;
        }
        let mut commands = Vec::with_capacity(size as usize);
        for _ in 0..size {
            let (kind, command) = workload.next_command();
            *tally.mix.entry(kind).or_default() += 1;
            commands.push(command);
        }
        let started = Instant::now();
        let outcome = if batch == 1 {
            let command = commands.pop();
            post_single(&mut client, command).await.map(|()| 1)
        } else {
            post_batch(&mut client, commands).await.map(|()| size)
        };
        tally.record(started.elapsed(), outcome);
    }
    tally
}

/// Posts one command through its own RPC.
async fn post_single(
    client: &mut PostingServiceClient<Channel>,
    command: Option<ProtoCommand>,
) -> Result<(), tonic::Code> {
    let options = options();
    let sent = match command {
        Some(ProtoCommand::RecordContribution(command)) => client
            .record_contribution(proto::RecordContributionRequest {
                options,
                command: Some(command),
            })
            .await
            .map(drop),
        Some(ProtoCommand::RecordMatch(command)) => client
            .record_match(proto::RecordMatchRequest {
                options,
                command: Some(command),
            })
            .await
            .map(drop),
        Some(ProtoCommand::AwardGrant(command)) => client
            .award_grant(proto::AwardGrantRequest {
                options,
                command: Some(command),
            })
            .await
            .map(drop),
        Some(ProtoCommand::RecordDisbursement(command)) => client
            .record_disbursement(proto::RecordDisbursementRequest {
                options,
                command: Some(command),
            })
            .await
            .map(drop),
        other => return post_batch(client, other.into_iter().collect()).await,
    };
    sent.map_err(|status| status.code())
}

/// Posts commands in one atomic PostBatch.
async fn post_batch(
    client: &mut PostingServiceClient<Channel>,
    commands: Vec<ProtoCommand>,
) -> Result<(), tonic::Code> {
    let request = PostBatchRequest {
        options: options(),
        commands: commands
            .into_iter()
            .map(|command| BatchCommand {
                command: Some(command),
            })
            .collect(),
    };
    client
        .post_batch(request)
        .await
        .map(drop)
        .map_err(|status| status.code())
}

/// One reader: balance queries of the load's phase until told to stop.
async fn read_loop(
    mut client: QueryServiceClient<Channel>,
    phase: String,
    stop: Arc<AtomicBool>,
) -> Tally {
    let mut tally = Tally::new();
    while !stop.load(Ordering::Relaxed) {
        let started = Instant::now();
        let outcome = client
            .get_phase_balances(proto::GetPhaseBalancesRequest {
                phase_id: phase.clone(),
                as_of: None,
            })
            .await
            .map(|_| 1)
            .map_err(|status| status.code());
        tally.record(started.elapsed(), outcome);
    }
    tally
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn loopback_servers_are_accepted_and_others_refused() {
        for server in [
            "http://127.0.0.1:50051",
            "http://localhost:1",
            "http://[::1]:9",
            "http://127.8.9.10:5",
        ] {
            assert!(ensure_loopback(server).await.is_ok(), "{server}");
        }
        for server in [
            "http://10.0.0.1:50051",
            "http://192.168.1.1:1",
            "http://8.8.8.8:53",
            "not a url",
        ] {
            assert!(ensure_loopback(server).await.is_err(), "{server}");
        }
    }

    #[test]
    fn the_budget_is_shared_and_never_overdrawn() {
        let budget = AtomicU64::new(250);
        assert_eq!(take(&budget, 100), 100);
        assert_eq!(take(&budget, 100), 100);
        assert_eq!(take(&budget, 100), 50);
        assert_eq!(take(&budget, 100), 0);
    }
}
