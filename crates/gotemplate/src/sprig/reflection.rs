//! sprig's reflection functions: `typeOf` (Go's `%T`), `typeIs`,
//! `typeIsLike`, `kindOf`, `kindIs` and `deepEqual` (`reflect.DeepEqual`).

use super::conv::{arg, deep_equal, sarg};
use super::reg;
use crate::func::{FuncMap, Param};
use crate::value::Value;

use Param::{Any, String as Str};

pub(super) fn register(m: &mut FuncMap) {
    reg(m, "typeOf", &[Any], None, |a| {
        Ok(Value::from(arg(&a, 0).type_name()))
    });
    reg(m, "typeIs", &[Str, Any], None, |a| {
        Ok(Value::Bool(*sarg(&a, 0) == *arg(&a, 1).type_name()))
    });
    reg(m, "typeIsLike", &[Str, Any], None, |a| {
        let t = arg(&a, 1).type_name();
        let target = sarg(&a, 0);
        Ok(Value::Bool(*target == *t || format!("*{target}") == t))
    });
    reg(m, "kindOf", &[Any], None, |a| {
        Ok(Value::str(arg(&a, 0).kind_name()))
    });
    reg(m, "kindIs", &[Str, Any], None, |a| {
        Ok(Value::Bool(*sarg(&a, 0) == *arg(&a, 1).kind_name()))
    });
    reg(m, "deepEqual", &[Any, Any], None, |a| {
        Ok(Value::Bool(deep_equal(&arg(&a, 0), &arg(&a, 1))))
    });
}
