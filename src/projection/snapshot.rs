//! Snapshots: the projections written out, so that start-up folds only the tail of the log.
//!
//! A snapshot is JSON `{"version": …, "projections": …}`. A snapshot of another version is
//! refused rather than upcast: the caller rebuilds from the log, which is always possible
//! because the log is the truth and the projections are only a cache of it.

use serde::{Deserialize, Serialize};

use super::Projections;

/// Version of the snapshot format; bump it whenever the folded state changes shape or
/// meaning, so that old snapshots are refused and rebuilt.
///
/// 2: phases keep the sequence that opened them and contributions the sequences of the
/// events touching them (the match bundle's index).
pub const SNAPSHOT_VERSION: u32 = 3;

/// Why a snapshot cannot be used (the caller then rebuilds from the log).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    #[error("snapshot is version {found}, this build reads version {expected}")]
    Version { found: u32, expected: u32 },
    #[error("snapshot is not readable: {0}")]
    Malformed(String),
}

#[derive(Serialize)]
struct SnapshotOut<'a> {
    version: u32,
    projections: &'a Projections,
}

#[derive(Deserialize)]
struct SnapshotIn {
    version: u32,
    projections: Projections,
}

/// Reads only the version, to tell an old snapshot from a damaged one.
#[derive(Deserialize)]
struct VersionProbe {
    version: u32,
}

impl Projections {
    /// The projections as snapshot bytes.
    pub fn to_snapshot(&self) -> Vec<u8> {
        let snapshot = SnapshotOut {
            version: SNAPSHOT_VERSION,
            projections: self,
        };
        // Serialising cannot fail: every map key is an id (a string in JSON) and every
        // value derives `Serialize`. Were it ever to fail, empty bytes are refused by
        // `from_snapshot`, and the caller rebuilds from the log: slower, never wrong.
        serde_json::to_vec(&snapshot).unwrap_or_default()
    }

    /// Projections from snapshot bytes written by this version.
    pub fn from_snapshot(bytes: &[u8]) -> Result<Projections, SnapshotError> {
        match serde_json::from_slice::<SnapshotIn>(bytes) {
            Ok(snapshot) if snapshot.version == SNAPSHOT_VERSION => Ok(snapshot.projections),
            Ok(snapshot) => Err(SnapshotError::Version {
                found: snapshot.version,
                expected: SNAPSHOT_VERSION,
            }),
            // Another version may well not parse as this one: say which it is if we can.
            Err(error) => match serde_json::from_slice::<VersionProbe>(bytes) {
                Ok(probe) if probe.version != SNAPSHOT_VERSION => Err(SnapshotError::Version {
                    found: probe.version,
                    expected: SNAPSHOT_VERSION,
                }),
                _ => Err(SnapshotError::Malformed(error.to_string())),
            },
        }
    }
}
