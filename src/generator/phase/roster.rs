//! The SMEs a phase supports: some selected again from the previous phase, the rest new,
//! about half of them not suppliers of the sponsor, each with one or more projects.

use std::collections::HashSet;

use rand::seq::{index, SliceRandom};
use rand::Rng;

use super::{PhaseBuilder, SmeProfile};
use crate::domain::{ApplicationChannel, Brn, SizeClass, SmeId};
use crate::generator::names::{fallback_prefix, identity, Identity};
use crate::generator::plan::PROJECTS_PER_SME_MAX;

/// Percent of a later phase's SMEs that were supported in the previous phase too.
const RETURNING_PERCENT: u64 = 20;

/// Chance that a new SME is a small enterprise (eligible for type 2).
const SMALL_PROBABILITY: f64 = 0.6;

/// Random draws of a new registration number before using a reserved one.
const BRN_DRAWS_MAX: u32 = 64;

/// SMEs known across phases: registration numbers in use and the previous phase's roster.
#[derive(Debug, Default)]
pub(in crate::generator) struct SmeRegistry {
    used_prefixes: HashSet<u32>,
    previous: Vec<SmeProfile>,
    registered: u64,
    fallbacks: u32,
}

impl SmeRegistry {
    /// SMEs registered so far over all phases.
    pub fn registered(&self) -> u64 {
        self.registered
    }

    /// Keeps a phase's roster so that the next phase can select some SMEs again.
    pub(super) fn remember(&mut self, profiles: impl Iterator<Item = SmeProfile>) {
        self.previous = profiles.collect();
    }

    /// A name and a registration number no other SME has.
    fn unique_identity(&mut self, rng: &mut impl Rng) -> Identity {
        for _ in 0..BRN_DRAWS_MAX {
            let drawn = identity(rng);
            if self.used_prefixes.insert(drawn.brn_prefix) {
                return drawn;
            }
        }
        let mut drawn = identity(rng);
        // Reserved prefixes are numbered, so this scan ends within `fallbacks + 1` steps.
        loop {
            self.fallbacks += 1;
            drawn.brn_prefix = fallback_prefix(self.fallbacks);
            if self.used_prefixes.insert(drawn.brn_prefix) {
                return drawn;
            }
        }
    }
}

/// What registering a new SME needs besides its profile.
#[derive(Debug, Clone)]
pub(super) struct Registration {
    pub brn: Brn,
    pub name: String,
    pub channel: ApplicationChannel,
}

/// One SME supported in the phase.
#[derive(Debug, Clone)]
pub(super) struct Member {
    pub profile: SmeProfile,
    /// `Some` for an SME new to the programme, registered before its first award.
    pub registration: Option<Registration>,
    /// Projects it is awarded in this phase (at least one).
    pub projects: u32,
}

/// Selects the phase's SMEs and how many projects each gets.
pub(super) fn select(builder: &mut PhaseBuilder, registry: &mut SmeRegistry) -> Vec<Member> {
    let total = builder.spec.smes as usize;
    let returning_count =
        ((total as u64 * RETURNING_PERCENT / 100) as usize).min(registry.previous.len());
    let mut members: Vec<Member> =
        index::sample(builder.rng, registry.previous.len(), returning_count)
            .into_iter()
            .filter_map(|position| registry.previous.get(position))
            .map(|profile| Member {
                profile: *profile,
                registration: None,
                projects: 1,
            })
            .collect();
    // Half the phase's SMEs (rounded up) are not suppliers: the programme's aim.
    let non_supplier_target = total.div_ceil(2);
    let returning_non_suppliers = members.iter().filter(|m| !m.profile.supplier).count();
    let new_count = total - members.len();
    let new_non_suppliers = non_supplier_target
        .saturating_sub(returning_non_suppliers)
        .min(new_count);
    let mut supplier_flags: Vec<bool> = (0..new_count).map(|i| i >= new_non_suppliers).collect();
    supplier_flags.shuffle(builder.rng);
    for supplier in supplier_flags {
        members.push(new_member(builder, registry, supplier));
    }
    members.shuffle(builder.rng);
    assign_projects(builder, &mut members);
    members
}

fn new_member(builder: &mut PhaseBuilder, registry: &mut SmeRegistry, supplier: bool) -> Member {
    let drawn = registry.unique_identity(builder.rng);
    registry.registered += 1;
    let size = if builder.rng.gen_bool(SMALL_PROBABILITY) {
        SizeClass::Small
    } else {
        SizeClass::Medium
    };
    let roll = builder.rng.gen_range(0..100);
    // Suppliers apply through the sponsor's purchasing portal; others are mostly proposed
    // by an institution such as the chamber of commerce.
    let channel = match (supplier, roll) {
        (true, 0..=84) => ApplicationChannel::SponsorPortal,
        (false, 0..=69) => ApplicationChannel::InstitutionProposal,
        _ => ApplicationChannel::Other,
    };
    Member {
        profile: SmeProfile {
            id: SmeId::from_uuid(builder.uuid()),
            size,
            supplier,
        },
        registration: Some(Registration {
            brn: Brn::from_prefix(drawn.brn_prefix),
            name: drawn.name,
            channel,
        }),
        projects: 1,
    }
}

/// Gives every SME one project, then hands out the rest at random, at most
/// `PROJECTS_PER_SME_MAX` each.
fn assign_projects(builder: &mut PhaseBuilder, members: &mut [Member]) {
    if members.is_empty() {
        return;
    }
    let extra = (builder.spec.projects as usize).saturating_sub(members.len());
    for _ in 0..extra {
        let start = builder.rng.gen_range(0..members.len());
        // Scan forward from a random member to the next one below the maximum; the plan
        // guarantees projects ≤ SMEs × maximum, so one always exists.
        let found = (0..members.len())
            .map(|step| (start + step) % members.len())
            .find(|position| members[*position].projects < PROJECTS_PER_SME_MAX);
        if let Some(position) = found {
            members[position].projects += 1;
        }
    }
}
