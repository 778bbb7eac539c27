//! Projections: balances folded from the event log.
