"""Helm v4's own engine as a JSON-lines oracle for berth's differential tests.

One request per line on stdin, one answer per line on stdout:
  {"op": "render", "chart": DIR, "values": {...}|null, "name", "namespace",
   "revision", "is_install", "is_upgrade"}         -> {"files": {path: text}}
  {"op": "template", "chart": DIR, "values": ..., "name", "namespace",
   "is_upgrade"}                                    -> {"manifest", "notes", "files"}
  {"op": "strvals", "kind": "set|string|json|literal|file", "expr": STR}
                                                    -> {"value": {...}}
  {"op": "values_from_yaml", "yaml": STR}           -> {"value": {...}}
  {"op": "merge_values", "chart": DIR, "values": {...}} -> {"value": {...}}
  {"op": "version"}                                 -> {"value": "v4.x.y"}
Any Helm error answers {"error": MESSAGE}. The process never exits on a bad request.
"""
import json
import sys

import helm_python as helm

PARSERS = {
    "set": helm.parse_set_string,
    "string": helm.parse_set_string_values,
    "json": helm.parse_set_json,
    "literal": helm.parse_set_literal,
    "file": helm.parse_set_file,
}


def render_opts(req):
    return {k: req[k] for k in ("name", "namespace", "revision", "is_install", "is_upgrade") if k in req}


def answer(req):
    op = req["op"]
    if op == "version":
        return {"value": helm.helm_sdk_version()}
    if op == "strvals":
        return {"value": PARSERS[req["kind"]](req["expr"])}
    if op == "values_from_yaml":
        return {"value": helm.values_from_yaml(req["yaml"])}
    if op == "merge_values":
        with helm.Chart.load(req["chart"]) as chart:
            return {"value": chart.merge_values(req.get("values"))}
    if op == "render":
        with helm.Chart.load(req["chart"]) as chart:
            return {"files": chart.render(req.get("values"), **render_opts(req))}
    if op == "template":
        # Helm's ProcessDependencies changes the loaded chart (aliases
        # renamed, import-values rewritten): one load per call, as one
        # `helm template` process loads the chart once.
        with helm.Chart.load(req["chart"]) as chart:
            files = chart.render(req.get("values"), **render_opts(req))
        with helm.Chart.load(req["chart"]) as chart:
            config = helm.Config(namespace=req.get("namespace", "default"))
            release = config.install(
                chart, req.get("name", "release-name"), req.get("values"),
                namespace=req.get("namespace", "default"), dry_run="client",
            )
            return {"manifest": release.get("manifest", ""), "notes": release.get("notes", ""), "files": files}
    return {"error": f"unknown op {op!r}"}


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            out = answer(json.loads(line))
        except helm.HelmError as err:
            out = {"error": str(err)}
        except Exception as err:  # a bug in a request must not end the oracle
            out = {"error": f"oracle: {type(err).__name__}: {err}"}
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
