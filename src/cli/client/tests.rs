//! Parsing the command line and mapping it to requests, without a server.

use std::io::Write;

use clap::{CommandFactory, Parser, Subcommand};

use super::args::AsOfPoint;
use super::posting::PostingCommand;
use super::posting_request::PostingBody;
use super::query::{BalanceCommand, QueryCommand, SmeOrderArg};
use super::ClientCommand;
use crate::api::convert::single_command;
use crate::api::proto;
use crate::api::proto::batch_command::Command as ProtoCommand;
use crate::domain::{Command, Currency, Money};

const PHASE: &str = "0190c3e0-0000-7000-8000-000000000001";
const CONTRIBUTOR: &str = "0190c3e0-0000-7000-8000-000000000002";
const SME: &str = "0190c3e0-0000-7000-8000-000000000003";

/// The binary's shape: a global `--json` and the client commands beside others.
#[derive(Debug, Parser)]
struct Cli {
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Top,
}

#[derive(Debug, Subcommand)]
enum Top {
    /// Stands for the server command of the binary.
    Serve,
    /// Boxed, as the binary may do, because a client command is large.
    #[command(flatten)]
    Client(Box<ClientCommand>),
}

fn parse(line: &str) -> ClientCommand {
    let words = std::iter::once("matchledger").chain(line.split_whitespace());
    match Cli::try_parse_from(words) {
        Ok(Cli {
            command: Top::Client(command),
            ..
        }) => *command,
        Ok(other) => panic!("{line:?} parsed as {other:?}"),
        Err(error) => panic!("{line:?} refused: {error}"),
    }
}

fn refused(line: &str) -> bool {
    Cli::try_parse_from(std::iter::once("matchledger").chain(line.split_whitespace())).is_err()
}

fn posting(line: &str) -> PostingCommand {
    match parse(line) {
        ClientCommand::Posting(posting) => posting,
        other => panic!("{line:?} is not a posting: {other:?}"),
    }
}

fn single(line: &str, key: &str) -> (proto::PostingOptions, ProtoCommand) {
    let request = posting(line).to_request(key).unwrap();
    match request.body {
        PostingBody::Single(command) => (request.options, command),
        PostingBody::Batch(_) => panic!("{line:?} became a batch"),
    }
}

#[test]
fn the_grammar_is_consistent() {
    Cli::command().debug_assert();
}

#[test]
fn contribute_keeps_the_exact_amount_and_defaults_to_krw() {
    // Given a contribution with every posting option.
    let line = format!(
        "contribute --phase {PHASE} --contributor {CONTRIBUTOR} --amount 1500000.00 \
         --key k-1 --effective-date 2024-03-31 --ref T-9 --meta voucher=V-1 --meta desk=7"
    );
    // When it becomes a request.
    let (options, command) = single(&line, "k-1");
    // Then the amount is the text as written, in KRW, and the options are all carried.
    let ProtoCommand::RecordContribution(contribution) = &command else {
        panic!("{command:?}");
    };
    assert_eq!(contribution.phase_id, PHASE);
    assert_eq!(contribution.contribution_id, "");
    let amount = contribution.amount.as_ref().unwrap();
    assert_eq!(
        (amount.amount.as_str(), amount.currency.as_str()),
        ("1500000.00", "KRW")
    );
    assert_eq!(options.idempotency_key, "k-1");
    assert_eq!(options.effective_date, "2024-03-31");
    assert_eq!(options.external_ref, "T-9");
    let pairs: Vec<_> = options
        .metadata
        .iter()
        .map(|m| (m.key.as_str(), m.value.as_str()))
        .collect();
    assert_eq!(pairs, [("voucher", "V-1"), ("desk", "7")]);
    // And the server's conversion accepts it as the domain command it means.
    let Command::RecordContribution { amount, .. } = single_command("command", &command).unwrap()
    else {
        panic!("not a contribution");
    };
    assert_eq!(amount, Money::parse("1500000", Currency::Krw).unwrap());
}

#[test]
fn award_maps_every_share_and_is_accepted_by_the_server_conversion() {
    let line = format!(
        "award --phase {PHASE} --sme {SME} --purpose smart-factory --support-type type2-basic \
         --cost 20000000 --government 10000000 --sponsor 10000000 --own 0"
    );
    let (_, command) = single(&line, "k");
    let ProtoCommand::AwardGrant(award) = &command else {
        panic!("{command:?}");
    };
    assert_eq!(award.purpose, proto::Purpose::SmartFactory as i32);
    assert_eq!(award.government_share, "10000000");
    assert_eq!(award.own_share, "0");
    assert!(matches!(
        single_command("command", &command),
        Ok(Command::AwardGrant { .. })
    ));
}

#[test]
fn phase_open_defaults_to_the_four_2022_support_types() {
    let line = "phase open --name P2 --starts-on 2018-09-01 --ends-on 2023-08-31 --match-ratio 1";
    let (_, command) = single(line, "k");
    let ProtoCommand::OpenPhase(open) = &command else {
        panic!("{command:?}");
    };
    assert_eq!(open.currency, "KRW");
    assert_eq!(open.phase_id, "");
    let codes: Vec<_> = open.support_types.iter().map(|t| t.code.as_str()).collect();
    assert_eq!(
        codes,
        [
            "type1-basic",
            "type1-advanced1",
            "type1-advanced2",
            "type2-basic"
        ]
    );
    assert!(matches!(
        single_command("command", &command),
        Ok(Command::OpenPhase { .. })
    ));

    let (_, command) = single(&format!("{line} --support-types none --currency usd"), "k");
    let ProtoCommand::OpenPhase(open) = command else {
        panic!("not an OpenPhase");
    };
    assert!(open.support_types.is_empty());
    assert_eq!(open.currency, "USD");
}

#[test]
fn registrations_and_positional_ids_parse() {
    let (_, command) = single(
        &format!("sme register --brn 124-81-00998 --name Hanbit --supplier --channel institution-proposal --size small --id {SME}"),
        "k",
    );
    let ProtoCommand::RegisterSme(sme) = command else {
        panic!("not an SME registration");
    };
    assert_eq!(sme.sme_id, SME);
    assert!(sme.supplier);
    assert_eq!(
        sme.channel,
        proto::ApplicationChannel::InstitutionProposal as i32
    );
    assert_eq!(sme.size, proto::SizeClass::Small as i32);

    let (_, command) = single(&format!("phase close {PHASE}"), "k");
    assert!(matches!(command, ProtoCommand::ClosePhase(c) if c.phase_id == PHASE));
    let (_, command) = single(&format!("reverse {PHASE} --reason duplicate"), "k");
    assert!(matches!(command, ProtoCommand::ReverseEntry(c) if c.reason == "duplicate"));
    let (_, command) = single("agency register --name SMEfund", "k");
    assert!(matches!(command, ProtoCommand::RegisterAgency(c) if c.agency_id.is_empty()));
}

#[test]
fn floats_bad_ids_and_bad_dates_are_refused_before_sending() {
    let base = format!("contribute --phase {PHASE} --contributor {CONTRIBUTOR}");
    assert!(refused(&format!("{base} --amount 1e6")));
    assert!(refused(&format!("{base} --amount 1,000")));
    assert!(refused(&format!("{base} --amount 5 --currency XYZ")));
    assert!(refused(&format!(
        "{base} --amount 5 --effective-date 2024-02-30"
    )));
    assert!(refused(&format!("{base} --amount 5 --meta novalue")));
    assert!(refused(&format!(
        "contribute --phase nope --contributor {CONTRIBUTOR} --amount 5"
    )));
    assert!(refused(
        "sme register --brn 1 --name n --channel portal --size small"
    ));
}

#[test]
fn an_omitted_key_becomes_a_fresh_uuid_v7() {
    let command = posting("agency register --name A");
    assert_eq!(command.flags().key, None);
    let key = command.flags().key_or_fresh();
    let uuid = uuid::Uuid::parse_str(&key).unwrap();
    assert_eq!(uuid.get_version_num(), 7);
    assert_ne!(key, command.flags().key_or_fresh());
}

#[test]
fn balance_queries_parse_with_as_of() {
    let ClientCommand::Query(QueryCommand::Balance(BalanceCommand::Phase(all))) =
        parse("balance phase --as-of 1200")
    else {
        panic!("not balance phase");
    };
    assert_eq!(all.phase, None);
    assert_eq!(all.as_of.as_of, Some(AsOfPoint::Sequence(1200)));

    let ClientCommand::Query(QueryCommand::Balance(BalanceCommand::Smes(smes))) = parse(&format!(
        "balance smes --phase {PHASE} --order awarded --page-size 50 --json"
    )) else {
        panic!("not balance smes");
    };
    assert_eq!(smes.order, SmeOrderArg::Awarded);
    assert_eq!(smes.page_size, Some(50));

    let ClientCommand::Query(QueryCommand::Balance(BalanceCommand::Sme(sme))) =
        parse(&format!("balance sme {SME} --as-of 2024-03-31T23:59:59Z"))
    else {
        panic!("not balance sme");
    };
    assert!(matches!(sme.as_of.as_of, Some(AsOfPoint::Time(_))));
    assert!(refused(&format!("balance sme {SME} --as-of yesterday")));
}

#[test]
fn other_queries_parse() {
    assert!(matches!(
        parse(&format!("match-status {CONTRIBUTOR}")),
        ClientCommand::Query(QueryCommand::MatchStatus(_))
    ));
    assert!(matches!(
        parse(&format!("open-contributions {PHASE} --as-of 5")),
        ClientCommand::Query(QueryCommand::OpenContributions(_))
    ));
    assert!(matches!(
        parse(&format!("report {PHASE}")),
        ClientCommand::Query(QueryCommand::Report(_))
    ));
    assert!(matches!(
        parse("trial-balance"),
        ClientCommand::Query(QueryCommand::TrialBalance(_))
    ));
    assert!(matches!(
        parse("reference T-2024-0001"),
        ClientCommand::Query(QueryCommand::Reference(r)) if r.reference == "T-2024-0001"
    ));
}

#[test]
fn events_builds_its_filter_from_repeated_kinds() {
    let ClientCommand::Events(events) = parse(&format!(
        "events --from 10 --follow --kind grant-awarded --kind refund-recorded --sme {SME}"
    )) else {
        panic!("not events");
    };
    assert!(events.follow);
    assert_eq!(events.from, 10);
    let filter = events.filter();
    assert_eq!(
        filter.kinds,
        [
            proto::EventKind::GrantAwarded as i32,
            proto::EventKind::RefundRecorded as i32
        ]
    );
    assert_eq!(filter.sme_id, SME);
    assert_eq!(filter.phase_id, "");

    let ClientCommand::Events(defaults) = parse("events") else {
        panic!("not events");
    };
    assert_eq!(
        (defaults.from, defaults.limit, defaults.follow),
        (1, None, false)
    );
    assert_eq!(defaults.filter(), proto::EventFilter::default());
}

#[test]
fn batch_reads_its_file_into_one_atomic_request() {
    // Given a file with two commands and a blank line.
    let mut file = tempfile::NamedTempFile::new().unwrap();
    writeln!(file, r#"{{"register_agency": {{"name": "SME fund"}}}}"#).unwrap();
    writeln!(file).unwrap();
    writeln!(
        file,
        r#"{{"record_pledge": {{"phase_id": "{PHASE}", "contributor_id": "{CONTRIBUTOR}", "amount": "20000000000"}}}}"#
    )
    .unwrap();
    // When the batch command becomes a request.
    let line = format!("batch {} --key b-1", file.path().display());
    let request = posting(&line).to_request("b-1").unwrap();
    // Then it is one batch of both commands under the one key.
    assert_eq!(request.options.idempotency_key, "b-1");
    let PostingBody::Batch(commands) = request.body else {
        panic!("not a batch");
    };
    assert_eq!(commands.len(), 2);
    assert!(matches!(
        commands[1].command,
        Some(ProtoCommand::RecordPledge(ref pledge)) if pledge.amount.as_ref().unwrap().amount == "20000000000"
    ));
}

#[test]
fn a_missing_batch_file_is_an_error_not_a_panic() {
    let command = posting("batch /nonexistent/matchledger-batch.jsonl");
    let error = command.to_request("k").unwrap_err().to_string();
    assert!(error.contains("cannot read the batch file"), "{error}");
}

#[test]
fn sme_page_shows_totals_and_the_token_for_the_next_page() {
    use super::query_view::smes;
    let response = proto::ListSmeBalancesResponse {
        answered_at_sequence: 9,
        smes: vec![proto::SmeBalances {
            sme_id: SME.into(),
            business_registration_number: "1248100998".into(),
            name: "한빛정밀".into(),
            supplier: false,
            channel: proto::ApplicationChannel::SponsorPortal as i32,
            size: proto::SizeClass::Small as i32,
            totals: vec![proto::SmeFigures {
                currency: "KRW".into(),
                awarded: "20000000".into(),
                disbursed: "10000000".into(),
                outstanding: "10000000".into(),
                projects: 1,
                ..Default::default()
            }],
            phases: vec![],
        }],
        next_page_token: "tok-2".into(),
        total: 879,
    };
    let view = smes(&response);
    assert!(
        view.text
            .contains("한빛정밀  1248100998  no        KRW  20,000,000"),
        "{}",
        view.text
    );
    assert!(view
        .text
        .contains("879 SMEs in the listing; next page: --page-token tok-2"));
    assert_eq!(view.json["smes"][0]["channel"], "sponsor_portal");
    assert_eq!(view.json["smes"][0]["totals"][0]["awarded"], "20000000");
}

#[test]
fn trial_balance_lists_accounts_then_the_zero_totals() {
    use super::query_view::trial_balance;
    let response = proto::TrialBalanceResponse {
        answered_at_sequence: 3,
        accounts: vec![
            proto::AccountBalance {
                account: "phase/p/cash".into(),
                currency: "KRW".into(),
                balance: "8000000000".into(),
            },
            proto::AccountBalance {
                account: "contributor/c/paid_in".into(),
                currency: "KRW".into(),
                balance: "-8000000000".into(),
            },
        ],
        totals: vec![proto::Money {
            amount: "0".into(),
            currency: "KRW".into(),
        }],
    };
    let view = trial_balance(&response);
    let lines: Vec<&str> = view.text.lines().collect();
    assert_eq!(lines[2], "phase/p/cash           KRW   8,000,000,000");
    assert_eq!(lines[3], "contributor/c/paid_in  KRW  -8,000,000,000");
    assert_eq!(lines[4], "total                  KRW               0");
    assert_eq!(view.json["totals"][0]["amount"], "0");
}

#[test]
fn sponsor_report_shows_each_category_table() {
    use super::query_view::sponsor_report;
    let response = proto::SponsorReportResponse {
        answered_at_sequence: 5,
        phase_id: PHASE.into(),
        currency: "KRW".into(),
        smes_supported: 879,
        projects: 1660,
        non_supplier_smes: 440,
        non_supplier_share: "0.5006".into(),
        by_purpose: vec![proto::CategoryFigures {
            category: "smart_factory".into(),
            projects: 1660,
            awarded: "19700000000".into(),
        }],
        ..Default::default()
    };
    let view = sponsor_report(&response);
    assert!(view.text.contains("non-supplier share  0.5006"));
    assert!(
        view.text
            .contains("smart_factory      1660  19,700,000,000"),
        "{}",
        view.text
    );
    assert_eq!(view.json["by_purpose"][0]["projects"], 1660);
}

#[test]
fn settlement_commands_map_to_the_domain_commands() {
    let cases = [
        (
            format!("settlement rules --phase {PHASE} --rounding-unit 10 --interest-may-be-kept"),
            "SetSettlementRules",
        ),
        (
            format!("settlement interest --phase {PHASE} --amount 123457"),
            "RecordInterest",
        ),
        (
            format!("settlement return-interest --phase {PHASE} --amount 5"),
            "SettleInterest",
        ),
        (
            format!("settlement keep-interest --phase {PHASE} --amount 5"),
            "SettleInterest",
        ),
        (format!("settlement grant {SME}"), "SettleGrant"),
        (
            format!(
                "settlement clawback --grant {SME} --amount 5 --reason late --due-on 2024-06-30"
            ),
            "DecideClawback",
        ),
        (
            format!("settlement collect {SME} --amount 5"),
            "CollectClawback",
        ),
        (format!("settlement pass-on {SME}"), "PassOnClawback"),
    ];
    for (line, name) in cases {
        let (_, command) = single(&line, "k");
        let command = single_command("command", &command).unwrap();
        assert_eq!(command.name(), name, "{line}");
    }
    let (_, keep) = single(
        &format!("settlement keep-interest --phase {PHASE} --amount 5"),
        "k",
    );
    assert!(matches!(
        single_command("command", &keep).unwrap(),
        Command::SettleInterest { keep: true, .. }
    ));
    assert!(refused(&format!(
        "settlement rules --phase {PHASE} --rounding-unit 1e1"
    )));
}

#[test]
fn settlement_batch_lines_become_settlement_commands() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    for line in [
        format!(r#"{{"set_settlement_rules": {{"phase_id": "{PHASE}", "rounding_unit": "10"}}}}"#),
        format!(r#"{{"record_interest": {{"phase_id": "{PHASE}", "amount": "1000"}}}}"#),
        format!(
            r#"{{"settle_interest": {{"phase_id": "{PHASE}", "amount": "1000", "keep": true}}}}"#
        ),
        format!(r#"{{"settle_grant": {{"grant_id": "{SME}"}}}}"#),
        format!(
            r#"{{"decide_clawback": {{"grant_id": "{SME}", "amount": "5", "reason": "late", "due_on": "2024-06-30"}}}}"#
        ),
        format!(r#"{{"collect_clawback": {{"clawback_id": "{SME}", "amount": "5"}}}}"#),
        format!(r#"{{"pass_on_clawback": {{"clawback_id": "{SME}"}}}}"#),
    ] {
        writeln!(file, "{line}").unwrap();
    }
    let line = format!("batch {} --key s-1", file.path().display());
    let PostingBody::Batch(commands) = posting(&line).to_request("s-1").unwrap().body else {
        panic!("not a batch");
    };
    let names: Vec<&str> = commands
        .iter()
        .map(|c| {
            single_command("c", c.command.as_ref().unwrap())
                .unwrap()
                .name()
        })
        .collect();
    assert_eq!(
        names,
        [
            "SetSettlementRules",
            "RecordInterest",
            "SettleInterest",
            "SettleGrant",
            "DecideClawback",
            "CollectClawback",
            "PassOnClawback"
        ]
    );
}

#[test]
fn clawbacks_query_counts_ages_to_the_given_business_date() {
    let ClientCommand::Query(super::query::QueryCommand::Clawbacks(args)) =
        parse(&format!("clawbacks {PHASE} --on 2024-12-09"))
    else {
        panic!("not the clawbacks query");
    };
    let request = args.to_request();
    assert_eq!(request.phase_id, PHASE);
    assert_eq!(request.on, "2024-12-09");
    assert!(refused(&format!("clawbacks {PHASE} --on 2024-13-01")));
}
