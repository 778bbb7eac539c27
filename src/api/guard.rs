//! The guard: a tower layer in front of every service that authenticates each call,
//! refuses a method the caller's roles never allow, and puts the [`Principal`] into the
//! request extensions for the handlers. Handlers never authenticate.
//!
//! A bearer token in `authorization` metadata is looked up in the principals file; without
//! one, a verified client certificate's subject common name may stand for an `mtls`
//! principal. Every refusal is logged with the method and, when known, the principal, and
//! answered before any handler runs, so nothing is written.
//!
//! Reading (queries, history, proofs, export, reflection) is open to every authenticated
//! principal; each posting method needs a role. The writer checks again, command by
//! command, where the role depends on the content (reversals, batches). The health service
//! answers without authentication so that load balancers can probe it.
//!
//! The guard also restates the statuses tonic gives for requests it cannot decode, so that
//! an oversized or malformed message gets a status naming what was wrong.

use std::sync::Arc;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use tonic::body::Body;
use tonic::codegen::http;
use tonic::codegen::Service;
use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};
use tonic::Status;

use super::auth::{PeerCertificates, Principal};
use super::principals::Principals;
use super::status::{permission_denied, restate_decode_error, unauthenticated};
use crate::domain::Role;

/// How callers prove who they are.
#[derive(Debug, Clone)]
pub enum Authentication {
    /// No principals file: every caller is `local` with every role. The server refuses to
    /// run this way on a non-loopback address unless told it is insecure.
    Open,
    /// Callers must present a token or certificate of a principal in the file.
    Principals(Arc<Principals>),
}

/// The gRPC path prefix of the posting service, the one service that writes.
const POSTING_SERVICE: &str = "/matchledger.v1.PostingService/";

/// The gRPC path prefix of the health service, open without authentication.
const HEALTH_SERVICE: &str = "/grpc.health.v1.Health/";

/// The roles of which a caller must hold one to call a posting method; `None` for a method
/// this table does not know, which is refused (a new writing method must be added here).
pub fn posting_method_roles(method: &str) -> Option<&'static [Role]> {
    Some(match method {
        "OpenPhase"
        | "ClosePhase"
        | "RegisterContributor"
        | "RegisterAgency"
        | "RegisterSme"
        | "SetSettlementRules" => &[Role::Admin],
        "RecordPledge" | "RecordContribution" | "AwardGrant" | "RecordDisbursement"
        | "RecordRefund" | "RecordInterest" | "SettleInterest" | "SettleGrant"
        | "DecideClawback" | "CollectClawback" | "PassOnClawback" => &[Role::Finance],
        "RecordMatch" => &[Role::Government],
        // The role depends on the reversed entry's kind; the writer decides it.
        "ReverseEntry" => &[Role::Finance, Role::Government],
        // Every command of a batch is checked by the writer.
        "PostBatch" => &[Role::Finance, Role::Government, Role::Admin],
        _ => return None,
    })
}

/// The layer that wraps every service in a [`Guard`].
#[derive(Debug, Clone)]
pub struct GuardLayer {
    authentication: Arc<Authentication>,
}

impl GuardLayer {
    /// A guard layer for this way of authenticating.
    pub fn new(authentication: Authentication) -> GuardLayer {
        GuardLayer {
            authentication: Arc::new(authentication),
        }
    }
}

impl<S> tower_layer::Layer<S> for GuardLayer {
    type Service = Guard<S>;

    fn layer(&self, inner: S) -> Guard<S> {
        Guard {
            inner,
            authentication: Arc::clone(&self.authentication),
        }
    }
}

/// Authenticates and authorises each call before passing it on.
#[derive(Debug, Clone)]
pub struct Guard<S> {
    inner: S,
    authentication: Arc<Authentication>,
}

impl<S> Service<http::Request<Body>> for Guard<S>
where
    S: Service<http::Request<Body>, Response = http::Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, context: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(context)
    }

    fn call(&mut self, mut request: http::Request<Body>) -> Self::Future {
        let path = request.uri().path().to_string();
        if !path.starts_with(HEALTH_SERVICE) {
            match admit(&self.authentication, &request, &path) {
                Ok(principal) => {
                    request.extensions_mut().insert(principal);
                }
                Err(status) => return Box::pin(std::future::ready(Ok(status.into_http()))),
            }
        }
        // The inner service was readied for this call; keep it and leave a fresh clone.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(async move {
            let response = inner.call(request).await?;
            Ok(restate(response))
        })
    }
}

/// The principal of a call allowed to go on, or the refusal, already logged.
fn admit(
    authentication: &Authentication,
    request: &http::Request<Body>,
    path: &str,
) -> Result<Principal, Status> {
    let principal = match authentication {
        Authentication::Open => Principal::local(),
        Authentication::Principals(principals) => authenticate(principals, request).map_err(|reason| {
            tracing::warn!(method = %path, principal = "-", %reason, "unauthenticated call refused");
            unauthenticated(reason)
        })?,
    };
    if let Some(method) = path.strip_prefix(POSTING_SERVICE) {
        let needed = posting_method_roles(method).unwrap_or(&[]);
        if !principal.holds_any(needed) {
            tracing::warn!(method = %path, principal = %principal.name, "call refused: the principal lacks the role");
            return Err(permission_denied(
                &principal.name,
                &format!("call {method}"),
                needed,
            ));
        }
    }
    Ok(principal)
}

/// The principal behind a call, or why there is none.
fn authenticate(
    principals: &Principals,
    request: &http::Request<Body>,
) -> Result<Principal, &'static str> {
    if let Some(header) = request.headers().get(http::header::AUTHORIZATION) {
        let token = header
            .to_str()
            .ok()
            .and_then(bearer_token)
            .ok_or("the authorization metadata is not `Bearer <token>`")?;
        return principals
            .by_token(token)
            .cloned()
            .ok_or("the bearer token is not valid");
    }
    let Some(name) = certificate_name(request) else {
        return Err("no credentials");
    };
    principals
        .by_certificate_name(&name)
        .cloned()
        .ok_or("the client certificate's subject is not an mtls principal")
}

/// The token of an `authorization: Bearer <token>` value (the scheme is case-insensitive).
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The subject common name of the verified client certificate, if the connection has one.
fn certificate_name(request: &http::Request<Body>) -> Option<String> {
    // A call that came through the HTTP listener carries that connection's certificates.
    if let Some(PeerCertificates(certificates)) = request.extensions().get::<PeerCertificates>() {
        return super::tls::subject_common_name(certificates.first()?);
    }
    let certificates = request
        .extensions()
        .get::<TlsConnectInfo<TcpConnectInfo>>()
        .and_then(TlsConnectInfo::peer_certs)?;
    // rustls puts the end-entity certificate first.
    super::tls::subject_common_name(certificates.first()?)
}

/// Restates tonic's decoding statuses (see [`restate_decode_error`]); other responses pass.
fn restate(response: http::Response<Body>) -> http::Response<Body> {
    match Status::from_header_map(response.headers())
        .and_then(|status| restate_decode_error(&status))
    {
        Some(status) => status.into_http(),
        None => response,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_are_read_from_the_authorization_value() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer  abc "), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("abc"), None);
    }

    #[test]
    fn every_posting_method_needs_a_role_and_unknown_ones_are_refused() {
        for method in [
            "OpenPhase",
            "ClosePhase",
            "RegisterContributor",
            "RegisterAgency",
            "RegisterSme",
            "RecordPledge",
            "RecordContribution",
            "RecordMatch",
            "AwardGrant",
            "RecordDisbursement",
            "RecordRefund",
            "ReverseEntry",
            "SetSettlementRules",
            "RecordInterest",
            "SettleInterest",
            "SettleGrant",
            "DecideClawback",
            "CollectClawback",
            "PassOnClawback",
            "PostBatch",
        ] {
            let roles = posting_method_roles(method).expect("known method");
            assert!(!roles.is_empty());
            assert!(!roles.contains(&Role::Auditor), "{method} open to auditors");
        }
        assert_eq!(posting_method_roles("DropEverything"), None);
    }

    #[test]
    fn the_coarse_method_table_admits_every_role_the_rules_require() {
        // Given every command of the generated programme, decided in order.
        use crate::domain::{authorize::required_role, decide, State};
        use crate::generator::{generate, ProgrammeConfig};
        let mut state = State::default();
        let mut seen = std::collections::BTreeSet::new();
        for generated in generate(&ProgrammeConfig::default()) {
            let command = &generated.command;
            // Then the role the writer will require is one the guard lets through, both
            // for the command's own RPC and inside a batch.
            let needed = required_role(command, &state).expect("a known entry");
            for method in [command.name(), "PostBatch"] {
                let roles = posting_method_roles(method).expect("a posting method");
                assert!(roles.contains(&needed), "{method} refuses {needed}");
            }
            seen.insert(command.name());
            for event in decide(&state, command).expect("the programme is valid") {
                state.apply(&event);
            }
        }
        assert_eq!(
            seen.len(),
            12,
            "the programme no longer covers every command: {seen:?}"
        );
    }
}
