//! The `Codec` and `Decoder` classes and the module's functions: each
//! converts its arguments, makes one call into the core, converts back.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use super::convert::{self, KeyMaterial, key_material, mapping, parse_json_object, seconds, token_bytes};
use super::json_out::{self, JsonWriter, Spares};
use super::{payload as payload_json, refresh};
use crate::algorithm::Algorithm;
use crate::claims::{self, Requirements, Validation};
use crate::codec::{self, DEFAULT_MAX_TOKEN_BYTES, KeySpec, is_slow_crypto};
use crate::error::{Error, invalid_setting, malformed};
use crate::jws::{self, Param};
use crate::refresh::Mint;

/// Signing/verification settings and prepared keys, built once; share it between threads.
///
/// Codec(algorithm, signing_key, verifying_key=None, *, keys=None, audience=None, issuer=None,
///       leeway=None, json_encoder=None, max_token_bytes=DEFAULT_MAX_TOKEN_BYTES)
///
/// algorithm: one of ALGORITHMS ("HS256", "RS256", "ES256", "EdDSA", "Ed25519", ...); the header
///     `alg` of every token is this name (`EdDSA` and RFC 9864's `Ed25519` are pinned apart).
/// signing_key: a secret (str/bytes) for HS*; a PEM or JWK (dict or JSON text) otherwise; None to verify only.
/// verifying_key: a public PEM or JWK; None: the signing key (its public half) verifies.
/// keys: a key set, for rotation: a list of dicts {"kid": str, "algorithm": str (default:
///     `algorithm`), "signing_key": key, "verifying_key": key}, each with a unique kid and at
///     least one key. The first entry with a signing_key signs, and tokens carry its kid; a
///     token is verified by the entry its kid names, under that entry's algorithm (an unknown
///     kid raises UnknownKeyError). signing_key/verifying_key then verify only tokens without a
///     kid (under `algorithm`); when both are None such tokens raise UnknownKeyError.
///     Without keys, a kid in a token is ignored, as PyJWT does.
/// audience: a str or list of str; when set, `aud` is required and must match.
/// issuer: when set, `iss` is required and must match.
/// leeway: seconds (number or timedelta) of clock skew allowed for exp/nbf/iat; None is 0.
/// json_encoder: a json.JSONEncoder subclass whose `default` encodes other types.
/// max_token_bytes: longer tokens are refused before any parsing (32768 by default).
///
/// Raises InvalidKeyError (an unusable key, or one of the wrong type for the algorithm, or a
/// signing key and a verifying key that are not one pair; an entry's names its kid), InvalidSettingError (a negative leeway; a key set entry without a
/// kid or a key, a duplicate kid, an unknown member), ValueError (an unknown algorithm).
#[pyclass(frozen, module = "simplejwt_rs._core")]
pub struct Codec {
    core: codec::Codec,
    /// An instance of the configured JSONEncoder, for its `default`.
    encoder: Option<Py<PyAny>>,
}

#[pymethods]
impl Codec {
    #[new]
    #[pyo3(signature = (algorithm, signing_key, verifying_key=None, *, keys=None, audience=None, issuer=None, leeway=None, json_encoder=None, max_token_bytes=DEFAULT_MAX_TOKEN_BYTES))]
    // The default is a Rust constant, which pyo3 would show as `...`; the literal is checked by a test.
    #[pyo3(
        text_signature = "(algorithm, signing_key, verifying_key=None, *, keys=None, audience=None, issuer=None, leeway=None, json_encoder=None, max_token_bytes=32768)"
    )]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        algorithm: &str,
        signing_key: Option<&Bound<'_, PyAny>>,
        verifying_key: Option<&Bound<'_, PyAny>>,
        keys: Option<&Bound<'_, PyAny>>,
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
        let signing_key = key_material(signing_key)?;
        let verifying_key = key_material(verifying_key)?;
        let entries = key_set(keys)?;
        let specs = entries
            .iter()
            .map(|entry| KeySpec {
                kid: entry.kid.clone(),
                algorithm: entry.algorithm,
                signing_key: entry.signing_key.as_ref().map(KeyMaterial::input),
                verifying_key: entry.verifying_key.as_ref().map(KeyMaterial::input),
            })
            .collect();
        let core = codec::Codec::new(
            algorithm,
            signing_key.as_ref().map(KeyMaterial::input),
            verifying_key.as_ref().map(KeyMaterial::input),
            specs,
            validation,
            max_token_bytes,
        )?;
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

    /// The kid the tokens we sign carry (the signing entry of the key set), or None.
    #[getter]
    fn kid(&self) -> Option<&str> {
        self.core.signer().and_then(codec::Signer::kid)
    }

    /// The kids of the key set, in order (empty without one).
    #[getter]
    fn kids(&self) -> Vec<&str> {
        self.core.kids().collect()
    }

    /// The public JWK set of the key set: {"keys": [...]}, one JWK (kty, kid, use "sig", alg
    /// and the public members) per RSA, EC or EdDSA entry. Never a private member; HMAC
    /// entries and keys without a kid are never published.
    fn jwks<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let set = serde_json::json!({ "keys": self.core.public_jwks() });
        parse_json_object(py, set.to_string().as_bytes(), "JWK set")
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

    /// Sign `payload` (a dict) into a compact JWS; returns the token (str).
    ///
    /// headers: extra header members (dict), as PyJWT's `headers=`; `alg` is always the codec's.
    /// `datetime` values of exp/iat/nbf become epoch seconds; other types go through the
    /// json_encoder's `default`, or raise TypeError. Raises InvalidKeyError if the codec has
    /// no signing key, ValueError for NaN or infinite numbers and for a claim nesting arrays/objects
    /// more than 200 deep (decode refuses the same depth).
    #[pyo3(signature = (payload, headers=None))]
    fn encode<'py>(
        &self,
        py: Python<'py>,
        payload: &Bound<'py, PyAny>,
        headers: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyString>> {
        let payload = convert::payload(payload)?;
        json_out::with_spares(|spares| {
            let token = self.encode_in(py, &payload, headers, spares)?;
            let token_str = convert::token_str(py, &token);
            spares.token = token.into_bytes();
            token_str
        })
    }

    /// Verify `token` (str or bytes) and return its claims (dict).
    ///
    /// verify: False skips the signature and every claim check (inspection only).
    /// token_type: when set, the claim `token_type_claim` must hold it.
    /// jti_claim: when set, that claim is required (a string).
    /// require_exp: `exp` is required.
    /// now: the time to check against (epoch seconds); None is the current time.
    /// Raises a JWTError subclass: InvalidTokenError, InvalidSignatureError, InvalidAlgorithmError,
    /// ExpiredTokenError, ImmatureTokenError, InvalidAudienceError, InvalidIssuerError,
    /// InvalidClaimError, MissingClaimError, WrongTokenTypeError.
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
    ///
    /// The per-request path then parses no keyword arguments. The arguments mean what
    /// they mean for `decode`; the Decoder returns the claims dict and raises the same errors.
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

    /// Verify a refresh token, ask the callback `is_user_active(claims)`, mint the access token (and its successor).
    ///
    /// Returns a dict: `access` and `access_claims`; `refresh` and `refresh_claims` (None
    /// unless `rotate`); `claims` (the presented token's).
    /// is_user_active: called once, after the token verified, with a copy of its claims; a
    ///     Mapping admits and (with rotate) sets its items on the successor; otherwise truthy
    ///     admits and falsy raises UserInactiveError; an exception propagates.
    /// access_lifetime / refresh_lifetime: seconds or timedelta, positive.
    /// rotate: also mint a successor refresh token (needs refresh_lifetime).
    /// token_type_claim, jti_claim, access_token_type, refresh_token_type: simplejwt's claim names.
    /// now: epoch seconds; None is the current time.
    /// Raises the JWTError subclasses of `decode`, UserInactiveError, or InvalidSettingError;
    /// InvalidKeyError, before verifying or calling back, when the codec has no signing key.
    #[pyo3(signature = (token, is_user_active, *, access_lifetime, refresh_lifetime=None, rotate=false, token_type_claim="token_type", jti_claim="jti", access_token_type="access", refresh_token_type="refresh", now=None))]
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
        now: Option<f64>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let call = refresh::Call {
            callback: is_user_active,
            access_lifetime,
            refresh_lifetime,
            rotate,
            token_type_claim,
            jti_claim,
            access_token_type,
            refresh_token_type,
            now,
        };
        let presented = Presented {
            codec: self,
            py,
            token,
        };
        refresh::run(&presented, py, call)
    }
}

/// The token presented to `Codec.refresh`, decoded and re-encoded through
/// this class (so payloads become `dict`s directly, and the JSON encoder applies).
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

/// `Codec.decode` with its requirements bound (see `Codec.decoder`).
///
/// decoder(token, now=None) decodes `token` with those requirements and returns the claims
/// dict; `now` and the errors raised are as for `Codec.decode`.
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

impl Codec {
    /// Whether the codec has a signing key (for `refresh`, in a sibling module).
    pub(super) fn can_mint(&self) -> bool {
        self.core.can_sign()
    }

    pub(super) fn encode_dict(
        &self,
        py: Python<'_>,
        payload: &Bound<'_, PyDict>,
        headers: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<String> {
        json_out::with_spares(|spares| self.encode_in(py, payload, headers, spares))
    }

    /// The token for `payload`, built in the spare buffers.
    fn encode_in(
        &self,
        py: Python<'_>,
        payload: &Bound<'_, PyDict>,
        headers: Option<&Bound<'_, PyDict>>,
        spares: &mut Spares,
    ) -> PyResult<String> {
        if !self.core.can_sign() {
            return Err(Error::InvalidKey("this codec has no signing key".into()).into());
        }
        let encoder = self.encoder.as_ref().map(|e| e.bind(py));
        let header_json = match headers {
            Some(headers) => Some(self.header_json(py, headers, encoder)?),
            None => None,
        };
        let mut writer = JsonWriter::reusing(encoder, spares);
        writer.write_claims(payload)?;
        let json = writer.into_output();
        let signing_input =
            self.core
                .signing_input_in(header_json.as_deref(), &json, std::mem::take(&mut spares.token));
        spares.keep_json(json);
        if self.core.signer().is_some_and(|s| is_slow_crypto(s.algorithm())) {
            Ok(py.detach(|| self.core.sign(signing_input))?)
        } else {
            Ok(self.core.sign(signing_input)?)
        }
    }

    /// PyJWT's header: `{"typ": "JWT", "alg": ...}` updated with `headers`,
    /// `typ` dropped when falsy, keys sorted; checked by `jws::check_outgoing`.
    fn header_json(
        &self,
        py: Python<'_>,
        headers: &Bound<'_, PyDict>,
        encoder: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<u8>> {
        let (algorithm, kid) = match self.core.signer() {
            Some(signer) => (signer.algorithm(), signer.kid()),
            None => (self.core.algorithm, None),
        };
        let header = PyDict::new(py);
        header.set_item("typ", "JWT")?;
        header.set_item("alg", algorithm.name())?;
        if let Some(kid) = kid {
            header.set_item("kid", kid)?;
        }
        header.update(headers.as_mapping())?;
        const RULED: [&str; 4] = ["alg", "kid", "crit", "b64"];
        let found = RULED.map(|name| header.get_item(name));
        let mut params = [Param::Absent; 4];
        for (param, value) in params.iter_mut().zip(&found) {
            *param = match value {
                Ok(None) => Param::Absent,
                Ok(Some(value)) => match value.cast::<PyString>().map(|s| s.to_str()) {
                    Ok(Ok(text)) => Param::Str(text),
                    _ => Param::Other,
                },
                Err(_) => Param::Other,
            };
        }
        jws::check_outgoing(algorithm, kid, |name| {
            RULED
                .iter()
                .position(|r| *r == name)
                .map_or(Param::Absent, |i| params[i])
        })?;
        if !header.get_item("typ")?.map_or(Ok(false), |t| t.is_truthy())? {
            header.del_item("typ")?;
        }
        let mut writer = JsonWriter::new(encoder);
        writer.write_sorted(&header)?;
        Ok(writer.out)
    }

    pub(super) fn decode_dict<'py>(
        &self,
        py: Python<'py>,
        token: &Bound<'py, PyAny>,
        verify: bool,
        requirements: &Requirements,
        now: Option<f64>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let bytes = token_bytes(token)?;
        let mut scratch = codec::Scratch::default();
        let opened = self.core.open(bytes, verify, &mut scratch)?;
        if let Some(verifier) = opened.verifier {
            if is_slow_crypto(verifier.algorithm) {
                py.detach(|| self.core.verify(&opened))?;
            } else {
                self.core.verify(&opened)?;
            }
        }
        let mut captured = payload_json::Captured::new(requirements);
        let claims = payload_json::parse(py, opened.payload, &mut captured)?;
        if verify {
            let now = now.unwrap_or_else(codec::now);
            claims::validate(&captured, &self.core.validation, requirements, now)?;
        }
        Ok(claims)
    }
}

/// An entry of `keys`, converted.
struct KeyEntry {
    kid: String,
    algorithm: Option<Algorithm>,
    signing_key: Option<KeyMaterial>,
    verifying_key: Option<KeyMaterial>,
}

/// `keys`: None, or a list (any non-text sequence) of mappings with the members `KeySpec` has.
fn key_set(keys: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<KeyEntry>> {
    let Some(keys) = keys.filter(|k| !k.is_none()) else {
        return Ok(Vec::new());
    };
    let not_a_list =
        || invalid_setting("keys must be a list of dicts (kid, algorithm, signing_key, verifying_key)");
    if keys.is_instance_of::<PyString>()
        || keys.is_instance_of::<pyo3::types::PyBytes>()
        || mapping(keys)?.is_some()
    {
        return Err(not_a_list().into());
    }
    let mut entries = Vec::new();
    for item in keys.try_iter().map_err(|_| not_a_list())? {
        let item = item?;
        let entry = mapping(&item)?.ok_or_else(not_a_list)?;
        let mut kid = None;
        let mut converted = KeyEntry {
            kid: String::new(),
            algorithm: None,
            signing_key: None,
            verifying_key: None,
        };
        for (name, value) in entry.iter() {
            match name.extract::<&str>().unwrap_or("") {
                "kid" => {
                    kid = Some(
                        value
                            .extract::<String>()
                            .map_err(|_| invalid_setting("a key set entry's kid must be a str"))?,
                    )
                }
                "algorithm" if value.is_none() => {}
                "algorithm" => {
                    let name = value
                        .extract::<&str>()
                        .map_err(|_| invalid_setting("a key set entry's algorithm must be a str"))?;
                    converted.algorithm = Some(name.parse()?);
                }
                "signing_key" => converted.signing_key = key_material(Some(&value))?,
                "verifying_key" => converted.verifying_key = key_material(Some(&value))?,
                _ => {
                    return Err(invalid_setting(format!(
                        "a key set entry has the unknown member {}; it may have kid, algorithm, \
                         signing_key and verifying_key",
                        name.repr()?
                    ))
                    .into());
                }
            }
        }
        converted.kid = kid.ok_or_else(|| invalid_setting("a key set entry needs a kid"))?;
        entries.push(converted);
    }
    Ok(entries)
}

/// The header of a token, unverified (to pick a key by `kid`, say).
#[pyfunction]
pub fn decode_header<'py>(py: Python<'py>, token: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
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
pub fn py_new_jti() -> String {
    crate::refresh::new_jti()
}
