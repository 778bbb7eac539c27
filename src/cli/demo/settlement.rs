//! The demo's settlement of phase 1, once its programme is loaded: the treasury's 10-won
//! rounding, five years of interest returned to government and sponsor, the first projects
//! settled with their unspent parts returned, and a clawback decided, collected late in two
//! parts and passed on. Every posting has a fixed idempotency key, so a rerun of the demo
//! on the same directory is a replay and writes nothing.

use std::collections::{HashMap, HashSet};

use anyhow::Context;
use rust_decimal::Decimal;
use tonic::transport::Channel;

use crate::api::proto::batch_command::Command as C;
use crate::api::proto::posting_service_client::PostingServiceClient;
use crate::api::proto::{self, BatchCommand, PostBatchRequest, PostingOptions};
use crate::domain::{Command, EntryId, GrantId, PhaseId};

/// Projects of phase 1 the demo settles.
const DEMO_SETTLED_GRANTS: usize = 40;

/// Interest phase 1's account earned over its five years, in won (an odd figure, so that
/// the 10-won rounding leaves a remainder).
const DEMO_INTEREST_KRW: &str = "412345678";

/// What the demo needs to know of the loaded programme.
#[derive(Debug, Default)]
pub struct Candidates {
    phase: Option<PhaseId>,
    grants: Vec<GrantId>,
    reversed: HashSet<EntryId>,
    net_paid: HashMap<GrantId, Decimal>,
}

impl Candidates {
    /// Notes one generated command.
    pub fn observe(&mut self, command: &Command) {
        match command {
            Command::OpenPhase { phase, .. } if self.phase.is_none() => self.phase = Some(*phase),
            Command::AwardGrant { grant, phase, .. } if Some(*phase) == self.phase => {
                self.grants.push(*grant)
            }
            Command::RecordDisbursement { grant, amount, .. } => {
                *self.net_paid.entry(*grant).or_default() += amount.amount();
            }
            Command::RecordRefund { grant, amount, .. } => {
                *self.net_paid.entry(*grant).or_default() -= amount.amount();
            }
            Command::ReverseEntry { entry, .. } => {
                self.reversed.insert(*entry);
            }
            _ => {}
        }
    }

    /// Grants of phase 1 still in force, in award order.
    fn active_grants(&self) -> impl Iterator<Item = &GrantId> {
        self.grants
            .iter()
            .filter(|grant| !self.reversed.contains(&EntryId::from(**grant)))
    }
}

fn options(key: &str, date: &str) -> Option<PostingOptions> {
    Some(PostingOptions {
        idempotency_key: format!("demo-settlement-{key}"),
        effective_date: date.to_string(),
        external_ref: String::new(),
        metadata: vec![proto::MetadataEntry {
            key: "source".into(),
            value: "demo".into(),
        }],
    })
}

fn krw(amount: &str) -> Option<proto::Money> {
    Some(proto::Money {
        amount: amount.to_string(),
        currency: "KRW".to_string(),
    })
}

/// Posts one command as a batch of one under a fixed key.
async fn post(
    posting: &mut PostingServiceClient<Channel>,
    key: &str,
    date: &str,
    commands: Vec<C>,
) -> Result<proto::PostingResponse, tonic::Status> {
    let request = PostBatchRequest {
        options: options(key, date),
        commands: commands
            .into_iter()
            .map(|command| BatchCommand {
                command: Some(command),
            })
            .collect(),
    };
    Ok(posting.post_batch(request).await?.into_inner())
}

/// Settles phase 1 as a settlement officer would; prints what it did.
pub async fn settle_phase_one(
    posting: &mut PostingServiceClient<Channel>,
    candidates: &Candidates,
) -> anyhow::Result<()> {
    let Some(phase) = candidates.phase.map(|p| p.to_string()) else {
        return Ok(());
    };
    let rules = C::SetSettlementRules(proto::SetSettlementRules {
        phase_id: phase.clone(),
        rounding_unit: "10".into(),
        interest_may_be_kept: false,
    });
    let interest = C::RecordInterest(proto::RecordInterest {
        phase_id: phase.clone(),
        amount: krw(DEMO_INTEREST_KRW),
    });
    let returned = C::SettleInterest(proto::SettleInterest {
        phase_id: phase.clone(),
        amount: krw(DEMO_INTEREST_KRW),
        keep: false,
    });
    post(
        posting,
        "interest",
        "2018-08-31",
        vec![rules, interest, returned],
    )
    .await
    .context("recording and returning phase 1's interest")?;
    let settled: Vec<C> = candidates
        .active_grants()
        .take(DEMO_SETTLED_GRANTS)
        .map(|grant| {
            C::SettleGrant(proto::SettleGrant {
                grant_id: grant.to_string(),
            })
        })
        .collect();
    let count = settled.len();
    post(posting, "grants", "2018-09-28", settled)
        .await
        .context("settling phase 1's first projects")?;
    let clawback = clawback_collected_late(posting, candidates).await?;
    println!(
        "settled phase 1: interest of {DEMO_INTEREST_KRW} KRW returned, {count} projects \
         settled, {}",
        match clawback {
            Some(id) => format!("clawback {id} collected late and passed on"),
            None => "no project to claw back from".to_string(),
        }
    );
    Ok(())
}

/// Decides a clawback on the first active grant with enough paid out, collects it late in
/// two parts and passes it on; the clawback's id, or `None` when no grant qualifies.
async fn clawback_collected_late(
    posting: &mut PostingServiceClient<Channel>,
    candidates: &Candidates,
) -> anyhow::Result<Option<String>> {
    let amount = Decimal::from(3_000_005);
    let grant = candidates
        .active_grants()
        .skip(DEMO_SETTLED_GRANTS)
        .find(|grant| {
            candidates
                .net_paid
                .get(grant)
                .is_some_and(|paid| *paid >= amount)
        });
    let Some(grant) = grant else {
        return Ok(None);
    };
    let decided = C::DecideClawback(proto::DecideClawback {
        clawback_id: String::new(),
        grant_id: grant.to_string(),
        amount: krw(&amount.to_string()),
        reason: "equipment sold within the obligation period".into(),
        due_on: "2019-06-30".into(),
    });
    let reply = match post(posting, "clawback", "2019-03-29", vec![decided]).await {
        Ok(reply) => reply,
        // A reversed disbursement can leave less paid out than the commands suggest.
        Err(status) if status.code() == tonic::Code::FailedPrecondition => return Ok(None),
        Err(status) => return Err(status).context("deciding the demo's clawback"),
    };
    let clawback = reply
        .events
        .first()
        .map(|event| event.entity_id.clone())
        .context("the clawback decision committed no event")?;
    for (part, (amount, date)) in [("2000000", "2019-09-16"), ("1000005", "2020-03-02")]
        .into_iter()
        .enumerate()
    {
        let collect = C::CollectClawback(proto::CollectClawback {
            clawback_id: clawback.clone(),
            amount: krw(amount),
        });
        post(posting, &format!("collect-{part}"), date, vec![collect])
            .await
            .context("collecting the demo's clawback")?;
    }
    let pass_on = C::PassOnClawback(proto::PassOnClawback {
        clawback_id: clawback.clone(),
    });
    post(posting, "pass-on", "2020-05-11", vec![pass_on])
        .await
        .context("passing the demo's clawback on")?;
    Ok(Some(clawback))
}
