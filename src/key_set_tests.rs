//! Key sets: selection by `kid`, each entry under its own algorithm, the
//! kid-less fallback, and the JWKS we publish (checked by jsonwebtoken).

use aws_lc_rs::encoding::{AsDer, PublicKeyX509Der};
use serde_json::{Map, Value};

use crate::algorithm::Algorithm;
use crate::base64url;
use crate::claims::Validation;
use crate::codec::{Codec, DEFAULT_MAX_TOKEN_BYTES, KeySpec};
use crate::error::{Error, Result};
use crate::keys::{self, KeyInput, VerifyingKey};
use crate::tests::{SECRET, access_requirements, claims, pem, private_pem};

fn public_pem(alg: Algorithm, private: &[u8]) -> Vec<u8> {
    let VerifyingKey::Public(key) = keys::verifying_key(alg, Some(KeyInput::Bytes(private)), None).unwrap()
    else {
        panic!("{alg} has no public key");
    };
    pem(
        "PUBLIC KEY",
        AsDer::<PublicKeyX509Der>::as_der(&key).unwrap().as_ref(),
    )
}

fn signs<'a>(kid: &str, alg: Option<Algorithm>, key: &'a [u8]) -> KeySpec<'a> {
    KeySpec {
        kid: kid.into(),
        algorithm: alg,
        signing_key: Some(KeyInput::Bytes(key)),
        verifying_key: None,
    }
}

fn verifies<'a>(kid: &str, alg: Option<Algorithm>, key: &'a [u8]) -> KeySpec<'a> {
    KeySpec {
        kid: kid.into(),
        algorithm: alg,
        signing_key: None,
        verifying_key: Some(KeyInput::Bytes(key)),
    }
}

fn key_set(alg: Algorithm, unnamed: Option<&[u8]>, specs: Vec<KeySpec>) -> Result<Codec> {
    Codec::new(
        alg,
        unnamed.map(KeyInput::Bytes),
        None,
        specs,
        Validation::default(),
        DEFAULT_MAX_TOKEN_BYTES,
    )
}

fn decode(codec: &Codec, token: &str) -> Result<Map<String, Value>> {
    codec.decode(
        token.as_bytes(),
        true,
        &access_requirements(),
        crate::codec::now(),
    )
}

fn header(token: &str) -> String {
    let segment = token.split('.').next().unwrap();
    String::from_utf8(base64url::decode(segment.as_bytes()).unwrap()).unwrap()
}

/// A token with this exact header JSON, signed with an HMAC `secret` (or signature `sig`).
fn forged(header_json: &str, secret: &[u8]) -> String {
    let input = format!(
        "{}.{}",
        base64url::encode(header_json.as_bytes()),
        base64url::encode(&serde_json::to_vec(&claims()).unwrap())
    );
    let tag = crate::hmac::HmacKey::new(&aws_lc_rs::digest::SHA256, secret).sign(input.as_bytes());
    format!("{input}.{}", base64url::encode(tag.as_ref()))
}

#[test]
fn the_first_signing_entry_signs_and_every_entry_verifies() {
    let (new, old) = (private_pem(Algorithm::RS256), private_pem(Algorithm::RS256));
    let old_public = public_pem(Algorithm::RS256, &old);
    let rotated = key_set(
        Algorithm::RS256,
        None,
        vec![
            verifies("2026-08", None, &old_public),
            signs("2026-11", None, &new),
            signs("spare", None, &old),
        ],
    )
    .unwrap();
    assert_eq!(rotated.signer().and_then(|s| s.kid()), Some("2026-11"));
    assert_eq!(
        rotated.kids().collect::<Vec<_>>(),
        ["2026-08", "2026-11", "spare"]
    );
    let token = rotated.encode(&claims()).unwrap();
    assert_eq!(header(&token), r#"{"alg":"RS256","kid":"2026-11","typ":"JWT"}"#);
    assert_eq!(decode(&rotated, &token).unwrap(), claims());

    // A token minted before the rotation, by the old key under its kid.
    let before = key_set(Algorithm::RS256, None, vec![signs("2026-08", None, &old)]).unwrap();
    let old_token = before.encode(&claims()).unwrap();
    assert_eq!(decode(&rotated, &old_token).unwrap(), claims());

    // The old key claiming the new kid: the kid picks the key, the signature fails.
    let impostor = key_set(Algorithm::RS256, None, vec![signs("2026-11", None, &old)]).unwrap();
    let token = impostor.encode(&claims()).unwrap();
    assert_eq!(decode(&rotated, &token), Err(Error::BadSignature));
}

#[test]
fn unknown_kids_and_kidless_tokens_without_a_fallback_are_refused() {
    let key = private_pem(Algorithm::ES256);
    let set = key_set(Algorithm::ES256, None, vec![signs("a", None, &key)]).unwrap();
    let other = key_set(Algorithm::ES256, None, vec![signs("b", None, &key)]).unwrap();
    let token = other.encode(&claims()).unwrap();
    assert_eq!(decode(&set, &token), Err(Error::UnknownKey(Some("b".into()))));

    let plain = crate::tests::codec(Algorithm::ES256, &key);
    let kidless = plain.encode(&claims()).unwrap();
    assert_eq!(decode(&set, &kidless), Err(Error::UnknownKey(None)));
    // A kid-less header written another way takes the parsed path: the same answer.
    assert_eq!(
        decode(&set, &forged(r#"{"typ":"JWT","alg":"ES256"}"#, b"x")),
        Err(Error::UnknownKey(None))
    );

    // With the old SIGNING_KEY as fallback, tokens minted before the switch still verify.
    let with_fallback = key_set(Algorithm::ES256, Some(&key), vec![signs("a", None, &key)]).unwrap();
    assert_eq!(decode(&with_fallback, &kidless).unwrap(), claims());
    assert_eq!(with_fallback.signer().and_then(|s| s.kid()), Some("a"));

    // Unverified decoding needs no key.
    assert!(
        set.decode(kidless.as_bytes(), false, &access_requirements(), 0.0)
            .is_ok()
    );
}

#[test]
fn each_entry_verifies_under_its_own_algorithm_only() {
    let rsa = private_pem(Algorithm::RS256);
    let rsa_public = public_pem(Algorithm::RS256, &rsa);
    let ed = private_pem(Algorithm::EdDSA);
    let set = key_set(
        Algorithm::RS256,
        None,
        vec![
            signs("rs", None, &rsa),
            verifies("ed-1", Some(Algorithm::EdDSA), &public_pem(Algorithm::EdDSA, &ed)),
            signs("hs", Some(Algorithm::HS256), SECRET),
        ],
    )
    .unwrap();
    let ed_token = key_set(Algorithm::EdDSA, None, vec![signs("ed-1", None, &ed)])
        .unwrap()
        .encode(&claims())
        .unwrap();
    assert_eq!(decode(&set, &ed_token).unwrap(), claims());
    let hs_token = forged(r#"{"alg":"HS256","kid":"hs","typ":"JWT"}"#, SECRET);
    assert_eq!(decode(&set, &hs_token).unwrap(), claims());

    // The classic confusion: the RSA entry's public key used as an HMAC secret.
    let confused = forged(r#"{"alg":"HS256","kid":"rs"}"#, &rsa_public);
    assert_eq!(
        decode(&set, &confused),
        Err(Error::WrongAlgorithm("HS256".into()))
    );
    // The HMAC entry's kid under another alg, and alg none.
    for alg in ["RS256", "none"] {
        let token = forged(&format!(r#"{{"alg":"{alg}","kid":"hs"}}"#), SECRET);
        assert_eq!(decode(&set, &token), Err(Error::WrongAlgorithm(alg.into())));
    }
    // A kid-less token is checked against the codec's algorithm, then finds no key.
    assert_eq!(
        decode(&set, &forged(r#"{"alg":"HS256"}"#, SECRET)),
        Err(Error::WrongAlgorithm("HS256".into()))
    );
}

#[test]
fn without_a_key_set_a_kid_means_nothing() {
    let key = private_pem(Algorithm::EdDSA);
    let named = key_set(Algorithm::EdDSA, None, vec![signs("k", None, &key)]).unwrap();
    let plain = crate::tests::codec(Algorithm::EdDSA, &key);
    let token = named.encode(&claims()).unwrap();
    assert_eq!(decode(&plain, &token).unwrap(), claims());
    assert_eq!(plain.signer().and_then(|s| s.kid()), None);
}

#[test]
fn a_malformed_key_set_is_a_setting_error_and_a_bad_key_names_its_kid() {
    let key = private_pem(Algorithm::ES256);
    let setting = |specs| {
        matches!(
            key_set(Algorithm::ES256, None, specs),
            Err(Error::InvalidSetting(_))
        )
    };
    assert!(setting(vec![signs("", None, &key)]));
    assert!(setting(vec![signs("a", None, &key), verifies("a", None, &key)]));
    assert!(setting(vec![KeySpec {
        kid: "a".into(),
        algorithm: None,
        signing_key: None,
        verifying_key: None,
    }]));
    let wrong = key_set(Algorithm::ES256, None, vec![signs("old-hs", None, SECRET)]);
    let Err(Error::InvalidKey(why)) = wrong else {
        panic!("{:?}", wrong.err());
    };
    assert!(why.contains("\"old-hs\""), "{why}");
    assert!(
        !why.contains(std::str::from_utf8(&SECRET[..20]).unwrap()),
        "{why}"
    );

    // No entry signs: the codec verifies only.
    let verify_only = key_set(Algorithm::ES256, None, vec![verifies("a", None, &key)]).unwrap();
    assert!(!verify_only.can_sign());
    assert!(matches!(verify_only.encode(&claims()), Err(Error::InvalidKey(_))));
}

#[test]
fn the_published_jwks_verify_our_tokens_in_jsonwebtoken() {
    let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
    let cases = [
        (Algorithm::RS256, Some(jsonwebtoken::Algorithm::RS256)),
        (Algorithm::PS512, Some(jsonwebtoken::Algorithm::PS512)),
        (Algorithm::ES256, Some(jsonwebtoken::Algorithm::ES256)),
        (Algorithm::ES384, Some(jsonwebtoken::Algorithm::ES384)),
        (Algorithm::ES512, None),
        (Algorithm::EdDSA, Some(jsonwebtoken::Algorithm::EdDSA)),
    ];
    for (alg, theirs) in cases {
        let private = private_pem(alg);
        let set = key_set(
            alg,
            None,
            vec![
                signs("k", None, &private),
                signs("secret", Some(Algorithm::HS512), SECRET),
            ],
        )
        .unwrap();
        let token = set.encode(&claims()).unwrap();
        let jwks = set.public_jwks();
        assert_eq!(jwks.len(), 1, "{alg}: HMAC entries are never published");
        let jwk = &jwks[0];
        assert_eq!(jwk["kid"], "k");
        assert_eq!(jwk["use"], "sig");
        assert_eq!(jwk["alg"], alg.name());
        for private_member in ["d", "p", "q", "dp", "dq", "qi", "k"] {
            assert!(!jwk.contains_key(private_member), "{alg}: {private_member}");
        }
        // Our own codec, given the published JWK, verifies.
        let from_jwk = Codec::new(
            alg,
            None,
            Some(KeyInput::Jwk(jwk)),
            Vec::new(),
            Validation::default(),
            DEFAULT_MAX_TOKEN_BYTES,
        )
        .unwrap();
        assert_eq!(decode(&from_jwk, &token).unwrap(), claims(), "{alg}");
        // So does jsonwebtoken, where it supports the algorithm.
        if let Some(theirs) = theirs {
            let parsed: jsonwebtoken::jwk::Jwk = serde_json::from_value(Value::Object(jwk.clone())).unwrap();
            let key = jsonwebtoken::DecodingKey::from_jwk(&parsed).unwrap();
            let decoded = jsonwebtoken::decode::<Value>(&token, &key, &jsonwebtoken::Validation::new(theirs))
                .unwrap_or_else(|e| panic!("{alg}: {e}"));
            assert_eq!(decoded.claims, Value::Object(claims()));
            assert_eq!(decoded.header.kid.as_deref(), Some("k"));
        }
    }
}

/// A key set entry, or the top-level keys, given both a signing and a verifying key that are not
/// one pair would mint tokens it refuses: refused at construction, in every family, naming the kid.
#[test]
fn a_signing_key_and_a_verifying_key_that_are_not_one_pair_are_refused() {
    for alg in Algorithm::ALL {
        let (signing, other, matching) = if alg.is_symmetric() {
            (
                SECRET.to_vec(),
                b"another-secret-entirely".to_vec(),
                SECRET.to_vec(),
            )
        } else {
            let signing = private_pem(alg);
            let matching = public_pem(alg, &signing);
            (signing, public_pem(alg, &private_pem(alg)), matching)
        };
        fn entry<'a>(alg: Algorithm, signing: &'a [u8], verifying: &'a [u8]) -> KeySpec<'a> {
            KeySpec {
                kid: "mismatch".into(),
                algorithm: Some(alg),
                signing_key: Some(KeyInput::Bytes(signing)),
                verifying_key: Some(KeyInput::Bytes(verifying)),
            }
        }
        let refused = key_set(Algorithm::RS256, None, vec![entry(alg, &signing, &other)]);
        let Err(Error::InvalidKey(why)) = refused else {
            panic!("{alg}: {:?}", refused.err());
        };
        assert!(
            why.contains("\"mismatch\"") && why.contains("not one key pair"),
            "{alg}: {why}"
        );
        // The pair itself builds, signs and verifies its own tokens.
        let codec = key_set(Algorithm::RS256, None, vec![entry(alg, &signing, &matching)]).unwrap();
        let token = codec.encode(&claims()).unwrap();
        assert_eq!(decode(&codec, &token).unwrap(), claims(), "{alg}");
        // The same for the top-level keys.
        let top = |verifying: &[u8]| {
            Codec::new(
                alg,
                Some(KeyInput::Bytes(&signing)),
                Some(KeyInput::Bytes(verifying)),
                Vec::new(),
                Validation::default(),
                DEFAULT_MAX_TOKEN_BYTES,
            )
        };
        assert!(matches!(top(&other), Err(Error::InvalidKey(_))), "{alg}");
        assert!(top(&matching).is_ok(), "{alg}");
    }
}

/// A verify-only codec (a JWK set's key) refreshes nothing, and is refused before the token is
/// verified, so the caller's `admit` (which may consume the token) never runs.
#[test]
fn a_verify_only_codec_refuses_to_refresh_before_admitting() {
    use crate::refresh::{Presented, RefreshOptions, refresh};
    let key = private_pem(Algorithm::ES256);
    let signer = key_set(Algorithm::ES256, None, vec![signs("k", None, &key)]).unwrap();
    let public = public_pem(Algorithm::ES256, &key);
    let verify_only = key_set(Algorithm::ES256, None, vec![verifies("k", None, &public)]).unwrap();
    let mut refresh_claims = claims();
    refresh_claims.insert("token_type".into(), "refresh".into());
    let token = signer.encode(&refresh_claims).unwrap();
    assert!(
        verify_only
            .decode(token.as_bytes(), true, &Default::default(), crate::codec::now())
            .is_ok()
    );
    let options = RefreshOptions {
        access_lifetime: 300.0,
        refresh_lifetime: Some(600.0),
        token_type_claim: Some("token_type"),
        jti_claim: Some("jti"),
        access_token_type: "access",
        refresh_token_type: "refresh",
    };
    let presented = Presented {
        codec: &verify_only,
        token: token.as_bytes(),
    };
    let mut admitted = false;
    let out = refresh(&presented, &options, crate::codec::now(), |_| {
        admitted = true;
        Ok(crate::refresh::Verdict::Admit(None))
    });
    assert!(matches!(out, Err(Error::InvalidKey(_))));
    assert!(!admitted);
}

// ---- RFC 9864: `Ed25519`, the fully-specified name, beside the polymorphic `EdDSA` ----

/// A token with this exact header JSON, signed with an Ed25519 private key.
fn ed_signed(header_json: &str, private: &[u8]) -> String {
    let input = format!(
        "{}.{}",
        base64url::encode(header_json.as_bytes()),
        base64url::encode(&serde_json::to_vec(&claims()).unwrap())
    );
    let signer = keys::signing_key(Algorithm::EdDSA, KeyInput::Bytes(private)).unwrap();
    let sig = signer.sign(input.as_bytes()).unwrap();
    format!("{input}.{}", base64url::encode(sig.as_ref()))
}

#[test]
fn ed25519_is_its_own_name_for_the_same_keys_and_signatures() {
    assert_eq!("Ed25519".parse::<Algorithm>().unwrap(), Algorithm::Ed25519);
    let key = private_pem(Algorithm::Ed25519);
    let ed25519 = crate::tests::codec(Algorithm::Ed25519, &key);
    let eddsa = crate::tests::codec(Algorithm::EdDSA, &key);
    // The header names the configured algorithm: `Ed25519` signs `Ed25519`, `EdDSA` signs `EdDSA`.
    let token = ed25519.encode(&claims()).unwrap();
    assert_eq!(header(&token), r#"{"alg":"Ed25519","typ":"JWT"}"#);
    assert_eq!(
        header(&eddsa.encode(&claims()).unwrap()),
        r#"{"alg":"EdDSA","typ":"JWT"}"#
    );
    // The signature is the Ed25519 signature of the signing input, whichever name the header says.
    assert_eq!(token, ed_signed(r#"{"alg":"Ed25519","typ":"JWT"}"#, &key));
    assert_eq!(decode(&ed25519, &token).unwrap(), claims());
    // A header other than the written one (no typ) is parsed, and its alg still pinned.
    assert_eq!(
        decode(&ed25519, &ed_signed(r#"{"alg":"Ed25519"}"#, &key)).unwrap(),
        claims()
    );

    // The algorithm is pinned by name: neither name verifies a token of the other.
    assert_eq!(
        decode(&ed25519, &ed_signed(r#"{"alg":"EdDSA"}"#, &key)),
        Err(Error::WrongAlgorithm("EdDSA".into()))
    );
    assert_eq!(
        decode(&eddsa, &token),
        Err(Error::WrongAlgorithm("Ed25519".into()))
    );
    // Ed448, Ed25519's RFC 9864 sibling, is not supported; wrong case is no name.
    for name in ["Ed448", "ed25519", "ED25519"] {
        assert!(name.parse::<Algorithm>().is_err(), "{name}");
    }
}

#[test]
fn ed25519_takes_the_keys_eddsa_takes_and_refuses_the_rest() {
    // RFC 8037 A.1/A.4's key as a JWK, with and without an `alg` member.
    let mut jwk: Map<String, Value> = serde_json::from_str(
        r#"{"kty":"OKP","crv":"Ed25519",
            "d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",
            "x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#,
    )
    .unwrap();
    let codec_of = |alg, jwk: &Map<String, Value>| {
        Codec::new(
            alg,
            Some(KeyInput::Jwk(jwk)),
            None,
            Vec::new(),
            Validation::default(),
            DEFAULT_MAX_TOKEN_BYTES,
        )
    };
    assert!(codec_of(Algorithm::Ed25519, &jwk).is_ok());
    jwk.insert("alg".into(), "Ed25519".into());
    assert!(codec_of(Algorithm::Ed25519, &jwk).is_ok());
    // A JWK marked for the other name is for another algorithm (RFC 7517 §4.4), either way round.
    assert!(matches!(
        codec_of(Algorithm::EdDSA, &jwk),
        Err(Error::InvalidKey(_))
    ));
    jwk.insert("alg".into(), "EdDSA".into());
    assert!(matches!(
        codec_of(Algorithm::Ed25519, &jwk),
        Err(Error::InvalidKey(_))
    ));
    // Keys of other families and curves are refused as for EdDSA.
    for other in [Algorithm::ES256, Algorithm::RS256] {
        let pem = private_pem(other);
        let err = Codec::new(
            Algorithm::Ed25519,
            Some(KeyInput::Bytes(&pem)),
            None,
            Vec::new(),
            Validation::default(),
            DEFAULT_MAX_TOKEN_BYTES,
        )
        .err();
        let Some(Error::InvalidKey(why)) = err else {
            panic!("{other}: {err:?}");
        };
        assert!(why.starts_with("Ed25519 needs an Ed25519 key"), "{why}");
    }
    assert!(matches!(
        Codec::new(
            Algorithm::Ed25519,
            Some(KeyInput::Bytes(SECRET)),
            None,
            Vec::new(),
            Validation::default(),
            DEFAULT_MAX_TOKEN_BYTES,
        ),
        Err(Error::InvalidKey(_))
    ));
}

#[test]
fn an_ed25519_key_set_entry_publishes_ed25519_and_migrates_from_eddsa() {
    let old = private_pem(Algorithm::EdDSA);
    let new = private_pem(Algorithm::Ed25519);
    // Before: EdDSA without a key set, tokens carry no kid.
    let before = crate::tests::codec(Algorithm::EdDSA, &old);
    let old_token = before.encode(&claims()).unwrap();
    // After: ALGORITHM stays EdDSA for the kid-less tokens already out; the new entry signs as Ed25519.
    let after = key_set(
        Algorithm::EdDSA,
        Some(&old),
        vec![signs("ed-2026", Some(Algorithm::Ed25519), &new)],
    )
    .unwrap();
    let new_token = after.encode(&claims()).unwrap();
    assert_eq!(
        header(&new_token),
        r#"{"alg":"Ed25519","kid":"ed-2026","typ":"JWT"}"#
    );
    assert_eq!(decode(&after, &old_token).unwrap(), claims());
    assert_eq!(decode(&after, &new_token).unwrap(), claims());
    // The entry's kid under the other name is refused.
    let relabelled = ed_signed(r#"{"alg":"EdDSA","kid":"ed-2026"}"#, &new);
    assert_eq!(
        decode(&after, &relabelled),
        Err(Error::WrongAlgorithm("EdDSA".into()))
    );

    let jwks = after.public_jwks();
    assert_eq!(jwks.len(), 1);
    let jwk = &jwks[0];
    assert_eq!(
        (jwk["kty"].as_str(), jwk["crv"].as_str(), jwk["alg"].as_str()),
        (Some("OKP"), Some("Ed25519"), Some("Ed25519"))
    );
    // The published JWK verifies the new tokens in a codec configured `Ed25519`.
    let verifier = Codec::new(
        Algorithm::Ed25519,
        None,
        Some(KeyInput::Jwk(jwk)),
        Vec::new(),
        Validation::default(),
        DEFAULT_MAX_TOKEN_BYTES,
    )
    .unwrap();
    assert_eq!(decode(&verifier, &new_token).unwrap(), claims());
}
