//! A seeded, realistic programme: commands for tests, benches and the demo.
//!
//! The programme is modelled on a steelmaker's "Industrial Innovation Movement" run under
//! the win-win smart-factory scheme: one sponsor pays in every month, one government fund
//! manager matches each payment one-to-one days later, and the pool is awarded to SMEs
//! (about half of them not suppliers of the sponsor) and disbursed in instalments. A few
//! SMEs pay money back (clawback), and a few mistaken postings are reversed.
//!
//! At scale 1 there are two phases of sixty months each:
//! - phase 1, Aug 2013 – Jul 2018: 19.7 bn KRW contributed, 879 SMEs, 1,660 projects;
//! - phase 2, Sep 2018 – Aug 2023: a 20 bn KRW pledge (five yearly pledges), paid in full.
//!
//! Every command is accepted when fed in order to the ledger: awards never exceed the pool
//! at their date, disbursements never exceed cash, refunds never exceed what was paid out,
//! and every award's shares satisfy its support type exactly, in whole won.
//!
//! # Determinism
//!
//! Everything, ids included, is drawn from a ChaCha8 generator seeded by
//! [`ProgrammeConfig::seed`]; nothing reads the clock. The same seed and scale always give
//! the same commands.
//!
//! # Scale and memory
//!
//! Scale `s` runs `g = ⌈√s⌉` rounds of two five-year phases one after the other, each
//! phase `s / g` times the size of the scale-1 phase (more SMEs, projects and money per
//! month; individual amounts stay realistic). Events grow linearly: about 15,500 commands
//! at scale 1, 1.5 million at scale 100.
//!
//! [`Programme`] is an iterator that holds at most two phases in memory (each command is
//! roughly 400 bytes, so about 6 MB per phase-size unit), which makes it the way to feed
//! millions of commands. [`generate`] collects it into a `Vec`: fine for tests and the demo,
//! but about 600 MB at scale 100.

mod names;
mod phase;
mod plan;
mod schedule;
mod shares;
mod summary;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;

use chrono::NaiveDate;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::domain::{Command, CommandContext, Role};
use crate::limits::GENERATOR_SCALE_MAX;

pub use shares::satisfies_support_type;
pub use summary::{PhaseSummary, ProgrammeSummary};

use phase::{Parties, SmeRegistry};
use plan::PhaseSpec;
use schedule::Keyed;

/// One command of the generated programme with the envelope a finance system would send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeneratedCommand {
    /// What to do.
    pub command: Command,
    /// The business date the posting is effective on.
    pub effective_date: NaiveDate,
    /// The poster's own reference (transfer, voucher or agreement number), if any.
    pub external_ref: Option<String>,
    /// Unique across the whole programme: every command is a distinct request.
    pub idempotency_key: String,
    /// The role that posts it (finance, government or admin).
    pub role: Role,
}

impl GeneratedCommand {
    /// The context the ledger needs to record this command on behalf of `actor`.
    pub fn context(&self, actor: &str) -> CommandContext {
        CommandContext {
            actor: actor.to_string(),
            idempotency_key: self.idempotency_key.clone(),
            effective_date: self.effective_date,
            external_ref: self.external_ref.clone(),
            metadata: Vec::new(),
        }
    }
}

/// What to generate: the seed of every random choice and the size of the programme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgrammeConfig {
    /// Seed of the random generator; the same seed gives the same programme.
    pub seed: u64,
    /// 1 is the realistic programme (~15,500 commands); larger grows it linearly.
    /// 0 is taken as 1 and anything above [`GENERATOR_SCALE_MAX`] as that maximum.
    pub scale: u32,
}

impl Default for ProgrammeConfig {
    fn default() -> Self {
        ProgrammeConfig {
            seed: 2013,
            scale: 1,
        }
    }
}

impl ProgrammeConfig {
    /// The scale actually used, within `1..=GENERATOR_SCALE_MAX`.
    pub fn effective_scale(&self) -> u32 {
        self.scale.clamp(1, GENERATOR_SCALE_MAX)
    }
}

/// The whole programme as a vector, in the order it must be fed to the ledger.
/// Memory grows with scale (see the module docs); prefer [`Programme`] for large scales.
pub fn generate(config: &ProgrammeConfig) -> Vec<GeneratedCommand> {
    Programme::new(config).collect()
}

/// The commands and what the ledger's balances must show after loading them all.
pub fn generate_with_summary(
    config: &ProgrammeConfig,
) -> (Vec<GeneratedCommand>, ProgrammeSummary) {
    let mut programme = Programme::new(config);
    let commands: Vec<GeneratedCommand> = programme.by_ref().collect();
    let summary = programme.summary();
    (commands, summary)
}

/// What the ledger's balances must show after loading the programme. Generates the
/// programme to compute it (bounded memory, same time as generating).
pub fn summary(config: &ProgrammeConfig) -> ProgrammeSummary {
    let mut programme = Programme::new(config);
    programme.by_ref().for_each(drop);
    programme.summary()
}

/// The programme as an iterator of commands in ledger order, generated phase by phase.
///
/// At most two phases are held at once: the tail of the previous phase (late
/// disbursements, clawbacks, its closing) is merged with the next one by date.
#[derive(Debug)]
pub struct Programme {
    seed: u64,
    specs: Vec<PhaseSpec>,
    next_spec: usize,
    buffer: VecDeque<Keyed>,
    parties: Parties,
    registry: SmeRegistry,
    phases: Vec<PhaseSummary>,
    emitted: u64,
}

impl Programme {
    /// Prepares the programme; phases are generated lazily as the iterator advances.
    pub fn new(config: &ProgrammeConfig) -> Programme {
        let specs = plan::phase_specs(config.effective_scale());
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
        let first_day = specs
            .first()
            .map(|spec| spec.starts_on)
            .unwrap_or(plan::PROGRAMME_START);
        let (parties, registrations) = phase::register_parties(&mut rng, first_day);
        Programme {
            seed: config.seed,
            specs,
            next_spec: 0,
            buffer: registrations.into_iter().collect(),
            parties,
            registry: SmeRegistry::default(),
            phases: Vec::new(),
            emitted: 0,
        }
    }

    /// Summary of the phases generated so far; complete once the iterator is exhausted.
    pub fn summary(&self) -> ProgrammeSummary {
        ProgrammeSummary {
            phases: self.phases.clone(),
            commands: self.emitted,
            smes_registered: self.registry.registered(),
        }
    }

    /// Generates the next phase and merges it into the buffer by date.
    fn generate_next_phase(&mut self) {
        let Some(spec) = self.specs.get(self.next_spec) else {
            return;
        };
        self.next_spec += 1;
        // Each phase has its own stream, so phases do not shift when one changes.
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        rng.set_stream(u64::from(spec.index) + 1);
        let (commands, summary) =
            phase::generate_phase(spec, &self.parties, &mut self.registry, &mut rng);
        self.phases.push(summary);
        let previous = std::mem::take(&mut self.buffer);
        self.buffer = schedule::merge(previous, commands);
    }

    /// Whether the front of the buffer may be emitted before the next phase exists.
    fn front_is_final(&self) -> bool {
        match (self.buffer.front(), self.specs.get(self.next_spec)) {
            (None, _) => false,
            (Some(_), None) => true,
            // A later phase starts on its opening day and sorts after earlier phases.
            (Some(front), Some(next)) => front.date <= next.starts_on,
        }
    }
}

impl Iterator for Programme {
    type Item = GeneratedCommand;

    fn next(&mut self) -> Option<GeneratedCommand> {
        // Bounded: each round either emits or generates one of the finitely many phases.
        while !self.front_is_final() && self.next_spec < self.specs.len() {
            self.generate_next_phase();
        }
        let keyed = self.buffer.pop_front()?;
        self.emitted += 1;
        Some(keyed.generated)
    }
}
