//! Hashing for the hot paths (`get`, planning): foldhash with a fixed seed, so a key's hash is
//! the same in every run of a binary (nothing stores one across processes: a `TypeId` differs
//! between builds anyway). An unnamed key costs one folded multiply (its `TypeId`).

use std::hash::{BuildHasher, Hasher};

/// A hasher for a key's parts, starting from `state` (distinct states hash the same words apart).
#[inline]
pub(crate) fn key_hasher(state: u64) -> impl Hasher {
    foldhash::fast::FixedState::with_seed(state).build_hasher()
}

pub(crate) type BuildKeyHasher = foldhash::fast::FixedState;

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
