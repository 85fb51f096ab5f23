#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Bench report, icount part: instructions per operation of every kernel.

    icount.py --dir RESULTS [--append]

Reads RESULTS/bench.env and the runs RESULTS/runs/r<N>-icount-<kind>-<kernel>/
(run.env with the BENCH_* lines of bench.sh, results.txt with the guest's
"icount op=... per_op=..." lines). Writes RESULTS/icount.json and the
instruction-count section of RESULTS/report.md (appended to the wall part's
report with --append, else the whole report).

A figure is guest instructions per operation: the guest ran under QEMU's
-icount shift=0, where its TSC advances one per instruction, and timed its
loops with interrupts off (lab/bench/module/iova_bench.c, bench_icount()).
"""
import argparse
import json
import os
import re
import sys

from report import read_env  # lab/bench/report.py, beside this file

ORDER = ["base", "v1", "patched", "v6.12", "v7.3", "mainline"]
LABELS = {"base": "6.1", "v1": "6.1 + series v1", "patched": "6.1 + series", "v6.12": "6.12",
          "v7.3": "7.3", "mainline": "7.3 + series"}
# Each series against its own base.
PAIRS = [("patched", "base"), ("patched", "v1"), ("mainline", "v7.3")]
GOAL_PCT = 0.5
NOPS = 100

ROWS = [
    ("pair1", "alloc+free, 1 page, rcache hit", "icount-lazy", dict(op="pair", size="1", extra="0")),
    ("pair4", "alloc+free, 4 pages, rcache hit", "icount-lazy", dict(op="pair", size="4", extra="0")),
    ("pair32", "alloc+free, 32 pages, rcache hit", "icount-lazy", dict(op="pair", size="32", extra="0")),
    ("depot", "alloc+free, 1 page, batches of 1024 (depot exchanges)", "icount-lazy",
     dict(op="depot", size="1", extra="0")),
    ("tree", "alloc+free, 64 pages (rbtree, no rcache)", "icount-lazy", dict(op="tree", extra="0")),
    ("dma_lazy", "dma_map_page+dma_unmap_page, VT-d lazy (DMA-FQ)", "icount-lazy", dict(op="dma")),
    ("dma_strict", "dma_map_page+dma_unmap_page, VT-d strict", "icount-strict", dict(op="dma")),
    ("dma_pt", "dma_map_page+dma_unmap_page, iommu=pt (floor)", "icount-pt", dict(op="dma")),
]


def read_lines(path):
    out = []
    if os.path.exists(path):
        for line in open(path, errors="replace"):
            w = line.split()
            if w and w[0] == "icount":
                out.append(dict(x.split("=", 1) for x in w[1:] if "=" in x))
    return out


def pick(lines, sel):
    for kv in lines:
        if all(kv.get(k) == v for k, v in sel.items()):
            try:
                return float(kv["per_op"])
            except (KeyError, ValueError):
                return None
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", required=True)
    ap.add_argument("--append", action="store_true")
    a = ap.parse_args()
    res = a.dir
    benv = read_env(os.path.join(res, "bench.env"))
    runs = {}   # (kernel, kind, round) -> lines
    versions = {}
    for name in sorted(os.listdir(os.path.join(res, "runs"))):
        d = os.path.join(res, "runs", name)
        m = re.match(r'^r(\d+)-(icount-[a-z]+)-(.+)$', name)
        if not m or not os.path.isdir(d):
            continue
        env = read_env(os.path.join(d, "run.env"))
        k = env.get("BENCH_KERNEL", m.group(3))
        versions[k] = env.get("BENCH_VERSION", "?")
        runs[(k, m.group(2), int(m.group(1)))] = read_lines(os.path.join(d, "results.txt"))
    steps = sorted({r[0] for r in runs if re.match(r'^p\d+$', r[0])}, key=lambda k: int(k[1:]))
    if steps:
        return report_steps(res, a.append, benv, runs, steps, versions)
    kernels = [k for k in ORDER if any(r[0] == k for r in runs)]
    if not kernels:
        sys.exit("icount.py: no icount runs under %s/runs" % res)

    fig = {}    # row -> kernel -> value (round 1)
    for rid, _, kind, sel in ROWS:
        fig[rid] = {k: pick(runs.get((k, kind, 1), []), sel) for k in kernels}

    # The method's checks: the same boot twice, and 100 nops more.
    repeat = {}
    calib = {}
    for k in kernels:
        r1, r2 = runs.get((k, "icount-lazy", 1)), runs.get((k, "icount-lazy", 2))
        if r1 and r2:
            diffs = []
            for rid, _, kind, sel in ROWS:
                if kind != "icount-lazy":
                    continue
                x, y = pick(r1, sel), pick(r2, sel)
                if x and y is not None:
                    diffs.append(abs(y - x) / x * 100)
            repeat[k] = max(diffs) if diffs else None
        if r1:
            x = pick(r1, dict(op="pair", size="1", extra="0"))
            y = pick(r1, dict(op="pair", size="1", extra="1"))
            calib[k] = (y - x) if x is not None and y is not None else None

    iters = sorted({kv["iters"] for lines in runs.values() for kv in lines
                    if kv.get("iters") and kv.get("op") != "depot"})
    json.dump(dict(kernels=kernels, versions=versions, figures=fig, repeat_pct=repeat,
                   calibration=calib, nops=NOPS, goal_pct=GOAL_PCT),
              open(os.path.join(res, "icount.json"), "w"), indent=1, sort_keys=True)

    def f(v):
        return "n/a" if v is None else ("%.2f" % v if v < 100 else "%.1f" % v)

    def pct(a, b):
        if a is None or b is None or not b:
            return None
        return (a - b) / b * 100

    L = []
    L.append("## Instructions per operation (QEMU -icount)\n")
    L.append("Each kernel booted on the VT-d machine (q35, intel-iommu) with one vCPU under "
             "`%s` and `-icount shift=0,sleep=off,align=off`: the guest's clock and TSC advance "
             "one per guest instruction, so the module's loops (interrupts off, %s iterations "
             "after a warm-up) count instructions, whatever the host. Figures include the "
             "loop's own few instructions, the same for every kernel.\n"
             % (benv.get("QEMU", "QEMU"), " or ".join(iters) or "?"))
    L.append("Kernels: " + ", ".join("%s (%s)" % (LABELS[k], versions.get(k, "?")) for k in kernels)
             + ". Host: %s, %s CPUs.\n" % (benv.get("HOST_CPU", "?"), benv.get("HOST_CPUS", "?")))
    L.append("Method checks: with %d nops added to each iteration the figure grows by %s "
             "(expected %d); the same kernel booted twice differs by at most %s%% on a lazy "
             "boot's figures.\n" % (
                 NOPS, ", ".join("%s %s" % (LABELS[k], f(calib.get(k))) for k in kernels),
                 NOPS, ", ".join("%s %s" % (LABELS[k], "n/a" if repeat.get(k) is None
                                             else "%.3f" % repeat[k]) for k in kernels)))
    head = "| operation | " + " | ".join(LABELS[k] for k in kernels)
    pairs = [(p, b) for p, b in PAIRS if p in kernels and b in kernels]
    for p, b in pairs:
        head += " | %s vs %s" % (LABELS[p], LABELS[b])
    L.append(head + " |")
    L.append("|" + "---|" * (1 + len(kernels) + len(pairs)))
    over = []
    missing = []
    for rid, label, _, _ in ROWS:
        row = "| %s | " % label + " | ".join(f(fig[rid][k]) for k in kernels)
        for p, b in pairs:
            d = pct(fig[rid][p], fig[rid][b])
            row += " | " + ("n/a" if d is None else "%+.2f%%" % d)
            if d is None:
                missing.append(label)
            elif d > GOAL_PCT:
                over.append((label, LABELS[p], LABELS[b], d))
        L.append(row + " |")
    L.append("")
    if missing:
        L.append("No comparison for %d of %d rows (a kernel's figures are missing: see "
                 "the runs' consoles): %s.\n" % (len(missing), len(ROWS) * len(pairs),
                                                 "; ".join(missing)))
    if over:
        L.append("Rows over the goal (a series within %.1f%% of its base): " % GOAL_PCT +
                 "; ".join("%s, %s %+.2f%% vs %s" % (lab, p, d, b) for lab, p, b, d in over) +
                 ". The reasons are in the README's bench section.\n")
    elif pairs and not missing:
        L.append("Every row of each series is within %.1f%% of its base (or below it).\n" % GOAL_PCT)
    text = "\n".join(L) + "\n"
    path = os.path.join(res, "report.md")
    with open(path, "a" if a.append else "w") as fh:
        if a.append:
            fh.write("\n")
        fh.write(text)
    print(text)


def report_steps(res, append, benv, runs, steps, versions):
    """Patch by patch: the lazy boot's figures at every patch of the series."""
    subjects = {}
    p = os.path.join(res, "steps.txt")
    if os.path.exists(p):
        for line in open(p):
            k, _, subj = line.rstrip("\n").partition(" ")
            subjects[k] = subj
    cols = [r for r in ROWS if r[2] == "icount-lazy"]
    fig = {k: {rid: pick(runs.get((k, "icount-lazy", 1), []), sel) for rid, _, _, sel in cols}
           for k in steps}
    json.dump(dict(steps=steps, subjects=subjects, figures=fig),
              open(os.path.join(res, "icount-steps.json"), "w"), indent=1, sort_keys=True)

    def f(v):
        return "n/a" if v is None else "%.2f" % v

    L = ["## Instructions per operation, patch by patch (QEMU -icount)\n",
         "The series at each patch (p0: the base, %s) booted on the VT-d machine with one "
         "vCPU under `%s` and `-icount shift=0,sleep=off,align=off`, lazy mode: guest "
         "instructions per operation, as in the table above; the change from the previous "
         "patch in brackets.\n" % (versions.get("p0", "?"), benv.get("QEMU", "QEMU")),
         "| patch | " + " | ".join(label for _, label, _, _ in cols) + " |",
         "|" + "---|" * (1 + len(cols))]
    prev = None
    for k in steps:
        cells = []
        for rid, _, _, _ in cols:
            v = fig[k][rid]
            c = f(v)
            if prev is not None and v is not None and fig[prev][rid] is not None:
                c += " (%+.2f)" % (v - fig[prev][rid])
            cells.append(c)
        L.append("| %s %s | " % (k, subjects.get(k, "")) + " | ".join(cells) + " |")
        prev = k
    text = "\n".join(L) + "\n\n"
    with open(os.path.join(res, "report.md"), "a" if append else "w") as fh:
        fh.write(text)
    print(text)


if __name__ == "__main__":
    main()
