//! Every kind of bad input through the real API gets its precise status, and the log is
//! left exactly as it was: same head sequence, same last hash (the chain's root).

mod common;

use common::*;
use matchledger::api::proto::{
    self, batch_command::Command as C, BatchCommand, MetadataEntry, PostingOptions,
};
use matchledger::limits::STATUS_MESSAGE_BYTES_MAX;
use prost::bytes::{Buf, BufMut};
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::http::uri::PathAndQuery;
use tonic::{Code, Status};
use tonic_types::StatusExt;

const MEGABYTE: usize = 1024 * 1024;

/// What the refusal must name besides its code.
#[derive(Debug, Clone, Copy)]
enum Names {
    /// A `BadRequest` field violation on this field.
    Field(&'static str),
    /// An `ErrorInfo` naming this limit.
    Limit(&'static str),
    /// An `ErrorInfo` with this reason.
    Reason(&'static str),
    /// Only the code is checked.
    Nothing,
}

/// One bad request, to any RPC.
enum Probe {
    Contribution(proto::RecordContribution),
    ContributionWith(Option<PostingOptions>, Option<proto::RecordContribution>),
    Match(proto::RecordMatch),
    Agency(proto::RegisterAgency),
    Sme(proto::RegisterSme),
    Phase(proto::OpenPhase),
    Award(proto::AwardGrant),
    Reverse(proto::ReverseEntry),
    Batch(Vec<BatchCommand>),
    PhaseBalances(proto::GetPhaseBalancesRequest),
    SmeBalances(proto::ListSmeBalancesRequest),
    ByReference(String),
    ReadEvents(proto::ReadEventsRequest),
    Subscribe(proto::SubscribeRequest),
    /// Raw bytes as the body of a posting method's request.
    Raw(&'static str, Vec<u8>),
}

async fn send(server: &mut TestServer, probe: Probe) -> Result<(), Status> {
    let posting = &mut server.posting;
    let query = &mut server.query;
    match probe {
        Probe::Contribution(command) => posting
            .record_contribution(proto::RecordContributionRequest {
                options: options(),
                command: Some(command),
            })
            .await
            .map(drop),
        Probe::ContributionWith(options, command) => posting
            .record_contribution(proto::RecordContributionRequest { options, command })
            .await
            .map(drop),
        Probe::Match(command) => posting
            .record_match(proto::RecordMatchRequest {
                options: options(),
                command: Some(command),
            })
            .await
            .map(drop),
        Probe::Agency(command) => posting
            .register_agency(proto::RegisterAgencyRequest {
                options: options(),
                command: Some(command),
            })
            .await
            .map(drop),
        Probe::Sme(command) => posting
            .register_sme(proto::RegisterSmeRequest {
                options: options(),
                command: Some(command),
            })
            .await
            .map(drop),
        Probe::Phase(command) => posting
            .open_phase(proto::OpenPhaseRequest {
                options: options(),
                command: Some(command),
            })
            .await
            .map(drop),
        Probe::Award(command) => posting
            .award_grant(proto::AwardGrantRequest {
                options: options(),
                command: Some(command),
            })
            .await
            .map(drop),
        Probe::Reverse(command) => posting
            .reverse_entry(proto::ReverseEntryRequest {
                options: options(),
                command: Some(command),
            })
            .await
            .map(drop),
        Probe::Batch(commands) => posting
            .post_batch(proto::PostBatchRequest {
                options: options(),
                commands,
            })
            .await
            .map(drop),
        Probe::PhaseBalances(request) => query.get_phase_balances(request).await.map(drop),
        Probe::SmeBalances(request) => query.list_sme_balances(request).await.map(drop),
        Probe::ByReference(external_ref) => query
            .find_postings_by_reference(proto::FindPostingsByReferenceRequest { external_ref })
            .await
            .map(drop),
        Probe::ReadEvents(request) => server.audit.read_events(request).await.map(drop),
        Probe::Subscribe(request) => server.audit.subscribe(request).await.map(drop),
        Probe::Raw(method, bytes) => {
            let mut grpc = tonic::client::Grpc::new(server.channel.clone());
            grpc.ready()
                .await
                .map_err(|error| Status::unavailable(error.to_string()))?;
            let path = PathAndQuery::try_from(format!("/matchledger.v1.PostingService/{method}"))
                .expect("path");
            grpc.unary(tonic::Request::new(bytes), path, RawCodec)
                .await
                .map(drop)
        }
    }
}

/// Sends and receives raw message bytes, to put on the wire what no generated client would.
#[derive(Debug, Clone, Copy, Default)]
struct RawCodec;

impl Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawCodec;
    type Decoder = RawCodec;

    fn encoder(&mut self) -> RawCodec {
        RawCodec
    }

    fn decoder(&mut self) -> RawCodec {
        RawCodec
    }
}

impl Encoder for RawCodec {
    type Item = Vec<u8>;
    type Error = Status;

    fn encode(&mut self, item: Vec<u8>, buffer: &mut EncodeBuf<'_>) -> Result<(), Status> {
        buffer.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = Vec<u8>;
    type Error = Status;

    fn decode(&mut self, buffer: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, Status> {
        let bytes = buffer.copy_to_bytes(buffer.remaining());
        Ok(Some(bytes.to_vec()))
    }
}

/// The log's head sequence and the hash of its last event.
async fn log_state(server: &mut TestServer) -> (u64, Vec<u8>) {
    let head = head(server).await;
    let mut stream = server
        .audit
        .read_events(proto::ReadEventsRequest {
            from_sequence: head,
            limit: 1,
            filter: None,
        })
        .await
        .expect("read head event")
        .into_inner();
    let last = stream.message().await.expect("stream").expect("head event");
    (head, last.hash)
}

fn big(size: usize) -> String {
    "x".repeat(size)
}

fn uuid() -> String {
    uuid::Uuid::now_v7().to_string()
}

struct Case {
    name: &'static str,
    probe: Probe,
    code: Code,
    names: Names,
}

fn case(name: &'static str, probe: Probe, code: Code, names: Names) -> Case {
    Case {
        name,
        probe,
        code,
        names,
    }
}

/// Every case, built on a programme `p` with one contribution `c`.
fn cases(p: &Programme, c: &str) -> Vec<Case> {
    use tonic::Code::*;
    use Names::*;
    let contribution = |amount: Option<proto::Money>| proto::RecordContribution {
        contribution_id: String::new(),
        phase_id: p.phase.clone(),
        contributor_id: p.contributor.clone(),
        amount,
    };
    let money = |amount: &str, currency: &str| {
        Some(proto::Money {
            amount: amount.into(),
            currency: currency.into(),
        })
    };
    let amount = |text: &str| Probe::Contribution(contribution(krw(text)));
    let sme = |brn: &str, channel: i32, size: i32| {
        Probe::Sme(proto::RegisterSme {
            sme_id: String::new(),
            business_registration_number: brn.into(),
            name: "Some Works".into(),
            supplier: false,
            channel,
            size,
        })
    };
    let portal = proto::ApplicationChannel::SponsorPortal as i32;
    let small = proto::SizeClass::Small as i32;
    let agency = |name: String| {
        Probe::Agency(proto::RegisterAgency {
            agency_id: String::new(),
            name,
        })
    };
    let with_options = |change: &dyn Fn(&mut PostingOptions)| {
        let mut options = options().expect("options");
        change(&mut options);
        Probe::ContributionWith(Some(options), Some(contribution(krw("1000"))))
    };
    let phase = |change: &dyn Fn(&mut proto::OpenPhase)| {
        let mut command = proto::OpenPhase {
            phase_id: String::new(),
            name: "Phase 3".into(),
            currency: "KRW".into(),
            starts_on: "2029-01-01".into(),
            ends_on: "2033-12-31".into(),
            match_ratio: "1".into(),
            support_types: Vec::new(),
        };
        change(&mut command);
        Probe::Phase(command)
    };
    let award = |change: &dyn Fn(&mut proto::AwardGrant)| {
        let mut command = proto::AwardGrant {
            grant_id: String::new(),
            phase_id: p.phase.clone(),
            sme_id: p.small_sme.clone(),
            purpose: proto::Purpose::SmartFactory as i32,
            support_type: "type2-basic".into(),
            project_cost: krw("2000000"),
            government_share: "1000000".into(),
            sponsor_share: "1000000".into(),
            own_share: "0".into(),
        };
        change(&mut command);
        Probe::Award(command)
    };
    let as_of = |point: proto::as_of::Point| {
        Probe::PhaseBalances(proto::GetPhaseBalancesRequest {
            phase_id: p.phase.clone(),
            as_of: Some(proto::AsOf { point: Some(point) }),
        })
    };
    let time = |seconds: i64, nanos: i32| {
        as_of(proto::as_of::Point::Time(prost_types::Timestamp {
            seconds,
            nanos,
        }))
    };
    let kinds = |kinds: Vec<i32>| {
        Some(proto::EventFilter {
            kinds,
            ..proto::EventFilter::default()
        })
    };
    let contribution_batch = |count: usize| {
        let command = BatchCommand {
            command: Some(C::RecordContribution(contribution(krw("1000")))),
        };
        Probe::Batch(vec![command; count])
    };
    let amount_field = Field("command.amount.amount");
    vec![
        // Amounts.
        case(
            "negative amount",
            amount("-5"),
            InvalidArgument,
            amount_field,
        ),
        case("zero amount", amount("0"), InvalidArgument, amount_field),
        case(
            "fractional won",
            amount("1.5"),
            InvalidArgument,
            amount_field,
        ),
        case(
            "fractional won written with zeros",
            amount("100.50"),
            InvalidArgument,
            amount_field,
        ),
        case(
            "40-digit amount",
            amount(&"9".repeat(40)),
            InvalidArgument,
            amount_field,
        ),
        case(
            "non-numeric amount",
            amount("12abc"),
            InvalidArgument,
            amount_field,
        ),
        case(
            "exponent notation",
            amount("1e9"),
            InvalidArgument,
            amount_field,
        ),
        case("empty amount", amount(""), InvalidArgument, amount_field),
        case(
            "amount with a plus sign",
            amount("+5"),
            InvalidArgument,
            amount_field,
        ),
        case(
            "amount ending in a point",
            amount("5."),
            InvalidArgument,
            amount_field,
        ),
        case(
            "amount with a leading zero",
            amount("05"),
            InvalidArgument,
            amount_field,
        ),
        case(
            "amount with a space",
            amount(" 5"),
            InvalidArgument,
            amount_field,
        ),
        case(
            "1 MB amount",
            amount(&"1".repeat(MEGABYTE)),
            InvalidArgument,
            amount_field,
        ),
        case(
            "no amount",
            Probe::Contribution(contribution(None)),
            InvalidArgument,
            Field("command.amount"),
        ),
        // Currencies.
        case(
            "wrong currency",
            Probe::Contribution(contribution(money("1000", "USD"))),
            InvalidArgument,
            Reason("CURRENCY_MISMATCH"),
        ),
        case(
            "unknown currency",
            Probe::Contribution(contribution(money("1000", "XXX"))),
            InvalidArgument,
            Field("command.amount.currency"),
        ),
        case(
            "lower-case currency",
            Probe::Contribution(contribution(money("1000", "krw"))),
            InvalidArgument,
            Field("command.amount.currency"),
        ),
        case(
            "1 MB currency",
            Probe::Contribution(contribution(money("1000", &big(MEGABYTE)))),
            InvalidArgument,
            Field("command.amount.currency"),
        ),
        // Business registration numbers.
        case(
            "BRN with a wrong check digit",
            sme("1234567890", portal, small),
            InvalidArgument,
            Field("command.business_registration_number"),
        ),
        case(
            "BRN too short",
            sme("12345", portal, small),
            InvalidArgument,
            Field("command.business_registration_number"),
        ),
        case(
            "BRN too long",
            sme("12481009981", portal, small),
            InvalidArgument,
            Field("command.business_registration_number"),
        ),
        case(
            "BRN with letters",
            sme("12481OO998", portal, small),
            InvalidArgument,
            Field("command.business_registration_number"),
        ),
        case(
            "BRN already registered",
            sme("1248100998", portal, small),
            AlreadyExists,
            Nothing,
        ),
        case(
            "1 MB BRN",
            sme(&"1".repeat(MEGABYTE), portal, small),
            InvalidArgument,
            Field("command.business_registration_number"),
        ),
        // Unknown and malformed ids.
        case(
            "unknown phase",
            Probe::Contribution(proto::RecordContribution {
                phase_id: uuid(),
                ..contribution(krw("1000"))
            }),
            NotFound,
            Reason("NOT_FOUND"),
        ),
        case(
            "unknown contributor",
            Probe::Contribution(proto::RecordContribution {
                contributor_id: uuid(),
                ..contribution(krw("1000"))
            }),
            NotFound,
            Reason("NOT_FOUND"),
        ),
        case(
            "unknown contribution",
            Probe::Match(proto::RecordMatch {
                match_id: String::new(),
                contribution_id: uuid(),
                agency_id: p.agency.clone(),
                amount: krw("1000"),
            }),
            NotFound,
            Reason("NOT_FOUND"),
        ),
        case(
            "unknown entry to reverse",
            Probe::Reverse(proto::ReverseEntry {
                entry_id: uuid(),
                reason: "typo".into(),
            }),
            NotFound,
            Reason("NOT_FOUND"),
        ),
        case(
            "malformed id",
            Probe::Contribution(proto::RecordContribution {
                phase_id: "phase-1".into(),
                ..contribution(krw("1000"))
            }),
            InvalidArgument,
            Field("command.phase_id"),
        ),
        case(
            "missing required id",
            Probe::Contribution(proto::RecordContribution {
                phase_id: String::new(),
                ..contribution(krw("1000"))
            }),
            InvalidArgument,
            Field("command.phase_id"),
        ),
        case(
            "1 MB id",
            Probe::Contribution(proto::RecordContribution {
                phase_id: big(MEGABYTE),
                ..contribution(krw("1000"))
            }),
            InvalidArgument,
            Field("command.phase_id"),
        ),
        case(
            "id of an existing entry reused",
            Probe::Contribution(proto::RecordContribution {
                contribution_id: c.to_string(),
                ..contribution(krw("1000"))
            }),
            AlreadyExists,
            Nothing,
        ),
        case(
            "balances of an unknown phase",
            Probe::PhaseBalances(proto::GetPhaseBalancesRequest {
                phase_id: uuid(),
                as_of: None,
            }),
            NotFound,
            Nothing,
        ),
        // Strings.
        case(
            "empty name",
            agency(String::new()),
            InvalidArgument,
            Field("name"),
        ),
        case(
            "blank name",
            agency("   ".into()),
            InvalidArgument,
            Field("name"),
        ),
        case(
            "1 MB name",
            agency(big(MEGABYTE)),
            InvalidArgument,
            Limit("NAME_BYTES_MAX"),
        ),
        case(
            "name one byte over",
            agency(big(257)),
            InvalidArgument,
            Limit("NAME_BYTES_MAX"),
        ),
        case(
            "nil agency id",
            Probe::Agency(proto::RegisterAgency {
                agency_id: "00000000-0000-0000-0000-000000000000".into(),
                name: "Foundation".into(),
            }),
            InvalidArgument,
            Field("agency_id"),
        ),
        case(
            "agency registered under the phase's id",
            Probe::Agency(proto::RegisterAgency {
                agency_id: p.phase.clone(),
                name: "Foundation".into(),
            }),
            AlreadyExists,
            Nothing,
        ),
        case(
            "name with a NUL",
            agency("Hanbit\u{0}Works".into()),
            InvalidArgument,
            Field("command.name"),
        ),
        case(
            "name with a line feed",
            agency("Hanbit\nWorks".into()),
            InvalidArgument,
            Field("command.name"),
        ),
        case(
            "name with a carriage return",
            agency("Hanbit\rWorks".into()),
            InvalidArgument,
            Field("command.name"),
        ),
        case(
            "name with a line separator",
            agency("Hanbit\u{2028}Works".into()),
            InvalidArgument,
            Field("command.name"),
        ),
        case(
            "name with a next-line control",
            agency("Hanbit\u{85}Works".into()),
            InvalidArgument,
            Field("command.name"),
        ),
        case(
            "name with a right-to-left override",
            agency("Hanbit\u{202E}skroW".into()),
            InvalidArgument,
            Field("command.name"),
        ),
        case(
            "external reference with a bidirectional isolate",
            with_options(&|options| options.external_ref = "TRF-\u{2067}0001".into()),
            InvalidArgument,
            Field("options.external_ref"),
        ),
        case(
            "reason with a line feed",
            Probe::Reverse(proto::ReverseEntry {
                entry_id: c.to_string(),
                reason: "typo\nsee attached".into(),
            }),
            InvalidArgument,
            Field("command.reason"),
        ),
        case(
            "1 MB reason",
            Probe::Reverse(proto::ReverseEntry {
                entry_id: c.to_string(),
                reason: big(MEGABYTE),
            }),
            InvalidArgument,
            Limit("TEXT_BYTES_MAX"),
        ),
        case(
            "1 MB support type",
            award(&|command| command.support_type = big(MEGABYTE)),
            InvalidArgument,
            Limit("NAME_BYTES_MAX"),
        ),
        case(
            "1 MB idempotency key",
            with_options(&|options| options.idempotency_key = big(MEGABYTE)),
            InvalidArgument,
            Limit("IDEMPOTENCY_KEY_BYTES_MAX"),
        ),
        case(
            "empty idempotency key",
            with_options(&|options| options.idempotency_key.clear()),
            InvalidArgument,
            Field("options.idempotency_key"),
        ),
        case(
            "1 MB external reference",
            with_options(&|options| options.external_ref = big(MEGABYTE)),
            InvalidArgument,
            Limit("TEXT_BYTES_MAX"),
        ),
        case(
            "1 MB metadata value",
            with_options(&|options| {
                options.metadata = vec![MetadataEntry {
                    key: "voucher".into(),
                    value: big(MEGABYTE),
                }]
            }),
            InvalidArgument,
            Limit("TEXT_BYTES_MAX"),
        ),
        case(
            "too many metadata pairs",
            with_options(&|options| {
                options.metadata = (0..17)
                    .map(|index| MetadataEntry {
                        key: format!("k{index}"),
                        value: "v".into(),
                    })
                    .collect()
            }),
            InvalidArgument,
            Limit("METADATA_PAIRS_MAX"),
        ),
        case(
            "too many support types",
            phase(&|command| {
                let rule = matchledger::api::convert::support_type_to_proto(
                    &matchledger::domain::SupportType::smart_factory_2022()[0],
                );
                command.support_types = vec![rule; 33];
            }),
            InvalidArgument,
            Limit("SUPPORT_TYPES_MAX"),
        ),
        case(
            "1 MB reference lookup",
            Probe::ByReference(big(MEGABYTE)),
            InvalidArgument,
            Field("external_ref"),
        ),
        case(
            "empty reference lookup",
            Probe::ByReference(String::new()),
            InvalidArgument,
            Field("external_ref"),
        ),
        case(
            "no options",
            Probe::ContributionWith(None, Some(contribution(krw("1000")))),
            InvalidArgument,
            Field("options"),
        ),
        case(
            "no command",
            Probe::ContributionWith(options(), None),
            InvalidArgument,
            Field("command"),
        ),
        // Messages over the size limit, and bytes that are not the message.
        case(
            "5 MB request",
            agency(big(5 * MEGABYTE)),
            ResourceExhausted,
            Limit("REQUEST_BYTES_MAX"),
        ),
        case(
            "invalid UTF-8 in a name",
            Probe::Raw("RegisterAgency", vec![0x12, 0x04, 0x12, 0x02, 0xff, 0xfe]),
            InvalidArgument,
            Reason("MALFORMED_MESSAGE"),
        ),
        case(
            "bytes that are not protobuf",
            Probe::Raw("RecordContribution", vec![0xff; 32]),
            InvalidArgument,
            Reason("MALFORMED_MESSAGE"),
        ),
        case(
            "truncated message",
            Probe::Raw("RecordContribution", vec![0x12, 0x40, 0x0a]),
            InvalidArgument,
            Reason("MALFORMED_MESSAGE"),
        ),
        // Unknown enum values.
        case(
            "unknown size class",
            sme(&brn(77), portal, 99),
            InvalidArgument,
            Field("command.size"),
        ),
        case(
            "unspecified size class",
            sme(&brn(78), portal, 0),
            InvalidArgument,
            Field("command.size"),
        ),
        case(
            "unknown application channel",
            sme(&brn(79), -3, small),
            InvalidArgument,
            Field("command.channel"),
        ),
        case(
            "unknown purpose",
            award(&|command| command.purpose = 42),
            InvalidArgument,
            Field("command.purpose"),
        ),
        case(
            "unknown event kind in a history filter",
            Probe::ReadEvents(proto::ReadEventsRequest {
                from_sequence: 1,
                limit: 0,
                filter: kinds(vec![999]),
            }),
            InvalidArgument,
            Field("filter.kinds"),
        ),
        case(
            "unknown event kind in a subscription filter",
            Probe::Subscribe(proto::SubscribeRequest {
                from_sequence: 1,
                filter: kinds(vec![-1]),
            }),
            InvalidArgument,
            Field("filter.kinds"),
        ),
        case(
            "unknown SME order",
            Probe::SmeBalances(proto::ListSmeBalancesRequest {
                order: 99,
                ..proto::ListSmeBalancesRequest::default()
            }),
            InvalidArgument,
            Field("order"),
        ),
        // Dates and points in time.
        case(
            "effective date in year 9999",
            with_options(&|options| options.effective_date = "9999-01-01".into()),
            InvalidArgument,
            Field("options.effective_date"),
        ),
        case(
            "effective date that does not exist",
            with_options(&|options| options.effective_date = "2024-02-30".into()),
            InvalidArgument,
            Field("options.effective_date"),
        ),
        case(
            "effective date without leading zeros",
            with_options(&|options| options.effective_date = "2024-1-5".into()),
            InvalidArgument,
            Field("options.effective_date"),
        ),
        case(
            "effective date with a sign",
            with_options(&|options| options.effective_date = "+2024-01-01".into()),
            InvalidArgument,
            Field("options.effective_date"),
        ),
        case(
            "effective date in words",
            with_options(&|options| options.effective_date = "yesterday".into()),
            InvalidArgument,
            Field("options.effective_date"),
        ),
        case(
            "phase starting in 1800",
            phase(&|command| command.starts_on = "1800-01-01".into()),
            InvalidArgument,
            Field("command.starts_on"),
        ),
        case(
            "phase ending before it starts",
            phase(&|command| command.ends_on = "2028-12-31".into()),
            InvalidArgument,
            Nothing,
        ),
        case(
            "as-of time past the calendar",
            time(i64::MAX, 0),
            InvalidArgument,
            Field("as_of.time"),
        ),
        case(
            "as-of time with negative nanos",
            time(0, -1),
            InvalidArgument,
            Field("as_of.time.nanos"),
        ),
        case(
            "as-of sequence beyond the head",
            as_of(proto::as_of::Point::Sequence(u64::MAX)),
            OutOfRange,
            Field("as_of.sequence"),
        ),
        // Other numbers.
        case(
            "match ratio of a hundred",
            phase(&|command| command.match_ratio = "100".into()),
            InvalidArgument,
            Nothing,
        ),
        case(
            "negative share",
            award(&|command| command.own_share = "-1".into()),
            InvalidArgument,
            Nothing,
        ),
        case(
            "page over the limit",
            Probe::SmeBalances(proto::ListSmeBalancesRequest {
                page_size: 1_000_000,
                ..proto::ListSmeBalancesRequest::default()
            }),
            InvalidArgument,
            Limit("PAGE_ITEMS_MAX"),
        ),
        case(
            "page token not from a page",
            Probe::SmeBalances(proto::ListSmeBalancesRequest {
                page_token: "../../etc".into(),
                ..proto::ListSmeBalancesRequest::default()
            }),
            InvalidArgument,
            Field("page_token"),
        ),
        // Batches.
        case(
            "batch of 100 000 empty commands",
            Probe::Batch(vec![BatchCommand { command: None }; 100_000]),
            InvalidArgument,
            Limit("BATCH_COMMANDS_MAX"),
        ),
        case(
            "batch of 1 001 commands",
            contribution_batch(1001),
            InvalidArgument,
            Limit("BATCH_COMMANDS_MAX"),
        ),
        case(
            "batch of 100 000 contributions",
            contribution_batch(100_000),
            ResourceExhausted,
            Limit("REQUEST_BYTES_MAX"),
        ),
        case(
            "empty batch",
            Probe::Batch(Vec::new()),
            InvalidArgument,
            Nothing,
        ),
        case(
            "batch with an empty command",
            Probe::Batch(vec![BatchCommand { command: None }]),
            InvalidArgument,
            Field("commands[0]"),
        ),
    ]
}

#[tokio::test]
async fn every_bad_input_gets_its_precise_status_and_writes_nothing() {
    let mut server = TestServer::start().await;
    let programme = programme(&mut server).await;
    let contribution = contribute(&mut server, &programme, "1000000").await;
    let before = log_state(&mut server).await;
    let mut failures = Vec::new();
    for Case {
        name,
        probe,
        code,
        names,
    } in cases(&programme, &contribution)
    {
        let status = match send(&mut server, probe).await {
            Ok(()) => {
                failures.push(format!("{name}: accepted"));
                continue;
            }
            Err(status) => status,
        };
        if let Some(problem) = check(&status, code, names) {
            failures.push(format!("{name}: {problem}"));
        }
        if status.message().len() > STATUS_MESSAGE_BYTES_MAX + '…'.len_utf8() {
            failures.push(format!(
                "{name}: a message of {} bytes",
                status.message().len()
            ));
        }
        let after = log_state(&mut server).await;
        assert_eq!(after, before, "{name} changed the log");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    server.stop().await;
}

/// What is wrong with a refusal, if anything.
fn check(status: &Status, code: Code, names: Names) -> Option<String> {
    if status.code() != code {
        return Some(format!(
            "expected {code:?}, got {:?}: {}",
            status.code(),
            status.message()
        ));
    }
    let details = status.get_error_details();
    match names {
        Names::Nothing => None,
        Names::Field(field) => {
            let fields: Vec<&str> = details
                .bad_request()
                .map(|request| {
                    request
                        .field_violations
                        .iter()
                        .map(|violation| violation.field.as_str())
                        .collect()
                })
                .unwrap_or_default();
            (!fields.contains(&field)).then(|| {
                format!(
                    "expected field {field}, got {fields:?}: {}",
                    status.message()
                )
            })
        }
        Names::Limit(limit) => {
            let named = details
                .error_info()
                .and_then(|info| info.metadata.get("limit").cloned());
            let in_message = status.message().contains(limit);
            (named.as_deref() != Some(limit) || !in_message).then(|| {
                format!(
                    "expected limit {limit}, got {named:?}: {}",
                    status.message()
                )
            })
        }
        Names::Reason(reason) => {
            let got = details.error_info().map(|info| info.reason.clone());
            (got.as_deref() != Some(reason)).then(|| {
                format!(
                    "expected reason {reason}, got {got:?}: {}",
                    status.message()
                )
            })
        }
    }
}
