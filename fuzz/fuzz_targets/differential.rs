//! Accept/reject of `Codec::decode` against the jsonwebtoken crate's own
//! `decode`, configured as close to our semantics as it goes: the same single
//! algorithm and key, leeway 0, no required claims (audience and issuer
//! required when configured, as ours are), `exp` and `nbf` checked.
//!
//! Every input is compared as it is and re-signed (a valid signature over the
//! fuzzed header and payload), so the comparison reaches claims validation;
//! in JSON mode (selector bit 0x40) the input is the header and payload JSON
//! text, encoded and signed here.
//! When both accept, the claims must be equal. A disagreement fails the run
//! unless it is one of the documented, deliberate differences listed in
//! [`known_difference`] (see also fuzz/README.md).
#![no_main]

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{DecodingKey, Validation};
use libfuzzer_sys::fuzz_target;
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::{Map, Value};
use simplejwt_rs::claims::Requirements;
use simplejwt_rs::{Algorithm, Error};
use simplejwt_rs_fuzz::{AUDIENCE, Config, ISSUER, codecs, public_pem, resign, segment_json};

/// Our algorithms that jsonwebtoken also implements (all but ES512), as it says itself.
fn algs() -> &'static [Algorithm] {
    static ALGS: OnceLock<Vec<Algorithm>> = OnceLock::new();
    ALGS.get_or_init(|| {
        Algorithm::ALL
            .into_iter()
            .filter(|alg| alg.name().parse::<jsonwebtoken::Algorithm>().is_ok())
            .collect()
    })
}

/// Header members jsonwebtoken deserializes into typed fields (everything else
/// goes to its untyped `extras`).
const TYPED_HEADER: [&str; 15] = [
    "typ", "alg", "cty", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "crit", "enc", "zip", "url",
    "nonce",
];
/// Claims jsonwebtoken deserializes into typed fields for validation.
const TYPED_CLAIMS: [&str; 5] = ["exp", "nbf", "sub", "iss", "aud"];

/// Outcome counts, printed every 2^15 comparisons (`make fuzz` shows the last line):
/// both accept, both reject, skipped near `now`, and each known difference.
static COMPARED: AtomicU64 = AtomicU64::new(0);
static TALLY: Mutex<Vec<(&'static str, u64)>> = Mutex::new(Vec::new());

fn tally(outcome: &'static str) {
    if let Ok(mut tally) = TALLY.lock() {
        match tally.iter_mut().find(|(name, _)| *name == outcome) {
            Some((_, n)) => *n += 1,
            None => tally.push((outcome, 1)),
        }
        let compared = COMPARED.fetch_add(1, Ordering::Relaxed) + 1;
        if compared.is_multiple_of(1 << 15) {
            let parts: Vec<String> = tally.iter().map(|(name, n)| format!("{name}: {n}")).collect();
            eprintln!(
                "differential tally after {compared} comparisons: {}",
                parts.join(", ")
            );
        }
    }
}

fn theirs(alg: Algorithm) -> (jsonwebtoken::Algorithm, &'static DecodingKey) {
    static KEYS: OnceLock<Vec<DecodingKey>> = OnceLock::new();
    let keys = KEYS.get_or_init(|| {
        algs()
            .iter()
            .map(|&alg| {
                let pem = public_pem(alg);
                match alg {
                    Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => {
                        Ok(DecodingKey::from_secret(pem))
                    }
                    Algorithm::ES256 | Algorithm::ES384 => DecodingKey::from_ec_pem(pem),
                    Algorithm::EdDSA => DecodingKey::from_ed_pem(pem),
                    _ => DecodingKey::from_rsa_pem(pem),
                }
                .expect("fixture public key")
            })
            .collect()
    });
    let index = algs().iter().position(|a| *a == alg).unwrap_or(0);
    let name = alg.name().parse().expect("jsonwebtoken knows the algorithm");
    (name, &keys[index])
}

fn validation(alg: jsonwebtoken::Algorithm, config: Config) -> Validation {
    let mut validation = Validation::new(alg);
    validation.leeway = 0;
    validation.validate_exp = true;
    validation.validate_nbf = true;
    if config.audience_and_issuer {
        validation.set_audience(&[AUDIENCE]);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["aud", "iss"]);
        validation.validate_aud = true;
    } else {
        validation.set_required_spec_claims::<&str>(&[]);
        // jsonwebtoken otherwise rejects any token carrying `aud`; we (and
        // PyJWT) check `aud` only when an audience is configured.
        validation.validate_aud = false;
    }
    validation
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, token)) = data.split_first() else {
        return;
    };
    let alg = algs()[usize::from(selector & 0x3f) % algs().len()];
    let config = Config {
        audience_and_issuer: selector & 0x80 != 0,
        leeway: false,
    };
    if selector & 0x40 != 0 {
        // JSON mode: header JSON, a newline, payload JSON, encoded and signed
        // here, so the mutations work on the JSON text rather than on base64.
        let Some(newline) = token.iter().position(|&b| b == b'\n') else {
            return;
        };
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&token[..newline]),
            URL_SAFE_NO_PAD.encode(&token[newline + 1..])
        );
        if let Ok(signed) = codecs(alg, config).signer.sign(input.into_bytes()) {
            compare(alg, config, signed.as_bytes());
        }
        return;
    }
    compare(alg, config, token);
    if let Some(resigned) = resign(&codecs(alg, config).signer, token) {
        compare(alg, config, &resigned);
    }
});

fn compare(alg: Algorithm, config: Config, token: &[u8]) {
    let payload =
        segment_json(token, 1).and_then(|json| serde_json::from_slice::<Map<String, Value>>(&json).ok());
    let now = simplejwt_rs::codec::now();
    if payload.as_ref().is_some_and(|p| near_now(p, now)) {
        // Both read the clock separately, and jsonwebtoken rounds float times
        // where PyJWT (and we) truncate: the second around `now` is not compared.
        tally("skipped near now");
        return;
    }
    let ours = codecs(alg, config)
        .verifier
        .decode(token, true, &Requirements::default(), now);
    let (their_alg, key) = theirs(alg);
    let theirs = jsonwebtoken::decode::<Map<String, Value>>(token, key, &validation(their_alg, config));
    match (&ours, &theirs) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a, &b.claims, "both accept, with different claims");
            tally("both accept");
        }
        (Err(_), Err(_)) => tally("both reject"),
        _ => {
            if let Some(known) = known_difference(token, config, &ours, payload.as_ref()) {
                tally(known);
            } else {
                panic!(
                    "disagreement on {alg} ({config:?}): ours {ours:?}, jsonwebtoken {:?}\ntoken: {}",
                    theirs.map(|t| t.claims),
                    String::from_utf8_lossy(token)
                );
            }
        }
    }
}

fn near_now(payload: &Map<String, Value>, now: f64) -> bool {
    ["exp", "nbf"]
        .iter()
        .filter_map(|name| payload.get(*name).and_then(Value::as_f64))
        .any(|t| (t - now).abs() < 3.0)
}

/// The deliberate differences, each named; `None` means a real disagreement.
fn known_difference(
    token: &[u8],
    config: Config,
    ours: &Result<Map<String, Value>, Error>,
    payload: Option<&Map<String, Value>>,
) -> Option<&'static str> {
    let header = segment_json(token, 0);
    let header_map = header
        .as_deref()
        .and_then(|h| serde_json::from_slice::<Map<String, Value>>(h).ok());
    match ours {
        // We refuse tokens over `max_token_bytes` before parsing; jsonwebtoken has no limit.
        Err(Error::TooLarge { .. }) => return Some("size limit"),
        // RFC 7515 §4.1.11: we implement no extensions, so any `crit` is refused;
        // jsonwebtoken accepts a list of strings without acting on it.
        // RFC 7797 unencoded payloads (`b64` not true) are refused; jsonwebtoken ignores `b64`.
        Err(Error::Malformed(why)) if why.contains("\"crit\"") || why.contains("\"b64\"") => {
            return Some("crit/b64 header refused");
        }
        // PyJWT validates `iat` (not in the future, a number); jsonwebtoken ignores it.
        Err(Error::Immature("iat")) => return Some("iat validated"),
        Err(Error::InvalidClaim(why)) if why.contains("\"iat\"") => return Some("iat validated"),
        // PyJWT requires `sub` and `jti` to be strings; jsonwebtoken ignores them unless configured.
        Err(Error::InvalidClaim(why)) if why.contains("\"sub\"") || why.contains("\"jti\"") => {
            return Some("sub/jti must be strings");
        }
        // PyJWT (and we) compare `iss` to one string; jsonwebtoken also accepts a list containing it.
        Err(Error::InvalidIssuer) if payload.is_some_and(|p| p.get("iss").is_some_and(Value::is_array)) => {
            return Some("iss as a list");
        }
        _ => {}
    }
    // Duplicate member names: we (like PyJWT, json.loads and RFC 7519 §4 allow)
    // take the last; jsonwebtoken's typed structs refuse a duplicated typed field.
    if header.as_deref().is_some_and(|h| duplicated(h, &TYPED_HEADER))
        || segment_json(token, 1).is_some_and(|p| duplicated(&p, &TYPED_CLAIMS))
    {
        return Some("duplicate member names");
    }
    // Header members we never use (typ, cty, jku, jwk, x5u, x5c, ...) are not
    // type-checked by us; jsonwebtoken refuses one of an unexpected type or value.
    if let Some(header) = &header_map
        && serde_json::from_value::<jsonwebtoken::Header>(Value::Object(header.clone())).is_err()
    {
        let mut stripped = header.clone();
        stripped.retain(|name, _| !TYPED_HEADER.contains(&name.as_str()) || name == "alg");
        if serde_json::from_value::<jsonwebtoken::Header>(Value::Object(stripped)).is_ok() {
            return Some("unused header member of another type");
        }
    }
    // `exp`/`nbf` are any JSON number for PyJWT (a negative `nbf` is in the
    // past, an `exp` of 1e300 far in the future); jsonwebtoken needs a u64.
    if let Some(payload) = payload {
        for name in ["exp", "nbf"] {
            if let Some(Value::Number(n)) = payload.get(name)
                && n.as_u64().is_none()
                && !n
                    .as_f64()
                    .is_some_and(|f| f.is_finite() && f >= 0.0 && f < u64::MAX as f64)
            {
                return Some("exp/nbf outside u64");
            }
        }
    }
    let _ = config;
    None
}

/// Whether a JSON object repeats one of `names` at its top level.
fn duplicated(json: &[u8], names: &[&str]) -> bool {
    struct Keys<'a>(&'a [&'a str]);
    impl<'de> Visitor<'de> for Keys<'_> {
        type Value = bool;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
            let mut seen = HashSet::new();
            let mut duplicate = false;
            while let Some(key) = map.next_key::<String>()? {
                map.next_value::<IgnoredAny>()?;
                if self.0.contains(&key.as_str()) && !seen.insert(key) {
                    duplicate = true;
                }
            }
            Ok(duplicate)
        }
    }
    let mut de = serde_json::Deserializer::from_slice(json);
    de.deserialize_map(Keys(names)).unwrap_or(false)
}
