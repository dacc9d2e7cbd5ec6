//! Templates: any template text either fails to compile or renders (or fails
//! to render) cleanly with berth's helpers — no panic, no stack overflow, no
//! unbounded allocation from `indent`/`include`/`tpl`.
#![no_main]

use handlebars::Handlebars;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // First line: a partial named `p`; the rest: the template.
    let (partial, template) = text.split_once('\n').unwrap_or(("", text));
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    hb.register_escape_fn(handlebars::no_escape);
    berth::chart::helpers::register(&mut hb);
    if hb.register_partial("p", partial).is_err() {
        return;
    }
    let ctx = serde_json::json!({
        "values": {"a": "x", "n": 3, "list": [1, 2], "map": {"k": "v"}, "t": "{{values.a}}"},
        "release": {"name": "r", "namespace": "ns"},
    });
    // Partials that include each other are refused at chart load; here a
    // partial may include itself through `include`, which must stop cleanly.
    let _ = hb.render_template(template, &ctx);
});
