//! Helm v4's `pkg/engine` render loop over one template set: every chart
//! file parsed into one set in Helm's order (deeper paths first, then
//! reverse name order, so parent charts' and earlier-named files' `define`s
//! win), every non-partial file executed with `.Template`, `<no value>`
//! removed, Helm's own functions (`include`, `tpl`, `required`, `fail`), and
//! Helm's rewording of Go's errors.
//!
//! It knows nothing of chart loading or values: the caller hands it file
//! names, texts and each file's top-level data. `lookup` and sprig's
//! functions come from the caller's function map.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::rc::Rc;

use crate::exec::{Error, ErrorKind, MissingKey, Options, Templates};
use crate::func::{FuncError, FuncMap, Function, Param, TextError};
use crate::value::Value;

/// Helm's limit on nested `include`s of one template name.
pub const RECURSION_MAX: usize = 1000;

const WARN_START: &str = "HELM_ERR_START";
const WARN_END: &str = "HELM_ERR_END";

/// One template file of a chart (or of a dependency).
#[derive(Clone)]
pub struct RenderFile {
    /// Its full name, e.g. `mychart/templates/x.yaml`.
    pub name: String,
    /// Its text.
    pub text: String,
    /// The file's top-level dot (a map with `Values`, `Release`, `Chart`,
    /// `Capabilities`, `Files`...), without `Template`. Files of one chart
    /// should share one map, as in Helm: `.Template` is set in it before
    /// each file runs, and changes a template makes to it stay visible.
    pub data: Value,
    /// The chart's template directory, e.g. `mychart/templates`.
    pub base_path: String,
}

/// Render options.
#[derive(Debug, Clone, Copy, Default)]
pub struct RenderOptions {
    /// `missingkey=error` (Helm's `Engine.Strict`); otherwise
    /// `missingkey=zero`. Note: Helm v4.2.3's `helm lint --strict` does not
    /// set it (lint renders with [`Mode::Lint`] only; see [`render_lint`]).
    pub strict: bool,
}

/// A render failure; `Display` is exactly Helm's error text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderError {
    /// The file being parsed or executed when it failed.
    pub file: String,
    message: String,
}

impl RenderError {
    /// Helm's message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RenderError {}

/// Helm's template order: more path separators first; among equals,
/// reverse lexical order.
pub fn sort_templates(names: &mut [String]) {
    names.sort_by(|a, b| {
        let (ca, cb) = (a.matches('/').count(), b.matches('/').count());
        cb.cmp(&ca).then_with(|| b.cmp(a))
    });
}

fn warn_wrap(msg: &str) -> String {
    format!("{WARN_START}{msg}{WARN_END}")
}

/// How Helm's engine runs: a normal render, or `helm lint`'s `LintMode`,
/// where a missing `required` value and `fail` yield `""` instead of an
/// error (Helm only logs them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// `helm template`/`install`: `required` and `fail` stop the render.
    #[default]
    Render,
    /// `helm lint`: `required` and `fail` yield `""`.
    Lint,
}

/// Add Helm's `include`, `tpl`, `required` and `fail` to `funcs`.
pub fn add_helm_functions(funcs: &mut FuncMap, mode: Mode) {
    let included: Rc<RefCell<rustc_hash::FxHashMap<String, usize>>> = Rc::default();
    funcs.insert(
        "include".into(),
        Function::with_env(&[Param::String, Param::Any], None, move |env, args| {
            let name = args[0].as_str().unwrap_or_default().to_string();
            {
                let mut m = included.borrow_mut();
                let n = m.entry(name.clone()).or_insert(0);
                if *n > RECURSION_MAX {
                    return Err(FuncError::new(format!(
                        "rendering template has a nested reference name: {name}: unable to execute template"
                    )));
                }
                *n += 1;
            }
            let data = args.into_iter().nth(1).unwrap_or(Value::Nil);
            let r = env.execute_named(&name, data);
            if let Some(n) = included.borrow_mut().get_mut(&name) {
                *n = n.saturating_sub(1);
            }
            r.map(Value::from)
        }),
    );
    funcs.insert(
        "tpl".into(),
        Function::with_env(&[Param::String, Param::Any], None, |env, args| {
            let text = args[0].as_str().unwrap_or_default().to_string();
            let data = args.into_iter().nth(1).unwrap_or(Value::Nil);
            match env.execute_text_checked(&text, data) {
                Ok(out) => Ok(Value::from(out.replace("<no value>", ""))),
                Err(TextError::Parse(e)) => Err(FuncError::new(format!(
                    "cannot parse template {}: {e}",
                    crate::fmt::quote(&text)
                ))),
                Err(TextError::Exec(e)) => Err(FuncError::new(format!(
                    "error during tpl function execution for {}: {e}",
                    crate::fmt::quote(&text)
                ))),
            }
        }),
    );
    let lint = mode == Mode::Lint;
    funcs.insert(
        "required".into(),
        Function::pure(&[Param::String, Param::Any], None, move |args| {
            let warn = args[0].as_str().unwrap_or_default().to_string();
            let val = args.into_iter().nth(1).unwrap_or(Value::Nil);
            let missing = match &val {
                Value::Nil => true,
                Value::String(s) => s.is_empty(),
                _ => false,
            };
            match (missing, lint) {
                (false, _) => Ok(val),
                (true, true) => Ok(Value::str("")),
                (true, false) => Err(FuncError::new(warn_wrap(&warn))),
            }
        }),
    );
    funcs.insert(
        "fail".into(),
        Function::pure(&[Param::String], None, move |args| {
            if lint {
                return Ok(Value::str(""));
            }
            Err(FuncError::new(warn_wrap(
                args[0].as_str().unwrap_or_default(),
            )))
        }),
    );
}

/// Render every file as Helm's engine does: file name → output, partials
/// (base name starting with `_`) left out.
pub fn render(
    files: &[RenderFile],
    funcs: FuncMap,
    options: &RenderOptions,
) -> Result<BTreeMap<String, String>, RenderError> {
    render_mode(files, funcs, options, Mode::Render)
}

/// [`render`] as `helm lint` runs it (Helm v4's lint uses `LintMode` and
/// never `missingkey=error`, even with `--strict`).
pub fn render_lint(
    files: &[RenderFile],
    funcs: FuncMap,
) -> Result<BTreeMap<String, String>, RenderError> {
    render_mode(files, funcs, &RenderOptions::default(), Mode::Lint)
}

/// [`render`] in the given [`Mode`].
pub fn render_mode(
    files: &[RenderFile],
    mut funcs: FuncMap,
    options: &RenderOptions,
    mode: Mode,
) -> Result<BTreeMap<String, String>, RenderError> {
    add_helm_functions(&mut funcs, mode);
    let opts = Options {
        missing_key: if options.strict {
            MissingKey::Error
        } else {
            MissingKey::Zero
        },
    };
    let mut set = Templates::with_root_name("gotpl", funcs, opts);
    let by_name: HashMap<&str, &RenderFile> = files.iter().map(|f| (f.name.as_str(), f)).collect();
    let mut names: Vec<String> = by_name.keys().map(|s| s.to_string()).collect();
    sort_templates(&mut names);
    for name in &names {
        let file = by_name[name.as_str()];
        if let Err(e) = set.parse(name, &file.text) {
            return Err(RenderError {
                file: name.clone(),
                message: cleanup_parse_error(name, &e),
            });
        }
    }
    let mut rendered = BTreeMap::new();
    for name in &names {
        let base = name.rsplit('/').next().unwrap_or(name);
        if base.starts_with('_') {
            continue;
        }
        let file = by_name[name.as_str()];
        let data = with_template(&file.data, name, &file.base_path);
        match set.execute(name, data) {
            Ok(out) => {
                rendered.insert(name.clone(), out.replace("<no value>", ""));
            }
            Err(e) => {
                return Err(RenderError {
                    file: name.clone(),
                    message: reformat_exec_error(name, &e),
                })
            }
        }
    }
    Ok(rendered)
}

fn with_template(data: &Value, name: &str, base_path: &str) -> Value {
    let mut t = BTreeMap::new();
    t.insert("Name".to_string(), Value::str(name));
    t.insert("BasePath".to_string(), Value::str(base_path));
    let t = Value::map(t);
    match data {
        Value::Map(m) => {
            m.borrow_mut().insert("Template".into(), t);
            data.clone()
        }
        _ => {
            let mut top = BTreeMap::new();
            top.insert("Template".to_string(), t);
            Value::map(top)
        }
    }
}

/// Helm's `cleanupParseError`.
pub fn cleanup_parse_error(filename: &str, err: &Error) -> String {
    let text = err.to_string();
    let tokens: Vec<&str> = text.split(": ").collect();
    if tokens.len() == 1 {
        return format!("parse error in ({filename}): {text}");
    }
    let location = tokens[1];
    let msg = tokens[tokens.len() - 1];
    format!("parse error at ({location}): {msg}")
}

#[derive(PartialEq, Eq, Default)]
struct Traceable {
    location: String,
    message: String,
    executed: String,
}

impl Traceable {
    fn render(&self, out: &mut String) {
        if !self.location.is_empty() {
            out.push_str(&self.location);
            out.push_str("\n  ");
        }
        if !self.executed.is_empty() {
            out.push_str(&self.executed);
            out.push_str("\n    ");
        }
        if !self.message.is_empty() {
            out.push_str(&self.message);
            out.push('\n');
        }
    }
}

fn cut_template(msg: &str) -> String {
    match msg.find(" template:") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

fn parse_traceable(s: &str) -> Option<Traceable> {
    let rest = s.strip_prefix("template: ")?;
    if rest.starts_with("no template ") {
        return Some(Traceable {
            message: s.to_string(),
            ..Traceable::default()
        });
    }
    if let Some((name, after)) = rest.split_once(": executing ") {
        if let Some(after) = after.strip_prefix('"') {
            if let Some(end) = after.find('"') {
                let func = &after[..end];
                if let Some(after_at) = after[end + 1..].strip_prefix(" at <") {
                    if let Some((loc, msg)) = after_at.split_once(">: ") {
                        return Some(Traceable {
                            location: name.to_string(),
                            message: cut_template(msg),
                            executed: format!("executing \"{func}\" at <{loc}>:"),
                        });
                    }
                }
            }
        }
        return None;
    }
    let sep = rest.rfind(": ")?;
    Some(Traceable {
        location: rest[..sep].to_string(),
        message: cut_template(&rest[sep + 2..]),
        executed: String::new(),
    })
}

/// Helm's `reformatExecErrorMsg`.
pub fn reformat_exec_error(filename: &str, err: &Error) -> String {
    let text = err.to_string();
    if err.kind() != ErrorKind::Exec {
        return text;
    }
    let tokens: Vec<&str> = text.splitn(3, ": ").collect();
    if tokens.len() != 3 {
        return format!("execution error in ({filename}): {text}");
    }
    let location = tokens[1];
    if let Some(start) = tokens[2].find(WARN_START) {
        let after = &tokens[2][start + WARN_START.len()..];
        if let Some(end) = after.rfind(WARN_END) {
            return format!("execution error at ({location}): {}", &after[..end]);
        }
    }
    let mut seen: Vec<Traceable> = Vec::new();
    for link in err.chain() {
        match parse_traceable(link) {
            Some(t) => {
                if seen.last() != Some(&t) {
                    seen.push(t);
                }
            }
            None => return text,
        }
    }
    let mut out = String::new();
    for t in &seen {
        t.render(&mut out);
    }
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str, helpers: &str) -> Result<BTreeMap<String, String>, RenderError> {
        let data = Value::empty_map();
        let files = vec![
            RenderFile {
                name: "c/templates/x.yaml".into(),
                text: text.into(),
                data: data.clone(),
                base_path: "c/templates".into(),
            },
            RenderFile {
                name: "c/templates/_h.tpl".into(),
                text: helpers.into(),
                data,
                base_path: "c/templates".into(),
            },
        ];
        render(&files, FuncMap::default(), &RenderOptions::default())
    }

    #[test]
    fn template_recursion_stops_at_go_depth() {
        let err = one(
            r#"{{ template "deep" . }}"#,
            r#"{{ define "deep" }}{{ template "deep" . }}{{ end }}"#,
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("exceeded maximum template depth (100000)"),
            "{err}"
        );
    }

    #[test]
    fn include_recursion_stops_at_helm_limit() {
        let err = one(
            r#"{{ include "rec" . }}"#,
            r#"{{ define "rec" }}{{ include "rec" . }}{{ end }}"#,
        )
        .unwrap_err();
        assert!(
            err.to_string().ends_with(
                "rendering template has a nested reference name: rec: unable to execute template"
            ),
            "{}",
            &err.to_string()[..300]
        );
    }
}

#[cfg(test)]
mod lint_tests {
    use super::*;

    #[test]
    fn lint_mode_lets_required_and_fail_pass() {
        let files = vec![RenderFile {
            name: "c/templates/x.yaml".into(),
            text: "{{ required \"r\" .Values.nope }}x{{ fail \"f\" }}y: 1\n".into(),
            data: Value::map(BTreeMap::from([("Values".to_string(), Value::empty_map())])),
            base_path: "c/templates".into(),
        }];
        let out = render_lint(&files, FuncMap::default()).unwrap();
        assert_eq!(out["c/templates/x.yaml"], "xy: 1\n");
        let err = render(&files, FuncMap::default(), &RenderOptions::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "execution error at (c/templates/x.yaml:1:3): r"
        );
    }
}
