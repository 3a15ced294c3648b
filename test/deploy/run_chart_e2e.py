#!/usr/bin/env python3
"""Issue 17's chart run end to end: the Helm chart rendered by a real helm
with values-internal-telemetry-via-otlp.yaml (the chart's
internalTelemetryViaOTLP) and chart_e2e_values.yaml (a profiles pipeline to a
gateway), and the collector it renders run for real by test_chart_e2e (a
Catch2 binary, test/e2e/chart_e2e_test.cpp): profiles sent over gRPC and
otlpd's own metrics must reach a second otlpd.

From the render this takes the ConfigMap's config.yaml and the Deployment
container's args and env. Kubernetes-only values get stand-ins: the
downward-API env (fieldRef) as test_manifests.py fakes it, and the listen
addresses (0.0.0.0 on fixed ports, right in a pod) become 127.0.0.1 port 0,
read back from the log, so parallel tests never collide; nothing else in the
config is changed. helm is built by build_tools.sh (cached);
without Go this exits 77 (skipped), never 0.

usage: run_chart_e2e.py --otlpd PATH --test-binary PATH --repo ROOT --work-dir DIR
"""
import argparse
import copy
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_manifests as tm  # noqa: E402  (exits 77 itself without PyYAML)
from test_chart_render import tools  # noqa: E402

yaml = tm.yaml
LOOPBACK_ANY_PORT = "127.0.0.1:0"


def fail(msg):
    print("FAILED: " + msg)
    sys.exit(1)


def local_listeners(cfg):
    """The config with every listen address on 127.0.0.1 port 0."""
    out = copy.deepcopy(cfg)
    protocols = out["receivers"]["otlp"]["protocols"]
    for name in ("grpc", "http"):
        protocols[name]["endpoint"] = LOOPBACK_ANY_PORT
    out["extensions"]["health_check"]["endpoint"] = LOOPBACK_ANY_PORT
    for reader in out["service"]["telemetry"]["metrics"]["readers"]:
        prometheus = reader.get("pull", {}).get("exporter", {}).get("prometheus")
        if prometheus is not None:
            prometheus["host"], prometheus["port"] = "127.0.0.1", 0
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--otlpd", required=True)
    ap.add_argument("--test-binary", required=True)
    ap.add_argument("--repo", required=True)
    ap.add_argument("--work-dir", required=True)
    a = ap.parse_args()
    helm = tools(a.repo)[0]
    chart = os.path.join(a.repo, "deploy/helm/otlpd")
    r = subprocess.run([helm, "template", "rel", chart, "--namespace", "obs",
                        "-f", os.path.join(chart, "values-internal-telemetry-via-otlp.yaml"),
                        "-f", os.path.join(a.repo, "test/deploy/chart_e2e_values.yaml")],
                       capture_output=True, text=True)
    if r.returncode != 0:
        fail("helm template: " + r.stderr[-3000:])
    docs = [d for d in yaml.safe_load_all(r.stdout) if d]
    configmaps = [d for d in docs if d["kind"] == "ConfigMap"]
    deployments = [d for d in docs if d["kind"] == "Deployment"]
    if len(configmaps) != 1 or len(deployments) != 1:
        fail(f"expected one ConfigMap and one Deployment, got {[d['kind'] for d in docs]}")
    cfg = yaml.safe_load(configmaps[0]["data"]["config.yaml"])
    container = tm.pod_spec(deployments[0])["containers"][0]

    # What the test is about must be in the render, or it would pass on less.
    readers = cfg["service"]["telemetry"]["metrics"]["readers"]
    if not any("otlp" in rd.get("periodic", {}).get("exporter", {}) for rd in readers):
        fail("the rendered config has no periodic reader with an otlp exporter")
    if "profiles" not in cfg["service"]["pipelines"]:
        fail("the rendered config has no profiles pipeline")
    if "--feature-gates=service.profilesSupport" not in container["args"]:
        fail("the container is not started with --feature-gates=service.profilesSupport")

    local = local_listeners(cfg)
    os.makedirs(a.work_dir, exist_ok=True)
    run_dir = tempfile.mkdtemp(prefix="chart_e2e_", dir=a.work_dir)
    config_path = os.path.join(run_dir, "config.yaml")
    with open(config_path, "w") as f:
        yaml.safe_dump(local, f, sort_keys=False)
    mount = container["volumeMounts"][0]["mountPath"]
    args = [config_path if arg == os.path.join(mount, "config.yaml") else arg for arg in container["args"]]
    if config_path not in args:
        fail(f"the container args {container['args']} do not name the mounted config")
    with open(os.path.join(run_dir, "args"), "w") as f:
        f.write("\n".join([os.path.abspath(a.otlpd)] + args) + "\n")

    # The container's env as the kubelet would set it, loopback for the pod IP.
    fields = dict(tm.FAKE_FIELD_VALUES, **{"status.podIP": "127.0.0.1", "status.hostIP": "127.0.0.1"})
    env = dict(os.environ, OTLPD_CHART_E2E_DIR=run_dir)
    for e in container.get("env", []):
        if "value" in e:
            env[e["name"]] = e["value"]
        else:
            env[e["name"]] = fields[e["valueFrom"]["fieldRef"]["fieldPath"]]
    print(f"rendered config (listen addresses on {LOOPBACK_ANY_PORT}): {config_path}; args: {args}")
    rc = subprocess.run([a.test_binary], env=env).returncode
    if rc == 0:
        shutil.rmtree(run_dir, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
