//! Taking back events applied to a [`State`]: what an atomic batch needs when one of its
//! later commands is refused.
//!
//! Before an event is applied, [`State::apply_undoable`] saves the current value of every
//! key the event can change (absent keys as absent); [`State::undo`] puts the saved values
//! back, newest first, so the oldest saved value of a key wins. This replaces deciding a
//! batch on a persistent-map copy of the state, which made every insert of the batch copy
//! a path of shared nodes (about a fifth of the writer's time on 100-command batches).
//!
//! The keys an event touches are listed in [`State::touched`] beside [`State::apply`]; the
//! property test `undo_restores_the_state_before_the_batch` checks the two agree for every
//! event kind, reversals included.

use super::State;
use crate::domain::brn::Brn;
use crate::domain::event::Event;
use crate::domain::ids::{AgencyId, ClawbackId, ContributorId, EntryId, PhaseId, SmeId};
use crate::domain::view::{ClawbackView, Entry, Phase, SmeView};

/// The saved values of every key the events applied since it was made could change.
#[derive(Debug, Default)]
pub struct Undo {
    saved: Vec<Saved>,
}

impl Undo {
    /// An empty log: nothing to take back.
    pub fn new() -> Undo {
        Undo::default()
    }

    /// Saved values, for tests and assertions.
    pub fn len(&self) -> usize {
        self.saved.len()
    }

    /// Whether nothing was saved.
    pub fn is_empty(&self) -> bool {
        self.saved.is_empty()
    }
}

/// One key's value before an event changed it; `None` (or `false`) for a key that was absent.
#[derive(Debug)]
enum Saved {
    Phase(PhaseId, Option<Phase>),
    Contributor(ContributorId, bool),
    Agency(AgencyId, bool),
    Sme(SmeId, Option<SmeView>),
    Brn(Brn, Option<SmeId>),
    Entry(EntryId, Option<Entry>),
    Clawback(ClawbackId, Option<ClawbackView>),
}

/// A key an event may change.
enum Key {
    Phase(PhaseId),
    Contributor(ContributorId),
    Agency(AgencyId),
    Sme(SmeId),
    Brn(Brn),
    Entry(EntryId),
    Clawback(ClawbackId),
}

impl State {
    /// [`State::apply`], first saving into `undo` what it changes, so that
    /// [`State::undo`] can take it back.
    pub fn apply_undoable(&mut self, event: &Event, undo: &mut Undo) {
        for key in self.touched(event) {
            let saved = match key {
                Key::Phase(id) => Saved::Phase(id, self.phases.get(&id).cloned()),
                Key::Contributor(id) => Saved::Contributor(id, self.contributors.contains(&id)),
                Key::Agency(id) => Saved::Agency(id, self.agencies.contains(&id)),
                Key::Sme(id) => Saved::Sme(id, self.smes.get(&id).copied()),
                Key::Brn(brn) => Saved::Brn(brn, self.brns.get(&brn).copied()),
                Key::Entry(id) => Saved::Entry(id, self.entries.get(&id).copied()),
                Key::Clawback(id) => Saved::Clawback(id, self.clawbacks.get(&id).copied()),
            };
            undo.saved.push(saved);
        }
        self.apply(event);
    }

    /// Takes back every event applied through `undo`, newest first.
    pub fn undo(&mut self, undo: Undo) {
        for saved in undo.saved.into_iter().rev() {
            match saved {
                Saved::Phase(id, value) => restore(&mut self.phases, id, value),
                Saved::Contributor(id, present) => {
                    restore_member(&mut self.contributors, id, present)
                }
                Saved::Agency(id, present) => restore_member(&mut self.agencies, id, present),
                Saved::Sme(id, value) => restore(&mut self.smes, id, value),
                Saved::Brn(brn, value) => restore(&mut self.brns, brn, value),
                Saved::Entry(id, value) => restore(&mut self.entries, id, value),
                Saved::Clawback(id, value) => restore(&mut self.clawbacks, id, value),
            }
        }
    }

    /// Every key `apply(event)` may change, judged against the state before it. Must name
    /// at least what `apply` writes; naming more only saves a value that did not change.
    fn touched(&self, event: &Event) -> Vec<Key> {
        match event {
            Event::PhaseOpened(e) => vec![Key::Phase(e.phase)],
            Event::PhaseClosed(e) => vec![Key::Phase(e.phase)],
            Event::ContributorRegistered(e) => vec![Key::Contributor(e.contributor)],
            Event::AgencyRegistered(e) => vec![Key::Agency(e.agency)],
            Event::SmeRegistered(e) => vec![Key::Sme(e.sme), Key::Brn(e.brn)],
            Event::PledgeRecorded(e) => vec![Key::Entry(e.pledge.into()), Key::Phase(e.phase)],
            Event::ContributionRecorded(e) => {
                vec![Key::Entry(e.contribution.into()), Key::Phase(e.phase)]
            }
            Event::MatchRecorded(e) => vec![
                Key::Entry(e.match_id.into()),
                Key::Entry(e.contribution.into()),
                Key::Phase(e.phase),
            ],
            Event::GrantAwarded(e) => vec![Key::Entry(e.grant.into()), Key::Phase(e.phase)],
            Event::DisbursementRecorded(e) => vec![
                Key::Entry(e.disbursement.into()),
                Key::Entry(e.grant.into()),
                Key::Phase(e.phase),
            ],
            Event::RefundRecorded(e) => vec![
                Key::Entry(e.refund.into()),
                Key::Entry(e.grant.into()),
                Key::Phase(e.phase),
            ],
            Event::SettlementRulesSet(e) => vec![Key::Phase(e.phase)],
            Event::InterestRecorded(e) => vec![Key::Phase(e.phase)],
            Event::InterestSettled(e) => vec![Key::Phase(e.phase)],
            Event::GrantSettled(e) => vec![Key::Entry(e.grant.into()), Key::Phase(e.phase)],
            Event::ClawbackDecided(e) => {
                vec![Key::Clawback(e.clawback), Key::Entry(e.grant.into())]
            }
            Event::ClawbackCollected(e) => vec![
                Key::Clawback(e.clawback),
                Key::Entry(e.grant.into()),
                Key::Phase(e.phase),
            ],
            Event::ClawbackPassedOn(e) => vec![Key::Clawback(e.clawback), Key::Phase(e.phase)],
            Event::EntryReversed(e) => {
                let mut keys = vec![Key::Entry(e.entry)];
                if let Some(entry) = self.entries.get(&e.entry) {
                    keys.push(Key::Phase(entry.phase()));
                    match entry {
                        Entry::Match(m) => keys.push(Key::Entry(m.contribution.into())),
                        Entry::Disbursement(d) => keys.push(Key::Entry(d.grant.into())),
                        Entry::Refund(r) => keys.push(Key::Entry(r.grant.into())),
                        Entry::Pledge(_) | Entry::Contribution(_) | Entry::Grant(_) => {}
                    }
                }
                keys
            }
        }
    }
}

/// Puts a saved map value back, or removes the key if it was absent.
fn restore<K, V>(map: &mut imbl::HashMap<K, V>, key: K, value: Option<V>)
where
    K: std::hash::Hash + Eq + Clone,
    V: Clone,
{
    match value {
        Some(value) => {
            map.insert(key, value);
        }
        None => {
            map.remove(&key);
        }
    }
}

/// Puts a set's saved membership back.
fn restore_member<K>(set: &mut imbl::HashSet<K>, key: K, present: bool)
where
    K: std::hash::Hash + Eq + Clone,
{
    if present {
        set.insert(key);
    } else {
        set.remove(&key);
    }
}
