"""`usdbench convert` against saving the same layer as usdc, side by side in
fresh processes (median of --repeat, the operations alternating): wall time
and peak RSS above the start (memtrack, anonymous + file-backed). Each
operation starts from the usda file and includes its open; the open alone
is measured too, so the work after it can be told apart.

    python scripts/convert_perf.py --scale 100000 --repeat 3

The layer is the suite's props layer of the flat scenario (``--scale`` prims
x 20 values, from the usdbench cache, generated if missing) or ``--source``.
usdc is written as the suite writes it (usdbench.writers.write_usdc_props:
a new usdc layer filled by TransferContent, then saved). A measurement
script, not part of the installed packages.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from usdbench.fresh_process import print_result, run_script

MiB = 2**20
OPERATIONS = ("open", "usdc", "convert")


def _source(scale: int) -> Path:
    from usdbench import cache
    from usdbench.scenario import Scenario

    scenario = Scenario(scale, "flat")
    folder = cache.scenario_dir(scenario)
    cache.materialize(scenario, ["usda"], folder)
    return folder / "props.usda"


def measure(op: str, source: Path, out: Path) -> dict:
    """One operation in this (fresh) process: seconds and peak MiB."""
    from pxr import Sdf

    import usdbench  # noqa: F401  (registers the native format, as the CLI does)
    from memtrack import PerformanceTracker
    from usdbench.convert import convert
    from usdbench.writers import write_usdc_props

    result = {}
    with PerformanceTracker() as tracker:
        if op == "open":
            layer = Sdf.Layer.OpenAsAnonymous(str(source))
            result["specs"] = len(layer.rootPrims)
            del layer
        elif op == "usdc":
            write_usdc_props(source, out / "props.usdc")
        else:
            report = convert(source, out / "converted")
            result["moved_values"] = report.to_dict()["moved_values"]
            result["stayed_values"] = report.to_dict()["stayed_values"]
    result |= {"seconds": tracker.result.elapsed_s, "peak_mib": tracker.result.peak_bytes / MiB}
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=100_000, help="prims (default 100000)")
    parser.add_argument("--source", type=Path, help="a layer to use instead of the scenario's")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each (default 3)")
    parser.add_argument("--child", nargs=3, metavar=("OP", "SOURCE", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        op, source, out = args.child
        print_result(measure(op, Path(source), Path(out)))
        return 0
    source = args.source or _source(args.scale)
    print(f"source: {source} ({source.stat().st_size / MiB:.1f} MiB)", flush=True)
    runs: dict[str, list[dict]] = {op: [] for op in OPERATIONS}
    for i in range(args.repeat):
        for op in OPERATIONS:
            out = Path(tempfile.mkdtemp(prefix="convert-perf-"))
            try:
                result = run_script(__file__, "--child", op, str(source), str(out))
            finally:
                shutil.rmtree(out, ignore_errors=True)
            runs[op].append(result)
            print(
                f"  run {i + 1} {op:8s} {result['seconds']:8.2f} s {result['peak_mib']:8.1f} MiB",
                file=sys.stderr,
                flush=True,
            )
    med = {
        op: (
            statistics.median(r["seconds"] for r in rs),
            statistics.median(r["peak_mib"] for r in rs),
        )
        for op, rs in runs.items()
    }
    print(f"{'operation':10s} {'seconds':>9s} {'peak MiB':>9s}   medians of {args.repeat}")
    for op, (secs, peak) in med.items():
        print(f"{op:10s} {secs:9.2f} {peak:9.1f}")
    (open_s, _), (usdc_s, usdc_m), (conv_s, conv_m) = med["open"], med["usdc"], med["convert"]
    print(
        f"convert / usdc: time {conv_s / usdc_s:.2f}x (after the open: "
        f"{(conv_s - open_s) / max(1e-9, usdc_s - open_s):.2f}x), peak {conv_m / usdc_m:.2f}x"
    )
    moved = runs["convert"][0]
    print(
        f"values to Parquet: {moved['moved_values']:,}, stayed in USD: {moved['stayed_values']:,}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
