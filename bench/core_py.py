"""Benchmarks B1-B8, B13 and B17 on CPython asyncio or uvloop, the peers of bench_core,
bench_tasks and bench_unix.

    python3 core_py.py <B1|...|B8> <asyncio|uvloop> [--n N] [--reps R] [--warmup-n N] ...

B2 and B5 take --pending K (batches of K timers or tasks pending at once) and B5 --await
gather|each, as bench_core and bench_tasks do.

Same workloads and the same JSON lines as the C++ programs (see docs/06-benchmarks.md); after an
unprinted warm-up run, each repetition prints one line.
"""

import argparse
import asyncio
import json
import math
import os
import resource
import signal
import sys
import threading
import time

MASK = (1 << 64) - 1
DEFAULT_N = {"B1": 1_000_000, "B2": 200_000, "B3": 3_000, "B4": 1_000_000, "B5": 200_000,
             "B6": 100_000, "B7": 2_000, "B8": 5_000, "B13": 1_000_000, "B17": 1_000_000}


def new_loop(kind):
    if kind == "uvloop":
        import uvloop

        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def finish(t_wall, t_cpu, n, ok):
    wall = time.perf_counter() - t_wall
    cpu = time.process_time() - t_cpu
    return {"n": n, "wall_s": wall, "cpu_s": cpu, "rate": n / wall, "ok": ok}


# ---------------------------------------------------------------- B1: call_soon chains


def b1(args, kind, n):
    loop = new_loop(kind)
    ran = scheduled = 0

    def step():
        nonlocal ran, scheduled
        if scheduled < n:
            scheduled += 1
            loop.call_soon(step)
        ran += 1
        if ran == n:
            loop.stop()

    t_wall, t_cpu = time.perf_counter(), time.process_time()
    while scheduled < min(args.chains, n):
        scheduled += 1
        loop.call_soon(step)
    loop.run_forever()
    result = finish(t_wall, t_cpu, n, ran == n)
    loop.close()
    return result


# ---------------------------------------------------------------- B2: timers, half cancelled


def splitmix64(state):
    """One step of splitmix64, bit for bit as bench_core computes it: (state, value)."""
    state = (state + 0x9E3779B97F4A7C15) & MASK
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return state, z ^ (z >> 31)


def make_plan(n, span, seed):
    """Delays, and the cancelled half in cancelling order: the same as bench_core's."""
    state = seed
    delays = []
    for _ in range(n):
        state, z = splitmix64(state)
        delays.append((z >> 11) * 2.0**-53 * span)
    perm = list(range(n))
    for i in range(n - 1, 0, -1):
        state, z = splitmix64(state)
        j = z % (i + 1)
        perm[i], perm[j] = perm[j], perm[i]
    cancel_order = perm[: n // 2]
    cancelled = bytearray(n)
    for i in cancel_order:
        cancelled[i] = 1
    return delays, cancel_order, cancelled


def batches(args, n):
    """B2, B5 --pending: (batch count, batch size) of a run of n; 0 is one batch of n."""
    size = args.pending if 0 < args.pending < n else n
    return max(n // size, 1), size


def b2_batch(loop, plan):
    """One batch: the plan's timers all pending at once, half cancelled, run until the rest
    fired."""
    delays, cancel_order, cancelled = plan
    expected = len(delays) - len(delays) // 2
    fired = wrong = 0

    def on_fire(i):
        nonlocal fired, wrong
        fired += 1
        wrong += cancelled[i]
        if fired == expected:
            loop.stop()

    call_later = loop.call_later
    handles = [call_later(d, on_fire, i) for i, d in enumerate(delays)]
    for i in cancel_order:
        handles[i].cancel()
    loop.run_forever()
    return fired == expected and wrong == 0, handles


def b2(args, kind, n):
    count, size = batches(args, n)
    plan = make_plan(size, args.span, args.seed)
    loop = new_loop(kind)
    ok = True
    t_wall, t_cpu = time.perf_counter(), time.process_time()
    for _ in range(count):
        batch_ok, handles = b2_batch(loop, plan)  # the last batch's handles outlive the timing
        ok = ok and batch_ok
    result = finish(t_wall, t_cpu, count * size, ok)
    del handles
    loop.close()
    return result


# ---------------------------------------------------------------- B3: ping-pong latency


def percentile_us(sorted_ns, q):
    """Nearest rank, as bench_core computes it."""
    rank = max(math.ceil(q * len(sorted_ns)), 1)
    return sorted_ns[rank - 1] / 1000.0


def b3(args, kind, pings):
    loop = new_loop(kind)
    clock = time.perf_counter_ns  # CLOCK_MONOTONIC, shared by both threads
    pong = threading.Lock()
    pong.acquire()  # released by on_ping: the producer's wakeup
    t1 = [0]
    latencies = []

    def on_ping():
        t1[0] = clock()
        pong.release()

    def producer():
        idle_ns = args.idle_us * 1000
        for i in range(args.warmup_pings + pings):
            idle_end = clock() + idle_ns
            while clock() < idle_end:
                pass
            t0 = clock()
            loop.call_soon_threadsafe(on_ping)
            pong.acquire()
            if i >= args.warmup_pings:
                latencies.append(t1[0] - t0)
        loop.call_soon_threadsafe(loop.stop)

    thread = threading.Thread(target=producer)
    thread.start()
    loop.run_forever()
    thread.join()
    loop.close()
    latencies.sort()
    ok = len(latencies) == pings and pings > 0
    if not latencies:
        return {"n": 0, "p50_us": 0.0, "p99_us": 0.0, "ok": False}
    return {"n": len(latencies), "p50_us": percentile_us(latencies, 0.50),
            "p99_us": percentile_us(latencies, 0.99), "ok": ok}


# ---------------------------------------------------------------- B4: thread-safe flood


def b4(args, kind, n):
    loop = new_loop(kind)
    count = 0

    def on_call():
        nonlocal count
        count += 1
        if count == n:
            loop.stop()

    go = threading.Event()

    def produce(times):
        call = loop.call_soon_threadsafe
        go.wait()
        for _ in range(times):
            call(on_call)

    threads = [threading.Thread(target=produce, args=(n // args.threads + (t < n % args.threads),))
               for t in range(args.threads)]
    for t in threads:
        t.start()
    t_wall, t_cpu = time.perf_counter(), time.process_time()
    go.set()
    loop.run_forever()
    result = finish(t_wall, t_cpu, n, count == n)
    for t in threads:
        t.join()
    loop.close()
    return result


# ---------------------------------------------------------------- driver

# ---------------------------------------------------------------- B5: task churn


async def churn_worker():
    await asyncio.sleep(0)


async def await_all(tasks, each):
    if not each:
        return len(await asyncio.gather(*tasks))
    for t in tasks:
        await t
    return len(tasks)


async def churn(count, size, each):
    done = 0
    for _ in range(count):
        tasks = [asyncio.create_task(churn_worker()) for _ in range(size)]
        done += await await_all(tasks, each)
    return done


def b5(args, kind, n):
    count, size = batches(args, n)
    loop = new_loop(kind)
    try:
        t0 = time.perf_counter()
        done = loop.run_until_complete(churn(count, size, args.await_ == "each"))
        wall = time.perf_counter() - t0
    finally:
        loop.close()
    return {"n": count * size, "wall_s": wall, "rate": done / wall, "ok": done == count * size}


# ---------------------------------------------------------------- B6: memory


async def parked(never):
    await never


def b6(args, kind, n):
    """Bytes per task suspended on a future and per pending call_later handle (tracemalloc)."""
    import tracemalloc
    loop = new_loop(kind)
    try:
        never = loop.create_future()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        tasks = [loop.create_task(parked(never)) for _ in range(n)]
        loop.run_until_complete(asyncio.sleep(0))
        after_tasks = tracemalloc.get_traced_memory()[0]
        timers = [loop.call_later(3600, int) for _ in range(n)]
        after_timers = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        ok = not tasks[-1].done() and len(timers) == n
        for t in tasks:
            t.cancel()
        loop.run_until_complete(asyncio.sleep(0))
    finally:
        loop.close()
    return {"n": n, "wall_s": 0.0, "bytes_per_task": (after_tasks - before) / n,
            "bytes_per_handle": (after_timers - after_tasks) / n, "ok": ok}


# ---------------------------------------------------------------- B17: memory after a burst


def rss_kib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


async def burst(n, peak):
    tasks = [asyncio.create_task(churn_worker()) for _ in range(n)]
    peak.append(rss_kib())  # all n created and pending
    return len(await asyncio.gather(*tasks))


def b17(args, kind, n):
    """RSS before a burst of n sleep(0) tasks (after start-up and a burst of 1000), at its peak,
    and after it, once the loop has gone idle once: what a server keeps after a spike."""
    loop = new_loop(kind)
    try:
        loop.run_until_complete(burst(1000, []))
        loop.run_until_complete(asyncio.sleep(0.001))  # an idle iteration
        before = rss_kib()
        peak = []
        ok = loop.run_until_complete(burst(n, peak)) == n
        loop.run_until_complete(asyncio.sleep(0.001))
        after = rss_kib()
    finally:
        loop.close()
    return {"n": n, "rss_before_kib": before, "rss_peak_kib": peak[0], "rss_after_kib": after,
            "after_over_before": round(after / before, 3), "ok": ok}


# ---------------------------------------------------------------- B7: spawn and wait


async def spawner(count):
    """Starts /bin/true and waits for it, over and over; count = [started, succeeded, total]."""
    devnull = asyncio.subprocess.DEVNULL
    while count[0] < count[2]:
        count[0] += 1
        proc = await asyncio.create_subprocess_exec("/bin/true", stdin=devnull, stdout=devnull,
                                                    stderr=devnull)
        if await proc.wait() == 0 and proc.returncode == 0:
            count[1] += 1


async def spawn_all(n, inflight):
    count = [0, 0, n]
    await asyncio.gather(*(spawner(count) for _ in range(inflight)))
    return count


def children_cpu():
    """CPU time of the children reaped so far (user + system), as bench_unix reads it."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def b7(args, kind, n):
    loop = new_loop(kind)
    try:
        children0 = children_cpu()
        t_wall, t_cpu = time.perf_counter(), time.process_time()
        started, succeeded, _ = loop.run_until_complete(spawn_all(n, args.inflight))
        result = finish(t_wall, t_cpu, n, started == n and succeeded == n)
        result["children_cpu_s"] = children_cpu() - children0
    finally:
        loop.close()
    result["inflight"] = args.inflight
    return result


# ---------------------------------------------------------------- B8: signal latency


async def send_signals(loop, n, latencies, state):
    clock = time.perf_counter_ns
    pid = os.getpid()
    for _ in range(n):
        state["arrived"] = loop.create_future()
        t0 = clock()
        os.kill(pid, signal.SIGUSR1)
        await state["arrived"]
        latencies.append(state["t1"] - t0)


def b8(args, kind, n):
    loop = new_loop(kind)
    clock = time.perf_counter_ns  # CLOCK_MONOTONIC, as bench_unix
    state = {"arrived": None, "t1": 0, "unexpected": 0}

    def on_signal():
        state["t1"] = clock()
        arrived = state["arrived"]
        if arrived is not None and not arrived.done():
            arrived.set_result(None)
        else:
            state["unexpected"] += 1

    latencies = []
    try:
        loop.add_signal_handler(signal.SIGUSR1, on_signal)
        loop.run_until_complete(send_signals(loop, n, latencies, state))
        loop.remove_signal_handler(signal.SIGUSR1)
    finally:
        loop.close()
    latencies.sort()
    ok = len(latencies) == n and n > 0 and state["unexpected"] == 0
    if not latencies:
        return {"n": 0, "p50_us": 0.0, "p99_us": 0.0, "ok": False}
    return {"n": len(latencies), "p50_us": percentile_us(latencies, 0.50),
            "p99_us": percentile_us(latencies, 0.99), "ok": ok}


# ---------------------------------------------------------------- B13: context variables


def b13(args, kind, n):
    """ns per ContextVar.get() and .set() of one of ten variables set in the context."""
    import contextvars
    variables = [contextvars.ContextVar(f"v{i}") for i in range(10)]

    def measure():
        for v in variables:
            v.set(1)
        v = variables[5]
        get = v.get
        total = 0
        t0 = time.perf_counter()
        for _ in range(n):
            total += get()
        t1 = time.perf_counter()
        for i in range(n):
            v.set(i)
        t2 = time.perf_counter()
        return total == n and v.get() == n - 1, t1 - t0, t2 - t1

    ok, get_s, set_s = contextvars.copy_context().run(measure)
    return {"n": n, "wall_s": get_s + set_s, "get_ns": get_s * 1e9 / n, "set_ns": set_s * 1e9 / n,
            "ok": ok}


BENCHES = {"B1": b1, "B2": b2, "B3": b3, "B4": b4, "B5": b5, "B6": b6, "B7": b7, "B8": b8,
           "B13": b13, "B17": b17}


def parse():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("bench", choices=sorted(BENCHES))
    p.add_argument("loop", choices=["asyncio", "uvloop"])
    p.add_argument("--n", type=int, default=0, help="0: the benchmark's default")
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--warmup-n", type=int, default=-1, help="-1: n / 10")
    p.add_argument("--max-seconds", type=float, default=20.0,
                   help="B4: scale n down when the warm-up predicts a longer run")
    p.add_argument("--chains", type=int, default=1000)
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--warmup-pings", type=int, default=200)
    p.add_argument("--idle-us", type=int, default=200)
    p.add_argument("--span", type=float, default=0.05)
    p.add_argument("--seed", type=int, default=20240601)
    p.add_argument("--inflight", type=int, default=8, help="B7: children running at once")
    p.add_argument("--pending", type=int, default=0,
                   help="B2, B5: timers or tasks per batch pending at once (0: all n)")
    p.add_argument("--await", dest="await_", choices=["gather", "each"], default="gather",
                   help="B5: gather the tasks, or await them one by one")
    return p.parse_args()


def scaled_n(args, n, warmup, warmup_result):
    """B4 only: a count that the warm-up's rate says runs within --max-seconds."""
    if args.bench != "B4" or warmup_result is None:
        return n
    limit = int(warmup_result["rate"] * args.max_seconds)
    if n <= limit:
        return n
    step = args.threads * 1000
    return max(limit // step * step, warmup, step)


def main():
    args = parse()
    bench = BENCHES[args.bench]
    n = args.n or DEFAULT_N[args.bench]
    warmup = args.warmup_n if args.warmup_n >= 0 else max(n // 10, 1)
    warmup_result = None
    if args.bench == "B17":  # one burst per process: its own small warm-up, no repetitions
        warmup, args.reps = 0, 1
    if args.bench != "B3" and warmup > 0:  # B3 warms up with its own pings
        warmup_result = bench(args, args.loop, warmup)
    n = scaled_n(args, n, warmup, warmup_result)
    rc = 0
    for _ in range(args.reps):
        result = bench(args, args.loop, n)
        line = {"bench": args.bench, "peer": args.loop}
        line.update(result)
        print(json.dumps(line), flush=True)
        rc |= 0 if result["ok"] else 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
