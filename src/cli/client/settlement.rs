//! Settlement postings on the command line: a phase's settlement rules, interest earned
//! on its account, interest returned or kept, and the settlement of a grant.
//!
//! ```text
//! ml settlement rules --phase P --rounding-unit 10            # drop amounts under 10 won
//! ml settlement interest --phase P --amount 1234567           # interest the account earned
//! ml settlement return-interest --phase P --amount 1234567    # back to government and sponsor
//! ml settlement keep-interest --phase P --amount 1000         # where the rules allow it
//! ml settlement grant G                                       # return its unspent part
//! ml settlement clawback --grant G --amount 5000000 --due-on 2024-06-30 --reason "..."
//! ml settlement collect K --amount 2000000                    # one part of several
//! ml settlement pass-on K                                     # to government and sponsor
//! ```

use clap::{Args, Subcommand};

use super::args::{parse_amount, parse_currency, parse_date, parse_uuid, PostingFlags};
use super::posting_request::money;
use crate::api::proto;
use crate::api::proto::batch_command::Command as ProtoCommand;

/// Settlement commands (정산).
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum SettlementCommand {
    /// Sets how a phase settles: the rounding unit of returns, whether interest may be kept.
    Rules(RulesArgs),
    /// Records interest earned on a phase's account.
    Interest(InterestArgs),
    /// Returns interest held to the government and the sponsor, pro rata.
    ReturnInterest(InterestArgs),
    /// Keeps interest in the fund (only where the phase's rules allow it).
    KeepInterest(InterestArgs),
    /// Settles a grant: returns its unspent part pro rata; no more disbursements.
    Grant(SettleGrantArgs),
    /// Decides a clawback against a grant: amount, reason and deadline.
    Clawback(ClawbackArgs),
    /// Records money collected on a clawback (possibly one part of several).
    Collect(CollectArgs),
    /// Passes a clawback's collected money on to the government and the sponsor.
    PassOn(PassOnArgs),
}

/// `settlement clawback`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct ClawbackArgs {
    /// Grant id.
    #[arg(long, value_parser = parse_uuid)]
    pub grant: String,
    /// Amount the SME owes.
    #[arg(long, value_parser = parse_amount)]
    pub amount: String,
    /// Why.
    #[arg(long)]
    pub reason: String,
    /// Deadline (YYYY-MM-DD).
    #[arg(long, value_parser = parse_date)]
    pub due_on: String,
    /// Currency code.
    #[arg(long, default_value = "KRW", value_parser = parse_currency)]
    pub currency: String,
    #[command(flatten)]
    pub posting: PostingFlags,
}

/// `settlement collect`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct CollectArgs {
    /// Clawback id.
    #[arg(value_parser = parse_uuid)]
    pub clawback: String,
    /// Amount collected.
    #[arg(long, value_parser = parse_amount)]
    pub amount: String,
    /// Currency code.
    #[arg(long, default_value = "KRW", value_parser = parse_currency)]
    pub currency: String,
    #[command(flatten)]
    pub posting: PostingFlags,
}

/// `settlement pass-on`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct PassOnArgs {
    /// Clawback id.
    #[arg(value_parser = parse_uuid)]
    pub clawback: String,
    #[command(flatten)]
    pub posting: PostingFlags,
}

/// `settlement rules`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct RulesArgs {
    /// Phase id.
    #[arg(long, value_parser = parse_uuid)]
    pub phase: String,
    /// Returns are rounded down to a multiple of this: "1" drops nothing in won, "10"
    /// drops amounts under 10 won as the treasury does.
    #[arg(long, value_parser = parse_amount)]
    pub rounding_unit: String,
    /// Allow interest to be kept in the fund instead of returned.
    #[arg(long)]
    pub interest_may_be_kept: bool,
    #[command(flatten)]
    pub posting: PostingFlags,
}

/// `settlement interest`, `return-interest` and `keep-interest`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct InterestArgs {
    /// Phase id.
    #[arg(long, value_parser = parse_uuid)]
    pub phase: String,
    /// Amount of interest.
    #[arg(long, value_parser = parse_amount)]
    pub amount: String,
    /// Currency code.
    #[arg(long, default_value = "KRW", value_parser = parse_currency)]
    pub currency: String,
    #[command(flatten)]
    pub posting: PostingFlags,
}

/// `settlement grant`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct SettleGrantArgs {
    /// Grant id.
    #[arg(value_parser = parse_uuid)]
    pub grant: String,
    #[command(flatten)]
    pub posting: PostingFlags,
}

impl SettlementCommand {
    /// The posting options given on the command line.
    pub fn flags(&self) -> &PostingFlags {
        match self {
            SettlementCommand::Rules(a) => &a.posting,
            SettlementCommand::Interest(a)
            | SettlementCommand::ReturnInterest(a)
            | SettlementCommand::KeepInterest(a) => &a.posting,
            SettlementCommand::Grant(a) => &a.posting,
            SettlementCommand::Clawback(a) => &a.posting,
            SettlementCommand::Collect(a) => &a.posting,
            SettlementCommand::PassOn(a) => &a.posting,
        }
    }

    /// The wire command.
    pub fn to_proto_command(&self) -> ProtoCommand {
        let settle = |a: &InterestArgs, keep: bool| {
            ProtoCommand::SettleInterest(proto::SettleInterest {
                phase_id: a.phase.clone(),
                amount: money(&a.amount, &a.currency),
                keep,
            })
        };
        match self {
            SettlementCommand::Rules(a) => {
                ProtoCommand::SetSettlementRules(proto::SetSettlementRules {
                    phase_id: a.phase.clone(),
                    rounding_unit: a.rounding_unit.clone(),
                    interest_may_be_kept: a.interest_may_be_kept,
                })
            }
            SettlementCommand::Interest(a) => ProtoCommand::RecordInterest(proto::RecordInterest {
                phase_id: a.phase.clone(),
                amount: money(&a.amount, &a.currency),
            }),
            SettlementCommand::ReturnInterest(a) => settle(a, false),
            SettlementCommand::KeepInterest(a) => settle(a, true),
            SettlementCommand::Grant(a) => ProtoCommand::SettleGrant(proto::SettleGrant {
                grant_id: a.grant.clone(),
            }),
            SettlementCommand::Clawback(a) => ProtoCommand::DecideClawback(proto::DecideClawback {
                clawback_id: String::new(),
                grant_id: a.grant.clone(),
                amount: money(&a.amount, &a.currency),
                reason: a.reason.clone(),
                due_on: a.due_on.clone(),
            }),
            SettlementCommand::Collect(a) => {
                ProtoCommand::CollectClawback(proto::CollectClawback {
                    clawback_id: a.clawback.clone(),
                    amount: money(&a.amount, &a.currency),
                })
            }
            SettlementCommand::PassOn(a) => ProtoCommand::PassOnClawback(proto::PassOnClawback {
                clawback_id: a.clawback.clone(),
            }),
        }
    }
}

/// Batch-file lines of the settlement commands (see the `batch` module for the format):
///
/// ```text
/// {"set_settlement_rules": {"phase_id": "...", "rounding_unit": "10", "interest_may_be_kept": false}}
/// {"record_interest": {"phase_id": "...", "amount": "1234567"}}
/// {"settle_interest": {"phase_id": "...", "amount": "1234567", "keep": false}}
/// {"settle_grant": {"grant_id": "..."}}
/// {"decide_clawback": {"grant_id": "...", "amount": "5000000", "reason": "...", "due_on": "2024-06-30"}}
/// {"collect_clawback": {"clawback_id": "...", "amount": "2000000"}}
/// {"pass_on_clawback": {"clawback_id": "..."}}
/// ```
pub mod lines {
    use schemars::JsonSchema;
    use serde::Deserialize;

    use crate::cli::client::batch::lines::{AMOUNT_PATTERN, CURRENCY_PATTERN, DATE_PATTERN};

    use crate::api::proto;
    use crate::api::proto::batch_command::Command as ProtoCommand;
    use crate::cli::client::args::{parse_amount, parse_date};
    use crate::cli::client::posting_request::money;

    fn krw() -> String {
        "KRW".to_string()
    }

    fn amount(field: &str, text: &str) -> Result<String, String> {
        parse_amount(text).map_err(|reason| format!("{field}: {reason}"))
    }

    #[derive(Debug, Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    /// `set_settlement_rules`.
    pub struct RulesLine {
        /// The phase the rules are for.
        phase_id: String,
        /// Returns are rounded down to a multiple of this (e.g. `"10"` drops amounts under 10 won).
        #[schemars(regex(pattern = AMOUNT_PATTERN))]
        rounding_unit: String,
        /// Whether interest earned may be kept rather than returned.
        #[serde(default)]
        interest_may_be_kept: bool,
    }

    #[derive(Debug, Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    /// `record_interest`.
    pub struct InterestLine {
        /// The phase.
        phase_id: String,
        /// The amount, a decimal string.
        #[schemars(regex(pattern = AMOUNT_PATTERN))]
        amount: String,
        /// The amount's currency; the phase's.
        #[serde(default = "krw")]
        #[schemars(regex(pattern = CURRENCY_PATTERN))]
        currency: String,
    }

    #[derive(Debug, Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    /// `settle_interest`.
    pub struct SettleInterestLine {
        /// The phase.
        phase_id: String,
        /// The amount, a decimal string.
        #[schemars(regex(pattern = AMOUNT_PATTERN))]
        amount: String,
        /// Keep the interest instead of returning it (only where the phase's rules allow).
        #[serde(default)]
        keep: bool,
        /// The amount's currency; the phase's.
        #[serde(default = "krw")]
        #[schemars(regex(pattern = CURRENCY_PATTERN))]
        currency: String,
    }

    #[derive(Debug, Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    /// `settle_grant`.
    pub struct SettleGrantLine {
        /// The grant to settle.
        grant_id: String,
    }

    #[derive(Debug, Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    /// `decide_clawback`.
    pub struct DecideClawbackLine {
        /// The new clawback's id (a UUID); made by the server when absent.
        #[serde(default)]
        clawback_id: String,
        /// The grant the money is clawed back from.
        grant_id: String,
        /// The amount, a decimal string.
        #[schemars(regex(pattern = AMOUNT_PATTERN))]
        amount: String,
        /// Why the money is clawed back.
        reason: String,
        /// The date by which the money must be paid back.
        #[schemars(regex(pattern = DATE_PATTERN))]
        due_on: String,
        /// The amount's currency; the phase's.
        #[serde(default = "krw")]
        #[schemars(regex(pattern = CURRENCY_PATTERN))]
        currency: String,
    }

    #[derive(Debug, Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    /// `collect_clawback`.
    pub struct CollectClawbackLine {
        /// The clawback collected on.
        clawback_id: String,
        /// The amount, a decimal string.
        #[schemars(regex(pattern = AMOUNT_PATTERN))]
        amount: String,
        /// The amount's currency; the phase's.
        #[serde(default = "krw")]
        #[schemars(regex(pattern = CURRENCY_PATTERN))]
        currency: String,
    }

    #[derive(Debug, Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    /// `pass_on_clawback`.
    pub struct PassOnClawbackLine {
        /// The clawback whose collected money is passed on.
        clawback_id: String,
    }

    impl DecideClawbackLine {
        pub fn into_proto(self) -> Result<ProtoCommand, String> {
            let due_on = parse_date(&self.due_on).map_err(|reason| format!("due_on: {reason}"))?;
            Ok(ProtoCommand::DecideClawback(proto::DecideClawback {
                clawback_id: self.clawback_id,
                grant_id: self.grant_id,
                amount: money(&amount("amount", &self.amount)?, &self.currency),
                reason: self.reason,
                due_on,
            }))
        }
    }

    impl CollectClawbackLine {
        pub fn into_proto(self) -> Result<ProtoCommand, String> {
            Ok(ProtoCommand::CollectClawback(proto::CollectClawback {
                clawback_id: self.clawback_id,
                amount: money(&amount("amount", &self.amount)?, &self.currency),
            }))
        }
    }

    impl PassOnClawbackLine {
        pub fn into_proto(self) -> ProtoCommand {
            ProtoCommand::PassOnClawback(proto::PassOnClawback {
                clawback_id: self.clawback_id,
            })
        }
    }

    impl RulesLine {
        pub fn into_proto(self) -> Result<ProtoCommand, String> {
            Ok(ProtoCommand::SetSettlementRules(
                proto::SetSettlementRules {
                    phase_id: self.phase_id,
                    rounding_unit: amount("rounding_unit", &self.rounding_unit)?,
                    interest_may_be_kept: self.interest_may_be_kept,
                },
            ))
        }
    }

    impl InterestLine {
        pub fn into_proto(self) -> Result<ProtoCommand, String> {
            Ok(ProtoCommand::RecordInterest(proto::RecordInterest {
                phase_id: self.phase_id,
                amount: money(&amount("amount", &self.amount)?, &self.currency),
            }))
        }
    }

    impl SettleInterestLine {
        pub fn into_proto(self) -> Result<ProtoCommand, String> {
            Ok(ProtoCommand::SettleInterest(proto::SettleInterest {
                phase_id: self.phase_id,
                amount: money(&amount("amount", &self.amount)?, &self.currency),
                keep: self.keep,
            }))
        }
    }

    impl SettleGrantLine {
        pub fn into_proto(self) -> ProtoCommand {
            ProtoCommand::SettleGrant(proto::SettleGrant {
                grant_id: self.grant_id,
            })
        }
    }
}

/// A phase's settlement figures in the phase view: rows for the table and the JSON object.
pub mod view {
    use serde_json::{json, Value};

    use crate::api::proto;
    use crate::cli::client::output::{amount, yes_no};

    /// The rows shown under a phase's balances.
    pub fn rows(s: &proto::PhaseSettlement) -> Vec<(&'static str, String)> {
        vec![
            ("rounding unit of returns", amount(&s.rounding_unit)),
            ("interest may be kept", yes_no(s.interest_may_be_kept)),
            ("interest earned", amount(&s.interest_earned)),
            ("  held", amount(&s.interest_held)),
            (
                "  returned to government",
                amount(&s.interest_returned_government),
            ),
            (
                "  returned to sponsor",
                amount(&s.interest_returned_sponsor),
            ),
            ("  kept", amount(&s.interest_kept)),
            ("  remainder (rounding)", amount(&s.interest_remainder)),
            ("grants settled", s.grants_settled.to_string()),
            ("  spent", amount(&s.spent_on_settled)),
            ("  unspent", amount(&s.unspent)),
            (
                "  returned to government",
                amount(&s.unspent_returned_government),
            ),
            ("  returned to sponsor", amount(&s.unspent_returned_sponsor)),
            ("  remainder (rounding)", amount(&s.unspent_remainder)),
            ("clawbacks decided", amount(&s.clawbacks_decided)),
            ("  outstanding", amount(&s.clawbacks_outstanding)),
            ("  collected", amount(&s.clawbacks_collected)),
            ("  held, not passed on", amount(&s.clawbacks_held)),
            (
                "  passed on to government",
                amount(&s.clawback_returned_government),
            ),
            (
                "  passed on to sponsor",
                amount(&s.clawback_returned_sponsor),
            ),
            ("  remainder (rounding)", amount(&s.clawback_remainder)),
        ]
    }

    /// The JSON object: exact decimal strings.
    pub fn json(s: &proto::PhaseSettlement) -> Value {
        json!({
            "rounding_unit": s.rounding_unit, "interest_may_be_kept": s.interest_may_be_kept,
            "interest_earned": s.interest_earned, "interest_held": s.interest_held,
            "interest_returned_government": s.interest_returned_government,
            "interest_returned_sponsor": s.interest_returned_sponsor,
            "interest_kept": s.interest_kept, "interest_remainder": s.interest_remainder,
            "grants_settled": s.grants_settled, "spent_on_settled": s.spent_on_settled,
            "unspent": s.unspent,
            "unspent_returned_government": s.unspent_returned_government,
            "unspent_returned_sponsor": s.unspent_returned_sponsor,
            "unspent_remainder": s.unspent_remainder,
            "clawbacks_decided": s.clawbacks_decided,
            "clawbacks_outstanding": s.clawbacks_outstanding,
            "clawbacks_collected": s.clawbacks_collected, "clawbacks_held": s.clawbacks_held,
            "clawback_returned_government": s.clawback_returned_government,
            "clawback_returned_sponsor": s.clawback_returned_sponsor,
            "clawback_remainder": s.clawback_remainder,
        })
    }
}

/// `clawbacks P [--on DATE]`: every clawback of a phase with its ages.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct ClawbacksArgs {
    /// Phase id.
    #[arg(value_parser = parse_uuid)]
    pub phase: String,
    /// The business date ages are counted to (YYYY-MM-DD); today when omitted.
    #[arg(long, value_parser = parse_date)]
    pub on: Option<String>,
    #[command(flatten)]
    pub as_of: super::args::AsOfFlag,
}

impl ClawbacksArgs {
    /// The query request.
    pub fn to_request(&self) -> proto::ListClawbacksRequest {
        proto::ListClawbacksRequest {
            phase_id: self.phase.clone(),
            on: self.on.clone().unwrap_or_default(),
            as_of: self.as_of.to_proto(),
        }
    }
}

/// The clawbacks of a phase as a table and as JSON.
pub fn clawbacks_view(response: &proto::ListClawbacksResponse) -> super::output::View {
    use super::output::{amount, Align, Table, View};
    let mut table = Table::new(&[
        ("clawback", Align::Left),
        ("grant", Align::Left),
        ("due on", Align::Left),
        ("amount", Align::Right),
        ("outstanding", Align::Right),
        ("overdue days", Align::Right),
        ("held", Align::Right),
        ("held days", Align::Right),
        ("passed on", Align::Right),
    ]);
    for c in &response.clawbacks {
        table.row(vec![
            c.clawback_id.clone(),
            c.grant_id.clone(),
            c.due_on.clone(),
            amount(&c.amount),
            amount(&c.outstanding),
            c.overdue_days.to_string(),
            amount(&c.held),
            c.held_days.to_string(),
            amount(&c.passed_on),
        ]);
    }
    let rows: Vec<serde_json::Value> = response
        .clawbacks
        .iter()
        .map(|c| {
            serde_json::json!({
                "clawback_id": c.clawback_id, "grant_id": c.grant_id, "sme_id": c.sme_id,
                "amount": c.amount, "reason": c.reason, "decided_on": c.decided_on,
                "due_on": c.due_on, "collected": c.collected, "outstanding": c.outstanding,
                "held": c.held, "passed_on": c.passed_on,
                "returned_government": c.returned_government,
                "returned_sponsor": c.returned_sponsor, "remainder": c.remainder,
                "overdue_days": c.overdue_days, "held_days": c.held_days,
            })
        })
        .collect();
    View {
        text: format!(
            "{}\nages counted to {}; answered at sequence {}\n",
            table.render(),
            response.on,
            response.answered_at_sequence
        ),
        json: serde_json::json!({
            "answered_at_sequence": response.answered_at_sequence,
            "on": response.on,
            "clawbacks": rows,
        }),
    }
}
