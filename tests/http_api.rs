//! The JSON API over real HTTP against the real server: every RPC reachable as JSON, a
//! programme posted and queried back, refusals with the Connect HTTP statuses and the
//! same `google.rpc` details as gRPC, idempotent replay, and the protocol's own refusals
//! (unknown method, wrong content type, oversized body). Streams: `http_streams.rs`.

mod common;

use common::http::{Answer, HttpServer};
use matchledger::api::convert::support_type_to_proto;
use matchledger::domain::SupportType;
use matchledger::http::descriptors::{method_path, Descriptors};
use matchledger::http::transcode::proto_to_json;
use prost::Message;
use serde_json::{json, Value};

const POSTING: &str = "/matchledger.v1.PostingService";
const QUERY: &str = "/matchledger.v1.QueryService";

/// Options with a fresh idempotency key.
fn options() -> Value {
    json!({"idempotencyKey": uuid::Uuid::now_v7().to_string(), "effectiveDate": "2024-03-01"})
}

/// The 2022 support types as the API's JSON.
fn support_types() -> Value {
    let descriptor = Descriptors::load()
        .expect("descriptors")
        .message("matchledger.v1.SupportType")
        .expect("SupportType");
    SupportType::smart_factory_2022()
        .iter()
        .map(|support_type| {
            let encoded = support_type_to_proto(support_type).encode_to_vec();
            proto_to_json(descriptor.clone(), &encoded).expect("JSON")
        })
        .collect()
}

/// The entity id of the first event of an accepted posting.
fn entity(answer: &Answer) -> String {
    assert_eq!(
        answer.status,
        200,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    answer.json()["events"][0]["entityId"]
        .as_str()
        .expect("entity id")
        .to_string()
}

/// Ids of a programme posted as JSON.
struct Programme {
    phase: String,
    contributor: String,
    agency: String,
    sme: String,
}

/// Opens a phase and registers a contributor, an agency and a small SME, all as JSON.
async fn programme(server: &HttpServer, token: Option<&str>) -> Programme {
    let post = |method: &str, command: Value| {
        let path = format!("{POSTING}/{method}");
        async move {
            let answer = server
                .call(
                    &path,
                    token,
                    &json!({"options": options(), "command": command}),
                )
                .await;
            entity(&answer)
        }
    };
    let phase = post(
        "OpenPhase",
        json!({"name": "Win-win smart factory 2024", "currency": "KRW",
               "startsOn": "2024-01-01", "endsOn": "2028-12-31", "matchRatio": "1",
               "supportTypes": support_types()}),
    )
    .await;
    let contributor = post("RegisterContributor", json!({"name": "Sponsor Steel"})).await;
    let agency = post("RegisterAgency", json!({"name": "SME Fund Manager"})).await;
    let sme = post(
        "RegisterSme",
        json!({"businessRegistrationNumber": "1248100998", "name": "Hanbit Precision",
               "supplier": true, "channel": "APPLICATION_CHANNEL_SPONSOR_PORTAL",
               "size": "SIZE_CLASS_SMALL"}),
    )
    .await;
    Programme {
        phase,
        contributor,
        agency,
        sme,
    }
}

/// Records a contribution of `amount` won as JSON.
async fn contribute(server: &HttpServer, programme: &Programme, amount: &str) -> Answer {
    let request = json!({"options": options(), "command": {
        "phaseId": programme.phase, "contributorId": programme.contributor,
        "amount": {"amount": amount, "currency": "KRW"}}});
    server
        .call(&format!("{POSTING}/RecordContribution"), None, &request)
        .await
}

#[tokio::test]
async fn a_programme_posted_as_json_is_answered_in_json_by_the_queries() {
    // Given a programme posted through the JSON API.
    let server = HttpServer::start().await;
    let programme = programme(&server, None).await;
    let contribution = entity(&contribute(&server, &programme, "50000000").await);
    let matched = json!({"options": options(), "command": {
        "contributionId": contribution, "agencyId": programme.agency,
        "amount": {"amount": "50000000", "currency": "KRW"}}});
    entity(
        &server
            .call(&format!("{POSTING}/RecordMatch"), None, &matched)
            .await,
    );
    let award = json!({"options": options(), "command": {
        "phaseId": programme.phase, "smeId": programme.sme, "purpose": "PURPOSE_SMART_FACTORY",
        "supportType": "type2-basic", "projectCost": {"amount": "20000000", "currency": "KRW"},
        "governmentShare": "10000000", "sponsorShare": "10000000", "ownShare": "0"}});
    entity(
        &server
            .call(&format!("{POSTING}/AwardGrant"), None, &award)
            .await,
    );

    // When the phase's balances are asked for as JSON.
    let answer = server
        .call(
            &format!("{QUERY}/GetPhaseBalances"),
            None,
            &json!({"phaseId": programme.phase}),
        )
        .await;

    // Then they are the proto3 JSON of the gRPC answer: money as decimal strings.
    assert_eq!(answer.status, 200);
    assert_eq!(answer.content_type(), "application/json");
    let balances = answer.json();
    let text = balances.to_string();
    assert!(text.contains("\"50000000\""), "{text}");
    assert!(text.contains("\"20000000\""), "{text}");
    assert_eq!(balances["answeredAtSequence"], "7", "{text}");
    let status = server
        .call(
            &format!("{QUERY}/GetMatchStatus"),
            None,
            &json!({"contributionId": contribution}),
        )
        .await;
    assert_eq!(status.status, 200);
    assert!(status.body.len() > 2);
    server.stop().await;
}

#[tokio::test]
async fn every_rpc_in_the_proto_is_reachable_as_json() {
    // Given a server with a little history.
    let server = HttpServer::start().await;
    let programme = programme(&server, None).await;
    entity(&contribute(&server, &programme, "1000000").await);
    let descriptors = Descriptors::load().expect("descriptors");
    let methods = descriptors.methods();
    assert!(methods.len() >= 30, "{} methods", methods.len());
    for method in methods {
        let path = method_path(&method);
        // When each method is called with the empty request.
        let answer = if method.name() == "Subscribe" {
            // A live stream stays open: its head is what shows it is served.
            let request = http::Request::post(format!("{}{path}", server.base))
                .header("content-type", "application/json")
                .body(http_body_util::Full::new(bytes::Bytes::from_static(b"{}")))
                .expect("request");
            let response = server.open(request).await;
            assert_eq!(response.status(), 200, "{path}");
            assert_eq!(response.headers()["content-type"], "application/x-ndjson");
            continue;
        } else {
            server.call(&path, None, &json!({})).await
        };
        // Then the service answered it: an answer, or one of its own refusals, never the
        // protocol's "no such method" or a body that is not JSON.
        assert_ne!(answer.status, 404, "{path}: {:?}", answer.body);
        assert_ne!(answer.status, 415, "{path}");
        if method.is_server_streaming() {
            assert_eq!(answer.status, 200, "{path}");
            assert_eq!(answer.content_type(), "application/x-ndjson", "{path}");
            // Every line is JSON; only a listing of what this history has none of (no phase
            // has closed, so no closing statement) may be empty.
            let lines = answer.lines();
            if method.name() != "ListClosingStatements" {
                assert!(!lines.is_empty(), "{path}");
            }
        } else {
            assert_eq!(answer.content_type(), "application/json", "{path}");
            let body = answer.json();
            if answer.status != 200 {
                let code = body["code"].as_str().expect("a Connect error");
                assert_ne!(code, "unimplemented", "{path}");
                assert_ne!(code, "internal", "{path}: {body}");
            }
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn an_invalid_amount_is_400_with_the_field_violation_of_grpc() {
    let server = HttpServer::start().await;
    let programme = programme(&server, None).await;
    // When a fractional won is posted.
    let answer = contribute(&server, &programme, "1.5").await;
    // Then it is INVALID_ARGUMENT as HTTP 400, with a BadRequest naming the field, both
    // encoded and readable.
    assert_eq!(answer.status, 400);
    let error = answer.json();
    assert_eq!(error["code"], "invalid_argument", "{error}");
    assert!(error["message"]
        .as_str()
        .expect("message")
        .contains("amount"));
    let details = error["details"].as_array().expect("details");
    let bad_request = details
        .iter()
        .find(|detail| detail["type"] == "google.rpc.BadRequest")
        .expect("a BadRequest detail");
    let field = bad_request["debug"]["fieldViolations"][0]["field"]
        .as_str()
        .expect("field");
    assert!(field.contains("amount"), "{field}");
    use base64::Engine;
    let value = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(bad_request["value"].as_str().expect("value"))
        .expect("base64 without padding");
    let decoded = tonic_types::pb::BadRequest::decode(value.as_slice()).expect("BadRequest");
    assert_eq!(decoded.field_violations[0].field, field);
    server.stop().await;
}

#[tokio::test]
async fn a_rule_refusal_is_failed_precondition_as_400_and_writes_nothing() {
    let server = HttpServer::start().await;
    let programme = programme(&server, None).await;
    let contribution = entity(&contribute(&server, &programme, "1000000").await);
    // When a match larger than the contribution is posted.
    let matched = json!({"options": options(), "command": {
        "contributionId": contribution, "agencyId": programme.agency,
        "amount": {"amount": "1000001", "currency": "KRW"}}});
    let answer = server
        .call(&format!("{POSTING}/RecordMatch"), None, &matched)
        .await;
    // Then Connect's FAILED_PRECONDITION status carries the rule's PreconditionFailure.
    assert_eq!(answer.status, 400);
    let error = answer.json();
    assert_eq!(error["code"], "failed_precondition", "{error}");
    let types: Vec<&str> = error["details"]
        .as_array()
        .expect("details")
        .iter()
        .filter_map(|detail| detail["type"].as_str())
        .collect();
    assert!(
        types.contains(&"google.rpc.PreconditionFailure"),
        "{types:?}"
    );
    assert!(types.contains(&"google.rpc.ErrorInfo"), "{types:?}");
    // And nothing was written: the head is still the contribution's.
    let head = server
        .call(&format!("{QUERY}/ListPhaseBalances"), None, &json!({}))
        .await
        .json();
    assert_eq!(head["answeredAtSequence"], "5");
    server.stop().await;
}

#[tokio::test]
async fn a_retry_with_the_same_key_returns_the_same_answer_and_another_request_is_409() {
    let server = HttpServer::start().await;
    let path = format!("{POSTING}/RegisterContributor");
    let request = json!({"options": options(), "command": {"name": "Sponsor Steel"}});
    // When the same posting is sent twice.
    let first = server.call(&path, None, &request).await.json();
    let second = server.call(&path, None, &request).await.json();
    // Then the retry is the first answer, marked as a replay.
    assert_eq!(first["events"], second["events"]);
    assert_eq!(first["replayed"], false);
    assert_eq!(second["replayed"], true);
    // And the same key with a different request is ALREADY_EXISTS, HTTP 409.
    let mut changed = request.clone();
    changed["command"]["name"] = json!("Another Steel");
    let refused = server.call(&path, None, &changed).await;
    assert_eq!(refused.status, 409);
    assert_eq!(refused.json()["code"], "already_exists");
    server.stop().await;
}

#[tokio::test]
async fn the_protocol_refuses_unknown_methods_wrong_content_types_and_bad_json() {
    let server = HttpServer::start().await;
    // An unknown method of a known service, and an unknown service: 404.
    let unknown = server
        .call(&format!("{POSTING}/DropEverything"), None, &json!({}))
        .await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json()["code"], "unimplemented");
    let nowhere = server
        .call("/matchledger.v1.NoService/Method", None, &json!({}))
        .await;
    assert_eq!(nowhere.status, 404);
    // A content type the API does not speak: 415, naming the ones it does.
    let form = server
        .post(
            &format!("{QUERY}/ListPhaseBalances"),
            "application/x-www-form-urlencoded",
            None,
            bytes::Bytes::from_static(b"a=b"),
        )
        .await;
    assert_eq!(form.status, 415);
    assert!(form.headers["accept-post"]
        .to_str()
        .expect("ASCII")
        .contains("application/json"));
    // JSON that is not the request message: 400 naming the problem.
    let misspelt = server
        .call(
            &format!("{QUERY}/GetPhaseBalances"),
            None,
            &json!({"phase_idd": "x"}),
        )
        .await;
    assert_eq!(misspelt.status, 400);
    assert!(misspelt.json()["message"]
        .as_str()
        .expect("message")
        .contains("phase_idd"));
    // Connect headers the protocol does not allow: 400.
    for (header, value) in [
        ("connect-protocol-version", "2"),
        ("connect-timeout-ms", "soon"),
        ("connect-timeout-ms", "12345678901"),
    ] {
        let request = http::Request::post(format!("{}{QUERY}/ListPhaseBalances", server.base))
            .header("content-type", "application/json")
            .header(header, value)
            .body(http_body_util::Full::new(bytes::Bytes::from_static(b"{}")))
            .expect("request");
        let answer = server.send(request).await;
        assert_eq!(answer.status, 400, "{header}: {value}");
        assert_eq!(answer.json()["code"], "invalid_argument");
    }
    // GET on a method: 405, as only POST is a call.
    let get = server.get(&format!("{QUERY}/ListPhaseBalances")).await;
    assert_eq!(get.status, 405);
    server.stop().await;
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_with_413() {
    let server = HttpServer::start().await;
    let limit = matchledger::limits::HTTP_REQUEST_BYTES_MAX;
    let name = "x".repeat(limit);
    let answer = server
        .call(
            &format!("{POSTING}/RegisterContributor"),
            None,
            &json!({"options": options(), "command": {"name": name}}),
        )
        .await;
    assert_eq!(answer.status, 413);
    assert_eq!(answer.json()["code"], "resource_exhausted");
    server.stop().await;
}

#[tokio::test]
async fn binary_protobuf_bodies_pass_through_as_application_proto() {
    use matchledger::api::proto;
    let server = HttpServer::start().await;
    let request = proto::ListPhaseBalancesRequest { as_of: None };
    let answer = server
        .post(
            &format!("{QUERY}/ListPhaseBalances"),
            "application/proto",
            None,
            request.encode_to_vec().into(),
        )
        .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.content_type(), "application/proto");
    let decoded = proto::ListPhaseBalancesResponse::decode(answer.body.clone()).expect("decodes");
    assert!(decoded.phases.is_empty());
    server.stop().await;
}
