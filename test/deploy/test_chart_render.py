#!/usr/bin/env python3
"""Renders the Helm chart for real and validates every object against the
Kubernetes schemas, and every embedded collector config with `otlpd validate`.

helm and kubeconform are built from the Go module proxy by build_tools.sh
(cached); the schemas are Kubernetes' own, generated from its OpenAPI
(strict: unknown fields fail). Checked:
- `helm lint`, and `helm template` in every mode (daemonset, deployment,
  sidecar), with presets.kubernetesAttributes on and off: the checks of
  test_manifests.py's render_helm (probes, security, resources, RBAC, the
  rendered config validated by otlpd), then kubeconform -strict over every
  rendered object against Kubernetes v1.29 and v1.37;
- the plain manifests in deploy/kubernetes/ through kubeconform the same way.
Without Go it reports SKIPPED (exit 77), never passed.

usage: test_chart_render.py --otlpd PATH --repo ROOT
"""

import argparse
import glob
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_manifests as tm  # noqa: E402  (exits 77 itself without PyYAML)

yaml = tm.yaml


def tools(repo):
    r = subprocess.run(["bash", os.path.join(repo, "test/deploy/build_tools.sh")], capture_output=True, text=True)
    if r.returncode == 77:
        print("SKIPPED: " + r.stderr.strip())
        sys.exit(77)
    if r.returncode != 0:
        # The module proxy or PyPI unreachable: skipped (77), as the Go differential tests do; never passed.
        print("SKIPPED: building helm / kubeconform or fetching the schemas failed:\n" + r.stderr[-3000:])
        sys.exit(77)
    out = dict(line.split("=", 1) for line in r.stdout.splitlines() if "=" in line)
    return out["helm"], out["kubeconform"], out["schemas"], out["schema_versions"].split()


def kubeconform(c, binary, schemas, versions, what, text):
    docs = [d for d in yaml.safe_load_all(text) if d]
    for v in versions:
        location = os.path.join(schemas, f"{v}-local-strict", "{{ .ResourceKind }}{{ .KindSuffix }}.json")
        r = subprocess.run([binary, "-strict", "-summary", "-schema-location", location, "-"], input=text,
                           capture_output=True, text=True)
        c.check(f"kubeconform -strict (Kubernetes {v}): {what}: {len(docs)} objects valid",
                r.returncode == 0 and f"Valid: {len(docs)}" in r.stdout, r.stdout[-3000:] + r.stderr[-1000:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--otlpd", required=True)
    ap.add_argument("--repo", required=True)
    a = ap.parse_args()
    helm, kc, schemas, versions = tools(a.repo)
    c = tm.Checker(os.path.abspath(a.otlpd), os.path.abspath(a.repo))
    chart = os.path.join(c.repo, "deploy/helm/otlpd")
    values = yaml.safe_load(open(os.path.join(chart, "values.yaml")))
    tm.render_helm(c, chart, values, helm)
    if not tm.RENDERED:
        c.check("helm rendered something", False)
    for case, text in sorted(tm.RENDERED.items()):
        kubeconform(c, kc, schemas, versions, f"helm template {case}", text)
    # The preset off: no RBAC, no token, no k8sattributes.
    r = subprocess.run([helm, "template", "rel", chart, "--namespace", "obs",
                        "--set", "presets.kubernetesAttributes.enabled=false"], capture_output=True, text=True)
    if c.check("helm template presets.kubernetesAttributes.enabled=false", r.returncode == 0, r.stderr):
        docs = [d for d in yaml.safe_load_all(r.stdout) if d]
        c.check("preset off: no ClusterRole", not any(d["kind"] == "ClusterRole" for d in docs))
        cfg = [yaml.safe_load(d["data"]["config.yaml"]) for d in docs if d["kind"] == "ConfigMap"][0]
        c.check("preset off: no k8sattributes in the config", "k8sattributes" not in cfg.get("processors", {}))
        ds = [d for d in docs if d["kind"] == "DaemonSet"][0]
        c.check("preset off: no service account token mounted",
                tm.pod_spec(ds).get("automountServiceAccountToken") is False)
        kubeconform(c, kc, schemas, versions, "helm template preset off", r.stdout)
    # A profiles pipeline in daemonset mode (chart_e2e_values.yaml's, which
    # test_chart_e2e runs as a Deployment): the preset leaves it out, since
    # otlpd's k8sattributes takes no profiles, and puts itself in the others.
    r = subprocess.run([helm, "template", "rel", chart, "--namespace", "obs",
                        "-f", os.path.join(chart, "values-internal-telemetry-via-otlp.yaml"),
                        "-f", os.path.join(c.repo, "test/deploy/chart_e2e_values.yaml"),
                        "--set", "mode=daemonset"], capture_output=True, text=True)
    if c.check("helm template with a profiles pipeline in daemonset mode", r.returncode == 0, r.stderr):
        docs = [d for d in yaml.safe_load_all(r.stdout) if d]
        cfg = [yaml.safe_load(d["data"]["config.yaml"]) for d in docs if d["kind"] == "ConfigMap"][0]
        pipelines = cfg["service"]["pipelines"]
        c.check("preset: no k8sattributes in the profiles pipeline",
                "k8sattributes" not in pipelines["profiles"]["processors"])
        c.check("preset: k8sattributes in the traces pipeline", "k8sattributes" in pipelines["traces"]["processors"])
    for path in sorted(glob.glob(os.path.join(c.repo, "deploy/kubernetes/*.yaml"))):
        kubeconform(c, kc, schemas, versions, os.path.relpath(path, c.repo), open(path).read())
    print(f"{c.passed} passed, {c.failed} failed, {c.skipped} skipped")
    sys.exit(1 if c.failed or c.skipped else 0)


if __name__ == "__main__":
    main()
