"""The scenario families' operations side by side, format against format,
each in fresh processes (median of --repeat): wall time and peak RSS above
the start, the load included (as in benchmarks/<family>.py).

    python scripts/families_readers.py series --scale 10000 --repeat 5
    python scripts/families_readers.py arrays --scale 10000 --ops every

Data comes from the usdbench cache ($USDBENCH_CACHE), generated first if
missing (outside any measurement)."""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from usdbench.fresh_process import print_result, run_script  # noqa: E402

MiB = 2**20
FORMATS = ("usdc", "parquet-native-zstd-rg1000", "parquet-python-zstd-rg1000")
OPS = {
    "series": ("load", "frame", "history", "between", "full", "flatten"),
    "arrays": ("load", "one", "every", "flatten"),
    "sparse": ("load", "rare", "authored", "flatten"),
}


def _operation(family: str, op: str, files):
    """(columns the Python loader is projected to, the read after the load)."""
    from usdbench import workloads as w

    middle = w.middle_prim(files.scenario)
    one = [w.ONE_PROPERTY]
    table = {
        ("series", "frame"): (None, w.series_frame),
        ("series", "history"): (one, lambda s: w.series_history(s, middle)),
        ("series", "between"): (one, w.series_between),
        ("series", "full"): (None, w.series_full),
        ("arrays", "one"): (None, lambda s: w.arrays_one_prim(s, middle)),
        ("arrays", "every"): (None, w.arrays_every_prim),
        ("sparse", "rare"): ([w.SPARSE_RARE], lambda s: w.read_traversal(s, [w.SPARSE_RARE])),
        ("sparse", "authored"): (None, w.sparse_authored),
    }
    if op == "load":
        return None, lambda s: None
    if op == "flatten":
        return None, w.flatten
    return table[(family, op)]


def measure(family: str, fmt: str, op: str, scale: int) -> dict:
    from memtrack import PerformanceTracker
    from usdbench import workloads

    files = workloads.prepare_benchmark(fmt, scale, "flat", family)
    columns, read = _operation(family, op, files)
    with PerformanceTracker() as tracker:
        start = time.perf_counter()
        stage = workloads.load(files, columns=columns)
        result = read(stage)
        seconds = time.perf_counter() - start
    del result, stage
    return {"seconds": seconds, "peak_mib": tracker.result.peak_bytes / MiB}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("family", choices=tuple(OPS))
    parser.add_argument("--scale", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--ops", default=None)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        fmt, op = args.child.split(":")
        print_result(measure(args.family, fmt, op, args.scale))
        return 0
    from usdbench import cache
    from usdbench.scenario import Scenario

    formats = args.formats.split(",")
    ops = args.ops.split(",") if args.ops else OPS[args.family]
    scenario = Scenario(args.scale, "flat", family=args.family)
    cache.materialize(scenario, formats, cache.scenario_dir(scenario))
    print(f"{args.family} at {args.scale} prims, median of {args.repeat} fresh processes")
    print(f"{'operation':10s} {'format':28s} {'seconds':>9s} {'peak MiB':>9s}")
    for op in ops:
        for fmt in formats:
            runs = []
            for _ in range(args.repeat):
                try:
                    runs.append(
                        run_script(
                            __file__,
                            args.family,
                            "--scale",
                            str(args.scale),
                            "--child",
                            f"{fmt}:{op}",
                        )
                    )
                except RuntimeError as error:
                    runs = str(error).strip().splitlines()[-1][:70]
                    break
            if isinstance(runs, str):
                print(f"{op:10s} {fmt:28s} failed: {runs}")
                continue
            secs = statistics.median(r["seconds"] for r in runs)
            peak = statistics.median(r["peak_mib"] for r in runs)
            print(f"{op:10s} {fmt:28s} {secs:9.3f} {peak:9.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
