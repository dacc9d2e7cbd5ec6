//! Charts Helm refuses, and the message it gives: `berth template` must
//! fail on each (exit 1) and print Helm's own error text. Each chart is one
//! or two template files written here; Helm's SDK gives the expected text.

use serde_json::json;

use crate::support::harness::berth;

/// (case, [(file, text)], values.yaml)
/// One case: its name, its template files, its values.yaml.
type Case = (
    &'static str,
    Vec<(&'static str, &'static str)>,
    &'static str,
);

fn corpus() -> Vec<Case> {
    vec![
        (
            "nil-pointer",
            vec![("templates/a.yaml", "a: {{ .Values.a.b.c }}\n")],
            "a: {}\n",
        ),
        (
            "nil-pointer-top",
            vec![("templates/a.yaml", "a: {{ .Values.missing.deeper }}\n")],
            "",
        ),
        (
            "required",
            vec![(
                "templates/a.yaml",
                "a: {{ required \"x is required\" .Values.x }}\n",
            )],
            "",
        ),
        (
            "fail",
            vec![("templates/a.yaml", "{{ fail \"boom: not supported\" }}\n")],
            "",
        ),
        (
            "parse-unclosed-action",
            vec![("templates/a.yaml", "a: {{ .Values.x\n")],
            "",
        ),
        (
            "parse-unknown-function",
            vec![("templates/a.yaml", "a: {{ nosuchfunc 1 }}\n")],
            "",
        ),
        (
            "parse-undefined-variable",
            vec![("templates/a.yaml", "a: {{ $x }}\n")],
            "",
        ),
        (
            "parse-missing-end",
            vec![("templates/a.yaml", "{{ if .Values.x }}\na: 1\n")],
            "",
        ),
        (
            "parse-unexpected-end",
            vec![("templates/a.yaml", "a: 1\n{{ end }}\n")],
            "",
        ),
        (
            "parse-else-outside",
            vec![("templates/a.yaml", "{{ else }}\n")],
            "",
        ),
        (
            "wrong-arg-type",
            vec![("templates/a.yaml", "a: {{ indent \"x\" \"y\" }}\n")],
            "",
        ),
        (
            "wrong-arg-count",
            vec![("templates/a.yaml", "a: {{ trunc 1 }}\n")],
            "",
        ),
        (
            "include-missing",
            vec![("templates/a.yaml", "a: {{ include \"nope\" . }}\n")],
            "",
        ),
        (
            "template-missing",
            vec![("templates/a.yaml", "a: {{ template \"nope\" }}\n")],
            "",
        ),
        (
            "yaml-output-invalid",
            vec![("templates/a.yaml", "a: b: c\n")],
            "",
        ),
        (
            "yaml-output-unclosed-flow",
            vec![(
                "templates/a.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  k: [1, 2\n",
            )],
            "",
        ),
        (
            "yaml-output-tab-indent",
            vec![(
                "templates/a.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: x\n",
            )],
            "",
        ),
        (
            "yaml-head-metadata-list",
            vec![(
                "templates/a.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata: [x]\n",
            )],
            "",
        ),
        (
            "error-inside-partial",
            vec![
                (
                    "templates/_h.tpl",
                    "{{- define \"h.bad\" -}}\n{{ .Values.a.b }}\n{{- end -}}\n",
                ),
                ("templates/a.yaml", "a: {{ include \"h.bad\" . }}\n"),
            ],
            "",
        ),
        (
            "tpl-error",
            vec![("templates/a.yaml", "a: {{ tpl \"{{ .Values.q.r }}\" . }}\n")],
            "",
        ),
        (
            "include-recursion",
            vec![
                (
                    "templates/_h.tpl",
                    "{{- define \"loop\" -}}{{ include \"loop\" . }}{{- end -}}\n",
                ),
                ("templates/a.yaml", "a: {{ include \"loop\" . }}\n"),
            ],
            "",
        ),
        (
            "index-out-of-range",
            vec![("templates/a.yaml", "a: {{ index (list 1 2) 5 }}\n")],
            "",
        ),
        (
            "compare-incompatible",
            vec![("templates/a.yaml", "a: {{ lt 1 \"a\" }}\n")],
            "",
        ),
        (
            "field-on-string",
            vec![("templates/a.yaml", "a: {{ .Values.s.x }}\n")],
            "s: text\n",
        ),
        (
            "range-over-string",
            vec![(
                "templates/a.yaml",
                "{{ range .Values.s }}{{ . }}{{ end }}\n",
            )],
            "s: text\n",
        ),
        (
            "div-by-zero",
            vec![("templates/a.yaml", "a: {{ div 1 0 }}\n")],
            "",
        ),
        (
            "kind-is-a-map",
            vec![("templates/a.yaml", "kind: {a: 1}\nmetadata:\n  name: j\n")],
            "",
        ),
    ]
}

#[test]
fn berth_template_fails_with_helms_error_text() {
    let mut failures = Vec::new();
    let cases = corpus();
    for (name, files, values) in &cases {
        let tmp = tempfile::tempdir().unwrap();
        let chart = tmp.path().join(name);
        std::fs::create_dir_all(chart.join("templates")).unwrap();
        std::fs::write(
            chart.join("Chart.yaml"),
            format!("apiVersion: v2\nname: {name}\nversion: 0.1.0\n"),
        )
        .unwrap();
        std::fs::write(chart.join("values.yaml"), values).unwrap();
        for (file, text) in files {
            std::fs::write(chart.join(file), text).unwrap();
        }
        let helm_error = helm_oracle::oracle()
            .template(&chart, json!({"name": "rel", "namespace": "ns"}))
            .err()
            .unwrap_or_else(|| panic!("{name}: Helm accepted the chart"));
        let out = berth(tmp.path())
            .args(["template", "rel", chart.to_str().unwrap(), "-n", "ns"])
            .output();
        if out.exit_code() != 1 {
            failures.push(format!("{name}: exit code {}, want 1", out.exit_code()));
        } else if !out.stderr().contains(&helm_error) {
            failures.push(format!(
                "{name}:\n  helm:  {helm_error:?}\n  berth: {:?}",
                out.stderr()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} error cases differ from Helm:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
