//! base64url without padding (RFC 7515 §2), decoded strictly: only the URL
//! alphabet, no `=`, and no stray bits in the last character, so a segment
//! has exactly one spelling. Every token goes through here, twice or three
//! times, hence a small table-driven codec of our own.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Character -> 6-bit value; 0xff for anything outside the alphabet.
static DECODE: [u8; 256] = {
    let mut table = [0xffu8; 256];
    let mut i = 0;
    while i < 64 {
        table[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    table
};

pub fn encoded_len(len: usize) -> usize {
    len / 3 * 4 + [0, 2, 3][len % 3]
}

/// Appends the encoding of `input` to `out`.
pub fn encode_into(input: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    out.resize(start + encoded_len(input.len()), 0);
    let symbol = |v: u32| ALPHABET[(v & 63) as usize];
    let mut chunks = input.chunks_exact(3);
    let mut quads = out[start..].chunks_exact_mut(4);
    for (c, q) in (&mut chunks).zip(&mut quads) {
        let v = u32::from(c[0]) << 16 | u32::from(c[1]) << 8 | u32::from(c[2]);
        q.copy_from_slice(&[symbol(v >> 18), symbol(v >> 12), symbol(v >> 6), symbol(v)]);
    }
    let tail = quads.into_remainder();
    match *chunks.remainder() {
        [a] => tail.copy_from_slice(&[symbol(u32::from(a) >> 2), symbol(u32::from(a) << 4)]),
        [a, b] => {
            let v = u32::from(a) << 8 | u32::from(b);
            tail.copy_from_slice(&[symbol(v >> 10), symbol(v >> 4), symbol(v << 2)]);
        }
        _ => {}
    }
}

pub fn encode(input: &[u8]) -> String {
    let mut out = Vec::with_capacity(encoded_len(input.len()));
    encode_into(input, &mut out);
    // Only alphabet characters were written: ASCII.
    String::from_utf8(out).unwrap_or_default()
}

/// `None` unless `input` is canonical unpadded base64url.
pub fn decode(input: &[u8]) -> Option<Vec<u8>> {
    if input.len() % 4 == 1 {
        return None;
    }
    let full = input.len() / 4;
    let mut out = vec![0u8; full * 3 + [0, 0, 1, 2][input.len() % 4]];
    // Invalid characters decode to 0xff; OR-ing everything lets one test at the end catch them.
    let mut bad = 0u8;
    // Eight characters (48 bits) per step, then one group of four if left.
    let mut octets = input[..full * 4].chunks_exact(8);
    let mut sextets = out.chunks_exact_mut(6);
    for (c, o) in (&mut octets).zip(&mut sextets) {
        let mut v = 0u64;
        for &ch in c {
            let d = DECODE[ch as usize];
            bad |= d;
            v = v << 6 | u64::from(d);
        }
        o.copy_from_slice(&v.to_be_bytes()[2..]);
    }
    if let [a, b, c, d] = *octets.remainder() {
        let (a, b, c, d) = (
            DECODE[a as usize],
            DECODE[b as usize],
            DECODE[c as usize],
            DECODE[d as usize],
        );
        bad |= a | b | c | d;
        let v = u32::from(a) << 18 | u32::from(b) << 12 | u32::from(c) << 6 | u32::from(d);
        let at = (full - 1) * 3;
        out[at..at + 3].copy_from_slice(&[(v >> 16) as u8, (v >> 8) as u8, v as u8]);
    }
    let tail = &mut out[full * 3..];
    match input[full * 4..] {
        [a, b] => {
            let (a, b) = (DECODE[a as usize], DECODE[b as usize]);
            // The last character's low 4 bits carry nothing and must be zero.
            bad |= a | b | if b & 0x0f != 0 { 0xc0 } else { 0 };
            tail[0] = a << 2 | b >> 4;
        }
        [a, b, c] => {
            let (a, b, c) = (DECODE[a as usize], DECODE[b as usize], DECODE[c as usize]);
            bad |= a | b | c | if c & 0x03 != 0 { 0xc0 } else { 0 };
            let v = u32::from(a) << 12 | u32::from(b) << 6 | u32::from(c);
            tail.copy_from_slice(&[(v >> 10) as u8, (v >> 2) as u8]);
        }
        _ => {}
    }
    // Valid values are 0..=63: the top two bits stay clear.
    (bad & 0xc0 == 0).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    #[test]
    fn agrees_with_the_base64_crate() {
        let mut state = 0x2545_f491_u32;
        for len in 0..300 {
            let data: Vec<u8> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 17;
                    state ^= state << 5;
                    state as u8
                })
                .collect();
            let ours = encode(&data);
            assert_eq!(ours, URL_SAFE_NO_PAD.encode(&data));
            assert_eq!(decode(ours.as_bytes()).as_deref(), Some(&data[..]));
        }
    }

    #[test]
    fn refuses_anything_but_canonical_unpadded_base64url() {
        for bad in [
            "A", "AAAAA", "AA==", "A+AA", "A/AA", "AB", "AAB", "A A", "AA\n", "é", "AA.A",
        ] {
            assert_eq!(decode(bad.as_bytes()), None, "{bad:?}");
        }
        // "AB" has stray bits; "AA" and "AAE" are the canonical spellings.
        assert_eq!(decode(b"AA"), Some(vec![0]));
        assert_eq!(decode(b"AAE"), Some(vec![0, 1]));
        assert_eq!(decode(b""), Some(vec![]));
        // Every single byte at every position round-trips, and every non-alphabet byte is refused.
        for b in 0..=255u8 {
            let valid = ALPHABET.contains(&b);
            assert_eq!(decode(&[b'A', b'A', b'A', b]).is_some(), valid, "{b}");
        }
    }
}
