//! Hashing for the hot paths (`get`, planning): keys hash by `TypeId`, which is already a hash.

use std::hash::{BuildHasherDefault, Hasher};

/// A hasher for keys whose first write is a `TypeId` (itself a hash): it mixes the written words
/// with one multiply each instead of running SipHash over them.
#[derive(Default, Clone, Copy, Debug)]
pub(crate) struct KeyHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl Hasher for KeyHasher {
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }

    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.write_u64(u64::from(i));
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }

    #[inline]
    fn write_u64(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

pub(crate) type BuildKeyHasher = BuildHasherDefault<KeyHasher>;
pub(crate) type KeyMap<K, V> = std::collections::HashMap<K, V, BuildKeyHasher>;
pub(crate) type KeySet<K> = std::collections::HashSet<K, BuildKeyHasher>;
