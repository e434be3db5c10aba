#!/usr/bin/env python3
"""Runs NAME.py under CPython and the NAME.cpp binary; their stdout must be identical."""
import difflib
import subprocess
import sys


def run(cmd):
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=50)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        sys.exit(f"{cmd[-1]} exited with {proc.returncode}")
    return proc.stdout


def main():
    script, binary = sys.argv[1], sys.argv[2]
    expected = run([sys.executable, script])
    actual = run([binary])
    if not expected.strip():
        sys.exit(f"{script} printed nothing: a trace must show something")
    if expected != actual:
        diff = difflib.unified_diff(expected.splitlines(), actual.splitlines(),
                                    "CPython", "asyncio-cpp", lineterm="")
        sys.exit("traces differ:\n" + "\n".join(diff))
    print(expected, end="")
    print(f"-- identical: {len(expected.splitlines())} lines")


if __name__ == "__main__":
    main()
