//! `GET /openapi.json`: an OpenAPI 3.0 document of the JSON API, generated from the same
//! descriptors the routes are: every method a `POST` path, every message a schema in the
//! proto3 JSON mapping (lowerCamelCase names, 64-bit integers and money as strings, enums
//! by name), the proto comments as descriptions, and the Connect error as the answer to
//! anything that fails.

use std::collections::{BTreeMap, VecDeque};

use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use http::header::CONTENT_TYPE;
use prost_reflect::{FieldDescriptor, Kind, MessageDescriptor, MethodDescriptor};
use serde_json::{json, Map, Value};

use super::descriptors::{comment, method_path, Descriptors};
use super::stream::NDJSON;
use super::HttpState;

/// The schema name of the Connect error body.
const ERROR_SCHEMA: &str = "connect.Error";

/// The route of the document.
pub fn router() -> Router<HttpState> {
    Router::new().route("/openapi.json", get(document))
}

async fn document(State(state): State<HttpState>) -> impl IntoResponse {
    let document = build(&state.descriptors);
    ([(CONTENT_TYPE, "application/json")], document.to_string())
}

/// The whole document.
pub fn build(descriptors: &Descriptors) -> Value {
    let mut paths = Map::new();
    let mut pending: VecDeque<MessageDescriptor> = VecDeque::new();
    for method in descriptors.methods() {
        pending.push_back(method.input());
        pending.push_back(method.output());
        paths.insert(method_path(&method), json!({ "post": operation(&method) }));
    }
    let mut schemas = BTreeMap::new();
    while let Some(message) = pending.pop_front() {
        if schemas.contains_key(message.full_name()) || well_known(&message).is_some() {
            continue;
        }
        for field in message.fields() {
            let kind = if field.is_map() {
                map_value(&field).kind()
            } else {
                field.kind()
            };
            if let Kind::Message(child) = kind {
                pending.push_back(child);
            }
        }
        schemas.insert(message.full_name().to_string(), message_schema(&message));
    }
    let mut schemas: Map<String, Value> = schemas.into_iter().collect();
    schemas.insert(ERROR_SCHEMA.into(), error_schema());
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "matchledger JSON API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Every gRPC method of matchledger in the Connect protocol's JSON \
                form: POST the proto3 JSON of the request to /<service>/<method> with \
                Content-Type: application/json. Server streams answer as NDJSON, one \
                message per line, ending with {\"error\": …} if the stream fails.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    })
}

/// The `post` operation of one method.
fn operation(method: &MethodDescriptor) -> Value {
    let service = method.parent_service();
    let answer_type = if method.is_server_streaming() {
        NDJSON
    } else {
        "application/json"
    };
    let answer_text = if method.is_server_streaming() {
        "A stream of messages, one per line"
    } else {
        "The answer"
    };
    let description = comment(method.parent_file().file_descriptor_proto(), method.path());
    let mut operation = json!({
        "operationId": format!("{}.{}", service.name(), method.name()),
        "tags": [service.name()],
        "requestBody": {
            "required": true,
            "content": {"application/json": {"schema": reference(&method.input())}},
        },
        "responses": {
            "200": {
                "description": answer_text,
                "content": {answer_type: {"schema": reference(&method.output())}},
            },
            "default": {
                "description": "A refusal: the gRPC status as a Connect error",
                "content": {"application/json": {
                    "schema": {"$ref": format!("#/components/schemas/{ERROR_SCHEMA}")}}},
            },
        },
    });
    if let Some(description) = description {
        operation["summary"] = json!(description);
    }
    operation
}

/// An object schema with one property per field, under its JSON name.
fn message_schema(message: &MessageDescriptor) -> Value {
    let mut properties = Map::new();
    for field in message.fields() {
        let mut schema = field_schema(&field);
        if let Some(text) = comment(message.parent_file_descriptor_proto(), field.path()) {
            schema = with_description(schema, text);
        }
        properties.insert(field.json_name().to_string(), schema);
    }
    let mut schema = json!({"type": "object", "properties": properties});
    if let Some(text) = comment(message.parent_file_descriptor_proto(), message.path()) {
        schema["description"] = json!(text);
    }
    schema
}

/// A `$ref` can have no siblings in OpenAPI 3.0, so a described reference is wrapped.
fn with_description(schema: Value, text: String) -> Value {
    if schema.get("$ref").is_some() {
        json!({"allOf": [schema], "description": text})
    } else {
        let mut schema = schema;
        schema["description"] = json!(text);
        schema
    }
}

/// The schema of one field: repeated as an array, a map as an object.
fn field_schema(field: &FieldDescriptor) -> Value {
    if field.is_map() {
        let value = map_value(field);
        return json!({"type": "object", "additionalProperties": kind_schema(&value.kind())});
    }
    let schema = kind_schema(&field.kind());
    if field.is_list() {
        json!({"type": "array", "items": schema})
    } else {
        schema
    }
}

/// The value field of a map field's entry.
fn map_value(field: &FieldDescriptor) -> FieldDescriptor {
    match field.kind() {
        Kind::Message(entry) => entry.map_entry_value_field(),
        // A map field's kind is always its entry message.
        _ => field.clone(),
    }
}

/// The schema of a value of `kind` in proto3 JSON.
fn kind_schema(kind: &Kind) -> Value {
    match kind {
        Kind::Double | Kind::Float => json!({"type": "number"}),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => {
            json!({"type": "integer", "format": "int32"})
        }
        Kind::Uint32 | Kind::Fixed32 => json!({"type": "integer", "format": "int64", "minimum": 0}),
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => json!({"type": "string", "format": "int64"}),
        Kind::Uint64 | Kind::Fixed64 => json!({"type": "string", "format": "uint64"}),
        Kind::Bool => json!({"type": "boolean"}),
        Kind::String => json!({"type": "string"}),
        Kind::Bytes => json!({"type": "string", "format": "byte"}),
        Kind::Enum(descriptor) => {
            let names: Vec<String> = descriptor
                .values()
                .map(|value| value.name().to_string())
                .collect();
            json!({"type": "string", "enum": names})
        }
        Kind::Message(message) => well_known(message).unwrap_or_else(|| reference(message)),
    }
}

/// The JSON form of a well-known type, which proto3 JSON writes specially.
fn well_known(message: &MessageDescriptor) -> Option<Value> {
    Some(match message.full_name() {
        "google.protobuf.Timestamp" => json!({"type": "string", "format": "date-time"}),
        "google.protobuf.Duration" => json!({"type": "string", "example": "1.5s"}),
        "google.protobuf.Empty" => json!({"type": "object"}),
        "google.protobuf.Struct" | "google.protobuf.Any" => json!({"type": "object"}),
        _ => return None,
    })
}

/// A reference to a message's schema.
fn reference(message: &MessageDescriptor) -> Value {
    match well_known(message) {
        Some(schema) => schema,
        None => json!({"$ref": format!("#/components/schemas/{}", message.full_name())}),
    }
}

/// The Connect error body.
fn error_schema() -> Value {
    json!({
        "type": "object",
        "description": "A refusal: the gRPC status code by name, its message, and its \
            google.rpc details (type, base64 value, and debug as JSON).",
        "required": ["code"],
        "properties": {
            "code": {"type": "string", "example": "failed_precondition"},
            "message": {"type": "string"},
            "details": {"type": "array", "items": {
                "type": "object",
                "properties": {
                    "type": {"type": "string", "example": "google.rpc.BadRequest"},
                    "value": {"type": "string", "format": "byte"},
                    "debug": {"type": "object"},
                },
            }},
        },
    })
}
