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
pub mod json;
pub mod jws;
pub mod keys;
pub mod refresh;

#[cfg(feature = "python")]
mod python;

#[cfg(test)]
mod key_set_tests;
// The edge's cache type is pure Rust: its unit test runs without the `python` feature too.
#[cfg(all(test, not(feature = "python")))]
#[path = "python/name_cache.rs"]
mod name_cache;
#[cfg(test)]
mod tests;

pub use algorithm::Algorithm;
pub use codec::Codec;
pub use error::{Error, Result};
