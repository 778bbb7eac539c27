//! proto3 JSON ⇄ protobuf for any message of the API, through its descriptor: the one
//! JSON codec of the HTTP side (prost-reflect's serde support), so no message is mapped
//! by hand.

use bytes::Bytes;
use prost::Message;
use prost_reflect::{DeserializeOptions, DynamicMessage, MessageDescriptor, SerializeOptions};
use tonic::Status;

/// How answers are written: the proto3 JSON mapping with lowerCamelCase names and 64-bit
/// integers as strings, and every field present, zero values included, so that a reader
/// of a balance sees `"0"` rather than a missing field.
const ANSWER_OPTIONS: SerializeOptions = SerializeOptions::new().skip_default_fields(false);

/// Encodes a JSON request as the protobuf message `descriptor`. An empty body is the
/// empty message, as `{}` is. Unknown fields are refused, so a misspelt field is an
/// error rather than silently ignored.
pub fn json_to_proto(descriptor: MessageDescriptor, json: &[u8]) -> Result<Bytes, Status> {
    let json: &[u8] = if json.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        json
    };
    let mut deserializer = serde_json::Deserializer::from_slice(json);
    let name = descriptor.full_name().to_string();
    let message = DynamicMessage::deserialize_with_options(
        descriptor,
        &mut deserializer,
        &DeserializeOptions::new(),
    )
    .and_then(|message| deserializer.end().map(|()| message))
    .map_err(|error| {
        Status::invalid_argument(format!(
            "the request is not a {name} in proto3 JSON: {error}"
        ))
    })?;
    Ok(Bytes::from(message.encode_to_vec()))
}

/// Decodes a protobuf answer of type `descriptor` into proto3 JSON.
pub fn proto_to_json(
    descriptor: MessageDescriptor,
    encoded: &[u8],
) -> Result<serde_json::Value, Status> {
    let message = DynamicMessage::decode(descriptor, encoded).map_err(|error| {
        Status::internal(format!("the service's answer does not decode: {error}"))
    })?;
    message
        .serialize_with_options(serde_json::value::Serializer, &ANSWER_OPTIONS)
        .map_err(|error| Status::internal(format!("the answer cannot be written as JSON: {error}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::proto;
    use crate::http::descriptors::Descriptors;

    fn descriptor(name: &str) -> MessageDescriptor {
        Descriptors::load()
            .expect("descriptors")
            .message(name)
            .expect("known message")
    }

    #[test]
    fn a_json_request_encodes_as_the_generated_message_would() {
        let json = br#"{"options":{"idempotencyKey":"k-1","effectiveDate":"2024-03-01"},
            "command":{"phaseId":"p","contributorId":"c","amount":{"amount":"1500000","currency":"KRW"}}}"#;
        let encoded = json_to_proto(descriptor("matchledger.v1.RecordContributionRequest"), json)
            .expect("valid JSON");
        let decoded = proto::RecordContributionRequest::decode(encoded).expect("decodes");
        assert_eq!(decoded.options.expect("options").idempotency_key, "k-1");
        let command = decoded.command.expect("command");
        assert_eq!(command.amount.expect("amount").amount, "1500000");
    }

    #[test]
    fn proto_field_names_are_accepted_as_the_json_mapping_asks() {
        let encoded = json_to_proto(
            descriptor("matchledger.v1.GetPhaseBalancesRequest"),
            br#"{"phase_id":"p","as_of":{"sequence":"100"}}"#,
        )
        .expect("proto names");
        let decoded = proto::GetPhaseBalancesRequest::decode(encoded).expect("decodes");
        assert_eq!(decoded.phase_id, "p");
        assert!(decoded.as_of.is_some());
    }

    #[test]
    fn unknown_fields_and_trailing_bytes_are_refused() {
        let descriptor = descriptor("matchledger.v1.GetPhaseBalancesRequest");
        for json in [
            &br#"{"phaseID":"x"}"#[..],
            br#"{"phaseId":"x"} {}"#,
            b"[1]",
            b"{",
        ] {
            let error = json_to_proto(descriptor.clone(), json).expect_err("refused");
            assert_eq!(error.code(), tonic::Code::InvalidArgument);
        }
        assert!(json_to_proto(descriptor, b"  ").is_ok(), "empty is {{}}");
    }

    #[test]
    fn answers_show_zero_fields_and_64_bit_numbers_as_strings() {
        let answer = proto::PostingResponse {
            events: Vec::new(),
            replayed: false,
            head_sequence: 7,
        };
        let json = proto_to_json(
            descriptor("matchledger.v1.PostingResponse"),
            &answer.encode_to_vec(),
        )
        .expect("decodes");
        assert_eq!(json["headSequence"], "7");
        assert_eq!(json["replayed"], false);
        assert_eq!(json["events"], serde_json::json!([]));
    }
}
