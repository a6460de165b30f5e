"""The native Parquet format's threads and large row groups, side by side.

    python scripts/parquet_pipeline_perf.py [--repeat 5] [--dir DIR] [--threads 1 2 4]

Each figure is the median over ``--repeat`` fresh processes (the files in the
warm OS cache); every process first opens the layer, then the clock runs
only over the reads:

  threads: every value of a 100k-prim x 20-property layer (the flat
           scenario, zstd, row groups of 1,000) read by the C++ test helper
           (usdparquet_test_read_all) from 1, 2, ... threads, the prims split
           into contiguous shares; the ratio to one thread's time (issue 22:
           2 threads at most 0.6x), and the reading threads' CPU time against
           one thread's (above 1: work the threads add to each other, such as
           cache lines both write; it holds on a busy machine, where the wall
           time ratio does not).
  one:     a table of 1M rows x 20 properties written with pyarrow's
           defaults (one row group): the first read of one property
           (temperature) of one prim in the middle, against
  column:  the same file, every value of that property (the whole column),
           read by the helper from one thread (issue 22: one at most 0.05x).

Also reported: each run's cache peak (bytes held plus being decoded). A
measurement script, not part of the installed packages.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from usdbench.fresh_process import print_result, run_script

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the tests' helper loader

from tests.native_test_helpers import HELPERS, call, helpers  # noqa: E402

PROPERTY = "temperature"


def child(op: str, path: str, threads: int) -> dict:
    from pxr import Sdf

    import usdbench  # noqa: F401  (registers the plugin)
    from usdbench import native

    layer = Sdf.Layer.FindOrOpen(path)
    native.reset_cache_counters()
    if op == "one":
        import pyarrow.parquet as pq

        prim = pq.read_table(path, columns=["path"])["path"][500_000].as_py()
        start = time.perf_counter()
        value = layer.GetAttributeAtPath(f"{prim}.{PROPERTY}").default
        seconds = time.perf_counter() - start
        cpu = seconds
        assert value is not None
    else:
        column = PROPERTY.encode() if op == "column" else None
        result = call(helpers().usdparquet_test_read_all, path.encode(), threads, column)
        seconds, cpu = result["seconds"], result["cpu_seconds"]
    peak = native.cache_stats()["peak_bytes_held"]
    return {"seconds": seconds, "cpu": cpu, "peak": peak, "load": os.getloadavg()[0]}


def _files(folder: Path) -> tuple[Path, Path]:
    import pyarrow.parquet as pq

    from usdbench.scenario import Scenario

    folder.mkdir(parents=True, exist_ok=True)
    threads = folder / "flat100k-zstd-rg1000.parquet"
    if not threads.exists():
        table = Scenario(100_000, "flat").property_table()
        pq.write_table(table, threads, compression="zstd", row_group_size=1_000)
    big = folder / "flat1m-pyarrow-default.parquet"
    if not big.exists():
        pq.write_table(Scenario(1_000_000, "flat").property_table(), big)
    return threads, big


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/usdbench-pipeline-perf"))
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--child", nargs=3, metavar=("OP", "PATH", "THREADS"))
    args = parser.parse_args()
    if args.child:
        op, path, threads = args.child
        print_result(child(op, path, int(threads)))
        return
    if not HELPERS.exists():
        sys.exit(f"{HELPERS} missing: run python parquet_plugin/build.py")
    threads_file, big = _files(args.dir)
    runs = [("threads", threads_file, n) for n in args.threads]
    runs += [("one", big, 1), ("column", big, 1)]
    samples: dict[tuple[str, int], list[dict]] = {(op, n): [] for op, _, n in runs}
    for _ in range(args.repeat):  # side by side: one round of every run at a time
        for op, path, n in runs:
            samples[(op, n)].append(
                run_script(
                    __file__, "--child", "threads" if op == "threads" else op, str(path), str(n)
                )
            )
    median = {key: statistics.median(s["seconds"] for s in runs_) for key, runs_ in samples.items()}
    cpu = {key: statistics.median(s["cpu"] for s in runs_) for key, runs_ in samples.items()}
    peak = {key: max(s["peak"] for s in runs_) for key, runs_ in samples.items()}
    loads = [s["load"] for runs_ in samples.values() for s in runs_]
    print(f"{'run':<22}{'median s':>12}{'CPU s':>10}{'cache peak MiB':>16}")
    for (op, n), seconds in median.items():
        label = f"{op} x{n}" if op == "threads" else op
        print(f"{label:<22}{seconds:>12.4f}{cpu[(op, n)]:>10.4f}{peak[(op, n)] / 2**20:>16.1f}")
    one_thread = median[("threads", args.threads[0])]
    one_cpu = cpu[("threads", args.threads[0])]
    values = 100_000 * 20
    print(f"threads x{args.threads[0]}: {one_cpu / values * 1e9:.0f} ns of CPU per value")
    for n in args.threads[1:]:
        print(
            f"threads x{n} / x{args.threads[0]}: {median[('threads', n)] / one_thread:.3f}"
            f" (CPU time {cpu[('threads', n)] / one_cpu:.3f})"
        )
    print(f"load average (1 min) during the runs: {min(loads):.2f} to {max(loads):.2f}")
    print(f"one / column: {median[('one', 1)] / median[('column', 1)]:.4f}")


if __name__ == "__main__":
    main()
