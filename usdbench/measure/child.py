"""One figure of a benchmark in a fresh process, as asv takes it:
``python -m usdbench.measure.child MODULE.CLASS KIND PARAMS``.

MODULE.CLASS is a benchmark class of the suite (benchmarks/), e.g.
``user_data.UserLoad`` or ``load.InitialLoad``; PARAMS its parameters as a
JSON list (``["usdc", "shot.usda"]``; a user stage's path goes into
USDBENCH_DATA, so that benchmarks/user_data.py defines its classes). KIND
is ``time`` (its operation timed on USD's and Arrow's default threads,
after its set-up, the garbage collector off as in asv's timer), ``memory``
(peak, delta and retained of the same operation, under the memory
protocol: one thread) or ``size``. Prints one JSON object last: the
figures, or ``{"skipped": why}`` where the set-up skips
(NotImplementedError, as asv shows it).
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import sys
import time

# Before pxr: the memory protocol's thread limit must come before any
# parallel USD work (benchmarks/protocol.py).
import usdbench  # noqa: F401
from usdbench.fresh_process import print_result
from usdbench.measure.environment import DATA_ENV

KINDS = ("time", "memory", "size")


def main(argv: list[str]) -> int:
    name, kind, params = argv[0], argv[1], json.loads(argv[2])
    if kind not in KINDS:
        raise SystemExit(f"usdbench.measure.child: unknown kind {kind!r}")
    module_name, class_name = name.rsplit(".", 1)
    if module_name == "user_data":
        os.environ[DATA_ENV] = params[1]  # the module defines its classes for this stage
    module = importlib.import_module(f"benchmarks.{module_name}")
    from benchmarks import protocol

    bench = getattr(module, class_name)()
    try:
        bench.setup(*params)
    except NotImplementedError as why:
        print_result({"skipped": str(why)})
        return 0
    if kind == "size":
        print_result({"track_file_bytes": bench.track_file_bytes(*params)})
    elif kind == "time":
        print_result({"time_operation": _timed(bench, params)})
    else:
        print_result(_memory(bench, protocol, params))
    return 0


def _timed(bench, params) -> float:
    """``time_operation`` timed as asv times it (timeit's clock, the garbage
    collector off during the call)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        bench.time_operation(*params)
        return time.perf_counter() - start
    finally:
        if enabled:
            gc.enable()


def _memory(bench, protocol, params) -> dict:
    """The three figures memtrack's track_* methods take one per process,
    here from one tracked run of the same ``measure`` (same baseline,
    memtrack.asv's protocol: retained readings, the result kept referenced
    until they are taken)."""
    from memtrack import PerformanceTracker

    # As the suite's track_ methods: the data files in the page cache first.
    protocol.before_memory_figure(bench)
    with PerformanceTracker(retained=True) as tracker:
        value = bench.measure(*params)
    del value
    r = tracker.result
    if r.backend == "unavailable":
        return {"failed": f"memtrack: no memory backend here ({r.method})"}
    return {
        "track_peak_bytes": r.peak_bytes,
        "track_delta_bytes": r.current_bytes,
        "track_retained_bytes": r.retained_bytes,
    }


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
