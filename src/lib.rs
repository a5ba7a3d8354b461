//! simplejwt-rs: a JWT core (pure Rust) and its Python edge.
//!
//! The core modules know nothing of Python and are tested with `cargo test
//! --no-default-features`; `python` is the one PyO3 edge.

pub mod algorithm;
pub mod base64url;
pub mod claims;
pub mod codec;
pub mod error;
pub mod hmac;
pub mod jws;
pub mod keys;
pub mod refresh;

#[cfg(feature = "python")]
mod python;

#[cfg(test)]
mod tests;

pub use algorithm::Algorithm;
pub use codec::Codec;
pub use error::{Error, Result};

/// jsonwebtoken 10+ panics at first use when no process-level crypto provider
/// was chosen; choose aws-lc-rs (the backend our own keys use) explicitly.
pub fn install_crypto_provider() {
    // Err means one is installed already, which is all we need.
    let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
}
