//! Who may post what: the role each command needs.
//!
//! Finance systems post pledges, contributions, awards, disbursements and refunds, interest
//! and settlements; government counterparts post matches; administrators open and close
//! phases, set their settlement rules and register participants. A reversal needs the role that may post the kind of entry it cancels, so
//! the decision reads the state: a government counterpart may reverse a match, never a
//! contribution. Reading is open to every role and is not decided here.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use super::command::{Command, Role};
use super::event::EntryKind;
use super::state::State;

impl Role {
    /// Every role, in a stable order.
    pub const ALL: [Role; 4] = [Role::Finance, Role::Government, Role::Auditor, Role::Admin];

    /// Stable lower-case name, as written in the principals file.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Finance => "finance",
            Role::Government => "government",
            Role::Auditor => "auditor",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is not one of [`Role::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a role (finance, government, auditor, admin)")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == text)
            .ok_or_else(|| UnknownRole(text.chars().take(32).collect()))
    }
}

/// A command its poster's roles do not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{command} needs the {needed} role")]
pub struct Forbidden {
    /// The refused command's name.
    pub command: &'static str,
    /// The role it needs.
    pub needed: Role,
}

/// The role posting a command needs. A reversal of an entry the state does not know needs
/// nothing here: `decide` refuses it as not found, whoever asks.
pub fn required_role(command: &Command, state: &State) -> Option<Role> {
    Some(match command {
        Command::OpenPhase { .. }
        | Command::ClosePhase { .. }
        | Command::RegisterContributor { .. }
        | Command::RegisterAgency { .. }
        | Command::RegisterSme { .. } => Role::Admin,
        Command::RecordPledge { .. }
        | Command::RecordContribution { .. }
        | Command::AwardGrant { .. }
        | Command::RecordDisbursement { .. }
        | Command::RecordRefund { .. }
        | Command::RecordInterest { .. }
        | Command::SettleInterest { .. }
        | Command::SettleGrant { .. }
        | Command::DecideClawback { .. }
        | Command::CollectClawback { .. }
        | Command::PassOnClawback { .. } => Role::Finance,
        Command::SetSettlementRules { .. } => Role::Admin,
        Command::RecordMatch { .. } => Role::Government,
        Command::ReverseEntry { entry, .. } => reversal_role(state.entry(entry)?.kind()),
    })
}

/// The role that may reverse an entry of this kind: the one that may post it.
pub fn reversal_role(kind: EntryKind) -> Role {
    match kind {
        EntryKind::Match => Role::Government,
        EntryKind::Pledge
        | EntryKind::Contribution
        | EntryKind::Grant
        | EntryKind::Disbursement
        | EntryKind::Refund => Role::Finance,
    }
}

/// Refuses a command that none of `roles` may post.
pub fn authorize(
    roles: &BTreeSet<Role>,
    command: &Command,
    state: &State,
) -> Result<(), Forbidden> {
    match required_role(command, state) {
        Some(needed) if !roles.contains(&needed) => Err(Forbidden {
            command: command.name(),
            needed,
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::*;
    use crate::domain::Money;

    fn roles(list: &[Role]) -> BTreeSet<Role> {
        list.iter().copied().collect()
    }

    fn pledge() -> Command {
        Command::RecordPledge {
            pledge: PledgeId::generate(),
            phase: PhaseId::generate(),
            contributor: ContributorId::generate(),
            amount: Money::parse("1", crate::domain::Currency::Krw).expect("valid money"),
        }
    }

    #[test]
    fn role_names_round_trip_and_unknown_names_are_refused() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("Finance".parse::<Role>().is_err());
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn finance_may_pledge_and_nobody_else_may() {
        let state = State::default();
        assert_eq!(
            authorize(&roles(&[Role::Finance]), &pledge(), &state),
            Ok(())
        );
        for role in [Role::Government, Role::Auditor, Role::Admin] {
            let refused = authorize(&roles(&[role]), &pledge(), &state).expect_err("not finance");
            assert_eq!(refused.needed, Role::Finance);
        }
    }

    #[test]
    fn phases_need_the_admin_role() {
        let close = Command::ClosePhase {
            phase: PhaseId::generate(),
        };
        assert_eq!(required_role(&close, &State::default()), Some(Role::Admin));
        assert!(authorize(
            &roles(&[Role::Finance, Role::Government]),
            &close,
            &State::default()
        )
        .is_err());
    }

    #[test]
    fn a_reversal_of_an_unknown_entry_is_left_to_decide() {
        let reverse = Command::ReverseEntry {
            entry: EntryId::from(PledgeId::generate()),
            reason: "typo".into(),
        };
        assert_eq!(required_role(&reverse, &State::default()), None);
        assert_eq!(
            authorize(&roles(&[Role::Auditor]), &reverse, &State::default()),
            Ok(())
        );
    }

    #[test]
    fn a_match_is_reversed_by_government_and_other_entries_by_finance() {
        assert_eq!(reversal_role(EntryKind::Match), Role::Government);
        for kind in [
            EntryKind::Pledge,
            EntryKind::Contribution,
            EntryKind::Grant,
            EntryKind::Disbursement,
            EntryKind::Refund,
        ] {
            assert_eq!(reversal_role(kind), Role::Finance);
        }
    }
}
