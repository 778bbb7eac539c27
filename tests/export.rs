//! The self-verifying export on the generated programme loaded through the ledger:
//! export → verify round trip, and any flipped byte fails naming what is wrong.

use std::path::Path;

use matchledger::cli::signing_key;
use matchledger::cli::verifiable::export::{export, ExportArgs};
use matchledger::generator::{generate, ProgrammeConfig};
use matchledger::ledger::{Ledger, Submission};
use matchledger::limits::BATCH_COMMANDS_MAX;
use matchledger::verifiable::export::{
    verify_export, BALANCES_FILE, EVENTS_FILE, MANIFEST_FILE, SMES_FILE,
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

    for name in [EVENTS_FILE, BALANCES_FILE, SMES_FILE, MANIFEST_FILE] {
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
