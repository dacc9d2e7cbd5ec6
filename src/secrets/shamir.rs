//! Shamir secret sharing over GF(2^8) exactly as sops does it (sops vendors
//! HashiCorp Vault's scheme): the AES field (x^8+x^4+x^3+x+1), one random
//! polynomial per secret byte, and each share laid out as the y bytes followed
//! by its x coordinate. No crate on crates.io writes this share layout, so this
//! small module does; it is checked against files the real sops writes.

use rand::seq::SliceRandom;
use rand::RngCore;
use zeroize::Zeroizing;

/// Why splitting or combining failed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ShamirError {
    #[error("threshold must be between 2 and the number of key groups ({parts}), got {threshold}")]
    BadThreshold { threshold: usize, parts: usize },
    #[error("cannot split an empty secret")]
    Empty,
    #[error("need at least two shares to combine")]
    TooFewShares,
    #[error("shares have different lengths")]
    LengthMismatch,
    #[error("two shares have the same x coordinate")]
    DuplicateShare,
}

fn mul(a: u8, b: u8) -> u8 {
    let (mut a, mut b, mut r) = (a, b, 0u8);
    while b != 0 {
        if b & 1 != 0 {
            r ^= a;
        }
        let carry = a & 0x80 != 0;
        a <<= 1;
        if carry {
            a ^= 0x1b;
        }
        b >>= 1;
    }
    r
}

fn inv(a: u8) -> u8 {
    // a^254 = a^-1 in GF(2^8) (and 0 for 0).
    let mut result = 1u8;
    let mut base = a;
    let mut e = 254u8;
    while e > 0 {
        if e & 1 != 0 {
            result = mul(result, base);
        }
        base = mul(base, base);
        e >>= 1;
    }
    result
}

fn eval(coeffs: &[u8], x: u8) -> u8 {
    // Horner's rule, highest degree first.
    coeffs.iter().rev().fold(0u8, |acc, &c| mul(acc, x) ^ c)
}

/// Split `secret` into `parts` shares of which any `threshold` recover it.
pub(crate) fn split(
    secret: &[u8],
    parts: usize,
    threshold: usize,
) -> Result<Vec<Zeroizing<Vec<u8>>>, ShamirError> {
    if threshold < 2 || threshold > parts || parts > 255 {
        return Err(ShamirError::BadThreshold { threshold, parts });
    }
    if secret.is_empty() {
        return Err(ShamirError::Empty);
    }
    let mut rng = rand::rngs::OsRng;
    let mut xs: Vec<u8> = (1..=255u8).collect();
    xs.shuffle(&mut rng);
    let mut shares: Vec<Zeroizing<Vec<u8>>> = (0..parts)
        .map(|i| {
            let mut s = vec![0u8; secret.len() + 1];
            s[secret.len()] = xs[i];
            Zeroizing::new(s)
        })
        .collect();
    let mut coeffs = Zeroizing::new(vec![0u8; threshold]);
    for (idx, &byte) in secret.iter().enumerate() {
        coeffs[0] = byte;
        rng.fill_bytes(&mut coeffs[1..]);
        for share in shares.iter_mut() {
            let x = share[secret.len()];
            share[idx] = eval(&coeffs, x);
        }
    }
    Ok(shares)
}

/// Recover the secret from shares (each: y bytes then the x byte).
pub(crate) fn combine(shares: &[Zeroizing<Vec<u8>>]) -> Result<Zeroizing<Vec<u8>>, ShamirError> {
    if shares.len() < 2 {
        return Err(ShamirError::TooFewShares);
    }
    let len = shares[0].len();
    if len < 2 || shares.iter().any(|s| s.len() != len) {
        return Err(ShamirError::LengthMismatch);
    }
    let xs: Vec<u8> = shares.iter().map(|s| s[len - 1]).collect();
    for (i, x) in xs.iter().enumerate() {
        if xs[..i].contains(x) {
            return Err(ShamirError::DuplicateShare);
        }
    }
    let mut secret = Zeroizing::new(vec![0u8; len - 1]);
    for (idx, out) in secret.iter_mut().enumerate() {
        // Lagrange interpolation at x = 0.
        let mut acc = 0u8;
        for (i, share) in shares.iter().enumerate() {
            let mut basis = 1u8;
            for (j, &xj) in xs.iter().enumerate() {
                if i != j {
                    // (0 - xj) / (xi - xj) = xj / (xi ^ xj)
                    basis = mul(basis, mul(xj, inv(xs[i] ^ xj)));
                }
            }
            acc ^= mul(share[idx], basis);
        }
        *out = acc;
    }
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_inverse() {
        for a in 1..=255u8 {
            assert_eq!(mul(a, inv(a)), 1, "{a}");
        }
        assert_eq!(mul(0x57, 0x83), 0xc1); // FIPS-197 example
    }

    #[test]
    fn any_two_of_three() {
        let secret: Vec<u8> = (0..32).collect();
        let shares = split(&secret, 3, 2).unwrap();
        for pair in [[0, 1], [0, 2], [1, 2]] {
            let chosen = vec![shares[pair[0]].clone(), shares[pair[1]].clone()];
            assert_eq!(combine(&chosen).unwrap().as_slice(), secret.as_slice());
        }
        assert_eq!(
            split(&secret, 3, 1).unwrap_err(),
            ShamirError::BadThreshold {
                threshold: 1,
                parts: 3
            }
        );
    }
}
