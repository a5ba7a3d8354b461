//! Python values -> what the core takes: tokens, durations, keys, payload mappings.

use std::borrow::Cow;

use jiter::{PythonParse, StringCacheMode};
use pyo3::exceptions::PyTypeError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyDict, PyString, PyType};

use super::json_out::JsonWriter;
use crate::error::{Error, malformed};
use crate::keys::KeyInput;

/// A token as bytes, without copying; anything but `str`/`bytes` is not a token.
pub fn token_bytes<'a>(token: &'a Bound<'_, PyAny>) -> PyResult<&'a [u8]> {
    if let Ok(s) = token.cast::<PyString>() {
        return Ok(s
            .to_str()
            .map_err(|_| malformed("the token is not valid text"))?
            .as_bytes());
    }
    if let Ok(b) = token.cast::<PyBytes>() {
        return Ok(b.as_bytes());
    }
    Err(malformed(format!(
        "a token must be str or bytes, not {}",
        token.get_type().name()?
    ))
    .into())
}

/// A `str` of a token (ASCII: base64url and dots) by `PyUnicode_DecodeLatin1`:
/// a word-at-a-time scan for the widest character and a copy, where
/// `String`'s conversion (`PyUnicode_FromStringAndSize`) decodes UTF-8,
/// ~100 instructions dearer on an HS256 token; the limited API has no way to
/// fill a new `str` directly. Latin-1 text is ASCII text for ASCII bytes (any
/// other byte would become one character, never an invalid `str`).
pub fn token_str<'py>(py: Python<'py>, token: &str) -> PyResult<Bound<'py, PyString>> {
    debug_assert!(token.is_ascii());
    let len = ffi::Py_ssize_t::try_from(token.len()).map_err(|_| malformed("the token is too long"))?;
    // SAFETY: the pointer and length describe `token`, alive for the call; the
    // errors argument may be NULL. The result is a new reference to a `str`,
    // or NULL with an exception set, which `from_owned_ptr_or_err` turns into `Err`.
    unsafe {
        Bound::from_owned_ptr_or_err(
            py,
            ffi::PyUnicode_DecodeLatin1(token.as_ptr().cast(), len, std::ptr::null()),
        )
        .map(|s| s.cast_into_unchecked())
    }
}

/// Seconds from an int, a float or a `timedelta`.
pub fn seconds(value: &Bound<'_, PyAny>, what: &str) -> PyResult<f64> {
    let wrong_type = || PyTypeError::new_err(format!("{what} must be seconds or a timedelta"));
    if value.is_instance_of::<PyBool>() {
        return Err(wrong_type());
    }
    if let Ok(n) = value.extract::<f64>() {
        return Ok(n);
    }
    if let Ok(total) = value.call_method0("total_seconds") {
        return total.extract();
    }
    Err(wrong_type())
}

/// A JSON object (a token's header) as a `dict`.
pub fn parse_json_object<'py>(py: Python<'py>, json: &[u8], what: &str) -> PyResult<Bound<'py, PyDict>> {
    let parser = PythonParse {
        cache_mode: StringCacheMode::Keys,
        ..Default::default()
    };
    let value = parser
        .python_parse(py, json)
        .map_err(|_| malformed(format!("invalid {what} JSON")))?;
    value
        .cast_into::<PyDict>()
        .map_err(|_| malformed(format!("the {what} must be a JSON object")).into())
}

/// `dict` as is; any other mapping copied into one; `None` for anything else.
pub fn mapping<'a, 'py>(value: &'a Bound<'py, PyAny>) -> PyResult<Option<Cow<'a, Bound<'py, PyDict>>>> {
    if let Ok(dict) = value.cast::<PyDict>() {
        return Ok(Some(Cow::Borrowed(dict)));
    }
    let py = value.py();
    static MAPPING: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    if value.is_instance(MAPPING.import(py, "collections.abc", "Mapping")?)? {
        let dict = PyDict::new(py);
        dict.update(value.cast()?)?;
        return Ok(Some(Cow::Owned(dict)));
    }
    Ok(None)
}

/// A payload: a mapping, refused otherwise as PyJWT refuses it.
pub fn payload<'a, 'py>(value: &'a Bound<'py, PyAny>) -> PyResult<Cow<'a, Bound<'py, PyDict>>> {
    mapping(value)?.ok_or_else(|| {
        PyTypeError::new_err("Expecting a mapping object, as JWT only supports JSON objects as payloads.")
    })
}

/// Key material, copied out of Python so a whole key set can be handed to the core at once.
pub enum KeyMaterial {
    Bytes(Vec<u8>),
    Jwk(serde_json::Map<String, serde_json::Value>),
}

impl KeyMaterial {
    pub fn input(&self) -> KeyInput<'_> {
        match self {
            KeyMaterial::Bytes(bytes) => KeyInput::Bytes(bytes),
            KeyMaterial::Jwk(jwk) => KeyInput::Jwk(jwk),
        }
    }
}

/// Key material as the core takes it: text and bytes as they are, a mapping as a JWK.
///
/// Every failure here is an `InvalidKey` that names no key material: Python's
/// own errors (a `UnicodeEncodeError` for text holding a lone surrogate, say)
/// would carry the whole key in their arguments.
pub fn key_material(key: Option<&Bound<'_, PyAny>>) -> PyResult<Option<KeyMaterial>> {
    let Some(key) = key.filter(|k| !k.is_none()) else {
        return Ok(None);
    };
    if let Ok(s) = key.cast::<PyString>() {
        let text = s.to_str().map_err(|_| {
            Error::InvalidKey("the key is text that cannot be encoded as UTF-8 (a lone surrogate)".into())
        })?;
        return Ok(Some(KeyMaterial::Bytes(text.as_bytes().to_vec())));
    }
    if let Ok(b) = key.cast::<PyBytes>() {
        return Ok(Some(KeyMaterial::Bytes(b.as_bytes().to_vec())));
    }
    if let Ok(b) = key.cast::<PyByteArray>() {
        return Ok(Some(KeyMaterial::Bytes(b.to_vec())));
    }
    let not_a_jwk = || Error::InvalidKey("the JWK cannot be read as a JSON object".into());
    if let Some(jwk) = mapping(key).map_err(|_| not_a_jwk())? {
        let mut writer = JsonWriter::new(None);
        writer.write(jwk.as_any()).map_err(|_| not_a_jwk())?;
        return match serde_json::from_slice(&writer.out) {
            Ok(serde_json::Value::Object(jwk)) => Ok(Some(KeyMaterial::Jwk(jwk))),
            _ => Err(not_a_jwk().into()),
        };
    }
    Err(Error::InvalidKey(format!(
        "a key must be str, bytes or a JWK mapping, not {}",
        key.get_type().name()?
    ))
    .into())
}
