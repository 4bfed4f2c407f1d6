//! Hashing for the hot paths (`get`, planning): keys hash by `TypeId`, which is already a hash.

use std::hash::{BuildHasherDefault, Hasher};

/// A hasher for keys whose first write is a `TypeId` (itself a hash): it mixes the written words
/// with one multiply each instead of running SipHash over them.
#[derive(Default, Clone, Copy, Debug)]
pub(crate) struct KeyHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl Hasher for KeyHasher {
    /// Mixes every bit of the state into every bit of the hash (murmur3's finalizer). Without
    /// it the low bits, which pick a hash table's bucket, would depend only on the low bits of
    /// the words written: ids such as `n1`…`n9999` differ in their high bytes, and shared a few
    /// dozen buckets.
    #[inline]
    fn finish(&self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
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
