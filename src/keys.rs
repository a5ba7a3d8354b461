//! Key material -> prepared keys, parsed once per `Codec`.
//!
//! Accepted: HMAC secrets (bytes), PEM (PKCS#1 RSA, PKCS#8, SEC1 EC,
//! SubjectPublicKeyInfo, PKCS#1 RSA public), and JWK (RFC 7517/7518/8037,
//! public or private). A key of the wrong type or curve for the algorithm is
//! refused here, so signing and verifying never meet one.

use aws_lc_rs::digest;
use aws_lc_rs::encoding::{AsDer, PublicKeyX509Der};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPairComponents, PublicKey as RsaPublicKey, PublicKeyComponents};
use aws_lc_rs::signature::{
    self, EcdsaKeyPair, EcdsaSigningAlgorithm, Ed25519KeyPair, KeyPair, ParsedPublicKey, RsaEncoding,
    RsaKeyPair, RsaParameters, VerificationAlgorithm,
};
use serde_json::{Map, Value};

use crate::algorithm::{Algorithm, Family};
use crate::error::{Error, Result, invalid_key};
use crate::hmac::HmacKey;

/// What a caller hands us as a key, before any parsing.
pub enum KeyInput<'a> {
    /// A secret, a PEM document, or JWK JSON text.
    Bytes(&'a [u8]),
    /// A JWK already parsed into a JSON object.
    Jwk(&'a Map<String, Value>),
}

// One of each per codec: the HMAC variant's size costs nothing, boxing it would
// add a pointer chase to every token.
#[allow(clippy::large_enum_variant)]
pub enum SigningKey {
    Hmac(HmacKey),
    Rsa(RsaKeyPair, &'static dyn RsaEncoding),
    Ec(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
}

#[allow(clippy::large_enum_variant)]
pub enum VerifyingKey {
    Hmac(HmacKey),
    Public(ParsedPublicKey),
}

/// A signature: an HMAC tag stays on the stack (it is on every request's path); the
/// others are copied out of aws-lc-rs's `Signature`, which is sized for post-quantum keys.
pub enum Signature {
    Hmac(crate::hmac::Tag),
    Asymmetric(Vec<u8>),
}

impl AsRef<[u8]> for Signature {
    fn as_ref(&self) -> &[u8] {
        match self {
            Signature::Hmac(tag) => tag.as_ref(),
            Signature::Asymmetric(sig) => sig,
        }
    }
}

impl SigningKey {
    pub fn sign(&self, message: &[u8]) -> Result<Signature> {
        let failed = |_| invalid_key("signing failed");
        match self {
            SigningKey::Hmac(key) => Ok(Signature::Hmac(key.sign(message))),
            SigningKey::Rsa(pair, encoding) => {
                let mut out = vec![0u8; pair.public_modulus_len()];
                pair.sign(*encoding, &SystemRandom::new(), message, &mut out)
                    .map_err(failed)?;
                Ok(Signature::Asymmetric(out))
            }
            SigningKey::Ec(pair) => Ok(Signature::Asymmetric(
                pair.sign(&SystemRandom::new(), message)
                    .map_err(failed)?
                    .as_ref()
                    .to_vec(),
            )),
            SigningKey::Ed(pair) => Ok(Signature::Asymmetric(pair.sign(message).as_ref().to_vec())),
        }
    }

    /// The public half, so a codec given only a private key can also verify.
    fn verifying_key(&self, alg: Algorithm) -> Result<VerifyingKey> {
        let public = match self {
            SigningKey::Hmac(key) => return Ok(VerifyingKey::Hmac(key.clone())),
            SigningKey::Rsa(pair, _) => pair.public_key().as_ref().to_vec(),
            SigningKey::Ec(pair) => pair.public_key().as_ref().to_vec(),
            SigningKey::Ed(pair) => pair.public_key().as_ref().to_vec(),
        };
        public_key(alg, &public)
    }
}

impl VerifyingKey {
    /// The public JWK (RFC 7517/7518/8037) of an asymmetric key, with `kid`,
    /// `use` and `alg`, for a JWKS; `None` for an HMAC secret, which is never published.
    pub fn public_jwk(&self, alg: Algorithm, kid: &str) -> Option<Map<String, Value>> {
        let VerifyingKey::Public(key) = self else {
            return None;
        };
        // SubjectPublicKeyInfo: whatever form the key came in, one form out.
        let spki = AsDer::<PublicKeyX509Der>::as_der(key).ok()?;
        let spki = spki.as_ref();
        let b64 = |bytes: &[u8]| Value::String(crate::base64url::encode(bytes));
        let mut jwk = Map::new();
        let mut member = |name: &str, value: Value| jwk.insert(name.to_owned(), value);
        match alg.family() {
            Family::Rsa | Family::RsaPss => {
                let components = PublicKeyComponents::<Vec<u8>>::from(&RsaPublicKey::from_der(spki).ok()?);
                let unsigned = |int: &[u8]| b64(&int[int.iter().take_while(|b| **b == 0).count()..]);
                member("kty", "RSA".into());
                member("n", unsigned(&components.n));
                member("e", unsigned(&components.e));
            }
            Family::Ec => {
                // The SPKI ends with the uncompressed point 0x04 || x || y.
                let coordinate = match alg {
                    Algorithm::ES256 => 32,
                    Algorithm::ES384 => 48,
                    _ => 66,
                };
                let point = spki.get(spki.len().checked_sub(1 + 2 * coordinate)?..)?;
                if point[0] != 0x04 {
                    return None;
                }
                member("kty", "EC".into());
                member("crv", curve(alg).into());
                member("x", b64(&point[1..=coordinate]));
                member("y", b64(&point[1 + coordinate..]));
            }
            // The SPKI ends with the 32-byte public key.
            Family::Ed => {
                member("kty", "OKP".into());
                member("crv", "Ed25519".into());
                member("x", b64(spki.get(spki.len().checked_sub(32)?..)?));
            }
            Family::Hmac => return None,
        }
        member("kid", kid.into());
        member("use", "sig".into());
        member("alg", alg.name().into());
        Some(jwk)
    }

    pub fn verify(&self, message: &[u8], sig: &[u8]) -> Result<()> {
        let ok = match self {
            VerifyingKey::Hmac(key) => key.verify(message, sig),
            VerifyingKey::Public(key) => key.verify_sig(message, sig).is_ok(),
        };
        if ok { Ok(()) } else { Err(Error::BadSignature) }
    }
}

/// Refuses a signing key and a verifying key that are not one pair (a codec given both would mint
/// tokens it then refuses): a probe is signed with one and verified with the other, which holds for
/// every family, HMAC included, and never puts key material in the message.
pub fn check_pair(signing: &SigningKey, verifying: &VerifyingKey) -> Result<()> {
    const PROBE: &[u8] = b"simplejwt-rs: are these two keys one pair?";
    let signature = signing.sign(PROBE)?;
    verifying.verify(PROBE, signature.as_ref()).map_err(|_| {
        invalid_key(
            "the signing key and the verifying key are not one key pair: \
             a token signed with the one would not verify with the other",
        )
    })
}

/// Parse the signing key; `None` for a verify-only codec.
pub fn signing_key(alg: Algorithm, input: KeyInput) -> Result<SigningKey> {
    match jwk_or_bytes(input)? {
        Material::Jwk(jwk) => jwk_signing_key(alg, jwk),
        Material::Bytes(bytes) if alg.is_symmetric() => Ok(SigningKey::Hmac(hmac_key(alg, bytes)?)),
        Material::Bytes(bytes) => pem_signing_key(alg, bytes),
    }
}

/// Parse the verifying key, or derive it from the signing key when none is given.
pub fn verifying_key(
    alg: Algorithm,
    input: Option<KeyInput>,
    signing: Option<&SigningKey>,
) -> Result<VerifyingKey> {
    let Some(input) = input else {
        return match signing {
            Some(key) => key.verifying_key(alg),
            None => Err(invalid_key("a verifying key (or a signing key) is required")),
        };
    };
    match jwk_or_bytes(input)? {
        Material::Jwk(jwk) => jwk_verifying_key(alg, jwk),
        Material::Bytes(bytes) if alg.is_symmetric() => Ok(VerifyingKey::Hmac(hmac_key(alg, bytes)?)),
        Material::Bytes(bytes) => {
            // A private PEM also verifies: use its public half.
            if let Ok(pem) = pem::parse(bytes)
                && pem.tag().contains("PRIVATE")
            {
                return pem_signing_key(alg, bytes)?.verifying_key(alg);
            }
            pem_verifying_key(alg, bytes)
        }
    }
}

enum Material<'a> {
    Bytes(&'a [u8]),
    Jwk(std::borrow::Cow<'a, Map<String, Value>>),
}

/// JWK JSON text is recognised by being a JSON object with a `kty` member;
/// anything else is a secret or a PEM document.
fn jwk_or_bytes(input: KeyInput) -> Result<Material> {
    match input {
        KeyInput::Jwk(map) => Ok(Material::Jwk(std::borrow::Cow::Borrowed(map))),
        KeyInput::Bytes(bytes) => {
            if bytes.trim_ascii_start().first() == Some(&b'{')
                && let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(bytes)
                && map.contains_key("kty")
            {
                return Ok(Material::Jwk(std::borrow::Cow::Owned(map)));
            }
            Ok(Material::Bytes(bytes))
        }
    }
}

fn hmac_key(alg: Algorithm, secret: &[u8]) -> Result<HmacKey> {
    if secret.is_empty() {
        return Err(invalid_key("an HMAC secret must not be empty"));
    }
    // The classic algorithm-confusion attack verifies an HS token with an
    // asymmetric public key used as the secret; such a secret is refused.
    let text = secret.trim_ascii_start();
    const ASYMMETRIC_PREFIXES: [&[u8]; 5] = [
        b"-----BEGIN ",
        b"ssh-rsa ",
        b"ssh-ed25519 ",
        b"ecdsa-sha2-",
        b"ssh-dss ",
    ];
    if ASYMMETRIC_PREFIXES.iter().any(|p| text.starts_with(p)) {
        return Err(invalid_key(
            "the key is an asymmetric key or certificate and must not be used as an HMAC secret",
        ));
    }
    let hash = match alg {
        Algorithm::HS256 => &digest::SHA256,
        Algorithm::HS384 => &digest::SHA384,
        _ => &digest::SHA512,
    };
    Ok(HmacKey::new(hash, secret))
}

fn rsa_encoding(alg: Algorithm) -> &'static dyn RsaEncoding {
    match alg {
        Algorithm::RS256 => &signature::RSA_PKCS1_SHA256,
        Algorithm::RS384 => &signature::RSA_PKCS1_SHA384,
        Algorithm::RS512 => &signature::RSA_PKCS1_SHA512,
        Algorithm::PS256 => &signature::RSA_PSS_SHA256,
        Algorithm::PS384 => &signature::RSA_PSS_SHA384,
        _ => &signature::RSA_PSS_SHA512,
    }
}

/// aws-lc verifies only 2048-bit and longer keys; refuse shorter ones for signing too
/// (NIST SP 800-131A), so a codec never signs what it cannot verify.
fn rsa_signing_key(alg: Algorithm, pair: RsaKeyPair) -> Result<SigningKey> {
    if pair.public_modulus_len() < 256 {
        return Err(wrong_key(alg, "the private key is shorter than 2048 bits"));
    }
    Ok(SigningKey::Rsa(pair, rsa_encoding(alg)))
}

fn rsa_parameters(alg: Algorithm) -> &'static RsaParameters {
    match alg {
        Algorithm::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
        Algorithm::RS384 => &signature::RSA_PKCS1_2048_8192_SHA384,
        Algorithm::RS512 => &signature::RSA_PKCS1_2048_8192_SHA512,
        Algorithm::PS256 => &signature::RSA_PSS_2048_8192_SHA256,
        Algorithm::PS384 => &signature::RSA_PSS_2048_8192_SHA384,
        _ => &signature::RSA_PSS_2048_8192_SHA512,
    }
}

fn ec_signing(alg: Algorithm) -> &'static EcdsaSigningAlgorithm {
    match alg {
        Algorithm::ES256 => &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        Algorithm::ES384 => &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
        _ => &signature::ECDSA_P521_SHA512_FIXED_SIGNING,
    }
}

fn verification(alg: Algorithm) -> &'static dyn VerificationAlgorithm {
    match alg.family() {
        Family::Rsa | Family::RsaPss => rsa_parameters(alg),
        Family::Ec => match alg {
            Algorithm::ES256 => &signature::ECDSA_P256_SHA256_FIXED,
            Algorithm::ES384 => &signature::ECDSA_P384_SHA384_FIXED,
            _ => &signature::ECDSA_P521_SHA512_FIXED,
        },
        Family::Ed | Family::Hmac => &signature::ED25519,
    }
}

/// What the algorithm needs, for error messages.
fn wanted(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::ES256 => "an EC key on curve P-256",
        Algorithm::ES384 => "an EC key on curve P-384",
        Algorithm::ES512 => "an EC key on curve P-521",
        Algorithm::EdDSA | Algorithm::Ed25519 => "an Ed25519 key",
        _ if alg.is_symmetric() => "an HMAC secret",
        _ => "an RSA key of 2048 to 8192 bits",
    }
}

fn wrong_key(alg: Algorithm, what: &str) -> Error {
    invalid_key(format!("{alg} needs {}; {what}", wanted(alg)))
}

fn public_key(alg: Algorithm, bytes: &[u8]) -> Result<VerifyingKey> {
    // aws-lc checks the RSA size only when verifying; say so when the key is loaded.
    if matches!(alg.family(), Family::Rsa | Family::RsaPss)
        && aws_lc_rs::rsa::PublicKey::from_der(bytes).is_ok_and(|key| key.modulus_len() < 256)
    {
        return Err(wrong_key(alg, "the public key is shorter than 2048 bits"));
    }
    ParsedPublicKey::new(verification(alg), bytes)
        .map(VerifyingKey::Public)
        .map_err(|_| wrong_key(alg, "the public key is not one"))
}

fn parse_pem(bytes: &[u8]) -> Result<pem::Pem> {
    let pem = pem::parse(bytes).map_err(|_| invalid_key("expected a PEM key (-----BEGIN ...) or a JWK"))?;
    if pem.tag() == "ENCRYPTED PRIVATE KEY" {
        return Err(invalid_key("encrypted private keys are not supported"));
    }
    Ok(pem)
}

fn pem_signing_key(alg: Algorithm, bytes: &[u8]) -> Result<SigningKey> {
    let pem = parse_pem(bytes)?;
    let der = pem.contents();
    let not_it = |_| wrong_key(alg, "the private key is not one");
    match (pem.tag(), alg.family()) {
        ("RSA PRIVATE KEY", Family::Rsa | Family::RsaPss) => {
            rsa_signing_key(alg, RsaKeyPair::from_der(der).map_err(not_it)?)
        }
        ("PRIVATE KEY", Family::Rsa | Family::RsaPss) => {
            rsa_signing_key(alg, RsaKeyPair::from_pkcs8(der).map_err(not_it)?)
        }
        ("PRIVATE KEY" | "EC PRIVATE KEY", Family::Ec) => Ok(SigningKey::Ec(
            EcdsaKeyPair::from_private_key_der(ec_signing(alg), der).map_err(not_it)?,
        )),
        ("PRIVATE KEY", Family::Ed) => Ok(SigningKey::Ed(
            Ed25519KeyPair::from_pkcs8_maybe_unchecked(der).map_err(not_it)?,
        )),
        (tag, _) if tag.contains("PUBLIC") || tag == "CERTIFICATE" => {
            Err(invalid_key("signing needs a private key, got a public key"))
        }
        (tag, _) => Err(wrong_key(alg, &format!("got a PEM {tag:?}"))),
    }
}

fn pem_verifying_key(alg: Algorithm, bytes: &[u8]) -> Result<VerifyingKey> {
    let pem = parse_pem(bytes)?;
    match pem.tag() {
        "PUBLIC KEY" | "RSA PUBLIC KEY" => public_key(alg, pem.contents()),
        tag => Err(wrong_key(alg, &format!("got a PEM {tag:?}"))),
    }
}

// ---- JWK (RFC 7517 / 7518 §6 / 8037) ----

fn b64_member(jwk: &Map<String, Value>, name: &str) -> Result<Option<Vec<u8>>> {
    let Some(value) = jwk.get(name) else {
        return Ok(None);
    };
    let text = value
        .as_str()
        .ok_or_else(|| invalid_key(format!("JWK member {name:?} must be a string")))?;
    // Some tools pad JWK members; the padding carries nothing.
    crate::base64url::decode(text.trim_end_matches('=').as_bytes())
        .map(Some)
        .ok_or_else(|| invalid_key(format!("JWK member {name:?} is not base64url")))
}

fn required(jwk: &Map<String, Value>, name: &str) -> Result<Vec<u8>> {
    b64_member(jwk, name)?.ok_or_else(|| invalid_key(format!("JWK is missing {name:?}")))
}

/// Checks that apply to every JWK: its `kty` fits the algorithm, and `alg`/`use`, when
/// present, agree with how we are about to use it.
fn jwk_kty(alg: Algorithm, jwk: &Map<String, Value>) -> Result<()> {
    let kty = jwk.get("kty").and_then(Value::as_str).unwrap_or("");
    let expected = match alg.family() {
        Family::Hmac => "oct",
        Family::Rsa | Family::RsaPss => "RSA",
        Family::Ec => "EC",
        Family::Ed => "OKP",
    };
    if kty != expected {
        return Err(wrong_key(alg, &format!("got a JWK of kty {kty:?}")));
    }
    if let Some(jwk_alg) = jwk.get("alg")
        && jwk_alg.as_str() != Some(alg.name())
    {
        return Err(invalid_key(format!("the JWK is for alg {jwk_alg}, not {alg}")));
    }
    if let Some(usage) = jwk.get("use")
        && usage.as_str() != Some("sig")
    {
        return Err(invalid_key(format!("the JWK is for use {usage}, not \"sig\"")));
    }
    if matches!(alg.family(), Family::Ec | Family::Ed) {
        let crv = jwk.get("crv").and_then(Value::as_str).unwrap_or("");
        if crv != curve(alg) {
            return Err(wrong_key(alg, &format!("got a JWK on curve {crv:?}")));
        }
    }
    Ok(())
}

/// The JWK `crv` of an EC or EdDSA algorithm.
fn curve(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::ES256 => "P-256",
        Algorithm::ES384 => "P-384",
        Algorithm::ES512 => "P-521",
        _ => "Ed25519",
    }
}

fn ec_point(jwk: &Map<String, Value>) -> Result<Vec<u8>> {
    let mut point = vec![0x04];
    point.extend(required(jwk, "x")?);
    point.extend(required(jwk, "y")?);
    Ok(point)
}

fn jwk_verifying_key(alg: Algorithm, jwk: std::borrow::Cow<Map<String, Value>>) -> Result<VerifyingKey> {
    jwk_kty(alg, &jwk)?;
    match alg.family() {
        Family::Hmac => Ok(VerifyingKey::Hmac(hmac_key(alg, &required(&jwk, "k")?)?)),
        Family::Rsa | Family::RsaPss => {
            let components = PublicKeyComponents {
                n: required(&jwk, "n")?,
                e: required(&jwk, "e")?,
            };
            if components.n.iter().skip_while(|b| **b == 0).count() < 256 {
                return Err(wrong_key(alg, "the JWK's modulus is shorter than 2048 bits"));
            }
            components
                .to_parsed_public_key(rsa_parameters(alg))
                .map(VerifyingKey::Public)
                .map_err(|_| wrong_key(alg, "the JWK's n/e do not form one"))
        }
        Family::Ec => public_key(alg, &ec_point(&jwk)?),
        Family::Ed => public_key(alg, &required(&jwk, "x")?),
    }
}

fn jwk_signing_key(alg: Algorithm, jwk: std::borrow::Cow<Map<String, Value>>) -> Result<SigningKey> {
    jwk_kty(alg, &jwk)?;
    if !alg.is_symmetric() && !jwk.contains_key("d") {
        return Err(invalid_key(
            "signing needs a private JWK (with \"d\"), got a public one",
        ));
    }
    let not_it = |_| wrong_key(alg, "the private JWK is not a valid one");
    match alg.family() {
        Family::Hmac => Ok(SigningKey::Hmac(hmac_key(alg, &required(&jwk, "k")?)?)),
        Family::Rsa | Family::RsaPss => {
            let components = KeyPairComponents {
                public_key: PublicKeyComponents {
                    n: required(&jwk, "n")?,
                    e: required(&jwk, "e")?,
                },
                d: required(&jwk, "d")?,
                p: required(&jwk, "p")?,
                q: required(&jwk, "q")?,
                dP: required(&jwk, "dp")?,
                dQ: required(&jwk, "dq")?,
                qInv: required(&jwk, "qi")?,
            };
            rsa_signing_key(alg, RsaKeyPair::from_components(&components).map_err(not_it)?)
        }
        Family::Ec => Ok(SigningKey::Ec(
            EcdsaKeyPair::from_private_key_and_public_key(
                ec_signing(alg),
                &required(&jwk, "d")?,
                &ec_point(&jwk)?,
            )
            .map_err(not_it)?,
        )),
        Family::Ed => Ok(SigningKey::Ed(
            Ed25519KeyPair::from_seed_and_public_key(&required(&jwk, "d")?, &required(&jwk, "x")?)
                .map_err(not_it)?,
        )),
    }
}
