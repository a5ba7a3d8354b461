//! `Codec.refresh`: the core's one refresh (`crate::refresh`) run over
//! `dict`s. This file only converts: the arguments in, the callback's answer
//! into a `Verdict`, the `Refreshed` out. It knows the `Codec` class only as a
//! `Mint` over `dict`s (`codec.rs` provides it), so the edge has no cycle.

use std::borrow::Cow;

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyString};

use super::convert::{mapping, seconds};
use crate::codec;
use crate::error::invalid_setting;
use crate::refresh::{self, ClaimSet, Mint, RefreshOptions, Verdict};

/// The arguments of `Codec.refresh`, as Python gave them.
pub struct Call<'a, 'py> {
    /// Called with a copy of the verified claims; its answer is the verdict.
    pub callback: &'a Bound<'py, PyAny>,
    pub access_lifetime: &'a Bound<'py, PyAny>,
    pub refresh_lifetime: Option<&'a Bound<'py, PyAny>>,
    pub rotate: bool,
    pub token_type_claim: Option<&'a str>,
    pub jti_claim: Option<&'a str>,
    pub access_token_type: &'a str,
    pub refresh_token_type: &'a str,
    pub now: Option<f64>,
}

impl<'py> ClaimSet for Bound<'py, PyDict> {
    type Error = PyErr;

    fn empty(&self) -> PyResult<Self> {
        Ok(PyDict::new(self.py()))
    }

    fn duplicate(&self) -> PyResult<Self> {
        self.copy()
    }

    fn set_str(&mut self, name: &str, value: &str) -> PyResult<()> {
        self.set_item(name, value)
    }

    fn set_int(&mut self, name: &str, value: i64) -> PyResult<()> {
        self.set_item(name, value)
    }

    fn inherit(&mut self, from: &Self, keep: impl Fn(&str) -> bool) -> PyResult<()> {
        for (name, value) in from.iter() {
            let text = name.cast::<PyString>().ok().and_then(|n| n.to_str().ok());
            if text.is_some_and(&keep) {
                self.set_item(name, value)?;
            }
        }
        Ok(())
    }

    fn update(&mut self, extra: &Self) -> PyResult<()> {
        PyDictMethods::update(self, extra.as_mapping())
    }
}

/// The callback's answer: a mapping admits and gives the successor's extra
/// claims; otherwise its truth admits or refuses.
fn verdict<'py>(answer: &Bound<'py, PyAny>) -> PyResult<Verdict<Bound<'py, PyDict>>> {
    if !answer.is_instance_of::<PyBool>()
        && let Some(extra) = mapping(answer)?
    {
        // Its own dict: the caller's mapping is not kept past the call.
        let extra = match extra {
            Cow::Borrowed(dict) => dict.copy()?,
            Cow::Owned(dict) => dict,
        };
        return Ok(Verdict::Admit(Some(extra)));
    }
    Ok(if answer.is_truthy()? {
        Verdict::Admit(None)
    } else {
        Verdict::Refuse
    })
}

/// `presented` decodes the presented token and encodes the minted claims.
pub fn run<'py, M>(presented: &M, py: Python<'py>, call: Call<'_, 'py>) -> PyResult<Bound<'py, PyDict>>
where
    M: Mint<Claims = Bound<'py, PyDict>, Error = PyErr>,
{
    let refresh_lifetime = match (call.rotate, call.refresh_lifetime.filter(|l| !l.is_none())) {
        (true, None) => return Err(invalid_setting("rotate=True needs refresh_lifetime").into()),
        (true, Some(lifetime)) => Some(seconds(lifetime, "refresh_lifetime")?),
        (false, _) => None,
    };
    let options = RefreshOptions {
        access_lifetime: seconds(call.access_lifetime, "access_lifetime")?,
        refresh_lifetime,
        token_type_claim: call.token_type_claim,
        jti_claim: call.jti_claim,
        access_token_type: call.access_token_type,
        refresh_token_type: call.refresh_token_type,
    };
    let now = call.now.unwrap_or_else(codec::now);
    let out = refresh::refresh(presented, &options, now, |claims| {
        // The callback sees a copy: it must not be able to change what gets minted.
        verdict(&call.callback.call1((claims.copy()?,))?)
    })?;
    let result = PyDict::new(py);
    result.set_item("access", out.access)?;
    result.set_item("access_claims", out.access_claims)?;
    result.set_item("refresh", out.refresh)?;
    result.set_item("refresh_claims", out.refresh_claims)?;
    result.set_item("claims", out.claims)?;
    Ok(result)
}
