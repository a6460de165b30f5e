"""asv results for one machine and commit, as one row per benchmark and parameter combination.

The files are read by usdbench.asv_results (without importing asv, a development
tool). In them a skipped combination (NotImplementedError in setup) is NaN,
a failed one None.
"""

from __future__ import annotations

import ast
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

from usdbench.asv_results import (
    ResultFile,
    commit_results,
    figure_key,
    machines,
    read_benchmarks,
    read_config,
    read_machine,
    read_protocol,
    result_files,
)
from usdbench.errors import UsdBenchError

from .palette import format_sort_key
from .spread import Spread, Spreads, load_spreads

__all__ = ["FAILED", "OK", "SKIPPED", "ReportData", "Row", "load_report_data"]

OK, SKIPPED, FAILED = "ok", "skipped", "failed"


@dataclass(frozen=True)
class Row:
    benchmark: str  # asv's full name, e.g. "access.OnePropertyAllPrims.track_peak_bytes"
    operation: str  # the class, or the module for a plain function
    metric: str  # the method, e.g. "track_peak_bytes"
    kind: str  # asv type: "time", "track", ...
    unit: str  # asv unit: "seconds", "bytes", ...
    params: tuple[tuple[str, str], ...]  # (param name, value as displayed), benchmark order
    value: float | None
    status: str  # OK, SKIPPED or FAILED
    q25: float | None = None
    q75: float | None = None
    spread: Spread | None = None  # between asv runs (the machine's calibration), where known

    def param(self, name: str, default: str | None = None) -> str | None:
        return dict(self.params).get(name, default)

    @property
    def params_dict(self) -> dict[str, str]:
        return dict(self.params)


@dataclass
class ReportData:
    config_path: Path
    results_dir: Path
    html_dir: Path
    machine: str
    machine_info: dict
    commit_hash: str
    date_ms: int | None
    env_name: str
    results_file: Path
    rows: list[Row]
    param_names: list[str]  # union over benchmarks, first-seen order
    other_envs: list[str] = field(default_factory=list)
    not_run: list[str] = field(default_factory=list)  # known benchmarks absent at this commit
    protocol: dict | None = None  # the memory protocol recorded for the commit's figures
    protocol_error: str = ""  # why the recorded protocol could not be read
    spreads: Spreads | None = None  # the between-run spreads' source, where there is one


def display_param(value_repr: str):
    """asv stores parameters as repr() strings: "'usda'" -> 'usda', "1000" -> 1000."""
    try:
        value = ast.literal_eval(value_repr)
    except (ValueError, SyntaxError):
        return value_repr
    return value if isinstance(value, (str, int, float, bool)) else value_repr


def param_sort_key(name: str, value: str):
    """Formats in their fixed order, numbers numerically, the rest as text."""
    if name == "format":
        return (0, format_sort_key(value), 0.0, "")
    try:
        return (1, (0, ""), float(value), "")
    except ValueError:
        return (2, (0, ""), 0.0, value)


def split_name(name: str) -> tuple[str, str]:
    """(operation, metric) of an asv benchmark name: module[.Class].method."""
    parts = name.split(".")
    if len(parts) >= 3 and parts[-2][:1].isupper():
        return parts[-2], parts[-1]
    return ".".join(parts[:-1]) or parts[-1], parts[-1]


def _is_nan(value) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _rows_for(
    result: ResultFile, benchmarks: dict[str, dict], spreads: dict[str, Spread] | None = None
) -> list[Row]:
    spreads = spreads or {}
    rows = []
    for name in sorted(result.rows):
        meta = benchmarks.get(name, {})
        params = result.column(name, "params") or []
        names = list(meta.get("param_names") or [])
        if len(names) != len(params):
            names = [f"param{i + 1}" for i in range(len(params))]
        operation, metric = split_name(name)
        kind = meta.get("type") or metric.split("_", 1)[0]
        unit = meta.get("unit") or ("seconds" if kind == "time" else "")
        combos = result.combinations(name)
        # No values at all: the whole run failed (asv records null), so did every combination.
        values = result.per_combination(name, "result")
        q25 = result.per_combination(name, "stats_q_25")
        q75 = result.per_combination(name, "stats_q_75")
        for combo, value, low, high in zip(combos, values, q25, q75, strict=True):
            if value is None:
                status, value = FAILED, None
            elif _is_nan(value):
                status, value = SKIPPED, None
            else:
                status, value = OK, float(value)
            rows.append(
                Row(
                    benchmark=name,
                    operation=operation,
                    metric=metric,
                    kind=kind,
                    unit=unit,
                    params=tuple(
                        (n, str(display_param(v))) for n, v in zip(names, combo, strict=True)
                    ),
                    value=value,
                    status=status,
                    q25=low if status == OK else None,
                    q75=high if status == OK else None,
                    spread=spreads.get(figure_key(name, combo)) if status == OK else None,
                )
            )
    rows.sort(
        key=lambda r: (
            r.benchmark.rsplit(".", 1)[0],
            r.metric,
            [param_sort_key(n, v) for n, v in r.params],
        )
    )
    return rows


def load_report_data(
    config_path: str | os.PathLike = "asv.conf.json",
    commit: str | None = None,
    machine: str | None = None,
    env: str | None = None,
) -> ReportData:
    """Rows for one commit (the newest with results by default) on one machine."""
    config_path = Path(config_path)
    results_dir, html_dir = read_config(config_path)

    known = machines(results_dir)
    if not known:
        raise UsdBenchError(
            f"no asv results in {results_dir}: run `asv machine --yes` and `asv run` first"
        )
    if machine is None:
        # Several machines: the one whose newest result is newest.
        newest = {}
        for m in known:
            found = result_files(results_dir, m)
            if found:
                newest[m] = max(r.newest_first_key() for r in found)
        if not newest:
            raise UsdBenchError(f"no result files under {results_dir} ({', '.join(known)})")
        machine = max(newest, key=newest.get)
    elif machine not in known:
        raise UsdBenchError(
            f"no results for machine {machine!r} in {results_dir}; "
            f"machines with results: {', '.join(known)}"
        )

    results = result_files(results_dir, machine)
    if not results:
        raise UsdBenchError(f"no result files for machine {machine!r} in {results_dir / machine}")

    if commit is None:
        commit_hash = max(results, key=ResultFile.newest_first_key).commit_hash
        candidates = [r for r in results if r.commit_hash == commit_hash]
    else:
        candidates = commit_results(results, commit)
        if not candidates:
            known = sorted(results, key=ResultFile.newest_first_key, reverse=True)
            listed = ", ".join(dict.fromkeys(r.commit_hash[:8] for r in known))
            raise UsdBenchError(
                f"no results for commit {commit!r} on machine {machine!r} in {results_dir}; "
                f"commits with results (newest first): {listed}"
            )
        commit_hash = candidates[0].commit_hash
    if env is not None:
        chosen = [r for r in candidates if r.env_name == env]
        if not chosen:
            envs = ", ".join(sorted(r.env_name for r in candidates))
            raise UsdBenchError(f"no results for environment {env!r} at {commit_hash[:8]}: {envs}")
        result = chosen[0]
    else:
        result = max(candidates, key=ResultFile.newest_first_key)

    benchmarks = read_benchmarks(results_dir)
    try:
        protocol, protocol_error = read_protocol(results_dir, machine, commit_hash), ""
    except UsdBenchError as err:  # the figures do not depend on it: say so, go on
        protocol, protocol_error = None, str(err)
    spreads = load_spreads(results_dir, machine, protocol)
    rows = _rows_for(result, benchmarks, spreads.by_key if spreads else None)
    param_names: list[str] = []
    for row in rows:
        for name, _ in row.params:
            if name not in param_names:
                param_names.append(name)

    measured = set(result.rows)
    return ReportData(
        config_path=config_path,
        results_dir=results_dir,
        html_dir=html_dir,
        machine=machine,
        machine_info=read_machine(results_dir, machine),
        commit_hash=commit_hash,
        date_ms=result.date,
        env_name=result.env_name,
        results_file=result.path,
        rows=rows,
        param_names=param_names,
        other_envs=sorted(r.env_name for r in candidates if r is not result),
        not_run=sorted(set(benchmarks) - measured),
        protocol=protocol,
        protocol_error=protocol_error,
        spreads=spreads,
    )
