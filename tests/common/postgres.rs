//! Throw-away PostgreSQL clusters for tests: `initdb` in a temporary directory, a
//! postmaster on a free loopback port with `fsync` and `synchronous_commit` on, stopped
//! (and the directory removed) when the cluster is dropped.
//!
//! The binaries are Debian's (`/usr/lib/postgresql/<version>/bin`, the newest found),
//! or those in `$MATCHLEDGER_POSTGRES_BIN`. PostgreSQL refuses to run as root, so as
//! root the cluster runs as the `postgres` user (through `runuser`); as anyone else, as
//! the user running the tests. A machine without PostgreSQL fails the test, naming what to install: a
//! test on PostgreSQL never passes by skipping.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// How long a cluster may take to start or to stop before the test fails.
const START_WAIT: Duration = Duration::from_secs(60);
const STOP_WAIT: Duration = Duration::from_secs(30);
/// How often stopping checks whether the postmaster is gone.
const STOP_POLL: Duration = Duration::from_millis(20);
/// The user the cluster runs as when the tests run as root.
const CLUSTER_USER: &str = "postgres";

/// A running throw-away cluster.
pub struct PostgresCluster {
    bin: PathBuf,
    /// Holds the data directory and the socket; removed on drop, after the stop.
    root: tempfile::TempDir,
    port: u16,
    as_root: bool,
    stopped: bool,
}

impl PostgresCluster {
    /// Creates and starts a cluster; panics, saying why, when PostgreSQL is missing or
    /// does not start.
    pub fn start() -> PostgresCluster {
        let bin = binaries();
        let root = tempfile::tempdir().expect("temp dir for the cluster");
        // SAFETY: geteuid has no preconditions and cannot fail.
        let as_root = unsafe { libc::geteuid() } == 0;
        if as_root {
            give_to_cluster_user(root.path());
        }
        let mut cluster = PostgresCluster {
            bin,
            root,
            port: 0,
            as_root,
            stopped: true,
        };
        cluster.init();
        cluster.launch();
        cluster
    }

    fn data_dir(&self) -> PathBuf {
        self.root.path().join("data")
    }

    /// A command running `program` of the cluster's binaries as the cluster's user.
    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_root {
            let mut command = Command::new("runuser");
            command.arg("-u").arg(CLUSTER_USER).arg("--").arg(path);
            command
        } else {
            Command::new(path)
        }
    }

    fn init(&self) {
        // initdb's own fsyncs are skipped (a crash of the test machine loses the test
        // anyway); the running server keeps fsync on.
        let output = self
            .command("initdb")
            .arg("-D")
            .arg(self.data_dir())
            .args(["-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"])
            .output()
            .expect("run initdb");
        assert!(
            output.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// Starts the postmaster on a free port, trying another port if one was taken
    /// between choosing it and binding it.
    fn launch(&mut self) {
        let mut last_error = String::new();
        for _ in 0..3 {
            self.port = free_port();
            let options = format!(
                "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=on -c synchronous_commit=on \
                 -c max_connections=100",
                self.port,
                self.root.path().display()
            );
            let output = self
                .command("pg_ctl")
                .arg("-D")
                .arg(self.data_dir())
                .arg("-o")
                .arg(options)
                .arg("-l")
                .arg(self.root.path().join("server.log"))
                .args(["-w", "-t", &START_WAIT.as_secs().to_string(), "start"])
                .output()
                .expect("run pg_ctl start");
            if output.status.success() {
                self.stopped = false;
                return;
            }
            last_error = format!(
                "{}{}",
                String::from_utf8_lossy(&output.stderr),
                std::fs::read_to_string(self.root.path().join("server.log")).unwrap_or_default()
            );
        }
        panic!("PostgreSQL did not start: {last_error}");
    }

    /// The URL of `database` on this cluster.
    pub fn url(&self, database: &str) -> String {
        format!("postgresql://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Creates a fresh database and returns its URL.
    pub fn create_database(&self, name: &str) -> String {
        let output = self
            .command("createdb")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                name,
            ])
            .output()
            .expect("run createdb");
        assert!(
            output.status.success(),
            "createdb {name} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        self.url(name)
    }

    /// Runs one SQL statement through `psql` as the superuser and returns its output
    /// (unaligned, tuples only): for tests that look at or damage tables directly.
    pub fn psql(&self, database: &str, sql: &str) -> Result<String, String> {
        let output = self
            .command("psql")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
            ])
            .args(["-d", database, "-At", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .output()
            .expect("run psql");
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
        } else {
            Err(String::from_utf8_lossy(&output.stderr).to_string())
        }
    }

    /// Stops the cluster (fast shutdown), waiting until the postmaster has exited.
    pub fn stop(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        let Some(pid) = self.postmaster_pid() else {
            return;
        };
        // Ask without waiting, then poll the process itself: pg_ctl's own wait can sleep
        // far longer than the shutdown takes.
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data_dir())
            .args(["-m", "fast", "-W", "stop"])
            .output();
        let deadline = Instant::now() + STOP_WAIT;
        while process_exists(pid) {
            if Instant::now() > deadline {
                // SAFETY: kill has no memory preconditions; pid is the postmaster's.
                unsafe { libc::kill(pid, libc::SIGKILL) };
                break;
            }
            std::thread::sleep(STOP_POLL);
        }
    }

    /// The postmaster's process id, from the first line of `postmaster.pid`.
    fn postmaster_pid(&self) -> Option<libc::pid_t> {
        let text = std::fs::read_to_string(self.data_dir().join("postmaster.pid")).ok()?;
        text.lines().next()?.trim().parse().ok()
    }
}

impl Drop for PostgresCluster {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Whether process `pid` still exists (a zombie of ours would, but the postmaster is the
/// child of pg_ctl, not of this process).
fn process_exists(pid: libc::pid_t) -> bool {
    // SAFETY: signal 0 only checks that the process exists and may be signalled.
    unsafe { libc::kill(pid, 0) == 0 }
}

/// The directory of PostgreSQL's server binaries.
fn binaries() -> PathBuf {
    if let Some(dir) = std::env::var_os("MATCHLEDGER_POSTGRES_BIN") {
        return PathBuf::from(dir);
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    match found.pop() {
        Some((_, bin)) => bin,
        None => panic!(
            "PostgreSQL's server binaries were not found under /usr/lib/postgresql/*/bin: \
             install Debian's `postgresql` package (.ci/run does) or set \
             MATCHLEDGER_POSTGRES_BIN; the tests on PostgreSQL do not skip"
        ),
    }
}

/// Hands the cluster's directory to the cluster's user (tests run as root).
fn give_to_cluster_user(dir: &Path) {
    let output = Command::new("chown")
        .arg(CLUSTER_USER)
        .arg(dir)
        .output()
        .expect("run chown");
    assert!(
        output.status.success(),
        "chown {CLUSTER_USER} failed (does the user exist? Debian's postgresql package \
         creates it): {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A loopback port nobody listens on right now.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local address").port()
}
