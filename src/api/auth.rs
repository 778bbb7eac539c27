//! Who is calling. The authenticated principal travels in the request extensions, put
//! there by the authentication interceptor; without authentication configured, callers on
//! loopback are recorded as `local`.

use tonic::Request;

/// The principal behind a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// Name recorded as the actor of every event it posts.
    pub name: String,
}

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
