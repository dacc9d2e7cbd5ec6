//! sprig's list functions: `list`/`tuple`, `append`/`prepend`, `first`,
//! `last`, `rest`, `initial`, `reverse`, `uniq`, `without`, `has`,
//! `compact`, `slice`, `concat`, `chunk`, `sortAlpha`, `until`/`untilStep`/
//! `seq`, each `must*` twin returning the error its plain twin panics with.

use std::rc::Rc;

use super::conv::{
    arg, deep_equal, empty, float_to_i64, iarg, kind_or_panic, slice_items, strings, strval, to_int,
};
use super::reg;
use super::strings::strslice;
use crate::func::{FuncError, FuncMap, Param};
use crate::value::{SliceType, Value};

use Param::{Any, Int};

/// A list function: the plain name and its `must` twin share the body (the
/// plain one panics with the error text, which the executor reports the same way).
fn pair(
    m: &mut FuncMap,
    name: &str,
    must: &str,
    params: &'static [Param],
    variadic: Option<Param>,
    f: fn(&[Value]) -> Result<Value, FuncError>,
) {
    reg(m, name, params, variadic, move |a| f(&a));
    reg(m, must, params, variadic, move |a| f(&a));
}

/// The items of a slice argument, or the function's `Cannot VERB type KIND` error.
fn items_or(v: &Value, what: &str) -> Result<Rc<Vec<Value>>, FuncError> {
    let kind = kind_or_panic(v)?;
    slice_items(v).ok_or_else(|| FuncError::new(format!("{what} {kind}")))
}

pub(super) fn register(m: &mut FuncMap) {
    for name in ["list", "tuple"] {
        reg(m, name, &[], Some(Any), |a| Ok(Value::list(a)));
    }
    for (name, must) in [("append", "mustAppend"), ("push", "mustPush")] {
        pair(m, name, must, &[Any, Any], None, |a| {
            let mut items = items_or(&a[0], "Cannot push on type")?.to_vec();
            items.push(arg(a, 1));
            Ok(Value::list(items))
        });
    }
    pair(m, "prepend", "mustPrepend", &[Any, Any], None, |a| {
        let mut items = vec![arg(a, 1)];
        items.extend(items_or(&a[0], "Cannot prepend on type")?.iter().cloned());
        Ok(Value::list(items))
    });
    pair(m, "first", "mustFirst", &[Any], None, |a| {
        Ok(items_or(&a[0], "Cannot find first on type")?
            .first()
            .cloned()
            .unwrap_or(Value::Nil))
    });
    pair(m, "last", "mustLast", &[Any], None, |a| {
        Ok(items_or(&a[0], "Cannot find last on type")?
            .last()
            .cloned()
            .unwrap_or(Value::Nil))
    });
    pair(m, "rest", "mustRest", &[Any], None, |a| {
        let items = items_or(&a[0], "Cannot find rest on type")?;
        Ok(Value::list(items.iter().skip(1).cloned().collect()))
    });
    pair(m, "initial", "mustInitial", &[Any], None, |a| {
        let items = items_or(&a[0], "Cannot find initial on type")?;
        let n = items.len().saturating_sub(1);
        Ok(Value::list(items[..n].to_vec()))
    });
    pair(m, "reverse", "mustReverse", &[Any], None, |a| {
        let items = items_or(&a[0], "Cannot find reverse on type")?;
        Ok(Value::list(items.iter().rev().cloned().collect()))
    });
    pair(m, "compact", "mustCompact", &[Any], None, |a| {
        let items = items_or(&a[0], "Cannot compact on type")?;
        Ok(Value::list(
            items.iter().filter(|v| !empty(v)).cloned().collect(),
        ))
    });
    pair(m, "uniq", "mustUniq", &[Any], None, |a| {
        let items = items_or(&a[0], "Cannot find uniq on type")?;
        let mut out: Vec<Value> = Vec::new();
        for v in items.iter() {
            if !out.iter().any(|o| deep_equal(v, o)) {
                out.push(v.clone());
            }
        }
        Ok(Value::list(out))
    });
    pair(m, "without", "mustWithout", &[Any], Some(Any), |a| {
        let items = items_or(&a[0], "Cannot find without on type")?;
        let omit = &a[1..];
        Ok(Value::list(
            items
                .iter()
                .filter(|v| !omit.iter().any(|o| deep_equal(v, o)))
                .cloned()
                .collect(),
        ))
    });
    pair(m, "has", "mustHas", &[Any, Any], None, |a| {
        let haystack = arg(a, 1);
        if haystack.is_nil() {
            return Ok(Value::Bool(false));
        }
        let items = items_or(&haystack, "Cannot find has on type")?;
        let needle = arg(a, 0);
        Ok(Value::Bool(items.iter().any(|v| deep_equal(&needle, v))))
    });
    pair(m, "slice", "mustSlice", &[Any], Some(Any), slice);
    reg(m, "concat", &[], Some(Any), |a| {
        let mut out = Vec::new();
        for list in &a {
            let kind = kind_or_panic(list)?;
            match slice_items(list) {
                Some(items) => out.extend(items.iter().cloned()),
                None => return Err(FuncError::new(format!("Cannot concat type {kind} as list"))),
            }
        }
        Ok(Value::list(out))
    });
    pair(m, "chunk", "mustChunk", &[Int, Any], None, |a| {
        let size = iarg(a, 0);
        let items = items_or(&a[1], "Cannot chunk type")?;
        chunk(size, &items)
    });
    reg(m, "sortAlpha", &[Any], None, |a| {
        let v = arg(&a, 0);
        match v {
            Value::List(..) | Value::Bytes(_) => {
                let mut s = strslice(&v);
                s.sort();
                Ok(strings(s))
            }
            other => Ok(strings(vec![strval(&other)])),
        }
    });
    reg(m, "until", &[Int], None, |a| {
        let count = iarg(&a, 0);
        let step = if count < 0 { -1 } else { 1 };
        Ok(int_list(until_step(0, count, step)?))
    });
    reg(m, "untilStep", &[Int, Int, Int], None, |a| {
        Ok(int_list(until_step(iarg(&a, 0), iarg(&a, 1), iarg(&a, 2))?))
    });
    reg(m, "seq", &[], Some(Int), |a| {
        seq(&a.iter().map(to_int).collect::<Vec<_>>())
    });
}

/// The most elements a generated list may have (sprig has no limit; Go would
/// exhaust memory): an `until 1e12` fails cleanly instead.
const MAX_GENERATED: usize = 10_000_000;

fn int_list(items: Vec<i64>) -> Value {
    Value::List(
        SliceType::Int,
        Rc::new(items.into_iter().map(Value::Int).collect()),
    )
}

/// sprig's `untilStep`: `start` towards `stop` (exclusive) by `step`.
pub(crate) fn until_step(start: i64, stop: i64, step: i64) -> Result<Vec<i64>, FuncError> {
    let mut out = Vec::new();
    let mut i = start;
    if stop < start {
        if step >= 0 {
            return Ok(out);
        }
        while i > stop {
            push_bounded(&mut out, i)?;
            i = match i.checked_add(step) {
                Some(n) => n,
                None => break,
            };
        }
        return Ok(out);
    }
    if step <= 0 {
        return Ok(out);
    }
    while i < stop {
        push_bounded(&mut out, i)?;
        i = match i.checked_add(step) {
            Some(n) => n,
            None => break,
        };
    }
    Ok(out)
}

fn push_bounded(out: &mut Vec<i64>, i: i64) -> Result<(), FuncError> {
    if out.len() >= MAX_GENERATED {
        return Err(FuncError::new(format!(
            "list longer than {MAX_GENERATED} elements"
        )));
    }
    out.push(i);
    Ok(())
}

/// sprig's `seq`, GNU seq's argument shapes: `end`, `start end`, `start step end`.
fn seq(p: &[i64]) -> Result<Value, FuncError> {
    let join =
        |v: Vec<i64>| Value::from(v.iter().map(i64::to_string).collect::<Vec<_>>().join(" "));
    match p.len() {
        1 => {
            let (start, end) = (1, p[0]);
            let inc = if end < start { -1 } else { 1 };
            Ok(join(until_step(start, end.wrapping_add(inc), inc)?))
        }
        2 => {
            let (start, end) = (p[0], p[1]);
            let step = if end < start { -1 } else { 1 };
            Ok(join(until_step(start, end.wrapping_add(step), step)?))
        }
        3 => {
            let (start, step, end) = (p[0], p[1], p[2]);
            let mut inc = 1;
            if end < start {
                inc = -1;
                if step > 0 {
                    return Ok(Value::str(""));
                }
            }
            Ok(join(until_step(start, end.wrapping_add(inc), step)?))
        }
        _ => Ok(Value::str("")),
    }
}

fn slice(a: &[Value]) -> Result<Value, FuncError> {
    let list = &a[0];
    let kind = kind_or_panic(list)?;
    let (ty, items) = match list {
        Value::List(t, items) => (*t, items.clone()),
        Value::Bytes(_) => (SliceType::Interface, slice_items(list).unwrap_or_default()),
        _ => {
            return Err(FuncError::new(format!(
                "list should be type of slice or array but {kind}"
            )))
        }
    };
    let len = items.len() as i64;
    if len == 0 {
        return Ok(Value::Nil);
    }
    let start = a.get(1).map(to_int).unwrap_or(0);
    let end = if a.len() < 3 { len } else { to_int(&a[2]) };
    if start < 0 || end < start || end > len {
        return Err(FuncError::new(
            "reflect.Value.Slice: slice index out of bounds",
        ));
    }
    let part = items[start as usize..end as usize].to_vec();
    if let Value::Bytes(b) = list {
        return Ok(Value::Bytes(b[start as usize..end as usize].into()));
    }
    Ok(Value::List(ty, Rc::new(part)))
}

/// sprig's `chunk`: lists of `size` elements, the last one shorter, with
/// sprig's float arithmetic for the counts (so sizes <= 0 panic as in Go,
/// except where that arithmetic yields no chunks at all).
fn chunk(size: i64, items: &[Value]) -> Result<Value, FuncError> {
    const MAKESLICE: &str = "runtime error: makeslice: len out of range";
    let l = items.len() as i64;
    let count = float_to_i64(((l - 1) as f64 / size as f64).floor() + 1.0);
    if count < 0 {
        return Err(FuncError::new(MAKESLICE));
    }
    let mut out = Vec::new();
    for i in 0..count {
        let mut clen = size;
        if i == count - 1 {
            clen = float_to_i64((l as f64 % size as f64).floor());
            if clen == 0 {
                clen = size;
            }
        }
        if clen < 0 {
            return Err(FuncError::new(MAKESLICE));
        }
        let mut part = Vec::new();
        for j in 0..clen {
            let ix = i.wrapping_mul(size).wrapping_add(j);
            match usize::try_from(ix).ok().and_then(|k| items.get(k)) {
                Some(v) => part.push(v.clone()),
                None => {
                    return Err(FuncError::new(format!(
                        "runtime error: index out of range [{ix}] with length {l}"
                    )))
                }
            }
        }
        out.push(Value::list(part));
    }
    Ok(Value::list(out))
}
