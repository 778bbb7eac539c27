//! The audit service: ordered history, live subscription, signed tree heads and proofs,
//! phase statements (current or signed at close) and signed export manifests.

use std::pin::Pin;

use futures::Stream;
use std::sync::Arc;

use tokio::sync::{broadcast, mpsc, watch, Semaphore};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Code, Request, Response, Status};

use super::backup::{self, RecordStream};
use super::closing::ClosingStatements;
use super::convert::{event_kind_from_proto, event_to_proto, parse_id, ConvertError};
use super::proofs;
use super::proto::audit_service_server::AuditService;
use super::proto::{
    AddCosignatureRequest, AddCosignatureResponse, ConsistencyProof, Event as ProtoEvent,
    EventFilter, GetConsistencyProofRequest, GetInclusionProofRequest, GetMatchBundleRequest,
    GetPhaseStatementRequest, GetSignedExportManifestRequest, GetTreeHeadRequest,
    GetVerifierKeyRequest, InclusionProof, KeptClosingStatement, KeptIdempotencyRecord,
    KeptSignedHead, ListClosingStatementsRequest, ListSignedHeadsRequest, MatchBundle,
    PhaseStatement, ReadEventsRequest, ReadIdempotencyRecordsRequest, ReadStoredEventsRequest,
    SignedExportManifest, StoredEvent, SubscribeRequest, TreeHead, VerifierKey,
};
use super::status::{invalid_field, ledger_error, over_limit};
use super::tree_heads::TreeHeads;
use crate::domain::{ContributorId, EventKind, PhaseId, RecordedEvent, SmeId};
use crate::ledger::Ledger;
use crate::limits::{EXPORT_MANIFEST_BUILDS_MAX, PAGE_EVENTS_MAX, SUBSCRIPTIONS_MAX};

/// Events buffered per stream before the sender waits for the client.
const STREAM_BUFFER_EVENTS: usize = 256;

/// A server stream of events.
pub type EventStream = Pin<Box<dyn Stream<Item = Result<ProtoEvent, Status>> + Send>>;

/// A server stream of stored events.
pub type StoredEventStream = Pin<Box<dyn Stream<Item = Result<StoredEvent, Status>> + Send>>;

/// Serves history to auditors.
#[derive(Clone)]
pub struct AuditApi {
    ledger: Ledger,
    /// One permit per live subscription, so followers cannot pile up without bound.
    subscriptions: Arc<Semaphore>,
    /// Turns true when the server begins to shut down: live subscriptions then end, since
    /// a graceful shutdown waits for every open stream.
    stopping: watch::Receiver<bool>,
    /// The log's signer and the heads it signed.
    heads: Arc<TreeHeads>,
    /// The statements signed when phases closed.
    closing: Arc<ClosingStatements>,
    /// One export manifest built at a time: each reads the whole log.
    manifests: Arc<Semaphore>,
}

impl AuditApi {
    /// An audit service over `ledger` signing with `heads`, allowing [`SUBSCRIPTIONS_MAX`] live subscriptions,
    /// whose subscriptions end only when their clients leave.
    /// Closing statements are served when kept; none is produced in the background.
    pub fn new(ledger: Ledger, heads: Arc<TreeHeads>) -> AuditApi {
        let closing = Arc::new(ClosingStatements::new(ledger.clone(), Arc::clone(&heads)));
        AuditApi::with_shutdown(
            ledger,
            SUBSCRIPTIONS_MAX,
            watch::channel(false).1,
            heads,
            closing,
        )
    }

    /// An audit service allowing `subscriptions_max` live subscriptions at once, which end
    /// with UNAVAILABLE once `stopping` turns true.
    /// Tree heads are signed by `heads`; closing statements come from `closing`.
    pub fn with_shutdown(
        ledger: Ledger,
        subscriptions_max: usize,
        stopping: watch::Receiver<bool>,
        heads: Arc<TreeHeads>,
        closing: Arc<ClosingStatements>,
    ) -> AuditApi {
        AuditApi {
            ledger,
            subscriptions: Arc::new(Semaphore::new(subscriptions_max)),
            stopping,
            heads,
            closing,
            manifests: Arc::new(Semaphore::new(EXPORT_MANIFEST_BUILDS_MAX)),
        }
    }
}

/// Resolves once `stopping` turns true; never, if its sender is gone without stopping.
async fn stopped(mut stopping: watch::Receiver<bool>) {
    if stopping.wait_for(|stopping| *stopping).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// A validated stream filter.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    kinds: Vec<EventKind>,
    phase: Option<PhaseId>,
    sme: Option<SmeId>,
    contributor: Option<ContributorId>,
}

impl Filter {
    /// Validates a wire filter.
    pub fn from_proto(filter: Option<&EventFilter>) -> Result<Filter, ConvertError> {
        let Some(filter) = filter else {
            return Ok(Filter::default());
        };
        let kinds = filter
            .kinds
            .iter()
            .map(|kind| {
                event_kind_from_proto(*kind).ok_or_else(|| {
                    ConvertError::new("filter.kinds", format!("{kind} is not a known event kind"))
                })
            })
            .collect::<Result<_, _>>()?;
        let optional = |field: &str, text: &str| {
            (!text.is_empty())
                .then(|| text.to_string())
                .map(|t| (field.to_string(), t))
        };
        let phase = optional("filter.phase_id", &filter.phase_id)
            .map(|(field, text)| parse_id::<PhaseId>(&field, &text, None))
            .transpose()?;
        let sme = optional("filter.sme_id", &filter.sme_id)
            .map(|(field, text)| parse_id::<SmeId>(&field, &text, None))
            .transpose()?;
        let contributor = optional("filter.contributor_id", &filter.contributor_id)
            .map(|(field, text)| parse_id::<ContributorId>(&field, &text, None))
            .transpose()?;
        Ok(Filter {
            kinds,
            phase,
            sme,
            contributor,
        })
    }

    /// Whether an event passes.
    pub fn accepts(&self, event: &RecordedEvent) -> bool {
        (self.kinds.is_empty() || self.kinds.contains(&event.event.kind()))
            && self
                .phase
                .is_none_or(|phase| event.event.phase() == Some(phase))
            && self.sme.is_none_or(|sme| event.event.sme() == Some(sme))
            && self
                .contributor
                .is_none_or(|contributor| event.event.contributor() == Some(contributor))
    }
}

/// Sends stored events from `next` up to `until` (inclusive); returns the next sequence to
/// send, or `None` once the client has gone.
async fn send_stored(
    ledger: &Ledger,
    filter: &Filter,
    sender: &mpsc::Sender<Result<ProtoEvent, Status>>,
    mut next: u64,
    until: u64,
) -> Option<u64> {
    while next <= until {
        let limit = usize::try_from(until - next + 1)
            .unwrap_or(PAGE_EVENTS_MAX)
            .min(PAGE_EVENTS_MAX);
        let page = match ledger.read_events(next, limit) {
            Ok(page) => page,
            Err(error) => {
                let _ = sender.send(Err(ledger_error(error))).await;
                return None;
            }
        };
        let Some(last) = page.last().map(|event| event.sequence) else {
            break;
        };
        for event in page.iter().filter(|event| filter.accepts(event)) {
            sender.send(Ok(event_to_proto(event))).await.ok()?;
        }
        next = last + 1;
    }
    Some(next)
}

/// Catch-up then live: subscribes to the feed first, sends stored history up to the head,
/// then live groups, skipping what was sent and filling any gap from the store, so the
/// client sees every event once, in order.
async fn follow(
    ledger: Ledger,
    filter: Filter,
    sender: mpsc::Sender<Result<ProtoEvent, Status>>,
    from: u64,
) {
    let mut feed = ledger.subscribe();
    let _live = ledger.metrics().subscription();
    let Some(mut next) = send_stored(&ledger, &filter, &sender, from, ledger.head()).await else {
        return;
    };
    loop {
        let group = tokio::select! {
            group = feed.recv() => group,
            () = sender.closed() => return,
        };
        match group {
            Ok(group) => {
                let Some(last) = group.last().map(|event| event.sequence) else {
                    continue;
                };
                if last < next {
                    continue;
                }
                let first = group.first().map_or(next, |event| event.sequence);
                if first > next {
                    match send_stored(&ledger, &filter, &sender, next, first - 1).await {
                        Some(after) => next = after,
                        None => return,
                    }
                }
                let start = next;
                for event in group.iter().filter(|event| event.sequence >= start) {
                    if filter.accepts(event)
                        && sender.send(Ok(event_to_proto(event))).await.is_err()
                    {
                        return;
                    }
                    next = event.sequence + 1;
                }
            }
            Err(broadcast::error::RecvError::Lagged(_)) => {
                match send_stored(&ledger, &filter, &sender, next, ledger.head()).await {
                    Some(after) => next = after,
                    None => return,
                }
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

#[tonic::async_trait]
impl AuditService for AuditApi {
    type ReadEventsStream = EventStream;
    type SubscribeStream = EventStream;
    type ReadStoredEventsStream = StoredEventStream;
    type ListSignedHeadsStream = RecordStream<KeptSignedHead>;
    type ListClosingStatementsStream = RecordStream<KeptClosingStatement>;
    type ReadIdempotencyRecordsStream = RecordStream<KeptIdempotencyRecord>;

    async fn list_signed_heads(
        &self,
        request: Request<ListSignedHeadsRequest>,
    ) -> Result<Response<Self::ListSignedHeadsStream>, Status> {
        let store = self.ledger.store().clone();
        Ok(Response::new(backup::signed_heads(
            store,
            request.into_inner(),
        )))
    }

    async fn list_closing_statements(
        &self,
        request: Request<ListClosingStatementsRequest>,
    ) -> Result<Response<Self::ListClosingStatementsStream>, Status> {
        let store = self.ledger.store().clone();
        Ok(Response::new(backup::closing_statements(
            store,
            request.into_inner(),
        )))
    }

    async fn read_idempotency_records(
        &self,
        request: Request<ReadIdempotencyRecordsRequest>,
    ) -> Result<Response<Self::ReadIdempotencyRecordsStream>, Status> {
        let store = self.ledger.store().clone();
        backup::idempotency_records(store, request.into_inner()).map(Response::new)
    }

    async fn read_stored_events(
        &self,
        request: Request<ReadStoredEventsRequest>,
    ) -> Result<Response<StoredEventStream>, Status> {
        let message = request.into_inner();
        let from = message.from_sequence.max(1);
        let store = self.ledger.store().clone();
        let head = store.tree_size();
        let until = match message.limit {
            0 => head,
            limit => head.min(from.saturating_add(limit - 1)),
        };
        let (sender, receiver) = mpsc::channel(STREAM_BUFFER_EVENTS);
        // sled reads block: a blocking thread feeds the stream, waiting when the client is slow.
        tokio::task::spawn_blocking(move || {
            for entry in store.raw_from(from) {
                let item = match entry {
                    Ok((sequence, _)) if sequence > until => break,
                    Ok((sequence, stored_bytes)) => Ok(StoredEvent {
                        sequence,
                        stored_bytes,
                    }),
                    Err(error) => Err(super::status::store_error(&error)),
                };
                let failed = item.is_err();
                if sender.blocking_send(item).is_err() || failed {
                    break;
                }
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(receiver))))
    }

    async fn read_events(
        &self,
        request: Request<ReadEventsRequest>,
    ) -> Result<Response<EventStream>, Status> {
        let message = request.into_inner();
        let filter = Filter::from_proto(message.filter.as_ref()).map_err(invalid_field)?;
        let from = message.from_sequence.max(1);
        let head = self.ledger.head();
        let until = match message.limit {
            0 => head,
            limit => head.min(from.saturating_add(limit - 1)),
        };
        let (sender, receiver) = mpsc::channel(STREAM_BUFFER_EVENTS);
        let ledger = self.ledger.clone();
        tokio::spawn(async move {
            send_stored(&ledger, &filter, &sender, from, until).await;
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(receiver))))
    }

    async fn subscribe(
        &self,
        request: Request<SubscribeRequest>,
    ) -> Result<Response<EventStream>, Status> {
        let message = request.into_inner();
        let filter = Filter::from_proto(message.filter.as_ref()).map_err(invalid_field)?;
        let permit = Arc::clone(&self.subscriptions).try_acquire_owned().map_err(|_| {
            over_limit(
                Code::ResourceExhausted,
                "SUBSCRIPTIONS_MAX",
                "every live subscription the server allows is in use; retry later or read with ReadEvents".into(),
            )
        })?;
        let (sender, receiver) = mpsc::channel(STREAM_BUFFER_EVENTS);
        let ledger = self.ledger.clone();
        let from = message.from_sequence.max(1);
        let stopping = self.stopping.clone();
        tokio::spawn(async move {
            let farewell = sender.clone();
            tokio::select! {
                () = follow(ledger, filter, sender, from) => {}
                () = stopped(stopping) => {
                    let _ = farewell.send(Err(Status::unavailable("the server is shutting down"))).await;
                }
            }
            // The subscription's place is free once the follower has stopped.
            drop(permit);
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(receiver))))
    }

    async fn get_tree_head(
        &self,
        request: Request<GetTreeHeadRequest>,
    ) -> Result<Response<TreeHead>, Status> {
        let (heads, ledger) = (Arc::clone(&self.heads), self.ledger.clone());
        let size = request.into_inner().tree_size;
        blocking(move || proofs::tree_head(&heads, ledger.store(), size)).await
    }

    async fn get_inclusion_proof(
        &self,
        request: Request<GetInclusionProofRequest>,
    ) -> Result<Response<InclusionProof>, Status> {
        let (heads, ledger) = (Arc::clone(&self.heads), self.ledger.clone());
        let message = request.into_inner();
        blocking(move || proofs::inclusion(&heads, ledger.store(), &message)).await
    }

    async fn get_consistency_proof(
        &self,
        request: Request<GetConsistencyProofRequest>,
    ) -> Result<Response<ConsistencyProof>, Status> {
        let ledger = self.ledger.clone();
        let message = request.into_inner();
        blocking(move || proofs::consistency(ledger.store(), &message)).await
    }

    async fn get_verifier_key(
        &self,
        _request: Request<GetVerifierKeyRequest>,
    ) -> Result<Response<VerifierKey>, Status> {
        Ok(Response::new(proofs::verifier_key(&self.heads)))
    }

    async fn add_cosignature(
        &self,
        request: Request<AddCosignatureRequest>,
    ) -> Result<Response<AddCosignatureResponse>, Status> {
        let (heads, ledger) = (Arc::clone(&self.heads), self.ledger.clone());
        let message = request.into_inner();
        // Keeping the cosignature fsyncs the store.
        blocking(move || proofs::add_cosignature(&heads, ledger.store(), &message)).await
    }

    async fn get_match_bundle(
        &self,
        request: Request<GetMatchBundleRequest>,
    ) -> Result<Response<MatchBundle>, Status> {
        let (heads, ledger) = (Arc::clone(&self.heads), self.ledger.clone());
        let id = request.into_inner().contribution_id;
        blocking(move || proofs::match_bundle(&heads, &ledger, &id)).await
    }

    async fn get_phase_statement(
        &self,
        request: Request<GetPhaseStatementRequest>,
    ) -> Result<Response<PhaseStatement>, Status> {
        let (heads, ledger) = (Arc::clone(&self.heads), self.ledger.clone());
        let message = request.into_inner();
        if message.at_close {
            let closing = Arc::clone(&self.closing);
            return blocking(move || {
                proofs::closing_statement(&heads, &closing, &message.phase_id)
            })
            .await;
        }
        blocking(move || {
            let projections = ledger.current();
            proofs::phase_statement(&heads, ledger.store(), &projections, &message.phase_id)
        })
        .await
    }

    async fn get_signed_export_manifest(
        &self,
        request: Request<GetSignedExportManifestRequest>,
    ) -> Result<Response<SignedExportManifest>, Status> {
        let permit = Arc::clone(&self.manifests)
            .try_acquire_owned()
            .map_err(|_| {
                over_limit(
                    Code::ResourceExhausted,
                    "EXPORT_MANIFEST_BUILDS_MAX",
                    "another export manifest is being built; retry when it is done".into(),
                )
            })?;
        let (heads, ledger) = (Arc::clone(&self.heads), self.ledger.clone());
        let message = request.into_inner();
        blocking(move || {
            let signed = proofs::export_manifest(&heads, ledger.store(), &message.tree_head);
            drop(permit);
            signed
        })
        .await
    }
}

/// Runs a store read off the async workers: tree reads touch sled.
async fn blocking<T: Send + 'static>(
    read: impl FnOnce() -> Result<T, Status> + Send + 'static,
) -> Result<Response<T>, Status> {
    tokio::task::spawn_blocking(read)
        .await
        .map_err(|error| Status::internal(format!("the read task failed: {error}")))?
        .map(Response::new)
}
