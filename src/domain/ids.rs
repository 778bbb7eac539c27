//! Identifier newtypes. Entities are named by UUIDs (v7 when the server makes them), so an
//! id of one kind can never be passed where another kind is expected.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Why an identifier is not acceptable input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} id {text:?} is not a UUID")]
pub struct IdError {
    /// Which kind of id was expected.
    pub kind: &'static str,
    /// The offending text, truncated.
    pub text: String,
}

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub struct $name(Uuid);

        impl $name {
            /// A new, time-ordered id (UUID v7).
            pub fn generate() -> Self {
                $name(Uuid::now_v7())
            }

            /// Wraps an existing UUID.
            pub const fn from_uuid(uuid: Uuid) -> Self {
                $name(uuid)
            }

            /// The underlying UUID.
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }

            /// What kind of entity this id names, for messages.
            pub const KIND: &'static str = $kind;
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = IdError;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(text).map($name).map_err(|_| IdError {
                    kind: $kind,
                    text: text.chars().take(48).collect(),
                })
            }
        }
    };
}

uuid_id!(
    /// A programme phase.
    PhaseId, "phase"
);
uuid_id!(
    /// A contributing company (the sponsor).
    ContributorId, "contributor"
);
uuid_id!(
    /// A government matching agency.
    AgencyId, "agency"
);
uuid_id!(
    /// A supported SME.
    SmeId, "sme"
);
uuid_id!(
    /// A pledge posting.
    PledgeId, "pledge"
);
uuid_id!(
    /// A contribution posting.
    ContributionId, "contribution"
);
uuid_id!(
    /// A government match posting.
    MatchId, "match"
);
uuid_id!(
    /// A grant (one support project of one SME).
    GrantId, "grant"
);
uuid_id!(
    /// A disbursement posting.
    DisbursementId, "disbursement"
);
uuid_id!(
    /// A refund (clawback) posting.
    RefundId, "refund"
);
uuid_id!(
    /// A clawback decided against a grant (환수 결정), collected and passed on.
    ClawbackId, "clawback"
);
uuid_id!(
    /// Any money posting that a reversal may name: pledge, contribution, match, grant,
    /// disbursement or refund. Every posting id is unique across all kinds.
    EntryId, "entry"
);
uuid_id!(
    /// One stored event.
    EventId, "event"
);

macro_rules! into_entry {
    ($($name:ident),*) => {
        $(impl From<$name> for EntryId {
            fn from(id: $name) -> EntryId {
                EntryId(id.0)
            }
        })*
    };
}

into_entry!(
    PledgeId,
    ContributionId,
    MatchId,
    GrantId,
    DisbursementId,
    RefundId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_text() {
        let id = SmeId::generate();
        assert_eq!(id.to_string().parse::<SmeId>().unwrap(), id);
    }

    #[test]
    fn malformed_id_names_its_kind() {
        let error = "nope".parse::<GrantId>().unwrap_err();
        assert_eq!(error.kind, "grant");
    }

    #[test]
    fn posting_ids_convert_to_the_same_entry_id() {
        let id = MatchId::generate();
        assert_eq!(EntryId::from(id).as_uuid(), id.as_uuid());
    }
}
