"""The native Parquet reader on the scenario families against usdc, with the
Parquet variants the writer could choose between (row order of a series
table, compression and list layout of an arrays table), each operation in
fresh processes (median of --repeat): wall time and peak RSS above the start
(memtrack, anonymous + file-backed), the load included.

    python scripts/families_perf.py series --scale 10000 --repeat 5
    python scripts/families_perf.py arrays --scale 10000 --ops every
    python scripts/families_perf.py sparse --scale 100000 --ops load,authored

The usdc file and the scenario's table come from the usdbench cache
(generated first if missing); the Parquet variants are written next to them
from that table (outside any measurement). A measurement script, not part of
the installed packages.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from usdbench.fresh_process import print_result, run_script  # noqa: E402

MiB = 2**20
OPS = {
    "series": ("load", "frame", "full"),
    "arrays": ("load", "every"),
    "sparse": ("load", "authored"),
}
# variant -> pyarrow.parquet.write_table options, and a row order for series.
VARIANTS = {
    "series": {
        "by-path-zstd": ({"compression": "zstd"}, "path"),
        "frame-major-zstd": ({"compression": "zstd"}, "frame"),
        "frame-major-snappy": ({"compression": "snappy"}, "frame"),
    },
    "arrays": {
        "flat-nodict-snappy": ({"compression": "snappy", "use_dictionary": ["path"]}, "flat"),
        "flat-nodict-none": ({"compression": "none", "use_dictionary": ["path"]}, "flat"),
        "fsl-nodict-snappy": ({"compression": "snappy", "use_dictionary": ["path"]}, "fsl"),
        "flat-zstd": ({"compression": "zstd"}, "flat"),
    },
    "sparse": {
        "zstd": ({"compression": "zstd"}, None),
        "snappy": ({"compression": "snappy"}, None),
    },
}


def _variant_root(family: str, scale: int, variant: str) -> Path:
    """Writes the variant's Parquet file and root (once); returns the root."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from usdbench import cache
    from usdbench.scenario import Scenario

    scenario = Scenario(scale, "flat", family=family)
    folder = cache.scenario_dir(scenario)
    cache.materialize(scenario, ["usdc"], folder)
    name = f"perf-{variant}.parquet"
    root = folder / f"root-perf-{variant}.usda"
    if root.exists():
        return root
    options, shape = VARIANTS[family][variant]
    table = scenario.property_table()
    rows = table.num_rows
    if family == "series" and shape == "frame":
        order = pa.compute.sort_indices(table, [("time", "ascending"), ("path", "ascending")])
        table = table.take(order)
    if family == "arrays":
        index = table.schema.get_field_index("points")
        field = table.schema.field(index)
        points = table.column(index).combine_chunks()
        flat_values = pa.compute.list_flatten(points)
        if shape == "flat" and pa.types.is_fixed_size_list(flat_values.type):
            flat_values = pa.compute.list_flatten(flat_values)
            offsets = pa.compute.multiply(points.offsets, 3)
            points = pa.ListArray.from_arrays(offsets, flat_values)
        table = table.set_column(
            index, pa.field("points", points.type, metadata=field.metadata), points
        )
    row_bytes = max(1, table.nbytes // max(1, rows))
    group = scenario.row_group_rows(rows) if family != "arrays" else None
    if family == "arrays":
        group = max(1, (8 << 20) // row_bytes)  # ~8 MiB of values per row group
    pq.write_table(table, folder / name, row_group_size=group, **options)
    base = "base.usda"
    root.write_text(f"#usda 1.0\n(\n    subLayers = [@./{name}@, @./{base}@]\n)\n")
    del np
    return root


def _read(family: str, op: str):
    from usdbench import workloads as w

    if op == "load":
        return lambda s: None
    return {
        ("series", "frame"): w.series_frame,
        ("series", "full"): w.series_full,
        ("arrays", "every"): w.arrays_every_prim,
        ("sparse", "authored"): w.sparse_authored,
    }[(family, op)]


def measure(family: str, variant: str, op: str, scale: int) -> dict:
    from memtrack import PerformanceTracker
    from usdbench import cache, workloads
    from usdbench.scenario import Scenario
    from usdbench.stage import open_stage

    read = _read(family, op)
    if variant == "usdc":
        files = workloads.prepare_benchmark("usdc", scale, "flat", family)
        root, reader = files.root, None
    else:
        folder = cache.scenario_dir(Scenario(scale, "flat", family=family))
        root, reader = folder / f"root-perf-{variant}.usda", "native"
    workloads.warm_up() if hasattr(workloads, "warm_up") else None
    with PerformanceTracker() as tracker:
        start = time.perf_counter()
        stage = (
            open_stage(str(root))
            if reader is None
            else open_stage(str(root), parquet_reader=reader)
        )
        result = read(stage)
        seconds = time.perf_counter() - start
    del result, stage
    return {"seconds": seconds, "peak_mib": tracker.result.peak_bytes / MiB}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("family", choices=tuple(OPS))
    parser.add_argument("--scale", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--variants", default=None)
    parser.add_argument("--ops", default=None)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        variant, op = args.child.split(":")
        print_result(measure(args.family, variant, op, args.scale))
        return 0
    variants = args.variants.split(",") if args.variants else list(VARIANTS[args.family])
    ops = args.ops.split(",") if args.ops else OPS[args.family]
    sizes = {}
    for variant in variants:
        root = _variant_root(args.family, args.scale, variant)
        sizes[variant] = (root.parent / f"perf-{variant}.parquet").stat().st_size
    usdc = next(_variant_root(args.family, args.scale, variants[0]).parent.glob("*.usdc"))
    sizes["usdc"] = usdc.stat().st_size
    print(f"{args.family} at {args.scale} prims, median of {args.repeat} fresh processes")
    print("file MiB: " + ", ".join(f"{k} {v / MiB:.1f}" for k, v in sizes.items()))
    print(f"{'operation':10s} {'reader':24s} {'seconds':>9s} {'peak MiB':>9s} {'x usdc':>14s}")
    for op in ops:
        base = None
        for variant in ["usdc", *variants]:
            try:
                runs = [
                    run_script(
                        __file__,
                        args.family,
                        "--scale",
                        str(args.scale),
                        "--child",
                        f"{variant}:{op}",
                    )
                    for _ in range(args.repeat)
                ]
            except RuntimeError as error:
                print(f"{op:10s} {variant:24s} failed: {str(error).strip().splitlines()[-1]}")
                continue
            secs = statistics.median(r["seconds"] for r in runs)
            peak = statistics.median(r["peak_mib"] for r in runs)
            if variant == "usdc":
                base = (secs, peak)
                ratio = ""
            else:
                ratio = f"{secs / base[0]:.2f}t {peak / base[1]:.2f}m" if base else ""
            print(f"{op:10s} {variant:24s} {secs:9.3f} {peak:9.1f} {ratio:>14s}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
