#!/usr/bin/env python3
"""`helm template` through Helm v4's own SDK (PyPI helm-python-sdk), for benchmarks:
prints what `helm template NAME CHART -n NS [-f FILE]` prints (manifest, then hooks).

Usage: helm-template.py NAME CHART [-n NS] [-f FILE]

Hooks are assembled from the SDK's per-file render with Helm's separator and
annotation rule; the manifest is Helm's own. One fresh process per call, as
the benchmark compares fresh processes.
"""
import argparse
import re
import sys

# Helm's install order of kinds (pkg/release/v1/util/kind_sorter.go); hooks are sorted by it.
INSTALL_ORDER = """PriorityClass Namespace NetworkPolicy ResourceQuota LimitRange PodSecurityPolicy
PodDisruptionBudget ServiceAccount Secret SecretList ConfigMap StorageClass PersistentVolume
PersistentVolumeClaim CustomResourceDefinition ClusterRole ClusterRoleList ClusterRoleBinding
ClusterRoleBindingList Role RoleList RoleBinding RoleBindingList Service DaemonSet Pod
ReplicationController ReplicaSet Deployment HorizontalPodAutoscaler StatefulSet Job CronJob
IngressClass Ingress APIService MutatingWebhookConfiguration ValidatingWebhookConfiguration""".split()


def kind_key(doc):
    m = re.search(r"^kind:\s*(\S+)", doc, re.M)
    kind = m.group(1) if m else ""
    return (0, INSTALL_ORDER.index(kind), "") if kind in INSTALL_ORDER else (1, 0, kind)

import helm_python as helm


def merge_maps(base, layer):
    """Helm's loader.MergeMaps: maps merge deeply, anything else replaces."""
    out = dict(base)
    for k, v in layer.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge_maps(out[k], v)
        else:
            out[k] = v
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("name")
    p.add_argument("chart")
    p.add_argument("-n", "--namespace", default="default")
    p.add_argument("-f", "--values", action="append", default=[])
    a = p.parse_args()
    values = {}
    for f in a.values:
        values = merge_maps(values, helm.values_from_yaml(open(f).read()))
    with helm.Chart.load(a.chart) as chart:
        config = helm.Config(namespace=a.namespace)
        rel = config.install(chart, a.name, values or None, namespace=a.namespace, dry_run="client")
        files = chart.render(values or None, name=a.name, namespace=a.namespace)
    out = rel.get("manifest", "").strip() + "\n"
    sep = re.compile(r"(?:^|\s*\n)---\s*")
    hooks = []
    for path in sorted(files):
        if path.endswith("NOTES.txt") or path.rsplit("/", 1)[-1].startswith("_"):
            continue
        for doc in sep.split(files[path].lstrip()):
            if doc.strip() and re.search(r"^\s+['\"]?helm\.sh/hook['\"]?:", doc, re.M):
                hooks.append((path, doc.lstrip()))
    hooks.sort(key=lambda h: kind_key(h[1]))  # stable, as Helm's sort.SliceStable
    for path, doc in hooks:
        out += f"---\n# Source: {path}\n{doc}\n"
    sys.stdout.write(out)


if __name__ == "__main__":
    main()
