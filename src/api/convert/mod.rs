//! Conversion between protobuf API messages and domain types.
//!
//! Only the API layer knows protobuf; every value crossing inward is validated here, so a
//! malformed request becomes an INVALID_ARGUMENT naming the field, never a panic.

pub mod balances;
mod commands;
mod events;
mod outbound;
mod values;

pub use commands::{batch_command, options_context, single_command, support_type_to_proto};
pub use events::{committed_event, event_kind_from_proto, event_to_proto};
pub use outbound::command_to_proto;
pub use values::{
    decimal_text, money_to_proto, optional_decimal, parse_date, parse_decimal_field, parse_id,
    parse_money, timestamp,
};

/// A request field that could not be turned into a domain value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct ConvertError {
    /// Path of the field, e.g. `command.amount.amount`.
    pub field: String,
    /// What is wrong with it.
    pub reason: String,
    /// The limit the field is over, by its name in `limits` (e.g. `NAME_BYTES_MAX`).
    pub limit: Option<&'static str>,
    /// In a batch, the index of the command the field belongs to.
    pub command_index: Option<usize>,
}

impl ConvertError {
    /// A conversion error for one field.
    pub fn new(field: impl Into<String>, reason: impl ToString) -> ConvertError {
        ConvertError {
            field: field.into(),
            reason: reason.to_string(),
            limit: None,
            command_index: None,
        }
    }

    /// A field over a named limit; the reason names the limit and its value.
    pub fn over_limit(
        field: impl Into<String>,
        limit: &'static str,
        reason: impl ToString,
    ) -> ConvertError {
        ConvertError {
            field: field.into(),
            reason: reason.to_string(),
            limit: Some(limit),
            command_index: None,
        }
    }

    /// The same error, said of command `index` of a batch.
    pub fn in_command(mut self, index: usize) -> ConvertError {
        self.command_index = Some(index);
        self
    }
}
