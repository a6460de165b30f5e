"""The scenario families' operations side by side, each in fresh processes
(median of --repeat): wall time and peak RSS above the start (memtrack,
anonymous + file-backed), the load included, as in benchmarks/<family>.py.

Two kinds of readers are compared, in one table against usdc:

- the suite's formats (--formats), files from the usdbench cache
  ($USDBENCH_CACHE), generated first if missing;
- Parquet layouts the writer could choose between (--variants, read by the
  native reader): a row order (``path``: by path then time; ``frame``: by
  time then path, frame-major as usdc packs samples; ``scene``: the base
  scene's prim order), a compression, and for arrays the points' list layout.
  They are written next to the cached files from the scenario's table by the
  suite's own Parquet writer, outside any measurement.

    python scripts/families_perf.py series --scale 10000 --repeat 5
    python scripts/families_perf.py series --scale 10000 --formats usdc \\
        --variants path-zstd,frame-zstd --ops load,frame,full
    python scripts/families_perf.py arrays --scale 10000 --ops every
    python scripts/families_perf.py sparse --scale 100000 --ops load,authored

A measurement script, not part of the installed packages.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from usdbench.fresh_process import ChildFailed, print_result, run_script

MiB = 2**20
FORMATS = ("usdc", "parquet-native-zstd-rg1000", "parquet-python-zstd-rg1000")
OPS = {
    "series": ("load", "frame", "history", "between", "full", "flatten"),
    "arrays": ("load", "one", "every", "flatten"),
    "sparse": ("load", "rare", "authored", "flatten"),
}
VARIANT_PREFIX = "variant:"
ARRAY_COLUMNS = ("points", "indices", "weights")
# variant -> (row order, compression, points layout for arrays).
VARIANTS = {
    "series": {
        "path-zstd": ("path", "zstd", None),
        "frame-zstd": ("frame", "zstd", None),
        "scene-zstd": ("scene", "zstd", None),
        "frame-snappy": ("frame", "snappy", None),
    },
    "arrays": {
        "path-zstd": ("path", "zstd", "flat"),
        "scene-zstd": ("scene", "zstd", "flat"),
        "scene-snappy": ("scene", "snappy", "flat"),
        "scene-none": ("scene", "none", "flat"),
        "scene-zstd-fsl": ("scene", "zstd", "fsl"),
        # zstd for the int arrays (0.43 of their size), none for the float
        # ones (0.91-0.94: random mantissas) and so read from the mapping.
        "scene-mixed": ("scene", "zstd", "flat"),
    },
    "sparse": {
        "path-zstd": ("path", "zstd", None),
        "scene-zstd": ("scene", "zstd", None),
        "path-snappy": ("path", "snappy", None),
    },
}


class _VariantFiles:
    """What workloads.load and the operations need of a variant's files (a
    native Parquet format's, with the variant's file names)."""

    def __init__(self, family: str, scale: int, variant: str):
        import dataclasses

        from usdbench import cache
        from usdbench.formats import get_format
        from usdbench.scenario import Scenario

        compression = VARIANTS[family][variant][1]
        self.scenario = Scenario(scale, "flat", family=family)
        self.directory = cache.scenario_dir(self.scenario)
        self.suite_format = get_format(f"parquet-native-{compression}-rg1000")
        self.format = dataclasses.replace(self.suite_format, name=VARIANT_PREFIX + variant)
        self.props = self.directory / f"variant-{variant}.parquet"
        self.root = self.directory / f"root-variant-{variant}.usda"
        self.base = self.directory / cache.BASE_FILENAME
        self.variant = VARIANTS[family][variant]

    def write(self) -> _VariantFiles:
        """The variant's Parquet file and root, unless written already."""
        import pyarrow as pa
        import pyarrow.compute as pc

        from usdbench import cache, writers

        if self.root.exists():
            return self
        cache.materialize(self.scenario, ["usdc"], self.directory)
        order, _, layout = self.variant
        table = self.scenario.parquet_table(self.scenario.property_table(), order)
        if layout == "fsl":
            index = table.schema.get_field_index("points")
            field = table.schema.field(index)
            points = table.column(index).combine_chunks()
            triples = pa.FixedSizeListArray.from_arrays(pc.list_flatten(points), 3)
            offsets = pc.divide(points.offsets, 3)
            points = pa.ListArray.from_arrays(offsets, triples)
            table = table.set_column(index, field.with_type(points.type), points)
        rows = self.scenario.row_group_rows(self.suite_format.row_group_size)
        # The variant's codec for every column, arrays too (the suite's
        # writer leaves arrays uncompressed whatever the format's codec).
        compression = self.variant[1]
        if self.props.stem.endswith("-mixed"):
            # pyarrow names a list column's codec by its leaf's path.
            compression = {
                f"{name}.list.element" if name in ARRAY_COLUMNS else name: "none"
                if name in ("points", "weights")
                else "zstd"
                for name in table.column_names
            }
        writers.write_parquet(
            table, self.suite_format, self.props, row_group_size=rows, compression=compression
        )
        writers.write_text(self.root, writers.root_layer_text(self.props.name, self.base.name))
        return self


def _files(family: str, reader: str, scale: int):
    from usdbench import workloads

    if reader.startswith(VARIANT_PREFIX):
        files = _VariantFiles(family, scale, reader[len(VARIANT_PREFIX) :]).write()
        workloads.warm_up()
        workloads.drop_page_cache([files.root, files.props, files.base])
        return files
    return workloads.prepare_benchmark(reader, scale, "flat", family)


def _operation(family: str, op: str, files):
    """(columns the Python loader is projected to, the read after the load)."""
    from usdbench import workloads as w

    if op == "load":
        return None, lambda s: None
    if op == "flatten":
        return None, w.flatten
    middle = w.middle_prim(files.scenario)
    one = [w.ONE_PROPERTY]
    return {
        ("series", "frame"): (None, w.series_frame),
        ("series", "history"): (one, lambda s: w.series_history(s, middle)),
        ("series", "between"): (one, w.series_between),
        ("series", "full"): (None, w.series_full),
        ("arrays", "one"): (None, lambda s: w.arrays_one_prim(s, middle)),
        ("arrays", "every"): (None, w.arrays_every_prim),
        ("sparse", "rare"): ([w.SPARSE_RARE], lambda s: w.read_traversal(s, [w.SPARSE_RARE])),
        ("sparse", "authored"): (None, w.sparse_authored),
    }[(family, op)]


def measure(family: str, reader: str, op: str, scale: int) -> dict:
    """One operation on one reader, in this (fresh) process."""
    from memtrack import PerformanceTracker
    from usdbench import workloads

    files = _files(family, reader, scale)
    columns, read = _operation(family, op, files)
    with PerformanceTracker() as tracker:
        start = time.perf_counter()
        stage = workloads.load(files, columns=columns)
        result = read(stage)
        seconds = time.perf_counter() - start
    del result, stage
    return {"seconds": seconds, "peak_mib": tracker.result.peak_bytes / MiB}


def _median_runs(family: str, op: str, readers: list[str], scale: int, repeat: int) -> dict:
    """reader -> (median seconds, median peak MiB), or the failure's last line.
    The readers take turns within each repetition, so a busy machine's
    load falls on all of them alike."""
    runs: dict[str, list | str] = {reader: [] for reader in readers}
    for _ in range(repeat):
        for reader in readers:
            if isinstance(runs[reader], str):
                continue
            child = f"{reader}|{op}"
            try:
                result = run_script(__file__, family, "--scale", str(scale), "--child", child)
            except ChildFailed as error:
                runs[reader] = str(error).strip().splitlines()[-1][:70]
                continue
            runs[reader].append(result)
    return {
        reader: r
        if isinstance(r, str)
        else (
            statistics.median(x["seconds"] for x in r),
            statistics.median(x["peak_mib"] for x in r),
        )
        for reader, r in runs.items()
    }


def _loadavg() -> str:
    try:
        return Path("/proc/loadavg").read_text().strip()
    except OSError:
        return "unknown"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("family", choices=tuple(OPS))
    parser.add_argument("--scale", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--formats", default=",".join(FORMATS), help="suite formats ('' for none)")
    parser.add_argument("--variants", default="", help="Parquet layouts read natively")
    parser.add_argument("--ops", default=None)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        reader, op = args.child.split("|")
        print_result(measure(args.family, reader, op, args.scale))
        return 0
    from usdbench import cache
    from usdbench.scenario import Scenario

    formats = [f for f in args.formats.split(",") if f]
    variants = [v for v in args.variants.split(",") if v]
    unknown = set(variants) - set(VARIANTS[args.family])
    if unknown:
        parser.error(f"unknown variants {sorted(unknown)}: known {sorted(VARIANTS[args.family])}")
    ops = args.ops.split(",") if args.ops else OPS[args.family]
    scenario = Scenario(args.scale, "flat", family=args.family)
    cached = cache.materialize(scenario, formats, cache.scenario_dir(scenario))
    sizes = {f: cached[f].props.stat().st_size for f in formats}
    for variant in variants:
        files = _VariantFiles(args.family, args.scale, variant).write()
        sizes[VARIANT_PREFIX + variant] = files.props.stat().st_size
    readers = formats + [VARIANT_PREFIX + v for v in variants]
    print(f"{args.family} at {args.scale} prims, median of {args.repeat} fresh processes")
    print(f"load average before: {_loadavg()}")
    print("file MiB: " + ", ".join(f"{k} {v / MiB:.1f}" for k, v in sizes.items()))
    print(f"{'operation':10s} {'reader':28s} {'seconds':>9s} {'peak MiB':>9s} {'x usdc':>14s}")
    for op in ops:
        base = None
        medians = _median_runs(args.family, op, readers, args.scale, args.repeat)
        for reader in readers:
            figures = medians[reader]
            if isinstance(figures, str):
                print(f"{op:10s} {reader:28s} failed: {figures}")
                continue
            secs, peak = figures
            if reader == "usdc":
                base = figures
            ratio = f"{secs / base[0]:.2f}t {peak / base[1]:.2f}m" if base else ""
            print(f"{op:10s} {reader:28s} {secs:9.3f} {peak:9.1f} {ratio:>14s}", flush=True)
    print(f"load average after: {_loadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
