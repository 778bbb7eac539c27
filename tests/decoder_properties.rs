//! Hostile bytes never panic the two places where outside data enters: the stored-event
//! decoder (a damaged or forged log) and the request conversion layer (any client).

use chrono::{NaiveDate, TimeZone, Utc};
use matchledger::api::convert::{batch_command, command_to_proto, options_context};
use matchledger::api::proto::{self, batch_command::Command as C, BatchCommand};
use matchledger::domain::event::AgencyRegistered;
use matchledger::domain::{AgencyId, Event, EventId, EventMeta};
use matchledger::store::{decode, encode, FORMAT_VERSION};
use proptest::prelude::*;
use prost::Message;

/// Text of every shape the converters meet: printable noise, near-valid ids, numbers and
/// dates, and the valid forms themselves.
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "\\PC{0,40}",
        "[0-9a-fA-F-]{30,40}",
        Just(uuid::Uuid::now_v7().to_string()),
        "[-+]?[0-9]{0,30}(\\.[0-9]{0,12})?",
        "[0-9]{10}|[0-9]{3}-[0-9]{2}-[0-9]{5}",
        "[0-9]{1,6}-[0-9]{1,2}-[0-9]{1,2}",
        "KRW|USD|EUR|JPY|krw|XXX",
        ".{0,8}",
    ]
}

fn any_enum() -> impl Strategy<Value = i32> {
    prop_oneof![-2..8i32, any::<i32>()]
}

fn any_money() -> impl Strategy<Value = Option<proto::Money>> {
    proptest::option::weighted(
        0.9,
        (any_text(), any_text()).prop_map(|(amount, currency)| proto::Money { amount, currency }),
    )
}

fn any_share_rule() -> impl Strategy<Value = Option<proto::ShareRule>> {
    proptest::option::of((any_text(), any_text(), any_text()).prop_map(
        |(ratio_min, ratio_max, cap)| proto::ShareRule {
            ratio_min,
            ratio_max,
            cap,
        },
    ))
}

fn any_support_type() -> impl Strategy<Value = proto::SupportType> {
    (
        any_text(),
        any_text(),
        any_share_rule(),
        any_share_rule(),
        any_share_rule(),
    )
        .prop_map(
            |(code, project_cost_max, government, sponsor, own)| proto::SupportType {
                code,
                project_cost_max,
                government,
                sponsor,
                own,
            },
        )
}

/// Any of the twelve commands, with arbitrary field contents.
fn any_command() -> impl Strategy<Value = C> {
    prop_oneof![
        (
            any_text(),
            any_text(),
            any_text(),
            any_text(),
            any_text(),
            any_text(),
            prop::collection::vec(any_support_type(), 0..4)
        )
            .prop_map(
                |(phase_id, name, currency, starts_on, ends_on, match_ratio, support_types)| {
                    C::OpenPhase(proto::OpenPhase {
                        phase_id,
                        name,
                        currency,
                        starts_on,
                        ends_on,
                        match_ratio,
                        support_types,
                    })
                }
            ),
        any_text().prop_map(|phase_id| C::ClosePhase(proto::ClosePhase { phase_id })),
        (any_text(), any_text()).prop_map(|(contributor_id, name)| C::RegisterContributor(
            proto::RegisterContributor {
                contributor_id,
                name
            }
        )),
        (any_text(), any_text()).prop_map(|(agency_id, name)| C::RegisterAgency(
            proto::RegisterAgency { agency_id, name }
        )),
        (
            any_text(),
            any_text(),
            any_text(),
            any::<bool>(),
            any_enum(),
            any_enum()
        )
            .prop_map(
                |(sme_id, business_registration_number, name, supplier, channel, size)| {
                    C::RegisterSme(proto::RegisterSme {
                        sme_id,
                        business_registration_number,
                        name,
                        supplier,
                        channel,
                        size,
                    })
                }
            ),
        (any_text(), any_text(), any_text(), any_money()).prop_map(
            |(pledge_id, phase_id, contributor_id, amount)| {
                C::RecordPledge(proto::RecordPledge {
                    pledge_id,
                    phase_id,
                    contributor_id,
                    amount,
                })
            }
        ),
        (any_text(), any_text(), any_text(), any_money()).prop_map(
            |(contribution_id, phase_id, contributor_id, amount)| {
                C::RecordContribution(proto::RecordContribution {
                    contribution_id,
                    phase_id,
                    contributor_id,
                    amount,
                })
            }
        ),
        (any_text(), any_text(), any_text(), any_money()).prop_map(
            |(match_id, contribution_id, agency_id, amount)| {
                C::RecordMatch(proto::RecordMatch {
                    match_id,
                    contribution_id,
                    agency_id,
                    amount,
                })
            }
        ),
        (
            (any_text(), any_text(), any_text(), any_enum()),
            (any_text(), any_money(), any_text(), any_text(), any_text())
        )
            .prop_map(
                |(
                    (grant_id, phase_id, sme_id, purpose),
                    (support_type, project_cost, government_share, sponsor_share, own_share),
                )| {
                    C::AwardGrant(proto::AwardGrant {
                        grant_id,
                        phase_id,
                        sme_id,
                        purpose,
                        support_type,
                        project_cost,
                        government_share,
                        sponsor_share,
                        own_share,
                    })
                }
            ),
        (any_text(), any_text(), any_money()).prop_map(|(disbursement_id, grant_id, amount)| {
            C::RecordDisbursement(proto::RecordDisbursement {
                disbursement_id,
                grant_id,
                amount,
            })
        }),
        (any_text(), any_text(), any_money(), any_text()).prop_map(
            |(refund_id, grant_id, amount, reason)| {
                C::RecordRefund(proto::RecordRefund {
                    refund_id,
                    grant_id,
                    amount,
                    reason,
                })
            }
        ),
        (any_text(), any_text()).prop_map(|(entry_id, reason)| C::ReverseEntry(
            proto::ReverseEntry { entry_id, reason }
        )),
    ]
}

fn any_options() -> impl Strategy<Value = proto::PostingOptions> {
    (
        any_text(),
        any_text(),
        any_text(),
        prop::collection::vec((any_text(), any_text()), 0..20),
    )
        .prop_map(|(idempotency_key, effective_date, external_ref, pairs)| {
            proto::PostingOptions {
                idempotency_key,
                effective_date,
                external_ref,
                metadata: pairs
                    .into_iter()
                    .map(|(key, value)| proto::MetadataEntry { key, value })
                    .collect(),
            }
        })
}

/// A valid stored event to damage.
fn stored_event(name: &str, actor: &str) -> Vec<u8> {
    let meta = EventMeta {
        id: EventId::generate(),
        recorded_at: Utc
            .timestamp_opt(1_700_000_000, 0)
            .single()
            .expect("valid time"),
        effective_date: NaiveDate::from_ymd_opt(2024, 3, 1).expect("valid date"),
        actor: actor.into(),
        idempotency_key: "voucher-1".into(),
        external_ref: Some("ERP-1".into()),
        metadata: vec![("cost-centre".into(), "A1".into())],
    };
    let event = Event::AgencyRegistered(AgencyRegistered {
        agency: AgencyId::generate(),
        name: name.into(),
    });
    encode(7, [3; 32], &meta, &event)
}

/// The envelope of a stored event with arbitrary values, to reach past protobuf decoding
/// into the checks on each field.
#[derive(Clone, PartialEq, prost::Message)]
struct Envelope {
    #[prost(uint32, tag = "1")]
    format_version: u32,
    #[prost(uint64, tag = "2")]
    sequence: u64,
    #[prost(bytes = "vec", tag = "3")]
    event_id: Vec<u8>,
    #[prost(int64, tag = "4")]
    recorded_at_unix_micros: i64,
    #[prost(sint32, tag = "5")]
    effective_date_epoch_days: i32,
    #[prost(string, tag = "6")]
    actor: String,
    #[prost(bytes = "vec", tag = "10")]
    prev_hash: Vec<u8>,
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic_the_event_decoder(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode(&bytes);
    }

    #[test]
    fn damaged_stored_events_never_panic_the_decoder(
        name in "\\PC{1,40}",
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = stored_event(&name, "treasury-erp");
        prop_assert!(decode(&bytes).is_ok(), "the undamaged event must decode");
        for (at, value) in flips {
            let index = at.index(bytes.len());
            bytes[index] ^= value;
        }
        let _ = decode(&bytes);
        let _ = decode(&bytes[..cut.index(bytes.len() + 1)]);
    }

    #[test]
    fn forged_envelopes_with_extreme_fields_never_panic_the_decoder(
        version in prop_oneof![Just(FORMAT_VERSION), any::<u32>()],
        sequence in any::<u64>(),
        event_id in prop::collection::vec(any::<u8>(), 0..20),
        micros in prop_oneof![Just(i64::MIN), Just(i64::MAX), any::<i64>()],
        days in prop_oneof![Just(i32::MIN), Just(i32::MAX), any::<i32>()],
        prev_hash in prop::collection::vec(any::<u8>(), 0..40),
        payload_tag in 11u32..32,
        payload in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let envelope = Envelope {
            format_version: version,
            sequence,
            event_id,
            recorded_at_unix_micros: micros,
            effective_date_epoch_days: days,
            actor: "auditor".into(),
            prev_hash,
        };
        let mut bytes = envelope.encode_to_vec();
        prost::encoding::bytes::encode(payload_tag, &payload, &mut bytes);
        let _ = decode(&bytes);
    }

    #[test]
    fn arbitrary_commands_convert_or_are_refused_without_panic(command in any_command()) {
        let wire = BatchCommand { command: Some(command) };
        if let Ok(converted) = batch_command("commands[0]", &wire) {
            // What was accepted goes back to the wire and converts to the same command.
            let again = batch_command("commands[0]", &command_to_proto(&converted));
            prop_assert_eq!(again, Ok(converted));
        }
    }

    #[test]
    fn arbitrary_posting_options_convert_or_are_refused_without_panic(options in any_options(), actor in any_text()) {
        let _ = options_context(Some(&options), &actor);
    }

    #[test]
    fn arbitrary_request_bytes_never_panic_the_conversion(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(request) = proto::PostBatchRequest::decode(bytes.as_slice()) {
            for (index, command) in request.commands.iter().enumerate() {
                let _ = batch_command(&format!("commands[{index}]"), command);
            }
            let _ = options_context(request.options.as_ref(), "local");
        }
    }
}
