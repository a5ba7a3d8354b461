//! The payload, JSON -> Python `dict`, in one pass that also captures the
//! registered claims the validation rules read, as Rust values.
//!
//! Walking the top-level object ourselves (with jiter's pull parser) lets us
//! see each key as it is parsed: the claims the rules need are captured then,
//! instead of being looked up again in the finished dict. Nested values are
//! handed to jiter's own Python builder.

use std::borrow::Cow;

use jiter::{Jiter, JsonValue, NumberAny, NumberInt, Peek, PythonParse, StringCacheMode, cached_py_string};
use pyo3::IntoPyObjectExt;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyFloat, PyString};

use crate::claims::{ClaimSource, ClaimValue, Requirements};
use crate::error::{Error, malformed};

/// Registered claims always read by the rules, then the two configurable names.
const FIXED: [&str; 7] = ["iat", "nbf", "exp", "iss", "aud", "sub", "jti"];

fn fixed_slot(name: &str) -> Option<usize> {
    // Byte patterns compile to a length test and three byte compares (no
    // `memcmp` call); this runs for every claim name of every token.
    match *name.as_bytes() {
        [b'i', b'a', b't'] => Some(0),
        [b'n', b'b', b'f'] => Some(1),
        [b'e', b'x', b'p'] => Some(2),
        [b'i', b's', b's'] => Some(3),
        [b'a', b'u', b'd'] => Some(4),
        [b's', b'u', b'b'] => Some(5),
        [b'j', b't', b'i'] => Some(6),
        _ => None,
    }
}

const ISS: usize = 3;
const AUD: usize = 4;

/// The claims captured while parsing.
pub struct Captured<'r> {
    /// The token-type and jti claim names of this call, when they are not among `FIXED`.
    extra: [Option<&'r str>; 2],
    /// The token-type claim's slot and the value it must have.
    token_type: Option<(usize, &'r str)>,
    values: [ClaimValue<'r>; 9],
}

impl<'r> Captured<'r> {
    pub fn new(requirements: &Requirements<'r>) -> Self {
        let extra = |name: Option<&'r str>| name.filter(|n| fixed_slot(n).is_none());
        let type_claim = requirements.token_type.map(|(claim, _)| claim);
        let mut captured = Captured {
            extra: [extra(type_claim), extra(requirements.jti_claim)],
            token_type: None,
            values: std::array::from_fn(|_| ClaimValue::Absent),
        };
        captured.token_type = requirements
            .token_type
            .and_then(|(claim, expected)| Some((captured.slot(claim)?, expected)));
        captured
    }

    /// A string claim as the rules need it, without copying it when they can:
    /// `iss` and `aud` are compared (rare, copied), the token type is compared
    /// here, and of the rest (`sub`, the jti) only the type is read.
    fn text(&self, slot: usize, s: &str) -> ClaimValue<'r> {
        match self.token_type {
            Some((type_slot, expected)) if type_slot == slot && s == expected => {
                ClaimValue::Str(Cow::Borrowed(expected))
            }
            Some((type_slot, _)) if type_slot == slot => ClaimValue::Str(Cow::Owned(s.to_owned())),
            _ if slot == ISS || slot == AUD => ClaimValue::Str(Cow::Owned(s.to_owned())),
            _ => ClaimValue::Text,
        }
    }

    fn slot(&self, name: &str) -> Option<usize> {
        fixed_slot(name).or_else(|| {
            self.extra
                .iter()
                .position(|e| *e == Some(name))
                .map(|i| FIXED.len() + i)
        })
    }
}

impl ClaimSource for Captured<'_> {
    fn claim(&self, name: &str) -> ClaimValue<'_> {
        match self.slot(name).map(|i| &self.values[i]) {
            Some(ClaimValue::Str(s)) => ClaimValue::Str(Cow::Borrowed(s)),
            Some(value) => value.clone(),
            None => ClaimValue::Absent,
        }
    }
}

fn invalid(_: impl std::fmt::Debug) -> Error {
    malformed("invalid payload JSON")
}

fn text<'py>(py: Python<'py>, s: &str) -> Bound<'py, PyString> {
    PyString::new(py, s)
}

/// Parses a JSON object into a `dict`, capturing the claims `captured` asks for.
/// Duplicate names keep the last value, in the dict and in `captured` alike.
pub fn parse<'py, 'r>(
    py: Python<'py>,
    json: &[u8],
    captured: &mut Captured<'r>,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    let mut jiter = Jiter::new(json);
    let first = match jiter.peek().map_err(invalid)? {
        Peek::Object => jiter.known_object().map_err(invalid)?,
        _ => return Err(malformed("the payload must be a JSON object").into()),
    };
    let mut key = first.map(|k| (cached_py_string(py, k), captured.slot(k)));
    while let Some((name, slot)) = key {
        let peek = jiter.peek().map_err(invalid)?;
        let (value, claim) = match peek {
            Peek::String => {
                let s = jiter.known_str().map_err(invalid)?;
                let claim = slot.map(|slot| captured.text(slot, s));
                (text(py, s).into_any(), claim)
            }
            Peek::True | Peek::False => {
                let b = jiter.known_bool(peek).map_err(invalid)?;
                (b.into_bound_py_any(py)?, Some(ClaimValue::Other))
            }
            Peek::Null => {
                jiter.known_null().map_err(invalid)?;
                (py.None().into_bound(py), Some(ClaimValue::Other))
            }
            Peek::Array | Peek::Object => {
                let start = jiter.current_index();
                jiter.known_skip(peek).map_err(invalid)?;
                let span = jiter.slice_to_current(start);
                let claim = slot.map(|_| nested_claim(span));
                (nested(py, span)?, claim)
            }
            _ if peek.is_num() => {
                let start = jiter.current_index();
                match jiter.known_number(peek).map_err(invalid)? {
                    NumberAny::Int(NumberInt::Int(n)) => {
                        (n.into_bound_py_any(py)?, Some(ClaimValue::Number(n as f64)))
                    }
                    NumberAny::Float(f) if f.is_finite() => {
                        (PyFloat::new(py, f).into_any(), Some(ClaimValue::Number(f)))
                    }
                    NumberAny::Float(_) => return Err(out_of_range().into()),
                    // Beyond 64 bits: far future or far past; Python gets the exact int.
                    NumberAny::Int(NumberInt::BigInt(_)) => {
                        let span = jiter.slice_to_current(start);
                        let negative = span.first() == Some(&b'-');
                        let claim = ClaimValue::Number(if negative {
                            f64::NEG_INFINITY
                        } else {
                            f64::INFINITY
                        });
                        (nested(py, span)?, Some(claim))
                    }
                }
            }
            _ => return Err(invalid(peek).into()),
        };
        if let (Some(slot), Some(claim)) = (slot, claim) {
            captured.values[slot] = claim;
        }
        dict.set_item(name, value)?;
        key = jiter
            .next_key()
            .map_err(invalid)?
            .map(|k| (cached_py_string(py, k), captured.slot(k)));
    }
    jiter.finish().map_err(invalid)?;
    Ok(dict)
}

/// `1e400` is valid JSON that no float can hold; Python would read it as
/// infinity (an `exp` that never passes) and could not write it back.
fn out_of_range() -> Error {
    malformed("a number in the payload is out of range")
}

fn has_non_finite(value: &JsonValue) -> bool {
    match value {
        JsonValue::Float(f) => !f.is_finite(),
        JsonValue::Array(items) => items.iter().any(has_non_finite),
        JsonValue::Object(map) => map.iter().any(|(_, v)| has_non_finite(v)),
        _ => false,
    }
}

/// Only a number with an exponent, or with more digits before its point
/// than the largest float has (309), can overflow a float; most nested
/// values have neither, and skip the full check.
fn may_overflow(span: &[u8]) -> bool {
    if memchr::memchr2(b'e', b'E', span).is_some() {
        return true;
    }
    let mut digits = 0usize;
    for &b in span {
        digits = if b.is_ascii_digit() { digits + 1 } else { 0 };
        if digits > 308 {
            return true;
        }
    }
    false
}

/// A nested value (or a huge integer) as Python objects, by jiter's builder.
fn nested<'py>(py: Python<'py>, span: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    if may_overflow(span) && JsonValue::parse(span, false).is_ok_and(|value| has_non_finite(&value)) {
        return Err(out_of_range().into());
    }
    let parser = PythonParse {
        cache_mode: StringCacheMode::Keys,
        ..Default::default()
    };
    parser.python_parse(py, span).map_err(|e| invalid(e).into())
}

/// A nested value as the rules see it: a list of strings (`aud`), or other.
fn nested_claim(span: &[u8]) -> ClaimValue<'static> {
    match JsonValue::parse(span, false) {
        Ok(JsonValue::Array(items)) => items
            .iter()
            .map(|item| match item {
                JsonValue::Str(s) => Some(s.to_string()),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()
            .map_or(ClaimValue::Other, ClaimValue::StrList),
        _ => ClaimValue::Other,
    }
}
