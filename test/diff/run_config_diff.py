#!/usr/bin/env python3
"""Differential config test: every case of config_cases.yaml goes through
`otlpd validate` and the reference otelcol's `validate` (built by
test/bench/build_otelcol.sh, cached under --work-dir), and both must give the
verdict the case expects (accepted or refused), which is otelcol's documented
rule. Exit 0 when all agree, 1 on any disagreement, 77 (skipped) without Go or
when the reference collector cannot be built (no module proxy).

A case is merged over base.yaml (`--config base.yaml --config case.yaml`, which
both collectors support): it adds or overrides the components it is about.
`${env:DIFF_TMP}` in a case is a scratch directory holding `dir/` (a directory)
and `file` (a regular file); `${env:DIFF_NUMBER}` is 5, `${env:DIFF_BOOL}` true and `${env:DIFF_MAP}` `{a: 1}`. A case's `## flags:` line gives command-line
flags both collectors get (e.g. --feature-gates=service.profilesSupport).
"""
import argparse
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import tempfile

from reference_otelcol import reference_otelcol

HERE = os.path.dirname(os.path.abspath(__file__))


def load_cases(path):
    """Cases are separated by `## case: <name>` lines; `## expect: ok|error`,
    `## why: ...` and optionally `## known: ...` and `## flags: ...` lines
    follow, then the YAML."""
    cases = []
    current = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"^## (case|expect|why|known|flags): ?(.*)$", line.rstrip("\n"))
            if m and m.group(1) == "case":
                current = {"name": m.group(2).strip(), "expect": None, "why": "", "known": "", "flags": "",
                           "yaml": ""}
                cases.append(current)
            elif m and current is not None and not current["yaml"]:
                current[m.group(1)] = m.group(2).strip()
            elif current is not None:
                current["yaml"] += line
    names = set()
    for c in cases:
        if c["expect"] not in ("ok", "error"):
            raise SystemExit(f"case {c['name']}: expect must be ok or error")
        if c["name"] in names:
            raise SystemExit(f"case {c['name']}: duplicate name")
        names.add(c["name"])
    return cases


def verdict(cmd, env):
    try:
        p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    except subprocess.TimeoutExpired:
        return "timeout", ""
    out = p.stdout.decode("utf-8", "replace").strip()
    return ("ok" if p.returncode == 0 else "error"), out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--otlpd", required=True)
    ap.add_argument("--work-dir", required=True)
    ap.add_argument("--otelcol", help="a reference otelcol binary (default: build it)")
    ap.add_argument("--cases", default=os.path.join(HERE, "config_cases.yaml"))
    ap.add_argument("-k", help="only cases whose name contains this")
    ap.add_argument("-v", action="store_true", help="print both outputs of every case")
    args = ap.parse_args()

    if not os.access(args.otlpd, os.X_OK):
        print(f"FAILED: {args.otlpd} is not an executable otlpd")
        return 1
    os.makedirs(args.work_dir, exist_ok=True)
    otelcol = reference_otelcol(args.otelcol, args.work_dir)
    if not otelcol:
        return 77

    cases = load_cases(args.cases)
    if args.k:
        cases = [c for c in cases if args.k in c["name"]]
    scratch = tempfile.mkdtemp(prefix="config_diff_", dir=args.work_dir)
    os.makedirs(os.path.join(scratch, "dir"))
    with open(os.path.join(scratch, "file"), "w") as f:
        f.write("not a directory\n")
    env = dict(os.environ, DIFF_TMP=scratch, DIFF_NUMBER="5", DIFF_BOOL="true", DIFF_MAP="{a: 1}")
    base = os.path.join(HERE, "base.yaml")

    def run(i_case):
        i, case = i_case
        path = os.path.join(scratch, f"case_{i:03d}.yaml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(case["yaml"])
        flags = case["flags"].split()
        ours = verdict([args.otlpd, "validate", "--config", base, "--config", path] + flags, env)
        theirs = verdict([otelcol, "validate", "--config", base, "--config", path] + flags, env)
        return case, ours, theirs

    disagreements = 0
    wrong_expectations = 0
    known = 0
    stale_known = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        for case, ours, theirs in pool.map(run, enumerate(cases)):
            differ = ours[0] != theirs[0]
            unexpected = theirs[0] != case["expect"]
            wrong_expectations += unexpected
            if case["known"]:
                # A documented deviation: otlpd refuses what otelcol accepts.
                known += differ
                stale = not differ or ours[0] != "error"
                stale_known += stale
                tag = "KNOWN DEVIATION NO LONGER HOLDS" if stale else "known deviation"
            else:
                disagreements += differ
                tag = "DISAGREE" if differ else "same"
            if tag == "same" and unexpected:
                tag = "EXPECTATION"
            if tag not in ("same", "known deviation") or unexpected or args.v:
                print(f"--- {tag}: {case['name']} (expected {case['expect']}: {case['why']})")
                if case["known"]:
                    print(f"    known: {case['known']}")
                print(f"    otlpd:   {ours[0]}: {ours[1][-600:]}")
                print(f"    otelcol: {theirs[0]}: {theirs[1][-600:]}")
    refused = sum(1 for c in cases if c["expect"] == "error")
    print(f"{len(cases)} cases ({len(cases) - refused} valid, {refused} invalid): "
          f"{disagreements} disagreements between otlpd and otelcol, "
          f"{known} known deviations (documented refusals), {stale_known} stale known marks, "
          f"{wrong_expectations} where otelcol's verdict differs from the case's expectation")
    shutil.rmtree(scratch, ignore_errors=True)
    return 1 if disagreements or wrong_expectations or stale_known else 0


if __name__ == "__main__":
    sys.exit(main())
