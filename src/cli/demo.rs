//! `matchledger demo`: starts an embedded server, loads a realistic programme through the
//! real gRPC API, settles phase 1 (`settlement.rs`), and prints the balances it produced.

mod settlement;

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::cli::progress::Progress;
use anyhow::{ensure, Context};
use rust_decimal::Decimal;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tonic::transport::Channel;

use crate::api::convert::command_to_proto;
use crate::api::proto::posting_service_client::PostingServiceClient;
use crate::api::proto::query_service_client::QueryServiceClient;
use crate::api::proto::{self, PostBatchRequest, PostingOptions};
use crate::api::server;
use crate::generator::{GeneratedCommand, Programme, ProgrammeConfig};
use crate::ledger::Ledger;

/// Origin line of the demo's signed tree heads.
const DEMO_ORIGIN: &str = "matchledger.local/demo";

/// Commands per batch posted by the demo: large enough to load quickly, small enough to
/// show progress.
const DEMO_BATCH_COMMANDS: usize = 250;

/// Options of `demo`.
#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// Data directory; a fresh temporary one when omitted. Re-running on the same
    /// directory replays every batch idempotently and writes nothing new.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Address of the embedded server.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,
    /// Address of the embedded HTTP listener (JSON API, console); `off` for none.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub http_listen: super::http_listen::HttpListen,
    /// Seed of the generated programme.
    #[arg(long, default_value_t = 2013)]
    pub seed: u64,
    /// Size of the programme (1 = the brief's two phases, ~15 k commands).
    #[arg(long, default_value_t = 1)]
    pub scale: u32,
    /// Keep serving after loading, until Ctrl-C.
    #[arg(long)]
    pub serve: bool,
}

/// Runs the demo.
pub async fn demo(args: DemoArgs) -> anyhow::Result<()> {
    let data_dir = args.data_dir.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("matchledger-demo-{}", uuid::Uuid::now_v7()))
    });
    let dir = data_dir.clone();
    let ledger = tokio::task::spawn_blocking(move || Ledger::open(&dir))
        .await?
        .with_context(|| format!("opening the ledger in {}", data_dir.display()))?;
    let listener = TcpListener::bind(args.listen)
        .await
        .context("binding the demo server")?;
    let address = listener.local_addr()?;
    let http = args.http_listen.bind().await?;
    let http_address = http.as_ref().map(TcpListener::local_addr).transpose()?;
    // The demo keeps its tree-head key in its data directory, like `serve`, so that heads
    // and proofs fetched from it can be checked offline with the printed verifier key.
    let signing_key = super::signing_key::load_or_create(&data_dir, None, DEMO_ORIGIN)?;
    let verifier_key = signing_key.verifier_key();
    let config = server::ServerConfig {
        signing_key: Some(signing_key),
        ..server::ServerConfig::default()
    };
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(server::run_with_http(
        listener,
        http,
        ledger,
        config,
        async {
            let _ = stopped.await;
        },
    ));
    println!(
        "matchledger demo: data in {}, serving on {address}",
        data_dir.display()
    );
    println!("tree heads are signed by {verifier_key}");
    if let Some(http_address) = http_address {
        println!("HTTP (JSON API, console) on http://{http_address}/");
    }

    let channel = Channel::from_shared(format!("http://{address}"))?
        .connect()
        .await?;
    let config = ProgrammeConfig {
        seed: args.seed,
        scale: args.scale,
    };
    let mut posting = PostingServiceClient::new(channel.clone());
    let candidates = load(posting.clone(), &config).await?;
    settlement::settle_phase_one(&mut posting, &candidates).await?;
    let mut query = QueryServiceClient::new(channel);
    print_phases(&mut query).await?;
    print_top_smes(&mut query).await?;

    if args.serve {
        println!("\nserving on {address} until Ctrl-C (try: matchledger --server http://{address} balance phase)");
        super::serve::shutdown_signal().await;
    }
    let _ = stop.send(());
    server.await??;
    Ok(())
}

/// Posts the programme in batches of consecutive commands sharing an effective date.
async fn load(
    mut posting: PostingServiceClient<Channel>,
    config: &ProgrammeConfig,
) -> anyhow::Result<settlement::Candidates> {
    let programme = Programme::new(config);
    let mut candidates = settlement::Candidates::default();
    let total = programme.summary().commands;
    let progress = Progress::new("loading", "commands", total);
    let mut batch: Vec<GeneratedCommand> = Vec::with_capacity(DEMO_BATCH_COMMANDS);
    let (mut posted, mut replayed) = (0u64, 0u64);
    for command in programme {
        let same_day = batch
            .first()
            .is_none_or(|first| first.effective_date == command.effective_date);
        if !same_day || batch.len() == DEMO_BATCH_COMMANDS {
            replayed += post(&mut posting, &batch).await?;
            posted += batch.len() as u64;
            progress.set_position(posted);
            batch.clear();
        }
        candidates.observe(&command.command);
        batch.push(command);
    }
    if !batch.is_empty() {
        replayed += post(&mut posting, &batch).await?;
        posted += batch.len() as u64;
    }
    progress.set_position(posted);
    progress.finish();
    println!("posted {posted} commands ({replayed} batches were replays of an earlier load)");
    Ok(candidates)
}

/// Posts one batch; returns 1 when the server answered it as a replay.
async fn post(
    posting: &mut PostingServiceClient<Channel>,
    batch: &[GeneratedCommand],
) -> anyhow::Result<u64> {
    let Some(first) = batch.first() else {
        return Ok(0);
    };
    let request = PostBatchRequest {
        options: Some(PostingOptions {
            // Keyed by the first command: a second load of the same programme is a replay.
            idempotency_key: format!("batch-{}", first.idempotency_key),
            effective_date: first.effective_date.to_string(),
            external_ref: first.external_ref.clone().unwrap_or_default(),
            metadata: vec![proto::MetadataEntry {
                key: "source".into(),
                value: "demo".into(),
            }],
        }),
        commands: batch
            .iter()
            .map(|generated| command_to_proto(&generated.command))
            .collect(),
    };
    let reply = posting
        .post_batch(request)
        .await
        .with_context(|| format!("posting the batch starting with {}", first.idempotency_key))?;
    Ok(u64::from(reply.into_inner().replayed))
}

/// What the rounding rule kept back, of every kind.
fn remainders(settled: &proto::PhaseSettlement) -> anyhow::Result<Decimal> {
    [
        &settled.interest_remainder,
        &settled.unspent_remainder,
        &settled.clawback_remainder,
    ]
    .into_iter()
    .map(|text| money(text))
    .sum()
}

fn money(text: &str) -> anyhow::Result<Decimal> {
    text.parse::<Decimal>()
        .with_context(|| format!("server sent {text:?} as an amount"))
}

/// Formats a whole amount with thousands separators, keeping any fraction exact.
fn grouped(text: &str) -> String {
    let (whole, fraction) = text
        .split_once('.')
        .map_or((text, None), |(w, f)| (w, Some(f)));
    let (sign, digits) = whole.strip_prefix('-').map_or(("", whole), |d| ("-", d));
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    match fraction {
        Some(fraction) => format!("{sign}{out}.{fraction}"),
        None => format!("{sign}{out}"),
    }
}

async fn print_phases(query: &mut QueryServiceClient<Channel>) -> anyhow::Result<()> {
    let phases = query
        .list_phase_balances(proto::ListPhaseBalancesRequest { as_of: None })
        .await?
        .into_inner();
    println!(
        "\nPhase balances at sequence {} (KRW):",
        phases.answered_at_sequence
    );
    for phase in &phases.phases {
        let (contributed, matched, pool) = (
            money(&phase.contributed)?,
            money(&phase.matched)?,
            money(&phase.pool)?,
        );
        let (disbursed, refunded, cash) = (
            money(&phase.disbursed)?,
            money(&phase.refunded)?,
            money(&phase.cash)?,
        );
        ensure!(
            pool == contributed + matched,
            "pool of {} does not add up",
            phase.name
        );
        let settled = phase.settlement.clone().unwrap_or_default();
        let interest = money(&settled.interest_earned)?;
        let returned = [
            &settled.interest_returned_government,
            &settled.interest_returned_sponsor,
            &settled.unspent_returned_government,
            &settled.unspent_returned_sponsor,
            &settled.clawback_returned_government,
            &settled.clawback_returned_sponsor,
        ]
        .into_iter()
        .map(|text| money(text))
        .sum::<anyhow::Result<Decimal>>()?;
        ensure!(
            cash == pool - disbursed + refunded + interest - returned,
            "cash of {} does not add up",
            phase.name
        );
        println!(
            "\n  {} ({} – {}, {})",
            phase.name,
            phase.starts_on,
            phase.ends_on,
            if phase.closed { "closed" } else { "open" }
        );
        for (label, value) in [
            ("pledged", &phase.pledged),
            ("contributed", &phase.contributed),
            ("matched", &phase.matched),
            ("pool", &phase.pool),
            ("awarded", &phase.awarded),
            ("disbursed", &phase.disbursed),
            ("refunded", &phase.refunded),
            ("cash", &phase.cash),
            ("uncommitted", &phase.uncommitted),
        ] {
            println!("    {label:<12} {:>20}", grouped(value));
        }
        println!("    {:<12} {:>20}", "SMEs", phase.smes_supported);
        println!("    {:<12} {:>20}", "projects", phase.projects);
        for (label, value) in [
            ("interest", &settled.interest_earned),
            ("returned", &returned.to_string()),
            ("remainders", &remainders(&settled)?.to_string()),
        ] {
            println!("    {label:<12} {:>20}", grouped(value));
        }
        println!(
            "    check: pool = contributed + matched, \
             cash = pool − disbursed + refunded + interest − returned: ok"
        );
    }
    Ok(())
}

async fn print_top_smes(query: &mut QueryServiceClient<Channel>) -> anyhow::Result<()> {
    let page = query
        .list_sme_balances(proto::ListSmeBalancesRequest {
            phase_id: String::new(),
            order: proto::SmeOrder::AwardedDesc as i32,
            page_size: 10,
            page_token: String::new(),
            as_of: None,
        })
        .await?
        .into_inner();
    println!(
        "\nTop {} of {} SMEs by amount awarded (KRW):",
        page.smes.len(),
        page.total
    );
    println!(
        "  {:<12} {:<28} {:>8} {:>16} {:>16} {:>14}",
        "BRN", "name", "projects", "awarded", "disbursed", "refunded"
    );
    for sme in &page.smes {
        let Some(total) = sme.totals.first() else {
            continue;
        };
        println!(
            "  {:<12} {:<28} {:>8} {:>16} {:>16} {:>14}",
            sme.business_registration_number,
            sme.name.chars().take(28).collect::<String>(),
            total.projects,
            grouped(&total.awarded),
            grouped(&total.disbursed),
            grouped(&total.refunded)
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::grouped;

    #[test]
    fn amounts_are_grouped_by_thousands_exactly() {
        assert_eq!(grouped("19700000000"), "19,700,000,000");
        assert_eq!(grouped("-1234.50"), "-1,234.50");
        assert_eq!(grouped("999"), "999");
    }
}
