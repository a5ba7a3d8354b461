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

/// A parameter of a header we are asked to write, as the rules see it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Param<'a> {
    Absent,
    Str(&'a str),
    /// Present and not a string.
    Other,
}

/// The rules for a header a caller asks us to write (PyJWT's `encode(...,
/// headers=...)`): `alg` must stay the configured algorithm, `kid` must be a
/// string (PyJWT: "Key ID header parameter must be a string"), and nothing
/// `check_header` would refuse on the way back in (`crit`, `b64`) may be
/// written. `param` looks a name up in the merged header.
pub fn check_outgoing<'a>(alg: Algorithm, param: impl Fn(&str) -> Param<'a>) -> Result<()> {
    match param("alg") {
        Param::Str(name) if name == alg.name() => {}
        Param::Str(name) => return Err(Error::WrongAlgorithm(name.to_owned())),
        Param::Other | Param::Absent => return Err(Error::WrongAlgorithm(String::new())),
    }
    if param("kid") == Param::Other {
        return Err(malformed("Key ID header parameter must be a string"));
    }
    if param("crit") != Param::Absent {
        return Err(malformed("the \"crit\" header is not supported"));
    }
    if param("b64") != Param::Absent {
        return Err(malformed("unencoded payloads (\"b64\") are not supported"));
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

    fn outgoing(params: &[(&str, Param<'static>)]) -> Result<()> {
        check_outgoing(Algorithm::HS256, |name| {
            params
                .iter()
                .find(|(n, _)| *n == name)
                .map_or(Param::Absent, |(_, p)| *p)
        })
    }

    #[test]
    fn outgoing_headers_keep_alg_and_refuse_what_decoding_refuses() {
        let alg = ("alg", Param::Str("HS256"));
        assert_eq!(outgoing(&[alg, ("kid", Param::Str("k"))]), Ok(()));
        assert_eq!(
            outgoing(&[("alg", Param::Str("HS512"))]),
            Err(Error::WrongAlgorithm("HS512".into()))
        );
        for bad in [
            [alg, ("kid", Param::Other)],
            [alg, ("crit", Param::Other)],
            [alg, ("b64", Param::Other)],
        ] {
            assert!(matches!(outgoing(&bad), Err(Error::Malformed(_))));
        }
    }

    #[test]
    fn unverified_decode_skips_alg_but_not_shape() {
        check_header(br#"{"alg":"none"}"#, Algorithm::HS256, false).unwrap();
        assert!(check_header(b"[]", Algorithm::HS256, false).is_err());
    }
}
