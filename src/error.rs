//! One error type for the whole core. The Python edge converts it to the
//! matching class of `simplejwt_rs.exceptions` in exactly one place.

use std::fmt;

#[derive(Clone, Debug, PartialEq)]
pub enum Error {
    /// Not a well-formed compact JWS: segments, base64url, JSON, header shape.
    Malformed(String),
    /// Longer than the configured limit; refused before any parsing.
    TooLarge {
        len: usize,
        max: usize,
    },
    BadSignature,
    /// The header `alg` is not the configured algorithm.
    WrongAlgorithm(String),
    /// No configured key verifies the token: its `kid` names none (`Some`), or
    /// it has no `kid` and no key verifies such tokens (`None`).
    UnknownKey(Option<String>),
    /// An algorithm name we do not implement (configuration error).
    UnsupportedAlgorithm(String),
    /// A registered claim of the wrong JSON type.
    InvalidClaim(String),
    Expired,
    /// `nbf` or `iat` in the future; names the claim.
    Immature(&'static str),
    InvalidAudience(String),
    InvalidIssuer,
    MissingClaim(String),
    WrongTokenType,
    /// A key that cannot be parsed or does not fit the algorithm. Never holds key material.
    InvalidKey(String),
    UserInactive,
    /// A setting out of range (a negative leeway, a lifetime that is not
    /// positive): about configuration, never about a token.
    InvalidSetting(String),
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// The stable machine-readable code, shared with the Python exception classes.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Malformed(_) => "token_malformed",
            Error::TooLarge { .. } => "token_too_large",
            Error::BadSignature => "bad_signature",
            Error::UnknownKey(_) => "unknown_key",
            Error::WrongAlgorithm(_) | Error::UnsupportedAlgorithm(_) => "invalid_algorithm",
            Error::InvalidClaim(_) => "invalid_claim",
            Error::Expired => "token_expired",
            Error::Immature(_) => "token_not_yet_valid",
            Error::InvalidAudience(_) => "invalid_audience",
            Error::InvalidIssuer => "invalid_issuer",
            Error::MissingClaim(_) => "missing_claim",
            Error::WrongTokenType => "wrong_token_type",
            Error::InvalidKey(_) => "invalid_key",
            Error::UserInactive => "user_inactive",
            Error::InvalidSetting(_) => "invalid_setting",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Malformed(why) => write!(f, "Malformed token: {why}"),
            Error::TooLarge { len, max } => {
                write!(f, "Token is {len} bytes, more than the limit of {max}")
            }
            Error::BadSignature => f.write_str("Signature verification failed"),
            Error::WrongAlgorithm(alg) => {
                write!(f, "The specified alg value is not allowed: {alg:?}")
            }
            Error::UnknownKey(Some(kid)) => write!(f, "No key has the kid {kid:?}"),
            Error::UnknownKey(None) => {
                f.write_str("The token has no kid, and no key verifies tokens without one")
            }
            Error::UnsupportedAlgorithm(alg) => write!(f, "Unsupported algorithm: {alg:?}"),
            Error::InvalidClaim(why) => f.write_str(why),
            Error::Expired => f.write_str("Signature has expired"),
            Error::Immature(claim) => write!(f, "The token is not yet valid ({claim})"),
            Error::InvalidAudience(why) => f.write_str(why),
            Error::InvalidIssuer => f.write_str("Invalid issuer"),
            Error::MissingClaim(claim) => {
                write!(f, "Token is missing the \"{claim}\" claim")
            }
            Error::WrongTokenType => f.write_str("Token has wrong type"),
            Error::InvalidKey(why) => write!(f, "Invalid key: {why}"),
            Error::UserInactive => f.write_str("User is inactive or not allowed"),
            Error::InvalidSetting(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for Error {}

pub(crate) fn malformed(why: impl Into<String>) -> Error {
    Error::Malformed(why.into())
}

pub(crate) fn invalid_key(why: impl Into<String>) -> Error {
    Error::InvalidKey(why.into())
}

pub(crate) fn invalid_setting(why: impl Into<String>) -> Error {
    Error::InvalidSetting(why.into())
}
