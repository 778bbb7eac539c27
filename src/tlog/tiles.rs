//! Reading one tile or entry bundle from the store: the leaves of a level-0 tile or an
//! entry bundle come from the event blocks that hold them (four blocks for a full tile),
//! the hashes of higher tiles from the stored complete-subtree hashes, so nothing scans
//! the log.

use crate::audit::tiles::{self, TileError, TileKind, TilePath};
use crate::store::{Store, StoreError};

/// Why a tile could not be served.
#[derive(Debug, thiserror::Error)]
pub enum TileReadError {
    /// The path names no tile, or one the tree does not hold (yet).
    #[error(transparent)]
    Tile(#[from] TileError),
    /// The store failed to give the events or hashes.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The bytes of `tile` in the store's published tree.
pub fn read_tile(store: &Store, tile: &TilePath) -> Result<Vec<u8>, TileReadError> {
    tile.check_within(store.tree_size())?;
    let bytes = match tile.kind {
        TileKind::Hashes { level: 0 } => tiles::leaf_hash_tile(&read_leaves(store, tile)?),
        TileKind::Entries => {
            let first = first_leaf(tile)?;
            tiles::entry_bundle(first, &read_leaves(store, tile)?)?
        }
        TileKind::Hashes { .. } => tiles::hash_tile(tile, store)?,
    };
    debug_assert!(
        !matches!(tile.kind, TileKind::Hashes { .. }) || bytes.len() as u64 == tile.width * 32
    );
    Ok(bytes)
}

/// The stored bytes of the tile's leaves, in order. Leaf `i` is event `i + 1`.
fn read_leaves(store: &Store, tile: &TilePath) -> Result<Vec<Vec<u8>>, TileReadError> {
    let first = first_leaf(tile)?;
    let mut leaves = Vec::with_capacity(tile.width as usize);
    for entry in store.raw_from(first + 1).take(tile.width as usize) {
        let (_, bytes) = entry?;
        leaves.push(bytes);
    }
    if leaves.len() as u64 != tile.width {
        // The tile was checked to be within the tree: the log ends early.
        return Err(StoreError::Truncated {
            expected: first + tile.width,
            found: first + leaves.len() as u64,
        }
        .into());
    }
    Ok(leaves)
}

/// The index of the tile's first leaf.
fn first_leaf(tile: &TilePath) -> Result<u64, TileError> {
    tile.nodes()
        .map(|nodes| nodes.start)
        .ok_or_else(|| TileError::BeyondTree {
            path: tile.to_path(),
            size: u64::MAX,
        })
}
