//! The double-entry journal: every event yields balanced postings, so the trial balance is
//! zero at every sequence number.
//!
//! # Chart of accounts (one set per phase, in the phase currency)
//!
//! | account | normal side | holds |
//! |---|---|---|
//! | `Cash` | debit | money in the fund's hands: pool − disbursed + refunded |
//! | `SponsorFund` | credit | contributions not yet committed to awards |
//! | `GovernmentFund` | credit | matches not yet committed to awards |
//! | `GrantsPayable` | credit | funded part of the awards not yet paid out |
//! | `Clawbacks` | credit | money SMEs paid back (refunds), held in cash |
//! | `PledgesReceivable` | debit | memo: what contributors promised |
//! | `PledgeCommitments` | credit | memo: the other side of the pledges |
//! | `OwnShareMemo` | debit | memo: the SMEs' own shares of awarded projects |
//! | `OwnShareCommitments` | credit | memo: the other side of the own shares |
//! | `InterestPayable` | credit | interest earned, owed to those who paid in until returned or kept |
//! | `InterestKept` | credit | interest kept in the fund where the phase's rules allow |
//! | `Remainders` | credit | what the rounding rule of returns kept back, held in cash |
//!
//! The memo pairs record promises and costs that never pass through the fund's cash;
//! they balance among themselves.
//!
//! # Postings
//!
//! | event | debit | credit |
//! |---|---|---|
//! | pledge | `PledgesReceivable` | `PledgeCommitments` |
//! | contribution | `Cash` | `SponsorFund` |
//! | match | `Cash` | `GovernmentFund` |
//! | grant (funded part) | `SponsorFund` (sponsor share), `GovernmentFund` (government share) | `GrantsPayable` |
//! | grant (own share) | `OwnShareMemo` | `OwnShareCommitments` |
//! | disbursement | `GrantsPayable` | `Cash` |
//! | refund | `Cash` | `Clawbacks` |
//! | reversal | the mirror image of the posting it cancels | |
//! | interest, returns, grant settlement | see `projection/settlement.rs` | |
//!
//! Registrations and phase events post nothing; zero amounts (a grant without a government
//! share) post no line. Hence `Cash` equals the phase's cash, the two funds add up to its
//! uncommitted pool, and `GrantsPayable` is awarded − disbursed − unspent parts settled.
//!
//! Amounts are signed: a debit is positive, a credit negative.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::entry::{EntryRecord, Resolved};
use super::Projections;
use crate::domain::{Currency, PhaseId, RecordedEvent};

/// An account of a phase's books (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Account {
    Cash,
    SponsorFund,
    GovernmentFund,
    GrantsPayable,
    Clawbacks,
    PledgesReceivable,
    PledgeCommitments,
    OwnShareMemo,
    OwnShareCommitments,
    InterestPayable,
    InterestKept,
    Remainders,
}

impl Account {
    /// Every account, in chart order.
    pub const ALL: [Account; 12] = [
        Account::Cash,
        Account::SponsorFund,
        Account::GovernmentFund,
        Account::GrantsPayable,
        Account::Clawbacks,
        Account::PledgesReceivable,
        Account::PledgeCommitments,
        Account::OwnShareMemo,
        Account::OwnShareCommitments,
        Account::InterestPayable,
        Account::InterestKept,
        Account::Remainders,
    ];

    /// Stable lower-case name used in exports.
    pub fn as_str(self) -> &'static str {
        match self {
            Account::Cash => "cash",
            Account::SponsorFund => "sponsor_fund",
            Account::GovernmentFund => "government_fund",
            Account::GrantsPayable => "grants_payable",
            Account::Clawbacks => "clawbacks",
            Account::PledgesReceivable => "pledges_receivable",
            Account::PledgeCommitments => "pledge_commitments",
            Account::OwnShareMemo => "own_share_memo",
            Account::OwnShareCommitments => "own_share_commitments",
            Account::InterestPayable => "interest_payable",
            Account::InterestKept => "interest_kept",
            Account::Remainders => "remainders",
        }
    }

    /// The side a balance of this account normally stands on.
    pub fn normal_side(self) -> Side {
        match self {
            Account::Cash | Account::PledgesReceivable | Account::OwnShareMemo => Side::Debit,
            Account::SponsorFund
            | Account::GovernmentFund
            | Account::GrantsPayable
            | Account::Clawbacks
            | Account::PledgeCommitments
            | Account::OwnShareCommitments
            | Account::InterestPayable
            | Account::InterestKept
            | Account::Remainders => Side::Credit,
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Debit or credit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Side {
    Debit,
    Credit,
}

/// One line of the journal: a signed amount on one account of one phase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Posting {
    pub phase: PhaseId,
    pub account: Account,
    pub currency: Currency,
    /// Debit positive, credit negative; never zero.
    pub amount: Decimal,
}

impl Posting {
    /// Which side of the account the posting is on.
    pub fn side(&self) -> Side {
        if self.amount.is_sign_negative() {
            Side::Credit
        } else {
            Side::Debit
        }
    }

    /// The amount without its sign.
    pub fn magnitude(&self) -> Decimal {
        self.amount.abs()
    }
}

/// The postings an event makes, given the projections just before it (a reversal needs
/// to know what it cancels). Events the fold ignores post nothing.
pub fn postings(event: &RecordedEvent, before: &Projections) -> Vec<Posting> {
    match before.resolve(&event.event) {
        Some(resolved) => postings_of(&resolved, before),
        None => before.settlement_postings(&event.event).unwrap_or_default(),
    }
}

/// The postings of a money event already resolved against `before`: `apply` resolves
/// each event once and shares the answer between the journal and the figures.
pub(super) fn postings_of(resolved: &Resolved, before: &Projections) -> Vec<Posting> {
    let Resolved { record, sign, .. } = resolved;
    let sign = *sign;
    let phase = record.phase();
    let Some(currency) = before.phases.get(&phase).map(|state| state.currency) else {
        return Vec::new();
    };
    let mut lines = Journal {
        phase,
        currency,
        lines: Vec::with_capacity(4),
    };
    match *record {
        EntryRecord::Pledge { amount, .. } => {
            lines.pair(
                Account::PledgesReceivable,
                Account::PledgeCommitments,
                amount,
            );
        }
        EntryRecord::Contribution { amount, .. } => {
            lines.pair(Account::Cash, Account::SponsorFund, amount);
        }
        EntryRecord::Match { amount, .. } => {
            lines.pair(Account::Cash, Account::GovernmentFund, amount);
        }
        EntryRecord::Grant {
            government,
            sponsor,
            own,
            ..
        } => {
            lines.pair(Account::SponsorFund, Account::GrantsPayable, sponsor);
            lines.pair(Account::GovernmentFund, Account::GrantsPayable, government);
            lines.pair(Account::OwnShareMemo, Account::OwnShareCommitments, own);
        }
        EntryRecord::Disbursement { amount, .. } => {
            lines.pair(Account::GrantsPayable, Account::Cash, amount);
        }
        EntryRecord::Refund { amount, .. } => {
            lines.pair(Account::Cash, Account::Clawbacks, amount);
        }
    }
    let mut postings = lines.lines;
    for posting in &mut postings {
        posting.amount = sign.of(posting.amount);
    }
    postings
}

/// Whether debits equal credits in every currency.
pub fn is_balanced(postings: &[Posting]) -> bool {
    let mut sums: Vec<(Currency, Decimal)> = Vec::new();
    for posting in postings {
        match sums
            .iter_mut()
            .find(|(currency, _)| *currency == posting.currency)
        {
            Some((_, sum)) => *sum = sum.saturating_add(posting.amount),
            None => sums.push((posting.currency, posting.amount)),
        }
    }
    sums.iter().all(|(_, sum)| sum.is_zero())
}

/// Collects the lines of one event.
pub(super) struct Journal {
    pub(super) phase: PhaseId,
    pub(super) currency: Currency,
    pub(super) lines: Vec<Posting>,
}

impl Journal {
    /// Debits one account and credits another with the same amount; nothing for zero.
    pub(super) fn pair(&mut self, debit: Account, credit: Account, amount: Decimal) {
        if amount.is_zero() {
            return;
        }
        for (account, amount) in [(debit, amount), (credit, -amount)] {
            self.lines.push(Posting {
                phase: self.phase,
                account,
                currency: self.currency,
                amount,
            });
        }
    }
}

/// The running balances of one phase's accounts (debit positive).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(super) struct AccountBalances {
    balances: [Decimal; Account::ALL.len()],
}

impl AccountBalances {
    pub(super) fn get(&self, account: Account) -> Decimal {
        self.balances[account.index()]
    }

    fn post(&mut self, account: Account, amount: Decimal) {
        let balance = &mut self.balances[account.index()];
        *balance = balance.saturating_add(amount);
    }
}

/// One account's balance in the trial balance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrialBalanceLine {
    pub phase: PhaseId,
    pub currency: Currency,
    pub account: Account,
    /// Debit positive, credit negative.
    pub balance: Decimal,
}

/// The sums of one currency's balances: debits equal credits when the books balance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrialBalanceTotal {
    pub currency: Currency,
    /// Sum of the debit balances.
    pub debits: Decimal,
    /// Sum of the credit balances, as a positive amount.
    pub credits: Decimal,
    /// Debits − credits: zero when the books balance.
    pub net: Decimal,
}

/// Every account balance of every phase, and the totals per currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrialBalance {
    /// One line per phase and account, by phase then chart order.
    pub lines: Vec<TrialBalanceLine>,
    /// One total per currency, by currency.
    pub totals: Vec<TrialBalanceTotal>,
}

impl TrialBalance {
    /// Whether debits equal credits in every currency.
    pub fn is_zero(&self) -> bool {
        self.totals.iter().all(|total| total.net.is_zero())
    }
}

impl Projections {
    /// The trial balance as of the last applied event.
    pub fn trial_balance(&self) -> TrialBalance {
        let mut lines = Vec::with_capacity(self.phases.len() * Account::ALL.len());
        let mut totals: Vec<TrialBalanceTotal> = Vec::new();
        for (phase, state) in &self.phases {
            for account in Account::ALL {
                let balance = state.accounts.get(account);
                lines.push(TrialBalanceLine {
                    phase: *phase,
                    currency: state.currency,
                    account,
                    balance,
                });
                let total = match totals.iter().position(|t| t.currency == state.currency) {
                    Some(index) => &mut totals[index],
                    None => {
                        totals.push(TrialBalanceTotal {
                            currency: state.currency,
                            debits: Decimal::ZERO,
                            credits: Decimal::ZERO,
                            net: Decimal::ZERO,
                        });
                        let last = totals.len() - 1;
                        &mut totals[last]
                    }
                };
                if balance.is_sign_negative() {
                    total.credits = total.credits.saturating_sub(balance);
                } else {
                    total.debits = total.debits.saturating_add(balance);
                }
                total.net = total.net.saturating_add(balance);
            }
        }
        totals.sort_by_key(|total| total.currency);
        TrialBalance { lines, totals }
    }

    /// One account's balance in one phase (debit positive), or `None` for an unknown phase.
    pub fn account_balance(&self, phase: &PhaseId, account: Account) -> Option<Decimal> {
        self.phases
            .get(phase)
            .map(|state| state.accounts.get(account))
    }

    /// Adds one event's postings to the phases' accounts.
    pub(super) fn post_journal(&mut self, postings: &[Posting]) {
        for posting in postings {
            if let Some(state) = self.phases.get_mut(&posting.phase) {
                state.accounts.post(posting.account, posting.amount);
            }
        }
    }
}
