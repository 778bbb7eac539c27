//! Programme vocabulary: phase funding rules (support types), SME attributes, grant purposes.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Bounds on one share of a project's cost: a ratio range and an optional absolute cap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareRule {
    /// Smallest allowed share of the project cost (0 ≤ min ≤ max ≤ 1).
    pub ratio_min: Decimal,
    /// Largest allowed share of the project cost.
    pub ratio_max: Decimal,
    /// Largest allowed amount, in the phase currency, if the scheme caps it.
    pub cap: Option<Decimal>,
}

impl ShareRule {
    /// A share that may be anything from nothing to the whole cost.
    pub fn any() -> ShareRule {
        ShareRule {
            ratio_min: Decimal::ZERO,
            ratio_max: Decimal::ONE,
            cap: None,
        }
    }
}

/// A phase's funding rule for one kind of project, configured when the phase opens.
///
/// Example (win-win smart factory, 2022): type 1 basic: government ≤ 30 % and ≤ 42 M KRW,
/// sponsor ≥ 30 %, SME ≤ 40 %; type 2 (small enterprises): project ≤ 20 M KRW,
/// government and sponsor 50 % each, SME nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportType {
    /// Short code that awards name, unique within the phase, e.g. `type1-basic`.
    pub code: String,
    /// Largest allowed project cost, if the type caps it.
    pub project_cost_max: Option<Decimal>,
    /// Government share bounds.
    pub government: ShareRule,
    /// Sponsor share bounds.
    pub sponsor: ShareRule,
    /// The SME's own share (자부담) bounds.
    pub own: ShareRule,
}

impl SupportType {
    /// The 2022 smart-factory type 1 at a given level: government ≤ 30 % and ≤ `cap`.
    pub fn smart_factory_type1(code: &str, government_cap: Decimal) -> SupportType {
        SupportType {
            code: code.to_string(),
            project_cost_max: None,
            government: ShareRule {
                ratio_min: Decimal::ZERO,
                ratio_max: Decimal::new(30, 2),
                cap: Some(government_cap),
            },
            sponsor: ShareRule {
                ratio_min: Decimal::new(30, 2),
                ratio_max: Decimal::ONE,
                cap: None,
            },
            own: ShareRule {
                ratio_min: Decimal::ZERO,
                ratio_max: Decimal::new(40, 2),
                cap: None,
            },
        }
    }

    /// The 2022 smart-factory type 2 for small enterprises: project ≤ `project_cap`,
    /// government and sponsor half each, no own share.
    pub fn smart_factory_type2(code: &str, project_cap: Decimal) -> SupportType {
        let half = ShareRule {
            ratio_min: Decimal::new(50, 2),
            ratio_max: Decimal::new(50, 2),
            cap: None,
        };
        SupportType {
            code: code.to_string(),
            project_cost_max: Some(project_cap),
            government: half.clone(),
            sponsor: half,
            own: ShareRule {
                ratio_min: Decimal::ZERO,
                ratio_max: Decimal::ZERO,
                cap: None,
            },
        }
    }

    /// The four types of the 2022 scheme, in won: type 1 basic / advanced-1 / advanced-2
    /// (government caps 42 M / 120 M / 240 M) and type 2 (project ≤ 20 M).
    pub fn smart_factory_2022() -> Vec<SupportType> {
        vec![
            SupportType::smart_factory_type1("type1-basic", Decimal::from(42_000_000)),
            SupportType::smart_factory_type1("type1-advanced1", Decimal::from(120_000_000)),
            SupportType::smart_factory_type1("type1-advanced2", Decimal::from(240_000_000)),
            SupportType::smart_factory_type2("type2-basic", Decimal::from(20_000_000)),
        ]
    }
}

/// What a support project is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Purpose {
    /// QSS innovation consulting (quality, safety, productivity).
    QssConsulting,
    /// Building or upgrading a smart factory.
    SmartFactory,
    /// Improving facilities or equipment.
    FacilityImprovement,
}

impl Purpose {
    /// Every purpose, in a stable order.
    pub const ALL: [Purpose; 3] = [
        Purpose::QssConsulting,
        Purpose::SmartFactory,
        Purpose::FacilityImprovement,
    ];

    /// Stable lower-case name used in reports and exports.
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::QssConsulting => "qss_consulting",
            Purpose::SmartFactory => "smart_factory",
            Purpose::FacilityImprovement => "facility_improvement",
        }
    }
}

impl fmt::Display for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How an SME applied to the programme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ApplicationChannel {
    /// Through the sponsor's purchasing portal.
    SponsorPortal,
    /// Proposed by an institution such as a chamber of commerce.
    InstitutionProposal,
    /// Any other route.
    Other,
}

impl ApplicationChannel {
    /// Stable lower-case name used in reports and exports.
    pub fn as_str(self) -> &'static str {
        match self {
            ApplicationChannel::SponsorPortal => "sponsor_portal",
            ApplicationChannel::InstitutionProposal => "institution_proposal",
            ApplicationChannel::Other => "other",
        }
    }
}

/// Size class of an SME; type 2 projects are for small enterprises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SizeClass {
    /// A small enterprise (소기업).
    Small,
    /// A medium-sized enterprise.
    Medium,
}

impl SizeClass {
    /// Stable lower-case name used in reports and exports.
    pub fn as_str(self) -> &'static str {
        match self {
            SizeClass::Small => "small",
            SizeClass::Medium => "medium",
        }
    }
}
