//! The self-verifying export on the generated programme loaded through the ledger:
//! export → verify round trip, and any flipped byte fails naming what is wrong; an export
//! from a running server whose manifest the server signs, so that a file changed
//! together with its digest fails on the manifest signature; the spreadsheet layout of
//! format v4 and its journal; and an export an earlier build wrote (format v3, kept in
//! tests/fixtures) that still verifies as it was written.

mod common;

use std::path::Path;

use common::{contribute, programme, Engine, Setup, TestServer};
use matchledger::api::server::ServerConfig;
use matchledger::verifiable::export::Manifest;

use matchledger::cli::signing_key;
use matchledger::cli::verifiable::export::{export, ExportArgs};
use matchledger::generator::{generate, ProgrammeConfig};
use matchledger::ledger::{Ledger, Submission};
use matchledger::limits::BATCH_COMMANDS_MAX;
use matchledger::verifiable::export::{
    verify_export, ExportFormat, BALANCES_FILE, EVENTS_FILE, JOURNAL_FILE, MANIFEST_FILE, SMES_FILE,
};

/// Loads the realistic programme, one submission per run of commands on the same date.
async fn load_programme(dir: &Path) -> u64 {
    let ledger = Ledger::open(dir).expect("open");
    let commands = generate(&ProgrammeConfig::default());
    let mut start = 0;
    while start < commands.len() {
        let first = &commands[start];
        let end = commands[start..]
            .iter()
            .position(|c| c.effective_date != first.effective_date)
            .map_or(commands.len(), |offset| start + offset)
            .min(start + BATCH_COMMANDS_MAX);
        let batch = commands[start..end]
            .iter()
            .map(|c| c.command.clone())
            .collect();
        ledger
            .submit(Submission::new(batch, first.context("generator")))
            .await
            .expect("accepted");
        start = end;
    }
    let size = ledger.store().tree_size();
    ledger.shutdown().await;
    size
}

fn flip(path: &Path, at: usize) -> Vec<u8> {
    let original = std::fs::read(path).unwrap();
    let mut changed = original.clone();
    let at = at.min(changed.len() - 1);
    changed[at] ^= 0x01;
    std::fs::write(path, changed).unwrap();
    original
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_exported_generated_programme_verifies_and_any_flipped_byte_fails() {
    let data = tempfile::TempDir::new().unwrap();
    let out = tempfile::TempDir::new().unwrap();
    let size = load_programme(data.path()).await;
    assert!(size > 10_000);
    let key = signing_key::load_or_create(data.path(), None, "ledger.example/export").unwrap();
    export(
        "unused",
        ExportArgs {
            out: out.path().to_path_buf(),
            data_dir: Some(data.path().to_path_buf()),
            signing_key: None,
            public_key: None,
        },
    )
    .await
    .expect("export");

    let summary = verify_export(out.path(), &key.verifier_key(), |_| {}).expect("verifies");
    assert_eq!(summary.events, size);
    assert_eq!(summary.checkpoint.size, size);
    assert!(summary.phases >= 1);

    let other =
        matchledger::audit::SigningKey::from_seed("ledger.example/export", [3; 32]).unwrap();
    assert!(verify_export(out.path(), &other.verifier_key(), |_| {}).is_err());

    for name in [
        EVENTS_FILE,
        BALANCES_FILE,
        SMES_FILE,
        JOURNAL_FILE,
        MANIFEST_FILE,
    ] {
        let path = out.path().join(name);
        let length = std::fs::metadata(&path).unwrap().len() as usize;
        // Each check replays the whole programme: two places per file keep the test short.
        for at in [length / 3, length - 2] {
            let original = flip(&path, at);
            let problems = verify_export(out.path(), &key.verifier_key(), |_| {})
                .expect_err("a flipped byte must fail");
            assert!(
                problems
                    .iter()
                    .any(|p| p.contains(name) || p.contains(MANIFEST_FILE)),
                "{name} byte {at}: {problems:?}"
            );
            std::fs::write(&path, original).unwrap();
        }
    }
    verify_export(out.path(), &key.verifier_key(), |_| {}).expect("restored");
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Replaces `from` by `to` in the file `name` and puts the new digest in the manifest, as
/// someone would who wants the file digests to keep matching.
fn rewrite_consistently(dir: &Path, name: &str, from: &str, to: &str) {
    let path = dir.join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{name} holds {from}");
    let changed = text.replacen(from, to, 1);
    std::fs::write(&path, &changed).unwrap();
    let manifest_path = dir.join(MANIFEST_FILE);
    let mut manifest: Manifest =
        serde_json::from_slice(&std::fs::read(&manifest_path).unwrap()).unwrap();
    manifest
        .files
        .insert(name.to_string(), sha256_hex(changed.as_bytes()));
    std::fs::write(&manifest_path, manifest.to_text().unwrap()).unwrap();
}

async fn given_a_server_export_when_a_file_and_its_digest_change_together_then_the_manifest_signature_fails(
    engine: Engine,
) {
    let key = matchledger::audit::SigningKey::from_seed("ledger.example/export", [4; 32]).unwrap();
    let mut server = TestServer::start_on_with(
        engine,
        Setup {
            config: ServerConfig {
                signing_key: Some(key.clone()),
                ..ServerConfig::default()
            },
            client_tls: None,
        },
    )
    .await;
    let programme = programme(&mut server).await;
    contribute(&mut server, &programme, "3000000").await;
    let out = common::export::export_from_server(&server.address, key.verifier_key()).await;
    let summary = verify_export(out.path(), &key.verifier_key(), |_| {}).expect("verifies");
    assert!(summary.manifest_signed);

    for (name, from, to) in [
        (BALANCES_FILE, ",3000000,", ",3000001,"),
        (EVENTS_FILE, "Sponsor Steel", "Sponsor Steal"),
    ] {
        let original = std::fs::read(out.path().join(name)).unwrap();
        let manifest = std::fs::read(out.path().join(MANIFEST_FILE)).unwrap();
        rewrite_consistently(out.path(), name, from, to);
        let problems = verify_export(out.path(), &key.verifier_key(), |_| {})
            .expect_err("a changed file with a matching digest must fail");
        assert!(
            problems
                .iter()
                .any(|p| p.contains(MANIFEST_FILE) && p.contains("manifest signature")),
            "{name}: {problems:?}"
        );
        assert!(
            !problems.iter().any(|p| p.contains("SHA-256 differs")),
            "the digests were made to match: {problems:?}"
        );
        std::fs::write(out.path().join(name), original).unwrap();
        std::fs::write(out.path().join(MANIFEST_FILE), manifest).unwrap();
    }
    verify_export(out.path(), &key.verifier_key(), |_| {}).expect("restored");
    server.stop().await;
}

on_both_engines!(
    given_a_server_export_when_a_file_and_its_digest_change_together_then_the_manifest_signature_fails,
);
/// Rewrites `name` in the export in `dir` with `edit`, its digest, the manifest's format,
/// and the manifest's signature by `key`, as an export of that format would have been.
fn rewrite_as_format(
    dir: &Path,
    key: &matchledger::audit::SigningKey,
    format: &str,
    name: &str,
    edit: impl Fn(&str) -> String,
) {
    let text = std::fs::read_to_string(dir.join(name)).unwrap();
    let changed = edit(&text);
    std::fs::write(dir.join(name), &changed).unwrap();
    let manifest_path = dir.join(MANIFEST_FILE);
    let mut manifest: Manifest =
        serde_json::from_slice(&std::fs::read(&manifest_path).unwrap()).unwrap();
    manifest
        .files
        .insert(name.to_string(), sha256_hex(changed.as_bytes()));
    manifest.format = format.to_string();
    manifest.sign(key).unwrap();
    std::fs::write(&manifest_path, manifest.to_text().unwrap()).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn formula_like_names_are_neutralised_in_the_csv() {
    use matchledger::api::proto;
    use matchledger::verifiable::export::EXPORT_FORMAT;

    let key = matchledger::audit::SigningKey::from_seed("ledger.example/csv", [5; 32]).unwrap();
    let mut server = TestServer::start_with(Setup {
        config: ServerConfig {
            signing_key: Some(key.clone()),
            ..ServerConfig::default()
        },
        client_tls: None,
    })
    .await;
    let formula = "=HYPERLINK(\"http://attacker.example\",\"open\")";
    server
        .posting
        .open_phase(proto::OpenPhaseRequest {
            options: common::options(),
            command: Some(proto::OpenPhase {
                phase_id: String::new(),
                name: formula.into(),
                currency: "KRW".into(),
                starts_on: "2024-01-01".into(),
                ends_on: "2028-12-31".into(),
                match_ratio: "1".into(),
                support_types: Vec::new(),
            }),
        })
        .await
        .expect("a name is a name");
    let out = common::export::export_from_server(&server.address, key.verifier_key()).await;
    server.stop().await;

    // The CSV shows the name as text; the events keep it as it was posted.
    let balances = std::fs::read_to_string(out.path().join(BALANCES_FILE)).unwrap();
    assert!(
        balances.contains("\"'=HYPERLINK(\"\"http://attacker.example\"\""),
        "{balances}"
    );
    let events = std::fs::read_to_string(out.path().join(EVENTS_FILE)).unwrap();
    assert!(events.contains("\"name\":\"=HYPERLINK("), "{events}");
    let summary = verify_export(out.path(), &key.verifier_key(), |_| {}).expect("verifies");
    assert!(summary.manifest_signed);

    // An export whose CSV lost the guard fails.
    let plain = |text: &str| text.replace("\"'=", "\"=");
    rewrite_as_format(out.path(), &key, EXPORT_FORMAT, BALANCES_FILE, plain);
    let problems = verify_export(out.path(), &key.verifier_key(), |_| {})
        .expect_err("an unguarded formula in the CSV fails");
    assert!(
        problems.iter().any(|p| p.contains(BALANCES_FILE)),
        "{problems:?}"
    );
}

/// The byte-order mark that makes a spreadsheet read the CSV files as UTF-8.
const BOM: &str = "\u{feff}";

/// The rows of a CSV text after its header, split into fields (no field of these
/// tests holds a comma).
fn rows(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .skip(1)
        .map(|line| {
            line.split(',')
                .map(|field| field.trim_matches('"').to_string())
                .collect()
        })
        .collect()
}

/// The index of `name` in the header of `text`.
fn column(text: &str, name: &str) -> usize {
    let header = text.lines().next().unwrap().trim_start_matches(BOM);
    header
        .split(',')
        .position(|field| field == name)
        .unwrap_or_else(|| panic!("no {name} in {header}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_export_opens_in_a_spreadsheet_and_its_journal_balances_every_voucher() {
    use rust_decimal::Decimal;
    use std::collections::BTreeMap;

    let key = matchledger::audit::SigningKey::from_seed("ledger.example/v4", [6; 32]).unwrap();
    let mut server = TestServer::start_with(Setup {
        config: ServerConfig {
            signing_key: Some(key.clone()),
            ..ServerConfig::default()
        },
        client_tls: None,
    })
    .await;
    let programme = programme(&mut server).await;
    let contribution = contribute(&mut server, &programme, "30000000").await;
    common::record_match(&mut server, &programme, &contribution, "30000000")
        .await
        .expect("matched");
    let grant = common::award_type2(&mut server, &programme, 20_000_000)
        .await
        .expect("awarded");
    common::disburse(&mut server, &grant, "8000000")
        .await
        .expect("disbursed");
    let out = common::export::export_from_server(&server.address, key.verifier_key()).await;
    server.stop().await;
    let summary = verify_export(out.path(), &key.verifier_key(), |_| {}).expect("verifies");
    assert_eq!(summary.format, ExportFormat::V4);

    let read = |name: &str| std::fs::read_to_string(out.path().join(name)).unwrap();
    let (balances, smes, journal) = (read(BALANCES_FILE), read(SMES_FILE), read(JOURNAL_FILE));
    for (name, text) in [
        (BALANCES_FILE, &balances),
        (SMES_FILE, &smes),
        (JOURNAL_FILE, &journal),
    ] {
        assert!(text.starts_with(BOM), "{name} has no byte-order mark");
    }
    // SMEs show the dashed registration number and the phase's name beside its id.
    let sme = &rows(&smes)[0];
    assert_eq!(sme[column(&smes, "brn")], "124-81-00998");
    assert_eq!(sme[column(&smes, "phase")], programme.phase);
    assert_eq!(
        sme[column(&smes, "phase_name")],
        "Win-win smart factory 2024"
    );

    // Every voucher (one sequence number) balances, and the contribution is a debit of
    // cash and a credit of the sponsor fund dated on its business date.
    let (sequence, debit, credit) = (
        column(&journal, "sequence"),
        column(&journal, "debit"),
        column(&journal, "credit"),
    );
    let mut vouchers: BTreeMap<u64, Decimal> = BTreeMap::new();
    for row in rows(&journal) {
        let amount: Decimal =
            row[debit].parse::<Decimal>().unwrap() - row[credit].parse::<Decimal>().unwrap();
        *vouchers.entry(row[sequence].parse().unwrap()).or_default() += amount;
        assert_eq!(row[column(&journal, "currency")], "KRW");
        assert_eq!(
            row[column(&journal, "phase_name")],
            "Win-win smart factory 2024"
        );
    }
    assert_eq!(
        vouchers.len(),
        4,
        "contribution, match, award, disbursement: {journal}"
    );
    assert!(vouchers.values().all(Decimal::is_zero), "{vouchers:?}");
    let contribution_rows: Vec<_> = rows(&journal)
        .into_iter()
        .filter(|row| row[column(&journal, "entry")] == contribution)
        .collect();
    assert_eq!(contribution_rows.len(), 2, "{journal}");
    assert_eq!(contribution_rows[0][column(&journal, "account")], "cash");
    assert_eq!(contribution_rows[0][debit], "30000000");
    assert_eq!(
        contribution_rows[1][column(&journal, "account")],
        "sponsor_fund"
    );
    assert_eq!(contribution_rows[1][credit], "30000000");

    // The events read as text: ISO 4217 codes, hex hashes, dashed registration numbers.
    let events = read(EVENTS_FILE);
    assert!(events.contains("\"currency\":\"KRW\""), "{events}");
    assert!(!events.contains("\"Krw\""), "{events}");
    assert!(events.contains("\"brn\":\"124-81-00998\""), "{events}");
    for line in events.lines() {
        let line: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(line["event"]["hash"], line["hash"]);
        assert_eq!(line["event"]["prev_hash"], line["prev_hash"]);
    }

    // A journal row changed, with its digest and the manifest's signature made to match,
    // still fails: the verifier recomputes every posting.
    rewrite_as_format(out.path(), &key, EXPORT_FORMAT_TAG, JOURNAL_FILE, |text| {
        text.replacen(",30000000,0,", ",30000001,0,", 1)
    });
    let problems = verify_export(out.path(), &key.verifier_key(), |_| {})
        .expect_err("a changed posting fails");
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with(JOURNAL_FILE) && p.contains("line 2")),
        "{problems:?}"
    );
}

/// The format tag this build writes.
const EXPORT_FORMAT_TAG: &str = matchledger::verifiable::export::EXPORT_FORMAT;

/// The export an earlier build wrote (format v3), copied to a scratch directory, with its
/// signing key (the fixture was signed by a key made from this seed).
fn stored_v3_export() -> (tempfile::TempDir, matchledger::audit::SigningKey) {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let key = matchledger::audit::SigningKey::from_seed("ledger.example/fixture", [7; 32]).unwrap();
    let stored_key = std::fs::read_to_string(fixtures.join("export-v3.verifier-key")).unwrap();
    assert_eq!(stored_key.trim(), key.verifier_key());
    let copy = tempfile::TempDir::new().unwrap();
    for name in [EVENTS_FILE, BALANCES_FILE, SMES_FILE, MANIFEST_FILE] {
        std::fs::copy(
            fixtures.join("export-v3").join(name),
            copy.path().join(name),
        )
        .unwrap();
    }
    (copy, key)
}

#[test]
fn an_export_written_by_an_earlier_build_in_format_v3_still_verifies() {
    let (dir, key) = stored_v3_export();
    let summary = verify_export(dir.path(), &key.verifier_key(), |_| {}).expect("v3 verifies");
    assert_eq!(summary.format, ExportFormat::V3);
    assert!(summary.manifest_signed);
    assert_eq!(summary.events, 9);
    assert!(!dir.path().join(JOURNAL_FILE).exists());

    // Its CSV is checked in its own layout: a changed figure fails.
    let original = std::fs::read(dir.path().join(SMES_FILE)).unwrap();
    flip(&dir.path().join(SMES_FILE), original.len() - 3);
    let problems =
        verify_export(dir.path(), &key.verifier_key(), |_| {}).expect_err("a flipped byte fails");
    assert!(
        problems.iter().any(|p| p.contains(SMES_FILE)),
        "{problems:?}"
    );
    std::fs::write(dir.path().join(SMES_FILE), original).unwrap();

    // The same files as v2 (plain CSV text; the fixture holds no formula-like name) and
    // as v1 (no manifest signature) verify too.
    rewrite_as_format(
        dir.path(),
        &key,
        matchledger::verifiable::export::EXPORT_FORMAT_V2,
        SMES_FILE,
        str::to_string,
    );
    let summary = verify_export(dir.path(), &key.verifier_key(), |_| {}).expect("v2 verifies");
    assert_eq!(summary.format, ExportFormat::V2);
    let manifest_path = dir.path().join(MANIFEST_FILE);
    let mut manifest: Manifest =
        serde_json::from_slice(&std::fs::read(&manifest_path).unwrap()).unwrap();
    manifest.format = matchledger::verifiable::export::EXPORT_FORMAT_V1.to_string();
    manifest.signed_manifest.clear();
    std::fs::write(&manifest_path, manifest.to_text().unwrap()).unwrap();
    let summary = verify_export(dir.path(), &key.verifier_key(), |_| {}).expect("v1 verifies");
    assert!(!summary.manifest_signed);
}

#[test]
fn an_export_of_a_format_this_build_does_not_know_is_refused_by_name() {
    let (dir, key) = stored_v3_export();
    let manifest_path = dir.path().join(MANIFEST_FILE);
    let mut manifest: Manifest =
        serde_json::from_slice(&std::fs::read(&manifest_path).unwrap()).unwrap();
    manifest.format = "matchledger-export/v99".to_string();
    std::fs::write(&manifest_path, manifest.to_text().unwrap()).unwrap();
    let problems = verify_export(dir.path(), &key.verifier_key(), |_| {})
        .expect_err("an unknown format fails");
    assert!(problems[0].contains("unknown format"), "{problems:?}");
}
