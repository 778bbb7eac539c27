//! What callers hand the writer, and what it hands back.

use sha2::{Digest, Sha256};
use tokio::sync::oneshot;

use super::error::LedgerError;
use crate::domain::{Command, CommandContext, RecordedEvent};

/// One or more commands to decide and commit atomically, under one idempotency key.
#[derive(Debug, Clone)]
pub struct Submission {
    /// The commands, decided in order; all their events are written or none.
    pub commands: Vec<Command>,
    /// Who posts, under which idempotency key, effective when.
    pub context: CommandContext,
    /// Digest of the request as the client sent it: the same key with another
    /// fingerprint is a conflict, with the same fingerprint a replay.
    pub fingerprint: [u8; 32],
}

impl Submission {
    /// A submission whose fingerprint is computed from the commands and context, for
    /// callers that build domain commands directly (tests, benches, the generator).
    pub fn new(commands: Vec<Command>, context: CommandContext) -> Submission {
        let fingerprint = fingerprint_of(&commands, &context);
        Submission {
            commands,
            context,
            fingerprint,
        }
    }

    /// The key under which the idempotency record is kept: keys are per principal,
    /// so two finance systems cannot collide on the same key.
    pub fn scoped_key(&self) -> String {
        format!(
            "{}\u{0}{}",
            self.context.actor, self.context.idempotency_key
        )
    }
}

/// A digest of commands and context that does not depend on the actor.
pub fn fingerprint_of(commands: &[Command], context: &CommandContext) -> [u8; 32] {
    let mut hasher = Sha256::new();
    // serde_json of plain data types cannot fail; an error would only drop entropy from
    // the digest, never accept a conflicting request as a replay of another command list.
    hasher.update(serde_json::to_vec(commands).unwrap_or_default());
    hasher.update(context.effective_date.to_string());
    hasher.update(context.external_ref.as_deref().unwrap_or(""));
    for (key, value) in &context.metadata {
        hasher.update(key);
        hasher.update([0]);
        hasher.update(value);
        hasher.update([0]);
    }
    hasher.finalize().into()
}

/// The outcome of a submission once its events are durable.
#[derive(Debug, Clone)]
pub struct Committed {
    /// The events committed for it, in order.
    pub events: Vec<RecordedEvent>,
    /// True when the events were committed by an earlier request with the same key.
    pub replayed: bool,
    /// The head of the log right after the commit.
    pub head: u64,
}

/// A message to the writer.
pub(crate) enum WriterMessage {
    Submit {
        submission: Submission,
        reply: oneshot::Sender<Result<Committed, LedgerError>>,
    },
    Shutdown {
        done: oneshot::Sender<()>,
    },
}
