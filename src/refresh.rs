//! Refresh: verify a refresh token, ask the caller whether its user may still
//! have tokens, then mint the access token (and, when rotating, the next
//! refresh token). Written once, over [`ClaimSet`] and [`Mint`]: Rust callers
//! use `serde_json` maps, the Python edge uses `dict`s and only converts.

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use serde_json::{Map, Value};

use crate::claims::Requirements;
use crate::codec::Codec;
use crate::error::{Error, Result, invalid_key, invalid_setting};

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
            return Err(invalid_setting("token lifetimes must be positive and finite"));
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

/// What refresh needs from a claims set: a `serde_json` map in Rust, a
/// `dict` at the Python edge. Members keep their insertion order.
pub trait ClaimSet: Sized {
    type Error: From<Error>;
    /// A new, empty set (of the same kind).
    fn empty(&self) -> std::result::Result<Self, Self::Error>;
    /// A shallow copy.
    fn duplicate(&self) -> std::result::Result<Self, Self::Error>;
    fn set_str(&mut self, name: &str, value: &str) -> std::result::Result<(), Self::Error>;
    fn set_int(&mut self, name: &str, value: i64) -> std::result::Result<(), Self::Error>;
    /// Copies, in order, the members of `from` whose name `keep` accepts
    /// (a member whose name is not text is never inherited).
    fn inherit(&mut self, from: &Self, keep: impl Fn(&str) -> bool) -> std::result::Result<(), Self::Error>;
    /// Sets every member of `extra`, replacing what is there.
    fn update(&mut self, extra: &Self) -> std::result::Result<(), Self::Error>;
}

/// The presented refresh token and the codec that decodes it and mints the
/// new tokens.
pub trait Mint {
    type Claims: ClaimSet<Error = Self::Error>;
    type Error: From<Error>;
    /// Whether this mint has a signing key: a verify-only one (a JWK set's key) refreshes nothing.
    fn can_sign(&self) -> bool;
    /// Verifies and decodes the presented token under `requirements`.
    fn decode(&self, requirements: &Requirements, now: f64)
    -> std::result::Result<Self::Claims, Self::Error>;
    fn encode(&self, claims: &Self::Claims) -> std::result::Result<String, Self::Error>;
}

/// The caller's answer about the token's user, given the verified claims.
pub enum Verdict<C> {
    /// The user may no longer have tokens: [`Error::UserInactive`].
    Refuse,
    /// Go on. With rotation, the claims given are set on the successor
    /// refresh token after its fresh `exp`/`iat`/jti, so they may replace
    /// them (a family id, a jti the caller recorded). Ignored without rotation.
    Admit(Option<C>),
}

pub struct Refreshed<C> {
    pub access: String,
    pub access_claims: C,
    /// `Some` when rotating.
    pub refresh: Option<String>,
    pub refresh_claims: Option<C>,
    /// The presented token's claims.
    pub claims: C,
}

/// Refresh, once for every caller: check the settings, verify the refresh
/// token, ask `admit`, mint the access token (its type, `exp`, `iat` and jti,
/// then every other claim of the refresh token, in order, as simplejwt's
/// `RefreshToken.access_token` does), and, when rotating, the successor.
pub fn refresh<M: Mint>(
    mint: &M,
    options: &RefreshOptions,
    now: f64,
    admit: impl FnOnce(&M::Claims) -> std::result::Result<Verdict<M::Claims>, M::Error>,
) -> std::result::Result<Refreshed<M::Claims>, M::Error> {
    options.check_lifetimes()?;
    // Before the token is even verified, so that `admit` (which may consume it) never runs for a
    // refresh that cannot mint.
    if !mint.can_sign() {
        return Err(
            invalid_key("this codec has no signing key: it verifies only, and refreshes nothing").into(),
        );
    }
    let claims = mint.decode(&options.requirements(), now)?;
    let extra = match admit(&claims)? {
        Verdict::Refuse => return Err(Error::UserInactive.into()),
        Verdict::Admit(extra) => extra,
    };
    let mut access_claims = claims.empty()?;
    if let Some(claim) = options.token_type_claim {
        access_claims.set_str(claim, options.access_token_type)?;
    }
    access_claims.set_int("exp", epoch_after(now, options.access_lifetime))?;
    access_claims.set_int("iat", epoch_after(now, 0.0))?;
    if let Some(claim) = options.jti_claim {
        access_claims.set_str(claim, &new_jti())?;
    }
    access_claims.inherit(&claims, |name| options.is_inherited(name))?;
    let access = mint.encode(&access_claims)?;
    let (refresh, refresh_claims) = match options.refresh_lifetime {
        Some(lifetime) => {
            let mut successor = claims.duplicate()?;
            successor.set_int("exp", epoch_after(now, lifetime))?;
            successor.set_int("iat", epoch_after(now, 0.0))?;
            if let Some(claim) = options.jti_claim {
                successor.set_str(claim, &new_jti())?;
            }
            if let Some(extra) = &extra {
                successor.update(extra)?;
            }
            (Some(mint.encode(&successor)?), Some(successor))
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

// ---- the pure-Rust side: serde_json maps --------------------------------------------------

impl ClaimSet for Map<String, Value> {
    type Error = Error;

    fn empty(&self) -> Result<Self> {
        Ok(Map::new())
    }

    fn duplicate(&self) -> Result<Self> {
        Ok(self.clone())
    }

    fn set_str(&mut self, name: &str, value: &str) -> Result<()> {
        self.insert(name.to_owned(), value.into());
        Ok(())
    }

    fn set_int(&mut self, name: &str, value: i64) -> Result<()> {
        self.insert(name.to_owned(), value.into());
        Ok(())
    }

    fn inherit(&mut self, from: &Self, keep: impl Fn(&str) -> bool) -> Result<()> {
        for (name, value) in from {
            if keep(name) {
                self.insert(name.clone(), value.clone());
            }
        }
        Ok(())
    }

    fn update(&mut self, extra: &Self) -> Result<()> {
        for (name, value) in extra {
            self.insert(name.clone(), value.clone());
        }
        Ok(())
    }
}

/// A token presented to a [`Codec`] (the pure-Rust [`Mint`]).
pub struct Presented<'a> {
    pub codec: &'a Codec,
    pub token: &'a [u8],
}

impl Mint for Presented<'_> {
    type Claims = Map<String, Value>;
    type Error = Error;

    fn can_sign(&self) -> bool {
        self.codec.can_sign()
    }

    fn decode(&self, requirements: &Requirements, now: f64) -> Result<Self::Claims> {
        self.codec.decode(self.token, true, requirements, now)
    }

    fn encode(&self, claims: &Self::Claims) -> Result<String> {
        self.codec.encode(claims)
    }
}
