//! What a posting answers: the events committed, whether it was a replay, and the key.

use serde_json::json;

use super::event_view::kind_name;
use super::output::{yes_no, Align, Table, View};
use crate::api::proto;

/// The receipt of a posting sent with idempotency key `key`.
pub fn receipt(key: &str, response: &proto::PostingResponse) -> View {
    let mut header = Table::headless(&[Align::Left, Align::Left]);
    header.row(vec!["idempotency key".into(), key.to_string()]);
    header.row(vec![
        "replayed".into(),
        if response.replayed {
            "yes (answered from the first request; nothing new was written)".into()
        } else {
            yes_no(false)
        },
    ]);
    header.row(vec![
        "head sequence".into(),
        response.head_sequence.to_string(),
    ]);
    let mut events = Table::new(&[
        ("sequence", Align::Right),
        ("kind", Align::Left),
        ("entity", Align::Left),
        ("event", Align::Left),
    ]);
    for event in &response.events {
        events.row(vec![
            event.sequence.to_string(),
            kind_name(event.kind),
            event.entity_id.clone(),
            event.event_id.clone(),
        ]);
    }
    let events_json: Vec<_> = response
        .events
        .iter()
        .map(|event| {
            json!({
                "sequence": event.sequence,
                "event_id": event.event_id,
                "hash": hex::encode(&event.hash),
                "kind": kind_name(event.kind),
                "entity_id": event.entity_id,
            })
        })
        .collect();
    View {
        text: format!("{}\n{}", header.render(), events.render()),
        json: json!({
            "idempotency_key": key,
            "replayed": response.replayed,
            "head_sequence": response.head_sequence,
            "events": events_json,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipt_shows_the_key_and_each_committed_event() {
        let response = proto::PostingResponse {
            events: vec![proto::CommittedEvent {
                sequence: 7,
                event_id: "e-7".into(),
                hash: vec![0xab, 0xcd],
                kind: proto::EventKind::ContributionRecorded as i32,
                entity_id: "c-1".into(),
            }],
            replayed: false,
            head_sequence: 7,
        };
        let view = receipt("k-1", &response);
        assert!(view.text.contains("idempotency key  k-1"));
        assert!(view
            .text
            .contains("       7  contribution_recorded  c-1     e-7"));
        assert_eq!(view.json["events"][0]["hash"], "abcd");
        assert_eq!(view.json["idempotency_key"], "k-1");
    }
}
