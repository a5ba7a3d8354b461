//! Eight bytes at a time: the word-wise byte tests that the JSON reader
//! (`scan`) and writer (`write`) and the edge's claim-name keys
//! share. A flag is the top bit of its byte. Borrows can set false flags only
//! above the lowest true one, so "any byte" and "the lowest byte" are exact.

pub const ONES: u64 = 0x0101_0101_0101_0101;
pub const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// Eight bytes (`bytes` has exactly eight) as a little-endian word: the first byte lowest.
#[inline]
pub fn word(bytes: &[u8]) -> u64 {
    let mut le = [0u8; 8];
    le.copy_from_slice(bytes);
    u64::from_le_bytes(le)
}

/// Four bytes (`bytes` has exactly four) as the low half of a word.
#[inline]
pub fn half(bytes: &[u8]) -> u64 {
    let mut le = [0u8; 4];
    le.copy_from_slice(bytes);
    u64::from(u32::from_le_bytes(le))
}

/// Flags the bytes of `v` below `limit` (at most 0x80).
#[inline]
pub fn bytes_below(v: u64, limit: u8) -> u64 {
    v.wrapping_sub(ONES * u64::from(limit)) & !v & HIGH_BITS
}

/// Flags the bytes of `v` equal to `b`.
#[inline]
pub fn bytes_equal(v: u64, b: u8) -> u64 {
    bytes_below(v ^ (ONES * u64::from(b)), 1)
}

/// Flags the bytes that end or interrupt a JSON string's raw text: `"`, `\`,
/// and the control characters below 0x20.
#[inline]
pub fn string_breaks(v: u64) -> u64 {
    bytes_equal(v, b'"') | bytes_equal(v, b'\\') | bytes_below(v, 0x20)
}
