//! Refresh: verify a refresh token, ask the caller whether its user may still
//! have tokens, then mint the access token (and, when rotating, the next
//! refresh token). The Python edge runs the same steps on a `dict`, using the
//! rules defined here.

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use serde_json::{Map, Value};

use crate::claims::Requirements;
use crate::codec::Codec;
use crate::error::{Error, Result, malformed};

pub struct RefreshOptions<'a> {
    /// Seconds.
    pub access_lifetime: f64,
    /// Seconds; `Some` rotates the refresh token.
    pub refresh_lifetime: Option<f64>,
    /// `None` (simplejwt's `TOKEN_TYPE_CLAIM = None`): tokens carry no type.
    pub token_type_claim: Option<&'a str>,
    /// `None` (simplejwt's `JTI_CLAIM = None`): tokens carry no id.
    pub jti_claim: Option<&'a str>,
    pub access_token_type: &'a str,
    pub refresh_token_type: &'a str,
}

impl RefreshOptions<'_> {
    /// A refresh token must be of the refresh type and carry `exp` and a jti.
    pub fn requirements(&self) -> Requirements<'_> {
        Requirements {
            require_exp: true,
            token_type: self
                .token_type_claim
                .map(|claim| (claim, self.refresh_token_type)),
            jti_claim: self.jti_claim,
        }
    }

    /// Claims the access token inherits from the refresh token: all but the
    /// ones it sets afresh.
    pub fn is_inherited(&self, claim: &str) -> bool {
        !(Some(claim) == self.token_type_claim
            || Some(claim) == self.jti_claim
            || matches!(claim, "exp" | "iat" | "jti"))
    }

    pub fn check_lifetimes(&self) -> Result<()> {
        let ok = |s: f64| s.is_finite() && s > 0.0;
        if !ok(self.access_lifetime) || !self.refresh_lifetime.is_none_or(ok) {
            return Err(malformed("token lifetimes must be positive and finite"));
        }
        Ok(())
    }
}

/// `floor(now + lifetime)`, as simplejwt's `datetime_to_epoch(now + lifetime)`.
pub fn epoch_after(now: f64, lifetime: f64) -> i64 {
    (now + lifetime).floor() as i64
}

/// A random (version 4) UUID as 32 lowercase hex digits, like `uuid4().hex`.
pub fn new_jti() -> String {
    let mut bytes = [0u8; 16];
    // The system RNG failing is not something a caller can recover from;
    // an all-zero jti would be worse than a clear error, so fall back to time.
    if SystemRandom::new().fill(&mut bytes).is_err() {
        let nanos = crate::codec::now().to_bits().to_le_bytes();
        bytes[..8].copy_from_slice(&nanos);
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let mut out = String::with_capacity(32);
    for b in bytes {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 0x0f)] as char);
    }
    out
}

pub struct Refreshed {
    pub access: String,
    pub access_claims: Map<String, Value>,
    pub refresh: Option<String>,
    pub refresh_claims: Option<Map<String, Value>>,
    pub claims: Map<String, Value>,
}

/// The pure-Rust refresh (the extension runs the same steps on Python objects).
pub fn refresh(
    codec: &Codec,
    token: &[u8],
    is_user_active: impl FnOnce(&Map<String, Value>) -> Result<bool>,
    options: &RefreshOptions,
    now: f64,
) -> Result<Refreshed> {
    options.check_lifetimes()?;
    let claims = codec.decode(token, true, &options.requirements(), now)?;
    if !is_user_active(&claims)? {
        return Err(Error::UserInactive);
    }
    let mut access_claims = Map::new();
    if let Some(claim) = options.token_type_claim {
        access_claims.insert(claim.into(), options.access_token_type.into());
    }
    access_claims.insert("exp".into(), epoch_after(now, options.access_lifetime).into());
    access_claims.insert("iat".into(), epoch_after(now, 0.0).into());
    if let Some(claim) = options.jti_claim {
        access_claims.insert(claim.into(), new_jti().into());
    }
    for (name, value) in &claims {
        if options.is_inherited(name) {
            access_claims.insert(name.clone(), value.clone());
        }
    }
    let access = codec.encode(&access_claims)?;
    let (refresh, refresh_claims) = match options.refresh_lifetime {
        Some(lifetime) => {
            let mut rotated = claims.clone();
            rotated.insert("exp".into(), epoch_after(now, lifetime).into());
            rotated.insert("iat".into(), epoch_after(now, 0.0).into());
            if let Some(claim) = options.jti_claim {
                rotated.insert(claim.into(), new_jti().into());
            }
            (Some(codec.encode(&rotated)?), Some(rotated))
        }
        None => (None, None),
    };
    Ok(Refreshed {
        access,
        access_claims,
        refresh,
        refresh_claims,
        claims,
    })
}
