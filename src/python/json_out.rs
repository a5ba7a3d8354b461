//! Python objects straight to JSON bytes, as `json.dumps(obj,
//! separators=(",", ":"))` writes them (so tokens are byte-identical to
//! PyJWT's), with no intermediate tree.

use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple, PyType};
use pyo3::{Borrowed, PyTypeInfo, ffi};

use super::name_cache::{NameCache, SlotKey};
use crate::json::MAX_NESTING;
use crate::json::write::{write_int, write_str};

/// A larger buffer is not kept: one huge payload should not pin its memory.
const SPARE_MAX: usize = 4096;

/// What an encode leaves for the next one on its thread: its JSON and token
/// buffers, emptied (their malloc and free were ~230 instructions of an HS256
/// encode), and the claim names it wrote. One thread-local, taken and put back
/// once per encode (each thread-local access is a `__tls_get_addr` call).
#[derive(Default)]
pub struct Spares {
    json: Vec<u8>,
    pub token: Vec<u8>,
    names: Option<Box<RenderedNames>>,
}

impl Spares {
    /// Puts back the JSON buffer a `JsonWriter::reusing` took.
    pub fn keep_json(&mut self, json: Vec<u8>) {
        self.json = json;
    }
}

thread_local! {
    /// Entries left at thread exit are released by pyo3's deferred decref.
    static SPARES: std::cell::Cell<Spares> = std::cell::Cell::new(Spares::default());
}

/// Runs `f` with this thread's spares. A nested encode (from an encoder's
/// `default`) finds them taken and starts from empty ones.
pub fn with_spares<R>(f: impl FnOnce(&mut Spares) -> R) -> R {
    let mut spares = SPARES.try_with(std::cell::Cell::take).unwrap_or_default();
    let result = f(&mut spares);
    for buf in [&mut spares.json, &mut spares.token] {
        if buf.capacity() > SPARE_MAX {
            *buf = Vec::new();
        }
        buf.clear();
    }
    // At thread exit there is nowhere to keep them: dropped.
    let _ = SPARES.try_with(|cell| cell.set(spares));
    result
}

/// A claim name as written, `"name":`, padded to a fixed size so that it is
/// copied with a few fixed moves rather than a `memcpy` call.
const RENDERED_MAX: usize = 32;

struct RenderedName {
    /// A strong reference: while it is held, no other object can have this
    /// address (the entry's `Address`), so an equal address is this same str.
    _key: Py<PyString>,
    json: [u8; RENDERED_MAX],
    len: u8,
    time_claim: bool,
}

impl RenderedName {
    fn write_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.json);
        out.truncate(out.len() - (RENDERED_MAX - usize::from(self.len)));
    }
}

/// The address of a claim name's `str`: the writer's cache key. An entry
/// holds a strong reference to that `str`, so while it is kept no other object
/// can have this address, and an equal address is this same (immutable) str.
#[derive(PartialEq)]
struct Address(usize);

impl Address {
    fn of(key: Borrowed<'_, '_, PyAny>) -> Self {
        Address(key.as_ptr() as usize)
    }
}

impl SlotKey for Address {
    #[inline(always)]
    fn mix(&self) -> u64 {
        // Objects are 16-byte aligned; mix in higher bits for distinct slots.
        ((self.0 >> 4) ^ (self.0 >> 10)) as u64
    }
}

/// The claim names of recent payloads, by the identity of their key object.
/// simplejwt's payloads use the same few names, as interned literals, in every
/// token: a hit skips asking Python for the text and scanning it for escapes.
type RenderedNames = NameCache<Address, RenderedName>;

/// Keeps `rendered` (`"name":`) for `key`, an exact str, if it fits.
fn keep_rendered(names: &mut RenderedNames, key: Borrowed<'_, '_, PyAny>, rendered: &[u8], time_claim: bool) {
    let (Ok(len), Ok(key)) = (u8::try_from(rendered.len()), key.cast::<PyString>()) else {
        return;
    };
    if rendered.len() > RENDERED_MAX {
        return;
    }
    let mut json = [0u8; RENDERED_MAX];
    json[..rendered.len()].copy_from_slice(rendered);
    names.insert(
        Address::of(key.as_any().as_borrowed()),
        RenderedName {
            _key: key.to_owned().unbind(),
            json,
            len,
            time_claim,
        },
    );
}

/// A value at depth `MAX_NESTING + 1` is a scalar inside `MAX_NESTING` containers; a container
/// there is refused. The limit also stops a cycle (Python's encoder says "Circular reference
/// detected") and an encoder whose `default` never returns something encodable.
fn too_deep() -> PyErr {
    PyValueError::new_err(format!(
        "Circular reference detected (or a claim nests arrays/objects more than {MAX_NESTING} deep)"
    ))
}

pub struct JsonWriter<'a, 'py> {
    pub out: Vec<u8>,
    /// An instance of the configured `JSONEncoder` subclass; its `default`
    /// handles types JSON does not know.
    encoder: Option<&'a Bound<'py, PyAny>>,
    /// Claim names already written (see `RenderedNames`); a payload's only.
    names: Option<&'a mut RenderedNames>,
}

impl<'a, 'py> JsonWriter<'a, 'py> {
    pub fn new(encoder: Option<&'a Bound<'py, PyAny>>) -> Self {
        JsonWriter {
            out: Vec::with_capacity(256),
            encoder,
            names: None,
        }
    }

    /// Like `new`, writing into the spare JSON buffer and using the spare
    /// names; `into_output` gives the buffer back to put in `spares` again.
    pub fn reusing(encoder: Option<&'a Bound<'py, PyAny>>, spares: &'a mut Spares) -> Self {
        let mut out = std::mem::take(&mut spares.json);
        if out.capacity() == 0 {
            out.reserve(256);
        }
        JsonWriter {
            out,
            encoder,
            names: Some(spares.names.get_or_insert_with(|| Box::new(RenderedNames::new()))),
        }
    }

    pub fn into_output(self) -> Vec<u8> {
        self.out
    }

    pub fn write(&mut self, obj: &Bound<'py, PyAny>) -> PyResult<()> {
        self.value(obj, 0)
    }

    /// A JWT payload: like `write`, except that `exp`/`iat`/`nbf` given as a
    /// `datetime` become epoch seconds, as PyJWT converts them.
    pub fn write_claims(&mut self, claims: &Bound<'py, PyDict>) -> PyResult<()> {
        // Out of `self` while the closure below borrows it; put back after.
        let mut names = self.names.take();
        let written = self.write_claims_with(claims, names.as_deref_mut());
        self.names = names;
        written
    }

    fn write_claims_with(
        &mut self,
        claims: &Bound<'py, PyDict>,
        mut names: Option<&mut RenderedNames>,
    ) -> PyResult<()> {
        self.out.push(b'{');
        let mut first = true;
        for_each_item(claims, |key, value| {
            if !first {
                self.out.push(b',');
            }
            first = false;
            let mut ran_python = false;
            let is_time_claim = match names
                .as_deref_mut()
                .and_then(|names| names.get(&Address::of(key)))
            {
                Some(name) => {
                    name.write_to(&mut self.out);
                    name.time_claim
                }
                None => {
                    // The name as text once: written, then tested for a time claim.
                    let key_str = key.cast::<PyString>().ok();
                    let name = key_str.as_ref().and_then(|k| k.to_str().ok());
                    let start = self.out.len();
                    match name {
                        Some(name) => write_str(&mut self.out, name),
                        None => {
                            self.key(&key.to_owned())?;
                            ran_python = true;
                        }
                    }
                    self.out.push(b':');
                    let is_time_claim = name.is_some_and(|k| matches!(k, "exp" | "iat" | "nbf"));
                    if let Some(names) = names.as_deref_mut()
                        && name.is_some()
                        && key.is_exact_instance_of::<PyString>()
                    {
                        keep_rendered(names, key, &self.out[start..], is_time_claim);
                    }
                    is_time_claim
                }
            };
            if self.scalar(value)? {
                return Ok(ran_python);
            }
            let value = value.to_owned();
            if is_time_claim && !value.is_instance_of::<PyInt>() && is_datetime(&value)? {
                self.value(&epoch_seconds(&value)?, 1)?;
            } else {
                self.value(&value, 1)?;
            }
            Ok(true)
        })?;
        self.out.push(b'}');
        Ok(())
    }

    /// Writes `obj` if it is a `str`, `int`, `float`, `bool` or `None` of
    /// exactly that type (no subclass): no Python code runs for those, so
    /// `obj` may be a reference borrowed from a container. `false`: not written.
    fn scalar(&mut self, obj: Borrowed<'_, 'py, PyAny>) -> PyResult<bool> {
        if obj.is_exact_instance_of::<PyString>() {
            if let Ok(text) = obj.cast::<PyString>()?.to_str() {
                write_str(&mut self.out, text);
                return Ok(true);
            }
            return Ok(false);
        }
        if obj.is_exact_instance_of::<PyInt>() {
            if let Ok(n) = obj.extract::<i64>() {
                write_int(&mut self.out, n);
                return Ok(true);
            }
            return Ok(false);
        }
        if obj.is_none() {
            self.out.extend_from_slice(b"null");
            return Ok(true);
        }
        if obj.is_exact_instance_of::<PyBool>() {
            let truth = obj.cast::<PyBool>()?.is_true();
            self.out.extend_from_slice(if truth { b"true" } else { b"false" });
            return Ok(true);
        }
        Ok(false)
    }

    /// A dict with its keys sorted, as `sort_keys=True` (PyJWT's headers).
    pub fn write_sorted(&mut self, dict: &Bound<'py, PyDict>) -> PyResult<()> {
        let mut items = Vec::with_capacity(dict.len());
        for (key, value) in dict.iter() {
            let key: String = key
                .extract()
                .map_err(|_| PyTypeError::new_err("header names must be strings"))?;
            items.push((key, value));
        }
        // Python orders str by code point, which is UTF-8 byte order.
        items.sort_by(|a, b| a.0.cmp(&b.0));
        self.out.push(b'{');
        for (i, (key, value)) in items.iter().enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            write_str(&mut self.out, key);
            self.out.push(b':');
            self.value(value, 1)?;
        }
        self.out.push(b'}');
        Ok(())
    }

    fn value(&mut self, obj: &Bound<'py, PyAny>, depth: usize) -> PyResult<()> {
        if depth > MAX_NESTING + 1 {
            return Err(too_deep());
        }
        if let Ok(s) = obj.cast::<PyString>() {
            return self.string(s);
        }
        if let Ok(dict) = obj.cast::<PyDict>() {
            if depth > MAX_NESTING {
                return Err(too_deep());
            }
            self.out.push(b'{');
            let mut first = true;
            for_each_item(dict, |key, value| {
                if !first {
                    self.out.push(b',');
                }
                first = false;
                // Own both first: writing the key may import `json.encoder` (lone surrogates).
                let (key, value) = (key.to_owned(), value.to_owned());
                self.key(&key)?;
                self.out.push(b':');
                self.value(&value, depth + 1)?;
                Ok(true)
            })?;
            self.out.push(b'}');
            return Ok(());
        }
        if obj.is_none() {
            self.out.extend_from_slice(b"null");
            return Ok(());
        }
        if let Ok(b) = obj.cast::<PyBool>() {
            self.out
                .extend_from_slice(if b.is_true() { b"true" } else { b"false" });
            return Ok(());
        }
        if obj.is_instance_of::<PyInt>() {
            return self.int(obj);
        }
        if let Ok(f) = obj.cast::<PyFloat>() {
            return self.float(f);
        }
        if let Ok(list) = obj.cast::<PyList>() {
            return self.sequence(list.iter(), depth);
        }
        if let Ok(tuple) = obj.cast::<PyTuple>() {
            return self.sequence(tuple.iter(), depth);
        }
        match self.encoder {
            Some(encoder) => {
                let replacement = encoder.call_method1("default", (obj,))?;
                self.value(&replacement, depth + 1)
            }
            None => Err(PyTypeError::new_err(format!(
                "Object of type {} is not JSON serializable",
                obj.get_type().name()?
            ))),
        }
    }

    fn sequence(&mut self, items: impl Iterator<Item = Bound<'py, PyAny>>, depth: usize) -> PyResult<()> {
        if depth > MAX_NESTING {
            return Err(too_deep());
        }
        self.out.push(b'[');
        for (i, item) in items.enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            self.value(&item, depth + 1)?;
        }
        self.out.push(b']');
        Ok(())
    }

    /// `float.__repr__`, as json does: where two shortest spellings round-trip equally
    /// (562949953421312.2 and .3), Rust's formatter and CPython's pick differently.
    fn float(&mut self, f: &Bound<'py, PyFloat>) -> PyResult<()> {
        if !f.value().is_finite() {
            // json.dumps would write NaN/Infinity, which is not JSON: no decoder
            // (ours included) accepts the resulting token.
            return Err(PyValueError::new_err(
                "Out of range float values are not JSON compliant",
            ));
        }
        static FLOAT_REPR: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
        self.base_repr::<PyFloat>(&FLOAT_REPR, f.as_any())
    }

    /// `T.__repr__(obj)`: the base type's, never a subclass's, as `json.dumps` writes numbers.
    fn base_repr<T: PyTypeInfo>(
        &mut self,
        cached: &PyOnceLock<Py<PyAny>>,
        obj: &Bound<'py, PyAny>,
    ) -> PyResult<()> {
        let py = obj.py();
        let repr =
            cached.get_or_try_init(py, || py.get_type::<T>().getattr("__repr__").map(Bound::unbind))?;
        let text = repr.bind(py).call1((obj,))?;
        self.out
            .extend_from_slice(text.cast::<PyString>()?.to_str()?.as_bytes());
        Ok(())
    }

    fn int(&mut self, obj: &Bound<'py, PyAny>) -> PyResult<()> {
        match obj.extract::<i64>() {
            Ok(n) => write_int(&mut self.out, n),
            // Beyond 64 bits: `int.__repr__`, as json does (never the subclass's repr).
            Err(_) => {
                static INT_REPR: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
                return self.base_repr::<PyInt>(&INT_REPR, obj);
            }
        }
        Ok(())
    }

    fn string(&mut self, s: &Bound<'py, PyString>) -> PyResult<()> {
        match s.to_str() {
            Ok(text) => {
                write_str(&mut self.out, text);
                Ok(())
            }
            // Lone surrogates are not UTF-8; Python's own escaper writes them as \udXXX.
            Err(_) => {
                static ESCAPE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
                let py = s.py();
                let escape = ESCAPE.import(py, "json.encoder", "encode_basestring_ascii")?;
                let text = escape.call1((s,))?;
                self.out
                    .extend_from_slice(text.cast::<PyString>()?.to_str()?.as_bytes());
                Ok(())
            }
        }
    }

    /// Object keys as json.dumps coerces them.
    fn key(&mut self, key: &Bound<'py, PyAny>) -> PyResult<()> {
        if let Ok(s) = key.cast::<PyString>() {
            return self.string(s);
        }
        let start = self.out.len();
        if key.is_none()
            || key.is_instance_of::<PyBool>()
            || key.is_instance_of::<PyInt>()
            || key.is_instance_of::<PyFloat>()
        {
            self.value(key, 0)?;
            // Written as a JSON scalar; now make it a string.
            let scalar = self.out.split_off(start);
            self.out.push(b'"');
            self.out.extend_from_slice(&scalar);
            self.out.push(b'"');
            return Ok(());
        }
        Err(PyTypeError::new_err(format!(
            "keys must be str, int, float, bool or None, not {}",
            key.get_type().name()?
        )))
    }
}

/// Calls `f` with each item of `dict`, borrowed from it: `PyDict_Next`
/// without pyo3's iterator, which takes a reference to every key and value
/// and reads the size on every step (a tenth of an HS256 encode's own work).
///
/// `f` must take its own reference (`to_owned`) to an item before it runs any
/// Python code, which could remove that item from the dict, and return
/// whether it may have run any. If the dict changed size meanwhile this
/// raises `RuntimeError`, as Python's own iteration does (pyo3's iterator
/// panicked).
fn for_each_item<'py>(
    dict: &Bound<'py, PyDict>,
    mut f: impl FnMut(Borrowed<'_, 'py, PyAny>, Borrowed<'_, 'py, PyAny>) -> PyResult<bool>,
) -> PyResult<()> {
    let py = dict.py();
    let len = dict.len();
    let mut pos: ffi::Py_ssize_t = 0;
    let mut key: *mut ffi::PyObject = std::ptr::null_mut();
    let mut value: *mut ffi::PyObject = std::ptr::null_mut();
    // SAFETY: `dict` is a live dict (we hold a reference) and the GIL is held
    // (`py`); the three out-pointers are to locals. PyDict_Next bounds-checks
    // `pos` against the dict's current table, so it stays sound even if `f`
    // changed the dict, and it returns borrowed, non-null references when it
    // returns nonzero.
    while unsafe { ffi::PyDict_Next(dict.as_ptr(), &mut pos, &mut key, &mut value) } != 0 {
        // SAFETY: non-null borrowed references, valid while the dict holds
        // them: `f` takes its own before any Python code can run (see above).
        let (k, v) = unsafe { (Borrowed::from_ptr(py, key), Borrowed::from_ptr(py, value)) };
        if f(k, v)? && dict.len() != len {
            return Err(PyRuntimeError::new_err(
                "dictionary changed size during iteration",
            ));
        }
    }
    Ok(())
}

fn is_datetime(value: &Bound<'_, PyAny>) -> PyResult<bool> {
    static DATETIME: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    value.is_instance(DATETIME.import(value.py(), "datetime", "datetime")?)
}

/// `calendar.timegm(dt.utctimetuple())`: whole seconds, naive datetimes taken as UTC.
fn epoch_seconds<'py>(value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    static TIMEGM: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let timegm = TIMEGM.import(value.py(), "calendar", "timegm")?;
    timegm.call1((value.call_method0("utctimetuple")?,))
}
