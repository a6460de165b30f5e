"""Side-by-side measurement of the Python Parquet loader against usdc.

    python scripts/loader_perf.py --scale 100000 [--repeat 5] [--dir DIR]

Scene: the flat scenario of ``--scale`` prims (base.usda) under a property
layer of the 20 properties, as usdc and as Parquet (zstd, row groups of
1,000). Each measurement runs in a fresh process, with the benchmarks'
operations (usdbench.workloads: imports and the libraries' one-time costs
paid by ``warm_up`` before the clock starts; files in the warm OS cache):

  (a) usdc:    load(root listing [props.usdc, base.usda]) + read all 20
               properties of every prim (read_traversal)
  (b) parquet: load(root listing [props.parquet, base.usda]) + the same
  (c) one property (temperature) over every prim: usdc, and Parquet with
      column projection (only path + temperature are read)

Parquet is read the way the benchmarks read it (usdbench.open_stage): by the
native plugin where one is built and registered, else by the Python loader;
USDBENCH_NATIVE=0 chooses the Python loader.

Reported: medians of the wall time, of the peak resident memory during the
measurement (kernel high-water mark, reset first) and of the resident memory
at the end with the stage still alive, then the ratios to the targets:
(b) <= 0.8x (a) time and <= 0.6x its memory; (c) Parquet <= 0.3x usdc.
A measurement script, not part of the installed packages.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from fresh_child import print_result, run_fresh

MiB = 2**20
PARQUET_ROW_GROUP = 1_000
MODES = {
    "a_usdc_all": "(a) usdc, all 20 properties",
    "b_parquet_all": "(b) Parquet, all 20 properties",
    "c_usdc_one": "(c) usdc, temperature only",
    "c_parquet_one": "(c) Parquet, temperature only (projected)",
}
TARGETS = [
    ("b_parquet_all", "a_usdc_all", "seconds", 0.8),
    ("b_parquet_all", "a_usdc_all", "final_rss", 0.6),
    ("b_parquet_all", "a_usdc_all", "peak_rss", 0.6),
    ("c_parquet_one", "c_usdc_one", "seconds", 0.3),
]
# Not targets: CPU time (all threads) is less sensitive to other processes
# competing for the cores than wall time, so it is reported alongside.
CPU_RATIOS = [("b_parquet_all", "a_usdc_all"), ("c_parquet_one", "c_usdc_one")]


# -- data ----------------------------------------------------------------------


PARQUET_FORMAT = f"parquet-zstd-rg{PARQUET_ROW_GROUP}"


def scenario_files(scale: int, directory: Path) -> dict:
    """The flat scenario as usdc and Parquet in ``directory``, by format name
    (the project's own writers; files already there are reused)."""
    from usdbench.cache import materialize
    from usdbench.scenario import Scenario

    return materialize(Scenario(scale, "flat"), ["usdc", PARQUET_FORMAT], directory)


# -- one measurement, in a fresh process ---------------------------------------------


def measure(mode: str, scale: int, directory: Path) -> dict:
    from memtrack import PerformanceTracker
    from usdbench import workloads

    workloads.warm_up()
    one = workloads.ONE_PROPERTY
    names = workloads.PROPERTIES if mode.endswith("_all") else (one,)
    files = scenario_files(scale, directory)["usdc" if "usdc" in mode else PARQUET_FORMAT]
    # The stage stays alive after the block: final_rss is what it holds.
    with PerformanceTracker() as tracker:
        start = time.perf_counter()
        cpu_start = time.process_time()
        stage = workloads.load(files, columns=None if mode.endswith("_all") else names)
        opened = time.perf_counter()
        found = workloads.read_traversal(stage, names)
        seconds = time.perf_counter() - start
        cpu_seconds = time.process_time() - cpu_start
    memory = tracker.result
    # After the measurement: both formats must hold the same values.
    paths = files.scenario.prim_paths().to_pylist()
    checksum = sum(workloads.read_one(stage, path, one) for path in paths)
    del stage
    return {
        "mode": mode,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "open_seconds": opened - start,
        "rss_before": memory.baseline_bytes / MiB,
        "peak_rss": (memory.baseline_bytes + memory.peak_bytes) / MiB,
        "final_rss": (memory.baseline_bytes + memory.current_bytes) / MiB,
        "peak_exact": memory.exact,
        "values": found,
        "checksum": checksum,
    }


def _child(mode: str, scale: int, directory: Path) -> dict:
    return run_fresh(__file__, "--child", mode, "--scale", str(scale), "--dir", str(directory))


# -- report ----------------------------------------------------------------------------


def run(scale: int, repeat: int, directory: Path, modes=tuple(MODES)) -> dict:
    t = time.perf_counter()
    scenario_files(scale, directory)
    print(f"data: {directory} ready in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    runs: dict[str, list[dict]] = {m: [] for m in modes}
    for i in range(repeat):  # interleaved, so that drift hits every mode alike
        for mode in modes:
            r = _child(mode, scale, directory)
            runs[mode].append(r)
            print(
                f"  run {i + 1}/{repeat} {mode:14s} {r['seconds']:7.2f} s "
                f"(open {r['open_seconds']:.2f}, cpu {r['cpu_seconds']:.2f})  "
                f"peak {r['peak_rss']:7.0f} MiB  "
                f"final {r['final_rss']:7.0f} MiB",
                file=sys.stderr,
            )
    medians = {
        m: {k: statistics.median(r[k] for r in rs) for k in rs[0] if isinstance(rs[0][k], float)}
        for m, rs in runs.items()
    }
    for m, rs in runs.items():
        medians[m]["values"] = rs[0]["values"]
        medians[m]["checksum"] = rs[0]["checksum"]
        medians[m]["peak_exact"] = all(r["peak_exact"] for r in rs)
    return {"scale": scale, "repeat": repeat, "medians": medians, "runs": runs}


def report(result: dict) -> str:
    med = result["medians"]
    lines = [
        f"scale {result['scale']} flat prims x 20 properties, median of {result['repeat']} "
        "fresh processes (warm OS cache)",
        f"{'measurement':44s} {'time s':>8s} {'open s':>8s} {'cpu s':>8s} {'peak MiB':>9s} "
        f"{'final MiB':>9s} {'values':>9s}",
    ]
    for mode, label in MODES.items():
        if mode in med:
            m = med[mode]
            lines.append(
                f"{label:44s} {m['seconds']:8.2f} {m['open_seconds']:8.2f} {m['cpu_seconds']:8.2f} "
                f"{m['peak_rss']:9.0f} {m['final_rss']:9.0f} {m['values']:9d}"
            )
    lines.append("ratios (target):")
    for mode, base, key, target in TARGETS:
        if mode in med and base in med:
            ratio = med[mode][key] / med[base][key]
            verdict = "ok" if ratio <= target else "MISSED"
            lines.append(f"  {mode} / {base} {key:10s} {ratio:5.2f}x (<= {target}x) {verdict}")
    for mode, base in CPU_RATIOS:
        if mode in med and base in med:
            ratio = med[mode]["cpu_seconds"] / med[base]["cpu_seconds"]
            lines.append(f"  {mode} / {base} cpu_seconds {ratio:5.2f}x (not a target)")
    for mode, base in CPU_RATIOS:
        if mode in med and base in med:
            same = (med[mode]["values"], med[mode]["checksum"]) == (
                med[base]["values"],
                med[base]["checksum"],
            )
            lines.append(f"  same values read {mode} vs {base}: {same}")
    if not all(m["peak_exact"] for m in med.values()):
        lines.append("  note: the peak is a lower bound here (memtrack found no exact method)")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python scripts/loader_perf.py", description=__doc__)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--scale", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5, help="fresh processes per measurement")
    parser.add_argument("--dir", type=Path, help="data folder (default: the usdbench cache)")
    parser.add_argument("--modes", nargs="+", choices=list(MODES), default=list(MODES))
    parser.add_argument("--json", type=Path, help="also write every run as JSON here")
    parser.add_argument("--child", choices=list(MODES), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.dir:
        directory = args.dir
    else:  # the suite's own cache: the data is shared with the benchmarks
        from usdbench.cache import scenario_dir
        from usdbench.scenario import Scenario

        directory = scenario_dir(Scenario(max(args.scale, 1), "flat"))
    if args.child:
        print_result(measure(args.child, args.scale, directory))
        return 0
    if args.scale < 1 or args.repeat < 1:
        parser.error("--scale and --repeat must be at least 1")
    result = run(args.scale, args.repeat, directory, tuple(args.modes))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    print(report(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
