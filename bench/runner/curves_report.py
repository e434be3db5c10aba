"""The "## Curves" section of docs/06: per curve a table (each peer's figure, the ratio and
the target at each size) and per benchmark a chart (docs/images/curve-<bench>.png): the ratio
against size above, each peer's cost per item against size below, both on log-scale x."""

import datetime
import statistics

from .charts import run_gnuplot
from .curves import by_name, label_of

# Figures derived from a program's JSON line, per item of work.
DERIVED = {
    "ns": lambda s: 1e9 / s["rate"] if s.get("rate") else None,
    "cpu_ns": lambda s: s["cpu_s"] * 1e9 / s["n"] if "cpu_s" in s else None,
    "server_ns": lambda s: s["server_us_per_req"] * 1e3 if "server_us_per_req" in s else None,
    "peak_bytes": lambda s: (s["rss_peak_kib"] - s["rss_before_kib"]) * 1024 / s["n"]
    if "rss_peak_kib" in s else None,
}


def metric(sample, key):
    return DERIVED[key](sample) if key in DERIVED else sample.get(key)


def median(samples, key):
    values = [v for v in (metric(s, key) for s in samples) if v is not None]
    return statistics.median(values) if values else None


def ratio_at(spec, peers):
    """The ratio a spec names, from the peers' samples at one size (None if not measured)."""
    ours = median(peers.get(spec["ours"], []), spec["metric"])
    if spec["kind"] == "abs":
        return ours
    ref = median(peers.get(spec["ref"], []), spec["metric"])
    if not ours or not ref:
        return None
    if spec["kind"] == "faster" or spec["kind"] == "over":
        return ours / ref
    return ref / ours  # "cpu", "less": how many times less the reference is


def applies(spec, x):
    return spec["pred"] is not None and (spec["at"] is None or x in spec["at"])


def verdict(spec, x, value):
    if not applies(spec, x):
        return "-"
    if value is None:
        return "not run"
    return "**met**" if spec["pred"](value) else "**missed**"


def fmt_value(value, unit):
    if value is None:
        return "-"
    if unit == "per s":
        return f"{value / 1e6:.3g} M/s" if value >= 1e5 else f"{value:,.0f}/s"
    return f"{value:.3g}" if value < 100 else f"{value:.0f}"


def x_of(curve, label):
    return next(x for x in curve["points"] if label_of(x) == label)


def ok_of(peers):
    return all(s.get("ok", True) for lines in peers.values() for s in lines)


def ratio_head(spec):
    if spec["kind"] == "abs":
        return spec["ours"]
    if spec["kind"] in ("cpu", "less"):  # how many times less the reference's cost is
        return f"{spec['ref']} / {spec['ours']}"
    return f"{spec['ours']} / {spec['ref']}"


def figure_columns(curve, table):
    """(peer, metric, unit) per column: each figure of each peer that has it somewhere."""
    figures = curve["figure"] if isinstance(curve["figure"], list) else [curve["figure"]]
    return [(p, key, unit) for key, unit in figures for p, _, _ in curve["peers"]
            if any(median(at.get(p, []), key) is not None for at in table.values())]


def curve_table(name, table):
    curve = by_name(name)
    columns = figure_columns(curve, table)
    head = [curve["x"]] + [f"{p} ({unit})" for p, _, unit in columns] + \
        [f"{ratio_head(r)} (target {r['shown']})" for r in curve["ratios"]]
    out = [f"### {curve['title']}", "", "| " + " | ".join(head) + " |",
           "|" + "---|" * len(head)]
    for label, at in table.items():
        x = x_of(curve, label)
        cells = [label] + [fmt_value(median(at.get(p, []), key), unit) for p, key, unit in columns]
        for spec in curve["ratios"]:
            value = ratio_at(spec, at)
            shown = "-" if value is None else f"{value:.2f}x"
            mark = verdict(spec, x, value)
            cells.append(shown if mark == "-" else f"{shown} {mark}")
        out.append("| " + " | ".join(cells) + " |")
    bad = [label for label, at in table.items() if not ok_of(at)]
    if bad:
        out += ["", f"**Verification FAILED at: {', '.join(bad)}**"]
    if missed(name, table):
        out += ["", "A target is missed at some size: see the analysis "
                "([bench/analysis.md](../bench/analysis.md), copied below)."]
    return out + [""]


def missed(name, table):
    curve = by_name(name)
    return any(verdict(spec, x_of(curve, label), ratio_at(spec, at)) == "**missed**"
               for label, at in table.items() for spec in curve["ratios"])


def target_rows(samples):
    """One row per curve, target and size: the curves' part of the targets."""
    rows = ["| curve | target | size | needed | measured | verdict |",
            "|---|---|---|---|---|---|"]
    for name, table in samples.items():
        curve = by_name(name)
        for spec in curve["ratios"]:
            for label, at in table.items():
                x = x_of(curve, label)
                if not applies(spec, x):
                    continue
                value = ratio_at(spec, at)
                shown = "-" if value is None else f"{value:.2f}x"
                named = spec["text"] if spec["ours"] == "asyncio-cpp" else \
                    f"{spec['ours']}: {spec['text']}"
                rows.append(f"| {name} | {named} | {curve['x']} = {label} | {spec['shown']} "
                            f"| {shown} | {verdict(spec, x, value)} |")
    return rows


# ---------------------------------------------------------------- charts

CHART = """\
set terminal pngcairo size 1200,800 font "sans,10"
set output "{png}"
set datafile missing "?"
set termoption noenhanced
set logscale x 10
set grid
set key outside right top
set lmargin 12
set rmargin 48
set format x "10^%T"
set multiplot layout 2,1 title "{title}"
set ylabel "ratio (x)"
set yrange [0:{ymax}]
{targets}
plot {ratios}
unset arrow
set logscale y 10
set yrange [*:*]
set xlabel "{xlabel} (log scale)"
set ylabel "{cost} (log scale)"
plot {costs}
unset multiplot
"""


def chart_columns(names, samples):
    """The chart's series: ([(title, {x: ratio})], [(title, {x: cost})])."""
    ratios, costs = [], []
    for name in names:
        curve = by_name(name)
        table = samples[name]
        prefix = f"{name}: " if len(names) > 1 else ""
        for spec in curve["ratios"]:
            title = ratio_head(spec)
            ratios.append((prefix + title, {x_of(curve, l): ratio_at(spec, at)
                                            for l, at in table.items()}))
        for key, what in curve["cost"]:
            suffix = f" ({what})" if len(curve["cost"]) > 1 else ""
            for peer, _, _ in curve["peers"]:
                series = {x_of(curve, l): median(at.get(peer, []), key) for l, at in table.items()}
                if any(v is not None for v in series.values()):
                    costs.append((prefix + peer + suffix, series))
    return ratios, costs


def write_data(path, series):
    xs = sorted({x for _, s in series for x in s})
    lines = ["x " + " ".join(f'"{t}"' for t, _ in series)]
    for x in xs:
        cells = [f"{s[x]:.6g}" if s.get(x) is not None else "?" for _, s in series]
        lines.append(f"{x} " + " ".join(cells))
    path.write_text("\n".join(lines) + "\n")


def plot_chart(charts, chart, names, samples):
    """docs/images/curve-<chart>.png; False without gnuplot."""
    ratios, costs = chart_columns(names, samples)
    if not ratios and not costs:
        return False
    charts.mkdir(parents=True, exist_ok=True)
    rdat, cdat = charts / f"curve-{chart}-ratio.dat", charts / f"curve-{chart}-cost.dat"
    write_data(rdat, ratios)
    write_data(cdat, costs)
    first = by_name(names[0])
    shown = sorted({s["shown"] for n in names for s in by_name(n)["ratios"] if s["pred"]})
    levels = [float(t.split()[-1].rstrip("x")) for t in shown]
    targets = "\n".join(f"set arrow from graph 0, first {v} to graph 1, first {v} nohead lw 2 "
                         "dt 2 lc rgb 'red' front" for v in levels)
    values = [v for _, series in ratios for v in series.values() if v is not None]
    ymax = 1.15 * max(values + levels + [1.0])  # the target line always in view
    script = CHART.format(
        png=charts / f"curve-{chart}.png", ymax=f"{ymax:.3g}",
        title=f"{chart}: ratio{' (target dashed)' if levels else ''} and cost per item "
        "against size",
        targets=targets, xlabel=first["x"],
        cost=first["cost"][0][1] if len(first["cost"]) == 1 else
        first["cost"][0][1].split(" per ")[0] + " per item",
        ratios=", ".join(f"'{rdat}' using 1:{i + 2} with linespoints lw 2 title columnheader"
                         for i in range(len(ratios))),
        costs=", ".join(f"'{cdat}' using 1:{i + 2} with linespoints title columnheader"
                        for i in range(len(costs))))
    return run_gnuplot(script, f"curve-{chart}.png", [rdat, cdat])


# ---------------------------------------------------------------- section


def section(samples, charts, cpu, rounds, quick, when=None):
    """The "## Curves" section's lines (samples: run["curves"]; when: the run's end, ISO)."""
    now = datetime.datetime.fromisoformat(when) if when else \
        datetime.datetime.now(datetime.timezone.utc)
    out = ["## Curves", "", f"CPU: **{cpu}**. Measured {now:%Y-%m-%d %H:%M UTC}, "
           f"{rounds} round{'s' if rounds != 1 else ''} per size{one_round_note(samples)}.", ""]
    if quick:
        out += ["**Quick mode (smoke test): two sizes per curve, tiny counts; not meaningful "
                "figures.**", ""]
    out += ["Each curve measures one benchmark at several workload sizes, every peer at every "
            "size in the same run, in interleaved rounds; the ratio is taken at each size "
            "between peers measured side by side (medians over the rounds). The charts show "
            "the ratio against size (the target dashed) above and each peer's cost per item "
            "against size below: how the cost grows as the work grows.", "",
            "### Curve targets", ""] + target_rows(samples) + [""]
    groups = {}
    for name in samples:
        groups.setdefault(by_name(name)["chart"], []).append(name)
    for chart, names in groups.items():
        if plot_chart(charts, chart, names, samples):
            out += [f"![{chart} against size](images/curve-{chart}.png)", ""]
        for name in names:
            out += curve_table(name, samples[name])
    return out


def one_round_note(samples):
    """Which sizes ran fewer rounds (their Python runs take too long for the time budget)."""
    fewer = sorted({f"{by_name(n)['bench']} at {label_of(x)}" for n in samples
                    for x in by_name(n)["rounds"] if label_of(x) in samples[n]})
    return f" (1 round at {', '.join(fewer)}: see Method)" if fewer else ""


def replace_section(page, lines):
    """The page with its "## Curves" section replaced by `lines` (inserted before "## Machine"
    if it has none)."""
    text = page.split("\n")
    block = lines if lines[-1] == "" else lines + [""]
    if "## Curves" in text:
        start = text.index("## Curves")
        end = next((i for i in range(start + 1, len(text)) if text[i].startswith("## ")),
                   len(text))
        return "\n".join(text[:start] + block + text[end:])
    at = text.index("## Machine") if "## Machine" in text else len(text)
    return "\n".join(text[:at] + block + text[at:])
