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
    pub algorithm: Algorithm,
    signer: Option<SigningKey>,
    verifier: VerifyingKey,
    pub validation: Validation,
    pub max_token_bytes: usize,
    /// base64url of PyJWT's default header: most tokens carry exactly this,
    /// so it is compared rather than parsed.
    default_header_b64: String,
}

/// A token split and checked up to (not including) the signature.
pub struct Opened<'a> {
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
            payload: [MaybeUninit::uninit(); 1024],
            signature: [MaybeUninit::uninit(); 132],
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
    pub fn new(
        algorithm: Algorithm,
        signing_key: Option<KeyInput>,
        verifying_key: Option<KeyInput>,
        validation: Validation,
        max_token_bytes: usize,
    ) -> Result<Self> {
        if !(validation.leeway.is_finite() && validation.leeway >= 0.0) {
            return Err(invalid_setting("leeway must be a finite number of seconds >= 0"));
        }
        let signer = signing_key
            .map(|key| keys::signing_key(algorithm, key))
            .transpose()?;
        let verifier = keys::verifying_key(algorithm, verifying_key, signer.as_ref())?;
        Ok(Codec {
            algorithm,
            signer,
            verifier,
            validation,
            max_token_bytes,
            default_header_b64: base64url::encode(jws::default_header(algorithm).as_bytes()),
        })
    }

    pub fn can_sign(&self) -> bool {
        self.signer.is_some()
    }

    /// Signing and verifying with RSA/EC/EdDSA is slow enough to be worth
    /// releasing the GIL for; HMAC is not.
    pub fn is_slow_crypto(&self) -> bool {
        !self.algorithm.is_symmetric()
    }

    /// `header.payload`, ready to sign: the cached default header unless `header_json` is given.
    pub fn signing_input(&self, header_json: Option<&[u8]>, payload_json: &[u8]) -> Vec<u8> {
        // Room for the signature too (HMAC and EC; RSA grows it once), so the token is built in place.
        let mut out = Vec::with_capacity(
            self.default_header_b64.len() + base64url::encoded_len(payload_json.len()) + 180,
        );
        match header_json {
            None => out.extend_from_slice(self.default_header_b64.as_bytes()),
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
        let signature = signer.sign(&signing_input)?;
        signing_input.push(b'.');
        base64url::encode_into(signature.as_ref(), &mut signing_input);
        // SAFETY: every byte was written by `base64url::encode_into` (the
        // base64url alphabet) or is a `.`: ASCII, so valid UTF-8. Checking it
        // again cost a visible share of an HS256 encode.
        Ok(unsafe { String::from_utf8_unchecked(signing_input) })
    }

    /// Splits the token and checks size, base64url and the header; the
    /// payload and signature are decoded into `scratch`.
    pub fn open<'a>(&self, token: &'a [u8], verify: bool, scratch: &'a mut Scratch) -> Result<Opened<'a>> {
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
        if header != self.default_header_b64.as_bytes() {
            let json =
                base64url::decode(header).ok_or_else(|| malformed("the header is not valid base64url"))?;
            jws::check_header(&json, self.algorithm, verify)?;
        }
        // Every segment is decoded before the signature is checked, so a
        // malformed token is reported as malformed whatever its signature.
        let Scratch {
            payload: payload_buf,
            signature: signature_buf,
            payload_heap,
            signature_heap,
        } = scratch;
        Ok(Opened {
            signing_input: &token[..header.len() + 1 + payload.len()],
            signature: b64_decode(signature, signature_buf, signature_heap, "signature")?,
            payload: b64_decode(payload, payload_buf, payload_heap, "payload")?,
        })
    }

    pub fn verify(&self, opened: &Opened) -> Result<()> {
        self.verifier.verify(opened.signing_input, opened.signature)
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
