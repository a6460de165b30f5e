"""``measure_stage``: a user's stage converted, checked and measured in every
format, each figure the median of several fresh processes.

Each figure is taken as asv takes the suite's: the benchmark classes of
benchmarks/user_data.py, their set-up (cache, memory guard, warm-up, page
cache dropped), time on the default threads in one process, memory under
the memory protocol in another (usdbench.measure.child). The result is a
table (``text_table``) and the suite's report page, its sections for this
stage (``write_output``).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from usdbench.errors import UsdBenchError
from usdbench.fresh_process import _CODE_ROOT, ChildFailed, run_module

from .files import USER_FORMATS, ensure_user_files, user_files

Progress = Callable[[str], None]
MODULE = "user_data"  # the asv module of the benchmarks (benchmarks/user_data.py)
# The operations, in table order: (asv class, its figures, the table's label).
OPERATIONS = (
    ("UserLoad", ("time_operation", "track_peak_bytes", "track_retained_bytes"), "load"),
    ("UserValuesDefault", ("time_operation", "track_peak_bytes"), "values (default)"),
    ("UserValuesAtTime", ("time_operation", "track_peak_bytes"), "values (time code)"),
    ("UserTimeSamples", ("time_operation", "track_peak_bytes"), "time samples"),
    ("UserBounds", ("time_operation", "track_peak_bytes"), "world bounds"),
    ("UserFlatten", ("time_operation", "track_peak_bytes"), "flatten (C++)"),
)
MEMORY_METRICS = ("track_peak_bytes", "track_delta_bytes", "track_retained_bytes")
# asv's own figure units.
UNITS = {"time_operation": "seconds", "track_file_bytes": "bytes"}
DEFAULT_RUNS = 3


@dataclass
class Figure:
    operation: str  # the asv class
    metric: str
    format: str
    samples: list[float] = field(default_factory=list)
    skipped: str | None = None
    failed: str | None = None

    @property
    def unit(self) -> str:
        return UNITS.get(self.metric, "bytes")

    @property
    def value(self) -> float | None:
        return statistics.median(self.samples) if self.samples else None

    def quartiles(self) -> tuple[float | None, float | None]:
        if len(self.samples) < 2:
            return self.value, self.value
        q = statistics.quantiles(self.samples, n=4, method="inclusive")
        return q[0], q[2]


@dataclass
class Measurement:
    stage: str  # as given
    source_key: str
    runs: int
    formats: list[str]
    files: dict[str, list[str]]  # format -> its files (paths)
    check: dict[str, list[str]]  # format -> first differences from the source ([] = same)
    unresolved: list[str]
    figures: list[Figure]
    prims: int

    def figure(self, operation: str, metric: str, fmt: str) -> Figure | None:
        for f in self.figures:
            if (f.operation, f.metric, f.format) == (operation, metric, fmt):
                return f
        return None


def measure_stage(
    stage: str,
    runs: int = DEFAULT_RUNS,
    formats: tuple[str, ...] = USER_FORMATS,
    progress: Progress | None = None,
) -> Measurement:
    """Convert (cached), check and measure ``stage``. Bad input (a missing,
    unreadable or unparsable layer) raises UsdBenchError before anything is
    measured or written; unresolved asset paths are listed in the result."""
    say = progress or _stderr
    if runs < 1:
        raise UsdBenchError(f"runs must be at least 1, not {runs}")
    if not (_CODE_ROOT / "benchmarks" / f"{MODULE}.py").is_file():
        raise UsdBenchError(
            f"usdbench measure runs the suite's benchmarks ({MODULE}.py), which are not "
            f"beside this usdbench package ({_CODE_ROOT}): run it from a checkout of the project"
        )
    manifest = ensure_user_files(stage, progress=say)
    for line in manifest["unresolved"]:
        say(f"unresolved asset path (measured without it): {line}")
    check = {f: manifest["check"].get(f, []) for f in formats}
    files = {}
    for fmt in formats:
        uf = user_files(stage, manifest, fmt)
        files[fmt] = [str(p) for p in uf.files] if uf else []
    measured = [f for f in formats if not check[f]]
    for fmt in formats:
        if check[fmt]:
            say(f"{fmt}: not measured, it does not compose the source's stage: {check[fmt][0]}")
    jobs = [("UserFileSize", "size", fmt) for fmt in measured]
    jobs += [
        (op, kind, fmt)
        for op, _, _ in OPERATIONS
        for fmt in measured
        for kind in ("time", "memory")
    ]
    figures: dict[tuple[str, str, str], Figure] = {}
    sizes = sum(kind == "size" for _, kind, _ in jobs)
    total = sizes + (len(jobs) - sizes) * runs
    done = 0
    start = time.perf_counter()
    for run in range(runs):
        for op, kind, fmt in jobs:
            if kind == "size" and run:
                continue  # a size is the same every run
            done += 1
            say(f"[{done}/{total}] {fmt} {op} {kind} (run {run + 1} of {runs})")
            result = _child(op, kind, fmt, os.fspath(stage))
            for metric, value in result.items():
                if metric in ("skipped", "failed"):
                    for m in _metrics_of(op, kind):
                        fig = figures.setdefault((op, m, fmt), Figure(op, m, fmt))
                        setattr(fig, metric, value)
                    continue
                fig = figures.setdefault((op, metric, fmt), Figure(op, metric, fmt))
                fig.samples.append(float(value))
    say(f"measured in {time.perf_counter() - start:.0f} s")
    return Measurement(
        stage=os.fspath(stage),
        source_key=manifest["key"],
        runs=runs,
        formats=list(formats),
        files=files,
        check=check,
        unresolved=list(manifest["unresolved"]),
        figures=list(figures.values()),
        prims=manifest["prims"],
    )


def _metrics_of(op: str, kind: str) -> tuple[str, ...]:
    if kind == "size":
        return ("track_file_bytes",)
    if kind == "time":
        return ("time_operation",)
    return MEMORY_METRICS if op == "UserLoad" else MEMORY_METRICS[:2]


def _child(op: str, kind: str, fmt: str, stage: str) -> dict:
    try:
        result = run_module(
            "usdbench.measure.child", f"{MODULE}.{op}", kind, json.dumps([fmt, stage])
        )
    except ChildFailed as err:
        return {"failed": str(err)}
    if op != "UserLoad":
        result.pop("track_retained_bytes", None)  # as the suite: load keeps it only
    return result


def _stderr(message: str) -> None:
    print(f"usdbench measure: {message}", file=sys.stderr, flush=True)


# -- output ----------------------------------------------------------------------------


def text_table(m: Measurement) -> str:
    """One row per format: its files, size, and time / peak of each operation."""
    from usdbench.report.units import format_bytes, format_seconds

    head = ["format", "files", "size"]
    head += [label for _, _, label in OPERATIONS]
    rows = [head]
    for fmt in m.formats:
        names = [Path(p).name for p in m.files.get(fmt, [])]
        shown = ", ".join(names[:3]) + (f" (+{len(names) - 3})" if len(names) > 3 else "")
        row = [fmt, shown or "-"]
        if m.check.get(fmt):
            rows.append(row + ["not measured: " + m.check[fmt][0]])
            continue
        size = m.figure("UserFileSize", "track_file_bytes", fmt)
        row.append(_cell(size, format_bytes))
        for op, _, _ in OPERATIONS:
            t = m.figure(op, "time_operation", fmt)
            p = m.figure(op, "track_peak_bytes", fmt)
            row.append(f"{_cell(t, format_seconds)} / {_cell(p, format_bytes)}")
        rows.append(row)
    # A format not measured has one long cell after its files: no column's width.
    full = [r for r in rows if len(r) == len(head)]
    widths = [max(len(r[i]) for r in full) for i in range(len(head))]
    lines = []
    for r in rows:
        lines.append("  ".join(c.ljust(widths[i]) for i, c in enumerate(r)).rstrip())
    note = (
        f"{m.stage}: {m.prims:,} prims; each cell time / peak memory, the median of "
        f"{m.runs} fresh process{'es' if m.runs > 1 else ''}"
    )
    return "\n".join([note, *lines])


def _cell(fig: Figure | None, fmt) -> str:
    if fig is None:
        return "-"
    if fig.value is not None:
        return fmt(fig.value)
    return "skipped" if fig.skipped else "failed"


def report_rows(m: Measurement):
    """The figures as the report's rows: the names and parameters asv gives
    the same benchmarks of benchmarks/user_data.py."""
    from usdbench.report.data import FAILED, OK, SKIPPED, Row

    rows = []
    for f in m.figures:
        kind = f.metric.split("_", 1)[0]
        status = OK if f.value is not None else SKIPPED if f.skipped else FAILED
        q25, q75 = f.quartiles()
        rows.append(
            Row(
                benchmark=f"{MODULE}.{f.operation}.{f.metric}",
                operation=f.operation,
                metric=f.metric,
                kind=kind,
                unit=f.unit,
                params=(("format", f.format), ("stage", m.stage)),
                value=f.value,
                status=status,
                q25=q25,
                q75=q75,
            )
        )
    return rows


def write_output(m: Measurement, out_dir: str | os.PathLike) -> Path:
    """``out_dir``: the report page (formats/index.html, the suite's page
    with this stage's sections), the table (table.txt) and every figure
    (figures.json). Written in a folder beside it and renamed into place, so
    a failure leaves no half-written output; a previous output is replaced."""
    from usdbench.report.data import ReportData
    from usdbench.report.page import write_report

    out = Path(out_dir).absolute()
    out.parent.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        data = ReportData(
            config_path=Path(),
            results_dir=temp,  # no timelines for a measured stage
            html_dir=temp,
            machine=socket.gethostname(),
            machine_info={},
            commit_hash=m.source_key.rsplit("-", 1)[-1],
            date_ms=int(time.time() * 1000),
            env_name=f"usdbench measure {m.stage}",
            results_file=out / "figures.json",
            rows=report_rows(m),
            param_names=["format", "stage"],
        )
        write_report(data, temp)
        (temp / "table.txt").write_text(text_table(m) + "\n")
        (temp / "figures.json").write_text(json.dumps(_as_json(m), indent=1))
        if out.exists():
            old = out.parent / f".{out.name}.old-{os.getpid()}"
            os.replace(out, old)
            os.replace(temp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(temp, out)
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    return out / "formats" / "index.html"


def _as_json(m: Measurement) -> dict:
    return {
        "stage": m.stage,
        "source_key": m.source_key,
        "prims": m.prims,
        "runs": m.runs,
        "files": m.files,
        "check": m.check,
        "unresolved": m.unresolved,
        "figures": [
            {
                "benchmark": f"{MODULE}.{f.operation}.{f.metric}",
                "format": f.format,
                "unit": f.unit,
                "median": f.value,
                "samples": f.samples,
                "skipped": f.skipped,
                "failed": f.failed,
            }
            for f in m.figures
        ],
    }
