"""The Markdown report (docs/06-benchmarks.md): method, tables and the analysis."""

import datetime

from .charts import write_charts
from .config import AGAINST, ANALYSIS, TITLES, base_of, ours_of
from .summary import fmt_m, target_rows

def bench_table(bench, rows):
    if base_of(bench) in ("B9", "B10", "B11"):
        ref = AGAINST[base_of(bench)]
        head = ("| peer | requests/s | range | MB/s (one way) | server CPU µs per request "
                f"| server CPU x {ref} | requests | requests/s x {ref} | per round |")
        raw_cpu = rows[ref]["server_us_per_req"]
        body = [f"| {p} | {r['rate']:.0f} | {r['lo']:.0f}-{r['hi']:.0f} "
                f"| {r['bytes_per_s'] / 1e6:.1f} | {r['server_us_per_req']:.2f} "
                f"| {r['server_us_per_req'] / raw_cpu:.2f}x | {r['n']} "
                f"| {r['ratio']:.2f}x | {r['paired']} |" for p, r in rows.items()]
    elif bench == "B12":
        head = ("| peer | bytes per idle connection | range | server RSS before (KiB) "
                "| connections | x raw asio | per round |")
        body = [f"| {p} | {r['bytes_per_conn']:.0f} | {r['lo']:.0f}-{r['hi']:.0f} "
                f"| {r['rss_before_kb']:.0f} | {r['n']} | {r['ratio']:.2f}x | {r['paired']} |"
                for p, r in rows.items()]
    elif bench in ("B3", "B8"):
        unit = "pings" if bench == "B3" else "signals"
        head = (f"| peer | p50 (µs) | p50 range | p99 (µs) | {unit} "
                "| asyncio-cpp p50 / peer p50 | per round |")
        body = [f"| {p} | {r['p50_us']:.2f} | {r['lo']:.2f}-{r['hi']:.2f} | {r['p99_us']:.2f} "
                f"| {r['n']} | {r['ratio']:.2f}x | {r['paired']} |" for p, r in rows.items()]
    elif bench == "B7":
        head = (f"| peer | children/s | range | children | µs per child | parent CPU µs "
                f"per child | children's CPU µs per child | {ours_of(bench)} speed-up "
                "| per round |")
        body = [f"| {p} | {r['rate']:.0f} | {r['lo']:.0f}-{r['hi']:.0f} | {r['n']} "
                f"| {1e6 / r['rate']:.0f} | {r['cpu_s'] * 1e6 / r['n']:.0f} "
                f"| {r['children_cpu_s'] * 1e6 / r['n']:.0f} | {r['ratio']:.2f}x "
                f"| {r['paired']} |" for p, r in rows.items()]
    elif bench == "B2":
        head = ("| peer | CPU (ms) | CPU range | wall (ms) | timers "
                "| asyncio-cpp speed-up on CPU | per round | on wall |")
        ours_wall = rows["asyncio-cpp"]["wall_s"]
        body = [f"| {p} | {r['cpu_s'] * 1e3:.1f} | {r['lo'] * 1e3:.1f}-{r['hi'] * 1e3:.1f} "
                f"| {r['wall_s'] * 1e3:.1f} | {r['n']} | {r['ratio']:.2f}x | {r['paired']} "
                f"| {r['wall_s'] / ours_wall:.2f}x |" for p, r in rows.items()]
    elif bench == "B13":
        head = ("| peer | ns per get | range | ns per set | operations "
                "| asyncio-cpp speed-up on get | per round |")
        body = [f"| {p} | {r['get_ns']:.1f} | {r['lo']:.1f}-{r['hi']:.1f} | {r['set_ns']:.1f} "
                f"| {r['n']} | {r['ratio']:.2f}x | {r['paired']} |" for p, r in rows.items()]
    elif base_of(bench) in ("B16", "B16t", "B14"):
        unit = "round trip" if base_of(bench) == "B14" else "await"
        ours_cpu = rows["asyncio-cpp"]["cpu_s"] / rows["asyncio-cpp"]["n"]
        head = (f"| peer | {unit}s/s (millions) | range | {unit}s | ns per {unit} "
                f"| CPU ns per {unit} | asyncio-cpp speed-up | per round | on CPU |")
        body = [f"| {p} | {fmt_m(r['rate'])} | {fmt_m(r['lo'])}-{fmt_m(r['hi'])} "
                f"| {r['n']} | {1e9 / r['rate']:.1f} | {r['cpu_s'] * 1e9 / r['n']:.1f} "
                f"| {r['ratio']:.2f}x | {r['paired']} "
                f"| {r['cpu_s'] / r['n'] / ours_cpu:.2f}x |" for p, r in rows.items()]
    elif bench == "B6":
        head = ("| peer | bytes per suspended task | range | bytes per pending handle "
                "| heap allocations per small call_soon | tasks "
                "| asyncio-cpp uses x less per task | per round |")
        body = [f"| {p} | {r['bytes_per_task']:.0f} | {r['lo']:.0f}-{r['hi']:.0f} "
                f"| {cell(r, 'bytes_per_handle', '.0f')} "
                f"| {cell(r, 'allocs_per_call_soon', '.4f')} | {r['n']} "
                f"| {r['ratio']:.2f}x | {r['paired']} |" for p, r in rows.items()]
    else:
        unit = "tasks" if bench in ("B5", "B5e") else "callbacks"
        against = "stats on / stats off" if bench == "B15" else "asyncio-cpp speed-up"
        head = (f"| peer | {unit}/s (millions) | range | {unit} | ns per {unit[:-1]} "
                f"| {against} | per round |")
        body = [f"| {p} | {fmt_m(r['rate'])} | {fmt_m(r['lo'])}-{fmt_m(r['hi'])} "
                f"| {r['n']} | {1e9 / r['rate']:.1f} | {r['ratio']:.2f}x | {r['paired']} |"
                for p, r in rows.items()]
    sep = "|" + "|".join("---" for _ in head.split("|")[1:-1]) + "|"
    bad = [p for p, r in rows.items() if not r["ok"]]
    note = [f"\n**Verification FAILED for: {', '.join(bad)}**"] if bad else []
    return [f"### {TITLES[bench]}", "", head, sep] + body + note + [""]


def cell(row, key, spec):
    return format(row[key], spec) if key in row else "-"


# ---------------------------------------------------------------- report

METHOD = """\
All peers run the same workload shape, in one `bench/run`, in interleaved rounds: each
round starts one process per peer (peer order rotated between rounds); every process first
does an unprinted warm-up run (a tenth of the count; B3 warms up with 200 discarded pings) and
then one measured run. The figures are medians over the rounds. The machine is shared and
small, so absolute figures drift between runs; **compare the ratios**, which are taken
between peers measured side by side.

- **B1** `call_soon` throughput: 1,000,000 callbacks as 1000 concurrent chains; each callback
  schedules its successor with `call_soon` until 1,000,000 have been scheduled.
  Peers: `asio::post` on `io_context(1)`, same chains; libuv (C: a ring of callbacks drained
  by a `uv_idle_t` handle, which is how uvloop runs `call_soon` on libuv); CPython asyncio;
  uvloop.
- **B2** timers: 200,000 `call_later` with delays uniform in [0, 50 ms] (splitmix64, fixed
  seed; every peer uses bit-identical delays and cancels the same random half, in the same
  order), then the loop runs until the other 100,000 fired (counted and verified: none of the
  cancelled ones fires). Timed: scheduling + cancelling + running. Peers: one
  `asio::steady_timer` per call with `async_wait`, half cancelled; one `uv_timer_t` per call
  (libuv timers have millisecond resolution), half stopped. **The ratio is on process CPU time**
  (`CLOCK_PROCESS_CPUTIME_ID` / `time.process_time()`): the wall time cannot go below the
  50 ms span of the delays, so it mostly measures the floor.
- **B3** `call_soon_threadsafe` latency with an idle loop: a producer thread busy-waits
  200 µs (so the loop sleeps in `epoll_wait`), takes t0 (steady clock), calls
  `call_soon_threadsafe(cb)`; `cb` takes t1 and signals the producer (C++: an atomic flag the
  producer spins on; Python: a lock it blocks on). p50/p99 of t1 - t0 over 3000 pings after
  200 warm-up pings. Raw peer: a thread blocked in `epoll_wait` on a pipe; the producer
  writes one byte, the thread reads it and takes t1. libuv: `uv_async_send` to a loop asleep
  in `uv_run`.
- **B4** thread-safe flood: 4 producer threads call `call_soon_threadsafe` 750,000 times each
  (3,000,000 in all, so that a C++ run lasts about 0.3 s rather than 0.1 s and one burst of
  other load moves it less) with a callback that counts; timed from releasing the producers
  until the loop stops at the last count. Peer `asio::post` from 4 threads to `io_context(1)`.
  (core_py.py would scale the Python count down if a run were predicted to exceed 20 s; the
  `callbacks` column shows the count used.)
- **B5** task churn: 200,000 tasks, each `create_task` + `sleep(0)`, then `gather` over all of
  them. Peers: `asio::co_spawn` of 200,000 coroutines that each `post` once; asyncio; uvloop.
  B5 warms up with one full-size run for every peer (a server's pools and heap are warm); a
  cold first run of asyncio-cpp is about 30% slower, as it faults in ~100 MB of fresh heap.
- **B6** memory: 100,000 tasks suspended on one future, then 100,000 pending `call_later(3600)`
  handles; bytes per task and per handle. C++: heap in use (`mallinfo2`) before and after;
  Python: `tracemalloc`, which sees every Python object (uvloop's handles are Python objects
  too). Raw Asio: coroutines each suspended on a `steady_timer`. The allocation column counts
  `operator new` calls (bench_tasks replaces it) while 50,000 `call_soon` of a three-pointer
  lambda are scheduled, after a first batch of the same size has grown the handle pool and
  the ready queue: the target is none. (The pool keeps the handles a burst freed until the
  loop next blocks, then trims itself to 1024 per size class.)
- **B7** spawn and wait: 5000 children of `/bin/true` (stdin, stdout and stderr on
  `/dev/null`, nothing else inherited), 8 in flight: 8 workers each loop over
  `create_subprocess_exec` + `wait()` until 5000 have started (each checks return code 0).
  5000 rather than fewer, so that each run lasts long enough for the load of other tenants to
  even out.
  asyncio-cpp runs twice, as two peers: with the pidfd child watcher and with the threaded one
  (`ASYNCIO_CPP_CHILD_WATCHER`), both starting children with its default launcher (`clone3`
  with `CLONE_CLEAR_SIGHAND`); its children open `/dev/null` themselves. Raw peer: `posix_spawn` with `/dev/null` opened once by the parent and dup2'd onto
  0-2, 8 children, then `waitpid` on each slot in turn and a new child in its place. CPython asyncio
  (3.11) waits with its ThreadedChildWatcher (3.12 would use pidfd); uvloop uses libuv's
  `uv_spawn`. Besides children/s the table shows the parent's CPU time per child (the loop's
  own cost, watcher threads included) and the children's (`RUSAGE_CHILDREN`: exec, the
  dynamic loader, exit). The wall time is bound by the children and by the machine's cores,
  so the ratios on it are bounded too: a peer cannot be more times faster than its children
  are cheaper.
- **B8** signal latency: `add_signal_handler(SIGUSR1, cb)`; the sender takes t0 and calls
  `kill(getpid(), SIGUSR1)`; `cb` takes t1 and completes a future the sender awaits before
  the next signal (one signal at a time; the loop thread sends, so the loop does not sleep
  between kill and callback). p50/p99 of t1 - t0 over 5000 signals, after a warm-up run of a
  tenth of that. Raw peer: a `sigaction` handler writing the signal number to a non-blocking
  pipe, an `epoll_wait` loop reading it, which takes t1 and sends the next signal.
- **B9** and **B10** TCP echo over loopback: one server process (one loop, one thread) on
  127.0.0.1 and `echo_client` (raw non-blocking sockets, one level-triggered epoll thread)
  with 10 connections, each ping-ponging one message at a time: send it, wait for the whole
  echo (checked byte for byte), send it again. Message sizes 1 KiB, 10 KiB and 100 KiB in turn
  on the same connections, each 0.5 s unmeasured, then 2 s measured (requests completed in the
  window). Server and client are pinned to the same CPU (the highest one `bench/run` may use):
  unpinned, the kernel moves them between running on one CPU and on two, and on this virtual
  machine a cross-CPU wakeup costs so much more that requests/s jumped 3-4x between the two
  regimes within one run. B9 is the Protocol API: `asyncio-echo-server` with a Protocol
  (`data_received` writes back) and with a BufferedProtocol (a 256 KiB buffer,
  `buffer_updated` writes back); libuv (`uv_echo_server.c`: `uv_read_start` into a 256 KiB
  buffer per connection, `uv_write` back, read again); CPython asyncio and uvloop with the
  same protocol code (`bench/echo_py.py`). B10 is the streams API: `read(256 KiB)`, `write`,
  `drain`, in asyncio-cpp, asyncio and uvloop. Both are measured against the raw Boost.Asio
  server (`async_read_some` into a 256 KiB buffer per connection, `async_write`,
  `io_context(1)`), which runs in both. Ratios are each peer's requests/s over raw Asio's.
  The server CPU column is the server's CPU time (`/proc/<pid>/task/*/schedstat`) in the
  window over the requests (user and kernel time, the TCP stack included): it shows the
  server's own cost per request, whatever else the shared machine ran meanwhile; it is the
  steadier figure of the two.
- **B11** multi-loop echo: `asyncio-echo-server --loops=K --pin` runs K loops on K threads,
  each with its own `SO_REUSEPORT` listening socket, loop i pinned to CPU i; `echo_client
  --threads=K --pin` runs K client threads, thread i pinned to CPU i with 10 connections. A
  reuseport BPF program on the server's sockets (`SO_ATTACH_REUSEPORT_CBPF`: socket index = the
  CPU handling the SYN) hands each connection to the loop on the CPU it came from, as a
  multi-loop server on Linux does to keep connections CPU-local. So 1 loop is one CPU serving
  10 connections (server and client sharing it, as in B9), and 2 loops are two such CPUs side
  by side: the ratio shows whether loops in one process scale, that is, share nothing that
  serialises them. Protocol API, 1 KiB and 10 KiB, windows as in B9.
- **B12** memory per idle connection: `echo_client` opens 10 connections and echoes one byte
  on each (the server's one-time costs), reads the server's `VmRSS` (`/proc/<pid>/status`),
  opens 1000 more connections, echoing one byte on each (so the server has accepted and set up
  every one), and reads `VmRSS` again: bytes per connection = the difference / 1000. The
  ratio column is each peer's figure over raw Asio's.
- **B5e** eager tasks: B5's program without its `sleep(0)`, so each task's coroutine returns at
  once (200,000 tasks, created in a loop, then gathered), once with `eager_task_factory` and
  once without; the ratio is eager over lazy. There is no Python peer: this machine's
  uvloop runs on 3.11, which has no eager tasks.
- **B15** the cost of `loop.stats()`: B1's program (10^6 callbacks as 1000 chains), once with
  `loop.set_stats(true)` and once without, in alternating processes; the ratio is callbacks/s
  with stats on over stats off (target: at most 2% slower). With stats on the loop reads the
  clock per batch, around each poll and per timer, never per callback.
- **B13** context variables: ten `ContextVar`s set in a copied context, then 10^6 `get()` and
  10^6 `set()` of one of them, timed apart, in asyncio-cpp and in CPython's `contextvars`.
  The targets are absolute: at most 20 ns each.
- **B16** `use_future`: a task does `co_await timer.async_wait(asyncio::use_future)` on a
  `steady_timer` whose expiry has passed, again and again; peer: the same loop in an
  `asio::awaitable` with `asio::use_awaitable` on a plain `io_context(1)`. A curve over the
  awaits per run (1, 100, 10k, 100k): a run is one `run_until_complete` of the task (one
  `co_spawn` + `io.run()` for the peer), repeated until 100,000 awaits are done, so that small
  sizes show the fixed cost of a run. **B16t** shares the 100,000 awaits between 1, 2, 4, 8 or
  16 concurrent tasks (coroutines), each on its own timer. An expired timer still goes through
  Asio's timer queue and its `timerfd`: each wait costs the kernel a `timerfd_settime` or two and
  an `epoll_wait` wake-up, which dominate both peers' wall time on this virtual machine, so the
  tables also give the process CPU time per await. (The issue's 10^6 awaits per run take 30-40 s
  per run here; 100,000 give the same figure per await.)
- **B14** `async_run` round trip: an `asio::awaitable` on the loop's `io_context` does
  `co_await asyncio::async_run(loop, trivial(), asio::use_awaitable)`, where `trivial()` is a
  `Coro<long>` that returns at once; peer: `co_await asio::co_spawn(ex, trivial(),
  asio::use_awaitable)` of an `asio::awaitable<long>` on `io_context(1)`. Sizes as in B16.
  bench_interop is built with B14 only when `asio_interop.hpp` declares `async_run`; otherwise
  bench/run says so and leaves B14 out.

**Curves** (section Curves; `bench/runner/curves.py`): B1, B2, B4, B5, B5e, B6, B7, B9, B10,
B12 and B17 measured again at several workload sizes, every peer at every size in the same
run. Each round measures every size, and at each size every peer (order rotated per round);
3 rounds per size (`--rounds` overrides), except where a Python peer's run takes 15 s or more:
1 round at B2 and B5 at 10^6 and B4 at 10^7 (every peer still runs there), so that
`bench/run --curves` stays within about 25 minutes. Ratios and targets are per size, on the medians.
The chart of a benchmark shows the ratio against size (the target dashed) and, below, each
peer's cost per item (ns per callback, timer, call, task or child; the server's CPU per echo
request; bytes per task, handle or connection) against size, both on log-scale x.

- **B1** at K = 1, 10^3, 10^5, 10^6 pending callbacks: `--chains K`, `--n max(10^6, K)`
  callbacks per run (B1's 10^3 point is the single-size B1).
- **B2** at K = 1, 10^3, 10^5, 10^6 timers pending at once: `--pending K`, `--n max(10^5, K)`
  timers per run, in batches of K; each batch schedules K timers, cancels half of them and
  runs until the other half fired. The delays keep the single-size B2's density, 4 timers per
  µs of span (200,000 over 50 ms): a batch's span is K / 4 µs (`--span`), so a run lasts
  about as long at every K (at 50 ms per batch, 10^5 batches of 1 would take over an hour).
  libuv rounds its delays to milliseconds: at K < 4000 all of its timers are due at once.
  CPU time, as B2.
- **B4** with T = 1, 4, 16 producer threads (on this machine's 2 cores) and N = 10^5, 10^6,
  10^7 calls: `--threads T --n N`, warm-up `min(N / 10, 10^5)`; the Python peers never scale
  their count down (`--max-seconds` set out of reach). One curve per T, one chart.
- **B5** at K = 10^3, 10^5, 10^6 concurrently pending tasks, `--pending K`, `--n max(10^5, K)`
  tasks per run in batches of K, each batch gathered (`--await gather`) or awaited one by one
  in creation order (`--await each`); raw Asio's coroutines are detached and counted
  (`co_spawn` has no gather), one batch after the other. **B5e** the same sizes and modes for
  eager against lazy tasks (target: eager >= 2x lazy). Warm-up: one full-size run, as in B5.
- **B6** at n = 10^3, 10^5, 10^6 tasks and handles, no warm-up run; no target. **B12** at 10, 100, 1000 idle
  connections (`--conns`); no target.
- **B7** at 1, 8, 64 children in flight (`--inflight`), 1000 children per run. The target is
  now asyncio-cpp (pidfd and thread watchers) >= 1.0x raw `posix_spawn`+`waitpid` at each
  point; uvloop is shown without a target (its old target, 6x uvloop, is retired: raw
  `posix_spawn` itself reached only 5.9x uvloop).
- **B9** and **B10** at 10, 100, 1000 connections, 1 KiB messages, 0.3 s unmeasured and 1 s
  measured per run, server and client pinned to one CPU as in B9.
- **B17** RSS after a burst: `bench_tasks B17 <cpp|asio>` and `core_py.py B17
  <asyncio|uvloop>` at n = 10^5 and 10^6 tasks (the programs' comments give the burst's exact
  shape) report `VmRSS` before the burst, at its peak and after it finished; the target is asyncio-cpp's after / before <= 1.10
  at 10^6 tasks (memory comes back after a burst). The chart shows the peak bytes per task.
  A build without the B17 mode leaves B17 out, with a warning.

The Python peers run with default settings, cyclic GC included. In B4 the producers queue
a large backlog of handles, and the GC passes over it weigh heavily on uvloop's figure: in a
check on the same machine, uvloop 0.17 with `gc.disable()` ran B4 about 6x faster, and at a
count of 200,000 about 2-3x faster per callback. B3's wakeup latency is bimodal on this
virtual machine for every peer alike (about 1 µs for the raw peer when the idle vCPU wakes
quickly, several µs when it does not; the regime can change in the middle of a run), and
host preemption shows up in p99 as milliseconds. A fixed extra cost of asyncio-cpp weighs
far more in fast-wake rounds than in slow ones, so read B3's ratio together with the epoll
p50 range and the per-round column.
"""


def write_report(path, machine, summary, config, quick, elapsed, curves=()):
    out = ["# Benchmarks", "",
           f"Generated by `bench/run{' --quick' if quick else ''}` on "
           f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC} "
           f"in {elapsed / 60:.1f} min; do not edit by hand, re-run it.", ""]
    if quick:
        out += ["**Quick mode (smoke test): small counts, one round; not meaningful figures.**",
                ""]
    out += ["## Targets", "", "Ratios from this one run (see Results for every figure).", ""]
    out += target_rows(summary) + [""] + write_charts(path.parent / "images", summary)
    out += list(curves)
    out += ["## Machine", "", "| | |", "|---|---|"]
    out += [f"| {k} | {v} |" for k, v in machine.items()] + [""]
    out += ["## Method", "", METHOD,
            f"Rounds (repetitions per peer): {config['rounds']} for B1-B8, B13-B16, "
            f"{config['echo_rounds']} for the echo servers (B9-B12).", ""]
    out += ["## Results", "",
            "Medians over the rounds (range: the lowest and highest round; per round: the "
            "lowest and highest ratio between runs of the same round). "
            "Speed-up = how many times faster asyncio-cpp is than the peer "
            "(> 1: asyncio-cpp is faster); for B3 and B8 the ratio is asyncio-cpp's latency "
            "over the peer's (< 1: asyncio-cpp is faster). B7's ratios are taken against "
            "asyncio-cpp with its default (pidfd) child watcher. B9's, B10's and B12's ratios "
            "are each peer's figure over raw Asio's (B9, B10: > 1 is faster than raw Asio; "
            "B12: > 1 is more memory per connection); B11's are over the single loop's.", ""]
    for bench, rows in summary.items():
        out += bench_table(bench, rows)
    if ANALYSIS.exists():
        out += [ANALYSIS.read_text().rstrip(), ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out))
    return out
