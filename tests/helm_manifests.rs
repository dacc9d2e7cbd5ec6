//! Helm's manifest assembly, differentially: Helm's own engine renders each
//! chart below (per-file output and the release manifest `helm template`
//! prints), and berth's `manifest::helm` must split, sort and print Helm's
//! per-file output into exactly Helm's manifest.

use std::collections::BTreeMap;
use std::path::Path;

use berth::manifest::helm::{sort_manifests, template_text, TemplateOutput};
use serde_json::json;

/// Charts as (name, [(file, text)]): each exercises one rule of Helm's sorter.
fn corpus() -> Vec<(&'static str, Vec<(&'static str, &'static str)>)> {
    vec![
        (
            "kinds-in-install-order",
            vec![
                ("templates/a.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: s\n"),
                ("templates/b.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: n\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n---\napiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata:\n  name: p\n"),
                ("templates/c.yaml", "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: i\n---\napiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata:\n  name: v\n"),
            ],
        ),
        (
            "unknown-kinds-sorted-by-name-after-known",
            vec![
                ("templates/x.yaml", "apiVersion: example.com/v1\nkind: Zebra\nmetadata:\n  name: z\n---\napiVersion: example.com/v1\nkind: Aardvark\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n---\napiVersion: example.com/v1\nkind: Aardvark\nmetadata:\n  name: b\n"),
            ],
        ),
        (
            "stable-within-a-kind-across-files",
            vec![
                ("templates/z.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-z\n"),
                ("templates/a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-a\n"),
                ("templates/m/n.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-m-n\n"),
            ],
        ),
        (
            "blank-and-comment-only-documents",
            vec![
                ("templates/a.yaml", "\n\n---\n# just a comment\n---\n\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n---\n   \n"),
                ("templates/empty.yaml", "   \n\n"),
                ("templates/comment.yaml", "# nothing here\n# at all\n"),
            ],
        ),
        (
            "separator-variants",
            vec![
                ("templates/a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---   \napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n   \n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n---apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: d\n"),
                ("templates/b.yaml", "---\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: s\n\n\n\n"),
            ],
        ),
        (
            "hooks-are-not-in-the-manifest",
            vec![
                ("templates/job.yaml", "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations:\n    helm.sh/hook: pre-install,pre-upgrade\n    helm.sh/hook-weight: \"-1\"\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\n  annotations:\n    other: x\n"),
                ("templates/test.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: t\n  annotations:\n    helm.sh/hook: test\n"),
                ("templates/unknown-hook.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: u\n  annotations:\n    helm.sh/hook: not-a-hook\n"),
            ],
        ),
        (
            "partials-and-notes-are-not-manifests",
            vec![
                ("templates/_helpers.tpl", "{{- define \"x\" -}}kind: ConfigMap{{- end -}}"),
                ("templates/NOTES.txt", "Thanks for installing {{ .Release.Name }}."),
                ("templates/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  x: |\n    line\n\n    ---\n    inner\n"),
            ],
        ),
        (
            "trailing-whitespace-of-the-last-document",
            vec![
                ("templates/a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: v   \n\n\n"),
            ],
        ),
        (
            "list-kinds-and-rbac",
            vec![
                ("templates/rbac.yaml", "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: rb\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: r\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: crb\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: cr\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sa\n---\napiVersion: v1\nkind: List\nitems: []\n"),
            ],
        ),
        (
            "no-manifests-at-all",
            vec![("templates/_only.tpl", "{{ define \"a\" }}{{ end }}")],
        ),
    ]
}

fn write_chart(dir: &Path, name: &str, files: &[(&str, &str)]) {
    std::fs::write(
        dir.join("Chart.yaml"),
        format!("apiVersion: v2\nname: {name}\nversion: 0.1.0\n"),
    )
    .unwrap();
    for (file, text) in files {
        let path = dir.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

#[test]
fn berth_assembles_helms_manifest_from_helms_rendered_files() {
    let mut compared = 0;
    for (name, files) in corpus() {
        let tmp = tempfile::tempdir().unwrap();
        write_chart(tmp.path(), name, &files);
        let mut helm = helm_oracle::oracle();
        let answer = helm
            .template(tmp.path(), json!({"name": "rel", "namespace": "ns"}))
            .unwrap_or_else(|e| panic!("{name}: Helm refused the chart: {e}"));
        let rendered: BTreeMap<String, String> = answer["files"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| !k.ends_with("NOTES.txt"))
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
            .collect();
        let (hooks, manifests) = sort_manifests(&rendered).unwrap();
        let ours = template_text(
            &hooks,
            &manifests,
            &TemplateOutput {
                no_hooks: true,
                ..Default::default()
            },
        );
        let want = format!("{}\n", answer["manifest"].as_str().unwrap().trim());
        assert_eq!(ours, want, "chart {name}");
        compared += 1;
    }
    assert_eq!(compared, corpus().len());
}
