//! Who is calling. The authenticated principal travels in the request extensions, put
//! there by the guard layer ([`super::guard`]) before any handler runs; without a
//! principals file, loopback callers are the principal `local`, holding every role.

use std::collections::BTreeSet;
use std::sync::Arc;

use tonic::{Request, Status};

use super::status::unauthenticated;
use crate::domain::Role;

/// The principal behind a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// Name recorded as the actor of every event it posts.
    pub name: String,
    /// What it may do; reading is open to every principal.
    pub roles: BTreeSet<Role>,
}

impl Principal {
    /// The principal of a server running without authentication: every role, on loopback.
    pub fn local() -> Principal {
        Principal {
            name: LOCAL_ACTOR.to_string(),
            roles: Role::ALL.into_iter().collect(),
        }
    }

    /// Whether it holds at least one of `roles`.
    pub fn holds_any(&self, roles: &[Role]) -> bool {
        roles.iter().any(|role| self.roles.contains(role))
    }
}

/// The verified client certificate chain (DER, end-entity first) of a connection that
/// another listener of this server accepted (the HTTP listener), put into the request
/// extensions so that the guard can map it to a principal as it does for gRPC.
#[derive(Debug, Clone)]
pub struct PeerCertificates(pub Arc<Vec<Vec<u8>>>);

/// Actor recorded when the server runs without authentication.
pub const LOCAL_ACTOR: &str = "local";

/// The actor name for a request.
pub fn actor<T>(request: &Request<T>) -> String {
    request
        .extensions()
        .get::<Principal>()
        .map(|principal| principal.name.clone())
        .unwrap_or_else(|| LOCAL_ACTOR.to_string())
}

/// The authenticated principal of a request. A request that reached a handler without one
/// did not pass the guard layer, so it is refused rather than trusted.
pub fn principal<T>(request: &Request<T>) -> Result<Principal, Status> {
    request
        .extensions()
        .get::<Principal>()
        .cloned()
        .ok_or_else(|| unauthenticated("no authenticated principal"))
}

/// The gRPC method of a request, `/service/method`, for logs.
pub fn method<T>(request: &Request<T>) -> String {
    request.extensions().get::<tonic::GrpcMethod>().map_or_else(
        || "-".to_string(),
        |method| format!("/{}/{}", method.service(), method.method()),
    )
}
