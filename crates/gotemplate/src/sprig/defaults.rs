//! sprig's defaults and flow functions: `default`, `empty`, `coalesce`,
//! `all`, `any`, `ternary`, and `fail`. (The JSON functions sprig files
//! under defaults belong to another module of the crate.)

use super::conv::{arg, empty, sarg};
use super::reg;
use crate::func::{FuncError, FuncMap, Param};
use crate::value::Value;

use Param::{Any, Bool, String as Str};

pub(super) fn register(m: &mut FuncMap) {
    reg(m, "default", &[Any], Some(Any), |a| {
        let d = arg(&a, 0);
        match a.get(1) {
            Some(given) if !empty(given) => Ok(given.clone()),
            _ => Ok(d),
        }
    });
    reg(m, "empty", &[Any], None, |a| {
        Ok(Value::Bool(empty(&arg(&a, 0))))
    });
    reg(m, "coalesce", &[], Some(Any), |a| {
        Ok(a.iter().find(|v| !empty(v)).cloned().unwrap_or(Value::Nil))
    });
    reg(m, "all", &[], Some(Any), |a| {
        Ok(Value::Bool(a.iter().all(|v| !empty(v))))
    });
    reg(m, "any", &[], Some(Any), |a| {
        Ok(Value::Bool(a.iter().any(|v| !empty(v))))
    });
    reg(m, "ternary", &[Any, Any, Bool], None, |a| {
        Ok(if matches!(a.get(2), Some(Value::Bool(true))) {
            arg(&a, 0)
        } else {
            arg(&a, 1)
        })
    });
    reg(m, "fail", &[Str], None, |a| {
        Err(FuncError::new(sarg(&a, 0).to_string()))
    });
}
