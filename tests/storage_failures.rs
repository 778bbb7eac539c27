//! A storage failure while the server runs, made the way it happens: the data directory is
//! a small tmpfs that fills up. The writer stops; health says the posting service is
//! NOT_SERVING; every later posting is refused with FAILED_PRECONDITION naming the failure;
//! nothing unacknowledged is served; and once space is freed, a restart takes the retry.
//!
//! Mounting needs root. Where `mount` is refused (or `MATCHLEDGER_TEST_NO_MOUNT` is set),
//! the same test runs against the other way the kernel refuses a write: a file-size limit
//! (`RLIMIT_FSIZE`, as a quota would impose), under which every write past a few bytes
//! fails with EFBIG. The limit is the process's, so this file holds this one test only.

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
        if std::env::var_os("MATCHLEDGER_TEST_NO_MOUNT").is_some() {
            return None;
        }
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
                    "cannot mount a tmpfs ({}); a file-size limit refuses the writes instead",
                    String::from_utf8_lossy(&output.stderr).trim()
                );
                None
            }
            Err(error) => {
                eprintln!(
                    "cannot run mount ({error}); a file-size limit refuses the writes instead"
                );
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

/// Bytes a file may grow to under the file-size limit: less than any write the store makes.
const FILE_BYTES_LIMIT: u64 = 16;

/// How the writes are made to fail.
enum Fault {
    /// A small tmpfs, filled by a filler file.
    Disk(SmallDisk, Option<PathBuf>),
    /// A file-size limit on the whole process, over a plain temporary directory.
    FileSizeLimit(tempfile::TempDir),
}

impl Fault {
    fn prepare() -> Fault {
        match SmallDisk::mount() {
            Some(disk) => Fault::Disk(disk, None),
            None => {
                eprintln!("writes are refused by a file-size limit (RLIMIT_FSIZE)");
                Fault::FileSizeLimit(tempfile::tempdir().expect("temp dir"))
            }
        }
    }

    fn data_dir(&self) -> PathBuf {
        match self {
            Fault::Disk(disk, _) => disk.mount_point.join("data"),
            Fault::FileSizeLimit(temp) => temp.path().join("data"),
        }
    }

    /// From now on, writes fail.
    fn strike(&mut self) {
        match self {
            Fault::Disk(disk, filler) => *filler = Some(disk.fill()),
            Fault::FileSizeLimit(_) => set_file_size_limit(FILE_BYTES_LIMIT),
        }
    }

    /// Writes succeed again.
    fn clear(&mut self) {
        match self {
            Fault::Disk(_, filler) => {
                if let Some(filler) = filler.take() {
                    std::fs::remove_file(filler).expect("filler removed");
                }
            }
            Fault::FileSizeLimit(_) => set_file_size_limit(libc::RLIM_INFINITY),
        }
    }
}

/// Sets the soft limit on the size of files this process writes; a write past it fails
/// with EFBIG (SIGXFSZ, which would kill the process, is ignored).
fn set_file_size_limit(bytes: libc::rlim_t) {
    // Plain system calls on values owned here; no memory is shared with them.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        assert_eq!(libc::getrlimit(libc::RLIMIT_FSIZE, &mut limit), 0);
        limit.rlim_cur = bytes.min(limit.rlim_max);
        assert_eq!(libc::setrlimit(libc::RLIMIT_FSIZE, &limit), 0);
    }
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
    // Given a server writing to a small disk.
    let mut fault = Fault::prepare();
    let dir = fault.data_dir();
    let mut server = TestServer::start_in(&dir).await;
    let programme = programme(&mut server).await;
    contribute(&mut server, &programme, "100000000").await;
    assert_eq!(
        posting_health(&server.address).await,
        ServingStatus::Serving
    );
    let head_before = head(&mut server).await;

    // When the disk fills up.
    fault.strike();
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
    fault.clear();
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
    drop(fault);
}
