//! HMAC (RFC 2104) with the keyed inner and outer hash states computed once
//! per key.
//!
//! HMAC runs on every authenticated request. aws-lc-rs's `hmac::Key` copies a
//! full HMAC context per call and its `digest::Context` clone allocates (an
//! `EVP_MD_CTX` copy: malloc, copy, free); here the two prepared states are
//! aws-lc's plain `SHA256_CTX`/`SHA512_CTX` structs, copied on the stack, and
//! the tag stays on the stack too. The same aws-lc block functions do the
//! hashing. Tests check it against aws-lc-rs's own HMAC and the RFC 7515 example.

use aws_lc_rs::constant_time::verify_slices_are_equal;
use aws_lc_rs::digest;
use aws_lc_sys::{
    SHA256_CTX, SHA256_Final, SHA256_Init, SHA256_Update, SHA384_Final, SHA384_Init, SHA384_Update,
    SHA512_CTX, SHA512_Final, SHA512_Init, SHA512_Update,
};

/// A hash state in progress: plain C structs, so a copy is a `memcpy`.
#[derive(Clone, Copy)]
enum State {
    Sha256(SHA256_CTX),
    Sha384(SHA512_CTX),
    Sha512(SHA512_CTX),
}

// SAFETY (every block below): the states are plain-old-data structs that aws-lc
// initialises in `*_Init` and only reads and writes through the pointer given;
// each pointer is to a live, exclusively borrowed state, each input pointer and
// length come from one slice, and each output buffer is at least the digest
// length (32, 48, 64 bytes) long. These functions cannot fail on such
// arguments (they return 1 always), so their return values carry nothing.
impl State {
    fn new(hash: &'static digest::Algorithm) -> Self {
        if hash == &digest::SHA256 {
            let mut ctx = unsafe { std::mem::zeroed::<SHA256_CTX>() };
            unsafe { SHA256_Init(&mut ctx) };
            State::Sha256(ctx)
        } else if hash == &digest::SHA384 {
            let mut ctx = unsafe { std::mem::zeroed::<SHA512_CTX>() };
            unsafe { SHA384_Init(&mut ctx) };
            State::Sha384(ctx)
        } else {
            let mut ctx = unsafe { std::mem::zeroed::<SHA512_CTX>() };
            unsafe { SHA512_Init(&mut ctx) };
            State::Sha512(ctx)
        }
    }

    fn update(&mut self, data: &[u8]) {
        let (ptr, len) = (data.as_ptr().cast(), data.len());
        match self {
            State::Sha256(ctx) => unsafe { SHA256_Update(ctx, ptr, len) },
            State::Sha384(ctx) => unsafe { SHA384_Update(ctx, ptr, len) },
            State::Sha512(ctx) => unsafe { SHA512_Update(ctx, ptr, len) },
        };
    }

    fn finish(mut self) -> Tag {
        let mut tag = Tag {
            bytes: [0; 64],
            len: 0,
        };
        let out = tag.bytes.as_mut_ptr();
        tag.len = match &mut self {
            State::Sha256(ctx) => {
                unsafe { SHA256_Final(out, ctx) };
                32
            }
            State::Sha384(ctx) => {
                unsafe { SHA384_Final(out, ctx) };
                48
            }
            State::Sha512(ctx) => {
                unsafe { SHA512_Final(out, ctx) };
                64
            }
        };
        tag
    }
}

/// An HMAC tag (or a digest), on the stack.
#[derive(Clone, Copy)]
pub struct Tag {
    bytes: [u8; 64],
    len: usize,
}

impl AsRef<[u8]> for Tag {
    fn as_ref(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

#[derive(Clone)]
pub struct HmacKey {
    /// Hash state after absorbing `key XOR ipad`.
    inner: State,
    /// Hash state after absorbing `key XOR opad`.
    outer: State,
}

impl HmacKey {
    pub fn new(hash: &'static digest::Algorithm, secret: &[u8]) -> Self {
        let block = hash.block_len();
        let mut padded = vec![0u8; block];
        if secret.len() > block {
            // Keys longer than a block are hashed first (RFC 2104 §2).
            let hashed = digest::digest(hash, secret);
            padded[..hashed.as_ref().len()].copy_from_slice(hashed.as_ref());
        } else {
            padded[..secret.len()].copy_from_slice(secret);
        }
        let keyed = |pad: u8| {
            let block: Vec<u8> = padded.iter().map(|b| b ^ pad).collect();
            let mut state = State::new(hash);
            state.update(&block);
            state
        };
        HmacKey {
            inner: keyed(0x36),
            outer: keyed(0x5c),
        }
    }

    pub fn sign(&self, message: &[u8]) -> Tag {
        if let (State::Sha256(inner), State::Sha256(outer)) = (&self.inner, &self.outer) {
            return sha256_hmac(inner, outer, message);
        }
        let mut inner = self.inner;
        inner.update(message);
        let inner = inner.finish();
        let mut outer = self.outer;
        outer.update(inner.as_ref());
        outer.finish()
    }

    /// Constant-time comparison with the expected tag.
    pub fn verify(&self, message: &[u8], tag: &[u8]) -> bool {
        verify_slices_are_equal(self.sign(message).as_ref(), tag).is_ok()
    }
}

/// `HmacKey::sign` for SHA-256 (every HS256 token): copies the two 112-byte
/// states rather than the whole `State` (sized for SHA-512), and writes the
/// inner digest and the tag into one buffer.
fn sha256_hmac(inner: &SHA256_CTX, outer: &SHA256_CTX, message: &[u8]) -> Tag {
    let mut tag = Tag {
        bytes: [0; 64],
        len: 32,
    };
    let out = tag.bytes.as_mut_ptr();
    // SAFETY: as for `State` above; `out` has room for the 32-byte digest, and
    // the inner digest is absorbed by `SHA256_Update` before the final digest
    // overwrites it.
    unsafe {
        let mut ctx = *inner;
        SHA256_Update(&mut ctx, message.as_ptr().cast(), message.len());
        SHA256_Final(out, &mut ctx);
        let mut ctx = *outer;
        SHA256_Update(&mut ctx, out.cast_const().cast(), 32);
        SHA256_Final(out, &mut ctx);
    }
    tag
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::hmac;

    #[test]
    fn matches_aws_lc_hmac_for_every_hash_and_key_length() {
        let cases = [
            (&digest::SHA256, hmac::HMAC_SHA256),
            (&digest::SHA384, hmac::HMAC_SHA384),
            (&digest::SHA512, hmac::HMAC_SHA512),
        ];
        for (hash, reference) in cases {
            for key_len in [1, 31, 32, 63, 64, 65, 127, 128, 129, 300] {
                let key: Vec<u8> = (0..key_len).map(|i| (i * 7 + 3) as u8).collect();
                let ours = HmacKey::new(hash, &key);
                let theirs = hmac::Key::new(reference, &key);
                for msg_len in [0, 1, 55, 56, 64, 111, 112, 128, 250, 1000] {
                    let msg: Vec<u8> = (0..msg_len).map(|i| (i * 13) as u8).collect();
                    let tag = hmac::sign(&theirs, &msg);
                    assert_eq!(
                        ours.sign(&msg).as_ref(),
                        tag.as_ref(),
                        "key {key_len} msg {msg_len}"
                    );
                    assert!(ours.verify(&msg, tag.as_ref()));
                    assert!(!ours.verify(&msg, &tag.as_ref()[1..]));
                }
            }
        }
    }
}
