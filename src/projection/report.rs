//! The figures a sponsor reports for a phase: SMEs supported, projects, the share of
//! non-supplier SMEs, and projects broken down by purpose, support type, application
//! channel and size class. Only grants in force count.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::sme::GrantState;
use super::Projections;
use crate::domain::{ApplicationChannel, Currency, PhaseId, Purpose, SizeClass, SmeId};

/// Application channels in report order.
const CHANNELS: [ApplicationChannel; 3] = [
    ApplicationChannel::SponsorPortal,
    ApplicationChannel::InstitutionProposal,
    ApplicationChannel::Other,
];

/// Size classes in report order.
const SIZES: [SizeClass; 2] = [SizeClass::Small, SizeClass::Medium];

/// One group of a breakdown: its SMEs, projects and amounts (phase currency).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportLine {
    /// The group: a purpose, support type code, channel or size class name.
    pub key: String,
    /// Distinct SMEs with a grant in force in the group.
    pub smes: u64,
    /// Grants in force in the group.
    pub projects: u64,
    pub project_cost: Decimal,
    pub government: Decimal,
    pub sponsor: Decimal,
    pub own_share: Decimal,
    /// Government + sponsor.
    pub funded: Decimal,
}

/// A phase's report to its sponsor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SponsorReport {
    pub phase: PhaseId,
    pub name: String,
    pub currency: Currency,
    /// Distinct SMEs with a grant in force.
    pub smes_supported: u64,
    /// Grants in force.
    pub projects: u64,
    /// Supported SMEs that do not supply the sponsor.
    pub non_supplier_smes: u64,
    /// non_supplier_smes / smes_supported, exact (zero when no SME is supported).
    pub non_supplier_share: Decimal,
    /// Every purpose, in declaration order, zero lines included.
    pub by_purpose: Vec<ReportLine>,
    /// The phase's support types in configured order, then any other code awarded.
    pub by_support_type: Vec<ReportLine>,
    /// Every application channel, zero lines included.
    pub by_channel: Vec<ReportLine>,
    /// Every size class, zero lines included.
    pub by_size: Vec<ReportLine>,
}

/// A group being added up.
#[derive(Default)]
struct Group {
    smes: BTreeSet<SmeId>,
    projects: u64,
    project_cost: Decimal,
    government: Decimal,
    sponsor: Decimal,
    own_share: Decimal,
}

impl Group {
    fn add(&mut self, grant: &GrantState) {
        self.smes.insert(grant.sme);
        self.projects = self.projects.saturating_add(1);
        self.project_cost = self
            .project_cost
            .saturating_add(grant.project_cost.amount());
        self.government = self.government.saturating_add(grant.government);
        self.sponsor = self.sponsor.saturating_add(grant.sponsor);
        self.own_share = self.own_share.saturating_add(grant.own);
    }

    fn line(&self, key: &str) -> ReportLine {
        ReportLine {
            key: key.to_string(),
            smes: self.smes.len() as u64,
            projects: self.projects,
            project_cost: self.project_cost,
            government: self.government,
            sponsor: self.sponsor,
            own_share: self.own_share,
            funded: self.government.saturating_add(self.sponsor),
        }
    }
}

/// Groups keyed by name; `lines` lists the known keys first, in order, then the rest.
#[derive(Default)]
struct Breakdown {
    groups: BTreeMap<String, Group>,
}

impl Breakdown {
    fn add(&mut self, key: &str, grant: &GrantState) {
        self.groups.entry(key.to_string()).or_default().add(grant);
    }

    fn lines<'a>(&self, known: impl IntoIterator<Item = &'a str>) -> Vec<ReportLine> {
        let empty = Group::default();
        let mut lines: Vec<ReportLine> = Vec::new();
        for key in known {
            if lines.iter().all(|line| line.key != key) {
                lines.push(self.groups.get(key).unwrap_or(&empty).line(key));
            }
        }
        for (key, group) in &self.groups {
            if lines.iter().all(|line| &line.key != key) {
                lines.push(group.line(key));
            }
        }
        lines
    }
}

impl Projections {
    /// The sponsor's report for a phase, or `None` if it was never opened.
    pub fn sponsor_report(&self, id: &PhaseId) -> Option<SponsorReport> {
        let phase = self.phases.get(id)?;
        let mut purposes = Breakdown::default();
        let mut types = Breakdown::default();
        let mut channels = Breakdown::default();
        let mut sizes = Breakdown::default();
        let in_force = phase
            .grants
            .iter()
            .filter_map(|grant| self.grants.get(grant))
            .filter(|grant| !grant.reversed);
        for grant in in_force {
            purposes.add(grant.purpose.as_str(), grant);
            types.add(&grant.support_type, grant);
            // An SME is registered before it is awarded; one that is not has no attributes.
            if let Some(sme) = self.smes.get(&grant.sme) {
                channels.add(sme.channel.as_str(), grant);
                sizes.add(sme.size.as_str(), grant);
            }
        }
        let smes_supported = phase.supported.len() as u64;
        let non_supplier_smes = phase
            .supported
            .keys()
            .filter(|sme| self.smes.get(*sme).is_some_and(|state| !state.supplier))
            .count() as u64;
        let non_supplier_share = Decimal::from(non_supplier_smes)
            .checked_div(Decimal::from(smes_supported))
            .unwrap_or(Decimal::ZERO)
            .normalize();
        Some(SponsorReport {
            phase: *id,
            name: phase.name.clone(),
            currency: phase.currency,
            smes_supported,
            projects: phase.projects,
            non_supplier_smes,
            non_supplier_share,
            by_purpose: purposes.lines(Purpose::ALL.map(Purpose::as_str)),
            by_support_type: types.lines(phase.support_types.iter().map(String::as_str)),
            by_channel: channels.lines(CHANNELS.map(ApplicationChannel::as_str)),
            by_size: sizes.lines(SIZES.map(SizeClass::as_str)),
        })
    }
}
