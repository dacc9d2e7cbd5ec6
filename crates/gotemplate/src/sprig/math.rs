//! sprig's arithmetic and number conversions: the int64 operators (`add`,
//! `sub`, `mul`, `div`, `mod`, `max`, `min`, `add1`) with Go's wrapping and
//! divide-by-zero panic, the float ones (`addf`... through shopspring/decimal,
//! so `addf 0.1 0.2` is `0.3`), `floor`/`ceil`/`round`, and the casts `int`,
//! `int64`, `float64`, `atoi`, `toDecimal`.

use num_bigint::BigInt;
use num_traits::{Signed, Zero};

use super::conv::{arg, iarg, parse_int_base0, sarg, to_float64, to_int, to_int64};
use super::reg;
use crate::fmt::display;
use crate::func::{FuncError, FuncMap, Param};
use crate::value::Value;

use Param::{Any, Float64, Int, String as Str};

const DIVIDE_BY_ZERO: &str = "runtime error: integer divide by zero";

pub(super) fn register(m: &mut FuncMap) {
    reg(m, "atoi", &[Str], None, |a| {
        Ok(Value::Int(atoi(&sarg(&a, 0))))
    });
    reg(m, "int64", &[Any], None, |a| {
        Ok(Value::Int64(to_int64(&arg(&a, 0))))
    });
    reg(m, "int", &[Any], None, |a| {
        Ok(Value::Int(to_int(&arg(&a, 0))))
    });
    reg(m, "float64", &[Any], None, |a| {
        Ok(Value::Float64(to_float64(&arg(&a, 0))))
    });
    reg(m, "toDecimal", &[Any], None, |a| {
        Ok(Value::Int64(
            parse_octal(&display(&arg(&a, 0))).unwrap_or(0),
        ))
    });
    reg(m, "add1", &[Any], None, |a| {
        Ok(Value::Int64(to_int64(&arg(&a, 0)).wrapping_add(1)))
    });
    reg(m, "add", &[], Some(Any), |a| {
        Ok(Value::Int64(
            a.iter().fold(0i64, |acc, v| acc.wrapping_add(to_int64(v))),
        ))
    });
    reg(m, "sub", &[Any, Any], None, |a| {
        Ok(Value::Int64(to_int64(&a[0]).wrapping_sub(to_int64(&a[1]))))
    });
    reg(m, "div", &[Any, Any], None, |a| {
        let d = to_int64(&a[1]);
        if d == 0 {
            return Err(FuncError::new(DIVIDE_BY_ZERO));
        }
        Ok(Value::Int64(to_int64(&a[0]).wrapping_div(d)))
    });
    reg(m, "mod", &[Any, Any], None, |a| {
        let d = to_int64(&a[1]);
        if d == 0 {
            return Err(FuncError::new(DIVIDE_BY_ZERO));
        }
        Ok(Value::Int64(to_int64(&a[0]).wrapping_rem(d)))
    });
    reg(m, "mul", &[Any], Some(Any), |a| {
        Ok(Value::Int64(
            a[1..]
                .iter()
                .fold(to_int64(&a[0]), |acc, v| acc.wrapping_mul(to_int64(v))),
        ))
    });
    for name in ["max", "biggest"] {
        reg(m, name, &[Any], Some(Any), |a| {
            Ok(Value::Int64(
                a[1..].iter().map(to_int64).fold(to_int64(&a[0]), i64::max),
            ))
        });
    }
    reg(m, "min", &[Any], Some(Any), |a| {
        Ok(Value::Int64(
            a[1..].iter().map(to_int64).fold(to_int64(&a[0]), i64::min),
        ))
    });
    reg(m, "maxf", &[Any], Some(Any), |a| {
        Ok(Value::Float64(
            a[1..]
                .iter()
                .map(to_float64)
                .fold(to_float64(&a[0]), go_max),
        ))
    });
    reg(m, "minf", &[Any], Some(Any), |a| {
        Ok(Value::Float64(
            a[1..]
                .iter()
                .map(to_float64)
                .fold(to_float64(&a[0]), go_min),
        ))
    });
    reg(m, "floor", &[Any], None, |a| {
        Ok(Value::Float64(to_float64(&arg(&a, 0)).floor()))
    });
    reg(m, "ceil", &[Any], None, |a| {
        Ok(Value::Float64(to_float64(&arg(&a, 0)).ceil()))
    });
    reg(m, "round", &[Any, Int], Some(Float64), |a| {
        let on = a.get(2).map(to_float64).unwrap_or(0.5);
        Ok(Value::Float64(round(to_float64(&a[0]), iarg(&a, 1), on)))
    });
    reg(m, "add1f", &[Any], None, |a| {
        decimal_op(&arg(&a, 0), &[Value::Int(1)], Dec::add).map(Value::Float64)
    });
    reg(m, "addf", &[], Some(Any), |a| {
        decimal_op(&Value::Float64(0.0), &a, Dec::add).map(Value::Float64)
    });
    reg(m, "subf", &[Any], Some(Any), |a| {
        decimal_op(&a[0], &a[1..], Dec::sub).map(Value::Float64)
    });
    reg(m, "mulf", &[Any], Some(Any), |a| {
        decimal_op(&a[0], &a[1..], Dec::mul).map(Value::Float64)
    });
    reg(m, "divf", &[Any], Some(Any), |a| {
        decimal_op(&a[0], &a[1..], Dec::div).map(Value::Float64)
    });
}

/// `strconv.Atoi`, its errors swallowed: 0 on bad syntax, the clamped
/// extreme on overflow (Go returns both the clamped value and an error).
fn atoi(s: &str) -> i64 {
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return 0;
    }
    let mut v: i128 = 0;
    for b in digits.bytes() {
        v = (v * 10 + i128::from(b - b'0')).min(1i128 << 64);
    }
    let v = if neg { -v } else { v };
    v.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

/// `strconv.ParseInt(s, 8, 64)`.
fn parse_octal(s: &str) -> Option<i64> {
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        return None;
    }
    let prefixed = if neg {
        format!("-0o{digits}")
    } else {
        format!("0o{digits}")
    };
    parse_int_base0(&prefixed)
}

/// Go's `math.Max`.
fn go_max(x: f64, y: f64) -> f64 {
    if x.is_infinite() && x > 0.0 || y.is_infinite() && y > 0.0 {
        return f64::INFINITY;
    }
    if x.is_nan() || y.is_nan() {
        return f64::NAN;
    }
    if x == 0.0 && y == 0.0 {
        return if x.is_sign_negative() { y } else { x };
    }
    if x > y {
        x
    } else {
        y
    }
}

/// Go's `math.Min`.
fn go_min(x: f64, y: f64) -> f64 {
    if x.is_infinite() && x < 0.0 || y.is_infinite() && y < 0.0 {
        return f64::NEG_INFINITY;
    }
    if x.is_nan() || y.is_nan() {
        return f64::NAN;
    }
    if x == 0.0 && y == 0.0 {
        return if x.is_sign_negative() { x } else { y };
    }
    if x < y {
        x
    } else {
        y
    }
}

/// sprig's `round`: scale, then ceil when the fraction reaches `on`, else floor.
fn round(v: f64, places: i64, on: f64) -> f64 {
    let pow = 10f64.powf(places as f64);
    let digit = pow * v;
    let frac = digit - digit.trunc();
    let r = if frac >= on {
        digit.ceil()
    } else {
        digit.floor()
    };
    r / pow
}

/// A shopspring/decimal value: `coef × 10^exp`, exact.
#[derive(Clone, Debug)]
struct Dec {
    coef: BigInt,
    exp: i64,
}

/// shopspring's `DivisionPrecision`: quotients keep 16 decimal places.
const DIVISION_PRECISION: i64 = 16;

impl Dec {
    /// `decimal.NewFromFloat`: the shortest decimal that reads back as `f`.
    fn from_f64(f: f64) -> Result<Dec, FuncError> {
        if !f.is_finite() {
            return Err(FuncError::new(format!(
                "Cannot create a Decimal from {}",
                display(&Value::Float64(f))
            )));
        }
        if f == 0.0 {
            return Ok(Dec {
                coef: BigInt::zero(),
                exp: 0,
            });
        }
        let sci = format!("{f:e}");
        let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
        let exp: i64 = exp.parse().unwrap_or(0);
        let negative = mantissa.starts_with('-');
        let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
        let mut coef: BigInt = digits.parse().unwrap_or_default();
        if negative {
            coef = -coef;
        }
        Ok(Dec {
            coef,
            exp: exp - (digits.len() as i64 - 1),
        })
    }

    fn rescale(&self, exp: i64) -> BigInt {
        // exp <= self.exp
        &self.coef * BigInt::from(10).pow((self.exp - exp) as u32)
    }

    fn add(a: Dec, b: Dec) -> Result<Dec, FuncError> {
        let exp = a.exp.min(b.exp);
        Ok(Dec {
            coef: a.rescale(exp) + b.rescale(exp),
            exp,
        })
    }

    fn sub(a: Dec, b: Dec) -> Result<Dec, FuncError> {
        let exp = a.exp.min(b.exp);
        Ok(Dec {
            coef: a.rescale(exp) - b.rescale(exp),
            exp,
        })
    }

    fn mul(a: Dec, b: Dec) -> Result<Dec, FuncError> {
        Ok(Dec {
            coef: a.coef * b.coef,
            exp: a.exp + b.exp,
        })
    }

    /// `Decimal.Div`: `DivRound` to 16 places, halves away from zero.
    fn div(a: Dec, b: Dec) -> Result<Dec, FuncError> {
        if b.coef.is_zero() {
            return Err(FuncError::new("decimal division by 0"));
        }
        let k = a.exp - b.exp + DIVISION_PRECISION;
        let (num, den) = if k >= 0 {
            (&a.coef * BigInt::from(10).pow(k as u32), b.coef.clone())
        } else {
            (a.coef.clone(), &b.coef * BigInt::from(10).pow((-k) as u32))
        };
        let mut q = &num / &den;
        let r = &num % &den;
        if (r.abs() * 2) >= den.abs() {
            if num.is_negative() != den.is_negative() {
                q -= 1;
            } else {
                q += 1;
            }
        }
        Ok(Dec {
            coef: q,
            exp: -DIVISION_PRECISION,
        })
    }

    /// The nearest `float64` (`Decimal.Float64`).
    fn to_f64(&self) -> f64 {
        format!("{}e{}", self.coef, self.exp).parse().unwrap_or(0.0)
    }
}

/// sprig's `execDecimalOp`: fold the operands through `op` in decimal.
fn decimal_op(
    first: &Value,
    rest: &[Value],
    op: fn(Dec, Dec) -> Result<Dec, FuncError>,
) -> Result<f64, FuncError> {
    let mut acc = Dec::from_f64(to_float64(first))?;
    for v in rest {
        acc = op(acc, Dec::from_f64(to_float64(v))?)?;
    }
    Ok(acc.to_f64())
}
