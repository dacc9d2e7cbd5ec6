//! sprig's encodings and checksums: `b64enc`/`b64dec`, `b32enc`/`b32dec`
//! (decode errors returned as the output text, as sprig does), `sha1sum`,
//! `sha256sum`, `sha512sum`, `adler32sum`. JSON/YAML live elsewhere.

use base64::Engine as _;
use sha1::Digest as _;

use super::conv::sarg;
use super::reg;
use crate::func::{FuncMap, Param};
use crate::value::Value;

use Param::String as Str;

pub(super) fn register(m: &mut FuncMap) {
    reg(m, "b64enc", &[Str], None, |a| {
        Ok(Value::from(
            base64::engine::general_purpose::STANDARD.encode(sarg(&a, 0).as_bytes()),
        ))
    });
    reg(m, "b64dec", &[Str], None, |a| {
        Ok(Value::from(b64dec(&sarg(&a, 0))))
    });
    reg(m, "b32enc", &[Str], None, |a| {
        Ok(Value::from(b32enc(sarg(&a, 0).as_bytes())))
    });
    reg(m, "b32dec", &[Str], None, |a| {
        Ok(Value::from(b32dec(&sarg(&a, 0))))
    });
    reg(m, "sha1sum", &[Str], None, |a| {
        Ok(Value::from(hex(&sha1::Sha1::digest(
            sarg(&a, 0).as_bytes(),
        ))))
    });
    reg(m, "sha256sum", &[Str], None, |a| {
        Ok(Value::from(hex(&sha2::Sha256::digest(
            sarg(&a, 0).as_bytes(),
        ))))
    });
    reg(m, "sha512sum", &[Str], None, |a| {
        Ok(Value::from(hex(&sha2::Sha512::digest(
            sarg(&a, 0).as_bytes(),
        ))))
    });
    reg(m, "adler32sum", &[Str], None, |a| {
        Ok(Value::from(adler32(sarg(&a, 0).as_bytes()).to_string()))
    });
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `hash/adler32`.
fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % 65521;
        b = (b + a) % 65521;
    }
    (b << 16) | a
}

/// `base64.StdEncoding.DecodeString`, or Go's error text (offsets count
/// the raw input, where `\r` and `\n` are skipped).
fn b64dec(s: &str) -> String {
    match decode_b64(s.as_bytes()) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(at) => format!("illegal base64 data at input byte {at}"),
    }
}

/// Go's `decodeQuantum` loop for the padded standard alphabet.
pub(crate) fn decode_b64(src: &[u8]) -> Result<Vec<u8>, usize> {
    let val = |c: u8| -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some(u32::from(c - b'A')),
            b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    };
    let skip_newlines = |mut si: usize| {
        while si < src.len() && (src[si] == b'\n' || src[si] == b'\r') {
            si += 1;
        }
        si
    };
    let mut out = Vec::new();
    let mut si = 0;
    loop {
        let mut dbuf = [0u32; 4];
        let mut dlen = 4;
        let mut j = 0;
        let mut finished = false;
        while j < 4 {
            if si == src.len() {
                if j == 0 {
                    return Ok(out);
                }
                return Err(si - j);
            }
            let c = src[si];
            si += 1;
            if let Some(v) = val(c) {
                dbuf[j] = v;
                j += 1;
                continue;
            }
            if c == b'\n' || c == b'\r' {
                continue;
            }
            if c != b'=' {
                return Err(si - 1);
            }
            match j {
                0 | 1 => return Err(si - 1),
                2 => {
                    si = skip_newlines(si);
                    if si == src.len() {
                        return Err(src.len());
                    }
                    if src[si] != b'=' {
                        return Err(si - 1);
                    }
                    si += 1;
                }
                _ => {}
            }
            si = skip_newlines(si);
            if si < src.len() {
                return Err(si);
            }
            dlen = j;
            finished = true;
            break;
        }
        let v = (dbuf[0] << 18) | (dbuf[1] << 12) | (dbuf[2] << 6) | dbuf[3];
        let bytes = [(v >> 16) as u8, (v >> 8) as u8, v as u8];
        out.extend_from_slice(&bytes[..dlen - 1]);
        if finished {
            return Ok(out);
        }
    }
}

const B32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// `base32.StdEncoding.EncodeToString`.
fn b32enc(data: &[u8]) -> String {
    let mut out = String::new();
    for chunk in data.chunks(5) {
        let mut buf = [0u8; 5];
        buf[..chunk.len()].copy_from_slice(chunk);
        let v = buf.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        let chars = match chunk.len() {
            1 => 2,
            2 => 4,
            3 => 5,
            4 => 7,
            _ => 8,
        };
        for k in 0..8 {
            if k < chars {
                out.push(B32[((v >> (35 - 5 * k)) & 31) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `base32.StdEncoding.DecodeString`, or Go's error text (offsets count
/// the input with its newlines removed, as Go strips them first).
fn b32dec(s: &str) -> String {
    let src: Vec<u8> = s.bytes().filter(|b| *b != b'\r' && *b != b'\n').collect();
    let olen = src.len();
    let mut rest: &[u8] = &src;
    let mut out = Vec::new();
    loop {
        if rest.is_empty() {
            break;
        }
        let mut dbuf = [0u8; 8];
        let mut dlen = 8;
        let mut end = false;
        let mut j = 0;
        while j < 8 {
            if rest.is_empty() {
                return format!("illegal base32 data at input byte {}", olen - j);
            }
            let c = rest[0];
            rest = &rest[1..];
            if c == b'=' && j >= 2 && rest.len() < 8 {
                if rest.len() + j < 7 {
                    return format!("illegal base32 data at input byte {olen}");
                }
                for k in 0..7 - j {
                    if rest.len() > k && rest[k] != b'=' {
                        return format!(
                            "illegal base32 data at input byte {}",
                            olen - rest.len() + k - 1
                        );
                    }
                }
                dlen = j;
                end = true;
                if matches!(dlen, 1 | 3 | 6) {
                    return format!(
                        "illegal base32 data at input byte {}",
                        olen - rest.len() - 1
                    );
                }
                break;
            }
            match B32.iter().position(|x| *x == c) {
                Some(d) => dbuf[j] = d as u8,
                None => {
                    return format!(
                        "illegal base32 data at input byte {}",
                        olen - rest.len() - 1
                    )
                }
            }
            j += 1;
        }
        let v = dbuf.iter().fold(0u64, |acc, d| (acc << 5) | u64::from(*d));
        let bytes = v.to_be_bytes();
        let keep = match dlen {
            8 => 5,
            7 => 4,
            5 => 3,
            4 => 2,
            2 => 1,
            _ => 0,
        };
        out.extend_from_slice(&bytes[3..3 + keep]);
        if end {
            break;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
