//! A storage failure while the server runs, made the way it happens: the data directory is
//! a small tmpfs that fills up. The writer stops; health says the posting service is
//! NOT_SERVING; every later posting is refused with FAILED_PRECONDITION naming the failure;
//! nothing unacknowledged is served; and once space is freed, a restart takes the retry.
//!
//! Mounting needs root (as in CI's container). Where `mount` is refused, the test says so
//! on stderr and stops: the same behaviour is proved in-process by the ledger's own test
//! of a failing sync (`ledger::tests`), through the store's failure seam.

mod common;

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;

use common::*;
use matchledger::api::proto;
use tonic::Code;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_types::StatusExt;

/// The tmpfs size: room for the server's files and a few postings, small enough to fill
/// in a moment.
const TMPFS_BYTES: u64 = 32 * 1024 * 1024;

/// A tmpfs mounted on a fresh directory, unmounted when dropped.
struct SmallDisk {
    mount_point: PathBuf,
    _parent: tempfile::TempDir,
}

impl SmallDisk {
    /// Mounts a tmpfs of `TMPFS_BYTES`, or `None` where mounting is not permitted.
    fn mount() -> Option<SmallDisk> {
        let parent = tempfile::tempdir().expect("temp dir");
        let mount_point = parent.path().join("disk");
        std::fs::create_dir(&mount_point).expect("mount point");
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o"])
            .arg(format!("size={TMPFS_BYTES}"))
            .arg("tmpfs")
            .arg(&mount_point)
            .output();
        match mounted {
            Ok(output) if output.status.success() => Some(SmallDisk {
                mount_point,
                _parent: parent,
            }),
            Ok(output) => {
                eprintln!(
                    "SKIPPED: cannot mount a tmpfs ({}); the failing sync is covered by \
                     ledger::tests",
                    String::from_utf8_lossy(&output.stderr).trim()
                );
                None
            }
            Err(error) => {
                eprintln!("SKIPPED: cannot run mount ({error})");
                None
            }
        }
    }

    /// Writes a filler file until the disk is full; returns its path.
    fn fill(&self) -> PathBuf {
        let path = self.mount_point.join("filler");
        let mut file = std::fs::File::create(&path).expect("filler");
        let chunk = vec![0xA5u8; 64 * 1024];
        loop {
            match file.write_all(&chunk) {
                Ok(()) => {}
                Err(error) if error.raw_os_error() == Some(libc::ENOSPC) => break,
                Err(error) => panic!("filling the disk failed otherwise: {error}"),
            }
        }
        // Whatever is left is smaller than a chunk: fill it byte by byte in small writes.
        let small = vec![0x5Au8; 512];
        while file.write_all(&small).is_ok() {}
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.mount_point).output();
    }
}

/// A contribution posting under `key`.
fn contribution(programme: &Programme, key: &str) -> proto::RecordContributionRequest {
    proto::RecordContributionRequest {
        options: options_with_key(key),
        command: Some(proto::RecordContribution {
            contribution_id: String::new(),
            phase_id: programme.phase.clone(),
            contributor_id: programme.contributor.clone(),
            amount: krw("1000000"),
        }),
    }
}

/// Posts until one posting fails; returns how many were acknowledged and the failure.
async fn post_until_refused(
    server: &mut TestServer,
    programme: &Programme,
) -> (u64, String, tonic::Status) {
    for attempt in 0..10_000u64 {
        let key = format!("fill-{attempt}");
        match server
            .posting
            .record_contribution(contribution(programme, &key))
            .await
        {
            Ok(_) => {}
            Err(status) => return (attempt, key, status),
        }
    }
    panic!("a full disk never refused a posting");
}

fn data_dir(disk: &SmallDisk) -> PathBuf {
    disk.mount_point.join("data")
}

async fn assert_refused_naming_the_failure(server: &mut TestServer, programme: &Programme) {
    let refused = server
        .posting
        .record_contribution(contribution(programme, "after-the-failure"))
        .await
        .expect_err("no posting is taken after a storage failure");
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    assert!(
        refused.message().contains("storage failure"),
        "{}",
        refused.message()
    );
    let info = refused.get_details_error_info().expect("error info");
    assert_eq!(info.reason, "WRITER_STOPPED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_stops_the_writer_flips_health_and_every_posting_names_the_failure() {
    let Some(disk) = SmallDisk::mount() else {
        return;
    };
    // Given a server writing to a small disk.
    let dir = data_dir(&disk);
    let mut server = TestServer::start_in(&dir).await;
    let programme = programme(&mut server).await;
    contribute(&mut server, &programme, "100000000").await;
    assert_eq!(
        posting_health(&server.address).await,
        ServingStatus::Serving
    );
    let head_before = head(&mut server).await;

    // When the disk fills up.
    let filler = disk.fill();
    let (acknowledged, failed_key, failure) = post_until_refused(&mut server, &programme).await;

    // Then the posting caught by the failure is not acknowledged, and says so.
    assert!(
        matches!(failure.code(), Code::Unavailable | Code::FailedPrecondition),
        "{failure:?}"
    );
    assert!(
        failure.message().contains("storage failure"),
        "{}",
        failure.message()
    );
    // And health follows, and every later posting names the failure.
    assert_eq!(
        posting_health(&server.address).await,
        ServingStatus::NotServing
    );
    assert_refused_naming_the_failure(&mut server, &programme).await;
    // And reads still answer, with only acknowledged events.
    assert_eq!(head(&mut server).await, head_before + acknowledged);
    server.stop().await;

    // When space is freed and the server restarts, it takes postings again, and the
    // retry of the failed posting is posted once.
    std::fs::remove_file(&filler).expect("filler removed");
    let mut server = TestServer::start_in(&dir).await;
    assert_eq!(
        posting_health(&server.address).await,
        ServingStatus::Serving
    );
    let restarted_head = head(&mut server).await;
    assert!(
        restarted_head == head_before + acknowledged
            || restarted_head == head_before + acknowledged + 1,
        "only acknowledged events and perhaps the one in flight survive: {restarted_head}"
    );
    let retried = server
        .posting
        .record_contribution(contribution(&programme, &failed_key))
        .await
        .expect("the retry is taken")
        .into_inner();
    assert_eq!(head(&mut server).await, head_before + acknowledged + 1);
    assert_eq!(retried.events.len(), 1);
    server.stop().await;
    drop(disk);
}
