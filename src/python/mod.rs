//! The PyO3 edge: conversions in, one call into the core, conversions out.
//! This file is the registry; each module below does one job.

mod codec; // the Codec and Decoder classes, the module's functions
mod convert; // Python values -> core inputs (tokens, durations, keys, mappings)
mod errors; // the core's Error -> the Python exception classes
mod json_in; // JSON bytes -> the members of the payload object (bytes: crate::json)
mod json_out; // Python objects -> JSON bytes, as json.dumps writes them (bytes: crate::json)
pub(crate) mod name_cache; // the one cache type: claim names, direct-mapped (json_out and payload)
mod payload; // JSON bytes -> dict, capturing the registered claims
mod refresh; // Codec.refresh: the core's refresh over dicts

use pyo3::prelude::*;
use pyo3::types::PyTuple;

use crate::algorithm::Algorithm;
use crate::codec::DEFAULT_MAX_TOKEN_BYTES;

// Declared, not left to PyO3's default: the wheels are abi3 for GIL builds, and the free-threaded
// CPython (3.14t) is documented as unsupported; a from-source build there re-enables the GIL.
#[pymodule(gil_used = true)]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add(
        "ALGORITHMS",
        PyTuple::new(m.py(), Algorithm::ALL.map(Algorithm::name))?,
    )?;
    m.add("DEFAULT_MAX_TOKEN_BYTES", DEFAULT_MAX_TOKEN_BYTES)?;
    m.add_class::<codec::Codec>()?;
    m.add_class::<codec::Decoder>()?;
    m.add_function(wrap_pyfunction!(codec::decode_header, m)?)?;
    m.add_function(wrap_pyfunction!(codec::py_new_jti, m)?)?;
    Ok(())
}
