"""Measured comparison of memory trackers on the same workloads.

    python scripts/tracker_comparison.py [--runs 3] [--json out.json]

Methods: memtrack, tracemalloc, RSS after minus before, a psutil sampling
thread at 1 ms, memray (dev-only). Workloads: 200 MiB kept native allocation,
a 300 MiB native spike freed inside one C call with the GIL held, Usd.Stage
open + traversal of a 50k-prim usdc file, a Parquet read of ~200 MB, one
million Python tuples. Each method x workload runs in fresh processes (the
median of --runs is reported); "none" is the same workload unmeasured, the
reference for the time overhead. Prints markdown tables.

The data (usdc, Parquet, the C spike helper) is generated in a temporary
directory with pxr, pyarrow and `cc`. A measurement script of memtrack, not
part of the installed packages.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from usdbench.fresh_process import print_result, run_script

MiB = 2**20
N_PRIMS = 50_000
PARQUET_ROWS = 5_000_000  # x 5 float64 columns = 200 MB of values
PARQUET_COLUMNS = 5

WORKLOADS = {
    "w1": "200 MiB C malloc, kept",
    "w2": "300 MiB C spike, GIL held",
    "w3": f"usdc open + traverse, {N_PRIMS // 1000}k prims",
    "w4": "Parquet read, ~200 MB",
    "w5": "1M Python tuples",
}
METHODS = {
    "none": "(not measured)",
    "memtrack": "memtrack (kernel HWM)",
    "tracemalloc": "tracemalloc peak",
    "rss": "RSS after - before",
    "thread": "psutil sampling thread, 1 ms",
    "memray": "memray peak",
}

SPIKE_C = r"""
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
/* malloc, touch, free in one call; the read-back keeps compilers from deleting it. */
int memtrack_spike(size_t n, unsigned int hold_us) {
    volatile unsigned char sum = 0;
    unsigned char *p = malloc(n);
    size_t i;
    if (!p) return -1;
    memset(p, 1, n);
    if (hold_us) usleep(hold_us);
    for (i = 0; i < n; i += 4096) sum += p[i];
    free(p);
    return sum == (unsigned char)((n + 4095) / 4096) ? 0 : -2;
}
/* malloc + touch, kept: called from a library (through its PLT) like USD's or
   Arrow's allocations, which is what memray's interposition sees. */
void *memtrack_alloc(size_t n) {
    void *p = malloc(n);
    if (p) memset(p, 1, n);
    return p;
}
"""


# -- data ------------------------------------------------------------------------


def make_usdc(path: Path) -> None:
    """50k Xform prims under /World, each with a double and a float3 attribute."""
    from pxr import Sdf

    lines = ["#usda 1.0", 'def Xform "World"', "{"]
    for i in range(N_PRIMS):
        lines += [
            f'    def Xform "Prim_{i}"',
            "    {",
            f"        double weight = {i * 0.5}",
            f"        float3 color = ({i % 7}, {i % 11}, {i % 13})",
            "    }",
        ]
    lines.append("}")
    usda = path.with_suffix(".usda")
    usda.write_text("\n".join(lines) + "\n")
    layer = Sdf.Layer.FindOrOpen(str(usda))
    if layer is None or not layer.Export(str(path)):
        raise RuntimeError(f"could not write {path}")
    usda.unlink()


def make_parquet(path: Path) -> None:
    """Random float64 columns (incompressible): ~200 MB on disk and in memory."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(0)
    table = pa.table(
        {f"c{i}": rng.random(PARQUET_ROWS) for i in range(PARQUET_COLUMNS)},
    )
    pq.write_table(table, path, compression="none", row_group_size=500_000)


def make_spike_lib(directory: Path) -> Path | None:
    cc = shutil.which("cc")
    if cc is None:
        return None
    src = directory / "spike.c"
    lib = directory / "libspike.so"
    src.write_text(SPIKE_C)
    subprocess.run([cc, "-O2", "-shared", "-fPIC", "-o", str(lib), str(src)], check=True)
    return lib


# -- child: one method x one workload in a fresh process --------------------------


def _prepare(workload: str, data: Path):
    """Imports and warm-up outside the measurement; returns the operation."""
    if workload == "w1":
        if (data / "libspike.so").exists():
            alloc = ctypes.CDLL(str(data / "libspike.so")).memtrack_alloc
            alloc.argtypes = [ctypes.c_size_t]
            alloc.restype = ctypes.c_void_p
            return lambda: alloc(200 * MiB)
        # Without a compiler: ctypes calls glibc's malloc directly (memray
        # cannot see that one).
        libc = ctypes.CDLL(None)
        libc.malloc.argtypes = [ctypes.c_size_t]
        libc.malloc.restype = ctypes.c_void_p

        def op():
            p = libc.malloc(200 * MiB)
            ctypes.memset(p, 1, 200 * MiB)
            return p

        return op
    if workload == "w2":
        fn = ctypes.PyDLL(str(data / "libspike.so")).memtrack_spike
        fn.argtypes = [ctypes.c_size_t, ctypes.c_uint]
        return lambda: fn(300 * MiB, 0)
    if workload == "w3":
        from pxr import Usd

        Usd.Stage.CreateInMemory()  # load the plugins before measuring

        def op():
            stage = Usd.Stage.Open(str(data / "scene.usdc"))
            total = 0.0
            for prim in stage.Traverse():
                value = prim.GetAttribute("weight").Get()
                if value is not None:
                    total += value
            return stage, total

        return op
    if workload == "w4":
        import pyarrow.parquet as pq

        return lambda: pq.read_table(data / "table.parquet")
    if workload == "w5":
        return lambda: [(i, i) for i in range(1_000_000)]
    raise ValueError(f"unknown workload {workload!r}")


class _Clock:
    """Wall and CPU time of this process (all threads) between start and stop."""

    def start(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def stop(self):
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


def _measure(method: str, op, data: Path, clock: _Clock):
    """Run op under method, timing it with the method's own start and stop;
    returns (figure in bytes or None, op's result)."""
    if method == "none":
        clock.start()
        result = op()
        clock.stop()
        return None, result
    if method == "memtrack":
        from memtrack import PerformanceTracker

        clock.start()
        with PerformanceTracker() as tracker:
            result = op()
        clock.stop()
        return tracker.result.peak_bytes, result
    if method == "tracemalloc":
        import tracemalloc

        clock.start()
        tracemalloc.start()
        result = op()
        figure = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        clock.stop()
        return figure, result
    if method == "rss":
        import psutil

        proc = psutil.Process()
        clock.start()
        before = proc.memory_info().rss
        result = op()
        figure = proc.memory_info().rss - before
        clock.stop()
        return figure, result
    if method == "thread":
        import psutil

        proc = psutil.Process()
        stop = threading.Event()
        high = [0]

        def poll():
            while not stop.is_set():
                high[0] = max(high[0], proc.memory_info().rss)
                time.sleep(0.001)

        clock.start()
        before = proc.memory_info().rss
        th = threading.Thread(target=poll, daemon=True)
        th.start()
        result = op()
        stop.set()
        th.join()
        figure = max(high[0], proc.memory_info().rss) - before
        clock.stop()
        return figure, result
    if method == "memray":
        import memray

        capture = data / f"memray-{os.getpid()}.bin"
        clock.start()
        with memray.Tracker(capture):
            result = op()
        clock.stop()
        figure = memray.FileReader(capture).metadata.peak_memory
        capture.unlink()
        return figure, result
    raise ValueError(f"unknown method {method!r}")


def child(method: str, workload: str, data: Path) -> None:
    op = _prepare(workload, data)
    clock = _Clock()
    figure, result = _measure(method, op, data, clock)
    del result
    print_result({"figure": figure, "seconds": clock.wall, "cpu_seconds": clock.cpu})


# -- parent ----------------------------------------------------------------------


def _run_child(method: str, workload: str, data: Path) -> dict:
    return run_script(__file__, "--child", method, workload, str(data), timeout=600)


def _available_methods(methods: list[str]) -> tuple[list[str], list[str]]:
    notes = []
    kept = []
    for m in methods:
        try:
            if m in ("rss", "thread"):
                import psutil  # noqa: F401
            elif m == "memray":
                import memray  # noqa: F401
        except ImportError:
            notes.append(f"{m}: not installed, skipped")
            continue
        kept.append(m)
    return kept, notes


def compare(runs: int, workloads: list[str], methods: list[str], data: Path, log=print) -> dict:
    data.mkdir(parents=True, exist_ok=True)
    notes = []
    if "w3" in workloads and not (data / "scene.usdc").exists():
        log(f"generating {N_PRIMS} prims usdc ...")
        make_usdc(data / "scene.usdc")
    if "w4" in workloads and not (data / "table.parquet").exists():
        log("generating Parquet ...")
        make_parquet(data / "table.parquet")
    if make_spike_lib(data) is None:
        if "w2" in workloads:
            workloads = [w for w in workloads if w != "w2"]
            notes.append("w2 skipped: no C compiler `cc`")
        if "w1" in workloads:
            notes.append("w1 allocated with ctypes' direct malloc (no `cc`): memray misses it")
    methods, more = _available_methods(methods)
    notes += more
    raw: dict[str, dict[str, list[dict]]] = {}
    for w in workloads:
        for m in methods:
            raw.setdefault(w, {})[m] = []
        # One discarded run brings libraries and data into the page cache;
        # then methods are interleaved within each run so drift hits all alike.
        log(f"{w} warm-up")
        _run_child("none", w, data)
        for r in range(runs):
            for m in methods:
                log(f"{w} {m} run {r + 1}/{runs}")
                raw[w][m].append(_run_child(m, w, data))
    sizes = {}
    for name in ("scene.usdc", "table.parquet"):
        if (data / name).exists():
            sizes[name] = (data / name).stat().st_size
    return {"raw": raw, "notes": notes, "sizes": sizes, "runs": runs}


def _median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def _time_table(report: dict, key: str, title: str) -> str:
    """Each method's overhead over the unmeasured run of the same round (paired
    runs cancel the slow drift of a shared VM), median over rounds."""
    raw = report["raw"]
    workloads = list(raw)
    methods = list(next(iter(raw.values())))
    out = [
        f"{title}: the workload alone, then each method's extra, ms (% of alone),"
        " median of paired runs:",
        "",
        "| method | " + " | ".join(WORKLOADS[w] for w in workloads) + " |",
        "|---" * (len(workloads) + 1) + "|",
    ]
    for m in methods:
        cells = []
        for w in workloads:
            alone = [r[key] for r in raw[w]["none"]]
            if m == "none":
                cells.append(f"{statistics.median(alone) * 1e3:.0f}")
                continue
            pairs = list(zip([r[key] for r in raw[w][m]], alone, strict=True))
            extra = statistics.median(t - a for t, a in pairs)
            ratio = statistics.median((t - a) / a for t, a in pairs if a > 0)
            cells.append(f"{extra * 1e3:+.0f} ({ratio:+.0%})")
        label = "workload alone" if m == "none" else METHODS[m]
        out.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def tables(report: dict) -> str:
    raw = report["raw"]
    workloads = list(raw)
    methods = list(next(iter(raw.values()))) if raw else []
    head = "| method | " + " | ".join(WORKLOADS[w] for w in workloads) + " |"
    sep = "|---" * (len(workloads) + 1) + "|"
    out = [
        f"Peak as each method reports it, MiB (median of {report['runs']} fresh processes):",
        "",
    ]
    out += [head, sep]
    for m in methods:
        if m == "none":
            continue
        cells = []
        for w in workloads:
            fig = _median(r["figure"] for r in raw[w][m])
            cells.append("-" if fig is None else f"{fig / MiB:.0f}")
        out.append(f"| {METHODS[m]} | " + " | ".join(cells) + " |")
    out += ["", _time_table(report, "seconds", "Wall time"), ""]
    out += [_time_table(report, "cpu_seconds", "CPU time (user + system, this process)")]
    if report["notes"]:
        out += [""] + [f"- {n}" for n in report["notes"]]
    return "\n".join(out)


def _versions() -> str:
    parts = [f"Python {platform.python_version()}", platform.system(), platform.release()]
    for mod in ("pxr", "pyarrow", "memray", "psutil"):
        try:
            m = __import__(mod)
            version = getattr(m, "__version__", None)
            if mod == "pxr":
                from pxr import Usd

                version = ".".join(map(str, Usd.GetVersion()))
            parts.append(f"{mod} {version}")
        except ImportError:
            parts.append(f"{mod} missing")
    parts.append(f"{os.cpu_count()} cores")
    return ", ".join(parts)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3, help="fresh processes per cell (median)")
    ap.add_argument("--workloads", default=",".join(WORKLOADS), help="comma list of w1..w5")
    ap.add_argument("--methods", default=",".join(METHODS), help="comma list: " + ",".join(METHODS))
    ap.add_argument("--data", type=Path, help="keep generated data here (default: a temp dir)")
    ap.add_argument("--json", type=Path, help="also write the raw measurements here")
    ap.add_argument(
        "--child", nargs=3, metavar=("METHOD", "WORKLOAD", "DATA"), help=argparse.SUPPRESS
    )
    args = ap.parse_args(argv)
    if args.child:
        child(args.child[0], args.child[1], Path(args.child[2]))
        return 0
    workloads = [w.strip() for w in args.workloads.split(",") if w.strip()]
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    for w in workloads:
        if w not in WORKLOADS:
            ap.error(f"--workloads: unknown workload {w!r}; choose from {', '.join(WORKLOADS)}")
    for m in methods:
        if m not in METHODS:
            ap.error(f"--methods: unknown method {m!r}; choose from {', '.join(METHODS)}")
    if "none" not in methods:
        methods.insert(0, "none")  # the time reference
    log = lambda msg: print(msg, file=sys.stderr)  # noqa: E731
    if args.data:
        report = compare(args.runs, workloads, methods, args.data, log)
    else:
        with tempfile.TemporaryDirectory(prefix="tracker-comparison-") as tmp:
            report = compare(args.runs, workloads, methods, Path(tmp), log)
    report["versions"] = _versions()
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    print(f"{report['versions']}; data: " + ", ".join(
        f"{k} {v / MiB:.0f} MiB" for k, v in report["sizes"].items()
    ))  # fmt: skip
    print()
    print(tables(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
