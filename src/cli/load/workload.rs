//! What each load client posts: an endless, always-valid cycle of the postings a finance
//! system and a fund manager make for one SME.
//!
//! One cycle is five commands: a contribution of 10 M KRW, its one-to-one match, a type-2
//! award of a 20 M KRW project (half government, half sponsor), and two disbursements of
//! 10 M KRW. Every cycle adds to the pool exactly what it takes out, and each client's
//! award and disbursements come after its own contribution and match, so any interleaving
//! of clients is accepted: errors under load are the server's, never the workload's. The
//! client chooses the entity ids (UUID v7), so a whole cycle can also travel in one batch.

use std::sync::Arc;

use uuid::Uuid;

use crate::api::proto::{self, batch_command::Command as ProtoCommand, Money};

/// Won in one contribution, one match and one disbursement.
const AMOUNT_KRW: u64 = 10_000_000;

/// Commands in one cycle.
pub const CYCLE_COMMANDS: u64 = 5;

/// The entities the load set up, shared by every client.
#[derive(Debug, Clone)]
pub struct Parties {
    pub phase: String,
    pub contributor: String,
    pub agency: String,
}

/// One client's position in its cycle.
#[derive(Debug)]
pub struct Workload {
    parties: Arc<Parties>,
    sme: String,
    step: u64,
    contribution: String,
    grant: String,
}

/// Which kind of posting a command is, for the mix report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Contribution,
    Match,
    Award,
    Disbursement,
}

impl Workload {
    /// A client posting for `sme`.
    pub fn new(parties: Arc<Parties>, sme: String) -> Workload {
        Workload {
            parties,
            sme,
            step: 0,
            contribution: String::new(),
            grant: String::new(),
        }
    }

    /// The next command of the cycle.
    pub fn next_command(&mut self) -> (Kind, ProtoCommand) {
        let step = self.step % CYCLE_COMMANDS;
        self.step += 1;
        match step {
            0 => {
                self.contribution = new_id();
                let command = ProtoCommand::RecordContribution(proto::RecordContribution {
                    contribution_id: self.contribution.clone(),
                    phase_id: self.parties.phase.clone(),
                    contributor_id: self.parties.contributor.clone(),
                    amount: krw(AMOUNT_KRW),
                });
                (Kind::Contribution, command)
            }
            1 => {
                let command = ProtoCommand::RecordMatch(proto::RecordMatch {
                    match_id: new_id(),
                    contribution_id: self.contribution.clone(),
                    agency_id: self.parties.agency.clone(),
                    amount: krw(AMOUNT_KRW),
                });
                (Kind::Match, command)
            }
            2 => {
                self.grant = new_id();
                let command = ProtoCommand::AwardGrant(proto::AwardGrant {
                    grant_id: self.grant.clone(),
                    phase_id: self.parties.phase.clone(),
                    sme_id: self.sme.clone(),
                    purpose: proto::Purpose::SmartFactory as i32,
                    support_type: "type2-basic".into(),
                    project_cost: krw(2 * AMOUNT_KRW),
                    government_share: AMOUNT_KRW.to_string(),
                    sponsor_share: AMOUNT_KRW.to_string(),
                    own_share: "0".into(),
                });
                (Kind::Award, command)
            }
            _ => {
                let command = ProtoCommand::RecordDisbursement(proto::RecordDisbursement {
                    disbursement_id: new_id(),
                    grant_id: self.grant.clone(),
                    amount: krw(AMOUNT_KRW),
                });
                (Kind::Disbursement, command)
            }
        }
    }
}

/// A fresh client-chosen entity id.
pub fn new_id() -> String {
    Uuid::now_v7().to_string()
}

/// An amount in won.
pub fn krw(amount: u64) -> Option<Money> {
    Some(Money {
        amount: amount.to_string(),
        currency: "KRW".into(),
    })
}

/// Posting options with a fresh idempotency key.
pub fn options() -> Option<proto::PostingOptions> {
    Some(proto::PostingOptions {
        idempotency_key: new_id(),
        effective_date: "2024-03-01".into(),
        external_ref: String::new(),
        metadata: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parties() -> Arc<Parties> {
        Arc::new(Parties {
            phase: new_id(),
            contributor: new_id(),
            agency: new_id(),
        })
    }

    #[test]
    fn a_cycle_matches_awards_and_disburses_what_it_contributed() {
        let mut workload = Workload::new(parties(), new_id());
        let kinds: Vec<Kind> = (0..CYCLE_COMMANDS)
            .map(|_| workload.next_command().0)
            .collect();
        assert_eq!(
            kinds,
            [
                Kind::Contribution,
                Kind::Match,
                Kind::Award,
                Kind::Disbursement,
                Kind::Disbursement
            ]
        );
    }

    #[test]
    fn each_match_names_its_cycles_contribution_and_each_disbursement_its_grant() {
        let mut workload = Workload::new(parties(), new_id());
        for _ in 0..3 {
            let ProtoCommand::RecordContribution(contribution) = workload.next_command().1 else {
                panic!("a cycle starts with a contribution");
            };
            let ProtoCommand::RecordMatch(matched) = workload.next_command().1 else {
                panic!("then its match");
            };
            assert_eq!(matched.contribution_id, contribution.contribution_id);
            let ProtoCommand::AwardGrant(grant) = workload.next_command().1 else {
                panic!("then an award");
            };
            for _ in 0..2 {
                let ProtoCommand::RecordDisbursement(paid) = workload.next_command().1 else {
                    panic!("then disbursements");
                };
                assert_eq!(paid.grant_id, grant.grant_id);
            }
        }
    }
}
