#!/usr/bin/env python3
"""Checks the folder layering the README's "Layout" section describes: each
source folder includes (of ours) only the folders listed for it here, so a
lower layer never reaches up into the engine or into a component."""
import pathlib
import re
import sys

# folder -> the folders of ours it may include besides itself (README "Layout").
LOWER = {
    "internal": set(),
    "config": {"internal"},
    "component": {"config", "internal"},
    "otlp": {"component", "internal"},
    "k8s": {"config", "internal"},
    "ottl": {"component", "otlp", "config", "internal"},
    "service": {"component", "otlp", "config", "internal", "k8s", "ottl"},
}
COMPONENT_KINDS = ("receivers", "processors", "exporters", "extensions", "connectors")
for kind in COMPONENT_KINDS:
    LOWER[kind] = {"component", "otlp", "k8s", "ottl", "config", "internal"}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def main(root: pathlib.Path) -> int:
    ours = set(LOWER) | {"cmd", "test"}
    problems = []
    checked = 0
    for folder, allowed in sorted(LOWER.items()):
        for path in sorted((root / folder).rglob("*")):
            if path.suffix not in (".h", ".cpp") or not path.is_file():
                continue
            checked += 1
            rel = path.relative_to(root)
            for inc in INCLUDE.findall(path.read_text(errors="replace")):
                top = inc.split("/", 1)[0]
                if "/" not in inc or top not in ours or top == folder:
                    continue
                if top not in allowed:
                    problems.append(f"{rel}: includes {inc} ({folder}/ may include {sorted(allowed) or 'nothing'})")
    for p in problems:
        print("FAIL:", p)
    print(f"{checked} files checked, {len(problems)} layering problem(s)")
    return 1 if problems or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main(pathlib.Path(sys.argv[1])))
