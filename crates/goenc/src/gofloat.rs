//! Go's `strconv.FormatFloat` with the shortest-precision forms Helm's
//! libraries use: `'g'` (go-yaml's float scalars, sigs.k8s.io/yaml's float
//! map keys at 32-bit precision) and encoding/json's float format.
//!
//! Owns digit generation and layout only; callers decide which form a value
//! gets and what to do with non-finite numbers.

/// The shortest decimal digits of `f` (at `bits` precision, 32 or 64) and
/// the decimal exponent `dp` such that the value is `0.d1d2... × 10^dp`.
/// `f` must be finite; the sign is ignored.
fn shortest_digits(f: f64, bits: u32) -> (String, i32) {
    let sci = if bits == 32 {
        format!("{:e}", (f as f32).abs())
    } else {
        format!("{:e}", f.abs())
    };
    // Rust prints the shortest round-trip digits as `d.ddde±x` (or `de±x`).
    let (mant, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    if digits.chars().all(|c| c == '0') {
        return ("0".into(), 1);
    }
    let digits = digits.trim_end_matches('0').to_string();
    (digits, exp + 1)
}

/// `%e` layout of digits with `prec` digits after the point (Go: at least
/// two exponent digits, explicit sign).
fn layout_e(neg: bool, digits: &str, dp: i32, prec: usize) -> String {
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    let mut ds = digits.chars();
    out.push(ds.next().unwrap_or('0'));
    if prec > 0 {
        out.push('.');
        let rest: String = ds.collect();
        out.push_str(&rest);
        for _ in rest.len()..prec {
            out.push('0');
        }
    }
    let exp = if digits == "0" { 0 } else { dp - 1 };
    out.push('e');
    out.push(if exp < 0 { '-' } else { '+' });
    let e = exp.unsigned_abs();
    if e < 10 {
        out.push('0');
    }
    out.push_str(&e.to_string());
    out
}

/// `%f` layout of digits with `prec` digits after the point.
fn layout_f(neg: bool, digits: &str, dp: i32, prec: usize) -> String {
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    let d = digits.as_bytes();
    let digit = |i: i32| -> char {
        if i >= 0 && (i as usize) < d.len() {
            d[i as usize] as char
        } else {
            '0'
        }
    };
    if dp > 0 {
        for i in 0..dp {
            out.push(digit(i));
        }
    } else {
        out.push('0');
    }
    if prec > 0 {
        out.push('.');
        for i in 0..prec as i32 {
            out.push(digit(dp + i));
        }
    }
    out
}

/// Non-finite spellings as Go's strconv writes them.
fn non_finite(f: f64) -> Option<String> {
    if f.is_nan() {
        Some("NaN".into())
    } else if f.is_infinite() {
        Some(if f > 0.0 { "+Inf" } else { "-Inf" }.into())
    } else {
        None
    }
}

/// `strconv.FormatFloat(f, 'g', -1, bits)`.
pub fn format_g(f: f64, bits: u32) -> String {
    if let Some(s) = non_finite(f) {
        return s;
    }
    let neg = f.is_sign_negative();
    let (digits, dp) = shortest_digits(f, bits);
    // Go: with the shortest precision, %e is chosen when exp < -4 || exp >= 6.
    let exp = if digits == "0" { 0 } else { dp - 1 };
    if !(-4..6).contains(&exp) {
        return layout_e(neg, &digits, dp, digits.len() - 1);
    }
    layout_f(neg, &digits, dp, (digits.len() as i32 - dp).max(0) as usize)
}

/// `strconv.FormatFloat(f, 'f', -1, 64)`.
pub fn format_f(f: f64) -> String {
    if let Some(s) = non_finite(f) {
        return s;
    }
    let (digits, dp) = shortest_digits(f, 64);
    layout_f(
        f.is_sign_negative(),
        &digits,
        dp,
        (digits.len() as i32 - dp).max(0) as usize,
    )
}

/// encoding/json's float64 text: `'f'` unless |f| < 1e-6 or |f| >= 1e21,
/// then `'e'` with a one-digit negative exponent cleaned (`1e-07` → `1e-7`).
/// `f` must be finite.
pub fn format_json(f: f64) -> String {
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let (digits, dp) = shortest_digits(f, 64);
        let mut s = layout_e(f.is_sign_negative(), &digits, dp, digits.len() - 1);
        let n = s.len();
        let b = s.as_bytes();
        if n >= 4 && b[n - 4] == b'e' && b[n - 3] == b'-' && b[n - 2] == b'0' {
            s.remove(n - 2);
        }
        return s;
    }
    format_f(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g_matches_go() {
        for (f, want) in [
            (1e6, "1e+06"),
            (123456.0, "123456"),
            (1.5, "1.5"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1e21, "1e+21"),
            (1e20, "1e+20"),
            (1234567.5, "1.2345675e+06"),
            (0.0, "0"),
            (-0.0, "-0"),
            (100.0, "100"),
            (-2.5e-10, "-2.5e-10"),
        ] {
            assert_eq!(format_g(f, 64), want, "{f}");
        }
        assert_eq!(format_g(123456789.5, 32), "1.2345679e+08");
        assert_eq!(format_g(0.1, 32), "0.1");
    }

    #[test]
    fn json_matches_go() {
        for (f, want) in [
            (1e6, "1000000"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (1e-7, "1e-7"),
            (1.5e-7, "1.5e-7"),
            (1e-6, "0.000001"),
            (-0.0, "-0"),
            (0.1, "0.1"),
            (1.2345e-30, "1.2345e-30"),
        ] {
            assert_eq!(format_json(f), want, "{f}");
        }
    }
}
