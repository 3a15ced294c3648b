#!/usr/bin/env python3
"""Writes cmake/hot_text.ld: the code and read-only data otlpd touches in
steady state, idle and serving the core relay, placed together at the front of
.text and .rodata when a Release build links. Start-up code is not in it:
otlpd unmaps it once started (internal/resident.h).

Why: the kernel maps a file page fault by whole page-cache folios (64 KiB
fault-around at least, hundreds of KiB with large folios), so code touched
here and there across otlpd's 16 MiB of text makes most of it resident. Placed
together it stays a few MiB. The same idea as an "order file".

    cmake/hot_text.py [--build-dir build-order] [--seconds 4]

The build dir must be a Release build configured with
-DOTLPD_HOT_TEXT_TRAINING=ON (otlpd linked with -Wl,-Map; every function and
datum in a section of its own). Needs root: it sets the disk's read-ahead to 0
and drops the page cache, so that each page a run touches is read alone and
the resident pages are exactly the touched ones. Runs the scenarios below
with bench_loadgen and bench_sink (test/bench/run's helpers).

What is touched is known per 4 KiB page, so a page's neighbours on it come
along. A stale entry (a function renamed since) matches nothing and costs
nothing; code that is new since the last run lands in the rest of .text.
"""

import argparse
import importlib.machinery
import importlib.util
import os
import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PAGE = 4096
# The kernel maps a read fault's neighbours already in the page cache, in an
# aligned window of /sys/kernel/debug/fault_around_bytes (64 KiB by default).
FAULT_AROUND = 65536

# The core relay as deployed: every OTLP way in, batch, the three exporters a
# first config uses. The names are test/bench/run's scenarios.
SCENARIOS = [
    "idle",
    "traces-otlp-grpc-batch-otlp-grpc",
    "traces-200-clients",
    "metrics-otlp-grpc-batch-otlp-grpc",
    "logs-otlp-http-batch-otlp-http",
    "traces-otlp-http-batch-otlp-grpc",
    "traces-gzip",
    "traces-sampling-10pct",
    "metrics-small-points",
]


def load_bench():
    path = REPO / "test" / "bench" / "run"
    loader = importlib.machinery.SourceFileLoader("bench_run", str(path))
    spec = importlib.util.spec_from_loader("bench_run", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def block_device_of(path):
    """The /sys/block entry whose read-ahead governs reads of `path`."""
    dev = os.stat(path).st_dev
    major, minor = os.major(dev), os.minor(dev)
    sys_dev = Path(f"/sys/dev/block/{major}:{minor}")
    real = sys_dev.resolve()
    # A partition's queue settings live on its parent disk.
    queue = real / "queue"
    if not queue.exists():
        queue = real.parent / "queue"
    return queue / "read_ahead_kb"


def drop_caches():
    subprocess.run(["sync"], check=True)
    Path("/proc/sys/vm/drop_caches").write_text("3\n")


def touched_pages(pid, binary):
    """Link-time addresses (page aligned) of the binary's resident pages."""
    real = str(Path(binary).resolve())
    maps = []
    for line in open(f"/proc/{pid}/maps"):
        parts = line.split()
        if len(parts) >= 6 and parts[5] == real:
            start, end = (int(x, 16) for x in parts[0].split("-"))
            maps.append((start, end, int(parts[2], 16)))
    if not maps:
        raise RuntimeError(f"{real} is not mapped in process {pid}")
    # PIE: the whole image is mapped at one base, the first mapping at offset 0.
    base = min(start - off for start, _, off in maps)
    pages = set()
    with open(f"/proc/{pid}/pagemap", "rb") as pm:
        for start, end, _ in maps:
            pm.seek(start // PAGE * 8)
            data = pm.read((end - start) // PAGE * 8)
            for i in range(0, len(data), 8):
                if data[i + 7] & 0x80:  # bit 63: present
                    pages.add(start - base + i // 8 * PAGE)
    return pages


def run_scenarios(bench, build_dir, tools_dir, seconds, logs_dir):
    tools = {"loadgen": tools_dir / "test" / "bench" / "bench_loadgen",
             "sink": tools_dir / "test" / "bench" / "bench_sink"}
    binary = build_dir / "otlpd"
    pin = bench.Pinning(False)
    by_name = {sc.name: sc for sc in bench.SCENARIOS}
    pages = {}  # page -> the index of the first scenario that touched it
    for index, name in enumerate(SCENARIOS):
        sc = by_name[name]
        drop_caches()
        sink = bench.Sink(tools, pin, logs_dir / f"{name}-sink.log")
        collector = None
        try:
            rg, rh = bench.free_port(), bench.free_port()
            cfg = logs_dir / f"{name}.yaml"
            bench.write_config(cfg, sc, rg, rh, sink.grpc_port, sink.http_port)
            port = rh if sc.protocol == "http" else rg
            collector = bench.Collector("otlpd", binary, cfg, pin, logs_dir / f"{name}-otlpd.log", port)
            # Once started, otlpd unmaps its read-only pages (start-up code is
            # never run again); dropped from the page cache too, they are not
            # mapped along with the steady state's pages either.
            time.sleep(1)
            drop_caches()
            if sc.kind == "idle":
                time.sleep(seconds)
            else:
                bench.run_loadgen(tools, pin, sc, f"127.0.0.1:{port}", sc.rate, seconds)
                time.sleep(1)  # a batch timeout or two: the export path runs too
            got = touched_pages(collector.pid, binary)
            print(f"{name}: {len(got) * PAGE // 1024} KiB touched", file=sys.stderr)
            for p in got:
                pages.setdefault(p, index)
        finally:
            if collector:
                collector.stop()
            sink.close()
    return pages


OUT_SECTION = re.compile(r"^(\.\S+)(\s+0x[0-9a-f]+\s+0x[0-9a-f]+)?\s*$")
IN_SECTION_ONE = re.compile(r"^ (\.\S+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$")
IN_SECTION_NAME = re.compile(r"^ (\.\S+)$")
IN_SECTION_REST = re.compile(r"^\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$")


def input_sections(map_path):
    """(output section, input section, address, size, file) from a GNU ld map."""
    out = None
    pending = None
    in_memory_map = False
    for line in open(map_path, errors="replace"):
        line = line.rstrip("\n")
        if line.startswith("Linker script and memory map"):
            in_memory_map = True
            continue
        if not in_memory_map:
            continue
        m = OUT_SECTION.match(line)
        if m:
            out, pending = m.group(1), None
            continue
        if pending is not None:
            m = IN_SECTION_REST.match(line)
            if m:
                yield out, pending, int(m.group(1), 16), int(m.group(2), 16), m.group(3).strip()
            pending = None
            continue
        m = IN_SECTION_ONE.match(line)
        if m:
            yield out, m.group(1), int(m.group(2), 16), int(m.group(3), 16), m.group(4).strip()
            continue
        m = IN_SECTION_NAME.match(line)
        if m:
            pending = m.group(1)


GENERIC = {".text", ".text.unlikely", ".text.hot", ".text.startup", ".text.exit", ".rodata", ".rodata1"}


def is_generic(section):
    """Whether every object may have a section of this name (its .text or
    .rodata, its cold or startup part, its merged strings and constants),
    as opposed to a function's or a datum's own section."""
    return section in GENERIC or section.startswith((".rodata.str", ".rodata.cst"))


def pattern(section, file):
    """A linker script input section description for one input section."""
    # Per-function and per-datum sections have names of their own; a generic
    # one is named by its object (archive:member).
    if not is_generic(section):
        return f"*({section})"
    m = re.match(r"^(.*)\((.*)\)$", file)
    if m:
        return f"*{Path(m.group(1)).name}:{m.group(2)}({section})"
    return f"*{Path(file).name}({section})"


def common_prefix(a, b):
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def shorten(hot, cold):
    """name -> the shortest pattern (a prefix and `*`) that matches it and
    no cold section name: C++ names are long, the script stays small."""
    names = sorted(set(hot) | set(cold))
    is_hot = {n: n in hot for n in names}
    out = {}
    for i, name in enumerate(names):
        if not is_hot[name]:
            continue
        need = 0
        for step in (-1, 1):
            j = i + step
            while 0 <= j < len(names) and is_hot[names[j]]:
                j += step
            if 0 <= j < len(names):
                need = max(need, common_prefix(name, names[j]) + 1)
        # Never shorter than the section kind and a character of the name.
        need = max(need, name.index(".", 1) + 2)
        out[name] = name if need >= len(name) else name[:need] + "*"
    return out


def windows_touched(addr, size, pages, window):
    """How many fault-around windows the touched pages of [addr, addr+size) fall in."""
    first, last = addr // PAGE * PAGE, (addr + size - 1) // PAGE * PAGE
    return len({p // window for p in range(first, last + PAGE, PAGE) if p in pages})


def hot_patterns(map_path, pages, out_name, window=FAULT_AROUND):
    """Input sections to place first, in the order of the scenario that first
    touched them (idle first: what every otlpd runs is densest), then of
    their address."""
    seen, result = set(), []
    sections = []  # (section, address, size, file, the first-touch index of each touched page)
    for out, section, addr, size, file in input_sections(map_path):
        if out == out_name and size > 0:
            first, last = addr // PAGE * PAGE, (addr + size - 1) // PAGE * PAGE
            hits = [pages[p] for p in range(first, last + PAGE, PAGE) if p in pages]
            sections.append((section, addr, size, file, hits))
    hot_names = {s for s, _, _, _, hits in sections if hits and not is_generic(s)}
    # Every other name, the objects' generic sections too, must not match.
    short = shorten(hot_names, {s for s, _, _, _, _ in sections} - hot_names)
    for section, addr, size, file, hits in sections:
        if not hits:
            continue
        # A whole object's code moves only when that costs no more than
        # leaving it: left in the cold rest, each touched page maps its
        # fault-around window; moved, all of it sits in the hot region.
        if is_generic(section) and size > windows_touched(addr, size, pages, window) * window:
            continue
        pat = pattern(short.get(section, section), file)
        if pat not in seen:
            seen.add(pat)
            result.append((min(hits), addr, pat))
    return [pat for _, _, pat in sorted(result)]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", default=str(REPO / "build-order"))
    ap.add_argument("--tools-dir", help="where bench_loadgen and bench_sink are built (default: --build-dir)")
    ap.add_argument("--seconds", type=float, default=4)
    ap.add_argument("--pages", help="a pages.txt an earlier run wrote: write the script from it, run nothing")
    ap.add_argument("--out", default=str(REPO / "cmake" / "hot_text.ld"))
    args = ap.parse_args()
    build_dir = Path(args.build_dir).resolve()
    map_path = build_dir / "otlpd.map"
    if not map_path.exists():
        sys.exit(f"{map_path} is missing: configure {build_dir} with -DOTLPD_HOT_TEXT_TRAINING=ON")
    logs_dir = build_dir / "hot_text"
    logs_dir.mkdir(exist_ok=True)
    if args.pages:
        pages = {int(a, 16): int(i) for a, i in (line.split() for line in open(args.pages))}
    else:
        if os.geteuid() != 0:
            sys.exit("needs root (read-ahead and the page cache)")
        bench = load_bench()
        ra = block_device_of(build_dir / "otlpd")
        saved = ra.read_text().strip()
        try:
            ra.write_text("0\n")
            tools_dir = Path(args.tools_dir).resolve() if args.tools_dir else build_dir
            pages = run_scenarios(bench, build_dir, tools_dir, args.seconds, logs_dir)
        finally:
            ra.write_text(saved + "\n")
        # Kept: which pages the runs touched is the whole measurement (--pages reuses it).
        (logs_dir / "pages.txt").write_text("".join(f"{p:x} {i}\n" for p, i in sorted(pages.items())))
    text = hot_patterns(map_path, pages, ".text")
    rodata = hot_patterns(map_path, pages, ".rodata")
    lines = ["/* Generated by cmake/hot_text.py: what otlpd touched serving test/bench/run's scenarios",
             f"   {', '.join(SCENARIOS)}.",
             "   Placed first in .text and .rodata (see the script for why). */",
             "SECTIONS", "{", "  .text.otlpd_hot :", "  {"]
    lines += [f"    {p}" for p in text]
    lines += ["  }", "}", "INSERT BEFORE .text;", "", "SECTIONS", "{", "  .rodata.otlpd_hot :", "  {"]
    lines += [f"    {p}" for p in rodata]
    lines += ["  }", "}", "INSERT BEFORE .rodata;", ""]
    Path(args.out).write_text("\n".join(lines))
    print(f"{len(pages) * PAGE // 1024} KiB touched in all; {len(text)} text and {len(rodata)} rodata sections "
          f"written to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
