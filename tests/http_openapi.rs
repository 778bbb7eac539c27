//! `GET /openapi.json` over real HTTP: an OpenAPI 3.0 document that a model of the
//! specification parses, with a path for every RPC in the proto and every schema it
//! refers to present.

mod common;

use common::http::HttpServer;
use matchledger::http::descriptors::{method_path, Descriptors};
use serde_json::Value;

/// Every `$ref` string anywhere in `value`.
fn references(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                match (key.as_str(), child) {
                    ("$ref", Value::String(target)) => found.push(target.clone()),
                    _ => references(child, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| references(item, found)),
        _ => {}
    }
}

#[tokio::test]
async fn the_openapi_document_parses_and_has_a_path_for_every_rpc() {
    let server = HttpServer::start().await;
    let answer = server.get("/openapi.json").await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.content_type(), "application/json");
    // It is an OpenAPI 3.0 document by the specification's model.
    let document: openapiv3::OpenAPI =
        serde_json::from_slice(&answer.body).expect("a valid OpenAPI 3.0 document");
    assert!(document.openapi.starts_with("3.0"));
    // Every RPC in the proto has its POST path.
    let methods = Descriptors::load().expect("descriptors").methods();
    assert!(methods.len() >= 30);
    for method in &methods {
        let path = method_path(method);
        let item = document
            .paths
            .paths
            .get(&path)
            .unwrap_or_else(|| panic!("no path {path}"));
        let item = item.as_item().expect("an inline path item");
        let post = item
            .post
            .as_ref()
            .unwrap_or_else(|| panic!("{path} has no POST"));
        assert!(post.request_body.is_some(), "{path}");
        assert!(post.responses.default.is_some(), "{path}");
    }
    assert_eq!(document.paths.paths.len(), methods.len());
    // And every schema it refers to is defined.
    let json: Value = answer.json();
    let mut found = Vec::new();
    references(&json, &mut found);
    assert!(!found.is_empty());
    let schemas = &json["components"]["schemas"];
    for target in found {
        let name = target
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("a foreign reference {target}"));
        assert!(schemas.get(name).is_some(), "{name} is not defined");
    }
    // Money is described as the API has it: decimal strings, with the proto's comments.
    let money = &schemas["matchledger.v1.Money"]["properties"]["amount"];
    assert_eq!(money["type"], "string");
    assert!(money["description"]
        .as_str()
        .expect("comment")
        .contains("Decimal string"));
    let stream = &json["paths"]["/matchledger.v1.AuditService/ReadEvents"]["post"]["responses"]
        ["200"]["content"];
    assert!(stream.get("application/x-ndjson").is_some(), "{stream}");
    server.stop().await;
}
