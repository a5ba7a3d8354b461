//! Writing JSON bytes as Python's `json.dumps` does (`ensure_ascii=True`):
//! strings and integers. The edge's walk over Python objects and the core's
//! header writer both write through here: one writer.

use super::swar;

/// Decimal digits without going through `fmt` and a temporary `String`, two at a time.
#[inline]
pub fn write_int(out: &mut Vec<u8>, n: i64) {
    const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
        2021222324252627282930313233343536373839\
        4041424344454647484950515253545556575859\
        6061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899";
    // Written at the front of a fixed-size buffer, then appended whole and cut
    // back: a copy of constant size compiles to a few moves, not a `memcpy` call.
    let mut digits = [0u8; 20];
    let mut rest = n.unsigned_abs();
    let len = rest.checked_ilog10().unwrap_or(0) as usize + 1;
    let mut pos = len;
    while rest >= 100 {
        let pair = (rest % 100) as usize * 2;
        rest /= 100;
        pos -= 2;
        digits[pos..pos + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    }
    if rest >= 10 {
        let pair = rest as usize * 2;
        digits[..2].copy_from_slice(&PAIRS[pair..pair + 2]);
    } else {
        digits[0] = b'0' + rest as u8;
    }
    if n < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(&digits);
    out.truncate(out.len() - (digits.len() - len));
}

/// Bytes `json.dumps` writes as they are: printable ASCII but `"` and `\\`.
fn plain(b: u8) -> bool {
    (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\'
}

/// How many leading bytes of `bytes` need no escaping, eight at a time.
fn plain_run(bytes: &[u8]) -> usize {
    let mut run = 0;
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        let special = special(swar::word(w));
        if special != 0 {
            // The lowest flagged byte is the first to escape (earlier bytes' flags are exact).
            return run + (special.trailing_zeros() / 8) as usize;
        }
        run += 8;
    }
    run + words.remainder().iter().take_while(|&&b| plain(b)).count()
}

/// The bytes of a word to escape, flagged by their top bit: below 0x20, `"`,
/// `\\`, 0x7f, or non-ASCII (top bit set). Flags above the lowest flagged
/// byte may be false (borrows), so only "any" and "the lowest" are exact.
fn special(v: u64) -> u64 {
    swar::string_breaks(v) | swar::bytes_equal(v, 0x7f) | v & swar::HIGH_BITS
}

/// Whether no byte of `bytes` needs escaping: eight at a time, the last word
/// overlapping the one before; shorter strings are read in overlapping
/// halves (or thirds), the rest of the word a plain byte.
fn all_plain(bytes: &[u8]) -> bool {
    let len = bytes.len();
    if len < 8 {
        let v = match len {
            0 => return true,
            1..=3 => u64::from_le_bytes([
                bytes[0],
                bytes[len / 2],
                bytes[len - 1],
                b'a',
                b'a',
                b'a',
                b'a',
                b'a',
            ]),
            _ => swar::half(&bytes[..4]) | swar::half(&bytes[len - 4..]) << 32,
        };
        return special(v) == 0;
    }
    #[cfg(target_arch = "x86_64")]
    if len >= 16 {
        // Sixteen at a time, the last chunk overlapping the one before.
        use swar::wide;
        let (chunks, rest) = bytes.as_chunks::<16>();
        let mut found = wide::none();
        for chunk in chunks {
            found = wide::or(found, wide::special(wide::load(chunk)));
        }
        if let Some(last) = bytes.last_chunk::<16>()
            && !rest.is_empty()
        {
            found = wide::or(found, wide::special(wide::load(last)));
        }
        return wide::mask(found) == 0;
    }
    let mut words = bytes.chunks_exact(8);
    let mut found = 0;
    for w in &mut words {
        found |= special(swar::word(w));
    }
    if !words.remainder().is_empty() {
        found |= special(swar::word(&bytes[len - 8..]));
    }
    found == 0
}

/// A JSON string with `ensure_ascii=True` escaping, exactly as Python writes it.
#[inline]
pub fn write_str(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    // Nearly every claim name and value: copied as it is, one check per word.
    if all_plain(bytes) {
        out.reserve(bytes.len() + 2);
        out.push(b'"');
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    write_escaped(out, text);
}

/// `write_str` for text with something to escape: out of line, so that the
/// common case stays a few instructions in its caller.
#[cold]
#[inline(never)]
fn write_escaped(out: &mut Vec<u8>, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(text.len() + 2);
    out.push(b'"');
    let bytes = text.as_bytes();
    let mut start = 0;
    while start < bytes.len() {
        // Copy the run that needs no escaping in one go: most claims are all of it.
        let run = plain_run(&bytes[start..]);
        out.extend_from_slice(&bytes[start..start + run]);
        start += run;
        let Some(c) = text.get(start..).and_then(|rest| rest.chars().next()) else {
            break;
        };
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            '\u{8}' => out.extend_from_slice(b"\\b"),
            '\u{c}' => out.extend_from_slice(b"\\f"),
            _ => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.extend_from_slice(b"\\u");
                    for shift in [12, 8, 4, 0] {
                        out.push(HEX[usize::from((*unit >> shift) & 0xf)]);
                    }
                }
            }
        }
        start += c.len_utf8();
    }
    out.push(b'"');
}
