//! The core's own JSON reader and writer (`simplejwt_rs::json`) against
//! serde_json, the reference: the string and integer writers byte for byte
//! (after turning serde_json's output into Python's `ensure_ascii` form), and
//! the reader's scanner, plain-integer reader, eight-digit reader and nesting
//! limit against what serde_json parses from the same bytes.
//!
//! An input is one selector byte (its low two bits pick the mode) and data:
//! 0 text to write (lossy UTF-8), 1 JSON text to read, 2 integers (eight bytes
//! each) and eight-byte digit runs, 3 a nesting depth and a leaf.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use simplejwt_rs::json::MAX_NESTING;
use simplejwt_rs::json::scan::{eight_digits, nests_too_deep, plain_integer, scan_string};
use simplejwt_rs::json::write::{write_int, write_str};

/// serde_json's string, as Python's `json.dumps` (ensure_ascii) writes it:
/// serde_json already escapes `"`, `\`, the controls (lowercase hex, short forms
/// for \b \f \n \r \t); Python also escapes DEL and every non-ASCII char (UTF-16).
fn reference_str(text: &str) -> Vec<u8> {
    let serde = serde_json::to_string(text).expect("a str always serializes");
    let mut out = Vec::with_capacity(serde.len());
    for c in serde.chars() {
        if c.is_ascii() && c != '\u{7f}' {
            out.push(c as u8);
        } else {
            for unit in c.encode_utf16(&mut [0; 2]) {
                out.extend_from_slice(format!("\\u{unit:04x}").as_bytes());
            }
        }
    }
    out
}

fn writer(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut out = b"[".to_vec();
    write_str(&mut out, &text);
    assert_eq!(&out[1..], &reference_str(&text)[..], "write_str of {text:?}");
    // What we write reads back as the same text, and our scanner agrees on where its raw run ends.
    assert_eq!(
        serde_json::from_slice::<String>(&out[1..]).expect("valid JSON"),
        text
    );
    let (stop, high) = scan_string(&out, 2);
    assert!(!high, "write_str wrote a non-ASCII byte");
    assert!(
        matches!(out[stop], b'"' | b'\\'),
        "scan stopped at {:?}",
        out[stop]
    );
    let raw_prefix = text.find(|c: char| !(' '..='~').contains(&c) || c == '"' || c == '\\');
    assert_eq!(stop - 2, raw_prefix.unwrap_or(text.len()), "raw run of {text:?}");
}

fn depth(value: &Value) -> usize {
    // Iterative: serde_json's own limit (128) keeps parsed values shallow, but no recursion is needed.
    let mut deepest = 0;
    let mut stack = vec![(value, 0usize)];
    while let Some((value, level)) = stack.pop() {
        match value {
            Value::Array(items) => {
                deepest = deepest.max(level + 1);
                stack.extend(items.iter().map(|v| (v, level + 1)));
            }
            Value::Object(members) => {
                deepest = deepest.max(level + 1);
                stack.extend(members.values().map(|v| (v, level + 1)));
            }
            _ => {}
        }
    }
    deepest
}

fn reader(json: &[u8]) {
    let mut stream = serde_json::Deserializer::from_slice(json).into_iter::<Value>();
    let first = stream.next();
    let parsed_end = stream.byte_offset();
    // The string scan: on a string serde_json reads, the raw run before the first escape or the
    // closing quote is the text's prefix, and "non-ASCII seen" is exact.
    if json.first() == Some(&b'"') {
        let (stop, high) = scan_string(json, 1);
        let plain = stop <= json.len()
            && json[1..stop]
                .iter()
                .all(|&b| b >= 0x20 && b != b'"' && b != b'\\');
        assert!(plain, "scan_string passed a byte that stops a string");
        assert_eq!(high, json[1..stop].iter().any(|&b| b >= 0x80));
        if let Some(Ok(Value::String(text))) = &first {
            let raw = std::str::from_utf8(&json[1..stop]).expect("serde_json accepted the text");
            assert!(text.starts_with(raw), "{raw:?} is not the start of {text:?}");
            if json.get(stop) == Some(&b'"') {
                assert_eq!(raw, text);
            }
        }
    }
    // Plain integers: what we read is what serde_json reads, and we take every plain one it reads.
    let ours = plain_integer(json, 0);
    if let Some((n, end)) = ours {
        assert_eq!(
            serde_json::from_slice::<i64>(&json[..end]).ok(),
            Some(n),
            "{:?}",
            &json[..end]
        );
        assert!(!matches!(json.get(end), Some(b'0'..=b'9' | b'.' | b'e' | b'E')));
    }
    if let Some(Ok(Value::Number(number))) = &first {
        let text = &json[..parsed_end];
        let digits = text.strip_prefix(b"-").unwrap_or(text);
        let plain = digits.len() <= 18
            && digits.first().is_some_and(|d| (b'1'..=b'9').contains(d))
            && digits.iter().all(u8::is_ascii_digit);
        if plain {
            assert_eq!(ours, Some((number.as_i64().expect("fits"), parsed_end)));
        }
    }
    // Nesting: anything serde_json parses is within its own limit (128), so within ours.
    if let Some(Ok(value @ (Value::Array(_) | Value::Object(_)))) = &first {
        assert!(depth(value) <= 128);
        assert!(!nests_too_deep(json), "{} deep, refused", depth(value));
    }
}

fn numbers(data: &[u8]) {
    for chunk in data.chunks_exact(8) {
        let n = i64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        let mut out = b"x".to_vec();
        write_int(&mut out, n);
        assert_eq!(&out[1..], serde_json::to_string(&n).expect("an i64").as_bytes());
        let expected = chunk
            .iter()
            .all(u8::is_ascii_digit)
            .then(|| serde_json::from_slice::<u64>(&[b"1", chunk].concat()).expect("digits") - 100_000_000);
        assert_eq!(eight_digits(chunk), expected, "{chunk:02x?}");
    }
}

fn nesting(data: &[u8]) {
    let [a, b, rest @ ..] = data else { return };
    let levels = usize::from(u16::from_le_bytes([*a, *b]) % 512);
    // The opening brackets of `levels` containers around a leaf, arrays and objects by the bits of `rest`.
    let kinds = |i: usize| rest.get(i / 8).is_some_and(|byte| byte >> (i % 8) & 1 == 1);
    let leaf = serde_json::to_string(&String::from_utf8_lossy(rest)).expect("a str");
    let mut json = Vec::new();
    for i in 0..levels {
        json.extend_from_slice(if kinds(i) { br#"{"k":"# } else { b"[" });
    }
    json.extend_from_slice(leaf.as_bytes());
    for i in (0..levels).rev() {
        json.push(if kinds(i) { b'}' } else { b']' });
    }
    assert_eq!(nests_too_deep(&json), levels > MAX_NESTING, "{levels} levels");
    if levels <= 100 {
        let value: Value = serde_json::from_slice(&json).expect("valid JSON");
        assert_eq!(depth(&value), levels);
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&selector, data)) = input.split_first() else {
        return;
    };
    match selector & 3 {
        0 => writer(data),
        1 => reader(data),
        2 => numbers(data),
        _ => nesting(data),
    }
});
