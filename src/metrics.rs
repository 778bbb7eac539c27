//! The ledger's Prometheus metrics: one registry per ledger, fed by the writer, the
//! acknowledging stage and the request path, and read by `GET /metrics` on the HTTP
//! listener (`http::metrics`). Every name starts with `matchledger_` and carries its unit.
//!
//! Counters and histograms move as work happens; the gauges that describe the ledger as
//! it is (head sequence, snapshot age, read-only and writer-stopped flags) are set from a
//! [`Readings`] taken when the endpoint is scraped, so they are never stale. Live
//! subscriptions are counted by a [`Subscription`] held for each one's life.
//!
//! `metrics` depends on nothing else of the crate: the ledger and the API hand it plain
//! values (a reason code, a method name, a duration).

use std::sync::atomic::AtomicU64;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::limits::{
    METRICS_LATENCY_BUCKETS, METRICS_LATENCY_BUCKET_FIRST_SECONDS, METRICS_QUERY_METHODS_MAX,
};

/// The media type of the exposition format written by [`Metrics::encode`] (OpenMetrics
/// text, which every Prometheus server since 2.5 scrapes).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The label of a posting outcome.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PostingLabels {
    /// `accepted` or `refused`.
    result: &'static str,
    /// The `ErrorInfo` reason of a refusal; `none` for an accepted posting.
    reason: &'static str,
}

/// The label of a query.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QueryLabels {
    /// The full gRPC method, e.g. `/matchledger.v1.QueryService/GetBalance`.
    method: String,
}

/// The values read from the ledger when the endpoint is scraped.
#[derive(Clone, Copy, Debug, Default)]
pub struct Readings {
    /// The sequence of the last durable event.
    pub head_sequence: u64,
    /// Whether the ledger is read-only because its stored history is damaged.
    pub read_only: bool,
    /// Whether the writer has stopped (storage failure or shutdown).
    pub writer_stopped: bool,
}

/// Every metric of one ledger; shared by reference (`Arc`) wherever it is fed.
pub struct Metrics {
    registry: Registry,
    postings: Family<PostingLabels, Counter>,
    queries: Family<QueryLabels, Counter>,
    group_size: Histogram,
    write_seconds: Histogram,
    fsync_seconds: Histogram,
    acknowledgement_seconds: Histogram,
    head_sequence: Gauge,
    snapshot_age_events: Gauge,
    snapshot_age_seconds: Gauge<f64, AtomicU64>,
    read_only: Gauge,
    writer_stopped: Gauge,
    subscriptions: Gauge,
    /// The sequence of the latest snapshot and when this process loaded or saved it.
    snapshot: Mutex<(u64, Instant)>,
    /// The methods counted under their own label so far, at most
    /// `METRICS_QUERY_METHODS_MAX`: any name a client sends is a path, and an unbounded
    /// label would let one fill the server's memory.
    methods: Mutex<std::collections::BTreeSet<String>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(
        METRICS_LATENCY_BUCKET_FIRST_SECONDS,
        2.0,
        METRICS_LATENCY_BUCKETS,
    ))
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// A registry with every metric at zero.
    pub fn new() -> Metrics {
        let metrics = Metrics {
            registry: Registry::with_prefix("matchledger"),
            postings: Family::default(),
            queries: Family::default(),
            // 1, 2, 4 … 4096 submissions per group commit.
            group_size: Histogram::new(exponential_buckets(1.0, 2.0, 13)),
            write_seconds: latency_histogram(),
            fsync_seconds: latency_histogram(),
            acknowledgement_seconds: latency_histogram(),
            head_sequence: Gauge::default(),
            snapshot_age_events: Gauge::default(),
            snapshot_age_seconds: Gauge::default(),
            read_only: Gauge::default(),
            writer_stopped: Gauge::default(),
            subscriptions: Gauge::default(),
            snapshot: Mutex::new((0, Instant::now())),
            methods: Mutex::default(),
        };
        metrics.register()
    }

    fn register(mut self) -> Metrics {
        let r = &mut self.registry;
        r.register(
            "postings",
            "Postings answered, by result and ErrorInfo reason",
            self.postings.clone(),
        );
        r.register(
            "queries",
            "Query and audit calls, by gRPC method",
            self.queries.clone(),
        );
        r.register(
            "group_commit_submissions",
            "Submissions decided together in one group commit",
            self.group_size.clone(),
        );
        r.register(
            "write_seconds",
            "Time to write one group commit to the store, before its sync",
            self.write_seconds.clone(),
        );
        r.register(
            "fsync_seconds",
            "Time of one flush and fsync of the store",
            self.fsync_seconds.clone(),
        );
        r.register(
            "acknowledgement_seconds",
            "Time from queueing a posting to its answer (durable or refused)",
            self.acknowledgement_seconds.clone(),
        );
        r.register(
            "head_sequence",
            "Sequence of the last durable event",
            self.head_sequence.clone(),
        );
        r.register(
            "snapshot_age_events",
            "Events after the latest ledger snapshot",
            self.snapshot_age_events.clone(),
        );
        r.register(
            "snapshot_age_seconds",
            "Seconds since this process loaded or saved the latest ledger snapshot",
            self.snapshot_age_seconds.clone(),
        );
        r.register(
            "read_only",
            "1 when the stored history is damaged and postings are refused",
            self.read_only.clone(),
        );
        r.register(
            "writer_stopped",
            "1 when the writer has stopped (storage failure or shutdown)",
            self.writer_stopped.clone(),
        );
        r.register(
            "subscriptions",
            "Live event subscriptions of clients (Subscribe streams)",
            self.subscriptions.clone(),
        );
        self
    }

    /// Counts one posting: accepted, or refused for the `ErrorInfo` `reason`.
    pub fn posting(&self, refused_for: Option<&'static str>) {
        let labels = match refused_for {
            None => PostingLabels {
                result: "accepted",
                reason: "none",
            },
            Some(reason) => PostingLabels {
                result: "refused",
                reason,
            },
        };
        self.postings.get_or_create(&labels).inc();
    }

    /// Counts one call of the query or audit `method`; past `METRICS_QUERY_METHODS_MAX`
    /// distinct methods, under `other`.
    pub fn query(&self, method: &str) {
        let mut methods = self
            .methods
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let method = if methods.contains(method) {
            method
        } else if methods.len() < METRICS_QUERY_METHODS_MAX {
            methods.insert(method.to_string());
            method
        } else {
            "other"
        };
        let labels = QueryLabels {
            method: method.to_string(),
        };
        drop(methods);
        self.queries.get_or_create(&labels).inc();
    }

    /// Records a group commit of `submissions`.
    pub fn group(&self, submissions: usize) {
        self.group_size.observe(submissions as f64);
    }

    /// Records the write of a group to the store.
    pub fn write(&self, took: Duration) {
        self.write_seconds.observe(took.as_secs_f64());
    }

    /// Records one sync of the store.
    pub fn fsync(&self, took: Duration) {
        self.fsync_seconds.observe(took.as_secs_f64());
    }

    /// Records the time a posting waited for its answer.
    pub fn acknowledgement(&self, took: Duration) {
        self.acknowledgement_seconds.observe(took.as_secs_f64());
    }

    /// Counts one live subscription for as long as the returned guard is held.
    pub fn subscription(&self) -> Subscription {
        self.subscriptions.inc();
        Subscription(self.subscriptions.clone())
    }

    /// Records that the snapshot after event `sequence` was loaded or saved now.
    pub fn snapshot(&self, sequence: u64) {
        let mut snapshot = self
            .snapshot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if sequence >= snapshot.0 {
            *snapshot = (sequence, Instant::now());
        }
    }

    /// The exposition of every metric, the gauges set from `readings`.
    pub fn encode(&self, readings: Readings) -> String {
        let (snapshot_sequence, snapshot_at) = *self
            .snapshot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.head_sequence.set(gauge_value(readings.head_sequence));
        self.snapshot_age_events.set(gauge_value(
            readings.head_sequence.saturating_sub(snapshot_sequence),
        ));
        self.snapshot_age_seconds
            .set(snapshot_at.elapsed().as_secs_f64());
        self.read_only.set(i64::from(readings.read_only));
        self.writer_stopped.set(i64::from(readings.writer_stopped));
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = encode(&mut text, &self.registry);
        text
    }
}

fn gauge_value(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// One live subscription, counted until dropped.
#[derive(Debug)]
pub struct Subscription(Gauge);

impl Drop for Subscription {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// Counts the time from its creation to [`Timer::stop`].
#[derive(Debug)]
pub struct Timer(Instant);

impl Timer {
    /// Starts timing now.
    pub fn start() -> Timer {
        Timer(Instant::now())
    }

    /// The time since the start.
    pub fn stop(self) -> Duration {
        self.0.elapsed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_names_every_metric_with_its_prefix_and_unit() {
        let metrics = Metrics::new();
        metrics.posting(None);
        metrics.posting(Some("INSUFFICIENT_FUNDS"));
        metrics.fsync(Duration::from_millis(3));
        let text = metrics.encode(Readings {
            head_sequence: 7,
            read_only: true,
            ..Readings::default()
        });
        assert!(text.contains("matchledger_postings_total{result=\"accepted\",reason=\"none\"} 1"));
        assert!(text.contains(
            "matchledger_postings_total{result=\"refused\",reason=\"INSUFFICIENT_FUNDS\"} 1"
        ));
        assert!(text.contains("matchledger_fsync_seconds_count 1"));
        assert!(text.contains("matchledger_head_sequence 7"));
        assert!(text.contains("matchledger_read_only 1"));
        assert!(text.contains("matchledger_snapshot_age_events 7"));
        assert!(text.ends_with("# EOF\n"));
    }

    #[test]
    fn methods_past_the_bound_are_counted_as_other() {
        let metrics = Metrics::new();
        for index in 0..METRICS_QUERY_METHODS_MAX + 5 {
            metrics.query(&format!("/matchledger.v1.QueryService/Made{index}"));
        }
        metrics.query("/matchledger.v1.QueryService/Made0");
        let text = metrics.encode(Readings::default());
        assert!(text.contains("method=\"/matchledger.v1.QueryService/Made0\"} 2"));
        assert!(text.contains("matchledger_queries_total{method=\"other\"} 5"));
    }

    #[test]
    fn an_older_snapshot_never_replaces_a_newer_one() {
        let metrics = Metrics::new();
        metrics.snapshot(10);
        metrics.snapshot(4);
        let text = metrics.encode(Readings {
            head_sequence: 12,
            ..Readings::default()
        });
        assert!(text.contains("matchledger_snapshot_age_events 2"));
    }
}
