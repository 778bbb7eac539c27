//! The audit service's proof RPCs: signed tree heads, inclusion and consistency proofs,
//! the verifier key and witness cosignatures, answered from the store's persisted tree;
//! phase statements and signed export manifests.

use tonic::Status;

use super::closing::{ClosingError, ClosingStatements};
use super::proto::{
    AddCosignatureRequest, AddCosignatureResponse, ConsistencyProof, GetConsistencyProofRequest,
    GetInclusionProofRequest, InclusionProof, MatchBundle, PhaseStatement, SignedExportManifest,
    TreeHead, VerifierKey,
};
use super::status::store_error;
use super::tree_heads::{TreeHeadError, TreeHeads};
use crate::audit;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::domain::{ContributionId, PhaseId};
use crate::ledger::Ledger;
use crate::limits::BUNDLE_PUBLISH_WAIT_MS;
use crate::projection::Projections;
use crate::store::Store;
use crate::verifiable::build_bundle;
use crate::verifiable::export::ExportBuilder;

/// A tree-head failure as a status: a malformed or non-verifying cosignature is the
/// caller's mistake (INVALID_ARGUMENT), a key the server does not accept as a witness is
/// not the caller's to add (PERMISSION_DENIED), the rest are ours.
pub fn tree_head_status(error: TreeHeadError) -> Status {
    match error {
        TreeHeadError::Audit(_)
        | TreeHeadError::BadCosignature { .. }
        | TreeHeadError::OwnKey { .. } => Status::invalid_argument(error.to_string()),
        TreeHeadError::UnknownWitness { .. } => Status::permission_denied(error.to_string()),
        TreeHeadError::NoWitnesses => Status::failed_precondition(error.to_string()),
        TreeHeadError::UnknownHead => Status::not_found(error.to_string()),
        TreeHeadError::TooManyCosignatures => Status::resource_exhausted(error.to_string()),
        TreeHeadError::Store(error) => store_error(&error),
    }
}

fn proof_status(error: audit::AuditError) -> Status {
    Status::internal(format!("building the proof failed: {error}"))
}

/// The signed tree head of `size` (the latest, signed now if the tree grew, when zero)
/// with its cosignatures.
pub fn tree_head(heads: &TreeHeads, store: &Store, size: u64) -> Result<TreeHead, Status> {
    let head = match size {
        0 => heads.latest(store).map_err(tree_head_status)?,
        size => heads
            .at_size(store, size)
            .map_err(tree_head_status)?
            .ok_or_else(|| Status::not_found(format!("the log signed no head of size {size}")))?,
    };
    Ok(TreeHead {
        note: head
            .full_note()
            .map_err(|error| Status::internal(error.to_string()))?,
        size: head.checkpoint.size,
        root: head.checkpoint.root.to_vec(),
        timestamp: head.checkpoint.timestamp,
        verifier_key: heads.verifier_key(),
        cosignatures: head.cosignatures,
    })
}

/// `requested`, or the current size when zero; OUT_OF_RANGE past the current size.
fn resolve_size(requested: u64, current: u64, field: &str) -> Result<u64, Status> {
    match requested {
        0 => Ok(current),
        size if size > current => Err(Status::out_of_range(format!(
            "{field} {size} is larger than the tree, which has {current} events"
        ))),
        size => Ok(size),
    }
}

/// The inclusion proof of event `sequence` in the requested tree size, with the
/// consistency proof from that size to the requested head (the latest signed head when
/// zero), so that a client holding only that head can check it.
pub fn inclusion(
    heads: &TreeHeads,
    store: &Store,
    request: &GetInclusionProofRequest,
) -> Result<InclusionProof, Status> {
    if request.sequence == 0 {
        return Err(Status::invalid_argument("sequence must be at least 1"));
    }
    let current = store.tree_size();
    let head_size = match request.head_size {
        0 => {
            heads
                .latest(store)
                .map_err(tree_head_status)?
                .checkpoint
                .size
        }
        size => resolve_size(size, current, "head_size")?,
    };
    let size = match request.tree_size {
        0 => head_size,
        size => resolve_size(size, current, "tree_size")?,
    };
    if request.sequence > size {
        return Err(if request.tree_size == 0 {
            Status::out_of_range(format!(
                "event {} is not in the tree of size {size}",
                request.sequence
            ))
        } else {
            Status::invalid_argument(format!(
                "tree_size {size} does not hold event {}: it must be at least the sequence",
                request.sequence
            ))
        });
    }
    if size > head_size {
        return Err(Status::invalid_argument(format!(
            "tree_size {size} is larger than head_size {head_size}: a proof leads to a later head"
        )));
    }
    let leaf_index = request.sequence - 1;
    let hashes = audit::inclusion_proof(leaf_index, size, store).map_err(proof_status)?;
    let to_head = audit::consistency_proof(size, head_size, store).map_err(proof_status)?;
    let leaf = store
        .raw(request.sequence)
        .map_err(|error| store_error(&error))?
        .ok_or_else(|| Status::internal("the event is missing from the store"))?;
    Ok(InclusionProof {
        sequence: request.sequence,
        leaf_index,
        tree_size: size,
        hashes: hashes.iter().map(|hash| hash.to_vec()).collect(),
        leaf,
        head_consistency: Some(ConsistencyProof {
            old_size: size,
            new_size: head_size,
            hashes: to_head.iter().map(|hash| hash.to_vec()).collect(),
        }),
    })
}

/// The consistency proof between the requested sizes.
pub fn consistency(
    store: &Store,
    request: &GetConsistencyProofRequest,
) -> Result<ConsistencyProof, Status> {
    let current = store.tree_size();
    let new_size = resolve_size(request.new_size, current, "new_size")?;
    if request.old_size > new_size {
        return Err(Status::invalid_argument(format!(
            "old_size {} is larger than new_size {new_size}: a log only grows",
            request.old_size
        )));
    }
    let hashes =
        audit::consistency_proof(request.old_size, new_size, store).map_err(proof_status)?;
    Ok(ConsistencyProof {
        old_size: request.old_size,
        new_size,
        hashes: hashes.iter().map(|hash| hash.to_vec()).collect(),
    })
}

/// The log's verifier key and origin.
pub fn verifier_key(heads: &TreeHeads) -> VerifierKey {
    VerifierKey {
        verifier_key: heads.verifier_key(),
        origin: heads.origin().to_string(),
    }
}

/// Keeps a witness's cosignature of a head this log signed.
pub fn add_cosignature(
    heads: &TreeHeads,
    store: &Store,
    request: &AddCosignatureRequest,
) -> Result<AddCosignatureResponse, Status> {
    let held = heads
        .add_cosignature(store, &request.checkpoint, &request.cosignature)
        .map_err(tree_head_status)?;
    Ok(AddCosignatureResponse {
        cosignatures: u32::try_from(held).unwrap_or(u32::MAX),
    })
}

/// The verification bundle of one contribution against the latest signed head. Reads
/// only the contribution's own events, by sequence, from the index the contributions
/// projection keeps ([`Projections::contribution_events`]): O(its events · log n), never
/// the whole log.
pub fn match_bundle(heads: &TreeHeads, ledger: &Ledger, id: &str) -> Result<MatchBundle, Status> {
    let contribution: ContributionId = id
        .parse()
        .map_err(|_| Status::invalid_argument(format!("contribution_id {id:?} is not an id")))?;
    let store = ledger.store();
    let head = heads.latest(store).map_err(tree_head_status)?;
    let size = head.checkpoint.size;
    let projections = projections_covering(ledger, size)?;
    let recorded_at = projections
        .contribution(&contribution)
        .map(|status| status.sequence)
        .filter(|sequence| *sequence <= size)
        .ok_or_else(|| Status::not_found(format!("no contribution {contribution}")))?;
    let sequences = projections
        .contribution_events(&contribution)
        .unwrap_or_default();
    debug_assert!(sequences.contains(&recorded_at));
    let mut proven = Vec::with_capacity(sequences.len());
    // The index is in log order: what follows the signed head is not in this bundle.
    for sequence in sequences
        .into_iter()
        .take_while(|sequence| *sequence <= size)
    {
        let bytes = store
            .raw(sequence)
            .map_err(|error| store_error(&error))?
            .ok_or_else(|| Status::internal(format!("event {sequence} is missing")))?;
        let event =
            crate::store::decode(&bytes).map_err(|error| Status::internal(error.to_string()))?;
        let proof = audit::inclusion_proof(sequence - 1, size, store).map_err(proof_status)?;
        proven.push((event, bytes, proof));
    }
    let note = head
        .full_note()
        .map_err(|error| Status::internal(error.to_string()))?;
    let bundle = build_bundle(contribution, note, size, proven)
        .map_err(|error| Status::failed_precondition(error.to_string()))?;
    let json = serde_json::to_string_pretty(&bundle)
        .map_err(|error| Status::internal(error.to_string()))?;
    Ok(MatchBundle { json })
}

/// Projections that include every event of the tree of `size` leaves. The writer
/// appends (growing the tree a head may already sign) before it publishes the
/// projections, so a head can be a few microseconds ahead of them: wait that out.
fn projections_covering(ledger: &Ledger, size: u64) -> Result<Arc<Projections>, Status> {
    let deadline = Instant::now() + Duration::from_millis(BUNDLE_PUBLISH_WAIT_MS);
    loop {
        let projections = ledger.current();
        if projections.sequence() >= size {
            return Ok(projections);
        }
        if Instant::now() >= deadline {
            return Err(Status::unavailable(format!(
                "the balances have not caught up with the signed head of size {size}; retry"
            )));
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The signed statement of a phase's totals in `projections`, at the tree of their size.
pub fn phase_statement(
    heads: &TreeHeads,
    store: &Store,
    projections: &Projections,
    id: &str,
) -> Result<PhaseStatement, Status> {
    let phase: PhaseId = id
        .parse()
        .map_err(|_| Status::invalid_argument(format!("phase_id {id:?} is not an id")))?;
    let balances = projections
        .phase(&phase)
        .ok_or_else(|| Status::not_found(format!("no phase {phase}")))?;
    let size = projections.sequence();
    let root = audit::root_at(size, store).map_err(proof_status)?;
    let text = crate::verifiable::statement::statement_text(
        heads.origin(),
        size,
        &root,
        super::tree_heads::now_seconds(),
        &balances,
    );
    let note = heads
        .sign_text(&text)
        .map_err(|error| Status::internal(error.to_string()))?;
    Ok(PhaseStatement {
        note,
        verifier_key: heads.verifier_key(),
        tree_size: size,
        at_close: false,
    })
}

/// The statement signed when phase `id` closed.
pub fn closing_statement(
    heads: &TreeHeads,
    closing: &ClosingStatements,
    id: &str,
) -> Result<PhaseStatement, Status> {
    let phase: PhaseId = id
        .parse()
        .map_err(|_| Status::invalid_argument(format!("phase_id {id:?} is not an id")))?;
    let statement = closing.get(phase).map_err(|error| match error {
        ClosingError::UnknownPhase(_) => Status::not_found(error.to_string()),
        ClosingError::Open(_) => Status::failed_precondition(error.to_string()),
        ClosingError::NotReady { .. } => Status::unavailable(error.to_string()),
    })?;
    Ok(PhaseStatement {
        note: statement.note,
        verifier_key: heads.verifier_key(),
        tree_size: statement.tree_size,
        at_close: true,
    })
}

/// The log's signature over the canonical manifest of the export ending at `tree_head`
/// (a head this key signed), with every file recomputed from the stored events. Reads
/// and folds the whole log up to that head.
pub fn export_manifest(
    heads: &TreeHeads,
    store: &Store,
    tree_head: &str,
) -> Result<SignedExportManifest, Status> {
    let checkpoint =
        audit::verify_checkpoint(tree_head, &heads.verifier_key()).map_err(|error| {
            Status::invalid_argument(format!(
                "tree_head is not a head signed by this log's key: {error}"
            ))
        })?;
    let current = store.tree_size();
    if checkpoint.size > current {
        return Err(Status::out_of_range(format!(
            "the head has {} events, the tree {current}",
            checkpoint.size
        )));
    }
    let root = audit::root_at(checkpoint.size, store).map_err(proof_status)?;
    if root != checkpoint.root {
        return Err(Status::invalid_argument(
            "the head's root is not this log's root at its size",
        ));
    }
    let mut builder = ExportBuilder::new();
    for entry in store
        .raw_from(1)
        .take(usize::try_from(checkpoint.size).unwrap_or(usize::MAX))
    {
        let (_, bytes) = entry.map_err(|error| store_error(&error))?;
        builder
            .push(&bytes)
            .map_err(|error| Status::internal(error.to_string()))?;
    }
    let tail = builder.finish(tree_head.to_string());
    if tail.size != checkpoint.size {
        return Err(Status::internal(
            "the store holds fewer events than its tree",
        ));
    }
    let text = tail
        .manifest
        .canonical_text()
        .map_err(|error| Status::internal(error.to_string()))?;
    let note = heads
        .sign_text(&text)
        .map_err(|error| Status::internal(error.to_string()))?;
    Ok(SignedExportManifest { note })
}
