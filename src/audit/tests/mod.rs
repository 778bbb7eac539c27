//! Tests of the audit module: the tree, keys and notes, checkpoints.

mod checkpoint;
mod merkle;
mod note;
