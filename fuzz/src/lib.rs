//! Shared fixtures of the fuzz targets: the committed test keys, one codec per
//! algorithm and configuration, and re-signing so the fuzzer's mutations of
//! header and payload reach claims validation with a valid signature.

use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use simplejwt_rs::claims::Validation;
use simplejwt_rs::codec::DEFAULT_MAX_TOKEN_BYTES;
use simplejwt_rs::keys::KeyInput;
use simplejwt_rs::{Algorithm, Codec};

/// The decode target's clock, so every run is reproducible.
pub const NOW: f64 = 1_700_000_000.25;

pub const HMAC_SECRET: &[u8] = include_bytes!("../keys/hmac.key");

pub fn private_pem(alg: Algorithm) -> &'static [u8] {
    use Algorithm::*;
    match alg {
        HS256 | HS384 | HS512 => HMAC_SECRET,
        RS256 | RS384 | RS512 | PS256 | PS384 | PS512 => include_bytes!("../keys/rsa.private.pem"),
        ES256 => include_bytes!("../keys/p256.private.pem"),
        ES384 => include_bytes!("../keys/p384.private.pem"),
        ES512 => include_bytes!("../keys/p521.private.pem"),
        EdDSA | Ed25519 => include_bytes!("../keys/ed25519.private.pem"),
    }
}

pub fn public_pem(alg: Algorithm) -> &'static [u8] {
    use Algorithm::*;
    match alg {
        HS256 | HS384 | HS512 => HMAC_SECRET,
        RS256 | RS384 | RS512 | PS256 | PS384 | PS512 => include_bytes!("../keys/rsa.public.pem"),
        ES256 => include_bytes!("../keys/p256.public.pem"),
        ES384 => include_bytes!("../keys/p384.public.pem"),
        ES512 => include_bytes!("../keys/p521.public.pem"),
        EdDSA | Ed25519 => include_bytes!("../keys/ed25519.public.pem"),
    }
}

pub const AUDIENCE: &str = "api";
pub const ISSUER: &str = "me";

/// How a codec is configured beyond its algorithm.
#[derive(Clone, Copy, Debug)]
pub struct Config {
    pub audience_and_issuer: bool,
    pub leeway: bool,
}

impl Config {
    fn index(self) -> usize {
        usize::from(self.audience_and_issuer) | usize::from(self.leeway) << 1
    }

    pub fn validation(self) -> Validation {
        Validation {
            audience: self.audience_and_issuer.then(|| vec![AUDIENCE.to_owned()]),
            issuer: self.audience_and_issuer.then(|| ISSUER.to_owned()),
            leeway: if self.leeway { 30.0 } else { 0.0 },
        }
    }
}

/// A signing codec (private key; verifies with the derived public half) and a
/// verify-only codec built from the public key, per algorithm and config.
pub struct Codecs {
    pub signer: Codec,
    pub verifier: Codec,
}

pub fn codecs(alg: Algorithm, config: Config) -> &'static Codecs {
    static ALL: OnceLock<Vec<Codecs>> = OnceLock::new();
    let all = ALL.get_or_init(|| {
        // The differential target's jsonwebtoken needs a crypto provider chosen (the core does not use it).
        let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
        let mut all = Vec::new();
        for index in 0..4 {
            let config = Config {
                audience_and_issuer: index & 1 == 1,
                leeway: index & 2 == 2,
            };
            for alg in Algorithm::ALL {
                let build = |signing: Option<KeyInput>, verifying: Option<KeyInput>| {
                    Codec::new(
                        alg,
                        signing,
                        verifying,
                        Vec::new(),
                        config.validation(),
                        DEFAULT_MAX_TOKEN_BYTES,
                    )
                    .unwrap_or_else(|e| panic!("fixture key for {alg}: {e}"))
                };
                all.push(Codecs {
                    signer: build(Some(KeyInput::Bytes(private_pem(alg))), None),
                    verifier: build(None, Some(KeyInput::Bytes(public_pem(alg)))),
                });
            }
        }
        all
    });
    let alg_index = Algorithm::ALL.iter().position(|a| *a == alg).unwrap_or(0);
    &all[config.index() * Algorithm::ALL.len() + alg_index]
}

/// The token with its last segment replaced by a valid signature over
/// everything before the last dot (whatever that is), or `None` when there
/// is no dot or the input is not UTF-8.
pub fn resign(codec: &Codec, token: &[u8]) -> Option<Vec<u8>> {
    let dot = token.iter().rposition(|&b| b == b'.')?;
    codec.sign(token[..dot].to_vec()).ok().map(String::into_bytes)
}

/// The `n`th dot-separated segment, base64url-decoded, when it decodes.
pub fn segment_json(token: &[u8], n: usize) -> Option<Vec<u8>> {
    let segment = token.split(|&b| b == b'.').nth(n)?;
    URL_SAFE_NO_PAD.decode(segment).ok()
}
