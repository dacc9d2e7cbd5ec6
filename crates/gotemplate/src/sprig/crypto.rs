//! sprig's random and password functions: `randAlphaNum`, `randAlpha`,
//! `randNumeric`, `randAscii`, `randBytes`, `randInt`, `uuidv4`, `bcrypt`,
//! `htpasswd` and the deterministic `derivePassword` (Master Password
//! algorithm: scrypt N=32768 r=8 p=2, then HMAC-SHA256 picks a template).
//! Randomness is the OS-seeded CSPRNG (`rand::thread_rng`).
//! Keys, certificates and AES are in `certs`.

use base64::Engine as _;
use hmac::Mac as _;
use rand::Rng as _;

use super::conv::{iarg, sarg};
use super::reg;
use crate::func::{FuncError, FuncMap, Param};
use crate::value::Value;

use Param::{Int, String as Str};

const LETTERS: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS: &str = "0123456789";

pub(super) fn register(m: &mut FuncMap) {
    reg(m, "randAlphaNum", &[Int], None, |a| {
        Ok(Value::from(random_from(
            iarg(&a, 0),
            &format!("{LETTERS}{DIGITS}"),
        )))
    });
    reg(m, "randAlpha", &[Int], None, |a| {
        Ok(Value::from(random_from(iarg(&a, 0), LETTERS)))
    });
    reg(m, "randNumeric", &[Int], None, |a| {
        Ok(Value::from(random_from(iarg(&a, 0), DIGITS)))
    });
    reg(m, "randAscii", &[Int], None, |a| {
        let printable: String = (32u8..127).map(char::from).collect();
        Ok(Value::from(random_from(iarg(&a, 0), &printable)))
    });
    reg(m, "randBytes", &[Int], None, |a| {
        let n = iarg(&a, 0);
        if n < 0 {
            return Err(FuncError::new("runtime error: makeslice: len out of range"));
        }
        let n = usize::try_from(n).unwrap_or(0).min(MAX_RANDOM);
        let mut buf = vec![0u8; n];
        rand::thread_rng().fill(&mut buf[..]);
        Ok(Value::from(
            base64::engine::general_purpose::STANDARD.encode(buf),
        ))
    });
    reg(m, "randInt", &[Int, Int], None, |a| {
        let (min, max) = (iarg(&a, 0), iarg(&a, 1));
        let span = max.wrapping_sub(min);
        if span <= 0 {
            return Err(FuncError::new("invalid argument to Intn"));
        }
        Ok(Value::Int(
            rand::thread_rng().gen_range(0..span).wrapping_add(min),
        ))
    });
    reg(m, "uuidv4", &[], None, |_| Ok(Value::from(uuidv4())));
    reg(m, "bcrypt", &[Str], None, |a| {
        Ok(Value::from(bcrypt_hash(&sarg(&a, 0))))
    });
    reg(m, "htpasswd", &[Str, Str], None, |a| {
        let user = sarg(&a, 0);
        if user.contains(':') {
            return Ok(Value::from(format!("invalid username: {user}")));
        }
        Ok(Value::from(format!("{user}:{}", bcrypt_hash(&sarg(&a, 1)))))
    });
    reg(m, "derivePassword", &[Int, Str, Str, Str, Str], None, |a| {
        Ok(Value::from(derive_password(
            iarg(&a, 0) as u32,
            &sarg(&a, 1),
            &sarg(&a, 2),
            &sarg(&a, 3),
            &sarg(&a, 4),
        )))
    });
}

/// The longest random string made (goutils has no limit; Go would try to
/// allocate): larger counts are cut to this many characters.
const MAX_RANDOM: usize = 1 << 24;

/// goutils `CryptoRandom*`: `count` characters drawn uniformly from `chars`;
/// a negative count is an error there, which sprig turns into "".
fn random_from(count: i64, chars: &str) -> String {
    if count <= 0 {
        return String::new();
    }
    let pool: Vec<char> = chars.chars().collect();
    let mut rng = rand::thread_rng();
    (0..(count as usize).min(MAX_RANDOM))
        .map(|_| pool[rng.gen_range(0..pool.len())])
        .collect()
}

/// A random (version 4, RFC 4122 variant) UUID in Go's `uuid.String()` form.
fn uuidv4() -> String {
    let mut b = [0u8; 16];
    rand::thread_rng().fill(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// x/crypto `bcrypt.GenerateFromPassword(p, 10)`: a `$2a$10$` hash, or
/// sprig's failure text for passwords over 72 bytes.
fn bcrypt_hash(password: &str) -> String {
    if password.len() > 72 {
        return "failed to encrypt string with bcrypt: bcrypt: password length exceeds 72 bytes"
            .into();
    }
    match bcrypt::hash_with_result(password, 10) {
        Ok(parts) => parts.format_for_version(bcrypt::Version::TwoA),
        Err(e) => format!("failed to encrypt string with bcrypt: {e}"),
    }
}

const SEED: &str = "com.lyndir.masterpassword";

fn templates(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "maximum" => &["anoxxxxxxxxxxxxxxxxx", "axxxxxxxxxxxxxxxxxno"],
        "long" => &[
            "CvcvnoCvcvCvcv",
            "CvcvCvcvnoCvcv",
            "CvcvCvcvCvcvno",
            "CvccnoCvcvCvcv",
            "CvccCvcvnoCvcv",
            "CvccCvcvCvcvno",
            "CvcvnoCvccCvcv",
            "CvcvCvccnoCvcv",
            "CvcvCvccCvcvno",
            "CvcvnoCvcvCvcc",
            "CvcvCvcvnoCvcc",
            "CvcvCvcvCvccno",
            "CvccnoCvccCvcv",
            "CvccCvccnoCvcv",
            "CvccCvccCvcvno",
            "CvcvnoCvccCvcc",
            "CvcvCvccnoCvcc",
            "CvcvCvccCvccno",
            "CvccnoCvcvCvcc",
            "CvccCvcvnoCvcc",
            "CvccCvcvCvccno",
        ],
        "medium" => &["CvcnoCvc", "CvcCvcno"],
        "short" => &["Cvcn"],
        "basic" => &["aaanaaan", "aannaaan", "aaannaaa"],
        "pin" => &["nnnn"],
        _ => return None,
    })
}

fn template_chars(c: u8) -> &'static str {
    match c {
        b'V' => "AEIOU",
        b'C' => "BCDFGHJKLMNPQRSTVWXYZ",
        b'v' => "aeiou",
        b'c' => "bcdfghjklmnpqrstvwxyz",
        b'A' => "AEIOUBCDFGHJKLMNPQRSTVWXYZ",
        b'a' => "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz",
        b'n' => "0123456789",
        b'o' => "@&%?,=[]_:-+*$#!'^~;()/.",
        _ => "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()",
    }
}

/// sprig's `derivePassword` (Master Password v3-style site password).
fn derive_password(counter: u32, kind: &str, password: &str, user: &str, site: &str) -> String {
    let Some(temps) = templates(kind) else {
        return format!("cannot find password template {kind}");
    };
    let mut salt = SEED.as_bytes().to_vec();
    salt.extend_from_slice(&(user.len() as u32).to_be_bytes());
    salt.extend_from_slice(user.as_bytes());
    let mut key = [0u8; 64];
    let params = match scrypt::Params::new(15, 8, 2, 64) {
        Ok(p) => p,
        Err(e) => return format!("failed to derive password: {e}"),
    };
    if let Err(e) = scrypt::scrypt(password.as_bytes(), &salt, &params, &mut key) {
        return format!("failed to derive password: {e}");
    }
    let mut msg = SEED.as_bytes().to_vec();
    msg.extend_from_slice(&(site.len() as u32).to_be_bytes());
    msg.extend_from_slice(site.as_bytes());
    msg.extend_from_slice(&counter.to_be_bytes());
    let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key) else {
        return "failed to derive password: bad key".into();
    };
    mac.update(&msg);
    let seed = mac.finalize().into_bytes();
    let temp = temps[usize::from(seed[0]) % temps.len()];
    temp.bytes()
        .enumerate()
        .map(|(i, c)| {
            let chars = template_chars(c).as_bytes();
            char::from(chars[usize::from(seed[i + 1]) % chars.len()])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_strings_have_the_asked_shape() {
        let s = random_from(40, &format!("{LETTERS}{DIGITS}"));
        assert_eq!(s.len(), 40);
        assert!(s.chars().all(|c| c.is_ascii_alphanumeric()));
        assert!(random_from(-1, DIGITS).is_empty());
        assert!(random_from(30, DIGITS).chars().all(|c| c.is_ascii_digit()));
        let u = uuidv4();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"));
        assert_ne!(uuidv4(), u);
    }

    #[test]
    fn bcrypt_hash_is_2a_cost_10_and_verifies() {
        let h = bcrypt_hash("secret");
        assert!(h.starts_with("$2a$10$"), "{h}");
        assert_eq!(h.len(), 60);
        assert!(bcrypt::verify("secret", &h).unwrap_or(false));
        assert!(bcrypt_hash(&"x".repeat(73)).contains("exceeds 72 bytes"));
    }
}
