#!/usr/bin/env python3
"""Every Catch2 test case is registered with CTest exactly once under each prefix that runs it.

catch_discover_tests turns each name that --list-test-names-only prints into a CTest test. A
name that CMake cannot carry whole (a ';' splits it) becomes fake tests that match nothing, and
a test that matches nothing passes unless --warn NoTests is given. This check compares the two
lists, so that such a test cannot hide again.
"""
import argparse
import re
import subprocess
import sys
from collections import Counter


def catch_names(binary, spec=None):
    cmd = [binary] + ([spec] if spec else []) + ["--list-test-names-only"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
    return [line for line in out.splitlines() if line.strip()]


def ctest_names(ctest, build_dir):
    out = subprocess.run([ctest, "-N", "--test-dir", build_dir], capture_output=True,
                         text=True, check=True).stdout
    return [m.group(1) for m in re.finditer(r"^\s*Test\s+#\d+: (.*)$", out, re.MULTILINE)]


def compare(label, expected, registered):
    """Both are lists of names; prints what differs and returns whether they agree."""
    want, have = Counter(expected), Counter(registered)
    print(f"{label}: {len(expected)} Catch2 test cases, {len(registered)} registered with CTest")
    ok = True
    for name in sorted((want - have).elements()):
        print(f"  not registered as written: {name!r}")
        ok = False
    for name in sorted((have - want).elements()):
        print(f"  registered but not a Catch2 test case: {name!r}")
        ok = False
    return ok


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ctest", required=True)
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--unit", required=True)
    parser.add_argument("--alloc")
    args = parser.parse_args()
    registered = ctest_names(args.ctest, args.build_dir)

    def under(prefix):
        return [n[len(prefix):] for n in registered if n.startswith(prefix)]

    fallbacks = "unit.fallbacks."
    ok = compare("unit", catch_names(args.unit),
                 [n for n in under("unit.") if not ("unit." + n).startswith(fallbacks)
                  and n != "registration"])
    ok &= compare("unit.fallbacks ([subprocess])", catch_names(args.unit, "[subprocess]"),
                  under(fallbacks))
    if args.alloc:
        ok &= compare("alloc", catch_names(args.alloc), under("alloc."))
    if not ok:
        sys.exit("CTest does not run every Catch2 test case exactly once per prefix")


if __name__ == "__main__":
    main()
