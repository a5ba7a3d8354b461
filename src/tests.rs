//! Cross-module tests of the pure core: round trips for every algorithm,
//! interoperability with the jsonwebtoken crate, RFC example vectors.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
use serde_json::{Map, Value, json};

use crate::algorithm::{Algorithm, Family};
use crate::base64url;
use crate::claims::{Requirements, Validation};
use crate::codec::{Codec, DEFAULT_MAX_TOKEN_BYTES, now};
use crate::error::Error;
use crate::keys::{self, KeyInput};
use crate::refresh::{Presented, RefreshOptions, Verdict, refresh};

pub(crate) const SECRET: &[u8] =
    b"a-test-secret-that-is-longer-than-sixty-four-bytes-for-hs512-use-0123456789";

pub(crate) fn pem(tag: &str, der: &[u8]) -> Vec<u8> {
    pem::encode(&pem::Pem::new(tag, der.to_vec())).into_bytes()
}

/// A PKCS#8 private key PEM for the algorithm (fresh each call).
pub(crate) fn private_pem(alg: Algorithm) -> Vec<u8> {
    let rng = SystemRandom::new();
    let der: Vec<u8> = match alg {
        _ if matches!(alg.family(), Family::Rsa | Family::RsaPss) => {
            let pair = RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
            AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&pair)
                .unwrap()
                .as_ref()
                .to_vec()
        }
        Algorithm::ES256 => EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .unwrap()
            .as_ref()
            .to_vec(),
        Algorithm::ES384 => EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P384_SHA384_FIXED_SIGNING, &rng)
            .unwrap()
            .as_ref()
            .to_vec(),
        Algorithm::ES512 => EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P521_SHA512_FIXED_SIGNING, &rng)
            .unwrap()
            .as_ref()
            .to_vec(),
        Algorithm::EdDSA | Algorithm::Ed25519 => {
            Ed25519KeyPair::generate_pkcs8(&rng).unwrap().as_ref().to_vec()
        }
        _ => unreachable!("no private key for {alg}"),
    };
    pem("PRIVATE KEY", &der)
}

/// The same claims on every call: tests compare a decode with a second call, which must not
/// cross a second boundary (it did, and a round trip "changed" exp and iat).
pub(crate) fn claims() -> Map<String, Value> {
    static START: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    let now = *START.get_or_init(|| now() as i64);
    json!({"token_type": "access", "exp": now + 3600, "iat": now, "jti": "abc", "user_id": 5})
        .as_object()
        .unwrap()
        .clone()
}

pub(crate) fn codec(alg: Algorithm, key: &[u8]) -> Codec {
    Codec::new(
        alg,
        Some(KeyInput::Bytes(key)),
        None,
        Vec::new(),
        Validation::default(),
        DEFAULT_MAX_TOKEN_BYTES,
    )
    .unwrap()
}

pub(crate) fn access_requirements() -> Requirements<'static> {
    Requirements {
        require_exp: true,
        token_type: Some(("token_type", "access")),
        jti_claim: Some("jti"),
    }
}

#[test]
fn every_algorithm_round_trips_and_detects_tampering() {
    for alg in Algorithm::ALL {
        let key = if alg.is_symmetric() {
            SECRET.to_vec()
        } else {
            private_pem(alg)
        };
        let codec = codec(alg, &key);
        let token = codec.encode(&claims()).unwrap();
        let decoded = codec
            .decode(token.as_bytes(), true, &access_requirements(), now())
            .unwrap();
        assert_eq!(decoded, claims(), "{alg}");
        let mut tampered = token.clone().into_bytes();
        let last = tampered.len() - 3;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(
            codec.decode(&tampered, true, &access_requirements(), now()),
            Err(Error::BadSignature),
            "{alg}"
        );
    }
}

#[test]
fn jsonwebtoken_accepts_our_tokens_and_we_accept_its() {
    // jsonwebtoken (a dev-dependency: the reference these tests compare with) needs a provider chosen.
    let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
    use jsonwebtoken::{DecodingKey, EncodingKey, Header, Validation as JwtValidation};
    let cases: Vec<(Algorithm, jsonwebtoken::Algorithm)> = vec![
        (Algorithm::HS256, jsonwebtoken::Algorithm::HS256),
        (Algorithm::HS512, jsonwebtoken::Algorithm::HS512),
        (Algorithm::ES256, jsonwebtoken::Algorithm::ES256),
        (Algorithm::ES384, jsonwebtoken::Algorithm::ES384),
        (Algorithm::RS256, jsonwebtoken::Algorithm::RS256),
        (Algorithm::PS384, jsonwebtoken::Algorithm::PS384),
        (Algorithm::EdDSA, jsonwebtoken::Algorithm::EdDSA),
    ];
    for (ours, theirs) in cases {
        let (encoding, decoding, key) = if ours.is_symmetric() {
            (
                EncodingKey::from_secret(SECRET),
                DecodingKey::from_secret(SECRET),
                SECRET.to_vec(),
            )
        } else {
            let private = private_pem(ours);
            let der = pem::parse(&private).unwrap().into_contents();
            let (enc, public) = match ours.family() {
                crate::algorithm::Family::Ec => {
                    let alg = match ours {
                        Algorithm::ES256 => &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                        _ => &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
                    };
                    let pair = EcdsaKeyPair::from_pkcs8(alg, &der).unwrap();
                    (
                        EncodingKey::from_ec_der(&der),
                        DecodingKey::from_ec_der(pair.public_key().as_ref()),
                    )
                }
                crate::algorithm::Family::Ed => {
                    let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der).unwrap();
                    (
                        EncodingKey::from_ed_der(&der),
                        DecodingKey::from_ed_der(pair.public_key().as_ref()),
                    )
                }
                _ => {
                    let pair = RsaKeyPair::from_pkcs8(&der).unwrap();
                    (
                        // jsonwebtoken signs RSA only with PKCS#1 DER, which aws-lc-rs does not export;
                        // the RSA signing direction is covered against PyJWT in the Python tests.
                        EncodingKey::from_secret(b"unused"),
                        DecodingKey::from_rsa_der(pair.public_key().as_ref()),
                    )
                }
            };
            (enc, public, private)
        };
        let codec = codec(ours, &key);
        let token = codec.encode(&claims()).unwrap();
        let decoded = jsonwebtoken::decode::<Value>(&token, &decoding, &JwtValidation::new(theirs))
            .unwrap_or_else(|e| panic!("{ours}: {e}"));
        assert_eq!(decoded.claims, Value::Object(claims()));
        if matches!(ours.family(), Family::Rsa | Family::RsaPss) {
            continue;
        }
        let theirs_token = jsonwebtoken::encode(&Header::new(theirs), &claims(), &encoding)
            .unwrap_or_else(|e| panic!("{ours}: {e}"));
        assert_eq!(
            codec
                .decode(theirs_token.as_bytes(), true, &access_requirements(), now())
                .unwrap(),
            claims(),
            "{ours}"
        );
    }
}

#[test]
fn rfc7515_a1_hmac_signature() {
    // The key and signing input of RFC 7515 Appendix A.1.
    let key = base64url::decode(
        "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow".as_bytes(),
    )
    .unwrap();
    let signing_input = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
    let signer = keys::signing_key(Algorithm::HS256, KeyInput::Bytes(&key)).unwrap();
    let signature = signer.sign(signing_input.as_bytes()).unwrap();
    assert_eq!(
        base64url::encode(signature.as_ref()),
        "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    );
}

#[test]
fn rfc8037_a4_ed25519_signature() {
    let jwk = json!({
        "kty": "OKP", "crv": "Ed25519",
        "d": "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",
        "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
    });
    let signer = keys::signing_key(Algorithm::EdDSA, KeyInput::Jwk(jwk.as_object().unwrap())).unwrap();
    let signature = signer
        .sign(b"eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc")
        .unwrap();
    assert_eq!(
        base64url::encode(signature.as_ref()),
        "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
    );
}

#[test]
fn wrong_curve_and_wrong_family_are_refused() {
    let p384 = private_pem(Algorithm::ES384);
    for alg in [
        Algorithm::ES256,
        Algorithm::ES512,
        Algorithm::RS256,
        Algorithm::EdDSA,
    ] {
        let err = Codec::new(
            alg,
            Some(KeyInput::Bytes(&p384)),
            None,
            Vec::new(),
            Validation::default(),
            1024,
        )
        .err();
        assert!(matches!(err, Some(Error::InvalidKey(_))), "{alg}");
    }
}

#[test]
fn malformed_tokens_never_panic() {
    let codec = codec(Algorithm::HS256, SECRET);
    let inputs: Vec<&[u8]> = vec![
        b"",
        b".",
        b"..",
        b"...",
        b"a.b.c",
        b"\xff.\xff.\xff",
        b"e30.e30.",
        b"eyJhbGciOiJIUzI1NiJ9.W10.AA",
    ];
    for input in inputs {
        assert!(
            codec
                .decode(input, true, &Requirements::default(), now())
                .is_err()
        );
        // Unverified decoding only needs the shape: `e30.e30.` is `{}.{}` unsigned.
        if input != b"e30.e30." {
            assert!(
                codec
                    .decode(input, false, &Requirements::default(), now())
                    .is_err()
            );
        }
    }
    let huge = vec![b'a'; DEFAULT_MAX_TOKEN_BYTES + 1];
    assert!(matches!(
        codec.decode(&huge, true, &Requirements::default(), now()),
        Err(Error::TooLarge { .. })
    ));
}

#[test]
fn refresh_mints_and_rotates() {
    let codec = codec(Algorithm::HS256, SECRET);
    let now = now();
    let mut refresh_claims = claims();
    refresh_claims.insert("token_type".into(), "refresh".into());
    let token = codec.encode(&refresh_claims).unwrap();
    let options = RefreshOptions {
        access_lifetime: 300.0,
        refresh_lifetime: Some(86400.0),
        token_type_claim: Some("token_type"),
        jti_claim: Some("jti"),
        access_token_type: "access",
        refresh_token_type: "refresh",
    };
    let presented = Presented {
        codec: &codec,
        token: token.as_bytes(),
    };
    let mut calls = 0;
    let out = refresh(&presented, &options, now, |c| {
        calls += 1;
        assert_eq!(c.get("user_id"), Some(&json!(5)));
        // Extra claims for the successor, after its fresh exp/iat/jti.
        let mut extra = Map::new();
        extra.insert("family".into(), "f1".into());
        Ok(Verdict::Admit(Some(extra)))
    })
    .unwrap();
    assert_eq!(calls, 1);
    let access = codec
        .decode(out.access.as_bytes(), true, &access_requirements(), now)
        .unwrap();
    assert_eq!(
        access.keys().collect::<Vec<_>>(),
        ["token_type", "exp", "iat", "jti", "user_id"]
    );
    assert_eq!(access["exp"], json!(now.floor() as i64 + 300));
    let rotated = out.refresh_claims.unwrap();
    assert_ne!(rotated["jti"], refresh_claims["jti"]);
    assert_eq!(rotated["exp"], json!(now.floor() as i64 + 86400));
    assert_eq!(rotated["family"], json!("f1"));
    let successor = codec
        .decode(
            out.refresh.unwrap().as_bytes(),
            true,
            &options.requirements(),
            now,
        )
        .unwrap();
    assert_eq!(successor, rotated);
    assert!(matches!(
        refresh(&presented, &options, now, |_| Ok(Verdict::Refuse)),
        Err(Error::UserInactive)
    ));
    let access_presented = Presented {
        codec: &codec,
        token: out.access.as_bytes(),
    };
    assert!(matches!(
        refresh(&access_presented, &options, now, |_| Ok(Verdict::Admit(None))),
        Err(Error::WrongTokenType)
    ));
    let no_lifetime = RefreshOptions {
        access_lifetime: 0.0,
        ..options
    };
    assert!(matches!(
        refresh(&presented, &no_lifetime, now, |_| Ok(Verdict::Admit(None))),
        Err(Error::InvalidSetting(_))
    ));
}
