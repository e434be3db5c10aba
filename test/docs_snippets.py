#!/usr/bin/env python3
"""Every ```cpp block in README.md and docs/ must be an excerpt of a file in examples/, which
CI builds and runs: its lines (stripped; blank lines, `...` and whole-line comments aside)
must appear in that file in the same order. A block right after a line
`<!-- snippet not compiled: <why> -->` is exempt (it needs what CI does not have, such as a
third-party library), and is counted apart."""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")


def code_lines(text):
    lines = [" ".join(line.split()) for line in text.splitlines()]  # spacing aside
    return [l for l in lines if l and l != "..." and not l.startswith("//")]


def is_excerpt(block, source):
    it = iter(code_lines(source))
    return all(any(line == candidate for candidate in it) for line in block)


examples = {p: p.read_text() for p in sorted((root / "examples").glob("*.cpp"))}
failures = 0
checked = 0
exempt = 0
for doc in [root / "README.md", *sorted((root / "docs").glob("*.md"))]:
    for match in re.finditer(r"(<!-- snippet not compiled: [^\n]+ -->\n)?```cpp\n(.*?)```",
                             doc.read_text(), re.S):
        if match.group(1):
            exempt += 1
            continue
        block = code_lines(match.group(2))
        checked += 1
        home = next((p for p, src in examples.items() if is_excerpt(block, src)), None)
        if home is None:
            failures += 1
            print(f"{doc.relative_to(root)}: a cpp block is in no example:\n{match.group(2)}")
print(f"{checked} cpp blocks checked, {failures} not taken from examples/, {exempt} exempt")
sys.exit(1 if failures or checked == 0 else 0)
