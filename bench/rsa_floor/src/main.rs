//! Prints the median microseconds of one RSA-2048 PKCS#1 v1.5 SHA-256 signature (aws-lc-rs) and of
//! its verification, over a message the size of a simplejwt access token's signing input.

use std::time::Instant;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{self, KeyPair as _, RSA_PKCS1_SHA256, UnparsedPublicKey};

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn main() {
    let rounds: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(7);
    let key = KeyPair::generate(KeySize::Rsa2048).expect("RSA-2048 key generation");
    let message = [b'e'; 230];
    let rng = SystemRandom::new();
    let mut sig = vec![0u8; key.public_modulus_len()];
    let public = UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, key.public_key().as_ref().to_vec());
    let (n_sign, n_verify) = (200, 5000);
    let mut sign_us = Vec::new();
    let mut verify_us = Vec::new();
    for _ in 0..rounds {
        let start = Instant::now();
        for _ in 0..n_sign {
            key.sign(&RSA_PKCS1_SHA256, &rng, &message, &mut sig).expect("sign");
        }
        sign_us.push(start.elapsed().as_secs_f64() * 1e6 / n_sign as f64);
        let start = Instant::now();
        for _ in 0..n_verify {
            public.verify(&message, &sig).expect("verify");
        }
        verify_us.push(start.elapsed().as_secs_f64() * 1e6 / n_verify as f64);
    }
    println!(
        "{{\"sign_us\": {:.3}, \"verify_us\": {:.3}, \"rounds\": {rounds}}}",
        median(sign_us),
        median(verify_us)
    );
}
