//! C2SP tlog-tiles (c2sp.org/tlog-tiles): the Merkle tree cut into tiles of height 8 that
//! any client fetches as static files and computes every root and proof from.
//!
//! A *hash tile* at tile level `L`, index `N` holds the hashes of tree level `8·L`, nodes
//! `N·256 .. N·256 + W`, each 32 bytes, concatenated: `W` is 256 for a full tile and 1..255
//! for a partial tile on the right edge of the tree. Tile level 0 holds the leaf hashes.
//! An *entry bundle* `N` holds the leaves `N·256 .. N·256 + W` themselves, each as a
//! big-endian `u16` length followed by that many bytes; its entries hash (RFC 6962,
//! SHA-256(0x00 ‖ entry)) to the level-0 hash tile `N` of the same width.
//!
//! Paths are the spec's: `tile/<L>/<N>[.p/<W>]` and `tile/entries/<N>[.p/<W>]`, where `N`
//! is written in groups of three decimal digits, every group but the last prefixed with
//! `x` (`1234067` is `x001/x234/067`). Only the canonical spelling is accepted, so one
//! tile has one path and caches never hold two copies of it.
//!
//! Pure: the caller reads the hashes (through a [`NodeReader`]) or the entries; this
//! module computes which ones and lays them out.

use super::merkle::{leaf_hash, Hash, NodeReader};
use super::AuditError;

/// Tree levels one tile spans: the spec fixes it at 8.
pub const TILE_HEIGHT: u32 = 8;

/// Hashes (or entries) in a full tile: 2^[`TILE_HEIGHT`].
pub const TILE_WIDTH: u64 = 1 << TILE_HEIGHT;

/// Bytes of one entry in a bundle at most: its length prefix is a `u16`.
pub const ENTRY_BYTES_MAX: usize = u16::MAX as usize;

// Every stored event fits in an entry bundle.
const _: () = assert!(crate::limits::EVENT_BYTES_MAX <= ENTRY_BYTES_MAX);

/// Digits in one group of a tile index path element.
const INDEX_GROUP_DIGITS: usize = 3;

/// One tile or entry bundle, as named by its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TilePath {
    /// What the tile holds.
    pub kind: TileKind,
    /// The tile's index `N` among the tiles of its level.
    pub index: u64,
    /// Hashes or entries in it: [`TILE_WIDTH`] for a full tile, fewer for a partial one.
    pub width: u64,
}

/// What a tile holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TileKind {
    /// Hashes of tree level `8 · level`.
    Hashes {
        /// The tile level `L` (tree level `8·L`).
        level: u8,
    },
    /// The leaves themselves (the entries), length-prefixed.
    Entries,
}

/// Why a path names no tile, or a tile cannot be given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TileError {
    /// The path does not follow the spec's canonical tile path syntax.
    #[error("not a tile path: {0}")]
    MalformedPath(&'static str),
    /// The tile lies (partly) beyond the current tree.
    #[error("the tree of {size} leaves has no tile {path}")]
    BeyondTree { path: String, size: u64 },
    /// A leaf too long for the bundle's `u16` length prefix.
    #[error("entry {index} has {bytes} bytes; an entry bundle holds at most {ENTRY_BYTES_MAX}")]
    EntryTooLong { index: u64, bytes: usize },
    /// A hash could not be read.
    #[error(transparent)]
    Tree(#[from] AuditError),
}

impl TilePath {
    /// Parses the part of a path after `tile/`: `<L>/<N>[.p/<W>]` or
    /// `entries/<N>[.p/<W>]`, in canonical form only.
    pub fn parse(path: &str) -> Result<TilePath, TileError> {
        let (kind, rest) = match path.split_once('/') {
            Some(("entries", rest)) => (TileKind::Entries, rest),
            Some((level, rest)) => {
                let level = parse_decimal(level, "the tile level is not a number")?;
                let level =
                    u8::try_from(level).map_err(|_| TileError::MalformedPath("level too large"))?;
                (TileKind::Hashes { level }, rest)
            }
            None => return Err(TileError::MalformedPath("no tile level")),
        };
        let (index, width) = match rest.split_once(".p/") {
            Some((index, width)) => {
                let width = parse_decimal(width, "the partial width is not a number")?;
                if width == 0 || width >= TILE_WIDTH {
                    return Err(TileError::MalformedPath("a partial width is 1 to 255"));
                }
                (index, width)
            }
            None => (rest, TILE_WIDTH),
        };
        let tile = TilePath {
            kind,
            index: parse_index(index)?,
            width,
        };
        // One tile, one path: a spelling that does not round-trip is refused.
        if tile.to_path() != format!("tile/{path}") {
            return Err(TileError::MalformedPath("not the canonical spelling"));
        }
        Ok(tile)
    }

    /// The tile's path, `tile/...`, as the spec spells it.
    pub fn to_path(&self) -> String {
        let level = match self.kind {
            TileKind::Hashes { level } => level.to_string(),
            TileKind::Entries => "entries".to_string(),
        };
        let mut path = format!("tile/{level}/{}", encode_index(self.index));
        if !self.is_full() {
            path.push_str(&format!(".p/{}", self.width));
        }
        path
    }

    /// Whether the tile is full (and so never changes).
    pub fn is_full(&self) -> bool {
        self.width == TILE_WIDTH
    }

    /// The tree level whose hashes the tile holds (0 for entry bundles).
    pub fn tree_level(&self) -> u32 {
        match self.kind {
            TileKind::Hashes { level } => u32::from(level) * TILE_HEIGHT,
            TileKind::Entries => 0,
        }
    }

    /// The nodes of [`TilePath::tree_level`] the tile holds: `first..first + width`. `None`
    /// when they cannot exist in any tree (the index overflows).
    pub fn nodes(&self) -> Option<std::ops::Range<u64>> {
        let first = self.index.checked_mul(TILE_WIDTH)?;
        let end = first.checked_add(self.width)?;
        Some(first..end)
    }

    /// The smallest tree that holds every node of the tile, or `None` if none can.
    pub fn tree_size_needed(&self) -> Option<u64> {
        let level = self.tree_level();
        if level >= u64::BITS {
            return None;
        }
        let end = self.nodes()?.end;
        // `end` nodes of width 2^level need `end << level` leaves, without overflow.
        (end <= u64::MAX >> level).then(|| end << level)
    }

    /// Refuses a tile that the tree of `size` leaves does not hold completely.
    pub fn check_within(&self, size: u64) -> Result<(), TileError> {
        match self.tree_size_needed() {
            Some(needed) if needed <= size => Ok(()),
            _ => Err(TileError::BeyondTree {
                path: self.to_path(),
                size,
            }),
        }
    }
}

/// A hash tile above level 0, read from stored complete-subtree hashes: `width` reads.
/// The caller has checked the tile is within the tree ([`TilePath::check_within`]).
pub fn hash_tile(tile: &TilePath, reader: &impl NodeReader) -> Result<Vec<u8>, TileError> {
    // No tree has such a tile: its index overflows, or its level is above the 64th.
    let nowhere = || TileError::BeyondTree {
        path: tile.to_path(),
        size: u64::MAX,
    };
    let nodes = tile.nodes().ok_or_else(nowhere)?;
    let level = u8::try_from(tile.tree_level())
        .ok()
        .filter(|level| u32::from(*level) < u64::BITS)
        .ok_or_else(nowhere)?;
    let mut bytes = Vec::with_capacity(tile.width as usize * 32);
    for index in nodes {
        bytes.extend_from_slice(&reader.node(level, index)?);
    }
    debug_assert_eq!(bytes.len() as u64, tile.width * 32);
    Ok(bytes)
}

/// The level-0 hash tile of `leaves` (the tile's leaves, in order): their leaf hashes.
pub fn leaf_hash_tile<B: AsRef<[u8]>>(leaves: &[B]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(leaves.len() * 32);
    for leaf in leaves {
        let hash: Hash = leaf_hash(leaf.as_ref());
        bytes.extend_from_slice(&hash);
    }
    bytes
}

/// The entry bundle of `leaves`, the first of which is leaf `first_index`: each leaf as a
/// big-endian `u16` length and its bytes.
pub fn entry_bundle<B: AsRef<[u8]>>(first_index: u64, leaves: &[B]) -> Result<Vec<u8>, TileError> {
    let total: usize = leaves.iter().map(|leaf| 2 + leaf.as_ref().len()).sum();
    let mut bytes = Vec::with_capacity(total);
    for (offset, leaf) in leaves.iter().enumerate() {
        let leaf = leaf.as_ref();
        let length = u16::try_from(leaf.len()).map_err(|_| TileError::EntryTooLong {
            index: first_index + offset as u64,
            bytes: leaf.len(),
        })?;
        bytes.extend_from_slice(&length.to_be_bytes());
        bytes.extend_from_slice(leaf);
    }
    debug_assert_eq!(bytes.len(), total);
    Ok(bytes)
}

/// Splits an entry bundle back into its entries; `None` if it is not a sequence of
/// length-prefixed entries.
pub fn parse_entry_bundle(mut bytes: &[u8]) -> Option<Vec<&[u8]>> {
    let mut entries = Vec::new();
    while !bytes.is_empty() {
        let (length, rest) = bytes.split_first_chunk::<2>()?;
        let length = usize::from(u16::from_be_bytes(*length));
        if rest.len() < length {
            return None;
        }
        let (entry, rest) = rest.split_at(length);
        entries.push(entry);
        bytes = rest;
    }
    Some(entries)
}

/// `N` as the spec writes it in a path: three-digit groups, all but the last with `x`.
pub fn encode_index(index: u64) -> String {
    let mut path = format!("{:03}", index % 1000);
    let mut rest = index / 1000;
    while rest > 0 {
        path = format!("x{:03}/{path}", rest % 1000);
        rest /= 1000;
    }
    path
}

/// Reads an index written by [`encode_index`].
fn parse_index(path: &str) -> Result<u64, TileError> {
    let mut index = 0u64;
    let mut groups = path.split('/').peekable();
    while let Some(group) = groups.next() {
        let digits = if groups.peek().is_some() {
            group
                .strip_prefix('x')
                .ok_or(TileError::MalformedPath("an inner index group lacks its x"))?
        } else {
            group
        };
        if digits.len() != INDEX_GROUP_DIGITS || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(TileError::MalformedPath(
                "an index group is not three digits",
            ));
        }
        let value = parse_decimal(digits, "an index group is not a number")?;
        index = index
            .checked_mul(1000)
            .and_then(|index| index.checked_add(value))
            .ok_or(TileError::MalformedPath("the tile index is too large"))?;
    }
    Ok(index)
}

/// A decimal number of ASCII digits only (no sign, no spaces).
fn parse_decimal(text: &str, error: &'static str) -> Result<u64, TileError> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TileError::MalformedPath(error));
    }
    text.parse().map_err(|_| TileError::MalformedPath(error))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{root_at, MemoryNodes};

    fn hashes(level: u8, index: u64, width: u64) -> TilePath {
        TilePath {
            kind: TileKind::Hashes { level },
            index,
            width,
        }
    }

    #[test]
    fn tile_paths_are_spelled_as_the_spec_says_and_read_back() {
        for (tile, path) in [
            (hashes(0, 0, 256), "tile/0/000"),
            (hashes(0, 1234067, 5), "tile/0/x001/x234/067.p/5"),
            (hashes(2, 1000, 256), "tile/2/x001/000"),
            (
                TilePath {
                    kind: TileKind::Entries,
                    index: 42,
                    width: 255,
                },
                "tile/entries/042.p/255",
            ),
            (
                hashes(1, u64::MAX, 256),
                "tile/1/x018/x446/x744/x073/x709/x551/615",
            ),
        ] {
            assert_eq!(tile.to_path(), path);
            assert_eq!(TilePath::parse(&path["tile/".len()..]), Ok(tile), "{path}");
        }
    }

    #[test]
    fn non_canonical_or_malformed_tile_paths_are_refused() {
        for path in [
            "0/0",
            "0/0000",
            "0/x000/001",
            "0/x1/001",
            "0/001/002",
            "00/001",
            "+0/001",
            "0/001.p/0",
            "0/001.p/256",
            "0/001.p/05",
            "0/001.p/",
            "256/001",
            "entries",
            "0/x018/x446/x744/x073/x709/x551/616",
            "",
            "0/-01",
        ] {
            assert!(
                matches!(TilePath::parse(path), Err(TileError::MalformedPath(_))),
                "{path} was accepted"
            );
        }
    }

    #[test]
    fn a_tile_is_within_a_tree_only_when_every_node_it_holds_is_complete() {
        assert_eq!(hashes(0, 0, 5).tree_size_needed(), Some(5));
        assert_eq!(hashes(0, 1, 256).tree_size_needed(), Some(512));
        assert_eq!(hashes(1, 0, 3).tree_size_needed(), Some(3 * 256));
        assert_eq!(hashes(8, 0, 1).tree_size_needed(), None);
        assert_eq!(hashes(7, 0, 1).tree_size_needed(), Some(1 << 56));
        assert!(hashes(1, 0, 3).check_within(767).is_err());
        assert!(hashes(1, 0, 3).check_within(768).is_ok());
        assert!(hashes(0, u64::MAX, 256).check_within(u64::MAX).is_err());
    }

    #[test]
    fn tiles_hold_the_hashes_a_tile_reader_recomputes_the_root_from() {
        let leaves: Vec<Vec<u8>> = (0..700u32).map(|i| i.to_be_bytes().to_vec()).collect();
        let (nodes, frontier) = MemoryNodes::from_leaves(&leaves);
        // Level 0 from the leaves equals level 0 from the stored leaf hashes.
        let tile = hashes(0, 2, 188);
        assert_eq!(
            leaf_hash_tile(&leaves[512..700]),
            hash_tile(&tile, &nodes).expect("tile")
        );
        // The two complete level-8 nodes of the level-1 tile are the roots of the first
        // 256 and the next 256 leaves.
        let upper = hash_tile(&hashes(1, 0, 2), &nodes).expect("tile");
        let (first, second) = upper.split_at(32);
        let (first_half, _) = MemoryNodes::from_leaves(&leaves[..256]);
        assert_eq!(first, root_at(256, &first_half).expect("root"));
        let (second_half, _) = MemoryNodes::from_leaves(&leaves[256..512]);
        assert_eq!(second, root_at(256, &second_half).expect("root"));
        assert_eq!(frontier.size(), 700);
    }

    #[test]
    fn entry_bundles_length_prefix_each_entry_and_split_back() {
        let entries: Vec<Vec<u8>> = vec![b"a".to_vec(), Vec::new(), vec![7; 300]];
        let bundle = entry_bundle(0, &entries).expect("bundle");
        assert_eq!(&bundle[..3], &[0, 1, b'a']);
        assert_eq!(&bundle[3..5], &[0, 0]);
        assert_eq!(&bundle[5..7], &300u16.to_be_bytes());
        let parsed = parse_entry_bundle(&bundle).expect("parses");
        assert_eq!(parsed, vec![&b"a"[..], &[][..], &[7u8; 300][..]]);
        assert_eq!(parse_entry_bundle(&bundle[..bundle.len() - 1]), None);
    }

    #[test]
    fn an_entry_too_long_for_its_length_prefix_is_refused_by_index() {
        let entries = vec![vec![0u8; 10], vec![0u8; ENTRY_BYTES_MAX + 1]];
        assert_eq!(
            entry_bundle(512, &entries),
            Err(TileError::EntryTooLong {
                index: 513,
                bytes: ENTRY_BYTES_MAX + 1
            })
        );
        assert!(entry_bundle(0, &[vec![0u8; ENTRY_BYTES_MAX]]).is_ok());
    }
}
