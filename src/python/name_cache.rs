//! The edge's one cache type: claim names, in a small direct-mapped table.
//!
//! Both directions keep the names of recent payloads, because simplejwt writes
//! and reads the same few names in every token: the writer (`json_out`) keys a
//! name's rendered JSON (`"name":`) by the identity of the `str` object, the
//! reader (`payload`) keys the `str` object by the name's text. Each is a
//! `NameCache` with its own key; a slot holds the last entry whose key mapped
//! there, and a collision replaces it (dropping the old value with the GIL
//! held: a decref).

/// A key of a `NameCache`: equal keys, the same name; `mix` spreads keys over the slots.
pub trait SlotKey: PartialEq {
    fn mix(&self) -> u64;
}

pub const SLOTS: usize = 64;

pub struct NameCache<K, V>([Option<(K, V)>; SLOTS]);

impl<K: SlotKey, V> NameCache<K, V> {
    pub const fn new() -> Self {
        NameCache([const { None }; SLOTS])
    }

    #[inline(always)]
    fn slot(key: &K) -> usize {
        (key.mix() % SLOTS as u64) as usize
    }

    /// The value kept for `key`, if its slot still holds it.
    #[inline(always)]
    pub fn get(&self, key: &K) -> Option<&V> {
        match &self.0[Self::slot(key)] {
            Some((kept, value)) if kept == key => Some(value),
            _ => None,
        }
    }

    /// Keeps `value` for `key`, replacing whatever its slot held.
    #[inline(always)]
    pub fn insert(&mut self, key: K, value: V) {
        let slot = Self::slot(&key);
        self.0[slot] = Some((key, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(PartialEq, Debug)]
    struct Key(u64);

    impl SlotKey for Key {
        fn mix(&self) -> u64 {
            self.0
        }
    }

    #[test]
    fn a_slot_keeps_the_last_key_that_mapped_there() {
        let mut cache: NameCache<Key, &str> = NameCache::new();
        assert_eq!(cache.get(&Key(1)), None);
        cache.insert(Key(1), "one");
        cache.insert(Key(2), "two");
        assert_eq!(cache.get(&Key(1)), Some(&"one"));
        assert_eq!(cache.get(&Key(2)), Some(&"two"));
        // Same slot, another key: a miss, and inserting it evicts the first.
        let colliding = Key(1 + SLOTS as u64);
        assert_eq!(cache.get(&colliding), None);
        cache.insert(colliding, "other");
        assert_eq!(cache.get(&Key(1)), None);
        assert_eq!(cache.get(&Key(1 + SLOTS as u64)), Some(&"other"));
    }
}
