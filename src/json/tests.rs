//! The byte level against plain references: the word-at-a-time tests over
//! every byte value at every position, the writer against a char-by-char
//! escaper and serde_json, the scanner against simple loops.

use super::scan::{eight_digits, nests_too_deep, plain_integer, scan_string};
use super::swar;
use super::write::{write_int, write_str};

/// A word of `fill` with `b` at `pos`.
fn word_with(fill: u8, pos: usize, b: u8) -> u64 {
    let mut bytes = [fill; 8];
    bytes[pos] = b;
    swar::word(&bytes)
}

/// The flagged bytes' positions must be exactly those the predicate holds
/// for, as far as "any" and "the lowest" go.
fn check_flags(bytes: [u8; 8], flags: u64, holds: impl Fn(u8) -> bool, what: &str) {
    let first = bytes.iter().position(|&b| holds(b));
    let flagged = (flags != 0).then(|| (flags.trailing_zeros() / 8) as usize);
    assert_eq!(flagged, first, "{what} on {bytes:02x?}");
    assert_eq!(flags & !swar::HIGH_BITS, 0, "{what}: flags are top bits only");
}

#[test]
fn byte_tests_hold_for_every_byte_value_and_pair() {
    for a in 0..=255u8 {
        for b in 0..=255u8 {
            // Every pair, in the two lowest positions and in the two highest, over a plain filler.
            for (pa, pb) in [(0, 1), (6, 7), (3, 5)] {
                let mut bytes = [b'a'; 8];
                bytes[pa] = a;
                bytes[pb] = b;
                let v = swar::word(&bytes);
                check_flags(bytes, swar::bytes_equal(v, b'"'), |x| x == b'"', "bytes_equal");
                check_flags(
                    bytes,
                    swar::bytes_below(v, 0x20),
                    |x| x < 0x20,
                    "bytes_below 0x20",
                );
                check_flags(
                    bytes,
                    swar::bytes_below(v, 0x80),
                    |x| x < 0x80,
                    "bytes_below 0x80",
                );
                check_flags(
                    bytes,
                    swar::string_breaks(v),
                    |x| x == b'"' || x == b'\\' || x < 0x20,
                    "string_breaks",
                );
            }
        }
    }
    for limit in 1..=0x80u8 {
        for b in 0..=255u8 {
            for pos in 0..8 {
                for fill in [0x7fu8, 0xff, limit] {
                    let v = word_with(fill, pos, b);
                    let bytes = v.to_le_bytes();
                    check_flags(bytes, swar::bytes_below(v, limit), |x| x < limit, "bytes_below");
                    check_flags(bytes, swar::bytes_equal(v, limit), |x| x == limit, "bytes_equal");
                }
            }
        }
    }
}

#[test]
fn words_and_halves_are_little_endian() {
    let bytes = [1, 2, 3, 4, 5, 6, 7, 8];
    assert_eq!(swar::word(&bytes), 0x0807_0605_0403_0201);
    assert_eq!(swar::half(&bytes[..4]), 0x0403_0201);
}

/// `json.dumps(text)` (ensure_ascii) written one char at a time.
fn reference_str(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                for unit in c.encode_utf16(&mut [0; 2]) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
    out
}

fn written(text: &str) -> String {
    let mut out = b"prefix".to_vec();
    write_str(&mut out, text);
    assert!(out.starts_with(b"prefix"));
    String::from_utf8(out.split_off(6)).expect("ASCII")
}

#[test]
fn strings_are_written_as_json_dumps_writes_them() {
    // Every char below 0x100 and a few beyond, alone and at each position of strings of
    // every length up to 20 (the short, overlapping-word and long paths).
    let mut chars: Vec<char> = (0u32..0x100).filter_map(char::from_u32).collect();
    chars.extend([
        '\u{7ff}',
        '\u{800}',
        '\u{2028}',
        '\u{fffd}',
        '\u{ffff}',
        '\u{10000}',
        '\u{1f600}',
        '\u{10ffff}',
    ]);
    for &c in &chars {
        // Up to 40: the sixteen-byte steps, and the overlapping last chunk after them, too.
        for len in 0..=40usize {
            for pos in 0..len.max(1) {
                let text: String = (0..len).map(|i| if i == pos { c } else { 'k' }).collect();
                let out = written(&text);
                assert_eq!(out, reference_str(&text), "{text:?}");
                assert_eq!(serde_json::from_str::<String>(&out).expect("valid JSON"), text);
            }
        }
    }
    assert_eq!(written(""), "\"\"");
    assert_eq!(written("a\"b\\c\u{1}"), r#""a\"b\\c\u0001""#);
}

#[test]
fn integers_are_written_as_display_writes_them() {
    let mut values = vec![0, 1, -1, 9, 10, 99, 100, i64::MAX, i64::MIN, i64::MIN + 1];
    for p in 0..19 {
        let t = 10i64.pow(p);
        values.extend([t - 1, t, t + 1, -t, -(t - 1), -(t + 1)]);
    }
    values.extend((-100_000..100_000).step_by(7));
    for n in values {
        let mut out = b"x".to_vec();
        write_int(&mut out, n);
        assert_eq!(out, format!("x{n}").into_bytes());
    }
}

#[test]
fn eight_digits_reads_every_byte_value_at_every_position() {
    for pos in 0..8 {
        for b in 0..=255u8 {
            let mut bytes = *b"12345678";
            bytes[pos] = b;
            let expected = std::str::from_utf8(&bytes)
                .ok()
                .filter(|s| s.bytes().all(|d| d.is_ascii_digit()))
                .map(|s| s.parse::<u64>().expect("digits"));
            assert_eq!(eight_digits(&bytes), expected, "{bytes:02x?}");
        }
    }
    assert_eq!(eight_digits(b"00000000"), Some(0));
    assert_eq!(eight_digits(b"99999999"), Some(99_999_999));
}

#[test]
fn plain_integers_are_read_or_left_to_the_full_parser() {
    for text in ["1", "-1", "42,", "123456789012345678}", "-999999999999999999 "] {
        let end = text.trim_end_matches([',', '}', ' ']).len();
        let n: i64 = text[..end].parse().expect("integer");
        assert_eq!(plain_integer(text.as_bytes(), 0), Some((n, end)), "{text}");
    }
    // A leading zero, 19 digits, a fraction or exponent, no digit: not ours.
    for text in [
        "0",
        "01",
        "1234567890123456789",
        "1.5",
        "2e3",
        "3E1",
        "-",
        "-a",
        "",
        "x",
    ] {
        assert_eq!(plain_integer(text.as_bytes(), 0), None, "{text}");
    }
    // Every length, every digit count.
    for digits in 1..=18u32 {
        let n = 10u64.pow(digits) - 1;
        let text = format!("[{n}]");
        assert_eq!(
            plain_integer(text.as_bytes(), 1),
            Some((n as i64, 1 + digits as usize))
        );
    }
}

#[test]
fn the_string_scan_stops_where_a_loop_would() {
    for b in 0..=255u8 {
        // Up to 40: a stop in the first, second and third sixteen-byte step, and in the tail after them.
        for len in 0..40usize {
            for pos in 0..len.max(1) {
                let mut json: Vec<u8> = (0..len).map(|i| if i == pos { b } else { b'k' }).collect();
                json.insert(0, b'"');
                let stop = json[1..]
                    .iter()
                    .position(|&x| x == b'"' || x == b'\\' || x < 0x20)
                    .map_or(json.len(), |i| i + 1);
                let high = json[1..stop].iter().any(|&x| x >= 0x80);
                assert_eq!(scan_string(&json, 1), (stop, high), "{json:02x?}");
            }
        }
    }
}

#[test]
fn nesting_is_counted_with_empty_containers_and_strings_skipped() {
    let deep = |n: usize| "[".repeat(n) + &"]".repeat(n);
    assert!(!nests_too_deep(deep(super::MAX_NESTING).as_bytes()));
    assert!(nests_too_deep(deep(super::MAX_NESTING + 1).as_bytes()));
    let quoted = format!("[\"{}\\\"\"]", "[".repeat(500));
    assert!(!nests_too_deep(quoted.as_bytes()));
    // Only up to where the value closes.
    assert!(!nests_too_deep(format!("[]{}", "[".repeat(500)).as_bytes()));
}
