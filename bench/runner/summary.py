"""Medians, ratios and the Targets table of a run's samples."""

import statistics

from .config import AGAINST, MAIN_METRIC, TARGETS, base_of, ours_of

# ---------------------------------------------------------------- summarising

def median_of(results, key):
    return statistics.median(s[key] for s in results)


def summarise(samples):
    """Per benchmark and peer: medians, and asyncio-cpp's ratio to the peer."""
    summary = {}
    for bench, peers in samples.items():
        rows = {}
        for peer, results in peers.items():
            row = {"reps": len(results), "ok": all(s["ok"] for s in results),
                   "n": results[0]["n"]}
            for key in ("rate", "wall_s", "cpu_s", "children_cpu_s", "p50_us", "p99_us",
                        "bytes_per_task", "bytes_per_handle", "bytes_per_s", "server_us_per_req",
                        "bytes_per_conn", "rss_before_kb", "allocs_per_call_soon", "get_ns",
                        "set_ns"):
                if key in results[0]:
                    row[key] = median_of(results, key)
            spread = [s[MAIN_METRIC[base_of(bench)]] for s in results]
            row["lo"], row["hi"] = min(spread), max(spread)
            rows[peer] = row
        against = AGAINST.get(base_of(bench))
        ours = ours_of(bench)
        for peer, row in rows.items():
            if against:  # each peer over the reference
                row["ratio"] = ratio(bench, row, rows[against])
                row["paired"] = "-" if peer == against else \
                    paired_range(bench, peers[peer], peers[against])
            else:
                row["ratio"] = ratio(bench, rows[ours], row)
                row["paired"] = "-" if peer == ours else \
                    paired_range(bench, peers[ours], peers[peer])
        summary[bench] = rows
    return summary


def paired_range(bench, ours, theirs):
    """The ratio within each round (peers of one round ran back to back): lowest-highest."""
    paired = [ratio(bench, a, b) for a, b in zip(ours, theirs)]
    return f"{min(paired):.2f}-{max(paired):.2f}x"


def ratio(bench, ours, peer):
    """How asyncio-cpp compares: speed-up (x faster), except B3's and B8's latency ratio
    (ours/peer) and B12's memory ratio (ours/peer: < 1 is less memory)."""
    if bench == "B2":
        return peer["cpu_s"] / ours["cpu_s"]
    if bench in ("B3", "B8"):
        return ours["p50_us"] / peer["p50_us"]
    if bench == "B6":  # how many times less memory asyncio-cpp needs
        return peer["bytes_per_task"] / ours["bytes_per_task"]
    if bench == "B12":
        return ours["bytes_per_conn"] / peer["bytes_per_conn"]
    if bench == "B13":  # speed-up on get
        return peer["get_ns"] / ours["get_ns"]
    return ours["rate"] / peer["rate"]


def fmt_m(x):
    m = x / 1e6
    return f"{m:.1f}" if m >= 10 else f"{m:.2f}" if m >= 1 else f"{m:.3f}"


def target_rows(summary):
    rows = []
    for bench, ours, peer, text, passed, shown in TARGETS:
        named = f"{ours}: {text}" if ours != "asyncio-cpp" else text
        o = summary.get(bench, {}).get(ours)
        r = summary.get(bench, {}).get(peer) if peer and peer[0] != "=" else o
        if r is None or o is None:
            rows.append(f"| {bench} | {named} | {shown} | n/a | not run |")
            continue
        if peer is None:  # B6's allocation count: an absolute figure, not a ratio
            value = o["allocs_per_call_soon"]
            measured = f"{value:.4f}"
        elif peer.startswith("="):  # an absolute figure of our peer: "=<metric>"
            value = o[peer[1:]]
            measured = f"{value:.1f} ns"
        else:
            value = ratio(bench, o, r)
            measured = f"{value:.2f}x"
        ok = passed(value)
        verdict = "**met**" if ok else "**missed**" + miss_detail(bench, shown, value)
        rows.append(f"| {bench} | {named} | {shown} | {measured} | {verdict} |")
    head = ["| bench | target | needed | measured | verdict |", "|---|---|---|---|---|"]
    return head + rows


def miss_detail(bench, shown, value):
    if shown == "0":
        return ""
    if shown.endswith(" ns"):
        return f" ({value / float(shown.split()[1]):.2f}x the allowed time)"
    need = float(shown.split()[-1].rstrip("x"))
    if bench in ("B3", "B8"):
        return f" ({value / need:.2f}x the allowed latency)"
    return f" (needs {need / value:.2f}x more)"
