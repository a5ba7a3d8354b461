//! `Codec.refresh`: the core's one refresh (`crate::refresh`) run over
//! `dict`s. This file only converts: the arguments in, the callback's answer
//! into a `Verdict`, the `Refreshed` out.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyString};

use super::codec::Codec;
use super::convert::{mapping, seconds};
use crate::claims::Requirements;
use crate::codec;
use crate::error::invalid_setting;
use crate::refresh::{self, ClaimSet, Mint, RefreshOptions, Verdict};

/// The arguments of `Codec.refresh`, as Python gave them.
pub struct Call<'a, 'py> {
    pub token: &'a Bound<'py, PyAny>,
    pub is_user_active: &'a Bound<'py, PyAny>,
    pub access_lifetime: &'a Bound<'py, PyAny>,
    pub refresh_lifetime: Option<&'a Bound<'py, PyAny>>,
    pub rotate: bool,
    pub token_type_claim: Option<&'a str>,
    pub jti_claim: Option<&'a str>,
    pub access_token_type: &'a str,
    pub refresh_token_type: &'a str,
    pub rotated_claims: Option<&'a Bound<'py, PyDict>>,
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

/// The presented token, decoded and re-encoded through the `Codec` class
/// (so payloads become `dict`s directly, and the JSON encoder applies).
struct Presented<'a, 'py> {
    codec: &'a Codec,
    py: Python<'py>,
    token: &'a Bound<'py, PyAny>,
}

impl<'py> Mint for Presented<'_, 'py> {
    type Claims = Bound<'py, PyDict>;
    type Error = PyErr;

    fn can_sign(&self) -> bool {
        self.codec.can_mint()
    }

    fn decode(&self, requirements: &Requirements, now: f64) -> PyResult<Self::Claims> {
        self.codec
            .decode_dict(self.py, self.token, true, requirements, Some(now))
    }

    fn encode(&self, claims: &Self::Claims) -> PyResult<String> {
        self.codec.encode_dict(self.py, claims, None)
    }
}

/// The callback's answer: a mapping admits and gives the successor's extra
/// claims; otherwise its truth admits or refuses. `rotated_claims` (the older
/// way to pass extra claims, read after the callback returns) go first.
fn verdict<'py>(
    answer: &Bound<'py, PyAny>,
    rotated_claims: Option<&Bound<'py, PyDict>>,
) -> PyResult<Verdict<Bound<'py, PyDict>>> {
    let extra = match (answer.is_instance_of::<PyBool>(), rotated_claims) {
        (true, _) => None,
        (false, _) => mapping(answer)?,
    };
    let Some(extra) = extra else {
        return Ok(if answer.is_truthy()? {
            Verdict::Admit(rotated_claims.map(|d| d.copy()).transpose()?)
        } else {
            Verdict::Refuse
        });
    };
    let mut claims = match rotated_claims {
        Some(first) => first.copy()?,
        None => PyDict::new(answer.py()),
    };
    ClaimSet::update(&mut claims, &extra)?;
    Ok(Verdict::Admit(Some(claims)))
}

pub fn run<'py>(codec: &Codec, py: Python<'py>, call: Call<'_, 'py>) -> PyResult<Bound<'py, PyDict>> {
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
    let presented = Presented {
        codec,
        py,
        token: call.token,
    };
    let now = call.now.unwrap_or_else(codec::now);
    let out = refresh::refresh(&presented, &options, now, |claims| {
        // The callback sees a copy: it must not be able to change what gets minted.
        let answer = call.is_user_active.call1((claims.copy()?,))?;
        verdict(&answer, call.rotated_claims)
    })?;
    let result = PyDict::new(py);
    result.set_item("access", out.access)?;
    result.set_item("access_claims", out.access_claims)?;
    result.set_item("refresh", out.refresh)?;
    result.set_item("refresh_claims", out.refresh_claims)?;
    result.set_item("claims", out.claims)?;
    Ok(result)
}
