//! Snapshots.

use super::kit::*;
use crate::projection::{Projections, SnapshotError, SNAPSHOT_VERSION};

#[test]
fn snapshot_round_trip_equals_the_original() {
    let log = scripted_programme();

    let restored = Projections::from_snapshot(&log.projections.to_snapshot());

    assert_eq!(restored, Ok(log.projections.clone()));
}

#[test]
fn snapshot_of_empty_projections_round_trips() {
    let empty = Projections::default();

    assert_eq!(Projections::from_snapshot(&empty.to_snapshot()), Ok(empty));
}

#[test]
fn folding_the_tail_after_a_restore_equals_folding_everything() {
    let log = scripted_programme();
    let (head, tail) = log.events.split_at(log.events.len() / 2);
    let snapshot = Projections::replay(head).to_snapshot();

    let mut restored = Projections::from_snapshot(&snapshot).expect("readable");
    for event in tail {
        restored.apply(event);
    }

    assert_eq!(restored, log.projections);
}

#[test]
fn snapshot_of_another_version_is_refused() {
    let log = Log::programme();
    let current = log.projections.to_snapshot();
    let text = String::from_utf8(current).expect("json is utf-8");
    let older = text.replacen(
        &format!("\"version\":{SNAPSHOT_VERSION}"),
        "\"version\":0",
        1,
    );
    assert_ne!(older, text, "version field not found");

    let refused = Projections::from_snapshot(older.as_bytes());

    assert_eq!(
        refused,
        Err(SnapshotError::Version {
            found: 0,
            expected: SNAPSHOT_VERSION
        })
    );
    let other_shape = br#"{"version": 99, "projections": {"something": "else"}}"#;
    assert!(matches!(
        Projections::from_snapshot(other_shape),
        Err(SnapshotError::Version { found: 99, .. })
    ));
}

#[test]
fn damaged_snapshot_is_refused() {
    let bare_version = format!("{{\"version\": {SNAPSHOT_VERSION}}}");
    for bytes in [&b""[..], b"{", b"[]", bare_version.as_bytes()] {
        assert!(matches!(
            Projections::from_snapshot(bytes),
            Err(SnapshotError::Malformed(_))
        ));
    }
}
