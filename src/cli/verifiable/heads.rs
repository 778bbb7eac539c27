//! `tree-head` and `prove-inclusion`: the signed tree head and one event's inclusion in it.

use crate::cli::exit::verification_failed;
use anyhow::{bail, Context};

use crate::api::proto::audit_service_client::AuditServiceClient;
use crate::api::proto::{GetInclusionProofRequest, GetTreeHeadRequest, InclusionProof, TreeHead};
use crate::audit::{self, Checkpoint, Hash};
use crate::cli::client::connect;

/// Options of `tree-head`.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct TreeHeadArgs {
    /// Check the head's signature against this verifier key (`name+hash+key`).
    #[arg(long)]
    pub public_key: Option<String>,
    /// The head the log signed at this tree size, instead of the latest.
    #[arg(long)]
    pub size: Option<u64>,
}

/// Options of `prove-inclusion`.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct ProveInclusionArgs {
    /// The event's sequence number.
    pub sequence: u64,
    /// The tree size to prove inclusion in (at least the sequence, at most the signed
    /// head's size); the signed head's size by default. The proof is checked against the
    /// signed head through a consistency proof from this size.
    #[arg(long)]
    pub size: Option<u64>,
    /// Check the head's signature against this verifier key instead of the one served.
    #[arg(long)]
    pub public_key: Option<String>,
}

/// Fetches the latest signed head and checks its signature with `public_key` (the served
/// key when `None`, which proves only that the note is well formed).
pub async fn fetch_verified_head(
    audit: &mut AuditServiceClient<crate::cli::client::AuthChannel>,
    public_key: Option<&str>,
) -> anyhow::Result<(TreeHead, Checkpoint)> {
    fetch_verified_head_at(audit, public_key, 0).await
}

/// Like [`fetch_verified_head`], for the head signed at tree size `size` (the latest
/// when zero).
pub async fn fetch_verified_head_at(
    audit: &mut AuditServiceClient<crate::cli::client::AuthChannel>,
    public_key: Option<&str>,
    size: u64,
) -> anyhow::Result<(TreeHead, Checkpoint)> {
    let head = audit
        .get_tree_head(GetTreeHeadRequest { tree_size: size })
        .await
        .context("fetching the tree head")?
        .into_inner();
    let key = public_key.unwrap_or(&head.verifier_key);
    let checkpoint = audit::verify_checkpoint(&head.note, key).map_err(|error| {
        verification_failed(format!(
            "the tree head's signature does not verify: {error:#}"
        ))
    })?;
    if checkpoint.size != head.size || checkpoint.root[..] != head.root[..] {
        return Err(verification_failed(
            "the tree head's fields differ from its signed note",
        ));
    }
    Ok((head, checkpoint))
}

/// `matchledger tree-head`.
pub async fn tree_head(server: &str, json: bool, args: TreeHeadArgs) -> anyhow::Result<()> {
    let mut clients = connect(server).await?;
    let (head, checkpoint) = fetch_verified_head_at(
        &mut clients.audit,
        args.public_key.as_deref(),
        args.size.unwrap_or(0),
    )
    .await?;
    if json {
        let value = serde_json::json!({
            "origin": checkpoint.origin,
            "size": checkpoint.size,
            "root": hex::encode(checkpoint.root),
            "timestamp": checkpoint.timestamp,
            "verifier_key": head.verifier_key,
            "cosignatures": head.cosignatures,
            "note": head.note,
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        println!("verifier key: {}", head.verifier_key);
        println!(
            "size {} root {} signed at {}",
            checkpoint.size,
            hex::encode(checkpoint.root),
            checkpoint.timestamp
        );
        print!("{}", head.note);
    }
    Ok(())
}

/// `matchledger prove-inclusion N --size M`: fetches the proof of event N in the tree of
/// M leaves and verifies it against the signed head alone: the audit path gives the root
/// at M, and the consistency proof from M to the head shows that root is a prefix of the
/// signed one.
pub async fn prove_inclusion(
    server: &str,
    json: bool,
    args: ProveInclusionArgs,
) -> anyhow::Result<()> {
    let mut clients = connect(server).await?;
    let (head, checkpoint) =
        fetch_verified_head(&mut clients.audit, args.public_key.as_deref()).await?;
    let size = args.size.unwrap_or(checkpoint.size);
    if size > checkpoint.size {
        bail!(
            "--size {size} is past the signed head, which has {} events",
            checkpoint.size
        );
    }
    if args.sequence == 0 || args.sequence > size {
        bail!(
            "event {} is not in a tree of size {size}: the size must be at least the sequence",
            args.sequence
        );
    }
    let proof = clients
        .audit
        .get_inclusion_proof(GetInclusionProofRequest {
            sequence: args.sequence,
            tree_size: size,
            head_size: checkpoint.size,
        })
        .await
        .context("fetching the inclusion proof")?
        .into_inner();
    if proof.tree_size != size || proof.leaf_index != args.sequence - 1 {
        return Err(verification_failed(
            "the server answered for another event or size",
        ));
    }
    let hashes = to_hashes(&proof.hashes)?;
    let root = verify_against_head(&proof, &hashes, &checkpoint)?;
    let event = crate::store::decode(&proof.leaf).context("the proven leaf is not an event")?;
    if event.sequence != args.sequence {
        return Err(verification_failed(format!(
            "the proven leaf is event {}, not {}",
            event.sequence, args.sequence
        )));
    }
    if json {
        let value = serde_json::json!({
            "sequence": args.sequence,
            "tree_size": size,
            "root": hex::encode(root),
            "head_size": checkpoint.size,
            "head_root": hex::encode(checkpoint.root),
            "verifier_key": head.verifier_key,
            "kind": event.event.kind().as_str(),
            "proof": proof.hashes.iter().map(hex::encode).collect::<Vec<_>>(),
            "head_consistency": proof
                .head_consistency
                .as_ref()
                .map(|c| c.hashes.iter().map(hex::encode).collect::<Vec<_>>())
                .unwrap_or_default(),
            "verified": true,
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        println!("verifier key: {}", head.verifier_key);
        println!(
            "event {} ({}) is included in the tree of size {size}, root {}: {} proof hashes verified",
            args.sequence,
            event.event.kind().as_str(),
            hex::encode(root),
            hashes.len()
        );
        if size != checkpoint.size {
            println!(
                "that tree is a prefix of the signed head of size {}, root {}",
                checkpoint.size,
                hex::encode(checkpoint.root)
            );
        }
    }
    Ok(())
}

/// Checks an inclusion proof against a signed head of the same or a larger size: the
/// audit path's root at the proof's size, then the consistency proof from it to the head.
/// Returns the root at the proof's size.
pub fn verify_against_head(
    proof: &InclusionProof,
    hashes: &[Hash],
    checkpoint: &Checkpoint,
) -> anyhow::Result<Hash> {
    let root = audit::inclusion_root(
        &audit::leaf_hash(&proof.leaf),
        proof.leaf_index,
        proof.tree_size,
        hashes,
    )
    .map_err(|error| {
        verification_failed(format!("the inclusion proof does not verify: {error:#}"))
    })?;
    let consistency = proof
        .head_consistency
        .as_ref()
        .context("the server sent no consistency proof to the head")?;
    if consistency.old_size != proof.tree_size || consistency.new_size != checkpoint.size {
        return Err(verification_failed(format!(
            "the consistency proof is from {} to {}, not from {} to the signed head's {}",
            consistency.old_size, consistency.new_size, proof.tree_size, checkpoint.size
        )));
    }
    audit::verify_consistency(
        proof.tree_size,
        checkpoint.size,
        &root,
        &checkpoint.root,
        &to_hashes(&consistency.hashes)?,
    )
    .map_err(|error| {
        verification_failed(format!(
            "the proven tree is not a prefix of the signed head: {error:#}"
        ))
    })?;
    Ok(root)
}

/// Proof hashes from the wire, each exactly 32 bytes.
pub fn to_hashes(hashes: &[Vec<u8>]) -> anyhow::Result<Vec<Hash>> {
    hashes
        .iter()
        .map(|hash| {
            Hash::try_from(hash.as_slice())
                .map_err(|_| anyhow::anyhow!("a proof hash is {} bytes, not 32", hash.len()))
        })
        .collect()
}
