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

use crate::error::{Error, malformed};
use crate::json::MAX_NESTING;
use crate::json::scan::{nests_too_deep, plain_integer, scan_string};

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
