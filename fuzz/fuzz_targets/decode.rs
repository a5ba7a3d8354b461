//! `Codec::decode` over arbitrary bytes, for every algorithm and several
//! configurations: header, base64url, JSON, claims and signature. Each input
//! is decoded as it is and re-signed (so mutations of header and payload reach
//! claims validation). Nothing may panic, and accepted tokens must satisfy the
//! invariants below.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};
use simplejwt_rs::Algorithm;
use simplejwt_rs::claims::Requirements;
use simplejwt_rs_fuzz::{Codecs, Config, NOW, codecs, resign, segment_json};

const ACCESS: Requirements<'static> = Requirements {
    require_exp: true,
    token_type: Some(("token_type", "access")),
    jti_claim: Some("jti"),
};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, token)) = data.split_first() else {
        return;
    };
    let alg = Algorithm::ALL[usize::from(selector & 0x0f) % Algorithm::ALL.len()];
    let variant = selector >> 4;
    let config = Config {
        audience_and_issuer: variant & 1 != 0,
        leeway: variant & 8 != 0,
    };
    let requirements = if variant & 2 != 0 {
        ACCESS
    } else {
        Requirements::default()
    };
    let verify = variant & 4 == 0;
    let codecs = codecs(alg, config);
    check(codecs, alg, config, token, verify, &requirements);
    if let Some(resigned) = resign(&codecs.signer, token) {
        check(codecs, alg, config, &resigned, verify, &requirements);
    }
});

fn check(codecs: &Codecs, alg: Algorithm, config: Config, token: &[u8], verify: bool, req: &Requirements) {
    let by_signer = codecs.signer.decode(token, verify, req, NOW);
    let by_verifier = codecs.verifier.decode(token, verify, req, NOW);
    // A codec built from the private key and one built from the public key agree.
    assert_eq!(
        by_signer, by_verifier,
        "private-key and public-key codecs disagree"
    );
    let claims = match by_signer {
        Ok(claims) => claims,
        Err(err) => {
            // Formatting an error never panics and every error has a code.
            assert!(!err.to_string().is_empty() && !err.code().is_empty());
            return;
        }
    };
    if !verify {
        return;
    }
    accepted_token_invariants(alg, config, token, &claims);
    // A verified token also decodes unverified, to the same claims.
    let unverified = codecs
        .verifier
        .decode(token, false, &Requirements::default(), NOW);
    assert_eq!(unverified.as_ref(), Ok(&claims), "unverified decode differs");
    // Claims that decoded encode again, and the new token decodes to the same claims.
    let again = codecs.signer.encode(&claims).expect("decoded claims encode");
    assert_eq!(
        codecs.verifier.decode(again.as_bytes(), true, req, NOW),
        Ok(claims),
        "round trip through encode changed the claims"
    );
}

/// Checked here independently of the core's own code paths.
fn accepted_token_invariants(alg: Algorithm, config: Config, token: &[u8], claims: &Map<String, Value>) {
    assert!(token.len() <= simplejwt_rs::codec::DEFAULT_MAX_TOKEN_BYTES);
    assert_eq!(
        token.iter().filter(|&&b| b == b'.').count(),
        2,
        "accepted a token without three segments"
    );
    let header: Map<String, Value> =
        serde_json::from_slice(&segment_json(token, 0).expect("accepted header is base64url"))
            .expect("accepted header is a JSON object");
    assert_eq!(
        header.get("alg"),
        Some(&Value::String(alg.name().into())),
        "accepted a foreign alg"
    );
    assert!(!header.contains_key("crit"), "accepted crit");
    assert!(
        header.get("kid").is_none_or(Value::is_string),
        "accepted a non-string kid"
    );
    let leeway = if config.leeway { 30.0 } else { 0.0 };
    let now = NOW.floor();
    let number = |name: &str| {
        claims
            .get(name)
            .map(|v| v.as_f64().expect("time claims are numbers").trunc())
    };
    if let Some(exp) = number("exp") {
        assert!(exp > now - leeway, "accepted an expired token");
    }
    for name in ["nbf", "iat"] {
        if let Some(t) = number(name) {
            assert!(t <= now + leeway, "accepted a token before its {name}");
        }
    }
    if config.audience_and_issuer {
        assert_eq!(
            claims.get("iss"),
            Some(&Value::String(simplejwt_rs_fuzz::ISSUER.into()))
        );
        let aud = claims.get("aud").expect("audience required");
        let ours = Value::String(simplejwt_rs_fuzz::AUDIENCE.into());
        assert!(
            aud == &ours || aud.as_array().is_some_and(|a| a.contains(&ours)),
            "wrong audience"
        );
    }
}
