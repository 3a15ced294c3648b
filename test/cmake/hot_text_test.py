#!/usr/bin/env python3
"""cmake/hot_text.py: the map file parser, the pattern shortening (never a
pattern that also takes a cold section) and which sections go first, in which
order."""
import fnmatch
import importlib.util
import random
import sys
import tempfile
import unittest
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("hot_text", REPO / "cmake" / "hot_text.py")
hot_text = importlib.util.module_from_spec(spec)
spec.loader.exec_module(hot_text)

# Shaped as GNU ld 2.40 writes it: a long name alone on its line, its address
# and size on the next; fill and symbol lines in between.
MAP = """\
Archive member included to satisfy reference by file (symbol)

Linker script and memory map

.init           0x0000000000001000       0x1b
 .init          0x0000000000001000        0x4 /usr/lib/crt1.o
.text.otlpd_hot
                0x0000000000001040        0x0
.text           0x0000000000002000     0x7000
 .text          0x0000000000002000     0x3000 /usr/lib/libbig.a(big.o)
                0x0000000000002000                big_one
 .text._ZN5otlpd4wire4WalkEv
                0x0000000000005000      0x100 wire/libotlpd_wire.a(wire_walker.cpp.o)
 *fill*         0x0000000000005100      0xf00
 .text._ZN5otlpd4wire4SkipEv
                0x0000000000006000       0x80 wire/libotlpd_wire.a(wire_walker.cpp.o)
 .text._ZN5otlpd4wire4SizeEv
                0x0000000000006800       0x80 wire/libotlpd_wire.a(wire_walker.cpp.o)
 .text._ZN5otlpd6config5ParseEv
                0x0000000000007000       0x40 config/libotlpd_config.a(loader.cpp.o)
 .text          0x0000000000007040      0x400 /usr/lib/libsmall.a(small.o)
 .text._ZN5otlpd4wire4CopyEv
                0x0000000000008000       0x80 wire/libotlpd_wire.a(wire_walker.cpp.o)
.rodata         0x0000000000009000      0x100
 .rodata.str1.1
                0x0000000000009000       0x20 cmd/otlpd/CMakeFiles/otlpd.dir/main.cpp.o
"""


class ParseTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.map = Path(self.dir.name) / "otlpd.map"
        self.map.write_text(MAP)

    def tearDown(self):
        self.dir.cleanup()

    def test_input_sections_one_and_two_lines(self):
        got = [(o, s, a, n, f) for o, s, a, n, f in hot_text.input_sections(self.map)]
        self.assertIn((".init", ".init", 0x1000, 4, "/usr/lib/crt1.o"), got)
        self.assertIn((".text", ".text._ZN5otlpd4wire4WalkEv", 0x5000, 0x100,
                       "wire/libotlpd_wire.a(wire_walker.cpp.o)"), got)
        self.assertIn((".text", ".text", 0x2000, 0x3000, "/usr/lib/libbig.a(big.o)"), got)
        self.assertIn((".rodata", ".rodata.str1.1", 0x9000, 0x20, "cmd/otlpd/CMakeFiles/otlpd.dir/main.cpp.o"), got)
        # Neither fill nor symbols are sections; an empty output section has no inputs.
        self.assertEqual(len(got), 9)

    def test_hot_patterns_order_and_whole_objects(self):
        # Skip (page 0x6000, Size's too) first touched by scenario 0, Walk and
        # the small object (pages 0x5000, 0x7000) by scenario 1; one page of
        # the 12 KiB object: with 8 KiB fault-around windows, too little of it
        # to move.
        pages = {0x5000: 1, 0x6000: 0, 0x7000: 1, 0x2000: 1}
        got = hot_text.hot_patterns(self.map, pages, ".text", window=0x2000)
        # Size shares Skip's page: it comes along, and with no cold name
        # between them the two share one pattern (Copy, cold, stays out).
        self.assertEqual(got[0], "*(.text._ZN5otlpd4wire4S*)")
        self.assertEqual(set(got[1:]), {"*(.text._ZN5otlpd4wire4W*)", "*(.text._ZN5otlpd6*)",
                                        "*libsmall.a:small.o(.text)"})
        self.assertNotIn("*libbig.a:big.o(.text)", got)
        # A second touched page in the same 8 KiB fault-around window costs
        # nothing more: it stays. One in the next window: left, it would cost
        # 16 KiB, more than its 12: it moves.
        pages[0x3000] = 1
        self.assertNotIn("*libbig.a:big.o(.text)", hot_text.hot_patterns(self.map, pages, ".text", window=0x2000))
        pages[0x4000] = 1
        self.assertIn("*libbig.a:big.o(.text)", hot_text.hot_patterns(self.map, pages, ".text", window=0x2000))
        # With 64 KiB windows a single touched page already costs more than its 12 KiB.
        self.assertIn("*libbig.a:big.o(.text)", hot_text.hot_patterns(self.map, {0x2000: 0}, ".text"))
        # A page of Walk's alone: Skip and Size stay, and no pattern takes them.
        got = hot_text.hot_patterns(self.map, {0x5000: 0}, ".text")
        self.assertEqual(got, ["*(.text._ZN5otlpd4wire4W*)"])
        # Merged strings are named by their object.
        self.assertEqual(hot_text.hot_patterns(self.map, {0x9000: 0}, ".rodata"),
                         ["*main.cpp.o(.rodata.str1.1)"])


class ShortenTest(unittest.TestCase):
    def check(self, hot, cold):
        short = hot_text.shorten(set(hot), set(cold))
        self.assertEqual(set(short), set(hot))
        for name, pat in short.items():
            self.assertTrue(fnmatch.fnmatchcase(name, pat), (name, pat))
            for c in cold:
                self.assertFalse(fnmatch.fnmatchcase(c, pat), (pat, c))

    def test_prefixes_of_each_other(self):
        self.check([".text.a", ".text.abc"], [".text.ab", ".text.abcd"])
        self.check([".text.ab"], [".text.a", ".text.abc"])
        # An object's generic cold part is a name a pattern must not take.
        self.check([".text.unlikely._ZN5otlpd1fEv"], [".text.unlikely", ".text._ZN5otlpd1gEv"])

    def test_random_names(self):
        rng = random.Random(7)
        names = sorted({".text._Z" + "".join(rng.choice("ab") for _ in range(rng.randint(1, 9)))
                        for _ in range(400)})
        hot = [n for n in names if rng.random() < 0.4]
        cold = [n for n in names if n not in hot]
        self.check(hot, cold)
        # Sharing a prefix with no cold name, hot names share a pattern.
        self.assertLess(len(set(hot_text.shorten(set(hot), set(cold)).values())), len(hot))


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=1)
