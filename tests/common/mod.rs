//! One way to start the real server for a test: on an ephemeral loopback port, over a
//! fresh data directory, with the generated tonic clients and a shutdown switch; and, for
//! the security tests, with a principals file, TLS or mutual TLS ([`Setup`]), clients that
//! present a bearer token ([`Clients`]) and certificates made on the spot ([`pki`]).

#![allow(dead_code)]

pub mod backup;
pub mod damage;
pub mod engines;
pub mod export;
pub mod http;
pub mod pki;
pub mod postgres;

#[allow(unused_imports)] // Only the tests on both engines name it.
pub use engines::Engine;

use std::path::{Path, PathBuf};

use matchledger::api::proto::audit_service_client::AuditServiceClient;
use matchledger::api::proto::posting_service_client::PostingServiceClient;
use matchledger::api::proto::query_service_client::QueryServiceClient;
use matchledger::api::proto::{self, Money, PostingOptions};
use matchledger::api::server::{self, ServerConfig};
use matchledger::ledger::Ledger;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::interceptor::InterceptedService;
use tonic::service::Interceptor;
use tonic::transport::{Channel, ClientTlsConfig};

/// A running server and clients connected to it.
pub struct TestServer {
    pub posting: PostingServiceClient<Channel>,
    pub query: QueryServiceClient<Channel>,
    pub audit: AuditServiceClient<Channel>,
    /// The connection the clients above share; more clients with [`TestServer::clients`].
    pub channel: Channel,
    pub address: String,
    pub data_dir: PathBuf,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    _temp: Option<tempfile::TempDir>,
    /// The database holding the log, for a server on PostgreSQL (`engines.rs`).
    postgres: Option<engines::PostgresDatabase>,
}

impl TestServer {
    /// Starts a server on a fresh temporary data directory.
    pub async fn start() -> TestServer {
        let temp = tempfile::tempdir().expect("temp dir");
        let dir = temp.path().to_path_buf();
        let mut server = TestServer::start_in(&dir).await;
        server._temp = Some(temp);
        server
    }

    /// Starts a server configured as `setup` says, on a fresh temporary data directory.
    pub async fn start_with(setup: Setup) -> TestServer {
        let temp = tempfile::tempdir().expect("temp dir");
        let dir = temp.path().to_path_buf();
        let mut server = TestServer::start_in_with(&dir, setup).await;
        server._temp = Some(temp);
        server
    }

    /// Starts a server on an existing data directory (to test restarts), opening it as
    /// `serve` does: read-only when the log is damaged.
    pub async fn start_in(dir: &Path) -> TestServer {
        TestServer::start_in_with(dir, Setup::default()).await
    }

    /// Starts a server configured as `setup` says on an existing data directory.
    pub async fn start_in_with(dir: &Path, setup: Setup) -> TestServer {
        TestServer::start_at(dir, setup, "127.0.0.1:0").await
    }

    /// Starts a server configured as `setup` says on an existing data directory, listening
    /// on `address` (a restarted server on the port its clients know).
    pub async fn start_at(dir: &Path, setup: Setup, address: &str) -> TestServer {
        let path = dir.to_path_buf();
        let ledger = tokio::task::spawn_blocking(move || Ledger::open_or_read_only(&path))
            .await
            .expect("join")
            .expect("ledger opens");
        TestServer::serve_at(ledger, dir, setup, address).await
    }

    /// Serves `ledger` on an ephemeral loopback port and connects to it.
    async fn serve(ledger: Ledger, dir: &Path, setup: Setup) -> TestServer {
        TestServer::serve_at(ledger, dir, setup, "127.0.0.1:0").await
    }

    /// Serves `ledger` on `address` and connects to it.
    async fn serve_at(ledger: Ledger, dir: &Path, setup: Setup, address: &str) -> TestServer {
        let listener = TcpListener::bind(address).await.expect("bind");
        let scheme = if setup.config.tls.is_some() {
            "https"
        } else {
            "http"
        };
        let address = format!("{scheme}://{}", listener.local_addr().expect("address"));
        let (stop, stopped) = oneshot::channel::<()>();
        let config = setup.config;
        let task = tokio::spawn(async move {
            server::run_with(listener, ledger, config, async {
                let _ = stopped.await;
            })
            .await
            .expect("server runs");
        });
        let channel = connect(&address, setup.client_tls).await.expect("connect");
        TestServer {
            posting: PostingServiceClient::new(channel.clone()),
            query: QueryServiceClient::new(channel.clone()),
            audit: AuditServiceClient::new(channel.clone()),
            channel,
            address,
            data_dir: dir.to_path_buf(),
            stop: Some(stop),
            task: Some(task),
            _temp: None,
            postgres: None,
        }
    }

    /// Clients over the server's connection that present `token` (none when `None`).
    pub fn clients(&self, token: Option<&str>) -> Clients {
        Clients::new(self.channel.clone(), token)
    }

    /// A new connection to the server with its own TLS settings (e.g. another client
    /// certificate).
    pub async fn connect(
        &self,
        tls: Option<ClientTlsConfig>,
    ) -> Result<Channel, tonic::transport::Error> {
        connect(&self.address, tls).await
    }

    /// Stops the server gracefully and waits until the writer has flushed.
    pub async fn stop(mut self) -> Option<tempfile::TempDir> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task");
        }
        self._temp.take()
    }
}

/// How to start a test server and connect to it.
#[derive(Default)]
pub struct Setup {
    /// The server's configuration (authentication, TLS, limits).
    pub config: ServerConfig,
    /// TLS settings of the first connection, for a server with TLS.
    pub client_tls: Option<ClientTlsConfig>,
}

/// Connects to `address`, over TLS when `tls` is given. Connections are made eagerly, so a
/// refused handshake is an error here.
pub async fn connect(
    address: &str,
    tls: Option<ClientTlsConfig>,
) -> Result<Channel, tonic::transport::Error> {
    let mut endpoint = Channel::from_shared(address.to_string()).expect("uri");
    if let Some(tls) = tls {
        endpoint = endpoint.tls_config(tls)?;
    }
    endpoint.connect().await
}

/// Adds `authorization: Bearer <token>` to every call, when it has a token.
#[derive(Clone)]
pub struct Bearer(Option<MetadataValue<Ascii>>);

impl Interceptor for Bearer {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(value) = &self.0 {
            request
                .metadata_mut()
                .insert("authorization", value.clone());
        }
        Ok(request)
    }
}

/// A channel whose calls carry a bearer token.
pub type Authed = InterceptedService<Channel, Bearer>;

/// The three clients, acting as one principal.
#[derive(Clone)]
pub struct Clients {
    pub posting: PostingServiceClient<Authed>,
    pub query: QueryServiceClient<Authed>,
    pub audit: AuditServiceClient<Authed>,
}

impl Clients {
    /// Clients over `channel` presenting `token`.
    pub fn new(channel: Channel, token: Option<&str>) -> Clients {
        let bearer =
            Bearer(token.map(|token| format!("Bearer {token}").parse().expect("ASCII token")));
        Clients {
            posting: PostingServiceClient::with_interceptor(channel.clone(), bearer.clone()),
            query: QueryServiceClient::with_interceptor(channel.clone(), bearer.clone()),
            audit: AuditServiceClient::with_interceptor(channel, bearer),
        }
    }

    /// Clients presenting a raw `authorization` value, well formed or not.
    pub fn with_authorization(channel: Channel, value: &str) -> Clients {
        let bearer = Bearer(Some(value.parse().expect("ASCII value")));
        Clients {
            posting: PostingServiceClient::with_interceptor(channel.clone(), bearer.clone()),
            query: QueryServiceClient::with_interceptor(channel.clone(), bearer.clone()),
            audit: AuditServiceClient::with_interceptor(channel, bearer),
        }
    }

    /// The head sequence, read through a query.
    pub async fn head(&mut self) -> u64 {
        self.query
            .list_phase_balances(proto::ListPhaseBalancesRequest { as_of: None })
            .await
            .expect("list phases")
            .into_inner()
            .answered_at_sequence
    }

    /// Every stored event, read through the audit stream.
    pub async fn events(&mut self) -> Vec<proto::Event> {
        let mut stream = self
            .audit
            .read_events(proto::ReadEventsRequest {
                from_sequence: 1,
                limit: 0,
                filter: None,
            })
            .await
            .expect("read events")
            .into_inner();
        let mut events = Vec::new();
        while let Some(event) = stream.message().await.expect("event stream") {
            events.push(event);
        }
        events
    }
}

/// A valid business registration number built from a serial: nine digits and the check
/// digit of the National Tax Service algorithm.
pub fn brn(serial: u32) -> String {
    let body = format!("{:09}", 100_000_000 + serial % 900_000_000);
    let digits: Vec<u32> = body.bytes().map(|b| u32::from(b - b'0')).collect();
    let weights = [1, 3, 7, 1, 3, 7, 1, 3, 5];
    let mut sum: u32 = digits
        .iter()
        .zip(weights)
        .map(|(digit, weight)| digit * weight)
        .sum();
    sum += digits[8] * 5 / 10;
    format!("{body}{}", (10 - sum % 10) % 10)
}

/// Posting options with a fresh idempotency key.
pub fn options() -> Option<PostingOptions> {
    options_with_key(&uuid::Uuid::now_v7().to_string())
}

/// Posting options with a given idempotency key.
pub fn options_with_key(key: &str) -> Option<PostingOptions> {
    Some(PostingOptions {
        idempotency_key: key.to_string(),
        effective_date: "2024-03-01".into(),
        external_ref: String::new(),
        metadata: Vec::new(),
    })
}

/// Won.
pub fn krw(amount: &str) -> Option<Money> {
    Some(Money {
        amount: amount.to_string(),
        currency: "KRW".into(),
    })
}

/// Ids of a small programme: one open phase (one-to-one, 2022 support types), a sponsor,
/// an agency and two SMEs (one small supplier, one medium non-supplier).
pub struct Programme {
    pub phase: String,
    pub contributor: String,
    pub agency: String,
    pub small_sme: String,
    pub medium_sme: String,
}

/// Sets up a [`Programme`] through the real API.
pub async fn programme(server: &mut TestServer) -> Programme {
    let support_types = matchledger::domain::SupportType::smart_factory_2022()
        .iter()
        .map(matchledger::api::convert::support_type_to_proto)
        .collect();
    let phase = entity(server.posting.open_phase(proto::OpenPhaseRequest {
        options: options(),
        command: Some(proto::OpenPhase {
            phase_id: String::new(),
            name: "Win-win smart factory 2024".into(),
            currency: "KRW".into(),
            starts_on: "2024-01-01".into(),
            ends_on: "2028-12-31".into(),
            match_ratio: "1".into(),
            support_types,
        }),
    }))
    .await;
    let contributor = entity(server.posting.register_contributor(
        proto::RegisterContributorRequest {
            options: options(),
            command: Some(proto::RegisterContributor {
                contributor_id: String::new(),
                name: "Sponsor Steel".into(),
            }),
        },
    ))
    .await;
    let agency = entity(
        server
            .posting
            .register_agency(proto::RegisterAgencyRequest {
                options: options(),
                command: Some(proto::RegisterAgency {
                    agency_id: String::new(),
                    name: "SME Fund Manager".into(),
                }),
            }),
    )
    .await;
    let small_sme = register_sme(
        server,
        "1248100998",
        "Hanbit Precision",
        true,
        proto::SizeClass::Small,
    )
    .await;
    let medium_sme = register_sme(
        server,
        "2208162517",
        "Daehan Castings",
        false,
        proto::SizeClass::Medium,
    )
    .await;
    Programme {
        phase,
        contributor,
        agency,
        small_sme,
        medium_sme,
    }
}

async fn register_sme(
    server: &mut TestServer,
    brn: &str,
    name: &str,
    supplier: bool,
    size: proto::SizeClass,
) -> String {
    entity(server.posting.register_sme(proto::RegisterSmeRequest {
        options: options(),
        command: Some(proto::RegisterSme {
            sme_id: String::new(),
            business_registration_number: brn.into(),
            name: name.into(),
            supplier,
            channel: proto::ApplicationChannel::SponsorPortal as i32,
            size: size as i32,
        }),
    }))
    .await
}

/// The entity id of the first event of a successful posting.
pub async fn entity(
    reply: impl std::future::Future<
        Output = Result<tonic::Response<proto::PostingResponse>, tonic::Status>,
    >,
) -> String {
    reply.await.expect("posting accepted").into_inner().events[0]
        .entity_id
        .clone()
}

/// Records a contribution and returns its id.
pub async fn contribute(server: &mut TestServer, programme: &Programme, amount: &str) -> String {
    entity(
        server
            .posting
            .record_contribution(proto::RecordContributionRequest {
                options: options(),
                command: Some(proto::RecordContribution {
                    contribution_id: String::new(),
                    phase_id: programme.phase.clone(),
                    contributor_id: programme.contributor.clone(),
                    amount: krw(amount),
                }),
            }),
    )
    .await
}

/// Records a match and returns the reply.
pub async fn record_match(
    server: &mut TestServer,
    programme: &Programme,
    contribution: &str,
    amount: &str,
) -> Result<tonic::Response<proto::PostingResponse>, tonic::Status> {
    server
        .posting
        .record_match(proto::RecordMatchRequest {
            options: options(),
            command: Some(proto::RecordMatch {
                match_id: String::new(),
                contribution_id: contribution.to_string(),
                agency_id: programme.agency.clone(),
                amount: krw(amount),
            }),
        })
        .await
}

/// Awards a type-2 grant (project ≤ 20 M, half government, half sponsor) and returns its id.
pub async fn award_type2(
    server: &mut TestServer,
    programme: &Programme,
    cost: u64,
) -> Result<String, tonic::Status> {
    let half = (cost / 2).to_string();
    server
        .posting
        .award_grant(proto::AwardGrantRequest {
            options: options(),
            command: Some(proto::AwardGrant {
                grant_id: String::new(),
                phase_id: programme.phase.clone(),
                sme_id: programme.small_sme.clone(),
                purpose: proto::Purpose::SmartFactory as i32,
                support_type: "type2-basic".into(),
                project_cost: krw(&cost.to_string()),
                government_share: half.clone(),
                sponsor_share: half,
                own_share: "0".into(),
            }),
        })
        .await
        .map(|reply| reply.into_inner().events[0].entity_id.clone())
}

/// Disburses on a grant.
pub async fn disburse(
    server: &mut TestServer,
    grant: &str,
    amount: &str,
) -> Result<tonic::Response<proto::PostingResponse>, tonic::Status> {
    server
        .posting
        .record_disbursement(proto::RecordDisbursementRequest {
            options: options(),
            command: Some(proto::RecordDisbursement {
                disbursement_id: String::new(),
                grant_id: grant.to_string(),
                amount: krw(amount),
            }),
        })
        .await
}

/// The head sequence, read through the event stream.
pub async fn head(server: &mut TestServer) -> u64 {
    server
        .query
        .list_phase_balances(proto::ListPhaseBalancesRequest { as_of: None })
        .await
        .expect("list phases")
        .into_inner()
        .answered_at_sequence
}

/// The log's signed-note verifier key, as the server serves it.
pub async fn verifier_key(server: &mut TestServer) -> String {
    server
        .audit
        .get_verifier_key(proto::GetVerifierKeyRequest {})
        .await
        .expect("verifier key")
        .into_inner()
        .verifier_key
}

/// What grpc.health.v1 says of the posting service of the server at `address`.
pub async fn posting_health(
    address: &str,
) -> tonic_health::pb::health_check_response::ServingStatus {
    let channel = Channel::from_shared(address.to_string())
        .expect("uri")
        .connect()
        .await
        .expect("connect");
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
    let reply = health
        .check(tonic_health::pb::HealthCheckRequest {
            service: "matchledger.v1.PostingService".into(),
        })
        .await
        .expect("health answers");
    tonic_health::pb::health_check_response::ServingStatus::try_from(reply.into_inner().status)
        .expect("known status")
}

/// Writes, straight through the store and past the rules, a log whose third event
/// matches a contribution of 1,000 won with 1,500 won at one-to-one.
pub fn over_matched_log(dir: &std::path::Path) {
    use matchledger::domain::event::*;
    use matchledger::domain::*;
    use matchledger::store::{PendingEvent, Store};
    use rust_decimal::Decimal;

    let store = Store::open(dir).expect("store opens");
    let won = |amount: i64| Money::new(Decimal::from(amount), Currency::Krw).unwrap();
    let (phase, contributor, agency, contribution) = (
        PhaseId::generate(),
        ContributorId::generate(),
        AgencyId::generate(),
        ContributionId::generate(),
    );
    let date = chrono::NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
    let events = vec![
        Event::PhaseOpened(PhaseOpened {
            phase,
            name: "Phase 1".into(),
            currency: Currency::Krw,
            starts_on: date,
            ends_on: chrono::NaiveDate::from_ymd_opt(2028, 2, 29).unwrap(),
            match_ratio: Decimal::ONE,
            support_types: Vec::new(),
        }),
        Event::ContributorRegistered(ContributorRegistered {
            contributor,
            name: "Sponsor".into(),
        }),
        Event::AgencyRegistered(AgencyRegistered {
            agency,
            name: "Agency".into(),
        }),
        Event::ContributionRecorded(ContributionRecorded {
            contribution,
            phase,
            contributor,
            amount: won(1_000),
        }),
        Event::MatchRecorded(MatchRecorded {
            match_id: MatchId::generate(),
            contribution,
            phase,
            agency,
            amount: won(1_500),
        }),
    ];
    let pending = events
        .into_iter()
        .enumerate()
        .map(|(i, event)| PendingEvent {
            meta: EventMeta {
                id: EventId::generate(),
                recorded_at: chrono::Utc::now(),
                effective_date: date,
                actor: "operator".into(),
                idempotency_key: format!("forged-{i}"),
                external_ref: None,
                metadata: Vec::new(),
            },
            event,
        })
        .collect();
    store
        .append(pending, Vec::new())
        .expect("written past the rules");
}

/// Loads commands `skip..skip + count` of the generated programme into the ledger in
/// `dir`, one submission each, and returns the tree size.
pub async fn load_generated(dir: &Path, skip: usize, count: usize) -> u64 {
    use matchledger::generator::{generate, ProgrammeConfig};
    use matchledger::ledger::Submission;
    let ledger = Ledger::open(dir).expect("open");
    for command in generate(&ProgrammeConfig::default())
        .into_iter()
        .skip(skip)
        .take(count)
    {
        ledger
            .submit(Submission::new(
                vec![command.command.clone()],
                command.context("generator"),
            ))
            .await
            .expect("accepted");
    }
    let size = ledger.store().tree_size();
    ledger.shutdown().await;
    size
}
