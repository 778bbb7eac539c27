//! Replay: the answer as of any sequence equals the state observed right after it.

use super::kit::*;
use crate::projection::Projections;

#[test]
fn replay_of_the_whole_log_equals_the_incremental_fold() {
    let log = scripted_programme();

    assert_eq!(Projections::replay(&log.events), log.projections);
}

#[test]
fn replay_of_the_first_k_events_equals_the_state_right_after_event_k() {
    let log = scripted_programme();
    let mut incremental = Projections::default();

    for (k, event) in log.events.iter().enumerate() {
        incremental.apply(event);
        let as_of = Projections::replay(log.events.iter().take(k + 1));
        assert_eq!(as_of, incremental, "differs as of event {}", k + 1);
        assert_eq!(as_of.sequence(), event.sequence);
    }
}

#[test]
fn a_published_clone_does_not_see_later_events() {
    let mut log = scripted_programme();
    let published = log.projections.clone();
    let before = published.phase(&log.phase).expect("phase");

    log.contribute(99, 1_000);

    assert_eq!(published.phase(&log.phase), Some(before));
    assert_ne!(log.projections, published);
}
