//! Reading JSON bytes, eight at a time where it pays: the string scan, plain
//! integers, and the nesting limit. Pure byte work, no values are built here.

use super::swar;

/// How deep a claim value may nest arrays and objects, alike and empty ones included (the
/// payload object itself not counted: `{"a": [[1]]}` is 2 deep). The same limit holds for
/// encoding (the edge's writer), so a token we mint is one we can read, and the other way round.
pub const MAX_NESTING: usize = 200;

/// Whether the array or object starting at `json[0]` nests deeper than `MAX_NESTING`, read
/// up to where it closes (or the text ends). Run before jiter parses it: jiter's own limit
/// counts a container only when it holds a value, so `[[]]` and `[[1]]` would differ.
pub fn nests_too_deep(json: &[u8]) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &byte in json {
        if in_string {
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return true;
                }
            }
            b']' | b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    false
}

/// From `start` (just after an opening quote): the index of the first quote,
/// backslash or control character (the input's length if none), and whether
/// any byte before it is non-ASCII.
#[inline(always)]
pub fn scan_string(json: &[u8], start: usize) -> (usize, bool) {
    let mut at = start;
    let mut seen = 0u64;
    // Sixteen bytes a step while sixteen are left (a long claim costs a third of
    // what the word loop below spent on it), then words, then bytes.
    #[cfg(target_arch = "x86_64")]
    {
        let mut high = 0u32;
        while let Some(chunk) = json.get(at..).and_then(|rest| rest.first_chunk::<16>()) {
            let v = swar::wide::load(chunk);
            let stops = swar::wide::mask(swar::wide::string_breaks(v));
            let bytes_high = swar::wide::mask(v);
            if stops != 0 {
                let before = stops.trailing_zeros();
                let mask = (1u32 << before).wrapping_sub(1);
                return (at + before as usize, (high | (bytes_high & mask)) != 0);
            }
            high |= bytes_high;
            at += 16;
        }
        if high != 0 {
            seen = swar::HIGH_BITS;
        }
    }
    while let Some(chunk) = json.get(at..at + 8) {
        let word = swar::word(chunk);
        let stops = swar::string_breaks(word);
        if stops != 0 {
            let before = stops.trailing_zeros() / 8;
            // The bytes before the stop (none when it is the first).
            let mask = (1u64 << (8 * before)).wrapping_sub(1);
            return (
                at + before as usize,
                (seen | (word & mask)) & swar::HIGH_BITS != 0,
            );
        }
        seen |= word;
        at += 8;
    }
    let mut high = seen & swar::HIGH_BITS != 0;
    while let Some(&b) = json.get(at) {
        if b == b'"' || b == b'\\' || b < 0x20 {
            break;
        }
        high |= b >= 0x80;
        at += 1;
    }
    (at, high)
}

/// An integer with no fraction or exponent and at most 18 digits (so it fits
/// an i64 without a check) and its end; anything else is left to jiter.
#[inline]
pub fn plain_integer(json: &[u8], start: usize) -> Option<(i64, usize)> {
    const MAX_DIGITS: usize = 18;
    let negative = json.get(start) == Some(&b'-');
    let digits = start + usize::from(negative);
    // A leading zero is left to jiter too (a lone 0 is rare; 01 is invalid).
    if !matches!(json.get(digits), Some(b'1'..=b'9')) {
        return None;
    }
    // At most 18 digits, so n < 10^18 and the arithmetic cannot overflow.
    let mut n: u64 = 0;
    let mut at = digits;
    while at + 8 - digits <= MAX_DIGITS
        && let Some(value) = json.get(at..at + 8).and_then(eight_digits)
    {
        n = n.wrapping_mul(100_000_000).wrapping_add(value);
        at += 8;
    }
    while let Some(&b) = json.get(at)
        && b.is_ascii_digit()
    {
        if at - digits == MAX_DIGITS {
            return None;
        }
        n = n.wrapping_mul(10).wrapping_add(u64::from(b - b'0'));
        at += 1;
    }
    if matches!(json.get(at), Some(b'.' | b'e' | b'E')) {
        return None;
    }
    let n = n as i64;
    Some((if negative { -n } else { n }, at))
}

/// Eight ASCII digits as their value, or None if any byte is not a digit.
/// Each step multiplies adjacent groups into one: 8 digits, 4 pairs, 2 quads, 1.
#[inline]
pub fn eight_digits(chunk: &[u8]) -> Option<u64> {
    let word = swar::word(chunk);
    // A digit is 0x30..=0x39: high nibble 3, and still 3 after adding 6.
    let nibbles = (word & 0xF0F0_F0F0_F0F0_F0F0)
        | ((word.wrapping_add(0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0) >> 4);
    if nibbles != 0x3333_3333_3333_3333 {
        return None;
    }
    // The first digit is the lowest byte (little-endian): each pair is low * 10 + high.
    let pairs = ((word & 0x0F0F_0F0F_0F0F_0F0F).wrapping_mul(10 << 8 | 1)) >> 8;
    let quads = ((pairs & 0x00FF_00FF_00FF_00FF).wrapping_mul(100 << 16 | 1)) >> 16;
    Some(((quads & 0x0000_FFFF_0000_FFFF).wrapping_mul(10_000 << 32 | 1)) >> 32)
}
