//! A small, independent model of the ledger's rules 2–8 and 11, written for the
//! generator's tests so that they do not depend on how the rules engine is built.

use std::collections::{HashMap, HashSet};

use rust_decimal::Decimal;

use crate::domain::{
    AgencyId, Brn, Command, ContributionId, ContributorId, DisbursementId, EntryId, GrantId,
    MatchId, PhaseId, SizeClass, SmeId, SupportType,
};
use crate::generator::satisfies_support_type;

/// A small, independent model of the ledger's rules 2–8 and 11, for the generator only.
#[derive(Default)]
pub(super) struct Shadow {
    pub phases: HashMap<PhaseId, Book>,
    contributors: HashSet<ContributorId>,
    agencies: HashSet<AgencyId>,
    /// SME → (size, supplier).
    pub smes: HashMap<SmeId, (SizeClass, bool)>,
    brns: HashSet<Brn>,
    /// Contribution → (phase, amount, matched so far).
    contributions: HashMap<ContributionId, (PhaseId, Decimal, Decimal)>,
    matches: HashMap<MatchId, (ContributionId, Decimal)>,
    grants: HashMap<GrantId, Grant>,
    disbursements: HashMap<DisbursementId, (GrantId, Decimal)>,
    reversed: HashSet<EntryId>,
}

#[derive(Default)]
pub(super) struct Book {
    pub closed: bool,
    pub types: Vec<SupportType>,
    pub pledged: Decimal,
    pub contributed: Decimal,
    pub matched: Decimal,
    pub awarded_government: Decimal,
    pub awarded_sponsor: Decimal,
    pub own: Decimal,
    pub disbursed: Decimal,
    pub refunded: Decimal,
    pub smes: HashSet<SmeId>,
    pub projects: u64,
}

impl Book {
    fn cash(&self) -> Decimal {
        self.contributed + self.matched - self.disbursed + self.refunded
    }
}

struct Grant {
    phase: PhaseId,
    funded: Decimal,
    disbursed: Decimal,
    refunded: Decimal,
}

impl Shadow {
    fn open_book(&mut self, phase: PhaseId) -> Result<&mut Book, String> {
        match self.phases.get_mut(&phase) {
            Some(book) if !book.closed => Ok(book),
            Some(_) => Err(format!("phase {phase} closed")),
            None => Err(format!("phase {phase} unknown")),
        }
    }

    pub fn apply(&mut self, command: &Command) -> Result<(), String> {
        match command {
            Command::OpenPhase {
                phase,
                support_types,
                ..
            } => {
                let book = Book {
                    types: support_types.clone(),
                    ..Book::default()
                };
                ensure(self.phases.insert(*phase, book).is_none(), "phase twice")
            }
            Command::ClosePhase { phase } => {
                self.open_book(*phase)?.closed = true;
                Ok(())
            }
            Command::RegisterContributor { contributor, .. } => {
                ensure(self.contributors.insert(*contributor), "contributor twice")
            }
            Command::RegisterAgency { agency, .. } => {
                ensure(self.agencies.insert(*agency), "agency twice")
            }
            Command::RegisterSme {
                sme,
                brn,
                size,
                supplier,
                ..
            } => {
                ensure(self.brns.insert(*brn), "BRN twice")?;
                ensure(
                    self.smes.insert(*sme, (*size, *supplier)).is_none(),
                    "SME twice",
                )
            }
            Command::RecordPledge {
                phase,
                contributor,
                amount,
                ..
            } => {
                ensure(self.contributors.contains(contributor), "no contributor")?;
                self.open_book(*phase)?.pledged += amount.amount();
                Ok(())
            }
            Command::RecordContribution {
                contribution,
                phase,
                contributor,
                amount,
            } => {
                ensure(self.contributors.contains(contributor), "no contributor")?;
                self.open_book(*phase)?.contributed += amount.amount();
                let entry = (*phase, amount.amount(), Decimal::ZERO);
                ensure(
                    self.contributions.insert(*contribution, entry).is_none(),
                    "contribution twice",
                )
            }
            Command::RecordMatch {
                match_id,
                contribution,
                agency,
                amount,
            } => {
                ensure(self.agencies.contains(agency), "no agency")?;
                let (phase, limit, matched) = self
                    .contributions
                    .get_mut(contribution)
                    .ok_or("no contribution")?;
                *matched += amount.amount();
                ensure(*matched <= *limit, "over-match")?;
                let phase = *phase;
                self.phases.get_mut(&phase).ok_or("no phase")?.matched += amount.amount();
                self.matches
                    .insert(*match_id, (*contribution, amount.amount()));
                Ok(())
            }
            Command::AwardGrant { .. } => self.award(command),
            Command::RecordDisbursement {
                disbursement,
                grant,
                amount,
            } => {
                let amount = amount.amount();
                let entry = self.grants.get_mut(grant).ok_or("no grant")?;
                entry.disbursed += amount;
                ensure(
                    entry.disbursed - entry.refunded <= entry.funded,
                    "over-disbursed",
                )?;
                let book = self.phases.get_mut(&entry.phase).ok_or("no phase")?;
                book.disbursed += amount;
                ensure(book.cash() >= Decimal::ZERO, "negative cash")?;
                self.disbursements.insert(*disbursement, (*grant, amount));
                Ok(())
            }
            Command::RecordRefund { grant, amount, .. } => {
                let amount = amount.amount();
                let entry = self.grants.get_mut(grant).ok_or("no grant")?;
                entry.refunded += amount;
                ensure(entry.refunded <= entry.disbursed, "over-refunded")?;
                self.phases
                    .get_mut(&entry.phase)
                    .ok_or("no phase")?
                    .refunded += amount;
                Ok(())
            }
            Command::ReverseEntry { entry, .. } => self.reverse(*entry),
            // The shadow books model what the generator posts; it posts no settlement.
            Command::SetSettlementRules { .. }
            | Command::RecordInterest { .. }
            | Command::SettleInterest { .. }
            | Command::SettleGrant { .. }
            | Command::DecideClawback { .. }
            | Command::CollectClawback { .. }
            | Command::PassOnClawback { .. } => Err(format!("{} is not modelled", command.name())),
        }
    }

    fn award(&mut self, command: &Command) -> Result<(), String> {
        let Command::AwardGrant {
            grant,
            phase,
            sme,
            support_type,
            project_cost,
            government_share,
            sponsor_share,
            own_share,
            ..
        } = command
        else {
            return Err("not an award".to_string());
        };
        ensure(self.smes.contains_key(sme), "SME not registered")?;
        let book = self.open_book(*phase)?;
        let support = book
            .types
            .iter()
            .find(|t| &t.code == support_type)
            .ok_or("unknown support type")?;
        ensure(
            satisfies_support_type(
                support,
                project_cost.amount(),
                *government_share,
                *sponsor_share,
                *own_share,
            ),
            "support type broken",
        )?;
        book.awarded_government += *government_share;
        book.awarded_sponsor += *sponsor_share;
        book.own += *own_share;
        ensure(
            book.awarded_sponsor <= book.contributed,
            "sponsor pool exceeded",
        )?;
        ensure(
            book.awarded_government <= book.matched,
            "government pool exceeded",
        )?;
        book.smes.insert(*sme);
        book.projects += 1;
        let entry = Grant {
            phase: *phase,
            funded: *government_share + *sponsor_share,
            disbursed: Decimal::ZERO,
            refunded: Decimal::ZERO,
        };
        ensure(self.grants.insert(*grant, entry).is_none(), "grant twice")
    }

    fn reverse(&mut self, entry: EntryId) -> Result<(), String> {
        ensure(self.reversed.insert(entry), "reversed twice")?;
        let uuid = entry.as_uuid();
        if let Some((contribution, amount)) = self.matches.get(&MatchId::from_uuid(uuid)) {
            let (phase, _, matched) = self
                .contributions
                .get_mut(contribution)
                .ok_or("no contribution")?;
            *matched -= *amount;
            let book = self.phases.get_mut(phase).ok_or("no phase")?;
            book.matched -= *amount;
            ensure(
                book.awarded_government <= book.matched,
                "reversal breaks pool",
            )?;
            return ensure(book.cash() >= Decimal::ZERO, "reversal breaks cash");
        }
        if let Some((grant, amount)) = self.disbursements.get(&DisbursementId::from_uuid(uuid)) {
            let grant = self.grants.get_mut(grant).ok_or("no grant")?;
            grant.disbursed -= *amount;
            ensure(grant.refunded <= grant.disbursed, "reversal below refunds")?;
            self.phases
                .get_mut(&grant.phase)
                .ok_or("no phase")?
                .disbursed -= *amount;
            return Ok(());
        }
        Err(format!("reversal of an unexpected entry {entry}"))
    }
}

fn ensure(condition: bool, reason: &str) -> Result<(), String> {
    if condition {
        Ok(())
    } else {
        Err(reason.to_string())
    }
}
