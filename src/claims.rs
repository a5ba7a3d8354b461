//! Registered-claim rules, PyJWT's and simplejwt's, in one place.
//!
//! The rules read the few claims they need as [`RuleClaims`], which a
//! [`ClaimSource`] provides: a `serde_json` map looks them up by name (pure
//! Rust, tests, fuzzing); the Python edge fills them in while it parses the
//! payload into a `dict`, so it never builds an intermediate tree nor looks a
//! claim up twice.

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// `iss` or `aud` as the rules see them (the claims whose content is compared).
#[derive(Clone, Debug, Default, PartialEq)]
pub enum ClaimValue<'a> {
    #[default]
    Absent,
    Str(Cow<'a, str>),
    /// A JSON array whose members are all strings.
    StrList(Vec<String>),
    /// Anything else: a number, null, bool, object, mixed array.
    Other,
}

/// A time claim (`iat`, `nbf`, `exp`) as the rules see it.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Time {
    #[default]
    Absent,
    /// A JSON number (never a bool); huge integers saturate to ±infinity.
    Number(f64),
    /// Present but not a number.
    NotNumber,
}

/// A claim whose JSON type is all the rules read (`sub`, `jti`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Kind {
    #[default]
    Absent,
    Str,
    Other,
}

/// The token-type claim against the value required.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum TokenType {
    #[default]
    Absent,
    /// The required value.
    Expected,
    /// Another value, or not a string.
    Other,
}

/// Every claim the rules read, for one set of [`Requirements`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RuleClaims<'a> {
    pub iat: Time,
    pub nbf: Time,
    pub exp: Time,
    pub iss: ClaimValue<'a>,
    pub aud: ClaimValue<'a>,
    pub sub: Kind,
    pub jti: Kind,
    /// Whether the claim `Requirements::jti_claim` names is present.
    pub jti_claim: bool,
    /// The claim `Requirements::token_type` names.
    pub token_type: TokenType,
}

impl Time {
    /// A JSON number's value as the rules compare it (`NaN` is no number).
    pub fn number(n: f64) -> Time {
        if n.is_nan() {
            Time::NotNumber
        } else {
            Time::Number(n)
        }
    }
}

pub trait ClaimSource {
    /// The claims the rules read, the token-type and jti claims named by `requirements`.
    fn rule_claims(&self, requirements: &Requirements) -> Cow<'_, RuleClaims<'_>>;
}

impl ClaimSource for RuleClaims<'_> {
    fn rule_claims(&self, _: &Requirements) -> Cow<'_, RuleClaims<'_>> {
        Cow::Borrowed(self)
    }
}

impl ClaimSource for Map<String, Value> {
    fn rule_claims(&self, requirements: &Requirements) -> Cow<'_, RuleClaims<'_>> {
        let time = |name| match self.get(name) {
            None => Time::Absent,
            Some(Value::Number(n)) => n.as_f64().map_or(Time::NotNumber, Time::number),
            Some(_) => Time::NotNumber,
        };
        let kind = |name| match self.get(name) {
            None => Kind::Absent,
            Some(Value::String(_)) => Kind::Str,
            Some(_) => Kind::Other,
        };
        let compared = |name| match self.get(name) {
            None => ClaimValue::Absent,
            Some(Value::String(s)) => ClaimValue::Str(Cow::Borrowed(s.as_str())),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .map_or(ClaimValue::Other, ClaimValue::StrList),
            Some(_) => ClaimValue::Other,
        };
        Cow::Owned(RuleClaims {
            iat: time("iat"),
            nbf: time("nbf"),
            exp: time("exp"),
            iss: compared("iss"),
            aud: compared("aud"),
            sub: kind("sub"),
            jti: kind("jti"),
            jti_claim: requirements.jti_claim.is_some_and(|name| self.contains_key(name)),
            token_type: match requirements
                .token_type
                .map(|(name, expected)| (self.get(name), expected))
            {
                None | Some((None, _)) => TokenType::Absent,
                Some((Some(Value::String(s)), expected)) if s == expected => TokenType::Expected,
                Some(_) => TokenType::Other,
            },
        })
    }
}

/// Settings fixed when the codec is built.
#[derive(Clone, Debug, Default)]
pub struct Validation {
    /// When set, `aud` is required and must contain one of these.
    pub audience: Option<Vec<String>>,
    /// When set, `iss` is required and must equal it.
    pub issuer: Option<String>,
    /// Seconds of clock skew tolerated on `exp`, `nbf` and `iat`.
    pub leeway: f64,
}

/// What one decode call additionally demands (simplejwt's `Token.verify`).
#[derive(Clone, Debug, Default)]
pub struct Requirements<'a> {
    pub require_exp: bool,
    /// `(claim name, expected value)`, e.g. `("token_type", "access")`.
    pub token_type: Option<(&'a str, &'a str)>,
    pub jti_claim: Option<&'a str>,
}

/// A number claim as PyJWT's `int(payload[claim])` reads it: truncated; `None` when absent.
fn numeric(time: Time, name: &str) -> Result<Option<f64>> {
    match time {
        Time::Absent => Ok(None),
        Time::Number(n) => Ok(Some(n.trunc())),
        Time::NotNumber => Err(Error::InvalidClaim(format!(
            "The \"{name}\" claim must be a number"
        ))),
    }
}

/// Applies every rule, in PyJWT's order (iat, nbf, exp, iss, aud, sub, jti)
/// then simplejwt's (exp present, jti present, token type).
pub fn validate(
    source: &impl ClaimSource,
    validation: &Validation,
    requirements: &Requirements,
    now: f64,
) -> Result<()> {
    let claims = source.rule_claims(requirements);
    // PyJWT compares against whole seconds (`timegm(utcnow().utctimetuple())`).
    let now = now.floor();
    let leeway = validation.leeway;
    if let Some(iat) = numeric(claims.iat, "iat")?
        && iat > now + leeway
    {
        return Err(Error::Immature("iat"));
    }
    if let Some(nbf) = numeric(claims.nbf, "nbf")?
        && nbf > now + leeway
    {
        return Err(Error::Immature("nbf"));
    }
    let exp = numeric(claims.exp, "exp")?;
    if let Some(exp) = exp
        && exp <= now - leeway
    {
        return Err(Error::Expired);
    }
    if let Some(issuer) = &validation.issuer {
        match &claims.iss {
            ClaimValue::Absent => return Err(Error::MissingClaim("iss".into())),
            ClaimValue::Str(iss) if iss == issuer.as_str() => {}
            _ => return Err(Error::InvalidIssuer),
        }
    }
    if let Some(audience) = &validation.audience {
        let matched = match &claims.aud {
            ClaimValue::Absent => return Err(Error::MissingClaim("aud".into())),
            ClaimValue::Str(aud) => audience.iter().any(|a| a == aud),
            ClaimValue::StrList(list) if list.is_empty() => {
                return Err(Error::MissingClaim("aud".into()));
            }
            ClaimValue::StrList(list) => audience.iter().any(|a| list.contains(a)),
            ClaimValue::Other => {
                return Err(Error::InvalidAudience("Invalid claim format in token".into()));
            }
        };
        if !matched {
            return Err(Error::InvalidAudience("Audience doesn't match".into()));
        }
    }
    for (kind, name, what) in [(claims.sub, "sub", "Subject"), (claims.jti, "jti", "JWT ID")] {
        if kind == Kind::Other {
            return Err(Error::InvalidClaim(format!(
                "{what} (\"{name}\") must be a string"
            )));
        }
    }
    if requirements.require_exp && exp.is_none() {
        return Err(Error::MissingClaim("exp".into()));
    }
    if let Some(jti) = requirements.jti_claim
        && !claims.jti_claim
    {
        return Err(Error::MissingClaim(jti.into()));
    }
    if let Some((claim, _)) = requirements.token_type {
        match claims.token_type {
            TokenType::Absent => return Err(Error::MissingClaim(claim.into())),
            TokenType::Expected => {}
            TokenType::Other => return Err(Error::WrongTokenType),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: f64 = 1_700_000_000.5;

    fn check(claims: Value, validation: &Validation, req: &Requirements) -> Result<()> {
        validate(claims.as_object().unwrap(), validation, req, NOW)
    }

    fn plain(claims: Value) -> Result<()> {
        check(claims, &Validation::default(), &Requirements::default())
    }

    #[test]
    fn exp_boundary_is_pyjwts() {
        // expired when exp <= now - leeway, with now in whole seconds
        assert_eq!(plain(json!({"exp": 1_700_000_000})), Err(Error::Expired));
        assert_eq!(plain(json!({"exp": 1_700_000_001})), Ok(()));
        assert_eq!(plain(json!({"exp": 1_700_000_000.9})), Err(Error::Expired));
        let lenient = Validation {
            leeway: 5.0,
            ..Default::default()
        };
        assert_eq!(
            check(json!({"exp": 1_699_999_996}), &lenient, &Requirements::default()),
            Ok(())
        );
        assert_eq!(
            check(json!({"exp": 1_699_999_995}), &lenient, &Requirements::default()),
            Err(Error::Expired)
        );
    }

    #[test]
    fn nbf_and_iat_in_the_future() {
        assert_eq!(plain(json!({"nbf": 1_700_000_001})), Err(Error::Immature("nbf")));
        assert_eq!(plain(json!({"iat": 1_700_000_001})), Err(Error::Immature("iat")));
        assert_eq!(plain(json!({"nbf": 1_700_000_000, "iat": 1_700_000_000})), Ok(()));
    }

    #[test]
    fn time_claims_must_be_numbers() {
        for bad in [
            json!("1700000100"),
            json!(true),
            json!(null),
            json!([1]),
            json!({}),
        ] {
            for claim in ["exp", "nbf", "iat"] {
                let err = plain(json!({ claim: bad.clone() })).unwrap_err();
                assert!(matches!(err, Error::InvalidClaim(_)), "{claim}={bad}");
            }
        }
        // Huge numbers are numbers: far future or far past.
        assert_eq!(plain(json!({"exp": 1e300})), Ok(()));
        assert_eq!(plain(json!({"exp": -1e300})), Err(Error::Expired));
    }

    #[test]
    fn audience_only_when_configured() {
        assert_eq!(plain(json!({"aud": "anything"})), Ok(()));
        let v = Validation {
            audience: Some(vec!["api".into(), "web".into()]),
            ..Default::default()
        };
        let r = Requirements::default();
        assert_eq!(check(json!({}), &v, &r), Err(Error::MissingClaim("aud".into())));
        assert_eq!(check(json!({"aud": "web"}), &v, &r), Ok(()));
        assert_eq!(check(json!({"aud": ["x", "api"]}), &v, &r), Ok(()));
        assert!(matches!(
            check(json!({"aud": "x"}), &v, &r),
            Err(Error::InvalidAudience(_))
        ));
        assert!(matches!(
            check(json!({"aud": [1]}), &v, &r),
            Err(Error::InvalidAudience(_))
        ));
    }

    #[test]
    fn issuer_only_when_configured() {
        let v = Validation {
            issuer: Some("me".into()),
            ..Default::default()
        };
        let r = Requirements::default();
        assert_eq!(check(json!({}), &v, &r), Err(Error::MissingClaim("iss".into())));
        assert_eq!(check(json!({"iss": "you"}), &v, &r), Err(Error::InvalidIssuer));
        assert_eq!(check(json!({"iss": 1}), &v, &r), Err(Error::InvalidIssuer));
        assert_eq!(check(json!({"iss": "me"}), &v, &r), Ok(()));
    }

    #[test]
    fn simplejwt_requirements() {
        let r = Requirements {
            require_exp: true,
            token_type: Some(("token_type", "access")),
            jti_claim: Some("jti"),
        };
        let v = Validation::default();
        let good = json!({"token_type": "access", "exp": 1_800_000_000, "jti": "a"});
        assert_eq!(check(good, &v, &r), Ok(()));
        assert_eq!(
            check(json!({"token_type": "access", "jti": "a"}), &v, &r),
            Err(Error::MissingClaim("exp".into()))
        );
        assert_eq!(
            check(json!({"token_type": "access", "exp": 1_800_000_000}), &v, &r),
            Err(Error::MissingClaim("jti".into()))
        );
        assert_eq!(
            check(json!({"exp": 1_800_000_000, "jti": "a"}), &v, &r),
            Err(Error::MissingClaim("token_type".into()))
        );
        assert_eq!(
            check(
                json!({"token_type": "refresh", "exp": 1_800_000_000, "jti": "a"}),
                &v,
                &r
            ),
            Err(Error::WrongTokenType)
        );
        assert!(matches!(plain(json!({"jti": 5})), Err(Error::InvalidClaim(_))));
        assert!(matches!(plain(json!({"sub": 5})), Err(Error::InvalidClaim(_))));
    }
}
