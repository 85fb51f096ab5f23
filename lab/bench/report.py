#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Bench report: bench.json, report.md and PNG charts from one bench run.

    report.py --dir RESULTS   (RESULTS = $LAB_OUT/bench/results/<date>)

Reads RESULTS/bench.env and every RESULTS/runs/<round>-<kind>-<kernel>/
(run.env from lab/vm/run.sh plus the BENCH_* lines of bench.sh, and
results.txt, the guest's "<what> key=value ..." lines). For each figure:
the values of all rounds per kernel, their median, min and max, and the
ratios of the medians patched/base and patched/6.12. Uses Debian's
python3-matplotlib (Agg backend, no display).
"""
import argparse
import json
import os
import re
import statistics
import sys

KERNELS = ["base", "v1", "patched", "v6.12"]
LABELS = {"base": "base 6.1", "v1": "6.1 + series v1", "patched": "patched 6.1", "v6.12": "6.12"}
COLOURS = {"base": "#888888", "v1": "#2ca02c", "patched": "#1f77b4", "v6.12": "#ff7f0e"}


def read_env(path):
    env = {}
    if not os.path.exists(path):
        return env
    for line in open(path):
        m = re.match(r'^([A-Z0-9_]+)=(.*)$', line.rstrip("\n"))
        if m:
            env[m.group(1)] = m.group(2).strip('"')
    return env


def read_results(path):
    """Lines of results.txt as (what, {key: value}) pairs."""
    out = []
    if not os.path.exists(path):
        return out
    for line in open(path, errors="replace"):
        words = line.split()
        if not words:
            continue
        kv = {}
        for w in words[1:]:
            if "=" in w:
                k, v = w.split("=", 1)
                kv[k] = v
        out.append((words[0], kv))
    return out


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def find(results, what, key, **sel):
    """The number under key of the first line `what` whose keys match sel."""
    for w, kv in results:
        if w == what and all(kv.get(k) == str(v) for k, v in sel.items()):
            return num(kv.get(key))
    return None


# The figures of the report: id, scenario, label, unit, better, boot kind,
# and how to get the number from one run's results.
def metrics_table(ncpus):
    m = []
    for size in (1, 4, 32):
        for scope in ("1", "all"):
            m.append(dict(id=f"hotpath_s{size}_{scope}", scen=1,
                          label=f"alloc+free, {size} page{'s' if size > 1 else ''}, "
                                f"{'1 vCPU' if scope == '1' else f'all {ncpus} vCPUs'}",
                          unit="ns/pair", better="lower", kind="lazy",
                          get=lambda r, s=size, c=scope: find(r, "hotpath", "ns_per_pair", size=s, scope=c)))
        # All vCPUs at once: the span from the first loop's start to the
        # last one's end per pair of all loops, and how many loops ran at
        # once (the loop time follows the latter under TCG).
        m.append(dict(id=f"hotpath_s{size}_all_span", scen=1,
                      label=f"alloc+free, {size} page{'s' if size > 1 else ''}, "
                            f"all {ncpus} vCPUs: span per pair of all loops",
                      unit="ns/pair", better="lower", kind="lazy",
                      get=lambda r, s=size: find(r, "hotpath", "span_ns_per_pair", size=s, scope="all")))
        m.append(dict(id=f"hotpath_s{size}_all_overlap", scen=1,
                      label=f"alloc+free, {size} page{'s' if size > 1 else ''}, "
                            f"all {ncpus} vCPUs: loops running at once",
                      unit="loops", better="none", kind="lazy",
                      get=lambda r, s=size: overlap(find(r, "hotpath", "overlap", size=s, scope="all"))))
    for var, what in (("grow", "growing batch"), ("steady", "same batch every round")):
        m.append(dict(id=f"cliff_{var}_ratio", scen=2, label=f"{what}: last round / first round",
                      unit="ratio", better="higher", kind="lazy",
                      get=lambda r, v=var: cliff_ratio(r, v)))
        m.append(dict(id=f"cliff_{var}_ratio10", scen=2,
                      label=f"{what}: median of the last 10 rounds / of the first 10",
                      unit="ratio", better="higher", kind="lazy",
                      get=lambda r, v=var: cliff_ratio10(r, v)))
        m.append(dict(id=f"cliff_{var}_first", scen=2, label=f"{what}: first round", unit="ops/s",
                      better="higher", kind="lazy", get=lambda r, v=var: cliff_get(r, v, "first")))
        m.append(dict(id=f"cliff_{var}_last", scen=2, label=f"{what}: last round", unit="ops/s",
                      better="higher", kind="lazy", get=lambda r, v=var: cliff_get(r, v, "last")))
        m.append(dict(id=f"cliff_{var}_median", scen=2, label=f"{what}: median round", unit="ops/s",
                      better="higher", kind="lazy", get=lambda r, v=var: cliff_median(r, v)))
        m.append(dict(id=f"cliff_{var}_all", scen=2, label=f"{what}: all rounds, by the slowest slots",
                      unit="ops/s", better="higher", kind="lazy", get=lambda r, v=var: cliff_get(r, v, "all")))
        m.append(dict(id=f"cliff_{var}_span_all", scen=2, label=f"{what}: all rounds, by the phases' spans",
                      unit="ops/s", better="higher", kind="lazy", get=lambda r, v=var: cliff_get(r, v, "span_all")))
    for t in ("0", "1", "5"):
        m.append(dict(id=f"mem_iovas_t{t}", scen=3,
                      label=f"IOVAs held by the caches {t} s after the burst", unit="IOVAs",
                      better="lower", kind="lazy",
                      get=lambda r, t=t: find(r, "memory", "cached_iovas", t=t)))
    m.append(dict(id="mem_mags_t5", scen=3,
                  label="iommu_iova_magazine objects, whole system, 5 s after the burst",
                  unit="magazines", better="lower", kind="lazy", named_cache=True,
                  get=lambda r: find(r, "memory", "mags", t="5")))
    m.append(dict(id="mem_rc_t5", scen=3,
                  label="bench domain: depot + CPU magazines 5 s after the burst (rcaches debugfs)",
                  unit="magazines", better="lower", kind="lazy", patched_only=True,
                  get=lambda r: rc_sum(r, "5")))
    m.append(dict(id="mem_rc_t1", scen=3,
                  label="bench domain: depot + CPU magazines 1 s after the burst (rcaches debugfs)",
                  unit="magazines", better="lower", kind="lazy", patched_only=True,
                  get=lambda r: rc_sum(r, "1")))
    m.append(dict(id="mem_rc_maxdepot_t5", scen=3,
                  label="bench domain: largest depot of a size class 5 s after the burst",
                  unit="magazines", better="lower", kind="lazy", patched_only=True,
                  get=lambda r: find(r, "memory", "rc_max_class_depot", t="5")))
    m.append(dict(id="fresh_slab", scen=3, label="never used domain: slab memory (Slab: delta)",
                  unit="bytes/domain", better="lower", kind="lazy",
                  get=lambda r: find(r, "fresh", "slab_bytes_per_domain")))
    m.append(dict(id="fresh_percpu", scen=3, label="never used domain: per-CPU memory (Percpu: delta)",
                  unit="bytes/domain", better="lower", kind="lazy",
                  get=lambda r: find(r, "fresh", "percpu_bytes_per_domain")))
    m.append(dict(id="fresh_mags", scen=3, label="never used domain: magazines",
                  unit="magazines/domain", better="lower", kind="lazy", mags_field=True,
                  get=fresh_mags))
    m.append(dict(id="sac", scen=4, label="map after unmap, 32-bit space full (strict)",
                  unit="ns/map", better="lower", kind="strict",
                  get=lambda r: find(r, "sac", "ns_per_map")))
    for kind, what in (("lazy", "lazy (DMA-FQ)"), ("strict", "strict"), ("pt", "iommu=pt")):
        for t in ("1", str(ncpus)):
            for op in ("map", "unmap"):
                m.append(dict(id=f"dmabench_{kind}_{op}_t{t}", scen=5,
                              label=f"{op}, {what}, {t} thread{'s' if t != '1' else ''}",
                              unit="us", better="lower", kind=kind,
                              get=lambda r, t=t, op=op: find(r, "dmabench", f"{op}_us", threads=t)))
    for kind, what in (("lazy", "lazy (DMA-FQ)"), ("strict", "strict"), ("pt", "iommu=pt")):
        m.append(dict(id=f"fio_{kind}", scen=6, label=f"4k randread QD16, {what}", unit="IOPS",
                      better="higher", kind=kind, get=lambda r: find(r, "fio", "iops")))
    return m


def cliff_line(r, var):
    """The cliff line of a variant (kind=grow|steady; a line without kind=
    is the growing batch)."""
    for w, kv in r:
        if w == "cliff" and kv.get("kind", "grow") == var:
            return kv
    return None


def cliff_series(r, var="grow"):
    kv = cliff_line(r, var)
    if kv and "ops_per_s" in kv:
        return [float(x) for x in kv["ops_per_s"].split(",") if x]
    return None


def cliff_get(r, var, key):
    kv = cliff_line(r, var)
    return num(kv.get(key)) if kv else None


def cliff_ratio(r, var):
    first, last = cliff_get(r, var, "first"), cliff_get(r, var, "last")
    return last / first if first and last is not None else None


def cliff_ratio10(r, var):
    s = cliff_series(r, var)
    if not s or len(s) < 20:
        return None
    return statistics.median(s[-10:]) / statistics.median(s[:10])


def cliff_median(r, var):
    s = cliff_series(r, var)
    return statistics.median(s) if s else None


def overlap(v):
    """The module gives the loops running at once in hundredths."""
    return v / 100 if v is not None else None


def rc_sum(r, t):
    d, c = find(r, "memory", "rc_depot", t=t), find(r, "memory", "rc_cpu_mags", t=t)
    return d + c if d is not None and c is not None else None


def fresh_mags(r):
    """Magazines per never used domain: from the named cache where there is
    one, else from kmalloc-1k (the base's magazines are 1 KiB kmallocs)."""
    mags = find(r, "fresh", "mags_per_domain")
    kmal = find(r, "fresh", "kmalloc_1k_per_domain")
    has_cache = any(w == "memory" and num(kv.get("mags")) for w, kv in r)
    return mags if has_cache else kmal


def stats(vals):
    vals = [v for v in vals if v is not None]
    if not vals:
        return None
    return dict(median=statistics.median(vals), min=min(vals), max=max(vals), n=len(vals))


def fmt(v, unit=""):
    if v is None:
        return "-"
    if unit == "ratio":
        return f"{v:.2f}"
    if unit == "us":
        return f"{v:.1f}"
    a = abs(v)
    if a >= 100:
        return f"{v:,.0f}"
    if a >= 10:
        return f"{v:.1f}"
    if a == int(a):
        return f"{v:.0f}"
    return f"{v:.2f}"


def cell(s, unit):
    if not s:
        return "-"
    if s["min"] == s["max"]:
        return f"{fmt(s['median'], unit)}"
    return f"{fmt(s['median'], unit)} ({fmt(s['min'], unit)}-{fmt(s['max'], unit)})"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def rcell(x, better):
    if x is None:
        return "-"
    return f"{x:.2f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    args = ap.parse_args()
    d = args.dir
    benv = read_env(os.path.join(d, "bench.env"))
    runs = []
    rdir = os.path.join(d, "runs")
    for name in sorted(os.listdir(rdir)):
        p = os.path.join(rdir, name)
        if not os.path.isdir(p):
            continue
        env = read_env(os.path.join(p, "run.env"))
        m = re.match(r'^r(\d+)-(\w+)-(.+)$', name)
        if not m:
            continue
        runs.append(dict(dir=name, round=int(m.group(1)), kind=m.group(2), kernel=m.group(3),
                         env=env, results=read_results(os.path.join(p, "results.txt"))))
    if not runs:
        sys.exit(f"report.py: no runs in {rdir}")
    kernels = [k for k in KERNELS if any(r["kernel"] == k for r in runs)]

    # What the guests said about themselves.
    guest = {}
    ncpus = 2
    for r in runs:
        for w, kv in r["results"]:
            if w == "kernel" and r["kernel"] not in guest:
                guest[r["kernel"]] = dict(release=kv.get("release"), cpus=kv.get("cpus"),
                                          memory_kib=kv.get("memory_kib"),
                                          version=r["env"].get("BENCH_VERSION"),
                                          commit=r["env"].get("BENCH_COMMIT"))
                ncpus = int(kv.get("cpus") or ncpus)
    accels = sorted({r["env"].get("ACCEL", "?") for r in runs})
    machine = next((r["env"].get("MACHINE_DESC") for r in runs if r["env"].get("MACHINE_DESC")), "?")
    failed = [r["dir"] for r in runs if r["env"].get("STATUS") != "ok"]

    # Group types seen by dma_map_benchmark, per kind: DMA-FQ must be confirmed.
    domains = {}
    for r in runs:
        for w, kv in r["results"]:
            if w == "dmabench-domain":
                domains.setdefault(r["kind"], set()).add(kv.get("type"))
    notices = {}
    for r in runs:
        for w, kv in r["results"]:
            pass
    for r in runs:
        p = os.path.join(rdir, r["dir"], "results.txt")
        if os.path.exists(p):
            for line in open(p, errors="replace"):
                if line.startswith("sac-notice "):
                    notices.setdefault(r["kernel"], line[len("sac-notice "):].strip())

    table = metrics_table(ncpus)
    out = dict(meta=dict(bench=benv, machine=machine, accel=accels, vcpus=ncpus, guests=guest,
                         failed_runs=failed, domain_types=sorted_dict(domains)),
               metrics=[], cliff_rounds={})
    for m in table:
        vals = {}
        for k in kernels:
            vals[k] = [m["get"](r["results"]) for r in sorted(runs, key=lambda r: r["round"])
                       if r["kernel"] == k and r["kind"] == m["kind"]]
        if m.get("patched_only"):
            vals = {k: (v if k == "patched" else []) for k, v in vals.items()}
        if m.get("named_cache"):
            # 6.1 has no iommu_iova_magazine cache: its magazines are kmalloc-1k.
            vals = {k: (v if k != "base" else []) for k, v in vals.items()}
        st = {k: stats(v) for k, v in vals.items()}
        if not any(st.values()):
            continue
        med = {k: (s["median"] if s else None) for k, s in st.items()}
        e = dict(id=m["id"], scenario=m["scen"], label=m["label"], unit=m["unit"],
                 better=m["better"], kind=m["kind"], values=vals, stats=st,
                 ratio_patched_base=ratio(med.get("patched"), med.get("base")),
                 ratio_patched_v612=ratio(med.get("patched"), med.get("v6.12")),
                 ratio_patched_v1=ratio(med.get("patched"), med.get("v1")))
        out["metrics"].append(e)
    for var in ("grow", "steady"):
        for k in kernels:
            series = [cliff_series(r["results"], var) for r in runs
                      if r["kernel"] == k and r["kind"] == "lazy"]
            series = [s for s in series if s]
            if series:
                n = min(len(s) for s in series)
                out["cliff_rounds"].setdefault(var, {})[k] = [
                    statistics.median(s[i] for s in series) for i in range(n)]
    json.dump(out, open(os.path.join(d, "bench.json"), "w"), indent=1, default=list)

    charts = make_charts(d, out, kernels)
    write_markdown(d, out, kernels, benv, charts, notices)
    print(f"report.py: {os.path.join(d, 'report.md')}, {os.path.join(d, 'bench.json')}, {len(charts)} charts")


def sorted_dict(d):
    return {k: sorted(x for x in v if x) for k, v in d.items()}


def metric(out, mid):
    return next((m for m in out["metrics"] if m["id"] == mid), None)


def make_charts(d, out, kernels):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("report.py: no matplotlib (apt-get install python3-matplotlib): no charts", file=sys.stderr)
        return {}
    charts = {}

    def bars(fname, title, ids, ylabel, log=False, labels=None, values=False):
        # Figures a run has no value for (a kind of boot it skipped) go,
        # with their labels.
        pairs = [(metric(out, i), (labels or [None] * len(ids))[n]) for n, i in enumerate(ids)]
        pairs = [(m, lb) for m, lb in pairs if m]
        if not pairs:
            return
        ms = [m for m, _ in pairs]
        labels = [lb for _, lb in pairs] if labels else None
        fig, ax = plt.subplots(figsize=(min(11, max(5, 1.3 * len(ms) + 2)), 4.2))
        w = 0.8 / len(kernels)
        for j, k in enumerate(kernels):
            xs, ys, lo, hi = [], [], [], []
            for i, m in enumerate(ms):
                s = m["stats"].get(k)
                if not s:
                    continue
                xs.append(i + (j - (len(kernels) - 1) / 2) * w)
                ys.append(s["median"])
                lo.append(s["median"] - s["min"])
                hi.append(s["max"] - s["median"])
            if xs:
                c = ax.bar(xs, ys, w, yerr=[lo, hi], capsize=3, label=LABELS[k], color=COLOURS[k])
                if values:
                    ax.bar_label(c, labels=[fmt(y) for y in ys], fontsize=7, padding=2)
        ax.set_xticks(range(len(ms)))
        ax.set_xticklabels(labels or [m["label"] for m in ms], fontsize=8)
        ax.set_ylabel(ylabel)
        if log:
            ax.set_yscale("log")
        ax.set_title(title + "\n(median of the rounds, bars: min-max)", fontsize=10)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(os.path.join(d, fname), dpi=100)
        plt.close(fig)
        charts[fname] = title

    n = out["meta"]["vcpus"]
    bars("hotpath.png", "1. Hot path: alloc_iova_fast()+free_iova_fast()",
         [f"hotpath_s{s}_{c}" for s in (1, 4, 32) for c in ("1", "all")], "ns per pair",
         labels=[f"{s} p, {'1 CPU' if c == '1' else f'{n} CPUs'}" for s in (1, 4, 32) for c in ("1", "all")])
    for var, fname, what in (("grow", "cliff.png", "growing batch"),
                             ("steady", "cliff-steady.png", "same batch every round")):
        rounds = out["cliff_rounds"].get(var)
        if not rounds:
            continue
        fig, ax = plt.subplots(figsize=(8, 4.2))
        for k in kernels:
            s = rounds.get(k)
            if s:
                ax.plot(range(1, len(s) + 1), [x / 1e6 for x in s], label=LABELS[k], color=COLOURS[k])
        ax.set_xlabel("round" + (" (the batch grows linearly from the first round to the last)"
                                 if var == "grow" else ""))
        ax.set_ylabel("million operations per second")
        ax.set_ylim(bottom=0)
        ax.set_title(f"2. The cliff, {what}: ops/s per round (median over the bench rounds)", fontsize=10)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(os.path.join(d, fname), dpi=100)
        plt.close(fig)
        charts[fname] = f"2. The cliff, {what}"
    bars("memory.png", "3. IOVAs held by the caches after a burst",
         ["mem_iovas_t0", "mem_iovas_t1", "mem_iovas_t5"], "IOVAs",
         labels=["right after", "after 1 s idle", "after 5 s idle"], values=True)
    bars("fresh.png", "3. A never used domain",
         ["fresh_slab"], "bytes of slab per domain", labels=["slab bytes per domain"], values=True)
    bars("sac.png", "4. SAC under fragmentation (strict)", ["sac"], "ns per map (log scale)",
         log=True, labels=["map of 128 pages"], values=True)
    bars("dmabench.png", "5. dma_map_benchmark -b 64 (us; the kernel measures in 100 ns units)",
         [f"dmabench_{k}_{op}_t{t}" for k in ("lazy", "strict", "pt") for t in ("1", str(n)) for op in ("map", "unmap")],
         "microseconds",
         labels=[f"{k}\n{op} {t}t" for k in ("lazy", "strict", "pt") for t in ("1", str(n)) for op in ("map", "unmap")])
    bars("fio.png", "6. fio 4k randread (context only under TCG)",
         ["fio_lazy", "fio_strict", "fio_pt"], "IOPS", labels=["lazy", "strict", "iommu=pt"])
    return charts


SCENARIOS = {
    1: "1. Hot path (alloc_iova_fast + free_iova_fast on the module's own domain)",
    2: "2. The cliff (mixed sizes, batches allocated on one CPU and freed on the next)",
    3: "3. Memory held after a burst, and by a never used domain",
    4: "4. SAC under fragmentation (DMA API, e1000e, strict)",
    5: "5. dma_map_benchmark -b 64 (microseconds, printed by the tool with 0.1 us "
       "resolution: the kernel measures in 100 ns units)",
    6: "6. fio 4k randread on the nvme disk (context only: TCG caps it)",
}


def write_markdown(d, out, kernels, benv, charts, notices):
    meta = out["meta"]
    notes = {}
    m = re.search(r'lab\.from=(\d+)', benv.get("PARAMS", ""))
    b = re.search(r'lab\.batch=(\d+)', benv.get("PARAMS", ""))
    if m and b:
        notes["cliff"] = f"from {m.group(1)} to {b.group(1)} IOVAs"
    if b:
        notes["steady"] = f"{b.group(1)} IOVAs"
    g = meta["guests"]
    L = []
    L.append(f"# IOVA series bench: {', '.join(LABELS[k] for k in kernels)} side by side\n")
    L.append(f"- Machine: {meta['machine']} (the VT-d machine, lab/vm/machines/vtd.sh)")
    L.append(f"- Accelerator: {', '.join(a.upper() for a in meta['accel'])}"
             + (" (software emulation: guest time is emulated; only ratios between kernels of"
                " this run mean anything)" if "tcg" in meta["accel"] else ""))
    L.append(f"- vCPUs: {meta['vcpus']}; host: {benv.get('HOST_CPUS', '?')} cores "
             f"({benv.get('HOST_CPU', '?')}), shared with other work; {benv.get('QEMU', '')}")
    for k in kernels:
        gi = g.get(k, {})
        L.append(f"- Guest kernel {LABELS[k]}: Linux {gi.get('version', '?')}, release "
                 f"{gi.get('release', '?')}" + (f", commit {gi['commit'][:12]}" if gi.get("commit") not in (None, "none") else ""))
    L.append(f"- Rounds: {benv.get('ROUNDS', '?')}, interleaved (per round and kind of boot: "
             f"{', '.join(LABELS[k] for k in kernels)}); boots per round and kernel: lazy, strict, iommu=pt")
    L.append(f"- Parameters: {benv.get('PARAMS', '')}; kernel command line of every boot: {benv.get('CMDLINE', '')} (plus the machine's and the mode's)")
    L.append(f"- Wall time: {benv.get('WALL_SECONDS', '?')} s "
             f"({benv.get('STARTED', '?')} to {benv.get('FINISHED', '?')})")
    dt = meta.get("domain_types", {})
    if dt:
        L.append("- e1000e domain types seen by dma_map_benchmark: "
                 + "; ".join(f"{k} boots: {', '.join(v)}" for k, v in dt.items()))
    if meta["failed_runs"]:
        L.append(f"- **Failed boots** (missing from the figures): {', '.join(meta['failed_runs'])}")
    L.append("")
    L.append("Figures: median of the rounds (min-max). Ratios are of the medians; "
             "for ns, us and memory lower is better, for ops/s, IOPS and the cliff ratio higher is better; "
             "the loops running at once are neither (under TCG the loop time follows them).\n")
    for sc in sorted(SCENARIOS):
        ms = [m for m in out["metrics"] if m["scenario"] == sc]
        if not ms:
            continue
        L.append(f"## {SCENARIOS[sc]}\n")
        # A ratio column for each other kernel of the run.
        rcols = [(k, f"patched/{LABELS[k].replace('base 6.1', 'base').replace('6.1 + series v1', 'v1')}",
                  {"base": "ratio_patched_base", "v6.12": "ratio_patched_v612", "v1": "ratio_patched_v1"}[k])
                 for k in kernels if k != "patched"] if "patched" in kernels else []
        L.append("| figure | unit | " + " | ".join(LABELS[k] for k in kernels)
                 + "".join(f" | {c[1]}" for c in rcols) + " |")
        L.append("|---|---|" + "---|" * (len(kernels) + len(rcols)))
        for m in ms:
            L.append(f"| {m['label']} | {m['unit']} | "
                     + " | ".join(cell(m["stats"].get(k), m["unit"]) for k in kernels)
                     + "".join(f" | {rcell(m[c[2]], m['better'])}" for c in rcols) + " |")
        L.append("")
        if sc == 2:
            L.append(f"Each round, every vCPU's slot allocates a batch of mixed sizes (1, 2, 4, 8 pages) "
                     f"and the next vCPU frees it, on a new domain for each variant, after one round "
                     f"that is not measured. Growing batch: the batch per slot grows linearly over the "
                     f"rounds ({notes.get('cliff', '?')}); same batch: {notes.get('steady', '?')} every "
                     f"round. The time is that spent in the allocator (the slowest slot of each phase), "
                     f"not the time the vCPUs take to wake up for their work. The base's depot holds 32 "
                     f"magazines of 127 IOVAs per size class: once the IOVAs in flight exceed it, "
                     f"magazines go back to the rbtree and allocations come from it.\n")
        if sc == 3:
            L.append("The base's magazines are kmalloc-1k objects (not separable from other users): "
                     "for it, the IOVAs held (the module counts its domain's tree) are the measure, and "
                     "the never used domain's magazines are the kmalloc-1k delta. "
                     "\"Whole system\" counts the magazines of every domain (nvme, e1000e and the "
                     "bench's); the rcaches line is the bench domain alone (patched only).\n")
        if sc == 5:
            L.append("The tool prints microseconds with one decimal (the kernel measures in 100 ns "
                     "units), so 0.1 us is its resolution. With 2 threads on 2 vCPUs, whose host "
                     "threads share 2 cores with everything else, the spread is wide: compare the "
                     "min-max ranges before reading a ratio.\n")
        if sc == 4 and notices:
            for k in kernels:
                if k in notices:
                    L.append(f"- {LABELS[k]}: kernel said \"{notices[k]}\"")
            L.append("")
        for f, t in charts.items():
            if t.startswith(f"{sc}."):
                L.append(f"![{t}]({f})\n")
    L.append("## Goals\n")
    L.extend(goals(out, kernels))
    open(os.path.join(d, "report.md"), "w").write("\n".join(L) + "\n")


def goals(out, kernels):
    L = []

    def med(mid, k):
        m = metric(out, mid)
        s = m["stats"].get(k) if m else None
        return s["median"] if s else None

    for var, what in (("steady", "same batch every round"), ("grow", "growing batch")):
        r = med(f"cliff_{var}_ratio", "patched")
        if r is None:
            continue
        r10 = med(f"cliff_{var}_ratio10", "patched")
        L.append(f"- Cliff ({what}), last/first round >= 0.95: patched {r:.2f} "
                 f"({'met' if r >= 0.95 else 'NOT met'}; last 10 / first 10 rounds {fmt(r10, 'ratio')}); "
                 f"base {fmt(med(f'cliff_{var}_ratio', 'base'), 'ratio')} "
                 f"({fmt(med(f'cliff_{var}_ratio10', 'base'), 'ratio')}), "
                 f"6.12 {fmt(med(f'cliff_{var}_ratio', 'v6.12'), 'ratio')} "
                 f"({fmt(med(f'cliff_{var}_ratio10', 'v6.12'), 'ratio')}); last round patched/base "
                 f"{fmt(ratio(med(f'cliff_{var}_last', 'patched'), med(f'cliff_{var}_last', 'base')), 'ratio')}")
    b, p = med("sac", "base"), med("sac", "patched")
    if b and p:
        L.append(f"- SAC, patched at least 10x faster than base: {b / p:.1f}x "
                 f"({'met' if b / p >= 10 else 'NOT met'})")
    dep = med("mem_rc_maxdepot_t5", "patched")
    if dep is not None:
        L.append(f"- Depot after reclaim <= {out['meta']['vcpus']} (online CPUs) magazines per size class: "
                 f"patched, largest class 5 s after the burst: {fmt(dep)} "
                 f"({'met' if dep <= out['meta']['vcpus'] else 'NOT met'})")
    rc = med("mem_rc_t5", "patched")
    if rc is not None:
        L.append(f"- Near zero once idle (beyond upstream): patched bench domain holds {fmt(rc)} magazines "
                 f"5 s after the burst; IOVAs held: base {fmt(med('mem_iovas_t5', 'base'))}, "
                 f"6.12 {fmt(med('mem_iovas_t5', 'v6.12'))}, patched {fmt(med('mem_iovas_t5', 'patched'))}")
    fm = {k: med("fresh_mags", k) for k in kernels}
    if any(v is not None for v in fm.values()):
        L.append("- Never used domain, magazines: " + ", ".join(f"{LABELS[k]} {fmt(v)}" for k, v in fm.items())
                 + "; slab bytes: " + ", ".join(f"{LABELS[k]} {fmt(med('fresh_slab', k))}" for k in kernels))
    worst = None
    for s in (1, 4, 32):
        for c in ("1", "all"):
            x = metric(out, f"hotpath_s{s}_{c}")
            if x and x["ratio_patched_base"]:
                if worst is None or x["ratio_patched_base"] > worst[0]:
                    worst = (x["ratio_patched_base"], x["label"])
    if worst:
        L.append(f"- Hot path unchanged within noise: worst patched/base ratio {worst[0]:.2f} ({worst[1]})")
    if "v1" in kernels and "patched" in kernels:
        # v2 (patched) no slower than v1: a figure counts against v2 only when
        # its whole min-max range is on the worse side of v1's.
        worse, better, even = [], [], []
        for m in out["metrics"]:
            a, b = m["stats"].get("patched"), m["stats"].get("v1")
            if not a or not b or m["better"] == "none":
                continue
            if m["better"] == "lower":
                w, g = a["min"] > b["max"], a["max"] < b["min"]
            else:
                w, g = a["max"] < b["min"], a["min"] > b["max"]
            (worse if w else better if g else even).append(
                f"{m['label']} ({fmt(m['ratio_patched_v1'], 'ratio')})")
        L.append(f"- v2 no slower than v1 (ranges apart): {len(worse)} figures worse, {len(better)} better, "
                 f"{len(even)} with overlapping ranges"
                 + (f"; worse: {'; '.join(worse)}" if worse else "")
                 + (f"; better: {'; '.join(better)}" if better else ""))
    return L


if __name__ == "__main__":
    main()
