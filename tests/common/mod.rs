//! One way to start the real server for a test: on an ephemeral loopback port, over a
//! fresh data directory, with the generated tonic clients and a shutdown switch.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use matchledger::api::proto::audit_service_client::AuditServiceClient;
use matchledger::api::proto::posting_service_client::PostingServiceClient;
use matchledger::api::proto::query_service_client::QueryServiceClient;
use matchledger::api::proto::{self, Money, PostingOptions};
use matchledger::api::server;
use matchledger::ledger::Ledger;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::Channel;

/// A running server and clients connected to it.
pub struct TestServer {
    pub posting: PostingServiceClient<Channel>,
    pub query: QueryServiceClient<Channel>,
    pub audit: AuditServiceClient<Channel>,
    pub address: String,
    pub data_dir: PathBuf,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    _temp: Option<tempfile::TempDir>,
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

    /// Starts a server on an existing data directory (to test restarts), opening it as
    /// `serve` does: read-only when the log is damaged.
    pub async fn start_in(dir: &Path) -> TestServer {
        let path = dir.to_path_buf();
        let ledger = tokio::task::spawn_blocking(move || Ledger::open_or_read_only(&path))
            .await
            .expect("join")
            .expect("ledger opens");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = format!("http://{}", listener.local_addr().expect("address"));
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            server::run(listener, ledger, async {
                let _ = stopped.await;
            })
            .await
            .expect("server runs");
        });
        let channel = Channel::from_shared(address.clone())
            .expect("uri")
            .connect()
            .await
            .expect("connect");
        TestServer {
            posting: PostingServiceClient::new(channel.clone()),
            query: QueryServiceClient::new(channel.clone()),
            audit: AuditServiceClient::new(channel),
            address,
            data_dir: dir.to_path_buf(),
            stop: Some(stop),
            task: Some(task),
            _temp: None,
        }
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
    let contributor = entity(server.posting.register_contributor(proto::RegisterContributorRequest {
        options: options(),
        command: Some(proto::RegisterContributor {
            contributor_id: String::new(),
            name: "Sponsor Steel".into(),
        }),
    }))
    .await;
    let agency = entity(server.posting.register_agency(proto::RegisterAgencyRequest {
        options: options(),
        command: Some(proto::RegisterAgency {
            agency_id: String::new(),
            name: "SME Fund Manager".into(),
        }),
    }))
    .await;
    let small_sme = register_sme(server, "1248100998", "Hanbit Precision", true, proto::SizeClass::Small).await;
    let medium_sme = register_sme(server, "2208162517", "Daehan Castings", false, proto::SizeClass::Medium).await;
    Programme {
        phase,
        contributor,
        agency,
        small_sme,
        medium_sme,
    }
}

async fn register_sme(server: &mut TestServer, brn: &str, name: &str, supplier: bool, size: proto::SizeClass) -> String {
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
    reply: impl std::future::Future<Output = Result<tonic::Response<proto::PostingResponse>, tonic::Status>>,
) -> String {
    reply.await.expect("posting accepted").into_inner().events[0].entity_id.clone()
}

/// Records a contribution and returns its id.
pub async fn contribute(server: &mut TestServer, programme: &Programme, amount: &str) -> String {
    entity(server.posting.record_contribution(proto::RecordContributionRequest {
        options: options(),
        command: Some(proto::RecordContribution {
            contribution_id: String::new(),
            phase_id: programme.phase.clone(),
            contributor_id: programme.contributor.clone(),
            amount: krw(amount),
        }),
    }))
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
pub async fn award_type2(server: &mut TestServer, programme: &Programme, cost: u64) -> Result<String, tonic::Status> {
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
