//! The PyO3 edge: conversions in, one call into the core, conversions out.

mod errors;
mod json_out;
mod payload;

use std::borrow::Cow;

use jiter::{PythonParse, StringCacheMode};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyDict, PyString, PyTuple};

use crate::algorithm::Algorithm;
use crate::claims::{self, Requirements, Validation};
use crate::codec::{self, DEFAULT_MAX_TOKEN_BYTES};
use crate::error::{Error, malformed};
use crate::keys::KeyInput;
use crate::refresh::{RefreshOptions, epoch_after, new_jti};
use json_out::JsonWriter;

/// A token as bytes, without copying; anything but `str`/`bytes` is not a token.
fn token_bytes<'a>(token: &'a Bound<'_, PyAny>) -> PyResult<&'a [u8]> {
    if let Ok(s) = token.cast::<PyString>() {
        return Ok(s
            .to_str()
            .map_err(|_| Error::Malformed("the token is not valid text".into()))?
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

/// Seconds from an int, a float or a `timedelta`.
fn seconds(value: &Bound<'_, PyAny>, what: &str) -> PyResult<f64> {
    if value.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err(format!(
            "{what} must be seconds or a timedelta"
        )));
    }
    if let Ok(n) = value.extract::<f64>() {
        return Ok(n);
    }
    if let Ok(total) = value.call_method0("total_seconds") {
        return total.extract();
    }
    Err(PyTypeError::new_err(format!(
        "{what} must be seconds or a timedelta"
    )))
}

fn parse_json_object<'py>(py: Python<'py>, json: &[u8], what: &str) -> PyResult<Bound<'py, PyDict>> {
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

/// Key material as the core takes it: text and bytes as they are, a mapping as a JWK.
fn with_key<R>(
    key: Option<&Bound<'_, PyAny>>,
    f: impl FnOnce(Option<KeyInput>) -> PyResult<R>,
) -> PyResult<R> {
    let Some(key) = key.filter(|k| !k.is_none()) else {
        return f(None);
    };
    if let Ok(s) = key.cast::<PyString>() {
        return f(Some(KeyInput::Bytes(s.to_str()?.as_bytes())));
    }
    if let Ok(b) = key.cast::<PyBytes>() {
        return f(Some(KeyInput::Bytes(b.as_bytes())));
    }
    if let Ok(b) = key.cast::<PyByteArray>() {
        return f(Some(KeyInput::Bytes(&b.to_vec())));
    }
    if let Ok(dict) = key.cast::<PyDict>() {
        let mut writer = JsonWriter::new(None);
        writer.write(dict.as_any())?;
        return match serde_json::from_slice(&writer.out) {
            Ok(serde_json::Value::Object(jwk)) => f(Some(KeyInput::Jwk(&jwk))),
            _ => Err(Error::InvalidKey("the JWK is not a JSON object".into()).into()),
        };
    }
    Err(Error::InvalidKey(format!(
        "a key must be str, bytes or a JWK dict, not {}",
        key.get_type().name()?
    ))
    .into())
}

/// Signing/verification settings and prepared keys, built once.
#[pyclass(frozen, module = "simplejwt_rs._core")]
pub struct Codec {
    core: codec::Codec,
    /// An instance of the configured JSONEncoder, for its `default`.
    encoder: Option<Py<PyAny>>,
}

#[pymethods]
impl Codec {
    #[new]
    #[pyo3(signature = (algorithm, signing_key, verifying_key=None, *, audience=None, issuer=None, leeway=None, json_encoder=None, max_token_bytes=DEFAULT_MAX_TOKEN_BYTES))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        algorithm: &str,
        signing_key: Option<&Bound<'_, PyAny>>,
        verifying_key: Option<&Bound<'_, PyAny>>,
        audience: Option<&Bound<'_, PyAny>>,
        issuer: Option<String>,
        leeway: Option<&Bound<'_, PyAny>>,
        json_encoder: Option<&Bound<'_, PyAny>>,
        max_token_bytes: usize,
    ) -> PyResult<Self> {
        let algorithm: Algorithm = algorithm.parse()?;
        let audience = match audience.filter(|a| !a.is_none()) {
            None => None,
            Some(a) if a.is_instance_of::<PyString>() => Some(vec![a.extract::<String>()?]),
            Some(a) => Some(
                a.extract::<Vec<String>>()
                    .map_err(|_| PyTypeError::new_err("audience must be a str or a list of str"))?,
            ),
        };
        let leeway = leeway.map(|l| seconds(l, "leeway")).transpose()?.unwrap_or(0.0);
        let validation = Validation {
            audience,
            issuer,
            leeway,
        };
        let core = with_key(signing_key, |signing| {
            with_key(verifying_key, |verifying| {
                Ok(codec::Codec::new(
                    algorithm,
                    signing,
                    verifying,
                    validation,
                    max_token_bytes,
                )?)
            })
        })?;
        let encoder = json_encoder
            .filter(|e| !e.is_none())
            .map(|cls| {
                let kwargs = PyDict::new(py);
                kwargs.set_item("separators", (",", ":"))?;
                cls.call((), Some(&kwargs)).map(Bound::unbind)
            })
            .transpose()?;
        Ok(Codec { core, encoder })
    }

    #[getter]
    fn algorithm(&self) -> &'static str {
        self.core.algorithm.name()
    }

    #[getter]
    fn audience(&self) -> Option<Vec<String>> {
        self.core.validation.audience.clone()
    }

    #[getter]
    fn issuer(&self) -> Option<String> {
        self.core.validation.issuer.clone()
    }

    #[getter]
    fn leeway(&self) -> f64 {
        self.core.validation.leeway
    }

    #[getter]
    fn max_token_bytes(&self) -> usize {
        self.core.max_token_bytes
    }

    #[getter]
    fn can_sign(&self) -> bool {
        self.core.can_sign()
    }

    fn __repr__(&self) -> String {
        // Never the keys.
        format!(
            "Codec(algorithm={:?}, audience={:?}, issuer={:?}, leeway={})",
            self.core.algorithm.name(),
            self.core.validation.audience,
            self.core.validation.issuer,
            self.core.validation.leeway
        )
    }

    #[pyo3(signature = (payload, headers=None))]
    fn encode(
        &self,
        py: Python<'_>,
        payload: &Bound<'_, PyAny>,
        headers: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<String> {
        let payload = as_dict(payload)?;
        self.encode_dict(py, &payload, headers)
    }

    #[pyo3(signature = (token, *, verify=true, token_type=None, token_type_claim="token_type", jti_claim=None, require_exp=false, now=None))]
    #[allow(clippy::too_many_arguments)]
    fn decode<'py>(
        &self,
        py: Python<'py>,
        token: &Bound<'py, PyAny>,
        verify: bool,
        token_type: Option<&str>,
        token_type_claim: &str,
        jti_claim: Option<&str>,
        require_exp: bool,
        now: Option<f64>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let requirements = Requirements {
            require_exp,
            token_type: token_type.map(|t| (token_type_claim, t)),
            jti_claim,
        };
        self.decode_dict(py, token, verify, &requirements, now)
    }

    /// A decode with these requirements fixed, as a callable: `decoder(token, now=None)`.
    /// The per-request path then parses no keyword arguments.
    #[pyo3(signature = (*, token_type=None, token_type_claim="token_type", jti_claim=None, require_exp=false))]
    fn decoder(
        slf: &Bound<'_, Self>,
        token_type: Option<String>,
        token_type_claim: &str,
        jti_claim: Option<String>,
        require_exp: bool,
    ) -> Decoder {
        Decoder {
            codec: slf.clone().unbind(),
            token_type,
            token_type_claim: token_type_claim.to_owned(),
            jti_claim,
            require_exp,
        }
    }

    #[pyo3(signature = (token, is_user_active, *, access_lifetime, refresh_lifetime=None, rotate=false, token_type_claim="token_type", jti_claim="jti", access_token_type="access", refresh_token_type="refresh", rotated_claims=None, now=None))]
    #[allow(clippy::too_many_arguments)]
    fn refresh<'py>(
        &self,
        py: Python<'py>,
        token: &Bound<'py, PyAny>,
        is_user_active: &Bound<'py, PyAny>,
        access_lifetime: &Bound<'py, PyAny>,
        refresh_lifetime: Option<&Bound<'py, PyAny>>,
        rotate: bool,
        token_type_claim: Option<&str>,
        jti_claim: Option<&str>,
        access_token_type: &str,
        refresh_token_type: &str,
        rotated_claims: Option<&Bound<'py, PyDict>>,
        now: Option<f64>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let refresh_lifetime = match (rotate, refresh_lifetime.filter(|l| !l.is_none())) {
            (true, None) => {
                return Err(PyValueError::new_err("rotate=True needs refresh_lifetime"));
            }
            (true, Some(l)) => Some(seconds(l, "refresh_lifetime")?),
            (false, _) => None,
        };
        let options = RefreshOptions {
            access_lifetime: seconds(access_lifetime, "access_lifetime")?,
            refresh_lifetime,
            token_type_claim,
            jti_claim,
            access_token_type,
            refresh_token_type,
        };
        options
            .check_lifetimes()
            .map_err(|_| PyValueError::new_err("token lifetimes must be positive and finite"))?;
        let now = now.unwrap_or_else(codec::now);
        let claims = self.decode_dict(py, token, true, &options.requirements(), Some(now))?;
        // The callback sees a copy: it must not be able to change what gets minted.
        if !is_user_active.call1((claims.copy()?,))?.is_truthy()? {
            return Err(Error::UserInactive.into());
        }
        let access_claims = PyDict::new(py);
        if let Some(claim) = token_type_claim {
            access_claims.set_item(claim, access_token_type)?;
        }
        access_claims.set_item("exp", epoch_after(now, options.access_lifetime))?;
        access_claims.set_item("iat", epoch_after(now, 0.0))?;
        if let Some(claim) = jti_claim {
            access_claims.set_item(claim, new_jti())?;
        }
        for (name, value) in claims.iter() {
            if name
                .extract::<&str>()
                .is_ok_and(|name| options.is_inherited(name))
            {
                access_claims.set_item(name, value)?;
            }
        }
        let result = PyDict::new(py);
        result.set_item("access", self.encode_dict(py, &access_claims, None)?)?;
        result.set_item("access_claims", &access_claims)?;
        match options.refresh_lifetime {
            Some(lifetime) => {
                let rotated = claims.copy()?;
                rotated.set_item("exp", epoch_after(now, lifetime))?;
                rotated.set_item("iat", epoch_after(now, 0.0))?;
                if let Some(claim) = jti_claim {
                    rotated.set_item(claim, new_jti())?;
                }
                // Read only now: the callback may have filled it (a family id, a jti it recorded).
                if let Some(extra) = rotated_claims {
                    rotated.update(extra.as_mapping())?;
                }
                result.set_item("refresh", self.encode_dict(py, &rotated, None)?)?;
                result.set_item("refresh_claims", rotated)?;
            }
            None => {
                result.set_item("refresh", py.None())?;
                result.set_item("refresh_claims", py.None())?;
            }
        }
        result.set_item("claims", claims)?;
        Ok(result)
    }
}

/// `Codec.decode` with its requirements bound (see `Codec.decoder`).
#[pyclass(frozen, module = "simplejwt_rs._core")]
pub struct Decoder {
    codec: Py<Codec>,
    token_type: Option<String>,
    token_type_claim: String,
    jti_claim: Option<String>,
    require_exp: bool,
}

#[pymethods]
impl Decoder {
    #[pyo3(signature = (token, now=None))]
    fn __call__<'py>(
        &self,
        py: Python<'py>,
        token: &Bound<'py, PyAny>,
        now: Option<f64>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let requirements = Requirements {
            require_exp: self.require_exp,
            token_type: self
                .token_type
                .as_deref()
                .map(|t| (self.token_type_claim.as_str(), t)),
            jti_claim: self.jti_claim.as_deref(),
        };
        self.codec.get().decode_dict(py, token, true, &requirements, now)
    }

    #[getter]
    fn codec(&self, py: Python<'_>) -> Py<Codec> {
        self.codec.clone_ref(py)
    }
}

/// `dict` as is; any other mapping copied into one; anything else refused like PyJWT does.
fn as_dict<'a, 'py>(payload: &'a Bound<'py, PyAny>) -> PyResult<Cow<'a, Bound<'py, PyDict>>> {
    if let Ok(dict) = payload.cast::<PyDict>() {
        return Ok(Cow::Borrowed(dict));
    }
    let py = payload.py();
    static MAPPING: PyOnceLock<Py<pyo3::types::PyType>> = PyOnceLock::new();
    let mapping = MAPPING.import(py, "collections.abc", "Mapping")?;
    if payload.is_instance(mapping)? {
        let dict = PyDict::new(py);
        dict.update(payload.cast()?)?;
        return Ok(Cow::Owned(dict));
    }
    Err(PyTypeError::new_err(
        "Expecting a mapping object, as JWT only supports JSON objects as payloads.",
    ))
}

impl Codec {
    fn encode_dict(
        &self,
        py: Python<'_>,
        payload: &Bound<'_, PyDict>,
        headers: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<String> {
        if !self.core.can_sign() {
            return Err(Error::InvalidKey("this codec has no signing key".into()).into());
        }
        let encoder = self.encoder.as_ref().map(|e| e.bind(py));
        let header_json = match headers {
            Some(headers) => Some(self.header_json(py, headers, encoder)?),
            None => None,
        };
        let mut writer = JsonWriter::new(encoder);
        writer.write_claims(payload)?;
        let signing_input = self.core.signing_input(header_json.as_deref(), &writer.out);
        if self.core.is_slow_crypto() {
            Ok(py.detach(|| self.core.sign(signing_input))?)
        } else {
            Ok(self.core.sign(signing_input)?)
        }
    }

    /// PyJWT's header: `{"typ": "JWT", "alg": ...}` updated with `headers`,
    /// `typ` dropped when falsy, keys sorted.
    fn header_json(
        &self,
        py: Python<'_>,
        headers: &Bound<'_, PyDict>,
        encoder: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<u8>> {
        let header = PyDict::new(py);
        header.set_item("typ", "JWT")?;
        header.set_item("alg", self.core.algorithm.name())?;
        header.update(headers.as_mapping())?;
        let alg = header.get_item("alg")?;
        if !alg
            .as_ref()
            .is_some_and(|a| a.eq(self.core.algorithm.name()).unwrap_or(false))
        {
            return Err(Error::WrongAlgorithm(alg.map_or_else(String::new, |a| a.to_string())).into());
        }
        if let Some(kid) = header.get_item("kid")?
            && !kid.is_instance_of::<PyString>()
        {
            return Err(PyTypeError::new_err("Key ID header parameter must be a string"));
        }
        if !header.get_item("typ")?.map_or(Ok(false), |t| t.is_truthy())? {
            header.del_item("typ")?;
        }
        if header.contains("b64")? {
            return Err(PyValueError::new_err(
                "unencoded payloads (\"b64\") are not supported",
            ));
        }
        let mut writer = JsonWriter::new(encoder);
        writer.write_sorted(&header)?;
        Ok(writer.out)
    }

    fn decode_dict<'py>(
        &self,
        py: Python<'py>,
        token: &Bound<'py, PyAny>,
        verify: bool,
        requirements: &Requirements,
        now: Option<f64>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let bytes = token_bytes(token)?;
        let opened = self.core.open(bytes, verify)?;
        if verify {
            if self.core.is_slow_crypto() {
                py.detach(|| self.core.verify(&opened))?;
            } else {
                self.core.verify(&opened)?;
            }
        }
        let mut captured = payload::Captured::new(
            requirements.token_type.map(|(claim, _)| claim),
            requirements.jti_claim,
        );
        let claims = payload::parse(py, &opened.payload, &mut captured)?;
        if verify {
            let now = now.unwrap_or_else(codec::now);
            claims::validate(&captured, &self.core.validation, requirements, now)?;
        }
        Ok(claims)
    }
}

/// The header of a token, unverified (to pick a key by `kid`, say).
#[pyfunction]
fn decode_header<'py>(py: Python<'py>, token: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
    let bytes = token_bytes(token)?;
    if bytes.len() > DEFAULT_MAX_TOKEN_BYTES {
        return Err(Error::TooLarge {
            len: bytes.len(),
            max: DEFAULT_MAX_TOKEN_BYTES,
        }
        .into());
    }
    let segment = bytes.split(|&b| b == b'.').next().unwrap_or_default();
    let json =
        crate::base64url::decode(segment).ok_or_else(|| malformed("the header is not valid base64url"))?;
    parse_json_object(py, &json, "header")
}

/// A fresh random token id (`uuid4().hex`).
#[pyfunction(name = "new_jti")]
fn py_new_jti() -> String {
    new_jti()
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    crate::install_crypto_provider();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add(
        "ALGORITHMS",
        PyTuple::new(m.py(), Algorithm::ALL.map(Algorithm::name))?,
    )?;
    m.add("DEFAULT_MAX_TOKEN_BYTES", DEFAULT_MAX_TOKEN_BYTES)?;
    m.add_class::<Codec>()?;
    m.add_class::<Decoder>()?;
    m.add_function(wrap_pyfunction!(decode_header, m)?)?;
    m.add_function(wrap_pyfunction!(py_new_jti, m)?)?;
    Ok(())
}
