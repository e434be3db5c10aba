#!/usr/bin/env python3
"""Runs NAME.py under every CPython present and the NAME.cpp binary once; each interpreter's
stdout and stderr must equal the binary's.

The oracles are the interpreter running this script and pyenv's CPython 3.11 and later, one per
minor version. A pair follows every version unless a line near the top of NAME.py narrows it:
`# cpython: 3.12+` or `# cpython: 3.11-3.12`. Versions it does not follow, and known CPython
bugs (KNOWN_BUGS, by name), are skipped and said so. With no oracle left, the pair is skipped
(exit 77, which CTest reports as a skipped test). `compare.py --oracles` lists the oracles.

stderr is compared too, so that log records ("Exception in callback ...", "Task exception was
never retrieved") are part of the trace. Python's tracebacks are folded to their last line,
since C++ has no frames to print.
"""
import difflib
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

SKIP = 77
OLDEST = (3, 11)  # the asyncio surface the library implements

# (pair, exact CPython version) -> the bug, as CPython's tracker names it.
KNOWN_BUGS = {
    ("lifecycle_errors", "3.13.0"):
        "gh-130145: run_forever() refused while running still resets the running loop",
}


def version_of(python):
    try:
        out = subprocess.run([python, "-c", "import sys; print(*sys.version_info[:3], sep='.')"],
                             capture_output=True, text=True, timeout=20)
    except OSError:
        return None
    text = out.stdout.strip()
    return text if out.returncode == 0 and re.fullmatch(r"\d+\.\d+\.\d+", text) else None


def pyenv_pythons():
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    return sorted(glob.glob(os.path.join(root, "versions", "3.*", "bin", "python3")))


def oracles():
    """{(major, minor): (version, path)}: the newest patch release present of each minor."""
    found = {}
    for python in [sys.executable, *pyenv_pythons()]:
        version = version_of(python)
        if version is None:
            continue
        key = parse_version(version)[:2]
        if key >= OLDEST and (key not in found or
                              parse_version(version) > parse_version(found[key][0])):
            found[key] = (version, python)
    return dict(sorted(found.items()))


def parse_version(text):
    return tuple(int(p) for p in text.split("."))


def declared_range(script):
    """The versions NAME.py follows, as `# cpython: LOW+` or `# cpython: LOW-HIGH`: (low, high),
    either end None when open. LOW may name a patch release (a fix backported to 3.11.7)."""
    with open(script, encoding="utf-8") as f:
        head = [next(f, "") for _ in range(15)]
    for line in head:
        m = re.match(r"#\s*cpython:\s*(\d+\.\d+(?:\.\d+)?)\s*(?:\+|-\s*(\d+\.\d+))\s*$", line)
        if m:
            return parse_version(m[1]), (parse_version(m[2]) if m[2] else None)
    return None, None


def fold_tracebacks(text):
    """Keeps a Python traceback's last line (the exception) and drops its frames."""
    out, in_tb = [], False
    for line in text.splitlines(keepends=True):
        if line.startswith("Traceback (most recent call last):"):
            in_tb = True
            continue
        if in_tb and (line.startswith(" ") or line.startswith("\t")):
            continue
        in_tb = False
        out.append(line)
    return "".join(out)


def thread_probe_env(argv):
    """--thread-probe LIB --threaded-list FILE: run the program with LIB preloaded, and name the
    log file that LIB creates when the program starts a thread."""
    options = dict(zip(argv[::2], argv[1::2]))
    if "--thread-probe" not in options:
        return None, None, None
    log = os.path.join(tempfile.mkdtemp(prefix="thread_probe."), "started")
    preload = " ".join(filter(None, [os.environ.get("LD_PRELOAD"), options["--thread-probe"]]))
    env = dict(os.environ, LD_PRELOAD=preload, ASYNCIO_CPP_THREAD_PROBE_LOG=log)
    return env, log, options["--threaded-list"]


def listed_pairs(path):
    with open(path) as listing:
        return {line.strip() for line in listing if line.strip() and not line.startswith("#")}


def check_threads(pair, log, listing):
    """The TSan build runs only the listed pairs: one that starts threads must be listed."""
    started = os.path.exists(log)
    shutil.rmtree(os.path.dirname(log), ignore_errors=True)
    if started and pair not in listed_pairs(listing):
        sys.exit(f"{pair} starts a thread but is not listed in {listing}: list it, so that the "
                 "TSan build compiles and runs it")


def run(cmd, label, env=None):
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=50, env=env)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        sys.exit(f"{label} exited with {proc.returncode}")
    return proc.stdout, proc.stderr


def differs(name, expected, actual):
    if expected == actual:
        return None
    diff = difflib.unified_diff(expected.splitlines(), actual.splitlines(),
                                name, "asyncio-cpp", lineterm="")
    return "\n".join(diff)


def main():
    if sys.argv[1:] == ["--oracles"]:
        for version, python in oracles().values():
            print(f"CPython {version}: {python}")
        return
    script, binary = sys.argv[1], sys.argv[2]
    probe_env, probe_log, threaded_list = thread_probe_env(sys.argv[3:])
    pair = os.path.splitext(os.path.basename(script))[0]
    low, high = declared_range(script)
    chosen, skipped = [], []
    for key, (version, python) in oracles().items():
        full = parse_version(version)
        if (low and full < low) or (high and key > high):
            skipped.append(f"{version} (the pair follows {script_range(low, high)})")
        elif (pair, version) in KNOWN_BUGS:
            skipped.append(f"{version} (known CPython bug {KNOWN_BUGS[pair, version]})")
        else:
            chosen.append((version, python))
    for line in skipped:
        print(f"-- skipped under CPython {line}")
    if not chosen:  # CTest lists the pair as skipped, not passed
        print("-- no CPython present that this pair follows: skipped")
        sys.exit(SKIP)

    actual_out, actual_err = run([binary], binary, probe_env)
    if probe_log:
        check_threads(pair, probe_log, threaded_list)
    failures = []
    for version, python in chosen:
        label = f"CPython {version}"
        # A deprecation (get_event_loop in 3.12, say) is about Python's API, not the trace.
        env = dict(os.environ, PYTHONWARNINGS="ignore::DeprecationWarning")
        out, err = run([python, script], f"{label} {script}", env)
        if not out.strip():
            sys.exit(f"{script} printed nothing under {label}: a trace must show something")
        for stream, expected, actual in (("stdout", out, actual_out),
                                         ("stderr", fold_tracebacks(err), actual_err)):
            diff = differs(f"{label} {stream}", expected, actual)
            if diff:
                failures.append(f"{stream} differs from {label}:\n{diff}")
    if failures:
        sys.exit("\n".join(failures))
    print(actual_out, end="")
    if actual_err:
        print("-- stderr, identical too:\n" + actual_err, end="")
    versions = ", ".join(v for v, _ in chosen)
    print(f"-- identical under CPython {versions}: {len(actual_out.splitlines())} lines")


def script_range(low, high):
    text = ".".join(map(str, low)) if low else ""
    return text + ("+" if high is None else "-" + ".".join(map(str, high)))


if __name__ == "__main__":
    main()
