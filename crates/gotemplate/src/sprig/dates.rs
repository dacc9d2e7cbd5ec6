//! sprig's date functions: `now`, `date`/`dateInZone` (and the snake-case
//! aliases), `htmlDate`, `htmlDateInZone`, `dateModify`/`mustDateModify`,
//! `toDate`/`mustToDate`, `unixEpoch`, `duration`, `durationRound`, `ago`.
//! A time is an [`Object`] (`time.Time`) printing as Go's `Time.String()`;
//! layouts are Go's reference-time layouts (`2006-01-02 15:04:05`), written
//! and read here; zones come from the IANA database (`chrono-tz`), `Local`
//! from `TZ` or `/etc/localtime` as Go reads them.

use std::rc::Rc;

use chrono::{
    DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, Offset, TimeZone, Timelike, Utc,
};
use chrono_tz::{OffsetName, Tz};

use super::conv::{arg, sarg};
use super::reg;
use crate::func::{FuncError, FuncMap, Param};
use crate::value::{Object, Value};

use Param::{Any, String as Str};

pub(super) fn register(m: &mut FuncMap) {
    reg(m, "now", &[], None, |_| Ok(time_value(GoTime::now())));
    for name in ["date", "date_in_zone", "dateInZone"] {
        let zoned = name != "date";
        let params: &'static [Param] = if zoned { &[Str, Any, Str] } else { &[Str, Any] };
        reg(m, name, params, None, move |a| {
            let zone = if zoned {
                sarg(&a, 2).to_string()
            } else {
                "Local".into()
            };
            Ok(Value::from(date_in_zone(&sarg(&a, 0), &arg(&a, 1), &zone)))
        });
    }
    reg(m, "htmlDate", &[Any], None, |a| {
        Ok(Value::from(date_in_zone(
            "2006-01-02",
            &arg(&a, 0),
            "Local",
        )))
    });
    reg(m, "htmlDateInZone", &[Any, Str], None, |a| {
        Ok(Value::from(date_in_zone(
            "2006-01-02",
            &arg(&a, 0),
            &sarg(&a, 1),
        )))
    });
    for (name, must) in [
        ("dateModify", false),
        ("date_modify", false),
        ("mustDateModify", true),
        ("must_date_modify", true),
    ] {
        reg(m, name, &[Str, Any], None, move |a| {
            let t = time_arg(&a, 1)?;
            match parse_duration(&sarg(&a, 0)) {
                Ok(d) => Ok(time_value(t.add_nanos(d))),
                Err(e) if must => Err(FuncError::new(e)),
                Err(_) => Ok(time_value(t)),
            }
        });
    }
    for (name, must) in [("toDate", false), ("mustToDate", true)] {
        reg(m, name, &[Str, Str], None, move |a| {
            match parse_time(&sarg(&a, 0), &sarg(&a, 1)) {
                Ok(t) => Ok(time_value(t)),
                Err(e) if must => Err(FuncError::new(e)),
                Err(_) => Ok(time_value(GoTime::zero())),
            }
        });
    }
    reg(m, "unixEpoch", &[Any], None, |a| {
        Ok(Value::from(time_arg(&a, 0)?.dt.timestamp().to_string()))
    });
    reg(m, "duration", &[Any], None, |a| {
        // sprig reads only strings (base 10) and int64s; anything else is 0.
        let n = match arg(&a, 0) {
            Value::String(s) => parse_base10_clamped(&s),
            Value::Int64(n) => n,
            _ => 0,
        };
        Ok(Value::from(format_duration(n.wrapping_mul(1_000_000_000))))
    });
    reg(m, "durationRound", &[Any], None, |a| {
        let d: i64 = match arg(&a, 0) {
            Value::String(s) => parse_duration(&s).unwrap_or(0),
            Value::Int64(n) => n,
            Value::Object(o) if o.type_name() == "time.Time" => since(&time_of(&o)),
            _ => 0,
        };
        Ok(Value::from(duration_round(d)))
    });
    reg(m, "ago", &[Any], None, |a| {
        let t = match arg(&a, 0) {
            Value::Object(o) if o.type_name() == "time.Time" => time_of(&o),
            Value::Int(n) | Value::Int64(n) => GoTime::unix(n),
            _ => GoTime::now(),
        };
        let d = since(&t);
        Ok(Value::from(format_duration(round_to_second(d))))
    });
}

/// A Go `time.Time`: the instant with its zone's offset, the zone's name
/// as `MST` prints it, and whether it carries a monotonic reading (`now`).
#[derive(Clone)]
struct GoTime {
    dt: DateTime<FixedOffset>,
    abbrev: String,
    /// `now`'s monotonic clock reading, printed as ` m=+S.NNNNNNNNN`.
    monotonic: bool,
    mono_nanos: u128,
}

impl GoTime {
    fn now() -> GoTime {
        static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
        let start = *START.get_or_init(std::time::Instant::now);
        let mut t = in_zone(Utc::now(), &local_zone());
        t.monotonic = true;
        t.mono_nanos = start.elapsed().as_nanos();
        t
    }
    fn zero() -> GoTime {
        let dt = NaiveDate::from_ymd_opt(1, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|n| Utc.from_utc_datetime(&n).fixed_offset())
            .unwrap_or_else(|| Utc::now().fixed_offset());
        GoTime {
            dt,
            abbrev: "UTC".into(),
            monotonic: false,
            mono_nanos: 0,
        }
    }
    fn unix(secs: i64) -> GoTime {
        let utc = DateTime::<Utc>::from_timestamp(secs, 0).unwrap_or_default();
        in_zone(utc, &local_zone())
    }
    fn add_nanos(&self, d: i64) -> GoTime {
        // Beyond chrono's range (year ±262143) the time stays as it was.
        let Some(dt) = self.dt.checked_add_signed(chrono::Duration::nanoseconds(d)) else {
            return self.clone();
        };
        let mut t = self.clone();
        t.dt = dt;
        if let Some(tz) = tz_for_abbrev_offset(self) {
            t = in_zone(dt.with_timezone(&Utc), &tz);
        }
        t.monotonic = self.monotonic;
        t
    }
}

/// Zone kept while adding: re-derive the abbreviation in the local zone when
/// the time was in it (a DST change renames the zone), else keep the offset.
fn tz_for_abbrev_offset(t: &GoTime) -> Option<Zone> {
    let local = local_zone();
    let probe = in_zone(t.dt.with_timezone(&Utc), &local);
    (probe.abbrev == t.abbrev && probe.dt.offset() == t.dt.offset()).then_some(local)
}

#[derive(Clone)]
enum Zone {
    Utc,
    Named(Tz),
}

/// Go's `time.Local`: `TZ` when set (empty means UTC), else `/etc/localtime`.
fn local_zone() -> Zone {
    match std::env::var("TZ") {
        Ok(name) if name.is_empty() || name == "UTC" => Zone::Utc,
        Ok(name) => name
            .trim_start_matches(':')
            .parse::<Tz>()
            .map(Zone::Named)
            .unwrap_or(Zone::Utc),
        Err(_) => std::fs::read_link("/etc/localtime")
            .ok()
            .and_then(|p| {
                let s = p.to_string_lossy().into_owned();
                s.split("zoneinfo/")
                    .nth(1)
                    .and_then(|n| n.parse::<Tz>().ok())
            })
            .map(Zone::Named)
            .unwrap_or(Zone::Utc),
    }
}

/// `time.LoadLocation(name)`, falling back to UTC as sprig does on errors.
fn load_location(name: &str) -> Zone {
    match name {
        "Local" => local_zone(),
        "" | "UTC" => Zone::Utc,
        n => n.parse::<Tz>().map(Zone::Named).unwrap_or(Zone::Utc),
    }
}

fn in_zone(utc: DateTime<Utc>, zone: &Zone) -> GoTime {
    match zone {
        Zone::Utc => GoTime {
            dt: utc.fixed_offset(),
            abbrev: "UTC".into(),
            monotonic: false,
            mono_nanos: 0,
        },
        Zone::Named(tz) => {
            let local = utc.with_timezone(tz);
            let fixed_secs = local.offset().fix().local_minus_utc();
            let abbrev = match local.offset().abbreviation() {
                Some(a) => a.to_string(),
                None => numeric_zone_name(fixed_secs),
            };
            let fixed = local.offset().fix();
            GoTime {
                dt: utc.with_timezone(&fixed),
                abbrev,
                monotonic: false,
                mono_nanos: 0,
            }
        }
    }
}

/// tzdata's name for a zone without letters: `-04`, `+0530`.
fn numeric_zone_name(secs: i32) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let a = secs.unsigned_abs();
    let (h, m) = (a / 3600, a / 60 % 60);
    if m == 0 {
        format!("{sign}{h:02}")
    } else {
        format!("{sign}{h:02}{m:02}")
    }
}

fn time_value(t: GoTime) -> Value {
    Value::Object(Rc::new(TimeObject(t)))
}

struct TimeObject(GoTime);

/// The private method through which the date functions read a time back
/// from its object (templates cannot reach it: `has_method` says no).
const STATE_METHOD: &str = "\u{0}state";

fn time_of(o: &Rc<dyn Object>) -> GoTime {
    let state = o.call_method(STATE_METHOD, &[]).ok();
    let items = match &state {
        Some(Value::List(_, items)) => items.as_slice(),
        _ => &[],
    };
    let int = |i: usize| match items.get(i) {
        Some(Value::Int64(n)) => *n,
        _ => 0,
    };
    let (secs, nanos, offset, mono) = (int(0), int(1), int(2), int(4));
    let abbrev = items.get(3).map(crate::fmt::display).unwrap_or_default();
    let fixed = FixedOffset::east_opt(offset as i32).unwrap_or_else(|| Utc.fix());
    match DateTime::<Utc>::from_timestamp(secs, nanos as u32) {
        Some(utc) => GoTime {
            dt: utc.with_timezone(&fixed),
            abbrev,
            monotonic: mono >= 0,
            mono_nanos: mono.max(0) as u128,
        },
        None => GoTime::zero(),
    }
}

fn time_arg(a: &[Value], i: usize) -> Result<GoTime, FuncError> {
    match a.get(i) {
        Some(Value::Object(o)) if o.type_name() == "time.Time" => Ok(time_of(o)),
        Some(other) => Err(FuncError::new(format!(
            "wrong type for value; expected time.Time; got {}",
            other.type_name()
        ))),
        None => Err(FuncError::new("missing time argument")),
    }
}

fn since(t: &GoTime) -> i64 {
    let now = Utc::now();
    (now.fixed_offset() - t.dt)
        .num_nanoseconds()
        .unwrap_or(i64::MAX)
}

impl Object for TimeObject {
    fn type_name(&self) -> &str {
        "time.Time"
    }
    fn field(&self, _name: &str) -> Option<Value> {
        None
    }
    fn has_method(&self, name: &str) -> bool {
        matches!(
            name,
            "Format"
                | "Unix"
                | "UnixNano"
                | "UnixMilli"
                | "Year"
                | "Month"
                | "Day"
                | "Hour"
                | "Minute"
                | "Second"
                | "Nanosecond"
                | "YearDay"
                | "Weekday"
                | "UTC"
                | "Local"
                | "IsZero"
                | "String"
        )
    }
    fn call_method(&self, name: &str, args: &[Value]) -> Result<Value, String> {
        let t = &self.0;
        let dt = t.dt;
        Ok(match name {
            "Format" => Value::from(format_time(
                t,
                &args.first().map(super::conv::strval).unwrap_or_default(),
            )),
            "Unix" => Value::Int64(dt.timestamp()),
            "UnixNano" => Value::Int64(dt.timestamp_nanos_opt().unwrap_or(0)),
            "UnixMilli" => Value::Int64(dt.timestamp_millis()),
            "Year" => Value::Int(i64::from(dt.year())),
            "Month" => Value::from(MONTHS[dt.month0() as usize]),
            "Day" => Value::Int(i64::from(dt.day())),
            "Hour" => Value::Int(i64::from(dt.hour())),
            "Minute" => Value::Int(i64::from(dt.minute())),
            "Second" => Value::Int(i64::from(dt.second())),
            "Nanosecond" => Value::Int(i64::from(dt.nanosecond())),
            "YearDay" => Value::Int(i64::from(dt.ordinal())),
            "Weekday" => Value::from(DAYS[dt.weekday().num_days_from_sunday() as usize]),
            "UTC" => time_value(in_zone(dt.with_timezone(&Utc), &Zone::Utc)),
            "Local" => time_value(in_zone(dt.with_timezone(&Utc), &local_zone())),
            "IsZero" => {
                Value::Bool(dt.timestamp() == GoTime::zero().dt.timestamp() && dt.nanosecond() == 0)
            }
            "String" => Value::from(self.display()),
            STATE_METHOD => Value::list(vec![
                Value::Int64(dt.timestamp()),
                Value::Int64(i64::from(dt.timestamp_subsec_nanos())),
                Value::Int64(i64::from(dt.offset().local_minus_utc())),
                Value::from(t.abbrev.clone()),
                Value::Int64(if t.monotonic {
                    i64::try_from(t.mono_nanos).unwrap_or(i64::MAX)
                } else {
                    -1
                }),
            ]),
            _ => return Err(format!("can't call method/function {name:?}")),
        })
    }
    fn display(&self) -> String {
        let t = &self.0;
        let mut s = format_time(t, "2006-01-02 15:04:05.999999999 -0700 MST");
        if t.monotonic {
            let n = t.mono_nanos;
            s.push_str(&format!(
                " m=+{}.{:09}",
                n / 1_000_000_000,
                n % 1_000_000_000
            ));
        }
        s
    }
    fn to_json(&self) -> serde_json::Value {
        serde_json::Value::String(format_time(&self.0, "2006-01-02T15:04:05.999999999Z07:00"))
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// sprig's `dateInZone`: times, and Unix seconds as `int`/`int64`; anything
/// else is the current time.
fn date_in_zone(layout: &str, date: &Value, zone: &str) -> String {
    let t = match date {
        Value::Object(o) if o.type_name() == "time.Time" => time_of(o),
        Value::Int(n) | Value::Int64(n) => GoTime::unix(*n),
        _ => GoTime::now(),
    };
    let moved = in_zone(t.dt.with_timezone(&Utc), &load_location(zone));
    format_time(&moved, layout)
}

/// The layout elements of Go's `time` package, longest first where they share a prefix.
const TOKENS: &[&str] = &[
    "January",
    "Jan",
    "Monday",
    "Mon",
    "MST",
    "2006",
    "002",
    "01",
    "02",
    "06",
    "_2",
    "__2",
    "15",
    "03",
    "04",
    "05",
    "1",
    "2",
    "3",
    "4",
    "5",
    "PM",
    "pm",
    "Z070000",
    "Z07:00:00",
    "Z0700",
    "Z07:00",
    "Z07",
    "-070000",
    "-07:00:00",
    "-0700",
    "-07:00",
    "-07",
];

/// Split a layout into literal text and Go layout elements (`std` chunks).
fn next_token(layout: &str) -> Option<(usize, &str)> {
    let b = layout.as_bytes();
    for i in 0..b.len() {
        let rest = &layout[i..];
        // Fractional seconds: ".000", ",999" directly after a seconds field.
        if (b[i] == b'.' || b[i] == b',')
            && i + 1 < b.len()
            && (b[i + 1] == b'0' || b[i + 1] == b'9')
        {
            let digit = b[i + 1];
            let mut j = i + 1;
            while j < b.len() && b[j] == digit {
                j += 1;
            }
            if !(j < b.len() && b[j].is_ascii_digit()) {
                return Some((i, &layout[i..j]));
            }
        }
        for tok in TOKENS {
            if rest.starts_with(tok) {
                // Go's special cases: "Jan"/"Mon" only when not followed by a lower-case letter.
                if matches!(*tok, "Jan" | "Mon" | "January" | "Monday") {
                    let after = rest.as_bytes().get(tok.len());
                    if *tok == "Jan" && rest.starts_with("January")
                        || *tok == "Mon" && rest.starts_with("Monday")
                    {
                        continue;
                    }
                    if after.is_some_and(|c| c.is_ascii_lowercase()) {
                        continue;
                    }
                }
                if *tok == "2" && rest.starts_with("2006") {
                    continue;
                }
                return Some((i, tok));
            }
        }
    }
    None
}

/// `Time.Format(layout)`.
fn format_time(t: &GoTime, layout: &str) -> String {
    let dt = t.dt;
    let mut out = String::new();
    let mut rest = layout;
    while let Some((at, tok)) = next_token(rest) {
        out.push_str(&rest[..at]);
        let hour12 = |h: u32| if h % 12 == 0 { 12 } else { h % 12 };
        let off = dt.offset().local_minus_utc();
        let zone = |colon: bool, secs: bool, short: bool, z: bool| {
            if z && off == 0 {
                return "Z".to_string();
            }
            let sign = if off < 0 { '-' } else { '+' };
            let a = off.abs();
            let (h, m, s) = (a / 3600, a / 60 % 60, a % 60);
            let mut r = format!("{sign}{h:02}");
            if !short {
                if colon {
                    r.push(':');
                }
                r.push_str(&format!("{m:02}"));
                if secs {
                    if colon {
                        r.push(':');
                    }
                    r.push_str(&format!("{s:02}"));
                }
            }
            r
        };
        let text = match tok {
            "January" => MONTHS[dt.month0() as usize].to_string(),
            "Jan" => MONTHS[dt.month0() as usize][..3].to_string(),
            "Monday" => DAYS[dt.weekday().num_days_from_sunday() as usize].to_string(),
            "Mon" => DAYS[dt.weekday().num_days_from_sunday() as usize][..3].to_string(),
            "MST" => {
                if t.abbrev.is_empty() {
                    zone(false, false, false, false)
                } else {
                    t.abbrev.clone()
                }
            }
            "2006" => format!("{:04}", dt.year()),
            "06" => format!("{:02}", dt.year().rem_euclid(100)),
            "01" => format!("{:02}", dt.month()),
            "1" => dt.month().to_string(),
            "02" => format!("{:02}", dt.day()),
            "2" => dt.day().to_string(),
            "_2" => format!("{:>2}", dt.day()),
            "002" => format!("{:03}", dt.ordinal()),
            "__2" => format!("{:>3}", dt.ordinal()),
            "15" => format!("{:02}", dt.hour()),
            "03" => format!("{:02}", hour12(dt.hour())),
            "3" => hour12(dt.hour()).to_string(),
            "04" => format!("{:02}", dt.minute()),
            "4" => dt.minute().to_string(),
            "05" => format!("{:02}", dt.second()),
            "5" => dt.second().to_string(),
            "PM" => (if dt.hour() >= 12 { "PM" } else { "AM" }).to_string(),
            "pm" => (if dt.hour() >= 12 { "pm" } else { "am" }).to_string(),
            "Z070000" => zone(false, true, false, true),
            "Z07:00:00" => zone(true, true, false, true),
            "Z0700" => zone(false, false, false, true),
            "Z07:00" => zone(true, false, false, true),
            "Z07" => zone(false, false, true, true),
            "-070000" => zone(false, true, false, false),
            "-07:00:00" => zone(true, true, false, false),
            "-0700" => zone(false, false, false, false),
            "-07:00" => zone(true, false, false, false),
            "-07" => zone(false, false, true, false),
            frac => {
                let digits = frac.len() - 1;
                let ns = format!("{:09}", dt.nanosecond());
                let sep = &frac[..1];
                if frac.as_bytes()[1] == b'0' {
                    format!("{sep}{}", &ns[..digits.min(9)])
                } else {
                    let trimmed = ns[..digits.min(9)].trim_end_matches('0');
                    if trimmed.is_empty() {
                        String::new()
                    } else {
                        format!("{sep}{trimmed}")
                    }
                }
            }
        };
        out.push_str(&text);
        rest = &rest[at + tok.len()..];
    }
    out.push_str(rest);
    out
}

/// Go's `parseTimeZone`: the length of a zone abbreviation at the start of `v`.
fn zone_name_len(v: &str) -> Option<usize> {
    let b = v.as_bytes();
    if b.len() < 3 {
        return None;
    }
    if v.starts_with("ChST") || v.starts_with("MeST") {
        return Some(4);
    }
    if let Some(rest) = v.strip_prefix("GMT") {
        return Some(3 + signed_offset_len(rest));
    }
    if b[0] == b'+' || b[0] == b'-' {
        let n = signed_offset_len(v);
        return (n > 0).then_some(n);
    }
    let upper = b
        .iter()
        .take(6)
        .take_while(|c| c.is_ascii_uppercase())
        .count();
    match upper {
        5 if b[4] == b'T' => Some(5),
        4 if b[3] == b'T' || v.starts_with("WITA") => Some(4),
        3 => Some(3),
        _ => None,
    }
}

/// Go's `parseSignedOffset`: `+h`/`-hh` up to 23, or 0.
fn signed_offset_len(v: &str) -> usize {
    let b = v.as_bytes();
    if b.is_empty() || (b[0] != b'+' && b[0] != b'-') {
        return 0;
    }
    let digits = b[1..].iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 {
        return 0;
    }
    match v[1..1 + digits].parse::<u64>() {
        Ok(x) if x <= 23 => 1 + digits,
        _ => 0,
    }
}

fn is_frac_token(tok: &str) -> bool {
    tok.len() >= 2 && tok.starts_with(['.', ',']) && tok.as_bytes()[1].is_ascii_digit()
}

/// `time.ParseInLocation(layout, value, time.Local)`, or Go's error text.
fn parse_time(layout: &str, value: &str) -> Result<GoTime, String> {
    let q = crate::fmt::quote;
    let err = |elem: &str, rest: &str| {
        format!(
            "parsing time {} as {}: cannot parse {} as {}",
            q(value),
            q(layout),
            q(rest),
            q(elem)
        )
    };
    let range_err = |what: &str| format!("parsing time {}: {what} out of range", q(value));
    let (mut year, mut month, mut day, mut hour, mut min, mut sec, mut nanos) =
        (0i32, None::<u32>, None::<u32>, 0u32, 0u32, 0u32, 0u32);
    let mut yday: Option<u32> = None;
    let mut pm: Option<bool> = None;
    let mut offset: Option<i32> = None;
    let mut utc = false;
    let mut zone_name: Option<String> = None;
    let mut l = layout;
    let mut v = value;
    while let Some((at, tok)) = next_token(l) {
        let lit = &l[..at];
        if !v.starts_with(lit) {
            return Err(err(lit, v));
        }
        v = &v[lit.len()..];
        l = &l[at + tok.len()..];
        let take_digits = |v: &str, min: usize, max: usize| -> Option<(u32, usize)> {
            let n = v.bytes().take(max).take_while(u8::is_ascii_digit).count();
            if n < min {
                return None;
            }
            v[..n].parse().ok().map(|x| (x, n))
        };
        let fixed = |v: &str, n: usize| take_digits(v, n, n);
        match tok {
            "2006" => {
                let (y, n) = fixed(v, 4).ok_or_else(|| err(tok, v))?;
                year = y as i32;
                v = &v[n..];
            }
            "06" => {
                let (y, n) = fixed(v, 2).ok_or_else(|| err(tok, v))?;
                year = if y >= 69 {
                    1900 + y as i32
                } else {
                    2000 + y as i32
                };
                v = &v[n..];
            }
            "002" | "__2" => {
                let mut s = v;
                if tok == "__2" {
                    s = s.trim_start_matches(' ');
                }
                let (x, n) = if tok == "002" {
                    fixed(s, 3).ok_or_else(|| err(tok, v))?
                } else {
                    take_digits(s, 1, 3).ok_or_else(|| err(tok, v))?
                };
                yday = Some(x);
                v = &s[n..];
            }
            "01" | "1" | "02" | "2" | "_2" | "15" | "03" | "3" | "04" | "4" | "05" | "5" => {
                let mut s = v;
                if tok == "_2" && s.starts_with(' ') {
                    s = &s[1..];
                }
                let (x, n) = if tok.len() == 2 && tok != "_2" {
                    fixed(s, 2).ok_or_else(|| err(tok, v))?
                } else {
                    take_digits(s, 1, 2).ok_or_else(|| err(tok, v))?
                };
                v = &s[n..];
                match tok {
                    "01" | "1" => {
                        if !(1..=12).contains(&x) {
                            return Err(range_err("month"));
                        }
                        month = Some(x);
                    }
                    "02" | "2" | "_2" => {
                        if !(1..=31).contains(&x) {
                            return Err(range_err("day"));
                        }
                        day = Some(x);
                    }
                    "15" => {
                        if x > 23 {
                            return Err(range_err("hour"));
                        }
                        hour = x;
                    }
                    "03" | "3" => {
                        if x > 12 {
                            return Err(range_err("hour"));
                        }
                        hour = x;
                    }
                    "04" | "4" => {
                        if x > 59 {
                            return Err(range_err("minute"));
                        }
                        min = x;
                    }
                    _ => {
                        if x > 59 {
                            return Err(range_err("second"));
                        }
                        sec = x;
                        // Go reads a fraction after the seconds when the
                        // layout's next element is not a fraction itself.
                        let b = v.as_bytes();
                        let next_is_frac = next_token(l).is_some_and(|(_, t)| is_frac_token(t));
                        if b.len() >= 2
                            && (b[0] == b'.' || b[0] == b',')
                            && b[1].is_ascii_digit()
                            && !next_is_frac
                        {
                            let d = v[1..].bytes().take_while(u8::is_ascii_digit).count();
                            nanos = frac_nanos(&v[1..1 + d]);
                            v = &v[1 + d..];
                        }
                    }
                }
            }
            "Jan" | "January" | "Mon" | "Monday" => {
                let names: Vec<String> = if tok.starts_with('J') {
                    MONTHS
                        .iter()
                        .map(|m| {
                            if tok == "Jan" {
                                m[..3].to_string()
                            } else {
                                m.to_string()
                            }
                        })
                        .collect()
                } else {
                    DAYS.iter()
                        .map(|d| {
                            if tok == "Mon" {
                                d[..3].to_string()
                            } else {
                                d.to_string()
                            }
                        })
                        .collect()
                };
                let found = names
                    .iter()
                    .position(|n| {
                        v.len() >= n.len()
                            && v.is_char_boundary(n.len())
                            && v[..n.len()].eq_ignore_ascii_case(n)
                    })
                    .ok_or_else(|| err(tok, v))?;
                if tok.starts_with('J') {
                    month = Some(found as u32 + 1);
                }
                v = &v[names[found].len()..];
            }
            "PM" | "pm" => {
                let p = v.get(..2).ok_or_else(|| err(tok, v))?;
                pm = Some(match p.to_ascii_uppercase().as_str() {
                    "PM" => true,
                    "AM" => false,
                    _ => return Err(err(tok, v)),
                });
                v = &v[2..];
            }
            "MST" => {
                if v.starts_with("UTC") {
                    utc = true;
                    v = &v[3..];
                    continue;
                }
                let n = zone_name_len(v).ok_or_else(|| err(tok, v))?;
                zone_name = Some(v[..n].to_string());
                v = &v[n..];
            }
            z if z.starts_with('Z') || z.starts_with('-') => {
                if z.starts_with('Z') && v.starts_with('Z') {
                    utc = true;
                    v = &v[1..];
                    continue;
                }
                let colon = z.contains(':');
                let want_min = z.len() > 3;
                let want_sec = z.ends_with("0000") && z.len() >= 7 || z.ends_with(":00:00");
                let sign = match v.as_bytes().first() {
                    Some(b'+') => 1,
                    Some(b'-') => -1,
                    _ => return Err(err(tok, v)),
                };
                let mut s = &v[1..];
                let (h, _) = fixed(s, 2).ok_or_else(|| err(tok, v))?;
                s = &s[2..];
                let (mut m, mut sc) = (0, 0);
                if want_min {
                    if colon {
                        s = s.strip_prefix(':').ok_or_else(|| err(tok, v))?;
                    }
                    let (mm, _) = fixed(s, 2).ok_or_else(|| err(tok, v))?;
                    m = mm;
                    s = &s[2..];
                }
                if want_sec {
                    if colon {
                        s = s.strip_prefix(':').ok_or_else(|| err(tok, v))?;
                    }
                    let (ss, _) = fixed(s, 2).ok_or_else(|| err(tok, v))?;
                    sc = ss;
                    s = &s[2..];
                }
                if h > 24 {
                    return Err(range_err("time zone offset hour"));
                }
                if m > 60 {
                    return Err(range_err("time zone offset minute"));
                }
                if sc > 60 {
                    return Err(range_err("time zone offset second"));
                }
                offset = Some(sign * (h as i32 * 3600 + m as i32 * 60 + sc as i32));
                v = s;
            }
            frac => {
                let d = frac.len() - 1;
                let b = v.as_bytes();
                let has = b.len() >= 2 && b[0] == frac.as_bytes()[0] && b[1].is_ascii_digit();
                if frac.as_bytes()[1] == b'9' {
                    if !has {
                        continue;
                    }
                    let n = v[1..].bytes().take_while(u8::is_ascii_digit).count();
                    nanos = frac_nanos(&v[1..1 + n]);
                    v = &v[1 + n..];
                } else {
                    let n = v[1.min(v.len())..]
                        .bytes()
                        .take(d)
                        .take_while(u8::is_ascii_digit)
                        .count();
                    if !v.starts_with(&frac[..1]) || n != d {
                        return Err(err(frac, v));
                    }
                    nanos = frac_nanos(&v[1..1 + n]);
                    v = &v[1 + n..];
                }
            }
        }
    }
    if !v.starts_with(l) {
        return Err(err(l, v));
    }
    v = &v[l.len()..];
    if !v.is_empty() {
        return Err(format!("parsing time {}: extra text: {}", q(value), q(v)));
    }
    if let Some(p) = pm {
        if p && hour < 12 {
            hour += 12;
        } else if !p && hour == 12 {
            hour = 0;
        }
    }
    if let Some(mut yd) = yday {
        let leap = NaiveDate::from_ymd_opt(year, 2, 29).is_some();
        let mut md: Option<(u32, u32)> = None;
        if leap {
            if yd == 60 {
                md = Some((2, 29));
            } else if yd > 60 {
                yd -= 1;
            }
        }
        if !(1..=365).contains(&yd) {
            return Err(format!(
                "parsing time {}: day-of-year out of range",
                q(value)
            ));
        }
        let (m, d) = md.unwrap_or_else(|| {
            const BEFORE: [u32; 13] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365];
            let mut m = (yd - 1) / 31 + 1;
            if BEFORE[m as usize] < yd {
                m += 1;
            }
            (m, yd - BEFORE[m as usize - 1])
        });
        if month.is_some_and(|x| x != m) {
            return Err(format!(
                "parsing time {}: day-of-year does not match month",
                q(value)
            ));
        }
        if day.is_some_and(|x| x != d) {
            return Err(format!(
                "parsing time {}: day-of-year does not match day",
                q(value)
            ));
        }
        month = Some(m);
        day = Some(d);
    }
    let date = NaiveDate::from_ymd_opt(year, month.unwrap_or(1), day.unwrap_or(1))
        .ok_or_else(|| range_err("day"))?;
    let naive: NaiveDateTime = date
        .and_hms_nano_opt(hour, min, sec, nanos)
        .ok_or_else(|| range_err("hour"))?;
    if utc {
        return Ok(in_zone(Utc.from_utc_datetime(&naive), &Zone::Utc));
    }
    let local = local_zone();
    if let Some(off) = offset {
        let instant = Utc.from_utc_datetime(&naive) - chrono::Duration::seconds(i64::from(off));
        let t = in_zone(instant, &local);
        if t.dt.offset().local_minus_utc() == off
            && zone_name.as_ref().is_none_or(|n| *n == t.abbrev)
        {
            return Ok(t);
        }
        let fixed = FixedOffset::east_opt(off).ok_or_else(|| range_err("time zone offset hour"))?;
        return Ok(GoTime {
            dt: instant.with_timezone(&fixed),
            abbrev: zone_name.unwrap_or_default(),
            monotonic: false,
            mono_nanos: 0,
        });
    }
    if let Some(name) = zone_name {
        // A name the local zone uses at that time selects it; otherwise a
        // zone of that name with offset 0 (or GMT+h's hours).
        let probe = in_zone(Utc.from_utc_datetime(&naive), &local);
        if probe.abbrev == name {
            let off = probe.dt.offset().local_minus_utc();
            let instant = Utc.from_utc_datetime(&naive) - chrono::Duration::seconds(i64::from(off));
            return Ok(in_zone(instant, &local));
        }
        let mut off = 0;
        if name.len() > 3 && name.starts_with("GMT") {
            off = name[3..].parse::<i32>().unwrap_or(0) * 3600;
        }
        // Go keeps the clock reading as UTC and only attaches the zone, so
        // "10:00 GMT+3" becomes 13:00 +0300.
        let fixed = FixedOffset::east_opt(off).ok_or_else(|| range_err("time zone offset hour"))?;
        let instant = Utc.from_utc_datetime(&naive);
        return Ok(GoTime {
            dt: instant.with_timezone(&fixed),
            abbrev: name,
            monotonic: false,
            mono_nanos: 0,
        });
    }
    let utc_instant = match &local {
        Zone::Utc => Utc.from_utc_datetime(&naive),
        Zone::Named(tz) => tz
            .from_local_datetime(&naive)
            .earliest()
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_else(|| Utc.from_utc_datetime(&naive)),
    };
    Ok(in_zone(utc_instant, &local))
}

fn frac_nanos(digits: &str) -> u32 {
    let mut d = digits.chars().take(9).collect::<String>();
    while d.len() < 9 {
        d.push('0');
    }
    d.parse().unwrap_or(0)
}

/// `time.ParseDuration`, in nanoseconds, or Go's error text.
fn parse_duration(s: &str) -> Result<i64, String> {
    let bad = || format!("time: invalid duration {}", crate::fmt::quote(s));
    let (neg, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total: f64 = 0.0;
    let mut exact: i128 = 0;
    while !rest.is_empty() {
        let n = rest
            .bytes()
            .take_while(|c| c.is_ascii_digit() || *c == b'.')
            .count();
        if n == 0 {
            return Err(bad());
        }
        let num = &rest[..n];
        if num == "." || num.matches('.').count() > 1 {
            return Err(bad());
        }
        rest = &rest[n..];
        let u = rest
            .bytes()
            .take_while(|c| !(c.is_ascii_digit() || *c == b'.'))
            .count();
        let unit = &rest[..u];
        rest = &rest[u..];
        let scale: i128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "" => {
                return Err(format!(
                    "time: missing unit in duration {}",
                    crate::fmt::quote(s)
                ))
            }
            other => {
                return Err(format!(
                    "time: unknown unit {} in duration {}",
                    crate::fmt::quote(other),
                    crate::fmt::quote(s)
                ))
            }
        };
        let (int_part, frac_part) = num.split_once('.').unwrap_or((num, ""));
        let ip: i128 = if int_part.is_empty() {
            0
        } else {
            int_part.parse().map_err(|_| bad())?
        };
        exact += ip * scale;
        if !frac_part.is_empty() {
            let f: f64 = format!("0.{frac_part}").parse().unwrap_or(0.0);
            total += f * scale as f64;
        }
        if exact > i128::from(i64::MAX) {
            return Err(bad());
        }
    }
    let v = exact + total as i128;
    if v > i128::from(i64::MAX) {
        return Err(bad());
    }
    Ok(if neg { -(v as i64) } else { v as i64 })
}

/// `time.Duration.String()`.
fn format_duration(d: i64) -> String {
    if d == 0 {
        return "0s".into();
    }
    let neg = d < 0;
    let u = d.unsigned_abs();
    let mut out = String::new();
    if u < 1_000_000_000 {
        let (unit, div) = if u < 1_000 {
            ("ns", 1)
        } else if u < 1_000_000 {
            ("µs", 1_000)
        } else {
            ("ms", 1_000_000)
        };
        out.push_str(&frac_string(u, div));
        out.push_str(unit);
    } else {
        let secs = u / 1_000_000_000;
        let h = secs / 3600;
        let m = secs / 60 % 60;
        if h > 0 {
            out.push_str(&format!("{h}h"));
        }
        if h > 0 || m > 0 {
            out.push_str(&format!("{m}m"));
        }
        let s_part = u % 60_000_000_000;
        out.push_str(&frac_string(s_part, 1_000_000_000));
        out.push('s');
    }
    if neg {
        format!("-{out}")
    } else {
        out
    }
}

fn frac_string(v: u64, div: u64) -> String {
    let whole = v / div;
    let frac = v % div;
    if frac == 0 {
        return whole.to_string();
    }
    let width = div.to_string().len() - 1;
    let f = format!("{frac:0width$}");
    format!("{whole}.{}", f.trim_end_matches('0'))
}

fn round_to_second(d: i64) -> i64 {
    let s = 1_000_000_000i64;
    let r = d % s;
    if d < 0 {
        let r = -r;
        if r + r < s {
            d + r
        } else {
            d + r - s
        }
    } else if r + r < s {
        d - r
    } else {
        d - r + s
    }
}

/// sprig's `durationRound`: the largest whole unit (y, mo, d, h, m, s) the
/// duration exceeds.
fn duration_round(d: i64) -> String {
    let u = d.unsigned_abs();
    let hour = 3_600_000_000_000u64;
    let units = [
        (hour * 24 * 365, "y"),
        (hour * 24 * 30, "mo"),
        (hour * 24, "d"),
        (hour, "h"),
        (60_000_000_000, "m"),
        (1_000_000_000, "s"),
    ];
    for (size, name) in units {
        if u > size {
            return format!("{}{name}", u / size);
        }
    }
    "0s".into()
}

/// `strconv.ParseInt(s, 10, 64)` with its error dropped: 0 on bad syntax,
/// the clamped extreme on overflow.
fn parse_base10_clamped(s: &str) -> i64 {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn now_prints_like_go_time_string() {
        let v = time_value(GoTime::now());
        let Value::Object(o) = &v else {
            panic!("not an object")
        };
        assert_eq!(o.type_name(), "time.Time");
        let s = o.display();
        // 2026-12-01 21:21:09.123456789 +0000 UTC m=+0.000012345
        let (wall, mono) = s.split_once(" m=+").expect("monotonic part");
        assert!(
            mono.split_once('.')
                .is_some_and(|(a, b)| a.parse::<u64>().is_ok() && b.len() == 9),
            "{s}"
        );
        assert_eq!(&wall[4..5], "-");
        assert_eq!(&wall[10..11], " ");
        assert!(
            parse_time("2006-01-02 15:04:05.999999999 -0700 MST", wall).is_ok(),
            "{wall}"
        );
    }

    #[test]
    fn durations_as_go_prints_them() {
        // Outputs taken from Helm (`duration`, `durationRound`, `dateModify`).
        for (nanos, want) in [
            (0, "0s"),
            (75_000_000_000, "1m15s"),
            (3_661_000_000_000, "1h1m1s"),
            (-90_000_000_000, "-1m30s"),
            (1_500_000, "1.5ms"),
            (1_000, "1µs"),
            (95_000_000_000_000, "26h23m20s"),
        ] {
            assert_eq!(format_duration(nanos), want, "{nanos}");
        }
        assert_eq!(duration_round(parse_duration("2h10m").unwrap_or(0)), "2h");
        assert_eq!(duration_round(parse_duration("1h").unwrap_or(0)), "60m");
        assert_eq!(duration_round(parse_duration("800h").unwrap_or(0)), "1mo");
        assert_eq!(
            parse_duration("5d").err().as_deref(),
            Some("time: unknown unit \"d\" in duration \"5d\"")
        );
    }

    #[test]
    fn layouts_format_and_parse() {
        let t = parse_time("2006-01-02 15:04:05", "2009-03-04 05:06:07").expect("parse");
        assert_eq!(format_time(&t, "06 1 2 3 4 5 pm"), "09 3 4 5 6 7 am");
        assert_eq!(
            format_time(&t, "Mon Jan _2 15:04:05 MST 2006"),
            "Wed Mar  4 05:06:07 UTC 2009"
        );
        assert_eq!(
            parse_time("2006-01-02", "bad").err().as_deref(),
            Some("parsing time \"bad\" as \"2006-01-02\": cannot parse \"bad\" as \"2006\"")
        );
    }
}
