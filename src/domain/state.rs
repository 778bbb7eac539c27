//! The decision state: what the rules need to know, folded from events.
//!
//! (Skeleton: filled in by the domain rules work.)

use super::event::Event;

/// Everything `decide` consults. Cheap to clone (persistent maps), so a batch can be
/// decided against a scratch copy and thrown away if one command is refused.
#[derive(Debug, Clone, Default)]
pub struct State {}

impl State {
    /// Folds one event into the state. Cannot fail: events were decided already.
    pub fn apply(&mut self, _event: &Event) {}
}
