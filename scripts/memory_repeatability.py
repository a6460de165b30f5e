"""Where do memory figures move between runs? One operation measured in many
fresh processes, grouped into "runs", under switchable allocator and process
settings.

Each *run* is a separate parent process that imports the benchmark suite
(as asv's forkserver does) and then, for each case, starts ``--procs``
benchmark processes: forked from it (``fork``, asv's forkserver) or fresh
interpreters (``spawn``). Each benchmark process does exactly what asv does
for one memory figure: the suite's class, its ``setup(fmt, scale, "flat")``
(workloads.prepare_benchmark: guard, cache, warm-up, page-cache drop) and
memtrack's ``_measure_once`` (the tracker @track_memory uses), and reports
peak, delta and retained bytes. The runs of all configurations are
interleaved (run 1 of every configuration, then run 2, ...), so they share
the machine's conditions.

Per figure it prints the median, the spread (max - min) / min within a run
(the largest over runs), and between runs (of the runs' medians).

    python scripts/memory_repeatability.py --runs 3 --procs 4 \\
        --cases load:100000 shuffled:10000 --configs base spawn arrow-system
    python scripts/memory_repeatability.py --list   # the configurations
    python scripts/memory_repeatability.py --runs 3 --procs 2 --configs protocol \\
        --cases series-history:1000:parquet-native-zstd-rg1000   # a family's operation

``--asv-runs DIR ...`` judges real asv runs of one commit instead (each DIR a
copy of one run's results/<machine>/, e.g. of `.ci/suite`): issue 25's
targets per format (every memory figure of 10 MiB or more within 2%, max -
min of the runs' medians over the smallest; every figure of 1 MiB or more
within 0.5 MiB), `asv compare --factor 1.05` between every two runs (in a
temporary results folder, the second run's file given another commit hash),
and the gate's verdicts on every two runs (usdbench/gate/rule.py; with
four runs or more, calibrated on the runs outside the pair):

    python scripts/memory_repeatability.py --asv-runs runs/run1 runs/run2 runs/run3
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FORMATS = (
    "usda",
    "usdc",
    "usdz",
    "parquet-native-zstd-rg1000",
    "parquet-python-zstd-rg1000",
)
OPERATIONS = {  # name -> (module, class) of the suite
    "load": ("benchmarks.load", "InitialLoad"),
    "shuffled": ("benchmarks.traversal", "ShuffledAccess"),
    "full": ("benchmarks.traversal", "FullTraversal"),
    "six-all": ("benchmarks.traversal", "SixPropertiesAllPrims"),
    # The scenario families (benchmarks/series.py, arrays.py, sparse.py).
    "series-load": ("benchmarks.series", "SeriesLoad"),
    "series-frame": ("benchmarks.series", "SeriesFrame"),
    "series-history": ("benchmarks.series", "SeriesHistory"),
    "arrays-load": ("benchmarks.arrays", "ArraysLoad"),
    "arrays-every": ("benchmarks.arrays", "ArraysEveryPrim"),
    "arrays-one": ("benchmarks.arrays", "ArraysOnePrim"),
    "sparse-load": ("benchmarks.sparse", "SparseLoad"),
    # Reads on a loaded stage (benchmarks/access.py): figures of a few KiB.
    "random-prims": ("benchmarks.access", "OnePropertyRandomPrims"),
    "path-order": ("benchmarks.access", "OnePropertyPathOrder"),
    "six-one": ("benchmarks.access", "SixPropertiesOnePrim"),
}
FIGURES = ("peak_bytes", "current_bytes", "retained_bytes")
MIB = 2**20

# name -> (environment added, options). Options: "spawn" (fresh interpreters),
# "norandom" (the run under `setarch -R`: no address-space randomisation,
# inherited by its children), "warm" (no page-cache drop in setup).
# USD's default threads for the memory figures: the suite as it was before
# benchmarks/protocol.py (which limits them to one).
_NO_PIN = {"USDBENCH_MEMORY_THREADS": "default"}
CONFIGS: dict[str, tuple[dict[str, str], tuple[str, ...]]] = {
    "base": (_NO_PIN, ()),
    "spawn": (_NO_PIN, ("spawn",)),
    "norandom": (_NO_PIN, ("norandom",)),
    "norandom-spawn": (_NO_PIN, ("norandom", "spawn")),
    "warm": (_NO_PIN, ("warm",)),
    "arrow-system": ({**_NO_PIN, "ARROW_DEFAULT_MEMORY_POOL": "system"}, ()),
    "arrow-jemalloc": ({**_NO_PIN, "ARROW_DEFAULT_MEMORY_POOL": "jemalloc"}, ()),
    "mi-purge0": ({**_NO_PIN, "MIMALLOC_PURGE_DELAY": "0"}, ()),
    "mi-eager": ({**_NO_PIN, "MIMALLOC_ARENA_EAGER_COMMIT": "1"}, ()),
    "arena1": ({**_NO_PIN, "MALLOC_ARENA_MAX": "1"}, ()),
    "arena2": ({**_NO_PIN, "MALLOC_ARENA_MAX": "2"}, ()),
    "mmap-fixed": ({**_NO_PIN, "MALLOC_MMAP_THRESHOLD_": "131072"}, ()),
    "trim-fixed": ({**_NO_PIN, "MALLOC_TRIM_THRESHOLD_": "131072"}, ()),
    "top-pad": ({**_NO_PIN, "MALLOC_TOP_PAD_": "0"}, ()),
    "pxr1": ({**_NO_PIN, "PXR_WORK_THREAD_LIMIT": "1"}, ()),
    # The suite's protocol as committed (benchmarks/protocol.py).
    "protocol": ({}, ()),
    "protocol-spawn": ({}, ("spawn",)),
    "protocol-2": ({"USDBENCH_MEMORY_THREADS": "2"}, ()),
    # The protocol, and the Python loader parsing a large table in one part
    # (its default: one part, on a thread each, per core).
    "protocol-loader1": ({}, ("loader1",)),
    # The protocol with mimalloc (Arrow's pool) purging freed pages at once,
    # or never: its default purges after a delay, so what stays resident
    # depends on timing.
    "protocol-mi-purge0": ({"MIMALLOC_PURGE_DELAY": "0"}, ()),
    "protocol-mi-nopurge": ({"MIMALLOC_PURGE_DELAY": "-1"}, ()),
    # The protocol, and the operation done once in setup before it is
    # measured (its one-time costs paid: code pages, thread pools, arenas).
    "protocol-opwarm": ({}, ("opwarm",)),
    # The protocol, and Arrow's IO thread pool (separate from its CPU pool)
    # limited to one thread too.
    "protocol-io1": ({}, ("io1",)),
    # The protocol, without the page-cache drop, or without address-space
    # randomisation.
    "protocol-warm": ({}, ("warm",)),
    "protocol-norandom": ({}, ("norandom",)),
    # And Python's hash seed fixed: set and dict layouts the same in every run.
    "protocol-fixed-layout": ({"PYTHONHASHSEED": "0"}, ("norandom",)),
    # The data files read into the OS page cache after setup, before measuring
    # (protocol 6 does it itself).
    "protocol-cached": ({}, ("cached",)),
    # The protocol with glibc's malloc in one arena, or a fixed mmap threshold.
    "protocol-arena1": ({"MALLOC_ARENA_MAX": "1"}, ()),
    "protocol-mmap-fixed": ({"MALLOC_MMAP_THRESHOLD_": "131072"}, ()),
    # The protocol with Arrow's pool the system allocator (glibc's malloc,
    # whose mmap threshold the protocol fixes): the protocol's own since 5.
    "protocol-arrow-system": ({"ARROW_DEFAULT_MEMORY_POOL": "system"}, ()),
    # The protocol with Arrow's pool mimalloc (pyarrow's default, and the
    # protocol's before 5).
    "protocol-mimalloc": ({"ARROW_DEFAULT_MEMORY_POOL": "mimalloc"}, ()),
    # The protocol with the benchmark process's threads on CPU 0 and the peak
    # watcher on CPU 1: is a peak's spread the watcher's misses?
    "protocol-pinned": ({}, ("spawn", "pin")),
    # The protocol without numpy's request for transparent huge pages (it
    # madvises arrays of 4 MiB or more), or with Python's objects in malloc.
    "protocol-nohuge": ({"NUMPY_MADVISE_HUGEPAGE": "0"}, ("spawn",)),
    "protocol-pymalloc-off": ({"PYTHONMALLOC": "malloc"}, ("spawn",)),
}
OPTIONS = ("spawn", "warm", "loader1", "opwarm", "io1", "cached", "pin")


def _case(text: str) -> tuple[str, int, str | None]:
    """load:100000[:format]"""
    op, scale, *fmt = text.split(":")
    if op not in OPERATIONS:
        raise argparse.ArgumentTypeError(f"unknown operation {op!r}: {', '.join(OPERATIONS)}")
    return op, int(scale), (fmt[0] if fmt else None)


# -- the benchmark process ---------------------------------------------------
def _measure(op: str, fmt: str, scale: int, spec: dict) -> dict:
    import gc
    import importlib

    from memtrack.asv import _measure_once
    from usdbench import workloads

    if spec.get("loader1"):
        from usdbench.parquet import loader

        parse_parts = loader.parse_parts
        loader.parse_parts = lambda prep, parts, name: parse_parts(prep, parts or 1, name)
    if spec.get("warm"):
        workloads.drop_page_cache = lambda paths: True
    module, name = OPERATIONS[op]
    bench = getattr(importlib.import_module(module), name)()
    params = (fmt, scale, "flat")
    if spec.get("opwarm"):
        bench.setup(*params)
        bench._warm = bench.measure(*params)
    bench.setup(*params)
    if spec.get("opwarm"):
        del bench._warm  # noqa - the first result, dropped before the measurement
        gc.collect()
        workloads.drop_page_cache(bench.files.data_files())
    if spec.get("cached"):
        # The data files wholly in the OS page cache before the measurement.
        for path in bench.files.data_files():
            with open(path, "rb") as f:
                while f.read(1 << 20):
                    pass
    if spec.get("io1"):
        import pyarrow

        pyarrow.set_io_thread_count(1)
    if hasattr(bench, "track_peak_bytes"):
        # What the suite's memory figure methods do before memtrack measures.
        from benchmarks import protocol

        protocol.before_memory_figure(bench)
    if spec.get("pin"):
        _pin_process_and_watcher()
    t0 = time.perf_counter()
    result = _measure_once(bench, params)
    out = {f: getattr(result, f) for f in FIGURES}
    out["seconds"] = time.perf_counter() - t0
    out["breakdown"] = result.breakdown
    out["method"] = result.method
    return out


def _pin_process_and_watcher() -> None:
    """This process's threads on the first CPU it may use, and the peak
    watcher (started here, the one memtrack's tracker then uses) on the
    last (needs two)."""
    from memtrack import _sampler

    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        raise SystemExit("pin: needs two CPUs")
    for tid in os.listdir("/proc/self/task"):
        os.sched_setaffinity(int(tid), {cpus[0]})
    os.sched_setaffinity(_sampler.shared_sampler("watcher").pid, {cpus[-1]})


def _measure_spec(spec: dict) -> dict:
    return _measure(spec["op"], spec["fmt"], spec["scale"], spec)


def _import_suite() -> None:
    """What asv's forkserver has done before it forks a benchmark process."""
    sys.path.insert(0, str(REPO))
    import benchmarks.access  # noqa: F401
    import benchmarks.arrays  # noqa: F401
    import benchmarks.load  # noqa: F401
    import benchmarks.series  # noqa: F401
    import benchmarks.sparse  # noqa: F401
    import benchmarks.traversal  # noqa: F401


def _child_main(spec: dict) -> None:
    _import_suite()
    print(json.dumps(_measure_spec(spec)))


def _forked(spec: dict) -> dict:
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the benchmark process
        os.close(r)
        try:
            data = json.dumps(_measure_spec(spec))
        except BaseException as exc:  # noqa: BLE001 - report, never return into the parent's loop
            data = json.dumps({"error": repr(exc)})
        with os.fdopen(w, "w") as f:
            f.write(data)
        os._exit(0)
    os.close(w)
    with os.fdopen(r) as f:
        data = f.read()
    os.waitpid(pid, 0)
    return json.loads(data)


def _spawned(spec: dict) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(spec)],
        capture_output=True,
        text=True,
    )
    if out.returncode:
        return {"error": out.stderr[-2000:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def _run_main(spec: dict) -> None:
    """One run: import the suite, then procs x cases benchmark processes."""
    _import_suite()
    start = _spawned if spec["spawn"] else _forked
    results = {}
    for _ in range(spec["procs"]):
        for op, scale, fmt in spec["cases"]:
            one = {"op": op, "scale": scale, "fmt": fmt}
            one.update({o: spec[o] for o in OPTIONS})
            results.setdefault(f"{op}:{scale}:{fmt}", []).append(start(one))
    print(json.dumps(results))


# -- the driver ----------------------------------------------------------------
def run_config(name: str, cases: list, procs: int) -> dict:
    env_add, options = CONFIGS[name]
    env = dict(os.environ, **env_add)
    env.setdefault("USDBENCH_PROFILE", "default")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    spec = {"cases": cases, "procs": procs, **{o: o in options for o in OPTIONS}}
    cmd = [sys.executable, __file__, "--run", json.dumps(spec)]
    if "norandom" in options:
        cmd = ["setarch", platform.machine(), "-R", *cmd]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"run of {name} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def spread(values: list[float]) -> float:
    lo = min(values)
    return (max(values) - lo) / lo if lo > 0 else float("inf")


def summarise(runs: list[dict], min_mib: float) -> list[dict]:
    """Per case and figure: median, within-run and between-run spread."""
    rows = []
    for case in runs[0]:
        for fig in FIGURES:
            per_run = [[p[fig] for p in run[case] if "error" not in p] for run in runs]
            allv = [v for r in per_run for v in r]
            if not allv:
                rows.append({"case": case, "figure": fig, "error": True})
                continue
            med = statistics.median(allv)
            medians = [statistics.median(r) for r in per_run if r]
            rows.append(
                {
                    "case": case,
                    "figure": fig,
                    "median_mib": med / MIB,
                    "within": max(spread(r) for r in per_run if r),
                    "between": spread(medians),
                    "all": spread(allv),
                    "range_mib": (max(allv) - min(allv)) / MIB,
                    "large": med >= min_mib * MIB,
                }
            )
    return rows


def _family(case: str) -> str:
    fmt = case.split(":", 2)[2]
    return "parquet-native" if "native" in fmt else "parquet-python" if "python" in fmt else fmt


def print_summary(samples: dict[str, list[dict]], min_mib: float, by_format: bool) -> None:
    if by_format:
        # Per configuration and format, over its figures of min_mib or more:
        # the largest spread over all processes, and between the runs' medians.
        print(f"\n{'config':15} {'format':15} {'figures':>7} {'all, max':>9} {'between, max':>12}")
        for name, runs in samples.items():
            rows = [r for r in summarise(runs, min_mib) if r.get("large")]
            for fam in dict.fromkeys(_family(r["case"]) for r in rows):
                mine = [r for r in rows if _family(r["case"]) == fam]
                print(
                    f"{name:15} {fam:15} {len(mine):7} {max(r['all'] for r in mine):9.1%} "
                    f"{max(r['between'] for r in mine):12.1%}"
                )
        return
    print(
        f"\n{'config':15} {'case':38} {'figure':15} {'median MiB':>10} "
        f"{'within':>7} {'between':>7} {'all':>7} {'range MiB':>9}"
    )
    for name, runs in samples.items():
        for row in summarise(runs, min_mib):
            if row.get("error"):
                print(f"{name:15} {row['case']:38} {row['figure']:15} ERROR")
                continue
            print(
                f"{name:15} {row['case']:38} {row['figure']:15} {row['median_mib']:10.1f} "
                f"{row['within']:7.1%} {row['between']:7.1%} {row['all']:7.1%} "
                f"{row['range_mib']:9.2f}"
            )


# -- asv runs already made ------------------------------------------------------
def _format_of(key: str) -> str:
    """The format family of a figure key "mod.Class.track_x_bytes('usda', 1000, 'flat')"."""
    params = key.partition("(")[2]
    first = params.split(",")[0].strip(" )'\"")
    return _family(f"x:0:{first}") if first else "(no format)"


def asv_runs_summary(dirs: list[Path], min_mib: float = 10.0) -> dict:
    """Per memory figure measured in two runs or more: the runs' medians, the
    spread (max - min) / min between them and the range max - min."""
    from usdbench.gate import memory_samples, read_runs

    runs = read_runs(dirs)
    per_run = [memory_samples(run.result) for run in runs]
    figures = {}
    for key in sorted(set().union(*per_run)):
        medians = [statistics.median(r[key]) for r in per_run if key in r]
        if len(medians) < 2:
            continue
        lo, hi = min(medians), max(medians)
        figures[key] = {
            "medians": medians,
            "spread": (hi - lo) / lo if lo > 0 else (0.0 if hi == lo else float("inf")),
            "range": hi - lo,
            "format": _format_of(key),
        }
    return {"runs": runs, "per_run": per_run, "figures": figures, "min_mib": min_mib}


def print_asv_targets(
    summary: dict, large_share: float = 0.02, medium_range_mib: float = 0.5, medium_mib: float = 1.0
) -> int:
    """The issue's repeatability targets; returns how many figures miss them."""
    figures, min_mib = summary["figures"], summary["min_mib"]
    runs = summary["runs"]
    first = runs[0].result
    print(
        f"{len(runs)} asv runs of {first.commit_hash[:8]} on {first.machine} "
        f"({first.env_name}): {len(figures)} memory figures in two runs or more"
    )
    large = {k: f for k, f in figures.items() if min(f["medians"]) >= min_mib * MIB}
    medium = {k: f for k, f in figures.items() if min(f["medians"]) >= medium_mib * MIB}
    print(f"\nfigures of {min_mib:g} MiB or more, (max - min) / min of the runs' medians:")
    print(
        f"{'format':16} {'figures':>7} {'median':>7} {'largest':>7} "
        f"{'over ' + format(large_share, '.0%'):>8}"
    )
    for fam in sorted({f["format"] for f in large.values()}):
        mine = [f["spread"] for f in large.values() if f["format"] == fam]
        over = sum(s > large_share for s in mine)
        print(f"{fam:16} {len(mine):7} {statistics.median(mine):7.2%} {max(mine):7.2%} {over:8}")
    misses = [(k, f) for k, f in large.items() if f["spread"] > large_share]
    wide = [(k, f) for k, f in medium.items() if f["range"] > medium_range_mib * MIB]
    print(
        f"\nfigures of {medium_mib:g} MiB or more: {len(medium)}, largest range "
        f"{max((f['range'] for f in medium.values()), default=0) / MIB:.3f} MiB, "
        f"{len(wide)} over {medium_range_mib:g} MiB"
    )
    for key, f in sorted(dict(misses + wide).items(), key=lambda kf: -kf[1]["spread"]):
        meds = ", ".join(f"{m / MIB:.2f}" for m in f["medians"])
        print(f"  miss: {key}: {meds} MiB ({f['spread']:.2%}, {f['range'] / MIB:.3f} MiB)")
    return len({k for k, _ in misses + wide})


def _pairs(n: int) -> list[tuple[int, int]]:
    return [(i, j) for i in range(n) for j in range(i + 1, n)]


def asv_compare_pairs(summary: dict, factor: float, benchmarks_json: Path) -> list[dict]:
    """`asv compare --factor` between every two runs: the memory figures it flags."""
    import re
    import shutil
    import tempfile

    from usdbench.gate import bench_pattern

    memory = re.compile(bench_pattern())
    runs = summary["runs"]
    out = []
    for i, j in _pairs(len(runs)):
        a, b = runs[i].result, runs[j].result
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            folder = root / "results" / a.machine
            folder.mkdir(parents=True)
            shutil.copy(benchmarks_json, root / "results" / "benchmarks.json")
            machine_json = runs[i].directory / "machine.json"
            if machine_json.exists():
                shutil.copy(machine_json, folder / "machine.json")
            else:
                (folder / "machine.json").write_text(
                    json.dumps({"machine": a.machine, "version": 1})
                )
            shutil.copy(a.path, folder / a.path.name)
            # The second run under another commit hash: asv keeps one file per commit.
            other = "f" * 40
            data = json.loads(b.path.read_text())
            data["commit_hash"] = other
            (folder / f"{other[:8]}-{b.env_name}.json").write_text(json.dumps(data))
            subprocess.run(["git", "init", "-q", str(root)], check=True)
            (root / "asv.conf.json").write_text(
                json.dumps(
                    {
                        "version": 1,
                        "project": "runs",
                        "repo": ".",
                        "results_dir": "results",
                        "html_dir": "html",
                        "environment_type": "existing",
                        "branches": ["main"],
                    }
                )
            )
            cmd = [
                sys.executable,
                "-m",
                "asv",
                "compare",
                "--config",
                str(root / "asv.conf.json"),
                "--machine",
                a.machine,
                "--factor",
                str(factor),
                "--only-changed",
                a.commit_hash,
                other,
            ]
            run = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
        if run.returncode:
            raise SystemExit(f"asv compare failed:\n{run.stdout[-2000:]}{run.stderr[-2000:]}")
        flagged = []
        for line in run.stdout.splitlines():
            # | Change | Before [..] | After [..] | Ratio | Benchmark (Parameter) |
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) >= 5 and cells[0] in ("+", "-") and memory.search(cells[-1]):
                flagged.append(f"{cells[0]} {cells[-1]}: {cells[1]} -> {cells[2]} ({cells[3]})")
        out.append({"pair": (i + 1, j + 1), "flagged": flagged})
    return out


def gate_pairs(summary: dict) -> list[dict]:
    """The gate's rule on every two runs, each figure: without calibration,
    and calibrated on the runs outside the pair (where two or more are left)."""
    from usdbench.gate import IMPROVEMENT, REGRESSION, Rule
    from usdbench.gate.noise import allowance

    per_run, rule = summary["per_run"], Rule()
    out = []
    for i, j in _pairs(len(per_run)):
        rest = [r for k, r in enumerate(per_run) if k not in (i, j)]
        plain, calibrated, compared, calibratable = [], [], 0, 0
        for key in sorted(set(per_run[i]) & set(per_run[j])):
            a, b = per_run[i][key], per_run[j][key]
            compared += 1
            verdict = rule.verdict(a, b)[0]
            if verdict in (REGRESSION, IMPROVEMENT):
                plain.append(f"{verdict} {key}")
            others = [r[key] for r in rest if key in r]
            if len(others) >= 2:
                calibratable += 1
                if rule.verdict(a, b, allowance(others))[0] in (REGRESSION, IMPROVEMENT):
                    calibrated.append(key)
        out.append(
            {
                "pair": (i + 1, j + 1),
                "figures": compared,
                "plain": plain,
                "calibrated": calibrated,
                "calibratable": calibratable,
            }
        )
    return out


def asv_runs_main(args) -> int:
    summary = asv_runs_summary(args.asv_runs, args.min_mib)
    misses = print_asv_targets(summary)
    print(f"\nasv compare --factor {args.factor} between two runs (memory figures flagged):")
    names = {i + 1: run.directory.name for i, run in enumerate(summary["runs"])}
    for pair in asv_compare_pairs(summary, args.factor, args.benchmarks_json):
        print(f"  {names[pair['pair'][0]]} and {names[pair['pair'][1]]}: {len(pair['flagged'])}")
        for line in pair["flagged"]:
            print(f"    {line}")
    print("\nthe gate (usdbench/gate/rule.py) between two runs (figures called worse or better):")
    for pair in gate_pairs(summary):
        print(
            f"  {names[pair['pair'][0]]} and {names[pair['pair'][1]]}: {len(pair['plain'])} of "
            f"{pair['figures']} uncalibrated; calibrated on the other runs (figures they "
            f"measured twice or more): {len(pair['calibrated'])} of {pair['calibratable']}"
        )
        for line in pair["plain"]:
            print(f"    {line}")
        for key in pair["calibrated"]:
            print(f"    calibrated, still: {key}")
    if args.calibrate_on:
        print_out_of_sample(summary, args.calibrate_on, names)
    if args.noise:
        print(f"\nthe gate with the calibration {args.noise}, every two runs:")
        print_judged(with_calibration(summary, args.noise), names)
    return 1 if misses else 0


def out_of_sample(summary: dict, n: int) -> list[dict]:
    """The gate's rule, calibrated on the first ``n`` runs as `gate calibrate
    --from-runs` would, on every pair of runs that holds a later one."""
    from usdbench.gate.noise import allowance

    per_run = summary["per_run"]
    if not 2 <= n < len(per_run):
        raise SystemExit(f"--calibrate-on {n}: needs 2 or more runs and one after them")
    noise = {}
    for key in set().union(*per_run[:n]):
        have = [r[key] for r in per_run[:n] if key in r]
        if len(have) >= 2:
            noise[key] = allowance(have)
    pairs = [(i, j) for j in range(n, len(per_run)) for i in range(j)]
    return _judged(per_run, pairs, noise)


def with_calibration(summary: dict, path: Path) -> list[dict]:
    """The gate's rule on every two runs with a committed calibration
    (results/<machine>/gate-noise.json.gz), as `gate check` applies it."""
    from usdbench import gzjson
    from usdbench.gate.noise import calibrated_noise

    noise = calibrated_noise(gzjson.read(path, "the noise calibration"))
    return _judged(summary["per_run"], _pairs(len(summary["per_run"])), noise)


def _judged(per_run: list[dict], pairs: list[tuple[int, int]], noise: dict) -> list[dict]:
    """Per pair of runs (0-based), the figures the rule calls worse or better."""
    from usdbench.gate import IMPROVEMENT, REGRESSION, Rule

    rule, out = Rule(), []
    for i, j in pairs:
        called = []
        for key in sorted(set(per_run[i]) & set(per_run[j])):
            verdict, change, threshold = rule.verdict(
                per_run[i][key], per_run[j][key], noise.get(key, 0.0)
            )
            if verdict in (REGRESSION, IMPROVEMENT):
                called.append(f"{verdict} {key}: {change / 1024:+.0f} KiB > {threshold / 1024:.0f}")
        out.append({"pair": (i + 1, j + 1), "called": called})
    return out


def print_out_of_sample(summary: dict, n: int, names: dict) -> None:
    pairs = out_of_sample(summary, n)
    print(f"\nthe gate calibrated on the first {n} runs, pairs with a later run:")
    print_judged(pairs, names)


def print_judged(pairs: list[dict], names: dict) -> None:
    for pair in pairs:
        a, b = pair["pair"]
        print(f"  {names[a]} and {names[b]}: {len(pair['called'])} called")
        for line in pair["called"]:
            print(f"    {line}")
    bad = sum(bool(p["called"]) for p in pairs)
    print(f"  {bad} of {len(pairs)} comparisons with a figure called")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--configs", nargs="+", default=["base"])
    ap.add_argument(
        "--cases", nargs="+", type=_case, default=[_case("load:100000"), _case("shuffled:10000")]
    )
    ap.add_argument("--formats", nargs="+", default=list(FORMATS))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--procs", type=int, default=4, help="benchmark processes per case per run")
    ap.add_argument("--min-mib", type=float, default=10.0, help="figures counted in the summary")
    ap.add_argument("--out", type=Path, help="write every sample here (JSON)")
    ap.add_argument("--from", dest="load", type=Path, help="summarise samples saved with --out")
    ap.add_argument(
        "--by-format", action="store_true", help="one line per configuration and format"
    )
    ap.add_argument("--list", action="store_true")
    ap.add_argument(
        "--asv-runs",
        nargs="+",
        type=Path,
        metavar="DIR",
        help="judge these asv runs of one commit (copies of results/<machine>/)",
    )
    ap.add_argument("--factor", type=float, default=1.05, help="asv compare's (with --asv-runs)")
    ap.add_argument(
        "--benchmarks-json",
        type=Path,
        default=REPO / "results" / "benchmarks.json",
        help="asv's benchmarks.json for asv compare (with --asv-runs)",
    )
    ap.add_argument(
        "--calibrate-on",
        type=int,
        metavar="N",
        help="with --asv-runs: also judge every pair that holds a run after the "
        "first N against a calibration from those N (the gate out of sample)",
    )
    ap.add_argument(
        "--noise",
        type=Path,
        metavar="FILE",
        help="with --asv-runs: also judge every pair of runs with this committed "
        "calibration (results/<machine>/gate-noise.json.gz), as the gate does",
    )
    ap.add_argument("--run", help=argparse.SUPPRESS)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        _child_main(json.loads(args.child))
        return 0
    if args.run:
        _run_main(json.loads(args.run))
        return 0
    if args.asv_runs:
        sys.path.insert(0, str(REPO))
        return asv_runs_main(args)
    if args.list:
        for name, (env, opts) in CONFIGS.items():
            print(f"{name:16} {' '.join(f'{k}={v}' for k, v in env.items())} {' '.join(opts)}")
        return 0
    unknown = [c for c in args.configs if c not in CONFIGS]
    if unknown:
        ap.error(f"unknown configurations {unknown}: see --list")
    cases = [
        (op, scale, fmt)
        for op, scale, only in args.cases
        for fmt in ([only] if only else args.formats)
    ]
    if args.load:
        samples = json.loads(args.load.read_text())
        print_summary(samples, args.min_mib, args.by_format)
        return 0
    samples: dict[str, list[dict]] = {c: [] for c in args.configs}
    t0 = time.time()
    for r in range(args.runs):
        for name in args.configs:
            samples[name].append(run_config(name, cases, args.procs))
            print(f"run {r + 1}/{args.runs} {name} done at {time.time() - t0:.0f} s", flush=True)
            if args.out:
                args.out.write_text(json.dumps(samples))
    print_summary(samples, args.min_mib, args.by_format)
    return 0


if __name__ == "__main__":
    sys.exit(main())
