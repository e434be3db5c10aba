"""The report's bar charts (gnuplot): docs/images/bench-*.png."""

import subprocess

from .config import ECHO_SIZES, log, ours_of
from .summary import ratio

# ---------------------------------------------------------------- charts

# Chart series: the peer's name in each benchmark's table.
PRIMITIVE_SERIES = {
    "raw (asio / epoll / posix_spawn)": {"B1": "asio", "B2": "asio", "B3": "epoll",
                                         "B4": "asio", "B5": "asio", "B7": "posix_spawn",
                                         "B8": "epoll"},
    "libuv": {"B1": "libuv", "B2": "libuv", "B3": "libuv"},
    "uvloop": {b: "uvloop" for b in ("B1", "B2", "B3", "B4", "B5", "B7", "B8")},
    "CPython asyncio": {b: "asyncio" for b in ("B1", "B2", "B3", "B4", "B5", "B7", "B8")},
}
ECHO_SERIES = ["asyncio-cpp (protocol)", "asyncio-cpp (buffered)", "asyncio-cpp (streams)",
               "libuv", "uvloop (protocol)", "uvloop (streams)", "asyncio (protocol)",
               "asyncio (streams)"]

GNUPLOT_HEAD = """\
set terminal pngcairo size 1000,520 font "sans,10"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set datafile missing "?"
set key outside right top autotitle columnheader
set termoption noenhanced
set grid ytics
"""


def peer_speed(bench, ours, peer):
    """How many times faster the peer is than asyncio-cpp (ratio() says the reverse, except
    for the latency ratios of B3 and B8, which are already ours over the peer's)."""
    r = ratio(bench, ours, peer)
    return r if bench in ("B3", "B8") else 1 / r


def primitive_rows(summary):
    """Per benchmark: each peer's speed relative to asyncio-cpp (1 = as fast; higher: faster)."""
    rows = []
    for bench in ("B1", "B2", "B3", "B4", "B5", "B7", "B8"):
        table = summary.get(bench)
        if not table:
            continue
        ours = table[ours_of(bench)]
        cells = [f"{peer_speed(bench, ours, table[series[bench]]):.4g}"
                 if series.get(bench) in table else "?" for series in PRIMITIVE_SERIES.values()]
        rows.append(f'"{bench}" ' + " ".join(cells))
    return rows


def echo_rows(summary):
    """Per echo benchmark and size: each server's requests/s over raw Asio's."""
    rows = []
    for label in ECHO_SIZES.values():
        cells = []
        for peer in ECHO_SERIES:
            row = summary.get(f"B9/{label}", {}).get(peer) or \
                summary.get(f"B10/{label}", {}).get(peer)
            cells.append(f"{row['ratio']:.4g}" if row else "?")
        if any(c != "?" for c in cells):
            rows.append(f'"{label.replace("KiB", " KiB")}" ' + " ".join(cells))
    return rows


def plot(charts, name, title, ylabel, series, rows, extra):
    """Writes <charts>/<name>.png (gnuplot); False when there is nothing or no gnuplot."""
    if not rows:
        return False
    charts.mkdir(parents=True, exist_ok=True)
    data = charts / f"{name}.dat"
    data.write_text("\n".join(['"bench" ' + " ".join(f'"{s}"' for s in series)] + rows) + "\n")
    columns = ", ".join(f"'{data}' using {i + 2}{':xtic(1)' if i == 0 else ''}"
                        for i in range(len(series)))
    script = GNUPLOT_HEAD + extra + (f'set output "{charts / name}.png"\n'
                                     f'set title "{title}"\nset ylabel "{ylabel}"\n'
                                     f"plot {columns}\n")
    return run_gnuplot(script, f"{name}.png", [data])


def run_gnuplot(script, png, data_files):
    """Runs gnuplot on `script`, then deletes its data files; False when it could not."""
    try:
        subprocess.run(["gnuplot"], input=script, text=True, check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError) as e:
        log(f"warning: no chart {png} (gnuplot-nox missing or failed: {e})")
        return False
    finally:
        for data in data_files:
            data.unlink()
    return True


def write_charts(charts, summary):
    """The report's charts, in `charts`; returns the Markdown lines that show them."""
    out = []
    if plot(charts, "bench-primitives", "Each peer's speed relative to asyncio-cpp (log scale)",
            "x asyncio-cpp's speed (above 1: faster than asyncio-cpp)",
            list(PRIMITIVE_SERIES), primitive_rows(summary),
            "set logscale y 10\nset yrange [0.005:5]\nset arrow from graph 0, first 1 to "
            "graph 1, first 1 nohead lw 2 lc rgb 'black' front\n"):
        out += ["![Primitives: each peer's speed relative to asyncio-cpp]"
                "(images/bench-primitives.png)", ""]
    if plot(charts, "bench-echo", "TCP echo requests/s relative to the raw Boost.Asio server",
            "x raw Asio's requests/s", ECHO_SERIES, echo_rows(summary),
            "set yrange [0:*]\nset arrow from graph 0, first 1 to graph 1, first 1 nohead lw 2 "
            "lc rgb 'black' front\n"):
        out += ["![Echo: requests/s relative to raw Boost.Asio](images/bench-echo.png)", ""]
    return out
