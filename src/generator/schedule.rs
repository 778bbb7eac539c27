//! Ordering: every generated command carries a sort key, so that commands made out of
//! date order can be put in the one order in which the ledger accepts them all.

use std::collections::VecDeque;

use chrono::NaiveDate;

use super::GeneratedCommand;

/// Order of postings within one business day: money comes in before it is awarded,
/// awarded before it is paid out, and a phase closes last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Priority {
    Parties,
    OpenPhase,
    Pledge,
    Contribution,
    Match,
    RegisterSme,
    Award,
    Disbursement,
    Refund,
    ClosePhase,
}

/// A command with its place in the programme.
#[derive(Debug, Clone)]
pub(super) struct Keyed {
    pub date: NaiveDate,
    /// Earlier phases first on the same day.
    pub phase_index: u32,
    pub priority: Priority,
    /// Creation order within the phase; commands that must stay together (a mistaken
    /// posting and its reversal) are created one after the other with the same date
    /// and priority, so nothing sorts between them.
    pub order: u64,
    /// The kind of document whose number becomes the external reference (`TRF`, `PAY`).
    pub document: Option<&'static str>,
    pub generated: GeneratedCommand,
}

impl Keyed {
    /// The total order of the programme.
    pub fn key(&self) -> (NaiveDate, u32, Priority, u64) {
        (self.date, self.phase_index, self.priority, self.order)
    }
}

/// Merges two lists, each already in key order, into one in key order.
pub(super) fn merge(left: VecDeque<Keyed>, right: Vec<Keyed>) -> VecDeque<Keyed> {
    let mut merged = VecDeque::with_capacity(left.len() + right.len());
    let mut left = left.into_iter().peekable();
    let mut right = right.into_iter().peekable();
    loop {
        let take_left = match (left.peek(), right.peek()) {
            (Some(l), Some(r)) => l.key() <= r.key(),
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        let next = if take_left { left.next() } else { right.next() };
        merged.extend(next);
    }
    merged
}
