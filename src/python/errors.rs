//! The one conversion from the core's `Error` to a Python exception of
//! `simplejwt_rs.exceptions` (Python owns the classes).

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyModule;

use crate::error::Error;

pub fn exceptions_module(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    static MODULE: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
    MODULE
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(py.import("simplejwt_rs.exceptions")?.unbind())
        })
        .map(|m| m.bind(py))
}

fn to_pyerr(py: Python<'_>, err: Error) -> PyResult<PyErr> {
    // `BY_CODE` maps each error code to its class (defined next to the classes).
    let class = exceptions_module(py)?.getattr("BY_CODE")?.get_item(err.code())?;
    let message = err.to_string();
    let instance = match err {
        Error::MissingClaim(claim) => class.call1((message, claim))?,
        _ => class.call1((message,))?,
    };
    Ok(PyErr::from_value(instance))
}

impl From<Error> for PyErr {
    fn from(err: Error) -> PyErr {
        Python::attach(|py| to_pyerr(py, err).unwrap_or_else(|import_failed| import_failed))
    }
}
