"""Side-by-side measurement of the Parquet readers against usdc and the floor.

    python scripts/parquet_perf.py --scale 100000 [--repeat 5] [--dir DIR]
    python scripts/parquet_perf.py --scale 1000000 --repeat 3 --ops all \\
        --layers parquet-native parquet-python usda

Scene: the flat scenario of ``--scale`` prims (base.usda) under a property
layer of the 20 properties, as usdc and as Parquet (zstd, row groups of
1,000), the Parquet read by the native plugin and by the Python loader; and
the floor: the same root with, in place of the property layer, a usdc layer
of the same ``over`` prims with no attribute (composition alone).

Operations, each in a fresh process, as the benchmarks do them
(usdbench.workloads; the libraries' one-time costs paid by ``warm_up`` before
the clock starts; files in the warm OS cache):

  load: open + compose the root, no value read
  one:  load, then ``temperature`` on every prim (the Python loader projects
        to path + temperature; the lazy readers decode only what is read)
  all:  load, then all 20 properties on every prim

Reported: medians of wall time, peak resident memory during the operation
(kernel high-water mark, reset first) and resident memory at its end with the
stage alive; the ratios to the targets of issue 15; and whether every reader
read the same values. A measurement script, not part of the installed
packages.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from usdbench.fresh_process import print_result, run_script

MiB = 2**20
LAYERS = ("usdc", "floor", "parquet-native", "parquet-python", "usda")
OPS = ("load", "one", "all")
DEFAULT_LAYERS = ("usdc", "floor", "parquet-native", "parquet-python")
FORMAT = {  # the scenario format each layer is read as
    "usdc": "usdc",
    "usda": "usda",
    "parquet-native": "parquet-native-zstd-rg1000",
    "parquet-python": "parquet-python-zstd-rg1000",
}
FLOOR_ROOT = "root-floor.usda"
# (layer, op, figure, against layer, at most this ratio): issue 15's targets.
TARGETS = [
    ("parquet-native", "load", "seconds", "usdc", 0.2),
    ("parquet-native", "load", "seconds", "floor", 1.3),
    ("parquet-native", "one", "seconds", "usdc", 0.3),
    ("parquet-native", "all", "seconds", "usdc", 0.6),
    ("parquet-native", "all", "peak_rss", "usdc", 0.5),
    ("parquet-native", "load", "seconds", "parquet-python", 1.0),
    ("parquet-native", "one", "seconds", "parquet-python", 1.0),
    ("parquet-native", "all", "seconds", "parquet-python", 1.0),
]


# -- data ----------------------------------------------------------------------


def scenario_files(scale: int, directory: Path, layers=LAYERS) -> dict:
    """The flat scenario in the formats ``layers`` need (the project's own
    writers; files already there are reused), and the floor's files."""
    from usdbench.cache import materialize
    from usdbench.scenario import Scenario

    names = sorted({FORMAT[layer] for layer in layers if layer in FORMAT})
    files = materialize(Scenario(scale, "flat"), names, directory)
    if "floor" in layers:
        _write_floor(Scenario(scale, "flat"), directory)
    return files


def _write_floor(scenario, directory: Path) -> None:
    """overs.usdc: the scenario's prims as attribute-less ``over`` prims."""
    from pxr import Sdf

    from usdbench import writers

    if (directory / FLOOR_ROOT).exists():
        return
    names = scenario.sorted_prim_paths().to_pylist()
    lines = ['#usda 1.0\nover "World"\n{\n']
    lines += [f'    over "{path.rsplit("/", 1)[1]}"\n    {{\n    }}\n' for path in names]
    lines.append("}\n")
    text = Sdf.Layer.CreateAnonymous(".usda")
    text.ImportFromString("".join(lines))
    with writers.atomic_path(directory / "overs.usdc") as tmp:
        layer = Sdf.Layer.CreateNew(str(tmp))
        layer.TransferContent(text)
        layer.Save()
    writers.write_text(directory / FLOOR_ROOT, writers.root_layer_text("overs.usdc"))


# -- one measurement, in a fresh process ---------------------------------------------


def measure(layer: str, op: str, scale: int, directory: Path) -> dict:
    from memtrack import PerformanceTracker
    from usdbench import workloads
    from usdbench.stage import open_stage

    workloads.warm_up()
    one = workloads.ONE_PROPERTY
    names = {"load": (), "one": (one,), "all": workloads.PROPERTIES}[op]
    if layer == "floor":
        files = None
        root = str(directory / FLOOR_ROOT)
    else:
        files = scenario_files(scale, directory, [layer])[FORMAT[layer]]
    # The stage stays alive after the block: final_rss is what it holds.
    with PerformanceTracker() as tracker:
        start = time.perf_counter()
        cpu_start = time.process_time()
        if files is None:
            stage = open_stage(root)
        else:
            stage = workloads.load(files, columns=list(names) if op == "one" else None)
        opened = time.perf_counter()
        found = workloads.read_traversal(stage, names) if names else 0
        seconds = time.perf_counter() - start
        cpu_seconds = time.process_time() - cpu_start
    memory = tracker.result
    # After the measurement: every reader must hold the same values.
    checksum = 0.0
    if names:
        paths = files.scenario.prim_paths().to_pylist()
        checksum = sum(workloads.read_one(stage, path, one) for path in paths)
    del stage
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "open_seconds": opened - start,
        "peak_rss": memory.peak_bytes / MiB,
        "final_rss": memory.current_bytes / MiB,
        "peak_exact": memory.exact,
        "values": found,
        "checksum": checksum,
    }


def _child(layer: str, op: str, scale: int, directory: Path) -> dict:
    return run_script(
        __file__, "--child", f"{layer}:{op}", "--scale", str(scale), "--dir", str(directory)
    )


# -- report ----------------------------------------------------------------------------


def run(scale: int, repeat: int, directory: Path, layers=DEFAULT_LAYERS, ops=OPS) -> dict:
    t = time.perf_counter()
    scenario_files(scale, directory, layers)
    print(f"data: {directory} ready in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    modes = [(layer, op) for op in ops for layer in layers if layer != "floor" or op == "load"]
    runs: dict[str, list[dict]] = {f"{layer}:{op}": [] for layer, op in modes}
    for i in range(repeat):  # interleaved, so that drift hits every mode alike
        for layer, op in modes:
            r = _child(layer, op, scale, directory)
            runs[f"{layer}:{op}"].append(r)
            print(
                f"  run {i + 1}/{repeat} {layer + ':' + op:22s} {r['seconds']:7.2f} s "
                f"(open {r['open_seconds']:.2f}, cpu {r['cpu_seconds']:.2f})  "
                f"peak {r['peak_rss']:7.0f} MiB  final {r['final_rss']:7.0f} MiB",
                file=sys.stderr,
            )
    medians = {}
    for mode, rs in runs.items():
        medians[mode] = {
            k: statistics.median(r[k] for r in rs) for k in rs[0] if isinstance(rs[0][k], float)
        }
        medians[mode].update(
            values=rs[0]["values"],
            checksum=rs[0]["checksum"],
            peak_exact=all(r["peak_exact"] for r in rs),
        )
    return {"scale": scale, "repeat": repeat, "medians": medians, "runs": runs}


def report(result: dict) -> str:
    med = result["medians"]
    lines = [
        f"{result['scale']} flat prims x 20 properties, median of {result['repeat']} "
        "fresh processes (warm OS cache); memory above the process's baseline",
        f"{'layer:operation':26s} {'time s':>8s} {'open s':>8s} {'cpu s':>8s} "
        f"{'peak MiB':>9s} {'final MiB':>9s} {'values':>9s}",
    ]
    for mode, m in med.items():
        lines.append(
            f"{mode:26s} {m['seconds']:8.2f} {m['open_seconds']:8.2f} {m['cpu_seconds']:8.2f} "
            f"{m['peak_rss']:9.0f} {m['final_rss']:9.0f} {m['values']:9d}"
        )
    lines.append("ratios (target):")
    for layer, op, key, base, target in TARGETS:
        a, b = med.get(f"{layer}:{op}"), med.get(f"{base}:{op}")
        if a and b and b[key]:
            ratio = a[key] / b[key]
            verdict = "ok" if ratio <= target else "MISSED"
            lines.append(f"  {layer}:{op} / {base} {key:9s} {ratio:5.2f}x (<= {target}x) {verdict}")
    for op in ("one", "all"):
        readers = {k: m for k, m in med.items() if k.endswith(f":{op}")}
        if len(readers) > 1:
            same = len({(m["values"], m["checksum"]) for m in readers.values()}) == 1
            lines.append(f"  same values read by {', '.join(readers)}: {same}")
    if not all(m["peak_exact"] for m in med.values()):
        lines.append("  note: the peak is a lower bound here (memtrack found no exact method)")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python scripts/parquet_perf.py", description=__doc__)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--scale", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5, help="fresh processes per measurement")
    parser.add_argument("--dir", type=Path, help="data folder (default: the usdbench cache)")
    parser.add_argument(
        "--layers",
        nargs="+",
        choices=LAYERS,
        default=list(DEFAULT_LAYERS),
    )
    parser.add_argument("--ops", nargs="+", choices=OPS, default=list(OPS))
    parser.add_argument("--json", type=Path, help="also write every run as JSON here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.dir:
        directory = args.dir
    else:  # the suite's own cache: the data is shared with the benchmarks
        from usdbench.cache import scenario_dir
        from usdbench.scenario import Scenario

        directory = scenario_dir(Scenario(max(args.scale, 1), "flat"))
    if args.child:
        layer, op = args.child.split(":")
        print_result(measure(layer, op, args.scale, directory))
        return 0
    if args.scale < 1 or args.repeat < 1:
        parser.error("--scale and --repeat must be at least 1")
    result = run(args.scale, args.repeat, directory, tuple(args.layers), tuple(args.ops))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    print(report(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
