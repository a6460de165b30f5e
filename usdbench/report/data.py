"""asv results for one machine and commit, as one row per benchmark and parameter combination.

Read through asv's own API (asv.config, asv.results), so the layout of
results/<machine>/<commit8>-<env>.json stays asv's business. In those files a
skipped combination (NotImplementedError in setup) is NaN, a failed one None.
"""

from __future__ import annotations

import ast
import itertools
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

from asv import util as asv_util
from asv.config import Config
from asv.results import Results, get_filename, iter_results_for_machine

from .palette import format_sort_key

OK, SKIPPED, FAILED = "ok", "skipped", "failed"


class ReportError(Exception):
    """Bad input for the report: names the file, commit or machine at fault."""


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


def _load_config(config_path: Path) -> tuple[Config, Path, Path]:
    if not config_path.is_file():
        raise ReportError(f"asv config {config_path} not found")
    try:
        conf = Config.load(str(config_path))
    except asv_util.UserError as err:
        raise ReportError(f"cannot read asv config {config_path}: {err}") from err
    # asv resolves its directories relative to the config file.
    base = config_path.resolve().parent
    return conf, base / conf.results_dir, base / conf.html_dir


def _machines(results_dir: Path) -> list[str]:
    if not results_dir.is_dir():
        return []
    return sorted(p.parent.name for p in results_dir.glob("*/machine.json"))


def _load_benchmarks(results_dir: Path) -> dict[str, dict]:
    path = results_dir / "benchmarks.json"
    if not path.is_file():
        raise ReportError(f"{path} missing: run `asv run` (or `asv run --bench just-discover`)")
    try:
        data = asv_util.load_json(str(path), api_version=2)
    except asv_util.UserError as err:
        raise ReportError(f"cannot read {path}: {err}") from err
    return {name: b for name, b in data.items() if isinstance(b, dict)}


def _newest_first_key(result: Results):
    started = max((v for v in result.started_at.values() if v), default=0)
    return (result.date or 0, started)


def _is_nan(value) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _rows_for(result: Results, benchmarks: dict[str, dict], source: Path) -> list[Row]:
    rows = []
    for name in sorted(result.get_all_result_keys()):
        meta = benchmarks.get(name, {})
        params = result.get_result_params(name) or []
        names = list(meta.get("param_names") or [])
        if len(names) != len(params):
            names = [f"param{i + 1}" for i in range(len(params))]
        values = result.get_result_value(name, params)
        stats = result.get_result_stats(name, params)
        operation, metric = split_name(name)
        kind = meta.get("type") or metric.split("_", 1)[0]
        unit = meta.get("unit") or ("seconds" if kind == "time" else "")
        combos = list(itertools.product(*params))
        if len(values) != len(combos) or len(stats) != len(combos):
            raise ReportError(
                f"{source}: {name} has {len(values)} results for {len(combos)} parameter "
                "combinations"
            )
        for combo, value, stat in zip(combos, values, stats, strict=True):
            if value is None:
                status, value = FAILED, None
            elif _is_nan(value):
                status, value = SKIPPED, None
            else:
                status, value = OK, float(value)
            stat = stat or {}
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
                    q25=stat.get("q_25") if status == OK else None,
                    q75=stat.get("q_75") if status == OK else None,
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
    _conf, results_dir, html_dir = _load_config(config_path)

    machines = _machines(results_dir)
    if not machines:
        raise ReportError(
            f"no asv results in {results_dir}: run `asv machine --yes` and `asv run` first"
        )
    if machine is None:
        # Several machines: the one whose newest result is newest.
        newest = {}
        for m in machines:
            found = list(iter_results_for_machine(str(results_dir), m))
            if found:
                newest[m] = max(_newest_first_key(r) for r in found)
        if not newest:
            raise ReportError(f"no result files under {results_dir} ({', '.join(machines)})")
        machine = max(newest, key=newest.get)
    elif machine not in machines:
        raise ReportError(
            f"no results for machine {machine!r} in {results_dir}; "
            f"machines with results: {', '.join(machines)}"
        )

    results = list(iter_results_for_machine(str(results_dir), machine))
    if not results:
        raise ReportError(f"no result files for machine {machine!r} in {results_dir / machine}")

    if commit is None:
        commit_hash = max(results, key=_newest_first_key).commit_hash
    else:
        wanted = commit.strip().lower()
        hashes = sorted({r.commit_hash for r in results if r.commit_hash.startswith(wanted)})
        if not hashes:
            known = sorted(results, key=_newest_first_key, reverse=True)
            listed = ", ".join(dict.fromkeys(r.commit_hash[:8] for r in known))
            raise ReportError(
                f"no results for commit {commit!r} on machine {machine!r} in {results_dir}; "
                f"commits with results (newest first): {listed}"
            )
        if len(hashes) > 1:
            raise ReportError(f"commit prefix {commit!r} is ambiguous: {', '.join(hashes)}")
        commit_hash = hashes[0]

    candidates = [r for r in results if r.commit_hash == commit_hash]
    if env is not None:
        chosen = [r for r in candidates if r.env_name == env]
        if not chosen:
            envs = ", ".join(sorted(r.env_name for r in candidates))
            raise ReportError(f"no results for environment {env!r} at {commit_hash[:8]}: {envs}")
        result = chosen[0]
    else:
        result = max(candidates, key=_newest_first_key)

    benchmarks = _load_benchmarks(results_dir)
    results_file = results_dir / get_filename(machine, commit_hash, result.env_name)
    rows = _rows_for(result, benchmarks, results_file)
    param_names: list[str] = []
    for row in rows:
        for name, _ in row.params:
            if name not in param_names:
                param_names.append(name)

    machine_json = results_dir / machine / "machine.json"
    try:
        machine_info = json.loads(machine_json.read_text())
    except (OSError, ValueError):
        machine_info = {}

    measured = set(result.get_all_result_keys())
    return ReportData(
        config_path=config_path,
        results_dir=results_dir,
        html_dir=html_dir,
        machine=machine,
        machine_info=machine_info,
        commit_hash=commit_hash,
        date_ms=result.date,
        env_name=result.env_name,
        results_file=results_file,
        rows=rows,
        param_names=param_names,
        other_envs=sorted(r.env_name for r in candidates if r is not result),
        not_run=sorted(set(benchmarks) - measured),
    )
