"""Building the programs, describing the machine, and running the peers (interleaved rounds)."""

import json
import os
import platform
import resource
import select
import signal
import socket
import subprocess
import sys
from pathlib import Path

from .config import (BENCH_CORE, BENCH_INTEROP, BENCH_TASKS, BENCH_UNIX, BENCH_UV, CORE_PY,
                     ECHO_CLIENT, ECHO_PY, ECHO_SERVER, PEERS, RAW_ECHO_SERVER, ROOT, SIZES,
                     UV_ECHO_SERVER, log)

# ---------------------------------------------------------------- build and environment


def has_libuv():
    """Whether the release configuration found libuv (bench/CMakeLists.txt)."""
    cache = ROOT / "build" / "release" / "CMakeCache.txt"
    return cache.exists() and "LIBUV_FOUND:INTERNAL=1" in cache.read_text()


def build():
    targets = ["bench_core", "bench_tasks", "bench_unix", "bench_interop", "echo_client",
               "asyncio-echo-server", "raw_asio_echo_server"]
    configure = ["cmake", "--preset", "release"]
    log("$ " + " ".join(configure))
    subprocess.run(configure, cwd=ROOT, check=True, stdout=sys.stderr)
    if has_libuv():
        targets += ["bench_uv", "uv_echo_server"]
    compile_ = ["cmake", "--build", "--preset", "release", "--target"] + targets
    log("$ " + " ".join(compile_))
    subprocess.run(compile_, cwd=ROOT, check=True, stdout=sys.stderr)


def has_uvloop(python):
    try:
        return subprocess.run([python, "-c", "import uvloop"], capture_output=True,
                              timeout=60).returncode == 0
    except OSError:
        return False


def pick_python(requested):
    """An interpreter with uvloop, so that asyncio and uvloop run on the same Python."""
    if requested:
        return requested, has_uvloop(requested)
    for candidate in ("/usr/bin/python3", sys.executable):
        if Path(candidate).exists() and has_uvloop(candidate):
            return candidate, True
    return sys.executable, False


def command_output(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def cpu_times():
    """The aggregate /proc/stat jiffies: (steal, total), or None."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return fields[7] if len(fields) > 7 else 0, sum(fields[:8])
    except (OSError, ValueError):
        return None


def steal_since(start):
    """The share of CPU time the hypervisor gave to others since `start` (see cpu_times)."""
    end = cpu_times()
    if start is None or end is None or end[1] == start[1]:
        return "unknown"
    return f"{100.0 * (end[0] - start[0]) / (end[1] - start[1]):.1f}%"


def loadavg():
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def libuv_version():
    return command_output(["pkg-config", "--modversion", "libuv"])


def machine_info(python, uvloop_ok, libuv_ok):
    info = json.loads(command_output([str(BENCH_CORE), "info"]))
    versions = command_output([python, "-c", "import platform; print(platform.python_version())"])
    uv = command_output([python, "-c", "import uvloop; print(uvloop.__version__)"]) \
        if uvloop_ok else "not installed"
    git = ["git", "-C", str(ROOT)]
    commit = command_output(git + ["rev-parse", "--short", "HEAD"])
    dirty_lib = command_output(git + ["status", "--porcelain", "--", "lib", "include"])
    dirty = command_output(git + ["status", "--porcelain"])
    if dirty_lib not in ("", "unknown"):
        commit += " + uncommitted changes in lib/ or include/"
    elif dirty not in ("", "unknown"):
        commit += " (library as committed; other files changed)"
    return {
        "cores (nproc)": command_output(["nproc"]),
        "CPU": cpu_model(),
        "kernel (uname -r)": platform.release(),
        "compiler": info["compiler"],
        "Boost": info["boost"],
        "build": "CMake preset `release` (CMAKE_BUILD_TYPE=Release)",
        "Python": f"{versions} ({python})",
        "uvloop": uv,
        "libuv": libuv_version() if libuv_ok else "not installed",
        "commit": commit,
        "load average at start": loadavg(),
    }


# ---------------------------------------------------------------- running


def peer_command(bench, runner, arg, python, config):
    if runner in ("cxx", "tasks", "unix", "uv", "interop"):
        binary = {"cxx": BENCH_CORE, "tasks": BENCH_TASKS, "unix": BENCH_UNIX,
                  "uv": BENCH_UV, "interop": BENCH_INTEROP}[runner]
        sizes = [size_list(bench)] if runner == "interop" else []
        return [str(binary), bench, arg, "--reps", "1"] + config[bench] + sizes
    return [python, str(CORE_PY), bench, arg, "--reps", "1"] + config[bench]


def pinned_to(cpu):
    """A preexec_fn that pins the child to one CPU (None: no pinning)."""
    return None if cpu is None else (lambda: os.sched_setaffinity(0, {cpu}))


def run_peer(cmd, cpu=None):
    """The JSON lines a peer printed (a failed verification still prints its line)."""
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900,
                          preexec_fn=pinned_to(cpu))
    lines = [json.loads(l) for l in proc.stdout.splitlines() if l.startswith("{")]
    if proc.returncode != 0 or not lines:
        message = f"{' '.join(cmd)} exited with {proc.returncode}: {proc.stderr.strip()}"
        if not lines:
            raise RuntimeError(message)
        log("warning: " + message)
    return lines


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on (the server binds it right after)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def echo_server_command(arg, python, port):
    if arg == "asio":
        return [str(RAW_ECHO_SERVER), f"--port={port}"]
    if arg == "uv":
        return [str(UV_ECHO_SERVER), f"--port={port}"]
    kind, api = arg.split(":")
    if kind == "cpp":
        return [str(ECHO_SERVER), f"--api={api}", f"--port={port}"]
    return [python, str(ECHO_PY), f"--loop={kind}", f"--api={api}", f"--port={port}"]


def start_server(cmd, cpu=None):
    """Starts an echo server and waits for its "ready" line."""
    server = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              preexec_fn=pinned_to(cpu))
    ready, _, _ = select.select([server.stdout], [], [], 60)
    line = server.stdout.readline() if ready else ""
    if line.strip() != "ready":
        stop_server(server, cmd[-1])
        raise RuntimeError(f"echo server {' '.join(cmd)} did not start: {line!r}")
    return server


def stop_server(server, name):
    server.send_signal(signal.SIGTERM)
    try:
        _, err = server.communicate(timeout=30)
        if server.returncode != 0:
            log(f"warning: echo server {name} exited with {server.returncode}: {err.strip()}")
    except subprocess.TimeoutExpired:
        server.kill()
        server.communicate()
        log(f"warning: echo server {name} did not stop on SIGTERM; killed")


def size_list(bench):
    return "--sizes=" + ",".join(str(size) for size in SIZES[bench])


def run_echo(bench, name, arg, python, config, sizes=None):
    """Starts the echo server, runs echo_client against it (B9, B10: the ping-pong load; B12:
    idle connections), stops the server with SIGTERM. Server and client are pinned to the same
    CPU (see METHOD, B9). `sizes`: the message sizes' --sizes option (default: the bench's
    SIZES)."""
    port = free_port()
    cpu = max(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    server = start_server(echo_server_command(arg, python, port), cpu)
    try:
        mode = "idle" if bench == "B12" else "echo"
        client = [str(ECHO_CLIENT), mode, f"--port={port}", f"--peer={name}",
                  f"--server-pid={server.pid}", f"--bench={bench}"] + config[bench]
        if mode == "echo":
            client.append(sizes or size_list(bench))
        return run_peer(client, cpu)
    finally:
        stop_server(server, arg)


def run_multi(bench, name, loops, config):
    """B11: asyncio-echo-server with `loops` loops, each pinned to its own CPU and fed by a
    client thread pinned to the same CPU (see METHOD, B11)."""
    port = free_port()
    server = start_server([str(ECHO_SERVER), "--api=protocol", f"--port={port}",
                           f"--loops={loops}", "--pin"])
    try:
        client = [str(ECHO_CLIENT), "echo", f"--port={port}", f"--peer={name}",
                  f"--server-pid={server.pid}", f"--bench={bench}", f"--threads={loops}",
                  f"--conns={10 * int(loops)}", "--pin", size_list(bench)] + config[bench]
        return run_peer(client)
    finally:
        stop_server(server, f"--loops={loops}")


def raise_fd_limit():
    """B12 opens 1000 connections: the servers (our children) need the fds."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def available(peers, uvloop_ok, libuv_ok):
    """The peers this machine can run: uvloop and libuv are optional."""
    return [p for p in peers if (uvloop_ok or not p[2].startswith("uvloop"))
            and (libuv_ok or p[1] != "uv" and p[2] != "uv")]


def has_async_run():
    """Whether bench_interop was built with asyncio::async_run (B14 needs it)."""
    info = command_output([str(BENCH_INTEROP), "info"])
    return info != "unknown" and json.loads(info)["async_run"]


def run_all(config, python, uvloop_ok, libuv_ok, only):
    """samples[bench][peer] = list of JSON results, from interleaved rounds. B9-B11's results
    go under "<bench>/<size>", one table per message size."""
    samples = {}
    for bench, peers in PEERS.items():
        if only and bench not in only:
            continue
        if bench == "B14" and not has_async_run():
            log("warning: bench_interop was built without asyncio::async_run; B14 is skipped")
            continue
        peers = available(peers, uvloop_ok, libuv_ok)
        keys = [f"{bench}/{label}" for label in SIZES[bench].values()] \
            if bench in SIZES else [bench]
        for key in keys:
            samples[key] = {name: [] for name, _, _ in peers}
        rounds = config["echo_rounds" if peers[0][1] in ("echo", "multi") else "rounds"]
        for r in range(rounds):
            turn = peers[r % len(peers):] + peers[:r % len(peers)]  # rotate who goes first
            for name, runner, arg in turn:
                log(f"{bench} round {r + 1}/{rounds}: {name}")
                if runner == "echo":
                    lines = run_echo(bench, name, arg, python, config)
                elif runner == "multi":
                    lines = run_multi(bench, name, arg, config)
                else:
                    lines = run_peer(peer_command(bench, runner, arg, python, config))
                for line in lines:
                    key = f"{bench}/{SIZES[bench][line['size']]}" if bench in SIZES else bench
                    samples[key][name].append(line)
    return samples
