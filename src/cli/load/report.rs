//! What a load run measured, merged from every client, and how it is printed: a short
//! text summary, or JSON for scripts.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

use super::workload::Kind;

/// Slowest latency the histograms hold (larger values are clamped to it): a minute.
const LATENCY_US_MAX: u64 = 60_000_000;

/// What one client (writer or reader) observed.
#[derive(Debug, Clone)]
pub struct Tally {
    /// Latency of each RPC, in microseconds.
    pub latency_us: Histogram<u64>,
    /// Commands acknowledged (writers) or queries answered (readers).
    pub done: u64,
    /// RPCs sent, failed ones included.
    pub rpcs: u64,
    /// Failed RPCs by gRPC status code.
    pub errors: BTreeMap<String, u64>,
    /// Commands sent by kind (writers).
    pub mix: BTreeMap<Kind, u64>,
}

impl Tally {
    pub fn new() -> Tally {
        Tally {
            // Bounds and precision are constants: creation cannot fail.
            latency_us: Histogram::new_with_bounds(1, LATENCY_US_MAX, 3)
                .unwrap_or_else(|_| unreachable!("constant histogram bounds are valid")),
            done: 0,
            rpcs: 0,
            errors: BTreeMap::new(),
            mix: BTreeMap::new(),
        }
    }

    /// Records one RPC that took `elapsed`.
    pub fn record(&mut self, elapsed: Duration, outcome: Result<u64, tonic::Code>) {
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.latency_us
            .saturating_record(micros.clamp(1, LATENCY_US_MAX));
        self.rpcs += 1;
        match outcome {
            Ok(done) => self.done += done,
            Err(code) => *self.errors.entry(format!("{code:?}")).or_default() += 1,
        }
    }

    /// Adds another client's tally to this one.
    pub fn merge(&mut self, other: &Tally) {
        // Both histograms have the same bounds, so adding cannot fail.
        let _ = self.latency_us.add(&other.latency_us);
        self.done += other.done;
        self.rpcs += other.rpcs;
        for (code, count) in &other.errors {
            *self.errors.entry(code.clone()).or_default() += count;
        }
        for (kind, count) in &other.mix {
            *self.mix.entry(*kind).or_default() += count;
        }
    }
}

impl Default for Tally {
    fn default() -> Self {
        Tally::new()
    }
}

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
}

impl Latency {
    fn of(histogram: &Histogram<u64>) -> Latency {
        let ms = |micros: u64| micros as f64 / 1000.0;
        Latency {
            p50_ms: ms(histogram.value_at_quantile(0.50)),
            p99_ms: ms(histogram.value_at_quantile(0.99)),
            p999_ms: ms(histogram.value_at_quantile(0.999)),
            max_ms: ms(histogram.max()),
        }
    }
}

/// Figures of one side (writes or reads) of a run.
#[derive(Debug, Clone, Serialize)]
pub struct Figures {
    /// Commands acknowledged, or queries answered.
    pub done: u64,
    pub rpcs: u64,
    pub seconds: f64,
    /// `done` per second.
    pub per_second: f64,
    pub rpcs_per_second: f64,
    /// Per RPC (a whole batch in batched mode).
    pub latency: Latency,
    pub errors: BTreeMap<String, u64>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub mix: BTreeMap<Kind, u64>,
}

impl Figures {
    pub fn of(tally: &Tally, elapsed: Duration) -> Figures {
        let seconds = elapsed.as_secs_f64().max(1e-9);
        Figures {
            done: tally.done,
            rpcs: tally.rpcs,
            seconds,
            per_second: tally.done as f64 / seconds,
            rpcs_per_second: tally.rpcs as f64 / seconds,
            latency: Latency::of(&tally.latency_us),
            errors: tally.errors.clone(),
            mix: tally.mix.clone(),
        }
    }
}

/// The whole run, as printed.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub server: String,
    pub clients: usize,
    pub connections: usize,
    pub batch: usize,
    pub readers: usize,
    pub writes: Figures,
    /// Reads during the writes, when readers ran.
    pub reads: Option<Figures>,
    /// Writes of the same run without readers, when readers ran.
    pub writes_without_readers: Option<Figures>,
    /// How much write throughput fell with readers, in percent.
    pub write_drop_percent: Option<f64>,
}

impl Report {
    /// The human summary.
    pub fn text(&self) -> String {
        let mut out = format!(
            "bench-load against {}: {} clients on {} connections, {} command(s) per RPC\n",
            self.server, self.clients, self.connections, self.batch
        );
        if let Some(baseline) = &self.writes_without_readers {
            out += &side("writes alone ", "commands", baseline);
        }
        let label = if self.reads.is_some() {
            "writes+reads "
        } else {
            "writes       "
        };
        out += &side(label, "commands", &self.writes);
        if let Some(reads) = &self.reads {
            out += &side("reads        ", "queries", reads);
        }
        if let Some(drop) = self.write_drop_percent {
            out += &format!(
                "write throughput with {} readers: {drop:+.1} % drop\n",
                self.readers
            );
        }
        let mix: Vec<String> = self
            .writes
            .mix
            .iter()
            .map(|(kind, count)| format!("{kind:?} {count}"))
            .collect();
        if !mix.is_empty() {
            out += &format!("mix: {}\n", mix.join(", "));
        }
        out
    }
}

fn side(label: &str, unit: &str, figures: &Figures) -> String {
    let errors = if figures.errors.is_empty() {
        "none".to_string()
    } else {
        let by_code: Vec<String> = figures
            .errors
            .iter()
            .map(|(code, n)| format!("{code} {n}"))
            .collect();
        by_code.join(", ")
    };
    format!(
        "{label} {done} {unit} in {seconds:.2} s = {rate:.0} {unit}/s ({rpcs:.0} RPC/s); \
         latency per RPC p50 {p50:.2} ms, p99 {p99:.2} ms, p999 {p999:.2} ms, max {max:.2} ms; \
         errors: {errors}\n",
        done = figures.done,
        seconds = figures.seconds,
        rate = figures.per_second,
        rpcs = figures.rpcs_per_second,
        p50 = figures.latency.p50_ms,
        p99 = figures.latency.p99_ms,
        p999 = figures.latency.p999_ms,
        max = figures.latency.max_ms,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tallies_merge_counts_errors_and_latencies() {
        let mut a = Tally::new();
        a.record(Duration::from_micros(900), Ok(1));
        a.record(Duration::from_millis(3), Err(tonic::Code::Unavailable));
        let mut b = Tally::new();
        b.record(Duration::from_millis(2), Ok(100));
        b.record(Duration::from_secs(3600), Ok(1));

        a.merge(&b);

        assert_eq!((a.done, a.rpcs), (102, 4));
        assert_eq!(a.errors.get("Unavailable"), Some(&1));
        assert_eq!(a.latency_us.len(), 4);
        assert!(
            a.latency_us.max() >= LATENCY_US_MAX - LATENCY_US_MAX / 100,
            "clamped, not dropped"
        );
        let figures = Figures::of(&a, Duration::from_secs(2));
        assert_eq!(figures.per_second, 51.0);
        assert!(figures.latency.p50_ms >= 0.9 && figures.latency.p50_ms <= 3.1);
    }
}
