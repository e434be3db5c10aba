"""Curves (issue 23): one benchmark measured at several workload sizes, every peer at every
size in the same run, peers interleaved round by round, and the target's ratio per size.

A curve is a dict:
  name     "B4/4 producers": its table's key (curves with the same `chart` share one chart)
  chart    the chart's name (docs/images/curve-<chart>.png), e.g. "B4"
  bench    the program's benchmark argument ("B1", "B5e", ...)
  title    the table's heading; `x` the size's name ("pending callbacks", ...)
  peers    [(peer name, runner, argument)] as in config.PEERS
  points   [x values]; `args(x, quick)` the programs' options at that size
  ratios   [_ratio(ours, ref, kind, metric, text, shown target, predicate, points)]:
           kind "faster" (ours/ref of a rate), "cpu" (ref's CPU per item over ours), "less"
           (ref's metric over ours: x less), "over" (ours over ref), "abs" (ours' own metric);
           the predicate (None: no target) judges the ratio, at `points` only if given
  figure   (metric, unit), or a list of them, shown per peer in the table; `cost`
           [(metric, label)]: the cost per item on the chart (curves_report.DERIVED)
"""

from .config import log
from .peers import run_echo, run_peer

M = 1_000_000
ECHO_RUNNERS = ("echo",)


def _fmt_k(x):
    """1000 -> "10^3" for labels; small values as they are."""
    if x >= 1000 and f"{x:.0e}".startswith("1e"):
        return f"10^{len(str(int(x))) - 1}"
    return str(x)


def _b1_args(k, quick):
    n = max(100_000 if quick else M, k)
    return ["--chains", str(k), "--n", str(n)]


def _b2_args(k, quick):
    # Today's B2 density: 200,000 timers over 50 ms, 4 per µs of span (see METHOD).
    n = max(10_000 if quick else 100_000, k)
    return ["--pending", str(k), "--n", str(n), "--span", f"{k / 4e6:.9f}"]


def _b4_args(threads):
    def args(n, quick):
        n = n // 100 if quick else n
        return ["--threads", str(threads), "--n", str(n), "--warmup-n",
                str(min(n // 10, 100_000))]
    return args


def _b5_args(mode):
    def args(k, quick):
        n = max(10_000 if quick else 100_000, k)
        # A full-size warm-up, as the single-size B5 has: a server's pools and heap are warm
        # (after a tenth-size one, asyncio-cpp's first 10^5 tasks ran at a third of the rate).
        return ["--pending", str(k), "--n", str(n), "--await", mode, "--warmup-n", str(n)]
    return args


def _b7_args(inflight, quick):
    # 1000 children: uvloop spawns about 130 a second here, so 2000 would take 15 s a run.
    return ["--n", "100" if quick else "1000", "--inflight", str(inflight)]


def _echo_args(conns, quick):
    window = ["--seconds=0.3", "--warmup=0.1"] if quick else ["--seconds=1", "--warmup=0.3"]
    return [f"--conns={conns}"] + window


def _n_args(n, quick):
    return ["--n", str(n // 100 if quick else n)]


def _b6_args(n, quick):
    # A memory figure needs no warm-up run (bench_tasks has none; core_py's would only cost time).
    return _n_args(n, quick) + ["--warmup-n", "0"]


def _idle_args(conns, quick):
    return [f"--conns={conns}"]


TASK_PEERS = [("asyncio-cpp", "tasks", "cpp"), ("asio", "tasks", "asio"),
              ("asyncio", "py", "asyncio"), ("uvloop", "py", "uvloop")]
CORE_PEERS = [("asyncio-cpp", "cxx", "cpp"), ("asio", "cxx", "asio"), ("libuv", "uv", "uv"),
              ("asyncio", "py", "asyncio"), ("uvloop", "py", "uvloop")]
RATE = ("rate", "per s")
PENDING = [1, 1000, 100_000, M]


def _ratio(ours, ref, kind, metric, text, shown="-", pred=None, at=None):
    return {"ours": ours, "ref": ref, "kind": kind, "metric": metric, "text": text,
            "shown": shown, "pred": pred, "at": at}


def _curve(name, chart, bench, title, x, peers, points, args, ratios, figure=RATE,
           cost=(("ns", "ns per item"),), rounds=None, py_extra=()):
    return {"name": name, "chart": chart, "bench": bench, "title": title, "x": x,
            "peers": peers, "points": points, "args": args, "ratios": ratios,
            "figure": figure, "cost": list(cost), "rounds": rounds or {},
            "py_extra": list(py_extra)}


def _b4_curves():
    out = []
    for t in (1, 4, 16):
        label = f"{t} producer{'s' if t > 1 else ''}"
        out.append(_curve(
            f"B4/{label}", "B4", "B4", f"B4 thread-safe flood, {label}: call_soon_threadsafe",
            "calls", CORE_PEERS[:2] + CORE_PEERS[3:], [100_000, M, 10 * M], _b4_args(t),
            [_ratio("asyncio-cpp", "uvloop", "faster", "rate", "callbacks/s >= 10x uvloop",
                    "≥ 10x", lambda r: r >= 10.0)],
            rounds={10 * M: 1},  # Python at 10^7 calls takes tens of seconds: one round
            py_extra=["--max-seconds", "1000000"]))  # never scale the Python count down
    return out


def _b5_curves():
    out = []
    for mode, how in (("gather", "gathered"), ("each", "awaited one by one")):
        out.append(_curve(
            f"B5/{mode}", "B5", "B5", f"B5 task churn, tasks {how}", "pending tasks",
            TASK_PEERS, [1000, 100_000, M], _b5_args(mode),
            [_ratio("asyncio-cpp", "uvloop", "faster", "rate", "tasks/s >= 30x uvloop",
                    "≥ 30x", lambda r: r >= 30.0)],
            rounds={M: 1}))  # each Python run (and its warm-up) takes about 20 s here
    for mode, how in (("gather", "gathered"), ("each", "awaited one by one")):
        out.append(_curve(
            f"B5e/{mode}", "B5e", "B5e", f"B5e eager tasks against lazy, tasks {how}",
            "pending tasks",
            [("asyncio-cpp (eager)", "tasks", "eager"), ("asyncio-cpp (lazy)", "tasks", "lazy")],
            [1000, 100_000, M], _b5_args(mode),
            [_ratio("asyncio-cpp (eager)", "asyncio-cpp (lazy)", "faster", "rate",
                    "tasks/s >= 2x lazy tasks", "≥ 2x", lambda r: r >= 2.0)]))
    return out


ECHO_B9 = [("asyncio-cpp (protocol)", "echo", "cpp:protocol"),
           ("asyncio-cpp (buffered)", "echo", "cpp:buffered"), ("raw asio", "echo", "asio"),
           ("libuv", "echo", "uv"), ("asyncio (protocol)", "echo", "asyncio:protocol"),
           ("uvloop (protocol)", "echo", "uvloop:protocol")]
ECHO_B10 = [("asyncio-cpp (streams)", "echo", "cpp:streams"), ("raw asio", "echo", "asio"),
            ("asyncio (streams)", "echo", "asyncio:streams"),
            ("uvloop (streams)", "echo", "uvloop:streams")]
ECHO_B12 = ECHO_B9[:2] + [("asyncio-cpp (streams)", "echo", "cpp:streams")] + ECHO_B9[2:5] + \
    [("asyncio (streams)", "echo", "asyncio:streams")] + ECHO_B9[5:] + \
    [("uvloop (streams)", "echo", "uvloop:streams")]
SERVER_CPU = (("server_ns", "server CPU ns per request"),)

CURVES = [
    _curve("B1", "B1", "B1", "B1 call_soon throughput against pending callbacks",
           "pending callbacks", CORE_PEERS, PENDING, _b1_args,
           [_ratio("asyncio-cpp", "asio", "faster", "rate", "callbacks/s >= 1.0x raw asio::post",
                   "≥ 1.0x", lambda r: r >= 1.0)]),
    _curve("B2", "B2", "B2", "B2 timers (half cancelled) against timers pending at once",
           "pending timers", CORE_PEERS, PENDING, _b2_args,
           [_ratio("asyncio-cpp", "asio", "cpu", "cpu_ns",
                   "CPU time >= 1.5x better than raw steady_timer", "≥ 1.5x",
                   lambda r: r >= 1.5)],
           figure=("cpu_ns", "CPU ns per timer"), cost=(("cpu_ns", "CPU ns per timer"),),
           rounds={M: 1}),  # each Python run takes 15-20 s at 10^6 timers
] + _b4_curves() + _b5_curves() + [
    _curve("B9", "B9", "B9", "B9 TCP echo, protocol API, 1 KiB, against connections",
           "connections", ECHO_B9, [10, 100, 1000], _echo_args,
           [_ratio("asyncio-cpp (protocol)", "raw asio", "faster", "rate",
                   "protocol echo requests/s >= 1.0x raw asio", "≥ 1.0x", lambda r: r >= 1.0)],
           cost=SERVER_CPU),
    _curve("B10", "B10", "B10", "B10 TCP echo, streams API, 1 KiB, against connections",
           "connections", ECHO_B10, [10, 100, 1000], _echo_args,
           [_ratio("asyncio-cpp (streams)", "raw asio", "faster", "rate",
                   "streams echo requests/s >= 0.9x raw asio", "≥ 0.9x", lambda r: r >= 0.9)],
           cost=SERVER_CPU),
    _curve("B7", "B7", "B7", "B7 spawn and wait for /bin/true against children in flight",
           "children in flight",
           [("asyncio-cpp (pidfd)", "unix", "pidfd"), ("asyncio-cpp (thread)", "unix", "thread"),
            ("posix_spawn", "unix", "spawn"), ("asyncio", "py", "asyncio"),
            ("uvloop", "py", "uvloop")], [1, 8, 64], _b7_args,
           [_ratio(ours, "posix_spawn", "faster", "rate",
                   "children/s >= 1.0x raw posix_spawn+waitpid", "≥ 1.0x", lambda r: r >= 1.0)
            for ours in ("asyncio-cpp (pidfd)", "asyncio-cpp (thread)")]),
    _curve("B6", "B6", "B6", "B6 memory: bytes per suspended task and per pending call_later "
           "handle", "tasks (and handles)", TASK_PEERS, [1000, 100_000, M], _b6_args,
           [_ratio("asyncio-cpp", "asio", "less", "bytes_per_task",
                   "times less memory per task than raw asio (no target)"),
            _ratio("asyncio-cpp", "uvloop", "less", "bytes_per_task",
                   "times less memory per task than uvloop (no target)")],
           figure=[("bytes_per_task", "bytes per task"), ("bytes_per_handle", "bytes per handle")],
           cost=(("bytes_per_task", "bytes per task"), ("bytes_per_handle", "bytes per handle"))),
    _curve("B12", "B12", "B12", "B12 memory: server RSS per idle TCP connection",
           "connections", ECHO_B12, [10, 100, 1000], _idle_args,
           [_ratio("asyncio-cpp (protocol)", "raw asio", "over", "bytes_per_conn",
                   "bytes per connection over raw asio's (no target)")],
           figure=("bytes_per_conn", "bytes per connection"),
           cost=(("bytes_per_conn", "bytes per connection"),)),
    _curve("B17", "B17", "B17", "B17 RSS after a burst of tasks", "tasks in the burst",
           TASK_PEERS, [100_000, M], _n_args,
           [_ratio("asyncio-cpp", None, "abs", "after_over_before",
                   "RSS after the burst <= 1.10x RSS before it, at 10^6 tasks", "≤ 1.10",
                   lambda r: r <= 1.10, [M])],
           figure=[("after_over_before", "RSS after / before"),
                   ("peak_bytes", "peak bytes per task")],
           cost=(("peak_bytes", "peak bytes per task"),)),
]

QUICK_POINTS = 2  # --quick: each curve at its two smallest sizes


def selected(only):
    """The curves to run: all, or those whose benchmark --only names."""
    return [c for c in CURVES if not only or c["bench"] in only or c["chart"] in only]


def points_of(curve, quick):
    return curve["points"][:QUICK_POINTS] if quick else curve["points"]


def label_of(x):
    return _fmt_k(x)


def command(curve, runner, arg, x, python, quick, paths):
    bench = curve["bench"]
    tail = ["--reps", "1"] + curve["args"](x, quick)
    if runner == "py":
        return [python, str(paths["py"]), bench, arg] + tail + curve["py_extra"]
    return [str(paths[runner]), bench, arg] + tail


def run_point(curve, name, runner, arg, x, python, quick, paths):
    if runner in ECHO_RUNNERS:
        config = {curve["bench"]: curve["args"](x, quick)}
        return run_echo(curve["bench"], name, arg, python, config, sizes="--sizes=1024")
    return run_peer(command(curve, runner, arg, x, python, quick, paths))


def b17_available(python, paths):
    """B17 is another helper's program mode: run it only if every peer has it."""
    probes = [[str(paths["tasks"]), "B17", "cpp", "--n", "1000", "--reps", "1"],
              [python, str(paths["py"]), "B17", "asyncio", "--n", "1000", "--reps", "1"]]
    for cmd in probes:
        try:
            lines = run_peer(cmd)
        except Exception as e:  # noqa: BLE001 - any failure means the mode is missing
            log(f"warning: B17 is skipped ({' '.join(cmd[-6:])} failed: {e})")
            return False
        if not lines or lines[0].get("bench") != "B17":
            log(f"warning: B17 is skipped ({' '.join(cmd[-6:])} is not the B17 mode)")
            return False
    return True


def run_curves(curves, rounds, python, quick, paths, available):
    """samples[curve name][size label][peer] = JSON lines, from interleaved rounds: each
    round measures every size, and at each size every peer (order rotated per round)."""
    samples = {}
    for curve in curves:
        if curve["bench"] == "B17" and not b17_available(python, paths):
            continue
        peers = available(curve["peers"])
        table = samples[curve["name"]] = {}
        points = points_of(curve, quick)
        for x in points:
            table[label_of(x)] = {name: [] for name, _, _ in peers}
        for r in range(rounds):
            for x in points:
                if r >= curve["rounds"].get(x, rounds):
                    continue
                turn = peers[r % len(peers):] + peers[:r % len(peers)]
                for name, runner, arg in turn:
                    log(f"curve {curve['name']} at {label_of(x)}, round {r + 1}/{rounds}: {name}")
                    lines = run_point(curve, name, runner, arg, x, python, quick, paths)
                    table[label_of(x)][name] += lines
    return samples


def by_name(name):
    return next(c for c in CURVES if c["name"] == name)
