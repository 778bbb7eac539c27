//! Who may post what, through the real server: each role against each posting RPC, calls
//! without a valid token, the actor recorded on every event, TLS and mutual TLS, and the
//! safe defaults of a server started without a principals file.

mod common;

use std::sync::Arc;

use common::pki::Authority;
use common::*;
use matchledger::api::guard::Authentication;
use matchledger::api::principals::{add_principal, Principals};
use matchledger::api::proto::{self, batch_command::Command as C, BatchCommand};
use matchledger::api::server::{self, ServeError, ServerConfig};
use matchledger::domain::Role;
use matchledger::ledger::Ledger;
use tokio::net::TcpListener;
use tonic::{Code, Status};
use tonic_types::StatusExt;

const OPERATOR: &str = "operator";
const TREASURY: &str = "treasury-erp";
const FUND_MANAGER: &str = "fund-manager";
const AUDITOR: &str = "external-auditor";
const JOINT_DESK: &str = "joint-desk";

/// A server with a principals file of one principal per role, plus one holding both
/// finance and government, and clients acting as each.
struct Team {
    server: TestServer,
    admin: Clients,
    finance: Clients,
    government: Clients,
    auditor: Clients,
    joint: Clients,
    tokens: Vec<String>,
    _dir: tempfile::TempDir,
}

impl Team {
    async fn start() -> Team {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("principals.toml");
        let add = |name: &str, roles: &[Role]| {
            add_principal(&path, name, roles, false)
                .expect("principal added")
                .expect("token")
        };
        let tokens = vec![
            add(OPERATOR, &[Role::Admin]),
            add(TREASURY, &[Role::Finance]),
            add(FUND_MANAGER, &[Role::Government]),
            add(AUDITOR, &[Role::Auditor]),
            add(JOINT_DESK, &[Role::Finance, Role::Government]),
        ];
        let principals = Principals::load(&path).expect("principals load");
        let server = TestServer::start_with(Setup {
            config: ServerConfig {
                authentication: Authentication::Principals(Arc::new(principals)),
                ..ServerConfig::default()
            },
            client_tls: None,
        })
        .await;
        let as_token = |index: usize| server.clients(Some(&tokens[index]));
        Team {
            admin: as_token(0),
            finance: as_token(1),
            government: as_token(2),
            auditor: as_token(3),
            joint: as_token(4),
            server,
            tokens,
            _dir: dir,
        }
    }

    fn by_name(&self, name: &str) -> Clients {
        match name {
            OPERATOR => self.admin.clone(),
            TREASURY => self.finance.clone(),
            FUND_MANAGER => self.government.clone(),
            AUDITOR => self.auditor.clone(),
            _ => self.joint.clone(),
        }
    }
}

/// Ids of a programme set up by the operator.
struct Ids {
    phase: String,
    contributor: String,
    agency: String,
    sme: String,
}

type Posted = Result<String, Status>;

fn first_entity(reply: Result<tonic::Response<proto::PostingResponse>, Status>) -> Posted {
    reply.map(|reply| reply.into_inner().events[0].entity_id.clone())
}

async fn open_phase(c: &mut Clients) -> Posted {
    let support_types = matchledger::domain::SupportType::smart_factory_2022()
        .iter()
        .map(matchledger::api::convert::support_type_to_proto)
        .collect();
    first_entity(
        c.posting
            .open_phase(proto::OpenPhaseRequest {
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
            })
            .await,
    )
}

async fn close_phase(c: &mut Clients, phase: &str) -> Posted {
    first_entity(
        c.posting
            .close_phase(proto::ClosePhaseRequest {
                options: options(),
                command: Some(proto::ClosePhase {
                    phase_id: phase.into(),
                }),
            })
            .await,
    )
}

async fn register_contributor(c: &mut Clients) -> Posted {
    first_entity(
        c.posting
            .register_contributor(proto::RegisterContributorRequest {
                options: options(),
                command: Some(proto::RegisterContributor {
                    contributor_id: String::new(),
                    name: "Sponsor Steel".into(),
                }),
            })
            .await,
    )
}

async fn register_agency(c: &mut Clients) -> Posted {
    first_entity(
        c.posting
            .register_agency(proto::RegisterAgencyRequest {
                options: options(),
                command: Some(proto::RegisterAgency {
                    agency_id: String::new(),
                    name: "SME Fund Manager".into(),
                }),
            })
            .await,
    )
}

async fn register_sme(c: &mut Clients) -> Posted {
    static SERIAL: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
    let serial = SERIAL.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    first_entity(
        c.posting
            .register_sme(proto::RegisterSmeRequest {
                options: options(),
                command: Some(proto::RegisterSme {
                    sme_id: String::new(),
                    business_registration_number: brn(serial),
                    name: format!("Hanbit Precision {serial}"),
                    supplier: true,
                    channel: proto::ApplicationChannel::SponsorPortal as i32,
                    size: proto::SizeClass::Small as i32,
                }),
            })
            .await,
    )
}

async fn pledge(c: &mut Clients, ids: &Ids) -> Posted {
    first_entity(
        c.posting
            .record_pledge(proto::RecordPledgeRequest {
                options: options(),
                command: Some(proto::RecordPledge {
                    pledge_id: String::new(),
                    phase_id: ids.phase.clone(),
                    contributor_id: ids.contributor.clone(),
                    amount: krw("20000000000"),
                }),
            })
            .await,
    )
}

fn contribution_command(ids: &Ids, id: &str) -> proto::RecordContribution {
    proto::RecordContribution {
        contribution_id: id.into(),
        phase_id: ids.phase.clone(),
        contributor_id: ids.contributor.clone(),
        amount: krw("1000000"),
    }
}

fn match_command(ids: &Ids, contribution: &str) -> proto::RecordMatch {
    proto::RecordMatch {
        match_id: String::new(),
        contribution_id: contribution.into(),
        agency_id: ids.agency.clone(),
        amount: krw("1000000"),
    }
}

async fn contribute(c: &mut Clients, ids: &Ids) -> Posted {
    first_entity(
        c.posting
            .record_contribution(proto::RecordContributionRequest {
                options: options(),
                command: Some(contribution_command(ids, "")),
            })
            .await,
    )
}

async fn record_match(c: &mut Clients, ids: &Ids, contribution: &str) -> Posted {
    first_entity(
        c.posting
            .record_match(proto::RecordMatchRequest {
                options: options(),
                command: Some(match_command(ids, contribution)),
            })
            .await,
    )
}

/// A 2 M type-2 award, half government, half sponsor.
async fn award(c: &mut Clients, ids: &Ids) -> Posted {
    first_entity(
        c.posting
            .award_grant(proto::AwardGrantRequest {
                options: options(),
                command: Some(proto::AwardGrant {
                    grant_id: String::new(),
                    phase_id: ids.phase.clone(),
                    sme_id: ids.sme.clone(),
                    purpose: proto::Purpose::SmartFactory as i32,
                    support_type: "type2-basic".into(),
                    project_cost: krw("2000000"),
                    government_share: "1000000".into(),
                    sponsor_share: "1000000".into(),
                    own_share: "0".into(),
                }),
            })
            .await,
    )
}

async fn disburse(c: &mut Clients, grant: &str) -> Posted {
    first_entity(
        c.posting
            .record_disbursement(proto::RecordDisbursementRequest {
                options: options(),
                command: Some(proto::RecordDisbursement {
                    disbursement_id: String::new(),
                    grant_id: grant.into(),
                    amount: krw("1000000"),
                }),
            })
            .await,
    )
}

async fn refund(c: &mut Clients, grant: &str) -> Posted {
    first_entity(
        c.posting
            .record_refund(proto::RecordRefundRequest {
                options: options(),
                command: Some(proto::RecordRefund {
                    refund_id: String::new(),
                    grant_id: grant.into(),
                    amount: krw("500000"),
                    reason: "obligation broken".into(),
                }),
            })
            .await,
    )
}

async fn reverse(c: &mut Clients, entry: &str) -> Posted {
    first_entity(
        c.posting
            .reverse_entry(proto::ReverseEntryRequest {
                options: options(),
                command: Some(proto::ReverseEntry {
                    entry_id: entry.into(),
                    reason: "posted in error".into(),
                }),
            })
            .await,
    )
}

async fn batch(c: &mut Clients, commands: Vec<C>) -> Posted {
    first_entity(
        c.posting
            .post_batch(proto::PostBatchRequest {
                options: options(),
                commands: commands
                    .into_iter()
                    .map(|command| BatchCommand {
                        command: Some(command),
                    })
                    .collect(),
            })
            .await,
    )
}

async fn set_up(team: &mut Team) -> Ids {
    let admin = &mut team.admin;
    Ids {
        phase: open_phase(admin).await.expect("phase"),
        contributor: register_contributor(admin).await.expect("contributor"),
        agency: register_agency(admin).await.expect("agency"),
        sme: register_sme(admin).await.expect("sme"),
    }
}

/// Every posting RPC, with the reversals and batches whose role depends on their content.
#[derive(Debug, Clone, Copy)]
enum Rpc {
    OpenPhase,
    ClosePhase,
    RegisterContributor,
    RegisterAgency,
    RegisterSme,
    RecordPledge,
    RecordContribution,
    RecordMatch,
    AwardGrant,
    RecordDisbursement,
    RecordRefund,
    ReversePledge,
    ReverseMatch,
    BatchOfContributions,
    BatchOfMatches,
    BatchOfContributionAndMatch,
}

impl Rpc {
    const ALL: [Rpc; 16] = [
        Rpc::OpenPhase,
        Rpc::ClosePhase,
        Rpc::RegisterContributor,
        Rpc::RegisterAgency,
        Rpc::RegisterSme,
        Rpc::RecordPledge,
        Rpc::RecordContribution,
        Rpc::RecordMatch,
        Rpc::AwardGrant,
        Rpc::RecordDisbursement,
        Rpc::RecordRefund,
        Rpc::ReversePledge,
        Rpc::ReverseMatch,
        Rpc::BatchOfContributions,
        Rpc::BatchOfMatches,
        Rpc::BatchOfContributionAndMatch,
    ];

    /// The principals allowed to make this call.
    fn allowed(self) -> &'static [&'static str] {
        match self {
            Rpc::OpenPhase
            | Rpc::ClosePhase
            | Rpc::RegisterContributor
            | Rpc::RegisterAgency
            | Rpc::RegisterSme => &[OPERATOR],
            Rpc::RecordPledge
            | Rpc::RecordContribution
            | Rpc::AwardGrant
            | Rpc::RecordDisbursement
            | Rpc::RecordRefund
            | Rpc::ReversePledge
            | Rpc::BatchOfContributions => &[TREASURY, JOINT_DESK],
            Rpc::RecordMatch | Rpc::ReverseMatch | Rpc::BatchOfMatches => {
                &[FUND_MANAGER, JOINT_DESK]
            }
            Rpc::BatchOfContributionAndMatch => &[JOINT_DESK],
        }
    }

    /// Prepares what the call needs, as the principals allowed to: the id it acts on.
    async fn prepare(self, team: &mut Team, ids: &Ids) -> String {
        let (admin, finance, government) =
            (&mut team.admin, &mut team.finance, &mut team.government);
        match self {
            Rpc::ClosePhase => open_phase(admin).await.expect("phase to close"),
            Rpc::RecordMatch | Rpc::BatchOfMatches => {
                contribute(finance, ids).await.expect("contribution")
            }
            Rpc::AwardGrant => {
                let contribution = contribute(finance, ids).await.expect("contribution");
                record_match(government, ids, &contribution)
                    .await
                    .expect("match")
            }
            Rpc::RecordDisbursement | Rpc::RecordRefund => {
                let contribution = contribute(finance, ids).await.expect("contribution");
                record_match(government, ids, &contribution)
                    .await
                    .expect("match");
                let grant = award(finance, ids).await.expect("award");
                if let Rpc::RecordRefund = self {
                    disburse(finance, &grant).await.expect("disbursement");
                }
                grant
            }
            Rpc::ReversePledge => pledge(finance, ids).await.expect("pledge"),
            Rpc::ReverseMatch => {
                let contribution = contribute(finance, ids).await.expect("contribution");
                record_match(government, ids, &contribution)
                    .await
                    .expect("match")
            }
            Rpc::BatchOfContributionAndMatch => uuid::Uuid::now_v7().to_string(),
            _ => String::new(),
        }
    }

    /// Makes the call as `caller` on what [`Rpc::prepare`] made.
    async fn make(self, caller: &mut Clients, ids: &Ids, target: &str) -> Posted {
        match self {
            Rpc::OpenPhase => open_phase(caller).await,
            Rpc::ClosePhase => close_phase(caller, target).await,
            Rpc::RegisterContributor => register_contributor(caller).await,
            Rpc::RegisterAgency => register_agency(caller).await,
            Rpc::RegisterSme => register_sme(caller).await,
            Rpc::RecordPledge => pledge(caller, ids).await,
            Rpc::RecordContribution => contribute(caller, ids).await,
            Rpc::RecordMatch => record_match(caller, ids, target).await,
            Rpc::AwardGrant => award(caller, ids).await,
            Rpc::RecordDisbursement => disburse(caller, target).await,
            Rpc::RecordRefund => refund(caller, target).await,
            Rpc::ReversePledge | Rpc::ReverseMatch => reverse(caller, target).await,
            Rpc::BatchOfContributions => {
                batch(
                    caller,
                    vec![C::RecordContribution(contribution_command(ids, ""))],
                )
                .await
            }
            Rpc::BatchOfMatches => {
                batch(caller, vec![C::RecordMatch(match_command(ids, target))]).await
            }
            Rpc::BatchOfContributionAndMatch => {
                batch(
                    caller,
                    vec![
                        C::RecordContribution(contribution_command(ids, target)),
                        C::RecordMatch(match_command(ids, target)),
                    ],
                )
                .await
            }
        }
    }
}

fn assert_denied(status: &Status, context: &str) {
    assert_eq!(
        status.code(),
        Code::PermissionDenied,
        "{context}: {status:?}"
    );
    let info = status.get_details_error_info().expect("error info");
    assert_eq!(info.reason, "PERMISSION_DENIED", "{context}");
}

#[tokio::test]
async fn each_role_may_make_exactly_its_postings_and_a_refusal_writes_nothing() {
    let mut team = Team::start().await;
    let ids = set_up(&mut team).await;
    let principals = [OPERATOR, TREASURY, FUND_MANAGER, AUDITOR, JOINT_DESK];
    for rpc in Rpc::ALL {
        for name in principals {
            let context = format!("{rpc:?} as {name}");
            let target = rpc.prepare(&mut team, &ids).await;
            let before = team.auditor.head().await;
            let outcome = rpc.make(&mut team.by_name(name), &ids, &target).await;
            if rpc.allowed().contains(&name) {
                outcome.unwrap_or_else(|status| panic!("{context} was refused: {status:?}"));
                let events = team.auditor.events().await;
                assert_eq!(
                    events.last().map(|event| event.actor.as_str()),
                    Some(name),
                    "{context}"
                );
            } else {
                assert_denied(&outcome.expect_err(&context), &context);
                assert_eq!(
                    team.auditor.head().await,
                    before,
                    "{context} wrote something"
                );
            }
        }
    }
    team.server.stop().await;
}

#[tokio::test]
async fn a_refused_call_leaves_the_head_where_it_was() {
    let mut team = Team::start().await;
    let ids = set_up(&mut team).await;
    let contribution = contribute(&mut team.finance, &ids)
        .await
        .expect("contribution");
    let matched = record_match(&mut team.government, &ids, &contribution)
        .await
        .expect("match");
    let before = team.auditor.head().await;
    // Refused by the guard (wrong method for the role) ...
    assert_denied(
        &contribute(&mut team.government, &ids)
            .await
            .expect_err("government contributing"),
        "guard",
    );
    assert_denied(
        &open_phase(&mut team.auditor)
            .await
            .expect_err("auditor opening a phase"),
        "guard",
    );
    // ... and by the writer (the reversed entry's kind, one command of a batch).
    assert_denied(
        &reverse(&mut team.finance, &matched)
            .await
            .expect_err("finance reversing a match"),
        "writer",
    );
    assert_denied(
        &reverse(&mut team.government, &contribution)
            .await
            .expect_err("government reversing a contribution"),
        "writer",
    );
    let mixed = batch(
        &mut team.finance,
        vec![
            C::RecordContribution(contribution_command(&ids, "")),
            C::RecordMatch(match_command(&ids, &contribution)),
        ],
    )
    .await
    .expect_err("finance posting a match in a batch");
    assert_denied(&mixed, "batch");
    let info = mixed.get_details_error_info().expect("error info");
    assert_eq!(
        info.metadata.get("command_index").map(String::as_str),
        Some("1")
    );
    assert_eq!(team.auditor.head().await, before);
    team.server.stop().await;
}

#[tokio::test]
async fn calls_without_a_valid_token_are_unauthenticated_and_write_nothing() {
    let mut team = Team::start().await;
    let before = team.auditor.head().await;
    let channel = team.server.channel.clone();
    let mut wrong_token = team.tokens[0].clone();
    wrong_token.replace_range(
        0..1,
        if wrong_token.starts_with('A') {
            "B"
        } else {
            "A"
        },
    );
    let callers = [
        ("no token", Clients::new(channel.clone(), None)),
        (
            "an unknown token",
            Clients::new(channel.clone(), Some("not-a-token")),
        ),
        (
            "a token one character off",
            Clients::new(channel.clone(), Some(&wrong_token)),
        ),
        (
            "the token's digest",
            Clients::new(channel.clone(), Some(&hex::encode([0u8; 32]))),
        ),
        (
            "another scheme",
            Clients::with_authorization(channel.clone(), &format!("Basic {}", team.tokens[0])),
        ),
        (
            "no scheme",
            Clients::with_authorization(channel.clone(), &team.tokens[0]),
        ),
    ];
    for (what, mut caller) in callers {
        let posting = register_agency(&mut caller).await.expect_err(what);
        assert_eq!(posting.code(), Code::Unauthenticated, "posting with {what}");
        let query = caller
            .query
            .list_phase_balances(proto::ListPhaseBalancesRequest { as_of: None })
            .await
            .expect_err(what);
        assert_eq!(query.code(), Code::Unauthenticated, "query with {what}");
        let read = caller
            .audit
            .read_events(proto::ReadEventsRequest::default())
            .await
            .expect_err(what);
        assert_eq!(read.code(), Code::Unauthenticated, "read with {what}");
    }
    assert_eq!(team.auditor.head().await, before);
    team.server.stop().await;
}

#[tokio::test]
async fn health_answers_without_a_token() {
    let team = Team::start().await;
    let mut health =
        tonic_health::pb::health_client::HealthClient::new(team.server.channel.clone());
    let reply = health
        .check(tonic_health::pb::HealthCheckRequest {
            service: String::new(),
        })
        .await
        .expect("health check");
    assert_eq!(
        reply.into_inner().status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );
    team.server.stop().await;
}

#[tokio::test]
async fn every_role_may_read() {
    let mut team = Team::start().await;
    set_up(&mut team).await;
    for name in [OPERATOR, TREASURY, FUND_MANAGER, AUDITOR, JOINT_DESK] {
        let mut reader = team.by_name(name);
        assert!(reader.head().await > 0, "{name} cannot query");
        assert!(
            !reader.events().await.is_empty(),
            "{name} cannot read history"
        );
    }
    team.server.stop().await;
}

#[tokio::test]
async fn events_record_the_principal_that_posted_them() {
    let mut team = Team::start().await;
    let ids = set_up(&mut team).await;
    let contribution = contribute(&mut team.finance, &ids)
        .await
        .expect("contribution");
    record_match(&mut team.government, &ids, &contribution)
        .await
        .expect("match");
    batch(
        &mut team.joint,
        vec![C::RecordContribution(contribution_command(&ids, ""))],
    )
    .await
    .expect("joint batch");
    let events = team.auditor.events().await;
    let actors: Vec<(i32, &str)> = events
        .iter()
        .map(|event| (event.kind, event.actor.as_str()))
        .collect();
    use proto::EventKind as K;
    assert_eq!(
        actors,
        vec![
            (K::PhaseOpened as i32, OPERATOR),
            (K::ContributorRegistered as i32, OPERATOR),
            (K::AgencyRegistered as i32, OPERATOR),
            (K::SmeRegistered as i32, OPERATOR),
            (K::ContributionRecorded as i32, TREASURY),
            (K::MatchRecorded as i32, FUND_MANAGER),
            (K::ContributionRecorded as i32, JOINT_DESK),
        ]
    );
    team.server.stop().await;
}

#[tokio::test]
async fn tls_serves_clients_that_trust_its_certificate_and_no_plaintext() {
    let authority = Authority::new("matchledger test CA");
    let mut server = TestServer::start_with(Setup {
        config: ServerConfig {
            tls: Some(authority.server_settings(false)),
            ..ServerConfig::default()
        },
        client_tls: Some(authority.client_settings(None)),
    })
    .await;
    assert!(server.address.starts_with("https://"));
    let programme = programme(&mut server).await;
    assert!(!programme.phase.is_empty());

    let plaintext = server.address.replacen("https://", "http://", 1);
    let plain_call: Result<u64, Box<dyn std::error::Error>> = async {
        let channel = connect(&plaintext, None).await?;
        Ok(Clients::new(channel, None).head_result().await?)
    }
    .await;
    assert!(plain_call.is_err(), "a plaintext call was answered");

    let stranger = Authority::new("someone else's CA");
    let untrusted = server.connect(Some(stranger.client_settings(None))).await;
    assert!(untrusted.is_err(), "a client trusting another CA connected");
    server.stop().await;
}

#[tokio::test]
async fn mutual_tls_maps_the_certificate_subject_to_its_principal() {
    let authority = Authority::new("matchledger test CA");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("principals.toml");
    add_principal(&path, "treasury.example", &[Role::Finance], true).expect("mtls principal");
    let admin_token = add_principal(&path, OPERATOR, &[Role::Admin], false)
        .expect("token principal")
        .expect("token");
    let principals = Principals::load(&path).expect("load");
    let workstation = authority.client("operator-workstation");
    let server = TestServer::start_with(Setup {
        config: ServerConfig {
            authentication: Authentication::Principals(Arc::new(principals)),
            tls: Some(authority.server_settings(true)),
            ..ServerConfig::default()
        },
        client_tls: Some(authority.client_settings(Some(&workstation))),
    })
    .await;

    // A certificate that names no principal: a token is still needed, and is enough.
    let mut anonymous = server.clients(None);
    assert_eq!(
        anonymous
            .head_result()
            .await
            .expect_err("no principal")
            .code(),
        Code::Unauthenticated
    );
    let mut admin = server.clients(Some(&admin_token));
    let ids = Ids {
        phase: open_phase(&mut admin).await.expect("phase"),
        contributor: register_contributor(&mut admin).await.expect("contributor"),
        agency: register_agency(&mut admin).await.expect("agency"),
        sme: register_sme(&mut admin).await.expect("sme"),
    };

    // The certificate of an mtls principal signs it in, with its roles.
    let treasury_channel = server
        .connect(Some(
            authority.client_settings(Some(&authority.client("treasury.example"))),
        ))
        .await
        .expect("treasury connects");
    let mut treasury = Clients::new(treasury_channel, None);
    contribute(&mut treasury, &ids)
        .await
        .expect("treasury contributes");
    assert_denied(
        &register_agency(&mut treasury)
            .await
            .expect_err("finance registering"),
        "mtls roles",
    );
    let events = admin.events().await;
    assert_eq!(
        events.last().map(|event| event.actor.as_str()),
        Some("treasury.example")
    );

    // No certificate, or one from another CA: no connection, or no answer.
    let head = admin.head().await;
    for (what, tls) in [
        ("no certificate", authority.client_settings(None)),
        (
            "a certificate from another CA",
            authority.client_settings(Some(&Authority::new("rogue CA").client("treasury.example"))),
        ),
    ] {
        let result: Result<String, Box<dyn std::error::Error>> = async {
            let channel = server.connect(Some(tls)).await?;
            Ok(contribute(&mut Clients::new(channel, None), &ids).await?)
        }
        .await;
        assert!(result.is_err(), "a client with {what} was served");
    }
    assert_eq!(admin.head().await, head);
    server.stop().await;
}

impl Clients {
    async fn head_result(&mut self) -> Result<u64, Status> {
        self.query
            .list_phase_balances(proto::ListPhaseBalancesRequest { as_of: None })
            .await
            .map(|reply| reply.into_inner().answered_at_sequence)
    }
}

async fn open_ledger(dir: &tempfile::TempDir) -> Ledger {
    let path = dir.path().to_path_buf();
    tokio::task::spawn_blocking(move || Ledger::open(&path))
        .await
        .expect("join")
        .expect("ledger opens")
}

#[tokio::test]
async fn without_principals_a_non_loopback_address_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ledger = open_ledger(&dir).await;
    let listener = TcpListener::bind("0.0.0.0:0").await.expect("bind");
    let outcome = server::run(listener, ledger, std::future::pending()).await;
    assert!(matches!(outcome, Err(ServeError::Unsafe(_))), "{outcome:?}");
}

#[tokio::test]
async fn insecure_allows_an_open_server_on_any_address() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ledger = open_ledger(&dir).await;
    let listener = TcpListener::bind("0.0.0.0:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let config = ServerConfig {
        insecure: true,
        ..ServerConfig::default()
    };
    let task = tokio::spawn(server::run_with(listener, ledger, config, async {
        let _ = stopped.await;
    }));
    let channel = connect(&format!("http://127.0.0.1:{port}"), None)
        .await
        .expect("connect");
    assert_eq!(Clients::new(channel, None).head().await, 0);
    let _ = stop.send(());
    task.await.expect("join").expect("served");
}

#[tokio::test]
async fn mutual_tls_without_principals_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ledger = open_ledger(&dir).await;
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let config = ServerConfig {
        tls: Some(Authority::new("CA").server_settings(true)),
        ..ServerConfig::default()
    };
    let outcome = server::run_with(listener, ledger, config, std::future::pending()).await;
    assert!(matches!(outcome, Err(ServeError::Unsafe(_))), "{outcome:?}");
}

#[tokio::test]
async fn live_subscriptions_beyond_the_limit_are_resource_exhausted() {
    let mut server = TestServer::start_with(Setup {
        config: ServerConfig {
            subscriptions_max: 2,
            ..ServerConfig::default()
        },
        client_tls: None,
    })
    .await;
    let subscribe =
        |audit: &mut proto::audit_service_client::AuditServiceClient<tonic::transport::Channel>| {
            let mut audit = audit.clone();
            async move { audit.subscribe(proto::SubscribeRequest::default()).await }
        };
    let first = subscribe(&mut server.audit).await.expect("first");
    let _second = subscribe(&mut server.audit).await.expect("second");
    let third = subscribe(&mut server.audit).await.expect_err("third");
    assert_eq!(third.code(), Code::ResourceExhausted);
    let info = third.get_details_error_info().expect("error info");
    assert_eq!(
        info.metadata.get("limit").map(String::as_str),
        Some("SUBSCRIPTIONS_MAX")
    );
    // Closing a subscription frees its place.
    drop(first);
    let mut reopened = None;
    for _ in 0..100 {
        if let Ok(stream) = subscribe(&mut server.audit).await {
            reopened = Some(stream);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let mut open = reopened
        .expect("a closed subscription kept its place")
        .into_inner();
    // A subscription still open when the server stops ends with UNAVAILABLE, and the stop
    // does not wait for it.
    let stopping = tokio::spawn(server.stop());
    let last = loop {
        match open.message().await {
            Ok(Some(_)) => continue,
            other => break other,
        }
    };
    assert_eq!(
        last.expect_err("ended by the shutdown").code(),
        Code::Unavailable
    );
    tokio::time::timeout(std::time::Duration::from_secs(10), stopping)
        .await
        .expect("the server stopped")
        .expect("join");
}
