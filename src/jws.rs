//! The JOSE header: what we write and what we accept.

use serde_json::Value;

use crate::algorithm::Algorithm;
use crate::error::{Error, Result, invalid_key, malformed};
use crate::json::write as json;

/// The header we write: PyJWT's, `json.dumps({"alg": ..., "kid": ..., "typ": "JWT"},
/// sort_keys=True)` (ASCII-only, as `json.dumps` escapes), `kid` only when given.
pub fn default_header(alg: Algorithm, kid: Option<&str>) -> String {
    let mut header = Vec::with_capacity(48);
    header.extend_from_slice(br#"{"alg":"#);
    json::write_str(&mut header, alg.name());
    if let Some(kid) = kid {
        header.extend_from_slice(br#","kid":"#);
        json::write_str(&mut header, kid);
    }
    header.extend_from_slice(br#","typ":"JWT"}"#);
    // `write_str` writes ASCII only, so this is the text unchanged.
    String::from_utf8_lossy(&header).into_owned()
}

/// What key selection needs from a header that passed `check_header`.
#[derive(Debug, PartialEq)]
pub struct Header {
    pub alg: Option<Value>,
    pub kid: Option<String>,
}

/// Checks a decoded header's shape and returns its `alg` and `kid`.
///
/// Refused: a header that is not a JSON object, `crit` (we implement no
/// extensions, so RFC 7515 §4.1.11 says reject), unencoded payloads (`b64:
/// false`, RFC 7797), and a non-string `kid`. `jku`, `x5u` and `jwk` are never
/// followed: keys come only from configuration.
pub fn check_header(json: &[u8]) -> Result<Header> {
    let header: Value = serde_json::from_slice(json).map_err(|_| malformed("invalid header JSON"))?;
    let Value::Object(mut header) = header else {
        return Err(malformed("the header must be a JSON object"));
    };
    if header.contains_key("crit") {
        return Err(malformed("the \"crit\" header is not supported"));
    }
    if header.get("b64").is_some_and(|b64| b64 != &Value::Bool(true)) {
        return Err(malformed("unencoded payloads (\"b64\": false) are not supported"));
    }
    let kid = match header.remove("kid") {
        None => None,
        Some(Value::String(kid)) => Some(kid),
        Some(_) => return Err(malformed("the \"kid\" header must be a string")),
    };
    Ok(Header {
        alg: header.remove("alg"),
        kid,
    })
}

/// When verifying, the header `alg` must be the algorithm of the key that verifies.
pub fn check_alg(alg: Option<&Value>, expected: Algorithm) -> Result<()> {
    match alg {
        Some(Value::String(name)) if name == expected.name() => Ok(()),
        Some(Value::String(name)) => Err(Error::WrongAlgorithm(name.clone())),
        Some(_) => Err(malformed("the \"alg\" header must be a string")),
        None => Err(malformed("the header has no \"alg\"")),
    }
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
/// string (PyJWT: "Key ID header parameter must be a string") and, when the
/// signing key has a `kid`, that one; nothing `check_header` would refuse on
/// the way back in (`crit`, `b64`) may be written. `param` looks a name up in
/// the merged header.
pub fn check_outgoing<'a>(
    alg: Algorithm,
    kid: Option<&str>,
    param: impl Fn(&str) -> Param<'a>,
) -> Result<()> {
    match param("alg") {
        Param::Str(name) if name == alg.name() => {}
        Param::Str(name) => return Err(Error::WrongAlgorithm(name.to_owned())),
        Param::Other | Param::Absent => return Err(Error::WrongAlgorithm(String::new())),
    }
    match (param("kid"), kid) {
        (Param::Other, _) => return Err(malformed("Key ID header parameter must be a string")),
        (Param::Str(given), Some(kid)) if given != kid => {
            return Err(invalid_key(
                "the kid is the signing key's; it cannot be set in headers",
            ));
        }
        _ => {}
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

    fn verified(json: &str, alg: Algorithm) -> Result<Header> {
        let header = check_header(json.as_bytes())?;
        check_alg(header.alg.as_ref(), alg)?;
        Ok(header)
    }

    #[test]
    fn accepts_the_default_header() {
        let header = default_header(Algorithm::HS256, None);
        assert_eq!(header, r#"{"alg":"HS256","typ":"JWT"}"#);
        assert_eq!(verified(&header, Algorithm::HS256).unwrap().kid, None);
    }

    #[test]
    fn writes_the_kid_as_json_dumps_does() {
        assert_eq!(
            default_header(Algorithm::RS256, Some("2026-11")),
            r#"{"alg":"RS256","kid":"2026-11","typ":"JWT"}"#
        );
        // json.dumps({"kid": 'a"\\\n\x7fé😀'}, ensure_ascii=True)
        assert_eq!(
            default_header(Algorithm::ES256, Some("a\"\\\n\u{7f}é😀")),
            r#"{"alg":"ES256","kid":"a\"\\\n\u007f\u00e9\ud83d\ude00","typ":"JWT"}"#
        );
        let header = default_header(Algorithm::ES256, Some("é😀"));
        assert_eq!(
            verified(&header, Algorithm::ES256).unwrap().kid.as_deref(),
            Some("é😀")
        );
    }

    #[test]
    fn refuses_none_other_algs_and_bad_shapes() {
        let check = |h: &str| verified(h, Algorithm::HS256);
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

    fn outgoing(kid: Option<&str>, params: &[(&str, Param<'static>)]) -> Result<()> {
        check_outgoing(Algorithm::HS256, kid, |name| {
            params
                .iter()
                .find(|(n, _)| *n == name)
                .map_or(Param::Absent, |(_, p)| *p)
        })
    }

    #[test]
    fn outgoing_headers_keep_alg_and_refuse_what_decoding_refuses() {
        let alg = ("alg", Param::Str("HS256"));
        assert_eq!(outgoing(None, &[alg, ("kid", Param::Str("k"))]), Ok(()));
        assert_eq!(
            outgoing(None, &[("alg", Param::Str("HS512"))]),
            Err(Error::WrongAlgorithm("HS512".into()))
        );
        for bad in [
            [alg, ("kid", Param::Other)],
            [alg, ("crit", Param::Other)],
            [alg, ("b64", Param::Other)],
        ] {
            assert!(matches!(outgoing(None, &bad), Err(Error::Malformed(_))));
        }
    }

    #[test]
    fn outgoing_kid_is_the_signing_keys() {
        let alg = ("alg", Param::Str("HS256"));
        assert_eq!(outgoing(Some("k"), &[alg, ("kid", Param::Str("k"))]), Ok(()));
        assert!(matches!(
            outgoing(Some("k"), &[alg, ("kid", Param::Str("other"))]),
            Err(Error::InvalidKey(_))
        ));
    }

    #[test]
    fn unverified_decode_skips_alg_but_not_shape() {
        check_header(br#"{"alg":"none"}"#).unwrap();
        assert!(check_header(b"[]").is_err());
    }
}
