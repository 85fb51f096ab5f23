#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Bench report, scale part: the kernels at 2, 8 and 64 vCPUs.

    scale.py --dir RESULTS

Reads RESULTS/bench.env and the runs RESULTS/runs/r<R>-scale-<N>-<kernel>/
(run.env with the BENCH_* lines of bench.sh, results.txt with the guest's
lines). Writes RESULTS/scale.json and RESULTS/scale.md: for every figure and
vCPU count, each kernel's median over the rounds with its min-max, and the
ratio of each kernel to the first one, round by round (the two booted one
after the other, so that the host's load is shared), as median and min-max.

Wall time under TCG: only those ratios mean anything, and only when their
min-max stays on one side of 1; the table says so where it does not. With
SCALE_ACCEL=icount in bench.env, guest time counts instructions instead.
The all-CPU hotpath also gives the span from the first loop's start to the
last one's end per pair of all loops, and the loops' overlap: the average
per loop depends on how many loops ran at once, the span does not.
"""
import argparse
import json
import os
import re
import sys

from report import find, read_env, read_results, stats as span  # lab/bench/report.py

# id, label, unit, better (lower|higher|none), where: (what, key, selector)
FIGURES = [
    ("hot1", "alloc+free, 1 page, one CPU", "ns/pair", "lower",
     ("hotpath", "ns_per_pair", dict(scope="1", size="1"))),
    ("hotall", "alloc+free, 1 page, every CPU at once", "ns/pair", "lower",
     ("hotpath", "ns_per_pair", dict(scope="all", size="1"))),
    ("hotall32", "alloc+free, 32 pages, every CPU at once", "ns/pair", "lower",
     ("hotpath", "ns_per_pair", dict(scope="all", size="32"))),
    ("hotallspan", "alloc+free, 1 page, every CPU at once, span per pair of all CPUs",
     "ns/pair", "lower", ("hotpath", "span_ns_per_pair", dict(scope="all", size="1"))),
    ("hotallover", "alloc+free, 1 page, every CPU at once, loops running at once",
     "", "none", ("hotpath", "overlap", dict(scope="all", size="1"))),
    ("hotall32span", "alloc+free, 32 pages, every CPU at once, span per pair of all CPUs",
     "ns/pair", "lower", ("hotpath", "span_ns_per_pair", dict(scope="all", size="32"))),
    ("hotall32over", "alloc+free, 32 pages, every CPU at once, loops running at once",
     "", "none", ("hotpath", "overlap", dict(scope="all", size="32"))),
    ("cliffgrow", "cliff, growing batch, last round", "ops/s", "higher",
     ("cliff", "last", dict(kind="grow"))),
    ("cliffsteady", "cliff, steady batch, last round", "ops/s", "higher",
     ("cliff", "last", dict(kind="steady"))),
    ("cliffgrowall", "cliff, growing batch, all rounds", "ops/s", "higher",
     ("cliff", "all", dict(kind="grow"))),
    ("cliffgrowspan", "cliff, growing batch, all rounds, by the phases' spans", "ops/s",
     "higher", ("cliff", "span_all", dict(kind="grow"))),
    ("cliffsteadyall", "cliff, steady batch, all rounds", "ops/s", "higher",
     ("cliff", "all", dict(kind="steady"))),
    ("cliffsteadyspan", "cliff, steady batch, all rounds, by the phases' spans", "ops/s",
     "higher", ("cliff", "span_all", dict(kind="steady"))),
    ("dma2map", "dma_map_benchmark, 2 threads, map", "us", "lower",
     ("dmabench", "map_us", dict(threads="2"))),
    ("dma2unmap", "dma_map_benchmark, 2 threads, unmap", "us", "lower",
     ("dmabench", "unmap_us", dict(threads="2"))),
]
SPREAD = [("slab_kib", "slab held", "KiB"), ("mags", "magazines held", ""),
          ("cached_iovas", "IOVAs cached", "")]


def magazines(results, t):
    """Magazines held t s after the spread: the named cache's, else kmalloc-1k's."""
    m = find(results, "spread-mem", "mags", t=t)
    if m:
        return m
    return find(results, "spread-mem", "kmalloc_1k", t=t)


def value(results, fid, t=None):
    if t is not None:
        if fid == "mags":
            return magazines(results, t)
        return find(results, "spread-mem", fid, t=t)
    for f in FIGURES:
        if f[0] == fid:
            what, key, sel = f[4]
            v = find(results, what, key, **sel)
            if v is not None and key == "overlap":
                v /= 100  # the module gives hundredths
            return v
    return None


def fmt(v):
    if v is None:
        return "-"
    if abs(v) >= 100 or v == int(v):
        return f"{v:.0f}"
    return f"{v:.2f}"


def scale_charts(d, figures, kernels, cpus):
    """One PNG per vCPU count: each kernel's ratio to the first, with its
    min-max over the rounds, for the figures that have a better side."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("scale.py: no matplotlib (apt-get install python3-matplotlib): no charts",
              file=sys.stderr)
        return []
    charts = []
    for n in cpus:
        rows = []
        for f in figures:
            if f["cpus"] != n or FIGURE_BETTER.get(f["id"], "lower") == "none":
                continue
            for k in kernels[1:]:
                r = f["ratios"].get(k)
                if r:
                    up = FIGURE_BETTER.get(f["id"], "lower") == "higher"
                    rows.append((f["label"] + (f" ({f['unit']})" if f["unit"] else "")
                                 + (", higher is better" if up else ""), k, r))
        if not rows:
            continue
        fig, ax = plt.subplots(figsize=(9, 0.32 * len(rows) + 1.5))
        ys = range(len(rows))
        med = [r["median"] for _, _, r in rows]
        lo = [r["median"] - r["min"] for _, _, r in rows]
        hi = [r["max"] - r["median"] for _, _, r in rows]
        ax.errorbar(med, ys, xerr=[lo, hi], fmt="o", capsize=3, markersize=4)
        ax.axvline(1, color="grey", linewidth=0.8)
        ax.set_yticks(list(ys))
        ax.set_yticklabels([f"{lb} [{k}]" for lb, k, _ in rows], fontsize=7)
        ax.invert_yaxis()
        ax.set_xscale("log")
        ax.set_xlabel(f"ratio to {kernels[0]} (median of the rounds, bars: min-max; log scale;\n"
                      "lower is better unless the label says otherwise; a ratio of 0 is not drawn)",
                      fontsize=8)
        ax.set_title(f"{n} vCPUs", fontsize=10)
        fig.tight_layout()
        fname = f"scale-{n}.png"
        fig.savefig(os.path.join(d, fname), dpi=100)
        plt.close(fig)
        charts.append((fname, f"{n} vCPUs: ratios to {kernels[0]}"))
    return charts


FIGURE_BETTER = {f[0]: f[3] for f in FIGURES}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", required=True)
    a = ap.parse_args()
    env = read_env(os.path.join(a.dir, "bench.env"))
    kernels = env.get("KERNELS", "").split()
    cpus = [int(n) for n in env.get("SCALE_CPUS", "").split()]
    rdir = os.path.join(a.dir, "runs")
    runs = {}  # (round, cpus, kernel) -> results
    for name in sorted(os.listdir(rdir)):
        m = re.match(r"^r(\d+)-scale-(\d+)-(.+)$", name)
        if m and os.path.isdir(os.path.join(rdir, name)):
            runs[(int(m.group(1)), int(m.group(2)), m.group(3))] = \
                read_results(os.path.join(rdir, name, "results.txt"))
    if not runs or not kernels or not cpus:
        sys.exit(f"scale.py: no scale runs in {rdir}")
    rounds = sorted({r for r, _, _ in runs})
    times = sorted({kv.get("t") for res in runs.values() for w, kv in res
                    if w == "spread-mem"}, key=lambda t: int(t))
    rows = [(f[0], f[1], f[2], f[3], None) for f in FIGURES]
    for t in times:
        for fid, label, unit in SPREAD:
            rows.append((fid, f"spread: {label} {t} s after", unit, "lower", t))

    ref = kernels[0]
    out = dict(env=env, figures=[])
    md = ["# Scale: the kernels at " + ", ".join(map(str, cpus)) + " vCPUs", ""]
    if env.get("SCALE_ACCEL") == "icount":
        clock = ("Guest time under QEMU's -icount shift=0 (one host thread runs the vCPUs in "
                 "turn; 1 ns is one instruction of the whole guest)")
    else:
        clock = "Wall time under TCG (multi-threaded)"
    md.append(f"{clock} on {env.get('HOST_CPUS', '?')} host CPUs "
              f"({env.get('HOST_CPU', '?')}), {env.get('QEMU', '?')}; VT-d, lazy mode; "
              f"{len(rounds)} rounds, each kernel booted once per vCPU count in every round, "
              "the kernels one after the other.")
    md.append(f"Scenarios: {env.get('SCALE_SCEN', 'hotpath,cliff,spread,dmabench')}. "
              f"Parameters: {env.get('SCALE_PARAMS', '?')}.")
    md.append("")
    md.append("Each cell: the median over the rounds (min-max). A ratio is the kernel's "
              f"figure over {ref}'s in the same round; only a ratio whose min-max stays on "
              "one side of 1 says which kernel is ahead.")
    notes = []
    for n in cpus:
        md += ["", f"## {n} vCPUs", ""]
        head = "| figure | " + " | ".join(kernels) + " | " + \
            " | ".join(f"{k} / {ref}" for k in kernels[1:]) + " |"
        md += [head, "|" + " --- |" * (1 + 2 * len(kernels) - 1)]
        for fid, label, unit, better, t in rows:
            cells = []
            fig = dict(id=fid, t=t, cpus=n, label=label, unit=unit, kernels={}, ratios={})
            for k in kernels:
                s = span([value(runs.get((r, n, k), []), fid, t) for r in rounds])
                fig["kernels"][k] = s
                cells.append("-" if s is None else
                             f"{fmt(s['median'])} ({fmt(s['min'])}-{fmt(s['max'])})")
            for k in kernels[1:]:
                rs = []
                for r in rounds:
                    a_ = value(runs.get((r, n, k), []), fid, t)
                    b_ = value(runs.get((r, n, ref), []), fid, t)
                    if a_ is not None and b_:
                        rs.append(a_ / b_)
                s = span(rs)
                fig["ratios"][k] = s
                if s is None:
                    cells.append("-")
                    continue
                c = f"{s['median']:.3f} ({s['min']:.3f}-{s['max']:.3f})"
                if s["min"] <= 1 <= s["max"] and better != "none":
                    c += " ~"
                    notes.append(f"{n} vCPUs, {label}: {k} / {ref} spans "
                                 f"{s['min']:.3f}-{s['max']:.3f}, across 1: "
                                 "the rounds cannot say which is ahead.")
                cells.append(c)
            out["figures"].append(fig)
            how = f", {better} is better" if better != "none" else ""
            md.append(f"| {label}{' (' + unit + ')' if unit else ''}{how} | "
                      + " | ".join(cells) + " |")
    charts = scale_charts(a.dir, out["figures"], kernels, cpus)
    if charts:
        md += ["", "## Charts", ""] + [f"![{t}]({f})" for f, t in charts]
    md += ["", "A ratio marked ~ has a min-max across 1.", ""]
    if notes:
        md += ["## Where the spread is too wide to conclude", ""] + [f"- {x}" for x in notes]
    md.append("")
    with open(os.path.join(a.dir, "scale.md"), "w") as f:
        f.write("\n".join(md))
    with open(os.path.join(a.dir, "scale.json"), "w") as f:
        json.dump(out, f, indent=1)
    print("\n".join(md))


if __name__ == "__main__":
    main()
