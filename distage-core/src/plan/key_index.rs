//! The plan's key index: which step holds a key's instance, by the key's hash.
//!
//! Kept over `hashbrown::HashTable` because it measures better. Instructions (callgrind, one
//! sitting, release, foldhash key hashes), ours against a `HashTable<u32>` of entry numbers over
//! the same dense entries (hashbrown 0.17, `inline-more`):
//!
//! | what | ours | hashbrown |
//! |---|---:|---:|
//! | plan, 1,000 bindings | 2,050,113 | 2,188,470 (+6.7%) |
//! | plan, 10,000 bindings | 20,529,782 | 21,911,777 (+6.7%) |
//! | `get` (unnamed, 3 bindings) | 149 | 159 (+6.7%) |
//! | `get_named` (10,000 steps) | 238 | 245 (+2.9%) |
//!
//! A hit here is a masked load, a tag compare and the entry; hashbrown's group probe adds its
//! control-byte match and bit scan to every lookup, and planning looks up about 3 keys per
//! binding. hashbrown's table would be smaller (16,384 buckets of 4 bytes and 1 control byte,
//! 80 KiB, against 128 KiB of cells here), not enough to pay for that.

use super::*;

/// Key → slot lookup by a hash of the key's parts, so a named lookup neither allocates nor
/// scans the other keys of its type.
///
/// Open addressing over a small table of 8-byte cells, each naming an entry; the entries are
/// dense and hold the whole key (its id copied when inline), so a lookup reads a cell and an
/// entry, and nothing else unless the id is longer than an inline one. A 10,000-key index is 16,384 cells (128 KiB) and 10,000 entries
/// (480 KB). The planner numbers a module's keys with one, and a plan renumbers it to its
/// steps ([`KeyIndex::remap`]).
#[derive(Default)]
pub(crate) struct KeyIndex {
    /// A power of two long, at most 5/8 full. A cell is 0 when empty, else the high half of
    /// its key's hash over the entry's number + 1.
    cells: Vec<u64>,
    entries: Vec<Entry>,
}

/// 48 bytes.
struct Entry {
    ty: TypeId,
    id: Option<Id>,
    /// [`GONE`] for a key a plan left out.
    slot: u32,
    kind: KeyKind,
}

/// The slot of a key no longer in the index.
const GONE: u32 = u32::MAX;

impl KeyIndex {
    /// An index for `capacity` keys.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        KeyIndex {
            cells: vec![0; Self::cells_for(capacity)],
            entries: Vec::with_capacity(capacity),
        }
    }

    /// Enough cells for `keys` keys to fill at most 5/8 of them.
    fn cells_for(keys: usize) -> usize {
        (keys * 8).div_ceil(5).next_power_of_two().max(8)
    }

    /// Adds `key` at `slot`; the key must not be in the index.
    pub(crate) fn insert(&mut self, key: &DIKey, slot: usize) {
        self.insert_hashed(key.cached_hash(), key, slot);
    }

    fn insert_hashed(&mut self, hash: u64, key: &DIKey, slot: usize) {
        self.reserve_one();
        let cell = self.free_cell(hash);
        self.fill(cell, hash, key, slot);
    }

    /// The slot of `key` if it is in the index; else adds it at `slot`. (One search where
    /// [`find`](Self::find) and then [`insert`](Self::insert) would make two.)
    pub(crate) fn find_or_insert(&mut self, key: &DIKey, slot: usize) -> Option<usize> {
        self.reserve_one();
        let hash = key.cached_hash();
        let id = key.id().map(Id::as_bytes);
        match self.search(hash, key.type_info().type_id(), key.kind(), id) {
            Ok(slot) => Some(slot),
            Err(cell) => {
                self.fill(cell, hash, key, slot);
                None
            }
        }
    }

    /// Room for one more key within the load limit.
    fn reserve_one(&mut self) {
        if (self.entries.len() + 1) * 8 > self.cells.len() * 5 {
            self.rebuild(Self::cells_for(self.entries.len() + 1));
        }
    }

    /// Adds `key` at `slot` as a new entry named by the empty cell `cell`.
    fn fill(&mut self, cell: usize, hash: u64, key: &DIKey, slot: usize) {
        self.entries.push(Entry {
            ty: key.type_info().type_id(),
            id: key.id().cloned(),
            slot: slot as u32,
            kind: key.kind(),
        });
        self.cells[cell] = (hash >> 32) << 32 | self.entries.len() as u64;
    }

    /// The first empty cell from `hash`'s own.
    fn free_cell(&self, hash: u64) -> usize {
        let mask = self.cells.len() - 1;
        let mut i = hash as usize & mask;
        while self.cells[i] != 0 {
            i = (i + 1) & mask;
        }
        i
    }

    /// New cells, `cells` long, for the entries still in the index.
    fn rebuild(&mut self, cells: usize) {
        self.entries.retain(|e| e.slot != GONE);
        self.cells = vec![0; cells];
        for e in 0..self.entries.len() {
            let entry = &self.entries[e];
            let hash = key_hash(entry.ty, entry.kind, entry.id.as_ref().map(Id::as_bytes));
            let cell = self.free_cell(hash);
            self.cells[cell] = (hash >> 32) << 32 | (e as u64 + 1);
        }
    }

    /// The slot of `key`.
    #[inline]
    pub(crate) fn find(&self, key: &DIKey) -> Option<usize> {
        self.find_hashed(
            key.cached_hash(),
            key.type_info().type_id(),
            key.kind(),
            key.id().map(Id::as_bytes),
        )
    }

    /// Moves every key to the slot `moved(slot)`, dropping those it maps to `None`; an index
    /// left mostly empty gives back its memory.
    pub(crate) fn remap(&mut self, moved: impl Fn(u32) -> Option<u32>) {
        let mut kept = 0;
        for e in &mut self.entries {
            if e.slot != GONE {
                e.slot = moved(e.slot).unwrap_or(GONE);
                kept += usize::from(e.slot != GONE);
            }
        }
        if kept * 4 < self.entries.len() {
            self.rebuild(Self::cells_for(kept));
            self.entries.shrink_to_fit();
        }
    }

    /// The slot of the key with these parts, `hash` being their
    /// [`key_hash`](crate::key::key_hash).
    #[inline]
    pub(crate) fn find_hashed(
        &self,
        hash: u64,
        ty: TypeId,
        kind: KeyKind,
        id: Option<&[u8]>,
    ) -> Option<usize> {
        if self.cells.is_empty() {
            return None;
        }
        self.search(hash, ty, kind, id).ok()
    }

    /// From `hash`'s own cell on: the slot of the key with these parts, or else the first
    /// empty cell. (The cells must not be empty.)
    #[inline(always)]
    fn search(
        &self,
        hash: u64,
        ty: TypeId,
        kind: KeyKind,
        id: Option<&[u8]>,
    ) -> Result<usize, usize> {
        let mask = self.cells.len() - 1;
        let tag = hash >> 32;
        let mut i = hash as usize & mask;
        loop {
            // Never full, so an empty cell ends every search.
            let cell = self.cells[i];
            if cell == 0 {
                return Err(i);
            }
            if cell >> 32 == tag {
                let entry = &self.entries[(cell as u32 - 1) as usize];
                // (A key dropped and added again has a second entry, further on.)
                if entry.slot != GONE
                    && entry.ty == ty
                    && entry.kind == kind
                    && entry.id.as_ref().map(Id::as_bytes) == id
                {
                    return Ok(entry.slot as usize);
                }
            }
            i = (i + 1) & mask;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_entries_and_cells_stay_small() {
        assert!(std::mem::size_of::<Entry>() <= 48);
        assert_eq!(KeyIndex::with_capacity(10_000).cells.len(), 16_384);
    }

    #[test]
    fn key_index_tells_apart_keys_whose_hashes_collide() {
        let keys = [
            DIKey::of::<u8>(),
            DIKey::named::<u8>("a"),
            DIKey::named::<u8>("b"),
            DIKey::set_of::<u8>(),
            DIKey::of::<u16>(),
        ];
        let mut index = KeyIndex::with_capacity(keys.len());
        for (slot, key) in keys.iter().enumerate() {
            index.insert_hashed(7, key, slot);
        }
        for (slot, key) in keys.iter().enumerate() {
            let found = index.find_hashed(
                7,
                key.type_info().type_id(),
                key.kind(),
                key.id().map(Id::as_bytes),
            );
            assert_eq!(found, Some(slot), "{key}");
        }
        let absent = index.find_hashed(7, TypeId::of::<u8>(), KeyKind::Single, Some(b"c"));
        assert_eq!(absent, None);
        let a = DIKey::named::<u8>("a");
        let hashed_as_7 = index.find_hashed(
            a.cached_hash(),
            a.type_info().type_id(),
            a.kind(),
            a.id().map(Id::as_bytes),
        );
        assert_eq!(hashed_as_7, None, "inserted under hash 7");
    }

    #[test]
    fn key_index_grows_and_renumbers() {
        let long = "an id longer than the twenty-two bytes kept inline";
        let keys: Vec<DIKey> = (0..100)
            .map(|i| DIKey::named::<u8>(format!("{long} {i}")))
            .chain((0..100).map(|i| DIKey::named::<u16>(format!("k{i}"))))
            .collect();
        let mut index = KeyIndex::with_capacity(1);
        for (slot, key) in keys.iter().enumerate() {
            assert_eq!(index.find_or_insert(key, slot), None, "{key}");
        }
        for (slot, key) in keys.iter().enumerate() {
            assert_eq!(index.find(key), Some(slot), "{key}");
            assert_eq!(index.find_or_insert(key, 999), Some(slot), "{key}");
        }
        assert_eq!(index.entries.len(), keys.len());
        // Every fifth key kept, moved; the rest gone, and the cells shrunk to fit.
        index.remap(|slot| (slot % 5 == 0).then_some(slot * 10));
        assert_eq!(index.entries.len(), 40);
        assert_eq!(index.cells.len(), KeyIndex::cells_for(40));
        for (slot, key) in keys.iter().enumerate() {
            let expected = (slot % 5 == 0).then_some(slot * 10);
            assert_eq!(index.find(key), expected, "{key}");
        }
        assert_eq!(index.find(&DIKey::named::<u8>("k1")), None);

        // Dropped by the last renumbering (and still in the cells when not rebuilt), added
        // again: found at its new slot. A second renumbering moves only the keys still in.
        let mut index = KeyIndex::with_capacity(keys.len());
        for (slot, key) in keys.iter().enumerate() {
            index.insert(key, slot);
        }
        index.remap(|slot| (slot != 1).then_some(slot));
        index.insert(&keys[1], 500);
        index.remap(|slot| Some(slot + 1));
        assert_eq!(index.find(&keys[0]), Some(1));
        assert_eq!(index.find(&keys[1]), Some(501));
        assert_eq!(index.find(&keys[2]), Some(3));
    }
}
