//! Hashing for the hot paths (`get`, planning): keys hash by `TypeId`, which is already a hash.

use std::hash::{BuildHasherDefault, Hasher};

/// A hasher for keys whose first write is a `TypeId` (itself a hash): it mixes the written words
/// with one folded multiply each instead of running SipHash over them.
#[derive(Default, Clone, Copy, Debug)]
pub(crate) struct KeyHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl KeyHasher {
    /// A hasher whose state starts at `state` (distinct states hash the same words apart).
    #[inline]
    pub(crate) fn starting_at(state: u64) -> Self {
        KeyHasher(state.wrapping_mul(0x9e37_79b9_7f4a_7c15))
    }
}

impl Hasher for KeyHasher {
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }

    /// Eight bytes at a time, then the length: the last word is padded with zeros, so without
    /// the length `"a"` and `"a\0"` would hash alike.
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
        self.write_u64(bytes.len() as u64);
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.write_u64(u64::from(i));
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }

    /// A folded multiply (as in wyhash and foldhash): the full 128-bit product's halves are
    /// XORed, so every bit of the state depends on every bit of the word and the state.
    #[inline]
    fn write_u64(&mut self, word: u64) {
        let product = u128::from(self.0 ^ word) * u128::from(SEED);
        self.0 = (product as u64) ^ ((product >> 64) as u64);
    }
}

pub(crate) type BuildKeyHasher = BuildHasherDefault<KeyHasher>;

pub(crate) type KeyMap<K, V> = std::collections::HashMap<K, V, BuildKeyHasher>;
pub(crate) type KeySet<K> = std::collections::HashSet<K, BuildKeyHasher>;

#[cfg(test)]
mod tests {
    use crate::key::DIKey;

    /// 10,000 keys of one type whose ids differ only past their first byte spread over a
    /// 16,384-bucket table's low bits about as well as random hashes would (≈ 7,500 buckets).
    #[test]
    fn similar_ids_spread_over_buckets() {
        for prefix in ["n", "node-"] {
            let mut buckets: Vec<u64> = (0..10_000)
                .map(|i| DIKey::named::<u8>(format!("{prefix}{i}")).cached_hash() & 0x3fff)
                .collect();
            buckets.sort_unstable();
            buckets.dedup();
            assert!(buckets.len() > 7_000, "{prefix}: {} buckets", buckets.len());
        }
    }
}
