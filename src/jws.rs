//! The JOSE header: what we write and what we accept.

use serde_json::Value;

use crate::algorithm::Algorithm;
use crate::error::{Error, Result, malformed};

/// PyJWT's default header, `json.dumps({"alg": ..., "typ": "JWT"}, sort_keys=True)`.
pub fn default_header(alg: Algorithm) -> String {
    format!(r#"{{"alg":"{}","typ":"JWT"}}"#, alg.name())
}

/// Checks a decoded header. With `verify`, `alg` must be the configured algorithm.
///
/// Refused whatever `verify` says: a header that is not a JSON object, `crit`
/// (we implement no extensions, so RFC 7515 §4.1.11 says reject), unencoded
/// payloads (`b64: false`, RFC 7797), and a non-string `kid`. `jku`, `x5u` and
/// `jwk` are never followed: keys come only from configuration.
pub fn check_header(json: &[u8], alg: Algorithm, verify: bool) -> Result<()> {
    let header: Value = serde_json::from_slice(json).map_err(|_| malformed("invalid header JSON"))?;
    let Value::Object(header) = header else {
        return Err(malformed("the header must be a JSON object"));
    };
    if header.contains_key("crit") {
        return Err(malformed("the \"crit\" header is not supported"));
    }
    if header.get("b64").is_some_and(|b64| b64 != &Value::Bool(true)) {
        return Err(malformed("unencoded payloads (\"b64\": false) are not supported"));
    }
    if header.get("kid").is_some_and(|kid| !kid.is_string()) {
        return Err(malformed("the \"kid\" header must be a string"));
    }
    if verify {
        match header.get("alg") {
            Some(Value::String(name)) if name == alg.name() => {}
            Some(Value::String(name)) => return Err(Error::WrongAlgorithm(name.clone())),
            Some(_) => return Err(malformed("the \"alg\" header must be a string")),
            None => return Err(malformed("the header has no \"alg\"")),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_default_header() {
        let header = default_header(Algorithm::HS256);
        assert_eq!(header, r#"{"alg":"HS256","typ":"JWT"}"#);
        check_header(header.as_bytes(), Algorithm::HS256, true).unwrap();
    }

    #[test]
    fn refuses_none_other_algs_and_bad_shapes() {
        let check = |h: &str| check_header(h.as_bytes(), Algorithm::HS256, true);
        assert_eq!(
            check(r#"{"alg":"none"}"#),
            Err(Error::WrongAlgorithm("none".into()))
        );
        assert_eq!(
            check(r#"{"alg":"RS256"}"#),
            Err(Error::WrongAlgorithm("RS256".into()))
        );
        for bad in [
            r#"{"typ":"JWT"}"#,
            r#"{"alg":1}"#,
            r#"["alg"]"#,
            r#"{"alg":"HS256","crit":["exp"]}"#,
            r#"{"alg":"HS256","b64":false}"#,
            r#"{"alg":"HS256","kid":5}"#,
            "{",
        ] {
            assert!(matches!(check(bad), Err(Error::Malformed(_))), "{bad}");
        }
    }

    #[test]
    fn unverified_decode_skips_alg_but_not_shape() {
        check_header(br#"{"alg":"none"}"#, Algorithm::HS256, false).unwrap();
        assert!(check_header(b"[]", Algorithm::HS256, false).is_err());
    }
}
