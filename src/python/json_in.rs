//! JSON bytes -> the members of one top-level object, one at a time.
//!
//! The payload of a token is a flat object of short ASCII names, short
//! strings and integers. Those are scanned here, eight bytes a step; jiter's
//! scanner, built for long strings, spent more on them than the HMAC glue.
//! Whatever is not that common case (a string with an escape, a number with
//! a fraction, an exponent or 19+ digits, an array or object) is handed to
//! jiter at the byte where it starts, so jiter remains the one place that
//! decides what such JSON means. The differential property test in
//! tests/core/test_properties.py holds this scanner to `json.loads`.

use std::borrow::Cow;

use jiter::{Jiter, JiterResult, NumberAny, NumberInt, Peek};

use super::swar;
use crate::error::{Error, malformed};

/// One member's value; numbers keep their text (a huge integer is handed on as it is written).
pub enum Value<'j> {
    Str(Cow<'j, str>),
    Number(NumberAny, &'j [u8]),
    Bool(bool),
    Null,
    /// An array or object: its JSON text, skipped over but not yet parsed.
    Nested(&'j [u8]),
}

pub fn invalid(_: impl std::fmt::Debug) -> Error {
    malformed("invalid payload JSON")
}

/// How deep a claim value may nest arrays and objects, alike and empty ones included (the
/// payload object itself not counted: `{"a": [[1]]}` is 2 deep). The same limit holds for
/// encoding (`json_out`), so a token we mint is one we can read, and the other way round.
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

/// A cursor over the members of the object `json` holds.
pub struct Object<'j> {
    json: &'j [u8],
    at: usize,
    first: bool,
}

impl<'j> Object<'j> {
    /// Opens the object; any other JSON value (or none) is refused.
    pub fn open(json: &'j [u8]) -> Result<Self, Error> {
        let mut object = Object {
            json,
            at: 0,
            first: true,
        };
        object.skip_space();
        match object.byte() {
            Some(b'{') => {
                object.at += 1;
                Ok(object)
            }
            Some(b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n') => {
                Err(malformed("the payload must be a JSON object"))
            }
            _ => Err(invalid(())),
        }
    }

    /// The next member's name, or None after the closing brace.
    pub fn next_key(&mut self) -> Result<Option<Cow<'j, str>>, Error> {
        self.skip_space();
        match (self.byte(), self.first) {
            (Some(b'}'), _) => {
                self.at += 1;
                return Ok(None);
            }
            (Some(b','), false) => {
                self.at += 1;
                self.skip_space();
            }
            (_, false) => return Err(invalid(())),
            (_, true) => self.first = false,
        }
        if self.byte() != Some(b'"') {
            return Err(invalid(()));
        }
        self.string().map(Some)
    }

    /// The value of the member whose name `next_key` returned.
    pub fn value(&mut self) -> Result<Value<'j>, Error> {
        self.skip_space();
        if self.byte() != Some(b':') {
            return Err(invalid(()));
        }
        self.at += 1;
        self.skip_space();
        let start = self.at;
        match self.byte() {
            Some(b'"') => self.string().map(Value::Str),
            Some(b'-' | b'0'..=b'9') => {
                let number = match plain_integer(self.json, start) {
                    Some((n, end)) => {
                        self.at = end;
                        NumberAny::Int(NumberInt::Int(n))
                    }
                    None => self.by_jiter(|jiter, peek| jiter.known_number(peek))?,
                };
                Ok(Value::Number(number, &self.json[start..self.at]))
            }
            Some(b'[' | b'{') => {
                if nests_too_deep(&self.json[start..]) {
                    return Err(malformed(format!(
                        "a claim nests arrays/objects more than {MAX_NESTING} deep"
                    )));
                }
                self.by_jiter(|jiter, peek| jiter.known_skip(peek))?;
                Ok(Value::Nested(&self.json[start..self.at]))
            }
            _ => {
                for (literal, value) in [
                    ("true", Value::Bool(true)),
                    ("false", Value::Bool(false)),
                    ("null", Value::Null),
                ] {
                    if self.json[start..].starts_with(literal.as_bytes()) {
                        self.at += literal.len();
                        return Ok(value);
                    }
                }
                Err(invalid(()))
            }
        }
    }

    /// After the closing brace: nothing but whitespace may follow.
    pub fn finish(mut self) -> Result<(), Error> {
        self.skip_space();
        if self.at == self.json.len() {
            Ok(())
        } else {
            Err(invalid(()))
        }
    }

    fn byte(&self) -> Option<u8> {
        self.json.get(self.at).copied()
    }

    fn skip_space(&mut self) {
        while matches!(self.byte(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    /// The string whose opening quote is at the cursor.
    #[inline(always)]
    fn string(&mut self) -> Result<Cow<'j, str>, Error> {
        let start = self.at + 1;
        let (stop, non_ascii) = scan_string(self.json, start);
        if self.json.get(stop) != Some(&b'"') || non_ascii {
            return self.unusual_string(stop);
        }
        self.at = stop + 1;
        // SAFETY: every byte is below 0x80 (scan_string said so): ASCII, which is UTF-8.
        Ok(Cow::Borrowed(unsafe {
            std::str::from_utf8_unchecked(&self.json[start..stop])
        }))
    }

    /// A string with non-ASCII text or an escape, or one never closed.
    #[cold]
    #[inline(never)]
    fn unusual_string(&mut self, stop: usize) -> Result<Cow<'j, str>, Error> {
        match self.json.get(stop) {
            Some(b'"') => {
                let text = std::str::from_utf8(&self.json[self.at + 1..stop]).map_err(invalid)?;
                self.at = stop + 1;
                Ok(Cow::Borrowed(text))
            }
            Some(b'\\') => self
                .by_jiter(|jiter, _| jiter.known_str().map(str::to_owned))
                .map(Cow::Owned),
            // A control character, or the end of the input.
            _ => Err(invalid(())),
        }
    }

    /// Hands the value at the cursor to jiter, and moves past what it read.
    #[inline(never)]
    fn by_jiter<T>(&mut self, read: impl FnOnce(&mut Jiter<'j>, Peek) -> JiterResult<T>) -> Result<T, Error> {
        let mut jiter = Jiter::new(&self.json[self.at..]);
        let peek = jiter.peek().map_err(invalid)?;
        let value = read(&mut jiter, peek).map_err(invalid)?;
        self.at += jiter.current_index();
        Ok(value)
    }
}

/// From `start` (just after an opening quote): the index of the first quote,
/// backslash or control character (the input's length if none), and whether
/// any byte before it is non-ASCII.
#[inline]
fn scan_string(json: &[u8], start: usize) -> (usize, bool) {
    let mut at = start;
    let mut seen = 0u64;
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
fn plain_integer(json: &[u8], start: usize) -> Option<(i64, usize)> {
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
fn eight_digits(chunk: &[u8]) -> Option<u64> {
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
