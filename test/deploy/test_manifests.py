#!/usr/bin/env python3
"""Checks every Kubernetes manifest and the Helm chart under deploy/, and runs
`otlpd validate` on every collector config embedded in them.

What this covers and what it does not:
- deploy/kubernetes/*.yaml: parsed as multi-document YAML; the DaemonSet and
  the sidecar Deployment are checked field by field (downward-API env, ports,
  probes on health_check, resources, securityContext, grace period against
  --shutdown-timeout, the ConfigMap they mount); every config in a ConfigMap
  is validated by otlpd with the env the pod would give it, and every
  ${env:VAR} in it must be set by that pod.
- deploy/helm/otlpd: Chart.yaml, values.yaml and values.schema.json are
  parsed; the collector config in values.yaml is validated by otlpd; every
  .Values.x.y path the templates use must exist in values.yaml. The templates
  are rendered only when a `helm` binary is on PATH (Debian 12 has none);
  otherwise that part is reported as skipped, not passed.
- Nothing here talks to a cluster: API-server validation, admission and
  scheduling are not tested.

usage: test_manifests.py --otlpd PATH --repo ROOT
Exit 0 when everything passed, 1 on a failure, 77 when PyYAML is missing.
"""

import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

try:
    import yaml
except ImportError:
    print("SKIPPED: PyYAML is not installed (Debian: python3-yaml; deploy/install-deps.sh installs it)")
    sys.exit(77)

# What the kubelet's downward API would put in the env, for `otlpd validate`.
FAKE_FIELD_VALUES = {
    "spec.nodeName": "node-1",
    "metadata.name": "otlpd-abcde",
    "metadata.namespace": "observability",
    "status.podIP": "10.244.1.7",
    "status.hostIP": "10.0.0.11",
}
# ${env:VAR} and ${VAR} without a default: the pod must set VAR.
ENV_REF = re.compile(r"\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)\}")


class Checker:
    def __init__(self, otlpd, repo):
        self.otlpd = otlpd
        self.repo = repo
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.tmp = tempfile.mkdtemp(prefix="otlpd-deploy-test-")

    def check(self, what, ok, detail=""):
        if ok:
            self.passed += 1
            print(f"ok: {what}")
        else:
            self.failed += 1
            print(f"FAIL: {what}" + (f"\n      {detail}" if detail else ""))
        return ok

    def skip(self, what):
        self.skipped += 1
        print(f"SKIPPED: {what}")

    def validate(self, what, texts, env):
        """Runs otlpd validate with each text as one --config, in order."""
        args = [self.otlpd, "validate"]
        # Files named after what they hold, so an error's location says which config it is.
        label = re.sub(r"[^A-Za-z0-9._-]+", "_", what)[:80]
        for i, text in enumerate(texts):
            path = os.path.join(self.tmp, f"{self.passed + self.failed}-{label}-{i}.yaml")
            with open(path, "w") as f:
                f.write(text)
            args += ["--config", path]
        full_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        full_env.update(env)
        r = subprocess.run(args, capture_output=True, text=True, env=full_env, timeout=60)
        return self.check(f"otlpd validate: {what}", r.returncode == 0, (r.stderr + r.stdout).strip())


def load_docs(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def pod_spec(workload):
    return workload["spec"]["template"]["spec"]


def all_containers(spec):
    return list(spec.get("initContainers", [])) + list(spec.get("containers", []))


def container_env(container):
    """The env a container would see: downward-API fields faked, values as given."""
    env = {}
    for e in container.get("env", []):
        if "value" in e:
            # Kubernetes expands $(VAR) from earlier entries.
            env[e["name"]] = re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", lambda m: env.get(m.group(1), ""), e["value"])
        elif "fieldRef" in e.get("valueFrom", {}):
            env[e["name"]] = FAKE_FIELD_VALUES.get(e["valueFrom"]["fieldRef"]["fieldPath"], "x")
    return env


def env_source(container, name):
    for e in container.get("env", []):
        if e["name"] == name:
            return e
    return None


def go_duration_seconds(text):
    total = 0.0
    units = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}
    for num, unit in re.findall(r"([0-9.]+)(ms|h|m|s)", text):
        total += float(num) * units[unit]
    return total


def config_args(container):
    """The --config paths and the --shutdown-timeout in a container's args."""
    args = container.get("args", [])
    configs, timeout = [], None
    for i, a in enumerate(args):
        if a == "--config" and i + 1 < len(args):
            configs.append(args[i + 1])
        elif a.startswith("--config="):
            configs.append(a.split("=", 1)[1])
        elif a == "--shutdown-timeout" and i + 1 < len(args):
            timeout = args[i + 1]
    return configs, timeout


def mounted_configmap(spec, container, path):
    """(ConfigMap name, key) that a container sees at `path`, or None."""
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    for m in container.get("volumeMounts", []):
        mount = m["mountPath"].rstrip("/")
        if path.startswith(mount + "/") and "configMap" in volumes.get(m["name"], {}):
            return volumes[m["name"]]["configMap"]["name"], path[len(mount) + 1:]
    return None


def check_security(c, where, spec, container):
    pod_sc = spec.get("securityContext", {})
    sc = container.get("securityContext", {})
    c.check(f"{where}: readOnlyRootFilesystem", sc.get("readOnlyRootFilesystem") is True)
    c.check(f"{where}: allowPrivilegeEscalation false", sc.get("allowPrivilegeEscalation") is False)
    c.check(f"{where}: runAsNonRoot", sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")) is True)
    c.check(f"{where}: runAsUser 10001", sc.get("runAsUser", pod_sc.get("runAsUser")) == 10001)
    c.check(f"{where}: capabilities drop ALL", "ALL" in sc.get("capabilities", {}).get("drop", []))


def check_probes(c, where, container):
    for probe in ("livenessProbe", "readinessProbe"):
        get = container.get(probe, {}).get("httpGet", {})
        c.check(f"{where}: {probe} on health_check :13133", get.get("port") == 13133, str(container.get(probe)))


def check_resources(c, where, container):
    res = container.get("resources", {})
    for kind in ("requests", "limits"):
        c.check(f"{where}: resources.{kind} cpu and memory",
                "memory" in res.get(kind, {}) and ("cpu" in res.get(kind, {}) or kind == "limits"), str(res))


def check_pipelines(c, where, text):
    """memory_limiter first in every pipeline, as otelcol recommends (E of otel-compat)."""
    cfg = yaml.safe_load(text) or {}
    pipelines = cfg.get("service", {}).get("pipelines", {})
    for name, p in pipelines.items():
        procs = p.get("processors", [])
        c.check(f"{where}: pipeline {name} starts with memory_limiter ({procs})", procs[:1] == ["memory_limiter"])


def check_collector_configs(c, where, spec, container, configmaps):
    """Validates the configs a container's --config args point at, with its env."""
    paths, _ = config_args(container)
    c.check(f"{where}: has --config", bool(paths))
    env = container_env(container)
    texts = []
    for p in paths:
        ref = mounted_configmap(spec, container, p)
        if not c.check(f"{where}: {p} comes from a mounted ConfigMap", ref is not None):
            return
        name, key = ref
        data = configmaps.get(name, {})
        if not c.check(f"{where}: ConfigMap {name} has key {key}", key in data):
            return
        texts.append(data[key])
    c.validate(f"{where} ({' + '.join(paths)})", texts, env)
    check_pipelines(c, where, texts[0])
    # Every other config in those ConfigMaps (overlays) must validate over the first.
    used = {mounted_configmap(spec, container, p) for p in paths}
    for name in {u[0] for u in used}:
        for key, text in configmaps.get(name, {}).items():
            if (name, key) in used:
                continue
            c.validate(f"{where}: {paths[0]} + overlay {name}/{key}", texts[:1] + [text], env)
            used.add((name, key))
    for name, key in used:
        for var in sorted(set(ENV_REF.findall(configmaps[name][key]))):
            c.check(f"{where}: ${{env:{var}}} in {name}/{key} is set by the pod", var in env)


def check_daemonset(c, docs, configmaps):
    ds = [d for d in docs if d["kind"] == "DaemonSet"]
    if not c.check("daemonset.yaml: has a DaemonSet", len(ds) == 1):
        return
    ds = ds[0]
    spec = pod_spec(ds)
    containers = [x for x in spec["containers"] if x["name"] == "otlpd"]
    if not c.check("DaemonSet: has an otlpd container", len(containers) == 1):
        return
    o = containers[0]
    where = "DaemonSet/otlpd"
    for name, field in (("K8S_NODE_NAME", "spec.nodeName"), ("MY_POD_IP", "status.podIP"), ("HOST_IP", "status.hostIP")):
        e = env_source(o, name) or {}
        c.check(f"{where}: env {name} from {field}",
                e.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") == field)
    ports = {p["containerPort"]: p for p in o.get("ports", [])}
    services = [d for d in docs if d["kind"] == "Service"]
    labels = ds["spec"]["template"]["metadata"]["labels"]
    local_services = [s for s in services if s["spec"].get("internalTrafficPolicy") == "Local"
                      and all(labels.get(k) == v for k, v in s["spec"]["selector"].items())]
    for port in (4317, 4318):
        c.check(f"{where}: OTLP port {port} reachable per node (hostPort or a Local Service)",
                ports.get(port, {}).get("hostPort") == port
                or any(any(p["port"] == port for p in s["spec"]["ports"]) for s in local_services))
    c.check(f"{where}: the Service selects the DaemonSet's pods", bool(local_services))
    c.check("DaemonSet: selector matches the pod labels",
            all(labels.get(k) == v for k, v in ds["spec"]["selector"]["matchLabels"].items()))
    check_probes(c, where, o)
    check_resources(c, where, o)
    check_security(c, where, spec, o)
    grace = spec.get("terminationGracePeriodSeconds")
    _, timeout = config_args(o)
    c.check("DaemonSet: terminationGracePeriodSeconds 30", grace == 30)
    c.check(f"{where}: --shutdown-timeout ({timeout}) below the grace period",
            timeout is not None and go_duration_seconds(timeout) < (grace or 0))
    sa = spec.get("serviceAccountName")
    c.check(f"DaemonSet: ServiceAccount {sa} is defined",
            any(d["kind"] == "ServiceAccount" and d["metadata"]["name"] == sa for d in docs))
    # The node name stamping the issue asks for.
    paths, _ = config_args(o)
    ref = mounted_configmap(spec, o, paths[0]) if paths else None
    if ref and ref[1] in configmaps.get(ref[0], {}):
        cfg = yaml.safe_load(configmaps[ref[0]][ref[1]])
        attrs = cfg.get("processors", {}).get("resource", {}).get("attributes", [])
        c.check("DaemonSet config: resource processor sets k8s.node.name from ${env:K8S_NODE_NAME}",
                any(a.get("key") == "k8s.node.name" and a.get("value") == "${env:K8S_NODE_NAME}" for a in attrs))
        pipelines = cfg.get("service", {}).get("pipelines", {})
        c.check("DaemonSet config: every pipeline runs memory_limiter, k8sattributes, resource, batch",
                all(p.get("processors", []) == ["memory_limiter", "k8sattributes", "resource", "batch"]
                    for p in pipelines.values()) and
                set(pipelines) == {"traces", "metrics", "logs"})
        k8s = cfg.get("processors", {}).get("k8sattributes", {})
        c.check("DaemonSet config: k8sattributes watches only this node's pods (node_from_env_var K8S_NODE_NAME)",
                k8s.get("filter", {}).get("node_from_env_var") == "K8S_NODE_NAME" and
                (env_source(o, "K8S_NODE_NAME") or {}).get("valueFrom") == {"fieldRef": {"fieldPath": "spec.nodeName"}})
        check_k8s_rbac(c, "DaemonSet", docs, spec)
        c.check("DaemonSet config: health_check enabled", "health_check" in cfg.get("service", {}).get("extensions", []))
    check_collector_configs(c, where, spec, o, configmaps)


def check_k8s_rbac(c, where, docs, spec, default_namespace=None):
    """k8sattributes needs get/list/watch on pods, namespaces, nodes and apps/replicasets, bound to the pod's
    ServiceAccount, and the account's token mounted. Objects without a namespace (helm template) are in
    `default_namespace`."""
    sa = spec.get("serviceAccountName")
    ns = [d["metadata"].get("namespace", default_namespace) for d in docs
          if d["kind"] == "ServiceAccount" and d["metadata"]["name"] == sa]
    roles = {d["metadata"]["name"]: d for d in docs if d["kind"] == "ClusterRole"}
    bound = set()
    for b in (d for d in docs if d["kind"] == "ClusterRoleBinding"):
        if any(s.get("kind") == "ServiceAccount" and s.get("name") == sa and s.get("namespace") in ns
               for s in b.get("subjects", [])):
            bound.add(b["roleRef"]["name"])
    granted = set()
    for name in bound:
        for rule in roles.get(name, {}).get("rules", []):
            for g in rule.get("apiGroups", []):
                for r in rule.get("resources", []):
                    if {"get", "list", "watch"} <= set(rule.get("verbs", [])):
                        granted.add((g, r))
    need = {("", "pods"), ("", "namespaces"), ("", "nodes"), ("apps", "replicasets")}
    c.check(f"{where}: its ServiceAccount may get/list/watch pods, namespaces, nodes, apps/replicasets",
            need <= granted, f"granted: {sorted(granted)}")
    c.check(f"{where}: the ServiceAccount token is mounted (k8sattributes reads the API with it)",
            spec.get("automountServiceAccountToken", True) is not False)


def check_sidecar(c, docs, configmaps):
    deps = [d for d in docs if d["kind"] == "Deployment"]
    if not c.check("sidecar.yaml: has a Deployment", len(deps) == 1):
        return
    spec = pod_spec(deps[0])
    containers = all_containers(spec)
    otlpd = [x for x in containers if x["name"] == "otlpd"]
    apps = [x for x in spec["containers"] if x["name"] != "otlpd"]
    if not c.check("sidecar: one otlpd container and an app container in the pod", len(otlpd) == 1 and apps):
        return
    o = otlpd[0]
    where = "sidecar/otlpd"
    if o in spec.get("initContainers", []):
        c.check(f"{where}: a native sidecar (init container with restartPolicy Always)", o.get("restartPolicy") == "Always")
    for app in apps:
        e = env_source(app, "OTEL_EXPORTER_OTLP_ENDPOINT") or {}
        c.check(f"sidecar/{app['name']}: OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4317",
                e.get("value") == "http://localhost:4317")
    check_probes(c, where, o)
    check_resources(c, where, o)
    check_security(c, where, spec, o)
    _, timeout = config_args(o)
    grace = spec.get("terminationGracePeriodSeconds", 30)
    c.check(f"{where}: --shutdown-timeout ({timeout}) below the grace period",
            timeout is not None and go_duration_seconds(timeout) < grace)
    paths, _ = config_args(o)
    ref = mounted_configmap(spec, o, paths[0]) if paths else None
    if ref and ref[1] in configmaps.get(ref[0], {}):
        cfg = yaml.safe_load(configmaps[ref[0]][ref[1]])
        grpc = cfg["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"]
        c.check(f"{where}: OTLP gRPC receiver reachable at localhost:4317 ({grpc})",
                grpc in ("localhost:4317", "127.0.0.1:4317", "0.0.0.0:4317"))
    check_collector_configs(c, where, spec, o, configmaps)


def check_tail_sampling(c, docs, configmaps):
    """The agent -> gateway topology: a DaemonSet whose loadbalancing exporter
    resolves a headless Service selecting a gateway Deployment that runs
    tail_sampling; both configs validated by otlpd."""
    ds = [d for d in docs if d["kind"] == "DaemonSet"]
    deps = [d for d in docs if d["kind"] == "Deployment"]
    if not c.check("tail-sampling.yaml: one DaemonSet (agents) and one Deployment (gateways)",
                   len(ds) == 1 and len(deps) == 1):
        return
    headless = [s for s in docs if s["kind"] == "Service" and s["spec"].get("clusterIP") == "None"]
    if not c.check("tail-sampling.yaml: a headless Service", len(headless) == 1):
        return
    svc = headless[0]
    gw_labels = deps[0]["spec"]["template"]["metadata"]["labels"]
    c.check("headless Service selects the gateway pods",
            all(gw_labels.get(k) == v for k, v in svc["spec"]["selector"].items()))
    c.check("headless Service exposes 4317", any(p["port"] == 4317 for p in svc["spec"]["ports"]))
    fqdn = f"{svc['metadata']['name']}.{svc['metadata']['namespace']}.svc.cluster.local"
    for workload, role in ((ds[0], "agent"), (deps[0], "gateway")):
        spec = pod_spec(workload)
        o = [x for x in spec["containers"] if x["name"] == "otlpd"]
        if not c.check(f"tail-sampling {role}: an otlpd container", len(o) == 1):
            continue
        o = o[0]
        where = f"tail-sampling {role}"
        check_probes(c, where, o)
        check_resources(c, where, o)
        check_security(c, where, spec, o)
        paths, _ = config_args(o)
        ref = mounted_configmap(spec, o, paths[0]) if paths else None
        if ref and ref[1] in configmaps.get(ref[0], {}):
            cfg = yaml.safe_load(configmaps[ref[0]][ref[1]])
            pipelines = cfg.get("service", {}).get("pipelines", {})
            if role == "agent":
                exporters = pipelines.get("traces", {}).get("exporters", [])
                lb = cfg.get("exporters", {}).get(exporters[0] if exporters else "", {}) or {}
                c.check("agent traces go to a loadbalancing exporter by trace ID",
                        len(exporters) == 1 and exporters[0].split("/")[0] == "loadbalancing"
                        and lb.get("routing_key", "traceID") == "traceID")
                c.check(f"agent resolves the headless Service ({fqdn}) by DNS",
                        lb.get("resolver", {}).get("dns", {}).get("hostname") == fqdn)
            else:
                c.check("gateway traces run tail_sampling",
                        "tail_sampling" in pipelines.get("traces", {}).get("processors", []))
        check_collector_configs(c, where, spec, o, configmaps)


def check_kubernetes(c):
    files = sorted(glob.glob(os.path.join(c.repo, "deploy/kubernetes/*.yaml")))
    c.check("deploy/kubernetes has manifests",
            {"daemonset.yaml", "sidecar.yaml", "tail-sampling.yaml"} <= {os.path.basename(f) for f in files})
    for f in files:
        name = os.path.basename(f)
        try:
            docs = load_docs(f)
        except yaml.YAMLError as e:
            c.check(f"{name}: parses", False, str(e))
            continue
        c.check(f"{name}: parses ({len(docs)} documents)", True)
        for d in docs:
            c.check(f"{name}: {d.get('kind')} {d.get('metadata', {}).get('name')} has apiVersion, kind, metadata.name",
                    bool(d.get("apiVersion")) and bool(d.get("kind")) and bool(d.get("metadata", {}).get("name")))
        configmaps = {d["metadata"]["name"]: d.get("data", {}) for d in docs if d["kind"] == "ConfigMap"}
        if name == "daemonset.yaml":
            check_daemonset(c, docs, configmaps)
        elif name == "sidecar.yaml":
            check_sidecar(c, docs, configmaps)
        elif name == "tail-sampling.yaml":
            check_tail_sampling(c, docs, configmaps)
        # Every config in every ConfigMap parses as YAML.
        for cm, data in configmaps.items():
            for key, text in data.items():
                try:
                    yaml.safe_load(text)
                    c.check(f"{name}: ConfigMap {cm}/{key} parses", True)
                except yaml.YAMLError as e:
                    c.check(f"{name}: ConfigMap {cm}/{key} parses", False, str(e))


def values_paths(node, prefix=""):
    out = set()
    if isinstance(node, dict):
        for k, v in node.items():
            p = f"{prefix}.{k}"
            out.add(p)
            out |= values_paths(v, p)
    return out


def check_helm(c):
    chart = os.path.join(c.repo, "deploy/helm/otlpd")
    meta = yaml.safe_load(open(os.path.join(chart, "Chart.yaml")))
    c.check("Chart.yaml: apiVersion v2, name otlpd, version and appVersion",
            meta.get("apiVersion") == "v2" and meta.get("name") == "otlpd" and meta.get("version") and meta.get("appVersion"))
    values = yaml.safe_load(open(os.path.join(chart, "values.yaml")))
    schema = json.load(open(os.path.join(chart, "values.schema.json")))
    modes = set(schema["properties"]["mode"]["enum"])
    c.check("values.schema.json: mode is daemonset | deployment | sidecar", modes == {"daemonset", "deployment", "sidecar"})
    c.check(f"values.yaml: mode ({values.get('mode')}) is one of them", values.get("mode") in modes)
    templates = {os.path.basename(p): open(p).read() for p in glob.glob(os.path.join(chart, "templates/*"))}
    for t in ("_helpers.tpl", "configmap.yaml", "daemonset.yaml", "deployment.yaml", "service.yaml", "serviceaccount.yaml"):
        c.check(f"templates/{t} exists", t in templates)
    # Every .Values path a template reads is defined (a typo renders as nothing).
    defined = values_paths(values)
    for t, text in sorted(templates.items()):
        c.check(f"templates/{t}: {{{{ and }}}} balance", text.count("{{") == text.count("}}"))
        for path in sorted(set(re.findall(r"\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)", text))):
            c.check(f"templates/{t}: .Values{path} is in values.yaml", path in defined)
    # The config in values.yaml is the one every mode runs.
    helpers = templates.get("_helpers.tpl", "")
    env = {}
    for name, field in re.findall(r"- name: ([A-Z0-9_]+)\s+valueFrom:\s+fieldRef:\s+fieldPath: ([a-zA-Z.]+)", helpers):
        env[name] = FAKE_FIELD_VALUES.get(field, "x")
    config_text = yaml.safe_dump(values["config"], sort_keys=False)
    c.validate("helm values.yaml config", [config_text], env)
    check_pipelines(c, "helm values.yaml config", config_text)
    # daemonset mode with presets.kubernetesAttributes: the config the template renders.
    ds = daemonset_config(chart, values)
    if c.check("helm daemonset config: presets.kubernetesAttributes adds k8sattributes after memory_limiter",
               ds is not None and all(p["processors"][:2] == ["memory_limiter", "k8sattributes"]
                                      for p in ds["service"]["pipelines"].values())):
        ds_text = yaml.safe_dump(ds, sort_keys=False)
        c.validate("helm daemonset config with presets", [ds_text], env)
        check_pipelines(c, "helm daemonset config with presets", ds_text)
    for var in sorted(set(ENV_REF.findall(config_text))):
        c.check(f"helm config: ${{env:{var}}} is set by the container template", var in env)
    hc = values["config"].get("extensions", {}).get("health_check", {}).get("endpoint", "")
    c.check(f"helm config: health_check endpoint ({hc}) matches healthCheck.port",
            hc.endswith(f":{values['healthCheck']['port']}"))
    c.check("helm config: health_check enabled", "health_check" in values["config"]["service"].get("extensions", []))
    # Overlay values files (values-*.yaml, e.g. internal telemetry via OTLP):
    # merged over values.yaml as helm merges -f files (maps key by key, lists
    # replaced), and the config they make must validate too.
    for overlay in sorted(glob.glob(os.path.join(chart, "values-*.yaml"))):
        name = os.path.basename(overlay)
        merged = merge_values(values, yaml.safe_load(open(overlay)) or {})
        text = yaml.safe_dump(merged["config"], sort_keys=False)
        c.validate(f"helm {name} config", [text], dict(env, OTLP_TELEMETRY_ENDPOINT="http://gateway:4318"))
        check_pipelines(c, f"helm {name} config", text)
        for path in sorted(values_paths(yaml.safe_load(open(overlay)) or {})):
            if not path.startswith(".config"):
                c.check(f"{name}: .Values{path} is in values.yaml", path in defined)
    render_helm(c, chart, values)


def daemonset_config(chart, values):
    """What templates/_helpers.tpl's otlpd.config renders in daemonset mode: the k8sattributes preset (its
    config read from the otlpd.k8sattributesConfig define) after memory_limiter in every pipeline."""
    if not values.get("presets", {}).get("kubernetesAttributes", {}).get("enabled"):
        return None
    helpers = open(os.path.join(chart, "templates/_helpers.tpl")).read()
    m = re.search(r'\{\{- define "otlpd.k8sattributesConfig" -\}\}\n(.*?)\n\{\{- end \}\}', helpers, re.S)
    if not m:
        return None
    cfg = json.loads(json.dumps(values["config"]))
    cfg.setdefault("processors", {}).setdefault("k8sattributes", yaml.safe_load(m.group(1)))
    for p in cfg["service"]["pipelines"].values():
        procs = p.get("processors", [])
        if "k8sattributes" in procs:
            continue
        i = procs.index("memory_limiter") + 1 if "memory_limiter" in procs else 0
        p["processors"] = procs[:i] + ["k8sattributes"] + procs[i:]
    return cfg


def merge_values(base, over):
    """helm's -f merge: maps merge key by key, anything else is replaced."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = merge_values(base.get(k), v) if k in base else v
        return out
    return over


# helm template's output per case, for test_chart_render.py's schema check.
RENDERED = {}


def render_helm(c, chart, values, helm=None):
    helm = helm or shutil.which("helm")
    if helm is None:
        c.skip("helm lint / helm template: no helm binary on PATH (Debian 12 has none)")
        return
    r = subprocess.run([helm, "lint", chart], capture_output=True, text=True)
    c.check("helm lint", r.returncode == 0, r.stdout + r.stderr)
    expected = {"daemonset": "DaemonSet", "deployment": "Deployment", "sidecar": None}
    for mode, kind in expected.items():
        r = subprocess.run([helm, "template", "rel", chart, "--namespace", "obs", "--set", f"mode={mode}"],
                           capture_output=True, text=True)
        RENDERED[f"mode={mode}"] = r.stdout
        if not c.check(f"helm template mode={mode}", r.returncode == 0, r.stderr):
            continue
        docs = [d for d in yaml.safe_load_all(r.stdout) if d]
        kinds = sorted(d["kind"] for d in docs)
        workloads = [d for d in docs if d["kind"] in ("DaemonSet", "Deployment")]
        c.check(f"helm mode={mode}: workload {kind} ({kinds})",
                [w["kind"] for w in workloads] == ([kind] if kind else []))
        cms = {d["metadata"]["name"]: d.get("data", {}) for d in docs if d["kind"] == "ConfigMap"}
        c.check(f"helm mode={mode}: one ConfigMap", len(cms) == 1)
        for w in workloads:
            spec = pod_spec(w)
            o = [x for x in spec["containers"] if x["name"] == "otlpd"][0]
            where = f"helm {mode}/otlpd"
            check_probes(c, where, o)
            check_security(c, where, spec, o)
            check_resources(c, where, o)
            check_collector_configs(c, where, spec, o, cms)
            if mode == "daemonset":
                ports = {p["containerPort"]: p for p in o["ports"]}
                c.check(f"{where}: hostPort 4317 and 4318", ports[4317].get("hostPort") == 4317 and ports[4318].get("hostPort") == 4318)
                svc = [d for d in docs if d["kind"] == "Service"]
                c.check(f"{where}: Service internalTrafficPolicy Local",
                        bool(svc) and svc[0]["spec"].get("internalTrafficPolicy") == "Local")
                check_k8s_rbac(c, where, docs, spec, "obs")
                cfg = yaml.safe_load(list(cms.values())[0]["config.yaml"])
                c.check(f"{where}: k8sattributes in every pipeline",
                        all("k8sattributes" in p.get("processors", []) for p in cfg["service"]["pipelines"].values()))
            else:
                c.check(f"helm {mode}: no ClusterRole (k8sattributes is the daemonset preset)",
                        not any(d["kind"] == "ClusterRole" for d in docs))
    r = subprocess.run([helm, "template", "rel", chart, "--set", "mode=statefulset"], capture_output=True, text=True)
    c.check("helm template refuses an unknown mode", r.returncode != 0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--otlpd", required=True)
    ap.add_argument("--repo", required=True)
    a = ap.parse_args()
    c = Checker(os.path.abspath(a.otlpd), os.path.abspath(a.repo))
    image_config = open(os.path.join(c.repo, "deploy/otlpd.yaml")).read()
    c.validate("deploy/otlpd.yaml (the image's default config)", [image_config], {})
    check_pipelines(c, "deploy/otlpd.yaml", image_config)
    check_kubernetes(c)
    check_helm(c)
    shutil.rmtree(c.tmp, ignore_errors=True)
    print(f"{c.passed} passed, {c.failed} failed, {c.skipped} skipped")
    sys.exit(1 if c.failed else 0)


if __name__ == "__main__":
    main()
