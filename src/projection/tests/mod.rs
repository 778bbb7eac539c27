//! Tests of the projections: given a log written by hand, when it is folded, then these
//! figures. Every event recorded through the kit also checks the books (see `kit::Log`).

mod contributions;
mod journal;
mod kit;
mod participants;
mod phase;
mod replay;
mod report;
mod settlement;
mod sme;
mod snapshot;
