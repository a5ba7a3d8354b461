//! The compact JWS: base64url, segments, signing input, sign and verify,
//! with prepared keys and validation settings fixed at construction.

use std::mem::MaybeUninit;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

use crate::algorithm::Algorithm;
use crate::base64url;
use crate::claims::{self, Requirements, Validation};
use crate::error::{Error, Result, invalid_key, invalid_setting, malformed};
use crate::jws;
use crate::keys::{self, KeyInput, SigningKey, VerifyingKey};

/// Large enough for any reasonable claims set, small enough that a hostile
/// multi-megabyte header costs nothing.
pub const DEFAULT_MAX_TOKEN_BYTES: usize = 32 * 1024;

pub fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

pub struct Codec {
    /// The configured algorithm: of the keys without a `kid`, and the default of key-set entries.
    pub algorithm: Algorithm,
    signer: Option<Signer>,
    /// Verifies tokens without a `kid` (and, without a key set, every token).
    unnamed: Option<Verifier>,
    /// The key set, selected by `kid`; empty without one.
    named: Vec<Named>,
    pub validation: Validation,
    pub max_token_bytes: usize,
    /// base64url of PyJWT's default header under `algorithm`: most tokens carry
    /// exactly this, so it is compared rather than parsed.
    default_header_b64: String,
}

pub struct Signer {
    algorithm: Algorithm,
    key: SigningKey,
    kid: Option<String>,
    /// base64url of the header every token we mint carries (with `kid` from a key set).
    header_b64: String,
}

pub struct Verifier {
    pub algorithm: Algorithm,
    key: VerifyingKey,
}

impl Signer {
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }
}

/// Signing and verifying with RSA/EC/EdDSA is slow enough to be worth
/// releasing the GIL for; HMAC is not.
pub fn is_slow_crypto(algorithm: Algorithm) -> bool {
    !algorithm.is_symmetric()
}

/// An entry of a key set, ready to verify.
struct Named {
    kid: String,
    verifier: Verifier,
    /// base64url of the header we would write for this key: compared, not parsed.
    header_b64: String,
}

/// An entry of a key set, as the caller gives it.
pub struct KeySpec<'a> {
    pub kid: String,
    /// `None`: the codec's algorithm.
    pub algorithm: Option<Algorithm>,
    pub signing_key: Option<KeyInput<'a>>,
    pub verifying_key: Option<KeyInput<'a>>,
}

/// A token split and checked up to (not including) the signature.
pub struct Opened<'a> {
    /// Who verifies the signature; `None` when opened without verifying.
    pub verifier: Option<&'a Verifier>,
    pub signing_input: &'a [u8],
    pub signature: &'a [u8],
    pub payload: &'a [u8],
}

/// Where `open` decodes the payload and signature: on the stack when they
/// fit (an HMAC, EC or EdDSA signature and any usual payload), else on the heap.
pub struct Scratch {
    payload: [MaybeUninit<u8>; 1024],
    signature: [MaybeUninit<u8>; 132],
    payload_heap: Vec<u8>,
    signature_heap: Vec<u8>,
}

impl Default for Scratch {
    fn default() -> Self {
        Scratch {
            // Inline consts: the repeated `MaybeUninit::uninit()` value compiled to a memset of both.
            payload: [const { MaybeUninit::uninit() }; 1024],
            signature: [const { MaybeUninit::uninit() }; 132],
            payload_heap: Vec::new(),
            signature_heap: Vec::new(),
        }
    }
}

fn b64_decode<'s>(
    segment: &[u8],
    inline: &'s mut [MaybeUninit<u8>],
    heap: &'s mut Vec<u8>,
    what: &str,
) -> Result<&'s [u8]> {
    let invalid = || malformed(format!("the {what} is not valid base64url"));
    let len = base64url::decoded_len(segment).ok_or_else(invalid)?;
    if len <= inline.len() {
        return base64url::decode_into(segment, inline).ok_or_else(invalid);
    }
    *heap = base64url::decode(segment).ok_or_else(invalid)?;
    Ok(heap)
}

impl Codec {
    /// Without `keys`, `signing_key` signs and `verifying_key` (else the signing
    /// key's public half) verifies every token, whatever its `kid`, as PyJWT does.
    ///
    /// With `keys`, the first entry with a signing key signs and writes its
    /// `kid`; a token with a `kid` is verified by the entry of that `kid` under
    /// the entry's algorithm; `signing_key`/`verifying_key`, when given, verify
    /// only tokens without a `kid` (minted before the key set), under `algorithm`.
    pub fn new(
        algorithm: Algorithm,
        signing_key: Option<KeyInput>,
        verifying_key: Option<KeyInput>,
        keys: Vec<KeySpec>,
        validation: Validation,
        max_token_bytes: usize,
    ) -> Result<Self> {
        if !(validation.leeway.is_finite() && validation.leeway >= 0.0) {
            return Err(invalid_setting("leeway must be a finite number of seconds >= 0"));
        }
        let default_header_b64 = base64url::encode(jws::default_header(algorithm, None).as_bytes());
        let signing_key = signing_key
            .map(|key| keys::signing_key(algorithm, key))
            .transpose()?;
        let unnamed = match (keys.is_empty(), verifying_key, &signing_key) {
            (false, None, None) => None,
            (_, verifying_key, signing_key) => {
                let given = verifying_key.is_some();
                let key = keys::verifying_key(algorithm, verifying_key, signing_key.as_ref())?;
                if let (true, Some(signing_key)) = (given, signing_key) {
                    keys::check_pair(signing_key, &key)?;
                }
                Some(Verifier { algorithm, key })
            }
        };
        let mut signer = if keys.is_empty() {
            signing_key.map(|key| Signer {
                algorithm,
                key,
                kid: None,
                header_b64: default_header_b64.clone(),
            })
        } else {
            None
        };
        let mut named: Vec<Named> = Vec::with_capacity(keys.len());
        for spec in keys {
            let kid = spec.kid;
            if kid.is_empty() {
                return Err(invalid_setting("a key set entry needs a non-empty kid"));
            }
            if named.iter().any(|n| n.kid == kid) {
                return Err(invalid_setting(format!(
                    "two key set entries have the kid {kid:?}"
                )));
            }
            if spec.signing_key.is_none() && spec.verifying_key.is_none() {
                return Err(invalid_setting(format!(
                    "the key set entry {kid:?} has neither a signing_key nor a verifying_key"
                )));
            }
            let alg = spec.algorithm.unwrap_or(algorithm);
            let named_error = |err: Error| match err {
                Error::InvalidKey(why) => invalid_key(format!("key set entry {kid:?}: {why}")),
                other => other,
            };
            let signing_key = spec
                .signing_key
                .map(|key| keys::signing_key(alg, key))
                .transpose()
                .map_err(named_error)?;
            let given = spec.verifying_key.is_some();
            let verifier = Verifier {
                algorithm: alg,
                key: keys::verifying_key(alg, spec.verifying_key, signing_key.as_ref())
                    .map_err(named_error)?,
            };
            if let (true, Some(signing_key)) = (given, &signing_key) {
                keys::check_pair(signing_key, &verifier.key).map_err(named_error)?;
            }
            let header_b64 = base64url::encode(jws::default_header(alg, Some(&kid)).as_bytes());
            if let (None, Some(key)) = (&signer, signing_key) {
                signer = Some(Signer {
                    algorithm: alg,
                    key,
                    kid: Some(kid.clone()),
                    header_b64: header_b64.clone(),
                });
            }
            named.push(Named {
                kid,
                verifier,
                header_b64,
            });
        }
        Ok(Codec {
            algorithm,
            signer,
            unnamed,
            named,
            validation,
            max_token_bytes,
            default_header_b64,
        })
    }

    pub fn can_sign(&self) -> bool {
        self.signer.is_some()
    }

    pub fn signer(&self) -> Option<&Signer> {
        self.signer.as_ref()
    }

    /// The kids of the key set, in order.
    pub fn kids(&self) -> impl Iterator<Item = &str> {
        self.named.iter().map(|n| n.kid.as_str())
    }

    /// The public JWK of every asymmetric entry of the key set (RFC 7517 §5's `keys`).
    pub fn public_jwks(&self) -> Vec<Map<String, Value>> {
        self.named
            .iter()
            .filter_map(|n| n.verifier.key.public_jwk(n.verifier.algorithm, &n.kid))
            .collect()
    }

    /// The key that verifies a token of this header (`alg` and `kid`).
    fn select(&self, header: &jws::Header) -> Result<&Verifier> {
        let verifier = match (&header.kid, self.named.is_empty()) {
            (Some(kid), false) => {
                &self
                    .named
                    .iter()
                    .find(|n| &n.kid == kid)
                    .ok_or_else(|| Error::UnknownKey(Some(kid.clone())))?
                    .verifier
            }
            // No kid, or no key set (a kid then means nothing, as for PyJWT).
            _ => {
                jws::check_alg(header.alg.as_ref(), self.algorithm)?;
                return self.unnamed.as_ref().ok_or(Error::UnknownKey(None));
            }
        };
        jws::check_alg(header.alg.as_ref(), verifier.algorithm)?;
        Ok(verifier)
    }

    /// `header.payload`, ready to sign: the cached default header unless `header_json` is given.
    pub fn signing_input(&self, header_json: Option<&[u8]>, payload_json: &[u8]) -> Vec<u8> {
        self.signing_input_in(header_json, payload_json, Vec::new())
    }

    /// `signing_input`, written in `out` (emptied first): a caller may reuse a buffer.
    pub fn signing_input_in(
        &self,
        header_json: Option<&[u8]>,
        payload_json: &[u8],
        mut out: Vec<u8>,
    ) -> Vec<u8> {
        // Room for the signature too (HMAC and EC; RSA grows it once), so the token is built in place.
        let header_b64 = self
            .signer
            .as_ref()
            .map_or(&self.default_header_b64, |s| &s.header_b64);
        out.clear();
        out.reserve(header_b64.len() + base64url::encoded_len(payload_json.len()) + 180);
        match header_json {
            None => out.extend_from_slice(header_b64.as_bytes()),
            Some(header) => base64url::encode_into(header, &mut out),
        }
        out.push(b'.');
        base64url::encode_into(payload_json, &mut out);
        out
    }

    /// Appends `.signature` to a signing input: the compact token.
    pub fn sign(&self, mut signing_input: Vec<u8>) -> Result<String> {
        let signer = self
            .signer
            .as_ref()
            .ok_or_else(|| invalid_key("this codec has no signing key"))?;
        let signature = signer.key.sign(&signing_input)?;
        signing_input.push(b'.');
        base64url::encode_into(signature.as_ref(), &mut signing_input);
        // SAFETY: every byte was written by `base64url::encode_into` (the
        // base64url alphabet) or is a `.`: ASCII, so valid UTF-8. Checking it
        // again cost a visible share of an HS256 encode.
        Ok(unsafe { String::from_utf8_unchecked(signing_input) })
    }

    /// Splits the token, checks size, base64url and the header, and (with
    /// `verify`) picks the key that verifies it; the payload and signature are
    /// decoded into `scratch`.
    pub fn open<'a>(&'a self, token: &'a [u8], verify: bool, scratch: &'a mut Scratch) -> Result<Opened<'a>> {
        if token.len() > self.max_token_bytes {
            return Err(Error::TooLarge {
                len: token.len(),
                max: self.max_token_bytes,
            });
        }
        // memchr: the byte-at-a-time split was a visible share of a decode.
        let mut dots = memchr::memchr_iter(b'.', token);
        let (Some(first), Some(second), None) = (dots.next(), dots.next(), dots.next()) else {
            return Err(malformed("a JWT has three dot-separated segments"));
        };
        let (header, payload, signature) = (&token[..first], &token[first + 1..second], &token[second + 1..]);
        let signing_input = &token[..second];
        // The headers we write are compared, not parsed: the default one, then the key set's.
        enum Found<'k> {
            Unnamed,
            Named(&'k Verifier),
            Parsed(jws::Header),
        }
        let found = if header == self.default_header_b64.as_bytes() {
            Found::Unnamed
        } else if let Some(named) = self.named.iter().find(|n| n.header_b64.as_bytes() == header) {
            Found::Named(&named.verifier)
        } else {
            let json =
                base64url::decode(header).ok_or_else(|| malformed("the header is not valid base64url"))?;
            Found::Parsed(jws::check_header(&json)?)
        };
        // Every segment is decoded before the key is chosen and the signature
        // checked, so a malformed token is reported as malformed whatever its
        // kid or signature.
        let Scratch {
            payload: payload_buf,
            signature: signature_buf,
            payload_heap,
            signature_heap,
        } = scratch;
        let signature = b64_decode(signature, signature_buf, signature_heap, "signature")?;
        let payload = b64_decode(payload, payload_buf, payload_heap, "payload")?;
        let verifier = match (verify, found) {
            (false, _) => None,
            (true, Found::Unnamed) => Some(self.unnamed.as_ref().ok_or(Error::UnknownKey(None))?),
            (true, Found::Named(verifier)) => Some(verifier),
            (true, Found::Parsed(parsed)) => Some(self.select(&parsed)?),
        };
        Ok(Opened {
            verifier,
            signing_input,
            signature,
            payload,
        })
    }

    pub fn verify(&self, opened: &Opened) -> Result<()> {
        match opened.verifier {
            Some(verifier) => verifier.key.verify(opened.signing_input, opened.signature),
            None => Err(invalid_setting("the token was opened without verifying")),
        }
    }

    // ---- the pure-Rust API over serde_json (tests, fuzzing, Rust callers) ----

    pub fn encode(&self, claims: &Map<String, Value>) -> Result<String> {
        let json = serde_json::to_vec(claims).map_err(|e| malformed(e.to_string()))?;
        self.sign(self.signing_input(None, &json))
    }

    pub fn decode(
        &self,
        token: &[u8],
        verify: bool,
        requirements: &Requirements,
        now: f64,
    ) -> Result<Map<String, Value>> {
        let mut scratch = Scratch::default();
        let opened = self.open(token, verify, &mut scratch)?;
        if verify {
            self.verify(&opened)?;
        }
        let claims = match serde_json::from_slice(opened.payload) {
            Ok(Value::Object(map)) => map,
            Ok(_) => return Err(malformed("the payload must be a JSON object")),
            Err(_) => return Err(malformed("invalid payload JSON")),
        };
        if verify {
            claims::validate(&claims, &self.validation, requirements, now)?;
        }
        Ok(claims)
    }
}
