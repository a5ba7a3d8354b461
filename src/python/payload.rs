//! The payload, JSON -> Python `dict`, in one pass that also captures the
//! registered claims the validation rules read, as Rust values.
//!
//! Walking the top-level object ourselves (`json_in`) lets us see each key as
//! it is parsed: the claims the rules need are captured then, instead of being
//! looked up again in the finished dict. Nested values are handed to jiter's
//! own Python builder.

use std::borrow::Cow;
use std::cell::RefCell;

use jiter::{JsonValue, NumberAny, NumberInt, PythonParse, StringCacheMode};
use pyo3::IntoPyObjectExt;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyFloat, PyString};

use super::json_in::{Object, Value, invalid};
use super::name_cache::{NameCache, SlotKey};
use crate::claims::{ClaimSource, ClaimValue, Kind, Requirements, RuleClaims, Time, TokenType};
use crate::error::{Error, malformed};
use crate::json::swar;

/// Registered claims always read by the rules.
const FIXED: [&str; 7] = ["iat", "nbf", "exp", "iss", "aud", "sub", "jti"];
const IAT: u8 = 0;
const NBF: u8 = 1;
const EXP: u8 = 2;
const ISS: u8 = 3;
const AUD: u8 = 4;
const SUB: u8 = 5;
const JTI: u8 = 6;
/// Not one of `FIXED`.
const NONE: u8 = 7;

#[inline]
fn fixed_slot(name: &str) -> u8 {
    // Byte patterns compile to a length test and three byte compares (no
    // `memcmp` call); this runs for every claim name of every token.
    match *name.as_bytes() {
        [b'i', b'a', b't'] => IAT,
        [b'n', b'b', b'f'] => NBF,
        [b'e', b'x', b'p'] => EXP,
        [b'i', b's', b's'] => ISS,
        [b'a', b'u', b'd'] => AUD,
        [b's', b'u', b'b'] => SUB,
        [b'j', b't', b'i'] => JTI,
        _ => NONE,
    }
}

/// A configurable claim name (the token type's, the jti's): one of `FIXED`,
/// compared by slot, or another name, compared as text.
#[derive(Clone, Copy)]
enum Name<'r> {
    Unset,
    Fixed(u8),
    Other(&'r str),
}

impl<'r> Name<'r> {
    fn new(name: Option<&'r str>) -> Self {
        match name.map(|n| (n, fixed_slot(n))) {
            None => Name::Unset,
            Some((n, NONE)) => Name::Other(n),
            Some((_, slot)) => Name::Fixed(slot),
        }
    }

    fn is(self, name: &str, slot: u8) -> bool {
        match self {
            Name::Unset => false,
            Name::Fixed(s) => s == slot,
            Name::Other(n) => slot == NONE && n == name,
        }
    }
}

/// What the rules make of one claim name.
#[derive(Clone, Copy)]
struct Roles {
    fixed: u8,
    token_type: bool,
    jti: bool,
}

impl Roles {
    fn any(self) -> bool {
        self.fixed != NONE || self.token_type || self.jti
    }
}

/// A claim value as the capture sees it.
enum Seen<'s> {
    Str(&'s str),
    Number(f64),
    /// An array or object: its JSON text.
    Nested(&'s [u8]),
    /// null, true, false.
    Other,
}

/// The claims the rules read, captured while parsing, for the requirements
/// given to `new` (the same must be given to `claims::validate`).
pub struct Captured<'r> {
    token_type: Name<'r>,
    expected_type: &'r str,
    jti: Name<'r>,
    claims: RuleClaims<'static>,
}

impl<'r> Captured<'r> {
    pub fn new(requirements: &Requirements<'r>) -> Self {
        Captured {
            token_type: Name::new(requirements.token_type.map(|(claim, _)| claim)),
            expected_type: requirements.token_type.map_or("", |(_, expected)| expected),
            jti: Name::new(requirements.jti_claim),
            claims: RuleClaims::default(),
        }
    }

    #[inline]
    fn roles(&self, name: &str) -> Roles {
        let fixed = fixed_slot(name);
        Roles {
            fixed,
            token_type: self.token_type.is(name, fixed),
            jti: self.jti.is(name, fixed),
        }
    }

    fn record(&mut self, roles: Roles, seen: &Seen) {
        let claims = &mut self.claims;
        let time = || match *seen {
            Seen::Number(n) => Time::number(n),
            _ => Time::NotNumber,
        };
        let kind = || match seen {
            Seen::Str(_) => Kind::Str,
            _ => Kind::Other,
        };
        match roles.fixed {
            IAT => claims.iat = time(),
            NBF => claims.nbf = time(),
            EXP => claims.exp = time(),
            // Compared only when the codec checks them; rare in tokens, so copied.
            ISS => {
                claims.iss = match *seen {
                    Seen::Str(s) => ClaimValue::Str(Cow::Owned(s.to_owned())),
                    _ => ClaimValue::Other,
                }
            }
            AUD => {
                claims.aud = match *seen {
                    Seen::Str(s) => ClaimValue::Str(Cow::Owned(s.to_owned())),
                    Seen::Nested(span) => nested_claim(span),
                    _ => ClaimValue::Other,
                }
            }
            SUB => claims.sub = kind(),
            JTI => claims.jti = kind(),
            _ => {}
        }
        if roles.jti {
            claims.jti_claim = true;
        }
        if roles.token_type {
            claims.token_type = match *seen {
                Seen::Str(s) if s == self.expected_type => TokenType::Expected,
                _ => TokenType::Other,
            };
        }
    }
}

impl ClaimSource for Captured<'_> {
    fn rule_claims(&self, _: &Requirements) -> Cow<'_, RuleClaims<'_>> {
        Cow::Borrowed(&self.claims)
    }
}

/// Claim names as Python strings, made once: the registered names in a
/// table, the others (the token-type claim, the user id claim, ...) in a
/// small direct-mapped cache. The registered names are interned, so Python's
/// own lookups of them in the dict find them by identity. The cached ones are
/// not: their text comes from the token, and since CPython 3.12 an interned
/// string is immortal, so a stream of `verify=False` decodes with made-up
/// claim names would grow the process for good. Evicted, they are freed.
///
/// jiter's `cached_py_string` did this job before: a 16k-entry cache taken
/// from an atomic pool per string, hashed with ahash and compared through
/// `PyUnicode_AsUTF8AndSize`; ~120 instructions a name against ~30 here.
fn claim_name<'py>(
    py: Python<'py>,
    name: &str,
    fixed: u8,
    cache: Option<&mut Names>,
) -> Bound<'py, PyString> {
    static FIXED_NAMES: PyOnceLock<[Py<PyString>; 7]> = PyOnceLock::new();
    if let Some(slot) = FIXED.get(usize::from(fixed)) {
        let names = FIXED_NAMES.get_or_init(py, || FIXED.map(|n| PyString::intern(py, n).unbind()));
        if let Some(cached) = names.get(usize::from(fixed)) {
            debug_assert_eq!(*slot, name);
            return cached.bind(py).clone();
        }
    }
    cached_name(py, name, cache)
}

/// Names up to this long are cached (longer ones are rare and made afresh).
const CACHED_NAME_MAX: usize = 16;

/// A short name as its first and last eight bytes (overlapping; for shorter
/// names, halves or single bytes that between them cover every byte) and its
/// length: equal keys, equal names. No copy, no `memcmp`.
struct NameKey([u64; 3]);

impl PartialEq for NameKey {
    #[inline(always)]
    fn eq(&self, other: &Self) -> bool {
        // Word by word, as the array compare before the cache type was shared: no `bcmp` call.
        self.0[0] == other.0[0] && self.0[1] == other.0[1] && self.0[2] == other.0[2]
    }
}

fn name_key(name: &str) -> Option<NameKey> {
    let bytes = name.as_bytes();
    let len = bytes.len();
    let word = |at: usize| swar::word(&bytes[at..at + 8]);
    let half = |at: usize| swar::half(&bytes[at..at + 4]);
    let (first, last) = match len {
        0 => (0, 0),
        1..=3 => (
            u64::from(bytes[0]) | u64::from(bytes[len / 2]) << 8 | u64::from(bytes[len - 1]) << 16,
            0,
        ),
        4..=7 => (half(0), half(len - 4)),
        8..=CACHED_NAME_MAX => (word(0), word(len - 8)),
        _ => return None,
    };
    Some(NameKey([first, last, len as u64]))
}

impl SlotKey for NameKey {
    #[inline(always)]
    fn mix(&self) -> u64 {
        (self.0[0] ^ self.0[1].rotate_left(29) ^ self.0[2]).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 58
    }
}

/// The reader's cache: a name's `str` by its text.
type Names = NameCache<NameKey, Py<PyString>>;

thread_local! {
    /// Per thread, so that a lookup takes no lock: an uncontended `Mutex` still
    /// cost two atomic read-modify-writes (~20 cycles each) per name. Borrowed
    /// once per payload (each thread-local access is a `__tls_get_addr` call).
    /// An entry left at thread exit is released by pyo3's deferred decref.
    static NAME_CACHE: RefCell<Names> = const { RefCell::new(Names::new()) };
}

/// `name` as a `str`, from `cache` when it is there (and put there when it is not).
fn cached_name<'py>(py: Python<'py>, name: &str, cache: Option<&mut Names>) -> Bound<'py, PyString> {
    let (Some(key), Some(cache)) = (name_key(name), cache) else {
        return PyString::new(py, name);
    };
    if let Some(cached) = cache.get(&key) {
        return cached.bind(py).clone();
    }
    let fresh = PyString::new(py, name);
    cache.insert(key, fresh.clone().unbind());
    fresh
}

/// Parses a JSON object into a `dict`, capturing the claims `captured` asks for.
/// Duplicate names keep the last value, in the dict and in `captured` alike.
pub fn parse<'py, 'r>(
    py: Python<'py>,
    json: &[u8],
    captured: &mut Captured<'r>,
) -> PyResult<Bound<'py, PyDict>> {
    let mut parse = |cache: Option<&mut Names>| parse_with(py, json, captured, cache);
    // Without the cache when it is in use (a parse re-entered from a destructor
    // run by an allocation) or gone (thread exit).
    match NAME_CACHE.try_with(|cell| {
        cell.try_borrow_mut()
            .ok()
            .map(|mut cache| parse(Some(&mut cache)))
    }) {
        Ok(Some(parsed)) => parsed,
        _ => parse(None),
    }
}

fn parse_with<'py>(
    py: Python<'py>,
    json: &[u8],
    captured: &mut Captured<'_>,
    mut cache: Option<&mut Names>,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    let mut object = Object::open(json)?;
    while let Some(k) = object.next_key()? {
        let roles = captured.roles(&k);
        let name = claim_name(py, &k, roles.fixed, cache.as_deref_mut());
        let value = object.value()?;
        let (value, seen) = match &value {
            Value::Str(s) => {
                // The token type holds the same few values in every token: cached, like a name.
                let value = if roles.token_type && *s == captured.expected_type {
                    cached_name(py, s, cache.as_deref_mut())
                } else {
                    PyString::new(py, s)
                };
                (value.into_any(), Seen::Str(s))
            }
            Value::Bool(b) => (b.into_bound_py_any(py)?, Seen::Other),
            Value::Null => (py.None().into_bound(py), Seen::Other),
            Value::Nested(span) => (nested(py, span)?, Seen::Nested(span)),
            Value::Number(number, span) => match number {
                NumberAny::Int(NumberInt::Int(n)) => (n.into_bound_py_any(py)?, Seen::Number(*n as f64)),
                NumberAny::Float(f) if f.is_finite() => (PyFloat::new(py, *f).into_any(), Seen::Number(*f)),
                NumberAny::Float(_) => return Err(out_of_range().into()),
                // Beyond 64 bits: far future or far past; Python gets the exact int.
                NumberAny::Int(NumberInt::BigInt(_)) => {
                    let saturated = if span.first() == Some(&b'-') {
                        f64::NEG_INFINITY
                    } else {
                        f64::INFINITY
                    };
                    (nested(py, span)?, Seen::Number(saturated))
                }
            },
        };
        if roles.any() {
            captured.record(roles, &seen);
        }
        dict.set_item(name, value)?;
    }
    object.finish()?;
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

/// A nested `aud` as the rules see it: a list of strings, or other.
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
