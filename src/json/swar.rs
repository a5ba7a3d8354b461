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

/// Sixteen bytes at a time with SSE2, which every x86-64 CPU has (no run-time
/// detection): the same tests as above, for long strings. A test's result is
/// a vector of 0xff/0x00 bytes, or a mask with bit `i` for byte `i`; unlike
/// the word tests, every flag is exact.
///
/// SAFETY (every `unsafe` below): SSE2 is part of the x86-64 baseline, so the
/// intrinsics' target feature is always there; `load` reads exactly the
/// sixteen bytes its reference holds.
#[cfg(target_arch = "x86_64")]
pub mod wide {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
        _mm_setzero_si128, _mm_subs_epu8,
    };

    pub type Vector = __m128i;

    #[inline(always)]
    pub fn load(chunk: &[u8; 16]) -> Vector {
        unsafe { _mm_loadu_si128(chunk.as_ptr().cast()) }
    }

    /// Bit `i` set when byte `i` of `v` has its top bit set (a flag, or a non-ASCII byte).
    #[inline(always)]
    pub fn mask(v: Vector) -> u32 {
        unsafe { _mm_movemask_epi8(v) as u32 }
    }

    #[inline(always)]
    pub fn or(a: Vector, b: Vector) -> Vector {
        unsafe { _mm_or_si128(a, b) }
    }

    #[inline(always)]
    pub fn none() -> Vector {
        unsafe { _mm_setzero_si128() }
    }

    #[inline(always)]
    fn equal(v: Vector, b: u8) -> Vector {
        unsafe { _mm_cmpeq_epi8(v, _mm_set1_epi8(b as i8)) }
    }

    /// Flags the bytes up to `limit`: saturating `v - limit` is zero exactly for them.
    #[inline(always)]
    fn at_most(v: Vector, limit: u8) -> Vector {
        unsafe { _mm_cmpeq_epi8(_mm_subs_epu8(v, _mm_set1_epi8(limit as i8)), _mm_setzero_si128()) }
    }

    /// `"`, `\` and the control characters below 0x20 (`string_breaks`).
    #[inline(always)]
    pub fn string_breaks(v: Vector) -> Vector {
        or(or(equal(v, b'"'), equal(v, b'\\')), at_most(v, 0x1f))
    }

    /// What `json.dumps` escapes: `string_breaks`, 0x7f and every non-ASCII byte.
    #[inline(always)]
    pub fn special(v: Vector) -> Vector {
        // The bytes from 0x7f up are those not at most 0x7e.
        let high = unsafe { _mm_cmpeq_epi8(at_most(v, 0x7e), _mm_setzero_si128()) };
        or(string_breaks(v), high)
    }
}
