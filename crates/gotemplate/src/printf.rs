//! Go's `fmt.Sprint`, `fmt.Sprintln` and `fmt.Sprintf` over template values:
//! verbs, flags (`+ - # 0 space`), width, precision, `*` and `[n]`
//! argument indexes, and Go's in-band mistakes (`%!d(string=x)`,
//! `%!s(MISSING)`, `%!(EXTRA ...)`, `%!(BADWIDTH)`, `%!(NOVERB)`).
//!
//! Only formatting lives here; `%v` of a single value is [`crate::fmt::display`].

use crate::value::{SliceType, Value};

/// `fmt.Sprint(args...)`: a space between operands when neither is a string.
pub fn sprint(args: &[Value]) -> String {
    let mut p = Printer::default();
    let mut prev_string = false;
    for (i, a) in args.iter().enumerate() {
        let is_string = matches!(a, Value::String(_));
        if i > 0 && !is_string && !prev_string {
            p.buf.push(' ');
        }
        p.print_arg(a, 'v', 0);
        prev_string = is_string;
    }
    p.buf
}

/// `fmt.Sprintln(args...)`: spaces between all operands and a final newline.
pub fn sprintln(args: &[Value]) -> String {
    let mut p = Printer::default();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            p.buf.push(' ');
        }
        p.print_arg(a, 'v', 0);
    }
    p.buf.push('\n');
    p.buf
}

/// `U+0041`, or with `sharp` `U+0041 'A'` (the `%U` / `%#U` verbs).
pub fn format_unicode(code: u32, sharp: bool) -> String {
    let mut s = format!("U+{code:04X}");
    if sharp {
        if let Some(c) = char::from_u32(code) {
            if crate::fmt::is_go_print(c) {
                s.push_str(" '");
                s.push(c);
                s.push('\'');
            }
        }
    }
    s
}

#[derive(Default, Clone, Copy)]
struct Flags {
    plus: bool,
    minus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    plus_v: bool,
    sharp_v: bool,
    wid: Option<usize>,
    prec: Option<usize>,
}

#[derive(Default)]
struct Printer {
    buf: String,
    f: Flags,
}

fn too_large(n: i64) -> bool {
    !(-1_000_000..=1_000_000).contains(&n)
}

/// `fmt.Sprintf(format, args...)`.
pub fn sprintf(format: &str, args: &[Value]) -> String {
    let mut p = Printer::default();
    let b = format.as_bytes();
    let end = b.len();
    let mut i = 0;
    let mut arg_num = 0usize;
    let mut reordered = false;
    while i < end {
        let mut good_arg_num = true;
        let last = i;
        while i < end && b[i] != b'%' {
            i += 1;
        }
        if i > last {
            p.buf.push_str(&format[last..i]);
        }
        if i >= end {
            break;
        }
        i += 1;
        p.f = Flags::default();
        while i < end {
            match b[i] {
                b'#' => p.f.sharp = true,
                b'0' => p.f.zero = true,
                b'+' => p.f.plus = true,
                b'-' => p.f.minus = true,
                b' ' => p.f.space = true,
                _ => break,
            }
            i += 1;
        }
        // Argument index, width.
        let mut after_index;
        (arg_num, i, after_index) =
            arg_number(arg_num, b, i, args.len(), &mut good_arg_num, &mut reordered);
        if i < end && b[i] == b'*' {
            i += 1;
            let (w, ok, n) = int_from_arg(args, arg_num);
            arg_num = n;
            if !ok {
                p.buf.push_str("%!(BADWIDTH)");
            } else if w < 0 {
                p.f.minus = true;
                p.f.wid = Some((-w) as usize);
            } else {
                p.f.wid = Some(w as usize);
            }
            after_index = false;
        } else {
            let (w, present, ni) = parse_num(b, i);
            i = ni;
            if present {
                p.f.wid = Some(w);
                if after_index {
                    good_arg_num = false;
                }
            }
        }
        // Precision.
        if i + 1 < end && b[i] == b'.' {
            i += 1;
            if after_index {
                good_arg_num = false;
            }
            (arg_num, i, after_index) =
                arg_number(arg_num, b, i, args.len(), &mut good_arg_num, &mut reordered);
            if i < end && b[i] == b'*' {
                i += 1;
                let (pr, ok, n) = int_from_arg(args, arg_num);
                arg_num = n;
                if ok && pr >= 0 {
                    p.f.prec = Some(pr as usize);
                } else if !ok {
                    p.buf.push_str("%!(BADPREC)");
                }
                after_index = false;
            } else {
                let (pr, present, ni) = parse_num(b, i);
                i = ni;
                p.f.prec = Some(if present { pr } else { 0 });
            }
        }
        if !after_index {
            (arg_num, i, after_index) =
                arg_number(arg_num, b, i, args.len(), &mut good_arg_num, &mut reordered);
        }
        let _ = after_index;
        if i >= end {
            p.buf.push_str("%!(NOVERB)");
            break;
        }
        let verb = format[i..].chars().next().unwrap_or('?');
        i += verb.len_utf8();
        if verb == '%' {
            p.buf.push('%');
        } else if !good_arg_num {
            p.buf.push_str(&format!("%!{verb}(BADINDEX)"));
        } else if arg_num >= args.len() {
            p.buf.push_str(&format!("%!{verb}(MISSING)"));
        } else {
            if verb == 'v' {
                p.f.sharp_v = p.f.sharp;
                p.f.sharp = false;
                p.f.plus_v = p.f.plus;
                p.f.plus = false;
            }
            p.print_arg(&args[arg_num], verb, 0);
            arg_num += 1;
        }
    }
    if !reordered && arg_num < args.len() {
        p.f = Flags::default();
        p.buf.push_str("%!(EXTRA ");
        for (k, a) in args[arg_num..].iter().enumerate() {
            if k > 0 {
                p.buf.push_str(", ");
            }
            if let Value::Nil = a {
                p.buf.push_str("<nil>");
            } else {
                p.buf.push_str(&a.type_name());
                p.buf.push('=');
                p.print_arg(a, 'v', 0);
            }
        }
        p.buf.push(')');
    }
    p.buf
}

fn parse_num(b: &[u8], mut i: usize) -> (usize, bool, usize) {
    let start = i;
    let mut n: i64 = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        if too_large(n) {
            return (0, false, b.len());
        }
        n = n * 10 + (b[i] - b'0') as i64;
        i += 1;
    }
    (n as usize, i > start, i)
}

fn arg_number(
    arg_num: usize,
    b: &[u8],
    i: usize,
    num_args: usize,
    good: &mut bool,
    reordered: &mut bool,
) -> (usize, usize, bool) {
    if i >= b.len() || b[i] != b'[' {
        return (arg_num, i, false);
    }
    *reordered = true;
    // Parse "[n]".
    let mut j = i + 1;
    while j < b.len() && b[j] != b']' {
        j += 1;
    }
    if j >= b.len() {
        *good = false;
        return (arg_num, i + 1, false);
    }
    let digits = &b[i + 1..j];
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        *good = false;
        return (arg_num, j + 1, true);
    }
    let n: usize = std::str::from_utf8(digits)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    if n >= 1 && n <= num_args {
        (n - 1, j + 1, true)
    } else {
        *good = false;
        (arg_num, j + 1, true)
    }
}

fn int_from_arg(args: &[Value], arg_num: usize) -> (i64, bool, usize) {
    if arg_num >= args.len() {
        return (0, false, arg_num);
    }
    let (n, ok) = match &args[arg_num] {
        Value::Int(i) | Value::Int64(i) => (*i, true),
        Value::Uint64(u) if *u <= i64::MAX as u64 => (*u as i64, true),
        _ => (0, false),
    };
    if ok && too_large(n) {
        return (0, false, arg_num + 1);
    }
    (n, ok, arg_num + 1)
}

impl Printer {
    fn write_padding(&mut self, n: usize) {
        let c = if self.f.zero && !self.f.minus {
            '0'
        } else {
            ' '
        };
        for _ in 0..n {
            self.buf.push(c);
        }
    }

    fn pad(&mut self, s: &str) {
        let Some(wid) = self.f.wid else {
            self.buf.push_str(s);
            return;
        };
        let n = s.chars().count();
        if n >= wid {
            self.buf.push_str(s);
            return;
        }
        if self.f.minus {
            self.buf.push_str(s);
            let save = self.f.zero;
            self.f.zero = false;
            self.write_padding(wid - n);
            self.f.zero = save;
        } else {
            self.write_padding(wid - n);
            self.buf.push_str(s);
        }
    }

    fn pad_no_zero(&mut self, s: &str) {
        let save = self.f.zero;
        self.f.zero = false;
        self.pad(s);
        self.f.zero = save;
    }

    fn bad_verb(&mut self, v: &Value, verb: char) {
        self.buf.push_str("%!");
        self.buf.push(verb);
        self.buf.push('(');
        match v {
            Value::Nil => self.buf.push_str("<nil>"),
            v => {
                self.buf.push_str(&v.type_name());
                self.buf.push('=');
                self.print_arg(v, 'v', 0);
            }
        }
        self.buf.push(')');
    }

    fn print_arg(&mut self, v: &Value, verb: char, depth: usize) {
        if let Value::Nil = v {
            match verb {
                'T' | 'v' if depth == 0 => self.pad("<nil>"),
                _ if depth > 0 && self.f.sharp_v => self.buf.push_str("interface {}(nil)"),
                _ if depth > 0 => self.buf.push_str("<nil>"),
                _ => self.bad_verb(v, verb),
            }
            return;
        }
        if verb == 'T' {
            let t = v.type_name();
            self.fmt_s(&t);
            return;
        }
        match v {
            Value::Nil => {}
            Value::Bool(b) => match verb {
                't' | 'v' => self.pad(if *b { "true" } else { "false" }),
                _ => self.bad_verb(v, verb),
            },
            Value::Int(i) | Value::Int64(i) => self.fmt_integer(*i as u64, true, verb, v),
            Value::Uint64(u) => self.fmt_integer(*u, false, verb, v),
            Value::Float64(f) => self.fmt_float_verb(*f, verb, v),
            Value::String(s) => self.fmt_string(s, verb, v),
            Value::Bytes(b) => self.fmt_bytes(b, verb, v, depth),
            Value::List(st, items) => {
                if self.f.sharp_v {
                    self.buf.push_str(&v.type_name());
                    self.buf.push('{');
                    for (k, it) in items.iter().enumerate() {
                        if k > 0 {
                            self.buf.push_str(", ");
                        }
                        self.print_elem(it, verb, depth, *st == SliceType::Interface);
                    }
                    self.buf.push('}');
                    return;
                }
                self.buf.push('[');
                for (k, it) in items.iter().enumerate() {
                    if k > 0 {
                        self.buf.push(' ');
                    }
                    self.print_elem(it, verb, depth, *st == SliceType::Interface);
                }
                self.buf.push(']');
            }
            Value::Map(m) => {
                let m = m.borrow();
                if self.f.sharp_v {
                    self.buf.push_str("map[string]interface {}{");
                } else {
                    self.buf.push_str("map[");
                }
                for (k, (key, it)) in m.iter().enumerate() {
                    if k > 0 {
                        self.buf.push_str(if self.f.sharp_v { ", " } else { " " });
                    }
                    self.print_arg(&Value::str(key.as_str()), verb, depth + 1);
                    self.buf.push(':');
                    self.print_elem(it, verb, depth, true);
                }
                self.buf.push(if self.f.sharp_v { '}' } else { ']' });
            }
            Value::Object(o) => match verb {
                'v' | 's' => {
                    let s = o.display();
                    self.fmt_s(&s);
                }
                _ => self.bad_verb(v, verb),
            },
        }
    }

    fn print_elem(&mut self, v: &Value, verb: char, depth: usize, _iface: bool) {
        self.print_arg(v, verb, depth + 1);
    }

    fn fmt_s(&mut self, s: &str) {
        let s = self.truncate(s);
        self.pad(&s);
    }

    fn truncate(&self, s: &str) -> String {
        match self.f.prec {
            Some(p) => s.chars().take(p).collect(),
            None => s.to_string(),
        }
    }

    fn fmt_string(&mut self, s: &str, verb: char, v: &Value) {
        match verb {
            'v' => {
                if self.f.sharp_v {
                    self.fmt_q(s);
                } else {
                    self.fmt_s(s);
                }
            }
            's' => self.fmt_s(s),
            'x' => self.fmt_sbx(s.as_bytes(), "0123456789abcdefx"),
            'X' => self.fmt_sbx(s.as_bytes(), "0123456789ABCDEFX"),
            'q' => self.fmt_q(s),
            _ => self.bad_verb(v, verb),
        }
    }

    fn fmt_bytes(&mut self, b: &[u8], verb: char, v: &Value, depth: usize) {
        match verb {
            'v' | 'd' => {
                if self.f.sharp_v {
                    self.buf.push_str("[]byte{");
                    for (k, c) in b.iter().enumerate() {
                        if k > 0 {
                            self.buf.push_str(", ");
                        }
                        self.buf.push_str(&format!("0x{c:x}"));
                    }
                    self.buf.push('}');
                    return;
                }
                self.buf.push('[');
                for (k, c) in b.iter().enumerate() {
                    if k > 0 {
                        self.buf.push(' ');
                    }
                    self.fmt_integer(*c as u64, false, verb, &Value::Uint64(*c as u64));
                }
                self.buf.push(']');
                let _ = depth;
            }
            's' => self.fmt_s(&String::from_utf8_lossy(b)),
            'x' => self.fmt_sbx(b, "0123456789abcdefx"),
            'X' => self.fmt_sbx(b, "0123456789ABCDEFX"),
            'q' => self.fmt_q(&String::from_utf8_lossy(b)),
            _ => self.bad_verb(v, verb),
        }
    }

    fn fmt_q(&mut self, s: &str) {
        let s = self.truncate(s);
        if self.f.sharp && can_backquote(&s) {
            self.pad(&format!("`{s}`"));
        } else if self.f.plus {
            self.pad(&quote_ascii(&s));
        } else {
            self.pad(&crate::fmt::quote(&s));
        }
    }

    fn fmt_sbx(&mut self, b: &[u8], digits: &str) {
        let d = digits.as_bytes();
        let mut length = b.len();
        if let Some(p) = self.f.prec {
            length = length.min(p);
        }
        let mut width = 2 * length;
        if width > 0 {
            if self.f.space {
                if self.f.sharp {
                    width *= 2;
                }
                width += length - 1;
            } else if self.f.sharp {
                width += 2;
            }
        } else {
            if let Some(w) = self.f.wid {
                self.write_padding(w);
            }
            return;
        }
        let wid = self.f.wid.unwrap_or(0);
        if wid > width && !self.f.minus {
            self.write_padding(wid - width);
        }
        if self.f.sharp {
            self.buf.push('0');
            self.buf.push(d[16] as char);
        }
        for (i, c) in b[..length].iter().enumerate() {
            if self.f.space && i > 0 {
                self.buf.push(' ');
                if self.f.sharp {
                    self.buf.push('0');
                    self.buf.push(d[16] as char);
                }
            }
            self.buf.push(d[(c >> 4) as usize] as char);
            self.buf.push(d[(c & 0xF) as usize] as char);
        }
        if wid > width && self.f.minus {
            self.write_padding(wid - width);
        }
    }

    fn fmt_integer(&mut self, u: u64, signed: bool, verb: char, v: &Value) {
        match verb {
            'v' => {
                if self.f.sharp_v && !signed {
                    self.fmt_int_base(u, 16, signed, verb, "0123456789abcdefx", true);
                } else {
                    self.fmt_int_base(u, 10, signed, verb, "0123456789abcdefx", false);
                }
            }
            'd' => self.fmt_int_base(u, 10, signed, verb, "0123456789abcdefx", false),
            'b' => self.fmt_int_base(u, 2, signed, verb, "0123456789abcdefx", false),
            'o' | 'O' => self.fmt_int_base(u, 8, signed, verb, "0123456789abcdefx", false),
            'x' => self.fmt_int_base(u, 16, signed, verb, "0123456789abcdefx", false),
            'X' => self.fmt_int_base(u, 16, signed, verb, "0123456789ABCDEFX", false),
            'c' => {
                let c = char::from_u32(u as u32)
                    .filter(|_| u <= 0x10FFFF)
                    .unwrap_or('\u{FFFD}');
                self.pad(&c.to_string());
            }
            'q' => {
                let c = char::from_u32(u as u32)
                    .filter(|_| u <= 0x10FFFF)
                    .unwrap_or('\u{FFFD}');
                let q = quote_rune(c, self.f.plus);
                self.pad(&q);
            }
            'U' => {
                let mut digits = format!("{u:X}");
                let min = self.f.prec.unwrap_or(4).max(4);
                while digits.len() < min {
                    digits.insert(0, '0');
                }
                let mut s = format!("U+{digits}");
                if self.f.sharp {
                    if let Some(c) = char::from_u32(u as u32) {
                        if u <= 0x10FFFF && crate::fmt::is_go_print(c) {
                            s.push_str(&format!(" '{c}'"));
                        }
                    }
                }
                self.pad_no_zero(&s);
            }
            _ => self.bad_verb(v, verb),
        }
    }

    fn fmt_int_base(
        &mut self,
        u: u64,
        base: u32,
        signed: bool,
        verb: char,
        digits: &str,
        sharp_v0x: bool,
    ) {
        let negative = signed && (u as i64) < 0;
        let mag: u64 = if negative {
            (u as i64).unsigned_abs()
        } else {
            u
        };
        let mut prec = 0usize;
        if let Some(p) = self.f.prec {
            prec = p;
            if p == 0 && mag == 0 {
                let save = self.f.zero;
                self.f.zero = false;
                if let Some(w) = self.f.wid {
                    self.write_padding(w);
                }
                self.f.zero = save;
                return;
            }
        } else if self.f.zero && !self.f.minus {
            if let Some(w) = self.f.wid {
                prec = w;
                if negative || self.f.plus || self.f.space {
                    prec = prec.saturating_sub(1);
                }
            }
        }
        let d = digits.as_bytes();
        let mut out: Vec<u8> = Vec::new();
        let mut m = mag;
        if m == 0 {
            out.push(b'0');
        }
        while m > 0 {
            out.push(d[(m % base as u64) as usize]);
            m /= base as u64;
        }
        while out.len() < prec {
            out.push(b'0');
        }
        let sharp = self.f.sharp || sharp_v0x;
        if sharp {
            match base {
                2 => {
                    out.push(b'b');
                    out.push(b'0');
                }
                8 if out.last() != Some(&b'0') => out.push(b'0'),
                16 => {
                    out.push(d[16]);
                    out.push(b'0');
                }
                _ => {}
            }
        }
        if verb == 'O' {
            out.push(b'o');
            out.push(b'0');
        }
        if negative {
            out.push(b'-');
        } else if self.f.plus {
            out.push(b'+');
        } else if self.f.space {
            out.push(b' ');
        }
        out.reverse();
        let s = String::from_utf8(out).unwrap_or_default();
        self.pad_no_zero(&s);
    }

    fn fmt_float_verb(&mut self, f: f64, verb: char, v: &Value) {
        match verb {
            'v' => self.fmt_float(f, 'g', None),
            'g' | 'G' => self.fmt_float(f, verb, self.f.prec),
            'e' | 'E' | 'f' | 'F' => self.fmt_float(f, verb, Some(self.f.prec.unwrap_or(6))),
            'b' | 'x' | 'X' => self.fmt_float(f, 'g', self.f.prec),
            _ => self.bad_verb(v, verb),
        }
    }

    fn fmt_float(&mut self, v: f64, verb: char, prec: Option<usize>) {
        let prec = if verb == 'v' { None } else { prec };
        let body = format_float(v.abs(), if verb == 'F' { 'f' } else { verb }, prec);
        let mut num = String::new();
        num.push(if v.is_sign_negative() && !v.is_nan() {
            '-'
        } else {
            '+'
        });
        num.push_str(&body);
        if self.f.space && num.starts_with('+') && !self.f.plus {
            num.replace_range(0..1, " ");
        }
        if v.is_infinite() || v.is_nan() {
            let save = self.f.zero;
            self.f.zero = false;
            if v.is_nan() && !self.f.space && !self.f.plus {
                num.remove(0);
            }
            if num.starts_with('+') && !self.f.plus && !self.f.space {
                num.remove(0);
            }
            self.pad(&num);
            self.f.zero = save;
            return;
        }
        if self.f.sharp && verb != 'b' {
            let mut digits: i64 = match verb {
                'v' | 'g' | 'G' | 'x' => prec.map(|p| p as i64).unwrap_or(6),
                _ => 0,
            };
            let bytes: Vec<char> = num.chars().collect();
            let mut head: Vec<char> = Vec::new();
            let mut tail = String::new();
            let mut has_point = false;
            let mut saw_nonzero = false;
            let mut k = 1;
            head.push(bytes[0]);
            while k < bytes.len() {
                let c = bytes[k];
                match c {
                    '.' => {
                        has_point = true;
                        head.push(c);
                    }
                    'e' | 'E' | 'p' | 'P' => {
                        tail = bytes[k..].iter().collect();
                        break;
                    }
                    _ => {
                        if c != '0' {
                            saw_nonzero = true;
                        }
                        if saw_nonzero {
                            digits -= 1;
                        }
                        head.push(c);
                    }
                }
                k += 1;
            }
            if !has_point {
                if head.len() == 2 && head[1] == '0' {
                    digits -= 1;
                }
                head.push('.');
            }
            while digits > 0 {
                head.push('0');
                digits -= 1;
            }
            num = head.into_iter().collect::<String>() + &tail;
        }
        if self.f.plus || !num.starts_with('+') {
            let len = num.chars().count();
            if self.f.zero && !self.f.minus {
                if let Some(w) = self.f.wid {
                    if w > len {
                        let sign = num.remove(0);
                        self.buf.push(sign);
                        self.write_padding(w - len);
                        self.buf.push_str(&num);
                        return;
                    }
                }
            }
            self.pad(&num);
            return;
        }
        self.pad(&num[1..]);
    }
}

/// Decimal digits (no leading zeros, trailing zeros trimmed) and the
/// position of the decimal point, as strconv's `decimalSlice`.
fn digits_of(v: f64, sig: Option<usize>) -> (Vec<u8>, i32) {
    if v == 0.0 {
        return (Vec::new(), 0);
    }
    let s = match sig {
        None => format!("{v:e}"),
        Some(n) => format!("{:.*e}", n.saturating_sub(1), v),
    };
    let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = e.parse().unwrap_or(0);
    let mut d: Vec<u8> = m.bytes().filter(u8::is_ascii_digit).collect();
    while d.last() == Some(&b'0') {
        d.pop();
    }
    if d.is_empty() {
        return (Vec::new(), 0);
    }
    (d, exp + 1)
}

fn fmt_e(d: &[u8], dp: i32, prec: usize, e: char) -> String {
    let mut out = String::new();
    out.push(if d.is_empty() { '0' } else { d[0] as char });
    if prec > 0 {
        out.push('.');
        for k in 1..=prec {
            out.push(d.get(k).map(|c| *c as char).unwrap_or('0'));
        }
    }
    out.push(e);
    let exp = if d.is_empty() { 0 } else { dp - 1 };
    out.push(if exp < 0 { '-' } else { '+' });
    let a = exp.unsigned_abs();
    if a < 10 {
        out.push('0');
    }
    out.push_str(&a.to_string());
    out
}

fn fmt_f(d: &[u8], dp: i32, prec: usize) -> String {
    let mut out = String::new();
    if dp > 0 {
        for k in 0..dp as usize {
            out.push(d.get(k).map(|c| *c as char).unwrap_or('0'));
        }
    } else {
        out.push('0');
    }
    if prec > 0 {
        out.push('.');
        for k in 1..=prec as i32 {
            let idx = dp + k - 1;
            let c = if idx >= 0 {
                d.get(idx as usize).copied()
            } else {
                None
            };
            out.push(c.map(|c| c as char).unwrap_or('0'));
        }
    }
    out
}

/// `strconv.FormatFloat(v, verb, prec, 64)` for a non-negative `v`
/// (`prec` `None` = shortest).
pub fn format_float(v: f64, verb: char, prec: Option<usize>) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return "Inf".into();
    }
    match verb {
        'e' | 'E' => {
            let (d, dp) = digits_of(v, prec.map(|p| p + 1));
            let p = prec.unwrap_or(d.len().saturating_sub(1));
            fmt_e(&d, dp, p, verb)
        }
        'f' => match prec {
            Some(p) => format!("{v:.p$}"),
            None => {
                let (d, dp) = digits_of(v, None);
                fmt_f(&d, dp, (d.len() as i32 - dp).max(0) as usize)
            }
        },
        _ => {
            let e = if verb == 'G' { 'E' } else { 'e' };
            let shortest = prec.is_none();
            let (d, dp) = match prec {
                None => digits_of(v, None),
                Some(p) => digits_of(v, Some(p.max(1))),
            };
            let mut prec = match prec {
                None => d.len(),
                Some(p) => p.max(1),
            };
            let mut eprec = prec as i32;
            if eprec > d.len() as i32 && d.len() as i32 >= dp {
                eprec = d.len() as i32;
            }
            if shortest {
                eprec = 6;
            }
            let exp = if d.is_empty() { -1 } else { dp - 1 };
            if exp < -4 || exp >= eprec {
                if prec > d.len() {
                    prec = d.len();
                }
                return fmt_e(&d, dp, prec.saturating_sub(1), e);
            }
            if prec as i32 > dp {
                prec = d.len();
            }
            fmt_f(&d, dp, (prec as i32 - dp).max(0) as usize)
        }
    }
}

fn can_backquote(s: &str) -> bool {
    s.chars()
        .all(|c| c != '`' && c != '\u{FEFF}' && (c == '\t' || !(c.is_control() || c == '\u{7f}')))
}

fn quote_ascii(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x0b' => out.push_str("\\v"),
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c if (' '..='~').contains(&c) => out.push(c),
            c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

fn quote_rune(c: char, ascii: bool) -> String {
    let q = if ascii {
        quote_ascii(&c.to_string())
    } else {
        crate::fmt::quote(&c.to_string())
    };
    let inner = &q[1..q.len() - 1];
    let inner = match inner {
        "\\\"" => "\"".to_string(),
        "'" => "\\'".to_string(),
        other => other.to_string(),
    };
    format!("'{inner}'")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(fmt: &str, args: &[Value]) -> String {
        sprintf(fmt, args)
    }

    #[test]
    fn verbs_and_mistakes() {
        let s = Value::str;
        assert_eq!(
            f(
                "%d|%5d|%-5d|%05d|%x|%X|%o|%#x|%+d",
                &[
                    Value::Int(42),
                    Value::Int(42),
                    Value::Int(42),
                    Value::Int(-42),
                    Value::Int(255),
                    Value::Int(255),
                    Value::Int(8),
                    Value::Int(255),
                    Value::Int(3)
                ]
            ),
            "42|   42|42   |-0042|ff|FF|10|0xff|+3"
        );
        assert_eq!(
            f(
                "%s %q %v %5.1f %e %g",
                &[
                    s("a"),
                    s("b"),
                    Value::Float64(1e6),
                    Value::Float64(2.6875),
                    Value::Float64(1234.5678),
                    Value::Float64(0.000012)
                ]
            ),
            "a \"b\" 1e+06   2.7 1.234568e+03 1.2e-05"
        );
        assert_eq!(f("%d", &[s("x")]), "%!d(string=x)");
        assert_eq!(f("%s %s", &[s("x")]), "x %!s(MISSING)");
        assert_eq!(f("%s", &[s("x"), Value::Int(1)]), "x%!(EXTRA int=1)");
        assert_eq!(f("%", &[]), "%!(NOVERB)");
        assert_eq!(f("%*d", &[s("x"), Value::Int(1)]), "%!(BADWIDTH)1");
        assert_eq!(f("%v %d", &[Value::Nil, Value::Nil]), "<nil> %!d(<nil>)");
        assert_eq!(f("%T %T", &[Value::Int(1), Value::Nil]), "int <nil>");
        assert_eq!(
            f(
                "%c %U %#U",
                &[Value::Int(65), Value::Int(65), Value::Int(65)]
            ),
            "A U+0041 U+0041 'A'"
        );
        assert_eq!(
            f(
                "%.2f %8.3e %G",
                &[
                    Value::Float64(2.675),
                    Value::Float64(-12345.678),
                    Value::Float64(1e21)
                ]
            ),
            "2.67 -1.235e+04 1E+21"
        );
    }

    #[test]
    fn sprint_spacing() {
        assert_eq!(
            sprint(&[Value::Int(1), Value::Int(2), Value::str("a"), Value::Int(3)]),
            "1 2a3"
        );
        assert_eq!(sprintln(&[Value::str("a"), Value::Int(1)]), "a 1\n");
    }
}
