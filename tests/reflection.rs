//! gRPC server reflection in both versions that clients in use ask for: `v1` and `v1alpha`
//! (grpcurl 1.8, evans, grpcui, Postman and Python's grpcio-reflection client ask `v1alpha`).

mod common;

use common::*;

/// The services a client must discover, whichever reflection version it speaks.
const SERVICES_EXPECTED: [&str; 4] = [
    "matchledger.v1.PostingService",
    "matchledger.v1.QueryService",
    "matchledger.v1.AuditService",
    "grpc.health.v1.Health",
];

/// Lists the services through one reflection version and returns their names. Both
/// versions have the same message shapes, so one macro serves both modules.
macro_rules! list_services {
    ($version:ident, $channel:expr) => {{
        use tonic_reflection::pb::$version::server_reflection_client::ServerReflectionClient;
        use tonic_reflection::pb::$version::server_reflection_request::MessageRequest;
        use tonic_reflection::pb::$version::server_reflection_response::MessageResponse;
        use tonic_reflection::pb::$version::ServerReflectionRequest;
        let mut client = ServerReflectionClient::new($channel);
        let request = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        };
        let mut answers = client
            .server_reflection_info(tokio_stream::iter(vec![request]))
            .await
            .expect("reflection answers")
            .into_inner();
        let answer = answers
            .message()
            .await
            .expect("a reflection message")
            .expect("one answer");
        match answer.message_response {
            Some(MessageResponse::ListServicesResponse(list)) => list
                .service
                .into_iter()
                .map(|service| service.name)
                .collect::<Vec<String>>(),
            other => panic!("expected a service list, got {other:?}"),
        }
    }};
}

fn assert_lists_every_service(version: &str, names: &[String]) {
    for service in SERVICES_EXPECTED {
        assert!(
            names.iter().any(|name| name == service),
            "reflection {version}: {service} missing from {names:?}"
        );
    }
}

#[tokio::test]
async fn reflection_v1_lists_every_service() {
    let server = TestServer::start().await;
    assert_lists_every_service("v1", &list_services!(v1, server.channel.clone()));
    server.stop().await;
}

#[tokio::test]
async fn reflection_v1alpha_lists_every_service() {
    let server = TestServer::start().await;
    assert_lists_every_service("v1alpha", &list_services!(v1alpha, server.channel.clone()));
    server.stop().await;
}
