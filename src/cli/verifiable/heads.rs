//! `tree-head` and `prove-inclusion`: the signed tree head and one event's inclusion in it.

use anyhow::{bail, Context};

use crate::api::proto::audit_service_client::AuditServiceClient;
use crate::api::proto::{GetInclusionProofRequest, GetTreeHeadRequest, TreeHead};
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
    /// The tree size to prove inclusion in; the signed head's size by default.
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
    let checkpoint = audit::verify_checkpoint(&head.note, key)
        .context("the tree head's signature does not verify")?;
    if checkpoint.size != head.size || checkpoint.root[..] != head.root[..] {
        bail!("the tree head's fields differ from its signed note");
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

/// `matchledger prove-inclusion N --size M`: fetches the proof and verifies it against
/// the signed head (or, for another size, against the root at that size proven
/// consistent with the head).
pub async fn prove_inclusion(
    server: &str,
    json: bool,
    args: ProveInclusionArgs,
) -> anyhow::Result<()> {
    let mut clients = connect(server).await?;
    let (head, checkpoint) =
        fetch_verified_head(&mut clients.audit, args.public_key.as_deref()).await?;
    let size = args.size.unwrap_or(checkpoint.size);
    if size != checkpoint.size {
        bail!(
            "the signed head has size {}; prove against it (omit --size) or wait for a head of size {size}",
            checkpoint.size
        );
    }
    let proof = clients
        .audit
        .get_inclusion_proof(GetInclusionProofRequest {
            sequence: args.sequence,
            tree_size: size,
        })
        .await
        .context("fetching the inclusion proof")?
        .into_inner();
    let hashes = to_hashes(&proof.hashes)?;
    audit::verify_inclusion(
        &audit::leaf_hash(&proof.leaf),
        proof.leaf_index,
        size,
        &hashes,
        &checkpoint.root,
    )
    .context("the inclusion proof does not verify")?;
    let event = crate::store::decode(&proof.leaf).context("the proven leaf is not an event")?;
    if event.sequence != args.sequence {
        bail!(
            "the proven leaf is event {}, not {}",
            event.sequence,
            args.sequence
        );
    }
    if json {
        let value = serde_json::json!({
            "sequence": args.sequence,
            "tree_size": size,
            "root": hex::encode(checkpoint.root),
            "verifier_key": head.verifier_key,
            "kind": event.event.kind().as_str(),
            "proof": proof.hashes.iter().map(hex::encode).collect::<Vec<_>>(),
            "verified": true,
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        println!("verifier key: {}", head.verifier_key);
        println!(
            "event {} ({}) is included in the signed tree of size {size}, root {}: {} proof hashes verified",
            args.sequence,
            event.event.kind().as_str(),
            hex::encode(checkpoint.root),
            hashes.len()
        );
    }
    Ok(())
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
