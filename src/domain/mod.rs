//! The pure domain: money, ids, events, commands and the rules that decide between them.
//!
//! Nothing here does I/O, awaits, or knows about protobuf or sled. `decide` holds every
//! rule and may refuse; `State::apply` only changes state and cannot fail.

pub mod authorize;
pub mod brn;
pub mod command;
pub mod decide;
pub mod error;
pub mod event;
pub mod ids;
pub mod money;
pub mod programme;
pub mod settlement;
pub mod state;
pub mod view;

pub use authorize::{authorize, Forbidden};
pub use brn::Brn;
pub use command::{Command, CommandContext, Role};
pub use decide::decide;
pub use error::{RuleViolation, ViolationClass};
pub use event::{Event, EventKind, EventMeta, RecordedEvent};
pub use ids::*;
pub use money::{Currency, Money, MoneyError};
pub use programme::{ApplicationChannel, Purpose, ShareRule, SizeClass, SupportType};
pub use settlement::{SettlementRules, Split};
pub use state::{State, Undo, STATE_VERSION};
pub use view::{
    ClawbackView, ContributionView, DisbursementView, Entry, GrantView, MatchStatus, MatchView,
    Phase, PhaseTotals, PledgeView, RefundView, SmeView,
};
