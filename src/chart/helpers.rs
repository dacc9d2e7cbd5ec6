//! Template helpers, with Helm's names and argument order: `toYaml`, `toJson`,
//! `indent`, `nindent`, `quote`, `squote`, `default`, `required`, `b64enc`,
//! `b64dec`, `sha256sum`, `include`, `tpl`, `trunc`, `trimSuffix`, `trimPrefix`,
//! `trim`, `lower`, `upper`, `replace`, `join`, `concat`, `eq`, `ne`, `and`, `or`, `not`.
//!
//! Strictness: a helper that would print a missing value fails naming its path;
//! `default`, `required`, `eq`/`ne`/`and`/`or`/`not` take a missing value as
//! missing (null), and `each`/`with` skip their block for it. Errors never
//! include a value, only paths and the user's own `required` message.

use base64::Engine;
use handlebars::{
    BlockContext, BlockParams, Context, Handlebars, Helper, HelperDef, HelperResult, Output,
    RenderContext, RenderError, RenderErrorReason, Renderable, ScopedJson, StringOutput,
};
use serde_json::Value;
use sha2::Digest;

/// Register every berth helper on `hb` (replacing handlebars' own `eq` … `not`, `each`, `with`).
pub fn register(hb: &mut Handlebars<'static>) {
    let pure: &[(&'static str, PureFn)] = &[
        ("toYaml", to_yaml),
        ("toJson", to_json),
        ("indent", indent),
        ("nindent", nindent),
        ("quote", quote),
        ("squote", squote),
        ("default", default),
        ("required", required),
        ("b64enc", b64enc),
        ("b64dec", b64dec),
        ("sha256sum", sha256sum),
        ("trunc", trunc),
        ("trimSuffix", trim_suffix),
        ("trimPrefix", trim_prefix),
        ("trim", trim),
        ("lower", lower),
        ("upper", upper),
        ("replace", replace),
        ("join", join),
        ("concat", concat),
        ("eq", eq),
        ("ne", ne),
        ("and", and),
        ("or", or),
        ("not", not),
    ];
    for (name, f) in pure {
        hb.register_helper(name, Box::new(Pure(name, *f)));
    }
    hb.register_helper("include", Box::new(Include));
    hb.register_helper("tpl", Box::new(Tpl));
    hb.register_helper("each", Box::new(Each));
    hb.register_helper("with", Box::new(With));
}

/// Deepest nesting of `include`/`tpl` calls (a partial that includes itself
/// or partials that include each other stop here instead of overflowing the stack).
pub const MAX_INCLUDE_DEPTH: usize = 100;

/// Widest `indent`/`nindent` padding, in spaces.
pub const MAX_INDENT_WIDTH: i64 = 10_000;

/// Largest text one `indent`/`nindent` call may produce, in bytes (16 MiB).
pub const MAX_HELPER_OUTPUT: usize = 16 << 20;

thread_local! {
    static INCLUDE_DEPTH: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// One level of `include`/`tpl` nesting; leaving it (drop) gives the level back.
struct Nesting;

impl Nesting {
    fn enter(helper: &str) -> Result<Nesting, RenderError> {
        let depth = INCLUDE_DEPTH.with(|d| d.get()) + 1;
        if depth > MAX_INCLUDE_DEPTH {
            return Err(fail(format!(
                "{helper}: templates nest deeper than {MAX_INCLUDE_DEPTH} levels (a partial that includes itself, or partials that include each other?)"
            )));
        }
        INCLUDE_DEPTH.with(|d| d.set(depth));
        Ok(Nesting)
    }
}

impl Drop for Nesting {
    fn drop(&mut self) {
        INCLUDE_DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
    }
}

type PureFn = fn(&Args) -> Result<Value, RenderError>;

/// A helper that is a pure function of its arguments.
struct Pure(&'static str, PureFn);

impl HelperDef for Pure {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        let args = Args { name: self.0, h };
        (self.1)(&args).map(ScopedJson::Derived)
    }
}

/// The arguments of one helper call.
struct Args<'a, 'rc> {
    name: &'static str,
    h: &'a Helper<'rc>,
}

impl Args<'_, '_> {
    fn len(&self) -> usize {
        self.h.params().len()
    }
    /// Argument `i`, which must be given and present.
    fn get(&self, i: usize) -> Result<&Value, RenderError> {
        let p = self
            .h
            .param(i)
            .ok_or(RenderErrorReason::ParamNotFoundForIndex(self.name, i))?;
        if p.is_value_missing() {
            return Err(RenderError::strict_error(p.relative_path()));
        }
        Ok(p.value())
    }
    /// Argument `i` when given and present; a missing value is `None`.
    fn opt(&self, i: usize) -> Option<&Value> {
        self.h
            .param(i)
            .filter(|p| !p.is_value_missing())
            .map(|p| p.value())
    }
    /// Argument `i` as text (numbers and booleans printed, null empty).
    fn text(&self, i: usize) -> Result<String, RenderError> {
        Ok(text(self.get(i)?))
    }
    /// Argument `i` as an integer.
    fn int(&self, i: usize) -> Result<i64, RenderError> {
        let v = self.get(i)?;
        v.as_i64()
            .or_else(|| v.as_f64().map(|f| f as i64))
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
            .ok_or_else(|| {
                fail(format!(
                    "{}: argument {} must be a number",
                    self.name,
                    i + 1
                ))
            })
    }
    fn need(&self, n: usize) -> Result<(), RenderError> {
        if self.len() < n {
            return Err(RenderErrorReason::ParamNotFoundForIndex(self.name, self.len()).into());
        }
        Ok(())
    }
}

fn fail(msg: String) -> RenderError {
    RenderErrorReason::Other(msg).into()
}

/// How a value prints (strings as is, numbers and booleans as JSON, null empty).
pub fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Go template truthiness: false, 0, null, "" and empty collections are false.
fn truthy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
    }
}

fn to_yaml(a: &Args) -> Result<Value, RenderError> {
    a.need(1)?;
    let text = serde_yaml_ng::to_string(a.get(0)?)
        .map_err(|e| fail(format!("toYaml: cannot serialise: {e}")))?;
    Ok(Value::String(text.trim_end_matches('\n').to_string()))
}

fn to_json(a: &Args) -> Result<Value, RenderError> {
    a.need(1)?;
    let text = serde_json::to_string(a.get(0)?)
        .map_err(|e| fail(format!("toJson: cannot serialise: {e}")))?;
    Ok(Value::String(text))
}

fn indent_text(helper: &str, n: i64, s: &str) -> Result<String, RenderError> {
    if n > MAX_INDENT_WIDTH {
        return Err(fail(format!(
            "{helper}: width {n} is more than the limit of {MAX_INDENT_WIDTH}"
        )));
    }
    let width = n.max(0) as usize;
    let lines = s.bytes().filter(|&b| b == b'\n').count() + 1;
    let size = width.saturating_mul(lines).saturating_add(s.len());
    if size > MAX_HELPER_OUTPUT {
        return Err(fail(format!(
            "{helper}: the result would be {size} bytes, more than the limit of {MAX_HELPER_OUTPUT}"
        )));
    }
    let pad = " ".repeat(width);
    Ok(format!("{pad}{}", s.replace('\n', &format!("\n{pad}"))))
}

fn indent(a: &Args) -> Result<Value, RenderError> {
    a.need(2)?;
    Ok(Value::String(indent_text(
        "indent",
        a.int(0)?,
        &a.text(1)?,
    )?))
}

fn nindent(a: &Args) -> Result<Value, RenderError> {
    a.need(2)?;
    Ok(Value::String(format!(
        "\n{}",
        indent_text("nindent", a.int(0)?, &a.text(1)?)?
    )))
}

fn quote(a: &Args) -> Result<Value, RenderError> {
    a.need(1)?;
    let mut parts = Vec::new();
    for i in 0..a.len() {
        let v = a.get(i)?;
        if v.is_null() {
            continue;
        }
        parts.push(serde_json::to_string(&text(v)).unwrap_or_default());
    }
    Ok(Value::String(parts.join(" ")))
}

fn squote(a: &Args) -> Result<Value, RenderError> {
    a.need(1)?;
    let mut parts = Vec::new();
    for i in 0..a.len() {
        let v = a.get(i)?;
        if v.is_null() {
            continue;
        }
        parts.push(format!("'{}'", text(v)));
    }
    Ok(Value::String(parts.join(" ")))
}

/// `default DEFAULT VALUE`: VALUE unless it is missing or empty (sprig's `empty`).
fn default(a: &Args) -> Result<Value, RenderError> {
    a.need(1)?;
    let fallback = a.get(0)?;
    match a.opt(1) {
        Some(v) if truthy(Some(v)) => Ok(v.clone()),
        _ => Ok(fallback.clone()),
    }
}

/// `required MESSAGE VALUE`: VALUE, or fail with MESSAGE when it is missing, null or "".
fn required(a: &Args) -> Result<Value, RenderError> {
    a.need(1)?;
    let message = a.text(0)?;
    match a.opt(1) {
        None | Some(Value::Null) => Err(fail(message)),
        Some(Value::String(s)) if s.is_empty() => Err(fail(message)),
        Some(v) => Ok(v.clone()),
    }
}

fn b64enc(a: &Args) -> Result<Value, RenderError> {
    a.need(1)?;
    Ok(Value::String(
        base64::engine::general_purpose::STANDARD.encode(a.text(0)?),
    ))
}

fn b64dec(a: &Args) -> Result<Value, RenderError> {
    a.need(1)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(a.text(0)?.trim())
        .map_err(|_| fail("b64dec: the argument is not valid base64".to_string()))?;
    let s = String::from_utf8(bytes)
        .map_err(|_| fail("b64dec: the decoded bytes are not UTF-8".to_string()))?;
    Ok(Value::String(s))
}

fn sha256sum(a: &Args) -> Result<Value, RenderError> {
    a.need(1)?;
    Ok(Value::String(hex::encode(sha2::Sha256::digest(
        a.text(0)?.as_bytes(),
    ))))
}

/// `trunc N S`: the first N characters (the last -N when N is negative).
fn trunc(a: &Args) -> Result<Value, RenderError> {
    a.need(2)?;
    let n = a.int(0)?;
    let chars: Vec<char> = a.text(1)?.chars().collect();
    let len = chars.len() as i64;
    let out: String = if n >= 0 {
        chars.iter().take(n as usize).collect()
    } else if len + n > 0 {
        chars[(len + n) as usize..].iter().collect()
    } else {
        chars.iter().collect()
    };
    Ok(Value::String(out))
}

fn trim_suffix(a: &Args) -> Result<Value, RenderError> {
    a.need(2)?;
    let suffix = a.text(0)?;
    let s = a.text(1)?;
    Ok(Value::String(
        s.strip_suffix(suffix.as_str()).unwrap_or(&s).to_string(),
    ))
}

fn trim_prefix(a: &Args) -> Result<Value, RenderError> {
    a.need(2)?;
    let prefix = a.text(0)?;
    let s = a.text(1)?;
    Ok(Value::String(
        s.strip_prefix(prefix.as_str()).unwrap_or(&s).to_string(),
    ))
}

fn trim(a: &Args) -> Result<Value, RenderError> {
    a.need(1)?;
    Ok(Value::String(a.text(0)?.trim().to_string()))
}

fn lower(a: &Args) -> Result<Value, RenderError> {
    a.need(1)?;
    Ok(Value::String(a.text(0)?.to_lowercase()))
}

fn upper(a: &Args) -> Result<Value, RenderError> {
    a.need(1)?;
    Ok(Value::String(a.text(0)?.to_uppercase()))
}

/// `replace OLD NEW S`.
fn replace(a: &Args) -> Result<Value, RenderError> {
    a.need(3)?;
    Ok(Value::String(a.text(2)?.replace(&a.text(0)?, &a.text(1)?)))
}

/// `join SEP LIST`.
fn join(a: &Args) -> Result<Value, RenderError> {
    a.need(2)?;
    let sep = a.text(0)?;
    let out = match a.get(1)? {
        Value::Array(items) => items
            .iter()
            .filter(|v| !v.is_null())
            .map(text)
            .collect::<Vec<_>>()
            .join(&sep),
        other => text(other),
    };
    Ok(Value::String(out))
}

/// `concat LIST LIST…`: one list.
fn concat(a: &Args) -> Result<Value, RenderError> {
    let mut out = Vec::new();
    for i in 0..a.len() {
        match a.get(i)? {
            Value::Array(items) => out.extend(items.iter().cloned()),
            Value::Null => {}
            other => out.push(other.clone()),
        }
    }
    Ok(Value::Array(out))
}

fn eq(a: &Args) -> Result<Value, RenderError> {
    a.need(2)?;
    let first = a.opt(0).unwrap_or(&Value::Null);
    Ok(Value::Bool(
        (1..a.len()).any(|i| same(first, a.opt(i).unwrap_or(&Value::Null))),
    ))
}

fn ne(a: &Args) -> Result<Value, RenderError> {
    a.need(2)?;
    Ok(Value::Bool(!same(
        a.opt(0).unwrap_or(&Value::Null),
        a.opt(1).unwrap_or(&Value::Null),
    )))
}

/// Equality where 1 and 1.0 are the same number.
fn same(x: &Value, y: &Value) -> bool {
    match (x, y) {
        (Value::Number(p), Value::Number(q)) => p.as_f64() == q.as_f64(),
        _ => x == y,
    }
}

/// `and A B…`: the first empty argument, else the last (as Go templates do).
fn and(a: &Args) -> Result<Value, RenderError> {
    a.need(1)?;
    for i in 0..a.len() {
        let v = a.opt(i);
        if !truthy(v) || i == a.len() - 1 {
            return Ok(v.cloned().unwrap_or(Value::Null));
        }
    }
    Ok(Value::Null)
}

/// `or A B…`: the first non-empty argument, else the last.
fn or(a: &Args) -> Result<Value, RenderError> {
    a.need(1)?;
    for i in 0..a.len() {
        let v = a.opt(i);
        if truthy(v) || i == a.len() - 1 {
            return Ok(v.cloned().unwrap_or(Value::Null));
        }
    }
    Ok(Value::Null)
}

fn not(a: &Args) -> Result<Value, RenderError> {
    a.need(1)?;
    Ok(Value::Bool(!truthy(a.opt(0))))
}

/// `include "NAME" CONTEXT`: a partial rendered to a string (trailing newlines
/// dropped, so `nindent` places it cleanly).
struct Include;

impl HelperDef for Include {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        r: &'reg Handlebars<'reg>,
        _: &'rc Context,
        rc: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        let args = Args { name: "include", h };
        args.need(2)?;
        let name = args.text(0)?;
        let data = args.get(1)?.clone();
        let template = rc
            .get_partial(&name)
            .or_else(|| r.get_template(&name))
            .ok_or_else(|| {
                // The name may come from values (even a secrets file): name
                // the expression it came from, or the literal the template wrote.
                match h.param(0).and_then(|p| p.relative_path()) {
                    Some(path) => fail(format!(
                        "include: no partial has the name held by `{path}` (the name is not shown: it comes from values)"
                    )),
                    None => fail(format!("include: no partial named \"{name}\"")),
                }
            })?;
        let _nesting = Nesting::enter("include")?;
        let ctx = Context::from(data);
        let mut inner = RenderContext::new(None);
        let mut out = StringOutput::new();
        template.render(r, &ctx, &mut inner, &mut out)?;
        let text = out.into_string()?;
        Ok(ScopedJson::Derived(Value::String(
            text.trim_end_matches('\n').to_string(),
        )))
    }
}

/// `tpl TEMPLATE CONTEXT`: render a string (usually from values) as a template.
struct Tpl;

impl HelperDef for Tpl {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        r: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        let args = Args { name: "tpl", h };
        args.need(2)?;
        let _nesting = Nesting::enter("tpl")?;
        let source = args.text(0)?;
        let ctx = Context::from(args.get(1)?.clone());
        let text = r
            .render_template_with_context(&source, &ctx)
            .map_err(|e| match e.reason() {
                // The string may come from a secrets file: name where, never what.
                RenderErrorReason::TemplateError(t) => {
                    let (line, column) = t.pos().unwrap_or((0, 0));
                    fail(format!(
                        "tpl: the string passed to tpl is not a valid template (its line {line}, column {column})"
                    ))
                }
                // Report other problems at the `tpl` call in the calling template.
                _ => {
                    let mut e = e;
                    e.template_name = None;
                    e.line_no = None;
                    e.column_no = None;
                    e
                }
            })?;
        Ok(ScopedJson::Derived(Value::String(text)))
    }
}

/// A block for `param`: its context path when it has one, else its value.
fn block_for<'rc>(param: &handlebars::PathAndJson<'rc>) -> BlockContext<'rc> {
    let mut block = BlockContext::new();
    match param.context_path() {
        Some(path) => block.base_path_mut().clone_from(path),
        None => block.set_base_value(param.value().clone()),
    }
    block
}

/// Render the `else` block, if any.
fn render_inverse<'reg: 'rc, 'rc>(
    h: &Helper<'rc>,
    r: &'reg Handlebars<'reg>,
    ctx: &'rc Context,
    rc: &mut RenderContext<'reg, 'rc>,
    out: &mut dyn Output,
) -> HelperResult {
    match h.inverse() {
        Some(t) => t.render(r, ctx, rc, out),
        None => Ok(()),
    }
}

/// `{{#with VALUE}}…{{else}}…{{/with}}`: a missing, null or empty value renders the `else` block.
struct With;

impl HelperDef for With {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        r: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        rc: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let param = h
            .param(0)
            .ok_or(RenderErrorReason::ParamNotFoundForIndex("with", 0))?;
        if param.is_value_missing() || !truthy(Some(param.value())) {
            return render_inverse(h, r, ctx, rc, out);
        }
        let mut block = block_for(param);
        if let Some(parent) = rc.block() {
            block
                .local_variables_mut()
                .clone_from(parent.local_variables());
        }
        if let Some(name) = h.block_param() {
            let mut params = BlockParams::new();
            if param.context_path().is_some() {
                params.add_path(name, Vec::new())?;
            } else {
                params.add_value(name, param.value().clone())?;
            }
            block.set_block_params(params);
        }
        rc.push_block(block);
        let result = match h.template() {
            Some(t) => t.render(r, ctx, rc, out),
            None => Ok(()),
        };
        rc.pop_block();
        result
    }
}

/// `{{#each LIST_OR_MAP}}…{{else}}…{{/each}}` with `@index`, `@key`, `@first`,
/// `@last` and block params; a missing, null or empty value renders the `else` block.
struct Each;

impl HelperDef for Each {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        r: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        rc: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let param = h
            .param(0)
            .ok_or(RenderErrorReason::ParamNotFoundForIndex("each", 0))?;
        let Some(template) = h.template() else {
            return Ok(());
        };
        if param.is_value_missing() {
            return render_inverse(h, r, ctx, rc, out);
        }
        let items: Vec<(Value, &Value)> = match param.value() {
            Value::Array(list) => list
                .iter()
                .enumerate()
                .map(|(i, v)| (Value::from(i), v))
                .collect(),
            Value::Object(map) => map
                .iter()
                .map(|(k, v)| (Value::from(k.as_str()), v))
                .collect(),
            _ => Vec::new(),
        };
        if items.is_empty() {
            return render_inverse(h, r, ctx, rc, out);
        }
        let is_map = param.value().is_object();
        let base = param.context_path().cloned();
        rc.push_block(block_for(param));
        let len = items.len();
        for (i, (key, value)) in items.into_iter().enumerate() {
            if let Some(block) = rc.block_mut() {
                block.set_local_var("first", Value::Bool(i == 0));
                block.set_local_var("last", Value::Bool(i == len - 1));
                block.set_local_var("index", Value::from(i));
                if is_map {
                    block.set_local_var("key", key.clone());
                }
                let segment = match &key {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                match &base {
                    Some(path) => {
                        let mut p = path.clone();
                        p.push(segment);
                        *block.base_path_mut() = p;
                    }
                    None => block.set_base_value(value.clone()),
                }
                let mut params = BlockParams::new();
                if let Some(name) = h.block_param() {
                    if base.is_some() {
                        params.add_path(name, Vec::new())?;
                    } else {
                        params.add_value(name, value.clone())?;
                    }
                    block.set_block_params(params);
                } else if let Some((vname, kname)) = h.block_param_pair() {
                    if base.is_some() {
                        params.add_path(vname, Vec::new())?;
                    } else {
                        params.add_value(vname, value.clone())?;
                    }
                    params.add_value(kname, key.clone())?;
                    block.set_block_params(params);
                }
            }
            if let Err(e) = template.render(r, ctx, rc, out) {
                rc.pop_block();
                return Err(e);
            }
        }
        rc.pop_block();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indent_widths_and_sizes_are_bounded() {
        assert_eq!(indent_text("indent", 2, "a\nb").unwrap(), "  a\n  b");
        let e = indent_text("indent", 99_999_999_999_999, "x").unwrap_err();
        assert!(e
            .to_string()
            .contains("width 99999999999999 is more than the limit of 10000"));
        let many = "\n".repeat(10_000);
        let e = indent_text("nindent", 10_000, &many).unwrap_err();
        assert!(e.to_string().contains("more than the limit of 16777216"));
    }
}
